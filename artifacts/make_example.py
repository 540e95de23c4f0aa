"""Generate the bundled example model: an MLP 64-32-32-10 trained on scikit-learn's digits.

    .venv/bin/python artifacts/make_example.py            # writes the files next to this script
    .venv/bin/python artifacts/make_example.py --prove    # ... and the .vk and .proof too

Writes (deterministically: fixed split, fixed training seed):

- digits_mlp.onnx: Gemm/Relu graph with named nodes (fc1, relu1, fc2, relu2, fc3); input
  "input" of shape (1, 64), pixels scaled to [0, 1] (the dataset's 0..16 divided by 16);
  output "logits" of shape (1, 10).
- digits_calibration.npy: 300 training samples, float32 (300, 64).
- digits_input.json: EZKL-style {"input_data": [[...64 floats...], ...]}, the first
  EXAMPLES test digits; their true labels are in digits_labels.json.

With --prove it also runs `zkml compile` and `zkml prove` on them and keeps the verifying
key (digits_mlp.vk, kind 6: hiding, the default) and the proof (digits_mlp.proof, kind
5); the compiled model goes to a temporary directory (it is not committed: it holds the
weights and the blinders). With --non-hiding the same is done with `zkml compile
--non-hiding` into tests/data/digits_mlp.kind4.vk and tests/data/digits_mlp.kind3.proof,
the non-hiding pair the tests replay beside the hiding one.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 0
HIDDEN = (32, 32)
CALIBRATION_SAMPLES = 300
EXAMPLES = 8


def load_split():
    """The digits dataset scaled to [0, 1], split 75/25 (stratified, seed SEED)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    return train_test_split(x, y, test_size=0.25, random_state=SEED, stratify=y)


def train(x_train: np.ndarray, y_train: np.ndarray):
    """An MLP with ReLU hidden layers, trained with Adam (seed SEED)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=HIDDEN, activation="relu", alpha=1e-3,
                        max_iter=400, random_state=SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x_train.astype(np.float64), y_train)
    return clf


def to_onnx(clf):
    """The classifier as an ONNX ModelProto: Gemm (+ Relu) per layer, named nodes."""
    from onnx import TensorProto, checker, helper, numpy_helper

    layers = list(zip(clf.coefs_, clf.intercepts_, strict=True))
    nodes, inits = [], []
    x = "input"
    for i, (w, b) in enumerate(layers, start=1):
        last = i == len(layers)
        inits += [numpy_helper.from_array(np.asarray(w, np.float32), f"fc{i}.weight"),
                  numpy_helper.from_array(np.asarray(b, np.float32), f"fc{i}.bias")]
        y = "logits" if last else f"fc{i}.out"
        nodes.append(helper.make_node("Gemm", [x, f"fc{i}.weight", f"fc{i}.bias"], [y],
                                      name=f"fc{i}", alpha=1.0, beta=1.0, transA=0, transB=0))
        if not last:
            x = f"relu{i}.out"
            nodes.append(helper.make_node("Relu", [y], [x], name=f"relu{i}"))
    n_in, n_out = clf.coefs_[0].shape[0], clf.coefs_[-1].shape[1]
    graph = helper.make_graph(
        nodes, "digits_mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, n_in])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, n_out])],
        initializer=inits,
    )
    model = helper.make_model(graph, producer_name="zkml-artifacts",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    checker.check_model(model, full_check=True)
    return model


def onnx_accuracy(path: Path, x: np.ndarray, y: np.ndarray) -> float:
    """Accuracy of the exported file under onnxruntime, one example at a time."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    preds = [int(sess.run(None, {"input": row[None, :]})[0].argmax()) for row in x]
    return float(np.mean(np.array(preds) == y))


def write_files(out: Path) -> dict:
    """Train, export and write the model, calibration and input files; returns a summary."""
    x_train, x_test, y_train, y_test = load_split()
    clf = train(x_train, y_train)
    model = to_onnx(clf)
    onnx_path = out / "digits_mlp.onnx"
    onnx_path.write_bytes(model.SerializeToString())
    np.save(out / "digits_calibration.npy", x_train[:CALIBRATION_SAMPLES])
    examples = x_test[:EXAMPLES]
    doc = {"input_data": [[float(v) for v in row] for row in examples]}
    (out / "digits_input.json").write_text(json.dumps(doc) + "\n")
    labels = {"labels": [int(v) for v in y_test[:EXAMPLES]]}
    (out / "digits_labels.json").write_text(json.dumps(labels) + "\n")
    return {
        "train_accuracy": float(clf.score(x_train, y_train)),
        "test_accuracy": float(clf.score(x_test, y_test)),
        "onnx_test_accuracy": onnx_accuracy(onnx_path, x_test, y_test),
        "test_samples": len(y_test),
    }


#: Where --non-hiding writes the non-hiding (kind 4 key, kind 3 proof) pair.
NON_HIDING_DIR = HERE.parent / "tests" / "data"


def prove_files(out: Path, *, non_hiding: bool = False) -> None:
    """`zkml compile` and `zkml prove` on the written files; keep the .vk and .proof (the
    hiding pair in `out`, or with `non_hiding` the kind-4 / kind-3 pair in
    NON_HIDING_DIR)."""
    zkml = [sys.executable, "-m", "zkml.cli.main"]
    if non_hiding:
        vk = NON_HIDING_DIR / "digits_mlp.kind4.vk"
        proof = NON_HIDING_DIR / "digits_mlp.kind3.proof"
    else:
        vk, proof = out / "digits_mlp.vk", out / "digits_mlp.proof"
    with tempfile.TemporaryDirectory() as tmp:
        compiled = Path(tmp) / "digits_mlp.zkmlc"
        subprocess.run([*zkml, "compile", str(out / "digits_mlp.onnx"), "--calibration",
                        str(out / "digits_calibration.npy"), "-o", str(compiled), "--vk",
                        str(vk), "--force", *(["--non-hiding"] if non_hiding else [])],
                       check=True)
        subprocess.run([*zkml, "prove", str(compiled), "--input", str(out / "digits_input.json"),
                        "-o", str(proof), "--force"], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output directory")
    parser.add_argument("--prove", action="store_true",
                        help="also compile and prove: write digits_mlp.vk and digits_mlp.proof")
    parser.add_argument("--non-hiding", action="store_true",
                        help="also compile --non-hiding and prove: write the kind-4 key and "
                             "kind-3 proof into tests/data")
    args = parser.parse_args(argv)
    summary = write_files(args.out)
    print(f"float accuracy: train {summary['train_accuracy']:.4f}, test "
          f"{summary['test_accuracy']:.4f} (onnxruntime {summary['onnx_test_accuracy']:.4f}) "
          f"on {summary['test_samples']} test digits")
    if args.prove:
        prove_files(args.out)
    if args.non_hiding:
        prove_files(args.out, non_hiding=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
