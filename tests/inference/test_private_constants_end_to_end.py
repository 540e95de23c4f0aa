"""Hiding proofs of models whose learned constants used to be public `affine`
coefficients (a scalar Mul or Div, a BatchNormalization on one channel) or stay in the
model stack through the same gadgets (a standalone BatchNormalization, Neg and Sub): the
scalar is read from the model stack by a diagonal `dense`, a depthwise `conv`, or (a flat
tensor too wide for a diagonal) a one-channel `conv` between two moves. Each compiles
hiding, its witness agrees with the integer executor, and its proof verifies with the
pure-Python verifier (kind 5)."""

from __future__ import annotations

import numpy as np
import pytest
from harness import compile_float, prove_and_check
from onnx import helper

from tests.learned_models import LEARNED
from tests.quant.quant_models import f32, make_model
from zkml.compiler.nonlinear import MAX_SCALAR_DIAGONAL_FEATURES
from zkml.witness import build_witness

#: The cases proved end to end and the gadget that applies their multiplier.
PROVED = {"scalar_mul_flat": "dense", "scalar_div_flat": "dense",
          "scalar_mul_spatial": "conv", "batchnorm_one_channel": "conv",
          "batchnorm_standalone": "conv", "neg_and_sub": "dense"}


def wide_scalar_mul(n: int = MAX_SCALAR_DIAGONAL_FEATURES + 36):
    """Gemm 4 -> n, `h * k` with a scalar k on n features (past the scalar diagonal's
    limit), Gemm n -> 3."""
    rng = np.random.default_rng(11)
    inits = {"w0": f32(rng.normal(0, 0.5, (4, n))), "b0": f32(rng.normal(0, 0.2, n)),
             "w1": f32(rng.normal(0, 0.1, (n, 3))), "k": f32(0.37)}
    nodes = [helper.make_node("Gemm", ["x", "w0", "b0"], ["h"], name="fc0"),
             helper.make_node("Mul", ["h", "k"], ["m"], name="scale"),
             helper.make_node("Gemm", ["m", "w1"], ["y"], name="fc1")]
    return make_model(nodes, {"x": [1, 4]}, ["y"], inits)


def _mul_constant(cm) -> int:
    """The quantized multiplier of the model's single mul by a constant."""
    (op,) = [op for op in cm.model.ops if op.op == "mul"]
    (c,) = [n for n in op.inputs if n in cm.model.constants]
    return int(cm.model.constants[c].reshape(-1)[0])


@pytest.mark.parametrize("name", list(PROVED))
def test_learned_constant_models_prove_hiding(tmp_path, name):
    cm, _ = compile_float(tmp_path, LEARNED[name](), name, hiding=True)
    ops = [g.op for g in cm.circuit.gadgets]
    assert PROVED[name] in ops
    # (c - h negates h with the sign's public -1: the only affine left)
    assert "affine" not in ops or name == "neg_and_sub"
    k = _mul_constant(cm)
    assert k in set(cm.compiled_circuit.model_stack.reshape(-1).tolist())
    result, _ = prove_and_check(cm, 1, tamper=0x10)
    # the prover's witness is the integer executor's (build_witness compares every gadget)
    q = np.asarray(result.inputs, dtype=np.int64)
    build_witness(cm.compiled_circuit, cm.model, q)


def test_scalar_on_a_wide_flat_tensor_moves_through_a_one_channel_map(tmp_path):
    cm, _ = compile_float(tmp_path, wide_scalar_mul(), "wide", hiding=True)
    ops = [g.op for g in cm.circuit.gadgets]
    assert ops == ["dense", "rearrange", "conv", "rearrange", "dense"]
    conv = cm.circuit.gadgets[2]
    assert tuple(conv.producer.in_shape) == (1, MAX_SCALAR_DIAGONAL_FEATURES + 36)
    t = cm.circuit.model_stack.tensor(conv.producer.weight)
    assert cm.compiled_circuit.model_stack[t.offset] == _mul_constant(cm)
    prove_and_check(cm, 2, tamper=0x04)
