"""A numpy forward and backward pass of a float ONNX MLP, for the provider's saliency.

Supported ops: Gemm (alpha, beta, transA = 0, any transB), MatMul whose second input is a
2-D initializer, Add with one constant operand, Relu, Flatten (axis 1) and Identity; the
model has one input and its first output is the loss's. Any other op is refused with one
line naming it (ModelError). The dense layers are the Gemm / MatMul nodes with an
initializer weight; a layer's weight is addressed as (output, input), the model stack's
order (circuits/unlearning.md section 1).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from zkml.errors import ModelError

__all__ = ["Net", "Layer", "load_net", "SUPPORTED_OPS"]

SUPPORTED_OPS = ("Gemm", "MatMul", "Add", "Relu", "Flatten", "Identity")


@dataclass(frozen=True)
class Layer:
    """A dense layer: its node, weight initializer name and shape (d_out, d_in)."""

    node: str
    weight: str
    d_out: int
    d_in: int
    input_name: str   # the tensor the layer reads (its X)


@dataclass
class _Step:
    op: str
    name: str
    inputs: list[str]
    output: str
    attrs: dict


class Net:
    """The model's steps, initializers and dense layers (`load_net`)."""

    def __init__(self, steps: list[_Step], consts: dict[str, np.ndarray], inp: str, out: str):
        self.steps, self.consts, self.input, self.output = steps, consts, inp, out
        self.layers: list[Layer] = []
        for s in steps:
            if s.op in ("Gemm", "MatMul"):
                w = self.weight_matrix(s)
                self.layers.append(Layer(s.name, s.inputs[1], w.shape[0], w.shape[1],
                                         s.inputs[0]))

    def layer(self, name: str | None) -> Layer:
        """The layer whose node or weight is `name` (None: the first); ModelError if none."""
        if not self.layers:
            raise ModelError("the model has no dense layer (Gemm or MatMul with an "
                             "initializer weight)")
        if name is None:
            return self.layers[0]
        for layer in self.layers:
            if name in (layer.node, layer.weight):
                return layer
        names = ", ".join(f"{la.node} ({la.weight})" for la in self.layers)
        raise ModelError(f"no dense layer named {name!r}; the model has {names}")

    def weight_matrix(self, s: _Step) -> np.ndarray:
        """The step's weight as (d_out, d_in)."""
        w = self.consts[s.inputs[1]]
        trans = s.op == "Gemm" and s.attrs.get("transB", 0)
        alpha = float(s.attrs.get("alpha", 1.0)) if s.op == "Gemm" else 1.0
        return alpha * (w if trans else w.T)

    def forward(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Every tensor's value on the batch `x` (n, features)."""
        vals = {self.input: x.reshape(x.shape[0], -1)}
        for s in self.steps:
            vals[s.output] = self._run(s, vals)
        return vals

    def _run(self, s: _Step, vals: dict) -> np.ndarray:
        def get(n: str) -> np.ndarray:
            return vals[n] if n in vals else self.consts[n]

        if s.op in ("Gemm", "MatMul"):
            out = vals[s.inputs[0]] @ self.weight_matrix(s).T
            if len(s.inputs) > 2 and s.inputs[2]:
                beta = float(s.attrs.get("beta", 1.0))
                out = out + beta * self.consts[s.inputs[2]]
            return out
        if s.op == "Add":
            return get(s.inputs[0]) + get(s.inputs[1])
        if s.op == "Relu":
            return np.maximum(vals[s.inputs[0]], 0)
        x = vals[s.inputs[0]]  # Flatten (axis 1) and Identity
        return x.reshape(x.shape[0], -1)

    def backward(self, vals: dict, grad_out: np.ndarray, stop: str) -> np.ndarray:
        """d loss / d (output of the node `stop`), per sample, from d loss / d output."""
        grads = {self.output: grad_out}
        for s in reversed(self.steps):
            g = grads.pop(s.output, None)
            if s.name == stop:
                return g if g is not None else np.zeros_like(vals[s.output])
            if g is None:
                continue
            for name, gi in self._back(s, vals, g):
                if name in vals:  # not a constant
                    grads[name] = grads.get(name, 0) + gi
        raise ModelError(f"the layer {stop!r} does not reach the model's output")

    def _back(self, s: _Step, vals: dict, g: np.ndarray):
        if s.op in ("Gemm", "MatMul"):
            return [(s.inputs[0], g @ self.weight_matrix(s))]
        if s.op == "Add":
            return [(n, _unbroadcast(g, vals[n].shape)) for n in s.inputs if n in vals]
        if s.op == "Relu":
            return [(s.inputs[0], g * (vals[s.inputs[0]] > 0))]
        return [(s.inputs[0], g.reshape(vals[s.inputs[0]].shape))]


def _unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    return g.sum(axis=0, keepdims=True) if g.shape != shape and shape[0] == 1 else g


def load_net(path: str | os.PathLike[str]) -> Net:
    """Read an ONNX model into a `Net`; ModelError naming an unsupported op or form."""
    import onnx
    from onnx import numpy_helper

    from zkml.errors import FileError

    if not os.path.isfile(path):
        raise FileError(f"ONNX model not found: {path}")
    try:
        model = onnx.load(str(path))
    except Exception as exc:  # noqa: BLE001 - onnx raises several kinds for a bad file
        raise ModelError(f"{path} is not an ONNX model ({type(exc).__name__})") from None
    g = model.graph
    consts = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in g.initializer}
    inputs = [i.name for i in g.input if i.name not in consts]
    if len(inputs) != 1 or not g.output:
        raise ModelError(f"{path}: the unlearning request supports models with one input")
    steps = []
    for i, node in enumerate(g.node):
        if node.op_type not in SUPPORTED_OPS:
            raise ModelError(f"{path}: op {node.op_type} (node {node.name or i}) is not "
                             f"supported by unlearning requests (supported: "
                             f"{', '.join(SUPPORTED_OPS)})")
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        steps.append(_Step(node.op_type, node.name or f"{node.op_type}_{i}",
                           list(node.input), node.output[0], attrs))
        _check_step(steps[-1], consts, path)
    return Net(steps, consts, inputs[0], g.output[0].name)


def _check_step(s: _Step, consts: dict, path) -> None:
    bad = None
    if s.op in ("Gemm", "MatMul"):
        w = consts.get(s.inputs[1])
        if w is None or w.ndim != 2:
            bad = "its weight is not a 2-D initializer"
        elif s.op == "Gemm" and s.attrs.get("transA", 0):
            bad = "transA is not supported"
        elif s.op == "MatMul" and len(s.inputs) != 2:
            bad = "MatMul takes two inputs"
    elif s.op == "Add" and sum(n in consts for n in s.inputs) != 1:
        bad = "Add needs exactly one constant operand"
    elif s.op == "Flatten" and s.attrs.get("axis", 1) != 1:
        bad = "only Flatten(axis=1) is supported"
    if bad:
        raise ModelError(f"{path}: node {s.name} ({s.op}): {bad}")
