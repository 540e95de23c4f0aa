"""Hyrax generators G_0, G_1, ... by hash-to-curve from a seed (hyrax.md).

Derivation costs a square root mod p per generator (about 0.1 ms), so generators are
cached per seed digest for the life of the process and derived incrementally: a
request for more generators extends the cached prefix. The cache is guarded by a
lock, so concurrent verifiers share it safely.
"""

from __future__ import annotations

import hashlib
import threading

from zkml.verifier.field import P

__all__ = ["DEFAULT_SEED", "MAX_GENERATORS", "seed_digest", "derive_generator", "generators"]

#: The seed every artifact of this project uses unless told otherwise.
DEFAULT_SEED = b"zkml/hyrax/generators/v1"
#: Largest column count a statement can ask for (2^num_vars with num_vars <= 30).
MAX_GENERATORS = 1 << 30

_SQRT_EXP = (P + 1) // 4

_lock = threading.Lock()
_cache: dict[bytes, list[tuple[int, int]]] = {}


def seed_digest(seed: bytes) -> bytes:
    """SHA256(seed), the value every statement absorbs."""
    return hashlib.sha256(bytes(seed)).digest()


def _jacobi(a: int, n: int) -> int:
    # Jacobi symbol by the binary algorithm: about 5x cheaper than Euler's criterion
    # in pure Python, so non-residues (half the tries) never pay for a pow.
    t = 1
    while a:
        z = (a & -a).bit_length() - 1
        a >>= z
        if z & 1 and n & 7 in (3, 5):
            t = -t
        if a & 3 == 3 and n & 3 == 3:
            t = -t
        a, n = n % a, a
    return t if n == 1 else 0


def derive_generator(digest: bytes, index: int) -> tuple[int, int]:
    """G_index for the seed whose SHA256 is `digest` (the loop of hyrax.md)."""
    prefix = digest + index.to_bytes(4, "big")
    ctr = 0
    while True:
        base = prefix + ctr.to_bytes(4, "big")
        h = hashlib.sha256(base + b"\x00").digest() + hashlib.sha256(base + b"\x01").digest()
        x = int.from_bytes(h, "big") % P
        t = (x * x * x + 3) % P
        # _jacobi == 1 exactly when t is a nonzero square; the root is still checked
        if _jacobi(t, P) == 1:
            y = pow(t, _SQRT_EXP, P)
            if y * y % P == t:
                if y & 1:
                    y = P - y
                return (x, y)
        ctr += 1


def generators(digest: bytes, count: int) -> list[tuple[int, int]]:
    """The first `count` generators of the seed with SHA256 `digest` (a shared prefix list).

    The returned list must not be modified; it may be longer than `count` only if
    the caller slices it, so this returns exactly `count` entries.
    """
    if count < 0 or count > MAX_GENERATORS:
        raise ValueError(f"generator count {count} out of range")
    digest = bytes(digest)
    with _lock:
        cached = _cache.get(digest)
        if cached is not None and len(cached) >= count:
            return cached[:count]
        have = [] if cached is None else cached
        # derive outside the cache entry, then publish, so readers never see a partial list
        extended = have + [derive_generator(digest, i) for i in range(len(have), count)]
        _cache[digest] = extended
        return extended[:count]


class GeneratorSource:
    """Generators of one seed, with a column limit: what every verifier object holds.

    Subclasses set `_seed_digest` and `_max_cols` in their constructor.
    """

    _seed_digest: bytes
    _max_cols: int

    @property
    def seed_digest(self) -> bytes:
        """SHA256 of the generator seed; artifacts must carry exactly this digest."""
        return self._seed_digest

    def _generators(self, count: int) -> list[tuple[int, int]]:
        from zkml.errors import VerificationError

        if count > self._max_cols:
            raise VerificationError(f"{count} columns exceed this verifier's limit",
                                    check="verifier.column-limit")
        return generators(self._seed_digest, count)
