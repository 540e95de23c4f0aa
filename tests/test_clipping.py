"""No silent saturation (zkml.quant.clipping, zkml/quant/calibrate.py, zkml/quant/fidelity.py).

An input value outside the range the input's fixed-point format represents is clipped
with a warning naming the input and the count (API: ClippingWarning; CLI: one `warning:`
line on stderr), and refused with `strict` (InputError, exit 2); values beyond the
calibrated range but kept get a note; NaN is refused naming the input. A calibration set
whose outliers set an input's scale warns, and the fidelity report flags outputs whose
error is large against their typical magnitude (`LARGE ERROR`), so that a huge error never
sits beside a reassuring argmax agreement. Normal calibration (the bundled digits model
included) raises no flag. Proving uses the native module.
"""

from __future__ import annotations

import json
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "inference"))

from harness import run_cli  # noqa: E402
from inference_models import compile_mlp, f32, make_model, save  # noqa: E402
from onnx import helper  # noqa: E402

import zkml  # noqa: E402
from zkml.compile_api import compile_model  # noqa: E402
from zkml.errors import EXIT_ERROR, ClippingWarning, InputError  # noqa: E402
from zkml.quant.calibrate import CalibrationWarning  # noqa: E402
from zkml.quant.fidelity import LARGE_ERROR_FRACTION, error_flag, format_report  # noqa: E402
from zkml.statement import InputLayout, quantize_input  # noqa: E402

ART = Path(__file__).resolve().parents[1] / "artifacts"
HUGE = 1e30


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    """An MLP on 12 features calibrated on 32 normal samples, its files, and 3 in-range
    examples (uniform in [-1, 1], inside the calibrated range)."""
    tmp = tmp_path_factory.mktemp("clip")
    cm, onnx_path = compile_mlp(tmp, [12, 8, 5], seed=3)
    cm.save(tmp / "m.zkmlc")
    (tmp / "m.vk").write_bytes(cm.verifying_key)
    x = np.random.default_rng(0).uniform(-1, 1, size=(3, 12))
    return tmp, cm, x, onnx_path


def _json(path: Path, x: np.ndarray) -> Path:
    path.write_text(json.dumps({"input_data": x.tolist()}))
    return path


def _range(cm) -> str:
    c = cm.circuit
    hi = ((1 << (c.input_bits - 1)) - 1) / 2.0**c.input_frac_bits
    lo = -(1 << (c.input_bits - 1)) / 2.0**c.input_frac_bits
    return f"[{lo:.6g}, {hi:.6g}]"


def _errors(err: str) -> list[str]:
    """The `error:` lines of stderr (stage lines may precede them)."""
    return [line for line in err.splitlines() if line.startswith("error:")]


def _huge(x: np.ndarray) -> np.ndarray:
    wide = x.copy()
    wide[1, 4] = HUGE
    return wide


# -- input clipping: API ------------------------------------------------------------------


def test_in_range_input_proves_without_warning(case):
    _, cm, x, _ = case
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = zkml.prove(cm, x)
    assert result.clipping.count == 0 and result.clipping.outside_calibration == 0
    assert result.clipping.lines() == [] and result.clipping.notes() == []


def test_huge_value_is_clipped_with_a_warning_naming_input_and_count(case):
    _, cm, x, _ = case
    with pytest.warns(ClippingWarning) as caught:
        result = zkml.prove(cm, _huge(x))
    messages = [str(w.message) for w in caught if w.category is ClippingWarning]
    assert messages == [f'input "x": 1 of 36 values outside the representable range '
                        f'{_range(cm)} were clipped (largest 1e+30)']
    hi = (1 << (cm.circuit.input_bits - 1)) - 1
    assert result.inputs[1, 4] == hi  # the proof is about the clipped value
    clip = result.clipping.inputs[0]
    assert (clip.name, clip.above, clip.below, clip.total, clip.max_seen) == ("x", 1, 0, 36, HUGE)
    json.dumps(result.clipping.to_json(), allow_nan=False)  # strict JSON for --json


def test_strict_refuses_clipped_input(case):
    _, cm, x, _ = case
    with pytest.raises(InputError, match=r'input "x": 1 of 36 values lie outside the '
                                         r"representable range .* would be clipped"):
        zkml.prove(cm, _huge(x), strict=True)
    zkml.prove(cm, x, strict=True)  # in range: proves


def test_verify_expected_input_warns_and_strict_refuses(case):
    _, cm, x, _ = case
    with pytest.warns(ClippingWarning):
        result = zkml.prove(cm, _huge(x))
    with pytest.warns(ClippingWarning, match='input "x": 1 of 36 values'):
        zkml.Verifier(cm).verify(result.proof, expected_input=_huge(x))
    with pytest.raises(InputError, match="would be clipped"):
        zkml.verify(result.proof, cm, expected_input=_huge(x), strict=True)
    quantized = zkml.Verifier(cm.verifying_key).quantize_input(_huge(x))  # key only: unnamed
    assert quantized.clipping.describe().startswith("input: 1 of 36 values outside")
    with pytest.raises(InputError, match="would be clipped"):
        zkml.Verifier(cm).verify(result.proof, expected_input=quantized, strict=True)


def test_non_finite_input_is_refused_naming_the_input(case):
    _, cm, x, _ = case
    bad = x.copy()
    bad[0, 0], bad[2, 3] = np.nan, -np.inf
    with pytest.raises(InputError, match=r'input "x": 2 of 36 values are non-finite'):
        zkml.prove(cm, bad)


def test_values_beyond_the_calibrated_range_are_kept_with_a_note(case):
    _, cm, x, _ = case
    m = cm.fidelity["inputs"]["x"]["max_abs"]
    hi = ((1 << (cm.circuit.input_bits - 1)) - 1) / 2.0**cm.circuit.input_frac_bits
    assert m < hi
    beyond = x.copy()
    beyond[0, 2] = (m + hi) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("error", ClippingWarning)
        result = zkml.prove(cm, beyond, strict=True)  # nothing clipped: strict proves it
    assert result.clipping.count == 0 and result.clipping.outside_calibration == 1
    assert result.clipping.notes() == [
        f'input "x": 1 of 36 values beyond the largest calibrated magnitude {m:.6g} '
        f"(largest {(m + hi) / 2:.6g}) are kept, but the layers after it were scaled for "
        "the calibration set and may saturate on them"]


def test_calibrated_range_is_saved_and_optional(case):
    tmp, cm, x, _ = case
    loaded = zkml.load(tmp / "m.zkmlc")
    assert loaded.fidelity["inputs"] == cm.fidelity["inputs"]
    assert InputLayout.of_compiled(loaded).calibrated == (("x", cm.fidelity["inputs"]["x"]
                                                             ["max_abs"]),)
    # a model compiled before ranges were recorded: clipping is still measured
    old = quantize_input(_huge(x), InputLayout.of(cm.circuit, cm.input_shapes))
    assert old.clipping.count == 1 and old.clipping.inputs[0].calibrated is None


def _two_inputs():
    """img (1, 1, 2, 2) and vec (1, 3), concatenated after Flatten, then Gemm."""
    rng = np.random.default_rng(11)
    nodes = [helper.make_node("Flatten", ["img"], ["f"], axis=1, name="flat"),
             helper.make_node("Concat", ["f", "vec"], ["cat"], axis=1, name="cat"),
             helper.make_node("Gemm", ["cat", "W", "b"], ["y"], name="fc")]
    inits = {"W": f32(rng.normal(0, 0.5, (7, 3))), "b": f32(rng.normal(0, 0.1, 3))}
    return make_model(nodes, {"img": [1, 1, 2, 2], "vec": [1, 3]}, ["y"], inits)


def test_several_inputs_each_reported_by_name(tmp_path):
    rng = np.random.default_rng(5)
    cal = {"img": rng.normal(size=(16, 1, 1, 2, 2)), "vec": rng.normal(size=(16, 1, 3))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cm = zkml.compile(save(_two_inputs(), tmp_path, "two.onnx"), calibration=cal, hiding=False)
    data = {"img": rng.uniform(-1, 1, size=(2, 1, 1, 2, 2)),
            "vec": rng.uniform(-1, 1, size=(2, 1, 3))}
    data["vec"][1, 0, 2] = -HUGE
    data["vec"][0, 0, 0] = HUGE
    with pytest.warns(ClippingWarning) as caught:
        result = zkml.prove(cm, data)
    assert [str(w.message) for w in caught] == [
        f'input "vec": 2 of 6 values outside the representable range {_range(cm)} were '
        "clipped (largest 1e+30)"]
    img, vec = result.clipping.inputs
    assert (img.name, img.clipped) == ("img", 0)
    assert (vec.name, vec.below, vec.above, vec.total) == ("vec", 1, 1, 6)
    with pytest.raises(InputError, match='input "vec": 2 of 6 values'):
        zkml.prove(cm, data, strict=True)


# -- input clipping: CLI ------------------------------------------------------------------


def test_cli_prove_warns_on_stderr_and_strict_refuses(case, capsys):
    tmp, cm, x, _ = case
    inp = _json(tmp / "huge.json", _huge(x))
    proof = tmp / "huge.proof"
    code, out, err = run_cli(["prove", str(tmp / "m.zkmlc"), "--input", str(inp), "-o",
                              str(proof), "--force"], capsys)
    assert code == 0, err
    assert (f'warning: input "x": 1 of 36 values outside the representable range '
            f"{_range(cm)} were clipped (largest 1e+30)\n") in err
    assert "warning" not in out
    strict = tmp / "strict.proof"
    code, out, err = run_cli(["prove", str(tmp / "m.zkmlc"), "--input", str(inp), "-o",
                              str(strict), "--strict"], capsys)
    assert code == EXIT_ERROR and out == "" and not strict.exists()
    [line] = _errors(err)
    assert re.fullmatch(r'error: bad input: input "x": 1 of 36 values lie outside the '
                        r"representable range \[.*\] \(largest 1e\+30\) and would be clipped; "
                        r"refused \(strict\).*", line), err


def test_cli_prove_in_range_prints_no_warning(case, capsys):
    tmp, _, x, _ = case
    inp = _json(tmp / "ok.json", x)
    code, out, err = run_cli(["prove", str(tmp / "m.zkmlc"), "--input", str(inp), "-o",
                              str(tmp / "ok.proof"), "--force", "--strict"], capsys)
    assert code == 0, err
    assert "warning" not in err and "note" not in err and "clipped" not in out + err


def test_cli_prove_notes_values_beyond_calibration(case, capsys):
    tmp, cm, x, _ = case
    m = cm.fidelity["inputs"]["x"]["max_abs"]
    hi = ((1 << (cm.circuit.input_bits - 1)) - 1) / 2.0**cm.circuit.input_frac_bits
    beyond = x.copy()
    beyond[2, 7] = -(m + hi) / 2
    inp = _json(tmp / "beyond.json", beyond)
    code, out, err = run_cli(["prove", str(tmp / "m.zkmlc"), "--input", str(inp), "-o",
                              str(tmp / "beyond.proof"), "--force"], capsys)
    assert code == 0, err
    assert 'note: input "x": 1 of 36 values beyond the largest calibrated magnitude' in err
    assert "warning" not in err


def test_cli_verify_input_warns_and_strict_refuses(case, capsys):
    tmp, _, x, _ = case
    inp = _json(tmp / "vhuge.json", _huge(x))
    proof = tmp / "v.proof"
    code, _, err = run_cli(["prove", str(tmp / "m.zkmlc"), "--input", str(inp), "-o",
                            str(proof), "--force", "--quiet"], capsys)
    assert code == 0 and err == "", err  # --quiet: nothing but errors
    code, out, err = run_cli(["verify", str(proof), "--model", str(tmp / "m.zkmlc"),
                              "--input", str(inp)], capsys)
    assert code == 0, err
    assert 'warning: input "x": 1 of 36 values outside the representable range' in err
    assert "1 value(s) clipped as the prover clips them" in out
    code, out, err = run_cli(["verify", str(proof), "--vk", str(tmp / "m.vk"), "--input",
                              str(inp), "--strict"], capsys)
    assert code == EXIT_ERROR and out == "", out
    [line] = _errors(err)
    assert line.startswith("error: bad input: input: 1 of 36 values lie outside"), err


def test_cli_refuses_nan_naming_the_input(case, capsys):
    tmp, _, x, _ = case
    inp = tmp / "nan.json"
    inp.write_text(json.dumps({"input_data": x.tolist()}).replace(str(x[0, 3]), "NaN", 1))
    code, out, err = run_cli(["prove", str(tmp / "m.zkmlc"), "--input", str(inp), "-o",
                              str(tmp / "nan.proof")], capsys)
    assert code == EXIT_ERROR and out == ""
    [line] = _errors(err)
    assert 'input "x": 1 of 36 values are non-finite' in line, err


# -- calibration and the fidelity report --------------------------------------------------


def _outlier_calibration() -> np.ndarray:
    cal = np.random.default_rng(1).normal(size=(32, 12))
    cal[0, 0] = HUGE
    return cal


def test_calibration_outliers_warn_and_flag_large_error(case):
    _, _, _, onnx_path = case
    with pytest.warns(CalibrationWarning) as caught:
        cm = compile_model(onnx_path, calibration=_outlier_calibration())
    messages = [str(w.message) for w in caught]
    assert any(m.startswith("calibration: input 'x': 1 of 384 values are over 16 times the "
                            "99th percentile") and "take only 1 distinct level(s)" in m
               for m in messages), messages
    assert any(m.startswith("LARGE ERROR: output 'y'") for m in messages), messages
    fid = cm.fidelity
    assert [f["kind"] for f in fid["flags"]] == ["calibration_outliers", "large_error"]
    assert fid["flags"][0]["input"] == "x" and fid["flags"][0]["count"] == 1
    assert fid["inputs"]["x"]["max_abs"] == HUGE and fid["inputs"]["x"]["outliers"] == 1
    y = fid["outputs"]["y"]
    assert y["large_error"] and y["relative_error"] > LARGE_ERROR_FRACTION
    text = format_report(fid)
    row = next(line for line in text.splitlines() if line.strip().startswith("y "))
    assert row.endswith("%*  LARGE ERROR"), row  # the agreement is starred, not reassuring
    assert "whatever the argmax agreement says" in text
    json.dumps(fid, allow_nan=False)  # the report stays strict JSON (compiled file)


def test_cli_compile_prints_flags_once(case, capsys, tmp_path):
    _, _, _, onnx_path = case
    np.save(tmp_path / "cal.npy", _outlier_calibration())
    code, out, err = run_cli(["compile", str(onnx_path), "--calibration",
                              str(tmp_path / "cal.npy"), "-o", str(tmp_path / "o.zkmlc"),
                              "--vk", str(tmp_path / "o.vk")], capsys)
    assert code == 0, err
    assert "LARGE ERROR: output 'y'" in out and "calibration: input 'x': 1 of 384" in out
    assert "LARGE ERROR" not in err and "calibration: input" not in err
    code, out, err = run_cli(["inspect", str(tmp_path / "o.zkmlc")], capsys)
    assert code == 0, err
    line = next(s for s in out.splitlines() if s.strip().startswith("fidelity y:"))
    assert re.search(r"argmax agree [\d.]+%\* on 32 sample\(s\) LARGE ERROR$", line), line


def test_normal_calibration_raises_no_flag(case, capsys, tmp_path):
    _, cm, _, onnx_path = case
    assert cm.fidelity["flags"] == [] and not cm.fidelity["outputs"]["y"]["large_error"]
    assert cm.fidelity["inputs"]["x"]["outliers"] == 0
    np.save(tmp_path / "cal.npy", np.random.default_rng(1).normal(size=(32, 12)))
    code, out, err = run_cli(["compile", str(onnx_path), "--calibration",
                              str(tmp_path / "cal.npy"), "-o", str(tmp_path / "n.zkmlc"),
                              "--vk", str(tmp_path / "n.vk")], capsys)
    assert code == 0, err
    assert "LARGE ERROR" not in out + err and "calibration:" not in out + err
    assert re.search(r"^  y .*100\.0%$", out, re.M), out
    code, out, err = run_cli(["inspect", str(tmp_path / "n.zkmlc")], capsys)
    assert code == 0 and "LARGE ERROR" not in out and "%*" not in out, out


def test_bundled_digits_model_is_not_flagged():
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalibrationWarning)
        cm = compile_model(ART / "digits_mlp.onnx",
                           calibration=ART / "digits_calibration.npy")
    fid = cm.fidelity
    assert fid["flags"] == [] and fid["inputs"]["input"]["outliers"] == 0
    logits = fid["outputs"]["logits"]
    assert not logits["large_error"] and logits["relative_error"] < LARGE_ERROR_FRACTION / 10
    assert "LARGE ERROR" not in format_report(fid) and "*" not in format_report(fid)


def test_large_error_is_judged_against_the_typical_magnitude():
    # one run with a huge output does not hide that the others lost their values
    assert error_flag("y", 5.0, [1.0, 2.0, 1e6])["stats"]["large_error"]
    assert not error_flag("y", 0.05, [1.0, 2.0, 1e6])["stats"]["large_error"]
    flag = error_flag("y", float("inf"), [1.0, 1.0])
    assert flag["stats"]["large_error"] and flag["stats"]["relative_error"] is None
    assert "max abs error is not finite" in flag["message"]
    # an output that is zero on most runs is measured against its largest run
    assert not error_flag("y", 0.01, [0.0, 0.0, 4.0])["stats"]["large_error"]
    assert error_flag("y", 1e-9, [0.0, 0.0])["stats"]["large_error"]
    assert not error_flag("y", 0.0, [0.0, 0.0])["stats"]["large_error"]
