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


# --- nonlinear.md 10-11: adding a constant, concatenation along channels -------------


def addconst_acc(p: dict, x: list[list[int]], const: list[int]) -> list[list[int]]:
    """acc[b][f] = 2^l x[b][f] + C[f] (C zero beyond its columns)."""
    return [[(v << p["lshift"]) + (const[f] if f < len(const) else 0) for f, v in enumerate(xr)]
            for xr in x]


def _concat_dims(p: dict) -> tuple[int, int, list[int]]:
    """(P = prod pad(S_a), C = sum C_k, off_k per part)."""
    shapes = p["shapes"]
    n_sp = 1
    for s in shapes[0][1:]:
        n_sp *= 1 << clog(s)
    offs, c = [], 0
    for sh in shapes:
        offs.append(c)
        c += sh[0]
    return n_sp, c, offs


def concat_acc(p: dict, parts: list[list[list[int]]], width: int) -> list[list[int]]:
    """Channel c of the output is channel c - off_k of part k; channels >= C are 0. Every
    spatial entry (padding included) of a copied channel is copied."""
    n_sp, _, offs = _concat_dims(p)
    out = []
    for b in range(len(parts[0])):
        row = [0] * width
        for xk, sh, off in zip(parts, p["shapes"], offs, strict=True):
            for c in range(sh[0]):
                row[(off + c) * n_sp : (off + c + 1) * n_sp] = xk[b][c * n_sp : (c + 1) * n_sp]
        out.append(row)
    return out


def concat_tables(p: dict, parts: list[list[list[int]]], r_g: list[int]) -> list[tuple]:
    """Per part k: (log2 pad(C_k), [W_k, X_k]) with, over c' < pad(C_k),
    W_k[c'] = [c' < C_k] eq(r_c, off_k + c') (the wiring MLE on the hypercube) and
    X_k[c'] = sum_{s, b} eq(r_s, s) eq(r_b, b) X_k[b][c' P + s]."""
    n_sp, c_all, offs = _concat_dims(p)
    ls, lc = clog(n_sp), clog(c_all)
    e_s, e_c, e_b = eq_table(r_g[:ls]), eq_table(r_g[ls : ls + lc]), eq_table(r_g[ls + lc :])
    out = []
    for xk, sh, off in zip(parts, p["shapes"], offs, strict=True):
        nk = clog(sh[0])
        w = [e_c[off + c] if c < sh[0] else 0 for c in range(1 << nk)]
        x = [sum(e_b[b] * sum(e_s[s] * xk[b][c * n_sp + s] for s in range(n_sp))
                 for b in range(len(xk))) % R for c in range(1 << nk)]
        out.append((nk, [w, x]))
    return out
