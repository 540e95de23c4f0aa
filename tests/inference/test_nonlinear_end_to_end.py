"""circuits/nonlinear.md end to end: zkml.compile -> zkml.prove -> zkml.verify for MLPs
with function tables (Sigmoid, Tanh, Erf, Gelu, Exp) and CNNs with spatial sums
(GlobalAveragePool / ReduceMean over 7x7, 3x3, ... maps: non-power-of-two divisors).

These need the native prover with nonlinear.md support and the Python verifier; while
`zkml._native` cannot prove the nonlinear probe circuit
(`inference_models.native_nonlinear_ready` tries it and catches the prover's error) they
are skipped with that reason.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from inference_models import (
    NONLINEAR_CNN_CASES,
    act_mlp,
    mlp,
    needs_nonlinear_prover,
    needs_verifier,
    save,
)
from onnx import helper

import zkml
from zkml.errors import VerificationError

pytestmark = [needs_nonlinear_prover, needs_verifier]

MLPS = {
    "sigmoid": lambda: act_mlp(["Sigmoid"]),
    "tanh": lambda: act_mlp(["Tanh"]),
    "erf": lambda: act_mlp(["Erf"], seed=1),
    "gelu": lambda: act_mlp(["Gelu"], seed=2),
    "exp": lambda: act_mlp(["Exp"], dims=(6, 8, 3), seed=3),
    "mixed_on_input": lambda: act_mlp(["Sigmoid", "Tanh"], on_input="Tanh", seed=4),
}
CASES = {**MLPS, **NONLINEAR_CNN_CASES}


def _compile(tmp_path: Path, model, name: str, **opts):
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    cal = np.random.default_rng(3).normal(size=(16, *dims[1:]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return zkml.compile(save(model, tmp_path, f"{name}.onnx"), calibration=cal,
                            **opts), dims


def _prove_and_verify(cm, dims: list[int], batch: int) -> None:
    # A model whose input has R rows proves batch // R runs of R rows each.
    shape = tuple(cm.input_shape)
    runs = max(1, batch // shape[0])
    x = np.random.default_rng(batch).normal(size=(runs, *shape))
    if shape[0] == 1:
        x = x[:, 0]
    result = zkml.prove(cm, x)
    expect = np.concatenate([
        cm.execute(cm.quantize_inputs(ex.reshape(shape))).outputs(cm.model)["y"]
        .reshape(shape[0], -1) for ex in x])
    assert np.array_equal(result.outputs, expect)
    verified = zkml.verify(result.proof, cm.verifying_key)
    assert np.array_equal(np.array(verified.outputs), result.outputs)
    assert np.array_equal(np.array(verified.inputs), result.inputs)
    assert verified.vk_digest == cm.vk_digest


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("batch", [1, 4])
def test_nonlinear_models_prove_and_verify(tmp_path, name, batch):
    cm, dims = _compile(tmp_path, CASES[name](), name)
    _prove_and_verify(cm, dims, batch)


def test_small_precision_tables_prove_and_verify(tmp_path):
    cm, dims = _compile(tmp_path, act_mlp(["Sigmoid", "Tanh"], on_input="Sigmoid"), "small",
                        precision="small")
    assert cm.circuit.table_gadgets()
    _prove_and_verify(cm, dims, 3)


@pytest.mark.parametrize("acts", [["Sigmoid", "Tanh"], ["Gelu"]])
def test_high_precision_tables_prove_and_verify(tmp_path, acts):
    """At --precision high (24-bit activations, 2^16-entry tables) a table's values are
    16-bit (quantization.md, Tables: the model stack's entry width), the rest 24-bit."""
    cm, dims = _compile(tmp_path, act_mlp(acts), "high", precision="high")
    tables = cm.circuit.table_gadgets()
    assert tables
    for i in tables:
        g = cm.circuit.gadgets[i]
        assert -(1 << 15) <= g.lo <= g.hi < 1 << 15
    _prove_and_verify(cm, dims, 2)


@pytest.mark.parametrize("batch", [1, 3])
def test_one_logit_sigmoid_proves_and_verifies(tmp_path, batch):
    """A binary classifier's single sigmoid output (a two-copy lookup, then the first)."""
    model = mlp([4, 3, 1])
    model.graph.node.append(helper.make_node("Sigmoid", ["y"], ["p"], name="out_sigmoid"))
    model.graph.output[0].name = "p"
    cm, dims = _compile(tmp_path, model, "one_logit")
    x = np.random.default_rng(batch).normal(size=(batch, *dims[1:]))
    result = zkml.prove(cm, x)
    expect = np.concatenate([cm.execute(cm.quantize_inputs(ex[None])).outputs(cm.model)["p"]
                             .reshape(1, -1) for ex in x])
    assert np.array_equal(result.outputs, expect) and result.outputs.shape == (batch, 1)
    verified = zkml.verify(result.proof, cm.verifying_key)
    assert np.array_equal(np.array(verified.outputs), result.outputs)


@pytest.mark.parametrize("name", ["gap7x7", "sigmoid"])
def test_tampered_nonlinear_proof_is_rejected(tmp_path, name):
    cm, dims = _compile(tmp_path, CASES[name](), name)
    x = np.random.default_rng(0).normal(size=(1, *dims[1:]))
    proof = bytearray(zkml.prove(cm, x).proof)
    proof[len(proof) // 2] ^= 1
    with pytest.raises(VerificationError):
        zkml.verify(bytes(proof), cm.verifying_key)
