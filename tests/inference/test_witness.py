"""Witness builder: padded tensors per spec, relations R1-R3 everywhere, limbs, executor match."""

from __future__ import annotations

import numpy as np
import pytest
from inference_models import compile_circuit_only, compile_mlp, leaky_mlp

from zkml.compiler.circuit import ceil_log2, limb_widths
from zkml.compiler.producers import Affine
from zkml.errors import InputError, ProverError
from zkml.quant.rounding import quantize_float
from zkml.witness import build_witness


def _inputs(cm, batch: int, seed: int = 0, scale: float = 1.0) -> np.ndarray:
    c = cm.circuit
    x = np.random.default_rng(seed).normal(scale=scale, size=(batch, c.input_features))
    return quantize_float(x, c.input_frac_bits, c.input_bits)


def _executor_rows(cm, x: np.ndarray) -> np.ndarray:
    rows = cm.input_shape[0]
    outs = []
    for i in range(0, len(x), rows):
        chunk = np.zeros((rows, x.shape[1]), dtype=np.int64)
        chunk[: len(x[i : i + rows])] = x[i : i + rows]
        out = cm.execute(chunk.reshape(cm.input_shape)).outputs(cm.model)["y"]
        outs.append(out.reshape(rows, -1)[: len(x[i : i + rows])])
    return np.concatenate(outs)


def _recombine(cols: list[np.ndarray], width: int) -> np.ndarray:
    total = np.zeros_like(cols[0])
    for j, (c, w) in enumerate(zip(cols, limb_widths(width), strict=True)):
        assert c.min() >= 0 and c.max() < 1 << w, "limb outside its exact width"
        total += c << np.int64(8 * j)
    return total


def _check_relations(cm, w) -> None:
    """Every relation of inference.md section 2 on the whole padded tensors."""
    c = cm.circuit
    stack = cm.compiled_circuit.model_stack
    bp = 1 << ceil_log2(w.batch)
    x_in = np.zeros((bp, 1 << ceil_log2(c.input_features)), dtype=np.int64)
    x_in[: w.batch, : c.input_features] = w.inputs
    cols = iter(w.columns)
    for i, g in enumerate(c.gadgets):
        n = (1 << ceil_log2(g.features)) * bp
        vals = {}
        for name, width in g.value_widths():
            parts = [next(cols) for _ in limb_widths(width)]
            assert all(p.shape == (n,) and p.dtype == np.int64 for p in parts)
            vals[name] = _recombine(parts, width)
        z = g.lo + vals["u"]
        assert np.array_equal(z.reshape(bp, -1), w.tensors[i])
        if g.has_v:
            assert np.array_equal(z + vals["v"], np.full(n, g.hi))
        ep, em = vals.get("ep", 0 * z), vals.get("em", 0 * z)
        rem = vals.get("rem", 0 * z)
        assert np.all((z - g.hi) * ep == 0) and np.all((z - g.lo) * em == 0)  # R3

        def tensor(ref):
            return x_in if ref == "input" else w.tensors[int(ref)]

        if g.op == "dense":
            t = c.model_stack.tensor(g.producer.weight)
            wm = stack[t.offset : t.offset + t.size].reshape(-1, 1 << ceil_log2(t.cols))
            acc = tensor(g.x) @ wm.T
            if g.producer.bias is not None:
                b = c.model_stack.tensor(g.producer.bias)
                acc = acc + (stack[b.offset : b.offset + b.size] << g.producer.bias_shift)
        elif g.op == "add":
            (sa, sb), (la, lb) = g.producer.signs, g.producer.lshifts
            acc = sa * (tensor(g.x) << la) + sb * (tensor(g.producer.y) << lb)
        elif g.op == "affine":
            acc = sum(coeff * tensor(ref) for ref, coeff in g.producer.terms)
        else:
            acc = tensor(g.x)
        q = z + ep - em
        rebuilt = (q << g.shift) + rem - (1 << g.shift >> 1) if g.shift else q
        assert np.array_equal(rebuilt, acc.reshape(-1)), f"R1 fails at gadget {i}"  # R1
    assert next(cols, None) is None


@pytest.mark.parametrize("batch", [1, 3, 8])
@pytest.mark.parametrize("kind", ["plain", "residual", "clip"])
def test_witness_matches_executor_and_spec(tmp_path, batch, kind):
    opts = {"plain": {}, "residual": {"residual": True}, "clip": {"clip": 1.0}}[kind]
    cm, _ = compile_mlp(tmp_path, [10, 8, 8, 8, 5], **opts)
    x = _inputs(cm, batch, seed=batch, scale=3.0)  # large inputs: some values saturate
    w = build_witness(cm.compiled_circuit, cm.model, x)
    assert w.batch == batch and w.outputs.shape == (batch, 5)
    assert np.array_equal(w.outputs, _executor_rows(cm, x))
    assert len(w.columns) == len(cm.circuit.columns())
    _check_relations(cm, w)


def test_saturation_is_exercised(tmp_path):
    cm, _ = compile_mlp(tmp_path, [10, 8, 8, 5], clip=0.5)
    w = build_witness(cm.compiled_circuit, cm.model, _inputs(cm, 8, scale=4.0))
    g = cm.circuit.gadgets[0]
    z = w.tensors[0]
    assert (z == g.hi).any() and (z == g.lo).any()


def test_padded_batch_rows_come_from_zero_inputs(tmp_path):
    cm, _ = compile_mlp(tmp_path, [6, 4, 3])
    w = build_witness(cm.compiled_circuit, cm.model, _inputs(cm, 3))
    zero = build_witness(cm.compiled_circuit, cm.model, np.zeros((1, 6), dtype=np.int64))
    for t, t0 in zip(w.tensors, zero.tensors, strict=True):
        assert t.shape[0] == 4
        assert np.array_equal(t[3], t0[0])


def test_model_with_several_rows_per_run(tmp_path):
    cal = np.random.default_rng(2).normal(size=(16, 6))
    cm, _ = compile_mlp(tmp_path, [6, 4, 2], in_shape=[2, 6], calibration=cal)
    x = _inputs(cm, 5)
    w = build_witness(cm.compiled_circuit, cm.model, x)
    assert np.array_equal(w.outputs, _executor_rows(cm, x))


def test_bad_inputs(tmp_path):
    cm, _ = compile_mlp(tmp_path, [6, 4, 3])
    cc = cm.compiled_circuit
    with pytest.raises(InputError, match=r"shape \(B, 6\), got \(2, 5\)"):
        build_witness(cc, cm.model, np.zeros((2, 5), dtype=np.int64))
    with pytest.raises(InputError, match="integers"):
        build_witness(cc, cm.model, np.zeros((2, 6)))
    with pytest.raises(InputError, match="range"):
        build_witness(cc, cm.model, np.full((1, 6), 1 << 40, dtype=np.int64))


def test_a_wrong_circuit_is_caught_by_the_executor_check(tmp_path):
    cm, _ = compile_mlp(tmp_path, [6, 4, 3])
    cc = cm.compiled_circuit
    cc.model_stack = cc.model_stack.copy()
    t = cc.circuit.model_stack.tensors[0]
    cc.model_stack[t.offset : t.offset + 4] += 1500  # the circuit no longer matches the model
    with pytest.raises(ProverError, match="differs from the integer executor"):
        build_witness(cc, cm.model, _inputs(cm, 2, scale=2.0))


def test_argmax_output_witness(tmp_path):
    from inference_models import compile_circuit_only, mlp, with_argmax

    cm = compile_circuit_only(tmp_path, with_argmax(mlp([10, 8, 6], seed=2)), name="am")
    c = cm.circuit
    assert c.argmax
    x = _inputs(cm, 5, scale=2.0)
    x[4] = 0  # ties are likely for a zero row: the first maximum must win
    w = build_witness(cm.compiled_circuit, cm.model, x)
    assert w.outputs.shape == (5, 1)
    assert np.array_equal(w.outputs, _executor_rows(cm, x).reshape(5, 1))
    z = w.tensors[c.output_gadget][:5, : c.output_features]
    assert np.array_equal(w.outputs[:, 0], z.argmax(axis=1))
    n_d = len(limb_widths(c.d_bits))
    d = _recombine(w.columns[-n_d:], c.d_bits).reshape(-1, 1 << ceil_log2(c.output_features))
    k = w.outputs[:, 0]
    lt = np.arange(c.output_features)[None, :] < k[:, None]
    assert np.array_equal(d[:5, : c.output_features], z[np.arange(5), k][:, None] - z - lt)
    assert not d[5:].any() and not d[:, c.output_features :].any()


@pytest.mark.parametrize("batch", [1, 3, 8])
@pytest.mark.parametrize("alpha", [0.01, 0.2, 1.5, -0.25])
@pytest.mark.parametrize("kind", ["plain", "on_input", "relu", "clip"])
def test_leaky_relu_witness_matches_executor_and_spec(tmp_path, batch, alpha, kind):
    opts = {"plain": {}, "on_input": {"on_input": True}, "relu": {"after": "relu"},
            "clip": {"after": "clip"}}[kind]
    cm = compile_circuit_only(tmp_path, leaky_mlp([10, 8, 8, 5], alpha, seed=batch, **opts))
    x = _inputs(cm, batch, seed=batch, scale=3.0)
    w = build_witness(cm.compiled_circuit, cm.model, x)
    assert w.outputs.shape == (batch, 5)
    assert np.array_equal(w.outputs, _executor_rows(cm, x))
    assert len(w.columns) == len(cm.circuit.columns())
    _check_relations(cm, w)
    # Every LeakyRelu output equals the executor's tensor, both signs occur, and y+ - y-
    # rebuilds its input.
    trace = cm.execute(x[:1].reshape(cm.input_shape)) if batch == 1 else None
    c = cm.circuit
    for i, g in enumerate(c.gadgets):
        if g.op == "affine" and len(g.producer.terms) == 2:
            pos, neg = w.tensors[i - 2], w.tensors[i - 1]
            (ref, _), = c.gadgets[i - 2].producer.terms
            src = w.tensors[ref] if ref != "input" else None
            if src is not None:
                assert np.array_equal(pos - neg, src)
            assert (pos[:batch] > 0).any() and (neg[:batch] > 0).any()
            if trace is not None:
                name = cm.compiled_circuit.gadget_tensors[i]
                n = trace.tensors[name].size
                assert np.array_equal(w.tensors[i][0, :n], trace.tensors[name].reshape(-1))


def test_leaky_relu_small_precision(tmp_path):
    cm = compile_circuit_only(tmp_path, leaky_mlp([10, 8, 5], 0.1), precision="small")
    z = cm.circuit.gadgets[3]
    assert z.shift == 8 and z.producer.terms[0][1] == 256 and z.producer.terms[1][1] == -26
    x = _inputs(cm, 5, scale=3.0)
    w = build_witness(cm.compiled_circuit, cm.model, x)
    assert np.array_equal(w.outputs, _executor_rows(cm, x))
    _check_relations(cm, w)


def test_leaky_relu_saturates(tmp_path):
    """alpha > 1 on large negative inputs: the output gadget's clamp hits lo (em is used)."""
    cm = compile_circuit_only(tmp_path, leaky_mlp([6, 4], 2.5, on_input=True))
    c = cm.circuit
    x = _inputs(cm, 8, scale=8.0)
    w = build_witness(cm.compiled_circuit, cm.model, x)
    assert (w.tensors[2][:8, :6] == c.gadgets[2].lo).any()
    assert np.array_equal(w.outputs, _executor_rows(cm, x))
    _check_relations(cm, w)


@pytest.mark.parametrize("which", ["z-coefficient", "y+ range", "y- range"])
def test_a_wrong_leaky_lowering_is_caught_by_the_executor_check(tmp_path, which):
    """A wrong coefficient or clamp in any of the three gadgets differs from the executor."""
    from dataclasses import replace

    cm = compile_circuit_only(tmp_path, leaky_mlp([6, 5, 3], 0.2))
    cc = cm.compiled_circuit
    c = cc.circuit
    i = {"z-coefficient": 3, "y+ range": 1, "y- range": 2}[which]
    g = c.gadgets[i]
    if i == 3:
        (p, cp), (n, cn) = g.producer.terms
        g = replace(g, producer=Affine(((p, cp), (n, cn - 3000))))
    else:
        g = replace(g, hi=g.hi // 64, excess_hi_bits=16)
    cc.circuit = replace(c, gadgets=c.gadgets[:i] + (g,) + c.gadgets[i + 1 :])
    with pytest.raises(ProverError, match="differs from the integer executor"):
        build_witness(cc, cm.model, _inputs(cm, 4, scale=2.0))
