"""CNNs exported by PyTorch's own ONNX exporter (tests/torch_models/export.py; the .onnx
files are committed) compile, prove and verify, and the proof's outputs are the
integer executor's, close to the float model's."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import zkml
from zkml.errors import VerificationError

HERE = Path(__file__).resolve().parent
SHAPES = {"lenet_avg": (1, 28, 28), "lenet_max": (1, 28, 28),
          "residual_cnn": (3, 16, 16), "conv1d": (2, 64)}


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
                          output_path=work / f"{name}.zkmlc", vk_path=work / f"{name}.vk")
    return name, cm


@pytest.mark.parametrize("batch", [1, 3])
def test_torch_export_proves_and_verifies(compiled, batch):
    name, cm = compiled
    x = np.random.default_rng(batch).normal(size=(batch, *SHAPES[name]))
    result = zkml.prove(cm, x)
    expect = np.concatenate([cm.execute(cm.quantize_inputs(row[None])).outputs(cm.model)
                             ["output"].reshape(1, -1) for row in x])
    assert np.array_equal(result.outputs, expect)
    verified = zkml.verify(result.proof, cm.verifying_key)
    assert np.array_equal(np.array(verified.outputs), result.outputs)
    floats = _float_outputs(HERE / f"{name}.onnx", x)
    scale = np.abs(floats).max()
    assert np.abs(np.asarray(verified.outputs_float) - floats).max() < 0.05 * scale
    assert (np.asarray(verified.predictions) == floats.argmax(axis=1)).mean() >= 2 / 3


def test_tampered_cnn_proof_is_rejected(compiled):
    name, cm = compiled
    x = np.random.default_rng(11).normal(size=(1, *SHAPES[name]))
    proof = bytearray(zkml.prove(cm, x).proof)
    proof[len(proof) // 2] ^= 4
    with pytest.raises(VerificationError):
        zkml.verify(bytes(proof), cm.verifying_key)
