"""A small, slow reference prover of verifying keys (kind 4) with the model's
well-formedness proof (circuits/inference.md section 7). Tests only.

It follows the text step by step, independently of zkml/verifier/model_key.py, so the
verifier's tests can build valid keys and cheating ones: `edit(stage, data)` changes a
value before it is used or sent (stages: "limbs", "multiplicities", "limb-commitments",
"leaf", "wf-evals", "zero-eval", "proof").
"""

from __future__ import annotations

import json
from collections.abc import Callable

from reference_logup import prove_logup_trees, table_tree
from reference_prover import RefStack, container, prove_batch_open, prove_sumcheck

from zkml.verifier.encoding import enc_fr, enc_frs, enc_g1s, enc_u32
from zkml.verifier.field import R, eq_table, mle_eval
from zkml.verifier.generators import DEFAULT_SEED, generators, seed_digest
from zkml.verifier.hyrax import commit
from zkml.verifier.sumcheck import encode_sumcheck_proof
from zkml.verifier.transcript import Transcript


def clog(n: int) -> int:
    return (n - 1).bit_length()


def canonical(doc: dict) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("ascii")


def assign(sizes: list[int]) -> tuple[list[int], int]:
    order = sorted(range(len(sizes)), key=lambda i: -sizes[i])
    offs, pos = [0] * len(sizes), 0
    for i in order:
        offs[i] = pos
        pos += sizes[i]
    return offs, pos


def model_stack(tensors: dict[str, list[list[int]]], range_bits: int = 16):
    """The model_stack JSON and table for named matrices (slots largest first)."""
    names = list(tensors)
    shapes = [(len(tensors[k]), len(tensors[k][0])) for k in names]
    pads = [(1 << clog(r), 1 << clog(c)) for r, c in shapes]
    offs, total = assign([a * b for a, b in pads])
    n = max(1, clog(total))
    table = [0] * (1 << n)
    for k, (_, pc), o in zip(names, pads, offs, strict=True):
        for i, row in enumerate(tensors[k]):
            for j, v in enumerate(row):
                table[o + i * pc + j] = v % R
    doc = {"num_vars": n, "log_cols": (n + 1) // 2, "range_bits": range_bits,
           "tensors": [{"name": k, "rows": r, "cols": c, "offset": o}
                       for k, (r, c), o in zip(names, shapes, offs, strict=True)]}
    return doc, table


def _signed(v: int) -> int:
    v %= R
    return v - R if v > R // 2 else v


def _split(val: int, widths: list[int]) -> list[int]:
    """8-bit limbs, low first; the top limb takes the rest (so a cheating value outside
    the range gives a top limb outside its width, or a negative one)."""
    out = [(val >> (8 * j)) & 0xFF for j in range(len(widths) - 1)]
    return out + [val >> (8 * (len(widths) - 1))]


def _zero_table(ms: dict) -> list[int]:
    """Z: 1 outside the tensors' real regions, 0 inside."""
    z = [1] * (1 << ms["num_vars"])
    for t in ms["tensors"]:
        pc = 1 << clog(t["cols"])
        for i in range(t["rows"]):
            for j in range(t["cols"]):
                z[t["offset"] + i * pc + j] = 0
    return z


def vk_artifact(doc: dict, table: list[int], seed: bytes = DEFAULT_SEED,
                edit: Callable | None = None) -> bytes:
    """A kind-4 artifact for the circuit `doc` and model stack `table` (honest unless
    `edit` says otherwise; a table outside the range or nonzero in padding is proven
    with the honest protocol, which then fails)."""
    edit = edit or (lambda stage, data: data)
    ms = doc["model_stack"]
    n, c, rb = ms["num_vars"], ms["log_cols"], ms["range_bits"]
    widths = [min(8, rb - 8 * j) for j in range((rb + 7) // 8)]
    nl = len(widths)
    p_tab = [v % R for v in table]
    split = [_split(_signed(v) + (1 << (rb - 1)), widths) for v in table]
    limbs = edit("limbs", [[sp[j] for sp in split] for j in range(nl)])
    slots = []  # (limb, scale)
    for j, w in enumerate(widths):
        slots.append((j, 1))
        if w < 8:
            slots.append((j, 1 << (8 - w)))
    mult = [0] * 256
    for j, sc in slots:
        for v in limbs[j]:
            if 0 <= v * sc < 256:
                mult[v * sc] += 1
    mult = edit("multiplicities", mult)
    digest = seed_digest(seed)
    gens = generators(digest, max(1 << c, 16))
    c_p = commit(p_tab, n, c, gens)
    l_tabs = [[v % R for v in lj] for lj in limbs]
    c_l = edit("limb-commitments", [commit(t, n, c, gens) for t in l_tabs])
    m_tab = [v % R for v in mult]
    c_m = commit(m_tab, 8, 4, gens)
    js = canonical(doc)
    t = Transcript("zkml/model-wf")
    t.absorb_u32("version", 1)
    t.absorb_bytes("generators", digest)
    t.absorb_bytes("circuit", js)
    t.absorb_points("model-commitment", c_p)
    for com in c_l:
        t.absorb_points("limb-commitment", com)
    t.absorb_points("multiplicity-commitment", c_m)
    alpha = t.squeeze("logup-alpha")
    sizes = [1 << n] * (len(slots))
    offs, total = assign(sizes)
    depth = max(1, clog(total))
    pl, ql = [0] * (1 << depth), [1] * (1 << depth)
    for (j, sc), o in zip(slots, offs, strict=True):
        for i, v in enumerate(limbs[j]):
            pl[o + i], ql[o + i] = 1, (alpha - sc * v) % R
    logup_bytes, (rho, rho_t) = prove_logup_trees(t, [(pl, ql), table_tree(alpha, mult)])
    leaf = edit("leaf", [mle_eval(lt, rho[:n]) for lt in l_tabs] + [mle_eval(m_tab, rho_t)])
    t.absorb_frs("logup-leaf-evals", leaf)
    rho1 = t.squeeze_n("wf-point", n)
    wf = edit("wf-evals", [mle_eval(p_tab, rho1)] + [mle_eval(lt, rho1) for lt in l_tabs])
    t.absorb_frs("wf-evals", wf)
    tau = t.squeeze_n("zerocheck-tau", n)
    sc_proof, s = prove_sumcheck(t, [eq_table(tau), _zero_table(ms), p_tab], [(1, [0, 1, 2])],
                                 n, 3, 0)
    zero = edit("zero-eval", mle_eval(p_tab, s))
    t.absorb_fr("wf-zero-eval", zero)
    stacks = [RefStack(p_tab, n, c, [rho1, s], [wf[0], zero], c_p)]
    for j, lt in enumerate(l_tabs):
        stacks.append(RefStack(lt, n, c, [rho[:n], rho1], [leaf[j], wf[1 + j]], c_l[j]))
    stacks.append(RefStack(m_tab, 8, 4, [rho_t], [leaf[-1]], c_m))
    opening = prove_batch_open(t, stacks)
    proof = edit("proof", logup_bytes + enc_frs(leaf) + enc_frs(wf)
                 + encode_sumcheck_proof(sc_proof) + enc_fr(zero) + opening)
    body = [enc_u32(len(js)), js, enc_u32(n), enc_u32(c), enc_g1s(c_p), enc_u32(nl)]
    body += [enc_g1s(com) for com in c_l] + [enc_g1s(c_m), proof]
    return container(4, b"".join(body))
