"""A small, slow reference prover of verifying keys (kind 4) with the model's
well-formedness proof (circuits/inference.md section 7). Tests only.

It follows the text step by step, independently of zkml/verifier/model_key.py, so the
verifier's tests can build valid keys and cheating ones: `edit(stage, data)` changes a
value before it is used or sent (stages: "multiplicities", "commitments", "leaves", "padding",
"leaf", "proof").
"""

from __future__ import annotations

import json
from collections.abc import Callable

from reference_logup import prove_logup_trees, table_tree
from reference_prover import RefStack, container, prove_batch_open

from zkml.verifier.encoding import enc_frs, enc_g1s, enc_u32
from zkml.verifier.field import R, mle_eval
from zkml.verifier.generators import DEFAULT_SEED, generators, seed_digest
from zkml.verifier.hyrax import commit
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


def model_stack(tensors: dict[str, list[list[int]]], range_bits: int = 8):
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
    half = 1 << (rb - 1)
    p_tab = [v % R for v in table]
    shifted = [(v + half) % R for v in p_tab]
    z = _zero_table(ms)
    mult = [0] * (1 << rb)
    for v, zi in zip(shifted, z, strict=True):
        if v < len(mult) and not zi:
            mult[v] += 1
    mult = edit("multiplicities", mult)
    digest = seed_digest(seed)
    gens = generators(digest, max(1 << c, 1 << (rb // 2)))
    m_tab = [v % R for v in mult]
    c_p, c_m = edit("commitments", (commit(p_tab, n, c, gens), commit(m_tab, rb, rb // 2, gens)))
    js = canonical(doc)
    t = Transcript("zkml/model-wf")
    t.absorb_u32("version", 1)
    t.absorb_bytes("generators", digest)
    t.absorb_bytes("circuit", js)
    t.absorb_points("model-commitment", c_p)
    t.absorb_points("multiplicity-commitment", c_m)
    alpha = t.squeeze("logup-alpha")
    beta = t.squeeze("logup-beta")
    q0 = [(alpha - v - beta * zi) % R for v, zi in zip(shifted, z, strict=True)]
    leaves = edit("leaves", ([1] * (1 << n), q0))
    pad = edit("padding", ([-sum(z) % R, 0], [(alpha - half - beta) % R, 1]))
    logup_bytes, (rho, rho_t, _) = prove_logup_trees(
        t, [leaves, table_tree(alpha, mult), pad])
    leaf = edit("leaf", [mle_eval(p_tab, rho), mle_eval(m_tab, rho_t)])
    t.absorb_frs("logup-leaf-evals", leaf)
    stacks = [RefStack(p_tab, n, c, [rho], [leaf[0]], c_p),
              RefStack(m_tab, rb, rb // 2, [rho_t], [leaf[1]], c_m)]
    opening = prove_batch_open(t, stacks)
    proof = edit("proof", logup_bytes + enc_frs(leaf) + opening)
    body = [enc_u32(len(js)), js, enc_u32(n), enc_u32(c), enc_g1s(c_p), enc_g1s(c_m), proof]
    return container(4, b"".join(body))
