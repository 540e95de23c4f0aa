"""Small ONNX models, one per op whose initializer holds a learned value that the
compiled model must keep private (circuits/quantization.md, "What the circuit may
depend on"): each reaches the circuit only through the model stack.

`LEARNED` maps a case name to a builder; `LEAKED_ON_MAIN` names the cases whose
constant used to be a public `affine` coefficient (a scalar multiplier).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import onnx
from onnx import helper

from tests.quant.quant_models import f32, make_model

SEED = 30


def _rng(salt: int) -> np.random.Generator:
    return np.random.default_rng(SEED + salt)


def _mlp_around(nodes: list, inits: dict, mid: str, salt: int) -> onnx.ModelProto:
    """Gemm 4 -> 6 (bias), the given nodes from `h` to `mid`, Gemm 6 -> 3 to `y`."""
    rng = _rng(salt)
    inits = {"w0": f32(rng.normal(0, 0.5, (4, 6))), "b0": f32(rng.normal(0, 0.2, 6)),
             "w1": f32(rng.normal(0, 0.5, (6, 3))), "b1": f32(rng.normal(0, 0.2, 3)),
             **inits}
    nodes = [helper.make_node("Gemm", ["x", "w0", "b0"], ["h"], name="fc0"), *nodes,
             helper.make_node("Gemm", [mid, "w1", "b1"], ["y"], name="fc1")]
    return make_model(nodes, {"x": [1, 4]}, ["y"], inits)


def scalar_mul_flat() -> onnx.ModelProto:
    """`h * k` with a learned scalar `k` (a flat tensor)."""
    return _mlp_around([helper.make_node("Mul", ["h", "k"], ["m"], name="scale")],
                       {"k": f32(-1.75)}, "m", 1)


def scalar_div_flat() -> onnx.ModelProto:
    """`h / d` with a learned scalar `d` (imported as a product with 1 / d)."""
    return _mlp_around([helper.make_node("Div", ["h", "d"], ["m"], name="divide")],
                       {"d": f32(2.7)}, "m", 2)


def neg_and_sub() -> onnx.ModelProto:
    """Neg (the architectural -1), `c - h` and `h - c2` with learned constants."""
    rng = _rng(3)
    nodes = [helper.make_node("Neg", ["h"], ["n"], name="neg"),
             helper.make_node("Sub", ["c", "n"], ["s"], name="c_minus"),
             helper.make_node("Sub", ["s", "c2"], ["m"], name="minus_c")]
    return _mlp_around(nodes, {"c": f32(rng.normal(0, 0.5, 6)),
                               "c2": f32(rng.normal(0, 0.5, (1, 6)))}, "m", 3)


def gemm_matmul() -> onnx.ModelProto:
    """Gemm with alpha, beta and a transposed weight, Relu, MatMul, a bias Add."""
    rng = _rng(4)
    inits = {"w": f32(rng.normal(0, 0.5, (6, 4))), "b": f32(rng.normal(0, 0.2, 6)),
             "m": f32(rng.normal(0, 0.5, (6, 3))), "c": f32(rng.normal(0, 0.2, 3))}
    nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["h"], alpha=0.5, beta=2.0,
                              transB=1, name="gemm"),
             helper.make_node("Relu", ["h"], ["r"], name="relu"),
             helper.make_node("MatMul", ["r", "m"], ["p"], name="matmul"),
             helper.make_node("Add", ["p", "c"], ["y"], name="bias")]
    return make_model(nodes, {"x": [1, 4]}, ["y"], inits)


def _cnn_tail(nodes: list, inits: dict, last: str, channels: int, salt: int,
              side: int = 6) -> tuple[list, dict]:
    """Relu, Flatten and a Gemm to 3 outputs after `last` (channels x side x side)."""
    rng = _rng(salt)
    inits = {**inits, "wd": f32(rng.normal(0, 0.1, (channels * side * side, 3)))}
    nodes = [*nodes, helper.make_node("Relu", [last], ["r"], name="relu"),
             helper.make_node("Flatten", ["r"], ["f"], name="flat"),
             helper.make_node("Gemm", ["f", "wd"], ["y"], name="dense")]
    return nodes, inits


def scalar_mul_spatial() -> onnx.ModelProto:
    """Conv (bias) then `c * k` with a learned scalar `k` on the (N, C, H, W) map."""
    rng = _rng(5)
    inits = {"wc": f32(rng.normal(0, 0.4, (3, 1, 3, 3))), "bc": f32(rng.normal(0, 0.3, 3)),
             "k": f32(np.array([[[[0.61]]]]))}
    nodes = [helper.make_node("Conv", ["x", "wc", "bc"], ["c"], pads=[1, 1, 1, 1],
                              name="conv"),
             helper.make_node("Mul", ["k", "c"], ["m"], name="scale")]
    nodes, inits = _cnn_tail(nodes, inits, "m", 3, 5)
    return make_model(nodes, {"x": [1, 1, 6, 6]}, ["y"], inits)


def _bn_inits(rng: np.random.Generator, c: int) -> dict:
    return {"g": f32(rng.uniform(0.5, 1.5, c)), "b": f32(rng.normal(0, 0.3, c)),
            "mu": f32(rng.normal(0, 0.3, c)), "var": f32(rng.uniform(0.5, 1.5, c))}


def batchnorm_one_channel() -> onnx.ModelProto:
    """A BatchNormalization on the one-channel input (nothing to fold it into): its
    scale is a scalar multiplier, its shift an added constant."""
    inits = _bn_inits(_rng(6), 1)
    nodes = [helper.make_node("BatchNormalization", ["x", "g", "b", "mu", "var"], ["n"],
                              name="bn")]
    nodes, inits = _cnn_tail(nodes, inits, "n", 1, 6)
    return make_model(nodes, {"x": [1, 1, 6, 6]}, ["y"], inits)


def batchnorm_standalone() -> onnx.ModelProto:
    """Conv, conv, residual Add, then a 4-channel BatchNormalization kept standalone (a
    per-channel multiplier and added constant)."""
    rng = _rng(7)
    inits = {"w1": f32(rng.normal(0, 0.4, (4, 1, 3, 3))), "w2": f32(rng.normal(0, 0.3,
                                                                            (4, 4, 3, 3))),
             **_bn_inits(rng, 4)}
    nodes = [helper.make_node("Conv", ["x", "w1"], ["a"], pads=[1, 1, 1, 1], name="c1"),
             helper.make_node("Conv", ["a", "w2"], ["b2"], pads=[1, 1, 1, 1], name="c2"),
             helper.make_node("Add", ["a", "b2"], ["s"], name="residual"),
             helper.make_node("BatchNormalization", ["s", "g", "b", "mu", "var"], ["n"],
                              name="bn")]
    nodes, inits = _cnn_tail(nodes, inits, "n", 4, 7)
    return make_model(nodes, {"x": [1, 1, 6, 6]}, ["y"], inits)


def conv_constants() -> onnx.ModelProto:
    """Conv (bias), Relu, a per-channel added constant and a per-channel multiplier."""
    rng = _rng(8)
    inits = {"wc": f32(rng.normal(0, 0.4, (2, 1, 3, 3))), "bc": f32(rng.normal(0, 0.3, 2)),
             "t": f32(rng.normal(0, 0.5, (2, 1, 1))), "s": f32(rng.uniform(-2, 2, (2, 1, 1)))}
    nodes = [helper.make_node("Conv", ["x", "wc", "bc"], ["c"], pads=[1, 1, 1, 1],
                              name="conv"),
             helper.make_node("Relu", ["c"], ["r0"], name="relu0"),
             helper.make_node("Add", ["r0", "t"], ["a"], name="shift"),
             helper.make_node("Mul", ["a", "s"], ["m"], name="scale")]
    nodes, inits = _cnn_tail(nodes, inits, "m", 2, 8)
    return make_model(nodes, {"x": [1, 1, 6, 6]}, ["y"], inits)


LEARNED: dict[str, Callable[[], onnx.ModelProto]] = {
    "scalar_mul_flat": scalar_mul_flat,
    "scalar_div_flat": scalar_div_flat,
    "neg_and_sub": neg_and_sub,
    "gemm_matmul": gemm_matmul,
    "scalar_mul_spatial": scalar_mul_spatial,
    "batchnorm_one_channel": batchnorm_one_channel,
    "batchnorm_standalone": batchnorm_standalone,
    "conv_constants": conv_constants,
}

#: The cases whose learned constant was an `affine` coefficient in the public circuit.
LEAKED_ON_MAIN = ("scalar_mul_flat", "scalar_div_flat", "scalar_mul_spatial",
                  "batchnorm_one_channel")
