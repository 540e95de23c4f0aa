"""circuits/nonlinear.md section 8 end to end: zkml.compile -> zkml.prove -> zkml.verify
for models with elementwise products (SiLU MLPs, SiLU after a convolution, gated dense
branches, a product with the input)."""

from __future__ import annotations

import pytest
from harness import compile_float, prove_and_check
from inference_models import MUL_CASES


@pytest.mark.parametrize("name", list(MUL_CASES))
@pytest.mark.parametrize("batch", [1, 4])
def test_products_prove_and_verify(tmp_path, name, batch):
    model = MUL_CASES[name]()
    cm, _ = compile_float(tmp_path, model, name)
    prove_and_check(cm, batch)
