"""Quantization: the calibrated float graph becomes the integer IR.

Scales are powers of two chosen per tensor from calibration: the finest scale at which
the largest calibrated magnitude still fits the tensor's bit bound. A requantizing op
needs its output scale no finer than its accumulator (shift >= 0), so that bound caps
the choice. circuits/quantization.md states the resulting integer semantics.
"""

from __future__ import annotations

import math

import numpy as np

from zkml.errors import ModelError
from zkml.geometry import pool_geometry
from zkml.onnx_import.graph import Graph, Node
from zkml.quant.calibrate import Stats
from zkml.quant.ir import QModel, QOp, QTensor
from zkml.quant.precision import Precision
from zkml.quant.rounding import bits_for, check_bound, frac_bits_for, quantize_float
from zkml.quant.tables import TABLE_VALUE_BITS, float_values, make_table, saturation_radius

#: Bits a bias keeps (quantization.md): the model stack's entries are range-checked
#: in a 2^16-entry table, so wider biases are rounded to a multiple of a power of two.
BIAS_STORED_BITS = 16
#: Bits of an added constant at the sum's scale (the model stack's signed entries).
CONST_STORED_BITS = 16

__all__ = ["quantize_graph"]


class _Lowering:
    def __init__(self, graph: Graph, stats: Stats, precision: Precision) -> None:
        self.g = graph
        self.stats = stats
        self.p = precision
        self.tensors: dict[str, QTensor] = {}
        self.ops: list[QOp] = []
        self.constants: dict[str, np.ndarray] = {}
        self._weights: dict[tuple, str] = {}
        self.source = ""

    # -- tensors ---------------------------------------------------------------------
    def add_tensor(self, name: str, shape, frac: int, bits: int, role: str = "activation") -> str:
        if name in self.tensors:
            raise ModelError(f"internal: tensor {name!r} defined twice")
        self.tensors[name] = QTensor(name, tuple(int(d) for d in shape), int(frac), int(bits), role)
        return name

    def fresh(self, base: str, tag: str) -> str:
        name, i = f"{base}/{tag}", 1
        while name in self.tensors or name in self.g.shapes or name in self.g.constants:
            i += 1
            name = f"{base}/{tag}{i}"
        return name

    def act_frac(self, name: str, bits: int | None = None, cap: int | None = None) -> int:
        """Finest fractional bits at which the calibrated range of `name` fits."""
        return frac_bits_for(self.stats.max_abs.get(name, 0.0), bits or self.p.activation_bits,
                             cap)

    def const_tensor(self, cname: str, bits: int, frac: int | None = None,
                     cap: int | None = None) -> str:
        """A float constant quantized as a weight (saturating to `bits`)."""
        arr = self.g.constants[cname]
        if frac is None:
            frac = frac_bits_for(float(np.abs(arr).max(initial=0.0)), bits, cap)
        return self._weight(cname, arr, frac, bits, (cname, frac, bits))

    def exact_const(self, cname: str, frac: int, stored_bits: int | None = None) -> str:
        """A constant (a bias) at a fixed scale, as wide as its values need.

        With `stored_bits`, a constant wider than that is rounded to a multiple of
        `2^(bits - stored_bits)`, so that the circuit stores it in `stored_bits` bits
        (quantization.md, biases): its error stays far below the accumulator's
        requantization step.
        """
        arr = self.g.constants[cname]
        peak = float(np.abs(arr).max(initial=0.0))
        bits = bits_for(math.floor(math.ldexp(peak, frac) + 0.5)) if np.isfinite(peak) else 64
        check_bound(1 << bits, f"constant {cname!r} at scale 2^-{frac}")
        drop = 0 if stored_bits is None else max(0, bits - stored_bits)
        return self._weight(cname, arr, frac, bits, (cname, frac, "exact", drop), drop)

    def _weight(self, cname: str, arr: np.ndarray, frac: int, bits: int, key: tuple,
                drop: int = 0) -> str:
        """Quantize a constant once per `key` and register it as a weight tensor; with
        `drop`, round to multiples of `2^drop` (still at scale `2^-frac`)."""
        if key not in self._weights:
            name = cname if cname not in self.tensors else self.fresh(cname, f"q{frac}")
            q = quantize_float(arr, frac - drop, bits - drop)
            self.constants[name] = q << np.int64(drop) if drop else q
            self.add_tensor(name, arr.shape, frac, bits, "weight")
            self._weights[key] = name
        return self._weights[key]

    def table(self, fn: str, in_frac: int, in_bits: int, out_frac: int, out_bits: int) -> str:
        name = f"table:{fn}:in{in_bits}@{in_frac}:out{out_bits}@{out_frac}"
        if name not in self.tensors:
            self.constants[name] = make_table(fn, in_frac, in_bits, out_frac, out_bits)
            self.add_tensor(name, (1 << in_bits,), out_frac, out_bits, "table")
        return name

    def op(self, kind: str, inputs: list[str], output: str, **attrs) -> None:
        name = f"{len(self.ops)}:{kind}"
        self.ops.append(QOp(kind, name, tuple(inputs), output, attrs, self.source))

    def t(self, name: str) -> QTensor:
        return self.tensors[name]

    def rescale(self, x: str, frac: int, bits: int, tag: str = "rescaled") -> str:
        """`x` requantized to a coarser-or-equal scale and a bit bound (an explicit op)."""
        tx = self.t(x)
        if frac > tx.frac_bits:
            raise ModelError(f"internal: rescale of {x!r} to a finer scale")
        if frac == tx.frac_bits and bits >= tx.bits:
            return x
        out = self.add_tensor(self.fresh(x, tag), tx.shape, frac, bits)
        self.op("rescale", [x], out, shift=tx.frac_bits - frac)
        return out

    # -- ops -------------------------------------------------------------------------
    def lower(self, node: Node) -> None:
        self.source = node.source
        getattr(self, f"_{node.op}")(node)

    def _weighted(self, node: Node, kind: str, **attrs) -> None:
        x = self.t(node.inputs[0])
        w = self.const_tensor(node.inputs[1], self.p.weight_bits)
        acc_frac = x.frac_bits + self.t(w).frac_bits
        ins = [x.name, w]
        if len(node.inputs) > 2:
            ins.append(self.exact_const(node.inputs[2], acc_frac, BIAS_STORED_BITS))
        fy = self.act_frac(node.output, cap=acc_frac)
        self.add_tensor(node.output, self.g.shapes[node.output], fy, self.p.activation_bits)
        self.op(kind, ins, node.output, shift=acc_frac - fy, **attrs)

    def _matmul(self, node: Node) -> None:
        self._weighted(node, "matmul", side=node.attrs["side"])

    def _conv(self, node: Node) -> None:
        a = node.attrs
        self._weighted(node, "conv", strides=list(a["strides"]), pads=list(a["pads"]),
                       dilations=list(a["dilations"]), group=a["group"])

    def _operand(self, name: str, other: str | None, bits: int) -> str:
        """A Sym operand as is; a constant quantized next to its partner's scale."""
        if name not in self.g.constants:
            return name
        cap = None if other is None else self.t(other).frac_bits + self.p.weight_bits
        return self.const_tensor(name, bits, cap=cap)

    def _add(self, node: Node) -> None:
        a_name, b_name = node.inputs
        a_sym = None if a_name in self.g.constants else a_name
        b_sym = None if b_name in self.g.constants else b_name
        a = self._operand(a_name, b_sym, self.p.activation_bits)
        b = self._operand(b_name, a_sym, self.p.activation_bits)
        fa, fb = self.t(a).frac_bits, self.t(b).frac_bits
        f = max(fa, fb)
        if (a_sym is None) != (b_sym is None):
            a, b, f = self._const_sum_scale(a, b, f)
            fa, fb = self.t(a).frac_bits, self.t(b).frac_bits
        fy = self.act_frac(node.output, cap=f)
        self.add_tensor(node.output, self.g.shapes[node.output], fy, self.p.activation_bits)
        self.op("add", [a, b], node.output, signs=list(node.attrs["signs"]),
                lshifts=[f - fa, f - fb], shift=f - fy)

    def _const_sum_scale(self, a: str, b: str, f: int) -> tuple[str, str, int]:
        """`x + c` is summed at the finer scale `f` of the two, but the circuit stores `c`
        at that scale in the model stack, whose entries have at most `CONST_STORED_BITS`
        bits: when `c` would need more (1.0 next to a 2^-15 sigmoid), sum at `c`'s own
        scale instead, the tensor rescaled to it (round half up: an explicit op)."""
        c, x = (a, b) if self.t(a).role == "weight" else (b, a)
        fc = self.t(c).frac_bits
        values = self.constants[c].astype(np.int64) << np.int64(f - fc)
        if fc >= f or bits_for(int(np.abs(values).max(initial=0))) <= CONST_STORED_BITS:
            return a, b, f
        moved = self.rescale(x, fc, self.p.activation_bits)
        return (moved, c, fc) if x == a else (c, moved, fc)

    def _max2(self, node: Node) -> None:
        """Max / Min of two tensors at the finer scale `f` of the two (`lshifts` align
        them, as for an add), requantized to the output's scale (quantization.md)."""
        a, b = node.inputs
        fa, fb = self.t(a).frac_bits, self.t(b).frac_bits
        f = max(fa, fb)
        fy = self.act_frac(node.output, cap=f)
        self.add_tensor(node.output, self.g.shapes[node.output], fy, self.p.activation_bits)
        self.op("max2", [a, b], node.output, signs=list(node.attrs["signs"]),
                lshifts=[f - fa, f - fb], dir=int(node.attrs["dir"]), shift=f - fy)

    def _mul(self, node: Node) -> None:
        a_name, b_name = node.inputs
        a = self._operand(a_name, None, self.p.weight_bits)
        b = self._operand(b_name, None, self.p.weight_bits)
        f = self.t(a).frac_bits + self.t(b).frac_bits
        fy = self.act_frac(node.output, cap=f)
        self.add_tensor(node.output, self.g.shapes[node.output], fy, self.p.activation_bits)
        self.op("mul", [a, b], node.output, shift=f - fy)

    def _same_scale(self, node: Node, kind: str, **attrs) -> None:
        x = self.t(node.inputs[0])
        self.add_tensor(node.output, self.g.shapes[node.output], x.frac_bits, x.bits)
        self.op(kind, [x.name], node.output, **attrs)

    def _relu(self, node: Node) -> None:
        self._same_scale(node, "relu")

    def _leaky_relu(self, node: Node) -> None:
        k = self.p.multiplier_bits
        alpha = int(quantize_float(np.array(node.attrs["alpha"]), k, k + 16))
        self._same_scale(node, "leaky_relu", alpha=alpha, alpha_shift=k)

    def _clip(self, node: Node) -> None:
        x = self.t(node.inputs[0])

        def bound(v: float | None) -> int | None:
            return None if v is None else int(quantize_float(np.array(v), x.frac_bits, x.bits))

        self._same_scale(node, "clip", lo=bound(node.attrs["lo"]), hi=bound(node.attrs["hi"]))

    def _maxpool(self, node: Node) -> None:
        a = node.attrs
        k, st, p, dl = (list(a[key]) for key in ("kernel", "strides", "pads", "dilations"))
        ceil = bool(a["ceil_mode"])
        if len(k) == 3 and k[0] * st[0] * dl[0] > 1 and max(k[1:] + st[1:]) > 1:
            # A 3-D maximum is separable: over each (H, W) plane, then along the depth
            # (quantization.md, Ops: maxpool), so a circuit pools one 2-D map at a time.
            x = self.t(node.inputs[0])
            g = pool_geometry(x.shape[3:], k[1:], st[1:], [p[1], p[2], p[4], p[5]], dl[1:],
                              ceil)
            mid = self.add_tensor(self.fresh(node.output, "planes"),
                                  (*x.shape[:3], *g.out), x.frac_bits, x.bits)
            self.op("maxpool", [x.name], mid, kernel=[1, *k[1:]], strides=[1, *st[1:]],
                    pads=[0, p[1], p[2], 0, p[4], p[5]], dilations=[1, *dl[1:]],
                    ceil_mode=ceil)
            self.add_tensor(node.output, self.g.shapes[node.output], x.frac_bits, x.bits)
            self.op("maxpool", [mid], node.output, kernel=[k[0], 1, 1], strides=[st[0], 1, 1],
                    pads=[p[0], 0, 0, p[3], 0, 0], dilations=[dl[0], 1, 1], ceil_mode=ceil)
            return
        self._same_scale(node, "maxpool", kernel=k, strides=st, pads=p, dilations=dl,
                         ceil_mode=ceil)

    def _reduce_max(self, node: Node) -> None:
        self._same_scale(node, "reduce_max", axes=list(node.attrs["axes"]),
                         keepdims=bool(node.attrs["keepdims"]))

    def _reshape(self, node: Node) -> None:
        self._same_scale(node, "reshape", shape=list(node.attrs["shape"]))

    def _transpose(self, node: Node) -> None:
        self._same_scale(node, "transpose", perm=list(node.attrs["perm"]))

    def _averaging(self, node: Node, kind: str, **attrs) -> None:
        x = self.t(node.inputs[0])
        bits = max(self.p.activation_bits, x.bits)
        # A mean is never larger than its inputs, so a finer scale only adds precision.
        fy = max(self.act_frac(node.output, bits=bits), x.frac_bits)
        self.add_tensor(node.output, self.g.shapes[node.output], fy, bits)
        self.op(kind, [x.name], node.output, lshift=fy - x.frac_bits, **attrs)

    def _avgpool(self, node: Node) -> None:
        a = node.attrs
        self._averaging(node, "avgpool", kernel=list(a["kernel"]), strides=list(a["strides"]),
                        pads=list(a["pads"]), dilations=list(a["dilations"]),
                        ceil_mode=bool(a["ceil_mode"]),
                        count_include_pad=bool(a["count_include_pad"]))

    def _mean(self, node: Node) -> None:
        self._averaging(node, "mean", axes=list(node.attrs["axes"]),
                        keepdims=bool(node.attrs["keepdims"]))

    def _argmax(self, node: Node) -> None:
        x = self.t(node.inputs[0])
        n = x.shape[node.attrs["axis"]]
        self.add_tensor(node.output, self.g.shapes[node.output], 0, bits_for(n - 1))
        self.op("argmax", [x.name], node.output, axis=node.attrs["axis"],
                keepdims=bool(node.attrs["keepdims"]),
                select_last_index=bool(node.attrs["select_last_index"]))

    def _concat(self, node: Node) -> None:
        syms = [i for i in node.inputs if i not in self.g.constants]
        f = min(self.t(i).frac_bits for i in syms)
        parts = []
        for name in node.inputs:
            if name in self.g.constants:
                parts.append(self.exact_const(name, f))
            elif self.t(name).frac_bits == f:
                parts.append(name)
            else:
                parts.append(self.rescale(name, f, self.p.activation_bits))
        bits = max(self.t(p).bits for p in parts)
        self.add_tensor(node.output, self.g.shapes[node.output], f, bits)
        self.op("concat", parts, node.output, axis=node.attrs["axis"])

    def _table_input(self, x: str, radius: float) -> str:
        """`x` saturated (and if needed rescaled) into a table domain of table_bits."""
        tx, tb = self.t(x), self.p.table_bits
        ft = min(frac_bits_for(radius, tb), tx.frac_bits)
        if ft == tx.frac_bits and tx.bits <= tb:
            return x
        return self.rescale(x, ft, tb, tag="table_in")

    def _func(self, node: Node) -> None:
        fn = node.attrs["fn"]
        a = self.p.activation_bits
        peak = self.stats.max_abs.get(node.inputs[0], 0.0) or 1.0
        # The output scale only bounds how far the domain is worth covering; a provisional
        # scale from the activation width is enough for that.
        radius = min(peak, saturation_radius(fn, a - 2))
        x = self._table_input(node.inputs[0], radius)
        tx = self.t(x)
        values = float_values(fn, tx.frac_bits, tx.bits)
        finite = values[np.isfinite(values)]
        ob = min(a, TABLE_VALUE_BITS)
        fo = frac_bits_for(float(np.abs(finite).max(initial=0.0)), ob)
        table = self.table(fn, tx.frac_bits, tx.bits, fo, ob)
        self.add_tensor(node.output, self.g.shapes[node.output], fo, ob)
        self.op("table", [x, table], node.output, fn=fn)

    def _softmax(self, node: Node) -> None:
        x = self.t(node.inputs[0])
        rank = len(x.shape)
        axis = node.attrs["axis"] % rank
        if axis == rank - 1:
            self._softmax_last(x, node.output, self.g.shapes[node.output], x.name)
            return
        # Softmax is equivariant under permutations of the other axes: move the axis
        # last, normalize there, move it back (explicit transposes, so every IR tensor
        # keeps ONNX order and a circuit reduces only over a last axis).
        perm = [i for i in range(rank) if i != axis] + [axis]
        inv = [perm.index(i) for i in range(rank)]
        moved = tuple(x.shape[i] for i in perm)
        xt = self.add_tensor(self.fresh(node.output, "moved"), moved, x.frac_bits, x.bits)
        self.op("transpose", [x.name], xt, perm=perm)
        yt = self.fresh(node.output, "last")
        self._softmax_last(self.t(xt), yt, moved, x.name)
        y = self.t(yt)
        self.add_tensor(node.output, self.g.shapes[node.output], y.frac_bits, y.bits)
        self.op("transpose", [yt], node.output, perm=inv)

    def _softmax_last(self, x: QTensor, out: str, out_shape: tuple[int, ...],
                      calibrated: str) -> None:
        """Softmax of `x` along its last axis into the new tensor `out` (quantization.md);
        `calibrated` names the tensor whose calibrated range `x` has."""
        a, tb = self.p.activation_bits, self.p.table_bits
        axis = len(x.shape) - 1
        n = x.shape[axis]
        eb = min(a, TABLE_VALUE_BITS)
        fe = eb - 2  # exp(d) <= 1 for d <= 0, and 1.0 = 2^fe fits eb bits
        m = self.add_tensor(self.fresh(out, "max"), _kept(x.shape, axis), x.frac_bits, x.bits)
        self.op("reduce_max", [x.name], m, axes=[axis], keepdims=True)
        # d = x - max <= 0; below -radius exp(d) rounds to 0, so the domain stops there.
        peak = self.stats.max_abs.get(calibrated, 0.0) or 1.0
        radius = min(2.0 * peak, (fe + 1) * math.log(2.0) + 1.0)
        fd = min(frac_bits_for(radius, tb), x.frac_bits)
        d = self.add_tensor(self.fresh(out, "shifted"), x.shape, fd, tb)
        self.op("add", [x.name, m], d, signs=[1, -1], lshifts=[0, 0], shift=x.frac_bits - fd)
        e = self.add_tensor(self.fresh(out, "exp"), x.shape, fe, eb)
        self.op("table", [d, self.table("exp", fd, tb, fe, eb)], e, fn="exp")
        s_bits = bits_for(n * ((1 << (eb - 1)) - 1))
        s = self.add_tensor(self.fresh(out, "sum"), _kept(x.shape, axis), fe, s_bits)
        self.op("reduce_sum", [e], s, axes=[axis], keepdims=True)
        # y = e / s exactly rounded (a division with range-checked remainder), not a
        # reciprocal table: s spans [2^fe, n * 2^fe], and a table over that span loses
        # relative precision at its low end, which is where a confident softmax lives.
        fy = a - 2  # probabilities lie in [0, 1]
        self.add_tensor(out, out_shape, fy, a)
        self.op("div", [e, s], out, lshift=fy)


def _kept(shape: tuple[int, ...], axis: int) -> tuple[int, ...]:
    return tuple(1 if i == axis else d for i, d in enumerate(shape))


def quantize_graph(graph: Graph, stats: Stats, precision: Precision) -> QModel:
    """Lower the float graph to a QModel with scales chosen from `stats`."""
    low = _Lowering(graph, stats, precision)
    # Several inputs share one scale, the coarsest calibrated one: a proof's statement
    # holds them side by side as one input row at one scale (zkml.compiler.io).
    fracs = {name: low.act_frac(name) for name in graph.inputs}
    common = min(fracs.values(), default=0)
    for name, shape in graph.inputs.items():
        frac = fracs[name] if len(fracs) == 1 else common
        low.add_tensor(name, shape, frac, precision.activation_bits, "input")
    for node in graph.nodes:
        low.lower(node)
    return QModel(
        tensors=low.tensors,
        ops=low.ops,
        inputs=list(graph.inputs),
        outputs=dict(graph.outputs),
        constants=low.constants,
        precision=precision.to_json(),
    )
