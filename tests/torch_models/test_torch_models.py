"""CNNs exported by PyTorch's own ONNX exporter (tests/torch_models/export.py; the .onnx
files are committed) compile, prove and verify, and the proof's outputs are the
integer executor's, close to the float model's."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import zkml

HERE = Path(__file__).resolve().parent
SHAPES = {"lenet_avg": (1, 28, 28), "lenet_max": (1, 28, 28),
          "residual_cnn": (3, 16, 16), "conv1d": (2, 64), "smooth_cnn": (3, 14, 14),
          "softmax_cnn": (1, 12, 12), "stem_cnn": (3, 14, 14), "branch_cnn": (3, 12, 12),
          "modern_cnn": (3, 12, 12), "video3d": (2, 6, 8, 8)}
#: Models that need circuits/nonlinear.md (function tables, spatial sums with divisors).
NONLINEAR = {"smooth_cnn", "softmax_cnn", "branch_cnn"}
#: Models that end in Softmax (nonlinear.md sections 6-7: rowmax, rowdiv).
SOFTMAX = {"softmax_cnn"}
#: Models with general pooling windows (conv.md section 5: winsum, winmax).
WINDOWS = {"stem_cnn"}
#: Models with an added constant and a concatenation (nonlinear.md sections 8, 10, 11:
#: GELU in its Erf form, torch.cat of two conv branches).
COMBINE = {"branch_cnn"}

sys.path.insert(0, str(HERE.parent / "inference"))
try:
    from harness import check_proof, expect_tampered_rejected
finally:
    sys.path.pop(0)


def _float_outputs(path: Path, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return np.concatenate([sess.run(None, {"input": row[None].astype(np.float32)})[0]
                           for row in x])


@pytest.fixture(scope="module", params=list(SHAPES))
def compiled(request, tmp_path_factory):
    name = request.param
    rng = np.random.default_rng(7)
    cal = rng.normal(size=(16, *SHAPES[name]))
    work = tmp_path_factory.mktemp(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cm = zkml.compile(HERE / f"{name}.onnx", calibration=cal,
                          output_path=work / f"{name}.zkmlc", vk_path=work / f"{name}.vk",
                          hiding=False)
    return name, cm


@pytest.mark.parametrize("batch", [1, 3])
def test_torch_export_proves_and_verifies(compiled, batch):
    name, cm = compiled
    x = np.random.default_rng(batch).normal(size=(batch, *SHAPES[name]))
    _, verified = check_proof(cm, x, output="output")
    floats = _float_outputs(HERE / f"{name}.onnx", x)
    scale = np.abs(floats).max()
    assert np.abs(np.asarray(verified.outputs_float) - floats).max() < 0.05 * scale
    assert (np.asarray(verified.predictions) == floats.argmax(axis=1)).mean() >= 2 / 3


def test_tampered_cnn_proof_is_rejected(compiled):
    name, cm = compiled
    x = np.random.default_rng(11).normal(size=(1, *SHAPES[name]))
    expect_tampered_rejected(cm, zkml.prove(cm, x).proof, mask=4)


@pytest.mark.parametrize("name", list(SHAPES))
def test_torch_export_compiles_and_witness_matches_executor(name, tmp_path):
    """Without the native prover: the circuit compiles and its witness (checked against the
    integer executor inside `build_witness`) builds for a batch of 3."""
    from zkml.compile_api import compile_model
    from zkml.compiler.build import compile_circuit
    from zkml.witness import build_witness

    cal = np.random.default_rng(7).normal(size=(16, *SHAPES[name]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = compile_model(HERE / f"{name}.onnx", calibration=cal)
    cc = compile_circuit(base.model)
    ops = {g.op for g in cc.circuit.gadgets}
    if name in SOFTMAX:
        assert [g.op for g in cc.circuit.gadgets][-5:] == ["rowmax", "add", "table",
                                                           "spatialsum", "rowdiv"]
        gap = next(g for g in cc.circuit.gadgets if g.op == "spatialsum")
        assert gap.producer.in_shape == (8, 5, 5) and gap.divisor == 25
        assert cc.circuit.output.op == "rowdiv" and cc.circuit.output_features == 10
    elif name in WINDOWS:
        wins = [g for g in cc.circuit.gadgets if g.op in ("winmax", "winsum")]
        assert [g.op for g in wins] == ["winmax", "winsum"]
        mx, avg = wins
        p = mx.producer
        assert (p.kernel, p.strides, p.pads, p.out_shape) == ((3, 3), (2, 2), (1, 1), (8, 7, 7))
        p = avg.producer
        assert (p.kernel, p.strides, p.pads, avg.divisor) == ((3, 3), (1, 1), (1, 1), 9)
    elif name in COMBINE:
        ops_list = [g.op for g in cc.circuit.gadgets]
        assert {"table", "addconst", "mul", "concat", "spatialsum"} <= ops
        i = ops_list.index("table")
        assert ops_list[i + 1] == "addconst" and "mul" in ops_list[i + 2 : i + 4]
        cat = next(g for g in cc.circuit.gadgets if g.op == "concat")
        assert cat.producer.shapes == ((3, 12, 12), (2, 12, 12))
        assert cat.producer.concat_shape == (5, 12, 12)
    elif name == "modern_cnn":
        # SE gate broadcast, channel shuffle, per-channel BN, averages per divisor, the
        # ceil-mode max, the per-pixel Softmax as grouped rows (4 classes per pixel).
        assert {"rearrange", "mul", "winmax", "rowmax", "rowdiv", "addconst"} <= ops
        assert sum(g.op == "winsum" for g in cc.circuit.gadgets) == 3
        rm = next(g for g in cc.circuit.gadgets if g.op == "rowmax")
        assert rm.features == 6 * 6 and rm.producer.n == 4  # 12x12 -> ceil((12 - 3) / 2) + 1 = 6
    elif name == "video3d":
        convs = [g for g in cc.circuit.gadgets if g.op == "conv"]
        assert [g.producer.in_shape for g in convs] == [(2 * 6, 8, 8), (4 * 3, 4, 4)]
    elif name in NONLINEAR:
        assert {"table", "spatialsum"} <= ops
        ssum = next(g for g in cc.circuit.gadgets if g.op == "spatialsum")
        assert ssum.producer.in_shape == (8, 7, 7) and ssum.divisor == 49
    x = np.random.default_rng(1).normal(size=(3, *SHAPES[name]))
    q = np.concatenate([next(iter(base.quantize_inputs(row[None]).values())).reshape(1, -1)
                        for row in x])
    w = build_witness(cc, base.model, q)
    assert w.outputs.shape == (3, cc.circuit.output_features)
