"""CNN circuits (circuits/conv.md): compile, strict parse, gadget layout, witness against
the integer executor and against the spec's relations over the whole padded tensors,
and the refusals of what the spatial gadgets cannot prove."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest
from harness import case_cache
from inference_models import CNN_CASES as CASES
from inference_models import Net, compile_cnn
from probe_circuits import probe_circuit

from zkml.compiler.build import compile_circuit
from zkml.compiler.circuit import Circuit, CircuitFormatError, padded_width
from zkml.compiler.circuit_load import circuit_from_bytes, circuit_from_json
from zkml.compiler.shapes import padded_index
from zkml.compiler.spatial import conv_weight_matrix
from zkml.errors import ModelError
from zkml.quant.rounding import round_div, round_shift
from zkml.witness import build_witness
from zkml.witness_spatial import layout_input, real_region

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    return case_cache(tmp_path_factory, CASES)


def _inputs(cm, batch: int, seed: int = 0) -> np.ndarray:
    c = cm.circuit
    half = 1 << (c.input_bits - 1)
    rng = np.random.default_rng(seed)
    # Mostly moderate values, a few extremes (saturation paths).
    x = rng.normal(0, half / 4, size=(batch, c.input_features))
    x[:, ::7] = rng.choice([-half, half - 1], size=x[:, ::7].shape)
    return np.clip(np.rint(x), -half, half - 1).astype(np.int64)


def _limb_values(cols: list[np.ndarray], widths: list[tuple[str, int]], lb: int = 8) -> dict:
    """Reassemble a gadget's committed values from its `lb`-bit limb columns."""
    out, i = {}, 0
    for name, width in widths:
        n = -(-width // lb)
        out[name] = sum(cols[i + j] << np.int64(lb * j) for j in range(n))
        i += n
    return out


def _gadget_columns(circuit: Circuit, columns: list[np.ndarray]) -> list[dict]:
    per, i = [], 0
    lb = circuit.limb_bits
    for g in circuit.gadgets:
        n = sum(-(-w // lb) for _, w in g.value_widths())
        per.append(_limb_values(columns[i : i + n], g.value_widths(), lb))
        i += n
    return per


def _check_spatial_relations(cm, x: np.ndarray) -> None:
    """conv.md's relations on the WHOLE padded tensors, from the committed columns."""
    c, stack = cm.circuit, cm.compiled_circuit.model_stack
    w = build_witness(cm.compiled_circuit, cm.model, x)
    vals = _gadget_columns(c, w.columns)
    bp = 1 << max(x.shape[0] - 1, 0).bit_length()
    x_in = (layout_input(x, c.input_shape, bp) if c.input_shape
            else np.pad(x, ((0, bp - x.shape[0]), (0, c.input_width - x.shape[1]))))

    def tensor(ref):
        return x_in if ref == "input" else w.tensors[int(ref)]

    for gi, g in enumerate(c.gadgets):
        z = w.tensors[gi].reshape(-1)
        assert np.array_equal(vals[gi]["u"], z - g.lo)
        if g.op not in ("conv", "sumpool", "maxpool"):
            continue
        xt = tensor(g.x)
        if g.op == "maxpool":
            k = g.producer.windows
            pin = [1 << max(v - 1, 0).bit_length() for v in g.producer.in_shape]
            pout = [1 << max(v - 1, 0).bit_length() for v in g.producer.out_shape]
            xs = xt.reshape(bp, *pin)
            d = np.stack([vals[gi][f"D{j}"] for j in range(k)])
            s = np.stack([vals[gi][f"S{j}"] for j in range(k)])
            assert set(np.unique(s)) <= {0, 1} and np.all(s.sum(axis=0) == 1)
            assert not np.any(s * d) and d.min() >= 0
            # D_w = z - X(window w) at every padded output position (window point rule)
            for j in range(k):
                offs = np.unravel_index(j, g.producer.window)
                idx = [slice(None), slice(None)] + [
                    slice(o, kk * t, kk) for o, kk, t in zip(offs, g.producer.window, pout[1:],
                                                            strict=True)]
                xw = xs[tuple(idx)].reshape(-1)
                assert np.array_equal(d[j], z - xw)
        elif g.op == "conv":
            # padded output positions and channels: acc = 2^d bias[o] (0 for o >= O)
            pout = [1 << max(v - 1, 0).bit_length() for v in g.producer.out_shape]
            acc_pad = np.zeros(pout[0], dtype=np.int64)
            if g.producer.bias is not None:
                t = c.model_stack.tensor(g.producer.bias)
                bias = stack[t.offset : t.offset + t.cols]
            acc_pad[: t.cols] = bias << np.int64(g.producer.bias_shift)
            q, _ = round_shift(acc_pad, g.shift)
            expect = np.clip(q, g.lo, g.hi)
            zz = z.reshape(bp, *pout)
            mask = np.ones(pout[1:], dtype=bool)
            mask[tuple(slice(0, t) for t in g.producer.out_shape[1:])] = False
            for o in range(pout[0]):
                if o >= g.producer.out_shape[0]:
                    assert np.all(zz[:, o] == expect[o])
                else:
                    assert np.all(zz[:, o][:, mask] == expect[o])


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("batch", [1, 4])
def test_cnn_compiles_and_witness_matches_executor(compiled, name, batch):
    cm = compiled(name)
    c = cm.circuit
    assert circuit_from_bytes(c.to_bytes()) == c  # the compiler's own strict parser
    assert c.input_shape is not None and c.layout_of(c.output_gadget) is None
    assert any(g.op == "conv" for g in c.gadgets) and c.output.op == "dense"
    x = _inputs(cm, batch, seed=batch)
    w = build_witness(cm.compiled_circuit, cm.model, x)  # checks every real region
    assert len(w.columns) == len(c.columns())
    for col, spec in zip(w.columns, c.columns(), strict=True):
        g = c.gadgets[spec.gadget]
        bp = 1 << max(batch - 1, 0).bit_length()
        assert col.shape == (bp * (1 << max(g.features - 1, 0).bit_length()),)
        assert col.dtype == np.int64
        assert col.min() >= 0 and int(col.max()) >> spec.width == 0
    _check_spatial_relations(cm, x)


def test_benchmark_cnns_compile_with_correct_witness(tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import models
    finally:
        sys.path.pop(0)
    from inference_models import compile_circuit_only

    for name in ("lenet_avg", "lenet_max", "cnn1m"):
        model, shape = models.BUILDERS[name]()
        cal = np.random.default_rng(0).random(size=(8, *shape[1:]))
        cm = compile_circuit_only(tmp_path, model, calibration=cal, name=name)
        ops = [g.op for g in cm.circuit.gadgets]
        assert ops.count("conv") == (3 if name == "cnn1m" else 2)
        assert ("maxpool" if name != "lenet_avg" else "sumpool") in ops
        x = _inputs(cm, 2)
        build_witness(cm.compiled_circuit, cm.model, x)
        if name != "cnn1m":
            build_witness(cm.compiled_circuit, cm.model, x[:1])  # warm up
            t = time.perf_counter()
            build_witness(cm.compiled_circuit, cm.model, x[:1], check=False)
            assert time.perf_counter() - t < 0.1  # a few ms in practice


def test_lenet_gadgets_and_fusion(compiled):
    for name, pool in (("lenet_avg", "sumpool"), ("lenet_max", "maxpool")):
        c = compiled(name).circuit
        assert [g.op for g in c.gadgets] == ["conv", pool, "conv", pool, "dense"]
        conv1, p1, conv2, p2, fc = c.gadgets
        assert c.input_shape == (1, 16, 16) and c.input_features == 256
        assert conv1.producer.in_shape == (1, 16, 16) and conv1.producer.out_shape == (4, 16, 16)
        k1 = conv1.producer
        assert k1.kernel == (3, 3) and k1.pads == (1, 1) and k1.strides == (1, 1)
        assert conv1.features == 4 * 16 * 16 and conv1.lo == 0  # Relu fused
        assert p1.producer.out_shape == (4, 8, 8) and p1.producer.window == (2, 2)
        assert p1.features == 256
        assert conv2.producer.out_shape == (8, 6, 6) and conv2.features == 8 * 8 * 8
        assert p2.producer.out_shape == (8, 3, 3) and p2.features == 8 * 4 * 4
        assert fc.x == 3 and c.model_stack.tensor(str(fc.producer.weight)).cols == 128
        if pool == "sumpool":
            assert p1.shift == 2 and p1.producer.lshift >= 0
        else:
            assert (p1.shift, p1.excess_hi_bits, p1.excess_lo_bits) == (0, 0, 0)
            assert (p1.lo, p1.hi) == (conv1.lo, conv1.hi)
            assert p1.producer.diff_bits == (conv1.hi - conv1.lo).bit_length()
            assert len([v for v, _ in p1.value_widths() if v.startswith("S")]) == 4


def _stack_matrix(cm, name):
    t = cm.circuit.model_stack.tensor(name)
    width = 1 << max(t.cols - 1, 0).bit_length()
    block = cm.compiled_circuit.model_stack[t.offset : t.offset + t.size].reshape(-1, width)
    return block[: t.rows, : t.cols]


@pytest.mark.parametrize("name", ["grouped", "depthwise", "strided_padded", "conv1d"])
def test_conv_weight_layout(compiled, name):
    """Column `j + pad(K_2)(i + pad(K_1) c)`, block-diagonal groups, zero padding."""
    cm = compiled(name)
    convs = [op for op in cm.model.ops if op.op == "conv"]
    gadgets = [g for g in cm.circuit.gadgets if g.op == "conv"]
    for op, g in zip(convs, gadgets, strict=True):
        w = cm.model.constants[op.inputs[1]]
        mat = _stack_matrix(cm, str(g.producer.weight))
        c = g.producer.in_shape[0]
        pk = [1 << max(k - 1, 0).bit_length() for k in g.producer.kernel]
        pc = 1 << max(c - 1, 0).bit_length()
        assert mat.shape == (g.producer.out_shape[0], pc * int(np.prod(pk)))
        full = mat.reshape(g.producer.out_shape[0], pc, *pk)
        group = op.attrs["group"]
        og, cg = w.shape[0] // group, w.shape[1]
        for o in range(w.shape[0]):
            for ci in range(pc):
                taps = full[(o, ci, *(slice(0, k) for k in g.producer.kernel))]
                if ci < c and ci // cg == o // og:
                    assert np.array_equal(taps, w[o, ci % cg])
                else:
                    assert not taps.any()
        kernel = g.producer.kernel
        assert not full[(slice(None), slice(None), *(slice(k, None) for k in kernel[:1]))].any()
        assert np.array_equal(conv_weight_matrix(w, c, group), mat)


def test_dense_after_flatten_scatters_columns(compiled):
    cm = compiled("strided_padded")
    c = cm.circuit
    fc = c.output
    shape = c.gadgets[int(fc.x)].producer.out_shape
    mat = _stack_matrix(cm, str(fc.producer.weight))
    op = next(op for op in cm.model.ops if op.op == "matmul")
    w = cm.model.constants[op.inputs[1]].T  # (n_out, C*H*W) in ONNX order
    assert mat.shape == (w.shape[0], padded_width(shape))
    idx = padded_index(shape)
    assert np.array_equal(mat[:, idx], w)
    rest = np.ones(mat.shape[1], dtype=bool)
    rest[idx] = False
    assert not mat[:, rest].any()
    # padded_index is the padded layout's index of ONNX order (c, h, w)
    cc, hh, ww = shape
    ph, pw = (1 << max(v - 1, 0).bit_length() for v in (hh, ww))
    assert idx[(1 * hh + 2) * ww + 3] == 3 + pw * (2 + ph * 1)


def test_input_layout_and_real_region_round_trip():
    rng = np.random.default_rng(0)
    for shape in ((3, 5, 6), (2, 7), (1, 4, 4)):
        x = rng.integers(-50, 50, size=(3, int(np.prod(shape))))
        padded = layout_input(x, shape, 4)
        assert padded.shape == (4, padded_width(shape))
        assert np.array_equal(real_region(padded[:3], shape), x)
        assert not padded[3].any() and np.abs(padded).sum() == np.abs(x).sum()


@pytest.mark.parametrize("k", [0, 1, 2, 4, 6])
def test_round_div_by_power_of_two_is_round_shift(k):
    """The executor's average pooling divides by d = 2^k with round_div; the sumpool gadget
    requantizes by k bits (round half up): the same integers, negative values included."""
    rng = np.random.default_rng(k)
    acc = np.concatenate([rng.integers(-(1 << 40), 1 << 40, size=5000),
                          np.arange(-300, 300), (np.arange(-40, 40) << k) + (1 << k >> 1)])
    q1, r1 = round_div(acc, 1 << k)
    q2, r2 = round_shift(acc, k)
    assert np.array_equal(q1, q2) and np.array_equal(r1, r2)


def test_batched_model_input_runs_in_chunks(compiled):
    cm = compiled("lenet_avg_rows2")
    x = _inputs(cm, 5, seed=3)
    w = build_witness(cm.compiled_circuit, cm.model, x)
    one = compiled("lenet_avg")
    # Same weights and quantization inputs differ, so only the shapes are compared.
    assert w.outputs.shape == (5, 5) and one.circuit.input_shape == cm.circuit.input_shape


# ---- refusals --------------------------------------------------------------------


def _refused(tmp_path, net: Net, match: str) -> None:
    with pytest.raises(ModelError, match=match):
        compile_cnn(tmp_path, net.model())


def _base(shape=(1, 2, 8, 8)) -> Net:
    return Net(list(shape), seed=1).conv(3, 3, pads=[1] * (2 * (len(shape) - 2))).relu()


def test_relu_after_pooling(compiled):
    """Relu after a maxpool becomes an identity gadget (the maxpool's clamp must not cut);
    after a sumpool it fuses into the sumpool's clamp."""
    c = compiled("pool_then_relu").circuit
    assert [g.op for g in c.gadgets] == ["conv", "maxpool", "identity", "sumpool", "dense"]
    assert c.gadgets[2].lo == 0 and c.gadgets[3].lo == 0 and c.gadgets[1].lo < 0
    assert c.layout_of(2) == (4, 4, 4)


def test_ceil_mode_without_partial_window_is_accepted(tmp_path):
    cm = compile_cnn(tmp_path, _base().pool("max", 2, ceil_mode=1).flatten().gemm(2).model())
    assert [g.op for g in cm.circuit.gadgets] == ["conv", "maxpool", "dense"]


def test_reshape_into_channels_is_a_rearrange(tmp_path):
    from inference_models import make_model
    from onnx import helper

    # A computed flat tensor reshaped into channels moves into the padded layout (a
    # rearrange gadget, circuits/rearrange.md); the flat *input* reshaped so takes the
    # shape (test_cnn_end_to_end.py::test_flat_input_reshaped_into_channels).
    rng = np.random.default_rng(0)
    nodes = [helper.make_node("Gemm", ["x", "U"], ["h"], name="fc0"),
             helper.make_node("Reshape", ["h", "s"], ["r"], name="rs"),
             helper.make_node("Conv", ["r", "W"], ["c"], name="cv"),
             helper.make_node("Flatten", ["c"], ["f"], name="fl"),
             helper.make_node("Gemm", ["f", "V"], ["y"], name="fc")]
    inits = {"s": np.array([1, 1, 4, 4], dtype=np.int64),
             "U": rng.normal(size=(16, 16)).astype(np.float32),
             "W": rng.normal(size=(2, 1, 3, 3)).astype(np.float32),
             "V": rng.normal(size=(8, 2)).astype(np.float32)}
    model = make_model(nodes, {"x": [1, 16]}, ["y"], inits)
    c = compile_cnn(tmp_path, model).circuit
    assert [g.op for g in c.gadgets] == ["dense", "rearrange", "conv", "dense"]
    assert c.gadgets[1].producer.shapes == ((16,),) and c.gadgets[1].producer.out_shape == (1, 4, 4)


# ---- the circuit format ----------------------------------------------------------


def test_spatial_circuit_parser_is_strict(compiled):
    c = compiled("lenet_max").circuit
    good = c.to_json()
    assert circuit_from_json(good) == c

    def bad(edit, match: str) -> None:
        doc = c.to_json()
        edit(doc)
        with pytest.raises(CircuitFormatError, match=match):
            circuit_from_json(doc)

    def setp(g, key, value):
        def edit(doc):
            doc["gadgets"][g]["producer"][key] = value
        return edit

    bad(lambda d: d["input"].pop("shape"), "missing field `shape`")
    bad(lambda d: d["input"].update(shape=[1, 16, 15]), "input shape does not match")
    bad(setp(0, "kernel", [5, 3]), "conv weight shape does not match")
    bad(setp(0, "strides", [0, 1]), "axis parameters out of limits")
    bad(setp(0, "pads", [1]), "axis parameters out of limits")
    bad(setp(0, "in_shape", [2, 16, 16]), "widths do not match the padded shapes")
    bad(setp(1, "window", [3, 2]), "pooling windows do not fit")
    bad(setp(1, "out_shape", [4, 9, 8]), "widths do not match")
    bad(setp(1, "diff_bits", 0), "1..64 diff bits")
    bad(setp(1, "lshift", 0), "unknown field `lshift`")
    bad(lambda d: d["gadgets"][1].update(shift=1), "maxpool needs shift 0")
    bad(lambda d: d["gadgets"][1].update(excess_lo_bits=1), "no excess")
    bad(lambda d: d["output"].update(gadget=3, features=c.gadgets[3].features),
        "output gadget may not be a conv or pooling")


def test_probe_circuit_is_valid():
    c = probe_circuit()
    assert circuit_from_bytes(c.to_bytes()) == c
    assert [g.op for g in c.gadgets] == ["conv", "maxpool", "sumpool", "dense"]


@pytest.mark.parametrize("name", ["lenet_avg", "lenet_max", "conv1d", "residual", "gmp4x4"])
def test_verifier_parses_compiled_cnn_circuits(compiled, name):
    from zkml.verifier.circuit import parse_circuit

    c = compiled(name).circuit
    parsed = parse_circuit(c.to_bytes())
    assert len(parsed.gadgets) == len(c.gadgets)


def test_compile_is_deterministic(compiled):
    cm = compiled("residual")
    again = compile_circuit(cm.model)
    assert again.circuit.to_bytes() == cm.circuit.to_bytes()
    assert np.array_equal(again.model_stack, cm.compiled_circuit.model_stack)


# ---- cross-check with the verifier's reference witness ---------------------------

REFERENCE = ROOT / "tests" / "verifier" / "reference_inference.py"


@pytest.mark.skipif(not REFERENCE.is_file(), reason="no reference prover in tests/verifier")
@pytest.mark.parametrize("name", ["lenet_avg", "lenet_max", "strided_padded", "dilated",
                                  "grouped", "depthwise", "conv1d", "residual", "gap4x4",
                                  "gmp4x4", "relu_on_input", "avgpool_4x2",
                                  "pool_then_relu"])
def test_columns_equal_the_reference_witness(compiled, name):
    """tests/verifier/reference_inference.py builds the witness from circuits/conv.md with
    plain Python loops, independently of zkml/witness*.py: every committed column must be
    the same, padded positions, padded channels and padded batch rows included."""
    sys.path.insert(0, str(REFERENCE.parent))
    try:
        from reference_inference import Witness
    finally:
        sys.path.pop(0)
    cm = compiled(name)
    c = cm.circuit
    tensors = {t.name: _stack_matrix(cm, t.name).tolist() for t in c.model_stack.tensors}
    x = _inputs(cm, 3, seed=5)
    ref = Witness(c.to_json(), tensors, x.tolist())
    mine = build_witness(cm.compiled_circuit, cm.model, x).columns
    theirs = [np.array(col, dtype=np.int64) for _, _, _, col, _ in ref.column_list()]
    assert len(mine) == len(theirs)
    for i, (a, b) in enumerate(zip(mine, theirs, strict=True)):
        assert np.array_equal(a, b), f"column {i} ({c.columns()[i].name}) differs"


VECTORS = ROOT / "circuits" / "vectors" / "inference.json"


@pytest.mark.skipif(not VECTORS.is_file(), reason="no inference vectors")
def test_parser_accepts_the_vector_circuits():
    """The Rust prover's vector circuits (flat and CNN) parse and round-trip exactly."""
    import json

    models = json.loads(VECTORS.read_text())["models"]
    if any('"limb_bits"' not in m["circuit"] for m in models):
        pytest.skip("the vector circuits predate circuits/nonlinear.md section 5 (no "
                    "`limb_bits` key)")
    kinds = set()
    for m in models:
        data = m["circuit"].encode()
        c = circuit_from_bytes(data)
        assert c.to_bytes() == data
        kinds |= {g.op for g in c.gadgets}
    assert {"conv", "sumpool", "maxpool"} <= kinds
