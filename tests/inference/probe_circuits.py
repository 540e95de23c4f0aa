"""Tiny hand-written circuits (with their model stacks) that exercise one circuit format
feature each: the spatial producers (circuits/conv.md), the general windows (conv.md
section 5), a table and a spatial sum with a divisor (circuits/nonlinear.md), Softmax
(sections 5-7), `mul` (section 8), `addconst` and `concat` (sections 10-11). Small
fixtures for the parse, relation and witness tests."""

from __future__ import annotations

import numpy as np

from zkml.compiler.build import excess_bits
from zkml.compiler.circuit import (
    Circuit,
    Gadget,
    ModelStack,
    StackTensor,
    assign_slots,
    bits,
    ceil_log2,
)
from zkml.compiler.nonlinear import rowdiv_excess
from zkml.compiler.producers import (
    Add,
    AddConst,
    Concat,
    Conv,
    Dense,
    Identity,
    MaxPool,
    Mul,
    Producer,
    RowDiv,
    RowMax,
    SpatialSum,
    SumPool,
    Table,
    WinMax,
    WinSum,
)


def probe_circuit() -> Circuit:
    """A tiny valid circuit with a shaped input and every spatial producer (conv, maxpool,
    sumpool, then dense): a verifier that parses it knows circuits/conv.md."""
    def gadget(p: Producer, features: int, shift: int = 0) -> Gadget:
        return Gadget(p, features=features, shift=shift, lo=-8, hi=7, excess_hi_bits=0,
                      excess_lo_bits=0, frac_bits=0, source=p.op)

    gadgets = (
        gadget(Conv("input", "cw", in_shape=(1, 4, 4), out_shape=(2, 4, 4), kernel=(3, 3),
                    strides=(1, 1), dilations=(1, 1), pads=(1, 1)), 32),
        gadget(MaxPool(0, in_shape=(2, 4, 4), out_shape=(2, 2, 2), window=(2, 2),
                       diff_bits=4), 8),
        gadget(SumPool(1, in_shape=(2, 2, 2), out_shape=(2, 1, 1), window=(2, 2), lshift=0),
               2, shift=2),
        gadget(Dense(2, "dw"), 1),
    )
    stack = ModelStack(6, 3, 4, (StackTensor("cw", 2, 16, 0), StackTensor("dw", 1, 2, 32)))
    return Circuit(16, 4, 0, 3, 1, gadgets, stack, input_shape=(1, 4, 4))


def nonlinear_probe_circuit() -> Circuit:
    """A tiny valid circuit with every circuits/nonlinear.md feature: a table on a shaped
    input (16 entries), a spatial sum over a 3x3 map (divisor 9, shift 0, `rem`/`remc`),
    then dense. A verifier or prover that handles it knows nonlinear.md."""
    gadgets = (
        Gadget(Table("input", "tt"), features=32, shift=0, lo=-8, hi=7, excess_hi_bits=0,
               excess_lo_bits=0, frac_bits=0, source="table"),
        Gadget(SpatialSum(0, in_shape=(2, 3, 3), lshift=0), features=2, shift=0, lo=-8, hi=7,
               excess_hi_bits=1, excess_lo_bits=0, frac_bits=0, source="spatialsum",
               divisor=9),
        Gadget(Dense(1, "dw"), features=1, shift=0, lo=-8, hi=7, excess_hi_bits=0,
               excess_lo_bits=0, frac_bits=0, source="dense"),
    )
    stack = ModelStack(5, 2, 4, (StackTensor("tt", 1, 16, 0), StackTensor("dw", 1, 2, 16)))
    return Circuit(18, 4, 0, 2, 1, gadgets, stack, input_shape=(2, 3, 3))


def window_probe_circuit() -> Circuit:
    """A tiny valid circuit with both general window gadgets (conv.md section 5): a
    winmax 3x3 stride 2 pad 1 on a shaped 1x5x5 input (3x3 output: padded outputs in a
    4x4 layout), a winsum 3x3 average with pad 1 (divisor 9), then dense. A verifier or
    prover that handles it knows section 5."""
    def gadget(p: Producer, features: int, divisor: int = 1) -> Gadget:
        return Gadget(p, features=features, shift=0, lo=-8, hi=7, excess_hi_bits=0,
                      excess_lo_bits=0, frac_bits=0, source=p.op, divisor=divisor)

    gadgets = (
        gadget(WinMax("input", in_shape=(1, 5, 5), out_shape=(1, 3, 3), kernel=(3, 3),
                      strides=(2, 2), dilations=(1, 1), pads=(1, 1), diff_bits=4), 16),
        gadget(WinSum(0, in_shape=(1, 3, 3), out_shape=(1, 3, 3), kernel=(3, 3),
                      strides=(1, 1), dilations=(1, 1), pads=(1, 1), lshift=0), 16, divisor=9),
        gadget(Dense(1, "dw"), 1),
    )
    stack = ModelStack(4, 1, 4, (StackTensor("dw", 1, 16, 0),))
    return Circuit(25, 4, 0, 2, 1, gadgets, stack, input_shape=(1, 5, 5))


def softmax_probe_circuit(limb_bits: int = 8) -> Circuit:
    """A tiny valid circuit with every feature of circuits/nonlinear.md sections 5-7 (a
    Softmax over 3 of 4 padded input features, then dense): `rowmax` of the input, a
    row-broadcast `add`, a 16-entry table, a `spatialsum` over the row (`in_shape
    [1, 3]`), `rowdiv` (with excess), then `dense`; `limb_bits` as given. Its model stack
    is `softmax_probe_stack()`. A verifier or prover that handles it knows sections 5-7."""
    def gadget(p: Producer, features: int, lo: int, hi: int, excess: tuple[int, int] = (0, 0)
               ) -> Gadget:
        return Gadget(p, features=features, shift=0, lo=lo, hi=hi, excess_hi_bits=excess[0],
                      excess_lo_bits=excess[1], frac_bits=0, source=p.op)

    gadgets = (
        gadget(RowMax("input", n=3, diff_bits=4), 1, -8, 7),
        gadget(Add("input", 0, signs=(1, -1), lshifts=(0, 0)), 3, -8, 7, (4, 3)),
        gadget(Table(1, "tt"), 3, 0, 7),
        gadget(SpatialSum(2, in_shape=(1, 3), lshift=0), 1, 0, 31),
        gadget(RowDiv(2, 3, lshift=2, remainder_bits=bits(2 * 31 - 1)), 3, 0, 7,
               rowdiv_excess(2, (0, 7), 0, 7)),
        gadget(Dense(4, "w"), 2, -64, 63),
    )
    stack = ModelStack(5, 2, 4, (StackTensor("tt", 1, 16, 0), StackTensor("w", 2, 3, 16)))
    return Circuit(3, 4, 0, 5, 2, gadgets, stack, limb_bits=limb_bits)


def softmax_probe_stack() -> np.ndarray:
    """The model stack of `softmax_probe_circuit`: the table `T[j] = floor(j / 2)` (so the
    row maximum's entry `T[8] = 4 >= 1` keeps every row sum positive) and a 2 x 3 weight."""
    stack = np.zeros(32, dtype=np.int64)
    stack[:16] = np.arange(16) // 2
    stack[16:24] = [1, 0, -1, 0, 0, 1, 1, 0]
    return stack


def mul_probe_circuit() -> Circuit:
    """A tiny valid circuit with nonlinear.md section 8's `mul` (3 of 4 padded input
    features, 4-bit): `g0 = identity(input)`, `g1 = mul(input, g0)` (shift 2, with excess),
    `g2 = mul(g1, g1)` (shift 3, with excess), then `dense`. Its model stack is
    `mul_probe_stack()`. A verifier or prover that handles it knows the `mul` gadget
    (with the input as an operand, a gadget read twice, padded features)."""

    def gadget(p: Producer, shift: int, bound: int, features: int = 3) -> Gadget:
        e_hi, e_lo = excess_bits(bound, shift, -8, 7)
        return Gadget(p, features=features, shift=shift, lo=-8, hi=7, excess_hi_bits=e_hi,
                      excess_lo_bits=e_lo, frac_bits=0, source=p.op)

    gadgets = (
        gadget(Identity("input"), 0, 8),
        gadget(Mul("input", 0), 2, 64),
        gadget(Mul(1, 1), 3, 64),
        gadget(Dense(2, "w"), 0, 8 * 2, features=2),
    )
    stack = ModelStack(3, 1, 2, (StackTensor("w", 2, 3, 0),))
    return Circuit(3, 4, 0, 3, 2, gadgets, stack, limb_bits=8)


def mul_probe_stack() -> np.ndarray:
    """The model stack of `mul_probe_circuit`: a 2 x 3 weight of -1, 0, 1."""
    stack = np.zeros(8, dtype=np.int64)
    stack[:8] = [1, 0, -1, 0, 0, 1, 1, 0]
    return stack


def combine_probe_circuit() -> Circuit:
    """A tiny valid circuit with nonlinear.md sections 10 and 11 (a flat 3-feature 4-bit
    input): `g0 = addconst(input, C)` (lshift 1, shift 1, with excess), `g1 = dense(g0)`
    (4 features), `g2 = dense(input)` (2 features), `g3 = concat(g1, g2)` of shapes `[4]`,
    `[2]` (6 channels in 8 features, the last two 0), then `dense(g3)`. Its model stack is
    `combine_probe_stack()`. A verifier or prover that handles it knows sections 10-11."""
    return _combine_probe()[0]


def combine_probe_stack() -> np.ndarray:
    """The model stack of `combine_probe_circuit`: `C = [5, -3, 2]` and small weights."""
    return _combine_probe()[1]


def _combine_probe() -> tuple[Circuit, np.ndarray]:

    def gadget(p: Producer, features: int, shift: int = 0, bound: int = 8) -> Gadget:
        e_hi, e_lo = excess_bits(bound, shift, -8, 7)
        return Gadget(p, features=features, shift=shift, lo=-8, hi=7, excess_hi_bits=e_hi,
                      excess_lo_bits=e_lo, frac_bits=0, source=p.op)

    mats = {"c": np.array([[5, -3, 2]]),
            "w0": np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, -1, 0]]),
            "w1": np.array([[1, 0, -1], [0, 1, 1]]),
            "w2": np.array([[1, 0, 0, 1, 0, -1, 0, 0], [0, 1, -1, 0, 1, 0, 0, 0]])}
    sizes = [(1 << ceil_log2(a.shape[0])) * (1 << ceil_log2(a.shape[1])) for a in mats.values()]
    offsets = assign_slots(sizes)
    num_vars = ceil_log2(sum(sizes))
    values = np.zeros(1 << num_vars, dtype=np.int64)
    tensors = []
    for (name, a), off in zip(mats.items(), offsets, strict=True):
        width = 1 << ceil_log2(a.shape[1])
        view = values[off : off + (1 << ceil_log2(a.shape[0])) * width].reshape(-1, width)
        view[: a.shape[0], : a.shape[1]] = a
        tensors.append(StackTensor(name, a.shape[0], a.shape[1], off))
    gadgets = (
        gadget(AddConst("input", "c", lshift=1), 3, 1, 16 + 5),
        gadget(Dense(0, "w0"), 4, 0, 8 * 3),
        gadget(Dense("input", "w1"), 2, 0, 8 * 3),
        gadget(Concat(parts=(1, 2), shapes=((4,), (2,))), 8),
        gadget(Dense(3, "w2"), 2, 0, 8 * 6),
    )
    stack = ModelStack(num_vars, num_vars // 2, 4, tuple(tensors))
    return Circuit(3, 4, 0, 4, 2, gadgets, stack, limb_bits=8), values
