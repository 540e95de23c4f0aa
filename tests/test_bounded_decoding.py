"""Bounded decoding (circuits/encoding.md "Limits on files", circuits/soundness.md rule on
bounded decoding): every reader refuses an oversized, forged or bomb file from its size
or first bytes, with its documented error type, without reading or inflating it whole.

Memory is measured with tracemalloc (numpy and zlib report their buffers to it): a
refused 2 GB file or 200 MB zip bomb must cost a few MB at most. No wall-clock checks.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import tracemalloc
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

import zkml
from zkml import limits
from zkml.arrayio import load_json, load_npy, load_npz
from zkml.artifacts import read_compiled_vk
from zkml.cli.main import main
from zkml.errors import InputError, InvalidKeyError, ModelError, ProofFormatError, ZkmlError
from zkml.fileio import read_proof, read_verifying_key
from zkml.inputs import load_input_file
from zkml.quant.calibrate import load_samples
from zkml.quant.container import CompiledModelError
from zkml.verifier import VerifyingKey

ART = Path(__file__).resolve().parents[1] / "artifacts"
VK, PROOF = ART / "digits_mlp.vk", ART / "digits_mlp.proof"
MiB = 1 << 20
#: What a refusal may cost; every file refused here is 200 MB or more.
PEAK = 8 * MiB
BOMB_MIB = 200


@contextmanager
def peak_below(limit: int = PEAK) -> Iterator[None]:
    """Fail unless the traced memory allocated inside the block stays below `limit`."""
    tracemalloc.start()
    try:
        yield
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < limit, f"peak {peak} bytes"


def sparse(path: Path, size: int = 1 << 31) -> Path:
    """A file of `size` zero bytes that costs no disk (a hole)."""
    with open(path, "wb") as f:
        f.truncate(size)
    return path


# -- zip files written byte by byte, so sizes can lie ---------------------------------

def zeros_deflated(mib: int, prefix: bytes = b"") -> tuple[bytes, int, int]:
    """Raw deflate of `prefix` then `mib` MiB of zeros, its CRC-32 and true size, without
    compressing 200 MB: a full flush makes each compressed MiB independent, so one
    compressed MiB is repeated."""
    head = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = head.compress(prefix) + head.flush(zlib.Z_FULL_FLUSH)
    body = zlib.compressobj(9, zlib.DEFLATED, -15)
    one = body.compress(bytes(MiB)) + body.flush(zlib.Z_FULL_FLUSH)
    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    crc, block = zlib.crc32(prefix), bytes(MiB)
    for _ in range(mib):
        crc = zlib.crc32(block, crc)
    return first + one * mib + final, crc, len(prefix) + mib * MiB


def deflated(data: bytes) -> tuple[bytes, int, int]:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(), zlib.crc32(data), len(data)


def write_zip(path: Path, entries: list[tuple[str, tuple[bytes, int, int], int | None]],
              method: int = zipfile.ZIP_DEFLATED) -> Path:
    """A zip of (name, (compressed, crc, size), declared size or None for the true one)."""
    out, central = io.BytesIO(), []
    for name, (data, crc, size), declared in entries:
        n, offset, usize = name.encode(), out.tell(), size if declared is None else declared
        out.write(struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc,
                              len(data), usize, len(n), 0) + n + data)
        central.append(struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21,
                                   crc, len(data), usize, len(n), 0, 0, 0, 0, 0, offset) + n)
    start = out.tell()
    out.write(b"".join(central))
    out.write(struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(entries), len(entries),
                          out.tell() - start, start, 0))
    path.write_bytes(out.getvalue())
    return path


def model_header(files: list[str]) -> tuple[bytes, int, int]:
    doc = {"format": "zkml-compiled-model", "format_version": 1, "created_by": "test",
           "sections": {"model": {"version": 1, "required": True,
                                  "files": {f: "0" * 64 for f in files}}}}
    return deflated(json.dumps(doc).encode())


def npy_header(shape: tuple[int, ...], dtype: str = "<i8") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buf.getvalue()


# -- fixtures --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """The bundled digits model compiled here (its key and model file)."""
    tmp = tmp_path_factory.mktemp("honest")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = zkml.compile(ART / "digits_mlp.onnx",
                             calibration=str(ART / "digits_calibration.npy"),
                             output_path=tmp / "digits.zkmlc", vk_path=tmp / "digits.vk",
                             hiding=False)
    return model, tmp / "digits.zkmlc", tmp / "digits.vk"


def cli(args: list[str], capsys) -> tuple[int, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(args)
    return code, capsys.readouterr().err


def one_line(code: int, err: str, *needles: str, exit_code: int = 2) -> None:
    assert code == exit_code, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for needle in needles:
        assert needle in err, err


# -- the limits ------------------------------------------------------------------------

def test_limits_default_and_environment(monkeypatch):
    assert limits.PROOF.value() == limits.PROOF.default
    monkeypatch.setenv("ZKML_MAX_PROOF_BYTES", "1234")
    assert limits.PROOF.value() == 1234
    assert "ZKML_MAX_PROOF_BYTES" in limits.PROOF.refuse(2000, "p")
    for bad in ("12kb", "-1", "0"):
        monkeypatch.setenv("ZKML_MAX_PROOF_BYTES", bad)
        with pytest.raises(ZkmlError, match="ZKML_MAX_PROOF_BYTES"):
            limits.PROOF.value()
    assert len({lim.env for lim in limits.ALL}) == len(limits.ALL)
    # every default lets the largest real files through and refuses a 2 GB one
    assert all(lim.default < 1 << 31 for lim in limits.ALL if lim.unit == "bytes"
               and lim is not limits.MODEL_INFLATED)
    assert limits.MODEL_FILE.default >= 100 * MiB and limits.PROOF.default >= 64 * MiB


# -- a 2 GB sparse file of zeros, as every kind of file --------------------------------

def _garbage_cases():
    vk = VK.read_bytes()
    return {
        "proof": (".proof", lambda p: zkml.verify(p, vk), ProofFormatError, "ZKML_MAX_PROOF"),
        "proof bytes": (".proof", read_proof, ProofFormatError, "ZKML_MAX_PROOF"),
        "key": (".vk", zkml.Verifier, InvalidKeyError, "ZKML_MAX_KEY"),
        "model": (".zkmlc", zkml.load, CompiledModelError, "ZKML_MAX_MODEL_BYTES"),
        "model key": (".zkmlc", read_compiled_vk, ModelError, "ZKML_MAX_MODEL_BYTES"),
        "input json": (".json", load_input_file, InputError, "ZKML_MAX_JSON"),
        "input npy": (".npy", load_input_file, InputError, "ZKML_MAX_ARRAY"),
        "input npz": (".npz", load_input_file, InputError, "ZKML_MAX_ARRAY"),
        "calibration npy": (".npy", lambda p: load_samples(p, ["x"]), InputError,
                            "ZKML_MAX_ARRAY"),
        "calibration npz": (".npz", lambda p: load_samples(p, ["x"]), InputError,
                            "ZKML_MAX_ARRAY"),
        "calibration json": (".json", lambda p: load_samples(p, ["x"]), InputError,
                             "ZKML_MAX_JSON"),
    }


@pytest.mark.parametrize("case", sorted(_garbage_cases()))
def test_two_gigabytes_of_garbage_refused_from_its_size(tmp_path, case):
    suffix, read, error, variable = _garbage_cases()[case]
    path = sparse(tmp_path / f"garbage{suffix}")
    with peak_below(), pytest.raises(error, match=variable):
        read(path)


@pytest.mark.parametrize("suffix, read, error, needle", [
    (".proof", read_proof, ProofFormatError, "bad magic"),
    (".vk", read_verifying_key, InvalidKeyError, "bad magic"),
    (".npy", load_input_file, InputError, "bad magic"),
    (".npz", load_input_file, InputError, "not a readable zip"),
    (".zkmlc", zkml.load, CompiledModelError, "not a readable zip"),
    (".zkmlc", read_compiled_vk, ModelError, "not a readable zip"),
])
def test_garbage_under_a_raised_limit_refused_from_its_first_bytes(tmp_path, monkeypatch,
                                                                   suffix, read, error, needle):
    for lim in (limits.PROOF, limits.VERIFYING_KEY, limits.ARRAY_FILE, limits.MODEL_FILE):
        monkeypatch.setenv(lim.env, str(1 << 32))
    path = sparse(tmp_path / f"garbage{suffix}")
    with peak_below(), pytest.raises(error, match=needle):
        read(path)


def test_a_device_is_read_only_up_to_the_limit(monkeypatch):
    zero = Path("/dev/zero")
    if not zero.exists():
        pytest.skip("no /dev/zero")
    monkeypatch.setenv("ZKML_MAX_JSON_BYTES", str(4 * MiB))
    with peak_below(), pytest.raises(InputError, match="more than"):
        load_json(zero, "input file")


# -- zip bombs -------------------------------------------------------------------------

@pytest.mark.parametrize("read, error", [(zkml.load, CompiledModelError),
                                         (read_compiled_vk, ModelError)])
def test_header_bomb_refused_from_its_declared_size(tmp_path, read, error):
    bomb = write_zip(tmp_path / "bomb.zkmlc",
                     [("header.json", zeros_deflated(BOMB_MIB), None)])
    assert bomb.stat().st_size < MiB
    with peak_below(), pytest.raises(error, match="ZKML_MAX_MODEL_HEADER_BYTES"):
        read(bomb)


@pytest.mark.parametrize("read, error", [(zkml.load, CompiledModelError),
                                         (read_compiled_vk, ModelError)])
def test_header_bomb_that_lies_about_its_size_is_not_inflated(tmp_path, read, error):
    bomb = write_zip(tmp_path / "liar.zkmlc",
                     [("header.json", zeros_deflated(BOMB_MIB), 1000)])
    with peak_below(), pytest.raises(error):
        read(bomb)


def test_verifying_key_bomb_in_a_compiled_model(tmp_path):
    header = deflated(json.dumps({"format": "zkml-compiled-model", "sections": {
        "circuit": {"files": {"circuit/vk.bin": "0" * 64}}}}).encode())
    key_head = b"ZKML\x00\x01\x04"  # a key's first bytes, then 200 MB of zeros

    def model(name: str, data: tuple[bytes, int, int], declared: int | None) -> Path:
        return write_zip(tmp_path / name, [("header.json", header, None),
                                           ("circuit/vk.bin", data, declared)])

    honest = model("a.zkmlc", zeros_deflated(BOMB_MIB, key_head), None)
    with peak_below(), pytest.raises(ModelError, match="ZKML_MAX_KEY_BYTES"):
        read_compiled_vk(honest)
    liar = model("b.zkmlc", zeros_deflated(BOMB_MIB, key_head), MiB)
    with peak_below(2 * MiB + PEAK), pytest.raises(ModelError, match="damaged"):
        read_compiled_vk(liar)  # inflation stops at the declared MiB
    zeros = model("c.zkmlc", zeros_deflated(BOMB_MIB), None)
    with peak_below(), pytest.raises(ModelError, match="corrupt"):
        read_compiled_vk(zeros)  # its first bytes are not a key: never inflated further


def test_array_bomb_refused_before_it_is_inflated(tmp_path, monkeypatch):
    name = "model/constants/0.npy"
    # zeros are no .npy: refused from the entry's first bytes
    bomb = write_zip(tmp_path / "a.zkmlc", [("header.json", model_header([name]), None),
                                            (name, zeros_deflated(BOMB_MIB), None)])
    with peak_below(), pytest.raises(CompiledModelError, match="bad magic"):
        zkml.load(bomb)
    # a well-formed array of 200 MB of zeros, declared honestly: over a lowered entry limit
    hdr = npy_header((BOMB_MIB * MiB // 8,))
    arr = write_zip(tmp_path / "b.zkmlc", [("header.json", model_header([name]), None),
                                           (name, zeros_deflated(BOMB_MIB, hdr), None)])
    monkeypatch.setenv("ZKML_MAX_MODEL_ENTRY_BYTES", str(64 * MiB))
    with peak_below(), pytest.raises(CompiledModelError, match="ZKML_MAX_MODEL_ENTRY_BYTES"):
        zkml.load(arr)
    # the same bytes under a header that declares a small array: inflation stops there
    small = npy_header((100,))
    liar = write_zip(tmp_path / "c.zkmlc", [("header.json", model_header([name]), None),
                                            (name, zeros_deflated(BOMB_MIB, small),
                                             len(small) + 800)])
    with peak_below(), pytest.raises(CompiledModelError, match="damaged"):
        zkml.load(liar)


def test_zip_structure_limits(tmp_path, monkeypatch):
    small = deflated(b"{}")
    many = write_zip(tmp_path / "many.zkmlc", [(f"f{i}", small, None) for i in range(5)])
    monkeypatch.setenv("ZKML_MAX_MODEL_ENTRIES", "4")
    with pytest.raises(CompiledModelError, match="entries exceeds the limit of 4 entries"):
        zkml.load(many)
    bz = tmp_path / "bz.zkmlc"
    with zipfile.ZipFile(bz, "w", compression=zipfile.ZIP_BZIP2) as zf:
        zf.writestr("header.json", b"{}")
    with pytest.raises(CompiledModelError, match="compression other than deflate"):
        zkml.load(bz)
    with pytest.raises(ModelError, match="compression other than deflate"):
        read_compiled_vk(bz)


def test_a_central_directory_over_its_limit_is_not_read(tmp_path):
    # an end record declaring a 150 MB directory at the start of a 200 MB sparse file
    path = sparse(tmp_path / "dir.zkmlc", BOMB_MIB * MiB)
    with open(path, "r+b") as f:
        f.seek(BOMB_MIB * MiB - 22)
        f.write(struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, 1, 1, 150 * MiB, 0, 0))
    with peak_below(), pytest.raises(CompiledModelError, match="ZKML_MAX_ZIP_DIRECTORY"):
        zkml.load(path)


def test_too_many_entries_refused_before_zipfile_builds_them(tmp_path):
    # 100,000 minimal directory records (4.6 MB): zipfile would build 100,000 objects
    n = 100_000
    record = struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 0, 0, 0x21, 0, 0, 0, 1,
                         0, 0, 0, 0, 0, 0) + b"x"
    directory = record * n
    path = tmp_path / "many.zkmlc"
    path.write_bytes(directory + struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, 1, 1,
                                             len(directory), 0, 0))
    assert n > limits.MODEL_ENTRIES.value()
    del directory, record
    with peak_below(path.stat().st_size + 2 * MiB), \
            pytest.raises(CompiledModelError, match="more than 65536 entries"):
        zkml.load(path)


def test_total_inflated_size_is_capped(compiled, monkeypatch):
    _, zkmlc, _ = compiled
    monkeypatch.setenv("ZKML_MAX_MODEL_INFLATED_BYTES", str(64 << 10))
    with pytest.raises(CompiledModelError, match="ZKML_MAX_MODEL_INFLATED_BYTES"):
        zkml.load(zkmlc)


# -- .npy, .npz and JSON inputs ----------------------------------------------------------

def test_npy_declaring_a_huge_shape_refused_before_allocation(tmp_path):
    path = tmp_path / "huge.npy"
    path.write_bytes(npy_header((10**12,)) + bytes(16))
    with peak_below(), pytest.raises(InputError, match=r"declares shape \(1000000000000,\)"):
        load_input_file(path)
    with peak_below(), pytest.raises(InputError, match="declares shape"):
        load_samples(path, ["x"])
    npz = tmp_path / "huge.npz"
    with zipfile.ZipFile(npz, "w") as zf:
        zf.writestr("x.npy", npy_header((1 << 40, 4), "<f4") + bytes(64))
    with peak_below(), pytest.raises(InputError, match="declares shape"):
        load_input_file(npz)


def test_npy_header_over_its_limit_refused_before_it_is_read(tmp_path):
    path = tmp_path / "long.npy"
    # a version-2 header claiming 4 GB: numpy would read it all before checking
    path.write_bytes(b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xFFFFFFF0) + b"{" * 100)
    with peak_below(), pytest.raises(InputError, match="ZKML_MAX_NPY_HEADER_BYTES"):
        load_npy(path, "input file")


def test_npy_must_be_plain_numbers(tmp_path):
    obj = tmp_path / "obj.npy"
    np.save(obj, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(InputError, match="dtype object"):
        load_input_file(obj)
    rec = tmp_path / "rec.npy"
    np.save(rec, np.zeros(3, dtype=[("a", "<i4"), ("b", "<f8")]))
    with pytest.raises(InputError, match="not accepted"):
        load_input_file(rec)
    short = tmp_path / "short.npy"
    short.write_bytes(npy_header((4,), "<f8") + bytes(31))
    with pytest.raises(InputError, match="declares shape"):
        load_input_file(short)
    npz = tmp_path / "extra.npz"
    with zipfile.ZipFile(npz, "w") as zf:
        zf.writestr("notes.txt", b"hello")
    with pytest.raises(InputError, match="not a .npy array"):
        load_npz(npz, "input file")


def test_arrays_round_trip(tmp_path):
    arrays = {"c": np.arange(12.0).reshape(3, 4), "f": np.asfortranarray(
        np.arange(6, dtype=np.int32).reshape(2, 3)), "b": np.array([True, False]),
        "big": np.arange(3 * MiB // 8 + 5, dtype=">i8")}
    for name, arr in arrays.items():
        np.save(tmp_path / f"{name}.npy", arr)
        np.testing.assert_array_equal(load_input_file(tmp_path / f"{name}.npy"), arr)
    np.savez_compressed(tmp_path / "all.npz", **arrays)
    got = load_input_file(tmp_path / "all.npz")
    assert sorted(got) == sorted(arrays)
    for name, arr in arrays.items():
        np.testing.assert_array_equal(got[name], arr)
        assert got[name].dtype == arr.dtype


def test_json_input_too_large_or_too_deep(tmp_path, monkeypatch):
    path = tmp_path / "in.json"
    path.write_text(json.dumps({"input_data": [[0.5] * 500]}))
    assert len(load_input_file(path)[0]) == 500
    monkeypatch.setenv("ZKML_MAX_JSON_BYTES", "1000")
    with pytest.raises(InputError, match="JSON file of 2.* exceeds the limit of 1000"):
        load_input_file(path)
    monkeypatch.delenv("ZKML_MAX_JSON_BYTES")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError, match="nested deeper than 64"):
        load_input_file(deep)
    with pytest.raises(InputError, match="nested deeper than 64"):
        load_samples(deep, ["x"])


# -- the verifier's own bounds -------------------------------------------------------------

def test_verifier_refuses_a_huge_circuit_json_before_decoding_it():
    from zkml.verifier.encoding import MAX_CIRCUIT_JSON_BYTES

    n = MAX_CIRCUIT_JSON_BYTES + 1
    key = b"ZKML\x00\x01\x04" + struct.pack(">I", n) + b" " * n
    with peak_below(4 * n), pytest.raises(InvalidKeyError) as exc_info:
        VerifyingKey.from_bytes(key)
    assert exc_info.value.check == "proof.limits"
    from zkml.verifier.circuit import parse_circuit

    with pytest.raises(ProofFormatError, match="exceeds"):
        parse_circuit(b" " * n)


def test_key_parser_of_the_prover_side_refuses_deep_or_huge_json(tmp_path, capsys):
    from zkml.artifacts import parse_verifying_key
    from zkml.verifier.encoding import MAX_CIRCUIT_JSON_BYTES

    deep = b"[" * 100_000 + b"]" * 100_000
    key = b"ZKML\x00\x01\x04" + struct.pack(">I", len(deep)) + deep
    with pytest.raises(InvalidKeyError, match="nested deeper than 16"):
        parse_verifying_key(key)
    one_line(*cli(["inspect", str(write(tmp_path / "deep.vk", key))], capsys),
             "nested deeper than 16")
    huge = b"ZKML\x00\x01\x04" + struct.pack(">I", MAX_CIRCUIT_JSON_BYTES + 1)
    with pytest.raises(InvalidKeyError, match="at most"):
        parse_verifying_key(huge + bytes(MAX_CIRCUIT_JSON_BYTES + 1))


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# -- the honest files still load -----------------------------------------------------------

def test_bundled_key_and_proof_load_and_verify():
    assert read_verifying_key(VK) == VK.read_bytes()
    assert read_proof(PROOF) == PROOF.read_bytes()
    result = zkml.verify(PROOF, VK)
    assert result.batch >= 1 and result.vk_digest == hashlib.sha256(VK.read_bytes()).digest()


def test_compiled_model_loads_and_its_key_verifies(compiled):
    model, zkmlc, vk = compiled
    loaded = zkml.load(zkmlc)
    assert loaded.verifying_key == model.verifying_key == vk.read_bytes()
    assert read_compiled_vk(zkmlc) == model.verifying_key
    assert zkml.Verifier(zkmlc).vk_digest == zkml.Verifier(vk).vk_digest
    cal = load_samples(ART / "digits_calibration.npy", ["x"])["x"]
    np.testing.assert_array_equal(cal, np.load(ART / "digits_calibration.npy"))
    assert isinstance(load_input_file(ART / "digits_input.json"), list)


# -- the CLI: one line on stderr, exit code 1 for a proof, 2 for the other files -----------

def test_cli_refuses_oversized_and_bomb_files(tmp_path, capsys, compiled):
    _, zkmlc, vk = compiled
    garbage = sparse(tmp_path / "garbage.proof")
    one_line(*cli(["verify", str(garbage), "--vk", str(vk)], capsys), "ZKML_MAX_PROOF_BYTES",
             exit_code=1)
    one_line(*cli(["verify", str(PROOF), "--vk", str(sparse(tmp_path / "g.vk"))], capsys),
             "ZKML_MAX_KEY_BYTES")
    bomb = write_zip(tmp_path / "bomb.zkmlc",
                     [("header.json", zeros_deflated(BOMB_MIB), None)])
    one_line(*cli(["verify", str(PROOF), "--model", str(bomb)], capsys),
             "ZKML_MAX_MODEL_HEADER_BYTES")
    one_line(*cli(["inspect", str(garbage)], capsys), "is not a zkml")
    big = sparse(tmp_path / "in.json")
    one_line(*cli(["prove", str(zkmlc), "--input", str(big), "-o", str(tmp_path / "p")],
                  capsys), "ZKML_MAX_JSON_BYTES")
    assert not (tmp_path / "p").exists()
    cal = sparse(tmp_path / "cal.npy")
    one_line(*cli(["compile", str(ART / "digits_mlp.onnx"), "--calibration", str(cal),
                   "-o", str(tmp_path / "m.zkmlc"), "--vk", str(tmp_path / "m.vk"), "--quiet"],
                  capsys), "ZKML_MAX_ARRAY_BYTES")
    assert not (tmp_path / "m.zkmlc").exists()



def test_deep_json_is_refused_without_recursing(tmp_path):
    """py_ecc raises the recursion limit to 100000 at import, so `json.loads` of deeply
    nested text overflows the C stack (a segfault, in a thread with a small stack at
    once). Every JSON reader counts the nesting first: a clean error, in a child process
    so that a crash shows as a failed test, not a dead test run."""
    import subprocess
    import sys

    deep = tmp_path / "deep.json"
    deep.write_text("[" * 90_000 + "]" * 90_000)
    code = f"""
import sys, threading
import py_ecc  # noqa: F401 (raises the recursion limit)
assert sys.getrecursionlimit() >= 100000
from zkml.errors import ZkmlError
from zkml.inputs import load_input_file
from zkml.compiler.circuit_load import circuit_from_bytes
threading.stack_size(1 << 20)
out = []
def run():
    for call in (lambda: load_input_file({str(deep)!r}),
                 lambda: circuit_from_bytes(open({str(deep)!r}, "rb").read())):
        try:
            call()
        except ZkmlError as exc:
            out.append(str(exc))
t = threading.Thread(target=run)
t.start()
t.join()
print(out)
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.count("nested deeper than 64") == 2, res.stdout
