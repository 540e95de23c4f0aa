"""circuits/nonlinear.md section 8 on the compiler and witness side: the elementwise
product `mul` of two computed tensors (SiLU `h * Sigmoid(h)` in MLPs and after a
convolution, gating of two dense branches, a product with the input), the witness against
the integer executor and against the gadget's relation over the whole padded tensors, the
parser's checks and the compiler's refusals."""

from __future__ import annotations

import numpy as np
import pytest
from harness import case_cache, circuit_inputs, committed_values
from inference_models import (
    MUL_CASES,
    compile_circuit_only,
    compile_cnn,
    f32,
    make_model,
    uses_mul,
)
from onnx import helper
from probe_circuits import mul_probe_circuit, mul_probe_stack

from zkml.compiler.circuit import Circuit, CircuitFormatError, canonical_json, ceil_log2
from zkml.compiler.circuit_load import circuit_from_bytes
from zkml.errors import ModelError
from zkml.witness import build_witness, evaluate_circuit
from zkml.witness_spatial import layout_input


def _build(work, model, name: str, precision: str | None = None):
    if name == "silu_cnn":
        return compile_cnn(work, model, name)
    opts = {"precision": precision} if precision else {}
    return compile_circuit_only(work, model, name=name, **opts)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    return case_cache(tmp_path_factory, MUL_CASES, _build)






def _check_mul_relations(c: Circuit, w, x: np.ndarray) -> int:
    """Every mul gadget: `x y = (z + e+ - e-) 2^k + rem - half` over the whole padded
    tensor (padding included), `z = lo + u`; returns the number of mul gadgets."""
    vals = committed_values(c, w.columns)
    bp = 1 << ceil_log2(x.shape[0])
    x_in = (layout_input(x, c.input_shape, bp) if c.input_shape
            else np.pad(x, ((0, bp - x.shape[0]), (0, (1 << ceil_log2(c.input_features))
                                                   - x.shape[1]))))

    def tensor(ref):
        return x_in if ref == "input" else w.tensors[int(ref)]

    count = 0
    for gi, g in enumerate(c.gadgets):
        if g.op != "mul":
            continue
        count += 1
        v = vals[gi]
        z = w.tensors[gi].reshape(-1)
        assert g.divisor == 1 and g.features == c.width_of(g.x) == c.width_of(g.producer.y)
        assert np.array_equal(v["u"], z - g.lo)
        acc = (tensor(g.x) * tensor(g.producer.y)).reshape(-1)
        assert acc.size == z.size
        ep, em, rem = v.get("ep", 0), v.get("em", 0), v.get("rem", 0)
        half = (1 << (g.shift - 1)) if g.shift else 0
        assert np.array_equal(acc, (z + ep - em) * (1 << g.shift) + rem - half)
        # The static bound covers every product (no wraparound below 2^62).
        mx = max(abs(b) for b in c.x_range(g.x))
        my = max(abs(b) for b in c.x_range(g.producer.y))
        assert mx < 1 << 31 and my < 1 << 31 and int(np.abs(acc).max()) <= mx * my
    return count


@pytest.mark.parametrize("name", list(MUL_CASES))
@pytest.mark.parametrize("batch", [1, 3])
def test_products_compile_and_witness_matches_executor(compiled, name, batch):
    cm = compiled(name)
    c = cm.circuit
    assert circuit_from_bytes(c.to_bytes()) == c and uses_mul(c)
    x = circuit_inputs(c, batch * cm.compiled_circuit.rows, seed=batch)
    w = build_witness(cm.compiled_circuit, cm.model, x)  # checks against the executor
    assert _check_mul_relations(c, w, x) >= 1


def test_silu_mlp_structure(compiled):
    c = compiled("silu_mlp").circuit
    muls = [g for g in c.gadgets if g.op == "mul"]
    assert len(muls) == 2
    for g in muls:
        # x is the dense output (its clamp range), y the sigmoid table of it.
        assert c.gadgets[int(g.x)].op == "dense" and c.gadgets[int(g.producer.y)].op == "table"
        assert "silu" in g.source
    assert not any(g.op == "affine" for g in c.gadgets)


def test_product_with_the_input(compiled):
    c = compiled("mul_on_input").circuit
    g = next(g for g in c.gadgets if g.op == "mul")
    assert g.x == "input" and c.gadgets[int(g.producer.y)].op == "table"


def test_silu_after_a_convolution_keeps_the_padded_layout(compiled):
    c = compiled("silu_cnn").circuit
    muls = [i for i, g in enumerate(c.gadgets) if g.op == "mul"]
    assert len(muls) == 2
    for i in muls:
        g = c.gadgets[i]
        assert c.layout_of(i) is not None
        assert c.layout_of(g.x) == c.layout_of(g.producer.y) == c.layout_of(i)


def test_gating_multiplies_two_dense_branches(compiled):
    c = compiled("gated_product").circuit
    g = next(g for g in c.gadgets if g.op == "mul")
    assert c.gadgets[int(g.x)].op == c.gadgets[int(g.producer.y)].op == "dense"
    c = compiled("gated_sigmoid").circuit
    g = next(g for g in c.gadgets if g.op == "mul")
    assert {c.gadgets[int(g.x)].op, c.gadgets[int(g.producer.y)].op} == {"dense", "table"}


def test_small_precision_products(compiled):
    cm = compiled("silu_mlp", "small")
    x = circuit_inputs(cm.circuit, 2, seed=7)
    w = build_witness(cm.compiled_circuit, cm.model, x)
    assert _check_mul_relations(cm.circuit, w, x) == 2


def test_compile_is_deterministic(tmp_path):
    a = compile_circuit_only(tmp_path, MUL_CASES["silu_mlp"](), name="a")
    b = compile_circuit_only(tmp_path, MUL_CASES["silu_mlp"](), name="b")
    assert a.circuit.to_bytes() == b.circuit.to_bytes()
    assert np.array_equal(a.compiled_circuit.model_stack, b.compiled_circuit.model_stack)


# ---- the probe circuit and the parser ------------------------------------------------


def test_mul_probe_circuit_is_valid():
    c = mul_probe_circuit()
    assert circuit_from_bytes(c.to_bytes()) == c
    assert [g.op for g in c.gadgets] == ["identity", "mul", "mul", "dense"]
    x = np.array([[-8, 7, 3], [2, -5, -1], [6, 0, -7]], dtype=np.int64)
    stack = mul_probe_stack()
    tensors, columns = evaluate_circuit(c, stack, x)
    # g1 = clamp(round(x * x / 4)), g2 = clamp(round(g1^2 / 8)) (padding row included).
    g1 = np.clip((x * x + 2) >> 2, -8, 7)
    assert np.array_equal(tensors[1][:3, :3], g1)
    assert np.array_equal(tensors[2][:3, :3], np.clip((g1 * g1 + 4) >> 3, -8, 7))
    assert c.gadgets[1].excess_hi_bits and c.gadgets[2].excess_hi_bits
    assert len(columns) == len(c.columns())


@pytest.mark.parametrize("edit,match", [
    (lambda d: d["gadgets"][1]["producer"].pop("y"), "missing field `y`"),
    (lambda d: d["gadgets"][1]["producer"].update(z=0), "unknown field `z`, expected `x` or `y`"),
    (lambda d: d["gadgets"][1]["producer"].update(y=1), "mul operands do not match"),
    (lambda d: d["gadgets"][1]["producer"].update(y="nope"), "tensor reference must be"),
    (lambda d: d["gadgets"][1].update(features=4), "mul operands do not match"),
])
def test_parser_refuses_malformed_mul_gadgets(edit, match):
    doc = mul_probe_circuit().to_json()
    edit(doc)
    with pytest.raises(CircuitFormatError, match=match):
        circuit_from_bytes(canonical_json(doc))


def test_parser_refuses_operands_of_other_widths():
    doc = mul_probe_circuit().to_json()
    # y = the 2-feature dense output would be a forward reference; use a narrower identity.
    doc["gadgets"][0]["features"] = 2
    doc["input"]["features"] = 2
    with pytest.raises(CircuitFormatError, match="mul operands do not match"):
        circuit_from_bytes(canonical_json(doc))


def test_verifier_parses_compiled_products(compiled):
    from zkml.verifier.circuit import parse_circuit

    for name in ("silu_mlp", "silu_cnn", "gated_product"):
        parse_circuit(compiled(name).circuit.to_bytes())


def test_inspect_names_the_product(compiled):
    from zkml.cli.inspect_cmd import _lines_circuit

    lines = "\n".join(_lines_circuit(mul_probe_circuit()))
    assert "mul(input, g0)" in lines and "mul(g1, g1)" in lines
    lines = "\n".join(_lines_circuit(compiled("silu_mlp").circuit))
    assert lines.count("mul(") == 2


# ---- refusals ------------------------------------------------------------------------


def _refused(tmp_path, model, match: str, **opts) -> None:
    with pytest.raises(ModelError, match=match):
        compile_circuit_only(tmp_path, model, **opts)


def test_product_of_a_spatial_and_a_flat_tensor_is_refused(tmp_path):
    # The flattened conv output keeps its padded layout; the dense output is flat.
    nodes = [helper.make_node("Conv", ["x", "Wc", "bc"], ["c"], name="conv",
                              kernel_shape=[1, 1]),
             helper.make_node("Flatten", ["c"], ["cf"], name="flat_c", axis=1),
             helper.make_node("Flatten", ["x"], ["xf"], name="flat_x", axis=1),
             helper.make_node("Gemm", ["xf", "Wd", "bd"], ["d"], name="fc_d"),
             helper.make_node("Mul", ["cf", "d"], ["m"], name="mixed"),
             helper.make_node("Gemm", ["m", "W1", "b1"], ["y"], name="fc1")]
    rng = np.random.default_rng(2)
    inits = {"Wc": f32(rng.normal(size=(2, 1, 1, 1))), "bc": f32(np.zeros(2)),
             "Wd": f32(rng.normal(size=(4, 8))), "bd": f32(np.zeros(8)),
             "W1": f32(rng.normal(size=(8, 2))), "b1": f32(np.zeros(2))}
    _refused(tmp_path, make_model(nodes, {"x": [1, 1, 2, 2]}, ["y"], inits),
             r"node 'mixed' \(op mul\) cannot be proven yet: the operands are laid out "
             r"differently")


def test_wide_operands_are_refused(tmp_path, monkeypatch):
    """Operands whose ranges reach 2^31 (here: the limit lowered to 2^10 so that 16-bit
    activations exceed it) are refused, naming the range."""
    import zkml.compiler.nonlinear as nl

    monkeypatch.setattr(nl, "MAX_MUL_OPERAND_BITS", 10)
    _refused(tmp_path, MUL_CASES["silu_mlp"](),
             r"node 'silu0' \(op mul\) cannot be proven yet: an operand ranges over "
             r"\[-32768, 32767\].*below 2\^10")
