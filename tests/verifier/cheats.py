"""Cheating-prover helpers for the verifier's tests (tests only): `tamper(g, vals)` hooks
for the reference prover (reference_inference.py) that change a gadget's committed values
while keeping the others consistent, and the verifier's rejection messages they meet.

A gadget's values (inference.md section 2): `q` and `rem` with
`acc + 2^(k-1) = 2^k q + rem` (or `acc = d q + rem - floor(d/2)`, nonlinear.md 1),
`z = clamp(q, lo, hi)`, `ep = max(q - hi, 0)`, `em = max(lo - q, 0)`, `remc = d - 1 - rem`;
`u = z - lo` and `v = hi - z` follow `z` after the hook. The verifier never sees `q`: it
reads `z + ep - em`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from zkml.errors import VerificationError

#: The range group (group 0 of every inference proof's LogUp instance): a limb outside
#: its width, a negative value, a remainder past its bound.
RANGE = "logup group 0: the fractions do not sum to zero"
#: The batched sumcheck's first round: a claim (an accumulator, a zerocheck's 0, the
#: output's MLE) that is not the sum the prover's tables give.
ROUND0 = "inference sumcheck round 0"
#: The batched sumcheck's final check (its id): the verifier's own evaluation (wiring,
#: selection, eq, the public input) differs from the prover's tables.
FINAL = "inference.final"
#: The check ids of RANGE (any LogUp group's sum; the message names the group) and
#: ROUND0 (any sumcheck's round sum) (circuits/soundness.md, "Check ids").
RANGE_CHECK = "logup.group-sum"
ROUND0_CHECK = "sumcheck.round-sum"

_CHECK_ID = re.compile(r"(gadget|inference|logup|sumcheck|hyrax|batch-open|proof|key|statement)"
                       r"\.[a-z0-9.-]+")


@contextmanager
def rejected(want: str) -> Iterator[pytest.ExceptionInfo]:
    """Expect a VerificationError: a declared check's by its id (`gadget.<op>.<check>`,
    `inference.final`; circuits/soundness.md), any other by its message (a regex)."""
    with pytest.raises(VerificationError) as info:
        yield info
    if _CHECK_ID.fullmatch(want):
        assert info.value.check == want, f"rejected by {info.value.check}: {info.value}"
    else:
        assert re.search(want, str(info.value)), f"{want!r} not in {info.value}"


def table_group(k: int) -> str:
    """The LogUp group of the k-th table gadget (in gadget order): group 1 + k."""
    return f"logup group {1 + k}: the fractions do not sum to zero"


def at(gi: int, fn: Callable[[dict], None]) -> Callable:
    """A tamper hook applying `fn(vals)` to gadget `gi` only."""
    def tamper(g: int, vals: dict) -> None:
        if g == gi:
            fn(vals)
    return tamper


def set_q(vals: dict, i: int, q: int, lo: int, hi: int) -> None:
    """Entry i's q, with z, ep and em its honest clamp (the accumulator moves)."""
    vals["q"][i] = q
    vals["z"][i] = min(max(q, lo), hi)
    vals["ep"][i], vals["em"][i] = max(q - hi, 0), max(lo - q, 0)


def first(vals: dict, pred: Callable[[int, dict], bool]) -> int:
    """The first entry i with pred(i, vals)."""
    return next(i for i in range(len(vals["z"])) if pred(i, vals))


def unclamped(lo: int, hi: int, margin: int = 1) -> Callable[[int, dict], bool]:
    """pred: q strictly inside [lo, hi] with `margin` to spare on both sides."""
    return lambda i, v: lo + margin <= v["q"][i] <= hi - margin


def output_moved(gi: int, g: dict, delta: int = 1) -> Callable:
    """One unclamped entry's z (and q) moved by delta: the accumulator is no longer the
    producer's (its relation, or the sumcheck instance reading it, fails)."""
    lo, hi = g["lo"], g["hi"]

    def fn(vals):
        i = first(vals, unclamped(lo, hi, abs(delta)))
        set_q(vals, i, vals["q"][i] + delta, lo, hi)
    return at(gi, fn)


def rem_moved(gi: int, g: dict, delta: int, fix_remc: bool = False,
              pick: Callable | None = None) -> Callable:
    """At one entry: rem += delta * m and q -= delta (m = the divisor, or 2^shift), so
    the accumulator is unchanged and only rem's bound is broken (delta = 1: rem >= m;
    delta = -1: rem < 0); z, ep, em follow q; remc is d - 1 - rem or, with `fix_remc`,
    an in-range 0."""
    d, k, lo, hi = g["divisor"], g["shift"], g["lo"], g["hi"]
    m = d if d > 1 else 1 << k

    def fn(vals):
        i = first(vals, pick or unclamped(lo, hi, 1))
        vals["rem"][i] += delta * m
        set_q(vals, i, vals["q"][i] - delta, lo, hi)
        vals["remc"][i] = 0 if fix_remc else d - 1 - vals["rem"][i]
    return at(gi, fn)
