"""What verifying keys of both kinds share (inference.md section 7, zk_inference.md
section 4): the head of the key (circuit, model-stack shape, `C_P`), the public values of
the well-formedness proof's leaves (`Z`, `N_pad`, `T_R`) and its six leaf equations,
declared once (circuits/checks.md): a kind-4 key runs them in the clear, a kind-6 key
over commitments (each one entry of the linear check).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier.circuit import MAX_RANGE_BITS, Circuit, ModelStack, parse_circuit
from zkml.verifier.declarations import Check, Claim, zero_check
from zkml.verifier.encoding import MAX_CIRCUIT_JSON_BYTES, G1Point, Reader
from zkml.verifier.field import R
from zkml.verifier.hyrax import check_shape
from zkml.verifier.layout import eq_bits, lt, slot_bits

__all__ = ["KeyHead", "parse_key_head", "padding_count", "zero_outside", "range_table_at",
           "leaf_checks"]


def padding_count(ms: ModelStack) -> int:
    """N_pad: entries of the model stack outside every tensor's real region."""
    return (1 << ms.num_vars) - sum(t.rows * t.cols for t in ms.tensors.values())


def zero_outside(ms: ModelStack, s: Sequence[int]) -> int:
    """Z(s) = 1 - sum_t region_t(s), O(#tensors * n)."""
    total = 0
    for t in ms.tensors.values():
        lc, lr = t.log_cols, t.log_rows
        reg = lt(s[:lc], t.cols) * lt(s[lc : lc + lr], t.rows) % R
        total += reg * eq_bits(slot_bits(t.offset, t.log_size, ms.num_vars), s[t.log_size :])
    return (1 - total) % R


def range_table_at(x: Sequence[int]) -> int:
    """T_R(x) = sum_k 2^k x_k: the range table's MLE."""
    return sum(v << k for k, v in enumerate(x)) % R


#: A LogUp tree's result: its point and the values (ints, or committed handles) P, Q.
TreeResult = tuple[Sequence[int], Any, Any]


def leaf_checks(ms: ModelStack, alpha: int, beta: int, trees: Sequence[TreeResult],
                leaf_evals: Sequence[Any]) -> list[Check]:
    """Kind 4's six leaf equations in its order (`key.range-leaves` twice, then
    `key.table-leaves`, `key.padding-leaves`): `trees` are the three trees' results
    (range lookups, table, padding), named `logup-P[i]`, `logup-Q[i]`; `leaf_evals` the
    values `P(rho)`, `m(rho_t)` (`logup-leaf-evals[0]`, `[1]`)."""
    (rho, p0, q0), (rho_t, p_t, q_t), (rho_z, p_z, q_z) = (
        (pt, Claim(f"logup-P[{i}]", p), Claim(f"logup-Q[{i}]", q))
        for i, (pt, p, q) in enumerate(trees))
    p_rho, m_rho = (Claim(f"logup-leaf-evals[{j}]", v) for j, v in enumerate(leaf_evals))
    shifted = alpha - (1 << (ms.range_bits - 1))
    (mu,) = rho_z
    rng = "range lookups: leaf claims differ from P(rho)"
    tab = "range table: leaf claims differ from m(rho_t)"
    pad = "padding: the zero entries' lookups differ from the padding"
    return [
        zero_check("key.range-leaves", p0 - 1, rng),
        zero_check("key.range-leaves", q0 + p_rho - (shifted - beta * zero_outside(ms, rho)),
                   rng),
        zero_check("key.table-leaves", p_t + m_rho, tab),
        zero_check("key.table-leaves", q_t - (alpha - range_table_at(rho_t)), tab),
        zero_check("key.padding-leaves", p_z + padding_count(ms) * (1 - mu), pad),
        zero_check("key.padding-leaves", q_z - ((shifted - beta) * (1 - mu) + mu), pad),
    ]


@dataclass(frozen=True)
class KeyHead:
    """A key's body up to its multiplicity commitment: the circuit, the model stack's
    shape and its commitment `C_P`."""

    circuit: Circuit
    num_vars: int
    log_cols: int
    commitment: tuple[G1Point, ...]


def _parse_key_circuit(data: bytes) -> Circuit:
    """The key's circuit description; a refusal the parser gives no finer id is the
    check `key.circuit` (the description is well-typed and within the verifier's
    limits)."""
    try:
        return parse_circuit(data)
    except VerificationError as exc:
        if exc.check is None:
            exc.check = "key.circuit"
        raise


def parse_key_head(rd: Reader) -> KeyHead:
    """`u32 len || circuit JSON || Shape || Vec<G1> C_P`, every size bounded before it is
    read; the proof must follow (`key.wf-missing`) and `range_bits` be within limits."""
    n = rd.count(1, "circuit JSON", maximum=MAX_CIRCUIT_JSON_BYTES)
    circuit = _parse_key_circuit(rd.raw(n, "circuit JSON"))
    num_vars = rd.u32("model stack num_vars")
    log_cols = rd.u32("model stack log_cols")
    check_shape(num_vars, log_cols, "model stack")
    ms = circuit.model
    if (num_vars, log_cols) != (ms.num_vars, ms.log_cols):
        raise ProofFormatError(
            f"model stack shape ({num_vars}, {log_cols}) differs from the circuit's "
            f"({ms.num_vars}, {ms.log_cols})",
            check="key.model-shape",
        )
    rows = 1 << (num_vars - log_cols)
    com = tuple(rd.g1_vec("model commitment", expected=rows))
    if rd.remaining == 0:
        raise ProofFormatError(
            "verifying key without the model's well-formedness proof (an older format): "
            "rebuild it (zkml.compile in Python, `zkml compile` on the command line)",
            check="key.wf-missing",
        )
    rb = ms.range_bits
    if not 1 <= rb <= MAX_RANGE_BITS:
        raise ProofFormatError(f"range_bits {rb} outside 1..{MAX_RANGE_BITS}", check="proof.limits")
    return KeyHead(circuit, num_vars, log_cols, com)
