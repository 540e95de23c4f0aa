"""The witness of an inference proof: padded tensors and committed limb columns.

`build_witness` evaluates the circuit on a batch of quantized inputs exactly as
circuits/inference.md sections 1-2 define it (whole padded tensors, padded batch rows
fed zero inputs), checks the real region against the integer reference executor, and
returns the committed columns in spec order (per gadget: `u`, `v`, `rem`, `remc`, `ep`,
`em` limbs, low limb first; a maxpool's `D_w` limbs and `S_w` after them), each an int64
array of length `B' * n_g'`. Spatial tensors (circuits/conv.md) are held in their padded
layout. Each gadget's accumulator and extra committed values come from its producer's
witness hook (`Producer.witness`, in the gadget's module of `zkml.compiler.producers`); this
module requantizes, clamps and splits them into limbs.

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

from dataclasses import dataclass

import numpy as np

from zkml.compiler.build import CompiledCircuit
from zkml.compiler.circuit import Circuit, Gadget, ceil_log2, limb_widths
from zkml.compiler.producers import Affine, Conv, Rearrange, WinSum
from zkml.compiler.producers.base import Context
from zkml.compiler.producers.parts import (
    concat_acc,
    layout_positions,
    rearrange_acc,
    rearrange_index,
    rearrange_logical,
    rearrange_sources,
)
from zkml.compiler.producers.rows import row_values, rowdiv_acc, rowmax_acc
from zkml.compiler.producers.table import table_lookup
from zkml.errors import InputError, ProverError
from zkml.quant.executor import execute
from zkml.quant.ir import QModel
from zkml.quant.rounding import QuantOverflowError, round_div, round_shift
from zkml.witness_spatial import layout_input, real_region

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


def padded(arr: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """`arr` in the top-left corner of a zero `(rows, cols)` int64 array."""
    out = np.zeros((rows, cols), dtype=np.int64)
    out[: arr.shape[0], : arr.shape[1]] = arr
    return out


def _input_tensor(circuit: Circuit, inputs: np.ndarray, rows: int) -> np.ndarray:
    """The padded input tensor `(rows, width)` of `inputs`: flat, or in the padded spatial
    layout of the circuit's input shape."""
    if circuit.input_shape is None:
        return padded(inputs, rows, 1 << ceil_log2(circuit.input_features))
    return layout_input(inputs, circuit.input_shape, rows)


def evaluate_circuit(circuit: Circuit, stack: np.ndarray, inputs: np.ndarray
                     ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Padded gadget tensors z_g (B', n_g') and all limb columns, in witness order."""
    batch = inputs.shape[0]
    ctx = Context(circuit, stack, _input_tensor(circuit, inputs, 1 << ceil_log2(batch)))
    columns: list[np.ndarray] = []
    for i, g in enumerate(circuit.gadgets):
        acc, extra = g.producer.witness(ctx, g)
        z, cols = gadget_columns(g, acc, i, extra, circuit.limb_bits)
        ctx.tensors.append(z)
        columns += cols
    if circuit.argmax:
        columns += argmax_columns(circuit, ctx.tensors[circuit.output_gadget], batch)[1]
    return ctx.tensors, columns


def table_multiplicities(circuit: Circuit, tensors: list[np.ndarray], inputs: np.ndarray
                         ) -> list[np.ndarray]:
    """`t_g` for each table gadget in gadget order: `t_g[j]` counts the entries of `g`'s
    padded tensor (all `B' n_g'`, padding included) with `x - lo_x = j` (nonlinear.md
    section 3). (The prover counts these itself; this is the spec's definition, for
    tests.)"""
    x_in = _input_tensor(circuit, inputs, tensors[0].shape[0] if tensors else 1)
    out = []
    for i in circuit.table_gadgets():
        g = circuit.gadgets[i]
        x = x_in if g.x == "input" else tensors[int(g.x)]
        lo_x, hi_x = circuit.x_range(g.x)
        out.append(np.bincount((x - lo_x).reshape(-1), minlength=hi_x - lo_x + 1)
                   .astype(np.int64))
    return out


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
    if not isinstance(gd.producer, Affine) or len(gd.producer.terms) != 1:
        return None
    x, c = gd.producer.terms[0]
    operand = cc.input_name if x == "input" else cc.gadget_tensors[int(x)]
    return c if operand == cc.gadget_tensors[g] else None


def _moved_helper(cc: CompiledCircuit, g: int) -> bool:
    """A rearrange gadget mapped onto the same IR tensor as its first part (a move the
    compiler inserts with no IR tensor of its own, e.g. the flat copy of a spatial
    output): its real region is checked against its parts' (already checked) ones."""
    gd = cc.circuit.gadgets[g]
    if not isinstance(gd.producer, Rearrange):
        return False
    first = gd.x
    operand = cc.input_name if first == "input" else cc.gadget_tensors[int(first)]
    return operand == cc.gadget_tensors[g]


def _divisor_class(cc: CompiledCircuit, producer: dict, g: int, trace) -> np.ndarray | None:
    """A `winsum` mapped onto an average-pool output whose divisor varies per position
    (one window sum per distinct divisor, chosen among by a rearrange): its real region
    must be the executor's window sums averaged by the gadget's own divisor, clamped;
    None for other gadgets. `producer` maps each IR tensor to the op computing it."""
    gd = cc.circuit.gadgets[g]
    if not isinstance(gd.producer, WinSum | Conv):  # (a 3-D average is a conv: volume.py)
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
                                             for p in gd.producer.operands()])
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
