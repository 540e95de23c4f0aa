"""3-D convolution and pooling (`zkml.compiler.volume`): a volume `(N, C, D, H, W)` is
held as the 2-D layout `(C*D, H, W)`; a 3-D conv is a 2-D conv gadget whose weight carries
the depth taps, a 3-D average a depthwise one, a 3-D maximum two 2-D window maxima (the
quantizer splits it). Compile, witness against the executor, prove and verify."""

from __future__ import annotations

import numpy as np
import pytest
from harness import compile_float, prove_and_check
from inference_models import Net, compile_circuit_only

from zkml.compiler import volume
from zkml.errors import ModelError
from zkml.witness import build_witness

CASES = {
    # C3D-style: conv 3x3x3, max 2x2x2, conv, global average, dense
    "c3d": lambda: Net([1, 2, 5, 6, 6], seed=1).conv(3, 3, pads=[1] * 6).relu()
    .pool("max", 2).conv(4, 3, pads=[1] * 6).relu().global_pool("avg").flatten().gemm(2)
    .model(),
    "strided_grouped": lambda: Net([1, 2, 6, 7, 5], seed=2)
    .conv(4, 3, strides=[2, 1, 2], pads=[1] * 6, group=2).relu().flatten().gemm(3).model(),
    "dilated": lambda: Net([1, 1, 7, 6, 6], seed=6).conv(2, 3, dilations=[2, 1, 1])
    .relu().flatten().gemm(2).model(),
    "avg2": lambda: Net([1, 2, 4, 6, 6], seed=3).conv(3, 3, pads=[1] * 6).pool("avg", 2)
    .flatten().gemm(2).model(),
    # count_include_pad = 0 over padding: one depthwise conv per divisor, then a choice
    "avg3_padded": lambda: Net([1, 2, 4, 5, 5], seed=4).conv(3, 3, pads=[1] * 6)
    .pool("avg", 3, strides=[1, 2, 2], pads=[1] * 6).flatten().gemm(2).model(),
    "max3_strided": lambda: Net([1, 2, 6, 6, 6], seed=5).conv(3, 3, pads=[1] * 6)
    .pool("max", 3, strides=[2, 2, 2], pads=[1] * 6).flatten().gemm(2).model(),
}


@pytest.mark.parametrize("name", list(CASES))
def test_volumes_compile_to_2d_gadgets(tmp_path, name):
    cm = compile_circuit_only(tmp_path, CASES[name]())
    c = cm.circuit
    assert c.input_shape is not None and len(c.input_shape) == 3  # (C*D, H, W)
    assert all(g.op != "conv" or len(g.producer.kernel) == 2 for g in c.gadgets)
    x = np.random.default_rng(1).integers(-3000, 3000, size=(3, c.input_features))
    build_witness(cm.compiled_circuit, cm.model, x)  # every gadget vs the executor


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("batch", [1, 3])
def test_volumes_prove_and_verify(tmp_path, name, batch):
    cm, _ = compile_float(tmp_path, CASES[name](), name)
    prove_and_check(cm, batch, tamper=8 if batch == 1 else None)


def test_expanded_weight_is_the_3d_convolution():
    """The channel-banded 2-D weight reproduces a direct 3-D convolution's depth taps."""
    rng = np.random.default_rng(0)
    w = rng.integers(-5, 5, size=(4, 1, 3, 2, 2))  # groups = 2 over 2 input channels
    full = volume._expanded_weight(w, 2, depth=5, out_depth=3, stride=2, pad=1, dilation=1)
    assert full.shape == (4 * 3, 2 * 5, 2, 2)
    f = full.reshape(4, 3, 2, 5, 2, 2)
    for o in range(4):
        for dd in range(3):
            for c in range(2):
                for d in range(5):
                    t = d - (dd * 2 - 1)
                    want = w[o, 0, t] if 0 <= t < 3 and c == o // 2 else 0
                    assert np.array_equal(f[o, dd, c, d], want * np.ones((2, 2)) if
                                          np.ndim(want) == 0 else want)


def test_too_large_an_expanded_weight_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(volume, "MAX_VOLUME_WEIGHTS", 64)
    with pytest.raises(ModelError, match=r"\(op conv\) cannot be proven yet: the 3-D kernel as "
                                         r"a 2-D one needs"):
        compile_circuit_only(tmp_path, CASES["c3d"]())
