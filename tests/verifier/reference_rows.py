"""Row-broadcast add, rowmax and rowdiv for the reference prover (circuits/nonlinear.md
sections 6-7, with the grouped rows of section 12). Tests only.

Written from the text, independently of zkml/verifier/{rows,inference}.py: the
accumulators (a one-feature `y` broadcast along the features; the row maximum over the
row's `n` real entries; a row is a (group, batch row) pair, a tensor of padded width `W`
read in `pad(G)` groups of `P = W / pad(G)` positions, feature `f = i + P g`;
`q = floor((2^(l+1) x + y_b) / (2 y_b))`), the extra values
(`D = mask (z_b - x)` and a one-hot `S` on the first maximum, of x's length;
`R = 2^(l+1) x + y_b - 2 y_b q` and `Rc = 2 y_b - 1 - R`) and the two zerocheck
instances' tables and terms (plain lists: every factor multilinear).
"""

from __future__ import annotations

from zkml.verifier.field import R, eq_table


def clog(n: int) -> int:
    return (n - 1).bit_length()


def broadcast(yr: list[int], width: int) -> list[int]:
    """A padded row of y on `width` padded features: y's pad(G) row values, each repeated
    along its group's P = width / pad(G) positions (sections 6, 12; itself when G = width)."""
    per = width // len(yr)
    return [yr[f // per] for f in range(width)]


def add_acc(p: dict, x: list[list[int]], y: list[list[int]]) -> list[list[int]]:
    """sa 2^la x + sb 2^lb y, y broadcast along the groups' positions."""
    (sa, sb), (la, lb) = p["signs"], p["lshifts"]
    return [[sa * (xv << la) + sb * (yv << lb) for xv, yv in zip(xr, broadcast(yr, len(xr)),
                                                               strict=True)]
            for xr, yr in zip(x, y, strict=True)]


def rowmax_acc(p: dict, x: list[list[int]], n_g: int) -> list[list[int]]:
    """acc[b][g] = max of group g's n real entries (n_g = pad(G) groups of P)."""
    per = len(x[0]) // n_g
    return [[max(xr[per * g : per * g + p["n"]]) for g in range(n_g)] for xr in x]


def rowmax_extras(p: dict, x: list[list[int]], z: list[int]) -> tuple[list[int], list[int]]:
    """(D, S) flat over x's length: D = [i < n] (z_gb - x), S one-hot on each group's
    first real entry equal to z_gb (all zeros if there is none); z flat, pad(G) per row."""
    n, w = p["n"], len(x[0])
    n_g = len(z) // len(x)
    per = w // n_g
    d, s = [], []
    for b, xr in enumerate(x):
        for g in range(n_g):
            zb, grp = z[b * n_g + g], xr[per * g : per * (g + 1)]
            hit = next((i for i in range(n) if grp[i] == zb), None)
            d += [(zb - v) if i < n else 0 for i, v in enumerate(grp)]
            s += [int(i == hit) for i in range(per)]
    return d, s


def rowdiv_acc(p: dict, x: list[list[int]], y: list[list[int]]) -> list[list[int]]:
    """q = floor((2^(l+1) x + y_gb) / (2 y_gb)) on every entry (y_gb >= 1)."""
    sh = p["lshift"] + 1
    return [[((v << sh) + yv) // (2 * yv) for v, yv in zip(xr, broadcast(yr, len(xr)),
                                                          strict=True)]
            for xr, yr in zip(x, y, strict=True)]


def rowdiv_extras(p: dict, x: list[list[int]], y: list[list[int]],
                  q: list[int]) -> tuple[list[int], list[int]]:
    """(R, Rc) flat: R = 2^(l+1) x + y_gb - 2 y_gb q, Rc = 2 y_gb - 1 - R."""
    sh = p["lshift"] + 1
    xs = [v for r in x for v in r]
    ys = [v for xr, yr in zip(x, y, strict=True) for v in broadcast(yr, len(xr))]
    rr, rc = [], []
    for v, yb, qq in zip(xs, ys, q, strict=True):
        r = (v << sh) + yb - 2 * yb * qq
        rr.append(r)
        rc.append(2 * yb - 1 - r)
    return rr, rc


def _flat(rows: list[list[int]]) -> list[int]:
    return [v % R for r in rows for v in r]


def rowmax_instance(p: dict, x: list[list[int]], z: list[int], d: list[int], s: list[int],
                    tau: list[int], beta: int) -> tuple[list[list[int]], list]:
    """Tables and terms of sum eq(tau, x) [D - mask z_b + mask X + beta (S - mask S)
    + beta^2 S D] over x's variables."""
    n_x = len(x[0])
    n_g = len(z) // len(x)
    per = n_x // n_g
    mask = [int(i % per < p["n"]) for i in range(len(x) * n_x)]
    zb = [z[i // per] % R for i in range(len(x) * n_x)]  # flat index b n_g + g = i // P
    tabs = [eq_table(tau), [v % R for v in d], mask, zb, _flat(x), [v % R for v in s]]
    b2 = beta * beta % R
    terms = [(1, [0, 1]), (R - 1, [0, 2, 3]), (1, [0, 2, 4]), (beta, [0, 5]),
             ((-beta) % R, [0, 2, 5]), (b2, [0, 5, 1])]
    return tabs, terms


def rowdiv_instance(p: dict, x: list[list[int]], y: list[list[int]], q: list[int],
                    rr: list[int], tau: list[int]) -> tuple[list[list[int]], list]:
    """Tables and terms of sum eq(tau, x) [2^(l+1) X + y_b - 2 y_b q - R]."""
    yb = [v % R for xr, yr in zip(x, y, strict=True) for v in broadcast(yr, len(xr))]
    tabs = [eq_table(tau), _flat(x), yb, [v % R for v in q], [v % R for v in rr]]
    terms = [(1 << (p["lshift"] + 1), [0, 1]), (1, [0, 2]), (R - 2, [0, 2, 3]),
             (R - 1, [0, 4])]
    return tabs, terms
