"""circuits/nonlinear.md sections 5-7 on the compiler and witness side: the `limb_bits` key
(8 or 16, the smaller witness for one run), the row-broadcast `add`, `rowmax`, `rowdiv`
and the whole Softmax chain (rowmax -> add(x, -max) -> exp table -> spatialsum over the
row -> rowdiv), checked against the integer executor and against the spec's relations on
the whole padded tensors; refusals; end to end.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from harness import (
    case_cache,
    circuit_inputs,
    committed_values,
    compile_float,
    expect_tampered_rejected,
    prove_and_check,
)
from inference_models import (
    Net,
    compile_circuit_only,
    compile_cnn,
    lenet_small,
    softmax_mlp,
    uses_rows,
)
from probe_circuits import nonlinear_probe_circuit, softmax_probe_circuit, softmax_probe_stack

from zkml.compiler.build import choose_limb_bits, compile_circuit
from zkml.compiler.circuit import (
    Circuit,
    CircuitFormatError,
    bits,
    canonical_json,
    ceil_log2,
    limb_widths,
)
from zkml.compiler.circuit_load import circuit_from_bytes
from zkml.compiler.nonlinear import rowdiv_excess
from zkml.errors import ModelError, ProverError
from zkml.witness import build_witness, evaluate_circuit, limbs, rowdiv_acc

ROOT = Path(__file__).resolve().parents[2]


def _gap_head() -> object:
    """CNN: conv + Relu, GlobalAveragePool over 7x7 (divisor 49), Flatten, Gemm 6, Softmax."""
    return Net([1, 2, 7, 7], seed=3).conv(4, 3, pads=[1] * 4).relu().global_pool("avg") \
        .flatten().gemm(6).softmax().model()


def _gap_softmax() -> object:
    """CNN: Softmax directly on the 5 channels of a GlobalAveragePool over 6x6, then Gemm."""
    return Net([1, 2, 6, 6], seed=4).conv(5, 3, pads=[1] * 4).relu().global_pool("avg") \
        .flatten().softmax().gemm(3).model()


MODELS = {
    "mlp10": lambda: softmax_mlp([12, 16, 10]),
    "mlp7": lambda: softmax_mlp([9, 7], seed=1),
    "mlp7_rows2": lambda: softmax_mlp([9, 11, 7], rows=2, seed=2),
    "mlp_argmax": lambda: softmax_mlp([8, 10, 5], argmax=True, seed=5),
    "gap_head": _gap_head,
    "gap_softmax": _gap_softmax,
}
SOFTMAX_N = {"mlp10": 10, "mlp7": 7, "mlp7_rows2": 7, "mlp_argmax": 5, "gap_head": 6,
             "gap_softmax": 5}


def _build(work, model, name: str):
    if name.startswith("gap"):
        return compile_cnn(work, model, name)
    return compile_circuit_only(work, model, name=name)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    return case_cache(tmp_path_factory, MODELS, _build)


def _inputs(c: Circuit, batch: int, seed: int = 0) -> np.ndarray:
    x = circuit_inputs(c, batch, seed)
    x[-1] = 0  # a row of zeros: every logit from the biases alone
    return x




def _check_row_relations(c: Circuit, w, x: np.ndarray) -> None:
    """Sections 6-7 on the whole padded tensors, from the committed columns: the broadcast
    add, rowmax's `D = mask (z_b - x)` and `S` (boolean, zero on padding, one per row,
    `S D = 0`, on the first maximum), rowdiv's `2^(l+1) X + y_b = 2 y_b q + R`,
    `R + Rc = 2 y_b - 1` with `y_b >= 1` on every row."""
    vals = committed_values(c, w.columns)
    bp = 1 << ceil_log2(x.shape[0])
    x_in = np.zeros((bp, 1 << ceil_log2(c.input_features)), dtype=np.int64)
    x_in[: x.shape[0], : x.shape[1]] = x

    def tensor(ref):
        return x_in if ref == "input" else w.tensors[int(ref)]

    seen = set()
    for gi, g in enumerate(c.gadgets):
        v, z = vals[gi], w.tensors[gi]
        assert np.array_equal(v["u"].reshape(z.shape), z - g.lo)
        if g.op == "rowmax":
            seen.add(g.op)
            xs = tensor(g.x)
            assert z.shape == (bp, 1) and g.features == 1
            assert g.shift == 0 and g.divisor == 1 and not g.excess_hi_bits | g.excess_lo_bits
            mask = (np.arange(xs.shape[1]) < g.producer.n)[None, :]
            d, s = v["D"].reshape(xs.shape), v["S"].reshape(xs.shape)
            assert np.array_equal(d, mask * (z - xs)) and d.min() >= 0
            assert set(np.unique(s)) <= {0, 1} and not np.any(s[:, g.producer.n :])
            assert np.array_equal(s.sum(axis=1), np.ones(bp)) and not np.any(s * d)
            assert np.array_equal(s.argmax(axis=1), xs[:, : g.producer.n].argmax(axis=1))
            lo_x, hi_x = c.x_range(g.x)
            assert (g.lo, g.hi) == (lo_x, hi_x)
            assert g.producer.diff_bits == max(1, bits(hi_x - lo_x))
        if g.op == "add" and c.width_of(g.producer.y) == 1:
            seen.add("broadcast")
            (sa, sb), (la, lb) = g.producer.signs, g.producer.lshifts
            acc = sa * (tensor(g.x) << la) + sb * (tensor(g.producer.y) << lb)  # y_b along the row
            assert tensor(g.producer.y).shape == (bp, 1) and acc.shape == z.shape

            ep, em, rem = (v[k].reshape(z.shape) if k in v else 0 for k in ("ep", "em", "rem"))
            k = g.shift
            # (R1): acc = 2^k (z + e+ - e-) + rem - 2^(k-1)
            assert np.array_equal(acc, ((z + ep - em) << k) + rem - ((1 << k) >> 1))
        if g.op == "spatialsum" and g.producer.in_shape[0] == 1:
            seen.add("rowsum")
            assert g.features == 1 and g.shift == 0 and g.divisor == 1
        if g.op == "rowdiv":
            seen.add(g.op)
            xs, ys = tensor(g.x), tensor(g.producer.y)
            assert ys.shape == (bp, 1) and ys.min() >= 1  # padded rows included
            q = z + v.get("ep", 0).reshape(z.shape) - v.get("em", 0).reshape(z.shape) \
                if "ep" in v or "em" in v else z
            r, rc = v["R"].reshape(z.shape), v["Rc"].reshape(z.shape)
            assert np.array_equal((xs << (g.producer.lshift + 1)) + ys, 2 * ys * q + r)
            assert np.array_equal(r + rc, np.broadcast_to(2 * ys - 1, r.shape))
            assert g.producer.remainder_bits == bits(2 * c.gadgets[int(g.producer.y)].hi - 1)
    assert {"rowmax", "broadcast", "rowsum", "rowdiv"} <= seen


# ---- the Softmax chain ------------------------------------------------------------


@pytest.mark.parametrize("name", list(MODELS))
def test_softmax_chain_gadgets(compiled, name):
    cm = compiled(name)
    c = cm.circuit
    ops = [g.op for g in c.gadgets]
    k = ops.index("rowmax")
    assert ops[k : k + 5] == ["rowmax", "add", "table", "spatialsum", "rowdiv"]
    m, d, e, s, y = c.gadgets[k : k + 5]
    n = SOFTMAX_N[name]
    assert m.producer.n == n and m.features == 1 and c.width_of(m.x) == n
    assert d.x == m.x and d.producer.y == k and d.producer.signs == (1, -1) and d.features == n
    assert e.x == k + 1 and c.model_stack.tensor(e.producer.table).cols == d.hi - d.lo + 1
    assert s.x == k + 2 and s.producer.in_shape == (1, n) and s.features == 1
    assert s.producer.lshift == 0
    assert y.x == k + 2 and y.producer.y == k + 3 and y.features == n and y.shift == 0
    assert y.producer.lshift == cm.model.precision["activation_bits"] - 2
    # Every row sum holds exp(0) = 2^(a-2): the quotient never leaves the output range.
    assert y.excess_hi_bits == 0 and y.excess_lo_bits == 0
    if name not in ("gap_softmax", "mlp_argmax"):
        assert c.output_gadget == k + 4 and c.output_features == n and not c.argmax
    if name == "mlp_argmax":
        assert c.argmax and c.output_gadget == k + 4 and c.statement_outputs == 1
    assert uses_rows(c) and circuit_from_bytes(c.to_bytes()) == c
    assert c.to_json()["limb_bits"] in (8, 16)


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("batch", [1, 4])
def test_softmax_witness_matches_executor(compiled, name, batch):
    cm = compiled(name)
    c = cm.circuit
    rows = cm.compiled_circuit.rows
    x = _inputs(c, batch * rows, seed=batch)
    w = build_witness(cm.compiled_circuit, cm.model, x)  # every gadget vs the executor
    assert len(w.columns) == len(c.columns())
    _check_row_relations(c, w, x)
    if not c.argmax and c.output.op == "rowdiv":
        # probabilities at scale 2^-(a-2) sum to about 1 per row
        one = 1 << (cm.model.precision["activation_bits"] - 2)
        assert np.all(np.abs(w.outputs.sum(axis=1) - one) <= c.output_features)


def test_softmax_of_ties_selects_the_first_maximum():
    """Equal row maxima (and rows beyond the batch): `S` marks the first, `D` is zero there."""
    c = softmax_probe_circuit()
    x = np.array([[3, 3, 3], [-8, 7, 7], [5, 5, -1]], dtype=np.int64)
    tensors, columns = evaluate_circuit(c, softmax_probe_stack(), x)
    vals = committed_values(c, columns)
    s = vals[0]["S"].reshape(4, 4)
    assert s[:, :3].argmax(axis=1).tolist() == [0, 1, 0, 0] and s.sum() == 4
    assert tensors[0].reshape(-1).tolist() == [3, 7, 5, 0]


def test_rowdiv_rounds_half_up_like_the_executor():
    from zkml.compiler.circuit import Gadget
    from zkml.compiler.producers import RowDiv

    g = Gadget(RowDiv(0, 1, lshift=3, remainder_bits=8), features=4, shift=0, lo=-100,
               hi=100, excess_hi_bits=0, excess_lo_bits=0, frac_bits=0)
    x = np.array([[-7, -1, 0, 5], [9, 1, 2, 3]], dtype=np.int64)
    y = np.array([[3], [16]], dtype=np.int64)
    q, extra = rowdiv_acc(g, x, y)
    expect = np.floor((x * 8) / y + 0.5).astype(np.int64)
    assert np.array_equal(q, expect)
    assert np.all(extra["R"] >= 0) and np.all(extra["R"] < 2 * y)
    assert np.array_equal(extra["R"] + extra["Rc"], np.broadcast_to(2 * y - 1, x.shape))
    with pytest.raises(ProverError, match="divisor is 0 < 1"):
        rowdiv_acc(g, x, np.array([[0], [2]]))


@pytest.mark.parametrize("lshift,x_range,y_min", [(3, (-7, 9), 1), (14, (0, 32767), 16384),
                                                  (2, (-20, -3), 5), (0, (0, 100), 7)])
def test_rowdiv_excess_covers_every_quotient(lshift, x_range, y_min):
    lo, hi = -40, 40
    e_hi, e_lo = rowdiv_excess(lshift, x_range, lo, hi, y_min)
    x = np.arange(x_range[0], x_range[1] + 1)[:, None]
    y = np.arange(y_min, y_min + 300)[None, :]
    q = ((x << (lshift + 1)) + y) // (2 * y)
    assert int(np.maximum(q - hi, 0).max()) < 1 << e_hi
    assert int(np.maximum(lo - q, 0).max()) < 1 << e_lo


# ---- limb width (section 5) --------------------------------------------------------


def test_limbs_of_16_bits():
    v = np.array([0, 1, 65535, 65536, (1 << 40) - 1], dtype=np.int64)
    assert limb_widths(40, 16) == [16, 16, 8] and limb_widths(16, 16) == [16]
    assert limb_widths(17, 16) == [16, 1] and limb_widths(0, 16) == []
    parts = limbs(v, 40, 16)
    assert len(parts) == 3 and all(p.max() < 1 << 16 for p in parts)
    assert np.array_equal(sum(p << np.int64(16 * j) for j, p in enumerate(parts)), v)


def test_limb_rule_picks_the_smaller_witness(compiled):
    for name in ("mlp10", "gap_head"):
        c = compiled(name).circuit
        rows = compiled(name).compiled_circuit.rows
        s8, s16 = c.witness_size(rows, 8), c.witness_size(rows, 16)
        assert c.limb_bits == (16 if s16 < s8 else 8) == choose_limb_bits(c, rows)
        # limb columns plus 2^L entries of m
        lengths = sum(c.column_length(col, rows) for col in c.columns_with(16))
        assert s16 == lengths + (1 << 16)


def test_limb_rule_ties_go_to_8():
    c = softmax_probe_circuit()
    # a witness of equal size: pad the 8-bit count to the 16-bit one with a fake model
    s8, s16 = c.witness_size(1, 8), c.witness_size(1, 16)
    assert s8 < s16 and choose_limb_bits(c, 1) == 8

    class Tie:
        def witness_size(self, rows, lb):
            return 100

    assert choose_limb_bits(Tie(), 1) == 8  # type: ignore[arg-type]


def _bench(name: str):
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks import models
    finally:
        sys.path.pop(0)
    return models.BUILDERS[name]()


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    cache: dict = {}

    def get(name: str):
        if name not in cache:
            model, shape = _bench(name)
            cal = np.random.default_rng(0).random(size=(8, *shape[1:]))
            cache[name] = compile_circuit_only(tmp_path_factory.mktemp(name), model,
                                               calibration=cal, name=name)
        return cache[name]

    return get


# The limb width the rule picks for the benchmark models (witness entries for one run,
# limb columns + m, with this calibration: lenet_avg 135584 with 8-bit limbs / 148576 with
# 16-bit; cnn1m about 0.7M / 0.5M).
BENCH_PICKS = {"lenet_avg": 8, "lenet_max": 8, "cnn1m": 16}


@pytest.mark.parametrize("name", list(BENCH_PICKS))
def test_benchmark_models_limb_width(bench, name):
    cm = bench(name)
    c = cm.circuit
    s8, s16 = c.witness_size(1, 8), c.witness_size(1, 16)
    print(f"{name}: witness {s8} entries with 8-bit limbs, {s16} with 16-bit; "
          f"limb_bits {c.limb_bits}")
    assert c.limb_bits == BENCH_PICKS[name] == (16 if s16 < s8 else 8)


@pytest.mark.parametrize("name", ["lenet_avg", "cnn1m"])
@pytest.mark.parametrize("limb_bits", [8, 16])
def test_benchmark_witness_with_either_limb_width(bench, name, limb_bits):
    cm = bench(name)
    cc = cm.compiled_circuit
    c = replace(cc.circuit, limb_bits=limb_bits)
    forced = replace(cc, circuit=c)
    x = np.random.default_rng(limb_bits).integers(-(1 << (c.input_bits - 1)),
                                                  1 << (c.input_bits - 1),
                                                  size=(2, c.input_features))
    w = build_witness(forced, cm.model, x)  # checked against the executor
    cols = c.columns()
    assert len(w.columns) == len(cols)
    for col, arr in zip(cols, w.columns, strict=True):
        assert arr.size == c.column_length(col, 2) and arr.min() >= 0
        assert arr.max() < 1 << col.width and col.width <= limb_bits
    committed_values(c, w.columns)
    assert sum(a.size for a in w.columns) + (1 << limb_bits) == c.witness_size(2)


@pytest.mark.parametrize("limb_bits", [8, 16])
def test_softmax_witness_with_either_limb_width(compiled, limb_bits):
    cm = compiled("mlp10")
    c = replace(cm.circuit, limb_bits=limb_bits)
    x = _inputs(c, 3, seed=7)
    w = build_witness(replace(cm.compiled_circuit, circuit=c), cm.model, x)
    _check_row_relations(c, w, x)


def test_lenet_small_picks_8_bit_limbs(tmp_path):
    cm = compile_cnn(tmp_path, lenet_small("max"), "lenet")
    c = cm.circuit
    assert c.limb_bits == 8 and c.witness_size(1, 8) < c.witness_size(1, 16)


# ---- the circuit format --------------------------------------------------------------


def _doc(c: Circuit) -> dict:
    import json

    return json.loads(c.to_bytes())


def test_softmax_probe_circuit_round_trips():
    for lb in (8, 16):
        c = softmax_probe_circuit(lb)
        assert circuit_from_bytes(c.to_bytes()) == c and c.limb_bits == lb
        assert [g.op for g in c.gadgets] == ["rowmax", "add", "table", "spatialsum", "rowdiv",
                                             "dense"]
        assert uses_rows(c)
    # D and S of the rowmax have the input's length; R, Rc the rowdiv's
    c = softmax_probe_circuit()
    lengths = {(col.gadget, col.value): c.column_length(col, 3) for col in c.columns()}
    assert lengths[(0, "u")] == 4 and lengths[(0, "D")] == 16 and lengths[(0, "S")] == 16
    assert lengths[(4, "R")] == 16 and lengths[(4, "Rc")] == 16


def _edit(path: list, value):
    def apply(doc: dict) -> dict:
        node = doc
        for key in path[:-1]:
            node = node[key]
        if value is _DELETE:
            del node[path[-1]]
        else:
            node[path[-1]] = value
        return doc
    return apply


_DELETE = object()


@pytest.mark.parametrize("edit,match", [
    (_edit(["limb_bits"], _DELETE), "missing field `limb_bits`"),
    (_edit(["limb_bits"], 12), "limb_bits must be 8 or 16"),
    (_edit(["limb_bits"], True), "invalid type: boolean `true`, expected u32"),
    (_edit(["gadgets", 0, "features"], 8), "rowmax parameters do not match"),
    (_edit(["gadgets", 0, "features"], 2), "rowmax parameters do not match"),
    (_edit(["gadgets", 0, "producer", "n"], 5), "rowmax parameters do not match"),
    (_edit(["gadgets", 0, "producer", "n"], 0), "rowmax parameters do not match"),
    (_edit(["gadgets", 0, "producer", "diff_bits"], 0), "rowmax parameters do not match"),
    (_edit(["gadgets", 0, "excess_hi_bits"], 1), "rowmax parameters do not match"),
    (_edit(["gadgets", 0, "shift"], 1), "rowmax parameters do not match"),
    (_edit(["gadgets", 0, "lo"], -7), "rowmax parameters do not match"),
    (_edit(["gadgets", 0, "producer", "extra"], 1), "unknown field `extra`, expected one of `x`,"),
    (_edit(["gadgets", 1, "producer", "x"], 0), "add operands do not match"),
    (_edit(["gadgets", 4, "producer", "x"], 0), "rowdiv parameters do not match"),
    (_edit(["gadgets", 4, "producer", "rem_bits"], 0), "rowdiv parameters do not match"),
    (_edit(["gadgets", 4, "producer", "lshift"], 65), "rowdiv parameters do not match"),
    (_edit(["gadgets", 4, "shift"], 1), "rowdiv parameters do not match"),
    (_edit(["gadgets", 4, "divisor"], 3), "rowdiv parameters do not match"),
    (_edit(["gadgets", 4, "producer", "rem_bits"], _DELETE), "missing field `rem_bits`"),
    (_edit(["gadgets", 3, "producer", "in_shape"], [1, 5]), "spatialsum shapes do not match"),
])
def test_parser_refuses_malformed_row_gadgets(edit, match):
    doc = edit(_doc(softmax_probe_circuit()))
    with pytest.raises(CircuitFormatError, match=match):
        circuit_from_bytes(canonical_json(doc))


def test_parser_accepts_a_row_sum_of_any_length():
    doc = _doc(softmax_probe_circuit())
    # in_shape [1, 4] reads the same padded row as [1, 3] (pad(3) = 4): both fit width 3
    doc["gadgets"][3]["producer"]["in_shape"] = [1, 4]
    circuit_from_bytes(canonical_json(doc))


def test_verifier_parses_compiled_softmax_circuits(compiled):
    from zkml.verifier.circuit import parse_circuit

    for name in MODELS:
        parse_circuit(compiled(name).circuit.to_bytes())
    for lb in (8, 16):
        parse_circuit(softmax_probe_circuit(lb).to_bytes())


def test_verifier_parses_limb_bits():
    from zkml.verifier.circuit import parse_circuit

    for lb in (8, 16):
        parse_circuit(replace(nonlinear_probe_circuit(), limb_bits=lb).to_bytes())


# ---- refusals ------------------------------------------------------------------------


def _refused(tmp_path, model, match: str) -> None:
    with pytest.raises(ModelError, match=match):
        compile_circuit_only(tmp_path, model)


def test_softmax_of_one_feature_is_refused(tmp_path):
    model = softmax_mlp([4, 1])
    _refused(tmp_path, model, r"\(op Softmax\) cannot be proven yet: Softmax over a single "
                              r"feature")


def test_row_sum_outside_a_softmax_is_refused(tmp_path):
    from onnx import helper

    net = Net([1, 6], seed=2).gemm(4)
    net.nodes.append(helper.make_node("ReduceSum", [net.x, "axes"], ["s"], keepdims=1,
                                      name="rs"))
    net.inits["axes"] = np.array([1], dtype=np.int64)
    net.x = "s"
    net.gemm(2)
    model = net.model()
    with pytest.raises(ModelError, match=r"node 'rs' .*cannot be proven|ReduceSum"):
        compile_circuit_only(tmp_path, model)


def test_compile_circuit_is_deterministic_with_softmax(compiled):
    cm = compiled("mlp7_rows2")
    again = compile_circuit(cm.model)
    assert again.circuit.to_bytes() == cm.circuit.to_bytes()
    assert np.array_equal(again.model_stack, cm.compiled_circuit.model_stack)


def test_inspect_prints_row_gadgets_and_limb_width(compiled):
    sys.path.insert(0, str(ROOT))
    try:
        from cli.inspect_cmd import _lines_circuit
    finally:
        sys.path.pop(0)
    text = "\n".join(_lines_circuit(compiled("mlp10").circuit))
    assert "limbs: 8 bits" in text or "limbs: 16 bits" in text
    assert "rowmax(g1, n 10)" in text and "rowdiv(g4 <<14, / g5)" in text
    assert "add(+g1<<0, -g2<<0 per row)" in text


# ---- end to end (native prover + verifier) ---------------------------------------------


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("batch", [1, 4])
def test_softmax_models_prove_and_verify(tmp_path, name, batch):
    cm, _ = compile_float(tmp_path, MODELS[name](), name)
    prove_and_check(cm, batch)


@pytest.mark.parametrize("limb_bits", [8, 16])
def test_forced_limb_widths_prove_and_verify(tmp_path, limb_bits):
    """The same Softmax MLP proven with either limb width (the circuit's key replaced)."""
    import zkml
    from zkml.prover import build_verifying_key, prove_inference

    cm = compile_circuit_only(tmp_path, MODELS["mlp7"](), name="mlp7")
    cc = cm.compiled_circuit
    c = replace(cc.circuit, limb_bits=limb_bits)
    cj = c.to_bytes()
    vk = build_verifying_key(cj, cc.model_stack)
    x = _inputs(c, 3, seed=limb_bits)
    w = build_witness(replace(cc, circuit=c), cm.model, x)
    proof = prove_inference(cj, cc.model_stack, w.columns, w.batch, w.inputs, w.outputs,
                            hashlib.sha256(vk).digest())
    verified = zkml.verify(proof, vk)
    assert np.array_equal(np.array(verified.outputs), w.outputs)


def test_tampered_softmax_proof_is_rejected(tmp_path):
    import zkml

    cm, _ = compile_float(tmp_path, MODELS["mlp10"](), "mlp10")
    proof = zkml.prove(cm, np.random.default_rng(0).normal(size=(2, 12))).proof
    expect_tampered_rejected(cm, proof)


# ---- cross-checks with the verifier side's reference (tests/verifier) ------------------

REFERENCE = ROOT / "tests" / "verifier" / "reference_inference.py"


def _reference():
    """tests/verifier's reference witness, prover and key builder, when they know
    nonlinear.md sections 5-7 (they build the softmax probe's witness)."""
    if not REFERENCE.is_file():
        return None
    sys.path.insert(0, str(REFERENCE.parent))
    try:
        from reference_inference import Witness, prove_inference, vk_artifact
    except ImportError:
        return None
    finally:
        sys.path.pop(0)
    c = softmax_probe_circuit(16)
    stack = softmax_probe_stack()
    tensors = {"tt": [stack[:16].tolist()], "w": stack[16:24].reshape(2, 4).tolist()}
    try:
        Witness(c.to_json(), tensors, [[0] * c.input_features])
    except Exception:  # noqa: BLE001 - any failure: it predates sections 5-7
        return None
    return Witness, prove_inference, vk_artifact


def _tensors(c: Circuit, stack: np.ndarray) -> dict:
    out = {}
    for t in c.model_stack.tensors:
        out[t.name] = stack[t.offset : t.offset + t.size].reshape(
            -1, 1 << ceil_log2(t.cols)).tolist()
    return out


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("limb_bits", [None, 16])
def test_columns_equal_the_reference_witness(compiled, name, limb_bits):
    """Every committed column (rowmax D/S of the operand's length, rowdiv R/Rc, 8- or
    16-bit limbs) equals the verifier side's reference witness, padding included."""
    ref = _reference()
    if ref is None:
        pytest.skip("tests/verifier/reference_inference.py does not know nonlinear.md "
                    "sections 5-7 yet")
    cm = compiled(name)
    c = cm.circuit if limb_bits is None else replace(cm.circuit, limb_bits=limb_bits)
    cc = replace(cm.compiled_circuit, circuit=c)
    x = _inputs(c, 3 * cc.rows, seed=11)
    theirs = ref[0](c.to_json(), _tensors(c, cc.model_stack), x.tolist())
    mine = build_witness(cc, cm.model, x).columns
    cols = [np.array(col, dtype=np.int64) for _, _, _, col, _ in theirs.column_list()]
    if c.argmax:  # the reference lists the gadgets' columns, not ArgMax's `d`
        mine = mine[: len(mine) - len(limb_widths(c.d_bits, c.limb_bits))]
    assert len(mine) == len(cols)
    for i, (a, b) in enumerate(zip(mine, cols, strict=True)):
        assert np.array_equal(a, b), f"column {i} ({c.columns()[i].name}) differs"


@pytest.mark.parametrize("limb_bits", [8, 16])
@pytest.mark.parametrize("name", ["mlp", "gap"])
def test_compiled_softmax_verifies_with_the_reference_prover(tmp_path, name, limb_bits):
    """Without the Rust prover: a compiled Softmax circuit, proven by the verifier side's
    reference prover, verifies with `zkml.verifier`; the outputs are this witness's."""
    ref = _reference()
    if ref is None:
        pytest.skip("no reference prover / verifier for nonlinear.md sections 5-7 yet")
    _, prove, vk_artifact = ref
    from zkml.verifier import VerifyingKey, verify_inference

    model = softmax_mlp([6, 5], seed=3) if name == "mlp" else \
        Net([1, 2, 5, 5], seed=6).conv(3, 3, pads=[1] * 4).relu().global_pool("avg") \
        .flatten().gemm(4).softmax().model()
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    cal = np.random.default_rng(3).normal(size=(16, *dims[1:]))
    cm = compile_circuit_only(tmp_path, model, calibration=cal, name=name, precision="small")
    c = replace(cm.circuit, limb_bits=limb_bits)
    cc = replace(cm.compiled_circuit, circuit=c)
    doc, stack = c.to_json(), [int(v) for v in cc.model_stack]
    vk = vk_artifact(doc, stack)
    x = _inputs(c, 3, seed=limb_bits)
    proof = prove(doc, _tensors(c, cc.model_stack), stack, x.tolist(), vk)
    st = verify_inference(proof, VerifyingKey.from_bytes(vk))
    assert np.array_equal(np.array(st.output), build_witness(cc, cm.model, x).outputs)
