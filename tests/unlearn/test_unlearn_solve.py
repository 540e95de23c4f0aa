"""The client's solver on synthetic integers: a block's update meets the relations, and
each bound of circuits/unlearning.md section 4 refuses the update when it fails."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np
import pytest
from unlearn_vectors import small_request

from zkml.errors import InputError
from zkml.unlearn.solve import solve_layer


def _data(seed: int = 0, correlated: bool = False):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 1 << 14, size=(64, 19))
    if correlated:  # every column nearly the same: compensation must be large
        x = np.repeat(rng.integers(1 << 13, 1 << 14, size=(64, 1)), 19, axis=1) + \
            rng.integers(0, 4, size=(64, 19))
    theta = rng.integers(-600, 600, size=(2, 19))
    return x, theta


def _solve(req, x, theta, b_w: int = 12):
    return solve_layer(req, theta, x, np.ones(len(x), dtype=np.int64), 16, 14, b_w, 11)


def test_update_zeroes_the_mask_and_keeps_unaffected_blocks():
    req = small_request()
    x, theta = _data()
    up = _solve(req, x, theta)
    assert (up.theta_new[req.mask] == 0).all()
    assert np.array_equal(up.theta_new[1, 16:], theta[1, 16:])   # block (1, 1): no mask bit
    assert [(b.o, b.j) for b in up.blocks] == req.affected()
    assert all(abs(v) <= up.bounds.t for b in up.blocks for v in b.r)


def test_each_bound_refuses():
    req = small_request()
    x, theta = _data()
    with pytest.raises(InputError, match="beyond T =.*must raise --tau"):
        _solve(dataclasses.replace(req, tau=Fraction(1, 1 << 60)), x, theta)
    with pytest.raises(InputError, match="mu needs more than.*must raise --mu-max"):
        _solve(dataclasses.replace(req, mu_max=Fraction(1, 1 << 40)), x, theta)
    with pytest.raises(InputError, match="at least 100 samples"):
        _solve(dataclasses.replace(req, min_n=100), x, theta)
    xc, tc = _data(correlated=True)
    # a masked weight at the format's top, its correlated neighbours near it: moving its
    # contribution onto them takes them past 2047
    tc[0, 1], tc[0, 3:16] = 2047, 2000
    with pytest.raises(InputError, match="leaves its 12-bit format.*--unlearnable"):
        _solve(dataclasses.replace(req, lam=Fraction(1, 1 << 20)), xc, tc)
    with pytest.raises(InputError, match="at most 16"):
        solve_layer(req, theta, x, np.ones(len(x), dtype=np.int64), 24, 14, 12, 11)


def test_format_refusal_names_what_the_provider_must_change():
    from zkml.unlearn.solve import _format_refusal

    req = dataclasses.replace(small_request(), lam=Fraction(1, 8))
    theta = np.array([[1000, -20]])      # below 2^10: the 12-bit format's bit is reserved
    line = _format_refusal(req, theta, np.array([[0, 3020]]), 12)
    assert "by 3 times the layer's largest weight" in line
    assert "must raise lambda (zkml unlearn request --lambda, now 0.125" in line
    assert "--unlearnable" not in line and "\n" not in line
    line = _format_refusal(req, theta * 2, np.array([[0, 2100]]), 12)
    assert "no bit reserved" in line and "--unlearnable fc1.weight" in line
