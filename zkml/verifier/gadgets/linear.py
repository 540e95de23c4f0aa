"""Dense and conv gadgets (inference.md 4, conv.md 2): `acc(r_g)` less the bias is
reduced by one dense-group instance over x's (or the conv's) variables."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zkml.verifier.axes import features_batch
from zkml.verifier.conv import conv_acc_claim, conv_instance_value
from zkml.verifier.declarations import Claim, Expr
from zkml.verifier.gadgets.base import DENSE, GadgetCheck, Instance, RunContext
from zkml.verifier.layout import Layout, log2_ceil
from zkml.verifier.records import (
    MAX_SHIFT,
    GadgetFields,
    Producer,
    check_widths,
    err,
    geometry,
    int_field,
    obj,
    parse_ref,
    str_field,
)
from zkml.verifier.spatial import ConvSpec, padded_size

if TYPE_CHECKING:
    from zkml.verifier.records import ModelStack

__all__ = ["Dense", "Conv", "DenseProducer", "ConvProducer"]


# --- the producer records and their strict parsing (records.py's readers) ---


@dataclass(frozen=True)
class DenseProducer(Producer):
    """dense (inference.md 6): acc = W x + 2^bias_shift b, W the model tensor `weight`
    (features x width(x)), b the optional `bias` (1 x features)."""

    weight: str
    bias: str | None
    bias_shift: int


@dataclass(frozen=True)
class ConvProducer(DenseProducer):
    """conv (conv.md 2): the dense fields, W of O x pad(C) prod pad(K), and the conv's
    shapes, kernel and wiring axes."""

    conv: ConvSpec


def _weight(prod: dict, what: str, pw: str, model: ModelStack) -> str:
    weight = str_field(prod["weight"], f"{pw} weight")
    if weight not in model.tensors:
        raise err(f"{what}: weight {weight!r} is not a model tensor")
    return weight


def _bias(prod: dict, what: str, pw: str, n: int, model: ModelStack) -> str | None:
    if prod["bias"] is None:
        return None
    bias = str_field(prod["bias"], f"{pw} bias")
    b = model.tensors.get(bias)
    if b is None:
        raise err(f"{what}: bias {bias!r} is not a model tensor")
    if b.rows != 1 or b.cols != n:
        raise err(f"{what}: bias {bias!r} is {b.rows}x{b.cols}, expected 1x{n}")
    return bias


def _conv(prod: dict, what: str, pw: str, gf: GadgetFields, x: int | None) -> ConvSpec:
    in_shape, out_shape, kernel, axes = geometry(prod, what, pw, "conv")
    check_widths(what, "conv", gf, x, in_shape, out_shape)
    weight = prod["weight"]
    w = gf.model.tensors[weight]
    cols = padded_size((in_shape[0], *kernel))
    if w.rows != out_shape[0] or w.cols != cols:
        raise err(f"{what}: conv weight {weight!r} is {w.rows}x{w.cols}, "
                  f"expected {out_shape[0]}x{cols}")
    return ConvSpec(in_shape, out_shape, kernel, tuple(axes))


def _parse_dense(prod: dict, what: str, pw: str, gf: GadgetFields) -> DenseProducer:
    """dense (inference.md 6): W is features x width(x), b 1 x features."""
    idx, features, model = gf.index, gf.features, gf.model
    obj(prod, {"op", "x", "weight", "bias", "bias_shift"}, pw)
    bias_shift = int_field(prod["bias_shift"], f"{pw} bias_shift", 0, MAX_SHIFT)
    x = parse_ref(prod["x"], idx, f"{pw} x")
    weight = _weight(prod, what, pw, model)
    w = model.tensors[weight]
    if w.cols != gf.width(x) or w.rows != features:
        raise err(f"{what}: weight {weight!r} is {w.rows}x{w.cols}, "
                  f"expected {features}x{gf.width(x)}")
    bias = _bias(prod, what, pw, features, model)
    return DenseProducer(x, weight=weight, bias=bias, bias_shift=bias_shift)


def _parse_conv(prod: dict, what: str, pw: str, gf: GadgetFields) -> ConvProducer:
    """conv (conv.md 2): the axes, the weight's shape and the bias."""
    idx, model = gf.index, gf.model
    obj(prod, {"op", "x", "weight", "bias", "bias_shift", "in_shape", "out_shape",
               "kernel", "strides", "dilations", "pads"}, pw)
    bias_shift = int_field(prod["bias_shift"], f"{pw} bias_shift", 0, MAX_SHIFT)
    x = parse_ref(prod["x"], idx, f"{pw} x")
    weight = _weight(prod, what, pw, model)
    conv = _conv(prod, what, pw, gf, x)
    bias = _bias(prod, what, pw, conv.out_shape[0], model)
    return ConvProducer(x, weight=weight, bias=bias, bias_shift=bias_shift, conv=conv)


class Dense(GadgetCheck):
    """acc = W x + 2^bias_shift b: `sum_j W(r_o, j) X(j, r_b) = acc(r_g) - 2^s b(r_o)`."""

    OP = "dense"
    RECORD = DenseProducer
    READS_MODEL = True
    p: DenseProducer
    parse = staticmethod(_parse_dense)

    def acc_count(self) -> int:
        """Own columns, then the bias claim b(r_o) if any."""
        return len(self.g.own) + (self.p.bias is not None)

    def dense_instances(self, lay: Layout) -> list[Instance]:
        """One instance over log2 pad(width(x)) variables: x's u limbs, then W."""
        x = self.p.x
        return [self.instance(DENSE, "dense", log2_ceil(self.c.width_of(x)),
                              len(self.c.u_of(x)) + 1)]

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[Claim], acc: Expr
                 ) -> None:
        """The claim acc(r_g) - 2^bias_shift b(r_o), recording the bias claim."""
        g, p = self.g, self.p
        if p.bias is not None:
            b = next(vals)
            ctx.model_claim(ctx.bias_claims, p.bias, features_batch(r, g.log_features)[0], b)
            acc = acc - (b << p.bias_shift)
        self.claim = acc

    def dense_value(self, ctx: RunContext, inst: Instance, s: list[int],
                    vals: Iterator[Claim]) -> Expr:
        """X(s, r_b) W(r_o, s), recording the weight claim: one product."""
        g, p = self.g, self.p
        r_o, r_b = features_batch(self.point, g.log_features)
        xv = ctx.value(p.x, vals, [*s, *r_b])
        w = next(vals)
        ctx.model_claim(ctx.w_claims, p.weight, [*s, *r_o], w)
        return xv * w


class Conv(Dense):
    """conv.md 2: the dense relation through the conv's wiring."""

    OP = "conv"
    RECORD = ConvProducer
    PADDED_OUTPUT = True
    p: ConvProducer
    parse = staticmethod(_parse_conv)

    def dense_instances(self, lay: Layout) -> list[Instance]:
        """One instance over the conv's variables: x's u limbs, then W."""
        p = self.p
        return [self.instance(DENSE, "conv", p.conv.num_vars, len(self.c.u_of(p.x)) + 1)]

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[Claim], acc: Expr
                 ) -> None:
        """acc(r_g) less the bias (conv.md 2)."""
        self.claim = conv_acc_claim(ctx, self.g, r, vals, acc)

    def dense_value(self, ctx: RunContext, inst: Instance, s: list[int],
                    vals: Iterator[Claim]) -> Expr:
        """The conv instance's final value (conv.md 2)."""
        return conv_instance_value(ctx, self.g, self.point, s, vals)
