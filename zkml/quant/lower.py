"""Quantization: the calibrated float graph becomes the integer IR.

Scales are powers of two chosen per tensor from calibration: the finest scale at which
the largest calibrated magnitude still fits the tensor's bit bound. A requantizing op
needs its output scale no finer than its accumulator (shift >= 0), so that bound caps
the choice. circuits/quantization.md states the resulting integer semantics.

`Lowering` holds the model being built and the helpers every op's lowering uses; each
op's own lowering is its `lower` in zkml.quant.ops, which `Lowering.lower` dispatches to.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from zkml.errors import ModelError
from zkml.quant.ir import QModel, QOp, QTensor
from zkml.quant.ops import SPECS
from zkml.quant.rounding import bits_for, check_bound, frac_bits_for, quantize_float
from zkml.quant.tables import make_table

if TYPE_CHECKING:
    from zkml.onnx_import.graph import Graph, Node
    from zkml.quant.calibrate import Stats
    from zkml.quant.precision import Precision

__all__ = ["quantize_graph", "Lowering"]


class Lowering:
    """The IR under construction: tensors, ops and integer constants, from the float
    graph `g`, its calibration `stats` and the precision `p`; `source` names the ONNX
    node whose ops are being appended."""

    def __init__(self, graph: Graph, stats: Stats, precision: Precision,
                 reserve: frozenset[str] = frozenset()) -> None:
        self.g = graph
        self.stats = stats
        self.p = precision
        # weights quantized one bit coarser than their values need, so that an
        # unlearning update of up to their largest magnitude fits the same format and
        # circuit (circuits/unlearning.md 7)
        self.reserve = reserve
        self.tensors: dict[str, QTensor] = {}
        self.ops: list[QOp] = []
        self.constants: dict[str, np.ndarray] = {}
        self._weights: dict[tuple, str] = {}
        self.source = ""

    # -- tensors ---------------------------------------------------------------------
    def add_tensor(self, name: str, shape, frac: int, bits: int, role: str = "activation") -> str:
        """Declare tensor `name` (scale `2^-frac`, `bits` wide); returns its name."""
        if name in self.tensors:
            raise ModelError(f"internal: tensor {name!r} defined twice")
        self.tensors[name] = QTensor(name, tuple(int(d) for d in shape), int(frac), int(bits), role)
        return name

    def fresh(self, base: str, tag: str) -> str:
        """An unused tensor name `base/tag` (numbered when taken)."""
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
            frac = frac_bits_for(float(np.abs(arr).max(initial=0.0)), bits, cap) - \
                (cname in self.reserve)
        return self._weight(cname, arr, frac, bits, (cname, frac, bits))

    def exact_const(self, cname: str, frac: int, stored_bits: int | None = None) -> str:
        """A constant (a bias) at a fixed scale, as wide as its values need: that width,
        like a weight's scale, is part of the public format (the circuit's `bias_shift`
        and bounds follow it; quantization.md, "What the circuit may depend on").

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
        """The table constant of `fn` for these input and output scales (made once)."""
        name = f"table:{fn}:in{in_bits}@{in_frac}:out{out_bits}@{out_frac}"
        if name not in self.tensors:
            self.constants[name] = make_table(fn, in_frac, in_bits, out_frac, out_bits)
            self.add_tensor(name, (1 << in_bits,), out_frac, out_bits, "table")
        return name

    def op(self, kind: str, inputs: list[str], output: str, **attrs) -> None:
        """Append the IR op `kind`, named after its position and tagged with `source`."""
        name = f"{len(self.ops)}:{kind}"
        self.ops.append(QOp(kind, name, tuple(inputs), output, attrs, self.source))

    def t(self, name: str) -> QTensor:
        """The declared tensor `name`."""
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
        """Append the integer ops of one graph node (its op's `lower` in zkml.quant.ops)."""
        self.source = node.source
        spec = SPECS.get(node.op)
        if spec is None or spec.lower is None:
            raise ModelError(f"internal: op {node.op!r} has no lowering")
        spec.lower(self, node)

    # Helpers that several ops' lowerings share.
    def operand(self, name: str, other: str | None, bits: int) -> str:
        """A Sym operand as is; a constant quantized next to its partner's scale."""
        if name not in self.g.constants:
            return name
        cap = None if other is None else self.t(other).frac_bits + self.p.weight_bits
        return self.const_tensor(name, bits, cap=cap)

    def same_scale(self, node: Node, kind: str, **attrs) -> None:
        """`kind` of the node's first input into its output at the input's scale and
        bound (no requantization)."""
        x = self.t(node.inputs[0])
        self.add_tensor(node.output, self.g.shapes[node.output], x.frac_bits, x.bits)
        self.op(kind, [x.name], node.output, **attrs)

    def averaging(self, node: Node, kind: str, **attrs) -> None:
        """`kind`, a mean of the node's input, into its output at the finer of the
        calibrated and the input's scale (`lshift` moves the sum there)."""
        x = self.t(node.inputs[0])
        bits = max(self.p.activation_bits, x.bits)
        # A mean is never larger than its inputs, so a finer scale only adds precision.
        fy = max(self.act_frac(node.output, bits=bits), x.frac_bits)
        self.add_tensor(node.output, self.g.shapes[node.output], fy, bits)
        self.op(kind, [x.name], node.output, lshift=fy - x.frac_bits, **attrs)


def quantize_graph(graph: Graph, stats: Stats, precision: Precision,
                   reserve: frozenset[str] = frozenset()) -> QModel:
    """Lower the float graph to a QModel with scales chosen from `stats`; the weights
    named in `reserve` keep one bit of headroom (an unlearning layer)."""
    unknown = sorted(set(reserve) - set(graph.constants))
    if unknown:
        raise ModelError(f"unlearnable weight {unknown[0]!r} (unlearnable= in Python, "
                         "--unlearnable on the command line) is not a weight of the model")
    low = Lowering(graph, stats, precision, frozenset(reserve))
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
