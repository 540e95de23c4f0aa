"""Messages the library raises speak to Python callers and to the command line alike.

An error or warning raised by the API reaches Python callers as well as `zkml` users, so
advice that names a command-line flag (`--force`) or command (`zkml compile`) must also
name what a Python caller passes, in one form: "(overwrite=True in Python, --force on
the command line)". The scan reads every raise and warning of the package (the `zkml`
command's own modules excepted: only the command line reads those).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper

import zkml
from zkml.errors import OutputExistsError
from zkml.onnx_import.errors import DynamicShapeError

PACKAGE = Path(zkml.__file__).resolve().parent
# a flag (--force) or a command to run (`zkml compile`) in a message; a report such as
# "zkml verify exited with 1" is no advice
CLI_WORDS = re.compile(r"(?<![\w-])--[a-z]|`zkml (compile|prove|verify|inspect|demo)\b")
BOTH = ("in Python", "on the command line")


def _message_calls(tree: ast.AST):
    """Calls that build an exception or warning, or print a failure: `FooError(...)`,
    `FooWarning(...)`, `warnings.warn(...)`, `_fail(...)`."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
        if name.endswith(("Error", "Warning")) or name in ("warn", "_fail"):
            yield node


def _text(call: ast.Call) -> str:
    """The literal text of a call's arguments (f-string parts included)."""
    parts = [n.value for arg in [*call.args, *(k.value for k in call.keywords)]
             for n in ast.walk(arg) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return "".join(parts)


def _sources() -> list[Path]:
    # zkml/cli is a symlink to the command's package: its messages are for the command line
    return sorted(p for p in PACKAGE.rglob("*.py") if "cli" not in p.relative_to(PACKAGE).parts)


def test_the_scan_reads_the_package():
    files = _sources()
    assert PACKAGE / "api.py" in files and PACKAGE / "filewrite.py" in files
    assert not any("cli" in p.relative_to(PACKAGE).parts for p in files)


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_cli_advice_also_tells_a_python_caller(path):
    bad = []
    for call in _message_calls(ast.parse(path.read_text(), str(path))):
        text = _text(call)
        if CLI_WORDS.search(text) and not all(word in text for word in BOTH):
            bad.append(f"{path.name}:{call.lineno}: {text}")
    assert not bad, "\n".join(bad)


def test_the_scan_catches_a_flag_for_the_command_line_alone():
    tree = ast.parse('raise FileError(f"{p} exists; pass --force")\n'
                     'warnings.warn("give --calibration", CalibrationWarning)\n'
                     'raise ModelError("recompile it with `zkml compile`")\n'
                     'raise FileError("exists (overwrite=True in Python, --force on the '
                     'command line)")\n')
    flagged = [c for c in _message_calls(tree)
               if CLI_WORDS.search(_text(c)) and not all(w in _text(c) for w in BOTH)]
    assert [c.lineno for c in flagged] == [1, 2, 3]


def test_an_existing_output_names_overwrite_and_force(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parent / "inference"))
    from inference_models import mlp, save

    out = tmp_path / "m.vk"
    out.write_bytes(b"keep")
    with pytest.raises(OutputExistsError) as info:
        zkml.compile(save(mlp([4, 3], seed=1), tmp_path, "m.onnx"),
                     calibration=np.zeros((2, 4)), vk_path=out)
    assert str(info.value) == (f"{out} exists; choose another output path or allow overwriting "
                               "it (overwrite=True in Python, --force on the command line)")
    assert out.read_bytes() == b"keep"


@pytest.mark.parametrize("inputs, python, cli", [
    (["x"], "input_shape=(1, 4) in Python", "--input-shape 1,4 on the command line"),
    (["x", "y"], "input_shape={'x': (1, 4), ...} in Python",
     "--input-shape x=1,4 on the command line"),
])
def test_a_dynamic_shape_tells_both_ways_to_fix_it(tmp_path, inputs, python, cli):
    from zkml.onnx_import.loader import load_onnx

    vis = [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch", 4]) for n in inputs]
    out = helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 4])
    node = helper.make_node("Relu" if len(inputs) == 1 else "Add", inputs, ["z"])
    model = helper.make_model(helper.make_graph([node], "g", vis, [out]))
    path = tmp_path / "dyn.onnx"
    path.write_bytes(model.SerializeToString())
    with pytest.raises(DynamicShapeError) as info:
        load_onnx(path)
    assert f"give its shape (for example {python}, {cli})" in str(info.value)
