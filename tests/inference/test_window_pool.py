"""General pooling windows (circuits/conv.md section 5): MaxPool -> `winmax`, AveragePool
-> `winsum` for windows the power-of-two gadgets cannot prove (padding, dilation,
overlapping or non-power-of-two windows, 1-D and 2-D). Compile, strict parse, witness
against the integer executor (batch 1 and 4) and against the section's relations over
the whole padded tensors (checked here by plain loops, independently of the vectorised
witness), refusals, and end to end.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest
from harness import case_cache, circuit_inputs, committed_values, compile_float, prove_and_check
from inference_models import (
    WINDOW_CASES,
    Net,
    compile_cnn,
    uses_windows,
)
from probe_circuits import window_probe_circuit

from zkml.compiler.circuit import Circuit, CircuitFormatError, Gadget
from zkml.compiler.circuit_load import circuit_from_bytes, circuit_from_json
from zkml.errors import ModelError
from zkml.quant.rounding import round_div, round_shift
from zkml.witness import build_witness, evaluate_circuit
from zkml.witness_spatial import layout_input

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "tests" / "verifier" / "reference_inference.py"


def _pad(v: int) -> int:
    return 1 << max(v - 1, 0).bit_length()


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    return case_cache(tmp_path_factory, WINDOW_CASES)


def _inputs(c: Circuit, batch: int, seed: int) -> np.ndarray:
    x = circuit_inputs(c, batch, seed)
    # Ties: equal entries make the first-maximum rule matter.
    x[:, 1::6] = x[:, 0:-1:6][:, : x[:, 1::6].shape[1]]
    return x




def _taps(g: Gadget):
    """Per padded output position `(y(, x))` and tap `t` (last axis fastest): the input
    position read, or None (conv.md section 5, by plain loops)."""
    p = g.producer
    pout = [_pad(v) for v in p.out_shape[1:]]
    taps = list(itertools.product(*(range(k) for k in p.kernel)))
    for pos in itertools.product(*(range(v) for v in pout)):
        row = []
        for tap in taps:
            src = tuple(p.strides[a] * pos[a] + p.dilations[a] * tap[a] - p.pads[a]
                        for a in range(len(pos)))
            real = all(pos[a] < p.out_shape[1 + a] and 0 <= src[a] < p.in_shape[1 + a]
                       for a in range(len(pos)))
            row.append(src if real else None)
        yield pos, row


def _check_window_relations(c: Circuit, stack: np.ndarray, x: np.ndarray) -> int:
    """Section 5's relations of every winsum / winmax gadget on the whole padded tensors;
    returns the number of padded output positions (no tap reads) met."""
    tensors, columns = evaluate_circuit(c, stack, x)
    vals = committed_values(c, columns)
    bp = tensors[0].shape[0]
    x_in = layout_input(x, c.input_shape, bp)
    unread = 0
    for gi, g in enumerate(c.gadgets):
        if g.op not in ("winsum", "winmax"):
            continue
        xt = x_in if g.x == "input" else tensors[int(g.x)]
        xs = xt.reshape(bp, *(_pad(v) for v in g.producer.in_shape))
        pout = [_pad(v) for v in g.producer.out_shape]
        z = tensors[gi].reshape(bp, *pout)
        k = int(np.prod(g.producer.kernel))
        if g.op == "winmax":
            d = [vals[gi][f"D{t}"].reshape(bp, *pout) for t in range(k)]
            s = [vals[gi][f"S{t}"].reshape(bp, *pout) for t in range(k)]
        for pos, row in _taps(g):
            sel = (slice(None), slice(None), *pos)
            if all(src is None for src in row):
                unread += 1
            if g.op == "winsum":
                acc = sum((xs[(slice(None), slice(None), *src)] for src in row
                           if src is not None), np.zeros((bp, pout[0]), dtype=np.int64))
                acc = acc << np.int64(g.producer.lshift)
                q = round_div(acc, g.divisor)[0] if g.divisor > 1 else \
                    round_shift(acc, g.shift)[0]
                assert np.array_equal(z[sel], np.clip(q, g.lo, g.hi))
                continue
            total = np.zeros((bp, pout[0]), dtype=np.int64)
            for t, src in enumerate(row):
                v = 0 if src is None else 1
                xv = 0 if src is None else xs[(slice(None), slice(None), *src)]
                assert np.array_equal(d[t][sel], v * (z[sel] - xv))  # D_t = V_t (z - X_t)
                assert np.all(d[t][sel] >= 0) and set(np.unique(s[t][sel])) <= {0, 1}
                assert np.all(s[t][sel] * (1 - v) == 0)  # S_t (1 - V_t) = 0
                assert np.all(s[t][sel] * d[t][sel] == 0)  # sum_t S_t D_t = 0
                total += s[t][sel]
            if any(src is not None for src in row):
                assert np.all(total == 1)  # one-hot on a reading tap
                first = np.full((bp, pout[0]), -1)
                for t, src in reversed(list(enumerate(row))):
                    if src is not None:
                        hit = xs[(slice(None), slice(None), *src)] == z[sel]
                        first = np.where(hit, t, first)
                assert np.all(s_index(s, sel) == first)  # the first maximum
            else:
                # A padded output position (outside Rg): no tap reads, no selector, z = 0
                # (sum_t S_t = Rg, z (1 - Rg) = 0).
                assert np.all(total == 0) and np.all(z[sel] == 0)
    return unread


def s_index(s: list[np.ndarray], sel) -> np.ndarray:
    return np.argmax(np.stack([v[sel] for v in s], axis=-1), axis=-1)


EXPECT = {
    "stem_max": ["conv", "winmax", "dense"],
    "stem_max_10": ["conv", "winmax", "dense"],
    "avg3_pad_incl": ["conv", "winsum", "dense"],
    "avg3_s2": ["conv", "winsum", "dense"],
    "avg2x2_s1": ["conv", "winsum", "dense"],
    "max_dilated": ["conv", "winmax", "dense"],
    "max_end_pad": ["conv", "winmax", "dense"],
    "max_ceil": ["conv", "winmax", "dense"],
    "max_ceil_partial": ["conv", "winmax", "dense"],
    "avg_excl_pad": ["conv", "winsum", "winsum", "winsum", "rearrange", "dense"],
    "avg_excl_pad_s2": ["conv", "winsum", "winsum", "winsum", "rearrange", "dense"],
    "avg_ceil_partial": ["conv", "winsum", "winsum", "winsum", "rearrange", "dense"],
    "avg_excl_pad_1d": ["conv", "winsum", "winsum", "rearrange", "dense"],
    "max_ceil_partial_1d": ["conv", "winmax", "dense"],
    "max1d": ["conv", "winmax", "dense"],
    "avg1d": ["conv", "winsum", "dense"],
    "max_on_input": ["winmax", "conv", "dense"],
    "max_then_relu_avg": ["conv", "winmax", "identity", "winsum", "dense"],
    "gmp6x6": ["conv", "winmax", "dense"],
    "gmp1d": ["conv", "winmax", "dense"],
}


@pytest.mark.parametrize("name", list(WINDOW_CASES))
@pytest.mark.parametrize("batch", [1, 4])
def test_window_pools_compile_and_witness_matches_executor(compiled, name, batch):
    cm = compiled(name)
    c = cm.circuit
    assert [g.op for g in c.gadgets] == EXPECT[name]
    assert circuit_from_bytes(c.to_bytes()) == c and uses_windows(c)
    x = _inputs(c, batch, seed=batch)
    w = build_witness(cm.compiled_circuit, cm.model, x)  # the real region vs the executor
    assert len(w.columns) == len(c.columns())
    for col, spec in zip(w.columns, c.columns(), strict=True):
        assert col.min() >= 0 and int(col.max()) >> spec.width == 0
    _check_window_relations(c, _stack(cm), x)


def _stack(cm) -> np.ndarray:
    return cm.compiled_circuit.model_stack


def test_window_gadget_fields(compiled):
    g = compiled("stem_max").circuit.gadgets[1]
    x = compiled("stem_max").circuit.gadgets[0]
    p = g.producer
    assert (p.in_shape, p.out_shape, p.kernel, p.strides, p.dilations, p.pads) == \
        ((3, 7, 7), (3, 4, 4), (3, 3), (2, 2), (1, 1), (1, 1))
    assert (g.shift, g.divisor, g.excess_hi_bits, g.excess_lo_bits) == (0, 1, 0, 0)
    assert (g.lo, g.hi) == (min(x.lo, 0), max(x.hi, 0))
    assert g.producer.diff_bits == (x.hi - x.lo).bit_length()
    assert [n for n, _ in g.value_widths()][-18:] == [f"D{t}" for t in range(9)] + \
        [f"S{t}" for t in range(9)]
    avg = compiled("avg3_pad_incl").circuit.gadgets[1]
    assert (avg.divisor, avg.shift) == (9, 0)
    assert (avg.producer.pads, avg.producer.kernel) == ((1, 1), (3, 3))
    assert compiled("avg2x2_s1").circuit.gadgets[1].divisor == 1
    assert compiled("avg2x2_s1").circuit.gadgets[1].shift == 2
    one = compiled("avg1d").circuit.gadgets[1]
    p = one.producer
    assert (p.in_shape, p.out_shape, p.kernel, one.divisor) == ((3, 12), (3, 12), (5,), 5)
    dil = compiled("max_dilated").circuit.gadgets[1]
    assert dil.producer.dilations == (2, 2) and dil.producer.out_shape == (3, 5, 5)
    # End pads only set T_a; ceil_mode without a partial window is the floor geometry.
    assert compiled("max_end_pad").circuit.gadgets[1].producer.out_shape == (3, 4, 4)
    assert compiled("max_end_pad").circuit.gadgets[1].producer.pads == (0, 0)
    assert compiled("max_ceil").circuit.gadgets[1].producer.out_shape == (3, 4, 4)
    gmp = compiled("gmp6x6").circuit.gadgets[1]
    p = gmp.producer
    assert (p.kernel, p.strides, p.pads, p.out_shape) == ((6, 6), (1, 1), (0, 0), (4, 1, 1))


def test_padded_outputs_are_met(compiled):
    """stem_max_10's 5x5 output sits in an 8x8 layout: positions no tap reads."""
    cm = compiled("stem_max_10")
    x = _inputs(cm.circuit, 2, seed=9)
    assert _check_window_relations(cm.circuit, _stack(cm), x) == 64 - 25


def test_clamp_range_holds_zero(tmp_path):
    """A winmax over a strictly positive range (Clip(0.5, 6)) still holds z = 0 at its
    padded output positions: the gadget's clamp range is widened to include 0."""
    net = Net([1, 2, 10, 10], seed=44).conv(3, 3, pads=[1, 1, 1, 1]).clip(0.5, 6.0) \
        .pool("max", 3, strides=[2, 2], pads=[1, 1, 1, 1])
    cm = compile_cnn(tmp_path, net.flatten().gemm(2).model())
    conv, g = cm.circuit.gadgets[:2]
    assert g.op == "winmax" and conv.lo > 0 and g.lo == 0 and g.hi == conv.hi
    x = _inputs(cm.circuit, 2, seed=3)
    build_witness(cm.compiled_circuit, cm.model, x)
    assert _check_window_relations(cm.circuit, _stack(cm), x) == 64 - 25


@pytest.mark.skipif(not REFERENCE.is_file(), reason="no reference prover in tests/verifier")
@pytest.mark.parametrize("name", list(WINDOW_CASES))
def test_columns_equal_the_reference_witness(compiled, name):
    """tests/verifier/reference_inference.py (plain loops from conv.md) builds the same
    committed columns, padded positions, channels and batch rows included."""
    sys.path.insert(0, str(REFERENCE.parent))
    try:
        from reference_inference import Witness
    finally:
        sys.path.pop(0)
    cm = compiled(name)
    c = cm.circuit
    tensors = {}
    for t in c.model_stack.tensors:
        width = 1 << max(t.cols - 1, 0).bit_length()
        block = cm.compiled_circuit.model_stack[t.offset : t.offset + t.size]
        tensors[t.name] = block.reshape(-1, width)[: t.rows, : t.cols].tolist()
    x = _inputs(c, 3, seed=5)
    ref = Witness(c.to_json(), tensors, x.tolist())
    mine = build_witness(cm.compiled_circuit, cm.model, x).columns
    theirs = [np.array(col, dtype=np.int64) for _, _, _, col, _ in ref.column_list()]
    assert len(mine) == len(theirs)
    for i, (a, b) in enumerate(zip(mine, theirs, strict=True)):
        assert np.array_equal(a, b), f"column {i} ({c.columns()[i].name}) differs"


def test_power_of_two_pools_keep_their_gadgets(tmp_path):
    net = Net([1, 2, 8, 8], seed=1).conv(3, 3, pads=[1, 1, 1, 1]).pool("max", 2).pool("avg", 2)
    cm = compile_cnn(tmp_path, net.flatten().gemm(2).model())
    assert [g.op for g in cm.circuit.gadgets] == ["conv", "maxpool", "sumpool", "dense"]


def test_window_probe_circuit():
    c = window_probe_circuit()
    assert circuit_from_bytes(c.to_bytes()) == c
    stack = np.zeros(1 << c.model_stack.num_vars, dtype=np.int64)
    stack[0] = 1  # the dense reads one entry (within [-8, 7])
    x = (np.arange(c.input_features, dtype=np.int64).reshape(1, -1) * 5 % 16) - 8
    # 3x3 real outputs in a 4x4 layout: 7 padded positions for the winmax and the winsum.
    assert _check_window_relations(c, stack, x) == 14


def _base(shape=(1, 2, 8, 8)) -> Net:
    return Net(list(shape), seed=1).conv(3, 3, pads=[1] * (2 * (len(shape) - 2))).relu()


def test_too_many_divisor_classes_are_refused(tmp_path, monkeypatch):
    from zkml.compiler import spatial
    monkeypatch.setattr(spatial, "MAX_DIVISOR_CLASSES", 2)
    with pytest.raises(ModelError, match=r"\(op avgpool\) cannot be proven yet: the average's "
                                         r"divisor takes 3 values over the output positions"):
        compile_cnn(tmp_path, _base().pool("avg", 3, strides=[1, 1], pads=[1, 1, 1, 1])
                    .flatten().gemm(2).model())


def test_window_parser_is_strict():
    doc = window_probe_circuit().to_json()

    def bad(edit, match: str) -> None:
        import copy
        d = copy.deepcopy(doc)
        edit(d)
        with pytest.raises(CircuitFormatError, match=match):
            circuit_from_json(d)

    bad(lambda d: d["gadgets"][0]["producer"].pop("pads"), "missing field `pads`")
    bad(lambda d: d["gadgets"][0]["producer"].update(window=[2, 2]), "unknown field `window`")
    bad(lambda d: d["gadgets"][0]["producer"].update(out_shape=[2, 3, 3]), "widths do not match")
    bad(lambda d: d["gadgets"][0]["producer"].update(strides=[0, 2]), "axis parameters out of")
    bad(lambda d: d["gadgets"][0].update(shift=1), "winmax needs shift 0, divisor 1")
    bad(lambda d: d["gadgets"][1]["producer"].update(features=3), "unknown field `features`")
    bad(lambda d: d["gadgets"][1].update(features=8), "widths do not match")


# ---- end to end ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["stem_max", "stem_max_10", "avg3_pad_incl", "avg3_s2",
                                  "max1d", "avg1d", "max_on_input", "max_then_relu_avg",
                                  "max_ceil_partial", "max_ceil_partial_1d", "avg_excl_pad",
                                  "avg_excl_pad_s2", "avg_ceil_partial", "avg_excl_pad_1d"])
@pytest.mark.parametrize("batch", [1, 4])
def test_window_pools_prove_and_verify(tmp_path, name, batch):
    model = WINDOW_CASES[name]()
    cm, _ = compile_float(tmp_path, model, name)
    prove_and_check(cm, batch)


def test_inspect_describes_window_gadgets():
    c = window_probe_circuit()
    g = c.gadgets
    assert g[0].producer.describe(c.width_of, g[0].features) == \
        "winmax(input 1x5x5 -> 1x3x3, k 3x3 s 2x2 d 1x1 p 1x1)"
    assert g[1].producer.describe(c.width_of, g[1].features) == \
        "winsum(g0 1x3x3 -> 1x3x3, k 3x3 s 1x1 d 1x1 p 1x1)"
