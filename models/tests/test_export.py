"""Export and quantisation on tiny shapes: a graph that stops at the coarse scores still
means the same logits once the runtime adds the bilinear deconvolution, leading convolutions
can stay float, VGG graphs quantise as the shipped edge model was made, and a ResNet's residual
blocks quantise into what onnxruntime fuses (run in onnxruntime-node against the fp32 graph)."""

import copy
import json
import os
import subprocess
import tempfile
import unittest
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from fcn.export import (REFERENCE_PIXELS, REPO, ExportWrapper, export, fp16_weights, is_fixed_bilinear, metadata,
                        parity, reported_scores, written_whole)
from fcn.backbones import BasicBlock
from fcn.data import normalize
from fcn.fcn import fcn8s, fcn32s, fuse_batchnorm
from fcn.quantize import calibrate, calibrated_range, calibration_frames, quantize, quantised_activations
from tests.needs_camvid import needs_camvid

TINY = dict(width=1 / 16, fc_channels=64, dropout=0.0)
META = {"id": "tiny", "classes": [{"name": str(i), "color": [i, i, i]} for i in range(11)],
        "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25], "resolution": None, "quantization": "fp32"}


def deconv_taps(coarse_len: int, out_len: int, factor: int, crop: int) -> np.ndarray:
    """(out_len, coarse_len) matrix of the 1-D bilinear deconvolution plus crop; the same rule
    as models/runtime/upsample.ts, written as a matrix."""
    m = np.zeros((out_len, coarse_len))
    for y in range(out_len):
        t = y + crop
        for j in range(coarse_len):
            k = t - j * factor
            if 0 <= k < 2 * factor:
                m[y, j] = 1 - abs(k - (factor - 0.5)) / factor
    return m


class RuntimeUpsampleTest(unittest.TestCase):
    def test_coarse_scores_plus_runtime_deconv_equal_the_logits(self):
        torch.manual_seed(0)
        for build in (fcn32s, fcn8s):
            net = fuse_batchnorm(build(**TINY).eval())
            x = torch.randn(1, 3, 75, 101)
            with torch.no_grad():
                logits = net(x).numpy()[0]
                coarse = ExportWrapper(net, "coarse")(x).numpy()[0]
            ty = deconv_taps(coarse.shape[1], 75, net.stride, net.crop_final)
            tx = deconv_taps(coarse.shape[2], 101, net.stride, net.crop_final)
            rebuilt = np.einsum("yj,cji,xi->cyx", ty, coarse, tx)
            np.testing.assert_allclose(rebuilt, logits, atol=1e-4, rtol=1e-4)

    def test_only_an_untouched_bilinear_layer_may_leave_the_graph(self):
        net = fcn32s(**TINY)
        self.assertTrue(is_fixed_bilinear(net.upscore))
        with torch.no_grad():
            net.upscore.weight[0, 0, 3, 3] += 0.01
        self.assertFalse(is_fixed_bilinear(net.upscore))

    def test_exported_graph_stops_at_coarse_and_matches_pytorch_through_the_cli(self):
        torch.manual_seed(0)
        net = fcn32s(**TINY).eval()
        meta = dict(META, upsample={"factor": 32, "crop": int(net.crop_final)}, coarse={"stride": 32, "offset": 16})
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "tiny.onnx"
            export(net, out, meta, with_coarse=False)
            proto = onnx.load(str(out))
            self.assertEqual([o.name for o in proto.graph.output], ["coarse"])
            self.assertNotIn("ConvTranspose", {n.op_type for n in proto.graph.node})
            self.assertEqual(json.loads(proto.metadata_props[0].value)["upsample"]["factor"], 32)
            if not (REPO / "node_modules" / ".bin" / "node").exists():
                self.skipTest("npm ci has not run: no onnxruntime-node for the parity check")
            # PyTorch logits vs onnxruntime coarse scores + upsample.ts, via `npx fcn parity`.
            self.assertLess(parity(net, out, height=64, width=96), 1e-4)


class Fp16WeightsTest(unittest.TestCase):
    MIN_ELEMENTS = 256  # tensors below this stay fp32

    def test_fp16_weights_halve_the_file_and_compute_as_the_rounded_net(self):
        torch.manual_seed(0)
        net = fcn8s(**TINY).eval()
        with torch.no_grad():  # score layers start at zero (as in the paper): give the logits a size
            for name, p in net.named_parameters():
                if name.startswith("score"):
                    p.normal_(0, 0.5)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "tiny.onnx"
            export(net, out, dict(META, quantization="fp16"), with_coarse=False)
            fp32_bytes = out.stat().st_size
            fp16_weights(out, min_elements=self.MIN_ELEMENTS)
            self.assertLess(out.stat().st_size, 0.6 * fp32_bytes)
            proto = onnx.load(str(out))
            self.assertEqual(json.loads(proto.metadata_props[0].value)["quantization"], "fp16")
            big = [i for i in proto.graph.initializer if np.prod(i.dims) >= self.MIN_ELEMENTS]
            self.assertTrue(big)
            self.assertTrue(all(i.data_type == onnx.TensorProto.FLOAT16 for i in big))
            if not (REPO / "node_modules" / ".bin" / "node").exists():
                self.skipTest("npm ci has not run: no onnxruntime-node for the parity check")
            # onnxruntime-node must compute exactly what PyTorch does with the same weights
            # rounded to fp16: the casts put every weight back where it was read. (Against the
            # unrounded net the difference is about 7e-6 here.)
            rounded = copy.deepcopy(net)  # as exported: export() fuses BatchNorm into net
            with torch.no_grad():
                for p in rounded.parameters():
                    if p.numel() >= self.MIN_ELEMENTS:
                        p.copy_(p.half().float())
            self.assertLess(parity(rounded, out, height=64, width=96), 2e-6)


class WrittenWholeTest(unittest.TestCase):
    """A model file appears only once every write to it is done (export, then fp16 weights)."""

    def test_a_write_cut_short_leaves_the_previous_model_and_no_scratch_file(self):
        net = fcn32s(**TINY).eval()
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "fold.onnx"
            out.write_bytes(b"previous model")
            with self.assertRaises(KeyboardInterrupt), written_whole(out) as partial:
                export(net, partial, META, with_coarse=False)
                raise KeyboardInterrupt  # killed before the fp16 weights were written
            self.assertEqual(out.read_bytes(), b"previous model")
            self.assertEqual(sorted(p.name for p in Path(tmp).iterdir()), ["fold.onnx"])

    def test_a_finished_write_replaces_the_model(self):
        net = fcn32s(**TINY).eval()
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "fold.onnx"
            with written_whole(out) as partial:
                export(net, partial, META, with_coarse=False)
                fp16_weights(partial)
            self.assertEqual(sorted(p.name for p in Path(tmp).iterdir()), ["fold.onnx"])
            self.assertEqual(json.loads(onnx.load(str(out)).metadata_props[0].value)["id"], "tiny")


class InceptionExportTest(unittest.TestCase):
    def test_inception_fcn8s_exports_with_dynamic_sizes(self):
        torch.manual_seed(0)
        net = fcn8s(backbone="inception", **TINY).eval()
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "inception.onnx"
            export(net, out, dict(META, coarse={"stride": 8, "offset": 4}), with_coarse=True)
            proto = onnx.load(str(out))
            onnx.checker.check_model(proto)
            self.assertEqual([o.name for o in proto.graph.output], ["logits", "coarse"])
            ops = {n.op_type for n in proto.graph.node}
            self.assertIn("Concat", ops)  # the inception branches
            self.assertNotIn("BatchNormalization", ops)  # folded into the convs
            if not (REPO / "node_modules" / ".bin" / "node").exists():
                self.skipTest("npm ci has not run: no onnxruntime-node for the parity check")
            self.assertLess(parity(net, out, height=45, width=61), 1e-4)


class ResNetExportTest(unittest.TestCase):
    def test_resnet18_fcn8s_exports_and_matches_pytorch_in_onnxruntime(self):
        torch.manual_seed(0)
        net = fcn8s(backbone="resnet18", **TINY).train()
        net(torch.randn(2, 3, 64, 64))  # non-trivial BatchNorm statistics to fold
        with torch.no_grad():  # skip scores start at zero: let both skips reach the logits
            for name, p in net.named_parameters():
                if name.startswith("score"):
                    p.normal_(0, 0.5)
        net.eval()
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "resnet18.onnx"
            export(net, out, dict(META, coarse={"stride": 8, "offset": 4}), with_coarse=True)
            proto = onnx.load(str(out))
            onnx.checker.check_model(proto)
            self.assertEqual([o.name for o in proto.graph.output], ["logits", "coarse"])
            ops = [n.op_type for n in proto.graph.node]
            # The residual sums, one per basic block, and the two skip sums of FCN-8s (the crops'
            # dynamic slice ends add more).
            self.assertGreaterEqual(ops.count("Add"), sum(net.backbone.LAYOUTS[18]) + 2)
            self.assertNotIn("BatchNormalization", ops)  # folded into the convs
            if not (REPO / "node_modules" / ".bin" / "node").exists():
                self.skipTest("npm ci has not run: no onnxruntime-node for the parity check")
            self.assertLess(parity(net, out, height=45, width=61), 1e-4)


class FloatConvsTest(unittest.TestCase):
    def test_first_convs_keep_float_weights(self):
        def tiny():
            torch.manual_seed(0)
            net = fcn32s(**TINY).train()
            net(torch.randn(2, 3, 64, 64))  # distinct BN statistics, so no two biases are equal
            return net.eval()             # (the exporter would merge equal ones)

        net = fuse_batchnorm(tiny())
        ranges = {"image": (-2.0, 2.0), "relu": [(0.0, 4.0)] * 20}
        with tempfile.TemporaryDirectory() as tmp:
            fp32, q = Path(tmp) / "fp32.onnx", Path(tmp) / "q.onnx"
            export(tiny(), fp32, META, with_coarse=False)
            quantize(fp32, net, ranges, q, float_convs=2)
            graph = onnx.load(str(q)).graph
        inits = {t.name for t in graph.initializer}
        convs = [n for n in graph.node if n.op_type == "Conv"]
        self.assertTrue(all(c.input[1] in inits for c in convs[:2]), "first two convs read float weights")
        self.assertTrue(all(c.input[1].endswith("_dq") for c in convs[2:13]), "the rest read int8 weights")
        self.assertNotIn("image_Q", {n.name for n in graph.node})


def _tiny_trained_bn(backbone: str, seed: int = 0):
    """A tiny FCN-32s in eval mode whose BatchNorms hold statistics of one training batch (so
    no two folded biases are equal: the exporter would merge equal ones)."""
    torch.manual_seed(seed)
    net = fcn32s(backbone=backbone, **TINY).train()
    net(torch.randn(2, 3, 64, 64))
    return net.eval()


def _by_output(graph) -> dict:
    return {o: n for n in graph.node for o in n.output}


class VggQdqLayoutTest(unittest.TestCase):
    """The VGG layouts quantise as the shipped edge model was made: written from the rule in
    quantize.py's docstring (each conv -> ReLU [-> max pool]), not from the quantiser's code."""

    RANGES = {"image": (-2.0, 2.0), "relu": [(0.0, 4.0)] * 20}

    def expected_quantised_tensors(self, fp32_graph, float_convs: int) -> set:
        after = {}
        for n in fp32_graph.node:
            for x in n.input:
                after.setdefault(x, []).append(n)
        convs = [n for n in fp32_graph.node if n.op_type == "Conv"][:13 + 2]  # 13 VGG convs, fc6, fc7
        want = set()
        for k, conv in enumerate(convs):
            (relu,) = after[conv.output[0]]
            pools = [p.output[0] for p in after.get(relu.output[0], []) if p.op_type == "MaxPool"]
            if k == float_convs - 1:
                want.add((pools or [relu.output[0]])[0])  # what the first int8 conv reads
            elif k >= float_convs:
                want.update([relu.output[0], *pools])
        if float_convs == 0:
            want.add("image")
        return want

    def check(self, backbone: str, float_convs: int):
        with tempfile.TemporaryDirectory() as tmp:
            fp32, q = Path(tmp) / "fp32.onnx", Path(tmp) / "q.onnx"
            export(_tiny_trained_bn(backbone), fp32, META, with_coarse=False)
            quantize(fp32, fuse_batchnorm(_tiny_trained_bn(backbone)), self.RANGES, q, float_convs=float_convs)
            fp32_graph, graph = onnx.load(str(fp32)).graph, onnx.load(str(q)).graph
        qs = [n for n in graph.node if n.op_type == "QuantizeLinear"]
        dqs = [n for n in graph.node if n.op_type == "DequantizeLinear"]
        self.assertEqual({n.input[0] for n in qs}, self.expected_quantised_tensors(fp32_graph, float_convs))
        convs = [n for n in graph.node if n.op_type == "Conv"]
        backbone_convs, score = convs[:15], convs[15]
        dq_out = {n.output[0] for n in dqs}
        for k, conv in enumerate(backbone_convs):
            reads = [x in dq_out for x in conv.input]
            self.assertEqual(reads, [k >= float_convs] * 3, f"conv {k}: input, weights, bias")
        self.assertEqual([x in dq_out for x in score.input], [True, False, False], "score layer: float weights")
        # Every activation pair: a Q and a DQ; every int8 conv: a DQ for its weights and its bias.
        self.assertEqual(len(dqs), len(qs) + 2 * (15 - float_convs))
        self.assertEqual(len(graph.node), len(fp32_graph.node) + len(qs) + len(dqs))

    def test_vgg16_all_int8(self):
        self.check("vgg16", 0)

    def test_vgg16_first_two_convs_float(self):
        self.check("vgg16", 2)

    def test_strided_stem_first_three_convs_float_as_shipped(self):
        self.check("vgg16-strided-stem", 3)


def run_onnxruntime(model: Path, x: np.ndarray, tmp: Path, optimized: Path | None = None) -> dict:
    """Outputs of ``model`` on ``x`` in onnxruntime-node (tests/ort_run.mjs), by output name;
    with ``optimized``, the graph onnxruntime runs after its fusions is saved there."""
    if not (REPO / "node_modules" / ".bin" / "node").exists():
        raise unittest.SkipTest("npm ci has not run: no onnxruntime-node to run the graphs")
    x = np.ascontiguousarray(x, dtype=np.float32)
    x.tofile(tmp / "input.bin")
    out = tmp / f"{model.stem}-out"
    out.mkdir()
    env = dict(os.environ, PATH=f"{REPO / 'node_modules' / '.bin'}:{os.environ['PATH']}")
    args = ["node", str(Path(__file__).parent / "ort_run.mjs"), str(model), str(tmp / "input.bin"),
            ",".join(map(str, x.shape)), str(out)] + ([str(optimized)] if optimized else [])
    shapes = json.loads(subprocess.run(args, capture_output=True, text=True, env=env, check=True).stdout)
    return {name: np.fromfile(out / f"{name}.bin", dtype=np.float32).reshape(dims) for name, dims in shapes.items()}


def smooth_images(n: int, height: int, width: int, seed: int) -> torch.Tensor:
    """uint8 images (n, 3, H, W) of smooth random colour fields: regions, as in photos, so the
    logits' argmax is not decided by pixel noise."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand(n, 3, max(1, height // 8), max(1, width // 8), generator=g)
    return (torch.nn.functional.interpolate(coarse, size=(height, width), mode="bilinear", align_corners=False)
            * 255).round().to(torch.uint8)


class ResNetQuantizeTest(unittest.TestCase):
    """A ResNet FCN-32s (basic blocks: conv2 and the 1x1 shortcut feed a residual Add)
    quantises into the QDQ form onnxruntime fuses into QLinearConv and QLinearAdd, and its int8
    argmax agrees with the fp32 graph's, both run in onnxruntime-node."""

    FLOAT_CONVS = 3  # the edge's setting: stem conv 1 and 2 and stage 1's first conv stay float

    @staticmethod
    def tiny_resnet() -> torch.nn.Module:
        """Random weights with He initialisation, and BatchNorm statistics measured on images
        (then a random affine part): every layer carries signal to the logits, which differ
        from pixel to pixel. (PyTorch's default initialisation leaves a net this deep with
        constant logits, where int8 and fp32 agree trivially.)"""
        torch.manual_seed(0)
        net = fcn32s(backbone="resnet18", **TINY)
        for m in net.modules():
            if isinstance(m, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            elif isinstance(m, torch.nn.BatchNorm2d):
                m.momentum = None  # running statistics: the plain average over the batches below
        with torch.no_grad():
            net.train()(normalize(smooth_images(8, 48, 64, seed=0).float()))
            for m in net.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.normal_(0, 0.2)
        return net.eval()

    @classmethod
    def setUpClass(cls):
        cls.tmp_dir = tempfile.TemporaryDirectory()
        tmp = Path(cls.tmp_dir.name)
        cls.fp32, cls.int8 = tmp / "fp32.onnx", tmp / "int8.onnx"
        export(cls.tiny_resnet(), cls.fp32, META, with_coarse=False)
        cls.fused = fuse_batchnorm(cls.tiny_resnet())
        ranges = calibrate(cls.fused, smooth_images(16, 48, 64, seed=1), (48, 64))
        quantize(cls.fp32, cls.fused, ranges, cls.int8, float_convs=cls.FLOAT_CONVS)
        cls.graph = onnx.load(str(cls.int8)).graph
        cls.blocks = sum(isinstance(m, BasicBlock) for m in cls.fused.modules())
        cls.backbone_convs = sum(isinstance(m, torch.nn.Conv2d) for m in cls.fused.backbone.modules())

    @classmethod
    def tearDownClass(cls):
        cls.tmp_dir.cleanup()

    def test_convs_and_residual_sums_are_wrapped_in_q_dq(self):
        made_by = {o: n for n in self.graph.node for o in n.output}
        readers = {}
        for n in self.graph.node:
            for x in n.input:
                readers.setdefault(x, []).append(n)
        op = lambda tensor: made_by[tensor].op_type if tensor in made_by else None  # noqa: E731 (initializer, input)
        read_by = lambda tensor: [n.op_type for n in readers.get(tensor, [])]  # noqa: E731
        inits = {t.name: numpy_helper.to_array(t) for t in self.graph.initializer}

        def assert_quantised_with_zero_point_0(tensor):
            (q,) = readers[tensor]
            self.assertEqual(q.op_type, "QuantizeLinear")
            self.assertEqual(int(inits[q.input[2]]), 0, "zero point 0: onnxruntime drops the ReLU before it")

        convs = [n for n in self.graph.node if n.op_type == "Conv"][: self.backbone_convs]
        for k, conv in enumerate(convs[: self.FLOAT_CONVS]):
            self.assertNotIn("DequantizeLinear", [op(x) for x in conv.input], f"float conv {k} reads float")
        for k, conv in enumerate(convs[self.FLOAT_CONVS :], start=self.FLOAT_CONVS):
            self.assertEqual([op(x) for x in conv.input], ["DequantizeLinear"] * 3, f"conv {k}: input, weights, bias")
            # Into a Q of its own where it feeds a residual sum, else through the ReLU into one.
            self.assertIn(read_by(conv.output[0]), (["QuantizeLinear"], ["Relu"]), f"conv {k}")
            if read_by(conv.output[0]) == ["Relu"]:
                assert_quantised_with_zero_point_0(readers[conv.output[0]][0].output[0])
        residual = [n for n in self.graph.node if n.op_type == "Add" and op(n.input[0]) == "DequantizeLinear"]
        self.assertEqual(len(residual), self.blocks, "one residual sum per basic block")
        for add in residual:
            self.assertEqual([op(x) for x in add.input], ["DequantizeLinear"] * 2)
            self.assertEqual(read_by(add.output[0]), ["Relu"])
            assert_quantised_with_zero_point_0(readers[add.output[0]][0].output[0])
        # Stage 1's input feeds the last float conv, which reads it unrounded, and the first
        # residual sum, which reads it through Q/DQ.
        stage_input = convs[self.FLOAT_CONVS - 1].input[0]
        self.assertEqual(sorted(read_by(stage_input)), ["Conv", "QuantizeLinear"])

    def test_onnxruntime_fuses_them_into_qlinear_ops(self):
        with tempfile.TemporaryDirectory() as tmp:
            optimized = Path(tmp) / "optimized.onnx"
            run_onnxruntime(self.int8, smooth_images(1, 48, 64, seed=2).float().numpy(), Path(tmp), optimized)
            ops = [n.op_type for n in onnx.load(str(optimized)).graph.node]
        self.assertEqual(ops.count("QLinearConv"), self.backbone_convs - self.FLOAT_CONVS)
        self.assertEqual(ops.count("QLinearAdd"), self.blocks)
        self.assertEqual(ops.count("Relu"), 0)

    def test_every_int8_conv_fuses_wherever_the_float_convs_stop(self):
        # 0: the image is quantised; 4: the last float conv is stage 1's second, which feeds a
        # residual sum: that sum stays float, the next block's convs and sum are int8.
        for float_convs, float_sums in ((0, 0), (4, 1)):
            with self.subTest(float_convs=float_convs), tempfile.TemporaryDirectory() as tmp:
                int8, optimized = Path(tmp) / "int8.onnx", Path(tmp) / "optimized.onnx"
                ranges = calibrate(self.fused, smooth_images(4, 48, 64, seed=1), (48, 64))
                quantize(self.fp32, self.fused, ranges, int8, float_convs=float_convs)
                run_onnxruntime(int8, smooth_images(1, 48, 64, seed=2).float().numpy(), Path(tmp), optimized)
                ops = [n.op_type for n in onnx.load(str(optimized)).graph.node]
                self.assertEqual(ops.count("QLinearConv"), self.backbone_convs - float_convs)
                self.assertEqual(ops.count("QLinearAdd"), self.blocks - float_sums)

    def test_int8_argmax_agrees_with_fp32_in_onnxruntime(self):
        x = normalize(smooth_images(2, 48, 64, seed=3).float())
        with tempfile.TemporaryDirectory() as tmp:
            fp32 = run_onnxruntime(self.fp32, x.numpy(), Path(tmp))["logits"]
            int8 = run_onnxruntime(self.int8, x.numpy(), Path(tmp))["logits"]
        self.assertGreaterEqual(len(np.unique(fp32.argmax(1))), 3, "the fp32 net must not be trivial")
        # A random net's classes are close calls: here 88% of the pixels agree, where tiny
        # random VGG nets under the shipped quantiser agree on 92-99%. A wrong scale or a
        # missing Q/DQ would break the logits themselves (correlation 0.99 here).
        self.assertGreater(np.corrcoef(fp32.ravel(), int8.ravel())[0, 1], 0.97)
        agree = float((fp32.argmax(1) == int8.argmax(1)).mean())
        self.assertGreater(agree, 0.8, f"int8 argmax agrees with fp32 on {agree:.1%} of the pixels")


def toy_graph(*nodes) -> onnx.GraphProto:
    """A graph of (op_type, inputs, output) triples, structure only: what the placement
    helpers read."""
    return onnx.helper.make_graph([onnx.helper.make_node(op, list(ins), [out], name=out) for op, ins, out in nodes],
                                  "toy", [], [])


class QdqPlacementHelpersTest(unittest.TestCase):
    # A stem conv, then a basic block whose width changes: conv1 -> relu, conv2 and the 1x1
    # shortcut -> add -> relu -> pool, then a block with an identity shortcut.
    GRAPH = toy_graph(
        ("Conv", ["image", "w0"], "c0"), ("Relu", ["c0"], "r0"), ("MaxPool", ["r0"], "p0"),
        ("Conv", ["p0", "w1"], "c1"), ("Relu", ["c1"], "r1"), ("Conv", ["r1", "w2"], "c2"),
        ("Conv", ["p0", "w3"], "c3"), ("Add", ["c2", "c3"], "s1"), ("Relu", ["s1"], "r2"),
        ("MaxPool", ["r2"], "p2"),
        ("Conv", ["p2", "w4"], "c4"), ("Relu", ["c4"], "r3"), ("Conv", ["r3", "w5"], "c5"),
        ("Add", ["c5", "p2"], "s2"), ("Relu", ["s2"], "r4"))

    def convs(self):
        return [n for n in self.GRAPH.node if n.op_type == "Conv"]

    def test_each_int8_conv_gets_its_input_and_what_it_feeds_quantised(self):
        self.assertEqual(quantised_activations(self.GRAPH, self.convs(), 0),
                         ["image", "r0", "p0", "r1", "c2", "c3", "r2", "p2", "r3", "c5", "r4"])
        # One float conv: the first int8 conv reads the pooled activation, quantised there.
        self.assertEqual(quantised_activations(self.GRAPH, self.convs(), 1)[:2], ["p0", "r1"])
        # The block's input p0 feeds float conv c1 and the int8 shortcut c3: quantised for c3
        # (quantize keeps c1 reading it unrounded).
        self.assertEqual(quantised_activations(self.GRAPH, self.convs(), 2),
                         ["r1", "c2", "c3", "r2", "p2", "p0", "r3", "c5", "r4"])
        # The last float conv feeds a sum: that sum stays float, the next block starts int8.
        self.assertEqual(quantised_activations(self.GRAPH, self.convs(), 4), ["p2", "r3", "c5", "r4"])

    def test_a_conv_feeding_anything_but_a_relu_or_a_sum_is_refused(self):
        graph = toy_graph(("Conv", ["image", "w0"], "c0"), ("Sigmoid", ["c0"], "y"))
        with self.assertRaisesRegex(ValueError, "Sigmoid"):
            quantised_activations(graph, list(graph.node), 0)

    def test_ranges_come_from_the_relu_the_conv_or_the_image_behind_pools_and_pads(self):
        ranges = {"image": (-2.0, 2.0), "relu": [(0.0, i + 1.0) for i in range(5)],
                  "conv": [(-float(i), 1.0) for i in range(6)]}
        range_of = lambda t: calibrated_range(t, self.GRAPH, self.convs(), ranges)  # noqa: E731
        self.assertEqual(range_of("image"), (-2.0, 2.0))
        self.assertEqual(range_of("p0"), (0.0, 1.0))  # relu r0, the first Relu node
        self.assertEqual(range_of("r2"), (0.0, 3.0))  # the ReLU after the first sum: the third
        self.assertEqual(range_of("p2"), (0.0, 3.0))
        self.assertEqual(range_of("c3"), (-3.0, 1.0))  # the shortcut: the fourth conv
        self.assertEqual(range_of("c5"), (-5.0, 1.0))
        padded = toy_graph(("Pad", ["image", "pads"], "x"), ("Conv", ["x", "w0"], "c0"))
        self.assertEqual(calibrated_range("x", padded, [padded.node[1]], ranges), (-2.0, 2.0))
        with self.assertRaisesRegex(ValueError, "no calibrated range for s1"):
            range_of("s1")


class InputScaleTest(unittest.TestCase):
    @needs_camvid  # the classes come from the dataset's classes.json
    def test_written_only_when_the_net_runs_other_than_at_the_reference_size(self):
        model = fcn8s(**TINY)
        self.assertNotIn("inputScale", metadata(model, "m", None, "fp32", False))
        meta = metadata(model, "m", None, "fp32", False, input_scale=1.5)
        self.assertEqual((meta["inputScale"], meta["referencePixels"]), (1.5, REFERENCE_PIXELS))
        with self.assertRaisesRegex(ValueError, "fixed --resolution"):  # the edge's size is its size
            metadata(model, "m", {"width": 320, "height": 240}, "fp32", False, input_scale=1.5)


class CalibrationFramesTest(unittest.TestCase):
    def test_a_twin_is_calibrated_without_its_held_out_drive(self):
        self.assertEqual(calibration_frames({"train_split": "train", "holdout_drive": "0006R0"}), ("train", ["0006R0"]))
        self.assertEqual(calibration_frames({"train_split": "train+val", "holdout_drive": None}), ("train+val", []))
        self.assertEqual(calibration_frames({}), ("train", []))  # checkpoints from before the split was recorded


class ReportedScoresTest(unittest.TestCase):
    HELD = {"mean_iu": 0.35333, "pixel_accuracy": 0.79, "iu": [0.1] * 11}
    VAL = {"mean_iu": 0.5447, "pixel_accuracy": 0.88, "iu": [0.2] * 11}

    def test_a_cross_drive_checkpoint_reports_its_own_scores(self):
        state = {"config": {"holdout_drive": "0006R0", "train_split": "train"},
                 "scores": {"holdout": self.HELD, "val": self.VAL}, "val": self.VAL}
        self.assertEqual(reported_scores(state), {
            "val": {"mean_iu": 0.5447, "pixel_accuracy": 0.88},
            "heldOutDrive": {"drive": "0006R0", "mean_iu": 0.3533, "pixel_accuracy": 0.79}})

    def test_a_model_trained_on_every_frame_reports_its_recipes_held_out_run(self):
        shipped = {"config": {"train_split": "train+val"}, "scores": {}, "selected_by": "last epoch"}
        recipe = {"config": {"holdout_drive": "0006R0"}, "scores": {"holdout": self.HELD, "val": self.VAL}}
        self.assertEqual(reported_scores(shipped, recipe)["heldOutDrive"]["drive"], "0006R0")
        self.assertEqual(reported_scores(shipped, recipe)["val"]["mean_iu"], 0.5447)
        self.assertEqual(reported_scores(shipped), {})  # no recipe run: nothing it could honestly claim
        last = {"config": {"holdout_drive": "0006R0"}, "history": [{"epoch": 35}, {"epoch": 36, "scores": {
            "holdout": self.HELD, "val": self.VAL}}]}  # the twin's last.pt: the epoch the model kept
        self.assertEqual(reported_scores(shipped, last), reported_scores(shipped, recipe))

    def test_an_older_checkpoint_with_only_val_still_reports_it(self):
        self.assertEqual(reported_scores({"config": {}, "val": self.VAL}), {"val": {"mean_iu": 0.5447, "pixel_accuracy": 0.88}})


if __name__ == "__main__":
    unittest.main()
