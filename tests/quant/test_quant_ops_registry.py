"""One home per op (zkml.quant.ops): each op module's declaration is the only place an op
is named, the shared tables come from the declarations, and a new op module (or handler
module) is found without a line elsewhere."""

from __future__ import annotations

import inspect
import re
import textwrap
from pathlib import Path

import pytest

import zkml.onnx_import as onnx_import
import zkml.quant.executor as executor
import zkml.quant.fidelity as fidelity
from zkml.onnx_import.graph import CANONICAL_OPS
from zkml.onnx_import.handlers import HANDLERS
from zkml.onnx_import.registry import handler
from zkml.quant.ir import QOPS
from zkml.quant.ops import SPECS, OpSpec, discover

REPO = Path(__file__).resolve().parents[2]

#: Files that build a table from the declarations, or dispatch on them: no op's name
#: may appear in them, except where listed here with why.
SHARED = ["zkml/onnx_import/graph.py", "zkml/onnx_import/reference.py",
          "zkml/onnx_import/handlers.py", "zkml/onnx_import/registry.py",
          "zkml/onnx_import/builder.py", "zkml/onnx_import/convert.py",
          "zkml/quant/ir.py", "zkml/quant/lower.py", "zkml/quant/executor.py",
          "zkml/quant/fidelity.py", "zkml/quant/compiled.py", "zkml/quant/calibrate.py"]
ALLOWED = {
    ("zkml/quant/ir.py", "table"): "the tensor role of a function table, not the op",
    ("zkml/quant/compiled.py", "table"): "the tensor role of a function table, not the op",
    ("zkml/quant/lower.py", "table"): "the tensor role of a function table, not the op",
    ("zkml/quant/lower.py", "rescale"): "Lowering.rescale, which every op's lowering uses "
                                        "to change a tensor's scale, emits it",
}

#: Canonical ops that graph cleanup always rewrites, so they have no lowering.
REMOVED_BY_CLEANUP = {"affine"}


def test_no_shared_file_names_an_op():
    found = []
    for path in SHARED:
        text = (REPO / path).read_text()
        for name in SPECS:
            if f'"{name}"' in text and (path, name) not in ALLOWED:
                found.append(f"{path}: {name}")
    assert not found


def test_the_tables_are_the_declarations():
    assert set(CANONICAL_OPS) == {n for n, s in SPECS.items() if s.reference is not None}
    assert QOPS == {n: s.qattrs for n, s in SPECS.items() if s.execute is not None}
    assert executor._OPS == {n: s.execute for n, s in SPECS.items() if s.execute is not None}
    assert set(fidelity._SATURATING) == {n for n, s in SPECS.items() if s.saturating}
    lowered = {n for n, s in SPECS.items() if s.lower is not None}
    assert lowered == set(CANONICAL_OPS) - REMOVED_BY_CLEANUP


@pytest.mark.parametrize("name", sorted(n for n, s in SPECS.items() if s.canonical))
def test_a_reference_takes_the_declared_inputs_and_attrs(name):
    spec = SPECS[name]
    params = list(inspect.signature(spec.reference).parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    variadic = [p for p in params if p.kind is p.VAR_POSITIONAL]
    declared = []
    for i in spec.inputs:
        if i.startswith("*"):
            declared.append((i[1:], "variadic"))
        else:
            declared.append((i.rstrip("?"), "optional" if i.endswith("?") else "required"))
    got = [(p.name, "required" if p.default is p.empty else "optional") for p in positional]
    got += [(p.name, "variadic") for p in variadic]
    assert got == declared
    keywords = [p.name for p in params if p.kind is p.KEYWORD_ONLY]
    assert keywords == list(spec.attrs)


@pytest.mark.parametrize("name", sorted(n for n, s in SPECS.items() if s.quantized))
def test_an_executor_takes_the_model_the_op_and_the_declared_inputs(name):
    spec = SPECS[name]
    params = list(inspect.signature(spec.execute).parameters.values())
    assert [p.name for p in params[:2]] == ["model", "op"]
    if spec.inputs:
        rest = params[2:]
        assert len(rest) == len(spec.inputs) or rest[-1].kind is rest[-1].VAR_POSITIONAL


def test_a_declaration_is_checked_when_made():
    with pytest.raises(ValueError, match="neither"):
        OpSpec("nothing")
    with pytest.raises(ValueError, match="qattrs and execute"):
        OpSpec("half", reference=abs, qattrs=("shift",))
    with pytest.raises(ValueError, match="need an executor"):
        OpSpec("float_only", reference=abs, saturating=True)
    with pytest.raises(ValueError, match="need a reference"):
        OpSpec("ir_only", qattrs=(), execute=abs, attrs=("axis",))
    assert OpSpec("x", reference=abs).canonical and not OpSpec("x", reference=abs).quantized


def _package(tmp_path: Path, name: str, modules: dict[str, str]) -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text("")
    for module, text in modules.items():
        (root / f"{module}.py").write_text(textwrap.dedent(text))
    return root


_OP_MODULE = """
    from zkml.quant.ops.base import OpSpec
    OPS = (OpSpec({name!r}, inputs=("x",), reference=lambda x: x, qattrs=(),
                  execute=lambda model, op, x: (x, {{}})),)
"""


def test_a_new_op_module_is_found(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    root = _package(tmp_path, "p7ops_new", {"zeta": _OP_MODULE.format(name="zeta"),
                                             "alpha": _OP_MODULE.format(name="alpha"),
                                             "base": "", "_helpers": ""})
    specs = discover([str(root)], "p7ops_new")
    assert list(specs) == ["alpha", "zeta"]  # in module order, helpers skipped


def test_an_op_declared_twice_raises(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    root = _package(tmp_path, "p7ops_twice", {"one": _OP_MODULE.format(name="dup"),
                                               "two": _OP_MODULE.format(name="dup")})
    with pytest.raises(ValueError, match=r"'dup' is declared twice: in p7ops_twice\.one and "
                                         r"in p7ops_twice\.two"):
        discover([str(root)], "p7ops_twice")


def test_a_module_without_ops_raises(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    root = _package(tmp_path, "p7ops_empty", {"stray": "X = 1\n"})
    with pytest.raises(TypeError, match="p7ops_empty.stray must declare OPS"):
        discover([str(root)], "p7ops_empty")


def test_every_handler_module_is_found():
    on_disk = {p.stem for p in Path(onnx_import.__file__).parent.glob("handlers_*.py")}
    loaded = {fn.__module__.rpartition(".")[2] for fn in HANDLERS.values()}
    assert loaded == on_disk


def test_a_second_handler_of_one_onnx_op_raises():
    def Relu(b, X):  # noqa: N802, N803 (named after the ONNX op)
        return X

    with pytest.raises(ValueError, match=re.escape("'Relu' has two handlers")):
        handler(Relu)
    assert handler(HANDLERS["Relu"]) is HANDLERS["Relu"]  # the same one again is harmless
