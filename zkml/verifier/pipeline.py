"""The proof pipeline, verifier side (circuits/pipeline.md): the stage order of every
proof kind that proves many relations over one committed witness.

`verify_pipeline` runs the stages; a proof kind (`PipelineKind`) says what each holds:

0-1. header and statement: the transcript under the kind's tag, its format version,
     then the kind's statement fields;
2.   the witness commitment;
3.   LogUp: `"logup-alpha"`, `"logup-beta"`, the trees (logup.md), the leaf evals, and
     the kind's checks on them;
4.   the relations: the kind reads its own messages and returns the instances of the
     batched sumcheck in order;
5.   the batched sumcheck over those instances, the sumcheck-evals, and one final check
     `final == sum_i rho^i value_i` over the instances' declared values (checks.md 4);
6.   one batch opening of every claim on the witness stack and the kind's other stacks.

The Rust prover runs the same stages (`rust/core/src/pipeline`). Inference (kind 3,
`inference.py`) is the first kind; hiding and unlearning proofs follow.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from zkml.verifier.declarations import (
    Backend,
    Check,
    Claim,
    Expr,
    evaluate,
    linear,
    run_check,
    zero_check,
)
from zkml.verifier.encoding import G1Point
from zkml.verifier.field import R
from zkml.verifier.hyrax import Stack, StackOpening, batch_open_verify
from zkml.verifier.logup import LogupProof, logup_verify_trees
from zkml.verifier.sumcheck import SumcheckProof, batched_sumcheck_verify
from zkml.verifier.transcript import Transcript

__all__ = ["PipelineMessages", "PipelineInstance", "PipelineKind", "verify_pipeline",
           "final_check"]


@dataclass(frozen=True)
class PipelineMessages:
    """The pipeline's own messages in a proof (the kind's messages are its own)."""

    witness_commitment: tuple[G1Point, ...]
    logup: tuple[LogupProof, ...]
    leaf_evals: list[int]
    sumcheck: SumcheckProof
    sumcheck_evals: list[int]
    openings: list[StackOpening]


class PipelineInstance(Protocol):
    """An instance of the batched sumcheck as the pipeline sees it."""

    num_vars: int


class PipelineKind(Protocol):
    """What a proof kind supplies to each stage (module doc)."""

    #: the kind's name (in messages and the final check's id), transcript tag and
    #: format version
    name: str
    tag: str
    version: int
    #: LogUp: each tree's depth and the groups that must each sum to zero (logup.md)
    logup_depths: Sequence[int]
    logup_groups: Sequence[Sequence[int]]
    backend: Backend

    def absorb_statement(self, t: Transcript) -> None:
        """Stage 1: absorb the statement fields in their fixed order."""
        ...

    def check_leaves(self, t: Transcript, trees: list, alpha: int, beta: int,
                     leaf_evals: list[int]) -> None:
        """Stage 3: record the leaf evals' claims and run the kind's leaf checks."""
        ...

    def relations(self, t: Transcript) -> list[PipelineInstance]:
        """Stage 4: read and check the kind's own messages; the instances in order."""
        ...

    def instance_claim(self, inst: PipelineInstance) -> Expr | int:
        """An instance's claimed sum (a declaration)."""
        ...

    def instance_values(self, insts: Sequence[PipelineInstance], points: Sequence[list[int]],
                        evals: Iterator[Claim]) -> list[Expr]:
        """Stage 5: every instance's declared value at its point, reading its
        sumcheck-evals (whose claims it records) from `evals`."""
        ...

    def sumcheck_evals(self, values: list[int]) -> Iterator[Claim]:
        """The sumcheck-evals as named claims (`sumcheck-evals[j]`)."""
        ...

    def stacks(self, witness_commitment: tuple[G1Point, ...]) -> list[Stack]:
        """Stage 6: the witness stack and the kind's other stacks, with their claims."""
        ...


def verify_pipeline(kind: PipelineKind, msgs: PipelineMessages, gens) -> None:
    """Run the stages for `kind` over its proof's pipeline messages; raises
    VerificationError (with the failed check's id) on the first failed check."""
    t = Transcript(kind.tag)
    t.absorb_u32("version", kind.version)
    kind.absorb_statement(t)
    t.absorb_points("witness-commitment", msgs.witness_commitment)

    alpha = t.squeeze("logup-alpha")
    beta = t.squeeze("logup-beta")  # nonlinear.md 3: drawn in every proof
    trees = logup_verify_trees(t, kind.logup_depths, msgs.logup, groups=kind.logup_groups)
    t.absorb_frs("logup-leaf-evals", msgs.leaf_evals)
    kind.check_leaves(t, trees, alpha, beta, msgs.leaf_evals)

    insts = kind.relations(t)
    _batched_sumcheck(t, kind, insts, msgs)
    batch_open_verify(t, kind.stacks(msgs.witness_commitment), msgs.openings, gens)


def _batched_sumcheck(t: Transcript, kind: PipelineKind, insts: list[PipelineInstance],
                      msgs: PipelineMessages) -> None:
    """The batched sumcheck and its one final check `final == sum_i rho^i value_i`."""
    be = kind.backend
    claims = [be.reveal(evaluate(kind.instance_claim(i), be), "sumcheck-claim") for i in insts]
    res = batched_sumcheck_verify(t, claims, [i.num_vars for i in insts], [3] * len(insts),
                                  msgs.sumcheck, f"{kind.name} sumcheck")
    t.absorb_frs("sumcheck-evals", msgs.sumcheck_evals)
    values = kind.instance_values(insts, res.points, kind.sumcheck_evals(msgs.sumcheck_evals))
    rho, weights = 1, []
    for _ in values:
        weights.append(rho)
        rho = rho * res.beta % R
    run_check(final_check(kind.name, weights, values, Claim("sumcheck-final", be.seal(res.final))),
              be)


def final_check(name: str, weights: Sequence[int], values: Sequence[Expr], final: Claim
                ) -> Check:
    """The batched sumcheck's one final check `<name>.final` (checks.md 4):
    `sum_i weights[i] values[i] - final == 0`, `weights[i] = beta^i` the batching
    challenge's powers and `final` the sumcheck's final claim (`sumcheck-final`)."""
    expr = linear(zip(weights, values, strict=True)) - final
    return zero_check(f"{name}.final", expr, f"{name} sumcheck: final != sum of instance relations")
