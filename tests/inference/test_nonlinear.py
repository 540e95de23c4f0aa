"""circuits/nonlinear.md on the compiler and witness side: the `divisor` key, spatial sums
(GlobalAveragePool / ReduceMean of any map size), function tables (Sigmoid, Tanh, Erf,
Gelu, Exp) in the model stack; the witness against the integer executor and against the
spec's relations over the whole padded tensors; refusals of what is still unsupported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from harness import case_cache, circuit_inputs, committed_values
from inference_models import (
    NONLINEAR_CNN_CASES,
    Net,
    act_mlp,
    compile_circuit_only,
    compile_cnn,
    make_model,
    mlp,
)
from onnx import helper
from probe_circuits import nonlinear_probe_circuit, probe_circuit

from zkml.compiler.build import compile_circuit, excess_bits
from zkml.compiler.circuit import Circuit, CircuitFormatError, ceil_log2, padded_width
from zkml.compiler.circuit_load import circuit_from_bytes
from zkml.compiler.spatial import divisor_fields
from zkml.errors import ModelError
from zkml.quant.rounding import round_div
from zkml.witness import build_witness, evaluate_circuit, table_multiplicities
from zkml.witness_spatial import layout_input

ROOT = Path(__file__).resolve().parents[2]

MLP_CASES = {
    "sigmoid": lambda: act_mlp(["Sigmoid"]),
    "tanh": lambda: act_mlp(["Tanh"]),
    "erf": lambda: act_mlp(["Erf"], seed=1),
    "gelu": lambda: act_mlp(["Gelu"], seed=2),
    "exp": lambda: act_mlp(["Exp"], dims=(6, 8, 3), seed=3),
    "mixed_on_input": lambda: act_mlp(["Sigmoid", "Tanh"], on_input="Tanh", seed=4),
    "rows2": lambda: act_mlp(["Sigmoid"], rows=2, seed=5),
}


def _build(work, model, name: str, precision: str | None = None):
    if name in MLP_CASES:
        opts = {"precision": precision} if precision else {}
        return compile_circuit_only(work, model, name=name, **opts)
    return compile_cnn(work, model, name)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    return case_cache(tmp_path_factory, {**MLP_CASES, **NONLINEAR_CNN_CASES}, _build)






def _stack_matrix(cm, name: str) -> np.ndarray:
    t = cm.circuit.model_stack.tensor(name)
    stack = cm.compiled_circuit.model_stack
    return stack[t.offset : t.offset + t.size].reshape(-1, 1 << ceil_log2(t.cols))


def _check_relations(cm, x: np.ndarray) -> None:
    """nonlinear.md's relations on the whole padded tensors, from the committed columns:
    (R1) with divisors and `rem + remc == d - 1`; the spatial sum over the real map of every
    padded row and channel; `z = T[x - lo_x]` everywhere; `t_g` counts every entry."""
    c = cm.circuit
    w = build_witness(cm.compiled_circuit, cm.model, x)
    vals = committed_values(c, w.columns)
    bp = 1 << ceil_log2(x.shape[0])
    x_in = (layout_input(x, c.input_shape, bp) if c.input_shape
            else np.pad(x, ((0, bp - x.shape[0]), (0, (1 << ceil_log2(c.input_features))
                                                   - x.shape[1]))))

    def tensor(ref):
        return x_in if ref == "input" else w.tensors[int(ref)]

    for gi, g in enumerate(c.gadgets):
        v = vals[gi]
        z = w.tensors[gi].reshape(-1)
        assert np.array_equal(v["u"], z - g.lo)
        ep, em = v.get("ep", 0), v.get("em", 0)
        if g.divisor > 1:
            d = g.divisor
            assert g.shift == 0 and "remc" in v
            rem = v.get("rem", np.zeros_like(z))
            assert np.all(rem + v["remc"] == d - 1) and rem.min() >= 0
        if g.op == "spatialsum":
            shape = g.producer.in_shape
            xs = tensor(g.x).reshape(bp, *(1 << ceil_log2(s) for s in shape))
            real = xs[(slice(None), slice(None), *(slice(0, s) for s in shape[1:]))]
            acc = (real.reshape(bp, real.shape[1], -1).sum(axis=-1) << g.producer.lshift)
            acc = acc.reshape(-1)
            assert z.size == bp * (1 << ceil_log2(shape[0]))
            if g.divisor > 1:
                rem = v.get("rem", 0)
                assert np.array_equal(acc, g.divisor * (z + ep - em) + rem - g.divisor // 2)
            else:
                k = g.shift
                rem = v.get("rem", 0)
                half = (1 << (k - 1)) if k else 0
                assert np.array_equal(acc, (z + ep - em) * (1 << k) + rem - half)
        if g.op == "table":
            table = _stack_matrix(cm, g.producer.table)[0]
            lo_x, hi_x = c.x_range(g.x)
            assert table.size == hi_x - lo_x + 1
            assert g.shift == 0 and g.divisor == 1 and not g.excess_hi_bits \
                and not g.excess_lo_bits
            xt = tensor(g.x).reshape(-1)
            assert np.array_equal(z, table[xt - lo_x])
    tg = table_multiplicities(c, w.tensors, x)
    for t, gi in zip(tg, c.table_gadgets(), strict=True):
        assert t.size == c.model_stack.tensor(c.gadgets[gi].producer.table).cols
        assert int(t.sum()) == w.tensors[gi].size


# ---- the divisor key and the parser ----------------------------------------------


def test_every_gadget_has_a_divisor_key(compiled):
    c = compiled("gap7x7").circuit
    doc = c.to_json()
    assert all("divisor" in g and "divisor" not in g["producer"] for g in doc["gadgets"])
    assert [g["divisor"] for g in doc["gadgets"]] == [1, 49, 1]


BIG = (1 << 40) - 1


@pytest.mark.parametrize("d,expect", [(1, (0, 1)), (2, (1, 1)), (64, (6, 1)), (49, (0, 49)),
                                      (9, (0, 9)), (3, (0, 3)), (BIG, (0, BIG))])
def test_power_of_two_divisors_stay_shifts(d, expect):
    f = divisor_fields(d)
    assert (f["shift"], f["divisor"]) == expect


@pytest.mark.parametrize("bound,d,lo,hi", [(1000, 49, -128, 127), (5000, 9, 0, 20),
                                           (37, 3, -8, 7), (10 ** 6, 25, -32768, 32767)])
def test_excess_bits_with_a_divisor_cover_every_accumulator(bound, d, lo, hi):
    e_hi, e_lo = excess_bits(bound, 0, lo, hi, d)
    acc = np.arange(-bound, bound + 1, dtype=np.int64)
    q, _ = round_div(acc, d)
    ep, em = np.maximum(q - hi, 0), np.maximum(lo - q, 0)
    assert e_hi == int(ep.max()).bit_length() and e_lo == int(em.max()).bit_length()


def test_remc_column_follows_rem(compiled):
    c = compiled("gap7x7").circuit
    g = c.gadgets[1]
    names = [v for v, _ in g.value_widths()]
    assert names[names.index("rem") + 1] == "remc"
    assert dict(g.value_widths())["rem"] == dict(g.value_widths())["remc"] == 6  # bits(48)
    cols = [col for col in c.columns() if col.gadget == 1]
    assert [col.value for col in cols if col.value.startswith("rem")] == ["rem", "remc"]


def test_nonlinear_probe_circuit_is_valid():
    c = nonlinear_probe_circuit()
    assert circuit_from_bytes(c.to_bytes()) == c
    assert [g.op for g in c.gadgets] == ["table", "spatialsum", "dense"]
    assert c.gadgets[1].divisor == 9 and c.layout_of(1) is None
    stack = np.zeros(1 << c.model_stack.num_vars, dtype=np.int64)
    stack[:16] = np.arange(16) - 8
    x = (np.arange(18, dtype=np.int64).reshape(1, -1) % 16) - 8
    tensors, columns = evaluate_circuit(c, stack, x)
    assert np.array_equal(tensors[0], layout_input(x, (2, 3, 3), 1))  # identity table
    assert len(columns) == len(c.columns())


def _doc(c: Circuit) -> dict:
    return c.to_json()


@pytest.mark.parametrize("edit,match", [
    (lambda d: d["gadgets"][0].pop("divisor"), "divisor"),
    (lambda d: d["gadgets"][1].update(divisor=0), "divisor"),
    (lambda d: d["gadgets"][1].update(divisor=1 << 40), "divisor"),
    (lambda d: d["gadgets"][1].update(shift=1), "divisor out of limits or with a shift"),
    (lambda d: d["gadgets"][0].update(shift=1), "table needs shift 0, divisor 1 and no excess"),
    (lambda d: d["gadgets"][0].update(divisor=3), "table needs shift 0, divisor 1 and no excess"),
    (lambda d: d["gadgets"][0].update(excess_hi_bits=1), "no excess"),
    (lambda d: d["gadgets"][0].update(features=16), "table operand width does not match"),
    (lambda d: d["gadgets"][0]["producer"].update(table="dw"), "table"),
    (lambda d: d["gadgets"][0]["producer"].update(table="nope"), "unknown model tensor nope"),
    (lambda d: d["input"].update(bits=5), r"table must be 1 x 2\^t with 2\^t = hi_x \- lo_x"),
    (lambda d: d["gadgets"][1]["producer"].update(in_shape=[2, 5, 3]), "spatialsum shapes do not"),
    (lambda d: d["gadgets"][1].update(features=4), "spatialsum shapes do not"),
    (lambda d: d["gadgets"][1]["producer"].update(lshift=65), "spatialsum shapes do not"),
    (lambda d: d["gadgets"][1]["producer"].update(extra=1), "unknown field `extra`"),
])
def test_parser_refuses_malformed_nonlinear_gadgets(edit, match):
    from zkml.compiler.circuit import canonical_json

    doc = _doc(nonlinear_probe_circuit())
    edit(doc)
    with pytest.raises(CircuitFormatError, match=match):
        circuit_from_bytes(canonical_json(doc))


def test_spatialsum_may_be_the_output_gadget():
    from dataclasses import replace

    c = nonlinear_probe_circuit()
    out = replace(c, output_gadget=1, output_features=2)
    assert circuit_from_bytes(out.to_bytes()) == out


# ---- MLPs with tables ------------------------------------------------------------


@pytest.mark.parametrize("name", list(MLP_CASES))
@pytest.mark.parametrize("batch", [1, 4])
def test_table_mlps_compile_and_witness_matches_executor(compiled, name, batch):
    cm = compiled(name)
    c = cm.circuit
    assert circuit_from_bytes(c.to_bytes()) == c
    tables = [c.gadgets[i] for i in c.table_gadgets()]
    assert tables, "no table gadget"
    for g in tables:
        t = c.model_stack.tensor(g.producer.table)
        lo_x, hi_x = c.x_range(g.x)
        assert t.rows == 1 and t.cols == hi_x - lo_x + 1 == 1 << 12  # balanced: table_bits 12
        assert g.features == c.width_of(g.x)
        assert (g.lo, g.hi) == (-(1 << 15), (1 << 15) - 1)
    assert c.model_stack.range_bits <= 16
    x = circuit_inputs(c, batch * cm.compiled_circuit.rows, seed=batch)
    _check_relations(cm, x)


def test_table_values_are_the_quantizers_tables(compiled):
    cm = compiled("sigmoid")
    c, m = cm.circuit, cm.model
    fns = [op for op in m.ops if op.op == "table"]
    for op, gi in zip(fns, c.table_gadgets(), strict=True):
        assert np.array_equal(_stack_matrix(cm, c.gadgets[gi].producer.table)[0],
                              m.constants[op.inputs[1]])
        assert c.gadgets[gi].source == op.source


def test_small_precision_table_reads_the_input_and_a_widened_relu(tmp_path):
    """With precision small (8-bit activations and tables) a table may read the input
    directly; a Relu fused into a dense gadget narrows its range, so the table's operand
    is widened back to the table's domain by an identity gadget."""
    nodes = [helper.make_node("Sigmoid", ["x"], ["s"], name="sig_in"),
             helper.make_node("Gemm", ["s", "W0", "b0"], ["h"], name="fc0"),
             helper.make_node("Relu", ["h"], ["r"], name="relu0"),
             helper.make_node("Tanh", ["r"], ["t"], name="tanh0"),
             helper.make_node("Gemm", ["t", "W1", "b1"], ["y"], name="fc1")]
    rng = np.random.default_rng(0)
    inits = {"W0": rng.normal(0, 0.5, (6, 8)).astype(np.float32),
             "b0": rng.normal(0, 0.1, 8).astype(np.float32),
             "W1": rng.normal(0, 0.5, (8, 3)).astype(np.float32),
             "b1": np.zeros(3, np.float32)}
    cm = compile_circuit_only(tmp_path, make_model(nodes, {"x": [1, 6]}, ["y"], inits),
                              precision="small")
    c = cm.circuit
    ops = [(g.op, g.x) for g in c.gadgets]
    assert ops[0] == ("table", "input")
    ti = [i for i, g in enumerate(c.gadgets) if g.op == "table"][1]
    xg = c.gadgets[int(c.gadgets[ti].x)]
    assert c.x_range(c.gadgets[ti].x) == (-128, 127)
    assert xg.op in ("identity", "dense")
    for batch in (1, 3):
        _check_relations(cm, circuit_inputs(c, batch, seed=batch))


def test_scalar_mul_reads_its_constant_from_the_model_stack(tmp_path):
    """A scalar multiplier is a diagonal `dense` over the model stack, never a public
    `affine` coefficient (quantization.md, "What the circuit may depend on")."""
    nodes = [helper.make_node("Gemm", ["x", "W", "b"], ["h"], name="fc0"),
             helper.make_node("Sigmoid", ["h"], ["s"], name="sig"),
             helper.make_node("Mul", ["s", "k"], ["m"], name="scale"),
             helper.make_node("Gemm", ["m", "W1", "b1"], ["y"], name="fc1")]
    rng = np.random.default_rng(1)
    inits = {"W": rng.normal(0, 0.5, (4, 6)).astype(np.float32),
             "b": np.zeros(6, np.float32), "k": np.float32(-1.75),
             "W1": rng.normal(0, 0.5, (6, 2)).astype(np.float32), "b1": np.zeros(2, np.float32)}
    cm = compile_circuit_only(tmp_path, make_model(nodes, {"x": [1, 4]}, ["y"], inits))
    c = cm.circuit
    assert not [g for g in c.gadgets if g.op == "affine"]
    (op,) = [op for op in cm.model.ops if op.op == "mul"]
    k = int(cm.model.constants[op.inputs[1]].reshape(-1)[0])
    assert len([g for g in c.gadgets if g.op == "dense"]) == 3 and k < 0
    assert k in set(cm.compiled_circuit.model_stack.reshape(-1).tolist())
    for batch in (1, 4):
        _check_relations(cm, circuit_inputs(c, batch, seed=batch))


# ---- CNNs with spatial sums and tables -------------------------------------------


@pytest.mark.parametrize("name", list(NONLINEAR_CNN_CASES))
@pytest.mark.parametrize("batch", [1, 4])
def test_spatial_sum_cnns_compile_and_witness_matches_executor(compiled, name, batch):
    cm = compiled(name)
    c = cm.circuit
    assert circuit_from_bytes(c.to_bytes()) == c
    sums = [g for g in c.gadgets if g.op == "spatialsum"]
    assert len(sums) == 1
    g = sums[0]
    area = int(np.prod(g.producer.in_shape[1:]))
    assert g.features == g.producer.in_shape[0]
    assert c.width_of(g.x) == padded_width(g.producer.in_shape)
    if area & (area - 1):
        assert (g.shift, g.divisor) == (0, area)
    else:
        assert (g.shift, g.divisor) == (area.bit_length() - 1, 1)
    assert c.layout_of(c.gadgets.index(g)) is None
    x = circuit_inputs(c, batch * cm.compiled_circuit.rows, seed=batch)
    _check_relations(cm, x)


def test_gap_7x7_layout(compiled):
    c = compiled("gap7x7").circuit
    conv, ssum, dense = c.gadgets
    assert conv.producer.out_shape == (8, 7, 7) and conv.features == 8 * 8 * 8
    assert ssum.producer.in_shape == (8, 7, 7) and ssum.x == 0 and ssum.features == 8
    assert ssum.producer.lshift >= 0 and (ssum.shift, ssum.divisor) == (0, 49)
    assert dense.x == 1 and c.model_stack.tensor(dense.producer.weight).cols == 8


def test_tables_after_a_convolution_keep_the_padded_layout(compiled):
    c = compiled("tanh_sigmoid_gelu_gap").circuit
    tables = c.table_gadgets()
    assert len(tables) == 3
    for i in tables:
        assert c.layout_of(i) == (8, 7, 7) and c.gadgets[i].features == 512


def test_compile_is_deterministic(compiled):
    cm = compiled("tanh_sigmoid_gelu_gap")
    again = compile_circuit(cm.model)
    assert again.circuit.to_bytes() == cm.circuit.to_bytes()
    assert np.array_equal(again.model_stack, cm.compiled_circuit.model_stack)


def test_identical_tables_are_stored_once(compiled):
    cm = compiled("sigmoid")
    c = cm.circuit
    names = [c.gadgets[i].producer.table for i in c.table_gadgets()]
    consts = {cm.model.ops[j].inputs[1] for j in range(len(cm.model.ops))
              if cm.model.ops[j].op == "table"}
    assert len(set(names)) == len(consts)


# ---- refusals ----------------------------------------------------------------------


def _refused(tmp_path, model, match: str, **opts) -> None:
    with pytest.raises(ModelError, match=match):
        compile_circuit_only(tmp_path, model, **opts)


def test_product_of_two_tensors_is_a_mul_gadget(tmp_path):
    nodes = [helper.make_node("Gemm", ["x", "W", "b"], ["h"], name="fc0"),
             helper.make_node("Sigmoid", ["h"], ["s"], name="sig"),
             helper.make_node("Mul", ["h", "s"], ["m"], name="silu"),
             helper.make_node("Gemm", ["m", "W1", "b1"], ["y"], name="fc1")]
    rng = np.random.default_rng(1)
    inits = {"W": rng.normal(size=(4, 6)).astype(np.float32), "b": np.zeros(6, np.float32),
             "W1": rng.normal(size=(6, 2)).astype(np.float32), "b1": np.zeros(2, np.float32)}
    # nonlinear.md section 8: no longer refused, a `mul` gadget (tests/inference/test_mul.py).
    cm = compile_circuit_only(tmp_path, make_model(nodes, {"x": [1, 4]}, ["y"], inits))
    assert [g.op for g in cm.circuit.gadgets].count("mul") == 1


def test_high_precision_tables_hold_16_bit_values(tmp_path):
    """24-bit activations, but a table's values fit the model stack's 16-bit entries."""
    cm = compile_circuit_only(tmp_path, act_mlp(["Sigmoid"]), precision="high")
    t = next(t for t in cm.circuit.model_stack.tensors if t.name.startswith("table:"))
    values = _stack_matrix(cm, t.name)
    assert values.shape == (1, 1 << 16)
    assert -(1 << 15) <= int(values.min()) and int(values.max()) < 1 << 15
    assert int(values.max()) > 1 << 14  # the finest scale that fits: sigmoid(+inf) ~ 2^15
    for batch in (1, 2):
        _check_relations(cm, circuit_inputs(cm.circuit, batch, seed=batch))


def _base(shape=(1, 2, 12, 12)) -> Net:
    return Net(list(shape), seed=1).conv(3, 3, pads=[1] * (2 * (len(shape) - 2))).relu()


# ---- cross-checks with the verifier ------------------------------------------------


@pytest.mark.parametrize("name", ["gap7x7", "tanh_sigmoid_gelu_gap", "sigmoid", "gelu"])
def test_verifier_parses_compiled_nonlinear_circuits(compiled, name):
    from zkml.verifier.circuit import parse_circuit

    c = compiled(name).circuit
    assert len(parse_circuit(c.to_bytes()).gadgets) == len(c.gadgets)


REFERENCE = ROOT / "tests" / "verifier" / "reference_inference.py"


def _reference_witness():
    """tests/verifier's independent witness builder, if it knows nonlinear.md."""
    import sys

    if not REFERENCE.is_file():
        return None
    sys.path.insert(0, str(REFERENCE.parent))
    try:
        from reference_inference import Witness
    finally:
        sys.path.pop(0)
    c = nonlinear_probe_circuit()
    stack = {"tt": [list(range(-8, 8))], "dw": [[1, -1]]}
    try:
        Witness(c.to_json(), stack, [[0] * c.input_features])
    except Exception:  # noqa: BLE001 - any failure: it predates nonlinear.md
        return None
    return Witness


@pytest.mark.parametrize("name", ["gap7x7", "gap3x3", "tanh_sigmoid_gelu_gap", "sigmoid",
                                  "mixed_on_input", "reducemean_1d"])
def test_columns_equal_the_reference_witness(compiled, name):
    """Every committed column equals the verifier side's reference witness (built from the
    spec with plain loops), padded positions and padded batch rows included."""
    witness = _reference_witness()
    if witness is None:
        pytest.skip("tests/verifier/reference_inference.py does not know nonlinear.md yet")
    cm = compiled(name)
    c = cm.circuit
    tensors = {t.name: _stack_matrix(cm, t.name).tolist() for t in c.model_stack.tensors}
    x = circuit_inputs(c, 3 * cm.compiled_circuit.rows, seed=5)
    ref = witness(c.to_json(), tensors, x.tolist())
    mine = build_witness(cm.compiled_circuit, cm.model, x).columns
    theirs = [np.array(col, dtype=np.int64) for _, _, _, col, _ in ref.column_list()]
    assert len(mine) == len(theirs)
    for i, (a, b) in enumerate(zip(mine, theirs, strict=True)):
        assert np.array_equal(a, b), f"column {i} ({c.columns()[i].name}) differs"


def _reference_prover():
    """tests/verifier's reference prover and key builder, when they know nonlinear.md."""
    import sys

    if _reference_witness() is None:
        return None
    sys.path.insert(0, str(REFERENCE.parent))
    try:
        from reference_inference import prove_inference, vk_artifact
    finally:
        sys.path.pop(0)
    return prove_inference, vk_artifact


TINY = {
    "mlp_sigmoid_tanh": (lambda: act_mlp(["Sigmoid", "Tanh"], dims=(4, 6, 5, 3), seed=7),
                         "small"),
    "cnn_sigmoid_gap3x3": (lambda: Net([1, 2, 6, 6], seed=8).conv(
        3, 3, strides=[2, 2], pads=[1, 1, 1, 1]).act("Sigmoid").global_pool("avg").flatten()
        .gemm(2).model(), "small"),
    "mlp_gelu_exp_balanced": (lambda: act_mlp(["Gelu", "Exp"], dims=(4, 6, 5, 3), seed=9),
                              None),
    "gap7x7_balanced": (NONLINEAR_CNN_CASES["gap7x7"], None),
    "reducemean_1d_balanced": (NONLINEAR_CNN_CASES["reducemean_1d"], None),
}


@pytest.mark.parametrize("name", list(TINY))
def test_compiled_circuits_verify_with_the_reference_prover(tmp_path, name):
    """Without the Rust prover: the compiled circuit and model stack, proven by the verifier
    side's reference prover on the same inputs, verify with `zkml.verifier`, and the proven
    outputs are this witness's (= the integer executor's)."""
    ref = _reference_prover()
    if ref is None:
        pytest.skip("no reference prover / verifier for nonlinear.md in tests/verifier yet")
    prove, vk_artifact = ref
    from zkml.verifier import VerifyingKey, verify_inference

    build, precision = TINY[name]
    model = build()
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    cal = np.random.default_rng(3).normal(size=(16, *dims[1:]))
    opts = {"precision": precision} if precision else {}
    cm = compile_circuit_only(tmp_path, model, calibration=cal, name=name, **opts)
    c = cm.circuit
    assert c.table_gadgets() or any(g.divisor > 1 for g in c.gadgets)
    doc = c.to_json()
    stack = cm.compiled_circuit.model_stack
    tensors = {t.name: _stack_matrix(cm, t.name).tolist() for t in c.model_stack.tensors}
    vk_bytes = vk_artifact(doc, [int(v) for v in stack])
    x = circuit_inputs(c, 2, seed=9)
    proof = prove(doc, tensors, [int(v) for v in stack], x.tolist(), vk_bytes)
    st = verify_inference(proof, VerifyingKey.from_bytes(vk_bytes))
    w = build_witness(cm.compiled_circuit, cm.model, x)
    assert st.batch == 2
    assert np.array_equal(np.array(st.output), w.outputs)


def test_inspect_names_every_producer(compiled):
    """`zkml inspect` prints conv, pooling, spatial sums and tables (not as identity)."""
    from zkml.cli.inspect_cmd import _lines_circuit

    lines = "\n".join(_lines_circuit(nonlinear_probe_circuit()))
    assert "g0: table(input, T=tt)" in lines and "spatialsum(g0 2x3x3)" in lines
    assert "divisor 9" in lines and "identity" not in lines
    lines = "\n".join(_lines_circuit(probe_circuit()))
    assert "conv(input 1x4x4 -> 2x4x4" in lines and "maxpool(g0 2x4x4 -> 2x2x2" in lines
    assert "sumpool(g1 2x2x2 -> 2x1x1, window 2x2)" in lines and "identity" not in lines
    lines = "\n".join(_lines_circuit(compiled("tanh_sigmoid_gelu_gap").circuit))
    assert lines.count("table(") == 3 and "divisor 49" in lines


def test_table_on_a_single_feature_looks_up_two_copies(tmp_path):
    """A one-logit sigmoid: one example's lookup tree would have depth 0, so the logit is
    repeated into two features (a rearrange), looked up, and the first copy kept."""
    cm = compile_circuit_only(tmp_path, _one_logit_sigmoid())
    ops = [(g.op, g.features) for g in cm.circuit.gadgets]
    assert ops[-3:] == [("rearrange", 2), ("table", 2), ("rearrange", 1)]
    x = np.random.default_rng(0).integers(-3000, 3000, size=(1, cm.circuit.input_features))
    build_witness(cm.compiled_circuit, cm.model, x)


def _one_logit_sigmoid():
    model = mlp([4, 3, 1])
    model.graph.node.append(helper.make_node("Sigmoid", ["y"], ["p"], name="out_sigmoid"))
    model.graph.output[0].name = "p"
    return model
