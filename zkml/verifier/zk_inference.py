"""Hiding inference proofs (kind 5): circuits/zk_inference.md sections 1-3.

Kind 3's statement and schedule (`zkml.verifier.inference`) with every private message
a Pedersen commitment: the parser reads kind 3's messages as points, with every count
fixed by the circuit and `B` as kind 3's parser fixes them (`MessagePlan`), and the
driver is kind 3's (`InferenceStages`: the same gadget check classes, run context and
instances) run by the hiding pipeline (`zkml.verifier.zk.pipeline`) with a
`CommittedBackend`: every check is a declaration over commitments, the products and
inverses come from the proof's `"zk-products"` message, and the whole proof is decided
by one merged MSM (`zk.merged`, zk.md 5.5).

Version 1 proves the visibility words of `zkml.verifier.zk.visibility` (a public,
private or committed input, zk_inference.md 1.3-1.4; public weights, 1.5; a committed
output, 1.6) and refuses any other (`zk.visibility`). A kind-5 proof names its key by
digest like kind 3; its statement says `hiding=True`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from zkml.errors import TruncatedProofError
from zkml.verifier.declarations import Claim
from zkml.verifier.encoding import G1Point, Reader
from zkml.verifier.gadgets import GadgetCheck, Instance, OutputCheck, RunContext
from zkml.verifier.generators import derive_generator
from zkml.verifier.hyrax import check_shape
from zkml.verifier.inference_stages import (
    InferenceStages,
    InferenceStatement,
    MessagePlan,
    read_gadget_evals,
    read_key_and_batch,
    statement_of,
)
from zkml.verifier.layout import range_leaf_checks
from zkml.verifier.model_key import VerifyingKey
from zkml.verifier.proofs import KIND_HIDING_INFERENCE, KIND_VERSIONS, GeneratorFn
from zkml.verifier.transcript import Transcript
from zkml.verifier.zk.backend import CommittedBackend
from zkml.verifier.zk.logup import ZkTree, parse_zk_logup
from zkml.verifier.zk.opening import HidingStack
from zkml.verifier.zk.pipeline import HidingMessages, verify_hiding_pipeline
from zkml.verifier.zk.sigma import G_E_INDEX, H_INDEX, Gens
from zkml.verifier.zk.sumcheck import read_rounds
from zkml.verifier.zk.visibility import (
    INPUT_PUBLIC,
    check_visibility,
    circuit_for,
    input_stack,
    is_committed_output,
    is_private_input,
    output_stack,
    read_statement_io,
)

__all__ = ["VISIBILITY_PUBLIC_IO", "parse_hiding_inference", "verify_hiding_inference"]

#: The visibility word of a public input and output, private weights.
VISIBILITY_PUBLIC_IO = INPUT_PUBLIC
#: One encoded G1 point.
_G1 = 64


@dataclass(frozen=True)
class _Kind5:
    """A parsed kind-5 proof (zk_inference.md 1.2), its messages in the order sent, the
    points kind 3 would send as scalars; `checks`, `output` and `instances` are the
    declarations its counts were read by. The hiding opening's bytes and the reader
    positioned at `tau` are kept for the run (`HidingMessages`)."""

    batch: int
    visibility: int
    x: list[int]
    x_bytes: bytes
    y: list[int]
    y_bytes: bytes
    c_w: tuple[G1Point, ...]
    logup: tuple[ZkTree, ...]
    leaf_evals: list[G1Point]
    acc_evals: list[list[G1Point]]
    extra: list[list[list[G1Point]]]
    argmax_evals: list[G1Point]
    sumcheck: list[list[G1Point]]
    sc_evals: list[G1Point]
    opening: Reader
    products: tuple[G1Point, ...]
    tail: Reader
    checks: list[GadgetCheck]
    output: OutputCheck
    instances: list[Instance]
    #: a committed input's row commitments (zk_inference.md 1.4); empty otherwise
    c_x: tuple[G1Point, ...] = ()
    #: a committed output's row commitments and its `output-evals` (1.6); else empty
    c_y: tuple[G1Point, ...] = ()
    output_evals: tuple[G1Point, ...] = ()


def _opening_bytes(shapes: Sequence[tuple[int, int]]) -> int:
    """`HidingOpening` (zk.md 5.4): per stack `n_s` rounds of 2 points, then `C_e`."""
    for s, (n, c) in enumerate(shapes):
        check_shape(n, c, f"stack {s}")
    return sum((2 * n + 1) * _G1 for n, _ in shapes)


def parse_hiding_inference(rd: Reader, vk: VerifyingKey, max_batch: int) -> _Kind5:
    """Strictly parse a kind-5 body against `vk` (zk_inference.md 1.2): the key digest
    first, then every count from the circuit and `B`; `zk-products`' count bounded by the
    bytes left. The sigma batch stays unread (`tail`)."""
    batch = read_key_and_batch(rd, vk, max_batch)
    visibility = check_visibility(rd.u32("visibility"), vk.hiding)
    c = circuit_for(vk.circuit, visibility)
    lay = c.layout(batch)
    (x, x_raw), (y, y_raw), c_x, c_y = read_statement_io(rd, c, batch, visibility)
    c_w = rd.g1_vec("witness commitment", expected=1 << (lay.num_vars - lay.log_cols))
    logup = parse_zk_logup(rd, lay.logup_depths)
    plan = MessagePlan.of(c, lay)
    leaf = rd.g1_vec("logup-leaf-evals", expected=plan.leaf_count)
    acc, extra = read_gadget_evals(rd, plan.checks, Reader.g1_vec)
    am = plan.read_argmax(rd, Reader.g1_vec)
    out_evals: list[G1Point] = []
    if c_y:  # zk_inference.md 1.6: Y~(r_out), committed, after the output point
        out_evals = rd.g1_vec("output-evals", expected=1)
        plan.output.committed_evals = out_evals
    n_sc = plan.sumcheck_vars
    if n_sc * 3 * _G1 > rd.remaining:
        raise TruncatedProofError("inference sumcheck: truncated rounds",
                                  check="proof.truncated")
    sc = read_rounds(rd, n_sc, 3)
    sc_evals = rd.g1_vec("sumcheck-evals", expected=plan.sumcheck_evals)
    shapes = [(lay.num_vars, lay.log_cols), (vk.num_vars, vk.log_cols)]
    if c_x:
        st = input_stack(c, batch)
        shapes.append((st.num_vars, st.log_cols))
    if c_y:
        so = output_stack(c, batch)
        shapes.append((so.num_vars, so.log_cols))
    opening = Reader(rd.raw(_opening_bytes(shapes), "hiding opening"))
    products = tuple(rd.g1_vec("zk-products"))
    return _Kind5(batch, visibility, x, x_raw, y, y_raw, tuple(c_w), tuple(logup), leaf,
                  acc, extra, am, sc, sc_evals, opening, products, rd, plan.checks,
                  plan.output, plan.instances, tuple(c_x), tuple(c_y), tuple(out_evals))


class _HidingInference(InferenceStages):
    """Kind 5 as a user of the hiding pipeline: kind 3's stages (`InferenceStages`) with the
    visibility word in the statement, every message a commitment (`RunContext.hiding`),
    the range group's leaf checks declared (zk_inference.md 3 item 2) and hiding stacks."""

    name, tag = "inference", "zkml/inference-zk"
    version = KIND_VERSIONS[KIND_HIDING_INFERENCE]
    p: _Kind5  # type: ignore[assignment]
    backend: CommittedBackend
    #: a committed input's claims (zk_inference.md 1.4), set by `check_leaves`
    input_claims: list

    def absorb_statement(self, t: Transcript) -> None:
        """zk_inference.md 1.1: generators, key digest, batch, visibility, input, output."""
        p = self.p
        t.absorb_bytes("generators", self.digest)
        t.absorb_bytes("vk", self.vk.digest)
        t.absorb_u32("batch", p.batch)
        t.absorb_u32("visibility", p.visibility)
        if p.c_x:  # zk_inference.md 1.4: a committed input is its commitment
            t.absorb_points("input", p.c_x)
        elif not is_private_input(p.visibility):  # 1.3: a private one is not there
            t.absorb_bytes("input", p.x_bytes)
        if p.c_y:  # 1.6: a committed output is its commitment
            t.absorb_points("output", p.c_y)
        else:
            t.absorb_bytes("output", p.y_bytes)
        self.ctx = RunContext(self._circuit, self.lay, t, p.x, p.batch, backend=self.backend,
                              hiding=True)

    def check_range_leaves(self, trees: list, alpha: int, leaf: Sequence,
                           roots: Sequence[Claim], cols: Sequence[Claim], m: Claim) -> None:
        """The range group's four leaf checks as declarations over the trees' `P`, `Q`
        forms and the committed leaf evals (zk_inference.md 3 item 2)."""
        ctx, lay = self._ctx(), self.lay
        for check in range_leaf_checks(lay.leaf_slots, lay.leaf_vars, trees[0][0], trees[1][0],
                                       alpha, roots, cols, m):
            ctx.declare(check)

    def check_leaves(self, t: Transcript, trees: list, alpha: int, beta: int,
                     leaf: Sequence) -> None:
        """Kind 3's leaves; with a committed input, each input limb's leaf claim is
        also a claim on the input stack (zk_inference.md 1.4: the link to `C_X`)."""
        ctx = self._ctx()
        start = len(ctx.wclaims)
        super().check_leaves(t, trees, alpha, beta, leaf)
        if not self.p.c_x:
            return
        c = self._circuit
        st = input_stack(c, self.p.batch)
        rho = trees[0][0]
        for col in c.input_u:
            _, form = ctx.wclaims[start + col.index]
            self.input_claims.append((st.point(col.limb, rho[:st.col_vars]), form))

    def hiding_stacks(self, witness_commitment: tuple[G1Point, ...]) -> list[HidingStack]:
        """The witness stack (the proof's blinded rows) and the model stack (the key's
        commitment), each with its claims' forms (zk_inference.md 1.1); a committed
        input's stack next (1.4), a committed output's last (1.6)."""
        ctx, lay, vk = self._ctx(), self.lay, self.vk
        stacks = [
            HidingStack(lay.num_vars, lay.log_cols, witness_commitment,
                        tuple(ctx.claims.witness)),
            HidingStack(vk.num_vars, vk.log_cols, vk.commitment, ctx.claims.model()),
        ]
        if self.p.c_x:
            st = input_stack(self._circuit, self.p.batch)
            stacks.append(HidingStack(st.num_vars, st.log_cols, self.p.c_x,
                                      tuple(self.input_claims)))
        if self.p.c_y:
            so = output_stack(self._circuit, self.p.batch)
            claim = self.p.output.stack_claim
            if claim is None:  # the output point precedes the opening in every run
                raise RuntimeError("the committed output's claim was not made")
            point = so.point(0, claim[0])
            stacks.append(HidingStack(so.num_vars, so.log_cols, self.p.c_y,
                                      ((point, claim[1]),)))
        return stacks


def verify_hiding_inference(rd: Reader, vk: VerifyingKey, seed_digest: bytes,
                            max_batch: int, generators: GeneratorFn) -> InferenceStatement:
    """Parse and verify a kind-5 body (`rd` positioned after the header) for `vk` and the
    generators of `seed_digest` (`generators(n)`: the first `n`, under the caller's
    column limit); returns the statement (`hiding=True`) or raises VerificationError
    with the failed check's id."""
    p = parse_hiding_inference(rd, vk, max_batch)
    c = circuit_for(vk.circuit, p.visibility)
    lay = c.layout(p.batch)
    g_e = derive_generator(seed_digest, G_E_INDEX)
    h = derive_generator(seed_digest, H_INDEX)

    def gens(n: int) -> Gens:
        return Gens(tuple(generators(n)), g_e, h)

    kind = _HidingInference(p, vk, lay, seed_digest, CommittedBackend(g_e, p.products))
    kind._circuit = c
    kind.input_claims = []
    msgs = HidingMessages(p.c_w, p.logup, p.leaf_evals, p.sumcheck, p.sc_evals, p.opening,
                          p.products, p.tail)
    verify_hiding_pipeline(kind, msgs, gens)
    st = statement_of(p, c, vk, seed_digest, KIND_HIDING_INFERENCE)  # type: ignore[arg-type]
    hidden_input = () if is_private_input(p.visibility) else st.input
    hidden_output = () if is_committed_output(p.visibility) else st.output
    return replace(st, input=hidden_input, output=hidden_output, visibility=p.visibility,
                   input_commitment=p.c_x, output_commitment=p.c_y)
