"""circuits/nonlinear.md end to end: zkml.compile -> zkml.prove -> zkml.verify for MLPs
with function tables (Sigmoid, Tanh, Erf, Gelu, Exp) and CNNs with spatial sums
(GlobalAveragePool / ReduceMean over 7x7, 3x3, ... maps: non-power-of-two divisors)."""

from __future__ import annotations

import numpy as np
import pytest
from harness import compile_float, expect_tampered_rejected, prove_and_check
from inference_models import NONLINEAR_CNN_CASES, act_mlp, mlp
from onnx import helper

import zkml

MLPS = {
    "sigmoid": lambda: act_mlp(["Sigmoid"]),
    "tanh": lambda: act_mlp(["Tanh"]),
    "erf": lambda: act_mlp(["Erf"], seed=1),
    "gelu": lambda: act_mlp(["Gelu"], seed=2),
    "exp": lambda: act_mlp(["Exp"], dims=(6, 8, 3), seed=3),
    "mixed_on_input": lambda: act_mlp(["Sigmoid", "Tanh"], on_input="Tanh", seed=4),
}
CASES = {**MLPS, **NONLINEAR_CNN_CASES}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("batch", [1, 4])
def test_nonlinear_models_prove_and_verify(tmp_path, name, batch):
    cm, _ = compile_float(tmp_path, CASES[name](), name)
    prove_and_check(cm, batch)


def test_small_precision_tables_prove_and_verify(tmp_path):
    cm, _ = compile_float(tmp_path, act_mlp(["Sigmoid", "Tanh"], on_input="Sigmoid"), "small",
                          precision="small")
    assert cm.circuit.table_gadgets()
    prove_and_check(cm, 3)


@pytest.mark.parametrize("acts", [["Sigmoid", "Tanh"], ["Gelu"]])
def test_high_precision_tables_prove_and_verify(tmp_path, acts):
    """At --precision high (24-bit activations, 2^16-entry tables) a table's values are
    16-bit (quantization.md, Tables: the model stack's entry width), the rest 24-bit."""
    cm, _ = compile_float(tmp_path, act_mlp(acts), "high", precision="high")
    tables = cm.circuit.table_gadgets()
    assert tables
    for i in tables:
        g = cm.circuit.gadgets[i]
        assert -(1 << 15) <= g.lo <= g.hi < 1 << 15
    prove_and_check(cm, 2)


@pytest.mark.parametrize("batch", [1, 3])
def test_one_logit_sigmoid_proves_and_verifies(tmp_path, batch):
    """A binary classifier's single sigmoid output (a two-copy lookup, then the first)."""
    model = mlp([4, 3, 1])
    model.graph.node.append(helper.make_node("Sigmoid", ["y"], ["p"], name="out_sigmoid"))
    model.graph.output[0].name = "p"
    cm, _ = compile_float(tmp_path, model, "one_logit")
    result, _ = prove_and_check(cm, batch, output="p")
    assert result.outputs.shape == (batch, 1)


@pytest.mark.parametrize("name", ["gap7x7", "sigmoid"])
def test_tampered_nonlinear_proof_is_rejected(tmp_path, name):
    cm, dims = compile_float(tmp_path, CASES[name](), name)
    x = np.random.default_rng(0).normal(size=(1, *dims[1:]))
    expect_tampered_rejected(cm, zkml.prove(cm, x).proof)
