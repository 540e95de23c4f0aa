"""Field helpers: eq tables, MLE evaluation, Lagrange interpolation, inverses."""

from __future__ import annotations

import random

import pytest

from zkml.verifier.field import (
    R,
    batch_inverse,
    eq_eval,
    eq_table,
    inner,
    inv,
    lagrange_eval,
    mle_eval,
)


def naive_eq(x, i):
    acc = 1
    for k, xk in enumerate(x):
        acc = acc * (xk if (i >> k) & 1 else 1 - xk) % R
    return acc


def test_eq_table_lsb_first():
    rng = random.Random(1)
    for n in range(0, 6):
        z = [rng.randrange(R) for _ in range(n)]
        tab = eq_table(z)
        assert len(tab) == 1 << n
        assert tab == [naive_eq(z, i) for i in range(1 << n)]
        assert sum(tab) % R == 1


def test_eq_eval_matches_table_on_cube():
    rng = random.Random(2)
    z = [rng.randrange(R) for _ in range(4)]
    tab = eq_table(z)
    for i in range(16):
        bits = [(i >> k) & 1 for k in range(4)]
        assert eq_eval(z, bits) == tab[i]
        assert eq_eval(bits, z) == tab[i]
    with pytest.raises(ValueError):
        eq_eval([1], [1, 2])


def test_mle_eval():
    rng = random.Random(3)
    for n in range(0, 6):
        table = [rng.randrange(R) for _ in range(1 << n)]
        z = [rng.randrange(R) for _ in range(n)]
        assert mle_eval(table, z) == inner(table, eq_table(z))
        for i in range(1 << n):
            bits = [(i >> k) & 1 for k in range(n)]
            assert mle_eval(table, bits) == table[i]
    # negative entries are taken mod r
    assert mle_eval([-1, 2], [0]) == R - 1
    with pytest.raises(ValueError):
        mle_eval([1, 2, 3], [0, 1])


def test_lagrange_eval():
    rng = random.Random(4)
    for d in range(0, 6):
        coeffs = [rng.randrange(R) for _ in range(d + 1)]

        def poly(x, coeffs=coeffs):
            return sum(c * pow(x, k, R) for k, c in enumerate(coeffs)) % R

        vals = [poly(j) for j in range(d + 1)]
        for x in [0, 1, d, d + 1, R - 1, rng.randrange(R), rng.randrange(R)]:
            assert lagrange_eval(vals, x) == poly(x)
    with pytest.raises(ValueError):
        lagrange_eval([], 3)


def test_inverses():
    rng = random.Random(5)
    vals = [rng.randrange(1, R) for _ in range(50)] + [1, R - 1]
    invs = batch_inverse(vals)
    assert all(v * w % R == 1 for v, w in zip(vals, invs, strict=True))
    assert inv(vals[0]) == invs[0]
    assert batch_inverse([]) == []
    with pytest.raises(ZeroDivisionError):
        inv(R)
    with pytest.raises(ZeroDivisionError):
        batch_inverse([1, 0, 2])
