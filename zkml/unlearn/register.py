"""The client's registration (circuits/unlearning.md section 5): the data commitment
`C_D` on the committed-input stack of the model's circuit, its secret opening (0600) and
the lineage's first record."""

from __future__ import annotations

import hashlib
import json
import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zkml.errors import InputError, ModelError
from zkml.limits import Limit
from zkml.unlearn.data import Dataset, load_dataset
from zkml.unlearn.lineage import Lineage, Record

__all__ = ["DataOpening", "register", "opening_path", "default_record_path",
           "quantize_dataset", "input_format", "LABEL_CLASS", "LABEL_REAL"]

OPENING_FORMAT = "zkml-unlearn-data-opening"
OPENING_VERSION = 1
C_D_TAG = b"zkml/unlearn/data/v1"
LABEL_CLASS, LABEL_REAL = 0, 1
#: An opening holds at most 2^16 samples of a few thousand features, as JSON.
MAX_OPENING = 1 << 30
OPENING_LIMIT = Limit("data opening", "ZKML_MAX_DATA_OPENING", MAX_OPENING)


def default_record_path(model: str | os.PathLike[str]) -> Path:
    """MODEL.zkmlc -> MODEL.lineage.json beside it."""
    return Path(model).with_suffix(".lineage.json")


def opening_path(record: str | os.PathLike[str]) -> Path:
    """Where a record's data opening lives: beside it, named RECORD.opening."""
    p = Path(record)
    return p.with_name(p.name + ".opening")


def input_format(cm) -> tuple[int, int, int]:
    """(features, frac_bits, bits) of the model's one input, batch 1."""
    if len(cm.model.inputs) != 1:
        raise ModelError("unlearning supports models with one input")
    t = cm.model.tensor(cm.model.inputs[0])
    if t.shape[0] != 1:
        raise ModelError(f"unlearning needs a model compiled for one sample per run (its "
                         f"input shape is {t.shape})")
    return int(np.prod(t.shape[1:])), t.frac_bits, t.bits


def quantize_dataset(cm, ds: Dataset) -> tuple[np.ndarray, np.ndarray, int]:
    """(X_q (n, F) int64, Y (n,) int64, label kind): X at the model's input format; a
    class label as its integer, a real target at the output's scale (saturated to the
    input's bits)."""
    from zkml.quant.rounding import quantize_float

    _, frac, bits = input_format(cm)
    xq = quantize_float(ds.x, frac, bits).astype(np.int64)
    out = cm.model.tensor(next(iter(cm.model.outputs.values())))
    if ds.is_classification:
        # a label is an index into the model's outputs (and fits the label stack's bits)
        hi = min((1 << (bits - 1)) - 1, int(np.prod(out.shape)) - 1)
        if ds.y.min() < 0 or ds.y.max() > hi:
            raise InputError(f"class labels must lie in 0..{hi} (the model's "
                             f"{int(np.prod(out.shape))} outputs); found {int(ds.y.min())}.."
                             f"{int(ds.y.max())} (real targets: store y as floats)")
        return xq, ds.y.astype(np.int64), LABEL_CLASS
    # a real target in the output's units: its scale, within the input's bits (the
    # label stack is a committed input of the circuit's input format)
    return xq, quantize_float(ds.y, out.frac_bits, bits).astype(np.int64), LABEL_REAL


def _packed_labels(y: np.ndarray, features: int) -> np.ndarray:
    rows = math.ceil(len(y) / features)
    out = np.zeros(rows * features, dtype=np.int64)
    out[:len(y)] = y
    return out


def c_d_of(n: int, label_kind: int, c_x: bytes, c_y: bytes) -> bytes:
    """C_D = SHA256(tag || u32 n || u32 label kind || C_X || C_Y)."""
    return hashlib.sha256(C_D_TAG + struct.pack(">II", n, label_kind) + c_x + c_y).digest()


@dataclass(frozen=True)
class DataOpening:
    """The client's data and the blinders of C_D (secret: written 0600)."""

    vk_digest: bytes
    label_kind: int
    x: np.ndarray          # (n, F) int64
    y: np.ndarray          # (n,) int64
    blinders_x: bytes
    blinders_y: bytes
    c_x: bytes
    c_y: bytes

    @property
    def n(self) -> int:
        """Samples."""
        return int(self.x.shape[0])

    @property
    def c_d(self) -> bytes:
        """The data commitment's digest."""
        return c_d_of(self.n, self.label_kind, self.c_x, self.c_y)

    def commitments(self, circuit_json: bytes) -> tuple[bytes, bytes]:
        """(C_X, C_Y) recomputed from the values and blinders."""
        from zkml.prover import input_commitment

        f = self.x.shape[1]
        ypk = _packed_labels(self.y, f)
        return (input_commitment(circuit_json, self.x.reshape(-1), self.n, self.blinders_x),
                input_commitment(circuit_json, ypk, len(ypk) // f, self.blinders_y))

    def to_bytes(self) -> bytes:
        """JSON bytes."""
        def hexes(b: bytes) -> list[str]:
            return [b[i:i + 32].hex() for i in range(0, len(b), 32)]

        doc = {"format": OPENING_FORMAT, "version": OPENING_VERSION,
               "vk_digest": self.vk_digest.hex(), "label_kind": self.label_kind,
               "x": self.x.tolist(), "y": self.y.tolist(),
               "blinders_x": hexes(self.blinders_x), "blinders_y": hexes(self.blinders_y),
               "c_x": self.c_x.hex(), "c_y": self.c_y.hex()}
        return json.dumps(doc, separators=(",", ":")).encode()

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> DataOpening:
        """Read and check an opening file (InputError when malformed)."""
        from zkml.fileio import read_bytes
        from zkml.jsonio import loads

        what = f"data opening {path}"
        try:
            doc = loads(read_bytes(path, "data opening", limit=OPENING_LIMIT,
                                   error=InputError), what, InputError)
            if not isinstance(doc, dict) or doc.get("format") != OPENING_FORMAT:
                raise ValueError("not a data opening")
            _check_opening_types(doc)
            if doc["format"] != OPENING_FORMAT or doc["version"] != OPENING_VERSION:
                raise ValueError("not a data opening version 1")
            x = np.array(doc["x"], dtype=np.int64)
            y = np.array(doc["y"], dtype=np.int64)
            out = cls(bytes.fromhex(doc["vk_digest"]), int(doc["label_kind"]), x, y,
                      b"".join(bytes.fromhex(h) for h in doc["blinders_x"]),
                      b"".join(bytes.fromhex(h) for h in doc["blinders_y"]),
                      bytes.fromhex(doc["c_x"]), bytes.fromhex(doc["c_y"]))
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise InputError(f"{what}: malformed ({exc})") from None
        if x.ndim != 2 or y.shape != (x.shape[0],) or out.label_kind not in (0, 1):
            raise InputError(f"{what}: malformed (shapes)")
        return out


def _check_opening_types(doc: dict) -> None:
    """ValueError unless x is a list of equal-length lists of JSON integers and y a list of
    integers (np.array would otherwise truncate floats and parse strings), every value
    within int64, and the blinders and points hex strings."""
    def ints(v) -> bool:
        return isinstance(v, list) and all(
            isinstance(e, int) and not isinstance(e, bool) and -(1 << 63) <= e < 1 << 63
            for e in v)

    x, y = doc.get("x"), doc.get("y")
    if not isinstance(x, list) or not all(ints(row) for row in x) or not ints(y):
        raise ValueError("x and y must hold integers")
    for k in ("blinders_x", "blinders_y"):
        v = doc.get(k)
        if not isinstance(v, list) or not all(isinstance(h, str) and len(h) == 64 for h in v):
            raise ValueError(f"{k} must be a list of 32-byte hex strings")
    if not isinstance(doc.get("label_kind"), int) or isinstance(doc["label_kind"], bool):
        raise ValueError("label_kind must be 0 or 1")


def register(model: str | os.PathLike[str], data: str | os.PathLike[str],
             record: str | os.PathLike[str] | None = None, *,
             seed: bytes | None = None) -> tuple[Lineage, Path, Path]:
    """Commit the client's data and write the lineage's registration record and the data
    opening (0600); neither file is ever overwritten. Returns (lineage, record path,
    opening path)."""
    from zkml.compiled_model import CompiledModel
    from zkml.prover import draw_input_blinders, input_commitment
    from zkml.unlearn.files import check_new, write_new

    record = Path(record) if record is not None else default_record_path(model)
    opening = opening_path(record)
    check_new(record, "lineage record")
    check_new(opening, "data opening")
    cm = CompiledModel.load(model)
    if not cm.hiding:
        raise ModelError("registration needs a hiding model, whose inference proofs do not "
                         "reveal the weights; this one was compiled non-hiding (hiding=False "
                         "in Python, --non-hiding on the command line)")
    features, _, _ = input_format(cm)
    ds = load_dataset(data, "client data", features)
    xq, y, kind = quantize_dataset(cm, ds)
    cj = cm.circuit.to_bytes()
    ypk = _packed_labels(y, features)
    bx = draw_input_blinders(cj, len(xq), seed=seed)
    by = draw_input_blinders(cj, len(ypk) // features, seed=seed)
    c_x = input_commitment(cj, xq.reshape(-1), len(xq), bx, seed=seed)
    c_y = input_commitment(cj, ypk, len(ypk) // features, by, seed=seed)
    op = DataOpening(cm.vk_digest, kind, xq, y, bx, by, c_x, c_y)
    rec = Record.registration(cm.vk_digest, hashlib.sha256(cm.commitment).digest(), op.c_d,
                              op.n)
    lineage = Lineage((rec,))
    write_new(opening, op.to_bytes(), "data opening", secret=True)
    try:
        lineage.save_new(record)
    except BaseException:
        # both or neither: an opening without its record would block the next attempt
        opening.unlink(missing_ok=True)
        raise
    return lineage, record, opening
