"""The fuzz corpus: verifying keys and proofs of several models, made by the real prover
in the test session (tests only).

Models: the bundled digits MLP, a CNN with max pooling, a CNN with average pooling, an
MLP with Sigmoid and GELU tables, an MLP ending in Softmax, and an MLP with an ArgMax
output; each has its key and proofs at batch sizes 1 and 2, so splices cross models and
batch sizes. Every artifact is verified once and its fields traced (mutate.trace_fields).
`foundation()` adds kind-1 and kind-2 artifacts (batch openings, a product sumcheck) made
by the tests' Python reference prover.
"""

from __future__ import annotations

import random
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from mutate import Artifact, trace_fields

import zkml
from zkml.verifier import InferenceVerifier, VerifyingKey, verify_artifact

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests" / "inference"), str(ROOT / "tests" / "verifier")]
try:
    from harness import compile_float, float_runs
    from inference_models import Net, act_mlp, mlp, softmax_mlp, with_argmax
    from reference_prover import RefStack, kind1_artifact, kind2_artifact, rand_point, rand_table
finally:
    del sys.path[:2]

__all__ = ["Model", "build_corpus", "foundation", "BATCHES", "MODEL_NAMES"]

BATCHES = (1, 2)

#: Small shapes: each compiles in well under a second and proves in tens of milliseconds.
_BUILDERS = {
    "cnn_max": lambda: Net([1, 1, 6, 6], seed=7).conv(2, 3, pads=[1, 1, 1, 1]).relu()
    .pool("max", 2).flatten().gemm(3).model(),
    "cnn_avg": lambda: Net([1, 2, 5, 5], seed=8).conv(2, 3).relu()
    .pool("avg", 2, strides=[1, 1]).flatten().gemm(3).model(),
    "tables": lambda: act_mlp(["Sigmoid", "Gelu"], dims=(4, 6, 5, 3)),
    "softmax": lambda: softmax_mlp([4, 6, 3]),
    "argmax": lambda: with_argmax(mlp([5, 6, 3], seed=4)),
}


@dataclass(frozen=True)
class Model:
    """One model's key and proofs (batch -> proof), each traced."""

    name: str
    key: Artifact
    proofs: dict[int, Artifact]
    vk: VerifyingKey

    @property
    def artifacts(self) -> list[Artifact]:
        return [self.key, *self.proofs.values()]


def _digits(tmp: Path):
    cal = np.load(ROOT / "artifacts" / "digits_calibration.npy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # kind 4 / kind 3: the field traces below are of the non-hiding layouts
        cm = zkml.compile(ROOT / "artifacts" / "digits_mlp.onnx", calibration=cal,
                          hiding=False)
    return cm, lambda b: cal[:b]


def _model(name: str, cm, runs) -> Model:
    key_bytes = bytes(cm.verifying_key)
    key = Artifact(f"{name}.vk", key_bytes, trace_fields(key_bytes, VerifyingKey.from_bytes))
    vk = VerifyingKey.from_bytes(key_bytes)
    inner = InferenceVerifier(vk)
    proofs = {}
    for b in BATCHES:
        proof = bytes(zkml.prove(cm, runs(b)).proof)
        proofs[b] = Artifact(f"{name}.b{b}.proof", proof, trace_fields(proof, inner.verify))
    return Model(name, key, proofs, vk)


def build_corpus(tmp: Path) -> list[Model]:
    """Compile, prove and trace every corpus model (a few seconds in all)."""
    models = [_model("digits", *_digits(tmp / "digits"))]
    for name, build in _BUILDERS.items():
        (tmp / name).mkdir(parents=True, exist_ok=True)
        cm, _ = compile_float(tmp / name, build(), name)
        models.append(_model(name, cm, lambda b, cm=cm: float_runs(cm, b)))
    return models

#: Every corpus model's name, for test parametrization (the digits MLP first).
MODEL_NAMES = ("digits", *_BUILDERS)


def foundation() -> list[Artifact]:
    """Kind-1 artifacts (one stack; two stacks of other shapes, two claims on one) and a
    kind-2 artifact, each verified and traced (seeded: the same bytes every run)."""
    rng = random.Random(29)
    stacks = [[(4, 2, 1)], [(3, 1, 2), (5, 3, 1)]]
    out = []
    for i, shapes in enumerate(stacks):
        data = kind1_artifact([RefStack(rand_table(rng, n), n, c,
                                        [rand_point(rng, n) for _ in range(k)])
                               for n, c, k in shapes])
        out.append(Artifact(f"kind1.{i}", data, trace_fields(data, verify_artifact)))
    f, g = rand_table(rng, 4, small=True), rand_table(rng, 4, small=True)
    data = kind2_artifact(f, g, 4, 2)
    out.append(Artifact("kind2", data, trace_fields(data, verify_artifact)))
    return out
