"""Benchmark ONNX models, built deterministically with onnx.helper (no torch).

    .venv/bin/python benchmarks/models.py            # writes benchmarks/out/models/

Models (opset 17, every node named, every attribute explicit, weights He-initialised
from a fixed numpy seed so activations stay in range):

  mlp             784-256-256-10, Gemm + Relu, input [1, 784]          (269K params)
  lenet_avg       LeNet-style CNN, input [1, 1, 28, 28]: conv 5x5 (6 ch, pad 2) + Relu
                  + AveragePool 2x2, conv 5x5 (16 ch) + Relu + AveragePool 2x2,
                  Flatten, Gemm 400-10                                    (6.6K params)
  lenet_max       the same with MaxPool 2x2
  cnn1m           input [1, 3, 32, 32]: conv 3x3 3-32 + Relu + MaxPool, conv 3x3 32-64
                  + Relu + MaxPool, conv 3x3 64-64 + Relu, Flatten, Gemm 4096-224 + Relu,
                  Gemm 224-10                                              (976K params)

Each model gets `<name>.onnx` and a sample input `<name>.input.json` in EZKL's format,
`{"input_data": [[...flattened input...]]}`, with values in [0, 1).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = ROOT / "benchmarks" / "out" / "models"
OPSET = 17
IR_VERSION = 8  # the oldest IR that carries opset 17; peers bundle older ONNX runtimes
SEED = 20240601

MODEL_NAMES = ("mlp", "lenet_avg", "lenet_max", "cnn1m")


class Builder:
    """Collects nodes and initializers of a single-input, single-output graph."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []

    def weight(self, name: str, shape: tuple[int, ...], fan_in: int) -> str:
        """He-initialised float32 weight."""
        w = self.rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape).astype(np.float32)
        self.inits.append(numpy_helper.from_array(w, name))
        return name

    def bias(self, name: str, n: int) -> str:
        b = self.rng.normal(0.0, 0.01, size=(n,)).astype(np.float32)
        self.inits.append(numpy_helper.from_array(b, name))
        return name

    def gemm(self, name: str, x: str, n_in: int, n_out: int) -> str:
        """y = x @ W^T + b with W of shape [n_out, n_in] (PyTorch Linear layout)."""
        w = self.weight(f"{name}.weight", (n_out, n_in), n_in)
        b = self.bias(f"{name}.bias", n_out)
        self.nodes.append(
            helper.make_node(
                "Gemm", [x, w, b], [f"{name}_out"], name=name,
                alpha=1.0, beta=1.0, transA=0, transB=1,
            )
        )  # fmt: skip
        return f"{name}_out"

    def conv(self, name: str, x: str, c_in: int, c_out: int, k: int, pad: int) -> str:
        w = self.weight(f"{name}.weight", (c_out, c_in, k, k), c_in * k * k)
        b = self.bias(f"{name}.bias", c_out)
        self.nodes.append(
            helper.make_node(
                "Conv", [x, w, b], [f"{name}_out"], name=name,
                kernel_shape=[k, k], strides=[1, 1], pads=[pad, pad, pad, pad],
                dilations=[1, 1], group=1,
            )
        )  # fmt: skip
        return f"{name}_out"

    def relu(self, name: str, x: str) -> str:
        self.nodes.append(helper.make_node("Relu", [x], [f"{name}_out"], name=name))
        return f"{name}_out"

    def pool(self, name: str, x: str, kind: str) -> str:
        """2x2 pooling with stride 2, no padding; kind is 'avg' or 'max'."""
        attrs = dict(kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 0, 0], ceil_mode=0)
        if kind == "avg":
            node = helper.make_node(
                "AveragePool", [x], [f"{name}_out"], name=name, count_include_pad=0, **attrs
            )
        elif kind == "max":
            node = helper.make_node(
                "MaxPool", [x], [f"{name}_out"], name=name, dilations=[1, 1], **attrs
            )
        else:
            raise ValueError(f"unknown pooling kind {kind!r}")
        self.nodes.append(node)
        return f"{name}_out"

    def flatten(self, name: str, x: str) -> str:
        self.nodes.append(helper.make_node("Flatten", [x], [f"{name}_out"], name=name, axis=1))
        return f"{name}_out"

    def model(self, name: str, in_shape: list[int], out: str, n_out: int) -> onnx.ModelProto:
        assert self.nodes[-1].output[0] == out
        self.nodes[-1].output[0] = "output"  # the graph output is the last node's output
        graph = helper.make_graph(
            self.nodes,
            name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, in_shape)],
            [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, n_out])],
            initializer=self.inits,
        )
        m = helper.make_model(
            graph, producer_name="zkml-benchmarks", opset_imports=[helper.make_opsetid("", OPSET)]
        )
        m.ir_version = IR_VERSION
        onnx.checker.check_model(m, full_check=True)
        return m


def mlp() -> tuple[onnx.ModelProto, list[int]]:
    b = Builder(SEED)
    x = "input"
    x = b.relu("relu1", b.gemm("fc1", x, 784, 256))
    x = b.relu("relu2", b.gemm("fc2", x, 256, 256))
    x = b.gemm("fc3", x, 256, 10)
    return b.model("mlp", [1, 784], x, 10), [1, 784]


def lenet(pool_kind: str) -> tuple[onnx.ModelProto, list[int]]:
    b = Builder(SEED + 1)  # same weights for both pooling variants
    x = "input"
    x = b.pool("pool1", b.relu("relu1", b.conv("conv1", x, 1, 6, 5, pad=2)), pool_kind)
    x = b.pool("pool2", b.relu("relu2", b.conv("conv2", x, 6, 16, 5, pad=0)), pool_kind)
    x = b.gemm("fc", b.flatten("flatten", x), 16 * 5 * 5, 10)
    return b.model(f"lenet_{pool_kind}", [1, 1, 28, 28], x, 10), [1, 1, 28, 28]


def cnn1m() -> tuple[onnx.ModelProto, list[int]]:
    b = Builder(SEED + 2)
    x = "input"
    x = b.pool("pool1", b.relu("relu1", b.conv("conv1", x, 3, 32, 3, pad=1)), "max")
    x = b.pool("pool2", b.relu("relu2", b.conv("conv2", x, 32, 64, 3, pad=1)), "max")
    x = b.relu("relu3", b.conv("conv3", x, 64, 64, 3, pad=1))
    x = b.relu("relu4", b.gemm("fc1", b.flatten("flatten", x), 64 * 8 * 8, 224))
    x = b.gemm("fc2", x, 224, 10)
    return b.model("cnn1m", [1, 3, 32, 32], x, 10), [1, 3, 32, 32]


BUILDERS = {
    "mlp": mlp,
    "lenet_avg": lambda: lenet("avg"),
    "lenet_max": lambda: lenet("max"),
    "cnn1m": cnn1m,
}


def param_count(m: onnx.ModelProto) -> int:
    return sum(int(np.prod(t.dims)) for t in m.graph.initializer)


def sample_input(name: str, shape: list[int]) -> np.ndarray:
    rng = np.random.default_rng(SEED + 100 + MODEL_NAMES.index(name))
    return rng.random(size=shape).astype(np.float32)


def build(name: str, out_dir: Path = MODELS_DIR) -> tuple[Path, Path]:
    """Write `<name>.onnx` and `<name>.input.json`; return both paths."""
    m, shape = BUILDERS[name]()
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = out_dir / f"{name}.onnx"
    input_path = out_dir / f"{name}.input.json"
    onnx.save(m, model_path)
    x = sample_input(name, shape)
    # float32 -> Python float round-trips exactly through JSON.
    input_path.write_text(json.dumps({"input_data": [[float(v) for v in x.reshape(-1)]]}))
    return model_path, input_path


def build_all(out_dir: Path = MODELS_DIR) -> dict[str, tuple[Path, Path]]:
    return {name: build(name, out_dir) for name in MODEL_NAMES}


def main() -> int:
    names = sys.argv[1:] or list(MODEL_NAMES)
    for name in names:
        model_path, _ = build(name)
        n = param_count(onnx.load(model_path))
        print(f"{name:10s} {n:>9,d} params  {model_path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
