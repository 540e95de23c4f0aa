"""A small, slow reference prover for the verifier's tests (never imported by zkml/).

It follows circuits/*.md step by step so that the tests can build valid kind-1 and
kind-2 artifacts without the Rust prover, and cheating variants of them: every
public function takes the values to put into the artifact, honest or not.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from zkml.verifier.encoding import enc_fr, enc_frs, enc_g1s, enc_u8, enc_u16, enc_u32
from zkml.verifier.field import R, eq_table, mle_eval
from zkml.verifier.generators import DEFAULT_SEED, generators, seed_digest
from zkml.verifier.hyrax import commit
from zkml.verifier.sumcheck import SumcheckProof, encode_sumcheck_proof
from zkml.verifier.transcript import Transcript

MAGIC = b"ZKML"


def rand_table(rng: random.Random, num_vars: int, small: bool = False) -> list[int]:
    """A random table of 2^num_vars entries (small signed ints when `small`)."""
    if small:
        return [rng.randrange(-100, 100) % R for _ in range(1 << num_vars)]
    return [rng.randrange(R) for _ in range(1 << num_vars)]


def rand_point(rng: random.Random, num_vars: int) -> list[int]:
    return [rng.randrange(R) for _ in range(num_vars)]


def _round_values(tables: list[list[int]], terms, degree: int) -> list[int]:
    half = len(tables[0]) // 2
    vals = [0] * (degree + 1)
    for i in range(half):
        # each table's value along the line x_0 = t, t = 0..degree
        lines = []
        for tab in tables:
            lo, hi = tab[2 * i], tab[2 * i + 1]
            lines.append([(lo + t * (hi - lo)) % R for t in range(degree + 1)])
        for t in range(degree + 1):
            acc = 0
            for coeff, factors in terms:
                prod = coeff
                for m in factors:
                    prod = prod * lines[m][t] % R
                acc += prod
            vals[t] = (vals[t] + acc) % R
    return vals


def prove_sumcheck(
    t: Transcript, tables: Sequence[Sequence[int]], terms, num_vars: int, degree: int, claim: int
) -> tuple[SumcheckProof, list[int]]:
    """Honest rounds for sum_x sum_t coeff_t prod_m f_m(x), mirroring sumcheck_verify."""
    tabs = [[v % R for v in tab] for tab in tables]
    t.absorb_u32("sumcheck-vars", num_vars)
    t.absorb_u32("sumcheck-degree", degree)
    t.absorb_fr("sumcheck-claim", claim)
    rounds, point = [], []
    for _ in range(num_vars):
        e = _round_values(tabs, terms, degree)
        t.absorb_frs("sumcheck-round", e)
        c = t.squeeze("sumcheck-challenge")
        point.append(c)
        rounds.append(tuple(e))
        tabs = [
            [(lo + c * (hi - lo)) % R for lo, hi in zip(tab[0::2], tab[1::2], strict=True)]
            for tab in tabs
        ]
    return SumcheckProof(num_vars, degree, tuple(rounds)), point


@dataclass
class RefStack:
    """A stack to open: its table, shape and claim points (values default to honest)."""

    table: list[int]
    num_vars: int
    log_cols: int
    points: list[list[int]]
    values: list[int] | None = None
    commitment: list | None = None
    extra: dict = field(default_factory=dict)

    def fill(self, gens) -> None:
        if self.values is None:
            self.values = [mle_eval(self.table, z) for z in self.points]
        if self.commitment is None:
            self.commitment = commit(self.table, self.num_vars, self.log_cols, gens)


def prove_batch_open(t: Transcript, stacks: Sequence[RefStack]) -> bytes:
    """BatchOpeningProof bytes for stacks whose commitments the caller has absorbed."""
    for st in stacks:
        t.absorb_u32("claims", len(st.points))
        for z, v in zip(st.points, st.values, strict=True):
            t.absorb_frs("claim-point", z)
            t.absorb_fr("claim-value", v)
    alphas = [t.squeeze("batch-alpha") for _ in stacks]
    out = []
    evals, rs = [], []
    for st, alpha in zip(stacks, alphas, strict=True):
        e_tab = [0] * (1 << st.num_vars)
        claim, a_k = 0, 1
        for z, v in zip(st.points, st.values, strict=True):
            for i, q in enumerate(eq_table(z)):
                e_tab[i] = (e_tab[i] + a_k * q) % R
            claim = (claim + a_k * v) % R
            a_k = a_k * alpha % R
        proof, r = prove_sumcheck(t, [st.table, e_tab], [(1, [0, 1])], st.num_vars, 2, claim)
        e = st.extra.get("eval", mle_eval(st.table, r))
        t.absorb_fr("stack-eval", e)
        out.append(encode_sumcheck_proof(proof) + enc_fr(e))
        evals.append(e)
        rs.append(r)
    for k, (st, r) in enumerate(zip(stacks, rs, strict=True)):
        cols = 1 << st.log_cols
        e_hi = eq_table(r[st.log_cols :])
        w = [0] * cols
        for i, eh in enumerate(e_hi):
            row = st.table[i * cols : (i + 1) * cols]
            for j in range(cols):
                w[j] = (w[j] + eh * row[j]) % R
        w = st.extra.get("w", w)
        t.absorb_frs("hyrax-w", w)
        out[k] += enc_frs(w)
    return b"".join(out)


def container(kind: int, body: bytes, version: int | None = None) -> bytes:
    """The artifact container, at the kind's current version unless `version` is given."""
    from zkml.verifier.proofs import KIND_VERSIONS

    v = KIND_VERSIONS[kind] if version is None else version
    return MAGIC + enc_u16(v) + enc_u8(kind) + body


def kind1_artifact(stacks: Sequence[RefStack], seed: bytes = DEFAULT_SEED) -> bytes:
    """A pcs-batch-opening artifact (honest unless the stacks carry wrong values)."""
    digest = seed_digest(seed)
    gens = generators(digest, max(1 << st.log_cols for st in stacks))
    for st in stacks:
        st.fill(gens)
    t = Transcript("zkml/pcs-batch-opening")
    t.absorb_u32("version", 1)
    t.absorb_bytes("generators", digest)
    t.absorb_u32("stacks", len(stacks))
    body = [digest, enc_u32(len(stacks))]
    for st in stacks:
        t.absorb_u32("num-vars", st.num_vars)
        t.absorb_u32("log-cols", st.log_cols)
        t.absorb_points("commitment", st.commitment)
        body += [enc_u32(st.num_vars), enc_u32(st.log_cols), enc_g1s(st.commitment)]
        body.append(enc_u32(len(st.points)))
        for z, v in zip(st.points, st.values, strict=True):
            body += [enc_frs(z), enc_fr(v)]
    body.append(prove_batch_open(t, stacks))
    return container(1, b"".join(body))


def kind2_artifact(
    f: list[int],
    g: list[int],
    num_vars: int,
    log_cols: int,
    seed: bytes = DEFAULT_SEED,
    sigma: int | None = None,
    evals: tuple[int, int] | None = None,
    commitments: tuple[list, list] | None = None,
) -> bytes:
    """A product-sumcheck artifact; `sigma`, `evals` and `commitments` override honesty."""
    digest = seed_digest(seed)
    gens = generators(digest, 1 << log_cols)
    cf, cg = commitments or (
        commit(f, num_vars, log_cols, gens),
        commit(g, num_vars, log_cols, gens),
    )
    if sigma is None:
        sigma = sum(a * b for a, b in zip(f, g, strict=True)) % R
    t = Transcript("zkml/product-sumcheck")
    t.absorb_u32("version", 1)
    t.absorb_bytes("generators", digest)
    t.absorb_u32("num-vars", num_vars)
    t.absorb_u32("log-cols", log_cols)
    t.absorb_points("commitment-f", cf)
    t.absorb_points("commitment-g", cg)
    t.absorb_fr("claimed-sum", sigma)
    proof, r = prove_sumcheck(t, [f, g], [(1, [0, 1])], num_vars, 2, sigma)
    a, b = evals or (mle_eval(f, r), mle_eval(g, r))
    t.absorb_fr("eval-f", a)
    t.absorb_fr("eval-g", b)
    sf = RefStack(f, num_vars, log_cols, [r], [a], cf)
    sg = RefStack(g, num_vars, log_cols, [r], [b], cg)
    body = [digest, enc_u32(num_vars), enc_u32(log_cols), enc_g1s(cf), enc_g1s(cg)]
    body += [enc_fr(sigma), encode_sumcheck_proof(proof), enc_fr(a), enc_fr(b)]
    body.append(prove_batch_open(t, [sf, sg]))
    return container(2, b"".join(body))


def encode_openings(openings) -> bytes:
    return b"".join(
        encode_sumcheck_proof(op.sumcheck) + enc_fr(op.eval) + enc_frs(op.w) for op in openings
    )


def encode_kind1(p) -> bytes:
    """Re-encode a parsed kind-1 body (zkml.verifier.proofs._Kind1), e.g. after tampering."""
    body = [p.digest, enc_u32(len(p.stacks))]
    for st in p.stacks:
        body += [enc_u32(st.num_vars), enc_u32(st.log_cols), enc_g1s(st.commitment)]
        body.append(enc_u32(len(st.claims)))
        for z, v in st.claims:
            body += [enc_frs(z), enc_fr(v)]
    body.append(encode_openings(p.openings))
    return container(1, b"".join(body))


def encode_kind2(p) -> bytes:
    """Re-encode a parsed kind-2 body (zkml.verifier.proofs._Kind2)."""
    body = [p.digest, enc_u32(p.num_vars), enc_u32(p.log_cols), enc_g1s(p.cf), enc_g1s(p.cg)]
    body += [enc_fr(p.sigma), encode_sumcheck_proof(p.sumcheck), enc_fr(p.a), enc_fr(p.b)]
    body.append(encode_openings(p.openings))
    return container(2, b"".join(body))
