"""The proof pipeline under hiding (circuits/pipeline.md's stages with zk.md 6's
replacements; the byte-level schedule of kind 5 is circuits/zk_inference.md 1.1).

`verify_hiding_pipeline` is `zkml.verifier.pipeline.verify_pipeline` with every private
message a commitment: the same stages and the same `PipelineKind` hooks (the kind's
statement, leaf checks, relations, instances and stacks), with

3. the hiding LogUp (zk.md 5.6), its declarations run first, its leaf evals points;
5. the instance claims as linear forms (`zk.claim-linear`), the committed batched
   sumcheck (5.2), the sumcheck-evals points, the final check a declaration;
6. the hiding opening (5.4) of every claim, then the tail (5.5): `"zk-products"`,
   `"zk-linear"`, the sigma batch and the one merged check (`zk.merged`).

Every check is a declaration the kind's `CommittedBackend` evaluates, in zk_inference.md
3's order (LogUp's, the kind's leaf checks, its relations', the final check, the
opening's), which is the order of the products and of the linear check's entries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from zkml.errors import VerificationError
from zkml.verifier.declarations import Claim, Expr, as_expr, evaluate, run_check, zero_check
from zkml.verifier.encoding import G1Point, Reader
from zkml.verifier.field import R
from zkml.verifier.pipeline import PipelineKind, final_check
from zkml.verifier.transcript import Transcript
from zkml.verifier.zk.backend import Committed, CommittedBackend, products_needed
from zkml.verifier.zk.forms import Form
from zkml.verifier.zk.logup import ZkTree, verify_zk_logup
from zkml.verifier.zk.opening import HidingStack, verify_opening
from zkml.verifier.zk.sigma import Gens
from zkml.verifier.zk.sumcheck import verify_batched
from zkml.verifier.zk.tail import verify_tail

__all__ = ["HidingMessages", "HidingKind", "claim_form", "run_hiding_checks",
           "verify_hiding_pipeline"]


@dataclass(frozen=True)
class HidingMessages:
    """The pipeline's own messages in a hiding proof, parsed: the witness rows, the
    LogUp trees, the leaf evals, the batched sumcheck's rounds and evals (points); the
    hiding opening's bytes (`opening`, read as the opening runs: its size is fixed by
    the stacks' shapes), the `"zk-products"` points, and `tail`, the reader positioned at
    `tau` (the sigma batch is read once the evaluation fixed its statements)."""

    witness_commitment: tuple[G1Point, ...]
    logup: tuple[ZkTree, ...]
    leaf_evals: list[G1Point]
    sumcheck: list[list[G1Point]]
    sumcheck_evals: list[G1Point]
    opening: Reader
    products: tuple[G1Point, ...]
    tail: Reader


class HidingKind(PipelineKind, Protocol):
    """A proof kind run under hiding: a `PipelineKind` whose backend is a
    `CommittedBackend` and whose stacks are hiding stacks (blinded rows, claims whose
    values are forms)."""

    backend: CommittedBackend

    def hiding_stacks(self, witness_commitment: tuple[G1Point, ...]) -> list[HidingStack]:
        """Stage 6: the witness stack and the kind's other stacks, with their claims."""
        ...


def claim_form(claim: Expr | Claim | int, backend: CommittedBackend, what: str) -> Form:
    """An instance's claim (a declaration) evaluated over commitments as a linear form.
    A claim that multiplies committed values is refused (`zk.claim-linear`): its product
    commitment would be sent after the sumcheck challenges it must precede."""
    expr = as_expr(claim)
    if expr.committed and products_needed([zero_check("zk.claim-linear", expr, what)]):
        raise VerificationError(f"{what}: the claim multiplies committed values; a hiding "
                                "proof needs a linear form", check="zk.claim-linear")
    value: Any = evaluate(expr, backend)
    if isinstance(value, Committed):
        return value.form
    return Form({backend.g_e: value % R})


def run_hiding_checks(kind: HidingKind, msgs: HidingMessages) -> Transcript:
    """Stages 0-5 for `kind`: every declaration through its backend (the products taken
    in order from `"zk-products"`, the linear checks collected). Returns the transcript
    as the hiding opening starts (after the sumcheck-evals)."""
    be = kind.backend
    t = Transcript(kind.tag)
    t.absorb_u32("version", kind.version)
    kind.absorb_statement(t)
    t.absorb_points("witness-commitment", msgs.witness_commitment)

    alpha = t.squeeze("logup-alpha")
    beta = t.squeeze("logup-beta")
    trees, logup_checks = verify_zk_logup(t, msgs.logup, kind.logup_groups, be.g_e)
    for check in logup_checks:
        run_check(check, be)
    t.absorb_points("logup-leaf-evals", msgs.leaf_evals)
    kind.check_leaves(t, trees, alpha, beta, msgs.leaf_evals)

    insts = kind.relations(t)
    _batched_sumcheck(t, kind, insts, msgs)
    return t


def verify_hiding_pipeline(kind: HidingKind, msgs: HidingMessages,
                           gens: Callable[[int], Gens]) -> None:
    """Run the stages for `kind` over its proof's messages; raises VerificationError
    (with the failed check's id) on the first failure. Every check but the last is
    collected by the backend; the last, `zk.merged`, is one MSM. `gens(n)`: the
    generators `G_0..G_{n-1}`, `G_e` and `H` of the proof's seed (the caller's column
    limit applies; the batched proof of product's vectors may need more than the
    stacks' columns, sigma.md 7)."""
    be = kind.backend
    t = run_hiding_checks(kind, msgs)
    stacks = kind.hiding_stacks(msgs.witness_commitment)
    opening_linear, dots = verify_opening(t, msgs.opening, stacks)
    msgs.opening.finish()

    t.absorb_points("zk-products", list(msgs.products))
    be.finish()
    n_gens = max(len(be.triples), *(1 << st.log_cols for st in stacks))
    verify_tail(gens(n_gens), t, msgs.tail, [*be.linear, *opening_linear], be.triples, dots)
    msgs.tail.finish()


def _batched_sumcheck(t: Transcript, kind: HidingKind, insts: Sequence[Any],
                      msgs: HidingMessages) -> None:
    """The committed batched sumcheck over the instances' claim forms and its final
    check `sum_i beta^i value_i - final == 0` (a declaration; `sumcheck-final` is the
    sumcheck's final form)."""
    be = kind.backend
    if not insts:
        raise VerificationError(f"{kind.name} sumcheck: no instances",
                                check="sumcheck.batch-shape")
    claims = [claim_form(kind.instance_claim(i), be, f"{kind.name} instance {k}")
              for k, i in enumerate(insts)]
    nvs = [i.num_vars for i in insts]
    point, weights, final = verify_batched(t, claims, nvs, 3, msgs.sumcheck)
    t.absorb_points("sumcheck-evals", msgs.sumcheck_evals)
    points = [point[len(point) - n:] for n in nvs]
    values = kind.instance_values(insts, points, kind.sumcheck_evals(msgs.sumcheck_evals))
    run_check(final_check(kind.name, weights, values, Claim("sumcheck-final", be.seal(final))),
              be)
