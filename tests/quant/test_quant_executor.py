"""The integer semantics: rounding, saturation, division, tables, overflow checks."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from zkml.errors import InputError
from zkml.quant.executor import execute
from zkml.quant.ir import QModel, QOp, QTensor
from zkml.quant.rounding import (
    QuantOverflowError,
    exact_matmul,
    frac_bits_for,
    quantize_float,
    round_div,
    round_shift,
    saturate,
)
from zkml.quant.tables import make_table, table_inputs

REPO = Path(__file__).resolve().parents[2]


def _half_up(num: int, den: int) -> int:
    """Round half up with exact rationals: floor(num/den + 1/2)."""
    f = Fraction(num, den) + Fraction(1, 2)
    return f.numerator // f.denominator


@pytest.mark.parametrize("k", [0, 1, 5, 16])
def test_round_shift_is_half_up(k):
    acc = np.random.default_rng(k).integers(-(1 << 40), 1 << 40, size=500)
    acc = np.concatenate([acc, np.array([-3, -2, -1, 0, 1, 2, 3]) << k >> 1])
    q, rem = round_shift(acc, k)
    expect = [_half_up(int(a), 1 << k) for a in acc]
    assert q.tolist() == expect
    assert np.all((rem >= 0) & (rem < (1 << k)))
    half = (1 << (k - 1)) if k else 0
    assert np.array_equal(acc + half, q * (1 << k) + rem)


def test_half_up_on_ties():
    q, _ = round_shift(np.array([-3, -1, 1, 3]), 1)  # -1.5, -0.5, 0.5, 1.5
    assert q.tolist() == [-1, 0, 1, 2]
    assert quantize_float(np.array([-1.5, -0.5, 0.5, 1.5, 2.49]), 0, 8).tolist() == [
        -1, 0, 1, 2, 2]


@pytest.mark.parametrize("d", [1, 2, 3, 7, 9, 49, 64])
def test_round_div_is_half_up(d):
    num = np.arange(-300, 300)
    q, rem = round_div(num, d)
    assert q.tolist() == [_half_up(int(n), d) for n in num]
    assert np.all((rem >= 0) & (rem < d))


def test_saturate_and_quantize_clip_to_the_bit_bound():
    assert saturate(np.array([-200, -128, 0, 127, 300]), 8).tolist() == [-128, -128, 0, 127, 127]
    assert quantize_float(np.array([1e9, -1e9]), 4, 8).tolist() == [127, -128]
    with pytest.raises(InputError):
        quantize_float(np.array([np.nan]), 0, 8)


def test_frac_bits_for_fits_exactly():
    assert frac_bits_for(1.0, 8) == 6  # 64 <= 127 < 128
    assert frac_bits_for(127.0, 8) == 0
    assert frac_bits_for(127.5, 8) == -1
    assert frac_bits_for(0.0, 16) == 14
    assert frac_bits_for(100.0, 16, cap=3) == 3


def test_exact_matmul_switches_path_and_stays_exact():
    rng = np.random.default_rng(0)
    a = rng.integers(-(1 << 20), 1 << 20, size=(3, 50))
    b = rng.integers(-(1 << 20), 1 << 20, size=(50, 4))
    ref = np.array([[sum(int(x) * int(y) for x, y in zip(r, c, strict=True)) for c in b.T]
                    for r in a], dtype=object)
    big = exact_matmul(a, b, 50 << 40)  # above 2^53: int64 path
    small = exact_matmul(a >> 10, b >> 10, 50 << 20)  # float64 path
    assert (big.astype(object) == ref).all()
    assert np.array_equal(small, (a >> 10) @ (b >> 10))
    with pytest.raises(QuantOverflowError):
        exact_matmul(a, b, 1 << 62)


def test_tables_domain_and_edges():
    t = make_table("sigmoid", 6, 8, 14, 16)  # inputs -2..1.98, outputs at 2^-14
    assert t.shape == (256,) and np.all(np.diff(t) >= 0)
    x = table_inputs(8)
    assert x[0] == -128 and x[-1] == 127
    assert abs(t[128] - (1 << 13)) <= 1  # sigmoid(0) = 0.5
    e = make_table("exp", 4, 8, 6, 8)  # exp of positive inputs saturates at 127
    assert e[-1] == 127 and e[128] == 64 and e[0] == 0


def _model(ops, tensors, constants=None, inputs=("x",)) -> QModel:
    return QModel({t.name: t for t in tensors}, ops, list(inputs),
                  {"y": ops[-1].output}, constants or {})


def test_div_op_rounds_exactly():
    num = QTensor("x", (4, 3), 0, 16, "input")
    den = QTensor("d", (4, 1), 0, 16, "input")
    y = QTensor("y", (4, 3), 0, 24)
    m = _model([QOp("div", "0:div", ("x", "d"), "y", {"lshift": 3})], [num, den, y],
               inputs=("x", "d"))
    rng = np.random.default_rng(1)
    xs, ds = rng.integers(0, 1000, size=(4, 3)), rng.integers(1, 50, size=(4, 1))
    tr = execute(m, {"x": xs, "d": ds})
    expect = [[_half_up(int(a) * 8, int(dd[0])) for a in row] for row, dd in zip(xs, ds,
                                                                                  strict=True)]
    assert tr.tensors["y"].tolist() == expect
    rem = tr.aux["0:div"]["remainder"]
    assert np.all((rem >= 0) & (rem < 2 * ds))
    with pytest.raises(QuantOverflowError, match="divisor must be positive"):
        execute(m, {"x": xs, "d": np.zeros((4, 1), dtype=np.int64)})


def test_leaky_relu_uses_a_fixed_point_multiplier():
    x = QTensor("x", (5,), 4, 16, "input")
    y = QTensor("y", (5,), 4, 16)
    m = _model([QOp("leaky_relu", "0:leaky_relu", ("x",), "y",
                    {"alpha": 6554, "alpha_shift": 16})], [x, y])  # 0.1 * 2^16 = 6553.6
    out = execute(m, np.array([-100, -7, -1, 0, 9])).tensors["y"]
    assert out.tolist() == [_half_up(-100 * 6554, 1 << 16), _half_up(-7 * 6554, 1 << 16),
                            0, 0, 9]


def test_inputs_and_overflow_are_checked():
    x = QTensor("x", (2, 2), 0, 8, "input")
    w = QTensor("w", (2, 2), 0, 60, "weight")
    y = QTensor("y", (2, 2), 0, 16)
    m = _model([QOp("matmul", "0:matmul", ("x", "w"), "y", {"side": "right", "shift": 0})],
               [x, w, y], {"w": np.full((2, 2), 1 << 58, dtype=np.int64)})
    with pytest.raises(QuantOverflowError, match="2\\^62"):
        execute(m, np.ones((2, 2), dtype=np.int64))
    ok = _model([QOp("relu", "0:relu", ("x",), "y", {})], [x, y])
    with pytest.raises(QuantOverflowError, match="outside its 8-bit bound"):
        execute(ok, np.full((2, 2), 128))
    with pytest.raises(InputError, match="integers"):
        execute(ok, np.zeros((2, 2)))
    with pytest.raises(InputError, match="shape"):
        execute(ok, np.zeros((3, 2), dtype=np.int64))


def test_compile_path_libraries_stay_off_the_executor_import_path():
    code = ("import sys, zkml, zkml.quant.compiled, zkml.quant.executor, zkml.compile_api; "
            "bad = [m for m in ('onnx', 'onnxruntime', 'sklearn') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
