"""The conv wiring MLE (wiring.md): vectors, a naive oracle, boolean points, limits, cost."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from zkml.errors import ProofFormatError
from zkml.verifier.field import R, eq_table
from zkml.verifier.wiring import MAX_LEN, MAX_STEP, Axis, OpCounter, wire_eval

VECTORS = Path(__file__).resolve().parents[2] / "circuits" / "vectors" / "wiring.json"


def rand_point(rng: random.Random, m: int) -> list[int]:
    return [rng.randrange(R) for _ in range(m)]


def rand_points(rng: random.Random, axis: Axis) -> tuple[list[int], ...]:
    return tuple(rand_point(rng, m) for m in axis.vars())


def naive(axis: Axis, ry, ri, rx) -> int:
    """The definition: sum over the whole hypercube of eq * eq * eq * Wire."""
    ey, ei, ex = eq_table(ry), eq_table(ri), eq_table(rx)
    acc = 0
    for y, wy in enumerate(ey):
        for i, wi in enumerate(ei):
            for x, wx in enumerate(ex):
                if axis.wire(y, i, x):
                    acc += wy * wi * wx
    return acc % R


def small_axes(seed: int, count: int) -> list[Axis]:
    """Random small axes, plus every combination of unit lengths (degenerate cases)."""
    rng = random.Random(seed)
    out = [
        Axis(
            rng.randint(1, 13),
            rng.randint(1, 13),
            rng.randint(1, 13),
            rng.randint(1, 3),
            rng.randint(1, 2),
            rng.randint(0, 3),
        )
        for _ in range(count)
    ]
    for mask in range(8):
        lens = [1 if mask >> b & 1 else n for b, n in enumerate((5, 3, 7))]
        out += [Axis(lens[0], lens[2], lens[1], 2, 1, pad) for pad in (0, 2)]
    return out


def test_vectors():
    cases = json.loads(VECTORS.read_text())["cases"]
    assert len(cases) >= 12
    names = {c["name"] for c in cases}
    assert {"lenet-conv1", "lenet-conv2", "lenet-pool1", "strided-padded", "dilated"} <= names
    for c in cases:
        axis = Axis(c["n_out"], c["n_in"], c["k"], c["stride"], c["dilation"], c["pad"])
        ry, ri, rx = ([int(v) for v in c[key]] for key in ("ry", "ri", "rx"))
        assert wire_eval(axis, ry, ri, rx) == int(c["value"]), c["name"]


def test_matches_naive_oracle():
    rng = random.Random(11)
    axes = small_axes(5, 150)
    assert any(a.n_out & (a.n_out - 1) for a in axes)  # lengths that are not powers of two
    for axis in axes:
        ry, ri, rx = rand_points(rng, axis)
        assert wire_eval(axis, ry, ri, rx) == naive(axis, ry, ri, rx), axis


def bits(v: int, m: int) -> list[int]:
    return [(v >> t) & 1 for t in range(m)]


def test_boolean_points_give_the_predicate():
    checked = 0
    for axis in small_axes(6, 60):
        my, mk, mx = axis.vars()
        if my + mk + mx > 9:
            continue
        for y in range(1 << my):
            for i in range(1 << mk):
                for x in range(1 << mx):
                    got = wire_eval(axis, bits(y, my), bits(i, mk), bits(x, mx))
                    assert got == int(axis.wire(y, i, x)), (axis, y, i, x)
                    checked += 1
    assert checked > 1000


@pytest.mark.parametrize(
    "params",
    [
        (0, 4, 3, 1, 1, 0),
        (4, 0, 3, 1, 1, 0),
        (4, 4, 0, 1, 1, 0),
        (4, 4, 3, 0, 1, 0),
        (4, 4, 3, 1, 0, 0),
        (4, 4, 3, 1, 1, -1),
        (MAX_LEN + 1, 4, 3, 1, 1, 0),
        (4, 4, 3, MAX_STEP + 1, 1, 0),
        (4, 4, 3, 1, MAX_STEP + 1, 0),
        (4, 4, 3, 1, 1, MAX_STEP + 1),
        (4.0, 4, 3, 1, 1, 0),
        (4, 4, 3, True, 1, 0),
    ],
)
def test_invalid_axis(params):
    with pytest.raises(ProofFormatError):
        Axis(*params)


def test_wrong_point_lengths():
    axis = Axis(24, 28, 5)
    ry, ri, rx = rand_points(random.Random(3), axis)
    for bad in ((ry[1:], ri, rx), (ry, ri + [0], rx), (ry, ri, rx[:-1])):
        with pytest.raises(ProofFormatError):
            wire_eval(axis, *bad)
    Axis(MAX_LEN, MAX_LEN, MAX_LEN, MAX_STEP, MAX_STEP, MAX_STEP)  # the limits themselves


def per_bit_bound(axis: Axis) -> int:
    """Most operations one bit step of one axis can cost.

    Carries at a bit boundary lie in [-1, s+d-1] (wiring.md), after the y sub-step in
    [-1, 2s+d-1], after the i sub-step in [-1, 2s+2d-1]; with 8 flag combinations that
    bounds the states entering each sub-step. A state costs at most 4 operations
    (v r, v - v r, and two merges into existing states); halving costs none.
    """
    s, d = axis.stride, axis.dilation
    return 4 * 8 * ((s + d + 1) + (2 * s + d + 1) + (2 * s + 2 * d + 1))


def ops_2d(axis: Axis, rng: random.Random) -> int:
    """Field operations of W~ for a square 2-D wiring: two axes and one product."""
    counter = OpCounter()
    values = [wire_eval(axis, *rand_points(rng, axis), counter=counter) for _ in range(2)]
    _ = values[0] * values[1] % R
    counter.mul += 1
    return counter.mul + counter.add


@pytest.mark.parametrize(
    "name, make",
    [
        ("5x5 stride 1", lambda n: Axis(n - 4, n, 5)),
        ("3x3 stride 2 pad 1", lambda n: Axis(n // 2, n, 3, 2, 1, 1)),
        ("3x3 stride 1 pad 1", lambda n: Axis(n, n, 3, 1, 1, 1)),
        ("2x2 pooling", lambda n: Axis(n // 2, n, 2, 2)),
    ],
)
def test_verifier_cost_is_logarithmic(name, make):
    """Doubling the side adds at most 2 * per_bit_bound operations.

    Doubling n adds one bit to m_y and m_x, so L grows by one bit step per axis, and
    one step of one axis costs at most per_bit_bound (the state bound). Independently
    of the point, every count is at most 2 L per_bit_bound + 1, i.e. O(log n).
    Measured (2-D, mul + add): 5x5 stride 1 at 28, 56, 112, 224: 365, 463, 535, 607;
    3x3 stride 2 pad 1: 461, 549, 633, 717.
    """
    rng = random.Random(17)
    sides = [28, 56, 112, 224]
    counts = [ops_2d(make(n), rng) for n in sides]
    bound = per_bit_bound(make(28))
    for n, c in zip(sides, counts, strict=True):
        assert c <= 2 * make(n).num_bits() * bound + 1, (name, n, c)
    for a, b in zip(counts, counts[1:], strict=False):
        assert 0 < b - a <= 2 * bound, (name, counts)
    assert counts[-1] * 50 < 224 * 224, (name, counts)
    # far beyond any image: still a few thousand operations
    assert ops_2d(make(1 << 20), rng) <= 2 * make(1 << 20).num_bits() * bound + 1
