"""Forgetting samples from a regressor (diabetes, MLP 10-32-1): the forget set's error
rises more than the retain set's, on the updated compiled model's integer execution."""

from __future__ import annotations

import numpy as np
from unlearn_helpers import int_outputs
from unlearn_models import diabetes_case, run_flow

from zkml.compiled_model import CompiledModel


def test_forgetting_samples_raises_their_error_more(tmp_path):
    case = diabetes_case(tmp_path)
    flow = run_flow(tmp_path, case)
    rep = flow.result.report
    assert rep["forget"]["samples"] and "no disjointness check" in rep["forget"]["note"]
    assert set(rep["before"]) == {"mse"}
    old, new = CompiledModel.load(flow.compiled), CompiledModel.load(flow.result.model)
    rise = {}
    for name, path in (("forget", case.forget), ("retain", case.retain)):
        data = np.load(path)
        err = [float(np.mean((int_outputs(m, data["x"])[:, 0] - data["y"]) ** 2))
               for m in (old, new)]
        rise[name] = err[1] - err[0]
    assert rise["forget"] > 2 * rise["retain"] and rise["forget"] > 0.2, rise
