"""The attacks' models: a 2-layer MLP (4 -> 6 -> 3, 51 weights and biases) with fixed
weights, and its twin whose hidden units are permuted. The twin computes the same
function with other weight matrices and the same quantization scales, so on every input
both give the same output: the statement of a proof is the same for both, and a proof
that reveals nothing but its statement cannot tell them apart."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from inference_models import f32, make_model, save
from onnx import helper

import zkml
from zkml.compiled_model import CompiledModel
from zkml.verifier import VerifyingKey
from zkml.verifier.field import R

#: the MLP's widths
DIMS = (4, 6, 3)
#: the permutation of the twin's hidden units
PERM = (3, 0, 5, 1, 4, 2)


def mlp_weights(seed: int = 7) -> dict[str, np.ndarray]:
    """Gemm weights (in x out) and biases of the MLP, from a fixed seed."""
    rng = np.random.default_rng(seed)
    a, h, o = DIMS
    return {"W0": f32(rng.normal(0, 0.7, size=(a, h))), "b0": f32(rng.normal(0, 0.1, size=h)),
            "W1": f32(rng.normal(0, 0.6, size=(h, o))), "b1": f32(rng.normal(0, 0.1, size=o))}


def permuted(w: dict[str, np.ndarray], perm=PERM) -> dict[str, np.ndarray]:
    """The same function with the hidden units reordered."""
    p = list(perm)
    return {"W0": w["W0"][:, p], "b0": w["b0"][p], "W1": w["W1"][p, :], "b1": w["b1"]}


def onnx_mlp(w: dict[str, np.ndarray]):
    """Gemm, Relu, Gemm with the given weights."""
    nodes = [helper.make_node("Gemm", ["x", "W0", "b0"], ["h0"], name="fc0"),
             helper.make_node("Relu", ["h0"], ["a0"], name="relu0"),
             helper.make_node("Gemm", ["a0", "W1", "b1"], ["y"], name="fc1")]
    return make_model(nodes, {"x": [1, DIMS[0]]}, ["y"], w)


def calibration() -> np.ndarray:
    """Calibration inputs (fixed seed)."""
    return np.random.default_rng(1).normal(size=(64, DIMS[0]))


def inputs(n: int, seed: int = 2) -> np.ndarray:
    """`n` inputs for proofs (fixed seed)."""
    return np.random.default_rng(seed).normal(size=(n, DIMS[0]))


def compile_mlp(directory: Path, name: str, w: dict[str, np.ndarray], *,
                hiding: bool) -> CompiledModel:
    """`zkml.compile` of the MLP with weights `w` (kind 6 key with `hiding`, else kind 4)."""
    path = save(onnx_mlp(w), directory, f"{name}.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return zkml.compile(path, calibration=calibration(), hiding=hiding)


@dataclass(frozen=True)
class Models:
    """The MLP (`a*`) and its twin (`b*`), compiled with hiding (`*5`) and without (`*3`)."""

    a3: CompiledModel
    a5: CompiledModel
    b3: CompiledModel
    b5: CompiledModel


def build_models(directory: Path) -> Models:
    w = mlp_weights()
    tw = permuted(w)
    return Models(compile_mlp(directory, "a3", w, hiding=False),
                  compile_mlp(directory, "a5", w, hiding=True),
                  compile_mlp(directory, "b3", tw, hiding=False),
                  compile_mlp(directory, "b5", tw, hiding=True))


def model_stack(cm: CompiledModel) -> list[int]:
    """The true model stack (the quantized weights and biases at their offsets), as
    field elements."""
    return [int(v) % R for v in cm.compiled_circuit.model_stack]


def vk_of(cm: CompiledModel) -> VerifyingKey:
    """The compiled model's verifying key, parsed."""
    return VerifyingKey.from_bytes(cm.verifying_key)


def signed(v: int) -> int:
    """A field element as the small signed integer it encodes."""
    return v - R if v > R // 2 else v


def prove(cm: CompiledModel, x: np.ndarray) -> bytes:
    """One proof of `x` (one example)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return zkml.prove(cm, x.reshape(1, -1)).proof
