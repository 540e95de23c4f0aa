"""An MLP trained on scikit-learn's digits: quantized accuracy within 1 point of float."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from onnx import TensorProto, helper
from quant_models import f32, make_model, ort_run, save

from zkml.compile_api import compile_model


@pytest.fixture(scope="module")
def digits_mlp():
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0,
                                                        stratify=y)
    clf = MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x_train, y_train)
    (w1, w2), (b1, b2) = clf.coefs_, clf.intercepts_
    # What a hand conversion looks like: Gemm, Relu, Gemm, then Softmax and ArgMax heads.
    nodes = [
        helper.make_node("Gemm", ["input", "W1", "b1"], ["hidden"], name="fc1"),
        helper.make_node("Relu", ["hidden"], ["hidden_relu"], name="relu1"),
        helper.make_node("Gemm", ["hidden_relu", "W2", "b2"], ["logits"], name="fc2"),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1, name="softmax"),
        helper.make_node("ArgMax", ["logits"], ["label"], axis=1, keepdims=0, name="argmax"),
    ]
    model = make_model(nodes, {"input": ["N", 64]},
                       {"probabilities": TensorProto.FLOAT, "label": TensorProto.INT64},
                       {"W1": f32(w1), "b1": f32(b1), "W2": f32(w2), "b2": f32(b2)})
    return model, clf, (x_train, x_test, y_train, y_test)


def _quantized_accuracy(cm, x_test, y_test) -> float:
    labels = np.array([cm.run(row[None, :])["label"][0] for row in x_test])
    return float(np.mean(labels == y_test))


@pytest.mark.parametrize("precision", ["balanced", "high"])
def test_digits_quantized_accuracy_within_one_point(tmp_path, digits_mlp, precision):
    model, clf, (x_train, x_test, y_train, y_test) = digits_mlp
    path = save(model, tmp_path, "digits.onnx")
    cm = compile_model(path, calibration=x_train[:300], input_shape=(1, 64), precision=precision,
                       output_path=tmp_path / "digits.zkml")
    float_acc = float(np.mean(clf.predict(x_test) == y_test))
    ort_acc = float(np.mean(ort_run(model, {"input": x_test})["label"] == y_test))
    q_acc = _quantized_accuracy(cm, x_test, y_test)
    print(f"digits {precision}: float {float_acc:.4f} onnxruntime {ort_acc:.4f} "
          f"quantized {q_acc:.4f}")
    assert abs(ort_acc - float_acc) < 1e-9
    assert q_acc >= float_acc - 0.01
    report = cm.fidelity["outputs"]
    assert report["label"]["argmax_agreement"] >= 0.99
    assert report["probabilities"]["max_abs_error"] < 0.02


def test_digits_small_precision_still_reports(tmp_path, digits_mlp):
    model, clf, (x_train, x_test, _, y_test) = digits_mlp
    path = save(model, tmp_path, "digits.onnx")
    cm = compile_model(path, calibration=x_train[:300], input_shape=(1, 64), precision="small")
    q_acc = _quantized_accuracy(cm, x_test, y_test)
    float_acc = float(np.mean(clf.predict(x_test) == y_test))
    print(f"digits small: float {float_acc:.4f} quantized {q_acc:.4f}")
    assert q_acc >= float_acc - 0.05
    # Only the softmax denominator (a sum of 10 exps) is wider than 8 bits.
    sums = {op.output for op in cm.model.ops if op.op == "reduce_sum"}
    assert all(t.bits <= 8 for t in cm.model.tensors.values()
               if t.role == "activation" and t.name not in sums)
