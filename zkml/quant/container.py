"""The compiled-model file: one versioned zip of named sections, written atomically.

Layout (all paths inside the zip):

    header.json        {"format": "zkml-compiled-model", "format_version": 1,
                        "created_by": "zkml <version>",
                        "sections": {NAME: {"version": V, "required": bool,
                                            "files": {PATH: SHA256_HEX, ...}}, ...}}
    NAME/...           the files of section NAME (JSON documents and .npy arrays)

Reading is strict: an unknown format version, an unknown *required* section, a file
not listed in the header, a listed file that is missing or whose hash differs, or an
array that is not plain int64 all raise `CompiledModelError`. Unknown optional sections
are kept as raw bytes so that an older zkml passes them through unchanged. Later
features add sections (the circuit description, the weight commitment) without
changing this container.

Reading is bounded (`zkml.limits.MODEL_ZIP`, circuits/encoding.md "Limits on files"):
the file's size, the zip directory, the number of entries and every entry's declared
and actual inflated size are checked before or while it is inflated, and a .npy
header's shape against its entry's size before the array is allocated.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from zkml import jsonio, limits
from zkml.errors import CompiledModelError, FileError
from zkml.fileio import BoundedZip, write_atomic

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "CompiledModelError",
    "Section",
    "container_bytes",
    "write_container",
    "read_container",
    "json_bytes",
    "npy_bytes",
    "read_json",
    "read_npy",
]

FORMAT = "zkml-compiled-model"
FORMAT_VERSION = 1
_HEADER = "header.json"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same model gives the same bytes


@dataclass
class Section:
    """One section: a format version, whether readers must understand it, its files."""

    version: int
    required: bool
    files: dict[str, bytes] = field(default_factory=dict)


def json_bytes(doc) -> bytes:
    """Canonical JSON encoding (sorted keys, no whitespace variance)."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def npy_bytes(arr: np.ndarray) -> bytes:
    """An int64 array in .npy format (C order, little endian, no pickle)."""
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr, dtype="<i8"), allow_pickle=False)
    return buf.getvalue()


def read_json(section: Section, path: str):
    """Parse one JSON file of a section."""
    if path not in section.files:
        raise CompiledModelError(f"compiled model lacks {path}")
    return jsonio.loads(section.files[path], f"compiled model file {path}", CompiledModelError)


def read_npy(section: Section, path: str) -> np.ndarray:
    """Load one int64 array of a section (its header's shape checked against its size
    before the array is allocated)."""
    from zkml.arrayio import npy_from_stream

    try:
        data = section.files[path]
    except KeyError as exc:
        raise CompiledModelError(f"compiled model lacks {path}") from exc
    arr = npy_from_stream(io.BytesIO(data), len(data), f"compiled model array {path}",
                          CompiledModelError, kinds="i")
    if arr.dtype != np.dtype("<i8"):
        raise CompiledModelError(f"compiled model array {path} has dtype {arr.dtype}, not int64")
    return arr


def container_bytes(sections: dict[str, Section], created_by: str) -> bytes:
    """The file's bytes: the header listing every section's files and their hashes, then
    the files, with fixed timestamps (the same model gives the same bytes)."""
    header = {"format": FORMAT, "format_version": FORMAT_VERSION, "created_by": created_by,
              "sections": {}}
    for name, sec in sorted(sections.items()):
        for f in sec.files:
            if not f.startswith(f"{name}/"):
                raise ValueError(f"file {f!r} of section {name!r} must live under {name}/")
        header["sections"][name] = {
            "version": sec.version,
            "required": sec.required,
            "files": {f: hashlib.sha256(data).hexdigest() for f, data in sorted(sec.files.items())},
        }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        _add(zf, _HEADER, json_bytes(header))
        for name in sorted(sections):
            for f, data in sorted(sections[name].files.items()):
                _add(zf, f, data)
    return buf.getvalue()


def write_container(path: str | Path, sections: dict[str, Section], created_by: str) -> None:
    """Write the file atomically: a temporary file in the same directory, then rename."""
    # The callers decide about replacing an existing file before they get here.
    write_atomic(path, container_bytes(sections, created_by), overwrite=True,
                 what="compiled model")


def _add(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


def read_container(
    path: str | Path, known: dict[str, set[int]]
) -> tuple[dict, dict[str, Section]]:
    """Read and check a container; `known` maps section names to readable versions.

    Returns the header and every section (unknown optional ones included, untouched).
    Raises CompiledModelError, also for a file or entry over its limit.
    """
    path = Path(path)
    with BoundedZip(path, "compiled model", limits.MODEL_ZIP, CompiledModelError,
                    missing=FileError) as zf:
        return _read_open(path, zf, known)


def _read_header(path: Path, zf: BoundedZip) -> dict:
    """The container's header.json (at most `zkml.limits.MODEL_HEADER` inflated), checked
    for the format name and version."""
    if _HEADER not in zf.names():
        raise CompiledModelError(f"{path} is not a zkml compiled model (no header)")
    header = jsonio.loads(zf.read(_HEADER, limits.MODEL_HEADER), f"{path}: the header",
                          CompiledModelError)
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CompiledModelError(f"{path} is not a zkml compiled model")
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        raise CompiledModelError(
            f"{path} has compiled-model format version {version!r}; this zkml reads "
            f"version {FORMAT_VERSION} only (recompile the model with this zkml)"
        )
    return header


def _read_open(path: Path, zf: BoundedZip, known: dict[str, set[int]]):
    header = _read_header(path, zf)
    sections, listed = _sections(path, zf, header, known)
    extra = set(zf.names()) - listed - {_HEADER}
    if extra:
        raise CompiledModelError(f"{path}: unexpected file {sorted(extra)[:1]} in the zip")
    return header, sections


def _sections(path: Path, zf: BoundedZip, header: dict, known: dict[str, set[int]]):
    raw = header.get("sections")
    if not isinstance(raw, dict):
        raise CompiledModelError(f"{path}: the header lists no sections")
    sections: dict[str, Section] = {}
    listed: set[str] = set()
    for name, meta in raw.items():
        try:
            version, required, files = int(meta["version"]), bool(meta["required"]), meta["files"]
        except (KeyError, TypeError, ValueError) as exc:
            raise CompiledModelError(f"{path}: malformed entry for section {name!r}") from exc
        if name in known and version not in known[name]:
            raise CompiledModelError(
                f"{path}: section {name!r} has version {version}; this zkml reads versions "
                f"{sorted(known[name])}"
            )
        if name not in known and required:
            raise CompiledModelError(
                f"{path} needs section {name!r}, which this zkml does not understand "
                "(it was written by a newer zkml)"
            )
        if not isinstance(files, dict):
            raise CompiledModelError(f"{path}: malformed entry for section {name!r}")
        sec = Section(version, required)
        for f, digest in files.items():
            if not f.startswith(f"{name}/"):
                raise CompiledModelError(f"{path}: file {f!r} is outside section {name!r}")
            try:
                if f.endswith(".npy"):
                    _check_npy_entry(path, zf, f)
                data = zf.read(f)
            except KeyError as exc:
                raise CompiledModelError(f"{path}: missing file {f!r}") from exc
            if hashlib.sha256(data).hexdigest() != digest:
                raise CompiledModelError(f"{path}: file {f!r} is corrupt (hash mismatch)")
            sec.files[f] = data
            listed.add(f)
        sections[name] = sec
    return sections, listed


def _check_npy_entry(path: Path, zf: BoundedZip, name: str) -> None:
    """Refuse an array entry whose .npy header does not match its declared size (or is
    not int64-like) from its first bytes, before the entry is inflated."""
    from zkml.arrayio import read_npy_header

    with zf.open(name) as fh:
        read_npy_header(fh, zf.declared_size(name), f"{path}: {name}", CompiledModelError,
                        kinds="i")
