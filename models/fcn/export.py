"""Export a trained FCN checkpoint to ONNX (dynamic batch, height and width) with the metadata
every tier reads (classes, colours, normalisation, run resolution), then check parity against
PyTorch through onnxruntime-node (the runtime the tiers use).

    python3 -m fcn.export --checkpoint runs/.../fcn8s/best.pt --out models/fcn8s.onnx --id fcn8s-vgg16
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from .data import MEAN, STD, camvid_classes
from .fcn import FCN, from_config, fuse_batchnorm
from .surgery import bilinear_kernel, bilinear_weights, crop_offset

REPO = Path(__file__).resolve().parents[2]


OUTPUTS = {"logits": ("logits",), "both": ("logits", "coarse"), "coarse": ("coarse",)}


class ExportWrapper(nn.Module):
    """Chooses the graph's outputs: ``logits``; ``coarse`` (scores at the finest stride before
    the last upsampling, which shift-and-stitch runs on); or both."""

    def __init__(self, model: FCN, outputs: str):
        super().__init__()
        self.model = model
        self.outputs = outputs

    def forward(self, image: torch.Tensor):
        m = self.model
        taps = m.backbone(image)
        score = m.score_fr(taps["fc7"])
        if m.stride <= 16:
            sp4 = m.score_pool4(taps["pool4"])
            up = m.upscore2(score)
            score = up[:, :, m.crop_pool4 : m.crop_pool4 + sp4.shape[2], m.crop_pool4 : m.crop_pool4 + sp4.shape[3]] + sp4
        if m.stride == 8:
            sp3 = m.score_pool3(taps["pool3"])
            up = m.upscore_pool4(score)
            score = up[:, :, m.crop_pool3 : m.crop_pool3 + sp3.shape[2], m.crop_pool3 : m.crop_pool3 + sp3.shape[3]] + sp3
        if self.outputs == "coarse":
            return score
        up = m.upscore(score)
        logits = up[:, :, m.crop_final : m.crop_final + image.shape[2], m.crop_final : m.crop_final + image.shape[3]]
        return (logits, score) if self.outputs == "both" else logits


def load_checkpoint(path: Path, recipe_run: Path | None = None) -> FCN:
    """The net of a training checkpoint, in eval mode, carrying the scores its metadata reports
    (``reported_scores``; ``recipe_run``: the same recipe's held-out-drive checkpoint)."""
    state = torch.load(path, map_location="cpu")
    cfg = state["config"]
    if cfg.get("dilate_last"):
        # The metadata (outputStride, coarse stride, upsample factor) and the tiers assume fc7
        # at stride 32; a dilated net would be described wrongly. It is an experiment so far.
        raise ValueError(f"{path} has a dilated last stage (--dilate-last, output stride 16): "
                         "export and quantisation do not support it yet")
    model = from_config(cfg, state["stride"])
    model.load_state_dict(state["model"])
    model.eval()
    recipe = torch.load(recipe_run, map_location="cpu") if recipe_run else None
    model.checkpoint_scores = reported_scores(state, recipe)  # type: ignore[attr-defined]
    model.checkpoint_config = cfg  # type: ignore[attr-defined]
    return model


def _metrics(scores: dict) -> dict:
    return {k: round(v, 4) for k, v in scores.items() if k != "iu"}


def reported_scores(state: dict, recipe: dict | None = None) -> dict:
    """What a model's metadata says it scores: ``val`` and ``heldOutDrive`` (``{drive, ...}``).

    A checkpoint selected on held-out frames reports its own scores. One trained on every
    labelled frame (``--train-split train+val``) has nothing left to be scored on: it reports
    those of ``recipe``, the same recipe trained with a drive held out, or nothing."""
    source = state if state.get("scores") or state.get("val") else recipe
    if not source:
        return {}
    # A best.pt holds its scores; a last.pt (the epoch a train+val model keeps) has them in its
    # history, when that epoch was scored.
    scores = (source.get("scores") or (source.get("history") or [{}])[-1].get("scores")
              or ({"val": source["val"]} if source.get("val") else {}))
    out = {}
    if "val" in scores:
        out["val"] = _metrics(scores["val"])
    if "holdout" in scores:
        out["heldOutDrive"] = {"drive": source["config"]["holdout_drive"], **_metrics(scores["holdout"])}
    return out


def is_fixed_bilinear(layer: nn.ConvTranspose2d) -> bool:
    """Whether the last upsampling is still exactly the bilinear deconvolution (so the
    runtime may compute it instead of the graph)."""
    k = layer.kernel_size[0]
    w = layer.weight.detach().numpy()
    want = bilinear_kernel(k)
    if layer.groups == 1:  # (C, C, k, k): the kernel on the diagonal, zero elsewhere
        c = layer.out_channels
        want = bilinear_weights(c, k)
    return layer.stride[0] * 2 == k and bool(np.array_equal(w, np.broadcast_to(want, w.shape)))


# CamVid's 480x360 frames, the scale every model here is trained at (crops of rescaled frames).
REFERENCE_PIXELS = 480 * 360


def metadata(model: FCN, model_id: str, resolution, quantization: str, with_coarse: bool,
             runtime_upsample: bool = False, input_scale: float = 1.0) -> dict:
    classes = camvid_classes()
    maps = model.backbone.coord_maps()
    finest = {32: "fc7", 16: "pool4", 8: "pool3"}[model.stride]
    meta = {
        "id": model_id,
        "variant": f"fcn{model.stride}s",
        "backbone": model.checkpoint_config["backbone"] if hasattr(model, "checkpoint_config") else "vgg16",
        "outputStride": 32,
        "classes": [{"name": c["name"], "color": c["color_rgb"]} for c in classes if not c["ignore"]],
        "mean": list(MEAN),
        "std": list(STD),
        "resolution": resolution,
        "quantization": quantization,
    }
    if resolution is None:
        # The scale the net was trained at: CamVid frames. Larger photos run brought down to it
        # (models/runtime/tensor.ts inferenceSize); objects many times larger were never seen.
        meta["referencePixels"] = REFERENCE_PIXELS
        if input_scale != 1.0:
            # A net trained with wide scale jitter reads the scene better enlarged (tensor.ts).
            meta["inputScale"] = input_scale
    elif input_scale != 1.0:
        raise ValueError("--input-scale is for models that run at the image's size, not a fixed --resolution")
    if with_coarse or runtime_upsample:
        meta["coarse"] = {"stride": model.stride, "offset": int(np.floor(maps[finest].offset + 0.5))}
    if runtime_upsample:
        if not is_fixed_bilinear(model.upscore):
            raise ValueError("the last upsampling is not the fixed bilinear deconvolution; keep it in the graph")
        meta["upsample"] = {"factor": model.stride, "crop": int(model.crop_final)}
    cfg = getattr(model, "checkpoint_config", {})
    # The split, as given: a cross-drive checkpoint trained on it less its heldOutDrive.drive.
    meta["trainedOn"] = cfg.get("train_split", "train")
    meta.update(getattr(model, "checkpoint_scores", {}))
    return meta


def grouped_upsampler(layer: nn.ConvTranspose2d) -> nn.ConvTranspose2d:
    """The fixed bilinear deconv is diagonal (class c only feeds class c): store it as a grouped
    deconv with C kernels instead of C*C, the same function at 1/C of the bytes."""
    c = layer.in_channels
    w = layer.weight.detach()
    eye = torch.eye(c, dtype=torch.bool)[:, :, None, None].expand_as(w)
    if w[~eye].abs().max() > 0:
        return layer
    grouped = nn.ConvTranspose2d(c, c, layer.kernel_size, stride=layer.stride, groups=c, bias=False)
    with torch.no_grad():
        grouped.weight.copy_(torch.stack([w[i, i] for i in range(c)])[:, None])
    return grouped


def export(model: FCN, out: Path, meta: dict, with_coarse: bool) -> None:
    """Write the ONNX graph; with ``meta["upsample"]`` it stops at ``coarse``."""
    model = fuse_batchnorm(model.eval())
    model.upscore = grouped_upsampler(model.upscore)
    kind = "coarse" if "upsample" in meta else "both" if with_coarse else "logits"
    wrapper = ExportWrapper(model, kind).eval()
    outputs = list(OUTPUTS[kind])
    dynamic = {"image": {0: "batch", 2: "height", 3: "width"}}
    if "logits" in outputs:
        dynamic["logits"] = {0: "batch", 2: "height", 3: "width"}
    if "coarse" in outputs:
        dynamic["coarse"] = {0: "batch", 2: "coarse_height", 3: "coarse_width"}
    with torch.no_grad():
        torch.onnx.export(wrapper, torch.zeros(1, 3, 96, 128), str(out), input_names=["image"], output_names=outputs,
                          dynamic_axes=dynamic, opset_version=13, do_constant_folding=True)
    add_metadata(out, meta)


@contextlib.contextmanager
def written_whole(out: Path):
    """Yield a scratch path beside ``out``, moved onto ``out`` only when the block finishes.
    A model file takes several writes (graph, metadata, fp16 weights or int8 ops), and a process
    killed between them (a session's stop ends the training lanes' scoring) must not leave a
    file that passes for a finished model: the fold scoring reuses whatever model file it finds."""
    partial = out.with_name(out.name + ".partial")
    try:
        yield partial
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def add_metadata(path: Path, meta: dict) -> None:
    proto = onnx.load(str(path))
    del proto.metadata_props[:]
    entry = proto.metadata_props.add()
    entry.key, entry.value = "fcn", json.dumps(meta)
    proto.producer_name = "fcn-segmentation"
    onnx.save(proto, str(path))


def fp16_weights(path: Path, min_elements: int = 256) -> None:
    """Store the graph's float weights in fp16, each cast back to fp32 where it is read: half
    the file for the same fp32 arithmetic (onnxruntime folds the casts when it loads the model,
    on CPU and CUDA alike), which is how a wider FCN-8s fits the 16 MB model budget. Tensors
    under ``min_elements`` (biases, shapes) stay fp32: they weigh nothing."""
    proto = onnx.load(str(path))
    graph = proto.graph
    kept, casts = [], []
    for init in graph.initializer:
        if init.data_type != onnx.TensorProto.FLOAT or np.prod(init.dims) < min_elements:
            kept.append(init)
            continue
        array = numpy_helper.to_array(init)
        if np.abs(array).max() > np.finfo(np.float16).max:
            raise ValueError(f"{init.name} has weights beyond fp16's range")
        kept.append(numpy_helper.from_array(array.astype(np.float16), f"{init.name}_fp16"))
        casts.append(onnx.helper.make_node("Cast", [f"{init.name}_fp16"], [init.name], to=onnx.TensorProto.FLOAT,
                                           name=f"{init.name}_to_fp32"))
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = casts + list(graph.node)  # casts first: every node after them may read their outputs
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))


def parity(model: FCN, onnx_path: Path, height: int = 360, width: int = 480, seed: int = 0) -> float:
    """Max |logit difference| between PyTorch and onnxruntime-node on one random input."""
    x = torch.from_numpy(np.random.default_rng(seed).standard_normal((1, 3, height, width)).astype(np.float32))
    with torch.no_grad():
        expected = model.eval()(x).numpy()
    with tempfile.TemporaryDirectory() as tmp:
        x.numpy().tofile(f"{tmp}/input.bin")
        expected.tofile(f"{tmp}/expected.bin")
        env = dict(os.environ, PATH=f"{REPO / 'node_modules' / '.bin'}:{os.environ['PATH']}")
        result = subprocess.run(["node", str(REPO / "cli" / "fcn.js"), "parity", "--model", str(onnx_path),
                                 "--input", f"{tmp}/input.bin", "--expected", f"{tmp}/expected.bin",
                                 "--shape", f"1,3,{height},{width}", "--json"],
                                capture_output=True, text=True, env=env, check=True)
    return float(json.loads(result.stdout)["maxAbsDiff"])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--id", required=True, help="model id reported by the API, e.g. fcn8s-vgg16-w025")
    p.add_argument("--resolution", type=int, nargs=2, metavar=("WIDTH", "HEIGHT"),
                   help="resize inputs to this size before inference (default: run at the input's size)")
    p.add_argument("--coarse", action="store_true", help="also output the coarse scores (shift-and-stitch)")
    p.add_argument("--runtime-upsample", action="store_true",
                   help="stop the graph at the coarse scores and leave the fixed bilinear deconvolution "
                        "to the runtime (models/runtime/upsample.ts): faster in onnxruntime-web")
    p.add_argument("--recipe-run", type=Path, metavar="CHECKPOINT",
                   help="for a model trained on train+val: the same recipe's --holdout-drive checkpoint "
                        "(its last.pt: the epoch the model kept), whose held-out-drive and val scores the "
                        "metadata reports")
    p.add_argument("--weights", choices=("fp32", "fp16"), default="fp32",
                   help="storage of the weights; fp16 halves the file (GPU tier), arithmetic stays fp32")
    p.add_argument("--input-scale", type=float, default=1.0,
                   help="run images this much larger than the reference size (metadata inputScale; choose "
                        "it on the held-out drive with `npx fcn eval --input-scale`)")
    p.add_argument("--skip-parity", action="store_true")
    a = p.parse_args(argv)
    model = load_checkpoint(a.checkpoint, a.recipe_run)
    resolution = {"width": a.resolution[0], "height": a.resolution[1]} if a.resolution else None
    if not 0.25 <= a.input_scale <= 4:
        p.error("--input-scale must be from 0.25 to 4")
    meta = metadata(model, a.id, resolution, a.weights, a.coarse, a.runtime_upsample, a.input_scale)
    with written_whole(a.out) as partial:
        export(model, partial, meta, a.coarse)
        if a.weights == "fp16":
            fp16_weights(partial)
    print(f"wrote {a.out} ({a.out.stat().st_size / 1e6:.2f} MB)")
    # The Worker describes the GPU tier's model from this copy (worker/inference/jobs-model.ts).
    sidecar = a.out.with_suffix(".meta.json")
    sidecar.write_text(json.dumps({**meta, "bytes": a.out.stat().st_size}, indent=2) + "\n")
    if not a.skip_parity:
        ref = load_checkpoint(a.checkpoint)
        print(f"parity onnxruntime-node vs PyTorch: max |logit diff| = {parity(ref, a.out):.3e}")


if __name__ == "__main__":
    main()
