"""Spatial layouts, conv and pooling for the reference prover (circuits/conv.md). Tests only.

Written from the text, independently of zkml/verifier/{spatial,conv,pool}.py: the padded
layout (last axis lowest), the conv relation computed directly (a tap outside the input
reads 0), the pools over their windows, the conv instance's four tables by brute force,
and the window points.
"""

from __future__ import annotations

from zkml.verifier.field import R, eq_table


def clog(n: int) -> int:
    return (n - 1).bit_length()


def pads(dims) -> list[int]:
    return [1 << clog(d) for d in dims]


def flat_index(dims, idx) -> int:
    """Feature index of `idx` = (c, s_1(, s_2)) in the padded layout of `dims`."""
    f = 0
    for p, i in zip(pads(dims), idx, strict=True):
        f = f * p + i
    return f


def layout_row(dims, row: list[int]) -> list[int]:
    """An unpadded ONNX-order row of a [C, S..] tensor on its padded layout (zeros)."""
    width = 1
    for p in pads(dims):
        width *= p
    out = [0] * width
    for n, v in enumerate(row):
        idx, rest = [], n
        for d in reversed(dims):
            idx.append(rest % d)
            rest //= d
        out[flat_index(dims, list(reversed(idx)))] = v
    return out


def _grid(dims):
    """All index tuples over `dims` (row-major)."""
    out = [()]
    for d in dims:
        out = [(*o, i) for o in out for i in range(d)]
    return out


def conv_weight(kernel4: list, c_in: int, ksize: list[int]) -> list[list[int]]:
    """The (O, pad(C) prod pad(K)) weight matrix of an ONNX kernel W[o][c][i](j)."""
    cols = (1 << clog(c_in)) * pads(ksize)[0] * (pads(ksize)[1] if len(ksize) > 1 else 1)
    out = []
    for ko in kernel4:
        row = [0] * cols
        for c in range(c_in):
            for taps in _grid(ksize):
                v = ko[c]
                for t in taps:
                    v = v[t]
                row[flat_index([c_in, *ksize], [c, *taps])] = v
        out.append(row)
    return out


def conv_acc(p: dict, x: list[list[int]], w: list[list[int]], bias: list[int],
             out_width: int) -> list[list[int]]:
    """acc on the padded output: taps inside the input only; y >= T (padding) gets the
    bias alone (the wiring's [y < n_out])."""
    in_shape, out_shape, ks = p["in_shape"], p["out_shape"], p["kernel"]
    c_in, o_n = in_shape[0], out_shape[0]
    out = []
    for xr in x:
        row = [0] * out_width
        for o in range(1 << clog(o_n)):
            b = (bias[o] << p["bias_shift"]) if o < len(bias) else 0
            for pos in _grid(out_shape[1:]):
                a = b
                if o < o_n:
                    for c in range(c_in):
                        for taps in _grid(ks):
                            src = [st * y + dl * i - pd for y, i, st, dl, pd in zip(
                                pos, taps, p["strides"], p["dilations"], p["pads"], strict=True)]
                            if all(0 <= s < n for s, n in zip(src, in_shape[1:], strict=True)):
                                a += (w[o][flat_index([c_in, *ks], [c, *taps])]
                                      * xr[flat_index(in_shape, [c, *src])])
                row[flat_index(out_shape, [o, *pos])] = a
            # padded spatial positions of a real or padded channel: bias only
            for pos in _grid(pads(out_shape[1:])):
                if any(q >= n for q, n in zip(pos, out_shape[1:], strict=True)):
                    row[flat_index(out_shape, [o, *pos])] = b
        out.append(row)
    return out


def pool_windows(p: dict, xr: list[int]) -> list[list[int]]:
    """Per padded output entry, the window entries it reads (window order)."""
    in_shape, out_shape, win = p["in_shape"], p["out_shape"], p["window"]
    width = 1
    for q in pads(out_shape):
        width *= q
    out: list[list[int]] = [[] for _ in range(width)]
    for c in range(1 << clog(in_shape[0])):
        for pos in _grid(pads(out_shape[1:])):
            f = flat_index(out_shape, [c, *pos])
            for off in _grid(win):
                src = [k * y + w for k, y, w in zip(win, pos, off, strict=True)]
                out[f].append(xr[flat_index(in_shape, [c, *src])])
    return out


def window_point(p: dict, r_g: list[int], off) -> list[int]:
    """(bits(w_2) || r_x || 0.., bits(w_1) || r_y || 0.., r_c, r_b)."""
    in_shape, out_shape, win = p["in_shape"], p["out_shape"], p["window"]
    k = len(win)
    point, pos = [], 0
    for a in range(k - 1, -1, -1):
        kb, tb, sb = clog(win[a]), clog(out_shape[a + 1]), clog(in_shape[a + 1])
        point += [(off[a] >> j) & 1 for j in range(kb)] + r_g[pos : pos + tb]
        point += [0] * (sb - kb - tb)
        pos += tb
    return point + r_g[pos:]


def _wire(n_out, n_in, k, s, d, p, y, i, x) -> bool:
    return y < n_out and i < k and x < n_in and s * y + d * i == x + p


def conv_tables(p: dict, x: list[list[int]], w: list[list[int]], r_g: list[int]):
    """(nv, [Wt, Xt, A_1(, A_2)]) of the conv instance over (x'.., j.., c), the last axis
    lowest in each group, and the split r_g = (r_T.. , r_o, r_b)."""
    in_shape, out_shape, ks = p["in_shape"], p["out_shape"], p["kernel"]
    k = len(ks)
    lt = [clog(t) for t in out_shape[1:]]
    pos = 0
    r_t = [None] * k
    for a in range(k - 1, -1, -1):
        r_t[a] = r_g[pos : pos + lt[a]]
        pos += lt[a]
    lo = clog(out_shape[0])
    r_o, r_b = r_g[pos : pos + lo], r_g[pos + lo :]
    ls = [clog(s) for s in in_shape[1:]]
    lk = [clog(q) for q in ks]
    lc = clog(in_shape[0])
    nv = sum(ls) + sum(lk) + lc
    eo, eb = eq_table(r_o), eq_table(r_b)
    ets = [eq_table(r) for r in r_t]
    wt, xt = [0] * (1 << nv), [0] * (1 << nv)
    wires = [[0] * (1 << nv) for _ in range(k)]
    for idx in range(1 << nv):
        rest = idx
        sv = [0] * k
        for a in range(k - 1, -1, -1):
            sv[a] = rest & ((1 << ls[a]) - 1)
            rest >>= ls[a]
        kv = [0] * k
        for a in range(k - 1, -1, -1):
            kv[a] = rest & ((1 << lk[a]) - 1)
            rest >>= lk[a]
        c = rest
        col = flat_index([in_shape[0], *ks], [c, *kv]) if c < (1 << lc) else 0
        wt[idx] = sum(eo[o] * w[o][col] for o in range(len(w))) % R
        xf = flat_index(in_shape, [c, *sv])
        xt[idx] = sum(eb[b] * x[b][xf] for b in range(len(x))) % R
        for a in range(k):
            args = (out_shape[a + 1], in_shape[a + 1], ks[a], p["strides"][a],
                    p["dilations"][a], p["pads"][a])
            wires[a][idx] = sum(ets[a][y] for y in range(1 << lt[a])
                                if _wire(*args, y, kv[a], sv[a])) % R
    return nv, [wt, xt, *wires], (r_o, r_b)


def conv_claim_points(p: dict, r_o, r_b, s: list[int]):
    """X's point (s_x'.., s_c, r_b) and W's point (s_j.., s_c, r_o) at the instance point."""
    ls = sum(clog(q) for q in p["in_shape"][1:])
    lk = sum(clog(q) for q in p["kernel"])
    s_x, s_k, s_c = s[:ls], s[ls : ls + lk], s[ls + lk :]
    return [*s_x, *s_c, *r_b], [*s_k, *s_c, *r_o]
