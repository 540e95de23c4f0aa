"""The attacker against the unlearning files (circuits/unlearning.md 2, 5, 8): every
mutated request, lineage record, data opening and dataset is refused with one readable
line and exit code 2, never a traceback; a refused apply leaves no update directory and
never touches a file already at its output path. One test per class of attack."""

from __future__ import annotations

import json
import shutil
import struct

import numpy as np
import pytest

from zkml.cli.main import main
from zkml.errors import InputError
from zkml.unlearn.lineage import Lineage, LineageFormatError
from zkml.unlearn.register import DataOpening, opening_path
from zkml.unlearn.request import Request, RequestFormatError


def _run(capsys, *args) -> tuple[int, str]:
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


def _one_line(code: int, err: str) -> bool:
    return code == 2 and err.startswith("error:") and err.count("\n") == 1 and \
        "Traceback" not in err


def _header_len(req: Request) -> int:
    return len(req.to_bytes()) - (-(-req.d_out * req.d_in // 8)) - 4 - req.u.size * 2


def test_request_byte_flips_truncation_and_trailing_bytes(digits_flow):
    data = digits_flow.request.read_bytes()
    req = Request.from_bytes(data)
    h = _header_len(req)
    rng = np.random.default_rng(7)
    # every header byte, the affected-block count, and a sample of mask and U bytes
    spots = list(range(h + 8)) + list(range(h + len(req.mask.reshape(-1)) // 8 - 2,
                                            h + len(req.mask.reshape(-1)) // 8 + 6))
    spots += rng.integers(h, len(data), size=64).tolist()
    refused = set()
    for i in spots:
        for flip in (0x01, 0x80, 0xFF):
            m = bytearray(data)
            m[i] ^= flip
            try:   # a flip to another valid request (a U value, a name) may parse: fine
                assert Request.from_bytes(bytes(m)).to_bytes() == bytes(m)
            except RequestFormatError as exc:
                assert "\n" not in str(exc)
                refused.add(i)
    assert set(range(12)) <= refused   # magic and version: every flip refused
    for n in list(range(0, h + 1)) + [len(data) - 1]:
        with pytest.raises(RequestFormatError, match="truncated|mask|block"):
            Request.from_bytes(data[:n])
    with pytest.raises(RequestFormatError, match="trailing"):
        Request.from_bytes(data + b"\0\0")


def test_request_huge_counts_and_wrong_sizes_are_refused_before_allocating(digits_flow):
    data = digits_flow.request.read_bytes()
    req = Request.from_bytes(data)
    sizes_at = 12 + 2 + len(req.layer.encode()) + 2 + len(req.weight.encode())
    h = _header_len(req)
    mask_end = len(data) - 4 - req.u.size * 2

    def put(at: int, fmt: str, *vals) -> bytes:
        m = bytearray(data)
        m[at:at + struct.calcsize(fmt)] = struct.pack(fmt, *vals)
        return bytes(m)

    cases = {
        "n_affected 2^32-1": put(mask_end, "<I", 0xFFFFFFFF),
        "d_out 2^32-1": put(sizes_at, "<I", 0xFFFFFFFF),
        "d_out x d_in past 2^22": put(sizes_at, "<II", 1 << 16, 1 << 16),
        "mask of another size": put(sizes_at, "<II", req.d_out, req.d_in + 1),
        "rank past B": put(sizes_at + 12, "<I", 1 << 20),
        "block not a power of two": put(sizes_at + 8, "<I", 48),
        "k past 24": put(sizes_at + 16, "<I", 1 << 31),
        "lambda mantissa 0": put(sizes_at + 24, "<Qi", 0, 3),
        "tau exponent huge": put(sizes_at + 36, "<Qi", 1, 1 << 30),
        "min_n 0": put(sizes_at + 60, "<I", 0),
        "class with samples kind": put(sizes_at + 64, "<Bi", 1, 3),
        "empty mask": data[:h] + bytes(mask_end - h) + data[mask_end:],
    }
    for name, bad in cases.items():
        with pytest.raises(RequestFormatError) as exc:
            Request.from_bytes(bad, name)
        assert "\n" not in str(exc.value), name


def test_request_u_nonzero_on_a_masked_row_via_the_cli(tmp_path, capsys, digits_flow):
    data = bytearray(digits_flow.request.read_bytes())
    req = Request.from_bytes(bytes(data))
    o, j = req.affected()[0]
    c = int(np.nonzero(req.block_mask(o, j))[0][0])
    at = len(data) - req.u.size * 2 + c * req.rank * 2
    data[at:at + 2] = struct.pack("<h", 5)
    bad = tmp_path / "bad.req"
    bad.write_bytes(bytes(data))
    out = tmp_path / "upd"
    code, err = _run(capsys, "unlearn", "apply", digits_flow.compiled, "--request", bad,
                     "--data", digits_flow.case.client, "--record", digits_flow.record,
                     "-o", out)
    assert _one_line(code, err) and "nonzero on a masked" in err and not out.exists()


def test_request_parameters_past_the_field_are_refused(tmp_path, capsys, digits_flow):
    import dataclasses
    from fractions import Fraction

    req = Request.from_bytes(digits_flow.request.read_bytes())
    huge = dataclasses.replace(req, tau=Fraction((1 << 64) - 1) * 2 ** 200, _bytes=b"")
    path = tmp_path / "huge.req"
    path.write_bytes(Request.from_bytes(huge.to_bytes()).to_bytes())   # it parses
    out = tmp_path / "upd"
    code, err = _run(capsys, "unlearn", "apply", digits_flow.compiled, "--request", path,
                     "--data", digits_flow.case.client, "--record", digits_flow.record,
                     "-o", out)
    assert _one_line(code, err) and "past the field's 2^253" in err and not out.exists()


def _lineage_variants(good: dict):
    yield "nested", "[" * 100000 + "]" * 100000
    yield "not JSON", "{"
    yield "not UTF-8", b"\xff\xfe".decode("latin-1")
    yield "a list", "[]"
    for field, val in (("n", True), ("n", 10 ** 400), ("n", -1), ("index", 1.0),
                       ("kind", ["register"]), ("c_d", 5), ("head", "AB" * 32)):
        d = json.loads(json.dumps(good))
        d["records"][0][field] = val
        yield f"{field}={val!r:.12}", json.dumps(d)
    d = json.loads(json.dumps(good))
    d["records"] = {"0": d["records"][0]}
    yield "records not a list", json.dumps(d)


def test_lineage_mutations_are_one_line(tmp_path, capsys, digits_flow):
    good = json.loads(digits_flow.record.read_text())
    for i, (name, text) in enumerate(_lineage_variants(good)):
        with pytest.raises(LineageFormatError) as exc:
            Lineage.from_bytes(text.encode("latin-1"), name)
        assert "\n" not in str(exc.value), name
        rec = tmp_path / f"l{i}.json"
        rec.write_text(text, encoding="latin-1")
        shutil.copy(opening_path(digits_flow.record), opening_path(rec))
        code, err = _run(capsys, "unlearn", "apply", digits_flow.compiled, "--request",
                         digits_flow.request, "--data", digits_flow.case.client, "--record",
                         rec, "-o", tmp_path / f"u{i}")
        assert _one_line(code, err) and "invalid lineage" in err, (name, err)
        assert not (tmp_path / f"u{i}").exists()


def test_data_opening_mutations_are_one_line(tmp_path, digits_flow):
    good = json.loads(opening_path(digits_flow.record).read_text())
    variants = {"nested": "[" * 100000 + "]" * 100000, "not JSON": "{", "a list": "[1]"}
    n = len(good["x"])
    for key, val in (("x", [[1.5] * 64] * n), ("x", [["1"] * 64] * n), ("x", "abc"),
                     ("x", [[1 << 70] * 64] * n), ("x", [[1] * 64, [1] * 3]),
                     ("y", [None] * n), ("y", [True] * n), ("label_kind", True),
                     ("label_kind", 7), ("blinders_x", ["zz" * 32]), ("blinders_x", [5]),
                     ("c_x", "0"), ("vk_digest", 5), ("format", "other")):
        d = dict(good)
        d[key] = val
        variants[f"{key}={val!r:.16}"] = json.dumps(d)
    d = dict(good)
    del d["y"]
    variants["no y"] = json.dumps(d)
    for i, (name, text) in enumerate(variants.items()):
        p = tmp_path / f"o{i}.opening"
        p.write_text(text)
        with pytest.raises(InputError) as exc:
            DataOpening.load(p)
        assert "\n" not in str(exc.value), name


def _bad_datasets(tmp_path, x, y):
    sets = {
        "object x": dict(x=np.array([object()] * 4, dtype=object), y=np.zeros(4, int)),
        "string x": dict(x=np.array([["a"] * 64] * 4), y=np.zeros(4, int)),
        "complex x": dict(x=np.zeros((4, 64), complex), y=np.zeros(4, int)),
        "NaN x": dict(x=np.full((4, 64), np.nan), y=np.zeros(4, int)),
        "infinite x": dict(x=np.full((4, 64), -np.inf), y=np.zeros(4, int)),
        "NaN y": dict(x=x[:4], y=np.full(4, np.nan)),
        "no samples": dict(x=np.zeros((0, 64)), y=np.zeros(0, int)),
        "one-dimensional x": dict(x=np.zeros(64), y=np.zeros(1, int)),
        "no features": dict(x=np.zeros((4, 0)), y=np.zeros(4, int)),
        "wrong features": dict(x=np.zeros((4, 10)), y=np.zeros(4, int)),
        "y of another length": dict(x=x[:4], y=y[:3]),
        "y of two columns": dict(x=x[:4], y=np.zeros((4, 3), int)),
        "label past the outputs": dict(x=x[:4], y=np.full(4, 10)),
        "negative label": dict(x=x[:4], y=-np.ones(4, int)),
        "no y": dict(x=x[:4]),
        "an extra array": dict(x=x[:4], y=y[:4], z=y[:4]),
    }
    for i, (name, arrays) in enumerate(sets.items()):
        p = tmp_path / f"d{i}.npz"
        np.savez(p, **arrays)   # an object array is pickled in it: zkml never unpickles
        yield name, p
    (tmp_path / "zip.npz").write_bytes(b"PK\x03\x04 not a zip")
    yield "not a zip", tmp_path / "zip.npz"
    (tmp_path / "empty.npz").write_bytes(b"")
    yield "empty file", tmp_path / "empty.npz"


def test_bad_datasets_are_one_line_on_every_command(tmp_path, capsys, digits_flow):
    case = digits_flow.case
    x, y = case.client_data
    for name, p in _bad_datasets(tmp_path, x, y):
        runs = {
            "register": ["register", digits_flow.compiled, "--data", p, "-o",
                         tmp_path / f"{p.stem}.json"],
            "request": ["request", case.provider_onnx, "--forget", p, "--retain",
                        case.retain, "-o", tmp_path / f"{p.stem}.req"],
            "apply": ["apply", digits_flow.compiled, "--request", digits_flow.request,
                      "--data", p, "--record", digits_flow.record, "-o",
                      tmp_path / f"{p.stem}.upd"],
            "apply --test": ["apply", digits_flow.compiled, "--request",
                             digits_flow.request, "--data", case.client, "--record",
                             digits_flow.record, "--test", p, "-o",
                             tmp_path / f"{p.stem}.upd2"],
        }
        for cmd, args in runs.items():
            code, err = _run(capsys, "unlearn", *args)
            assert _one_line(code, err), (name, cmd, err)
            assert not args[-1].exists(), (name, cmd)
    # labels the model cannot produce, said in the model's terms
    bad = tmp_path / "d12.npz"
    code, err = _run(capsys, "unlearn", "register", digits_flow.compiled, "--data", bad,
                     "-o", tmp_path / "again.json")
    assert "the model's 10 outputs" in err


def test_apply_never_overwrites_nor_leaves_a_partial_directory(tmp_path, capsys, digits_flow,
                                                                monkeypatch):
    import zkml.unlearn.files as files

    args = ["unlearn", "apply", digits_flow.compiled, "--request", digits_flow.request,
            "--data", digits_flow.case.client, "--record", digits_flow.record, "-o"]
    user = tmp_path / "mine.txt"
    user.write_text("the user's file")
    code, err = _run(capsys, *args, user)
    assert _one_line(code, err) and user.read_text() == "the user's file"
    code, err = _run(capsys, *args, user / "sub")          # a file where a directory goes
    assert _one_line(code, err) and not (user / "sub").exists()
    # a failure while writing (disk full at the third file) removes all of it
    real = files.write_new
    calls = []

    def full_disk(path, data, what, *, secret=False):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(path, data, what, secret=secret)

    monkeypatch.setattr(files, "write_new", full_disk)
    out = tmp_path / "upd"
    code, err = _run(capsys, *args, out)
    assert _one_line(code, err) and "No space left" in err and len(calls) == 3
    assert not out.exists()


def test_request_from_another_model_is_refused(tmp_path, capsys, digits_flow):
    import dataclasses

    req = Request.from_bytes(digits_flow.request.read_bytes())
    other = dataclasses.replace(req, forget_class=12, _bytes=b"")
    p = tmp_path / "other.req"
    p.write_bytes(other.to_bytes())
    code, err = _run(capsys, "unlearn", "apply", digits_flow.compiled, "--request", p,
                     "--data", digits_flow.case.client, "--record", digits_flow.record,
                     "-o", tmp_path / "u")
    assert _one_line(code, err) and "forgets class 12; the model has 10 outputs" in err
    wrong = dataclasses.replace(req, weight="fc9.weight", _bytes=b"")
    p.unlink()
    p.write_bytes(wrong.to_bytes())
    code, err = _run(capsys, "unlearn", "apply", digits_flow.compiled, "--request", p,
                     "--data", digits_flow.case.client, "--record", digits_flow.record,
                     "-o", tmp_path / "u")
    assert _one_line(code, err) and "fc9.weight" in err and not (tmp_path / "u").exists()


def test_register_writes_the_opening_and_record_together(tmp_path, capsys, digits_flow,
                                                         monkeypatch):
    from zkml.unlearn.lineage import Lineage as Lin

    def fail(self, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Lin, "save_new", fail)
    rec = tmp_path / "rec.json"
    code, err = _run(capsys, "unlearn", "register", digits_flow.compiled, "--data",
                     digits_flow.case.client, "-o", rec)
    assert _one_line(code, err) and "No space left" in err
    assert not rec.exists() and not opening_path(rec).exists()
