"""Models and datasets of the unlearning tests: a provider's MLP trained on part of
scikit-learn's digits (or diabetes), the client's copy fine-tuned on its own part, both
exported to ONNX by hand (Gemm / Relu, named nodes), every split and seed fixed."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SEED = 0


def to_onnx(coefs, intercepts, path: Path, n_in: int) -> Path:
    """Gemm (+ Relu) per layer: nodes fc1.., weights fc{i}.weight (in, out)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits, x = [], [], "input"
    layers = list(zip(coefs, intercepts, strict=True))
    for i, (w, b) in enumerate(layers, start=1):
        last = i == len(layers)
        inits += [numpy_helper.from_array(np.asarray(w, np.float32), f"fc{i}.weight"),
                  numpy_helper.from_array(np.asarray(b, np.float32), f"fc{i}.bias")]
        y = "out" if last else f"fc{i}.out"
        nodes.append(helper.make_node("Gemm", [x, f"fc{i}.weight", f"fc{i}.bias"], [y],
                                      name=f"fc{i}"))
        if not last:
            x = f"relu{i}.out"
            nodes.append(helper.make_node("Relu", [y], [x], name=f"relu{i}"))
    n_out = np.asarray(coefs[-1]).shape[1]
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, n_in])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, n_out])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


@dataclass
class Case:
    """Paths and arrays of one scenario."""

    provider_onnx: Path
    client_onnx: Path
    forget: Path       # provider's forget set (.npz)
    retain: Path       # provider's retain set
    client: Path       # the client's own data
    test: tuple[np.ndarray, np.ndarray]
    client_data: tuple[np.ndarray, np.ndarray]
    forget_class: int | None


def _save(path: Path, x: np.ndarray, y: np.ndarray) -> Path:
    np.savez(path, x=x, y=y)
    return path


def digits_case(tmp: Path, forget_class: int = 3) -> Case:
    """Provider: MLP 64-32-10 on 900 digits; client: the same fine-tuned on 500 others
    (a few epochs at a small learning rate); test: the remaining 397."""
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    order = np.random.default_rng(SEED).permutation(len(y))
    x, y = x[order], y[order]
    xp, yp, xc, yc, xt, yt = x[:900], y[:900], x[900:1400], y[900:1400], x[1400:], y[1400:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier(hidden_layer_sizes=(32,), alpha=1e-3, max_iter=300,
                            random_state=SEED).fit(xp, yp)
        p_onnx = to_onnx(clf.coefs_, clf.intercepts_, tmp / "provider.onnx", 64)
        clf.set_params(warm_start=True, max_iter=20, learning_rate_init=3e-4)
        clf.fit(xc, yc)
    c_onnx = to_onnx(clf.coefs_, clf.intercepts_, tmp / "client.onnx", 64)
    f = yp == forget_class
    return Case(p_onnx, c_onnx, _save(tmp / "forget.npz", xp[f], yp[f]),
                _save(tmp / "retain.npz", xp[~f], yp[~f]), _save(tmp / "client.npz", xc, yc),
                (xt, yt), (xc, yc), forget_class)


def diabetes_case(tmp: Path) -> Case:
    """Provider: MLP 10-32-1 regressor on 250 of the diabetes samples (targets / 100);
    forget set: the 30 of them with the largest targets; client: the same model fine-tuned
    on 150 others; test: the remaining 42."""
    from sklearn.datasets import load_diabetes
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    x, y = load_diabetes(return_X_y=True)
    x, y = x * 4.0, y / 100.0
    order = np.random.default_rng(SEED).permutation(len(y))
    x, y = x[order], y[order]
    xp, yp, xc, yc, xt, yt = x[:250], y[:250], x[250:400], y[250:400], x[400:], y[400:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = MLPRegressor(hidden_layer_sizes=(32,), alpha=1e-3, max_iter=800,
                           learning_rate_init=3e-3, random_state=SEED).fit(xp, yp)
        p_onnx = to_onnx(reg.coefs_, reg.intercepts_, tmp / "provider.onnx", 10)
        reg.set_params(warm_start=True, max_iter=20, learning_rate_init=3e-4)
        reg.fit(xc, yc)
    c_onnx = to_onnx(reg.coefs_, reg.intercepts_, tmp / "client.onnx", 10)
    f = np.zeros(len(yp), dtype=bool)
    f[np.argsort(-yp, kind="stable")[:30]] = True
    return Case(p_onnx, c_onnx, _save(tmp / "forget.npz", xp[f], yp[f]),
                _save(tmp / "retain.npz", xp[~f], yp[~f]), _save(tmp / "client.npz", xc, yc),
                (xt, yt), (xc, yc), None)


@dataclass
class Flow:
    """One register -> request -> apply run and everything it wrote."""

    case: Case
    dir: Path
    compiled: Path
    request: Path
    record: Path
    result: object


def run_flow(tmp: Path, case: Case, layer: str | None = None, fraction: float = 0.10,
             reserve: str | None = None) -> Flow:
    """Compile the client's ONNX (hiding; with `reserve`, that weight keeps its extra bit:
    `--unlearnable`), register its data, make the provider's request for `layer` and
    apply it."""
    import zkml
    from zkml.unlearn.apply import apply_update
    from zkml.unlearn.data import load_dataset
    from zkml.unlearn.register import register
    from zkml.unlearn.request import make_request

    compiled = tmp / "client.zkmlc"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zkml.compile(case.client_onnx, calibration=case.client_data[0][:300].astype(np.float32),
                     output_path=compiled, vk_path=tmp / "client.vk",
                     unlearnable=[reserve] if reserve else [])
    _, record, _ = register(compiled, case.client)
    req = make_request(case.provider_onnx, load_dataset(case.forget, "forget set"),
                       load_dataset(case.retain, "retain set"), layer=layer,
                       fraction=fraction)
    req_path = tmp / "request.bin"
    req_path.write_bytes(req.to_bytes())
    result = apply_update(compiled, req_path, case.client, record, tmp / "update")
    return Flow(case, tmp, compiled, req_path, record, result)
