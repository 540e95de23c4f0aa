"""What the fuzz runs call and how an outcome is judged (tests only).

Targets, each a function of the mutated bytes:
- a proof against its model's good key (`zkml.Verifier(key).verify(proof)`);
- a key alone (`zkml.Verifier(key)`: strict parse and the well-formedness proof);
- a key whose circuit JSON was edited, loaded as *trusted* (its well-formedness proof
  skipped, as a service does for a key it checked before), then a proof of that model
  relabelled with the edited key's digest: this drives odd but parseable circuits
  through the proof parser and the checks.

An outcome is "rejected" (a VerificationError naming a check, or for a key an
InvalidKeyError), "accepted", "internal" (an error made by a fail-closed net from some
other exception: the net kept the verifier safe, but the input reached code that did
not expect it) or "crash" (any other exception escaped). Only "rejected" is a pass, and
"accepted" for bytes equal to a valid artifact (those are skipped before the call).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import zkml
from zkml.errors import InvalidKeyError, VerificationError
from zkml.verifier import VerifyingKey

__all__ = ["FuzzStats", "Outcome", "judge", "memory_cap", "proof_target", "key_target",
           "circuit_target", "INTERNAL"]

#: The message prefix of the verifier's fail-closed nets (zkml/verifier/*.py).
INTERNAL = "internal verifier error"


@dataclass(frozen=True)
class Outcome:
    kind: str  # "rejected", "accepted", "internal", "crash"
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.kind == "rejected"

    def describe(self) -> str:
        if self.error is None:
            return self.kind
        cause = self.error.__cause__
        tail = f" (from {type(cause).__name__}: {cause})" if cause is not None else ""
        return f"{self.kind}: {type(self.error).__name__}: {self.error}{tail}"[:600]


def judge(call: Callable[[bytes], object], data: bytes) -> Outcome:
    """Run `call(data)` and classify what came out (see the module text)."""
    try:
        call(data)
    except (VerificationError, InvalidKeyError) as exc:
        return Outcome("internal" if INTERNAL in str(exc) else "rejected", exc)
    except Exception as exc:  # noqa: BLE001 - every other type is a finding
        return Outcome("crash", exc)
    return Outcome("accepted")


@contextmanager
def memory_cap(extra: int = 1 << 30) -> Iterator[None]:
    """Cap this process's address space at its current size plus `extra` bytes while the
    block runs, so a mutant that makes the verifier allocate without bound fails with
    MemoryError (a finding) instead of exhausting the machine. Linux only (no-op elsewhere)."""
    try:
        import resource

        status = Path("/proc/self/status").read_text()
        size = int(re.search(r"VmSize:\s+(\d+) kB", status).group(1)) * 1024
    except (ImportError, OSError, AttributeError):
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = size + extra
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def proof_target(key: bytes) -> Callable[[bytes], object]:
    """A mutated proof against the model's good key (the API's Verifier, built once)."""
    return zkml.Verifier(key).verify


def key_target(data: bytes) -> object:
    """A mutated key alone: the API parses it and checks its well-formedness proof."""
    return zkml.Verifier(data)


def relabel(proof: bytes, digest: bytes) -> bytes:
    """`proof` naming the key `digest` (the 32 bytes after the 7-byte header)."""
    return proof[:7] + digest + proof[39:]


def circuit_target(proof: bytes) -> Callable[[bytes], object]:
    """A key with an edited circuit, trusted, then `proof` relabelled to it."""

    def call(key: bytes) -> object:
        digest = hashlib.sha256(key).digest()
        vk = VerifyingKey.from_bytes(key, trusted_digest=digest)
        return zkml.Verifier(vk).verify(relabel(proof, digest))

    return call


@dataclass
class FuzzStats:
    """Totals over every fuzz test of the session (for the summary line only)."""

    mutants: int = 0
    identical: int = 0
    seconds: float = 0.0
    by_target: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    slowest: tuple[float, str] = (0.0, "")
    #: the coverage-guided run's totals (test_fuzz_long.py), when it ran
    long_run: str = ""

    def add(self, target: str, outcome: str, seconds: float, what: str) -> None:
        self.mutants += 1
        self.seconds += seconds
        self.by_target[target] = self.by_target.get(target, 0) + 1
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        if seconds > self.slowest[0]:
            self.slowest = (seconds, what)
