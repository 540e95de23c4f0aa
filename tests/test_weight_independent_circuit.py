"""The circuit (and so the verifying key, commitment aside) depends on the model's public
format only: its architecture, scales, bit widths and precision, never on the values of
its weights, biases or added constants (issue P8; circuits/quantization.md section
"What the circuit may depend on"). Under hiding the circuit is public while the weights
are not, so any circuit field computed from their values would leak them.

Each test quantizes one model, then swaps every committed constant for other integers of
the same tensor format (same shape, scale and bit width: the public part of the
quantized model) and compiles both: the circuit bytes must be equal, and the swapped
model's witness must still check (the public bounds hold for any values in the format).
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pytest
from onnx import helper

from tests.learned_models import LEARNED
from tests.quant.quant_models import f32, make_model, save
from zkml.artifacts import parse_verifying_key
from zkml.compile_api import compile_model
from zkml.compiler.build import CompiledCircuit, compile_circuit
from zkml.compiler.state import State
from zkml.onnx_import import import_onnx
from zkml.prover import build_hiding_verifying_key, draw_model_blinders
from zkml.quant.executor import accumulator_bound, quantize_inputs
from zkml.quant.ir import QModel
from zkml.quant.ops.linear import BIAS_STORED_BITS
from zkml.witness import build_witness

SEED = 20


def _conv_dense_model():
    """Conv (bias) -> Relu -> Flatten -> Gemm (bias) -> per-feature Mul -> Add constant."""
    rng = np.random.default_rng(SEED)
    inits = {
        "wc": f32(rng.normal(0, 0.4, (4, 1, 3, 3))), "bc": f32(rng.normal(0, 1.5, 4)),
        "wd": f32(rng.normal(0, 0.1, (4 * 6 * 6, 5))), "bd": f32(rng.normal(0, 2.0, 5)),
        "scale": f32(rng.uniform(0.5, 1.5, (1, 5))), "shift": f32(rng.normal(0, 0.3, 5)),
    }
    nodes = [
        helper.make_node("Conv", ["x", "wc", "bc"], ["c"], pads=[1, 1, 1, 1], name="conv"),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("Flatten", ["r"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "wd", "bd"], ["d"], name="dense"),
        helper.make_node("Mul", ["d", "scale"], ["m"], name="mul"),
        helper.make_node("Add", ["m", "shift"], ["y"], name="add"),
    ]
    return make_model(nodes, {"x": [1, 1, 6, 6]}, ["y"], inits)


def _quantized(tmp_path, model, precision: str) -> QModel:
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    samples = np.random.default_rng(SEED + 1).normal(size=(16, *dims[1:]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compile_model(save(model, tmp_path), calibration=samples,
                             precision=precision).model


def _biases(model: QModel) -> set[str]:
    """The constants read as the bias of a matmul or conv (stored to 16 bits)."""
    return {op.inputs[2] for op in model.ops if op.op in ("matmul", "conv")
            and len(op.inputs) > 2}


def _other_values(model: QModel, rng: np.random.Generator, which: str) -> QModel:
    """The same model with the `which` constants ("weights", "biases" or "all") replaced
    by small random integers of the same format: far from the original values' sums and
    peaks, so every value-derived field (excess bits, bias shift, stack range) would move.
    A wide bias keeps its stored grid (multiples of 2^(bits - 16), the quantizer's)."""
    biases = _biases(model)
    consts = dict(model.constants)
    for name, arr in model.constants.items():
        t = model.tensor(name)
        if t.role != "weight" or (which == "weights" and name in biases) or \
                (which == "biases" and name not in biases):
            continue
        grid = max(0, t.bits - BIAS_STORED_BITS) if name in biases else 0
        top = 1 << max(0, t.bits - 5 - grid)
        consts[name] = rng.integers(-top, top + 1, size=arr.shape, dtype=np.int64) << grid
    return replace(model, constants=consts, cache={})


@pytest.mark.parametrize("precision", ["small", "balanced"])
@pytest.mark.parametrize("which", ["weights", "biases", "all"])
def test_circuit_is_independent_of_constant_values(tmp_path, precision, which):
    model = _quantized(tmp_path, _conv_dense_model(), precision)
    ops = {op.op for op in model.ops}
    assert {"conv", "matmul", "mul", "add"} <= ops and len(_biases(model)) == 2
    other = _other_values(model, np.random.default_rng(SEED + 2), which)
    assert any(not np.array_equal(model.constants[n], other.constants[n])
               for n in model.constants)
    first, second = compile_circuit(model), compile_circuit(other)
    assert first.circuit.to_bytes() == second.circuit.to_bytes()
    assert not np.array_equal(first.model_stack, second.model_stack)
    # The public bounds hold for the swapped values too: its witness checks.
    x = np.random.default_rng(SEED + 3).normal(size=(1, 1, 6, 6))
    q = quantize_inputs(other, x)[other.inputs[0]].reshape(1, -1)
    build_witness(second, other, q)


def test_extreme_values_fit_the_public_bounds(tmp_path):
    """Every weight at its format's extreme (and the input at its own): the accumulator
    reaches the public bound's order, and the witness (excess columns) still checks."""
    model = _quantized(tmp_path, _conv_dense_model(), "balanced")
    consts = dict(model.constants)
    for name in _biases(model) | {op.inputs[1] for op in model.ops
                                  if op.op in ("matmul", "conv")}:
        t = model.tensor(name)
        grid = max(0, t.bits - BIAS_STORED_BITS) if name in _biases(model) else 0
        consts[name] = np.full(consts[name].shape, -(1 << (t.bits - 1)), dtype=np.int64)
        consts[name] = (consts[name] >> grid) << grid
    extreme = replace(model, constants=consts, cache={})
    cc = compile_circuit(extreme)
    assert cc.circuit.to_bytes() == compile_circuit(model).circuit.to_bytes()
    t_in = model.tensor(model.inputs[0])
    q = np.full((1, 36), t_in.hi, dtype=np.int64)
    build_witness(cc, extreme, q)


def test_linear_bound_is_the_format_bound(tmp_path):
    """A grouped conv's public bound: `C_in / group * prod kernel` products, each at the
    input's and the weight's extreme, plus the bias's extreme; the values do not enter."""
    rng = np.random.default_rng(SEED + 4)
    inits = {"w": f32(rng.normal(0, 0.3, (4, 1, 3, 2))), "b": f32(rng.normal(0, 1, 4))}
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], group=2, name="conv")
    model = _quantized(tmp_path, make_model([node], {"x": [1, 2, 5, 5]}, ["y"], inits),
                       "balanced")
    (op,) = [op for op in model.ops if op.op == "conv"]
    x, w, b = (model.tensor(n) for n in op.inputs)
    fan_in = 1 * 3 * 2  # C_in / group * kernel
    fmt = fan_in * (1 << (x.bits - 1)) * (1 << (w.bits - 1)) + (1 << (b.bits - 1))
    assert accumulator_bound(model, op) == fmt
    zero = replace(model, constants={**model.constants,
                                     w.name: np.zeros_like(model.constants[w.name])},
                   cache={})
    assert accumulator_bound(zero, op) == fmt


def _hiding_key(cc: CompiledCircuit) -> tuple[bytes, int]:
    """The kind-6 key of `cc` (fixed seed) and where its model commitment starts."""
    cj = cc.circuit.to_bytes()
    seed = bytes(32)
    key = build_hiding_verifying_key(cj, cc.model_stack, draw_model_blinders(cj, seed=seed),
                                     seed=seed)
    return key, key.index(parse_verifying_key(key).commitment)


def _check_swapped_witness(model: QModel, cc: CompiledCircuit) -> None:
    """The swapped model's witness checks: the public bounds hold for its values."""
    t_in = model.tensor(model.inputs[0])
    x = np.random.default_rng(SEED + 3).normal(size=t_in.shape)
    q = quantize_inputs(model, x)[model.inputs[0]].reshape(t_in.shape[0], -1)
    build_witness(cc, model, q)


@pytest.mark.parametrize("name", list(LEARNED))
def test_learned_initializers_reach_neither_circuit_nor_key(tmp_path, name):
    """Per op with a learned initializer (tests/learned_models.py): other values of the
    same formats give the same circuit bytes and the same key bytes up to the model
    commitment (after it: the commitment, the multiplicities' commitment and the
    well-formedness proof, all of them blinded), and a different model stack."""
    model = _quantized(tmp_path, LEARNED[name](), "balanced")
    other = _other_values(model, np.random.default_rng(SEED + 5), "all")
    first, second = compile_circuit(model), compile_circuit(other)
    assert first.circuit.to_bytes() == second.circuit.to_bytes()
    assert not np.array_equal(first.model_stack, second.model_stack)
    (k1, at1), (k2, at2) = _hiding_key(first), _hiding_key(second)
    assert at1 == at2 and len(k1) == len(k2) and k1[:at1] == k2[:at2]
    assert k1[at1:] != k2[at2:]
    _check_swapped_witness(other, second)


def test_no_affine_coefficient_comes_from_a_constant(tmp_path):
    """The only `affine` gadgets left are LeakyRelu's and a negated operand's, whose
    coefficients come from attributes and signs: none equals a quantized constant."""
    for name, build in LEARNED.items():
        (tmp_path / name).mkdir()
        cc = compile_circuit(_quantized(tmp_path / name, build(), "balanced"))
        coeffs = {c for g in cc.circuit.gadgets if g.op == "affine"
                  for _, c in g.producer.terms}
        assert coeffs <= {-1, 1}, (name, coeffs)


def test_stack_sharing_follows_the_form_not_the_values(tmp_path):
    """A private constant registered twice shares one model-stack slot exactly when the
    two registrations take the same form (gadget and layout): two forms that happen to
    give equal matrices stay apart (whether they are equal depends on the values); a
    public array (a table) is shared whenever equal."""
    model = _quantized(tmp_path, LEARNED["scalar_mul_flat"](), "balanced")
    (k,) = [op.inputs[1] for op in model.ops if op.op == "mul"]
    bits = model.tensor(k).bits
    s = State(model=model, rows=1, n_in=4)
    one = np.full((1, 1), int(model.constants[k].reshape(-1)[0]), dtype=np.int64)
    first = s.stack_tensor(k, one, bits, ("depthwise", 2))
    assert s.stack_tensor(k, one.copy(), bits, ("depthwise", 2)) == first
    diagonal = s.stack_tensor(k, one.copy(), bits, ("diagonal",))
    formless = s.stack_tensor(k, one.copy(), bits)  # no form: never shared
    assert len({first, diagonal, formless}) == 3 == len(s.stack)
    with pytest.raises(RuntimeError, match="compiler bug"):
        s.stack_tensor(k, one + 1, bits, ("depthwise", 2))
    table = np.arange(4, dtype=np.int64).reshape(1, 4)
    model.constants["table:t"] = table
    model.tensors["table:t"] = replace(model.tensor(k), name="table:t", role="table")
    assert s.stack_tensor("table:t", table, 3) == s.stack_tensor("table:t", table.copy(), 3)


def _graph_names(tmp_path, model) -> list[tuple[str, list[str]]]:
    """The imported graph's ops with their input names (the names the circuit shows)."""
    path = save(model, tmp_path, f"m{len(list(tmp_path.iterdir()))}.onnx")
    graph = import_onnx(path).graph
    return [(n.op, list(n.inputs)) for n in graph.nodes]


@pytest.mark.parametrize("case", ["divisor_one", "symmetric_weight"])
def test_constant_names_do_not_follow_the_values(tmp_path, case):
    """A derived constant is named freshly whatever its values: `1 / d` with `d = 1`, or
    a transposed weight that is symmetric, equals its input, and was named after it
    (a public circuit name that told so)."""
    rng = np.random.default_rng(SEED + 6)
    if case == "divisor_one":
        def build(d):
            return make_model([helper.make_node("Gemm", ["x", "w"], ["h"]),
                               helper.make_node("Div", ["h", "d"], ["y"])],
                              {"x": [1, 3]}, ["y"], {"w": f32(rng.normal(size=(3, 3))),
                                                     "d": f32(d)})
        special, other = build(1.0), build(2.5)
    else:
        def build(w):
            return make_model([helper.make_node("Gemm", ["x", "w"], ["y"], transB=1)],
                              {"x": [1, 3]}, ["y"], {"w": f32(w)})
        a = rng.normal(size=(3, 3))
        special, other = build(a + a.T), build(a)
    assert _graph_names(tmp_path, special) == _graph_names(tmp_path, other)
