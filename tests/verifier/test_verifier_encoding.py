"""Strict parsing: canonical Fr and G1, counts checked before allocation, no trailing bytes."""

from __future__ import annotations

import pytest

from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier.encoding import (
    Reader,
    enc_fr,
    enc_frs,
    enc_g1,
    enc_g1s,
    enc_u8,
    enc_u16,
    enc_u32,
    enc_u64,
    is_on_curve,
)
from zkml.verifier.field import P, R
from zkml.verifier.generators import DEFAULT_SEED, generators, seed_digest

G0 = generators(seed_digest(DEFAULT_SEED), 1)[0]


def test_error_hierarchy():
    assert issubclass(ProofFormatError, VerificationError)


def test_uints_big_endian():
    rd = Reader(enc_u8(7) + enc_u16(0x1234) + enc_u32(0xDEADBEEF) + enc_u64(2**64 - 1))
    assert (rd.u8(), rd.u16(), rd.u32(), rd.u64()) == (7, 0x1234, 0xDEADBEEF, 2**64 - 1)
    rd.finish()
    assert enc_u16(0x0102) == b"\x01\x02"


def test_truncated_reads():
    for method, size in [("u8", 1), ("u16", 2), ("u32", 4), ("u64", 8), ("fr", 32), ("g1", 64)]:
        rd = Reader(bytes(size - 1))
        with pytest.raises(ProofFormatError) as exc_info:
            getattr(rd, method)()
        assert exc_info.value.check == "proof.truncated"


def test_fr_canonical():
    for v in [0, 1, R - 1]:
        assert Reader(enc_fr(v)).fr() == v
    for bad in [R, R + 1, 2**256 - 1]:
        with pytest.raises(ProofFormatError) as exc_info:
            Reader(bad.to_bytes(32, "big")).fr()
        assert exc_info.value.check == "encoding.field-element"


def test_g1_valid_and_infinity():
    assert Reader(enc_g1(G0)).g1() == G0
    assert Reader(bytes(64)).g1() is None
    neg = (G0[0], P - G0[1])
    assert Reader(enc_g1(neg)).g1() == neg


def test_g1_invalid():
    x, y = G0
    bad = [
        (x.to_bytes(32, "big") + ((y + 1) % P).to_bytes(32, "big"), "not on the curve"),
        ((x + P).to_bytes(32, "big") + y.to_bytes(32, "big"), ">= p"),
        (x.to_bytes(32, "big") + (y + P).to_bytes(32, "big"), ">= p"),
        (bytes(32) + (1).to_bytes(32, "big"), "not on the curve"),
        ((1).to_bytes(32, "big") + bytes(32), "not on the curve"),
        (b"\xff" * 64, ">= p"),
    ]
    for raw, _why in bad:  # each is refused by the one point check
        with pytest.raises(ProofFormatError) as exc_info:
            Reader(raw).g1()
        assert exc_info.value.check == "encoding.point"
    assert not is_on_curve(0, 0)


def test_vectors_and_counts():
    pts = [G0, None]
    rd = Reader(enc_g1s(pts) + enc_frs([1, 2, 3]))
    assert rd.g1_vec("c", expected=2) == pts
    assert rd.fr_vec("v") == [1, 2, 3]
    rd.finish()
    with pytest.raises(ProofFormatError) as exc_info:
        Reader(enc_frs([1, 2, 3])).fr_vec("v", expected=4)
    assert exc_info.value.check == "proof.shape"


def test_huge_count_rejected_before_allocating():
    # a count of 2^32 - 1 with no elements must fail on the count, not in an allocation
    rd = Reader(enc_u32(2**32 - 1) + bytes(64))
    with pytest.raises(ProofFormatError) as exc_info:
        rd.fr_vec("v")
    assert exc_info.value.check == "proof.truncated"
    rd = Reader(enc_u32(2**31) + bytes(10))
    with pytest.raises(ProofFormatError) as exc_info:
        rd.g1_vec("c")
    assert exc_info.value.check == "proof.truncated"


def test_count_bounds():
    rd = Reader(enc_u32(5) + bytes(100))
    with pytest.raises(ProofFormatError) as exc_info:
        rd.count(1, "k", minimum=1, maximum=4)
    assert exc_info.value.check == "proof.limits"


def test_finish_rejects_trailing():
    rd = Reader(enc_u32(1) + b"\x00")
    rd.u32()
    with pytest.raises(ProofFormatError) as exc_info:
        rd.finish()
    assert exc_info.value.check == "proof.trailing-bytes"
    assert rd.remaining == 1 and rd.position == 4


def test_raw_bounds():
    rd = Reader(b"abc")
    with pytest.raises(ProofFormatError):
        rd.raw(-1)
    assert rd.raw(3) == b"abc"
