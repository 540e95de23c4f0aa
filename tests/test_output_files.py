"""Outputs are written as a unit, after a preflight, never over an input (P6 items 1, 2).

Each case runs through the CLI (in process, `harness.run_cli`) and the API. After every
refusal or failure the directory is compared byte for byte with its state before (so an
old file left as it was, and no temporary, backup or probe file left behind, are both
checked), and the error must name the user's path. Failures that need an unwritable
directory or a full disk are simulated by making the system call fail (tests run as
root here, and root ignores file modes); a mode-based test runs when not root.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "inference"))

from harness import run_cli  # noqa: E402
from inference_models import mlp, save  # noqa: E402

import zkml  # noqa: E402
from zkml.errors import EXIT_ERROR, EXIT_INTERRUPTED, FileError, OutputExistsError  # noqa: E402
from zkml.fileio import check_outputs, write_atomic, write_group  # noqa: E402

OLD_MODEL, OLD_KEY = b"the old compiled model", b"the old verifying key"


# -- helpers -------------------------------------------------------------------------

def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file (hidden ones too) under `root` with its bytes; directories as None."""
    out: dict[str, bytes | None] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = None
        for f in filenames:
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, root)] = Path(p).read_bytes()
    return out


def refused(code: int, err: str, *needles: object) -> None:
    """A one-line error, exit code 2, naming each of `needles` (the user's paths)."""
    assert code == EXIT_ERROR, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for needle in needles:
        assert str(needle) in err, err


def no_work(monkeypatch) -> None:
    """Make the expensive steps fail the test if they start: a refusal must come first."""
    def started(*args, **kwargs):
        raise AssertionError("the expensive work started before the outputs were checked")

    monkeypatch.setattr("zkml.compile_api.compile_model", started)
    monkeypatch.setattr("zkml.api.load", started)
    monkeypatch.setattr("zkml.api.prove", started)


def fail_rename_to(monkeypatch, target: Path, exc: BaseException) -> None:
    """Renaming a temporary file over `target` raises `exc` (as in a key directory made
    read-only after the preflight); other renames, and restoring backups, work."""
    real = os.replace

    def replace(src, dst, *args, **kwargs):
        if os.path.abspath(dst) == str(target) and str(src).endswith(".tmp"):
            raise exc
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


def unwritable_dir(monkeypatch, directory: Path) -> None:
    """No file can be created in `directory` (what a read-only directory does, for root
    too): creating a temporary file there raises PermissionError."""
    real = tempfile.mkstemp

    def mkstemp(*args, **kwargs):
        if os.path.abspath(kwargs.get("dir") or "") == str(directory):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


def compile_api(model: Path, cal: Path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return zkml.compile(model, calibration=str(cal), **kwargs)


@pytest.fixture
def files(tmp_path):
    """A small model and its calibration samples in a fresh directory."""
    tmp = tmp_path / "files"
    tmp.mkdir()
    model = save(mlp([12, 8, 5], seed=3), tmp, "m.onnx")
    cal = tmp / "cal.npy"
    np.save(cal, np.random.default_rng(0).normal(size=(16, 12)))
    return tmp, model, cal


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A compiled model, its key and an input file, made once for the prove tests."""
    tmp = tmp_path_factory.mktemp("built")
    model = save(mlp([12, 8, 5], seed=3), tmp, "m.onnx")
    cal = tmp / "cal.npy"
    np.save(cal, np.random.default_rng(0).normal(size=(16, 12)))
    compiled = compile_api(model, cal, output_path=tmp / "m.zkmlc", vk_path=tmp / "m.vk")
    return tmp, compiled


@pytest.fixture
def proving(tmp_path, built):
    """This test's copy of the compiled model, key and input file."""
    src, _ = built
    tmp = tmp_path / "proving"  # (apart from `files`, which a test may use too)
    tmp.mkdir()
    for name in ("m.zkmlc", "m.vk"):
        shutil.copy(src / name, tmp / name)
    (tmp / "in.json").write_text(json.dumps({"input_data": [[0.25] * 12]}))
    return tmp, tmp / "m.zkmlc", tmp / "in.json"


def old_pair(tmp: Path) -> tuple[Path, Path]:
    """An existing compiled model and key (placeholders: only their bytes matter)."""
    zc, vk = tmp / "m.zkmlc", tmp / "m.vk"
    zc.write_bytes(OLD_MODEL)
    vk.write_bytes(OLD_KEY)
    return zc, vk


# -- item 1: the compiled model and its key are written as a unit -------------------

@pytest.mark.parametrize("existing", [True, False], ids=["over-an-old-pair", "new-pair"])
def test_compile_key_rename_fails_leaves_both_as_they_were(files, monkeypatch, capsys,
                                                           existing):
    tmp, model, cal = files
    zc, vk = old_pair(tmp) if existing else (tmp / "m.zkmlc", tmp / "m.vk")
    before = snapshot(tmp)
    fail_rename_to(monkeypatch, vk, PermissionError(errno.EACCES, "Permission denied"))
    with pytest.raises(FileError, match=f"cannot write {vk}: Permission denied"):
        compile_api(model, cal, output_path=zc, vk_path=vk, overwrite=True)
    assert snapshot(tmp) == before
    code, _, err = run_cli(["compile", str(model), "--calibration", str(cal), "--force",
                            "--quiet"], capsys)
    refused(code, err, f"cannot write {vk}", "Permission denied")
    assert snapshot(tmp) == before


def test_compile_interrupted_between_the_renames_restores_the_pair(files, monkeypatch,
                                                                   capsys):
    tmp, model, cal = files
    zc, vk = old_pair(tmp)
    before = snapshot(tmp)
    fail_rename_to(monkeypatch, vk, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        compile_api(model, cal, output_path=zc, vk_path=vk, overwrite=True)
    assert snapshot(tmp) == before
    code, _, err = run_cli(["compile", str(model), "--calibration", str(cal), "--force",
                            "--quiet"], capsys)
    assert code == EXIT_INTERRUPTED and "Traceback" not in err, err
    assert snapshot(tmp) == before


def test_compile_disk_full_while_writing_the_key(files, monkeypatch, capsys):
    tmp, model, cal = files
    zc, vk = old_pair(tmp)
    before = snapshot(tmp)
    real, calls = os.fsync, []

    def fsync(fd):  # the second temporary file (the key's) does not fit
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(FileError, match=f"cannot write {vk}: No space left on device"):
        compile_api(model, cal, output_path=zc, vk_path=vk, overwrite=True)
    assert snapshot(tmp) == before
    calls.clear()
    code, _, err = run_cli(["compile", str(model), "--calibration", str(cal), "--force",
                            "--quiet"], capsys)
    refused(code, err, f"cannot write {vk}", "No space left on device")
    assert snapshot(tmp) == before


def test_compile_replaces_the_pair_and_leaves_nothing_else(files, capsys):
    tmp, model, cal = files
    zc, vk = old_pair(tmp)
    # non-hiding: its bytes are deterministic (a hiding key has fresh blinders each time)
    code, _, err = run_cli(["compile", str(model), "--calibration", str(cal), "--force",
                            "--quiet", "--non-hiding"], capsys)
    assert code == 0, err
    after = snapshot(tmp)
    assert set(after) == {"m.onnx", "cal.npy", "m.zkmlc", "m.vk"}
    assert zkml.load(zc).verifying_key == vk.read_bytes()
    zc.write_bytes(OLD_MODEL)
    vk.write_bytes(OLD_KEY)
    compiled = compile_api(model, cal, output_path=zc, vk_path=vk, overwrite=True,
                           hiding=False)
    assert snapshot(tmp) == after  # deterministic: the same bytes as the CLI wrote
    assert compiled.verifying_key == vk.read_bytes()


# -- item 1: the preflight, before any work -----------------------------------------

def test_compile_key_directory_under_a_regular_file(files, monkeypatch, capsys):
    tmp, model, cal = files
    zc, _ = old_pair(tmp)
    (tmp / "keys").write_bytes(b"a file, not a directory")
    vk = tmp / "keys" / "m.vk"
    before = snapshot(tmp)
    no_work(monkeypatch)
    with pytest.raises(FileError, match=f"cannot write {vk}: {tmp / 'keys'} is not a "):
        compile_api(model, cal, output_path=zc, vk_path=vk, overwrite=True)
    code, _, err = run_cli(["compile", str(model), "--calibration", str(cal), "--vk",
                            str(vk), "--force"], capsys)
    refused(code, err, f"cannot write {vk}", "is not a directory")
    assert snapshot(tmp) == before


def test_compile_unwritable_key_directory(files, monkeypatch, capsys):
    tmp, model, cal = files
    keys = tmp / "keys"
    keys.mkdir()
    zc, vk = tmp / "m.zkmlc", keys / "m.vk"
    zc.write_bytes(OLD_MODEL)
    vk.write_bytes(OLD_KEY)
    before = snapshot(tmp)
    no_work(monkeypatch)
    unwritable_dir(monkeypatch, keys)
    with pytest.raises(FileError, match=f"cannot write {vk}: cannot create files in {keys} "
                                        r"\(Permission denied\)"):
        compile_api(model, cal, output_path=zc, vk_path=vk, overwrite=True)
    code, _, err = run_cli(["compile", str(model), "--calibration", str(cal), "--vk",
                            str(vk), "--force"], capsys)
    refused(code, err, f"cannot write {vk}", str(keys), "Permission denied")
    assert snapshot(tmp) == before


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root ignores file modes (the test above simulates them)")
def test_compile_read_only_key_directory_by_mode(files, capsys):
    tmp, model, cal = files
    keys = tmp / "keys"
    keys.mkdir()
    zc, vk = tmp / "m.zkmlc", keys / "m.vk"
    zc.write_bytes(OLD_MODEL)
    vk.write_bytes(OLD_KEY)
    keys.chmod(0o555)
    try:
        before = snapshot(tmp)
        with pytest.raises(FileError, match=f"cannot write {vk}"):
            compile_api(model, cal, output_path=zc, vk_path=vk, overwrite=True)
        code, _, err = run_cli(["compile", str(model), "--calibration", str(cal), "--vk",
                                str(vk), "--force"], capsys)
        refused(code, err, f"cannot write {vk}")
        assert snapshot(tmp) == before
    finally:
        keys.chmod(0o755)


def test_not_enough_space_is_found_first(files, proving, monkeypatch, capsys):
    tmp, model, cal = files
    ptmp, zc, inp = proving
    before, pbefore = snapshot(tmp), snapshot(ptmp)
    no_work(monkeypatch)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(
        10 << 30, 10 << 30, 1000))
    out, key = tmp / "m.zkmlc", tmp / "m.vk"
    with pytest.raises(FileError, match=f"not enough space for {out} and {key}: 1000 bytes "
                                        f"free in {tmp}"):
        compile_api(model, cal, output_path=out, vk_path=key)
    code, _, err = run_cli(["compile", str(model), "--calibration", str(cal)], capsys)
    refused(code, err, f"not enough space for {out} and {key}")
    proof = ptmp / "m.proof"
    code, _, err = run_cli(["prove", str(zc), "--input", str(inp)], capsys)
    refused(code, err, f"not enough space for {proof}")
    assert snapshot(tmp) == before and snapshot(ptmp) == pbefore


def test_prove_unwritable_or_impossible_output_directory(proving, monkeypatch, capsys):
    tmp, zc, inp = proving
    (tmp / "afile").write_bytes(b"x")
    locked = tmp / "locked"
    locked.mkdir()
    before = snapshot(tmp)
    unwritable_dir(monkeypatch, locked)
    result = zkml.prove(zc, [0.25] * 12)
    with pytest.raises(FileError, match=f"cannot write {locked / 'p.proof'}: Permission"):
        result.save(locked / "p.proof")
    with pytest.raises(FileError, match=f"{tmp / 'afile'} is not a directory"):
        result.save(tmp / "afile" / "p.proof")
    no_work(monkeypatch)
    for out in (locked / "p.proof", tmp / "afile" / "p.proof", locked / "new" / "p.proof"):
        code, _, err = run_cli(["prove", str(zc), "--input", str(inp), "-o", str(out)],
                               capsys)
        refused(code, err, f"cannot write {out}")
    assert snapshot(tmp) == before


# -- item 2: no command writes over its own inputs ----------------------------------

def test_prove_never_overwrites_its_inputs(proving, monkeypatch, capsys):
    tmp, zc, inp = proving
    os.link(zc, tmp / "hard.zkmlc")
    os.symlink(inp, tmp / "link.json")
    before = snapshot(tmp)
    no_work(monkeypatch)
    cases = [(zc, zc, "compiled model"), (inp, inp, "input file"),
             (tmp / "hard.zkmlc", zc, "compiled model"), (tmp / "link.json", inp, "input file")]
    for out, src, what in cases:
        code, _, err = run_cli(["prove", str(zc), "--input", str(inp), "-o", str(out),
                                "--force"], capsys)
        refused(code, err, f"refusing to overwrite the input file {src} ({what})")
    assert snapshot(tmp) == before


def test_force_replaces_only_a_file_of_its_own_kind(proving, files, monkeypatch, capsys):
    """`--force` replaces a proof with a proof, never the published verifying key or a
    compiled model with a proof, nor a proof with a key (overwrite=True alike)."""
    tmp, zc, inp = proving
    key = tmp / "m.vk"
    other = tmp / "other.zkmlc"
    shutil.copy(zc, other)
    before = snapshot(tmp)
    no_work(monkeypatch)
    for out, found in ((key, "verifying key"), (other, "compiled model")):
        code, _, err = run_cli(["prove", str(zc), "--input", str(inp), "-o", str(out),
                                "--force"], capsys)
        refused(code, err, f"refusing to replace {out} (a {found}) with the proof")
    assert snapshot(tmp) == before
    with pytest.raises(FileError, match="a verifying key"):
        check_outputs({key: "proof"}, overwrite=True)
    proof = tmp / "p.proof"
    proof.write_bytes(b"ZKML\x00\x02\x03" + bytes(40))
    check_outputs({proof: "proof"}, overwrite=True)  # a proof over a proof: allowed
    with pytest.raises(FileError, match=r"refusing to replace .*p.proof \(a proof\)"):
        check_outputs({proof: "verifying key"}, overwrite=True)


def test_proof_result_save_never_overwrites_what_it_was_made_from(proving, files):
    tmp, zc, _ = proving
    before = snapshot(tmp)
    result = zkml.prove(zc, [0.25] * 12)  # loaded from the path: the path is an input
    for target in (zc, tmp / "." / "m.zkmlc"):
        with pytest.raises(FileError, match=f"refusing to overwrite the input file {zc}"):
            result.save(target, overwrite=True)
    loaded = zkml.load(zc)
    with pytest.raises(FileError, match="refusing to overwrite the input file"):
        zkml.prove(loaded, [0.25] * 12).save(zc, overwrite=True)
    assert snapshot(tmp) == before
    ftmp, model, cal = files  # compiled in process: its ONNX, calibration and key
    compiled = compile_api(model, cal, output_path=ftmp / "m.zkmlc", vk_path=ftmp / "m.vk")
    fbefore = snapshot(ftmp)
    result = zkml.prove(compiled, [0.25] * 12)
    for target, what in ((model, "ONNX model"), (cal, "calibration file"),
                         (ftmp / "m.vk", "verifying key"), (ftmp / "m.zkmlc", "compiled model")):
        with pytest.raises(FileError, match=f"input file {target} \\({what}\\) with the proof"):
            result.save(target, overwrite=True)
    assert snapshot(ftmp) == fbefore
    assert result.save(ftmp / "p.proof") == ftmp / "p.proof"
    with pytest.raises(OutputExistsError, match=f"{ftmp / 'p.proof'} exists"):
        result.save(ftmp / "p.proof")


def test_compile_never_overwrites_its_inputs(files, monkeypatch, capsys):
    tmp, model, cal = files
    os.link(model, tmp / "hard.onnx")
    before = snapshot(tmp)
    no_work(monkeypatch)
    base = ["compile", str(model), "--calibration", str(cal), "--force"]
    cases = [(["-o", str(model)], f"the input file {model} (ONNX model) with the compiled"),
             (["--vk", str(cal)], f"the input file {cal} (calibration file) with the verifying"),
             (["-o", str(tmp / "hard.onnx")], f"{tmp / 'hard.onnx'} is the same file"),
             (["-o", str(tmp / "x"), "--vk", str(tmp / "x")], "would be written to the same "
                                                                f"file {tmp / 'x'}")]
    for extra, needle in cases:
        code, _, err = run_cli(base + extra, capsys)
        refused(code, err, needle)
    api_cases = [dict(output_path=model), dict(vk_path=cal),
                 dict(output_path=tmp / "hard.onnx"),
                 dict(output_path=tmp / "x", vk_path=tmp / "x")]
    for kwargs in api_cases:
        with pytest.raises(FileError, match="refusing to overwrite the input file|same file"):
            compile_api(model, cal, overwrite=True, **kwargs)
    assert snapshot(tmp) == before


def test_compiled_model_save_never_overwrites_its_sources(files):
    tmp, model, cal = files
    compiled = compile_api(model, cal, vk_path=tmp / "m.vk")
    before = snapshot(tmp)
    for target, what in ((model, "ONNX model"), (cal, "calibration file"),
                         (tmp / "m.vk", "verifying key")):
        with pytest.raises(FileError, match=f"input file {target} \\({what}\\)"):
            compiled.save(target, overwrite=True)
    assert snapshot(tmp) == before
    path = compiled.save(tmp / "m.zkmlc")
    compiled.save(path, overwrite=True)  # a compiled model over its own file: allowed
    assert zkml.load(path).save(path, overwrite=True) == path


def test_outputs_that_are_not_regular_files(proving, monkeypatch, capsys):
    tmp, zc, inp = proving
    (tmp / "adir").mkdir()
    no_work(monkeypatch)
    for out, needle in ((os.devnull, "is not a regular file"), (tmp / "adir", "is a directory")):
        code, _, err = run_cli(["prove", str(zc), "--input", str(inp), "-o", str(out),
                                "--force"], capsys)
        refused(code, err, out, needle)
        with pytest.raises(FileError, match=needle):
            write_atomic(out, b"proof", overwrite=True)
    assert os.path.exists(os.devnull) and not os.path.isfile(os.devnull)


# -- item 2: missing output directories are created, by every writer ----------------

def test_missing_directories_are_created_everywhere(files, proving, capsys):
    tmp, model, cal = files
    zc, vk = tmp / "a" / "b" / "m.zkmlc", tmp / "c" / "m.vk"
    # non-hiding: the same bytes from every writer (a hiding key has fresh blinders)
    code, _, err = run_cli(["compile", str(model), "--calibration", str(cal), "-o", str(zc),
                            "--vk", str(vk), "--quiet", "--non-hiding"], capsys)
    assert code == 0 and zc.is_file() and vk.is_file(), err
    compiled = compile_api(model, cal, output_path=tmp / "d" / "m.zkmlc",
                           vk_path=tmp / "e" / "f" / "m.vk", hiding=False)
    assert (tmp / "d" / "m.zkmlc").read_bytes() == zc.read_bytes()
    assert (tmp / "e" / "f" / "m.vk").read_bytes() == vk.read_bytes()
    assert compiled.save(tmp / "g" / "m.zkmlc").read_bytes() == zc.read_bytes()
    ptmp, pzc, inp = proving
    out = ptmp / "proofs" / "new" / "m.proof"
    code, _, err = run_cli(["prove", str(pzc), "--input", str(inp), "-o", str(out),
                            "--quiet"], capsys)
    assert code == 0 and out.is_file(), err
    saved = zkml.prove(pzc, [0.25] * 12).save(ptmp / "h" / "p.proof")
    assert saved.is_file() and zkml.verify(saved, ptmp / "m.vk").batch == 1


def test_directories_made_for_a_failed_write_are_removed(files, monkeypatch, capsys):
    tmp, model, cal = files
    zc, vk = tmp / "new" / "m.zkmlc", tmp / "keys" / "sub" / "m.vk"
    before = snapshot(tmp)
    fail_rename_to(monkeypatch, vk, PermissionError(errno.EACCES, "Permission denied"))
    with pytest.raises(FileError, match=f"cannot write {vk}"):
        compile_api(model, cal, output_path=zc, vk_path=vk)
    code, _, err = run_cli(["compile", str(model), "--calibration", str(cal), "-o", str(zc),
                            "--vk", str(vk)], capsys)
    refused(code, err, f"cannot write {vk}")
    assert snapshot(tmp) == before


# -- the writer itself ---------------------------------------------------------------

def test_write_group_restores_by_rename_without_hard_links(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"old a")
    b.write_bytes(b"old b")
    before = snapshot(tmp_path)
    monkeypatch.setattr(os, "link", lambda *args, **kwargs: (_ for _ in ()).throw(
        PermissionError(errno.EPERM, "Operation not permitted")))
    fail_rename_to(monkeypatch, b, PermissionError(errno.EACCES, "Permission denied"))
    with pytest.raises(FileError, match=f"cannot write {b}: Permission denied"):
        write_group({a: b"new a", b: b"new b"}, overwrite=True)
    assert snapshot(tmp_path) == before
    monkeypatch.undo()
    write_group({a: b"new a", b: b"new b"}, overwrite=True)
    assert snapshot(tmp_path) == {"a": b"new a", "b": b"new b"}


def test_write_group_refuses_before_writing_anything(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    b.write_bytes(b"old b")
    with pytest.raises(OutputExistsError, match=f"{b} exists"):
        write_group({a: b"new a", b: b"new b"})
    assert snapshot(tmp_path) == {"b": b"old b"}


def test_a_replaced_file_keeps_its_mode_a_new_one_gets_the_umasks(tmp_path):
    old = tmp_path / "old"
    old.write_bytes(b"x")
    old.chmod(0o600)
    write_atomic(old, b"y", overwrite=True)
    assert old.stat().st_mode & 0o777 == 0o600 and old.read_bytes() == b"y"
    mask = os.umask(0)
    os.umask(mask)
    assert write_atomic(tmp_path / "new", b"z").stat().st_mode & 0o777 == 0o666 & ~mask


def test_check_outputs_leaves_no_probe_and_creates_nothing(tmp_path):
    check_outputs({tmp_path / "x" / "y" / "out": "proof"}, sizes={tmp_path / "x": 1})
    assert snapshot(tmp_path) == {}
