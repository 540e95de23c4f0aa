"""Artifacts: verifying key (kind 4), proof statement prefix, compiled file with circuit."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zipfile

import numpy as np
import pytest
from inference_models import compile_mlp

import zkml
from zkml.artifacts import (
    encode_verifying_key,
    parse_proof_statement,
    parse_verifying_key,
    proof_vk_digest,
    read_compiled_vk,
    statement_widths,
    vk_digest,
)
from zkml.compiled_model import CompiledModel
from zkml.errors import (
    FileError,
    InvalidKeyError,
    ModelError,
    ProofFormatError,
    ProverError,
)
from zkml.fileio import OutputExistsError
from zkml.prover import commit, has_build_verifying_key
from zkml.quant.compiled import CompiledModel as QuantCompiledModel
from zkml.quant.container import CompiledModelError
from zkml.verifier import VerifyingKey
from zkml.verifier.encoding import enc_g1s

# Every test here builds a verifying key with the native module.


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    cm, _ = compile_mlp(tmp_path_factory.mktemp("m"), [12, 8, 8, 5], residual=True)
    return cm


def test_verifying_key_layout(compiled):
    vk = compiled.verifying_key
    cj = compiled.circuit.to_bytes()
    ms = compiled.circuit.model_stack
    assert vk[:7] == b"ZKML\x00\x01\x04"
    assert vk[7:11] == struct.pack(">I", len(cj)) and vk[11 : 11 + len(cj)] == cj
    assert vk[11 + len(cj) : 19 + len(cj)] == struct.pack(">II", ms.num_vars, ms.log_cols)
    com = compiled.commitment
    assert vk[19 + len(cj) : 19 + len(cj) + len(com)] == com
    assert com == commit(compiled.compiled_circuit.model_stack, ms.log_cols)
    assert compiled.vk_digest == hashlib.sha256(vk).digest()
    info = parse_verifying_key(vk)
    assert info.circuit == compiled.circuit and info.digest == compiled.vk_digest
    assert (info.num_vars, info.log_cols) == (ms.num_vars, ms.log_cols)
    if not has_build_verifying_key():
        pytest.skip("the native module does not build the well-formedness proof yet")
    assert info.has_wellformedness_proof
    assert 1 <= ms.range_bits <= 16
    # the independent verifier reads the same key (and checks its well-formedness proof)
    other = VerifyingKey.from_bytes(vk)
    assert other.digest == compiled.vk_digest and other.num_vars == ms.num_vars


def test_verifying_key_is_strict(compiled):
    vk = compiled.verifying_key
    cut = 11 + len(compiled.circuit.to_bytes()) + 8 + 10  # inside the model commitment
    for bad in (vk[:cut], b"ZKML\x00\x02" + vk[6:], vk[:6] + b"\x03" + vk[7:],
                b"XKML" + vk[4:], b""):
        with pytest.raises(InvalidKeyError):
            parse_verifying_key(bad)
    cj = compiled.circuit.to_bytes()
    ms = compiled.circuit.model_stack
    wrong_shape = encode_verifying_key(cj, ms.num_vars, ms.log_cols + 1, compiled.commitment)
    with pytest.raises(InvalidKeyError, match="shape"):
        parse_verifying_key(wrong_shape)
    off_curve = bytearray(vk)
    off_curve[cut] ^= 1
    with pytest.raises(InvalidKeyError):
        parse_verifying_key(bytes(off_curve))
    if has_build_verifying_key():
        # the well-formedness proof itself is the verifier's to check
        for bad in (vk + b"\x00", vk[:-1], vk[:-1] + bytes([vk[-1] ^ 1])):
            with pytest.raises(InvalidKeyError):
                VerifyingKey.from_bytes(bad)


def _ints(values, width):
    return struct.pack(">I", len(values)) + b"".join(
        v.to_bytes(width, "big", signed=True) for v in values)


def test_proof_statement_prefix(compiled):
    digest = bytes(range(32))
    xs, ys = [1, -2, 3, 0], [-5, 7]
    body = (digest + struct.pack(">I", 2) + _ints(xs, 2) + _ints(ys, 1)
            + enc_g1s([None, None]) + b"rest")
    st = parse_proof_statement(b"ZKML\x00\x02\x03" + body)
    assert st.vk_digest == digest and st.batch == 2
    assert st.inputs == tuple(xs) and st.outputs == tuple(ys) and st.witness_rows == 2
    assert proof_vk_digest(b"ZKML\x00\x02\x03" + body) == digest
    # with the circuit, the widths and counts are exact
    c = compiled.circuit
    w_in, w_out = statement_widths(c)
    assert (w_in, w_out) == (2, 2)  # 16-bit input and output ranges
    x = list(range(-6, 6))
    body = (digest + struct.pack(">I", 1) + _ints(x, w_in) + _ints([3, -4, 5, 6, 7], w_out)
            + enc_g1s([None]))
    st = parse_proof_statement(b"ZKML\x00\x02\x03" + body, c)
    assert st.inputs == tuple(x) and st.outputs == (3, -4, 5, 6, 7)
    with pytest.raises(ProofFormatError):
        parse_proof_statement(b"ZKML\x00\x02\x03" + body[:-70] + _ints([1], 2), c)
    with pytest.raises(ProofFormatError):
        parse_proof_statement(b"ZKML\x00\x01\x04" + body)
    with pytest.raises(ProofFormatError):
        parse_proof_statement(b"ZKML\x00\x02\x03" + body[:40])


def test_compiled_file_round_trip(tmp_path, compiled):
    path = compiled.save(tmp_path / "m.zkmlc")
    loaded = zkml.load(path)
    assert isinstance(loaded, CompiledModel)
    assert loaded.circuit == compiled.circuit
    assert np.array_equal(loaded.compiled_circuit.model_stack,
                          compiled.compiled_circuit.model_stack)
    assert loaded.compiled_circuit.meta_json() == compiled.compiled_circuit.meta_json()
    assert loaded.verifying_key == compiled.verifying_key
    assert loaded.commitment == compiled.commitment
    assert read_compiled_vk(path) == compiled.verifying_key
    # saving again gives the same bytes; overwriting needs the flag
    with pytest.raises(OutputExistsError):
        loaded.save(path)
    loaded.save(tmp_path / "again.zkmlc")
    assert (tmp_path / "again.zkmlc").read_bytes() == path.read_bytes()
    # a P2 reader still runs the model (the circuit section is optional)
    p2 = QuantCompiledModel.load(path)
    assert "circuit" in p2.extra_sections


def _rewrite(src, dst, edit):
    """Copy a compiled file, editing one member and fixing the header hash."""
    with zipfile.ZipFile(src) as zin:
        files = {n: zin.read(n) for n in zin.namelist()}
    header = json.loads(files["header.json"])
    for name, data in edit(files).items():
        files[name] = data
        sec = name.split("/")[0]
        header["sections"][sec]["files"][name] = hashlib.sha256(data).hexdigest()
    files["header.json"] = json.dumps(header).encode()
    with zipfile.ZipFile(dst, "w") as zout:
        for n, d in files.items():
            zout.writestr(n, d)


def test_compiled_file_tampering_is_refused(tmp_path, compiled):
    path = compiled.save(tmp_path / "m.zkmlc")

    def stack_edit(files):
        arr = np.load(io.BytesIO(files["circuit/model_stack.npy"]))
        arr[0] += 1
        buf = io.BytesIO()
        np.save(buf, arr)
        return {"circuit/model_stack.npy": buf.getvalue()}

    _rewrite(path, tmp_path / "s.zkmlc", stack_edit)
    tampered = zkml.load(tmp_path / "s.zkmlc")
    with pytest.raises(CompiledModelError, match="does not match the model"):
        tampered.check_circuit()
    x = np.ones((1, *tampered.input_shape[1:]))
    with pytest.raises(ProverError, match="differs from the integer executor"):
        zkml.prove(tampered, x)

    other, _ = compile_mlp(tmp_path, [12, 8, 5], name="other")
    _rewrite(path, tmp_path / "v.zkmlc", lambda f: {"circuit/vk.bin": other.verifying_key})
    with pytest.raises(CompiledModelError, match="verifying key does not match"):
        zkml.load(tmp_path / "v.zkmlc")

    _rewrite(path, tmp_path / "b.zkmlc", lambda f: {"circuit/vk.bin": b"junk"})
    with pytest.raises(CompiledModelError, match="its verifying key is corrupt"):
        zkml.load(tmp_path / "b.zkmlc")

    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (tmp_path / "c.zkmlc").write_bytes(bytes(raw))
    with pytest.raises(CompiledModelError):
        zkml.load(tmp_path / "c.zkmlc")
    with pytest.raises(FileError, match="not found"):  # missing is not corrupt
        zkml.load(tmp_path / "missing.zkmlc")


def test_file_without_circuit_asks_for_recompile(tmp_path, compiled):
    QuantCompiledModel(compiled.model, compiled.fidelity, compiled.source).save(tmp_path / "p2")
    loaded = zkml.load(tmp_path / "p2")
    assert loaded.compiled_circuit is None
    with pytest.raises(ModelError, match="recompile"):
        zkml.prove(loaded, np.zeros((1, 12)))
    with pytest.raises(ModelError, match="no verifying key"):
        read_compiled_vk(tmp_path / "p2")


def test_vk_digest_is_sha256():
    assert vk_digest(b"abc") == hashlib.sha256(b"abc").digest()
