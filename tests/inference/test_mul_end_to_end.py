"""circuits/nonlinear.md section 8 end to end: zkml.compile -> zkml.prove -> zkml.verify
for models with elementwise products (SiLU MLPs, SiLU after a convolution, gated dense
branches, a product with the input).

These need the native prover with the `mul` gadget and the Python verifier; while
`zkml._native` cannot prove `zkml.compiler.nonlinear.mul_probe_circuit`
(`inference_models.native_mul_ready` tries it and catches the prover's error) they are
skipped with that reason.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from inference_models import MUL_CASES, needs_mul_prover, needs_verifier, save

import zkml

pytestmark = [needs_mul_prover, needs_verifier]


@pytest.mark.parametrize("name", list(MUL_CASES))
@pytest.mark.parametrize("batch", [1, 4])
def test_products_prove_and_verify(tmp_path, name, batch):
    model = MUL_CASES[name]()
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    cal = np.random.default_rng(3).normal(size=(16, *dims[1:]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cm = zkml.compile(save(model, tmp_path, f"{name}.onnx"), calibration=cal)
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
    assert verified.vk_digest == cm.vk_digest
