"""General pooling windows (conv.md section 5) for the reference prover. Tests only.

Written from the text, independently of zkml/verifier/window.py: the taps of every
padded output entry computed directly (a tap reads when its input position lies inside
the input and the output is real), winsum / winmax accumulators, winmax's D_t and
one-hot S_t, and every sumcheck table by brute force over the wiring predicate.
"""

from __future__ import annotations

from reference_conv import _grid, clog, flat_index, pads

from zkml.verifier.field import R, eq_table


def _tap_src(p: dict, pos, taps):
    """The input position tap `taps` of output `pos` reads, or None."""
    if any(q >= n for q, n in zip(pos, p["out_shape"][1:], strict=True)):
        return None
    src = [s * y + d * i - q for y, i, s, d, q in zip(
        pos, taps, p["strides"], p["dilations"], p["pads"], strict=True)]
    if all(0 <= v < n for v, n in zip(src, p["in_shape"][1:], strict=True)):
        return src
    return None


def win_taps(p: dict, xr: list[int]) -> list[list[tuple[bool, int]]]:
    """Per padded output entry, (reads, X_t) for every tap in order (X_t = 0 when not)."""
    in_shape, out_shape = p["in_shape"], p["out_shape"]
    width = 1
    for q in pads(out_shape):
        width *= q
    out: list[list[tuple[bool, int]]] = [[] for _ in range(width)]
    for c in range(1 << clog(in_shape[0])):
        for pos in _grid(pads(out_shape[1:])):
            f = flat_index(out_shape, [c, *pos])
            for taps in _grid(p["kernel"]):
                src = _tap_src(p, pos, taps)
                out[f].append((True, xr[flat_index(in_shape, [c, *src])]) if src is not None
                              else (False, 0))
    return out


def winsum_acc(p: dict, x: list[list[int]]) -> list[list[int]]:
    return [[sum(v for rd, v in ts if rd) << p["lshift"] for ts in win_taps(p, xr)]
            for xr in x]


def winmax_acc(p: dict, x: list[list[int]]) -> list[list[int]]:
    """The maximum over reading taps; 0 where no tap reads (padded outputs)."""
    return [[max((v for rd, v in ts if rd), default=0) for ts in win_taps(p, xr)]
            for xr in x]


def winmax_extras(p: dict, x: list[list[int]], z: list[int]):
    """(D, S) per tap over the flat padded output: D_t = V_t (z - X_t), S_t one-hot on the
    first reading tap holding the maximum (none on padded outputs)."""
    taps = [ts for xr in x for ts in win_taps(p, xr)]
    nt = len(taps[0])
    d = [[(zz - v) if rd else 0 for zz, (rd, v) in zip(z, (ts[t] for ts in taps), strict=True)]
         for t in range(nt)]
    s = [[0] * len(taps) for _ in range(nt)]
    for f, ts in enumerate(taps):
        reading = [(v, t) for t, (rd, v) in enumerate(ts) if rd]
        if reading:
            best = max(v for v, _ in reading)
            s[next(t for v, t in reading if v == best)][f] = 1
    return d, s


def _wire(p: dict, a: int, y: int, i: int, xi: int) -> bool:
    t, s = p["out_shape"][a + 1], p["in_shape"][a + 1]
    return (y < t and i < p["kernel"][a] and xi < s
            and p["strides"][a] * y + p["dilations"][a] * i == xi + p["pads"][a])


def _split(p: dict, r_g: list[int]):
    """(r_T per axis in ONNX order, rest (r_c, r_b))."""
    k = len(p["kernel"])
    r_t, pos = [None] * k, 0
    for a in range(k - 1, -1, -1):
        n = clog(p["out_shape"][a + 1])
        r_t[a] = r_g[pos : pos + n]
        pos += n
    return r_t, r_g[pos:]


def _spatial_index(dims: list[int], idx: int) -> list[int]:
    """Per axis (ONNX order) positions of an index over the padded spatial dims."""
    out = [0] * len(dims)
    for a in range(len(dims) - 1, -1, -1):
        n = clog(dims[a])
        out[a] = idx & ((1 << n) - 1)
        idx >>= n
    return out


def _collapse(x: list[list[int]], dims_c: int, sp_vars: int, rest: list[int]) -> list[int]:
    """T(sp) = sum_{c, b} eq(rest, (c, b)) X[b][sp + 2^sp_vars c] over the spatial vars."""
    e = eq_table(rest)
    lc = clog(dims_c)
    out = [0] * (1 << sp_vars)
    for b, row in enumerate(x):
        for c in range(1 << lc):
            w = e[c + (b << lc)]
            for sp in range(1 << sp_vars):
                out[sp] = (out[sp] + w * row[sp + (c << sp_vars)]) % R
    return out


def _wire_y(p: dict, a: int, r_t: list[int], i: int, xi: int) -> int:
    """sum_y eq(r_t, y) Wire_a(y, i, xi)."""
    e = eq_table(r_t)
    return sum(e[y] for y in range(1 << len(r_t)) if _wire(p, a, y, i, xi)) % R


def winsum_tables(p: dict, x: list[list[int]], r_g: list[int]):
    """(nv, [X, A]) of the winsum instance over (x'.., y'..); A = prod_a A_a."""
    r_t, rest = _split(p, r_g)
    ins = p["in_shape"][1:]
    nv = sum(clog(s) for s in ins)
    xt = _collapse(x, p["in_shape"][0], nv, rest)
    at = []
    for idx in range(1 << nv):
        sp = _spatial_index(ins, idx)
        v = 1
        for a in range(len(ins)):
            v = v * sum(_wire_y(p, a, r_t[a], i, sp[a]) for i in range(p["kernel"][a])) % R
        at.append(v)
    return nv, [xt, at]


def _tap_weight(p: dict, gamma: int, taps) -> int:
    return pow(gamma, flat_index_plain(p["kernel"], taps), R)


def flat_index_plain(dims, idx) -> int:
    """Row-major index over the unpadded dims (tap order, the last axis fastest)."""
    f = 0
    for d, i in zip(dims, idx, strict=True):
        f = f * d + i
    return f


def winmax_b_tables(p: dict, x: list[list[int]], r_g: list[int], gamma: int):
    """(nv, [X, Ac]) of instance (b) over (x'.., y'..)."""
    r_t, rest = _split(p, r_g)
    ins = p["in_shape"][1:]
    nv = sum(clog(s) for s in ins)
    xt = _collapse(x, p["in_shape"][0], nv, rest)
    ac = []
    for idx in range(1 << nv):
        sp = _spatial_index(ins, idx)
        v = 0
        for taps in _grid(p["kernel"]):
            w = _tap_weight(p, gamma, taps)
            for a in range(len(ins)):
                w = w * _wire_y(p, a, r_t[a], taps[a], sp[a]) % R
            v += w
        ac.append(v % R)
    return nv, [xt, ac]


def _reads(p: dict, pos, taps) -> int:
    return int(_tap_src(p, pos, taps) is not None)


def winmax_a_tables(p: dict, z: list[list[int]], r_g: list[int], gamma: int):
    """(nv, [eq(r_g', .), Z, Vc]) of instance (a) over the output's spatial vars."""
    outs = p["out_shape"][1:]
    nv = sum(clog(t) for t in outs)
    r_sp, rest = r_g[:nv], r_g[nv:]
    zt = _collapse(z, p["out_shape"][0], nv, rest)
    vc = []
    for idx in range(1 << nv):
        pos = _spatial_index(outs, idx)
        vc.append(sum(_tap_weight(p, gamma, taps) * _reads(p, pos, taps)
                      for taps in _grid(p["kernel"])) % R)
    return nv, [eq_table(r_sp), zt, vc]


def winmax_zero_tables(p: dict, n_flat: int):
    """(1 - V_t) per tap and (1 - Rg) over the flat gadget index (x, y, c, b)."""
    outs = p["out_shape"][1:]
    nsp = sum(clog(t) for t in outs)
    mask = (1 << nsp) - 1
    one_minus_v = []
    for taps in _grid(p["kernel"]):
        one_minus_v.append([1 - _reads(p, _spatial_index(outs, f & mask), taps)
                            for f in range(n_flat)])
    region = [0 if all(q < n for q, n in zip(_spatial_index(outs, f & mask), outs,
                                             strict=True)) else 1 for f in range(n_flat)]
    return one_minus_v, region


def winmax_d_sum(ev: list[int], kinds: list, gamma: int, lb: int) -> int:
    """sum_t gamma^t D_t(r_g) from a winmax's acc-evals (`kinds`: each value's column kind,
    ("D", t) for the limbs of D_t, low limb first)."""
    total, c = 0, 1
    nt = 1 + max((k[1] for k in kinds if isinstance(k, tuple) and k[0] == "D"), default=-1)
    for t in range(nt):
        limbs = [v for v, k in zip(ev, kinds, strict=False) if k == ("D", t)]
        total += c * sum(v << (lb * j) for j, v in enumerate(limbs))
        c = c * gamma % R
    return total % R


def winmax_instances(p: dict, gi: int, x, z, r_g, gamma: int, e_val: int, dsum: int):
    """Instances (a) (claim E + sum_t gamma^t D_t(r_g)) and (b) (claim E) of winmax gi."""
    anv, atabs = winmax_a_tables(p, z, r_g, gamma)
    bnv, btabs = winmax_b_tables(p, x, r_g, gamma)
    return [("winmax_a", gi, anv, (e_val + dsum) % R, atabs, [(1, [0, 1, 2])]),
            ("winmax_b", gi, bnv, e_val % R, btabs, [(1, [0, 1])])]


def winmax_zerocheck(p: dict, z, dvals, svals, tau, beta: int):
    """(tables, terms) of sum eq(tau, .) [sum_t S_t D_t + beta sum_t S_t (1 - V_t)
    + beta^2 z (1 - Rg)]."""
    zf = [v % R for row in z for v in row]
    omv, reg = winmax_zero_tables(p, len(zf))
    nt = len(svals)
    tabs = ([eq_table(tau)] + [[v % R for v in sv] for sv in svals]
            + [[v % R for v in dv] for dv in dvals] + [[v % R for v in o] for o in omv]
            + [zf, reg])
    terms = [(1, [0, 1 + w, 1 + nt + w]) for w in range(nt)]
    terms += [(beta, [0, 1 + w, 1 + 2 * nt + w]) for w in range(nt)]
    terms += [(beta * beta % R, [0, 1 + 3 * nt, 2 + 3 * nt])]
    return tabs, terms


def window_sc_evals(kind: str, p: dict, gi: int, s: list[int], rest: list[int], nt: int,
                    limb_claims) -> list[int]:
    """sumcheck-evals of a winsum / winmax instance at its point `s` (`rest` = (r_c, r_b)):
    winsum, (b): x's u limbs at (s, rest); (a): own u, v limbs at (s, rest); zerocheck:
    every S_t, every D_t limb, then own u, v limbs at s."""
    if kind in ("winsum", "winmax_b"):
        return [] if p["x"] == "input" else limb_claims(p["x"], "u", [*s, *rest])
    if kind == "winmax_a":
        return limb_claims(gi, "u", [*s, *rest]) + limb_claims(gi, "v", [*s, *rest])
    out = []
    for w in range(nt):
        out += limb_claims(gi, ("S", w), s)
    for w in range(nt):
        out += limb_claims(gi, ("D", w), s)
    return out + limb_claims(gi, "u", s) + limb_claims(gi, "v", s)
