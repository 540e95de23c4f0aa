"""Bad models: each gives its documented exception, and one line plus exit 2 from the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper
from quant_models import f32, make_model, save

from zkml.compile_api import compile_model
from zkml.errors import FileError, InputError
from zkml.onnx_import import supported_ops
from zkml.onnx_import.errors import (
    DynamicShapeError,
    NonConstantWeightError,
    NotOnnxError,
    UnsupportedModelError,
    UnsupportedOpError,
)

REPO = Path(__file__).resolve().parents[2]


def _unsupported_op_model():
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="act"),
             helper.make_node("Sqrt", ["r"], ["y"], name="my_sqrt")]
    return make_model(nodes, {"x": [1, 4]}, ["y"])


def _dynamic_model():
    return make_model([helper.make_node("Relu", ["x"], ["y"])], {"x": ["batch", 4]}, ["y"])


def _nonconst_conv_model():
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv0")
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 5, 5]),
         helper.make_tensor_value_info("w", TensorProto.FLOAT, [3, 2, 3, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    return model


def _matmul_of_inputs_model():
    nodes = [helper.make_node("Transpose", ["x"], ["t"]),
             helper.make_node("MatMul", ["x", "t"], ["y"], name="attn")]
    return make_model(nodes, {"x": [3, 4]}, ["y"])


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    text = tmp_path / "text.onnx"
    text.write_text("this is not a model\n")
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    noise = tmp_path / "noise.onnx"
    noise.write_bytes(np.random.default_rng(0).bytes(300))
    return {"text": text, "empty": empty, "noise": noise, "missing": tmp_path / "nope.onnx"}


def test_unsupported_op_names_node_op_and_supported_list(tmp_path):
    with pytest.raises(UnsupportedOpError) as exc:
        compile_model(save(_unsupported_op_model(), tmp_path))
    msg = str(exc.value)
    assert "'my_sqrt'" in msg and "'Sqrt'" in msg
    assert "supported ops: " in msg and all(op in msg for op in ("Conv", "Gemm", "Softmax"))
    assert "\n" not in msg


def test_supported_ops_cover_the_issue_list():
    required = {"Gemm", "MatMul", "Conv", "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu",
                "Clip", "MaxPool", "AveragePool", "GlobalAveragePool", "Concat", "Sigmoid",
                "Tanh", "Softmax", "Gelu", "Erf", "ArgMax", "BatchNormalization", "Dropout",
                "Identity", "Cast", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose"}
    assert required <= set(supported_ops())


def test_custom_domain_op_is_unsupported(tmp_path):
    node = helper.make_node("FusedThing", ["x"], ["y"], domain="com.example", name="fused")
    model = make_model([node], {"x": [1, 4]}, ["y"])
    model.opset_import.append(helper.make_opsetid("com.example", 1))
    with pytest.raises(UnsupportedOpError, match="'fused' uses unsupported op 'com.example"):
        compile_model(save(model, tmp_path))


def test_dynamic_dims_need_input_shape(tmp_path):
    path = save(_dynamic_model(), tmp_path)
    with pytest.raises(DynamicShapeError, match=r"'x' has dynamic dimensions \(batch, 4\).*"
                                                r"--input-shape 1,4"):
        compile_model(path)
    cm = compile_model(path, input_shape=(2, 4), calibration=np.ones((1, 2, 4)))
    assert cm.model.tensor("x").shape == (2, 4)
    with pytest.raises(UnsupportedModelError, match="does not match"):
        compile_model(path, input_shape=(2, 5))


@pytest.mark.parametrize("factory,match", [
    (_nonconst_conv_model, r"node 'conv0' \(Conv\): weight W \('w'\) is computed from the "
                           "model input"),
    (_matmul_of_inputs_model, r"node 'attn' \(MatMul\): MatMul of two computed tensors"),
])
def test_non_constant_weights(tmp_path, factory, match):
    with pytest.raises(NonConstantWeightError, match=match):
        compile_model(save(factory(), tmp_path), input_shape={"x": [1, 2, 5, 5]}
                      if factory is _nonconst_conv_model else None)


def test_division_by_tensor_is_non_constant(tmp_path):
    model = make_model([helper.make_node("Div", ["x", "x"], ["y"], name="d")], {"x": [2]},
                       ["y"])
    with pytest.raises(NonConstantWeightError, match="divisor must be a constant"):
        compile_model(save(model, tmp_path))


@pytest.mark.parametrize("kind", ["text", "empty", "noise", "missing"])
def test_not_onnx(tmp_path, kind):
    with pytest.raises(FileError if kind == "missing" else NotOnnxError):
        compile_model(_bad_files(tmp_path)[kind])


def test_integer_input_and_unknown_output(tmp_path):
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.INT64, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.INT64, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    with pytest.raises(UnsupportedModelError, match="only float inputs"):
        compile_model(save(model, tmp_path))
    ok = make_model([helper.make_node("Relu", ["x"], ["y"])], {"x": [2]}, ["y"])
    with pytest.raises(UnsupportedModelError, match="no output or tensor named 'z'.*: y"):
        compile_model(save(ok, tmp_path, "ok.onnx"), outputs=["z"])


def test_bad_calibration_data(tmp_path):
    path = save(make_model([helper.make_node("Relu", ["x"], ["y"])], {"x": [1, 4]}, ["y"]),
                tmp_path)
    with pytest.raises(InputError, match="shape"):
        compile_model(path, calibration=np.ones((3, 5)))
    bad = tmp_path / "cal.txt"
    bad.write_text("1 2 3")
    with pytest.raises(InputError, match=r"\.npy, \.npz or \.json"):
        compile_model(path, calibration=bad)
    huge = tmp_path / "huge.json"  # an integer float64 cannot hold
    huge.write_text("[[" + "1" + "0" * 400 + ", 0, 0, 0]]")
    with pytest.raises(InputError, match="not numeric"):
        compile_model(path, calibration=huge)
    with pytest.raises(InputError, match="precision"):
        compile_model(path, precision="huge")


def test_refuses_to_overwrite_input(tmp_path):
    path = save(make_model([helper.make_node("Relu", ["x"], ["y"])], {"x": [1, 4]}, ["y"]),
                tmp_path)
    before = path.read_bytes()
    with pytest.raises(FileError, match="refusing to overwrite the input file"):
        compile_model(path, output_path=path, overwrite=True)
    assert path.read_bytes() == before


# -- CLI: one line on stderr, exit status 2 ------------------------------------------------

def _cli(args: list[str], capsys) -> tuple[int, str, str]:
    from zkml.cli.main import main

    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def _error_cases(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    files = _bad_files(tmp_path)
    (tmp_path / "u").mkdir()
    (tmp_path / "d").mkdir()
    (tmp_path / "w").mkdir()
    return {
        "unsupported": ([str(save(_unsupported_op_model(), tmp_path / "u"))],
                        "unsupported op 'Sqrt'"),
        "dynamic": ([str(save(_dynamic_model(), tmp_path / "d"))], "--input-shape"),
        "weights": ([str(save(_nonconst_conv_model(), tmp_path / "w")), "--input-shape",
                     "x=1,2,5,5"], "must be a constant"),
        "not_onnx": ([str(files["text"])], "is not an ONNX model"),
        "missing": ([str(files["missing"])], "ONNX model not found"),
    }


@pytest.mark.parametrize("case", ["unsupported", "dynamic", "weights", "not_onnx", "missing"])
def test_cli_errors_are_one_line(tmp_path, capsys, case):
    args, needle = _error_cases(tmp_path)[case]
    code, out, err = _cli(["compile", *args, "--quiet"], capsys)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: ") and needle in err
    assert out == ""


def test_cli_error_exit_status_in_a_real_process(tmp_path):
    path = _bad_files(tmp_path)["text"]
    proc = subprocess.run([sys.executable, "-m", "zkml.cli.main", "compile", str(path)],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "is not an ONNX model" in proc.stderr


def test_cli_compile_prints_report_and_writes_file(tmp_path, capsys):
    rng = np.random.default_rng(0)
    w = rng.normal(size=(4, 3))
    cal = tmp_path / "cal.json"
    cal.write_text(str(rng.normal(size=(6, 4)).tolist()))
    # An ArgMax across the batch axis quantizes but cannot be proven (the circuit's ArgMax
    # output is one index per row, inference.md section 4b): compile refuses it.
    nodes = [helper.make_node("MatMul", ["x", "W"], ["h"]),
             helper.make_node("ArgMax", ["h"], ["label"], axis=0, keepdims=0)]
    model = make_model(nodes, {"x": ["N", 4]}, {"label": TensorProto.INT64}, {"W": f32(w)})
    path = save(model, tmp_path, "s.onnx")
    code, out, err = _cli(["compile", str(path), "--calibration", str(cal), "--input-shape",
                           "1,4", "--precision", "small"], capsys)
    assert code == 2 and "cannot be proven yet" in err
    assert not (tmp_path / "s.zkmlc").exists() and not (tmp_path / "s.vk").exists()

    nodes = [helper.make_node("MatMul", ["x", "W"], ["h"]),
             helper.make_node("Relu", ["h"], ["y"])]
    model = make_model(nodes, {"x": ["N", 4]}, ["y"], {"W": f32(w)})
    path = save(model, tmp_path, "m.onnx")
    code, out, err = _cli(["compile", str(path), "--calibration", str(cal), "--input-shape",
                           "1,4", "--precision", "small"], capsys)
    assert code == 0, err
    assert "fidelity: float (onnxruntime) vs quantized on 6 calibration sample(s)" in out
    assert "argmax agree" in out and "precision small" in out
    assert (tmp_path / "m.zkmlc").is_file() and (tmp_path / "m.vk").is_file()
    code, out, err = _cli(["compile", str(path), "--input-shape", "1,4", "-o",
                           str(tmp_path / "x.zkmlc"), "--vk", str(tmp_path / "x.vk")], capsys)
    assert code == 0 and "warning: no calibration samples" in err
    code, out, err = _cli(["compile", str(path), "--input-shape", "1,4", "--quiet", "-o",
                           str(tmp_path / "q.zkmlc"), "--vk", str(tmp_path / "q.vk")], capsys)
    assert code == 0 and out == "" and err == ""
