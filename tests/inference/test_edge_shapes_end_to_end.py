"""Edge-shape wiring end to end through the real compiler and prover (zkml.compile ->
zkml.prove -> zkml.verify): non-power-of-two maps (5x7, 13x11), stride larger than the
kernel (k 2, s 3: conv, MaxPool, AveragePool), padding larger than the kernel (k 1 and 2,
p 3), dilation 3, ceil-mode pools with partial windows on both axes, a Concat of 3 and 5
channels and a Transpose of a 3x5 tensor. The statement's outputs equal the integer
executor's, run by run, the proof verifies (`harness.prove_and_check`), and its
dequantized outputs are within 2^-6 (relative to the largest output) of onnxruntime's
float ones; the gadgets carry the promised geometry. (The cheating-prover side of the
same shapes runs on the reference prover: tests/verifier/test_cheats_edge_shapes.py.)"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from harness import compile_float, float_runs, prove_and_check
from inference_models import Net
from test_rearrange import _concat, _reshape, _transpose


def _concat_3_5():
    """Two conv branches of a (2, 5, 6) input (3 and 5 channels), Concat along the
    channels (8), conv, flatten, Gemm."""
    net = Net([1, 2, 5, 6], seed=71).conv(3, 3, pads=[1, 1, 1, 1]).relu()
    a = net.x
    net.x, net.shape = "x", [1, 2, 5, 6]
    net.conv(5, 1).relu()
    net.x, net.shape = _concat(net, a, 1).x, [1, 8, 5, 6]
    return net.conv(2, 3).relu().flatten().gemm(3).model()


def _transpose_3x5():
    """Gemm -> relu -> Reshape (1, 3, 5) -> Transpose (0, 2, 1) -> Flatten -> Gemm."""
    net = Net([1, 6], seed=72).gemm(15).relu()
    _reshape(net, [1, 3, 5])
    return _transpose(net, [0, 2, 1]).flatten().gemm(3).model()


CASES = {
    "map5x7": lambda: Net([1, 1, 5, 7], seed=61).conv(2, 3, pads=[1, 1, 1, 1]).relu()
        .pool("max", 2).flatten().gemm(2).model(),
    "map13x11": lambda: Net([1, 1, 13, 11], seed=62).conv(2, 3, strides=[2, 2]).relu()
        .pool("avg", 2).flatten().gemm(2).model(),
    "conv_k2_s3": lambda: Net([1, 2, 8, 7], seed=63).conv(3, 2, strides=[3, 3]).relu()
        .flatten().gemm(2).model(),
    "pools_k2_s3": lambda: Net([1, 2, 8, 7], seed=64).conv(2, 3, pads=[1, 1, 1, 1])
        .pool("max", 2, strides=[3, 3]).pool("avg", 2, strides=[1, 1]).flatten().gemm(2)
        .model(),
    "conv_p3": lambda: Net([1, 2, 3, 5], seed=65).conv(2, 1, pads=[3, 3, 3, 3]).relu()
        .conv(2, 2, pads=[3, 3, 3, 3]).flatten().gemm(2).model(),
    "dilation3": lambda: Net([1, 1, 9, 8], seed=66).conv(2, 3, dilations=[3, 3],
                                                          pads=[2, 2, 2, 2]).relu()
        .pool("max", 2, strides=[1, 1], dilations=[2, 2]).flatten().gemm(2).model(),
    "ceil5x7": lambda: Net([1, 1, 5, 7], seed=67).conv(2, 3, pads=[1, 1, 1, 1]).relu()
        .pool("max", 2, ceil_mode=1).pool("avg", 2, strides=[1, 1]).flatten().gemm(2)
        .model(),
    "concat3+5": _concat_3_5,
    "transpose3x5": _transpose_3x5,
}

#: (op, attributes) of each case's telling gadgets.
GEOMETRY = {
    "map5x7": [("conv", {"in_shape": (1, 5, 7), "out_shape": (2, 5, 7)}),
               ("maxpool", {"in_shape": (2, 5, 7), "out_shape": (2, 2, 3)})],
    "map13x11": [("conv", {"in_shape": (1, 13, 11), "out_shape": (2, 6, 5)}),
                 ("sumpool", {"in_shape": (2, 6, 5), "out_shape": (2, 3, 2)})],
    "conv_k2_s3": [("conv", {"kernel": (2, 2), "strides": (3, 3), "out_shape": (3, 3, 2)})],
    "pools_k2_s3": [("winmax", {"kernel": (2, 2), "strides": (3, 3), "out_shape": (2, 3, 2)})],
    "conv_p3": [("conv", {"kernel": (1, 1), "pads": (3, 3), "out_shape": (2, 9, 11)}),
                ("conv", {"kernel": (2, 2), "pads": (3, 3), "out_shape": (2, 14, 16)})],
    "dilation3": [("conv", {"dilations": (3, 3), "out_shape": (2, 7, 6)}),
                  ("winmax", {"dilations": (2, 2), "out_shape": (2, 5, 4)})],
    # ceil mode: 5x7 -> 3x4, the last row's and column's windows overhang the map
    "ceil5x7": [("winmax", {"kernel": (2, 2), "strides": (2, 2), "in_shape": (2, 5, 7),
                            "out_shape": (2, 3, 4)})],
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    cache: dict = {}

    def get(name: str, with_model: bool = False):
        if name not in cache:
            model = CASES[name]()
            cache[name] = (compile_float(tmp_path_factory.mktemp(name), model, name)[0], model)
        return cache[name] if with_model else cache[name][0]
    return get


@pytest.mark.parametrize("name", list(GEOMETRY))
def test_edge_geometry(compiled, name):
    gads = compiled(name).circuit.gadgets
    for op, attrs in GEOMETRY[name]:
        assert any(g.op == op and all(tuple(getattr(g.producer, k)) == v
                                      for k, v in attrs.items())
                   for g in gads), (name, op, attrs)


def test_concat_and_transpose_parts(compiled):
    """The Concat is one concat gadget of parts 5 and 3 channels wide; the Transpose one
    rearrange of a 15-entry part, read as 3x5 and written as 5x3."""
    cat = next(g for g in compiled("concat3+5").circuit.to_json()["gadgets"]
               if g["producer"]["op"] == "concat")
    assert cat["producer"]["shapes"] == [[5, 5, 6], [3, 5, 6]]
    rea = next(g for g in compiled("transpose3x5").circuit.to_json()["gadgets"]
               if g["producer"]["op"] == "rearrange")["producer"]
    assert (rea["shapes"], rea["dims"], rea["out_shape"]) == ([[15]], [5, 3], [15])
    assert [b["strides"] for b in rea["blocks"]] == [[1, 5]]


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("batch", [1, 3])
def test_edge_shapes_prove_and_verify(compiled, name, batch):
    cm, model = compiled(name, with_model=True)
    _, verified = prove_and_check(cm, batch)
    sess = ort.InferenceSession(model.SerializeToString())
    want = np.concatenate([sess.run(None, {"x": run.reshape(cm.input_shape)
                                           .astype(np.float32)})[0]
                           for run in float_runs(cm, batch)])
    got = np.array(verified.outputs_float).reshape(want.shape)
    assert np.abs(got - want).max() <= 2 ** -6 * max(1.0, float(np.abs(want).max()))
