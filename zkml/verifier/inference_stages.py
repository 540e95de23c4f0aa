"""The stages of an inference proof that kind 3 (`inference.py`) and its hiding form,
kind 5 (`zk_inference.py`), share: the statement, the reading of the messages whose
counts the gadget checks declare (`MessagePlan`), and the kind's hooks of the proof
pipeline (`InferenceStages`: inference.md 4-5, pipeline.md), run by `verify_pipeline`
for kind 3 and by `zkml.verifier.zk.pipeline.verify_hiding_pipeline` for kind 5. Every
gadget step is its check class's (`zkml.verifier.gadgets`); a message a gadget absorbs
goes through `RunContext.absorb` (values in the clear, commitments under hiding).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier.circuit import Circuit, Layout
from zkml.verifier.declarations import Backend, Claim, Expr
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
from zkml.verifier.hyrax import Stack
from zkml.verifier.layout import check_lookup_trees
from zkml.verifier.model_key import VerifyingKey
from zkml.verifier.proofs import KIND_INFERENCE, KIND_NAMES, KIND_VERSIONS, Statement
from zkml.verifier.transcript import Transcript

__all__ = ["InferenceStatement", "to_signed", "read_io", "read_input", "read_key_and_batch",
           "MessagePlan", "read_gadget_evals", "ParsedInference", "InferenceStages",
           "statement_of"]

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
    #: a hiding proof (kind 5, circuits/zk_inference.md): it reveals the statement and
    #: nothing else about the weights or the activations; kind 3 proofs are not hiding
    hiding: bool = False
    #: kind 5's visibility word (zk_inference.md 1); with a private input (bits 0-1
    #: not 0) `input` is empty: the proof binds the input without revealing it
    visibility: int = 0
    #: a committed input's row commitments `C_X` (zk_inference.md 1.4), else empty
    input_commitment: tuple = ()
    #: a committed output's row commitments `C_Y` (zk_inference.md 1.6), else empty;
    #: `output` is then empty: the proof binds the output without revealing it
    output_commitment: tuple = ()



def _read_ints(rd: Reader, what: str, count: int, lo: int, hi: int, bad: str):
    """`Ints` whose width the range [lo, hi] fixes; values outside it are rejected."""
    vals, raw = rd.ints(what, int_width(lo, hi), expected=count)
    if vals and (min(vals) < lo or max(vals) > hi):
        raise VerificationError(bad, check="statement.range")
    return vals, raw


def read_io(rd: Reader, c: Circuit, batch: int):
    """The public input and output, `((x, x_bytes), (y, y_bytes))` (values
    range-checked, inference.md 4)."""
    x = read_input(rd, c, batch)
    return x, read_output(rd, c, batch)


def read_input(rd: Reader, c: Circuit, batch: int):
    """The public input, `(x, x_bytes)` (values range-checked, inference.md 4)."""
    half = 1 << (c.input_bits - 1)
    return _read_ints(rd, "input", batch * c.input_features, -half, half - 1,
                      f"input value outside the {c.input_bits}-bit input range")


def read_output(rd: Reader, c: Circuit, batch: int):
    """The public output, `(y, y_bytes)` (values range-checked, inference.md 4)."""
    n_out = c.output_features
    if c.argmax:
        return _read_ints(rd, "output", batch, 0, n_out - 1,
                          f"output index outside [0, {n_out})")
    g = c.gadgets[c.output_gadget]
    return _read_ints(rd, "output", batch * n_out, g.lo, g.hi,
                      f"output value outside [{g.lo}, {g.hi}]")


def read_key_and_batch(rd: Reader, vk: VerifyingKey, max_batch: int) -> int:
    """`vk_digest` (compared with the key's before anything is derived from its
    circuit) and `B` (in 1..max_batch)."""
    if rd.raw(32, "vk digest") != vk.digest:
        raise VerificationError("proof is for another model (vk digest differs from the key's)",
                                check="proof.vk")
    batch = rd.u32("batch size")
    if not 1 <= batch <= max_batch:
        raise ProofFormatError(f"batch size {batch} out of range 1..{max_batch}",
                               check="proof.limits")
    return batch


@dataclass(frozen=True)
class MessagePlan:
    """What an inference proof for one key and batch sends, as its gadget checks declare
    it (fresh check objects for one proof): every message's length is fixed here, for
    kind 3's scalars and kind 5's commitments alike."""

    checks: list[GadgetCheck]
    output: OutputCheck
    instances: list[Instance]
    #: logup-leaf-evals: the range group's (a limb column each, then m), the tables'
    leaf_count: int

    @classmethod
    def of(cls, c: Circuit, lay: Layout) -> MessagePlan:
        """The plan of circuit `c` at the batch of `lay`."""
        checks, output = checks_for(c), OutputCheck(c)
        n_leaf = len(c.columns) + 1 + sum(chk.leaf_count() for chk in checks)
        return cls(checks, output, ordered_instances(checks, output, lay), n_leaf)

    @property
    def sumcheck_vars(self) -> int:
        """The batched sumcheck's rounds: the largest instance's variables."""
        return max(i.num_vars for i in self.instances)

    @property
    def sumcheck_evals(self) -> int:
        """How many sumcheck-evals the instances send."""
        return sum(i.evals for i in self.instances)

    def read_argmax(self, rd: Reader, vec: Callable[..., list]) -> list:
        """The argmax-evals (none without ArgMax); `vec` reads one vector
        (`Reader.fr_vec` or `Reader.g1_vec`)."""
        if not self.output.c.argmax:
            return []
        return vec(rd, "argmax-evals", expected=self.output.argmax_count())


def read_gadget_evals(rd: Reader, checks: Sequence[GadgetCheck],
                       vec: Callable[..., list] = Reader.fr_vec):
    """Each gadget's acc-evals, then the messages its check declares after them; `vec`
    reads one vector (kind 3's scalars, kind 5's points: `Reader.g1_vec`)."""
    acc, extra = [], []
    for chk in checks:
        i = chk.g.index
        acc.append(vec(rd, f"gadget {i} acc-evals", expected=chk.acc_count()))
        extra.append([vec(rd, f"gadget {i} {label}", expected=n)
                      for label, n in chk.messages()])
    return acc, extra



class ParsedInference(Protocol):
    """What the stages read of a parsed proof (kind 3's scalars or kind 5's points):
    the statement's fields, the gadgets' messages in order and the declarations their
    counts were read by."""

    batch: int
    x: list[int]
    x_bytes: bytes
    y: list[int]
    y_bytes: bytes
    acc_evals: list[list]
    extra: list[list[list]]
    argmax_evals: list
    checks: list[GadgetCheck]
    output: OutputCheck
    instances: list[Instance]


class InferenceStages:
    """An inference proof as a user of the proof pipeline (pipeline.md; inference.md
    4-5): every gadget step is its check class's, every check a declaration the run's
    backend evaluates (checks.md). Kind 3's as they are; kind 5 overrides the statement,
    the range group's leaf checks and the stacks (`zk_inference.py`)."""

    name, tag, version = "inference", "zkml/inference", KIND_VERSIONS[KIND_INFERENCE]

    def __init__(self, p: ParsedInference, vk: VerifyingKey, lay: Layout, digest: bytes,
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

    def check_range_leaves(self, trees: list, alpha: int, leaf: Sequence,
                           roots: Sequence[Claim], cols: Sequence[Claim], m: Claim) -> None:
        """The range group's four leaf checks (inference.md 4, "Lookups"): in the clear
        over the values (`roots`, `cols`, `m` are their claims, for a hiding kind)."""
        lay, nc = self.lay, len(cols)
        check_lookup_trees(trees[:2], lay.leaf_slots, lay.leaf_vars, alpha, leaf[:nc], leaf[nc])

    def check_leaves(self, t: Transcript, trees: list, alpha: int, beta: int,
                     leaf: Sequence) -> None:
        """The range group's leaves (inference.md 3) and each table gadget's
        (nonlinear.md 3), with their claims on the witness stack."""
        ctx = self._ctx()
        lay, c = ctx.layout, ctx.circuit
        rho, rho_t = trees[0][0], trees[1][0]
        nc = len(c.columns)
        leaves = ctx.stream("logup-leaf-evals", leaf)
        cols = [next(leaves) for _ in range(nc)]
        m = next(leaves)
        for col, v in zip(c.columns, cols, strict=True):
            ctx.wclaims.append((lay.column_point(col.index, rho[: lay.col_vars[col.index]]),
                                ctx.opened(v)))
        ctx.wclaims.append((lay.m_point(rho_t), ctx.opened(m)))
        # the trees' final claims P, Q in tree order (the range group's: entries 0-3)
        roots = ctx.stream("logup-root", [v for tree in trees for v in tree[1:]])
        self.check_range_leaves(trees, alpha, leaf, [next(roots) for _ in range(4)], cols, m)
        # every gadget that owns LogUp trees checks them at their leaves (nonlinear.md 3)
        vals, k = leaves, 2
        for chk in self.p.checks:
            n = chk.lookup_trees()
            if n:
                chk.check_leaves(ctx, trees[k : k + n], roots, alpha, beta, vals)
                k += n
        if k != len(trees):
            raise VerificationError("logup: tree count differs from the table gadgets",
                                    check="logup.shape")
        ctx.settle()

    def relations(self, t: Transcript) -> list[Instance]:
        """Every gadget's acc point and acc-evals' checks, then its later messages';
        the zerocheck and output challenges; the instances in order."""
        ctx, p, lay = self._ctx(), self.p, self.lay
        points = [t.squeeze_n("acc-point", lay.axes(chk.g.log_features).num_vars)
                  for chk in p.checks]
        for chk, r, evals, extra in zip(p.checks, points, p.acc_evals, p.extra, strict=True):
            ctx.absorb("acc-evals", evals)
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


def statement_of(p: ParsedInference, c: Circuit, vk: VerifyingKey, digest: bytes,
               kind: int = KIND_INFERENCE) -> InferenceStatement:
    """The statement a verified proof of `kind` establishes (hiding for kind 5)."""
    B, n_in, n_out = p.batch, c.input_features, c.output_features  # noqa: N806
    if c.argmax:
        out = tuple((k,) for k in p.y)
        out_frac = 0
    else:
        out = tuple(tuple(p.y[b * n_out : (b + 1) * n_out]) for b in range(B))
        out_frac = c.gadgets[c.output_gadget].frac_bits
    return InferenceStatement(
        kind, KIND_NAMES[kind], digest, vk.digest, B,
        tuple(tuple(p.x[b * n_in : (b + 1) * n_in]) for b in range(B)),
        out, c.input_frac_bits, out_frac, c.argmax, kind != KIND_INFERENCE,
    )


