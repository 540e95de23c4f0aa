"""circuits/rearrange.md blocks beyond moves, on the compiler and witness side: broadcasts
(stride 0) for `mul` and `add` of two computed tensors of different shapes (a
squeeze-and-excitation block's sigmoid gate `(N, C, 1, 1)` over its `(N, C, H, W)` map,
`x + y` with `y` of shape `(N, C, 1, 1)` or `(N, 1, H, W)`, a one-feature gate over a
flat tensor), and the choice among same-shaped tensors by region (`choose`, its greedy
box decomposition). Each model compiles (round trip through the strict parser and the
verifier's), its witness matches the integer executor, and every rearrange's `z`
follows the spec's definition entry by entry; then prove and verify end to end."""

from __future__ import annotations

import numpy as np
import pytest
from harness import case_cache, circuit_inputs, compile_float, prove_and_check
from inference_models import Net, compile_cnn, f32, make_model
from onnx import helper
from test_rearrange import _check_rearranges, _rearranges, _reshape

from zkml.compiler import build
from zkml.compiler.rearrange import boxes, choose
from zkml.errors import ModelError
from zkml.witness import build_witness, evaluate_circuit
from zkml.witness_spatial import real_region

# ---- models ---------------------------------------------------------------------------


def se_block(rows: int = 1, act: str = "Sigmoid") -> object:
    """conv -> relu = a (N, 4, 4, 4); GlobalAveragePool -> Flatten -> Gemm -> Relu -> Gemm
    -> Sigmoid -> Reshape (N, 4, 1, 1) = gate; a * gate -> conv -> Flatten -> Gemm."""
    net = Net([rows, 2, 4, 4], seed=70).conv(4, 3, pads=[1, 1, 1, 1]).relu()
    a = net.x
    net.global_pool("avg").flatten().gemm(2).relu().gemm(4).act(act)
    _reshape(net, [rows, 4, 1, 1])
    net._emit("Mul", [a, net.x], [rows, 4, 4, 4])
    return net.conv(3, 3, pads=[1, 1, 1, 1]).relu().flatten().gemm(3).model()


def se_gate_first(rows: int = 1) -> object:
    """An SE block with the gate as Mul's first operand, its product the model's output
    (through Flatten: the statement is flat)."""
    net = Net([rows, 3, 3, 5], seed=71).conv(3, 1).relu()
    a = net.x
    net.global_pool("avg").flatten().gemm(3).act("Sigmoid")
    _reshape(net, [rows, 3, 1, 1])
    net._emit("Mul", [net.x, a], [rows, 3, 3, 5])
    return net.flatten().gemm(2).model()


def add_channel_bias(rows: int = 1) -> object:
    """x + GlobalAveragePool(x) over a conv map: y of shape (N, C, 1, 1)."""
    net = Net([rows, 2, 4, 3], seed=72).conv(3, 3, pads=[1, 1, 1, 1]).relu()
    a = net.x
    net.global_pool("avg")
    net._emit("Add", [a, net.x], [rows, 3, 4, 3])
    return net.relu().flatten().gemm(3).model()


def sub_spatial_map(op: str = "Sub", rows: int = 1) -> object:
    """A one-channel map (N, 1, H, W) minus (or plus) a three-channel map: the small
    operand first, so the compiler swaps the operands (and their signs)."""
    net = Net([rows, 2, 4, 4], seed=73).conv(3, 3, pads=[1, 1, 1, 1]).relu()
    a = net.x
    net.x, net.shape = "x", list(net.in_shape)
    net.conv(1, 1)
    net._emit(op, [net.x, a], [rows, 3, 4, 4])
    return net.conv(2, 3, pads=[1, 1, 1, 1]).relu().flatten().gemm(3).model()


def flat_row_gate() -> object:
    """A flat (1, 6) tensor times a one-feature gate (1, 1)."""
    rng = np.random.default_rng(1)
    nodes = [helper.make_node("Gemm", ["x", "W", "b"], ["h"], name="fc0"),
             helper.make_node("Gemm", ["x", "Wg", "bg"], ["g"], name="fc_gate"),
             helper.make_node("Mul", ["h", "g"], ["m"], name="scale_rows"),
             helper.make_node("Gemm", ["m", "W1", "b1"], ["y"], name="fc1")]
    inits = {"W": f32(rng.normal(size=(4, 6))), "b": f32(np.zeros(6)),
             "Wg": f32(rng.normal(size=(4, 1))), "bg": f32(np.zeros(1)),
             "W1": f32(rng.normal(size=(6, 2))), "b1": f32(np.zeros(2))}
    return make_model(nodes, {"x": [1, 4]}, ["y"], inits)


def _outer(op: str) -> object:
    """(1, 6, 1) op (1, 1, 4): both operands broadcast."""
    rng = np.random.default_rng(2)
    nodes = [helper.make_node("Gemm", ["x", "Wa", "ba"], ["a"], name="fc_a"),
             helper.make_node("Gemm", ["x", "Wb", "bb"], ["b"], name="fc_b"),
             helper.make_node("Reshape", ["a", "sa"], ["a3"], name="ra"),
             helper.make_node("Reshape", ["b", "sb"], ["b3"], name="rb"),
             helper.make_node(op, ["a3", "b3"], ["m"], name="outer"),
             helper.make_node("Flatten", ["m"], ["mf"], name="flat", axis=1),
             helper.make_node("Gemm", ["mf", "W1", "b1"], ["y"], name="fc1")]
    inits = {"Wa": f32(rng.normal(size=(4, 6))), "ba": f32(np.zeros(6)),
             "Wb": f32(rng.normal(size=(4, 4))), "bb": f32(np.zeros(4)),
             "sa": np.array([1, 6, 1], dtype=np.int64), "sb": np.array([1, 1, 4], np.int64),
             "W1": f32(rng.normal(size=(24, 2))), "b1": f32(np.zeros(2))}
    return make_model(nodes, {"x": [1, 4]}, ["y"], inits)


CASES = {
    "se_block": se_block,
    "se_block_rows2": lambda: se_block(rows=2),
    "se_gate_first": se_gate_first,
    "add_channel_bias": add_channel_bias,
    "add_channel_bias_rows2": lambda: add_channel_bias(rows=2),
    "sub_spatial_map": sub_spatial_map,
    "add_spatial_map": lambda: sub_spatial_map("Add"),
    "flat_row_gate": flat_row_gate,
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    return case_cache(tmp_path_factory, CASES)


def _broadcasts(c) -> list[int]:
    """The rearranges that read some entry more than once (a stride 0 on an axis > 1)."""
    return [i for i in _rearranges(c)
            if any(t == 0 and n > 1 for b in c.gadgets[i].producer.blocks
                   for t, n in zip(b.strides, b.size, strict=True))]


# ---- compile and witness --------------------------------------------------------------


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("batch", [1, 3])
def test_broadcast_compiles_and_matches_executor(compiled, name, batch):
    from zkml.verifier.circuit import parse_circuit

    cm = compiled(name)
    c = cm.circuit
    parse_circuit(c.to_bytes())
    assert _broadcasts(c)
    x = circuit_inputs(c, batch * cm.compiled_circuit.rows, seed=batch)
    w = build_witness(cm.compiled_circuit, cm.model, x)  # checks against the executor
    assert _check_rearranges(c, w, x) >= 1
    for gi in _broadcasts(c):
        reader = next(g for g in c.gadgets if gi in (g.x, getattr(g.producer, "y", None)))
        assert reader.op in ("mul", "add") and reader.features == c.gadgets[gi].features


def test_se_gate_is_spread_over_the_map(compiled):
    c = compiled("se_block").circuit
    (gi,) = _broadcasts(c)
    g = c.gadgets[gi]
    # The gate (4 values, flat: the reshape into (N, 4, 1, 1) is bookkeeping since only
    # the broadcasting Mul reads it) over the (4, 4, 4) map: stride 0 on H*W.
    p = g.producer
    assert p.shapes == ((4,),) and p.out_shape == (4, 4, 4) and p.dims == (4, 16)
    assert [(b.start, b.size, b.offset, b.strides) for b in g.producer.blocks] == \
        [((0, 0), (4, 16), 0, (1, 0))]
    assert _rearranges(c) == [gi]
    mul = c.gadgets[gi + 1]
    assert mul.op == "mul" and mul.producer.y == gi and c.gadgets[int(mul.x)].op == "conv"
    assert c.layout_of(gi + 1) == (4, 4, 4)


def test_spatial_map_broadcast_over_channels(compiled):
    c = compiled("sub_spatial_map").circuit
    (gi,) = _broadcasts(c)
    g = c.gadgets[gi]
    p = g.producer
    assert p.shapes == ((1, 4, 4),) and p.out_shape == (3, 4, 4) and p.dims == (3, 16)
    assert g.producer.blocks[0].strides == (0, 1)
    add = c.gadgets[gi + 1]
    # Sub(small, big): x is the big map, so the signs are swapped: -x + y.
    assert add.op == "add" and add.producer.y == gi and add.producer.signs == (-1, 1)
    c = compiled("add_channel_bias").circuit
    (gi,) = _broadcasts(c)
    g = c.gadgets[gi]
    p = g.producer
    assert p.shapes == ((3,),) and p.dims == (3, 12) and p.blocks[0].strides == (1, 0)


def test_flat_gate(compiled):
    c = compiled("flat_row_gate").circuit
    (gi,) = _broadcasts(c)
    g = c.gadgets[gi]
    p = g.producer
    assert p.shapes == ((1,),) and p.out_shape == (6,) and p.dims == (6,)
    assert g.producer.blocks[0].strides == (0,)


# ---- choose ---------------------------------------------------------------------------


def _check_boxes(region: np.ndarray, found) -> None:
    owner = np.full(region.shape, -1)
    for k, (start, size) in enumerate(found):
        box = tuple(slice(a, a + n) for a, n in zip(start, size, strict=True))
        assert (owner[box] == -1).all()  # no index twice
        owner[box] = k
        assert (region[box] == region[start]).all()  # one choice per box
    assert (owner >= 0).all()  # every index once
    assert [s for s, _ in found] == sorted(s for s, _ in found)


@pytest.mark.parametrize("shape,seed,levels", [
    ((5,), 0, 2), ((4, 7), 1, 3), ((3, 5, 6), 2, 2), ((2, 3, 2, 4), 3, 3),
    ((1, 1, 9), 4, 2), ((6, 6), 5, 1),
])
def test_boxes_tile_with_a_constant_choice(shape, seed, levels):
    region = np.random.default_rng(seed).integers(0, levels, size=shape)
    _check_boxes(region, boxes(region))


def test_boxes_of_structured_regions():
    # A pooling divisor's classes over a (C, H, W) map: corners, edges, interior.
    c, h, w = 3, 5, 6
    rows = np.minimum(np.arange(h), np.arange(h)[::-1]) == 0
    cols = np.minimum(np.arange(w), np.arange(w)[::-1]) == 0
    region = np.broadcast_to(rows[:, None].astype(int) + cols[None, :], (c, h, w))
    found = boxes(region)
    _check_boxes(region, found)
    assert all(size[0] == c for _, size in found)  # every box spans the channels
    assert len(found) <= 9 + 4 + 1 and boxes(np.zeros((4, 4, 4), int)) == \
        [((0, 0, 0), (4, 4, 4))]
    # Past the limit: None (choose refuses).
    checker = np.indices((3, 4)).sum(axis=0) % 2
    assert boxes(checker, limit=11) is None and len(boxes(checker, limit=12)) == 12
    assert len(boxes(np.arange(12).reshape(3, 4) % 2)) == 4  # stripes: one box each


def _two_maps() -> object:
    net = Net([1, 2, 4, 4], seed=74).conv(2, 3, pads=[1, 1, 1, 1])
    a = net.x
    net.x, net.shape = "x", list(net.in_shape)
    net.conv(2, 1)
    net._emit("Add", [a, net.x], [1, 2, 4, 4])
    return net.relu().flatten().gemm(3).model()


def test_choose_takes_each_entry_from_its_region(tmp_path, monkeypatch):
    """`choose` in place of an Add: each entry of the result is the chosen part's at the
    same index (the witness check against the executor is off: it is not an Add)."""
    region = np.zeros((2, 4, 4), dtype=np.int64)
    region[:, 0, :] = 1
    region[1, :, 3] = 1
    region[0, 2, 1] = 1

    def fake_add(s, op):
        out = s.model.tensor(op.output)
        choose(s, op, list(op.inputs), region, tuple(out.shape[1:]), out=out)

    monkeypatch.setitem(build._HANDLERS, "add", fake_add)
    cm = compile_cnn(tmp_path, _two_maps(), "choose")
    c = cm.circuit
    (gi,) = _rearranges(c)
    g = c.gadgets[gi]
    assert g.producer.dims == (2, 4, 4) and len(g.producer.blocks) == len(boxes(region))
    assert {b.part for b in g.producer.blocks} == {0, 1}
    x = circuit_inputs(c, 2)
    w = build_witness(cm.compiled_circuit, cm.model, x, check=False)
    assert _check_rearranges(c, w, x) == 1
    tensors, _ = evaluate_circuit(c, cm.compiled_circuit.model_stack, x)
    a, b = (real_region(tensors[int(p)], (2, 4, 4)) for p in g.producer.parts)
    want = np.where(region.reshape(1, -1) == 1, b, a)
    assert np.array_equal(real_region(tensors[gi], (2, 4, 4))[:2], want[:2])


def test_choose_refuses_too_many_boxes(tmp_path, monkeypatch):
    region = np.indices((2, 64, 64)).sum(axis=0) % 2  # a checkerboard: 8192 boxes

    def fake_add(s, op):
        out = s.model.tensor(op.output)
        choose(s, op, list(op.inputs), region, tuple(out.shape[1:]), out=out)

    net = Net([1, 1, 64, 64], seed=75).conv(2, 1)
    a = net.x
    net.x, net.shape = "x", list(net.in_shape)
    net.conv(2, 1)
    net._emit("Add", [a, net.x], [1, 2, 64, 64])
    monkeypatch.setitem(build._HANDLERS, "add", fake_add)
    with pytest.raises(ModelError, match=r"\(op add\) cannot be proven yet: the choice "
                                         r"among the parts by region takes more than 4096"):
        compile_cnn(tmp_path, net.flatten().gemm(2).model(), "checker")


# ---- refusals -------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["Add", "Mul", "Sub"])
@pytest.mark.parametrize("batch", [1, 3])
def test_both_operands_broadcast(tmp_path, op, batch):
    """(1, 6, 1) op (1, 1, 4): both operands are moved into the (1, 6, 4) result first
    (two broadcasting rearranges), then the same-shape gadget."""
    cm, _ = compile_float(tmp_path, _outer(op), f"outer_{op}")
    ops = [g.op for g in cm.circuit.gadgets]
    assert ops.count("rearrange") == 2
    prove_and_check(cm, batch, tamper=1 if batch == 1 else None)


# ---- end to end (needs the native prover and the verifier with blocks) -----------------


@pytest.mark.parametrize("name", ["se_block", "se_block_rows2", "se_gate_first",
                                  "add_channel_bias", "sub_spatial_map", "flat_row_gate"])
@pytest.mark.parametrize("batch", [1, 3])
def test_broadcast_models_prove_and_verify(tmp_path, name, batch):
    model = CASES[name]()
    cm, _ = compile_float(tmp_path, model, name)
    prove_and_check(cm, batch)
