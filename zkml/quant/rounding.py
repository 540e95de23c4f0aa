"""Integer primitives of the quantized semantics (circuits/quantization.md).

Every value is a numpy int64 array. Nothing here may wrap: bounds are checked before a
computation could leave int64 (static worst-case bounds) and after it (range checks),
and a violation raises `QuantOverflowError` instead of producing a wrapped value.
"""

from __future__ import annotations

import math

import numpy as np

from zkml.errors import InputError, ModelError

__all__ = [
    "INT64_LIMIT_BITS",
    "FLOAT_EXACT_BITS",
    "QuantOverflowError",
    "signed_range",
    "bits_for",
    "check_range",
    "check_bound",
    "round_shift",
    "round_div",
    "saturate",
    "quantize_float",
    "frac_bits_for",
    "exact_matmul",
]

# Intermediate values must stay below 2^62 so that int64 never overflows (one bit of
# slack for the rounding offset and the sign).
INT64_LIMIT_BITS = 62
# float64 represents every integer below 2^53 exactly, so a matrix product whose partial
# sums are all below 2^53 is exact in BLAS and much faster than numpy's int64 matmul.
FLOAT_EXACT_BITS = 53


class QuantOverflowError(ModelError):
    """An integer value left its proven bit bound, or a computation could leave int64."""


def signed_range(bits: int) -> tuple[int, int]:
    """The closed range `[-2^(bits-1), 2^(bits-1) - 1]` of a `bits`-bit signed tensor."""
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def bits_for(max_abs: int) -> int:
    """Smallest signed bit width whose range contains `[-max_abs, max_abs]`."""
    return max(int(max_abs).bit_length() + 1, 1)


def check_range(x: np.ndarray, bits: int, what: str) -> None:
    """Raise unless every entry of `x` lies in the `bits`-bit signed range."""
    if x.size == 0:
        return
    lo, hi = signed_range(bits)
    xmin, xmax = int(x.min()), int(x.max())
    if xmin < lo or xmax > hi:
        bad = xmin if xmin < lo else xmax
        raise QuantOverflowError(
            f"{what}: value {bad} is outside its {bits}-bit bound [{lo}, {hi}]"
        )


def check_bound(bound: int, what: str) -> None:
    """Raise if a static worst-case magnitude could overflow int64 arithmetic."""
    if bound >= 1 << INT64_LIMIT_BITS:
        raise QuantOverflowError(
            f"{what}: worst-case magnitude 2^{math.log2(bound):.1f} exceeds the "
            f"2^{INT64_LIMIT_BITS} limit of the integer executor; use a smaller precision"
        )


def round_shift(acc: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Round half up by `2^k`: `q = floor((acc + 2^(k-1)) / 2^k)`.

    Returns `(q, rem)` with `acc + 2^(k-1) = q * 2^k + rem` and `0 <= rem < 2^k`
    (for k = 0: `q = acc`, `rem = 0`). The caller saturates q.
    """
    acc = np.asarray(acc, dtype=np.int64)
    if k < 0:
        raise ValueError("round_shift needs k >= 0")
    if k == 0:
        return acc.copy(), np.zeros_like(acc)
    t = acc + np.int64(1 << (k - 1))
    # numpy's >> on int64 is an arithmetic shift, i.e. floor division by 2^k.
    q = t >> np.int64(k)
    rem = t - (q << np.int64(k))
    return q, rem


def round_div(num: np.ndarray, d: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    """Round half up by a positive integer divisor: `q = floor((num + floor(d/2)) / d)`.

    This is exactly round-half-up of num/d for odd and even d. Returns `(q, rem)` with
    `num + floor(d/2) = q * d + rem` and `0 <= rem < d`.
    """
    num = np.asarray(num, dtype=np.int64)
    d = np.asarray(d, dtype=np.int64)
    if d.size and int(d.min()) <= 0:
        raise ValueError("round_div needs a positive divisor")
    t = num + d // 2
    q = np.floor_divide(t, d)
    rem = t - q * d
    return q, rem


def saturate(q: np.ndarray, bits: int) -> np.ndarray:
    """Clamp to the `bits`-bit signed range (the tensor's proven bit bound)."""
    lo, hi = signed_range(bits)
    return np.clip(q, lo, hi).astype(np.int64)


def quantize_float(x: np.ndarray, frac_bits: int, bits: int) -> np.ndarray:
    """Float to integer at scale `2^-frac_bits`: round half up, then saturate."""
    x = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise InputError("cannot quantize non-finite values (NaN or infinity)")
    lo, hi = signed_range(bits)
    # Clip in the float domain first so that the cast to int64 cannot overflow; ldexp is
    # exact, so the rounding happens only in floor(. + 0.5).
    y = np.floor(np.ldexp(x, frac_bits) + 0.5)
    return np.clip(y, lo, hi).astype(np.int64)


def frac_bits_for(max_abs: float, bits: int, cap: int | None = None) -> int:
    """Largest fractional bit count f with `max_abs * 2^f <= 2^(bits-1) - 1`.

    An all-zero tensor gets `bits - 2` (any scale is exact for it). `cap` bounds f from
    above, e.g. so that a requantization shift stays non-negative.
    """
    hi = (1 << (bits - 1)) - 1
    if not np.isfinite(max_abs) or max_abs <= 0:
        f = bits - 2
    else:
        f = math.floor(math.log2(hi / max_abs))
        # log2 may be off by one ulp at exact powers of two; settle it exactly.
        while math.ldexp(max_abs, f) > hi:
            f -= 1
        while math.ldexp(max_abs, f + 1) <= hi:
            f += 1
    if cap is not None:
        f = min(f, cap)
    return int(f)


def exact_matmul(a: np.ndarray, b: np.ndarray, bound: int) -> np.ndarray:
    """Integer matrix product (numpy matmul broadcasting), exact, never wrapping.

    `bound` is a proven bound on the sum of absolute products of every output entry, so
    every partial sum in any summation order is below it.
    """
    check_bound(bound, "matrix product")
    if bound < 1 << FLOAT_EXACT_BITS:
        out = np.matmul(a.astype(np.float64), b.astype(np.float64))
        return np.rint(out).astype(np.int64)
    return np.matmul(a.astype(np.int64), b.astype(np.int64))
