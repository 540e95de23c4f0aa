"""The end-to-end harness of the inference tests: compile a float ONNX model with a fixed
calibration set, prove it on normal samples, compare the statement's outputs with the
integer executor run by run, verify, and (optionally) check that a flipped proof byte is
rejected; and the per-module caches of compiled test models."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import pytest
from inference_models import compile_cnn, save

import zkml
from zkml.errors import VerificationError


def input_dims(model: onnx.ModelProto) -> list[int]:
    """The first graph input's shape (one run, rows first)."""
    return [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]


def compile_float(tmp_path: Path, model: onnx.ModelProto, name: str, **opts):
    """Save `model` as `<name>.onnx` and `zkml.compile` it (16 normal calibration samples,
    seed 3; quantization warnings silenced). Returns (compiled model, input dims).

    Non-hiding unless `hiding=True` is passed: these tests are about the circuits, which
    kind 3 and kind 5 share, and kind 3 verifies several times faster."""
    opts.setdefault("hiding", False)
    dims = input_dims(model)
    cal = np.random.default_rng(3).normal(size=(16, *dims[1:]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return zkml.compile(save(model, tmp_path, f"{name}.onnx"), calibration=cal,
                            **opts), dims


def float_runs(cm, batch: int, seed: int | None = None) -> np.ndarray:
    """Normal float inputs for `batch` rows (seed `batch` unless given): a model whose
    input has R rows gets `batch // R` runs of R rows each (at least one)."""
    shape = tuple(cm.input_shape)
    runs = max(1, batch // shape[0])
    x = np.random.default_rng(batch if seed is None else seed).normal(size=(runs, *shape))
    return x[:, 0] if shape[0] == 1 else x


def expect_tampered_rejected(cm, proof: bytes, mask: int = 1, at: int = 2) -> None:
    """Flipping `mask` in the proof's byte `len // at` makes verification fail."""
    tampered = bytearray(proof)
    tampered[len(tampered) // at] ^= mask
    with pytest.raises(VerificationError):
        zkml.verify(bytes(tampered), cm.verifying_key)


def check_proof(cm, x: np.ndarray, output: str = "y", tamper: int | None = None,
                tamper_at: int = 2):
    """Prove the runs `x`; the statement's outputs equal the integer executor's output
    `output`, run by run; the proof verifies with the same outputs, inputs and key digest;
    with `tamper` (a byte mask), the proof with that mask flipped is rejected. Returns
    (proof result, verified statement)."""
    shape = tuple(cm.input_shape)
    result = zkml.prove(cm, x)
    expect = np.concatenate([
        cm.execute(cm.quantize_inputs(ex.reshape(shape))).outputs(cm.model)[output]
        .reshape(shape[0], -1) for ex in x])
    assert np.array_equal(result.outputs, expect)
    verified = zkml.verify(result.proof, cm.verifying_key)
    assert np.array_equal(np.array(verified.outputs), result.outputs)
    assert np.array_equal(np.array(verified.inputs), result.inputs)
    assert verified.vk_digest == cm.vk_digest
    if tamper is not None:
        expect_tampered_rejected(cm, result.proof, tamper, tamper_at)
    return result, verified


def prove_and_check(cm, batch: int, output: str = "y", tamper: int | None = None,
                    tamper_at: int = 2, seed: int | None = None):
    """`check_proof` on `float_runs(cm, batch, seed)`."""
    return check_proof(cm, float_runs(cm, batch, seed), output, tamper, tamper_at)


def case_cache(tmp_path_factory, cases: dict[str, Callable[[], onnx.ModelProto]],
               build: Callable = compile_cnn) -> Callable:
    """`get(name, *args)`: `build(work, cases[name](), name, *args)` once per module and
    key (a module-scoped fixture returns it)."""
    cache: dict = {}

    def get(name: str, *args):
        key = (name, *args)
        if key not in cache:
            cache[key] = build(tmp_path_factory.mktemp(name), cases[name](), name, *args)
        return cache[key]

    return get


def circuit_inputs(c, batch: int, seed: int = 0) -> np.ndarray:
    """Quantized inputs for circuit `c`: mostly moderate values, every fifth feature at an
    end of the input's range (saturation paths)."""
    half = 1 << (c.input_bits - 1)
    rng = np.random.default_rng(seed)
    x = rng.normal(0, half / 4, size=(batch, c.input_features))
    x[:, ::5] = rng.choice([-half, half - 1], size=x[:, ::5].shape)
    return np.clip(np.rint(x), -half, half - 1).astype(np.int64)


def committed_values(c, columns: list[np.ndarray]) -> list[dict[str, np.ndarray]]:
    """Each gadget's committed values, reassembled from its `limb_bits`-bit limb columns
    (every limb checked against its exact width; then only ArgMax's `d` limbs remain)."""
    from zkml.compiler.circuit import limb_widths

    out, i = [], 0
    for g in c.gadgets:
        vals = {}
        for name, width in g.value_widths():
            total = 0
            for j, w in enumerate(limb_widths(width, c.limb_bits)):
                col = columns[i + j]
                assert col.min() >= 0 and col.max() < 1 << w, f"{name} limb {j} out of range"
                total = total + (col << np.int64(c.limb_bits * j))
            vals[name] = total
            i += len(limb_widths(width, c.limb_bits))
        out.append(vals)
    assert i == len(columns) - len(limb_widths(c.d_bits, c.limb_bits))
    return out


def run_cli(args: list[str], capsys, *, stages: bool = False) -> tuple[int, str, str]:
    """`zkml ARGS` in process (warnings silenced): (exit code, stdout, stderr). The stage
    lines long commands print on stderr (`[zkml] compile: import ... 0.01 s`,
    zkml.progress) are left out of stderr unless `stages`."""
    from zkml.cli.main import main

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err if stages else without_stage_lines(out.err)


def without_stage_lines(err: str) -> str:
    """stderr without zkml.progress's stage lines."""
    return "".join(line for line in err.splitlines(keepends=True)
                   if not line.startswith("[zkml] "))
