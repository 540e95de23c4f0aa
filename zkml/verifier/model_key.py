"""Verifying keys (kind 4, and the hiding kind 6) and the model's well-formedness proof
(inference.md section 7, zk_inference.md section 4).

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

A hiding key (kind 6, `zkml.verifier.zk_key`) proves the same statement with both
commitments blinded and its proof hiding; `VerifyingKey.from_bytes` takes either kind
(`hiding` says which) and checks each with its own protocol.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from zkml.errors import InvalidKeyError, ProofFormatError, VerificationError
from zkml.verifier.circuit import Circuit
from zkml.verifier.declarations import CLEAR, run_check
from zkml.verifier.encoding import G1Point
from zkml.verifier.generators import DEFAULT_SEED, generators, seed_digest
from zkml.verifier.hyrax import Stack, StackOpening, batch_open_verify
from zkml.verifier.hyrax import parse_batch_opening_proof as parse_openings
from zkml.verifier.key_common import leaf_checks, padding_count, parse_key_head, zero_outside
from zkml.verifier.logup import LogupProof, logup_verify_trees, parse_logup_trees
from zkml.verifier.proofs import (
    KIND_HIDING_VERIFYING_KEY,
    KIND_VERIFYING_KEY,
    VERSION,
    read_header,
)
from zkml.verifier.transcript import Transcript
from zkml.verifier.zk_key import ZkWellFormednessProof, parse_zk_wf, verify_zk_wf

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


@dataclass(frozen=True)
class VerifyingKey:
    """A parsed, checked kind-4 or kind-6 artifact: the circuit and the model stack's
    commitment (blinded rows when `hiding`, a kind-6 key).

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
    wf_proof: WellFormednessProof | ZkWellFormednessProof = field(repr=False)
    seed_digest: bytes = field(repr=False)
    hiding: bool = False

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
            if self.hiding and isinstance(self.wf_proof, ZkWellFormednessProof):
                verify_zk_wf(self.circuit, self.commitment, self.multiplicity_commitment,
                             self.wf_proof, key[1])
            elif not self.hiding and isinstance(self.wf_proof, WellFormednessProof):
                _verify_wf(self, key[1])
            else:
                raise VerificationError("key kind and proof differ", check="verifier.internal")
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


def _parse(data: bytes, seed_dig: bytes) -> VerifyingKey:
    kind, rd = read_header(data)
    if kind not in (KIND_VERIFYING_KEY, KIND_HIDING_VERIFYING_KEY):
        raise ProofFormatError(f"artifact kind {kind} is not a verifying key (kind 4 or 6)",
                               check="proof.header-kind")
    head = parse_key_head(rd)
    digest = hashlib.sha256(data).digest()
    num_vars, log_cols, ms = head.num_vars, head.log_cols, head.circuit.model
    if kind == KIND_HIDING_VERIFYING_KEY:
        mult, zk = parse_zk_wf(rd, num_vars, log_cols, ms.range_bits)
        rd.finish()
        return VerifyingKey(digest, head.circuit, num_vars, log_cols, head.commitment, data,
                            mult, zk, seed_dig, hiding=True)
    rb = ms.range_bits
    m_vars, m_cols = rb, rb // 2
    mult = tuple(rd.g1_vec("multiplicity commitment", expected=1 << (m_vars - m_cols)))
    logup = tuple(parse_logup_trees(rd, (num_vars, m_vars, 1), "wf logup"))
    leaf = tuple(rd.fr_vec("wf logup-leaf-evals", expected=2))
    openings = tuple(parse_openings(rd, [(num_vars, log_cols), (m_vars, m_cols)]))
    rd.finish()
    wf = WellFormednessProof(logup, leaf, openings)
    return VerifyingKey(digest, head.circuit, num_vars, log_cols, head.commitment, data, mult,
                        wf, seed_dig)


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
    (rho, _, _), (rho_t, _, _), _ = trees
    p_rho, m_rho = wf.leaf_evals
    t.absorb_frs("logup-leaf-evals", wf.leaf_evals)
    for check in leaf_checks(ms, alpha, beta, trees, wf.leaf_evals):
        run_check(check, CLEAR)

    stacks = [
        Stack(n, vk.log_cols, vk.commitment, ((tuple(rho), p_rho),)),
        Stack(rb, rb // 2, vk.multiplicity_commitment, ((tuple(rho_t), m_rho),)),
    ]
    gens = generators(seed_dig, max(1 << vk.log_cols, 1 << (rb // 2)))
    batch_open_verify(t, stacks, wf.openings, lambda k: gens[:k])
