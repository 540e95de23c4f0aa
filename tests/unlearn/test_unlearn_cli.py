"""`zkml unlearn` on the command line: the flow's output, and each error as one line with
exit code 2 (missing arrays, wrong shapes, an existing output, a malformed request)."""

from __future__ import annotations

import numpy as np
import pytest

from zkml.cli.main import main


def _run(capsys, *args) -> tuple[int, str, str]:
    code = main(["unlearn", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_help_offers_no_proof(capsys):
    code, out, _ = _run(capsys, "--help")
    assert code == 0 and "request" in out and "apply" in out and "register" in out
    assert "prove" not in out.split("Commands:")[1]


def test_cli_flow_and_refusals(tmp_path, capsys, digits_flow):
    case = digits_flow.case
    req = tmp_path / "r.req"
    code, out, err = _run(capsys, "request", case.provider_onnx, "--forget", case.forget,
                          "--retain", case.retain, "-o", req)
    assert code == 0, err
    assert "forget class 3" in out and req.read_bytes() == digits_flow.request.read_bytes()
    # the same output again: refused, the file untouched
    code, _, err = _run(capsys, "request", case.provider_onnx, "--forget", case.forget,
                        "--retain", case.retain, "-o", req)
    assert code == 2 and err.startswith("error:") and "exists" in err and err.count("\n") == 1

    rec = tmp_path / "rec.json"
    code, out, err = _run(capsys, "register", digits_flow.compiled, "--data", case.client,
                          "-o", rec)
    assert code == 0, err
    assert "registered 500 samples" in out and (tmp_path / "rec.json.opening").exists()
    test = tmp_path / "test.npz"
    np.savez(test, x=case.test[0], y=case.test[1])
    code, out, err = _run(capsys, "apply", digits_flow.compiled, "--request", req, "--data",
                          case.client, "--record", rec, "--test", test, "-o", tmp_path / "upd")
    assert code == 0, err
    assert "UNVERIFIED" in out and "forget_class_accuracy 0.0" in out.split("after:")[1]
    held_out = out.split("test after:")[1].splitlines()[0]
    assert "forget_class_accuracy 0.0" in held_out and "retain_accuracy 0.9" in held_out

    no_y = tmp_path / "no_y.npz"
    np.savez(no_y, x=np.zeros((4, 64)))
    code, _, err = _run(capsys, "register", digits_flow.compiled, "--data", no_y, "-o",
                        tmp_path / "a.json")
    assert code == 2 and "no array 'y'" in err and err.count("\n") == 1
    narrow = tmp_path / "narrow.npz"
    np.savez(narrow, x=np.zeros((4, 10)), y=np.zeros(4, dtype=np.int64))
    code, _, err = _run(capsys, "register", digits_flow.compiled, "--data", narrow, "-o",
                        tmp_path / "b.json")
    assert code == 2 and "10 features" in err
    short_y = tmp_path / "short.npz"
    np.savez(short_y, x=np.zeros((4, 64)), y=np.zeros(3, dtype=np.int64))
    code, _, err = _run(capsys, "request", case.provider_onnx, "--forget", short_y,
                        "--retain", case.retain, "-o", tmp_path / "c.req")
    assert code == 2 and "shape (4,)" in err
    bad = tmp_path / "bad.req"
    bad.write_bytes(req.read_bytes()[:-3])
    code, _, err = _run(capsys, "apply", digits_flow.compiled, "--request", bad, "--data",
                        case.client, "--record", rec, "-o", tmp_path / "upd2")
    assert code == 2 and "invalid unlearning request" in err
    # data other than the registered data: refused before any update is written
    other = tmp_path / "other.npz"
    np.savez(other, x=case.client_data[0][::-1], y=case.client_data[1][::-1])
    code, _, err = _run(capsys, "apply", digits_flow.compiled, "--request", req, "--data",
                        other, "--record", rec, "-o", tmp_path / "upd3")
    assert code == 2 and "not the registered data" in err
    assert not (tmp_path / "upd2").exists() and not (tmp_path / "upd3").exists()


@pytest.mark.parametrize("missing", ["--forget", "--data"])
def test_missing_file_is_one_line(tmp_path, capsys, digits_flow, missing):
    case = digits_flow.case
    args = (["request", case.provider_onnx, "--forget", tmp_path / "none.npz", "--retain",
             case.retain, "-o", tmp_path / "x.req"] if missing == "--forget" else
            ["register", digits_flow.compiled, "--data", tmp_path / "none.npz", "-o",
             tmp_path / "x.json"])
    code, _, err = _run(capsys, *args)
    assert code == 2 and "not found" in err and err.count("\n") == 1
