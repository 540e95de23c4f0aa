"""The SHA-256 duplex Fiat-Shamir transcript (transcript.md).

A Transcript is per proof and not shared between threads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from zkml.verifier.encoding import G1Point, enc_frs, enc_g1s, enc_u32
from zkml.verifier.field import R

__all__ = ["Transcript"]

_DOMAIN = b"zkml-transcript-v1"


def _label(label: str) -> bytes:
    b = label.encode("ascii")
    return len(b).to_bytes(4, "big") + b


class Transcript:
    """Fiat-Shamir transcript: `absorb` and `squeeze` exactly as transcript.md fixes them."""

    __slots__ = ("_state",)

    def __init__(self, tag: bytes | str) -> None:
        tag_b = tag.encode("ascii") if isinstance(tag, str) else bytes(tag)
        self._state = hashlib.sha256(_DOMAIN + enc_u32(len(tag_b)) + tag_b).digest()

    @property
    def state(self) -> bytes:
        """The current 32-byte state."""
        return self._state

    def absorb(self, label: str, data: bytes) -> None:
        """state = H(state || 0x01 || u32(len label) || label || u64(len data) || data)."""
        h = hashlib.sha256(self._state)
        h.update(b"\x01" + _label(label) + len(data).to_bytes(8, "big"))
        h.update(data)
        self._state = h.digest()

    def squeeze(self, label: str) -> int:
        """Advance the state and return a challenge in [0, r) by 64-byte wide reduction."""
        self._state = hashlib.sha256(self._state + b"\x02" + _label(label)).digest()
        out = hashlib.sha256(self._state + b"\x00").digest()
        out += hashlib.sha256(self._state + b"\x01").digest()
        return int.from_bytes(out, "big") % R

    def squeeze_n(self, label: str, n: int) -> list[int]:
        """`n` challenges, each one `squeeze(label)`, in order (the point of a claim)."""
        return [self.squeeze(label) for _ in range(n)]

    def absorb_u32(self, label: str, x: int) -> None:
        self.absorb(label, enc_u32(x))

    def absorb_bytes(self, label: str, b: bytes) -> None:
        self.absorb(label, bytes(b))

    def absorb_fr(self, label: str, a: int) -> None:
        self.absorb(label, (a % R).to_bytes(32, "big"))

    def absorb_frs(self, label: str, values: Sequence[int]) -> None:
        self.absorb(label, enc_frs(values))

    def absorb_points(self, label: str, points: Sequence[G1Point]) -> None:
        self.absorb(label, enc_g1s(points))
