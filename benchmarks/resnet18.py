"""ResNet-18 in torchvision's exact topology, built with onnx.helper (no torch), for the
memory benchmarks (benchmarks/RESULTS.md, "Memory").

    .venv/bin/python benchmarks/resnet18.py [SIZE ...]   # default: 64 224
    # writes benchmarks/out/models/resnet18_<SIZE>.onnx and resnet18_<SIZE>.input.npy

What `torch.onnx.export(torchvision.models.resnet18().eval(), ...)` at opset 17 writes,
with BatchNorm folded into the convolutions as the exporter folds it in eval mode: a 7x7
stride-2 stem convolution (3-64) + Relu, a 3x3 stride-2 MaxPool (pad 1), four stages of
two BasicBlocks (64, 128, 256, 512 channels; the first block of stages 2-4 strides by 2
and adds a 1x1 stride-2 convolution on its shortcut), GlobalAveragePool, Flatten and a
Gemm 512-1000: 11,684,712 weights. Random weights from a fixed seed, He-initialised by
fan-out as torchvision does (folded BatchNorm with its initial statistics scales by
1/sqrt(1 + 1e-5), which this leaves out), biases zero as the fold of a fresh BatchNorm.
torch is not used because its wheel brings gigabytes of dependencies the project does
not need; the graph is the same op for op.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = ROOT / "benchmarks" / "out" / "models"
OPSET = 17
SEED = 20261207


class ResNetBuilder:
    """Nodes and initializers of a ResNet graph, named as the torch exporter names them."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.weights = 0

    def conv(self, name: str, x: str, c_in: int, c_out: int, k: int, stride: int,
             pad: int) -> str:
        """Conv with folded BatchNorm: weight He-normal by fan-out, zero bias."""
        w = self.rng.normal(0.0, np.sqrt(2.0 / (c_out * k * k)),
                            size=(c_out, c_in, k, k)).astype(np.float32)
        b = np.zeros(c_out, np.float32)
        self.inits += [numpy_helper.from_array(w, f"{name}.weight"),
                       numpy_helper.from_array(b, f"{name}.bias")]
        self.weights += w.size + b.size
        self.nodes.append(helper.make_node(
            "Conv", [x, f"{name}.weight", f"{name}.bias"], [f"{name}_out"], name=name,
            kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4, dilations=[1, 1],
            group=1))
        return f"{name}_out"

    def op(self, kind: str, name: str, inputs: list[str], **attrs) -> str:
        self.nodes.append(helper.make_node(kind, inputs, [f"{name}_out"], name=name, **attrs))
        return f"{name}_out"

    def block(self, name: str, x: str, c_in: int, c_out: int, stride: int) -> str:
        """torchvision BasicBlock: conv3x3-relu-conv3x3, plus the (downsampled) shortcut."""
        y = self.op("Relu", f"{name}.relu1", [self.conv(f"{name}.conv1", x, c_in, c_out, 3,
                                                        stride, 1)])
        y = self.conv(f"{name}.conv2", y, c_out, c_out, 3, 1, 1)
        short = x
        if stride != 1 or c_in != c_out:
            short = self.conv(f"{name}.downsample", x, c_in, c_out, 1, stride, 0)
        return self.op("Relu", f"{name}.relu2", [self.op("Add", f"{name}.add", [y, short])])

    def gemm(self, name: str, x: str, n_in: int, n_out: int) -> str:
        """torch Linear: uniform(-1/sqrt(n_in), 1/sqrt(n_in)) weight and bias."""
        bound = 1.0 / np.sqrt(n_in)
        w = self.rng.uniform(-bound, bound, size=(n_out, n_in)).astype(np.float32)
        b = self.rng.uniform(-bound, bound, size=(n_out,)).astype(np.float32)
        self.inits += [numpy_helper.from_array(w, f"{name}.weight"),
                       numpy_helper.from_array(b, f"{name}.bias")]
        self.weights += w.size + b.size
        return self.op("Gemm", name, [x, f"{name}.weight", f"{name}.bias"], alpha=1.0, beta=1.0,
                       transA=0, transB=1)


def resnet18(size: int) -> onnx.ModelProto:
    """ResNet-18 for a [1, 3, size, size] input, 1000 logits."""
    b = ResNetBuilder(SEED)
    x = b.op("Relu", "relu", [b.conv("conv1", "input", 3, 64, 7, 2, 3)])
    x = b.op("MaxPool", "maxpool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1] * 4,
             dilations=[1, 1], ceil_mode=0)
    c_in = 64
    for stage, c_out in enumerate((64, 128, 256, 512), start=1):
        for i in range(2):
            stride = 2 if stage > 1 and i == 0 else 1
            x = b.block(f"layer{stage}.{i}", x, c_in, c_out, stride)
            c_in = c_out
    x = b.op("Flatten", "flatten", [b.op("GlobalAveragePool", "avgpool", [x])], axis=1)
    x = b.gemm("fc", x, 512, 1000)
    b.nodes[-1].output[0] = "output"
    graph = helper.make_graph(
        b.nodes, "resnet18",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1000])],
        initializer=b.inits)
    model = helper.make_model(graph, producer_name="zkml-benchmarks",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    # torchvision's 11,689,512 parameters less one per BatchNorm channel (4,800): each
    # BatchNorm's scale and shift fold into its convolution's weight and a bias
    assert b.weights == 11_684_712, b.weights
    return model


def main(argv: list[str]) -> None:
    """Write the models and one sample input each (uniform [-1, 1], fixed seed)."""
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    for size in [int(a) for a in argv] or [64, 224]:
        path = MODELS_DIR / f"resnet18_{size}.onnx"
        onnx.save(resnet18(size), path)
        x = np.random.default_rng(size).uniform(-1, 1, (1, 3, size, size)).astype(np.float32)
        np.save(MODELS_DIR / f"resnet18_{size}.input.npy", x)
        print(path)


if __name__ == "__main__":
    main(sys.argv[1:])
