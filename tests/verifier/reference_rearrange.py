"""The reference prover's side of circuits/rearrange.md (tests only).

Independent of zkml/verifier/rearrange.py: the index map is computed entry by entry
from the spec's semantics (unravel the output index over `dims`, find the block whose box
holds it, apply the block's offset and strides, place by layout). `views_map` is the
first version's transpose-of-a-concat semantics (views, axis, perm), entry by entry, to
check test producers converted to blocks against.
"""

from __future__ import annotations

from reference_model_key import clog

from zkml.verifier.field import R, eq_table


def _unravel(i: int, shape: list[int]) -> list[int]:
    out = []
    for d in reversed(shape):
        out.append(i % d)
        i //= d
    return out[::-1]


def _ravel(idx: list[int], shape: list[int]) -> int:
    i = 0
    for v, d in zip(idx, shape, strict=True):
        i = i * d + v
    return i


def layout_pos(layout: list[int], i: int) -> int:
    """pos(i): logical index `i` of the layout's real entries at its padded position."""
    if len(layout) == 1:
        return i
    return _ravel(_unravel(i, layout), [1 << clog(d) for d in layout])


def layout_width(layout: list[int]) -> int:
    """n for `[n]`, else prod pad(dims)."""
    if len(layout) == 1:
        return layout[0]
    w = 1
    for d in layout:
        w *= 1 << clog(d)
    return w


def rearrange_map(p: dict) -> list[tuple[int, int, int]]:
    """(dst(j), k(j), pos_k(i(j))) for every real output entry j, in output order."""
    dims = p["dims"]
    total = 1
    for d in dims:
        total *= d
    out = []
    for j in range(total):
        o = _unravel(j, dims)
        hits = [b for b in p["blocks"]
                if all(a <= x < a + n for x, a, n in zip(o, b["start"], b["size"], strict=True))]
        assert len(hits) == 1, f"index {o} in {len(hits)} blocks"
        b = hits[0]
        i = b["offset"] + sum((x - a) * t for x, a, t in zip(o, b["start"], b["strides"],
                                                             strict=True))
        k = b["part"]
        out.append((layout_pos(p["out_shape"], j), k, layout_pos(p["shapes"][k], i)))
    return out


def views_map(shapes: list, views: list, axis: int, perm: list, out_shape: list
              ) -> list[tuple[int, int, int]]:
    """The same for `O = transpose(concat_axis(views), perm)` (the first version)."""
    a = axis
    v_shape = list(views[0])
    v_shape[a] = sum(v[a] for v in views)
    o_shape = [v_shape[q] for q in perm]
    total = 1
    for d in o_shape:
        total *= d
    out = []
    for j in range(total):
        o = _unravel(j, o_shape)
        v = [0] * len(perm)
        for t, q in enumerate(perm):
            v[q] = o[t]
        k, off = 0, 0
        while v[a] >= off + views[k][a]:
            off += views[k][a]
            k += 1
        local = list(v)
        local[a] -= off
        i = _ravel(local, views[k])
        out.append((layout_pos(out_shape, j), k, layout_pos(shapes[k], i)))
    return out


def rearrange_acc(p: dict, parts: list[list[list[int]]], width: int) -> list[list[int]]:
    """acc[b][dst(j)] = X_k(j)[b][src(j)]; padded output positions 0."""
    amap = rearrange_map(p)
    out = []
    for b in range(len(parts[0])):
        row = [0] * width
        for d, k, src in amap:
            row[d] = parts[k][b][src]
        out.append(row)
    return out


def rearrange_tables(p: dict, parts: list[list[list[int]]], r_g: list[int],
                     n_out_vars: int) -> list[tuple[int, list[list[int]]]]:
    """Per part k: (log2 pad(width_k), [Sel_k(r_o, .), X_k(., r_b)]) over the part's
    padded width (rearrange.md 3)."""
    e_o, e_b = eq_table(r_g[:n_out_vars]), eq_table(r_g[n_out_vars:])
    amap = rearrange_map(p)
    out = []
    for k, (xk, shape) in enumerate(zip(parts, p["shapes"], strict=True)):
        nk = clog(layout_width(shape))
        sel = [0] * (1 << nk)
        for d, kk, src in amap:
            if kk == k:
                sel[src] = (sel[src] + e_o[d]) % R
        x = [sum(e_b[b] * xk[b][i] for b in range(len(xk))) % R if i < len(xk[0]) else 0
             for i in range(1 << nk)]
        out.append((nk, [sel, x]))
    return out
