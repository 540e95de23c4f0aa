"""BN254 field arithmetic over plain Python ints (conventions.md).

Plain ints are as fast as any array library for a 254-bit prime and cost nothing to
import. Tables are Python lists of ints in [0, R); variable x_0 is the least
significant bit of a table index everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

__all__ = [
    "R",
    "P",
    "inv",
    "batch_inverse",
    "eq_table",
    "eq_eval",
    "mle_eval",
    "inner",
    "lagrange_eval",
]

#: Scalar field Fr of BN254 (all sumcheck and polynomial arithmetic).
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
#: Base field Fp of BN254 (curve coordinates).
P = 21888242871839275222246405745257275088696311157297823662689037894645226208583


def inv(a: int, modulus: int = R) -> int:
    """Inverse of `a` modulo `modulus`; raises ZeroDivisionError for 0 (callers never pass 0)."""
    a %= modulus
    if a == 0:
        raise ZeroDivisionError("inverse of zero")
    return pow(a, -1, modulus)


def batch_inverse(values: Sequence[int], modulus: int = R) -> list[int]:
    """Inverses of all `values` with one modular inverse (Montgomery's trick).

    Every value must be nonzero modulo `modulus`.
    """
    n = len(values)
    prefix = [0] * n
    acc = 1
    for i, v in enumerate(values):
        prefix[i] = acc
        acc = acc * v % modulus
    if acc == 0:
        raise ZeroDivisionError("batch inverse of a zero element")
    acc_inv = pow(acc, -1, modulus)
    out = [0] * n
    for i in range(n - 1, -1, -1):
        out[i] = acc_inv * prefix[i] % modulus
        acc_inv = acc_inv * values[i] % modulus
    return out


def eq_table(point: Sequence[int]) -> list[int]:
    """E_z[i] = eq(z, bits(i)) for all i < 2^len(z), with z_0 bound to the index LSB."""
    table = [1]
    for z in point:
        hi = [e * z % R for e in table]
        # (1 - z) * e computed as e - z * e: one multiplication per entry
        lo = [(e - h) % R for e, h in zip(table, hi, strict=True)]
        table = lo + hi
    return table


def eq_eval(x: Sequence[int], y: Sequence[int]) -> int:
    """eq(x, y) = prod_k (x_k y_k + (1 - x_k)(1 - y_k)) for two points of equal length."""
    if len(x) != len(y):
        raise ValueError("eq of points of different lengths")
    acc = 1
    for a, b in zip(x, y, strict=True):
        ab = a * b
        acc = acc * (2 * ab - a - b + 1) % R
    return acc


def mle_eval(table: Sequence[int], point: Sequence[int]) -> int:
    """Multilinear extension of `table` (length 2^len(point)) at `point`, by folding."""
    if len(table) != 1 << len(point):
        raise ValueError("table length is not 2^len(point)")
    cur = [v % R for v in table]
    for c in point:
        cur = [(lo + c * (hi - lo)) % R for lo, hi in zip(cur[0::2], cur[1::2], strict=True)]
    return cur[0]


def inner(a: Sequence[int], b: Sequence[int]) -> int:
    """<a, b> mod R for sequences of equal length."""
    if len(a) != len(b):
        raise ValueError("inner product of vectors of different lengths")
    return sum(x * y for x, y in zip(a, b, strict=True)) % R


@lru_cache(maxsize=16)
def _lagrange_denominator_inverses(d: int) -> tuple[int, ...]:
    # prod_{m != j} (j - m) = j! * (d - j)! * (-1)^(d - j), a nonzero small integer
    out = []
    for j in range(d + 1):
        den = 1
        for m in range(d + 1):
            if m != j:
                den *= j - m
        out.append(pow(den % R, -1, R))
    return tuple(out)


def lagrange_eval(values: Sequence[int], c: int) -> int:
    """p(c) for the polynomial of degree len(values)-1 with p(j) = values[j], j = 0..d."""
    d = len(values) - 1
    if d < 0:
        raise ValueError("interpolation of no values")
    c %= R
    if c <= d:
        return values[c] % R
    # numerator of node j is prod_{m != j} (c - m), from prefix and suffix products
    prefix = [1] * (d + 2)
    for m in range(d + 1):
        prefix[m + 1] = prefix[m] * (c - m) % R
    suffix = 1
    dens = _lagrange_denominator_inverses(d)
    acc = 0
    for j in range(d, -1, -1):
        acc += values[j] * prefix[j] % R * suffix * dens[j]
        suffix = suffix * (c - j) % R
    return acc % R
