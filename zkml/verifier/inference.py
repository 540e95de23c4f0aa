"""Inference proofs (kind 3): inference.md sections 4, 4b and 5 (keys: model_key.py).

This module is the driver: it parses a proof by the message counts the gadget checks
declare and runs the transcript schedule of inference.md 5 (LogUp, acc points, every
gadget's acc-evals and later messages, zerocheck challenges, the output point, one
batched sumcheck over every declared instance, one batch opening). Every gadget step is
its check class's (`zkml.verifier.gadgets`, one per op in `GADGETS`), the output
instances `gadgets/output.py`'s; the per-op math lives in conv.py, pool.py, window.py,
spatial.py, nonlinear.py, rows.py and rearrange.py. Limbs: `limb_bits` (nonlinear.md 5).

A kind-3 proof can only be parsed against its verifying key (every vector length is
fixed by the circuit and the batch size), so `InferenceVerifier` binds one key and
verifies many proofs for it, from any number of threads.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier.circuit import Circuit, Layout
from zkml.verifier.declarations import CLEAR, Backend, Claim, Expr
from zkml.verifier.encoding import G1Point, Reader, int_width
from zkml.verifier.field import R
from zkml.verifier.gadgets import (
    ZEROCHECK,
    GadgetCheck,
    Instance,
    OutputCheck,
    RunContext,
    checks_for,
    ordered_instances,
)
from zkml.verifier.generators import DEFAULT_SEED, GeneratorSource, generators, seed_digest
from zkml.verifier.hyrax import Stack, StackOpening
from zkml.verifier.hyrax import parse_batch_opening_proof as parse_openings
from zkml.verifier.layout import check_lookup_trees
from zkml.verifier.logup import LogupProof, parse_logup_trees
from zkml.verifier.model_key import VerifyingKey
from zkml.verifier.pipeline import PipelineMessages, verify_pipeline
from zkml.verifier.proofs import (
    KIND_INFERENCE,
    KIND_NAMES,
    KIND_VERSIONS,
    Statement,
    read_header,
)
from zkml.verifier.sumcheck import SumcheckProof, parse_sumcheck_proof
from zkml.verifier.transcript import Transcript

__all__ = ["VerifyingKey", "InferenceStatement", "InferenceVerifier", "to_signed"]

_HALF_R = R // 2


def to_signed(v: int) -> int:
    """The signed integer an Fr element stands for (conventions.md: v mod r)."""
    return v - R if v > _HALF_R else v


@dataclass(frozen=True)
class InferenceStatement(Statement):
    """Kind 3: the committed model maps `input` to `output` (B rows of signed ints each).

    With an ArgMax output (`argmax` true) each output row is the one index `(k_b,)`, the
    first maximum of the output gadget's row, and `output_frac_bits` is 0.
    """

    vk_digest: bytes
    batch: int
    input: tuple[tuple[int, ...], ...]
    output: tuple[tuple[int, ...], ...]
    input_frac_bits: int
    output_frac_bits: int
    argmax: bool = False


@dataclass(frozen=True)
class _Kind3:
    """A parsed kind-3 proof, its messages in the order sent; `checks` and `instances`
    are the declarations its message counts were read by (one check per gadget, fresh
    for this proof)."""

    batch: int
    x: list[int]
    x_bytes: bytes
    y: list[int]
    y_bytes: bytes
    c_w: tuple[G1Point, ...]
    logup: tuple[LogupProof, ...]
    leaf_evals: list[int]
    acc_evals: list[list[int]]
    #: per gadget, the messages its check declares after its acc-evals (conv.md 5:
    #: a winmax's E_g; nonlinear.md 11, rearrange.md 3: a concat's E_1..E_K)
    extra: list[list[list[int]]]
    argmax_evals: list[int]
    sumcheck: SumcheckProof
    sc_evals: list[int]
    openings: list[StackOpening]
    checks: list[GadgetCheck]
    output: OutputCheck
    instances: list[Instance]


def _read_ints(rd: Reader, what: str, count: int, lo: int, hi: int, bad: str):
    """`Ints` whose width the range [lo, hi] fixes; values outside it are rejected."""
    vals, raw = rd.ints(what, int_width(lo, hi), expected=count)
    if vals and (min(vals) < lo or max(vals) > hi):
        raise VerificationError(bad)
    return vals, raw


def _read_io(rd: Reader, c: Circuit, batch: int):
    """The public input and output (values range-checked)."""
    half = 1 << (c.input_bits - 1)
    x = _read_ints(rd, "input", batch * c.input_features, -half, half - 1,
                   f"input value outside the {c.input_bits}-bit input range")
    n_out = c.output_features
    if c.argmax:
        return x, _read_ints(rd, "output", batch, 0, n_out - 1,
                             f"output index outside [0, {n_out})")
    g = c.gadgets[c.output_gadget]
    return x, _read_ints(rd, "output", batch * n_out, g.lo, g.hi,
                         f"output value outside [{g.lo}, {g.hi}]")


def _read_gadget_evals(rd: Reader, checks: Sequence[GadgetCheck]):
    """Each gadget's acc-evals, then the messages its check declares after them."""
    acc, extra = [], []
    for chk in checks:
        i = chk.g.index
        acc.append(rd.fr_vec(f"gadget {i} acc-evals", expected=chk.acc_count()))
        extra.append([rd.fr_vec(f"gadget {i} {label}", expected=n)
                      for label, n in chk.messages()])
    return acc, extra


def _parse_kind3(rd: Reader, vk: VerifyingKey, max_batch: int) -> _Kind3:
    c = vk.circuit
    if rd.raw(32, "vk digest") != vk.digest:
        raise VerificationError("proof is for another model (vk digest differs from the key's)")
    batch = rd.u32("batch size")
    if not 1 <= batch <= max_batch:
        raise ProofFormatError(f"batch size {batch} out of range 1..{max_batch}")
    lay = c.layout(batch)
    (x, x_raw), (y, y_raw) = _read_io(rd, c, batch)
    c_w = rd.g1_vec("witness commitment", expected=1 << (lay.num_vars - lay.log_cols))
    logup = parse_logup_trees(rd, lay.logup_depths)
    checks, output = checks_for(c), OutputCheck(c)
    n_leaf = len(c.columns) + 1 + sum(chk.leaf_count() for chk in checks)
    leaf = rd.fr_vec("logup-leaf-evals", expected=n_leaf)
    acc, extra = _read_gadget_evals(rd, checks)
    am = rd.fr_vec("argmax-evals", expected=output.argmax_count()) if c.argmax else []
    insts = ordered_instances(checks, output, lay)
    sc = parse_sumcheck_proof(rd, max(i.num_vars for i in insts), 3, "inference sumcheck")
    sc_evals = rd.fr_vec("sumcheck-evals", expected=sum(i.evals for i in insts))
    shapes = [(lay.num_vars, lay.log_cols), (vk.num_vars, vk.log_cols)]
    openings = parse_openings(rd, shapes)
    rd.finish()
    return _Kind3(batch, x, x_raw, y, y_raw, tuple(c_w), logup, leaf, acc, extra,
                  am, sc, sc_evals, openings, checks, output, insts)


class _Inference:
    """Kind 3 as a user of the proof pipeline (pipeline.md; inference.md 4-5): every
    gadget step is its check class's, every check a declaration the run's backend
    evaluates (checks.md)."""

    name, tag, version = "inference", "zkml/inference", KIND_VERSIONS[KIND_INFERENCE]

    def __init__(self, p: _Kind3, vk: VerifyingKey, lay: Layout, digest: bytes,
                 backend: Backend) -> None:
        self.p, self.vk, self.digest, self.backend = p, vk, digest, backend
        self.lay = lay
        self.logup_depths, self.logup_groups = lay.logup_depths, lay.logup_groups
        self.ctx: RunContext | None = None
        self._circuit = vk.circuit

    def absorb_statement(self, t: Transcript) -> None:
        """inference.md 4: generators, key digest, batch, input, output."""
        p = self.p
        t.absorb_bytes("generators", self.digest)
        t.absorb_bytes("vk", self.vk.digest)
        t.absorb_u32("batch", p.batch)
        t.absorb_bytes("input", p.x_bytes)
        t.absorb_bytes("output", p.y_bytes)
        self.ctx = RunContext(self._circuit, self.lay, t, p.x, p.batch, backend=self.backend)

    def check_leaves(self, t: Transcript, trees: list, alpha: int, beta: int,
                     leaf: list[int]) -> None:
        """The range group's leaves (inference.md 3) and each table gadget's
        (nonlinear.md 3), with their claims on the witness stack."""
        ctx = self._ctx()
        lay, c = ctx.layout, ctx.circuit
        rho, rho_t = trees[0][0], trees[1][0]
        nc = len(c.columns)
        for col, v in zip(c.columns, leaf[:nc], strict=True):
            ctx.wclaims.append((lay.column_point(col.index, rho[: lay.col_vars[col.index]]), v))
        ctx.wclaims.append((lay.m_point(rho_t), leaf[nc]))
        check_lookup_trees(trees[:2], lay.leaf_slots, lay.leaf_vars, alpha, leaf[:nc], leaf[nc])
        # every gadget that owns LogUp trees checks them at their leaves (nonlinear.md 3)
        # (the range group's two trees' roots, entries 0-3, are not a gadget's)
        roots = ctx.stream("logup-root", [v for tree in trees for v in tree[1:]], 4)
        vals, k = ctx.stream("logup-leaf-evals", leaf, nc + 1), 2
        for chk in self.p.checks:
            n = chk.lookup_trees()
            if n:
                chk.check_leaves(ctx, trees[k : k + n], roots, alpha, beta, vals)
                k += n
        if k != len(trees):
            raise VerificationError("logup: tree count differs from the table gadgets")
        ctx.settle()

    def relations(self, t: Transcript) -> list[Instance]:
        """Every gadget's acc point and acc-evals' checks, then its later messages';
        the zerocheck and output challenges; the instances in order."""
        ctx, p, lay = self._ctx(), self.p, self.lay
        points = [t.squeeze_n("acc-point", lay.axes(chk.g.log_features).num_vars)
                  for chk in p.checks]
        for chk, r, evals, extra in zip(p.checks, points, p.acc_evals, p.extra, strict=True):
            t.absorb_frs("acc-evals", evals)
            chk.extra = extra
            chk.check_acc(ctx, r, ctx.stream(f"acc-evals[{chk.g.index}]", evals))
            chk.after_acc(ctx)
            ctx.settle()
        for inst in p.instances:  # tau_g and beta_g per zerocheck instance, gadget order
            if inst.group == ZEROCHECK:
                chk = p.checks[inst.gadget]
                chk.tau = t.squeeze_n("zerocheck-tau", inst.num_vars)
                chk.beta = t.squeeze("zerocheck-beta")
        p.output.challenge(ctx, p.y, p.argmax_evals)
        ctx.settle()
        return p.instances

    def instance_claim(self, inst: Instance) -> Expr | int:
        return inst.owner.claim_of(inst)

    def sumcheck_evals(self, values: list[int]) -> Iterator[Claim]:
        return self._ctx().stream("sumcheck-evals", values)

    def instance_values(self, insts: Sequence[Instance], points: Sequence[list[int]],
                        evals: Iterator[Claim]) -> list[Expr]:
        ctx = self._ctx()
        values = [i.owner.value(ctx, i, s, evals) for i, s in zip(insts, points, strict=True)]
        ctx.settle()
        return values

    def stacks(self, witness_commitment: tuple[G1Point, ...]) -> list[Stack]:
        """The witness stack and the model stack (the key's commitment)."""
        ctx, lay, vk = self._ctx(), self.lay, self.vk
        return [
            Stack(lay.num_vars, lay.log_cols, witness_commitment, tuple(ctx.claims.witness)),
            Stack(vk.num_vars, vk.log_cols, vk.commitment, ctx.claims.model()),
        ]

    def _ctx(self) -> RunContext:
        if self.ctx is None:  # the pipeline absorbs the statement first
            raise RuntimeError("the statement was not absorbed")
        return self.ctx


def _statement(p: _Kind3, c: Circuit, vk: VerifyingKey, digest: bytes
               ) -> InferenceStatement:
    B, n_in, n_out = p.batch, c.input_features, c.output_features  # noqa: N806
    if c.argmax:
        out = tuple((k,) for k in p.y)
        out_frac = 0
    else:
        out = tuple(tuple(p.y[b * n_out : (b + 1) * n_out]) for b in range(B))
        out_frac = c.gadgets[c.output_gadget].frac_bits
    return InferenceStatement(
        KIND_INFERENCE, KIND_NAMES[KIND_INFERENCE], digest, vk.digest, B,
        tuple(tuple(p.x[b * n_in : (b + 1) * n_in]) for b in range(B)),
        out, c.input_frac_bits, out_frac, c.argmax,
    )


def _verify_kind3(
    p: _Kind3, vk: VerifyingKey, lay: Layout, digest: bytes, gens, backend: Backend = CLEAR
) -> InferenceStatement:
    """The proof pipeline (pipeline.md) with kind 3's stages (`_Inference`)."""
    msgs = PipelineMessages(p.c_w, p.logup, p.leaf_evals, p.sumcheck, p.sc_evals, p.openings)
    verify_pipeline(_Inference(p, vk, lay, digest, backend), msgs, gens)
    return _statement(p, vk.circuit, vk, digest)


class InferenceVerifier(GeneratorSource):
    """Verifies inference proofs for one verifying key; build once, share between threads.

    Construction derives the generators the key's model stack and a batch-1 witness
    stack need (cached for the process), so the first proof does not pay for them. A key
    checked for another generator seed is checked again for this one (InvalidKeyError
    if its well-formedness proof fails).
    """

    def __init__(
        self,
        vk: VerifyingKey,
        seed: bytes = DEFAULT_SEED,
        *,
        max_log_cols: int = 30,
        max_batch: int = 1 << 20,
    ) -> None:
        if not isinstance(vk, VerifyingKey):
            raise TypeError(f"vk must be a VerifyingKey, not {type(vk).__name__}")
        if not isinstance(seed, bytes | bytearray | memoryview):
            raise TypeError(f"seed must be bytes, not {type(seed).__name__}")
        self._vk = vk
        self._seed_digest = seed_digest(bytes(seed))
        if vk.seed_digest != self._seed_digest:
            vk.check_well_formed(self._seed_digest)
        self._max_cols = 1 << max_log_cols
        self._max_batch = max_batch
        cols = max(1 << vk.log_cols, 1 << vk.circuit.layout(1).log_cols)
        if cols <= self._max_cols:
            generators(self._seed_digest, cols)

    @property
    def vk(self) -> VerifyingKey:
        return self._vk

    def verify(self, data: bytes, *, backend: Backend = CLEAR) -> InferenceStatement:
        """Verify a kind-3 artifact for this key; returns its statement or raises.

        `backend` evaluates the gadgets' declared checks (circuits/checks.md): in the
        clear by default; the tests pass a mock commitment backend.
        """
        try:
            if not isinstance(data, bytes | bytearray | memoryview):
                raise ProofFormatError(f"artifact must be bytes, not {type(data).__name__}")
            kind, rd = read_header(bytes(data))
            if kind != KIND_INFERENCE:
                raise VerificationError(f"artifact kind {kind}, expected an inference proof (3)")
            parsed = _parse_kind3(rd, self._vk, self._max_batch)
            lay = self._vk.circuit.layout(parsed.batch)
            return _verify_kind3(parsed, self._vk, lay, self._seed_digest, self._generators,
                                 backend)
        except VerificationError:
            raise
        except Exception as exc:  # fail closed: any internal surprise is a rejection
            msg = f"internal verifier error: {type(exc).__name__}: {exc}"[:200]
            raise VerificationError(msg) from exc
