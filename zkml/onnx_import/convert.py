"""ONNX nodes to the canonical graph: constant folding, handler dispatch, output binding."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np
import onnx
from onnx import helper, numpy_helper

from zkml.onnx_import.builder import Builder, HandlerError, Sym, Value
from zkml.onnx_import.errors import UnsupportedModelError, UnsupportedOpError
from zkml.onnx_import.graph import Graph
from zkml.onnx_import.handlers import HANDLERS, supported_ops
from zkml.onnx_import.loader import TARGET_OPSET, LoadedModel

__all__ = ["to_graph"]

# Folding these would bake one random draw into the model.
_NONDETERMINISTIC = {
    "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial",
    "Bernoulli",
}  # fmt: skip


class _Unsupported:
    """Placeholder for a node output that its handler does not produce."""

    def __init__(self, message: str) -> None:
        self.message = message


def _attr_value(attr: onnx.AttributeProto):
    value = helper.get_attribute_value(attr)
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, onnx.TensorProto):
        return numpy_helper.to_array(value)
    if isinstance(value, list) and value and isinstance(value[0], bytes):
        return [v.decode() for v in value]
    return value


def _fold(node: onnx.NodeProto, inputs: list[np.ndarray | None]) -> list[np.ndarray]:
    from onnx.reference import ReferenceEvaluator

    feeds = {name: arr for name, arr in zip(node.input, inputs, strict=False) if name}
    try:
        evaluator = ReferenceEvaluator(node, opsets={"": TARGET_OPSET})
        return [np.asarray(v) for v in evaluator.run(None, feeds)]
    except Exception as exc:  # the reference evaluator raises many types
        raise HandlerError(f"cannot evaluate this node on its constant inputs: {exc}") from exc


def _check_call(fn: Callable, n_inputs: int, inputs: list, attrs: dict) -> None:
    params = list(inspect.signature(fn).parameters.values())[1:]
    positional = [p for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    variadic = any(p.kind is p.VAR_POSITIONAL for p in params)
    keywords = {p.name: p for p in params if p.kind is p.KEYWORD_ONLY}
    if n_inputs > len(positional) and not variadic:
        raise HandlerError(f"{n_inputs} inputs given, at most {len(positional)} supported")
    for i, p in enumerate(positional):
        if p.default is p.empty and (i >= len(inputs) or inputs[i] is None):
            raise HandlerError(f"required input {p.name!r} is missing")
    for name in attrs:
        if name not in keywords:
            raise HandlerError(f"attribute {name!r} is not supported")
    for name, p in keywords.items():
        if p.default is p.empty and name not in attrs:
            raise HandlerError(f"required attribute {name!r} is missing")


def _inferred_shapes(model: onnx.ModelProto) -> dict[str, tuple[int, ...]]:
    shapes = {}
    for vi in list(model.graph.value_info) + list(model.graph.output):
        t = vi.type.tensor_type
        if vi.type.HasField("tensor_type") and t.HasField("shape"):
            dims = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
            if all(d is not None and d > 0 for d in dims):
                shapes[vi.name] = tuple(dims)
    return shapes


def _unsupported_op(label: str, op: str) -> UnsupportedOpError:
    return UnsupportedOpError(
        f"node '{label}' uses unsupported op '{op}'; supported ops: {', '.join(supported_ops())} "
        "(any other op is accepted only on constant inputs, which are folded)"
    )


def to_graph(loaded: LoadedModel) -> Graph:
    """Translate the loaded model into the canonical float graph (before cleanup)."""
    supported_ops()  # registers the handlers
    model = loaded.model
    graph = Graph()
    b = Builder(graph)
    env: dict[str, Value | _Unsupported] = {}
    for init in model.graph.initializer:
        env[init.name] = numpy_helper.to_array(init)
    for name, shape in loaded.input_shapes.items():
        env[name] = Sym(name, shape)
        graph.inputs[name] = shape
        graph.shapes[name] = shape
    inferred = _inferred_shapes(model)

    for index, node in enumerate(model.graph.node):
        label = node.name or f"{node.op_type}#{index}"
        try:
            _convert_node(b, env, node, label, inferred)
        except HandlerError as exc:
            raise exc.kind(f"node '{label}' ({node.op_type}): {exc}") from exc

    for name in loaded.outputs:
        value = env.get(name)
        if isinstance(value, _Unsupported):
            raise UnsupportedModelError(value.message)
        if not isinstance(value, Sym):
            raise UnsupportedModelError(
                f"output '{name}' is a constant (it does not depend on the input)"
            )
        graph.outputs[name] = value.name
    return graph


def _lookup(env: dict, name: str) -> Value | None:
    if not name:
        return None
    if name not in env:
        raise HandlerError(f"input '{name}' is not defined by any earlier node")
    value = env[name]
    if isinstance(value, _Unsupported):
        raise HandlerError(value.message)
    return value


def _convert_node(b: Builder, env: dict, node: onnx.NodeProto, label: str,
                  inferred: dict[str, tuple[int, ...]]) -> None:
    op = node.op_type
    inputs = [_lookup(env, name) for name in node.input]
    while inputs and inputs[-1] is None:
        inputs.pop()
    if op in _NONDETERMINISTIC:
        raise _unsupported_op(label, op)
    if all(v is None or isinstance(v, np.ndarray) for v in inputs):
        for name, value in zip(node.output, _fold(node, inputs), strict=False):
            env[name] = value
        return
    fn = HANDLERS.get(op)
    if fn is None:
        raise _unsupported_op(label, op)
    attrs = {a.name: _attr_value(a) for a in node.attribute}
    # Float constants reach the handler as float64 arrays, the objects `named_inputs`
    # holds: the builder names a constant after its input by identity, not by value.
    inputs = [np.asarray(v, dtype=np.float64) if isinstance(v, np.ndarray) and
              v.dtype.kind == "f" else v for v in inputs]
    _check_call(fn, len(inputs), inputs, attrs)
    b.source, b.emitted = label, []
    b.named_inputs = {
        name: v for name, v in zip(node.input, inputs, strict=False) if isinstance(v, np.ndarray)
    }
    try:
        result = fn(b, *inputs, **attrs)
    except (ValueError, IndexError, TypeError) as exc:
        raise HandlerError(f"cannot import this node: {exc}") from exc
    results = result if isinstance(result, tuple) else (result,)
    for i, name in enumerate(node.output):
        if not name:
            continue
        if i >= len(results):
            env[name] = _Unsupported(
                f"node '{label}' ({op}): output {i} ('{name}') is not supported"
            )
            continue
        value = results[i]
        if isinstance(value, Sym) and value.name in b.emitted and name not in b.graph.shapes:
            b.rename(value.name, name)
            b.emitted[b.emitted.index(value.name)] = name
            value = Sym(name, value.shape)
        if isinstance(value, Sym) and name in inferred and inferred[name] != value.shape:
            raise HandlerError(
                f"computed shape {value.shape} disagrees with ONNX shape inference {inferred[name]}"
            )
        env[name] = value
