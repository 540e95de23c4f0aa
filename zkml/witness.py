"""The witness of an inference proof: padded tensors and committed limb columns.

`build_witness` evaluates the circuit on a batch of quantized inputs exactly as
circuits/inference.md sections 1-2 define it (whole padded tensors, padded batch rows
fed zero inputs), checks the real region against the integer reference executor, and
returns the committed columns in spec order (per gadget: `u`, `v`, `rem`, `remc`, `ep`,
`em` limbs, low limb first; a maxpool's `D_w` limbs and `S_w` after them), each an int64
array of length `B' * n_g'`. Spatial tensors (circuits/conv.md) are held in their padded
layout; `zkml.witness_spatial` computes the conv, pooling and spatial-sum gadgets.

circuits/nonlinear.md: a gadget with `divisor d > 1` requantizes by `d` (round half up:
`acc + floor(d/2) = d q + rem`) and commits `rem` and `remc = d - 1 - rem`; a `table`
gadget's `z = T[x - lo_x]` over the whole padded tensor (padding included). The table
multiplicities `t_g` are the prover's (`table_multiplicities` computes them for tests).
Sections 5-7: every value is split into limbs of the circuit's `limb_bits` (8 or 16); an
`add` broadcasts a row value `y` (one value per row, or per group of a grouped row:
section 12) along the positions; a `rowmax` commits its row (group) maxima with `D`, `S`
of its operand's shape; a `rowdiv` divides by a row value `y` (round half up) and
commits `R`, `Rc`. Section 8: a `mul` gadget's `acc = x y`
elementwise over the whole padded tensor (padding included), then its shift and clamp.
Section 10: an `addconst` adds its model-stack row `C` to `2^l x` (every padded row too);
section 11: a `concat` copies each part's real channels (with their padded spatial slabs)
to channels `off_k + c'` of its output, zero past `C`. circuits/rearrange.md: a
`rearrange` copies every real entry of its parts to the position the public index map
gives (`rearrange_index`), zero at the output's padded positions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from zkml.compiler.build import CompiledCircuit
from zkml.compiler.circuit import SPATIAL_OPS, Circuit, Gadget, ceil_log2, limb_widths
from zkml.errors import InputError, ProverError
from zkml.quant.executor import execute
from zkml.quant.ir import QModel
from zkml.quant.rounding import (
    QuantOverflowError,
    check_bound,
    exact_matmul,
    round_div,
    round_shift,
)
from zkml.witness_max import max2_acc
from zkml.witness_spatial import (
    layout_input,
    padded_dims,
    real_region,
    spatial_acc,
    spatialsum_acc,
)

__all__ = ["Witness", "build_witness", "evaluate_circuit", "limbs", "gadget_columns",
           "argmax_columns", "requantize", "table_lookup", "table_multiplicities",
           "rowmax_acc", "rowdiv_acc", "row_values", "concat_acc", "rearrange_acc",
           "rearrange_index", "rearrange_sources", "rearrange_logical", "layout_positions"]


@dataclass
class Witness:
    """Everything the prover needs besides the circuit and the model stack.

    Attributes:
        batch: B, the number of rows (examples).
        inputs: (B, n_in) int64, the statement's input.
        outputs: (B, n_out) int64, the statement's output ((B, 1) indices with ArgMax).
        columns: committed limb columns in witness order, int64, each of length B' n_g'.
        tensors: per gadget, its padded output z as (B', n_g') int64.
    """

    batch: int
    inputs: np.ndarray
    outputs: np.ndarray
    columns: list[np.ndarray]
    tensors: list[np.ndarray]


def limbs(values: np.ndarray, width: int, limb_bits: int = 8) -> list[np.ndarray]:
    """Split non-negative values below 2^width into `limb_bits`-bit limbs (8 or 16,
    nonlinear.md section 5), low limb first."""
    mask = np.int64((1 << limb_bits) - 1)
    return [(values >> np.int64(limb_bits * j)) & mask
            for j in range(len(limb_widths(width, limb_bits)))]


def _padded(arr: np.ndarray, rows: int, cols: int) -> np.ndarray:
    out = np.zeros((rows, cols), dtype=np.int64)
    out[: arr.shape[0], : arr.shape[1]] = arr
    return out


def _stack_matrix(circuit: Circuit, stack: np.ndarray, name: str) -> np.ndarray:
    """A model-stack tensor as its padded (rows', cols') matrix."""
    t = circuit.model_stack.tensor(name)
    width = 1 << ceil_log2(t.cols)
    return stack[t.offset : t.offset + t.size].reshape(-1, width)


def _maxabs(a: np.ndarray) -> int:
    return int(np.abs(a).max()) if a.size else 0


def _accumulator(circuit: Circuit, stack: np.ndarray, g: Gadget,
                 value: Callable[[str | int], np.ndarray]) -> np.ndarray:
    where = f"gadget {g.source}"
    if g.op == "dense":
        x = value(g.x)
        w = _stack_matrix(circuit, stack, str(g.weight))
        bound = _maxabs(x) * (int(np.abs(w).sum(axis=1).max()) if w.size else 0)
        bias = None
        if g.bias is not None:
            bias = _stack_matrix(circuit, stack, g.bias)[0] << np.int64(g.bias_shift)
            bound += _maxabs(bias)
        check_bound(bound + (1 << g.shift), where)
        acc = exact_matmul(x, w.T, max(bound, 1))
        return acc + bias if bias is not None else acc
    if g.op == "add":
        assert g.y is not None
        x, y = value(g.x), value(g.y)
        y = row_values(y, x.shape[1])
        (sa, sb), (la, lb) = g.signs, g.lshifts
        check_bound((_maxabs(x) << la) + (_maxabs(y) << lb) + (1 << g.shift), where)
        return sa * (x << np.int64(la)) + sb * (y << np.int64(lb))
    if g.op in SPATIAL_OPS:
        raise AssertionError("spatial gadgets are computed by zkml.witness_spatial")
    if g.op == "spatialsum":
        return spatialsum_acc(g, value(g.x))
    if g.op == "table":
        lo_x = circuit.x_range(g.x)[0]
        return table_lookup(_stack_matrix(circuit, stack, str(g.table))[0], value(g.x), lo_x,
                            where)
    if g.op == "rowdiv":
        raise AssertionError("rowdiv gadgets are computed by rowdiv_acc")
    if g.op == "mul":
        assert g.y is not None
        x, y = value(g.x), value(g.y)
        # The compiler bounds |x y| by the operands' ranges; check the actual values too.
        check_bound(_maxabs(x) * _maxabs(y) + (1 << g.shift), where)
        return x * y
    if g.op == "addconst":
        x = value(g.x)
        c = _stack_matrix(circuit, stack, str(g.const))[0, : x.shape[1]]
        check_bound((_maxabs(x) << g.lshift) + _maxabs(c) + (1 << g.shift), where)
        return (x << np.int64(g.lshift)) + c[None, :]
    if g.op == "concat":
        return concat_acc(g, [value(p) for p in g.parts])
    if g.op == "rearrange":
        return rearrange_acc(g, [value(p) for p in g.parts])
    if g.op == "affine":
        xs = [(value(x), c) for x, c in g.terms]
        # Every partial sum is at most this bound in magnitude, so nothing wraps.
        check_bound(sum(abs(c) * _maxabs(x) for x, c in xs) + (1 << g.shift), where)
        acc = np.zeros_like(xs[0][0])
        for x, c in xs:
            acc = acc + np.int64(c) * x
        return acc
    return value(g.x).copy()


def concat_acc(g: Gadget, parts: list[np.ndarray]) -> np.ndarray:
    """A concat gadget (nonlinear.md section 11): channel `off_k + c'` of the output is
    channel `c' < C_k` of part `k` (its whole padded spatial slab), channels `c >= C` are
    0; parts `(B', prod pad(shape_k))`, output `(B', pad(C) prod pad(S))`."""
    shape = g.concat_shape
    pdims = padded_dims(shape)
    out = np.zeros((parts[0].shape[0], *pdims), dtype=np.int64)
    off = 0
    for x, sh in zip(parts, g.shapes, strict=True):
        view = x.reshape(x.shape[0], *padded_dims(sh))
        out[:, off : off + sh[0]] = view[:, : sh[0]]
        off += sh[0]
    return out.reshape(out.shape[0], -1)


def layout_positions(shape: tuple[int, ...]) -> np.ndarray:
    """`pos(i)` for every real entry `i` (logical order) of a rearrange layout
    (circuits/rearrange.md section 1): `i` for a flat `[n]`, else the row-major index
    over the padded dims of the entry's multi-index (conv.md section 1)."""
    if len(shape) == 1:
        return np.arange(shape[0], dtype=np.int64)
    pdims = padded_dims(shape)
    grid = np.arange(int(np.prod(pdims)), dtype=np.int64).reshape(pdims)
    return grid[tuple(slice(0, v) for v in shape)].reshape(-1)


def rearrange_sources(g: Gadget) -> tuple[np.ndarray, np.ndarray]:
    """For every real output entry `j` of a rearrange gadget (logical order), the part
    `k(j)` and the logical index `i(j)` of the part's real entry it takes
    (circuits/rearrange.md section 1): each block's box of the index space, row-major,
    reads `offset + sum_j (o_j - start_j) strides_j`."""
    dims = g.dims
    m = len(dims)
    rs = [int(np.prod(dims[j + 1:], dtype=np.int64)) for j in range(m)]
    total = int(np.prod(dims, dtype=np.int64))
    part = np.full(total, -1, dtype=np.int64)
    src = np.zeros(total, dtype=np.int64)
    for b in g.blocks:
        # Broadcast one arange per axis over the box: its output indices and the entries
        # they read, both row-major over the box.
        dst = np.zeros(b.size, dtype=np.int64)
        idx = np.full(b.size, b.offset, dtype=np.int64)
        for j in range(m):
            shape = [1] * m
            shape[j] = b.size[j]
            o = np.arange(b.size[j], dtype=np.int64).reshape(shape)
            dst = dst + (b.start[j] + o) * rs[j]
            idx = idx + o * b.strides[j]
        part[dst.reshape(-1)] = b.part
        src[dst.reshape(-1)] = idx.reshape(-1)
    if (part < 0).any():
        raise AssertionError("rearrange blocks do not cover the index space")
    return part, src


def rearrange_index(g: Gadget) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The public index map of a rearrange gadget (circuits/rearrange.md section 1): for
    every real output entry `j` in logical order, `(dst(j), k(j), pos_k(i(j)))`."""
    part, src = rearrange_sources(g)
    # Every part's real positions side by side: part k's logical index i sits at
    # base[k] + i.
    counts = [int(np.prod(sh, dtype=np.int64)) for sh in g.shapes]
    base = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    positions = np.concatenate([layout_positions(sh) for sh in g.shapes])
    return layout_positions(g.out_shape), part, positions[base[part] + src]


def rearrange_acc(g: Gadget, parts: list[np.ndarray]) -> np.ndarray:
    """A rearrange gadget's acc (circuits/rearrange.md section 2) over the padded output
    `(B', pad(features))`: `acc[b][dst(j)] = X_k(j)[b][pos(i(j))]`, 0 at padded positions;
    `parts` are the parts' padded tables `(B', width_k)`."""
    dst, part, pos = rearrange_index(g)
    widths = [v[0] if len(v) == 1 else int(np.prod(padded_dims(v))) for v in g.shapes]
    # Only the first width_k columns of a part are its tensor (a flat part's table may be
    # wider when padded to a power of two elsewhere).
    table = np.concatenate([x[:, :w] for x, w in zip(parts, widths, strict=True)], axis=1)
    base = np.concatenate([[0], np.cumsum(widths)]).astype(np.int64)
    # The table is padded to pad(features) like every gadget's (a flat [n] output too).
    out = np.zeros((table.shape[0], 1 << ceil_log2(g.features)), dtype=np.int64)
    out[:, dst] = table[:, base[part] + pos]
    return out


def table_lookup(table: np.ndarray, x: np.ndarray, lo_x: int, where: str = "table") -> np.ndarray:
    """`z = T[x - lo_x]` elementwise (nonlinear.md section 3) over a whole padded tensor."""
    idx = x - np.int64(lo_x)
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= table.size):
        raise ProverError(f"{where}: an operand leaves the table's domain (the circuit's "
                          "bounds are wrong)")
    return table[idx]


def table_multiplicities(circuit: Circuit, tensors: list[np.ndarray], inputs: np.ndarray
                         ) -> list[np.ndarray]:
    """`t_g` for each table gadget in gadget order: `t_g[j]` counts the entries of `g`'s
    padded tensor (all `B' n_g'`, padding included) with `x - lo_x = j`. (The prover
    counts these itself; this is the spec's definition, for tests.)"""
    bp = tensors[0].shape[0] if tensors else 1
    x_in = (_padded(inputs, bp, 1 << ceil_log2(circuit.input_features))
            if circuit.input_shape is None else layout_input(inputs, circuit.input_shape, bp))
    out = []
    for i in circuit.table_gadgets():
        g = circuit.gadgets[i]
        x = x_in if g.x == "input" else tensors[int(g.x)]
        lo_x, hi_x = circuit.x_range(g.x)
        out.append(np.bincount((x - lo_x).reshape(-1), minlength=hi_x - lo_x + 1)
                   .astype(np.int64))
    return out


def row_values(y: np.ndarray, width: int) -> np.ndarray:
    """A row value `y` `(B', pad(G))` broadcast along the low `log2 P` feature positions of
    a `(B', width)` tensor, `P = width / pad(G)` (nonlinear.md sections 6, 12: the value
    of group `g` at every position `i + P g`); a tensor of the full width as it is."""
    return np.repeat(y, width // y.shape[1], axis=1) if y.shape[1] < width else y


def rowmax_acc(g: Gadget, x: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A rowmax gadget (nonlinear.md sections 7, 12) over its operand `x` `(B', width(x))`
    read as `pad(G)` groups of `P` entries: `z[b][g] = max_{i < n} x[b][i + P g]` for every
    padded row and group, `D = mask (z - x)` and `S` one-hot on the first maximum of the
    real entries (zero on padding), both of `x`'s shape."""
    groups = 1 << ceil_log2(g.features)
    rows, width = x.shape
    x3 = x.reshape(rows, groups, width // groups)
    sel = x3[:, :, : g.n].argmax(axis=2)  # numpy returns the first maximum
    z = np.take_along_axis(x3, sel[:, :, None], axis=2)[:, :, 0]
    pos = np.arange(width // groups)
    mask = (pos < g.n).astype(np.int64)[None, None, :]
    diff = mask * (z[:, :, None] - x3)
    onehot = (pos[None, None, :] == sel[:, :, None]).astype(np.int64)
    return z, {"D": diff.reshape(rows, width), "S": onehot.reshape(rows, width)}


def rowdiv_acc(g: Gadget, x: np.ndarray, y: np.ndarray, where: str = "rowdiv"
               ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A rowdiv gadget (nonlinear.md sections 7, 12): `q = floor((2^(l+1) x + y) / (2 y))`
    over the whole padded tensor, `y` the row value of `x`'s group (broadcast along its
    positions), with `R = 2^(l+1) x + y - 2 y q` and `Rc = 2 y - 1 - R`."""
    if y.size and int(y.min()) < 1:
        raise ProverError(f"{where}: a row's divisor is {int(y.min())} < 1 (the circuit "
                          "guarantees y >= 1 on every row)")
    y = row_values(y, x.shape[1])
    check_bound((_maxabs(x) << (g.lshift + 1)) + 2 * _maxabs(y), where)
    num = (x << np.int64(g.lshift + 1)) + y
    q = np.floor_divide(num, 2 * y)
    rem = num - 2 * y * q
    return q, {"R": rem, "Rc": 2 * y - 1 - rem}


def requantize(g: Gadget, acc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`(q, rem)`: round half up of `acc` by `2^shift` (divisor 1) or by `divisor`."""
    if g.divisor > 1:
        return round_div(acc, g.divisor)
    return round_shift(acc, g.shift)


def gadget_columns(g: Gadget, acc: np.ndarray, index: int,
                   extra: dict[str, np.ndarray] | None = None, limb_bits: int = 8
                   ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Requantize and clamp `acc`; returns z and the gadget's limb columns (flattened,
    `limb_bits`-bit limbs).

    `extra` holds the values of further committed columns (a maxpool's `D_w`, `S_w`; a
    rowmax's `D`, `S`; a rowdiv's `R`, `Rc`)."""
    q, rem = requantize(g, acc)
    z = np.clip(q, g.lo, g.hi).astype(np.int64)
    values = {"u": z - g.lo, "v": g.hi - z, "rem": rem, "remc": g.divisor - 1 - rem,
              "ep": np.maximum(q - g.hi, 0), "em": np.maximum(g.lo - q, 0), **(extra or {})}
    cols: list[np.ndarray] = []
    for name, width in g.value_widths():
        val = values[name]
        if val.size and (int(val.max()) >> width or int(val.min()) < 0):
            raise ProverError(f"gadget {index} ({g.source}): {name} = {int(val.max())} does not "
                              f"fit its {width} bits (the circuit's bounds are wrong)")
        cols += [c.reshape(-1) for c in limbs(val, width, limb_bits)]
    for name in ("ep", "em"):
        if name not in dict(g.value_widths()) and values[name].size and values[name].max() > 0:
            raise ProverError(f"gadget {index} ({g.source}): nonzero {name} has no column")
    return z, cols


def evaluate_circuit(circuit: Circuit, stack: np.ndarray, inputs: np.ndarray
                     ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Padded gadget tensors z_g (B', n_g') and all limb columns, in witness order."""
    batch = inputs.shape[0]
    bp = 1 << ceil_log2(batch)
    if circuit.input_shape is None:
        x_in = _padded(inputs, bp, 1 << ceil_log2(circuit.input_features))
    else:
        x_in = layout_input(inputs, circuit.input_shape, bp)
    tensors: list[np.ndarray] = []
    columns: list[np.ndarray] = []

    def value(ref: str | int) -> np.ndarray:
        return x_in if ref == "input" else tensors[int(ref)]

    for i, g in enumerate(circuit.gadgets):
        extra = None
        if g.op in SPATIAL_OPS:
            acc, extra = spatial_acc(circuit, g, value(g.x),
                                     lambda name: _stack_matrix(circuit, stack, name))
        elif g.op == "rowmax":
            acc, extra = rowmax_acc(g, value(g.x))
        elif g.op == "rowdiv":
            assert g.y is not None
            acc, extra = rowdiv_acc(g, value(g.x), value(g.y), f"gadget {g.source}")
        elif g.op == "max2":
            acc, extra = max2_acc(g, value(g.x), value(g.y))
        else:
            acc = _accumulator(circuit, stack, g, value)
        z, cols = gadget_columns(g, acc, i, extra, circuit.limb_bits)
        tensors.append(z)
        columns += cols
    if circuit.argmax:
        columns += argmax_columns(circuit, tensors[circuit.output_gadget], batch)[1]
    return tensors, columns


def argmax_columns(circuit: Circuit, z: np.ndarray, batch: int
                   ) -> tuple[np.ndarray, list[np.ndarray]]:
    """ArgMax output (inference.md section 4b): the first (with `argmax_last`, the last)
    maximum `k_b` of each real row of `z_L`, and the limbs of `d = mask * (M - z_L - LT)`
    (`GT` instead of `LT` for the last) over the padded tensor."""
    n = circuit.output_features
    real = z[:batch, :n]
    idx = np.arange(n)[None, :]
    if circuit.argmax_last:
        k = (n - 1 - real[:, ::-1].argmax(axis=1)).astype(np.int64)
        strict = (idx > k[:, None]).astype(np.int64)
    else:
        k = real.argmax(axis=1).astype(np.int64)  # numpy returns the first maximum
        strict = (idx < k[:, None]).astype(np.int64)
    d = np.zeros_like(z)
    d[:batch, :n] = real[np.arange(batch), k][:, None] - real - strict
    width = circuit.d_bits
    if d.min() < 0 or int(d.max()) >> width:
        raise ProverError("internal: ArgMax difference outside its range")
    return k, [c.reshape(-1) for c in limbs(d, width, circuit.limb_bits)]


def _check_inputs(circuit: Circuit, inputs: np.ndarray) -> np.ndarray:
    arr = np.asarray(inputs)
    if arr.dtype.kind not in "iu":
        raise InputError("quantized inputs must be integers")
    if arr.ndim != 2 or arr.shape[1] != circuit.input_features or arr.shape[0] < 1:
        raise InputError(f"inputs must have shape (B, {circuit.input_features}), got "
                         f"{tuple(arr.shape)}")
    lo, hi = -(1 << (circuit.input_bits - 1)), (1 << (circuit.input_bits - 1)) - 1
    if arr.size and (int(arr.min()) < lo or int(arr.max()) > hi):
        raise InputError(f"quantized inputs leave the input's {circuit.input_bits}-bit range")
    return arr.astype(np.int64)


def _helper_term(cc: CompiledCircuit, g: int) -> int | None:
    """The coefficient `c` of a helper gadget: a single-term `affine(x, c)` mapped onto the
    same IR tensor `t` as its operand (LeakyRelu's `y+`, `y-`). Its real region must be
    `clamp(round(c t / 2^shift), lo, hi)` of the executor's `t`; `None` for other gadgets."""
    gd = cc.circuit.gadgets[g]
    if gd.op != "affine" or len(gd.terms) != 1:
        return None
    x, c = gd.terms[0]
    operand = cc.input_name if x == "input" else cc.gadget_tensors[int(x)]
    return c if operand == cc.gadget_tensors[g] else None


def _moved_helper(cc: CompiledCircuit, g: int) -> bool:
    """A rearrange gadget mapped onto the same IR tensor as its first part (a move the
    compiler inserts with no IR tensor of its own, e.g. the flat copy of a spatial
    output): its real region is checked against its parts' (already checked) ones."""
    gd = cc.circuit.gadgets[g]
    if gd.op != "rearrange":
        return False
    first = gd.parts[0]
    operand = cc.input_name if first == "input" else cc.gadget_tensors[int(first)]
    return operand == cc.gadget_tensors[g]


def _divisor_class(cc: CompiledCircuit, producer: dict, g: int, trace) -> np.ndarray | None:
    """A `winsum` mapped onto an average-pool output whose divisor varies per position
    (one window sum per distinct divisor, chosen among by a rearrange): its real region
    must be the executor's window sums averaged by the gadget's own divisor, clamped;
    None for other gadgets. `producer` maps each IR tensor to the op computing it."""
    gd = cc.circuit.gadgets[g]
    if gd.op not in ("winsum", "conv"):  # (a 3-D average is a conv: zkml.compiler.volume)
        return None
    op = producer.get(cc.gadget_tensors[g])
    if op is None or op.op != "avgpool":
        return None
    aux = trace.aux[op.name]
    if np.unique(aux["divisor"]).size == 1:
        return None
    d = gd.divisor if gd.divisor > 1 else 1 << gd.shift
    total = aux["sum"].reshape(aux["sum"].shape[0], -1)
    return np.clip(round_div(total, np.int64(d))[0], gd.lo, gd.hi)


def _argmax_steps(cc: CompiledCircuit, model: QModel) -> set[int]:
    """The gadgets mapped onto an ArgMax op's output other than the last such gadget: the
    intermediate steps of an index tensor computed by gadgets (`zkml.compiler.argmax`)."""
    outs = {op.output for op in model.ops if op.op == "argmax"}
    last: dict[str, int] = {}
    for g, name in enumerate(cc.gadget_tensors):
        if name in outs:
            last[name] = g
    return {g for g, name in enumerate(cc.gadget_tensors) if name in last and g != last[name]}


def rearrange_logical(g: Gadget, parts: list[np.ndarray]) -> np.ndarray:
    """A rearrange's real entries `(n, prod out_shape)` in logical order from its parts'
    real entries `(n, prod shape_k)` in logical order: output entry `j` is part `k(j)`'s
    entry `i(j)` (circuits/rearrange.md section 1, independently of the layouts)."""
    part, src = rearrange_sources(g)
    counts = [x.shape[1] for x in parts]
    base = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return np.concatenate(parts, axis=1)[:, base[part] + src]


def _executor_check(cc: CompiledCircuit, model: QModel, inputs: np.ndarray,
                    tensors: list[np.ndarray]) -> np.ndarray:
    """Run the reference executor on the real rows; compare every gadget's real region."""
    rows = cc.rows
    batch = inputs.shape[0]
    layouts = [cc.circuit.layout_of(g) for g in range(len(cc.circuit.gadgets))]
    outputs = []
    producer = {op.output: op for op in model.ops}
    steps = _argmax_steps(cc, model)
    for start in range(0, batch, rows):
        chunk = np.zeros((rows, inputs.shape[1]), dtype=np.int64)
        n = min(rows, batch - start)
        chunk[:n] = inputs[start : start + n]
        # Several model inputs sit side by side in the input row (zkml.compiler.io).
        feed = {p.name: chunk[:, p.offset : p.offset + p.features]
                .reshape(model.tensor(p.name).shape) for p in cc.input_parts}
        try:
            trace = execute(model, feed)
        except QuantOverflowError as exc:
            raise ProverError(f"the integer executor rejects this input: {exc}") from exc
        reals: list[np.ndarray] = []
        for g, (name, z) in enumerate(zip(cc.gadget_tensors, tensors, strict=True)):
            if g in steps:
                # An intermediate of an ArgMax computed by gadgets (zkml.compiler.argmax):
                # no IR tensor of its own; the chain's last gadget is compared below.
                reals.append(z[start : start + n])
                continue
            ref = trace.tensors[name].reshape(rows, -1)[:n]
            helper = _helper_term(cc, g)
            gd = cc.circuit.gadgets[g]
            averaged = _divisor_class(cc, producer, g, trace)
            if helper is not None:
                ref = np.clip(round_shift(helper * ref, gd.shift)[0], gd.lo, gd.hi)
            elif averaged is not None:
                ref = averaged[:n]
            elif _moved_helper(cc, g):
                # A rearrange mapped onto its operand's tensor (an intermediate with no IR
                # tensor): the executor-checked real regions of its parts, moved as the
                # spec's semantics says (independently of the index map).
                ref = rearrange_logical(gd, [chunk[:n] if p == "input" else reals[int(p)]
                                             for p in gd.parts])
            got = z[start : start + n]
            layout = layouts[g]
            got = got[:, : ref.shape[1]] if layout is None else real_region(got, layout)
            reals.append(got)
            if not np.array_equal(ref, got):
                raise ProverError(f"gadget {g} ({name!r}) differs from the integer executor: "
                                  "the compiled file's circuit does not match its model "
                                  "(corrupt, or written by another zkml); recompile the model")
        outputs.append(_statement_outputs(cc, model, trace, rows, n))
    return np.concatenate(outputs, axis=0)


def _statement_outputs(cc: CompiledCircuit, model: QModel, trace, rows: int, n: int
                       ) -> np.ndarray:
    """The executor's outputs as the statement holds them: one output as it is; several
    brought to the circuit's output scale and concatenated in output order."""
    if not cc.outputs:
        return trace.tensors[model.outputs[cc.output_name]].reshape(rows, -1)[:n]
    f_out = cc.circuit.output.frac_bits
    return np.concatenate([trace.tensors[model.outputs[p.name]].reshape(rows, -1)[:n]
                           << np.int64(f_out - p.frac_bits) for p in cc.outputs], axis=1)


def build_witness(cc: CompiledCircuit, model: QModel, inputs: np.ndarray,
                  *, check: bool = True) -> Witness:
    """Evaluate the circuit on quantized `inputs` (B x n_in) and build the witness.

    With `check` (the default) the real region of every gadget's tensor is compared with
    the integer reference executor, so a compiler bug cannot produce a proof of something
    the model does not compute. Raises InputError for bad inputs, ProverError otherwise.
    """
    circuit = cc.circuit
    x = _check_inputs(circuit, inputs)
    try:
        tensors, columns = evaluate_circuit(circuit, cc.model_stack, x)
    except QuantOverflowError as exc:
        raise ProverError(str(exc)) from exc
    z_out = tensors[circuit.output_gadget]
    if circuit.argmax:
        outputs = argmax_columns(circuit, z_out, x.shape[0])[0].reshape(-1, 1)
    else:
        outputs = np.ascontiguousarray(z_out[: x.shape[0], : circuit.output_features])
    if check:
        ref = _executor_check(cc, model, x, tensors)
        if not np.array_equal(ref, outputs):
            raise ProverError("internal: the circuit's output differs from the integer executor")
    return Witness(x.shape[0], x, outputs, columns, tensors)
