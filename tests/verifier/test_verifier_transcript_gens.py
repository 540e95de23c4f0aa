"""Transcript byte layout and generator derivation, against independent re-derivations."""

from __future__ import annotations

import hashlib
import threading

from py_ecc.fields import optimized_bn128_FQ as FQ
from py_ecc.optimized_bn128 import b as curve_b
from py_ecc.optimized_bn128 import is_on_curve as ecc_on_curve

from zkml.verifier.field import P, R
from zkml.verifier.generators import (
    DEFAULT_SEED,
    derive_generator,
    generators,
    seed_digest,
)
from zkml.verifier.transcript import Transcript


def sha(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def test_transcript_layout():
    t = Transcript("tag")
    state = sha(b"zkml-transcript-v1" + (3).to_bytes(4, "big") + b"tag")
    assert t.state == state
    t.absorb("lbl", b"\x01\x02")
    state = sha(
        state + b"\x01" + (3).to_bytes(4, "big") + b"lbl" + (2).to_bytes(8, "big") + b"\x01\x02"
    )
    assert t.state == state
    c = t.squeeze("ch")
    state = sha(state + b"\x02" + (2).to_bytes(4, "big") + b"ch")
    assert t.state == state
    assert c == int.from_bytes(sha(state + b"\x00") + sha(state + b"\x01"), "big") % R


def test_typed_absorbs():
    a, b = Transcript("x"), Transcript("x")
    a.absorb_frs("v", [1, R - 1])
    b.absorb("v", (2).to_bytes(4, "big") + (1).to_bytes(32, "big") + (R - 1).to_bytes(32, "big"))
    assert a.state == b.state
    a.absorb_points("p", [None])
    b.absorb("p", (1).to_bytes(4, "big") + bytes(64))
    assert a.state == b.state
    a.absorb_u32("u", 9)
    b.absorb("u", (9).to_bytes(4, "big"))
    a.absorb_fr("f", R + 5)  # reduced before encoding
    b.absorb("f", (5).to_bytes(32, "big"))
    a.absorb_bytes("bb", b"xyz")
    b.absorb("bb", b"xyz")
    assert a.state == b.state


def test_squeezes_advance():
    t = Transcript("t")
    c1, c2 = t.squeeze("same"), t.squeeze("same")
    assert c1 != c2 and 0 <= c1 < R and 0 <= c2 < R
    assert Transcript("t").squeeze("same") == c1
    assert Transcript("u").squeeze("same") != c1


def naive_generator(seed: bytes, index: int) -> tuple[int, int]:
    digest = sha(seed)
    ctr = 0
    while True:
        base = digest + index.to_bytes(4, "big") + ctr.to_bytes(4, "big")
        x = int.from_bytes(sha(base + b"\x00") + sha(base + b"\x01"), "big") % P
        t = (x**3 + 3) % P
        y = pow(t, (P + 1) // 4, P)
        if t != 0 and y * y % P == t:
            return (x, P - y if y % 2 else y)
        ctr += 1


def test_generators_match_naive_derivation():
    gens = generators(seed_digest(DEFAULT_SEED), 40)
    assert gens == [naive_generator(DEFAULT_SEED, i) for i in range(40)]
    for x, y in gens:
        assert y % 2 == 0
        assert ecc_on_curve((FQ(x), FQ(y), FQ(1)), curve_b)
    assert len(set(gens)) == 40


def test_generator_cache_is_incremental_and_prefix_stable():
    digest = seed_digest(b"test/incremental")
    a = generators(digest, 5)
    b = generators(digest, 12)
    assert b[:5] == a and len(b) == 12
    assert generators(digest, 3) == a[:3]
    assert generators(digest, 0) == []
    assert derive_generator(digest, 11) == b[11]


def test_generators_depend_on_seed():
    g1 = generators(seed_digest(b"other"), 4)
    g2 = generators(seed_digest(DEFAULT_SEED), 4)
    assert not set(g1) & set(g2)


def test_generator_cache_thread_safe():
    digest = seed_digest(b"test/threads")
    results = []

    def work(k):
        results.append(generators(digest, 10 + 5 * k))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    full = generators(digest, 40)
    for r in results:
        assert r == full[: len(r)]
