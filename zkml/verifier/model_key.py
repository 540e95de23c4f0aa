"""Verifying keys (kind 4) and the model's well-formedness proof (inference.md section 7).

A key carries the circuit, the model stack's commitment `C_P`, the commitments of the
`J = ceil(R / 8)` limb stacks of `P + 2^(R-1)` and of the byte-table multiplicities,
and a proof that every entry of `P` lies in `[-2^(R-1), 2^(R-1))` and that `P` is zero
outside the tensors' real regions. `VerifyingKey.from_bytes` parses strictly and checks
that proof; a key whose proof fails is refused.

Cost: the proof's checks are logarithmic except the merged Hyrax check, one MSM over the
rows of the `1 + J + 1` committed stacks (`(J + 1) 2^(n - c) + 16` points) and `2^c`
generators. A key checked once in a process (same SHA256, same generator seed) is not
checked again, and a caller that has checked a key before can pass its digest as
`trusted_digest`.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier.circuit import Circuit, ModelStack, parse_circuit
from zkml.verifier.encoding import G1Point
from zkml.verifier.field import R, eq_eval
from zkml.verifier.generators import DEFAULT_SEED, generators, seed_digest
from zkml.verifier.hyrax import Stack, StackOpening, batch_open_verify, check_shape
from zkml.verifier.hyrax import parse_batch_opening_proof as parse_openings
from zkml.verifier.layout import (
    check_lookup_trees,
    eq_bits,
    leaf_slots,
    limb_widths,
    limbs_value,
    lt,
    slot_bits,
)
from zkml.verifier.logup import LogupProof, logup_verify_trees, parse_logup_trees
from zkml.verifier.proofs import KIND_VERIFYING_KEY, VERSION, read_header
from zkml.verifier.sumcheck import SumcheckProof, parse_sumcheck_proof, sumcheck_verify
from zkml.verifier.transcript import Transcript

__all__ = ["VerifyingKey", "WellFormednessProof", "zero_outside"]

#: The multiplicity column's shape: 256 entries, 8 variables, 4 column bits.
M_VARS, M_LOG_COLS = 8, 4
#: How many (key digest, seed digest) pairs a process remembers as checked.
_CACHE_SIZE = 256
_checked: OrderedDict[tuple[bytes, bytes], None] = OrderedDict()
_checked_lock = threading.Lock()


@dataclass(frozen=True)
class WellFormednessProof:
    """`LogupProof || logup-leaf-evals || wf-evals || SumcheckProof(n, 3) || wf-zero-eval
    || BatchOpeningProof (P, L_0..L_{J-1}, m)`."""

    logup: tuple[LogupProof, ...]
    leaf_evals: tuple[int, ...]
    wf_evals: tuple[int, ...]
    sumcheck: SumcheckProof
    zero_eval: int
    openings: tuple[StackOpening, ...]


def zero_outside(ms: ModelStack, s: list[int]) -> int:
    """Z(s) = 1 - sum_t region_t(s), O(#tensors * n)."""
    total = 0
    for t in ms.tensors.values():
        lc, lr = t.log_cols, t.log_rows
        reg = lt(s[:lc], t.cols) * lt(s[lc : lc + lr], t.rows) % R
        total += reg * eq_bits(slot_bits(t.offset, t.log_size, ms.num_vars), s[t.log_size :])
    return (1 - total) % R


@dataclass(frozen=True)
class VerifyingKey:
    """A parsed, checked kind-4 artifact: the circuit and the model stack's commitment.

    `digest` is SHA256 of the whole artifact; proofs name their key by it.
    `seed_digest` is the generator seed the well-formedness proof was checked for.
    """

    digest: bytes
    circuit: Circuit = field(repr=False)
    num_vars: int
    log_cols: int
    commitment: tuple[G1Point, ...] = field(repr=False)
    data: bytes = field(repr=False)
    limb_commitments: tuple[tuple[G1Point, ...], ...] = field(repr=False)
    multiplicity_commitment: tuple[G1Point, ...] = field(repr=False)
    wf_proof: WellFormednessProof = field(repr=False)
    seed_digest: bytes = field(repr=False)

    @classmethod
    def from_bytes(
        cls, data: bytes, *, seed: bytes = DEFAULT_SEED, trusted_digest: bytes | None = None
    ) -> VerifyingKey:
        """Strictly parse a verifying-key artifact and check its well-formedness proof.

        Raises ProofFormatError for bytes that do not parse and VerificationError for a
        key whose proof fails. `trusted_digest`: the SHA256 of a key this caller has
        checked before (for the same `seed`); when it equals this key's digest the
        proof is not checked again. Without it the proof is always checked (once per
        process for identical bytes).
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ProofFormatError(f"verifying key must be bytes, not {type(data).__name__}")
        if not isinstance(seed, bytes | bytearray | memoryview):
            raise TypeError(f"seed must be bytes, not {type(seed).__name__}")
        if trusted_digest is not None and not (
            isinstance(trusted_digest, bytes | bytearray | memoryview)
            and len(trusted_digest) == 32
        ):
            raise TypeError("trusted_digest must be the 32-byte SHA256 of a verifying key")
        data = bytes(data)
        try:
            vk = _parse(data, seed_digest(bytes(seed)))
            if trusted_digest is None or bytes(trusted_digest) != vk.digest:
                vk.check_well_formed(vk.seed_digest)
            return vk
        except VerificationError:
            raise
        except Exception as exc:  # fail closed
            msg = f"internal verifier error: {type(exc).__name__}: {exc}"[:200]
            raise ProofFormatError(msg) from exc

    def check_well_formed(self, digest: bytes) -> None:
        """Check the well-formedness proof for the seed whose SHA256 is `digest`.

        Raises VerificationError ("verifying key: model stack is not well-formed (...)").
        Remembers success per (key digest, seed digest) for the life of the process.
        """
        key = (self.digest, bytes(digest))
        with _checked_lock:
            if key in _checked:
                _checked.move_to_end(key)
                return
        try:
            _verify_wf(self, key[1])
        except VerificationError as exc:
            raise VerificationError(
                f"verifying key: model stack is not well-formed ({exc})"
            ) from exc
        except Exception as exc:  # fail closed
            msg = f"internal verifier error: {type(exc).__name__}: {exc}"[:200]
            raise VerificationError(f"verifying key: {msg}") from exc
        with _checked_lock:
            _checked[key] = None
            while len(_checked) > _CACHE_SIZE:
                _checked.popitem(last=False)


def _parse(data: bytes, seed_dig: bytes) -> VerifyingKey:
    kind, rd = read_header(data)
    if kind != KIND_VERIFYING_KEY:
        raise ProofFormatError(f"artifact kind {kind} is not a verifying key (kind 4)")
    n = rd.count(1, "circuit JSON")
    circuit = parse_circuit(rd.raw(n, "circuit JSON"))
    num_vars = rd.u32("model stack num_vars")
    log_cols = rd.u32("model stack log_cols")
    check_shape(num_vars, log_cols, "model stack")
    ms = circuit.model
    if (num_vars, log_cols) != (ms.num_vars, ms.log_cols):
        raise ProofFormatError(
            f"model stack shape ({num_vars}, {log_cols}) differs from the circuit's "
            f"({ms.num_vars}, {ms.log_cols})"
        )
    rows = 1 << (num_vars - log_cols)
    com = tuple(rd.g1_vec("model commitment", expected=rows))
    if rd.remaining == 0:
        raise ProofFormatError(
            "verifying key without the model's well-formedness proof (an older format): "
            "rebuild it with `zkml compile`"
        )
    if not 1 <= ms.range_bits <= 64:
        raise ProofFormatError(f"verifying key: range_bits {ms.range_bits} outside 1..64")
    j = rd.u32("limb commitment count")
    need = (ms.range_bits + 7) // 8
    if j != need:
        raise ProofFormatError(f"limb commitment count {j}, range_bits {ms.range_bits}: {need}")
    limbs = tuple(tuple(rd.g1_vec(f"limb commitment {i}", expected=rows)) for i in range(j))
    mult = tuple(rd.g1_vec("multiplicity commitment", expected=1 << (M_VARS - M_LOG_COLS)))
    _, depth = leaf_slots([num_vars] * j, limb_widths(ms.range_bits))
    logup = parse_logup_trees(rd, (depth, M_VARS), "wf logup")
    leaf = tuple(rd.fr_vec("wf logup-leaf-evals", expected=j + 1))
    wf_evals = tuple(rd.fr_vec("wf-evals", expected=j + 1))
    sc = parse_sumcheck_proof(rd, num_vars, 3, "wf zerocheck")
    zero = rd.fr("wf-zero-eval")
    shapes = [(num_vars, log_cols)] * (j + 1) + [(M_VARS, M_LOG_COLS)]
    openings = tuple(parse_openings(rd, shapes))
    rd.finish()
    wf = WellFormednessProof(logup, leaf, wf_evals, sc, zero, openings)
    digest = hashlib.sha256(data).digest()
    return VerifyingKey(
        digest, circuit, num_vars, log_cols, com, data, limbs, mult, wf, seed_dig
    )


def _verify_wf(vk: VerifyingKey, seed_dig: bytes) -> None:
    """The checks of section 7; raises VerificationError naming the first that fails."""
    c, ms, wf = vk.circuit, vk.circuit.model, vk.wf_proof
    n, rb, j = vk.num_vars, ms.range_bits, len(vk.limb_commitments)
    slots, depth = leaf_slots([n] * j, limb_widths(rb))
    t = Transcript("zkml/model-wf")
    t.absorb_u32("version", VERSION)
    t.absorb_bytes("generators", seed_dig)
    t.absorb_bytes("circuit", c.json_bytes)
    t.absorb_points("model-commitment", vk.commitment)
    for com in vk.limb_commitments:
        t.absorb_points("limb-commitment", com)
    t.absorb_points("multiplicity-commitment", vk.multiplicity_commitment)
    alpha = t.squeeze("logup-alpha")
    trees = logup_verify_trees(t, (depth, M_VARS), wf.logup, "logup")
    rho, rho_t = trees[0][0], trees[1][0]
    leaf = wf.leaf_evals
    t.absorb_frs("logup-leaf-evals", leaf)
    check_lookup_trees(trees, slots, depth, alpha, leaf[:j], leaf[j])

    rho1 = t.squeeze_n("wf-point", n)
    t.absorb_frs("wf-evals", wf.wf_evals)
    if (wf.wf_evals[0] + (1 << (rb - 1)) - limbs_value(wf.wf_evals[1:])) % R:
        raise VerificationError("P(rho1) + 2^(R-1) != sum_j 2^(8j) L_j(rho1)")
    tau = t.squeeze_n("zerocheck-tau", n)
    s, final = sumcheck_verify(t, 0, n, 3, wf.sumcheck, "zerocheck")
    t.absorb_fr("wf-zero-eval", wf.zero_eval)
    if final != eq_eval(tau, s) * zero_outside(ms, s) % R * wf.zero_eval % R:
        raise VerificationError("zerocheck: final != eq(tau, s) Z(s) P(s)")

    r1, sp, rn = tuple(rho1), tuple(s), tuple(rho[:n])
    stacks = [Stack(n, vk.log_cols, vk.commitment, ((r1, wf.wf_evals[0]), (sp, wf.zero_eval)))]
    for i, com in enumerate(vk.limb_commitments):
        stacks.append(Stack(n, vk.log_cols, com, ((rn, leaf[i]), (r1, wf.wf_evals[1 + i]))))
    stacks.append(Stack(M_VARS, M_LOG_COLS, vk.multiplicity_commitment,
                        ((tuple(rho_t), leaf[j]),)))
    cols = max(1 << vk.log_cols, 1 << M_LOG_COLS)
    gens = generators(seed_dig, cols)
    batch_open_verify(t, stacks, wf.openings, lambda k: gens[:k])
