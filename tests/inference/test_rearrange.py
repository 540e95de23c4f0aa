"""circuits/rearrange.md on the compiler and witness side: Transpose (NCHW -> NHWC before a
Flatten and Gemm, a flat 3-D tensor, a tf2onnx-style NHWC input), Reshape of a computed
flat tensor into channels and of a spatial tensor into another spatial shape, Concat
along H and W and of a flat with a spatial tensor, and models ending in a spatial tensor
(their output is copied into ONNX order). Each compiles (the compiler's round trip
through the strict parser and the verifier's parser), and its witness, which
`build_witness` checks against the integer executor, satisfies the gadget's relation
over the whole padded tensors; then zkml.compile -> prove -> verify end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest
from harness import case_cache, circuit_inputs, compile_float, prove_and_check
from inference_models import Net, f32, make_model
from onnx import helper

from zkml.compiler.circuit import (
    Block,
    Circuit,
    CircuitFormatError,
    Gadget,
    canonical_json,
    ceil_log2,
)
from zkml.compiler.circuit_load import circuit_from_bytes
from zkml.compiler.producers import Rearrange
from zkml.errors import ModelError
from zkml.witness import build_witness, rearrange_acc, rearrange_index
from zkml.witness_spatial import layout_input, padded_dims

# ---- models ---------------------------------------------------------------------------


def _transpose(net: Net, perm: list[int]) -> Net:
    return net._emit("Transpose", [net.x], [net.shape[p] for p in perm], perm=perm)


def _reshape(net: Net, shape: list[int]) -> Net:
    name = f"shape{len(net.nodes)}"
    net.inits[name] = np.array(shape, dtype=np.int64)
    return net._emit("Reshape", [net.x, name], shape)


def _concat(net: Net, other: str, axis: int) -> Net:
    shape = list(net.shape)
    shape[axis] += net.shapes[other][axis]
    return net._emit("Concat", [net.x, other], shape, axis=axis)


def transpose_nhwc_gemm() -> object:
    """conv -> relu -> Transpose(NCHW -> NHWC) -> Flatten -> Gemm."""
    net = Net([1, 2, 4, 3], seed=50).conv(3, 3, pads=[1, 1, 1, 1]).relu()
    return _transpose(net, [0, 2, 3, 1]).flatten().gemm(4).model()


def transpose_flat3d() -> object:
    """Gemm -> relu -> Reshape (1, 4, 6) -> Transpose (0, 2, 1) -> Flatten -> Gemm."""
    net = Net([1, 12], seed=51).gemm(24).relu()
    _reshape(net, [1, 4, 6])
    return _transpose(net, [0, 2, 1]).flatten().gemm(3).model()


def reshape_into_channels(rows: int = 1) -> object:
    """Gemm -> relu -> Reshape (N, 2, 4, 4) -> Conv -> relu -> Flatten -> Gemm."""
    net = Net([rows, 10], seed=52).gemm(32).relu()
    _reshape(net, [rows, 2, 4, 4])
    return net.conv(3, 3, pads=[1, 1, 1, 1]).relu().flatten().gemm(2).model()


def reshape_spatial() -> object:
    """conv (4 x 4 x 4) -> Reshape (2, 4, 8) -> conv: a spatial tensor into another shape."""
    net = Net([1, 2, 4, 4], seed=53).conv(4, 3, pads=[1, 1, 1, 1]).relu()
    _reshape(net, [1, 2, 4, 8])
    return net.conv(3, 3, pads=[1, 1, 1, 1]).relu().flatten().gemm(3).model()


def concat_spatial(axis: int, then_conv: bool, rows: int = 1) -> object:
    """Two conv branches on the input concatenated along H (axis 2) or W (axis 3)."""
    net = Net([rows, 2, 4, 3], seed=54 + axis)
    net.conv(2, 3, pads=[1, 1, 1, 1]).relu()
    a = net.x
    net.x, net.shape = "x", list(net.in_shape)
    net.conv(2, 1)
    _concat(net, a, axis)
    if then_conv:
        net.conv(3, 3, pads=[1, 1, 1, 1]).relu()
    return net.flatten().gemm(3).model()


def conv_output() -> object:
    """A decoder ending in a convolution (its output is a spatial tensor): Gemm, relu,
    Reshape into (2, 5, 5), conv, relu. (A circuit needs a dense gadget.)"""
    net = Net([1, 6], seed=56).gemm(50).relu()
    _reshape(net, [1, 2, 5, 5])
    return net.conv(3, 3, pads=[1, 1, 1, 1]).relu().model()


def concat_output() -> object:
    """A model ending in a spatial concatenation (along W) of a conv branch and a dense
    branch reshaped into channels."""
    net = Net([1, 2, 4, 4], seed=57).conv(2, 3, pads=[1, 1, 1, 1])
    a = net.x
    net.x, net.shape = "x", list(net.in_shape)
    net.flatten().gemm(16)
    _reshape(net, [1, 2, 4, 2])
    _concat(net, a, 3)
    return net.model()


def transpose_relu() -> object:
    """conv -> Transpose(NCHW -> NHWC) -> relu -> Flatten -> Gemm: the elementwise op reads
    the transposed tensor, so it is held spatially as (H, W, C)."""
    net = Net([1, 2, 4, 3], seed=61).conv(3, 3, pads=[1, 1, 1, 1])
    return _transpose(net, [0, 2, 3, 1]).relu().flatten().gemm(3).model()


def concat_flat3d() -> object:
    """Two dense branches reshaped to (4, 6) and (4, 2), concatenated along the last axis
    (the parts stay flat: a rearrange reads any layout), Flatten, Gemm."""
    net = Net([1, 12], seed=62).gemm(24).relu()
    _reshape(net, [1, 4, 6])
    a = net.x
    net.x, net.shape = "x", [1, 12]
    net.gemm(8)
    _reshape(net, [1, 4, 2])
    _concat(net, a, 2)
    return net.flatten().gemm(3).model()


def tf2onnx_nhwc() -> object:
    """tf2onnx-style: an NHWC input transposed to NCHW, conv, relu, back to NHWC, Flatten,
    Gemm."""
    net = Net([1, 6, 5, 2], seed=58)
    _transpose(net, [0, 3, 1, 2]).conv(3, 3, pads=[1, 1, 1, 1]).relu()
    return _transpose(net, [0, 2, 3, 1]).flatten().gemm(4).model()


def concat_flat_spatial() -> object:
    """A flattened conv output concatenated with a dense branch (flat with spatial)."""
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
    return make_model(nodes, {"x": [1, 1, 2, 2]}, ["y"], inits)


def concat_of_padded_concat() -> object:
    """A flat concat of 6 features (held in 8) concatenated again with a 3-feature part."""
    rng = np.random.default_rng(8)
    nodes = [helper.make_node("Gemm", ["x", "W0", "b0"], ["h"], name="fc0"),
             helper.make_node("Relu", ["h"], ["r"], name="relu"),
             helper.make_node("Concat", ["r", "r"], ["c1"], name="cat1", axis=1),
             helper.make_node("Concat", ["c1", "r"], ["c2"], name="cat2", axis=1),
             helper.make_node("Gemm", ["c2", "W1", "b1"], ["y"], name="fc1")]
    inits = {"W0": f32(rng.normal(size=(4, 3))), "b0": f32(np.zeros(3)),
             "W1": f32(rng.normal(size=(9, 2))), "b1": f32(np.zeros(2))}
    return make_model(nodes, {"x": [1, 4]}, ["y"], inits)


CASES = {
    "transpose_nhwc_gemm": transpose_nhwc_gemm,
    "transpose_flat3d": transpose_flat3d,
    "reshape_into_channels": reshape_into_channels,
    "reshape_into_channels_rows2": lambda: reshape_into_channels(rows=2),
    "reshape_spatial": reshape_spatial,
    "concat_h_conv": lambda: concat_spatial(2, then_conv=True),
    "concat_w_flat": lambda: concat_spatial(3, then_conv=False),
    "concat_h_rows2": lambda: concat_spatial(2, then_conv=False, rows=2),
    "conv_output": conv_output,
    "concat_output": concat_output,
    "tf2onnx_nhwc": tf2onnx_nhwc,
    "transpose_relu": transpose_relu,
    "concat_flat3d": concat_flat3d,
    "concat_flat_spatial": concat_flat_spatial,
    "concat_of_padded_concat": concat_of_padded_concat,
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    return case_cache(tmp_path_factory, CASES)


# ---- helpers --------------------------------------------------------------------------




def _rearranges(c: Circuit) -> list[int]:
    return [i for i, g in enumerate(c.gadgets) if g.op == "rearrange"]


def _check_rearranges(c: Circuit, w, x: np.ndarray) -> int:
    """Every rearrange gadget: its blocks tile the index space, and acc from the spec's
    definition, entry by entry (a loop, an implementation independent of the witness
    builder's index map), equals `z` over the whole padded tensor."""
    bp = 1 << ceil_log2(x.shape[0])
    x_in = (layout_input(x, c.input_shape, bp) if c.input_shape
            else np.pad(x, ((0, bp - x.shape[0]), (0, (1 << ceil_log2(c.input_features))
                                                   - x.shape[1]))))

    def tensor(ref):
        return x_in if ref == "input" else w.tensors[int(ref)]

    def positions(shape):
        if len(shape) == 1:
            return list(range(shape[0]))
        pd = padded_dims(shape)
        return [int(np.ravel_multi_index(ix, pd)) for ix in np.ndindex(*shape)]

    count = 0
    for gi in _rearranges(c):
        g = c.gadgets[gi]
        assert g.shift == 0 and g.divisor == 1 and g.lo <= 0 <= g.hi
        assert g.excess_hi_bits == g.excess_lo_bits == 0
        # The spec's definition, index by index: every o of the index space (row-major)
        # lies in exactly one block and takes its part's entry offset + sum (o - a) t.
        owner = np.full(g.producer.dims, -1, dtype=np.int64)
        for bi, b in enumerate(g.producer.blocks):
            box = tuple(slice(a, a + n) for a, n in zip(b.start, b.size, strict=True))
            assert (owner[box] == -1).all()
            owner[box] = bi
        assert (owner >= 0).all()
        acc = np.zeros((bp, 1 << ceil_log2(g.features)), dtype=np.int64)
        out_pos = positions(g.producer.out_shape)
        part_pos = [positions(sh) for sh in g.producer.shapes]
        for j, o in enumerate(np.ndindex(*g.producer.dims)):
            b = g.producer.blocks[owner[o]]
            i = b.offset + sum((oj - a) * t for oj, a, t in
                               zip(o, b.start, b.strides, strict=True))
            acc[:, out_pos[j]] = tensor(g.producer.parts[b.part])[:, part_pos[b.part][i]]
        assert np.array_equal(acc, w.tensors[gi])
        assert np.array_equal(rearrange_acc(g, [tensor(p) for p in g.producer.parts]), acc)
        count += 1
    return count


# ---- compile and witness --------------------------------------------------------------


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("batch", [1, 3])
def test_compile_and_witness_matches_executor(compiled, name, batch):
    cm = compiled(name)
    c = cm.circuit
    assert circuit_from_bytes(c.to_bytes()) == c and _rearranges(c)
    from zkml.verifier.circuit import parse_circuit

    parse_circuit(c.to_bytes())
    x = circuit_inputs(c, batch * cm.compiled_circuit.rows, seed=batch)
    w = build_witness(cm.compiled_circuit, cm.model, x)  # checks against the executor
    assert _check_rearranges(c, w, x) >= 1
    assert c.output.op not in ("conv", "sumpool", "maxpool", "winsum", "winmax")
    assert c.layout_of(c.output_gadget) is None


def test_transpose_layouts(compiled):
    c = compiled("transpose_nhwc_gemm").circuit
    (gi,) = _rearranges(c)
    g = c.gadgets[gi]
    # The conv's (3, 4, 3) map read as (C, H, W), moved to (H, W, C), held flat.
    assert g.producer.shapes == ((3, 4, 3),) and g.producer.dims == (4, 3, 3)
    assert g.producer.blocks == (Block(0, (0, 0, 0), (4, 3, 3), 0, (3, 1, 12)),)
    assert g.producer.out_shape == (36,) and g.features == 36
    assert c.gadgets[gi - 1].op == "conv" and c.gadgets[gi + 1].op == "dense"
    c = compiled("transpose_flat3d").circuit
    (gi,) = _rearranges(c)
    g = c.gadgets[gi]
    assert g.producer.shapes == ((24,),) and g.producer.dims == (6, 4)
    assert g.producer.blocks == (Block(0, (0, 0), (6, 4), 0, (1, 6)),)
    assert g.producer.out_shape == (24,)


def test_reshape_into_channels_layout(compiled):
    c = compiled("reshape_into_channels").circuit
    (gi,) = _rearranges(c)
    g = c.gadgets[gi]
    p = g.producer
    assert p.shapes == ((32,),) and p.out_shape == (2, 4, 4) and p.dims == (32,)
    assert g.producer.blocks == (Block(0, (0,), (32,), 0, (1,)),)
    assert g.features == 2 * 4 * 4 and c.gadgets[gi + 1].op == "conv"
    c = compiled("reshape_spatial").circuit
    (gi,) = _rearranges(c)
    g = c.gadgets[gi]
    assert g.producer.shapes == ((4, 4, 4),) and g.producer.out_shape == (2, 4, 8)


def test_concat_along_spatial_axes(compiled):
    c = compiled("concat_h_conv").circuit
    (gi,) = _rearranges(c)
    g = c.gadgets[gi]
    assert g.producer.shapes == ((2, 4, 3), (2, 4, 3)) and g.producer.dims == (2, 8, 3)
    assert g.producer.blocks == (Block(0, (0, 0, 0), (2, 4, 3), 0, (12, 3, 1)),
                                 Block(1, (0, 4, 0), (2, 4, 3), 0, (12, 3, 1)))
    assert g.producer.out_shape == (2, 8, 3) and g.features == 2 * 8 * 4
    assert c.gadgets[gi + 1].op == "conv" and c.gadgets[gi + 1].producer.in_shape == (2, 8, 3)
    c = compiled("concat_w_flat").circuit
    (gi,) = _rearranges(c)
    g = c.gadgets[gi]
    assert g.producer.dims == (2, 4, 6)
    assert [b.start for b in g.producer.blocks] == [(0, 0, 0), (0, 0, 3)]
    assert g.producer.out_shape == (2 * 4 * 6,)  # read by Flatten/Gemm only: flat


def test_inspect_describes_rearranges(compiled):
    from zkml.cli.inspect_cmd import _lines_circuit

    lines = "\n".join(_lines_circuit(compiled("concat_h_conv").circuit))
    assert "rearrange(g2 2x4x3, g0 2x4x3 -> 2x8x3, 2 blocks)" in lines


def test_spatial_output_is_copied_flat(compiled):
    cm = compiled("conv_output")
    c = cm.circuit
    g = c.output
    assert g.op == "rearrange" and g.producer.shapes == ((3, 5, 5),)
    assert g.producer.out_shape == (75,)
    assert c.output_features == 75 and c.gadgets[int(g.x)].op == "conv"
    x = circuit_inputs(c, 2)
    w = build_witness(cm.compiled_circuit, cm.model, x)  # the output checked, ONNX order
    assert w.outputs.shape == (2, 75)
    c = compiled("concat_output").circuit
    # The concat along W is the output: it writes the flat layout directly (no copy).
    assert c.output.op == "rearrange" and c.output.producer.out_shape == (2 * 4 * 6,)
    assert len(c.output.producer.parts) == 2 and len(_rearranges(c)) == 1


def test_layouts_follow_the_readers(compiled):
    c = compiled("transpose_relu").circuit
    assert [g.op for g in c.gadgets] == ["conv", "rearrange", "identity", "dense"]
    assert c.gadgets[1].producer.out_shape == (4, 3, 3) and c.layout_of(2) == (4, 3, 3)
    c = compiled("concat_flat3d").circuit
    assert [g.op for g in c.gadgets] == ["dense", "dense", "rearrange", "dense"]
    g = c.gadgets[2]
    assert g.producer.shapes == ((8,), (24,)) and g.producer.dims == (4, 8)
    assert g.producer.blocks == (Block(0, (0, 0), (4, 2), 0, (2, 1)),
                        Block(1, (0, 2), (4, 6), 0, (6, 1)))
    assert g.producer.out_shape == (32,)


def test_tf2onnx_input_is_flat(compiled):
    c = compiled("tf2onnx_nhwc").circuit
    assert c.input_shape is None and c.input_features == 6 * 5 * 2
    first, last = (c.gadgets[i] for i in _rearranges(c))
    assert first.producer.parts == ("input",) and first.producer.shapes == ((60,),)
    assert first.producer.dims == (2, 6, 5)
    assert first.producer.blocks == (Block(0, (0, 0, 0), (2, 6, 5), 0, (1, 10, 2)),)
    assert first.producer.out_shape == (2, 6, 5) and last.producer.out_shape == (90,)


def test_rearrange_index_map():
    p = Rearrange(parts=(0, 1), shapes=((3,), (1, 3)), out_shape=(3, 2), dims=(3, 2),
                  blocks=(Block(0, (0, 0), (3, 1), 0, (1, 3)),
                          Block(1, (0, 1), (3, 1), 0, (1, 3))))
    g = Gadget(p, features=8, shift=0, lo=-8, hi=7, excess_hi_bits=0, excess_lo_bits=0,
               frac_bits=0)
    dst, part, pos = rearrange_index(g)
    # O = transpose([[a0 a1 a2], [b0 b1 b2]]) = [[a0 b0], [a1 b1], [a2 b2]] in a (3, 2)
    # layout padded to (4, 2).
    assert dst.tolist() == [0, 1, 2, 3, 4, 5]
    assert part.tolist() == [0, 1, 0, 1, 0, 1] and pos.tolist() == [0, 0, 1, 1, 2, 2]
    a = np.array([[10, 11, 12, 0]])
    b = np.array([[20, 21, 22, 0]])
    acc = rearrange_acc(g, [a, b])
    assert acc.tolist() == [[10, 20, 11, 21, 12, 22, 0, 0]]


# ---- the parser -----------------------------------------------------------------------


def _doc(compiled) -> dict:
    return json.loads(compiled("concat_h_conv").circuit.to_bytes())


def _producer(doc: dict) -> dict:
    return next(g["producer"] for g in doc["gadgets"] if g["producer"]["op"] == "rearrange")


def _block(p: dict, k: int = 0) -> dict:
    return p["blocks"][k]


@pytest.mark.parametrize("edit,match", [
    (lambda p: p.pop("dims"), "missing field `dims`"),
    (lambda p: p.update(views=[[2, 4, 3]]), "unknown field `views`, expected one of `part"),
    (lambda p: p.update(x=0), "unknown field `x`, expected one of `parts`,"),
    (lambda p: p.update(parts=[]), "rearrange parts out of limits"),
    (lambda p: p.update(blocks={}), "invalid type: map, expected a sequence"),
    (lambda p: p.update(blocks=[]), "rearrange blocks out of limits"),
    (lambda p: p.update(blocks=p["blocks"] * 2049), "rearrange blocks out of limits"),
    (lambda p: p.update(dims=[2, 8, 3, 1, 1, 1, 1]), "dims"),
    (lambda p: p.update(dims=[2, 8, 0]), "dims"),
    (lambda p: p.update(dims=[2, 4, 3]), "rearrange dims do not match out_shape"),
    (lambda p: p.update(dims=[48]), "rearrange block part or lengths out of limit"),
    (lambda p: _block(p).pop("offset"), "missing field `offset`"),
    (lambda p: _block(p).update(extra=1), "unknown field `extra`, expected one of `part"),
    (lambda p: _block(p).update(part=2), "rearrange block part or lengths out of limit"),
    (lambda p: _block(p).update(start=[0, 0]), "rearrange block part or lengths out of limit"),
    (lambda p: _block(p).update(size=[2, 4, 0]), "rearrange block box outside dims"),
    (lambda p: _block(p).update(strides=[12, 3, -1]), r"integer `\-1`, expected u64"),
    (lambda p: _block(p).update(strides=[12, 3, 1 << 31]), "block offset or stride out of"),
    (lambda p: _block(p).update(offset=1 << 31), "block offset or stride out of"),
    (lambda p: _block(p).update(offset=True), "invalid type: boolean `true`, expected u64"),
    (lambda p: _block(p, 1).update(start=[0, 5, 0]), "rearrange block box outside dims"),
    (lambda p: _block(p).update(offset=1), "rearrange block reads past its part"),
    (lambda p: _block(p).update(strides=[12, 4, 1]), "rearrange block reads past its part"),
    (lambda p: _block(p).update(size=[2, 4, 2]), "rearrange blocks do not tile dims"),
    (lambda p: _block(p, 1).update(start=[0, 3, 0]), "rearrange blocks overlap"),
    (lambda p: p.update(blocks=[{**_block(p), "size": [1, 8, 3], "start": [1, 0, 0]},
                                {**_block(p, 1), "size": [1, 4, 3], "start": [0, 0, 0]},
                                {**_block(p), "size": [1, 4, 3], "start": [0, 3, 0]}]),
     "rearrange blocks overlap"),
    (lambda p: p.update(shapes=[[2, 4, 3], [24]]), "rearrange widths do not match"),
    (lambda p: p.update(out_shape=[2, 8, 4]), "rearrange dims do not match out_shape"),
    (lambda p: p.update(out_shape=[48]), "rearrange widths do not match"),
    (lambda p: p.update(out_shape=[1 << 20, 2]), "rearrange out_shape out of limits"),
])
def test_parser_refuses_malformed_rearranges(compiled, edit, match):
    doc = _doc(compiled)
    edit(_producer(doc))
    with pytest.raises(CircuitFormatError, match=match):
        circuit_from_bytes(canonical_json(doc))


# ---- refusals -------------------------------------------------------------------------


def test_transpose_of_the_batch_axis_is_refused(tmp_path):
    from inference_models import compile_circuit_only

    net = Net([2, 6], seed=59).gemm(4).relu()
    _transpose(net, [1, 0])
    model = net.gemm(3).model()
    with pytest.raises(ModelError, match=r"\(op transpose\) cannot be proven yet: transpose "
                                         r".* moves the batch axis"):
        compile_circuit_only(tmp_path, model)


def test_concat_along_the_batch_axis_is_refused(tmp_path):
    from inference_models import compile_circuit_only

    net = Net([1, 6], seed=60).gemm(4).relu()
    a = net.x
    net.gemm(4)
    _concat(net, a, 0)
    model = net.gemm(3).model()
    with pytest.raises(ModelError, match=r"\(op concat\) cannot be proven yet: concatenation "
                                         r"along axis 0"):
        compile_circuit_only(tmp_path, model)


# ---- end to end (needs the native prover and the verifier with rearrange) --------------

E2E = ["transpose_nhwc_gemm", "transpose_flat3d", "reshape_into_channels",
       "reshape_into_channels_rows2", "concat_h_conv", "concat_w_flat", "conv_output",
       "concat_output", "tf2onnx_nhwc", "concat_flat_spatial", "transpose_relu",
       "concat_flat3d"]


@pytest.mark.parametrize("name", E2E)
@pytest.mark.parametrize("batch", [1, 3])
def test_rearranged_models_prove_and_verify(tmp_path, name, batch):
    model = CASES[name]()
    cm, _ = compile_float(tmp_path, model, name)
    prove_and_check(cm, batch)


def _shuffle() -> object:
    """A channel shuffle between two convs: view (N, 2, 2, H, W), swap the groups,
    reshape back to (N, 4, H, W): a transpose then a reshape."""
    net = Net([1, 2, 5, 5], seed=44).conv(4, 3, pads=[1, 1, 1, 1]).relu()
    net.inits["s5"] = np.array([1, 2, 2, 5, 5], dtype=np.int64)
    net.inits["s4"] = np.array([1, 4, 5, 5], dtype=np.int64)
    net._emit("Reshape", [net.x, "s5"], [1, 2, 2, 5, 5])
    net._emit("Transpose", [net.x], [1, 2, 2, 5, 5], perm=[0, 2, 1, 3, 4])
    net._emit("Reshape", [net.x, "s4"], [1, 4, 5, 5])
    return net.conv(3, 3).flatten().gemm(2).model()


@pytest.mark.parametrize("batch", [1, 3])
def test_a_transpose_then_a_reshape_is_one_gadget(tmp_path, batch):
    """The reshape's relabelling rearrange folds into the transpose's
    (`rearrange.fuse_relabels`): one committed tensor for the pair."""
    cm, _ = compile_float(tmp_path, _shuffle(), "shuffle")
    ops = [g.op for g in cm.circuit.gadgets]
    assert ops == ["conv", "rearrange", "conv", "dense"]
    g = cm.circuit.gadgets[1]
    assert g.producer.out_shape == (4, 5, 5) and len(g.producer.blocks) == 1
    prove_and_check(cm, batch, tamper=1 if batch == 1 else None)
