"""Lineage records (strict parsing, chained heads) and the statement's bounds."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import pytest

from zkml.unlearn.lineage import Lineage, LineageFormatError, Record
from zkml.unlearn.params import FIELD_BITS, Formats, bounds, guarantee


def _update(prev: Record) -> Record:
    vals = dict(prev=prev.head, vk=prev.vk_new, vk_new="ab" * 32,
                model_commitment="cd" * 32, c_req="ef" * 32, c_d=prev.c_d, proof="12" * 32)
    return Record(prev.index + 1, "update", n=prev.n, head=Record.head_of(**vals), **vals)


def test_registered_lineage_parses_and_its_chain_is_checked(digits_flow):
    lin = Lineage.load(digits_flow.record)
    assert len(lin.records) == 1 and lin.head.kind == "register"
    two = Lineage((lin.head, _update(lin.head)))
    assert Lineage.from_bytes(two.to_bytes()).to_bytes() == two.to_bytes()
    doc = json.loads(two.to_bytes())
    cases = {
        "tampered field": lambda d: d["records"][1].update(c_req="00" * 32),
        "reordered": lambda d: d["records"].reverse(),
        "record removed": lambda d: d["records"].pop(0),
        "extra field": lambda d: d["records"][0].update(extra=1),
        "bad hex": lambda d: d["records"][0].update(c_d="XY" * 32),
    }
    for name, mutate in cases.items():
        d = json.loads(json.dumps(doc))
        mutate(d)
        with pytest.raises(LineageFormatError):
            Lineage.from_bytes(json.dumps(d).encode(), name)


SPEC = {  # circuits/unlearning.md section 4's table
    "digits": (Formats(16, 14, 12, 11, 500, 64, 4, 16, 14), 55, 73, 75),
    "784x256": (Formats(16, 14, 12, 12, 128, 64, 4, 16, 14), 55, 72, 74),
}


@pytest.mark.parametrize("name", sorted(SPEC))
def test_bounds_match_the_spec_and_stay_far_below_the_field(name):
    fm, mu_bits, xtx_bits, residual_bits = SPEC[name]
    b = bounds(fm, Fraction(1, 8), Fraction(1, 1 << 18), Fraction(16))
    assert b.lam_int == 1 << 25 and b.t_u == (1 << 16) + 64
    assert (b.mu_bits, b.acc_xtx_delta, b.acc_residual) == (mu_bits, xtx_bits, residual_bits)
    assert b.t == math.floor(fm.n * 2 ** (2 * 14 + fm.f_w + 16 - 18))
    assert b.acc_residual + 100 < FIELD_BITS
    g = guarantee(fm, Fraction(1, 8), Fraction(1, 1 << 18), 64, Fraction(16))
    assert 0 < g["total"] < 0.01 and g["rounding"] == 8 * 2.0 ** -(fm.f_w + 1)
    worst = bounds(fm, Fraction(1, 8), Fraction(1, 1 << 18))  # mu_max 0: the formats' worst
    assert worst.mu_bits > b.mu_bits and worst.acc_residual + 100 < FIELD_BITS
