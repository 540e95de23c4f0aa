"""A small, slow reference prover of inference proofs (kind 3); keys (kind 4) come from
reference_model_key.py.

Tests only (never imported by zkml/). It follows circuits/inference.md step by step,
independently of zkml/verifier/circuit.py (its own witness, columns and layouts), so
the verifier's tests can build valid artifacts without the Rust prover, and cheating
ones: `tamper(g, vals)` edits a gadget's padded values (q, rem, remc, z, ep, em) before its
columns are cut into limbs, and `edit(stage, data)` edits messages before they are sent
(with an ArgMax output, "output" gets one `[k_b]` row per example and "d" the d values;
nonlinear.md: ("mask", g) the spatial mask a spatialsum sums over, ("table-mult", g) a
table gadget's multiplicities; `table_names` makes a table gadget use another tensor;
("columns", g) a gadget's limb columns after they are cut). nonlinear.md 5-7: limbs of
`limb_bits` (L) bits, a one-feature add operand, rowmax (`vals` has "D", "S" over x's
length and "x", x's padded rows) and rowdiv ("R", "Rc"), see reference_rows.py.
nonlinear.md 8: mul (`acc = x y`); ("mul", g) edits a mul gadget's product rows before
its requantization (a prover claiming a wrong product). nonlinear.md 10-11: addconst
(`table_names` also makes an addconst use another constant tensor; ("addconst", g) edits
its acc rows) and concat (("concat", g) edits its acc rows, ("concat-parts", g) its
`E_1..E_K`; `parts` names them "concat-parts g"). rearrange.md: ("rearrange", g) edits a
rearrange gadget's acc rows, ("rearrange-parts", g) its `E_1..E_K` ("rearrange-parts g").
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from reference_conv import (
    conv_acc,
    conv_claim_points,
    conv_tables,
    layout_row,
    pool_windows,
    window_point,
)
from reference_logup import prove_logup_trees, table_tree
from reference_model_key import (  # noqa: F401 (canonical, vk_artifact: re-exported)
    assign,
    canonical,
    clog,
    model_stack,
    vk_artifact,
)
from reference_models import example_model, gadget  # noqa: F401 (re-exported)
from reference_nonlinear import (
    addconst_acc,
    concat_acc,
    concat_tables,
    divide,
    spatial_mask,
    spatialsum_acc,
    spatialsum_tables,
    table_acc,
    table_multiplicities,
    table_range,
    table_trees,
)
from reference_prover import RefStack, container, prove_batch_open, prove_sumcheck
from reference_rearrange import rearrange_acc, rearrange_tables
from reference_rows import (
    add_acc,
    rowdiv_acc,
    rowdiv_extras,
    rowdiv_instance,
    rowmax_acc,
    rowmax_extras,
    rowmax_instance,
)
from reference_window import (
    window_sc_evals,
    winmax_acc,
    winmax_b_tables,
    winmax_d_sum,
    winmax_extras,
    winmax_instances,
    winmax_zerocheck,
    winsum_acc,
    winsum_tables,
)

from zkml.verifier.encoding import enc_frs, enc_g1s, enc_u32
from zkml.verifier.field import R, eq_table, mle_eval
from zkml.verifier.generators import DEFAULT_SEED, generators, seed_digest
from zkml.verifier.hyrax import commit
from zkml.verifier.proofs import KIND_INFERENCE, KIND_VERSIONS
from zkml.verifier.sumcheck import encode_sumcheck_proof
from zkml.verifier.transcript import Transcript


def _limbs(val: int, width: int, lb: int = 8) -> list[int]:
    """lb-bit limbs, low first; the top limb takes the rest, so sum 2^(lb j) limb_j == val
    even for a (cheating) value outside [0, 2^width)."""
    nl = (width + lb - 1) // lb
    if nl == 0:
        return []
    mask = (1 << lb) - 1
    return [(val >> (lb * j)) & mask for j in range(nl - 1)] + [val >> (lb * (nl - 1))]


def _cut(vals: list[int], width: int, lb: int) -> tuple[list[list[int]], list[int]]:
    """(limb columns, limb widths) of a value column: widths min(lb, W - lb j)."""
    nl = (width + lb - 1) // lb
    split = [_limbs(v, width, lb) for v in vals]
    return [[sp[j] for sp in split] for j in range(nl)], [min(lb, width - lb * j)
                                                          for j in range(nl)]


def _widths(g: dict) -> list[tuple[str, int]]:
    span = g["hi"] - g["lo"]
    w = span.bit_length()
    d = g["divisor"]
    wd = (d - 1).bit_length() if d > 1 else 0  # nonlinear.md 1: bits(d - 1)
    out = [("u", w), ("v", w if (span + 1) & span else 0),
           ("rem", wd if d > 1 else g["shift"]), ("remc", wd),
           ("ep", g["excess_hi_bits"]), ("em", g["excess_lo_bits"])]
    return out


class Witness:
    """Padded tensors and limb columns of a circuit on a batch (inference.md 1-2)."""

    def __init__(self, doc: dict, tensors: dict, x_rows: list[list[int]], tamper=None,
                 edit=None, table_names: dict | None = None):
        self.doc = doc
        self.edit = edit or (lambda stage, data: data)
        self.table_names = table_names or {}
        self.B = len(x_rows)
        self.lb = clog(self.B)
        self.L = doc.get("limb_bits", 8)
        self.rows_vals: dict = {}
        bp = 1 << self.lb
        n_in, shape = doc["input"]["features"], doc["input"]["shape"]
        if shape is None:
            self.x_in = [[0] * (1 << clog(n_in)) for _ in range(bp)]
            for b, row in enumerate(x_rows):
                self.x_in[b][: len(row)] = row
        else:
            width = len(layout_row(shape, [0] * n_in))
            self.x_in = [layout_row(shape, row) for row in x_rows]
            self.x_in += [[0] * width for _ in range(bp - len(x_rows))]
        self.z: list[list[list[int]]] = []
        self.cols: list[dict] = []  # per gadget: kind -> list of limb columns (flat lists)
        self.widths: list[dict] = []
        for gi, g in enumerate(doc["gadgets"]):
            acc = self._acc(g, tensors, bp, gi)
            k, d = g["shift"], g["divisor"]
            flat = [a for row in acc for a in row]
            if d > 1:
                q, rem = divide(flat, d)
            elif k:
                q = [(a + (1 << (k - 1))) >> k for a in flat]
                rem = [a + (1 << (k - 1)) - (qq << k) for a, qq in zip(flat, q, strict=True)]
            else:
                q, rem = list(flat), [0] * len(flat)
            vals = {"q": q, "rem": rem, "remc": [d - 1 - r for r in rem],
                    "z": [min(max(v, g["lo"]), g["hi"]) for v in q],
                    "ep": [max(v - g["hi"], 0) for v in q], "em": [max(g["lo"] - v, 0) for v in q]}
            p = g["producer"]
            if p["op"] == "maxpool":  # D_w = z - X_w; S one-hot on the first maximum
                wins = [w for xr in self.tensor(p["x"]) for w in pool_windows(p, xr)]
                nw = len(wins[0])
                vals["D"] = [[z - ws[w] for z, ws in zip(vals["z"], wins, strict=True)]
                             for w in range(nw)]
                vals["S"] = [[int(w == ws.index(max(ws))) for ws in wins] for w in range(nw)]
            if p["op"] == "winmax":  # conv.md 5: D_t = V_t (z - X_t), S_t one-hot
                vals["D"], vals["S"] = winmax_extras(p, self.tensor(p["x"]), vals["z"])
            if p["op"] == "rowmax":  # nonlinear.md 7: D and S of x's length
                vals["x"] = self.tensor(p["x"])
                vals["D"], vals["S"] = rowmax_extras(p, vals["x"], vals["z"])
            if p["op"] == "rowdiv":
                vals["R"], vals["Rc"] = rowdiv_extras(p, self.tensor(p["x"]),
                                                      self.tensor(p["y"]), vals["q"])
            if tamper:
                tamper(gi, vals)
            vals["u"] = [v - g["lo"] for v in vals["z"]]
            vals["v"] = [g["hi"] - v for v in vals["z"]]
            n_p = 1 << clog(g["features"])
            self.z.append([vals["z"][b * n_p : (b + 1) * n_p] for b in range(bp)])
            cols, widths = {}, {}
            extra = []
            if p["op"] == "rowmax":
                extra = [("D", p["diff_bits"]), ("S", 1)]
                self.rows_vals[gi] = vals
            if p["op"] == "rowdiv":
                extra = [("R", p["rem_bits"]), ("Rc", p["rem_bits"])]
                self.rows_vals[gi] = vals
            for kind, w in _widths(g) + extra:
                if w == 0:
                    continue
                if tamper is None and any(not 0 <= v < 1 << w for v in vals[kind]):
                    raise ValueError(f"gadget {gi}: {kind} does not fit {w} bits")
                cols[kind], widths[kind] = _cut(vals[kind], w, self.L)
            if p["op"] in ("maxpool", "winmax"):  # after em: every D_w's limbs, every S_w
                w = p["diff_bits"]
                for wi, dv in enumerate(vals["D"]):
                    if tamper is None and any(not 0 <= v < 1 << w for v in dv):
                        raise ValueError(f"gadget {gi}: D_{wi} does not fit {w} bits")
                    cols[("D", wi)], widths[("D", wi)] = _cut(dv, w, self.L)
                for wi, sv in enumerate(vals["S"]):
                    cols[("S", wi)] = [list(sv)]
                    widths[("S", wi)] = [1]
                self.pool_vals = getattr(self, "pool_vals", {})
                self.pool_vals[gi] = (vals["D"], vals["S"])
            self.cols.append(self.edit(("columns", gi), cols))
            self.widths.append(widths)

    def tensor(self, ref):
        return self.x_in if ref == "input" else self.z[ref]

    def _acc(self, g: dict, tensors: dict, bp: int, gi: int) -> list[list[int]]:
        p = g["producer"]
        n_p = 1 << clog(g["features"])
        if p["op"] == "concat":  # nonlinear.md 11
            acc = concat_acc(p, [self.tensor(r) for r in p["parts"]], n_p)
            return self.edit(("concat", gi), acc)
        if p["op"] == "rearrange":  # rearrange.md 2
            acc = rearrange_acc(p, [self.tensor(r) for r in p["parts"]], n_p)
            return self.edit(("rearrange", gi), acc)
        if p["op"] == "affine":  # sum_k c_k x_k (inference.md section 2)
            xs = [(self.tensor(xk), ck) for xk, ck in p["terms"]]
            return [[sum(ck * xt[b][i] for xt, ck in xs) for i in range(n_p)]
                    for b in range(bp)]
        x = self.tensor(p["x"])
        if p["op"] == "dense":
            w = tensors[p["weight"]]
            bias = tensors[p["bias"]][0] if p["bias"] is not None else []
            bias = [v << p["bias_shift"] for v in bias]
            out = []
            for b in range(bp):
                row = []
                for o in range(n_p):
                    a = 0
                    if o < len(w):
                        a = sum(xv * wv for xv, wv in zip(x[b], w[o], strict=False))
                    row.append(a + (bias[o] if o < len(bias) else 0))
                out.append(row)
            return out
        if p["op"] == "conv":
            bias = tensors[p["bias"]][0] if p["bias"] is not None else []
            return conv_acc(p, x, tensors[p["weight"]], bias, n_p)
        if p["op"] == "sumpool":
            return [[sum(ws) << p["lshift"] for ws in pool_windows(p, xr)] for xr in x]
        if p["op"] == "maxpool":
            return [[max(ws) for ws in pool_windows(p, xr)] for xr in x]
        if p["op"] == "winsum":
            return winsum_acc(p, x)
        if p["op"] == "winmax":
            return winmax_acc(p, x)
        if p["op"] == "spatialsum":
            mask = self.edit(("mask", gi), spatial_mask(p["in_shape"]))
            return spatialsum_acc(p, x, n_p, mask)
        if p["op"] == "table":
            name = self.table_names.get(gi, p["table"])
            return table_acc(x, table_range(self.doc, p["x"])[0], tensors[name][0])
        if p["op"] == "add":
            return add_acc(p, x, self.tensor(p["y"]))
        if p["op"] == "rowmax":
            return rowmax_acc(p, x, n_p)
        if p["op"] == "rowdiv":
            return rowdiv_acc(p, x, self.tensor(p["y"]))
        if p["op"] == "mul":  # nonlinear.md 8: acc = x y elementwise
            y = self.tensor(p["y"])
            acc = [[a * b for a, b in zip(xr, yr, strict=True)]
                   for xr, yr in zip(x, y, strict=True)]
            return self.edit(("mul", gi), acc)
        if p["op"] == "addconst":  # nonlinear.md 10: 2^l x + C
            const = tensors[self.table_names.get(gi, p["c"])][0]
            return self.edit(("addconst", gi), addconst_acc(p, x, const))
        return [list(r) for r in x]

    def kinds(self, gi: int) -> list:
        """Column kinds of gadget gi in column order (maxpool: ("D", w) then ("S", w))."""
        extra = [k for k in self.cols[gi] if isinstance(k, tuple)]
        extra.sort(key=lambda k: (k[0] != "D", k[1]))
        return ["u", "v", "rem", "remc", "ep", "em", *extra, "D", "S", "R", "Rc"]

    def column_list(self) -> list[tuple[int, str, int, list[int], int]]:
        """(gadget, kind, limb, values, width) for every column in column order."""
        out = []
        for gi in range(len(self.doc["gadgets"])):
            for kind in self.kinds(gi):
                for j, colv in enumerate(self.cols[gi].get(kind, [])):
                    out.append((gi, kind, j, colv, self.widths[gi][kind][j]))
        return out


def _ext(tab: list[int], n: int) -> list[int]:
    """A table over n_i variables front-padded to n (it ignores the low n - n_i bits)."""
    shift = n - (len(tab).bit_length() - 1)
    return [tab[i >> shift] for i in range(1 << n)]


def prove_inference(
    doc: dict,
    tensors: dict,
    stack_table: list[int],
    x_rows: list[list[int]],
    vk_bytes: bytes,
    *,
    seed: bytes = DEFAULT_SEED,
    tamper: Callable | None = None,
    edit: Callable | None = None,
    parts: list | None = None,
    table_names: dict | None = None,
) -> bytes:
    """A kind-3 artifact (honest unless `tamper` / `edit` say otherwise); `parts`, if
    given, receives the body's fields as (name, bytes) in order."""
    edit = edit or (lambda stage, data: data)
    wit = Witness(doc, tensors, x_rows, tamper, edit, table_names)
    table_names = table_names or {}
    gad = doc["gadgets"]
    B, lb = wit.B, wit.lb  # noqa: N806
    L, n_out = doc["output"]["gadget"], doc["output"]["features"]  # noqa: N806
    argmax = doc["output"]["argmax"]
    npo = 1 << clog(n_out)
    zl_rows = [wit.z[L][b][:n_out] for b in range(B)]
    if argmax:
        y_rows = edit("output", [[row.index(max(row))] for row in zl_rows])
    else:
        y_rows = edit("output", [list(row) for row in zl_rows])
    ys = [v for r in y_rows for v in r]
    half = 1 << (doc["input"]["bits"] - 1)
    lo_hi = (0, n_out - 1) if argmax else (gad[L]["lo"], gad[L]["hi"])
    x_bytes = ints([v for r in x_rows for v in r], -half, half - 1)
    y_bytes = ints(ys, *lo_hi)
    cols = wit.column_list()
    gvars = [lb + clog(g["features"]) for g in gad]
    if argmax:  # d = mask * (M - z_L - LT), limbs after all gadget columns
        w_d = (gad[L]["hi"] - gad[L]["lo"]).bit_length()
        dv = [0] * ((1 << lb) * npo)
        for b, k in enumerate(ys):
            for i in range(n_out):
                dv[b * npo + i] = zl_rows[b][k] - zl_rows[b][i] - (i < k)
        dv = edit("d", dv)
        wit.cols[L]["d"], wit.widths[L]["d"] = _cut(dv, w_d, wit.L)
        cols += [(L, "d", j, col, wit.widths[L]["d"][j]) for j, col in enumerate(wit.cols[L]["d"])]
    # table gadgets (nonlinear.md 3): x, z, lo_x, T and t_g (committed after m)
    tgs = []
    for gi, g in enumerate(gad):
        p = g["producer"]
        if p["op"] != "table":
            continue
        lo_x = table_range(doc, p["x"])[0]
        xs = [v for row in wit.tensor(p["x"]) for v in row]
        zs = [v for row in wit.z[gi] for v in row]
        tab = tensors[table_names.get(gi, p["table"])][0]
        tmult = edit(("table-mult", gi), table_multiplicities(xs, lo_x, len(tab)))
        tgs.append((gi, xs, zs, lo_x, tab, tmult, table_names.get(gi, p["table"])))
    # witness stack: every column has its own length (a rowmax's D and S: x's)
    lbits = wit.L
    nm = 1 << lbits
    cvars = [clog(len(c[3])) for c in cols]
    offs, total = assign([1 << v for v in cvars] + [nm] + [len(tg[4]) for tg in tgs])
    n_w = max(1, clog(total))
    c_w = (n_w + 1) // 2
    wtab = [0] * (1 << n_w)
    for (_, _, _, vals, _), o in zip(cols, offs, strict=False):
        for i, v in enumerate(vals):
            wtab[o + i] = v % R
    # lookup slots and multiplicities (committed with the columns, before alpha)
    slots = []  # (col index or None, scale)
    for ci, c in enumerate(cols):
        slots.append((ci, 1))
        if c[4] < lbits:
            slots.append((ci, 1 << (lbits - c[4])))
    sizes = [1 << cvars[ci] for ci, _ in slots]
    loffs, ltotal = assign(sizes)
    depth = max(1, clog(ltotal))
    mult = [0] * nm
    for ci, sc in slots:
        if ci is not None:
            for v in cols[ci][3]:
                if 0 <= v * sc < nm:
                    mult[v * sc] += 1
    mult = edit("multiplicities", mult)
    wtab_m = [v % R for v in mult]
    m_off = offs[len(cols)]
    wtab[m_off : m_off + nm] = wtab_m
    for k, tg in enumerate(tgs):
        o = offs[len(cols) + 1 + k]
        wtab[o : o + len(tg[5])] = [v % R for v in tg[5]]
    digest = seed_digest(seed)
    gens = generators(digest, 1 << max(c_w, doc["model_stack"]["log_cols"]))
    com_w = edit("commitment", commit(wtab, n_w, c_w, gens))
    vk_digest = hashlib.sha256(vk_bytes).digest()
    t = Transcript("zkml/inference")
    t.absorb_u32("version", KIND_VERSIONS[KIND_INFERENCE])
    t.absorb_bytes("generators", digest)
    t.absorb_bytes("vk", vk_digest)
    t.absorb_u32("batch", B)
    t.absorb_bytes("input", x_bytes)
    t.absorb_bytes("output", y_bytes)
    t.absorb_points("witness-commitment", com_w)
    wclaims: list[tuple[tuple, int]] = []
    mclaims_b: list[tuple[tuple, int]] = []
    mclaims_w: list[tuple[tuple, int]] = []

    def bits(idx: int, k: int) -> tuple[int, ...]:
        return tuple((idx >> j) & 1 for j in range(k))

    def wclaim(ci: int, z: list[int]) -> int:
        v = mle_eval(cols[ci][3], z)
        m = cvars[ci]
        wclaims.append(((*z, *bits(offs[ci] >> m, n_w - m)), v))
        return v

    colidx = {(c[0], c[1], c[2]): i for i, c in enumerate(cols)}

    def cols_of(gi):
        """The kinds of gadget gi's columns in column order, one entry per limb."""
        return [c[1] for c in cols if c[0] == gi]

    def limb_claims(gi, kind, z):
        return [wclaim(colidx[(gi, kind, j)], z) for j in range(len(wit.cols[gi].get(kind, [])))]

    def mclaim(dest, name, z):
        ms = doc["model_stack"]
        ten = next(tt for tt in ms["tensors"] if tt["name"] == name)
        m = clog(ten["rows"]) + clog(ten["cols"])
        pad_c = 1 << clog(ten["cols"])
        tab = [0] * (1 << m)
        for i, row in enumerate(tensors[name]):
            for j, v in enumerate(row):
                tab[i * pad_c + j] = v % R
        v = mle_eval(tab, z)
        dest.append(((*z, *bits(ten["offset"] >> m, ms["num_vars"] - m)), v))
        return v

    alpha = t.squeeze("logup-alpha")
    beta_l = t.squeeze("logup-beta")
    pl, ql = [0] * (1 << depth), [1] * (1 << depth)
    for (ci, sc), o in zip(slots, loffs, strict=True):
        for i, v in enumerate(cols[ci][3]):
            pl[o + i], ql[o + i] = 1, (alpha - sc * v) % R
    trees = [(pl, ql), table_tree(alpha, mult)]
    for _, xs, zs, lo_x, tab, tmult, _ in tgs:
        trees += list(table_trees(alpha, beta_l, xs, zs, lo_x, tab, tmult))
    logup_bytes, rhos = prove_logup_trees(t, trees)
    rho, rho_t = rhos[0], rhos[1]
    leaf = [wclaim(ci, rho[: cvars[ci]]) for ci, c in enumerate(cols)]
    leaf.append(mle_eval(wtab_m, rho_t))
    wclaims.append(((*rho_t, *bits(m_off >> lbits, n_w - lbits)), leaf[-1]))
    mclaims_t: list[tuple[tuple, int]] = []
    for k, (gi, _, _, _, tab, tmult, name) in enumerate(tgs):
        rho_g, rho_gt = rhos[2 + 2 * k], rhos[3 + 2 * k]
        xref = gad[gi]["producer"]["x"]
        if xref != "input":
            leaf += limb_claims(xref, "u", rho_g)
        leaf += limb_claims(gi, "u", rho_g)
        tv = mle_eval([v % R for v in tmult], rho_gt)
        o, tb = offs[len(cols) + 1 + k], len(tab).bit_length() - 1
        wclaims.append(((*rho_gt, *bits(o >> tb, n_w - tb)), tv))
        leaf.append(tv)
        leaf.append(mclaim(mclaims_t, name, rho_gt))
    leaf = edit("leaf", leaf)
    t.absorb_frs("logup-leaf-evals", leaf)
    # accumulator points
    pts = [t.squeeze_n("acc-point", gvars[i]) for i in range(len(gad))]
    acc_vecs = []
    win: dict = {}
    cat: dict = {}
    for gi, g in enumerate(gad):
        r = pts[gi]
        ev = []
        p = g["producer"]
        lf = clog(g["features"])
        for kind in wit.kinds(gi):
            if p["op"] != "rowmax" or kind not in ("D", "S"):
                ev += limb_claims(gi, kind, r)
        if p["op"] == "rowmax":  # S at (1/2, .., 1/2, r_grp, r_b): log2 P halves
            half = (R + 1) // 2
            ev += limb_claims(gi, "S", [half] * (clog(len(wit.tensor(p["x"])[0])) - lf) + r)
        if p["op"] == "dense" and p["bias"] is not None:
            ev.append(mclaim(mclaims_b, p["bias"], r[: clog(g["features"])]))
        if p["op"] == "conv" and p["bias"] is not None:
            n_sp = sum(clog(t) for t in p["out_shape"][1:])
            ev.append(mclaim(mclaims_b, p["bias"], r[n_sp : clog(g["features"])]))
        if p["op"] in ("sumpool", "maxpool"):
            if p["x"] != "input":
                offs_w = [()]
                for k in p["window"]:
                    offs_w = [(*o, w) for o in offs_w for w in range(k)]
                for off in offs_w:
                    ev += limb_claims(p["x"], "u", window_point(p, r, off))
            refs = []
        else:
            refs = {"add": [p.get("x"), p.get("y")], "dense": [], "conv": [],
                    "spatialsum": [], "table": [], "rowmax": [], "rowdiv": [],
                    "winsum": [], "winmax": [], "mul": [], "concat": [], "rearrange": [],
                    "addconst": [p.get("x")],
                    "identity": [p.get("x")],
                    "affine": [xk for xk, _ in p.get("terms", [])]}[p["op"]]
        if p["op"] == "rowdiv":
            refs = [p["y"]]
        for ref in refs:  # row values (add's y, rowdiv's y) at (r_grp, r_b)
            if ref != "input":
                ev += limb_claims(ref, "u", r[lf - clog(len(wit.tensor(ref)[0])):])
        if p["op"] == "addconst":  # then C(r_f), a model claim
            ev.append(mclaim(mclaims_b, table_names.get(gi, p["c"]), r[:lf]))
        ev = edit(("acc", gi), ev)
        t.absorb_frs("acc-evals", ev)
        acc_vecs.append(ev)
        if p["op"] == "winmax":  # conv.md 5: gamma_g, then E_g = (b)'s sum
            gamma = t.squeeze("window-gamma")
            _, btabs = winmax_b_tables(p, wit.tensor(p["x"]), r, gamma)
            e_val = sum(a * b for a, b in zip(*btabs, strict=True)) % R
            e_val = edit(("window-e", gi), e_val)
            t.absorb_frs("window-e", [e_val])
            win[gi] = (gamma, e_val, winmax_d_sum(ev, cols_of(gi), gamma, wit.L))
        if p["op"] == "concat":  # nonlinear.md 11: E_k = sum_c' W_k X_k, then the instances
            ctabs = concat_tables(p, [wit.tensor(ref) for ref in p["parts"]], r)
            e_vals = [sum(a * b for a, b in zip(*tabs, strict=True)) % R for _, tabs in ctabs]
            e_vals = edit(("concat-parts", gi), e_vals)
            t.absorb_frs("concat-parts", e_vals)
            cat[gi] = (ctabs, e_vals)
        if p["op"] == "rearrange":  # rearrange.md 3: E_k = sum_i Sel_k(r_o, i) X_k(i, r_b)
            rtabs = rearrange_tables(p, [wit.tensor(ref) for ref in p["parts"]], r, lf)
            e_vals = [sum(a * b for a, b in zip(*tabs, strict=True)) % R for _, tabs in rtabs]
            e_vals = edit(("rearrange-parts", gi), e_vals)
            t.absorb_frs("rearrange-parts", e_vals)
            cat[gi] = (rtabs, e_vals)
    zc = {}
    for gi, g in enumerate(gad):
        op = g["producer"]["op"]
        if g["excess_hi_bits"] or g["excess_lo_bits"] or op in ("maxpool", "winmax", "rowmax",
                                                                "rowdiv"):
            nz = gvars[gi]
            if op == "rowmax":  # tau_g of x's length
                nz = lb + clog(len(wit.tensor(g["producer"]["x"])[0]))
            zc[gi] = (t.squeeze_n("zerocheck-tau", nz), t.squeeze("zerocheck-beta"))
    n_out_vars = clog(n_out)
    nv = lb + n_out_vars
    zl = [v % R for row in wit.z[L] for v in row]
    mask = [1 if (i % npo) < n_out and (i // npo) < B else 0 for i in range(1 << nv)]
    if argmax:
        r_out = t.squeeze_n("argmax-point", nv)
        eb = eq_table(r_out[n_out_vars:])
        sel = [1 if (i // npo) < B and i % npo == ys[i // npo] else 0 for i in range(1 << nv)]
        eb_ext = [eb[i // npo] for i in range(1 << nv)]
        a_val = sum(e * s * z for e, s, z in zip(eb_ext, sel, zl, strict=True)) % R
        c_val = sum(e * m * z for e, m, z in zip(eq_table(r_out), mask, zl, strict=True)) % R
        am_evals = edit("argmax-evals", limb_claims(L, "d", r_out) + [a_val, c_val])
        t.absorb_frs("argmax-evals", am_evals)
    else:
        r_out = t.squeeze_n("output-point", nv)
    # batched sumcheck: (kind, gadget, nvars, claim, tables, terms)
    insts = []
    for gi, g in enumerate(gad):
        p = g["producer"]
        if p["op"] == "spatialsum":
            lf = clog(g["features"])
            smask = edit(("mask", gi), spatial_mask(p["in_shape"]))
            snv, stabs = spatialsum_tables(wit.tensor(p["x"]), smask, pts[gi][:lf], pts[gi][lf:])
            claim = sum(a * b for a, b in zip(*stabs, strict=True)) << p["lshift"]
            insts.append(("spatialsum", gi, snv, claim % R, stabs,
                          [(1 << p["lshift"], [0, 1])]))
            continue
        if p["op"] == "winsum":
            wnv, wtabs = winsum_tables(p, wit.tensor(p["x"]), pts[gi])
            claim = sum(a * b for a, b in zip(*wtabs, strict=True)) << p["lshift"]
            insts.append(("winsum", gi, wnv, claim % R, wtabs, [(1 << p["lshift"], [0, 1])]))
            continue
        if p["op"] == "winmax":  # (a): claim E + sum_t gamma^t D_t(r_g), then (b): claim E
            insts += winmax_instances(p, gi, wit.tensor(p["x"]), wit.z[gi], pts[gi], *win[gi])
            continue
        if p["op"] in ("concat", "rearrange"):  # one instance per part, claim E_k
            for k, ((nk, tabs), e_k) in enumerate(zip(*cat[gi], strict=True)):
                insts.append((f"{p['op']}.{k}", gi, nk, e_k, tabs, [(1, [0, 1])]))
            continue
        if p["op"] == "mul":  # nonlinear.md 8: sum_v eq(r_g, v) X(v) Y(v) = acc(r_g)
            xf = [v % R for row in wit.tensor(p["x"]) for v in row]
            yf = [v % R for row in wit.tensor(p["y"]) for v in row]
            mtabs = [eq_table(pts[gi]), xf, yf]
            claim = sum(a * b * c for a, b, c in zip(*mtabs, strict=True)) % R
            insts.append(("mul", gi, gvars[gi], claim, mtabs, [(1, [0, 1, 2])]))
            continue
        if p["op"] == "conv":
            x = wit.tensor(p["x"])
            cnv, ctabs, _ = conv_tables(p, x, tensors[p["weight"]], pts[gi])
            claim = 0
            for idx in range(1 << cnv):
                term = 1
                for tab in ctabs:
                    term = term * tab[idx] % R
                claim += term
            insts.append(("conv", gi, cnv, claim % R, ctabs, [(1, list(range(len(ctabs))))]))
            continue
        if p["op"] != "dense":
            continue
        x = wit.tensor(p["x"])
        nfx = clog(len(x[0]))
        r_o, r_b = pts[gi][: clog(g["features"])], pts[gi][clog(g["features"]):]
        eb, eo = eq_table(r_b), eq_table(r_o)
        xr = [sum(eb[b] * x[b][i] for b in range(len(x))) % R for i in range(1 << nfx)]
        w = tensors[p["weight"]]
        wr = [sum(eo[o] * w[o][i] for o in range(len(w)) if i < len(w[o])) % R
              for i in range(1 << nfx)]
        claim = sum(a * b for a, b in zip(xr, wr, strict=True)) % R
        insts.append(("dense", gi, nfx, claim, [xr, wr], [(1, [0, 1])]))
    for gi in zc:
        g = gad[gi]
        tau, beta = zc[gi]
        p = g["producer"]
        if p["op"] == "rowmax":  # nonlinear.md 7, over x's variables
            rv = wit.rows_vals[gi]
            tabs, terms = rowmax_instance(p, wit.tensor(p["x"]), rv["z"], rv["D"], rv["S"],
                                          tau, beta)
            insts.append(("rowmax", gi, len(tau), 0, tabs, terms))
            continue
        if p["op"] == "winmax":  # S_t D_t + beta S_t (1 - V_t) + beta^2 z (1 - Rg)
            tabs, terms = winmax_zerocheck(p, wit.z[gi], *wit.pool_vals[gi], tau, beta)
            insts.append(("zerocheck", gi, gvars[gi], 0, tabs, terms))
            continue
        if p["op"] == "maxpool":
            dvals, svals = wit.pool_vals[gi]
            tabs = [eq_table(tau)] + [[v % R for v in sv] for sv in svals] + [
                [v % R for v in dv] for dv in dvals]
            nwin = len(svals)
            terms = [(1, [0, 1 + w, 1 + nwin + w]) for w in range(nwin)]
            insts.append(("zerocheck", gi, gvars[gi], 0, tabs, terms))
            continue
        zf = [v for row in wit.z[gi] for v in row]
        tabs = [eq_table(tau), [(v - g["hi"]) % R for v in zf],
                [sum(c[i] << (lbits * j) for j, c in enumerate(wit.cols[gi].get("ep", []))) % R
                 for i in range(len(zf))],
                [(v - g["lo"]) % R for v in zf],
                [sum(c[i] << (lbits * j) for j, c in enumerate(wit.cols[gi].get("em", []))) % R
                 for i in range(len(zf))]]
        terms = ([(1, [0, 1, 2])] if g["excess_hi_bits"] else []) + (
            [(beta, [0, 3, 4])] if g["excess_lo_bits"] else [])
        if p["op"] == "rowdiv":  # its instance: the rowdiv term plus beta * (R3 terms)
            rv = wit.rows_vals[gi]
            q = [a + b - c for a, b, c in zip(rv["z"], rv["ep"], rv["em"], strict=True)]
            x = wit.tensor(p["x"])
            rtabs, rterms = rowdiv_instance(p, x, wit.tensor(p["y"]), q, rv["R"], tau)
            k = len(rtabs) - 1
            rterms += [(c * beta % R, [f + k if f else 0 for f in fs]) for c, fs in terms]
            insts.append(("rowdiv", gi, gvars[gi], 0, rtabs + tabs[1:], rterms))
        else:
            insts.append(("zerocheck", gi, gvars[gi], 0, tabs, terms))
    if argmax:
        insts.append(("select", L, nv, a_val, [eb_ext, sel, zl], [(1, [0, 1, 2])]))
        insts.append(("masked", L, nv, c_val, [eq_table(r_out), mask, zl], [(1, [0, 1, 2])]))
    else:
        ytab = [0] * (1 << nv)
        for b in range(B):
            for o in range(n_out):
                ytab[b * npo + o] = ys[b * n_out + o] % R
        insts.append(("output", L, nv, mle_eval(ytab, r_out),
                      [eq_table(r_out), mask, zl], [(1, [0, 1, 2])]))
    claims = edit("claims", [i[3] for i in insts])
    n = max(i[2] for i in insts)
    for c in claims:
        t.absorb_fr("batch-claim", c)
    beta_b = t.squeeze("sumcheck-batch")
    tables, terms, total_claim, coef = [], [], 0, 1
    for (_, _, ni, _, tabs, tms), c in zip(insts, claims, strict=True):
        base = len(tables)
        tables += [_ext(tab, n) for tab in tabs]
        terms += [(coef * k % R, [base + f for f in fs]) for k, fs in tms]
        total_claim = (total_claim + coef * (c << (n - ni))) % R
        coef = coef * beta_b % R
    sc_proof, point = prove_sumcheck(t, tables, terms, n, 3, total_claim)
    sc_evals = []
    for kind, gi, ni, _, _, _ in insts:
        s = point[n - ni :]
        p = gad[gi]["producer"]
        if kind == "conv":
            n_sp = sum(clog(q) for q in p["out_shape"][1:])
            lf = clog(gad[gi]["features"])
            xp, wp = conv_claim_points(p, pts[gi][n_sp:lf], pts[gi][lf:], s)
            if p["x"] != "input":
                sc_evals += limb_claims(p["x"], "u", xp)
            sc_evals.append(mclaim(mclaims_w, p["weight"], wp))
        elif kind == "spatialsum":
            if p["x"] != "input":
                sc_evals += limb_claims(p["x"], "u", [*s, *pts[gi]])
        elif kind.startswith("concat."):  # part k's u limbs at (r_s, s_c', r_b)
            ref = p["parts"][int(kind[7:])]
            if ref != "input":
                lf = clog(gad[gi]["features"])
                n_sp = sum(clog(q) for q in p["shapes"][0][1:])
                sc_evals += limb_claims(ref, "u", [*pts[gi][:n_sp], *s, *pts[gi][lf:]])
        elif kind.startswith("rearrange."):  # part k's u limbs at (s_k, r_b)
            ref = p["parts"][int(kind[10:])]
            if ref != "input":
                sc_evals += limb_claims(ref, "u", [*s, *pts[gi][clog(gad[gi]["features"]):]])
        elif kind == "mul":  # x's u limbs, then y's u limbs (none for the input)
            for ref in (p["x"], p["y"]):
                if ref != "input":
                    sc_evals += limb_claims(ref, "u", s)
        elif kind == "rowmax":  # x's u at s, own u at s_b, D limbs, S
            fx = clog(len(wit.tensor(p["x"])[0]))
            if p["x"] != "input":
                sc_evals += limb_claims(p["x"], "u", s)
            sc_evals += limb_claims(gi, "u", s[fx - clog(gad[gi]["features"]):])
            sc_evals += limb_claims(gi, "D", s) + limb_claims(gi, "S", s)
        elif kind == "rowdiv":  # x's u, y's u at s_b, own u, ep, em, then R limbs
            if p["x"] != "input":
                sc_evals += limb_claims(p["x"], "u", s)
            if p["y"] != "input":
                k = clog(gad[gi]["features"]) - clog(len(wit.tensor(p["y"])[0]))
                sc_evals += limb_claims(p["y"], "u", s[k:])
            for k in ("u", "ep", "em", "R"):
                sc_evals += limb_claims(gi, k, s)
        elif kind.startswith("win") or (kind == "zerocheck" and p["op"] == "winmax"):
            nsp = sum(clog(q) for q in p["out_shape"][1:])
            nt = len(getattr(wit, "pool_vals", {}).get(gi, ((), ()))[1])
            sc_evals += window_sc_evals(kind, p, gi, s, pts[gi][nsp:], nt, limb_claims)
        elif kind == "zerocheck" and p["op"] == "maxpool":
            nwin = len(wit.pool_vals[gi][1])
            for w in range(nwin):
                sc_evals += limb_claims(gi, ("S", w), s)
            for w in range(nwin):
                sc_evals += limb_claims(gi, ("D", w), s)
        elif kind == "dense":
            r_o, r_b = pts[gi][: clog(gad[gi]["features"])], pts[gi][clog(gad[gi]["features"]):]
            if p["x"] != "input":
                sc_evals += limb_claims(p["x"], "u", [*s, *r_b])
            sc_evals.append(mclaim(mclaims_w, p["weight"], [*s, *r_o]))
        elif kind == "zerocheck":
            for k in ("u", "ep", "em"):
                sc_evals += limb_claims(gi, k, s)
        else:
            sc_evals += limb_claims(gi, "u", s)
    sc_evals = edit("sumcheck-evals", sc_evals)
    t.absorb_frs("sumcheck-evals", sc_evals)
    ms = doc["model_stack"]
    m_com = commit(stack_table, ms["num_vars"], ms["log_cols"], gens)

    ws = RefStack(wtab, n_w, c_w, [list(z) for z, _ in wclaims], [v for _, v in wclaims], com_w)
    mcl = mclaims_t + mclaims_b + mclaims_w
    mst = RefStack(stack_table, ms["num_vars"], ms["log_cols"], [list(z) for z, _ in mcl],
                   [v for _, v in mcl], m_com)
    opening = prove_batch_open(t, [ws, mst])
    body = [vk_digest, enc_u32(B), x_bytes, y_bytes, enc_g1s(com_w), logup_bytes,
            enc_frs(leaf)]
    acc_names = []
    for gi, v in enumerate(acc_vecs):
        body.append(enc_frs(v) + (enc_frs([win[gi][1]]) if gi in win else b""))
        acc_names.append(f"acc-evals {gi}")
        if gi in cat:  # its own part, so field mutations stay aligned
            body.append(enc_frs(cat[gi][1]))
            acc_names.append(f"{gad[gi]['producer']['op']}-parts {gi}")
    if argmax:
        body.append(enc_frs(am_evals))
    body += [encode_sumcheck_proof(sc_proof), enc_frs(sc_evals), opening]
    if parts is not None:
        names = ["vk-digest", "batch", "input", "output", "witness-commitment", "logup",
                 "logup-leaf-evals"] + acc_names
        names += ["argmax-evals"] if argmax else []
        names += ["sumcheck", "sumcheck-evals", "opening"]
        parts.extend(zip(names, body, strict=True))
    return container(3, b"".join(body))


def ints(values: list[int], lo: int, hi: int) -> bytes:
    """`Ints` (u32 count || w-byte big-endian two's complement), w fixed by [lo, hi]."""
    w = next(w for w in (1, 2, 4, 8) if -(1 << (8 * w - 1)) <= lo and hi < 1 << (8 * w - 1))
    # a cheating value outside [lo, hi] is written as its low w bytes
    raw = b"".join((v % (1 << (8 * w))).to_bytes(w, "big") for v in values)
    return enc_u32(len(values)) + raw
