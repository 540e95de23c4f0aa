"""Gadgets with parts (nonlinear.md 11, rearrange.md 3): a concat or rearrange sends its
parts' values E_1..E_K right after its acc-evals, summing to `acc(r_g)`, and reduces each
by one dense-group instance over the part's variables."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from zkml.errors import ProofFormatError
from zkml.verifier.circuit_limits import (
    MAX_CONCAT_PARTS,
    MAX_FEATURES,
    MAX_REARRANGE_BLOCKS,
    MAX_REARRANGE_PARTS,
    MAX_REARRANGE_STRIDE,
    MAX_VIEW_DIMS,
)
from zkml.verifier.declarations import Claim, Expr
from zkml.verifier.gadgets.base import DENSE, GadgetCheck, Instance, RunContext
from zkml.verifier.layout import Layout, log2_ceil
from zkml.verifier.nonlinear import check_parts, concat_instance_value
from zkml.verifier.rearrange import (
    Block,
    RearrangeSpec,
    layout_width,
    rearrange_instance_value,
    row_strides,
    strided,
)
from zkml.verifier.records import (
    Gadget,
    GadgetFields,
    Producer,
    dims,
    err,
    int_field,
    obj,
    parse_ref,
)
from zkml.verifier.spatial import padded_size
from zkml.verifier.wiring import Axis

if TYPE_CHECKING:
    from zkml.verifier.circuit import Circuit

__all__ = ["Concat", "Rearrange", "ConcatProducer", "RearrangeProducer"]


# --- the producer records and their strict parsing (records.py's readers) ---


@dataclass(frozen=True)
class ConcatProducer(Producer):
    """concat (nonlinear.md 11): the parts (`x` the first), their shapes `[C_k, S..]` and
    wiring axes `(C, C_k, 1, 1, 1, off_k)`."""

    parts: tuple[int | None, ...]
    shapes: tuple[tuple[int, ...], ...]
    axes: tuple[Axis, ...]


@dataclass(frozen=True)
class RearrangeProducer(Producer):
    """rearrange (rearrange.md 1): the parts (`x` the first) and the gather `spec`
    (layouts, out_shape, dims and blocks)."""

    parts: tuple[int | None, ...]
    spec: RearrangeSpec

    @property
    def shapes(self) -> tuple[tuple[int, ...], ...]:
        """The parts' layouts `[n]` or `[C, S..]`."""
        return self.spec.shapes


def _concat(prod: dict, what: str, pw: str, gf: GadgetFields) -> ConcatProducer:
    """concat (nonlinear.md 11): channel c of the output is channel c - off_k of part k."""
    obj(prod, {"op", "parts", "shapes"}, pw)
    raw_parts, raw_shapes = prod["parts"], prod["shapes"]
    if not isinstance(raw_parts, list) or not 2 <= len(raw_parts) <= MAX_CONCAT_PARTS:
        raise err(f"{pw} parts must be a list of 2..{MAX_CONCAT_PARTS} references")
    if not isinstance(raw_shapes, list) or len(raw_shapes) != len(raw_parts):
        raise err(f"{pw} shapes must be a list of {len(raw_parts)} shapes (one per part)")
    parts = tuple(parse_ref(v, gf.index, f"{pw} parts[{k}]") for k, v in enumerate(raw_parts))
    shapes = tuple(dims(v, f"{pw} shapes[{k}]", (1, 2, 3)) for k, v in enumerate(raw_shapes))
    spatial = shapes[0][1:]
    for k, (ref, shape) in enumerate(zip(parts, shapes, strict=True)):
        if shape[1:] != spatial:
            raise err(f"{what}: concat shapes[{k}] {list(shape)} has other spatial dims than "
                      f"shapes[0] {list(shapes[0])}")
        need = shape[0] if len(shape) == 1 else padded_size(shape)  # a flat part: C_k
        if gf.width(ref) != need:
            raise err(f"{what}: concat part {k} has width {gf.width(ref)}, shape "
                      f"{list(shape)} needs {need}")
    channels = sum(shape[0] for shape in shapes)
    if gf.features != padded_size((channels, *spatial)):
        raise err(f"{what}: concat features {gf.features} != pad(C) prod pad(S) = "
                  f"{padded_size((channels, *spatial))} (C = {channels})")
    axes, off = [], 0
    for k, shape in enumerate(shapes):
        try:
            axes.append(Axis(channels, shape[0], 1, 1, 1, off))
        except ProofFormatError as exc:
            raise err(f"{what}: concat part {k} wiring: {exc.detail}") from None
        off += shape[0]
    return ConcatProducer(parts[0], parts=parts, shapes=shapes, axes=tuple(axes))


def _layout(v: object, what: str, pw: str, name: str) -> tuple[int, ...]:
    """A rearrange layout `[n]`, `[C, S_1]` or `[C, S_1, S_2]` of padded width <= 2^20."""
    shape = dims(v, f"{pw} {name}", (1, 2, 3))
    if layout_width(shape) > MAX_FEATURES:
        raise err(f"{what}: rearrange {name} {list(shape)} has padded width "
                  f"{layout_width(shape)} > {MAX_FEATURES}")
    return shape


def _block(v: object, b: int, m: int, n_parts: int, space: tuple[int, ...], pw: str
           ) -> Block:
    """One block object (rearrange.md 1): exact keys, its box inside `space`."""
    bw = f"{pw} blocks[{b}]"
    obj(v, {"part", "start", "size", "offset", "strides"}, bw)
    part = int_field(v["part"], f"{bw} part", 0, n_parts - 1)
    for key in ("start", "size", "strides"):
        if not isinstance(v[key], list) or len(v[key]) != m:
            raise err(f"{bw} {key} must be a list of {m} integers (the rank of dims)")
    start = tuple(int_field(e, f"{bw} start[{j}]", 0, space[j] - 1)
                  for j, e in enumerate(v["start"]))
    size = tuple(int_field(e, f"{bw} size[{j}]", 1, space[j] - start[j])
                 for j, e in enumerate(v["size"]))
    strides = tuple(int_field(e, f"{bw} strides[{j}]", 0, MAX_REARRANGE_STRIDE - 1)
                    for j, e in enumerate(v["strides"]))
    offset = int_field(v["offset"], f"{bw} offset", 0, MAX_REARRANGE_STRIDE - 1)
    return Block(part, start, size, offset, strides)


def _check_tiling(what: str, space: tuple[int, ...], blocks: tuple[Block, ...]) -> None:
    """rearrange.md 1: the blocks' volumes sum to prod dims and no index is covered twice
    (a bitmap of prod dims <= 2^20 bytes, marked one last-axis run at a time)."""
    total = math.prod(space)
    volume = sum(b.volume for b in blocks)
    if volume != total:
        raise err(f"{what}: rearrange blocks cover {volume} indices, dims "
                  f"{list(space)} has {total}")
    o_strides = row_strides(space)
    covered = bytearray(total)
    for bi, b in enumerate(blocks):
        run = b.size[-1]
        ones = b"\x01" * run
        base = sum(a * t for a, t in zip(b.start, o_strides, strict=True))
        for row in strided(b.size[:-1], o_strides[:-1], base):
            if 1 in covered[row : row + run]:
                raise err(f"{what}: rearrange blocks[{bi}] overlaps an earlier block")
            covered[row : row + run] = ones


def _rearrange(prod: dict, what: str, pw: str, gf: GadgetFields) -> RearrangeProducer:
    """rearrange (rearrange.md 1): the output is a public gather of the parts' entries,
    described by blocks tiling the index space `dims`."""
    obj(prod, {"op", "parts", "shapes", "out_shape", "dims", "blocks"}, pw)
    raw_parts, raw_shapes, raw_blocks = prod["parts"], prod["shapes"], prod["blocks"]
    if not isinstance(raw_parts, list) or not 1 <= len(raw_parts) <= MAX_REARRANGE_PARTS:
        raise err(f"{pw} parts must be a list of 1..{MAX_REARRANGE_PARTS} references")
    n = len(raw_parts)
    if not isinstance(raw_shapes, list) or len(raw_shapes) != n:
        raise err(f"{pw} shapes must be a list of {n} layouts (one per part)")
    parts = tuple(parse_ref(v, gf.index, f"{pw} parts[{k}]") for k, v in enumerate(raw_parts))
    shapes = tuple(_layout(v, what, pw, f"shapes[{k}]") for k, v in enumerate(raw_shapes))
    for k, (ref, shape) in enumerate(zip(parts, shapes, strict=True)):
        if gf.width(ref) != layout_width(shape):
            raise err(f"{what}: rearrange part {k} has width {gf.width(ref)}, layout "
                      f"{list(shape)} needs {layout_width(shape)}")
    out_shape = _layout(prod["out_shape"], what, pw, "out_shape")
    if gf.features != layout_width(out_shape):
        raise err(f"{what}: rearrange features {gf.features} != width of out_shape "
                  f"{list(out_shape)} = {layout_width(out_shape)}")
    space = dims(prod["dims"], f"{pw} dims", tuple(range(1, MAX_VIEW_DIMS + 1)))
    out_real = math.prod(out_shape)
    if math.prod(space) != out_real:
        raise err(f"{what}: rearrange dims {list(space)} has {math.prod(space)} entries, "
                  f"out_shape {list(out_shape)} has {out_real}")
    if not isinstance(raw_blocks, list) or not 1 <= len(raw_blocks) <= MAX_REARRANGE_BLOCKS:
        raise err(f"{pw} blocks must be a list of 1..{MAX_REARRANGE_BLOCKS} blocks")
    blocks = tuple(_block(v, b, len(space), n, space, pw) for b, v in enumerate(raw_blocks))
    for bi, b in enumerate(blocks):
        real = math.prod(shapes[b.part])
        if b.corner >= real:
            raise err(f"{what}: rearrange blocks[{bi}] reads index {b.corner} of part "
                      f"{b.part}, which has {real} real entries")
    _check_tiling(what, space, blocks)
    spec = RearrangeSpec(shapes, out_shape, space, blocks)
    return RearrangeProducer(parts[0], parts=parts, spec=spec)


class Concat(GadgetCheck):
    """nonlinear.md 11: part k through the wiring axis (C, C_k, 1, 1, 1, off_k)."""

    OP = "concat"
    RECORD = ConcatProducer
    p: ConcatProducer | RearrangeProducer
    parse = staticmethod(_concat)

    LABEL = "concat-parts"

    def acc_count(self) -> int:
        """Own columns only."""
        return len(self.g.own)

    def messages(self) -> tuple[tuple[str, int], ...]:
        """E_1..E_K, a Vec<Fr> of length K."""
        return ((self.LABEL, len(self.p.parts)),)

    def part_vars(self, k: int) -> int:
        """Part k's instance variables: log2 pad(C_k)."""
        return log2_ceil(self.p.shapes[k][0])

    def dense_instances(self, lay: Layout) -> list[Instance]:
        """One per part; part k's u limbs (none for the input)."""
        c, g = self.c, self.g
        return [self.instance(DENSE, f"{g.op}.{k}", self.part_vars(k), len(c.u_of(ref)),
                              part=k) for k, ref in enumerate(self.p.parts)]

    def __init__(self, circuit: Circuit, g: Gadget) -> None:
        super().__init__(circuit, g)
        #: the claims E_1..E_K (message `<label>[g]`)
        self.parts: list[Claim] = []

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[Claim], acc: Expr
                 ) -> None:
        """acc(r_g), the parts' sum."""
        self.claim = acc

    def after_acc(self, ctx: RunContext) -> None:
        """The parts E_1..E_K sum to acc(r_g)."""
        raw = self.extra[0]
        ctx.transcript.absorb_frs(self.LABEL, raw)
        self.parts = list(ctx.stream(f"{self.LABEL}[{self.g.index}]", raw))
        check_parts(ctx, self.g, self.claim, self.parts)

    def claim_of(self, inst: Instance) -> Expr | Claim | int:
        """Part k's instance claims E_k (a zerocheck's: 0)."""
        if inst.group != DENSE:
            return super().claim_of(inst)
        return self.parts[inst.part]

    def dense_value(self, ctx: RunContext, inst: Instance, s: list[int],
                    vals: Iterator[Claim]) -> Expr:
        """Part k's final value."""
        return concat_instance_value(ctx, self.g, inst.part, self.point, s, vals)


class Rearrange(Concat):
    """rearrange.md 3: part k through its public selection Sel_k."""

    OP = "rearrange"
    RECORD = RearrangeProducer
    p: RearrangeProducer
    parse = staticmethod(_rearrange)

    LABEL = "rearrange-parts"

    def __init__(self, circuit: Circuit, g: Gadget) -> None:
        super().__init__(circuit, g)
        #: eq_table(r_o), shared by the gadget's parts
        self.e_out: dict[int, list[int]] = {}

    @classmethod
    def padded_output(cls, g: Gadget) -> str | None:
        """rearrange.md 5: flat outputs only (a spatial out_shape carries padding)."""
        out_shape = cast(RearrangeProducer, g.producer).spec.out_shape
        return (f"rearrange with spatial out_shape {list(out_shape)}"
                if len(out_shape) > 1 else None)

    def part_vars(self, k: int) -> int:
        """log2 pad(width_k)."""
        return self.p.spec.part_vars(k)

    def dense_value(self, ctx: RunContext, inst: Instance, s: list[int],
                    vals: Iterator[Claim]) -> Expr:
        """Sel_k(r_o, s) X_k(s, r_b)."""
        return rearrange_instance_value(ctx, self.g, inst.part, self.point, s, vals,
                                        self.e_out)
