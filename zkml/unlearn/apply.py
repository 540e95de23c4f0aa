"""The client's `zkml unlearn apply` (circuits/unlearning.md sections 3 and 7): the
update of one layer of a compiled model, the updated compiled model and its key (same
circuit; changed Hyrax rows freshly blinded, the others keep their blinders), the update
witness for the future prover (0600) and the unverified report."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zkml.errors import FileError, InputError, ModelError, OutputExistsError
from zkml.unlearn.request import Request

__all__ = ["apply_update", "UpdateResult", "run_model", "default_update_dir"]

WITNESS_FORMAT = "zkml-unlearn-witness"
REPORT_FORMAT = "zkml-unlearn-report"


@dataclass
class UpdateResult:
    """What apply wrote (paths) and its report (a dict, also in report.json)."""

    directory: Path
    model: Path
    vk: Path
    witness: Path
    report_path: Path
    report: dict


def default_update_dir(model: str | os.PathLike[str], req: Request) -> Path:
    """MODEL.zkmlc -> MODEL.unlearn-<request id>/ beside it."""
    p = Path(model)
    return p.with_name(f"{p.stem}.unlearn-{req.request_id}")


def run_model(qmodel, xq: np.ndarray, tensors: list[str]) -> dict[str, np.ndarray]:
    """Run the integer executor on every row of `xq` (one sample per run, as compiled);
    returns each named tensor stacked over the samples, flattened per sample."""
    from zkml.quant.executor import execute

    name = qmodel.inputs[0]
    shape = qmodel.tensor(name).shape
    out: dict[str, list] = {t: [] for t in tensors}
    for row in xq:
        trace = execute(qmodel, {name: row.reshape(shape)})
        for t in tensors:
            out[t].append(trace.tensors[t].reshape(-1))
    return {t: np.stack(v) for t, v in out.items()}


def _find_layer(qmodel, req: Request):
    """The side-right matmul op whose weight is the request's, with the right shape."""
    for op in qmodel.ops:
        if op.op == "matmul" and len(op.inputs) > 1 and op.inputs[1] == req.weight:
            w = qmodel.tensor(req.weight)
            if op.attrs.get("side") != "right" or w.shape != (req.d_in, req.d_out):
                raise ModelError(f"layer {req.weight} of the compiled model has shape "
                                 f"{w.shape}; the request is for ({req.d_in}, {req.d_out})")
            return op
    raise ModelError(f"the compiled model has no dense layer with weight {req.weight!r} "
                     "(the request's layer)")


def _check_opening(cm, lineage, opening, xq, y) -> None:
    head = lineage.head
    if head.vk_new != cm.vk_digest.hex():
        raise InputError("the lineage's head is another key than this compiled model's")
    if opening.c_d.hex() != lineage.registration.c_d or opening.vk_digest != \
            bytes.fromhex(lineage.registration.vk):
        raise InputError("the data opening is not the registered data commitment's")
    if opening.x.shape != xq.shape or not np.array_equal(opening.x, xq) or \
            not np.array_equal(opening.y, y):
        raise InputError("the client data is not the registered data (it differs from the "
                         "opening)")
    if opening.commitments(cm.circuit.to_bytes()) != (opening.c_x, opening.c_y):
        raise InputError("the data opening's commitments do not match its values and "
                         "blinders")


def _rebuild(cm, weight: str, w_new: np.ndarray):
    """The updated compiled model: the IR with one weight replaced, its circuit rebuilt
    from the IR (never from ONNX) and required byte-identical, fresh blinders for the
    changed Hyrax rows only, and the hiding key."""
    from zkml.artifacts import parse_verifying_key
    from zkml.compiled_model import CompiledModel
    from zkml.compiler.build import compile_circuit
    from zkml.prover import build_hiding_verifying_key, draw_model_blinders, frs_bytes

    old_cc = cm.require_circuit()
    q = dataclasses.replace(cm.model, constants={**cm.model.constants, weight: w_new},
                            cache={})
    cc = compile_circuit(q)
    cj = cc.circuit.to_bytes()
    if cj != old_cc.circuit.to_bytes() or cc.meta_json() != old_cc.meta_json():
        raise ModelError("the updated weights change the circuit; the update is refused")
    changed = np.nonzero(cc.model_stack != old_cc.model_stack)[0]
    log_cols = cc.circuit.model_stack.log_cols
    rows = sorted({int(i) >> log_cols for i in changed})
    old = [int.from_bytes(cm.model_blinders[i:i + 32], "big")
           for i in range(0, len(cm.model_blinders), 32)]
    fresh = draw_model_blinders(cj)
    blinders = [fresh[i] if i in set(rows) else b for i, b in enumerate(old)]
    vk = build_hiding_verifying_key(cj, cc.model_stack, blinders)
    new = CompiledModel(q, cm.fidelity, cm.source, cm.extra_sections, compiled_circuit=cc,
                        commitment=parse_verifying_key(vk).commitment, verifying_key=vk,
                        model_blinders=frs_bytes(blinders))
    return new, rows


def _metrics(cm, xq: np.ndarray, y: np.ndarray, kind: int, c: int) -> dict:
    """Own-data metrics of a compiled model's integer execution: accuracies for class
    labels (`y` int), the mean squared error for real targets (`y` float)."""
    return _metrics_of(cm, xq, y, kind, c)


def _metrics_of(cm, xq: np.ndarray, y: np.ndarray, kind: int, c: int) -> dict:
    """Own-data metrics of a compiled model's integer execution."""
    out_name = next(iter(cm.model.outputs.values()))
    t = cm.model.tensor(out_name)
    outs = run_model(cm.model, xq, [out_name])[out_name] * 2.0 ** -t.frac_bits
    if kind == 0:
        pred = outs.argmax(axis=1)
        keep = y != c
        res = {"retain_accuracy": float(np.mean(pred[keep] == y[keep])) if keep.any() else None}
        if c >= 0 and (~keep).any():
            res["forget_class_accuracy"] = float(np.mean(pred[~keep] == y[~keep]))
        return res
    return {"mse": float(np.mean((outs[:, 0] - y) ** 2))}


def apply_update(model: str | os.PathLike[str], request: str | os.PathLike[str],
                 data: str | os.PathLike[str], record: str | os.PathLike[str],
                 out_dir: str | os.PathLike[str] | None = None, *,
                 test: str | os.PathLike[str] | None = None) -> UpdateResult:
    """Apply the request to the compiled model and write UPDATE_DIR (module doc).

    `test`: the client's own held-out data (.npz with x and y), whose metrics the report
    adds beside the registered data's (neither is proven)."""
    from zkml.compiled_model import CompiledModel
    from zkml.unlearn.data import load_dataset
    from zkml.unlearn.files import check_new
    from zkml.unlearn.lineage import Lineage
    from zkml.unlearn.register import (
        DataOpening,
        input_format,
        opening_path,
        quantize_dataset,
    )
    from zkml.unlearn.solve import solve_layer

    req = Request.load(request)
    out = Path(out_dir) if out_dir is not None else default_update_dir(model, req)
    check_new(out, "update directory")
    lineage = Lineage.load(record)
    opening = DataOpening.load(opening_path(record))
    cm = CompiledModel.load(model)
    if not cm.hiding:
        raise ModelError("apply needs a hiding model; this one was compiled non-hiding "
                         "(hiding=False in Python, --non-hiding on the command line)")
    features, _, _ = input_format(cm)
    ds = load_dataset(data, "client data", features)
    xq, y, kind = quantize_dataset(cm, ds)
    _check_opening(cm, lineage, opening, xq, y)
    if req.forget_class >= 0 and kind != 0:
        raise InputError("a class request needs class labels in the client's data")
    outputs = int(np.prod(cm.model.tensor(next(iter(cm.model.outputs.values()))).shape))
    if req.forget_class >= outputs:
        raise InputError(f"the request forgets class {req.forget_class}; the model has "
                         f"{outputs} outputs (a request for another model?)")
    op = _find_layer(cm.model, req)
    xt, wt = cm.model.tensor(op.inputs[0]), cm.model.tensor(req.weight)
    x = run_model(cm.model, xq, [op.inputs[0]])[op.inputs[0]]
    s = (y != req.forget_class) if req.forget_class >= 0 else np.ones(len(y), dtype=bool)
    theta = cm.model.constants[req.weight].T.astype(np.int64)
    up = solve_layer(req, theta, x, s.astype(np.int64), xt.bits, xt.frac_bits, wt.bits,
                     wt.frac_bits)
    new, rows = _rebuild(cm, req.weight, np.ascontiguousarray(up.theta_new.T))
    report = _report(cm, new, req, up, rows, xq, y if kind == 0 else ds.y, kind)
    if test is not None:
        tds = load_dataset(test, "test data", features)
        txq = quantize_dataset(cm, tds)[0]
        report["test_before"] = _metrics(cm, txq, tds.y, kind, req.forget_class)
        report["test_after"] = _metrics(new, txq, tds.y, kind, req.forget_class)
    witness = _witness(cm, new, req, up, rows, lineage, op.inputs[0])
    return _write(out, new, witness, report)


def _report(cm, new, req: Request, up, rows: list[int], xq, y, kind: int) -> dict:
    from zkml.unlearn.solve import layer_guarantee

    c = req.forget_class
    return {
        "format": REPORT_FORMAT, "version": 1,
        "unverified": "computed by the client on its own data; no proof backs these "
                      "numbers yet (the unlearning proof is not built)",
        "request_id": req.request_id, "layer": req.weight,
        "forget": {"class": c} if c >= 0 else {"samples": True,
                                              "note": "sample forgetting has no "
                                              "disjointness check on C_D"},
        "mask_size": int(req.mask.sum()), "layer_weights": req.d_out * req.d_in,
        "affected_blocks": len(up.blocks), "changed_rows": len(rows),
        "weights_changed": int((up.theta_new != cm.model.constants[req.weight].T).sum()),
        "samples_weighted_in": up.formats.n,
        "guarantee": layer_guarantee(up, req.lam, req.tau, req.mu_max),
        "before": _metrics(cm, xq, y, kind, c), "after": _metrics(new, xq, y, kind, c),
        "vk_old": cm.vk_digest.hex(), "vk_new": new.vk_digest.hex(),
    }


def _witness(cm, new, req: Request, up, rows: list[int], lineage, x_name: str) -> dict:
    return {
        "format": WITNESS_FORMAT, "version": 1,
        "c_req": req.c_req.hex(), "request_id": req.request_id,
        "vk_old": cm.vk_digest.hex(), "vk_new": new.vk_digest.hex(),
        "lineage_head": lineage.head.head, "c_d": lineage.registration.c_d,
        "layer": req.weight, "layer_input": x_name,
        "formats": dataclasses.asdict(up.formats), "bounds": dataclasses.asdict(up.bounds),
        "changed_rows": rows,
        "blocks": [b.to_json() for b in up.blocks],
        "old_model_sha256": hashlib.sha256(cm.to_bytes()).hexdigest(),
    }


def _write(out: Path, new, witness: dict, report: dict) -> UpdateResult:
    from zkml.unlearn.files import write_new

    paths = [out / n for n in ("model.zkmlc", "model.vk", "witness.json", "report.json")]
    try:
        out.mkdir(parents=True)
    except FileExistsError:
        raise OutputExistsError(f"update directory {out} exists; unlearning files are "
                                "never overwritten") from None
    except OSError as exc:
        raise FileError.from_os(exc, "write", out) from None
    try:
        write_new(paths[0], new.to_bytes(), "updated compiled model", secret=True)
        write_new(paths[1], new.verifying_key, "verifying key")
        write_new(paths[2], json.dumps(witness).encode(), "update witness", secret=True)
        write_new(paths[3], (json.dumps(report, indent=2) + "\n").encode(), "report")
    except BaseException:
        # all four or none: a partial update directory would look like a finished one
        for p in paths:
            p.unlink(missing_ok=True)
        out.rmdir()
        raise
    return UpdateResult(out, *paths, report)
