"""Small ONNX models for the inference tests (onnx.helper, fixed seeds) and the helpers
that compile them."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from zkml.compiler.circuit import ROW_OPS, WINDOW_OPS, Circuit

OPSET = 17


def f32(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)


def make_model(nodes, inputs: dict, outputs: dict | list, inits: dict | None = None,
               opset: int = OPSET) -> onnx.ModelProto:
    """A model with float inputs; `outputs` as names (float) or name -> TensorProto type."""
    if isinstance(outputs, list):
        outputs = dict.fromkeys(outputs, TensorProto.FLOAT)
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs.items()],
        [helper.make_tensor_value_info(n, t, None) for n, t in outputs.items()],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in (inits or {}).items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8 if opset <= 17 else 10
    return model


def save(model: onnx.ModelProto, directory: Path, name: str = "model.onnx") -> Path:
    path = Path(directory) / name
    onnx.save(model, str(path))
    return path


def mlp(dims: list[int], *, residual: bool = False, clip: float | None = None,
        bias: bool = True, seed: int = 0, in_shape: list | None = None) -> onnx.ModelProto:
    """Gemm/Relu layers of widths `dims`; with `residual`, each square hidden layer adds its
    input back (Add after the Relu); with `clip`, hidden activations are Clip(0, clip)
    (ReLU6-style) instead of Relu. The last layer is a plain Gemm."""
    rng = np.random.default_rng(seed)
    nodes, inits = [], {}
    x = "x"
    if in_shape is not None and len(in_shape) > 2:
        nodes.append(helper.make_node("Flatten", ["x"], ["flat"], axis=1, name="flatten"))
        x = "flat"
    layers = len(dims) - 1
    for i in range(layers):
        w, b = f"W{i}", f"b{i}"
        inits[w] = f32(rng.normal(0, np.sqrt(2.0 / dims[i]), size=(dims[i], dims[i + 1])))
        ins = [x, w]
        if bias:
            inits[b] = f32(rng.normal(0, 0.1, size=dims[i + 1]))
            ins.append(b)
        out = "y" if i == layers - 1 else f"h{i}"
        nodes.append(helper.make_node("Gemm", ins, [out], name=f"fc{i}"))
        if i == layers - 1:
            break
        act = f"a{i}"
        if clip is not None:
            lo, hi = f"lo{i}", f"hi{i}"
            inits[lo], inits[hi] = f32(0.0), f32(clip)
            nodes.append(helper.make_node("Clip", [out, lo, hi], [act], name=f"clip{i}"))
        else:
            nodes.append(helper.make_node("Relu", [out], [act], name=f"relu{i}"))
        if residual and dims[i] == dims[i + 1] and x != "x":
            nodes.append(helper.make_node("Add", [act, x], [f"r{i}"], name=f"res{i}"))
            act = f"r{i}"
        x = act
    shape = in_shape or [1, dims[0]]
    return make_model(nodes, {"x": shape}, ["y"], inits)


def compile_mlp(tmp_path: Path, dims: list[int], *, calibration=None, name: str = "mlp",
                **kwargs):
    """Build, save and `zkml.compile` an MLP; returns (compiled, onnx path). Non-hiding
    (kind 3, several times faster to verify) unless `hiding=True` is passed."""
    import zkml

    opts = {k: kwargs.pop(k) for k in ("precision", "input_shape", "hiding") if k in kwargs}
    opts.setdefault("hiding", False)
    model = mlp(dims, **kwargs)
    if calibration is None:
        shape = kwargs.get("in_shape") or [1, dims[0]]
        calibration = np.random.default_rng(1).normal(size=(32, *shape[1:]))
    path = save(model, tmp_path, f"{name}.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return zkml.compile(path, calibration=calibration, **opts), path


def with_argmax(model: onnx.ModelProto, keepdims: int = 0) -> onnx.ModelProto:
    """The same model with an ArgMax over the features of its output `y` as the output."""
    graph = model.graph
    nodes = list(graph.node)
    for node in nodes:
        for i, name in enumerate(node.output):
            if name == "y":
                node.output[i] = "logits"
    nodes.append(helper.make_node("ArgMax", ["logits"], ["y"], axis=1, keepdims=keepdims,
                                  name="argmax"))
    shape = [d.dim_value or d.dim_param for d in graph.input[0].type.tensor_type.shape.dim]
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    return make_model(nodes, {"x": shape}, {"y": TensorProto.INT64}, inits)


def leaky_mlp(dims: list[int], alpha: float, *, seed: int = 0, on_input: bool = False,
              after: str | None = None) -> onnx.ModelProto:
    """Gemm layers of widths `dims` with LeakyRelu(alpha) between them; with `on_input`,
    a LeakyRelu of the model input first; with `after` ("relu" or "clip"), each hidden
    LeakyRelu is followed by that activation (Clip(-0.5, 2))."""
    rng = np.random.default_rng(seed)
    nodes, inits = [], {}
    x = "x"
    if on_input:
        nodes.append(helper.make_node("LeakyRelu", ["x"], ["xl"], alpha=alpha, name="lk_in"))
        x = "xl"
    layers = len(dims) - 1
    for i in range(layers):
        w, b = f"W{i}", f"b{i}"
        inits[w] = f32(rng.normal(0, np.sqrt(2.0 / dims[i]), size=(dims[i], dims[i + 1])))
        inits[b] = f32(rng.normal(0, 0.1, size=dims[i + 1]))
        out = "y" if i == layers - 1 else f"h{i}"
        nodes.append(helper.make_node("Gemm", [x, w, b], [out], name=f"fc{i}"))
        if i == layers - 1:
            break
        x = f"a{i}"
        nodes.append(helper.make_node("LeakyRelu", [out], [x], alpha=alpha, name=f"lk{i}"))
        if after == "relu":
            nodes.append(helper.make_node("Relu", [x], [f"r{i}"], name=f"relu{i}"))
            x = f"r{i}"
        elif after == "clip":
            lo, hi = f"lo{i}", f"hi{i}"
            inits[lo], inits[hi] = f32(-0.5), f32(2.0)
            nodes.append(helper.make_node("Clip", [x, lo, hi], [f"c{i}"], name=f"clip{i}"))
            x = f"c{i}"
    return make_model(nodes, {"x": [1, dims[0]]}, ["y"], inits)


def compile_circuit_only(tmp_path: Path, model: onnx.ModelProto, *, calibration=None,
                         name: str = "model", **opts):
    """Quantize and compile `model` into a circuit without committing it (no native
    module needed): a `zkml.compiled_model.CompiledModel` with `compiled_circuit` but no
    verifying key, enough for the compiler and witness tests."""
    from zkml.compile_api import compile_model
    from zkml.compiled_model import CompiledModel
    from zkml.compiler.build import compile_circuit

    path = save(model, tmp_path, f"{name}.onnx")
    if calibration is None:
        dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
        calibration = np.random.default_rng(1).normal(size=(32, *dims[1:]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = compile_model(path, calibration=calibration, **opts)
    return CompiledModel(base.model, base.fidelity, base.source, base.extra_sections,
                         compiled_circuit=compile_circuit(base.model))


def _out_len(n: int, k: int, s: int, d: int, pb: int, pe: int, ceil_mode: bool = False) -> int:
    span = n + pb + pe - ((k - 1) * d + 1)
    return (-(-span // s) if ceil_mode else span // s) + 1


class Net:
    """A CNN built node by node with onnx.helper (float weights from a fixed seed).

    The current tensor is `self.x` with shape `self.shape` (batch first); every method
    appends a node and returns `self`. `model()` ends with the current tensor as `y`.
    """

    def __init__(self, in_shape: list[int], seed: int = 0):
        self.rng = np.random.default_rng(seed)
        self.in_shape = list(in_shape)
        self.shape = list(in_shape)
        self.x = "x"
        self.nodes: list = []
        self.inits: dict = {}
        self.shapes: dict[str, list[int]] = {"x": list(in_shape)}
        self.opset = OPSET

    def _emit(self, op: str, inputs: list[str], shape: list[int], **attrs) -> Net:
        name = f"{op.lower()}{len(self.nodes)}"
        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        self.x, self.shape = name, list(shape)
        self.shapes[name] = list(shape)
        return self

    def conv(self, c_out: int, kernel, *, strides=None, pads=None, dilations=None,
             group: int = 1, bias: bool = True) -> Net:
        """ONNX Conv; `pads` as ONNX's `[begin.., end..]`."""
        n = len(self.shape) - 2
        k = [kernel] * n if isinstance(kernel, int) else list(kernel)
        strides, dilations = strides or [1] * n, dilations or [1] * n
        pads = pads or [0] * (2 * n)
        c_in = self.shape[1]
        fan = c_in // group * int(np.prod(k))
        w = f"W{len(self.nodes)}"
        self.inits[w] = f32(self.rng.normal(0, np.sqrt(2.0 / fan), size=(c_out, c_in // group, *k)))
        ins = [self.x, w]
        if bias:
            ins.append(f"b{len(self.nodes)}")
            self.inits[ins[-1]] = f32(self.rng.normal(0, 0.1, size=c_out))
        out = [self.shape[0], c_out] + [
            _out_len(self.shape[2 + a], k[a], strides[a], dilations[a], pads[a], pads[n + a])
            for a in range(n)]
        return self._emit("Conv", ins, out, kernel_shape=k, strides=strides, pads=pads,
                          dilations=dilations, group=group)

    def relu(self) -> Net:
        return self._emit("Relu", [self.x], self.shape)

    def clip(self, lo: float, hi: float) -> Net:
        i = len(self.nodes)
        self.inits[f"lo{i}"], self.inits[f"hi{i}"] = f32(lo), f32(hi)
        return self._emit("Clip", [self.x, f"lo{i}", f"hi{i}"], self.shape)

    def leaky(self, alpha: float = 0.1) -> Net:
        return self._emit("LeakyRelu", [self.x], self.shape, alpha=alpha)

    def bn(self) -> Net:
        c = self.shape[1]
        i = len(self.nodes)
        names = [f"{p}{i}" for p in ("gamma", "beta", "mean", "var")]
        self.inits[names[0]] = f32(self.rng.uniform(0.5, 1.5, size=c))
        self.inits[names[1]] = f32(self.rng.normal(0, 0.1, size=c))
        self.inits[names[2]] = f32(self.rng.normal(0, 0.1, size=c))
        self.inits[names[3]] = f32(self.rng.uniform(0.5, 1.5, size=c))
        return self._emit("BatchNormalization", [self.x, *names], self.shape, epsilon=1e-5)

    def pool(self, kind: str, kernel, strides=None, pads=None, ceil_mode: int = 0,
             **attrs) -> Net:
        """`kind` "avg" or "max"."""
        n = len(self.shape) - 2
        k = [kernel] * n if isinstance(kernel, int) else list(kernel)
        strides = strides or k
        pads = pads or [0] * (2 * n)
        dil = attrs.get("dilations") or [1] * n
        out = self.shape[:2] + [
            _out_len(self.shape[2 + a], k[a], strides[a], dil[a], pads[a], pads[n + a],
                     bool(ceil_mode)) for a in range(n)]
        op = "AveragePool" if kind == "avg" else "MaxPool"
        return self._emit(op, [self.x], out, kernel_shape=k, strides=strides, pads=pads,
                          ceil_mode=ceil_mode, **attrs)

    def act(self, op: str, **attrs) -> Net:
        """An elementwise activation node (Sigmoid, Tanh, Erf, Exp, Gelu, ...)."""
        if op == "Gelu":
            self.opset = max(self.opset, 20)
        return self._emit(op, [self.x], self.shape, **attrs)

    def reduce_mean(self, axes: list[int], keepdims: int = 1) -> Net:
        """ReduceMean with `axes` as an attribute (opset 17)."""
        red = {a % len(self.shape) for a in axes}
        shape = [1 if i in red else d for i, d in enumerate(self.shape) if keepdims or i not in red]
        return self._emit("ReduceMean", [self.x], shape, axes=axes, keepdims=keepdims)

    def global_pool(self, kind: str) -> Net:
        op = "GlobalAveragePool" if kind == "avg" else "GlobalMaxPool"
        return self._emit(op, [self.x], self.shape[:2] + [1] * (len(self.shape) - 2))

    def add(self, other: str) -> Net:
        assert self.shapes[other] == self.shape
        return self._emit("Add", [self.x, other], self.shape)

    def softmax(self, axis: int = -1) -> Net:
        return self._emit("Softmax", [self.x], self.shape, axis=axis)

    def flatten(self) -> Net:
        return self._emit("Flatten", [self.x], [self.shape[0], int(np.prod(self.shape[1:]))],
                          axis=1)

    def gemm(self, n_out: int) -> Net:
        n_in = self.shape[1]
        i = len(self.nodes)
        self.inits[f"W{i}"] = f32(self.rng.normal(0, np.sqrt(2.0 / n_in), size=(n_in, n_out)))
        self.inits[f"b{i}"] = f32(self.rng.normal(0, 0.1, size=n_out))
        return self._emit("Gemm", [self.x, f"W{i}", f"b{i}"], [self.shape[0], n_out])

    def model(self) -> onnx.ModelProto:
        self.nodes[-1].output[0] = "y"
        return make_model(self.nodes, {"x": self.in_shape}, ["y"], self.inits, self.opset)


def softmax_mlp(dims: list[int], *, rows: int = 1, seed: int = 0,
                argmax: bool = False) -> onnx.ModelProto:
    """Gemm/Relu layers of widths `dims` (input `[rows, dims[0]]`) ending in a Softmax over
    the last `dims[-1]` logits, the model's output (nonlinear.md section 7); with `argmax`,
    an ArgMax of the probabilities is the output instead."""
    net = Net([rows, dims[0]], seed=seed)
    for i, n in enumerate(dims[1:]):
        net.gemm(n)
        if i < len(dims) - 2:
            net.relu()
    net.softmax()
    if argmax:
        net._emit("ArgMax", [net.x], [rows, 1], axis=1, keepdims=1)
        model = net.model()
        model.graph.output[0].type.tensor_type.elem_type = TensorProto.INT64
        return model
    return net.model()


def lenet_small(pool: str, rows: int = 1) -> onnx.ModelProto:
    """LeNet-style: conv 3x3 pad 1 (4 ch) + Relu + pool 2x2, conv 3x3 (8 ch) + Relu +
    pool 2x2, Flatten, Gemm 5 (input [rows, 1, 16, 16])."""
    net = Net([rows, 1, 16, 16], seed=11)
    net.conv(4, 3, pads=[1, 1, 1, 1]).relu().pool(pool, 2)
    net.conv(8, 3).relu().pool(pool, 2)
    return net.flatten().gemm(5).model()


def compile_cnn(tmp_path: Path, model: onnx.ModelProto, name: str = "cnn"):
    """Quantize and compile a CNN without a verifying key (calibration: normal samples)."""
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    cal = np.random.default_rng(3).normal(size=(16, *dims[1:]))
    return compile_circuit_only(tmp_path, model, calibration=cal, name=name)


def _residual() -> Net:
    """conv+relu, then conv+BN+relu, conv, Add of the skip, relu; avg pool, Gemm."""
    net = Net([1, 4, 8, 8], seed=5)
    net.conv(4, 3, pads=[1, 1, 1, 1]).relu()
    skip = net.x
    net.conv(4, 3, pads=[1, 1, 1, 1]).bn().relu().conv(4, 3, pads=[1, 1, 1, 1]).add(skip).relu()
    return net.pool("avg", 2).flatten().gemm(3)


#: Small CNNs covering the spatial gadgets (name -> model builder).
CNN_CASES = {
    "lenet_avg": lambda: lenet_small("avg"),
    "lenet_max": lambda: lenet_small("max"),
    "lenet_avg_rows2": lambda: lenet_small("avg", rows=2),
    "strided_padded": lambda: Net([1, 2, 9, 7], seed=1).conv(
        3, [3, 2], strides=[2, 1], pads=[1, 0, 2, 1]).relu().flatten().gemm(4).model(),
    "dilated": lambda: Net([1, 2, 12, 12], seed=2).conv(
        4, 3, dilations=[2, 2], pads=[2, 2, 2, 2]).relu().pool("max", 2).flatten()
        .gemm(3).model(),
    "grouped": lambda: Net([1, 4, 6, 6], seed=3).conv(6, 3, group=2, pads=[1, 1, 1, 1])
        .relu().flatten().gemm(3).model(),
    "depthwise": lambda: Net([1, 3, 8, 8], seed=4).conv(3, 3, group=3, pads=[1, 1, 1, 1])
        .clip(0.0, 6.0).conv(5, 1).relu().pool("avg", 2).flatten().gemm(3).model(),
    "conv1d": lambda: Net([1, 2, 20], seed=6).conv(4, 5, pads=[2, 2]).relu().pool("max", 2)
        .conv(4, 3, strides=[2]).relu().flatten().gemm(3).model(),
    "residual": lambda: _residual().model(),
    "gap4x4": lambda: Net([1, 3, 8, 8], seed=7).conv(6, 3, pads=[1, 1, 1, 1]).relu()
        .pool("max", 2).global_pool("avg").flatten().gemm(4).model(),
    "gmp4x4": lambda: Net([1, 3, 4, 4], seed=8).conv(5, 3, pads=[1, 1, 1, 1]).relu()
        .global_pool("max").flatten().gemm(4).model(),
    "bn_no_bias_leaky": lambda: Net([1, 2, 6, 6], seed=9).conv(3, 3, bias=False).bn()
        .leaky(0.1).flatten().gemm(3).model(),
    "relu_on_input": lambda: Net([1, 2, 4, 4], seed=10).relu().conv(3, 3).relu().flatten()
        .gemm(2).model(),
    "pool_then_relu": lambda: Net([1, 2, 8, 8], seed=13).conv(4, 3, pads=[1, 1, 1, 1])
        .pool("max", 2).relu().pool("avg", 2).relu().flatten().gemm(3).model(),
    "avgpool_4x2": lambda: Net([1, 2, 8, 8], seed=12).conv(3, 3, pads=[1, 1, 1, 1])
        .pool("avg", [4, 2]).flatten().gemm(3).model(),
}


#: CNNs with general pooling windows (circuits/conv.md section 5: winsum, winmax).
WINDOW_CASES = {
    # ResNet's stem pool: 3x3 stride 2 pad 1 (7x7 -> 4x4, no padded outputs) and on a
    # 10x10 map (-> 5x5 in an 8x8 layout: padded outputs), then a 3x3 average.
    "stem_max": lambda: Net([1, 2, 7, 7], seed=31).conv(3, 3, pads=[1, 1, 1, 1]).relu()
        .pool("max", 3, strides=[2, 2], pads=[1, 1, 1, 1]).flatten().gemm(3).model(),
    "stem_max_10": lambda: Net([1, 2, 10, 10], seed=32).conv(3, 3, pads=[1, 1, 1, 1])
        .pool("max", 3, strides=[2, 2], pads=[1, 1, 1, 1]).flatten().gemm(3).model(),
    "avg3_pad_incl": lambda: Net([1, 2, 6, 6], seed=33).conv(3, 3, pads=[1, 1, 1, 1]).relu()
        .pool("avg", 3, strides=[1, 1], pads=[1, 1, 1, 1], count_include_pad=1).flatten()
        .gemm(3).model(),
    "avg3_s2": lambda: Net([1, 2, 9, 9], seed=34).conv(3, 3, pads=[1, 1, 1, 1])
        .pool("avg", 3, strides=[2, 2]).flatten().gemm(3).model(),
    "avg2x2_s1": lambda: Net([1, 2, 6, 6], seed=35).conv(3, 3, pads=[1, 1, 1, 1]).relu()
        .pool("avg", 2, strides=[1, 1]).flatten().gemm(3).model(),
    "max_dilated": lambda: Net([1, 2, 9, 9], seed=36).conv(3, 3).relu()
        .pool("max", 2, strides=[1, 1], dilations=[2, 2]).flatten().gemm(3).model(),
    "max_end_pad": lambda: Net([1, 2, 7, 7], seed=37).conv(3, 3, pads=[1, 1, 1, 1])
        .pool("max", 2, pads=[0, 0, 1, 1]).flatten().gemm(3).model(),
    "max_ceil": lambda: Net([1, 2, 9, 9], seed=38).conv(3, 3, pads=[1, 1, 1, 1]).relu()
        .pool("max", 3, strides=[2, 2], ceil_mode=1).flatten().gemm(3).model(),
    # A divisor that varies per output position (count_include_pad = 0 over padding; a
    # ceil-mode window overhanging the padded map): one window sum per divisor.
    "avg_excl_pad": lambda: Net([1, 2, 6, 6], seed=44).conv(3, 3, pads=[1, 1, 1, 1]).relu()
        .pool("avg", 3, strides=[1, 1], pads=[1, 1, 1, 1]).flatten().gemm(3).model(),
    "avg_excl_pad_s2": lambda: Net([1, 2, 7, 7], seed=45).conv(3, 3, pads=[1, 1, 1, 1])
        .pool("avg", 3, strides=[2, 2], pads=[1, 1, 1, 1]).flatten().gemm(3).model(),
    "avg_ceil_partial": lambda: Net([1, 2, 10, 10], seed=46).conv(3, 3, pads=[1, 1, 1, 1])
        .pool("avg", 3, strides=[2, 2], ceil_mode=1, count_include_pad=1).flatten().gemm(3)
        .model(),
    "avg_excl_pad_1d": lambda: Net([1, 2, 9], seed=47).conv(3, 3, pads=[1, 1])
        .pool("avg", 3, strides=[2], pads=[1, 1]).flatten().gemm(3).model(),
    # ceil_mode with a partial last window (10 -> 5 with a window overhanging the map;
    # 1-D with padding too): MaxPool takes the maximum of the taps inside the map.
    "max_ceil_partial": lambda: Net([1, 2, 10, 10], seed=42).conv(3, 3, pads=[1, 1, 1, 1])
        .relu().pool("max", 3, strides=[2, 2], ceil_mode=1).flatten().gemm(3).model(),
    "max_ceil_partial_1d": lambda: Net([1, 2, 10], seed=43).conv(3, 3, pads=[1, 1])
        .pool("max", 3, strides=[2], pads=[1, 1], ceil_mode=1).flatten().gemm(3).model(),
    "max1d": lambda: Net([1, 2, 11], seed=39).conv(3, 3, pads=[1, 1]).relu()
        .pool("max", 3, strides=[2], pads=[1, 1]).flatten().gemm(3).model(),
    "avg1d": lambda: Net([1, 2, 12], seed=40).conv(3, 3, pads=[1, 1])
        .pool("avg", 5, strides=[1], pads=[2, 2], count_include_pad=1).flatten().gemm(3)
        .model(),
    "max_on_input": lambda: Net([1, 2, 6, 6], seed=41)
        .pool("max", 3, strides=[1, 1], pads=[1, 1, 1, 1]).conv(3, 3).relu().flatten()
        .gemm(3).model(),
    "max_then_relu_avg": lambda: Net([1, 2, 8, 8], seed=42).conv(4, 3, pads=[1, 1, 1, 1])
        .pool("max", 3, strides=[2, 2], pads=[1, 1, 1, 1]).relu()
        .pool("avg", 3, strides=[1, 1], pads=[1, 1, 1, 1], count_include_pad=1).relu()
        .flatten().gemm(3).model(),
    # GlobalMaxPool over a map without power-of-two sides: one winmax window.
    "gmp6x6": lambda: Net([1, 3, 6, 6], seed=43).conv(4, 3, pads=[1, 1, 1, 1]).relu()
        .global_pool("max").flatten().gemm(3).model(),
    "gmp1d": lambda: Net([1, 2, 7], seed=45).conv(3, 3, pads=[1, 1])
        .global_pool("max").flatten().gemm(3).model(),
}


def act_mlp(acts: list[str], dims: tuple[int, ...] = (8, 16, 12, 4), *, seed: int = 0,
            on_input: str | None = None, rows: int = 1) -> onnx.ModelProto:
    """Gemm layers of widths `dims` with the elementwise activations `acts` (cycled)
    between them (ONNX op names: Sigmoid, Tanh, Erf, Exp, Gelu, Relu, ...); with
    `on_input`, that activation of the model input first. Gelu needs opset 20."""
    rng = np.random.default_rng(seed)
    nodes, inits = [], {}
    x = "x"
    if on_input:
        nodes.append(helper.make_node(on_input, ["x"], ["xa"], name="act_in"))
        x = "xa"
    layers = len(dims) - 1
    for i in range(layers):
        inits[f"W{i}"] = f32(rng.normal(0, np.sqrt(2.0 / dims[i]), size=(dims[i], dims[i + 1])))
        inits[f"b{i}"] = f32(rng.normal(0, 0.1, size=dims[i + 1]))
        out = "y" if i == layers - 1 else f"h{i}"
        nodes.append(helper.make_node("Gemm", [x, f"W{i}", f"b{i}"], [out], name=f"fc{i}"))
        if i == layers - 1:
            break
        op = acts[i % len(acts)]
        x = f"a{i}"
        nodes.append(helper.make_node(op, [out], [x], name=f"{op.lower()}{i}"))
    opset = 20 if "Gelu" in acts or on_input == "Gelu" else OPSET
    return make_model(nodes, {"x": [rows, dims[0]]}, ["y"], inits, opset)


def gelu_erf_mlp(seed: int = 0) -> onnx.ModelProto:
    """Gemm, GELU as PyTorch's older exporters write it (Div, Erf, Add, Mul, Mul), Gemm."""
    rng = np.random.default_rng(seed)
    inits = {"W0": f32(rng.normal(0, 0.5, size=(8, 16))), "b0": f32(rng.normal(0, 0.1, size=16)),
             "W1": f32(rng.normal(0, 0.3, size=(16, 4))), "b1": f32(np.zeros(4)),
             "sqrt2": f32(np.sqrt(2.0)), "one": f32(1.0), "half": f32(0.5)}
    nodes = [helper.make_node("Gemm", ["x", "W0", "b0"], ["h"], name="fc0"),
             helper.make_node("Div", ["h", "sqrt2"], ["d"], name="gelu_div"),
             helper.make_node("Erf", ["d"], ["e"], name="gelu_erf"),
             helper.make_node("Add", ["e", "one"], ["a"], name="gelu_add"),
             helper.make_node("Mul", ["h", "a"], ["m"], name="gelu_mul"),
             helper.make_node("Mul", ["m", "half"], ["g"], name="gelu_half"),
             helper.make_node("Gemm", ["g", "W1", "b1"], ["y"], name="fc1")]
    return make_model(nodes, {"x": [1, 8]}, ["y"], inits)


def _gap_net(side: int, rows: int = 1, act: str | None = None, seed: int = 21) -> Net:
    """conv 3 -> 8 (3x3, stride 2, pad 1) on a (2 side)^2 map -> side x side, activation
    (Relu unless `act`), then the caller's pooling."""
    net = Net([rows, 3, 2 * side, 2 * side], seed=seed)
    net.conv(8, 3, strides=[2, 2], pads=[1, 1, 1, 1])
    return net.act(act) if act else net.relu()


#: CNNs with spatial sums (non-power-of-two divisors) and tables (name -> model builder).
NONLINEAR_CNN_CASES = {
    "gap7x7": lambda: _gap_net(7).global_pool("avg").flatten().gemm(4).model(),
    "gap3x3": lambda: _gap_net(3).global_pool("avg").flatten().gemm(4).model(),
    "gap7x7_rows2": lambda: _gap_net(7, rows=2).global_pool("avg").flatten().gemm(4).model(),
    "reducemean_keep": lambda: _gap_net(5).reduce_mean([2, 3]).flatten().gemm(3).model(),
    "reducemean_nokeep": lambda: _gap_net(6).reduce_mean([-1, -2], keepdims=0).gemm(3)
        .model(),
    "reducemean_1d": lambda: Net([1, 2, 20], seed=22).conv(4, 3, strides=[2]).relu()
        .reduce_mean([2], keepdims=0).gemm(3).model(),
    "avgpool_whole_7x7": lambda: _gap_net(7).pool("avg", 7).flatten().gemm(4).model(),
    "gap1x1": lambda: _gap_net(1).global_pool("avg").flatten().gemm(4).model(),
    "tanh_sigmoid_gelu_gap": lambda: _gap_net(7, act="Tanh").act("Sigmoid").act("Gelu")
        .global_pool("avg").flatten().gemm(5).model(),
    "sigmoid_maxpool_gap": lambda: _gap_net(6, act="Sigmoid").pool("max", 2)
        .global_pool("avg").flatten().gemm(3).model(),
    "tanh_gap_on_input": lambda: Net([1, 3, 5, 5], seed=23).act("Tanh").global_pool("avg")
        .flatten().gemm(3).model(),
}


def silu_mlp(dims: tuple[int, ...] = (8, 16, 12, 4), *, seed: int = 0, rows: int = 1,
             on_input: bool = False) -> onnx.ModelProto:
    """Gemm layers with SiLU (`h * Sigmoid(h)`, as exporters write nn.SiLU) between them;
    with `on_input`, `x * Tanh(x)` of the model input first."""
    rng = np.random.default_rng(seed)
    nodes, inits = [], {}
    x = "x"
    if on_input:
        nodes += [helper.make_node("Tanh", ["x"], ["xt"], name="tanh_in"),
                  helper.make_node("Mul", ["x", "xt"], ["xa"], name="mul_in")]
        x = "xa"
    layers = len(dims) - 1
    for i in range(layers):
        inits[f"W{i}"] = f32(rng.normal(0, np.sqrt(2.0 / dims[i]), size=(dims[i], dims[i + 1])))
        inits[f"b{i}"] = f32(rng.normal(0, 0.1, size=dims[i + 1]))
        out = "y" if i == layers - 1 else f"h{i}"
        nodes.append(helper.make_node("Gemm", [x, f"W{i}", f"b{i}"], [out], name=f"fc{i}"))
        if i == layers - 1:
            break
        nodes += [helper.make_node("Sigmoid", [out], [f"s{i}"], name=f"sigmoid{i}"),
                  helper.make_node("Mul", [out, f"s{i}"], [f"a{i}"], name=f"silu{i}")]
        x = f"a{i}"
    return make_model(nodes, {"x": [rows, dims[0]]}, ["y"], inits)


def gated_mlp(seed: int = 0, sigmoid_gate: bool = True) -> onnx.ModelProto:
    """Two dense branches of the input multiplied elementwise (a GLU-style gate:
    `fc_a(x) * Sigmoid(fc_b(x))`, or the plain product `fc_a(x) * fc_b(x)`), then Gemm."""
    rng = np.random.default_rng(seed)
    inits = {"Wa": f32(rng.normal(0, 0.5, size=(6, 10))), "ba": f32(rng.normal(0, 0.1, size=10)),
             "Wb": f32(rng.normal(0, 0.5, size=(6, 10))), "bb": f32(rng.normal(0, 0.1, size=10)),
             "W1": f32(rng.normal(0, 0.3, size=(10, 3))), "b1": f32(np.zeros(3))}
    nodes = [helper.make_node("Gemm", ["x", "Wa", "ba"], ["a"], name="fc_a"),
             helper.make_node("Gemm", ["x", "Wb", "bb"], ["b"], name="fc_b")]
    gate = "b"
    if sigmoid_gate:
        nodes.append(helper.make_node("Sigmoid", ["b"], ["g"], name="gate"))
        gate = "g"
    nodes += [helper.make_node("Mul", ["a", gate], ["m"], name="gated"),
              helper.make_node("Gemm", ["m", "W1", "b1"], ["y"], name="fc_out")]
    return make_model(nodes, {"x": [1, 6]}, ["y"], inits)


def silu_cnn(rows: int = 1, seed: int = 51) -> onnx.ModelProto:
    """conv 2 -> 4 (3x3, pad 1) on a 6x6 map, SiLU (`c * Sigmoid(c)` on the padded spatial
    tensor), maxpool 2, conv 4 -> 3, SiLU, flatten, Gemm."""
    net = Net([rows, 2, 6, 6], seed=seed).conv(4, 3, pads=[1, 1, 1, 1])
    c = net.x
    net.act("Sigmoid")._emit("Mul", [c, net.x], net.shape).pool("max", 2).conv(3, 3)
    c = net.x
    net.act("Sigmoid")._emit("Mul", [net.x, c], net.shape)
    return net.flatten().gemm(3).model()


#: Models with elementwise products of two computed tensors (name -> builder).
MUL_CASES = {
    "silu_mlp": lambda: silu_mlp(),
    "silu_mlp_rows2": lambda: silu_mlp(seed=1, rows=2),
    "mul_on_input": lambda: silu_mlp((6, 8, 3), seed=2, on_input=True),
    "gated_sigmoid": lambda: gated_mlp(),
    "gated_product": lambda: gated_mlp(seed=3, sigmoid_gate=False),
    "silu_cnn": lambda: silu_cnn(),
}


def concat_cnn(rows: int = 1, seed: int = 61, act: str | None = None) -> onnx.ModelProto:
    """Two conv branches of a (2, 6, 6) input (3x3 pad 1 -> 3 channels, 1x1 -> 2 channels,
    each with ReLU, or `act`), Concat along the channels (5, not a power of two), conv 5 -> 4,
    ReLU, flatten, Gemm."""
    net = Net([rows, 2, 6, 6], seed=seed)
    net.conv(3, 3, pads=[1, 1, 1, 1])
    net.act(act) if act else net.relu()
    a, sa = net.x, net.shape
    net.x, net.shape = "x", [rows, 2, 6, 6]
    net.conv(2, 1)
    net.act(act) if act else net.relu()
    net._emit("Concat", [a, net.x], [rows, sa[1] + net.shape[1], 6, 6], axis=1)
    return net.conv(4, 3).relu().flatten().gemm(3).model()


def concat_mlp(rows: int = 1, seed: int = 62, widths: tuple[int, ...] = (3, 2),
               axis: int = 1) -> onnx.ModelProto:
    """Dense branches of the input (each Gemm + ReLU, `widths` features), Concat along
    the features, Gemm."""
    rng = np.random.default_rng(seed)
    nodes, inits, parts = [], {}, []
    for k, n in enumerate(widths):
        inits[f"W{k}"] = f32(rng.normal(0, 0.5, size=(6, n)))
        inits[f"b{k}"] = f32(rng.normal(0, 0.1, size=n))
        nodes += [helper.make_node("Gemm", ["x", f"W{k}", f"b{k}"], [f"h{k}"], name=f"fc{k}"),
                  helper.make_node("Relu", [f"h{k}"], [f"r{k}"], name=f"relu{k}")]
        parts.append(f"r{k}")
    total = sum(widths)
    inits["Wo"] = f32(rng.normal(0, 0.3, size=(total, 3)))
    inits["bo"] = f32(np.zeros(3))
    nodes += [helper.make_node("Concat", parts, ["c"], name="cat", axis=axis),
              helper.make_node("Gemm", ["c", "Wo", "bo"], ["y"], name="fc_out")]
    return make_model(nodes, {"x": [rows, 6]}, ["y"], inits)


def addconst_mlp(rows: int = 1, seed: int = 63, kind: str = "row") -> onnx.ModelProto:
    """Gemm 6 -> 10, ReLU, `r + c` (kind "row": a 10-vector; "scalar"; "sub": `r - c`;
    "left": `c + r`; after the ReLU, so no bias folds it), Gemm 10 -> 3."""
    rng = np.random.default_rng(seed)
    c = rng.normal(0, 0.5, size=10) if kind != "scalar" else np.array(0.75)
    inits = {"W0": f32(rng.normal(0, 0.5, size=(6, 10))), "b0": f32(rng.normal(0, 0.1, size=10)),
             "c": f32(c), "W1": f32(rng.normal(0, 0.3, size=(10, 3))), "b1": f32(np.zeros(3))}
    op, ins = ("Sub", ["r", "c"]) if kind == "sub" else \
        ("Add", ["c", "r"] if kind == "left" else ["r", "c"])
    nodes = [helper.make_node("Gemm", ["x", "W0", "b0"], ["h"], name="fc0"),
             helper.make_node("Relu", ["h"], ["r"], name="relu"),
             helper.make_node(op, ins, ["a"], name="plus_c"),
             helper.make_node("Gemm", ["a", "W1", "b1"], ["y"], name="fc1")]
    return make_model(nodes, {"x": [rows, 6]}, ["y"], inits)


def addconst_cnn(rows: int = 1, seed: int = 64) -> onnx.ModelProto:
    """conv 2 -> 3 (3x3) on a 5x5 map, ReLU, `+ c` per channel ((3, 1, 1)), flatten,
    Gemm."""
    net = Net([rows, 2, 5, 5], seed=seed).conv(3, 3).relu()
    net.inits["cc"] = f32(net.rng.normal(0, 0.5, size=(3, 1, 1)))
    net._emit("Add", [net.x, "cc"], net.shape)
    return net.flatten().gemm(3).model()


def gelu_erf_cnn(rows: int = 1, seed: int = 65) -> onnx.ModelProto:
    """conv 2 -> 3 (3x3, pad 1) on a 5x5 map, GELU as Div/Erf/Add/Mul/Mul on the padded
    spatial tensor, flatten, Gemm."""
    net = Net([rows, 2, 5, 5], seed=seed).conv(3, 3, pads=[1, 1, 1, 1])
    h = net.x
    net.inits.update({"sqrt2": f32(np.sqrt(2.0)), "one": f32(1.0), "half": f32(0.5)})
    net._emit("Div", [h, "sqrt2"], net.shape)._emit("Erf", [net.x], net.shape)
    net._emit("Add", [net.x, "one"], net.shape)._emit("Mul", [h, net.x], net.shape)
    net._emit("Mul", [net.x, "half"], net.shape)
    return net.flatten().gemm(3).model()


def _gelu_erf_rows(rows: int) -> onnx.ModelProto:
    model = gelu_erf_mlp()
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_value = rows
    return model


#: Models with an added constant or a concatenation (name -> builder).
COMBINE_CASES = {
    "concat_cnn": lambda: concat_cnn(),
    "concat_cnn_rows4": lambda: concat_cnn(rows=4),
    "concat_cnn_tanh": lambda: concat_cnn(act="Tanh"),
    "concat_mlp": lambda: concat_mlp(),
    "concat_mlp_rows4": lambda: concat_mlp(rows=4, widths=(5, 4, 2), axis=-1),
    "concat_mlp_pow2": lambda: concat_mlp(widths=(4, 4)),
    "addconst_row": lambda: addconst_mlp(),
    "addconst_scalar_rows4": lambda: addconst_mlp(rows=4, kind="scalar"),
    "addconst_sub": lambda: addconst_mlp(kind="sub"),
    "addconst_left": lambda: addconst_mlp(kind="left"),
    "addconst_cnn": lambda: addconst_cnn(),
    "gelu_erf_mlp": lambda: gelu_erf_mlp(),
    "gelu_erf_mlp_rows4": lambda: _gelu_erf_rows(4),
    "gelu_erf_cnn": lambda: gelu_erf_cnn(),
}


# Circuit predicates the compiler tests assert with.
def uses_combine(circuit: Circuit) -> bool:
    """The circuit has an `addconst` or a `concat` gadget (nonlinear.md sections 10-11)."""
    return any(g.op in ("addconst", "concat") for g in circuit.gadgets)


def uses_mul(circuit: Circuit) -> bool:
    """The circuit has a `mul` gadget (an elementwise product, nonlinear.md section 8)."""
    return any(g.op == "mul" for g in circuit.gadgets)


def uses_windows(circuit: Circuit) -> bool:
    """The circuit has a winsum or winmax gadget (conv.md section 5)."""
    return any(g.op in WINDOW_OPS for g in circuit.gadgets)


def uses_rows(circuit: Circuit) -> bool:
    """The circuit has a rowmax, a rowdiv or an add of a one-feature `y` (sections 6-7)."""
    return any(g.op in ROW_OPS or (g.op == "add" and g.producer.y is not None
                                   and circuit.width_of(g.producer.y) != g.features)
               for g in circuit.gadgets)
