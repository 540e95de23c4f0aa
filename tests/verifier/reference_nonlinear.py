"""Divisors, spatial sums and function tables for the reference prover
(circuits/nonlinear.md). Tests only.

Written from the text, independently of zkml/verifier/{circuit,nonlinear}.py: the
round-half-up division by a constant `d` with `rem` and `remc = d - 1 - rem`, the spatial
sum over the real region of each (padded) channel, its sumcheck tables (mask and the
folded input), and the pair-lookup trees of a table gadget.
"""

from __future__ import annotations

from zkml.verifier.field import R, eq_table


def clog(n: int) -> int:
    return (n - 1).bit_length()


def divide(acc: list[int], d: int) -> tuple[list[int], list[int]]:
    """(q, rem) with acc + floor(d/2) = d q + rem, 0 <= rem < d (quantization.md round_div)."""
    q = [(a + d // 2) // d for a in acc]
    rem = [a + d // 2 - d * qq for a, qq in zip(acc, q, strict=True)]
    return q, rem


def spatial_mask(shape: list[int]) -> list[int]:
    """[s is real] over the padded spatial index s = s_2 + pad(S_2) s_1 (1-D: s_1)."""
    spatial = shape[1:]
    pads = [1 << clog(s) for s in spatial]
    out = [1]
    for size, p in zip(spatial, pads, strict=True):  # the first axis highest
        out = [m * int(i < size) for m in out for i in range(p)]
    return out


def spatialsum_acc(p: dict, x: list[list[int]], width: int, mask: list[int]) -> list[list[int]]:
    """acc[b][c] = 2^l sum_s mask[s] X[b][c][s] for every padded channel c < width."""
    n_s = len(mask)
    return [[sum(m * xr[c * n_s + s] for s, m in enumerate(mask)) << p["lshift"]
             for c in range(width)] for xr in x]


def spatialsum_tables(x: list[list[int]], mask: list[int], r_c: list[int], r_b: list[int]):
    """(nv, [M, Xr]) of the instance: Xr[s] = sum_{c, b} eq(r_c, c) eq(r_b, b) X[b][c][s]."""
    n_s = len(mask)
    ec, eb = eq_table(r_c), eq_table(r_b)
    xr = [0] * n_s
    for b, row in enumerate(x):
        for c, e in enumerate(ec):
            w = eb[b] * e % R
            for s in range(n_s):
                xr[s] += w * row[c * n_s + s]
    return clog(n_s), [list(mask), [v % R for v in xr]]


def table_range(doc: dict, ref) -> tuple[int, int]:
    """[lo_x, hi_x]: the gadget's [lo, hi], or the input's [-2^(b-1), 2^(b-1) - 1]."""
    if ref == "input":
        half = 1 << (doc["input"]["bits"] - 1)
        return -half, half - 1
    g = doc["gadgets"][ref]
    return g["lo"], g["hi"]


def table_acc(xs: list[list[int]], lo_x: int, table: list[int]) -> list[list[int]]:
    """acc = T[x - lo_x] on every entry (padding included)."""
    return [[table[v - lo_x] for v in row] for row in xs]


def table_multiplicities(xs: list[int], lo_x: int, size: int) -> list[int]:
    """t_g[j] = #{i : x[i] - lo_x = j} over all entries."""
    out = [0] * size
    for v in xs:
        if 0 <= v - lo_x < size:
            out[v - lo_x] += 1
    return out


def table_trees(alpha: int, beta: int, xs: list[int], zs: list[int], lo_x: int,
                table: list[int], mult: list[int]):
    """The lookup tree (p = 1, q = alpha - (x - lo_x) - beta z) and the table tree
    (p = -t_g[j], q = alpha - j - beta T[j]) of one table gadget."""
    look = ([1] * len(xs), [(alpha - (x - lo_x) - beta * z) % R for x, z in zip(xs, zs,
                                                                             strict=True)])
    tab = ([(-m) % R for m in mult], [(alpha - j - beta * v) % R for j, v in enumerate(table)])
    return look, tab
