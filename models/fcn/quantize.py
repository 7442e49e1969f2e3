"""Static int8 quantisation of an FCN for the edge, in ONNX QDQ form, calibrated on CamVid
train images at the model's run resolution.

    python3 -m fcn.quantize --checkpoint runs/.../fcn32s/best.pt --resolution 320 240 \\
        --out models/fcn32s-edge-int8.onnx --id fcn32s-vgg16-w0125-int8 --float-convs 3 --runtime-upsample

What is quantised, and why this way (onnxruntime's QDQ conventions):
- every backbone convolution after the first `--float-convs` ones: weights int8, symmetric, per output channel; bias int32 at
  scale x_scale * w_scale; input and output activations uint8 per tensor. The ReLU that
  follows each conv is kept in the graph: onnxruntime drops it before a QuantizeLinear whose
  zero point is 0, then fuses DQ -> Conv -> Q into one QLinearConv.
- residual blocks (the ResNet layout): a convolution whose output goes into the block's Add
  (its second conv, the 1x1 shortcut) gets a uint8 Q/DQ of its own output, calibrated on the
  fused conv's output, and so does the identity shortcut; onnxruntime fuses DQ -> Conv -> Q
  into QLinearConv and DQ, DQ -> Add -> Q into QLinearAdd, and the ReLU after the Add keeps its
  calibrated range (zero point 0), so it is dropped as after a conv.
- max pooling runs on uint8 directly: its output reuses its input's scale, so the
  DequantizeLinear/QuantizeLinear pair around it is dropped.
- the first convolutions may stay float (`--float-convs`): with 3 to 16 input channels at full
  resolution, onnxruntime-web's int8 kernels are slower than its float ones (measured in the
  model card), while the deeper, wider layers gain from int8.
- the 1x1 score layer, the bilinear upsampling and the crop stay float: they are a tiny
  share of the work and keep the logits exact enough for the argmax.
The first float convolutions read float inputs, also where a residual Add beside them reads the
same tensor quantised. Activation ranges are min/max, averaged over calibration batches of the
frames the checkpoint trained on (never its held-out drive, so a twin's int8 score on that drive
stays unseen).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper
from torch import nn

from .data import load_split, normalize
from .export import add_metadata, export, grouped_upsampler, load_checkpoint, metadata, written_whole
from .fcn import FCN, fuse_batchnorm


def calibration_frames(config: dict) -> tuple[str, list[str]]:
    """(split, drives to leave out) of the frames a checkpoint trained on, from its config: the
    frames its activation ranges are calibrated on."""
    held = config.get("holdout_drive")
    return config.get("train_split", "train"), [held] if held else []


def calibrate(model: FCN, images: torch.Tensor, size: tuple[int, int], batch: int = 8) -> dict:
    """Average per-batch (min, max) of the image, of every backbone ReLU output and of every
    backbone convolution's output (what a residual block adds), each list in module order."""
    relus = [m for m in model.backbone.modules() if isinstance(m, nn.ReLU)]
    convs = [m for m in model.backbone.modules() if isinstance(m, nn.Conv2d)]
    stats: dict = {"image": [], "relu": [[] for _ in relus], "conv": [[] for _ in convs]}

    def hook(kind, index):
        # Reduced at once: an in-place ReLU may overwrite a conv's output right after.
        def record(_module, _inputs, output):
            stats[kind][index].append((float(output.min()), float(output.max())))
        return record

    handles = [r.register_forward_hook(hook("relu", i)) for i, r in enumerate(relus)]
    handles += [c.register_forward_hook(hook("conv", i)) for i, c in enumerate(convs)]
    model.eval()
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = F.interpolate(images[i : i + batch].float(), size=size, mode="bilinear", align_corners=False)
            x = normalize(x)
            stats["image"].append((float(x.min()), float(x.max())))
            model(x)
    for h in handles:
        h.remove()
    mean = lambda pairs: (float(np.mean([p[0] for p in pairs])), float(np.mean([p[1] for p in pairs])))  # noqa: E731
    return {"image": mean(stats["image"]), "relu": [mean(p) for p in stats["relu"]],
            "conv": [mean(p) for p in stats["conv"]]}


def uint8_params(lo: float, hi: float) -> tuple[float, int]:
    """Scale and zero point of uint8 over [lo, hi], widened to hold 0 exactly."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = max((hi - lo) / 255.0, 1e-8)
    return scale, int(np.clip(round(-lo / scale), 0, 255))


class QdqBuilder:
    def __init__(self, graph: onnx.GraphProto):
        self.graph = graph
        self.inits = {t.name: t for t in graph.initializer}
        self.new_nodes: list = []

    def const(self, name: str, array: np.ndarray) -> str:
        self.graph.initializer.append(numpy_helper.from_array(array, name))
        return name

    def quantize_tensor(self, tensor: str, scale: float, zero: int, keep_float: frozenset = frozenset()) -> None:
        """Insert Q -> DQ after ``tensor`` and point every consumer at the DQ output, except the
        nodes whose first output is in ``keep_float``."""
        s = self.const(f"{tensor}_scale", np.array(scale, dtype=np.float32))
        z = self.const(f"{tensor}_zero", np.array(zero, dtype=np.uint8))
        q, dq = f"{tensor}_q", f"{tensor}_dq"
        for node in self.graph.node:
            if node.output[0] in keep_float:
                continue
            for i, name in enumerate(node.input):
                if name == tensor:
                    node.input[i] = dq
        self.new_nodes += [helper.make_node("QuantizeLinear", [tensor, s, z], [q], name=f"{tensor}_Q"),
                           helper.make_node("DequantizeLinear", [q, s, z], [dq], name=f"{tensor}_DQ")]

    def quantize_conv_params(self, conv: onnx.NodeProto, x_scale: float) -> None:
        w = numpy_helper.to_array(self.inits[conv.input[1]]).astype(np.float32)
        w_scale = np.maximum(np.abs(w).reshape(w.shape[0], -1).max(1) / 127.0, 1e-12).astype(np.float32)
        w_q = np.clip(np.round(w / w_scale[:, None, None, None]), -127, 127).astype(np.int8)
        name = conv.input[1]
        self.const(f"{name}_int8", w_q)
        self.const(f"{name}_scale", w_scale)
        self.const(f"{name}_zero", np.zeros(w.shape[0], dtype=np.int8))
        self.new_nodes.append(helper.make_node("DequantizeLinear", [f"{name}_int8", f"{name}_scale", f"{name}_zero"],
                                               [f"{name}_dq"], name=f"{name}_DQ", axis=0))
        conv.input[1] = f"{name}_dq"
        if len(conv.input) > 2 and conv.input[2]:
            b = numpy_helper.to_array(self.inits[conv.input[2]]).astype(np.float64)
            b_scale = (x_scale * w_scale.astype(np.float64)).astype(np.float32)
            b_q = np.round(b / b_scale).astype(np.int32)
            bn = conv.input[2]
            self.const(f"{bn}_int32", b_q)
            self.const(f"{bn}_scale", b_scale)
            self.const(f"{bn}_zero", np.zeros(w.shape[0], dtype=np.int32))
            self.new_nodes.append(helper.make_node("DequantizeLinear", [f"{bn}_int32", f"{bn}_scale", f"{bn}_zero"],
                                                   [f"{bn}_dq"], name=f"{bn}_DQ", axis=0))
            conv.input[2] = f"{bn}_dq"

    def finish(self) -> None:
        # Put the new nodes first; then order everything topologically.
        nodes = self.new_nodes + list(self.graph.node)
        produced = {i.name for i in self.graph.input} | set(self.inits) | {t.name for t in self.graph.initializer}
        ordered, pending = [], nodes
        while pending:
            ready = [n for n in pending if all((not x) or x in produced for x in n.input)]
            if not ready:
                raise RuntimeError("graph has a cycle or a missing input")
            for n in ready:
                ordered.append(n)
                produced.update(n.output)
            pending = [n for n in pending if n not in ready]
        del self.graph.node[:]
        self.graph.node.extend(ordered)
        used = {x for n in ordered for x in n.input}
        keep = [t for t in self.graph.initializer if t.name in used]
        del self.graph.initializer[:]
        self.graph.initializer.extend(keep)


def consumers_of(graph: onnx.GraphProto) -> dict:
    """tensor name -> the nodes that read it, in graph order."""
    readers: dict = {}
    for node in graph.node:
        for x in node.input:
            readers.setdefault(x, []).append(node)
    return readers


def quantised_activations(graph: onnx.GraphProto, convs: list, float_convs: int) -> list[str]:
    """The activation tensors that get a Q/DQ pair, in the order they are inserted, for the
    backbone convolutions ``convs`` (graph order) of which the first ``float_convs`` stay float.

    Each int8 convolution needs its input quantised, and its output where the next op reads it:
    - Conv -> Relu: the ReLU's output (onnxruntime drops a ReLU before a Q with zero point 0 and
      fuses DQ -> Conv -> Q into QLinearConv), and any max pooling of it (same scale).
    - Conv -> Add -> Relu (a residual block's second conv and its 1x1 shortcut): the conv's own
      output and every other input of the Add (an identity shortcut), so that DQ, DQ -> Add -> Q
      fuses into QLinearAdd; then the ReLU after the Add and its pooling, as above.
    In a VGG chain this is exactly the rule the shipped edge model was made with."""
    readers = consumers_of(graph)
    marked: list[str] = []

    def mark(tensor: str) -> None:
        if tensor not in marked:
            marked.append(tensor)

    def mark_relu(relu: onnx.NodeProto) -> None:
        mark(relu.output[0])
        for pool in readers.get(relu.output[0], []):
            if pool.op_type == "MaxPool":
                mark(pool.output[0])

    def only_reader(tensor: str, op_type: str, what: str) -> onnx.NodeProto:
        nodes = readers.get(tensor, [])
        if [n.op_type for n in nodes] != [op_type]:
            raise ValueError(f"{what} feeds {[n.op_type for n in nodes]}, expected one {op_type}")
        return nodes[0]

    for conv in convs[float_convs:]:
        mark(conv.input[0])
        nxt = readers.get(conv.output[0], [])
        after = nxt[0] if len(nxt) == 1 else None
        if after is not None and after.op_type == "Relu":
            mark_relu(after)
        elif after is not None and after.op_type == "Add":
            for x in after.input:
                mark(x)
            mark_relu(only_reader(after.output[0], "Relu", f"the residual sum after {conv.name}"))
        else:
            raise ValueError(f"backbone conv {conv.name} feeds {[n.op_type for n in nxt]}: "
                             "expected one Relu or one residual Add")
    return marked


def calibrated_range(tensor: str, graph: onnx.GraphProto, convs: list, ranges: dict) -> tuple[float, float]:
    """The calibrated (min, max) of an activation tensor of the graph: the image, a backbone
    ReLU's output (``ranges["relu"]``, by the ReLU's place among the graph's Relu nodes, which
    is the backbone's module order), a backbone conv's output (``ranges["conv"]``, by its place
    in ``convs``), or a max pooling or padding of one of these (same range: both only pick or
    add values already in it, or zero)."""
    producer = {o: n for n in graph.node for o in n.output}
    relus = [n.output[0] for n in graph.node if n.op_type == "Relu"]
    conv_outputs = [n.output[0] for n in convs]
    while tensor in producer and producer[tensor].op_type in ("MaxPool", "Pad"):
        tensor = producer[tensor].input[0]
    if tensor not in producer:
        return ranges["image"]
    if tensor in relus:
        return ranges["relu"][relus.index(tensor)]
    if tensor in conv_outputs:
        return ranges["conv"][conv_outputs.index(tensor)]
    raise ValueError(f"no calibrated range for {tensor} ({producer[tensor].op_type})")


def quantize(fp32_path: Path, model: FCN, ranges: dict, out: Path, float_convs: int = 0) -> None:
    """Rewrite the fp32 graph at ``fp32_path`` into QDQ form (see ``quantised_activations``);
    the first ``float_convs`` backbone convolutions stay float and read float inputs, and the
    activation that leaves the last of them is quantised after its pooling."""
    proto = onnx.load(str(fp32_path))
    g = proto.graph
    torch_convs = [m for m in model.backbone.modules() if isinstance(m, nn.Conv2d)]
    convs = [n for n in g.node if n.op_type == "Conv"][: len(torch_convs)]
    inits = {t.name: t for t in g.initializer}
    for k, (conv, module) in enumerate(zip(convs, torch_convs)):
        w = numpy_helper.to_array(inits[conv.input[1]])
        if w.shape != tuple(module.weight.shape) or not np.allclose(w, module.weight.detach().numpy(), atol=1e-6):
            raise RuntimeError(f"ONNX conv {conv.name} does not match backbone conv {k}")
    relu_modules = sum(isinstance(m, nn.ReLU) for m in model.backbone.modules())
    relu_nodes = sum(n.op_type == "Relu" for n in g.node)
    if relu_nodes != relu_modules:  # the ReLU ranges are matched to Relu nodes by order
        raise RuntimeError(f"{relu_nodes} Relu nodes in the graph, {relu_modules} ReLU modules in the backbone")
    act = {t: uint8_params(*calibrated_range(t, g, convs, ranges))
           for t in quantised_activations(g, convs, float_convs)}
    b = QdqBuilder(g)
    for conv in convs[float_convs:]:
        b.quantize_conv_params(conv, act[conv.input[0]][0])
    # A float conv may read a tensor that is quantised for an int8 op beside it (a residual
    # stage's input, which its Add reads too): it keeps reading the unrounded values.
    float_conv_outputs = frozenset(n.output[0] for n in convs[:float_convs])
    for tensor, (scale, zero) in act.items():
        b.quantize_tensor(tensor, scale, zero, keep_float=float_conv_outputs)
    b.finish()
    onnx.checker.check_model(proto)
    onnx.save(proto, str(out))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--id", required=True)
    p.add_argument("--resolution", type=int, nargs=2, metavar=("WIDTH", "HEIGHT"), required=True)
    p.add_argument("--calibration-images", type=int, default=96)
    p.add_argument("--float-convs", type=int, default=0, metavar="N",
                   help="keep the first N backbone convolutions in float (see the model card: "
                        "int8 kernels with 3 or 8 input channels are slower than float in wasm)")
    p.add_argument("--coarse", action="store_true", help="also output the coarse scores (see export.py)")
    p.add_argument("--runtime-upsample", action="store_true", help="stop the graph at the coarse scores (see export.py)")
    p.add_argument("--recipe-run", type=Path, metavar="CHECKPOINT", help="see export.py")
    a = p.parse_args(argv)
    torch.set_num_threads(2)
    model = load_checkpoint(a.checkpoint, a.recipe_run)
    meta = metadata(model, a.id, {"width": a.resolution[0], "height": a.resolution[1]}, "int8", a.coarse,
                    a.runtime_upsample)
    split, held = calibration_frames(model.checkpoint_config)
    images, _ = load_split(split, exclude_drives=held)
    # An even spread over the drives, not just the first sequence.
    pick = torch.linspace(0, len(images) - 1, a.calibration_images).long()
    fused = fuse_batchnorm(load_checkpoint(a.checkpoint))
    fused.upscore = grouped_upsampler(fused.upscore)
    ranges = calibrate(fused, images[pick], (a.resolution[1], a.resolution[0]))
    with tempfile.TemporaryDirectory() as tmp, written_whole(a.out) as partial:
        fp32 = Path(tmp) / "fp32.onnx"
        export(model, fp32, meta, with_coarse=a.coarse)
        quantize(fp32, fused, ranges, partial, a.float_convs)
        if a.float_convs:
            meta["floatConvs"] = a.float_convs
        add_metadata(partial, meta)
    print(f"wrote {a.out} ({a.out.stat().st_size / 1e6:.2f} MB), calibrated on {len(pick)} {split} images"
          + (f" without drive {held[0]}" if held else ""))


if __name__ == "__main__":
    main()
