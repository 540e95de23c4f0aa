"""Lineage records (circuits/unlearning.md section 8): a JSON list, oldest first, each
record binding key digests, the model commitment, C_req, C_D and the update proof's hash
into a chained head. Only registration records can be made today: an update record binds
its proof, which is the next step."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from zkml.errors import InputError
from zkml.limits import Limit

__all__ = ["Record", "Lineage", "LineageFormatError", "FORMAT", "VERSION", "ZERO"]

FORMAT = "zkml-unlearn-lineage"
VERSION = 1
TAG = b"zkml/unlearn/lineage/v1"
ZERO = "0" * 64
#: A lineage file is small: records of a few hundred bytes each.
MAX_FILE = 1 << 22
#: Bound of a record's index and sample count (a dataset holds at most 2^16 samples).
MAX_N = 1 << 16
_HASHES = ("prev", "vk", "vk_new", "model_commitment", "c_req", "c_d", "proof", "head")


LINEAGE_LIMIT = Limit("lineage", "ZKML_MAX_LINEAGE", MAX_FILE)


class LineageFormatError(InputError):
    """A lineage file does not parse, or a record's head is not its hash."""

    summary = "invalid lineage"


@dataclass(frozen=True)
class Record:
    """One record; every hash is 64 lowercase hex digits."""

    index: int
    kind: str
    prev: str
    vk: str
    vk_new: str
    model_commitment: str
    c_req: str
    c_d: str
    n: int
    proof: str
    head: str

    @staticmethod
    def head_of(prev: str, vk: str, vk_new: str, model_commitment: str, c_req: str,
                c_d: str, proof: str) -> str:
        """SHA256 of the tag and the seven 32-byte values, in this order."""
        parts = (prev, vk, vk_new, model_commitment, c_req, c_d, proof)
        return hashlib.sha256(TAG + b"".join(bytes.fromhex(p) for p in parts)).hexdigest()

    @classmethod
    def registration(cls, vk: bytes, model_commitment: bytes, c_d: bytes, n: int) -> Record:
        """The first record: the registered key, its commitment and the data's C_D."""
        vals = dict(prev=ZERO, vk=vk.hex(), vk_new=vk.hex(),
                    model_commitment=model_commitment.hex(), c_req=ZERO, c_d=c_d.hex(),
                    proof=ZERO)
        return cls(0, "register", n=n, head=cls.head_of(**vals), **vals)


@dataclass(frozen=True)
class Lineage:
    """Records, oldest first; `head` is the last record's."""

    records: tuple[Record, ...]

    @property
    def head(self) -> Record:
        """The newest record."""
        return self.records[-1]

    @property
    def registration(self) -> Record:
        """The first record."""
        return self.records[0]

    def to_bytes(self) -> bytes:
        """Canonical JSON: sorted keys, no spaces, a final newline."""
        doc = {"format": FORMAT, "version": VERSION,
               "records": [asdict(r) for r in self.records]}
        return (json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n").encode()

    @classmethod
    def from_bytes(cls, data: bytes, what: str = "lineage") -> Lineage:
        """Parse strictly: the format, the fields and their types, every head its hash,
        every `prev` the previous head, indices 0, 1, ..., a registration first. (The
        records' proofs are not re-verified here: that is the future verifier's.)"""
        from zkml.jsonio import loads

        doc = loads(data, what, LineageFormatError)   # nesting bounded before decoding
        if not isinstance(doc, dict) or set(doc) != {"format", "version", "records"} or \
                doc["format"] != FORMAT or doc["version"] != VERSION:
            raise LineageFormatError(f"{what}: not a {FORMAT} version {VERSION} file")
        recs = doc["records"]
        if not isinstance(recs, list) or not recs:
            raise LineageFormatError(f"{what}: no records")
        out: list[Record] = []
        for i, r in enumerate(recs):
            out.append(_record(r, i, out[-1].head if out else ZERO, f"{what}: record {i}"))
        if out[0].kind != "register":
            raise LineageFormatError(f"{what}: the first record is not a registration")
        return cls(tuple(out))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Lineage:
        """Read and parse a lineage file."""
        from zkml.fileio import read_bytes

        data = read_bytes(path, "lineage", limit=LINEAGE_LIMIT, error=InputError)
        return cls.from_bytes(data, f"lineage {path}")

    def save_new(self, path: str | os.PathLike[str]) -> Path:
        """Write to a new file (never over one)."""
        from zkml.unlearn.files import write_new

        return write_new(path, self.to_bytes(), "lineage record")


def _record(r: object, i: int, prev: str, what: str) -> Record:
    fields = set(Record.__dataclass_fields__)
    if not isinstance(r, dict) or set(r) != fields:
        raise LineageFormatError(f"{what}: fields must be exactly {sorted(fields)}")
    for h in _HASHES:
        v = r[h]
        if not isinstance(v, str) or len(v) != 64 or v.lower() != v or \
                any(ch not in "0123456789abcdef" for ch in v):
            raise LineageFormatError(f"{what}: {h} is not 64 lowercase hex digits")
    for k in ("index", "n"):
        if not isinstance(r[k], int) or isinstance(r[k], bool) or not 0 <= r[k] <= MAX_N:
            raise LineageFormatError(f"{what}: {k} is not an integer in 0..{MAX_N}")
    if not isinstance(r["kind"], str):
        raise LineageFormatError(f"{what}: kind is not a string")
    rec = Record(**r)
    if rec.index != i or rec.prev != prev:
        raise LineageFormatError(f"{what}: out of order (index or prev does not follow)")
    if rec.kind not in ("register", "update") or (rec.kind == "register") != (i == 0):
        raise LineageFormatError(f"{what}: kind {rec.kind!r} at position {i}")
    if rec.kind == "register" and (rec.vk != rec.vk_new or rec.c_req != ZERO or
                                   rec.proof != ZERO):
        raise LineageFormatError(f"{what}: a registration names a request or proof")
    want = Record.head_of(rec.prev, rec.vk, rec.vk_new, rec.model_commitment, rec.c_req,
                          rec.c_d, rec.proof)
    if rec.head != want:
        raise LineageFormatError(f"{what}: head is not the hash of the record")
    return rec
