"""The raw-int MSM and curve helpers against py_ecc.optimized_bn128 (the oracle)."""

from __future__ import annotations

import random

import pytest
from py_ecc.fields import optimized_bn128_FQ as FQ
from py_ecc.optimized_bn128 import G1, Z1, normalize
from py_ecc.optimized_bn128 import add as ec_add
from py_ecc.optimized_bn128 import multiply as ec_mul

import zkml.verifier.msm as msm_mod
from zkml.verifier.field import P, R
from zkml.verifier.msm import add, msm, neg, scalar_mul, window_size


def to_affine(pt) -> tuple[int, int] | None:
    if pt[2] == FQ(0):
        return None
    x, y = normalize(pt)
    return (int(x), int(y))


def to_py_ecc(pt):
    return Z1 if pt is None else (FQ(pt[0]), FQ(pt[1]), FQ(1))


def reference(points, scalars):
    acc = Z1
    for pt, s in zip(points, scalars, strict=True):
        if pt is not None and s % R:
            acc = ec_add(acc, ec_mul(to_py_ecc(pt), s % R))
    return to_affine(acc)


@pytest.fixture(scope="module")
def base_points():
    rng = random.Random(11)
    return [to_affine(ec_mul(G1, rng.randrange(1, R))) for _ in range(24)]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 7, 100])
def test_random(base_points, n):
    rng = random.Random(100 + n)
    pts = [rng.choice(base_points) for _ in range(n)]
    scalars = [rng.randrange(R) for _ in range(n)]
    assert msm(pts, scalars) == reference(pts, scalars)


def test_adversarial_inputs(base_points):
    rng = random.Random(7)
    p0, p1 = base_points[0], base_points[1]
    cases = [
        ([p0, p0], [1, 1]),  # doubling inside a bucket
        ([p0, neg(p0)], [5, 5]),  # P + (-P) in a bucket: infinity
        ([p0, neg(p0)], [5, R - 5]),  # same point twice after sign normalization
        ([p0, p0], [3, R - 3]),  # cancels to infinity
        ([None, p0, None], [9, 2, 0]),  # infinity inputs
        ([p0, p1], [0, 0]),  # all zero scalars
        ([p0], [R - 1]),
        ([p0], [R]),  # reduced to zero
        ([p0], [R + 3]),  # reduced to 3
        ([p0], [(R - 1) // 2]),
        ([p0], [(R + 1) // 2]),
        ([p0], [1]),
        ([p0], [2**253 - 1]),
        ([p0, p0, p0, neg(p0)], [1, 1, 1, 1]),
        ([p0] * 50 + [neg(p0)] * 50, [rng.randrange(R) for _ in range(100)]),
        ([p0] * 64, [2**k for k in range(64)]),
        ([p0, p1, p0, p1], [R - 1, R - 1, 1, 1]),  # exact cancellation of everything
    ]
    for pts, scalars in cases:
        assert msm(pts, scalars) == reference(pts, scalars), (pts, scalars)


def test_duplicates_and_negations_many(base_points):
    rng = random.Random(8)
    pool = base_points[:3] + [neg(q) for q in base_points[:3]] + [None]
    for trial in range(20):
        n = rng.randrange(1, 60)
        pts = [rng.choice(pool) for _ in range(n)]
        choices = [0, 1, 2, R - 1, R - 2, (R - 1) // 2, rng.randrange(R)]
        scalars = [rng.choice(choices) for _ in range(n)]
        assert msm(pts, scalars) == reference(pts, scalars), trial


def test_digit_patterns(base_points):
    # scalars whose windows are all ones exercise the borrow chain of signed digits
    p0 = base_points[2]
    scalars = [2**k - 1 for k in range(1, 254, 7)] + [R - 2**k for k in range(0, 250, 9)]
    pts = [p0] * len(scalars)
    for c in (2, 3, 5, 8, 9, 13):
        orig = msm_mod.window_size
        msm_mod.window_size = lambda n, bits=254, c=c: c
        try:
            assert msm(pts, scalars) == reference(pts, scalars), c
            assert msm(pts[:1], scalars[:1]) == reference(pts[:1], scalars[:1]), c
        finally:
            msm_mod.window_size = orig


def test_large_random_matches(base_points):
    rng = random.Random(9)
    pts = [rng.choice(base_points + [None]) for _ in range(300)]
    scalars = [rng.randrange(R) for _ in range(300)]
    assert msm(pts, scalars) == reference(pts, scalars)


def test_add_and_scalar_mul(base_points):
    rng = random.Random(10)
    p0, p1 = base_points[3], base_points[4]
    assert add(p0, p1) == to_affine(ec_add(to_py_ecc(p0), to_py_ecc(p1)))
    assert add(p0, p0) == to_affine(ec_add(to_py_ecc(p0), to_py_ecc(p0)))
    assert add(p0, neg(p0)) is None
    assert add(None, p0) == p0 and add(p0, None) == p0 and add(None, None) is None
    for k in [0, 1, 2, R - 1, R, rng.randrange(R)]:
        assert scalar_mul(p0, k) == reference([p0], [k])
    assert scalar_mul(None, 5) is None


def test_results_are_reduced(base_points):
    res = msm(base_points[:5], [1, 2, 3, 4, 5])
    assert res is not None and 0 <= res[0] < P and 0 <= res[1] < P


def test_window_size_is_sane():
    assert all(2 <= window_size(n) <= 16 for n in [1, 2, 10, 100, 1000, 2048, 1 << 20])
    assert window_size(1) <= window_size(2048)


def test_length_mismatch():
    with pytest.raises(ValueError):
        msm([None], [])


def test_repeated_bases_are_merged(base_points):
    # structured commitments repeat rows: merged scalars, cancellations, negations
    a, b, c = base_points[:3]
    pts = [a, a, neg(a), b, neg(b), c, None, a]
    ks = [5, R - 2, 3, 7, 7, 0, 9, 1]
    assert msm(pts, ks) == reference(pts, ks) == scalar_mul(a, 1)
    assert msm([a, neg(a)], [4, 4]) is None
    rng = random.Random(3)
    pts = [rng.choice(base_points[:4] + [neg(base_points[0])]) for _ in range(80)]
    ks = [rng.randrange(R) for _ in pts]
    assert msm(pts, ks) == reference(pts, ks)


def test_endomorphism_is_lambda_times_the_point(base_points):
    # BETA and LAMBDA are cube roots of unity, and phi(P) = LAMBDA * P on G1
    assert pow(msm_mod.BETA, 3, P) == 1 and msm_mod.BETA != 1
    assert pow(msm_mod.LAMBDA, 3, R) == 1 and msm_mod.LAMBDA != 1
    for q in [to_affine(G1), *base_points[:4]]:
        assert msm_mod.endomorphism(q) == reference([q], [msm_mod.LAMBDA])
    assert msm_mod.endomorphism(None) is None


def test_glv_split_is_exact_and_short():
    rng = random.Random(12)
    edge = [0, 1, 2, R - 1, R - 2, (R - 1) // 2, (R + 1) // 2, msm_mod.LAMBDA, 2**128, 2**253]
    for s in edge + [rng.randrange(R) for _ in range(2000)]:
        k1, k2 = msm_mod.glv_split(s)
        assert (k1 + k2 * msm_mod.LAMBDA - s) % R == 0, s
        assert abs(k1) < 2**128 and abs(k2) < 2**128, s


def test_glv_halves_that_collide(base_points):
    # phi(P) and -phi(P) among the inputs: their halves merge with another input's x
    p0, p1 = base_points[5], base_points[6]
    phi0 = msm_mod.endomorphism(p0)
    phi2 = msm_mod.endomorphism(phi0)
    rng = random.Random(13)
    for pts in ([p0, phi0], [p0, neg(phi0)], [p0, phi0, phi2], [p0, phi0, p1, neg(phi2)]):
        for _ in range(5):
            scalars = [rng.randrange(R) for _ in pts]
            assert msm(pts, scalars) == reference(pts, scalars)
        # s P - (s / LAMBDA) phi(P) cancels exactly
        lam_inv = pow(msm_mod.LAMBDA, -1, R)
        assert msm([p0, phi0], [7, (R - 7) * lam_inv % R]) is None
