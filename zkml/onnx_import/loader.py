"""Reading an ONNX file: validation, opset conversion, fixed input shapes, shape inference."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import onnx
from onnx import TensorProto, helper, shape_inference, version_converter

from zkml.onnx_import.errors import (
    DynamicShapeError,
    NotOnnxError,
    UnsupportedModelError,
    UnsupportedOpError,
)

__all__ = ["TARGET_OPSET", "LoadedModel", "InputShapes", "load_onnx"]

# Every model is converted to this one opset, so each handler implements one version of
# its op. 21 is the newest opset whose ops we know in full and that onnxruntime runs.
TARGET_OPSET = 21
# onnxruntime rejects IR versions newer than it knows; 10 is the IR of opset 21.
TARGET_IR_VERSION = 10

_FLOAT_INPUTS = {TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16, TensorProto.BFLOAT16}
_NON_NUMERIC = {TensorProto.STRING, TensorProto.UNDEFINED}

InputShapes = Sequence[int] | Mapping[str, Sequence[int]] | None


@dataclass
class LoadedModel:
    """A validated model at TARGET_OPSET with static input shapes and chosen outputs."""

    model: onnx.ModelProto
    path: Path
    sha256: str
    source_opset: int
    input_shapes: dict[str, tuple[int, ...]]
    outputs: list[str]


def _read(path: Path) -> tuple[onnx.ModelProto, bytes]:
    from zkml.errors import FileError

    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise FileError(f"ONNX model not found: {path}") from exc
    except OSError as exc:  # a directory, no permission
        raise FileError.from_os(exc, "read the ONNX model", path) from exc
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf raises several unrelated types
        raise NotOnnxError(f"{path} is not an ONNX model (it does not parse as one)") from exc
    # onnx.checker is stricter than the exporters in use (it rejects outputs without a
    # shape, which onnxruntime accepts), so only what import needs is checked here.
    if model.ir_version <= 0 or not model.opset_import or not model.graph.output:
        raise NotOnnxError(f"{path} is not an ONNX model (no IR version, opset or outputs)")
    if any(t.data_location == TensorProto.EXTERNAL for t in model.graph.initializer):
        try:
            onnx.load_external_data_for_model(model, str(path.parent))
        except OSError as exc:
            raise NotOnnxError(f"{path}: cannot read its external weights ({exc})") from exc
    return model, data


def _default_opset(model: onnx.ModelProto) -> int:
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx"):
            return int(imp.version)
    raise UnsupportedModelError("the model imports no version of the default ONNX domain")


def _check_domains(model: onnx.ModelProto) -> None:
    from zkml.onnx_import.handlers import supported_ops

    for i, node in enumerate(model.graph.node):
        if node.domain not in ("", "ai.onnx"):
            name = node.name or f"#{i}"
            raise UnsupportedOpError(
                f"node '{name}' uses unsupported op '{node.domain}:{node.op_type}'; "
                f"supported ops: {', '.join(supported_ops())}"
            )


def _convert(model: onnx.ModelProto, opset: int) -> onnx.ModelProto:
    if opset != TARGET_OPSET:
        try:
            model = version_converter.convert_version(model, TARGET_OPSET)
        except Exception as exc:
            raise UnsupportedModelError(
                f"cannot convert the model from opset {opset} to opset {TARGET_OPSET}: "
                f"{str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}"
            ) from exc
    model.ir_version = TARGET_IR_VERSION
    return model


def _dims(vi: onnx.ValueInfoProto) -> list[int | str] | None:
    t = vi.type.tensor_type
    if not t.HasField("shape"):
        return None
    return [
        d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else (d.dim_param or "?")
        for d in t.shape.dim
    ]


def _example_shape(dims: list[int | str] | None) -> list[str]:
    if dims is None:
        return ["1", "..."]
    return [str(d) if isinstance(d, int) else "1" for d in dims]


def _shape_advice(name: str, dims: list[int | str] | None, *, several: bool) -> str:
    """How to give an input's shape, for a Python caller and on the command line (a model
    with several inputs needs each named): 'input_shape=(1, 4) in Python, --input-shape
    1,4 on the command line'."""
    example = _example_shape(dims)
    py = "(" + ", ".join(example) + ("," if len(example) == 1 else "") + ")"
    cli = ",".join(example)
    if several:
        py, cli = f"{{{name!r}: {py}, ...}}", f"{name}={cli}"
    return f"for example input_shape={py} in Python, --input-shape {cli} on the command line"


def _fix_inputs(model: onnx.ModelProto, given: InputShapes) -> dict[str, tuple[int, ...]]:
    init = {t.name for t in model.graph.initializer}
    real = [vi for vi in model.graph.input if vi.name not in init]
    if not real:
        raise UnsupportedModelError("the model has no inputs")
    if given is not None and not isinstance(given, Mapping):
        if len(real) != 1:
            names = ", ".join(vi.name for vi in real)
            raise UnsupportedModelError(
                f"the model has {len(real)} inputs ({names}); give each shape by name "
                "(input_shape={name: shape} in Python, --input-shape NAME=DIMS on the "
                "command line)"
            )
        given = {real[0].name: given}
    given = dict(given or {})
    unknown = set(given) - {vi.name for vi in real}
    if unknown:
        names = ", ".join(vi.name for vi in real)
        raise UnsupportedModelError(
            f"no input named {sorted(unknown)[0]!r}; the model's inputs are: {names}"
        )
    shapes: dict[str, tuple[int, ...]] = {}
    for vi in real:
        if not vi.type.HasField("tensor_type"):
            raise UnsupportedModelError(f"input '{vi.name}' is not a tensor")
        elem = vi.type.tensor_type.elem_type
        if elem not in _FLOAT_INPUTS:
            raise UnsupportedModelError(
                f"input '{vi.name}' has type {TensorProto.DataType.Name(elem)}; "
                "only float inputs are supported"
            )
        dims = _dims(vi)
        if vi.name in given:
            shape = tuple(int(d) for d in given[vi.name])
            if min(shape, default=1) <= 0:
                raise UnsupportedModelError(f"input shape {shape} for '{vi.name}' is not positive")
            if dims is not None and (
                len(dims) != len(shape)
                or any(isinstance(d, int) and d != s for d, s in zip(dims, shape, strict=True))
            ):
                raise UnsupportedModelError(
                    f"input shape {shape} does not match the model's input '{vi.name}' "
                    f"of shape ({', '.join(str(d) for d in dims)})"
                )
        else:
            if dims is None or any(not isinstance(d, int) for d in dims):
                shown = "unknown rank" if dims is None else "(" + ", ".join(map(str, dims)) + ")"
                raise DynamicShapeError(
                    f"input '{vi.name}' has dynamic dimensions {shown}; give its shape "
                    f"({_shape_advice(vi.name, dims, several=len(real) > 1)})"
                )
            shape = tuple(int(d) for d in dims)
        shapes[vi.name] = shape
        vi.type.tensor_type.ClearField("shape")
        for d in shape:
            vi.type.tensor_type.shape.dim.add().dim_value = d
    return shapes


def _pick_outputs(model: onnx.ModelProto, wanted: Sequence[str] | None) -> list[str]:
    declared = {vi.name: vi for vi in model.graph.output}
    if wanted is None:
        picked = [
            vi.name
            for vi in model.graph.output
            if vi.type.HasField("tensor_type") and vi.type.tensor_type.elem_type not in _NON_NUMERIC
        ]
        if not picked:
            raise UnsupportedModelError("the model has no numeric tensor outputs")
        return picked
    produced = {o for node in model.graph.node for o in node.output if o}
    for name in wanted:
        if name not in declared and name not in produced:
            raise UnsupportedModelError(
                f"no output or tensor named {name!r}; the model's outputs are: "
                + ", ".join(declared)
            )
    if len(set(wanted)) != len(wanted):
        raise UnsupportedModelError("an output is named twice")
    return list(wanted)


def load_onnx(
    path: str | Path, input_shape: InputShapes = None, outputs: Sequence[str] | None = None
) -> LoadedModel:
    """Read, validate and normalize a model (see the package docstring)."""
    path = Path(path)
    model, data = _read(path)
    if model.functions:
        # Exporters (torch.onnx dynamo) wrap modules in model-local functions.
        from onnx import inliner

        try:
            model = inliner.inline_local_functions(model, convert_version=True)
        except Exception as exc:
            raise UnsupportedModelError(
                f"cannot inline the model's local functions: {exc}"
            ) from exc
    opset = _default_opset(model)
    _check_domains(model)
    model = _convert(model, opset)
    shapes = _fix_inputs(model, input_shape)
    try:
        model = shape_inference.infer_shapes(model, data_prop=True)
    except Exception:  # inference is a cross-check only: the handlers compute shapes
        pass
    picked = _pick_outputs(model, outputs)
    return LoadedModel(model, path, hashlib.sha256(data).hexdigest(), opset, shapes, picked)


def reference_model(loaded: LoadedModel) -> onnx.ModelProto:
    """The loaded model with exactly the chosen outputs, for onnxruntime."""
    model = onnx.ModelProto()
    model.CopyFrom(loaded.model)
    known = {vi.name: vi for vi in list(model.graph.output) + list(model.graph.value_info)}
    del model.graph.output[:]
    for name in loaded.outputs:
        vi = known.get(name) or helper.make_tensor_value_info(name, TensorProto.FLOAT, None)
        model.graph.output.append(vi)
    return model
