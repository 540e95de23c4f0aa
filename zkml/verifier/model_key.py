"""Verifying keys (kind 4) and the model's well-formedness proof (inference.md section 7).

A key carries the circuit, the model stack's commitment `C_P`, the commitment of the
multiplicities of the range table `[0, 2^R)`, and a proof that every entry of `P` lies
in `[-2^(R-1), 2^(R-1))` (one lookup of `P[i] + 2^(R-1)` per entry) and that `P` is zero
outside the tensors' real regions. `VerifyingKey.from_bytes` parses strictly and checks
that proof; a key whose proof fails is refused.

Cost: the proof's checks are logarithmic except the merged Hyrax check, one MSM over the
rows of the two committed stacks (`2^(n - c) + 2^(R - floor(R/2))` points) and `2^c`
generators. A key checked once in a process (same SHA256, same generator seed) is not
checked again, and a caller that has checked a key before can pass its digest as
`trusted_digest`.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from zkml.errors import InvalidKeyError, ProofFormatError, VerificationError
from zkml.verifier.circuit import MAX_RANGE_BITS, Circuit, ModelStack, parse_circuit
from zkml.verifier.encoding import MAX_CIRCUIT_JSON_BYTES, G1Point
from zkml.verifier.field import R
from zkml.verifier.generators import DEFAULT_SEED, generators, seed_digest
from zkml.verifier.hyrax import Stack, StackOpening, batch_open_verify, check_shape
from zkml.verifier.hyrax import parse_batch_opening_proof as parse_openings
from zkml.verifier.layout import eq_bits, lt, slot_bits
from zkml.verifier.logup import LogupProof, logup_verify_trees, parse_logup_trees
from zkml.verifier.proofs import KIND_VERIFYING_KEY, VERSION, read_header
from zkml.verifier.transcript import Transcript

__all__ = ["VerifyingKey", "WellFormednessProof", "padding_count", "zero_outside"]

#: How many (key digest, seed digest) pairs a process remembers as checked.
_CACHE_SIZE = 256
_checked: OrderedDict[tuple[bytes, bytes], None] = OrderedDict()
_checked_lock = threading.Lock()


@dataclass(frozen=True)
class WellFormednessProof:
    """`LogupProof || logup-leaf-evals (P(rho), m(rho_t)) || BatchOpeningProof (P, m)`."""

    logup: tuple[LogupProof, ...]
    leaf_evals: tuple[int, ...]
    openings: tuple[StackOpening, ...]


def padding_count(ms: ModelStack) -> int:
    """N_pad: entries of the model stack outside every tensor's real region."""
    return (1 << ms.num_vars) - sum(t.rows * t.cols for t in ms.tensors.values())


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
    multiplicity_commitment: tuple[G1Point, ...] = field(repr=False)
    wf_proof: WellFormednessProof = field(repr=False)
    seed_digest: bytes = field(repr=False)

    @classmethod
    def from_bytes(
        cls, data: bytes, *, seed: bytes = DEFAULT_SEED, trusted_digest: bytes | None = None
    ) -> VerifyingKey:
        """Strictly parse a verifying-key artifact and check its well-formedness proof.

        Raises InvalidKeyError (not a VerificationError: the key is bad, not a proof) for
        bytes that do not parse and for a key whose proof fails. `trusted_digest`: the
        SHA256 of a key this caller has checked before (for the same `seed`); when it
        equals this key's digest the proof is not checked again. Without it the proof is
        always checked (once per process for identical bytes).
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InvalidKeyError(f"verifying key must be bytes, not {type(data).__name__}",
                                  check="api.argument-type")
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
        except InvalidKeyError:
            raise
        except VerificationError as exc:  # the parser's errors name the key's bytes
            raise InvalidKeyError(exc.detail, check=exc.check) from exc
        except Exception as exc:  # fail closed
            msg = f"internal verifier error: {type(exc).__name__}: {exc}"[:200]
            raise InvalidKeyError(msg, check="verifier.internal") from exc

    def check_well_formed(self, digest: bytes) -> None:
        """Check the well-formedness proof for the seed whose SHA256 is `digest`.

        Raises InvalidKeyError ("invalid verifying key: model stack is not well-formed
        (...)").
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
            raise InvalidKeyError(f"model stack is not well-formed ({exc.detail})",
                                  check=exc.check) from exc
        except Exception as exc:  # fail closed
            msg = f"internal verifier error: {type(exc).__name__}: {exc}"[:200]
            raise InvalidKeyError(msg, check="verifier.internal") from exc
        with _checked_lock:
            _checked[key] = None
            while len(_checked) > _CACHE_SIZE:
                _checked.popitem(last=False)


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


def _parse(data: bytes, seed_dig: bytes) -> VerifyingKey:
    kind, rd = read_header(data)
    if kind != KIND_VERIFYING_KEY:
        raise ProofFormatError(f"artifact kind {kind} is not a verifying key (kind 4)",
                               check="proof.header-kind")
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
    m_vars, m_cols = rb, rb // 2
    mult = tuple(rd.g1_vec("multiplicity commitment", expected=1 << (m_vars - m_cols)))
    logup = parse_logup_trees(rd, (num_vars, m_vars, 1), "wf logup")
    leaf = tuple(rd.fr_vec("wf logup-leaf-evals", expected=2))
    openings = tuple(parse_openings(rd, [(num_vars, log_cols), (m_vars, m_cols)]))
    rd.finish()
    wf = WellFormednessProof(logup, leaf, openings)
    digest = hashlib.sha256(data).digest()
    return VerifyingKey(digest, circuit, num_vars, log_cols, com, data, mult, wf, seed_dig)


def _verify_wf(vk: VerifyingKey, seed_dig: bytes) -> None:
    """The checks of section 7; raises VerificationError naming the first that fails."""
    c, ms, wf = vk.circuit, vk.circuit.model, vk.wf_proof
    n, rb = vk.num_vars, ms.range_bits
    t = Transcript("zkml/model-wf")
    t.absorb_u32("version", VERSION)
    t.absorb_bytes("generators", seed_dig)
    t.absorb_bytes("circuit", c.json_bytes)
    t.absorb_points("model-commitment", vk.commitment)
    t.absorb_points("multiplicity-commitment", vk.multiplicity_commitment)
    alpha = t.squeeze("logup-alpha")
    beta = t.squeeze("logup-beta")
    trees = logup_verify_trees(t, (n, rb, 1), wf.logup, "logup")  # one group
    (rho, p0, q0), (rho_t, p_t, q_t), (rho_z, p_z, q_z) = trees
    p_rho, m_rho = wf.leaf_evals
    t.absorb_frs("logup-leaf-evals", wf.leaf_evals)
    shifted = alpha - (1 << (rb - 1))
    if p0 != 1 or (q0 - shifted + p_rho + beta * zero_outside(ms, rho)) % R:
        raise VerificationError("range lookups: leaf claims differ from P(rho)",
                                check="key.range-leaves")
    table = sum(x << k for k, x in enumerate(rho_t)) % R
    if (p_t + m_rho) % R or (q_t - alpha + table) % R:
        raise VerificationError("range table: leaf claims differ from m(rho_t)",
                                check="key.table-leaves")
    (mu,) = rho_z
    if (p_z + padding_count(ms) * (1 - mu)) % R or (
            q_z - (shifted - beta) * (1 - mu) - mu) % R:
        raise VerificationError("padding: the zero entries' lookups differ from the padding",
                                check="key.padding-leaves")

    stacks = [
        Stack(n, vk.log_cols, vk.commitment, ((tuple(rho), p_rho),)),
        Stack(rb, rb // 2, vk.multiplicity_commitment, ((tuple(rho_t), m_rho),)),
    ]
    gens = generators(seed_dig, max(1 << vk.log_cols, 1 << (rb // 2)))
    batch_open_verify(t, stacks, wf.openings, lambda k: gens[:k])
