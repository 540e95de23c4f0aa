"""Circuit compiler: gadget fusion, clamp bounds, excess bits, model stack layout, refusals."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from inference_models import compile_circuit_only, compile_mlp, f32, leaky_mlp, make_model
from onnx import TensorProto, helper

from zkml.compiler.build import compile_circuit, excess_bits
from zkml.compiler.circuit import CircuitFormatError, assign_slots, ceil_log2
from zkml.compiler.circuit_load import circuit_from_bytes, circuit_from_json
from zkml.errors import ModelError
from zkml.quant.rounding import round_shift
from zkml.verifier.circuit import parse_circuit


def test_mlp_gadgets_fuse_relu_into_dense(tmp_path):
    cm, _ = compile_mlp(tmp_path, [12, 16, 8, 3])
    c = cm.circuit
    assert [g.op for g in c.gadgets] == ["dense", "dense", "dense"]
    assert [g.x for g in c.gadgets] == ["input", 0, 1]
    assert c.gadgets[0].lo == 0 and c.gadgets[1].lo == 0  # ReLU fused: lo = max(lo, 0)
    out = c.output
    t = cm.model.tensor(cm.model.outputs["y"])
    assert (out.lo, out.hi) == (t.lo, t.hi) and c.output_gadget == 2
    assert c.output_features == 3 and c.input_features == 12
    assert [g.source for g in c.gadgets] == ["fc0", "fc1", "fc2"]
    # The verifier accepts the exact bytes, and they are canonical.
    assert parse_circuit(c.to_bytes()) is not None
    assert circuit_from_bytes(c.to_bytes()) == c


def test_model_stack_layout_and_values(tmp_path):
    cm, _ = compile_mlp(tmp_path, [12, 16, 8, 3])
    cc = cm.compiled_circuit
    ms = cc.circuit.model_stack
    assert ms.log_cols == ms.num_vars // 2
    assert cc.model_stack.dtype == np.int64 and cc.model_stack.shape == (1 << ms.num_vars,)
    covered = np.zeros(1 << ms.num_vars, dtype=bool)
    sizes = [t.size for t in ms.tensors]
    assert [t.offset for t in ms.tensors] == assign_slots(sizes)
    shifts = {g.producer.bias: g.producer.bias_shift for g in cc.circuit.gadgets
              if getattr(g.producer, "bias", None) is not None}
    assert any(shifts.values())  # this model's biases need more than 16 bits
    assert 1 <= ms.range_bits <= 16
    for t in ms.tensors:
        assert t.offset % t.size == 0
        block = cc.model_stack[t.offset : t.offset + t.size].reshape(-1, 1 << ceil_log2(t.cols))
        q = cm.model.constants[t.name]
        expect = q.T if t.rows > 1 else q.reshape(1, -1)  # weights stored (n_out, n_in)
        # a wide bias is stored divided by 2^bias_shift, exactly (the quantizer rounds it
        # to a multiple)
        shift = shifts.get(t.name, 0)
        assert np.array_equal(block[: t.rows, : t.cols] << shift, expect)
        assert not block[t.rows :].any() and not block[:, t.cols :].any()
        covered[t.offset : t.offset + t.size] = True
    assert not cc.model_stack[~covered].any()
    weights = [n for n, t in cm.model.tensors.items() if t.role == "weight"]
    # range_bits is the narrowest signed width holding every stored entry
    lo, hi = int(cc.model_stack.min()), int(cc.model_stack.max())
    rb = ms.range_bits
    assert -(1 << (rb - 1)) <= lo and hi < 1 << (rb - 1)
    assert lo < -(1 << (rb - 2)) or hi >= 1 << (rb - 2)
    assert rb <= max(cm.model.tensor(n).bits for n in weights)


def test_residual_add_and_identity(tmp_path):
    cm, _ = compile_mlp(tmp_path, [8, 8, 8, 8, 4], residual=True)
    c = cm.circuit
    ops = [g.op for g in c.gadgets]
    assert ops.count("add") == 2 and ops.count("dense") == 4
    adds = [g for g in c.gadgets if g.op == "add"]
    for g in adds:
        assert g.producer.signs == (1, 1) and g.features == 8
        assert isinstance(g.x, int) and isinstance(g.producer.y, int)
    # The ReLU output feeds both the next layer and the residual add: it is materialized
    # by fusing into its dense gadget (the dense output itself has one reader).
    assert all(g.lo == 0 for g in c.gadgets if g.op == "dense" and g is not c.output)


def test_relu_of_a_shared_tensor_becomes_identity(tmp_path):
    rng = np.random.default_rng(0)
    nodes = [helper.make_node("Gemm", ["x", "W", "b"], ["h"], name="fc"),
             helper.make_node("Relu", ["h"], ["r"], name="relu"),
             helper.make_node("Add", ["h", "r"], ["y"], name="sum")]
    model = make_model(nodes, {"x": [1, 6]}, ["y"],
                       {"W": f32(rng.normal(size=(6, 5))), "b": f32(rng.normal(size=5))})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cm = compile_circuit_only(tmp_path, model)
    c = cm.circuit
    assert [g.op for g in c.gadgets] == ["dense", "identity", "add"]
    dense, ident, add = c.gadgets
    assert dense.lo < 0 and ident.x == 0 and ident.lo == 0 and ident.hi == dense.hi
    assert ident.shift == 0 and (add.x, add.producer.y) == (0, 1)


def test_clip_relu6_bounds_and_v_column(tmp_path):
    cal = np.random.default_rng(3).normal(scale=4.0, size=(32, 10))
    cm, _ = compile_mlp(tmp_path, [10, 16, 4], clip=6.0, calibration=cal)
    g = cm.circuit.gadgets[0]
    f = g.frac_bits
    assert g.lo == 0 and g.hi == int(np.floor(6.0 * 2**f + 0.5))
    assert g.has_v  # hi - lo + 1 is not a power of two
    assert [v for v, _ in g.value_widths()][:2] == ["u", "v"]


def test_flatten_of_a_4d_input_is_bookkeeping(tmp_path):
    cal = np.random.default_rng(2).normal(size=(16, 1, 4, 4))
    cm, _ = compile_mlp(tmp_path, [16, 8, 3], in_shape=[1, 1, 4, 4], calibration=cal)
    c = cm.circuit
    assert c.input_features == 16 and c.gadgets[0].x == "input"
    assert cm.input_shape == (1, 1, 4, 4)


def test_no_bias_and_batched_model_input(tmp_path):
    cal = np.random.default_rng(2).normal(size=(16, 6))
    cm, _ = compile_mlp(tmp_path, [6, 4, 2], bias=False, in_shape=[2, 6], calibration=cal)
    assert all(getattr(g.producer, "bias", None) is None for g in cm.circuit.gadgets)
    assert cm.compiled_circuit.rows == 2


@pytest.mark.parametrize("bound,shift,lo,hi", [
    (1000, 4, -128, 127), (1000, 0, 0, 127), (37, 3, -8, 7), (5000, 6, 0, 20), (3, 5, 0, 1),
])
def test_excess_bits_cover_every_accumulator(bound, shift, lo, hi):
    e_hi, e_lo = excess_bits(bound, shift, lo, hi)
    acc = np.arange(-bound, bound + 1, dtype=np.int64)
    q, _ = round_shift(acc, shift)
    ep, em = np.maximum(q - hi, 0), np.maximum(lo - q, 0)
    assert int(ep.max()) < 1 << e_hi and int(em.max()) < 1 << e_lo
    # and they are tight: one bit fewer would not fit
    assert e_hi == int(ep.max()).bit_length() and e_lo == int(em.max()).bit_length()


def _compile_nodes(tmp_path, nodes, inits, shape=(1, 4), outputs=None):
    model = make_model(nodes, {"x": list(shape)}, outputs or ["y"], inits)
    return compile_circuit_only(tmp_path, model)


W44 = f32(np.random.default_rng(5).normal(size=(4, 4)))


@pytest.mark.parametrize("keepdims", [0, 1])
def test_argmax_output(tmp_path, keepdims):
    nodes = [helper.make_node("MatMul", ["x", "W"], ["h"], name="mm"),
             helper.make_node("ArgMax", ["h"], ["y"], axis=1, keepdims=keepdims, name="am")]
    cm = _compile_nodes(tmp_path, nodes, {"W": W44}, outputs={"y": TensorProto.INT64})
    c = cm.circuit
    assert c.argmax and c.output_features == 4 and c.statement_outputs == 1
    assert c.to_json()["output"] == {"gadget": 0, "features": 4, "argmax": True}
    d = [col for col in c.columns() if col.value == "d"]
    assert sum(col.width for col in d) == c.output.u_bits and c.columns()[-len(d):] == d
    assert parse_circuit(c.to_bytes()).argmax


def test_argmax_across_rows_is_refused(tmp_path):
    # (every other ArgMax proves: tests/inference/test_argmax_tensor.py)
    nodes = [helper.make_node("MatMul", ["x", "W"], ["h"], name="mm"),
             helper.make_node("ArgMax", ["h"], ["y"], axis=0, name="am")]
    with pytest.raises(ModelError, match=r"node 'am' \(op argmax\) cannot be proven yet: "
                                         r"an ArgMax across the batch axis"):
        _compile_nodes(tmp_path, nodes, {"W": W44}, outputs={"y": TensorProto.INT64})


def test_conv_only_model_and_padded_average_compile(tmp_path):
    # (tests/inference/test_cnn_compile.py covers conv and pooling in depth; a spatial
    # output is copied flat by a rearrange gadget, tests/inference/test_rearrange.py)
    w = f32(np.random.default_rng(0).normal(size=(2, 1, 3, 3)))
    nodes = [helper.make_node("Conv", ["x", "W"], ["y"], name="c1")]
    cm = _compile_nodes(tmp_path, nodes, {"W": w}, shape=(1, 1, 5, 5))
    assert [g.op for g in cm.circuit.gadgets] == ["conv", "rearrange"]
    nodes = [helper.make_node("AveragePool", ["x"], ["p"], kernel_shape=[3, 3],
                              strides=[2, 2], pads=[1, 1, 1, 1], name="ap"),
             helper.make_node("Flatten", ["p"], ["f"], name="fl"),
             helper.make_node("MatMul", ["f", "W"], ["y"], name="mm")]
    # count_include_pad = 0 over padding: one window sum per divisor (4, 6, 9 here),
    # chosen among by region (tests/inference/test_window_pool.py proves such models).
    cm = _compile_nodes(tmp_path, nodes, {"W": W44}, shape=(1, 1, 4, 4))
    assert [g.op for g in cm.circuit.gadgets] == ["winsum"] * 3 + ["rearrange", "dense"]


def test_4d_activation_keeps_the_spatial_layout(tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="r4"),
             helper.make_node("Flatten", ["r"], ["f"], name="fl"),
             helper.make_node("MatMul", ["f", "W"], ["y"], name="mm")]
    cm = _compile_nodes(tmp_path, nodes, {"W": W44}, shape=(1, 1, 2, 2))
    c = cm.circuit
    assert c.input_shape == (1, 2, 2) and [g.op for g in c.gadgets] == ["identity", "dense"]
    assert c.layout_of(0) == (1, 2, 2) and c.gadgets[0].features == 4


def test_several_outputs_compile_and_no_constants_are_refused(tmp_path):
    nodes = [helper.make_node("MatMul", ["x", "W"], ["y"], name="mm"),
             helper.make_node("Relu", ["y"], ["z"], name="r")]
    # Several outputs: concatenated per row by one rearrange (tests/inference/test_multi_io.py).
    cm = _compile_nodes(tmp_path, nodes, {"W": W44}, outputs=["y", "z"])
    assert cm.circuit.output.op == "rearrange" and cm.circuit.output_features == 8
    assert [p.name for p in cm.compiled_circuit.outputs] == ["y", "z"]
    with pytest.raises(ModelError, match="no layer with constants"):
        _compile_nodes(tmp_path, [helper.make_node("Relu", ["x"], ["y"], name="r")], {})


def test_compile_circuit_is_deterministic(tmp_path):
    cm, _ = compile_mlp(tmp_path, [12, 16, 3], residual=True)
    again = compile_circuit(cm.model)
    assert again.circuit.to_bytes() == cm.circuit.to_bytes()
    assert np.array_equal(again.model_stack, cm.compiled_circuit.model_stack)


def test_circuit_parser_is_strict(tmp_path):
    cm, _ = compile_mlp(tmp_path, [6, 4, 2])
    good = cm.circuit.to_bytes()
    with pytest.raises(CircuitFormatError, match="canonical"):
        circuit_from_bytes(good.replace(b",", b", ", 1))
    doc = cm.circuit.to_json()
    doc["gadgets"][0]["lo"] = doc["gadgets"][0]["hi"] + 1
    with pytest.raises(CircuitFormatError, match="gadget 0: parameters out of limits"):
        circuit_from_json(doc)
    doc = cm.circuit.to_json()
    doc["model_stack"]["tensors"][0]["offset"] += 1
    with pytest.raises(CircuitFormatError):
        circuit_from_json(doc)
    doc = cm.circuit.to_json()
    doc["gadgets"][1]["producer"]["x"] = 1  # not an earlier gadget
    with pytest.raises(CircuitFormatError):
        circuit_from_json(doc)


def _span(c, ref) -> int:
    """Largest magnitude `"input"` or gadget `ref` can hold."""
    if ref == "input":
        return 1 << (c.input_bits - 1)
    g = c.gadgets[int(ref)]
    return max(abs(g.lo), abs(g.hi))


def _check_leaky(cm, first: int, op, x_ref, x_range) -> None:
    """Gadgets first..first+2 are op's three affine gadgets (inference.md section 2)."""
    c = cm.circuit
    pos, neg, z = c.gadgets[first : first + 3]
    a, k = op.attrs["alpha"], op.attrs["alpha_shift"]
    lo_x, hi_x = x_range
    assert [g.op for g in (pos, neg, z)] == ["affine"] * 3
    assert pos.producer.terms == ((x_ref, 1),) and pos.shift == 0
    assert (pos.lo, pos.hi) == (0, max(hi_x, 0))
    assert neg.producer.terms == ((x_ref, -1),) and neg.shift == 0
    assert (neg.lo, neg.hi) == (0, max(-lo_x, 0))
    assert z.producer.terms == ((first, 1 << k), (first + 1, -a)) and z.shift == k
    assert all(g.source == op.source and g.features == z.features for g in (pos, neg, z))
    assert z.frac_bits == cm.model.tensor(op.output).frac_bits
    for g in (pos, neg, z):  # excess bits from the static bound sum |c_k| max|x_k|
        bound = sum(abs(coeff) * _span(c, ref) for ref, coeff in g.producer.terms)
        assert (g.excess_hi_bits, g.excess_lo_bits) == excess_bits(bound, g.shift, g.lo, g.hi)
        assert g.x == g.producer.terms[0][0]


@pytest.mark.parametrize("alpha", [0.01, 0.2, 1.5])
def test_leaky_relu_lowers_to_three_affine_gadgets(tmp_path, alpha):
    cm = compile_circuit_only(tmp_path, leaky_mlp([10, 8, 6, 4], alpha))
    c = cm.circuit
    assert [g.op for g in c.gadgets] == ["dense"] + ["affine"] * 3 + ["dense"] + \
        ["affine"] * 3 + ["dense"]
    leaky = [op for op in cm.model.ops if op.op == "leaky_relu"]
    assert [op.source for op in leaky] == ["lk0", "lk1"]
    for dense, op in zip((0, 4), leaky, strict=True):
        k = op.attrs["alpha_shift"]
        assert op.attrs["alpha"] == int(np.floor(alpha * 2**k + 0.5))
        d = c.gadgets[dense]
        assert d.op == "dense" and d.lo < 0  # lowered directly from the dense output
        _check_leaky(cm, dense + 1, op, dense, (d.lo, d.hi))
        out = cm.model.tensor(op.output)
        z = c.gadgets[dense + 3]
        assert (z.lo, z.hi) == (out.lo, out.hi)  # the output's saturation bounds
        assert c.gadgets[dense + 4].x == dense + 3  # the next layer reads the LeakyRelu
    assert cm.compiled_circuit.gadget_tensors == ["h0", "h0", "h0", "a0", "h1", "h1", "h1",
                                                  "a1", "y"]
    producer = c.to_json()["gadgets"][3]["producer"]
    a0 = leaky[0].attrs["alpha"]
    assert producer == {"op": "affine", "terms": [[1, 1 << leaky[0].attrs["alpha_shift"]],
                                                  [2, -a0]]}
    assert parse_circuit(c.to_bytes()) is not None
    assert circuit_from_bytes(c.to_bytes()) == c
    again = compile_circuit(cm.model)
    assert again.circuit.to_bytes() == c.to_bytes() and again.meta_json() == \
        cm.compiled_circuit.meta_json()


def test_leaky_relu_of_the_input(tmp_path):
    cm = compile_circuit_only(tmp_path, leaky_mlp([6, 5, 3], 0.1, on_input=True))
    c = cm.circuit
    assert [g.op for g in c.gadgets] == ["affine"] * 3 + ["dense"] + ["affine"] * 3 + ["dense"]
    op = next(op for op in cm.model.ops if op.source == "lk_in")
    half = 1 << (c.input_bits - 1)
    _check_leaky(cm, 0, op, "input", (-half, half - 1))
    assert c.gadgets[3].x == 2
    assert cm.compiled_circuit.gadget_tensors[:3] == [cm.model.inputs[0]] * 2 + [op.output]
    assert parse_circuit(c.to_bytes()) is not None


@pytest.mark.parametrize("after", ["relu", "clip"])
def test_activation_after_leaky_relu_is_fused_into_its_clamp(tmp_path, after):
    cm = compile_circuit_only(tmp_path, leaky_mlp([8, 6, 3], 0.2, after=after))
    c = cm.circuit
    assert [g.op for g in c.gadgets] == ["dense"] + ["affine"] * 3 + ["dense"]
    z = c.gadgets[3]
    act = next(op for op in cm.model.ops if op.op == after)
    out = cm.model.tensor(act.output)
    if after == "relu":
        assert (z.lo, z.hi) == (0, out.hi)
    else:
        assert z.lo == act.attrs["lo"] < 0 and z.hi == act.attrs["hi"] < out.hi
    assert cm.compiled_circuit.gadget_tensors[3] == act.output


def test_leaky_relu_of_a_relu_output(tmp_path):
    """x >= 0 everywhere: `y-` is clamped to [0, 0] (no u column) and everything still fits."""
    rng = np.random.default_rng(0)
    nodes = [helper.make_node("Gemm", ["x", "W", "b"], ["h"], name="fc"),
             helper.make_node("Relu", ["h"], ["r"], name="relu"),
             helper.make_node("LeakyRelu", ["r"], ["y"], alpha=0.3, name="lk")]
    model = make_model(nodes, {"x": [1, 6]}, ["y"],
                       {"W": f32(rng.normal(size=(6, 5))), "b": f32(rng.normal(size=5))})
    cm = compile_circuit_only(tmp_path, model)
    c = cm.circuit
    dense, pos, neg, z = c.gadgets
    assert dense.lo == 0 and (neg.lo, neg.hi) == (0, 0) and neg.u_bits == 0
    assert (pos.lo, pos.hi) == (0, dense.hi) and c.output_gadget == 3
    _check_leaky(cm, 1, cm.model.ops[-1], 0, (dense.lo, dense.hi))


def test_affine_producer_parser_is_strict(tmp_path):
    cm = compile_circuit_only(tmp_path, leaky_mlp([6, 4, 2], 0.1))
    good = cm.circuit.to_json()
    assert good["gadgets"][1]["producer"] == {"op": "affine", "terms": [[0, 1]]}

    def bad(edit, match="affine terms do not match"):
        doc = cm.circuit.to_json()
        edit(doc["gadgets"][3]["producer"])
        with pytest.raises(CircuitFormatError, match=match):
            circuit_from_json(doc)

    bad(lambda p: p.update(terms=[]))
    bad(lambda p: p.update(terms=[[1, 1]] * 9))
    bad(lambda p: p.update(terms=[[1, 1 << 40]]))
    bad(lambda p: p.update(terms=[[1, -(1 << 40)]]))
    bad(lambda p: p.update(terms=[[1, True]]), "invalid type: boolean")
    bad(lambda p: p.update(terms=[[3, 1]]))  # not an earlier gadget
    bad(lambda p: p.update(terms=[[1, 1, 1]]), "invalid length 3")
    bad(lambda p: p.update(x=1), "unknown field `x`")
    bad(lambda p: p.update(terms=[["input", 1]]))  # 6 input features, not 4
    doc = cm.circuit.to_json()
    doc["gadgets"][3]["producer"]["terms"] = [[1, (1 << 40) - 1], [2, -(1 << 40) + 1]]
    terms = circuit_from_json(doc).gadgets[3].producer.terms
    assert terms == ((1, (1 << 40) - 1), (2, -(1 << 40) + 1))
