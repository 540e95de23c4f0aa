"""The update witness re-checked from scratch against circuits/unlearning.md section 4,
with Python integers: what the future prover will prove, recomputed from the opening,
the request and the two compiled models (the curvature data for the second layer from
the old model's own forward pass)."""

from __future__ import annotations

import json

import pytest

from zkml.compiled_model import CompiledModel
from zkml.unlearn.apply import run_model
from zkml.unlearn.params import Formats, bounds
from zkml.unlearn.register import DataOpening, opening_path
from zkml.unlearn.request import Request


@pytest.mark.parametrize("flow_name", ["digits_flow", "digits_flow2"])
def test_every_relation_holds_exactly(request, flow_name):
    flow = request.getfixturevalue(flow_name)
    wit = json.loads(flow.result.witness.read_text())
    req = Request.load(flow.request)
    old, new = CompiledModel.load(flow.compiled), CompiledModel.load(flow.result.model)
    opening = DataOpening.load(opening_path(flow.record))
    assert wit["c_req"] == req.c_req.hex() and wit["vk_new"] == new.vk_digest.hex()
    assert wit["c_d"] == opening.c_d.hex()
    x_name = wit["layer_input"]
    x = opening.x if x_name == old.model.inputs[0] else \
        run_model(old.model, opening.x, [x_name])[x_name]
    keep = opening.y != req.forget_class
    xs = [[int(v) for v in row] for row in x[keep]]
    xt, wt = old.model.tensor(x_name), old.model.tensor(req.weight)
    fm = Formats(xt.bits, xt.frac_bits, wt.bits, wt.frac_bits, int(keep.sum()), req.block,
                 req.rank, req.k, req.f_u)
    bd = bounds(fm, req.lam, req.tau, req.mu_max)
    assert Formats(**wit["formats"]) == fm and wit["bounds"]["t"] == bd.t
    one, n = 1 << req.k, fm.n
    th_old = old.model.constants[req.weight].T
    th_new = new.model.constants[req.weight].T
    assert [(b["o"], b["j"]) for b in wit["blocks"]] == req.affected()
    for bi, blk in enumerate(wit["blocks"]):
        o, j = blk["o"], blk["j"]
        cols = range(j * req.block, min((j + 1) * req.block, req.d_in))
        mask = req.block_mask(o, j)
        d, u = blk["delta_f"], req.u[bi].tolist()
        for c_i, i in enumerate(cols):
            t0, t1 = int(th_old[o, i]), int(th_new[o, i])
            assert d[c_i] == (t1 - t0) * one + blk["rem"][c_i] - one // 2      # R1
            assert 0 <= blk["rem"][c_i] < one
            if mask[c_i]:
                assert t1 == 0                                                 # R2
        xd = [sum(row[i] * d[c] for c, i in enumerate(cols)) for row in xs]
        for c_i, i in enumerate(cols):
            if mask[c_i]:
                continue
            lhs = n * bd.lam_int * d[c_i] + sum(row[i] * v for row, v in zip(xs, xd,
                                                                             strict=True))
            lhs += sum(u[c_i][c] * blk["mu"][c] for c in range(req.rank))
            assert lhs - blk["r"][c_i] == 0                                    # R4
            assert abs(blk["r"][c_i]) <= bd.t                                  # R5
        for c in range(req.rank):
            eta = sum(u[c_i][c] * d[c_i] for c_i in range(len(cols)))
            assert eta == blk["eta"][c] and abs(eta) <= bd.t_u                 # R6
            assert abs(blk["mu"][c]) < 1 << (bd.mu_bits - 1)                   # R7
    lo, hi = -(1 << (wt.bits - 1)), (1 << (wt.bits - 1)) - 1
    assert lo <= th_new.min() and th_new.max() <= hi                           # R8
