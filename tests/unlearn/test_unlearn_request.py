"""The request file: canonical bytes, strict parser, C_req; the provider's refusals."""

from __future__ import annotations

import struct
from fractions import Fraction

import numpy as np
import pytest

from zkml.errors import InputError, ModelError
from zkml.unlearn.data import load_dataset
from zkml.unlearn.request import Request, RequestFormatError, make_request


@pytest.fixture(scope="module")
def req(digits) -> Request:
    return make_request(digits.provider_onnx, load_dataset(digits.forget, "f"),
                        load_dataset(digits.retain, "r"))


def test_roundtrip_is_canonical_and_deterministic(req, digits):
    data = req.to_bytes()
    back = Request.from_bytes(data)
    assert back.to_bytes() == data and back.c_req == req.c_req
    assert np.array_equal(back.mask, req.mask) and np.array_equal(back.u, req.u)
    assert back.lam == Fraction(1, 8) and back.forget_class == 3 and back.rank == 4
    assert req.mask.sum() == round(0.1 * req.d_out * req.d_in)
    again = make_request(digits.provider_onnx, load_dataset(digits.forget, "f"),
                         load_dataset(digits.retain, "r"))
    assert again.to_bytes() == data
    assert req.request_id == req.c_req.hex()[:16]
    # U: orthonormal columns up to rounding, zero on masked coordinates
    for b, (o, j) in enumerate(req.affected()):
        u = req.u[b] / 2.0 ** req.f_u
        assert not u[req.block_mask(o, j)].any()
        gram = u.T @ u
        nz = np.diag(gram) > 0.5
        assert np.allclose(gram[np.ix_(nz, nz)], np.eye(nz.sum()), atol=1e-3)


def _header_len(req: Request) -> int:
    """Offset of the mask: everything before it."""
    return len(req.to_bytes()) - (-(-req.d_out * req.d_in // 8)) - 4 - req.u.size * 2


def _mutations(req: Request):
    data = bytearray(req.to_bytes())
    h = _header_len(req)
    yield "bad magic", b"X" + bytes(data[1:])
    yield "version", bytes(data[:8]) + struct.pack("<I", 2) + bytes(data[12:])
    yield "truncated", bytes(data[:-1])
    yield "trailing", bytes(data) + b"\0"
    m = data.copy()
    m[h] ^= 0xFF  # flips mask bits: the affected-block count or U's zeros no longer match
    yield "mask", bytes(m)
    m = data.copy()
    m[-2:] = struct.pack("<h", -(1 << 15))
    yield "i16 min", bytes(m)
    # an even lambda mantissa (not reduced): lambda = 2 * 2^-4
    lam_at = data.index(struct.pack("<Qi", 1, 3))
    m = data.copy()
    m[lam_at:lam_at + 12] = struct.pack("<Qi", 2, 4)
    yield "even mantissa", bytes(m)
    # U nonzero on a masked coordinate
    o, j = req.affected()[0]
    c = int(np.nonzero(req.block_mask(o, j))[0][0])
    m = data.copy()
    at = len(data) - req.u.size * 2 + (c * req.rank) * 2
    m[at:at + 2] = struct.pack("<h", 7)
    yield "U on mask", bytes(m)


def test_parser_refuses_every_malformed_request(req):
    names = []
    for name, data in _mutations(req):
        with pytest.raises(RequestFormatError):
            Request.from_bytes(data, name)
        names.append(name)
    assert len(names) == 8


def test_provider_refuses_unsupported_models_and_layers(tmp_path, digits):
    import onnx

    f, r = load_dataset(digits.forget, "f"), load_dataset(digits.retain, "r")
    with pytest.raises(ModelError, match="no dense layer named 'nope'"):
        make_request(digits.provider_onnx, f, r, layer="nope")
    model = onnx.load(str(digits.provider_onnx))
    model.graph.node[1].op_type = "Sigmoid"
    path = tmp_path / "sigmoid.onnx"
    onnx.save(model, str(path))
    with pytest.raises(ModelError, match="op Sigmoid .* is not supported"):
        make_request(path, f, r)
    with pytest.raises(InputError, match="fraction"):
        make_request(digits.provider_onnx, f, r, fraction=1.5)
