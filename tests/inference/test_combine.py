"""circuits/nonlinear.md sections 10-11 on the compiler and witness side: `addconst`
(`x + c`, `x - c`, `c + x`, a per-channel constant after a convolution, GELU exported as
Div/Erf/Add/Mul/Mul) and `concat` (conv branches with non-power-of-two channel counts,
flat dense branches), the witness against the integer executor and against the gadgets'
relations over the whole padded tensors, the parser's checks and the refusals."""

from __future__ import annotations

import numpy as np
import pytest
from harness import case_cache, circuit_inputs, committed_values
from inference_models import (
    COMBINE_CASES,
    compile_circuit_only,
    compile_cnn,
    f32,
    make_model,
    uses_combine,
)
from onnx import helper
from probe_circuits import combine_probe_circuit, combine_probe_stack

from zkml.compiler.circuit import Circuit, CircuitFormatError, canonical_json, ceil_log2
from zkml.compiler.circuit_load import circuit_from_bytes
from zkml.errors import ModelError
from zkml.witness import build_witness, evaluate_circuit
from zkml.witness_spatial import layout_input, padded_dims


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    return case_cache(tmp_path_factory, COMBINE_CASES)






def _check_relations(c: Circuit, stack: np.ndarray, w, x: np.ndarray) -> int:
    """Every addconst and concat gadget: its acc from the spec's definition over the whole
    padded tensors (padding included) equals `(z + e+ - e-) 2^k + rem - half`."""
    vals = committed_values(c, w.columns)
    bp = 1 << ceil_log2(x.shape[0])
    x_in = (layout_input(x, c.input_shape, bp) if c.input_shape
            else np.pad(x, ((0, bp - x.shape[0]), (0, (1 << ceil_log2(c.input_features))
                                                   - x.shape[1]))))

    def tensor(ref):
        return x_in if ref == "input" else w.tensors[int(ref)]

    count = 0
    for gi, g in enumerate(c.gadgets):
        if g.op == "addconst":
            t = c.model_stack.tensor(g.producer.const)
            assert t.rows == 1 and t.cols == c.width_of(g.x) == g.features
            row = stack[t.offset : t.offset + (1 << ceil_log2(t.cols))]
            acc = (tensor(g.x) << g.producer.lshift) + row[None, :]
            layout = c.layout_of(g.x)
            if layout is not None:  # C is 0 at the padded positions
                real = np.zeros(padded_dims(layout), dtype=bool)
                real[tuple(slice(0, v) for v in layout)] = True
                assert not row[~real.reshape(-1)].any()
        elif g.op == "concat":
            shape = g.producer.concat_shape
            assert g.features == int(np.prod(padded_dims(shape)))
            acc = np.zeros((bp, *padded_dims(shape)), dtype=np.int64)
            off = 0
            for p, sh in zip(g.producer.parts, g.producer.shapes, strict=True):
                assert c.width_of(p) == (sh[0] if len(sh) == 1
                                         else int(np.prod(padded_dims(sh))))
                part = tensor(p).reshape(bp, *padded_dims(sh))
                for ch in range(sh[0]):
                    acc[:, off + ch] = part[:, ch]
                off += sh[0]
            acc = acc.reshape(bp, -1)
        else:
            continue
        count += 1
        v = vals[gi]
        z = w.tensors[gi]
        assert np.array_equal(v["u"].reshape(z.shape), z - g.lo)
        ep, em, rem = (v.get(k, np.zeros(z.size, dtype=np.int64)).reshape(z.shape)
                       for k in ("ep", "em", "rem"))
        half = (1 << (g.shift - 1)) if g.shift else 0
        assert np.array_equal(acc, (z + ep - em) * (1 << g.shift) + rem - half)
    return count


@pytest.mark.parametrize("name", list(COMBINE_CASES))
@pytest.mark.parametrize("batch", [1, 4])
def test_compile_and_witness_matches_executor(compiled, name, batch):
    cm = compiled(name)
    c = cm.circuit
    assert circuit_from_bytes(c.to_bytes()) == c and uses_combine(c)
    x = circuit_inputs(c, batch * cm.compiled_circuit.rows, seed=batch)
    w = build_witness(cm.compiled_circuit, cm.model, x)  # checks against the executor
    assert _check_relations(c, cm.compiled_circuit.model_stack, w, x) >= 1


def test_concat_of_conv_branches(compiled):
    c = compiled("concat_cnn").circuit
    g = next(g for g in c.gadgets if g.op == "concat")
    assert g.producer.shapes == ((3, 6, 6), (2, 6, 6)) and g.producer.concat_shape == (5, 6, 6)
    assert g.features == 8 * 8 * 8 and g.shift == 0
    assert [c.gadgets[int(p)].op for p in g.producer.parts] == ["conv", "conv"]
    nxt = c.gadgets[c.gadgets.index(g) + 1]
    assert nxt.op == "conv" and nxt.producer.in_shape == (5, 6, 6)


def test_flat_concat_layouts(compiled):
    c = compiled("concat_mlp").circuit
    g = next(g for g in c.gadgets if g.op == "concat")
    # Flat parts keep their own widths (3 and 2 features, not padded).
    assert g.producer.shapes == ((3,), (2,)) and g.features == 8
    assert [c.width_of(p) for p in g.producer.parts] == [3, 2]
    assert c.layout_of(c.gadgets.index(g)) == (5,)
    c = compiled("concat_mlp_rows4").circuit
    g = next(g for g in c.gadgets if g.op == "concat")
    assert g.producer.shapes == ((5,), (4,), (2,)) and g.features == 16
    c = compiled("concat_mlp_pow2").circuit
    g = next(g for g in c.gadgets if g.op == "concat")
    assert g.features == 8 and c.gadgets[-1].op == "dense"


def test_addconst_forms(compiled):
    for name, lo_sign in (("addconst_row", None), ("addconst_sub", None),
                          ("addconst_left", None), ("addconst_scalar_rows4", None)):
        cm = compiled(name)
        c = cm.circuit
        g = next(g for g in c.gadgets if g.op == "addconst")
        t = c.model_stack.tensor(g.producer.const)
        assert (t.rows, t.cols) == (1, 10) == (1, g.features) and lo_sign is None
    # x - c stores -c.
    cm = compiled("addconst_sub")
    c = cm.circuit
    g = next(g for g in c.gadgets if g.op == "addconst")
    t = c.model_stack.tensor(g.producer.const)
    stored = cm.compiled_circuit.model_stack[t.offset : t.offset + 10]
    const = cm.model.constants[t.name.split("#")[0]].reshape(-1)
    lsh = next(op for op in cm.model.ops if op.op == "add").attrs["lshifts"][1]
    assert np.array_equal(stored, -(const << lsh))


def test_scalar_and_per_channel_constants_are_expanded(compiled):
    cm = compiled("addconst_scalar_rows4")
    c = cm.circuit
    g = next(g for g in c.gadgets if g.op == "addconst")
    t = c.model_stack.tensor(g.producer.const)
    row = cm.compiled_circuit.model_stack[t.offset : t.offset + 16]
    assert len(set(row[:10].tolist())) == 1 and row[0] != 0 and not row[10:].any()
    cm = compiled("addconst_cnn")
    c = cm.circuit
    g = next(g for g in c.gadgets if g.op == "addconst")
    assert c.layout_of(g.x) == (3, 3, 3) and g.features == 4 * 4 * 4
    t = c.model_stack.tensor(g.producer.const)
    row = cm.compiled_circuit.model_stack[t.offset : t.offset + 64].reshape(4, 4, 4)
    for ch in range(3):
        assert len(set(row[ch, :3, :3].reshape(-1).tolist())) == 1
    assert not row[3].any() and not row[:, 3].any() and not row[:, :, 3].any()


def test_gelu_in_erf_form(compiled):
    # The final `* 0.5` reads its constant from the model stack (a diagonal dense on a
    # flat tensor, a depthwise conv on a map), never as a public coefficient.
    for name, scale in (("gelu_erf_mlp", "dense"), ("gelu_erf_cnn", "conv")):
        c = compiled(name).circuit
        ops = [g.op for g in c.gadgets]
        i = ops.index("table")
        assert ops[i : i + 4] == ["table", "addconst", "mul", scale]
        g = c.gadgets[i + 1]
        assert g.x == i and c.gadgets[i + 2].producer.y == i + 1


def test_compile_is_deterministic(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = compile_cnn(tmp_path / "a", COMBINE_CASES["concat_cnn"](), "m")
    b = compile_cnn(tmp_path / "b", COMBINE_CASES["concat_cnn"](), "m")
    assert a.circuit.to_bytes() == b.circuit.to_bytes()


def test_combine_probe_circuit_is_valid():
    c = combine_probe_circuit()
    assert circuit_from_bytes(c.to_bytes()) == c and uses_combine(c)
    stack = combine_probe_stack()
    assert stack.size == 1 << c.model_stack.num_vars
    x = np.array([[-8, 7, 3], [2, -5, -1], [6, 0, -7]], dtype=np.int64)
    tensors, columns = evaluate_circuit(c, stack, x)
    expect = np.clip((2 * x + np.array([5, -3, 2]) + 1) >> 1, -8, 7)
    assert np.array_equal(tensors[0][:3, :3], expect)
    assert np.array_equal(tensors[3][:, :4], tensors[1][:, :4])
    assert np.array_equal(tensors[3][:, 4:6], tensors[2][:, :2])
    assert not tensors[3][:, 6:].any()
    assert len(columns) == len(c.columns())


def _probe_doc() -> dict:
    import json

    return json.loads(combine_probe_circuit().to_bytes())


def _edited(edit) -> bytes:
    doc = _probe_doc()
    edit(doc)
    return canonical_json(doc)


@pytest.mark.parametrize("edit,match", [
    (lambda d: d["gadgets"][0]["producer"].pop("lshift"), "missing field `lshift`"),
    (lambda d: d["gadgets"][0]["producer"].update(c=3), "invalid type: integer `3`"),
    (lambda d: d["gadgets"][0]["producer"].update(c="nope"), "unknown model tensor nope"),
    (lambda d: d["gadgets"][0]["producer"].update(c="w1"), "addconst shapes do not match"),
    (lambda d: d["gadgets"][0]["producer"].update(lshift=65), "addconst shapes do not match"),
    (lambda d: d["gadgets"][0].update(features=4), "addconst shapes do not match"),
    (lambda d: d["gadgets"][3]["producer"].update(parts=[1]), "concat parts out of limits"),
    (lambda d: d["gadgets"][3]["producer"].update(shapes=[[4]]), "concat parts out of limits"),
    (lambda d: d["gadgets"][3]["producer"].update(parts=[1, 3]), "concat parts out of limits"),
    (lambda d: d["gadgets"][3]["producer"].update(shapes=[[2], [2]]), "concat shapes do not"),
    (lambda d: d["gadgets"][3]["producer"].update(shapes=[[4], [2, 1]]), "concat shapes do not"),
    (lambda d: d["gadgets"][3]["producer"].update(shapes=[[4], [0]]), "shape"),
    (lambda d: d["gadgets"][3].update(features=6), "concat shapes do not"),
    (lambda d: d["gadgets"][3]["producer"].update(x=1), "unknown field `x`"),
])
def test_parser_refuses_malformed_gadgets(edit, match):
    with pytest.raises(CircuitFormatError, match=match):
        circuit_from_bytes(_edited(edit))


def test_verifier_parses_compiled_circuits(compiled):
    from zkml.verifier.circuit import parse_circuit

    for name in ("concat_cnn", "concat_mlp", "addconst_cnn", "gelu_erf_mlp"):
        parse_circuit(compiled(name).circuit.to_bytes())


def test_inspect_names_the_gadgets(compiled):
    from zkml.cli.inspect_cmd import _lines_circuit

    lines = "\n".join(_lines_circuit(combine_probe_circuit()))
    assert "addconst(input <<1 + c)" in lines and "concat(g1 4, g2 2)" in lines
    lines = "\n".join(_lines_circuit(compiled("concat_cnn").circuit))
    assert "concat(g0 3x6x6, g1 2x6x6)" in lines


# ---- refusals ------------------------------------------------------------------------


def _refused(tmp_path, model, match: str, **opts) -> None:
    with pytest.raises(ModelError, match=match):
        compile_circuit_only(tmp_path, model, **opts)


def _after_relu(op: str, ins: list[str], c, shape=(1, 6)) -> object:
    rng = np.random.default_rng(4)
    n = shape[1]
    nodes = [helper.make_node("Gemm", ["x", "W0", "b0"], ["h"], name="fc0"),
             helper.make_node("Relu", ["h"], ["r"], name="relu"),
             helper.make_node(op, ins, ["a"], name="with_c"),
             helper.make_node("Gemm", ["a", "W1", "b1"], ["y"], name="fc1")]
    inits = {"W0": f32(rng.normal(size=(4, n))), "b0": f32(np.zeros(n)), "c": f32(c),
             "W1": f32(rng.normal(size=(n, 2))), "b1": f32(np.zeros(2))}
    return make_model(nodes, {"x": [shape[0], 4]}, ["y"], inits)


def test_constant_minus_tensor_negates_then_adds(tmp_path):
    """`c - x`: a helper `affine(x, -1)` (range `[-hi, -lo]`, no excess), then `addconst`."""
    cm = compile_circuit_only(tmp_path, _after_relu("Sub", ["c", "r"], np.full(6, 0.5)))
    gadgets = cm.circuit.gadgets
    (i,) = [i for i, g in enumerate(gadgets) if g.op == "addconst"]
    neg = gadgets[int(gadgets[i].x)]
    x = gadgets[int(neg.x)]
    assert neg.op == "affine" and neg.producer.terms == ((neg.x, -1),) and neg.shift == 0
    assert (neg.lo, neg.hi) == (-x.hi, -x.lo)
    assert neg.excess_hi_bits == neg.excess_lo_bits == 0


def test_constant_varying_between_rows_is_refused(tmp_path):
    _refused(tmp_path, _after_relu("Add", ["r", "c"], np.ones((2, 6)), shape=(2, 6)),
             r"node 'with_c' \(op add\) cannot be proven yet: the constant 'c' differs "
             r"between rows")


@pytest.mark.parametrize("c", [np.array([1e6, 1e-3, 0, 0, 0, 1]), np.full(6, 1.0)])
def test_wide_constant_is_summed_at_its_own_scale(tmp_path, c):
    """A constant that needs more than the model stack's 16 bits at the tensor's scale
    (far beyond the activations' range; 1.0 next to a finer tensor) is summed at its own
    scale: the tensor is rescaled to it first (quantization.md, Ops: add)."""
    cm = compile_circuit_only(tmp_path, _after_relu("Add", ["r", "c"], c))
    gadgets = cm.circuit.gadgets
    (i,) = [i for i, g in enumerate(gadgets) if g.op == "addconst"]
    stack = cm.compiled_circuit.model_stack
    t = next(t for t in cm.circuit.model_stack.tensors if t.name == gadgets[i].producer.const)
    values = stack[t.offset : t.offset + (1 << ceil_log2(t.cols))]
    assert int(np.abs(values).max()) < 1 << 15
    x = np.random.default_rng(0).integers(-1000, 1000, size=(2, cm.circuit.input_features))
    build_witness(cm.compiled_circuit, cm.model, x)


def _rearranged(tmp_path, model, name: str) -> None:
    """The model compiles, and the concatenation `name` is a `rearrange` gadget
    (circuits/rearrange.md; `zkml.compiler.combine` leaves it: tests/inference/
    test_rearrange.py covers these in depth)."""
    cm = compile_circuit_only(tmp_path, model)
    assert any(g.op == "rearrange" and g.source == name for g in cm.circuit.gadgets)


def test_concat_of_a_padded_flat_concat_is_a_rearrange(tmp_path):
    rng = np.random.default_rng(8)
    nodes = [helper.make_node("Gemm", ["x", "W0", "b0"], ["h"], name="fc0"),
             helper.make_node("Relu", ["h"], ["r"], name="relu"),
             helper.make_node("Concat", ["r", "r"], ["c1"], name="cat1", axis=1),
             helper.make_node("Concat", ["c1", "r"], ["c2"], name="cat2", axis=1),
             helper.make_node("Gemm", ["c2", "W1", "b1"], ["y"], name="fc1")]
    inits = {"W0": f32(rng.normal(size=(4, 3))), "b0": f32(np.zeros(3)),
             "W1": f32(rng.normal(size=(9, 2))), "b1": f32(np.zeros(2))}
    _rearranged(tmp_path, make_model(nodes, {"x": [1, 4]}, ["y"], inits), "cat2")


def test_concat_along_a_spatial_axis_is_a_rearrange(tmp_path):
    rng = np.random.default_rng(5)
    nodes = [helper.make_node("Conv", ["x", "Wa", "ba"], ["a"], name="conv_a",
                              kernel_shape=[1, 1]),
             helper.make_node("Conv", ["x", "Wb", "bb"], ["b"], name="conv_b",
                              kernel_shape=[1, 1]),
             helper.make_node("Concat", ["a", "b"], ["c"], name="cat_h", axis=2),
             helper.make_node("Flatten", ["c"], ["f"], name="flat", axis=1),
             helper.make_node("Gemm", ["f", "W1", "b1"], ["y"], name="fc")]
    inits = {"Wa": f32(rng.normal(size=(2, 2, 1, 1))), "ba": f32(np.zeros(2)),
             "Wb": f32(rng.normal(size=(2, 2, 1, 1))), "bb": f32(np.zeros(2)),
             "W1": f32(rng.normal(size=(2 * 8 * 4, 2))), "b1": f32(np.zeros(2))}
    _rearranged(tmp_path, make_model(nodes, {"x": [1, 2, 4, 4]}, ["y"], inits), "cat_h")


def test_concat_of_a_spatial_and_a_flat_tensor_is_a_rearrange(tmp_path):
    rng = np.random.default_rng(6)
    nodes = [helper.make_node("Conv", ["x", "Wa", "ba"], ["a"], name="conv_a",
                              kernel_shape=[1, 1]),
             helper.make_node("Flatten", ["a"], ["af"], name="flat_a", axis=1),
             helper.make_node("Flatten", ["x"], ["xf"], name="flat_x", axis=1),
             helper.make_node("Gemm", ["xf", "Wd", "bd"], ["d"], name="fc_d"),
             helper.make_node("Concat", ["af", "d"], ["c"], name="mixed", axis=1),
             helper.make_node("Gemm", ["c", "W1", "b1"], ["y"], name="fc")]
    inits = {"Wa": f32(rng.normal(size=(2, 1, 1, 1))), "ba": f32(np.zeros(2)),
             "Wd": f32(rng.normal(size=(4, 4))), "bd": f32(np.zeros(4)),
             "W1": f32(rng.normal(size=(12, 2))), "b1": f32(np.zeros(2))}
    _rearranged(tmp_path, make_model(nodes, {"x": [1, 1, 2, 2]}, ["y"], inits), "mixed")


def test_concat_with_a_constant_is_refused(tmp_path):
    rng = np.random.default_rng(7)
    nodes = [helper.make_node("Gemm", ["x", "W0", "b0"], ["h"], name="fc0"),
             helper.make_node("Relu", ["h"], ["r"], name="relu"),
             helper.make_node("Concat", ["r", "k"], ["c"], name="cat_const", axis=1),
             helper.make_node("Gemm", ["c", "W1", "b1"], ["y"], name="fc1")]
    inits = {"W0": f32(rng.normal(size=(4, 4))), "b0": f32(np.zeros(4)),
             "k": f32(np.ones((1, 4))), "W1": f32(rng.normal(size=(8, 2))),
             "b1": f32(np.zeros(2))}
    _refused(tmp_path, make_model(nodes, {"x": [1, 4]}, ["y"], inits),
             r"node 'cat_const' \(op concat\) cannot be proven yet: the part '.*' is a "
             r"constant")
