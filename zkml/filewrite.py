"""Writing a user's files: atomically, as a unit, never over an input, after a preflight.

`check_outputs` is a command's preflight, run before its expensive work: an output that is
one of its inputs (or another output), an existing file without `overwrite`, a directory
that cannot be created or written, or too little space is refused with one line naming
the user's path (`zkml.errors.FileError`; `OutputExistsError` for an existing file).
`write_group` writes several files (a compiled model and its verifying key) so that all of
them are replaced or none is; `write_atomic` writes one. Missing output directories are
created, like `mkdir -p`, when the files are written: the one rule for every command and
the API. The standard library only: `zkml verify` imports this module (via zkml.fileio).
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from zkml.errors import FileError, OutputExistsError

__all__ = ["Inputs", "Outputs", "check_outputs", "same_file", "write_atomic", "write_group"]


#: What each input file is, for messages: {path: "ONNX model"}.
Inputs = Mapping[str | os.PathLike[str], str]
#: Outputs as (path, what it is) pairs.
Outputs = Sequence[tuple[str | os.PathLike[str], str]]
_NO_INPUTS: dict[str, str] = {}

# Missing output directories: one rule for every writer here (so for every command and
# the API): they are created, like `mkdir -p`, when the files are written, and removed
# again (when still empty) if the write fails. The preflight creates nothing.


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name one file: the same resolved path, or (both existing) the
    same inode, which catches hard links and symlinks."""
    try:
        if Path(a).resolve() == Path(b).resolve():
            return True
        return os.path.exists(a) and os.path.exists(b) and os.path.samefile(a, b)
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return False


def check_outputs(outputs: Mapping[str | os.PathLike[str], str] | Outputs, *,
                  inputs: Inputs = _NO_INPUTS, overwrite: bool = False,
                  sizes: Mapping[str | os.PathLike[str], int] | None = None) -> None:
    """The preflight of a command's outputs, run before its expensive work.

    `outputs` maps each output path to what it is ("compiled model"), or lists (path,
    what) pairs (so that two outputs given the same path are seen); `inputs` maps each
    input path likewise. Raises `FileError` (one line naming the user's path) when an
    output is the same file as an input (a hard link or symlink included) or as another
    output, is a directory or not a regular file, exists without `overwrite`
    (`OutputExistsError`), when its directory neither exists nor can be created (a
    path component is a regular file), when no file can be created there (checked by
    creating and removing a probe file in the directory, or in the nearest existing
    ancestor of a missing one), or when its file system has fewer free bytes than the
    `sizes` estimates of the outputs on it. Nothing is created: missing directories are
    made when the files are written (`write_group`).
    """
    pairs = outputs.items() if isinstance(outputs, Mapping) else outputs
    checked = _check_paths([(Path(p), what) for p, what in pairs], inputs, overwrite)
    estimates = {Path(p): n for p, n in (sizes or {}).items()}
    room: dict[int, tuple[Path, int, list[Path]]] = {}
    for out in checked:
        directory = _probe_directory(out)
        size = estimates.get(out)
        if size is not None:
            dev = os.stat(directory).st_dev
            where, need, names = room.get(dev, (directory, 0, []))
            room[dev] = (where, need + size, [*names, out])
    for where, need, names in room.values():
        free = shutil.disk_usage(where).free
        if free < need:
            raise FileError(f"not enough space for {' and '.join(map(str, names))}: "
                            f"{_size(free)} free in {where}, about {_size(need)} needed")


def _check_paths(outs: list[tuple[Path, str]], inputs: Inputs, overwrite: bool) -> list[Path]:
    """The checks of `check_outputs` that need no probe, also re-run by `write_group`;
    `outs` holds each output's path and what it is."""
    for i, (out, what) in enumerate(outs):
        for src, src_what in inputs.items():
            if same_file(out, src):
                via = "" if os.path.abspath(out) == os.path.abspath(src) else \
                    f" ({out} is the same file)"
                raise FileError(f"refusing to overwrite the input file {src} ({src_what}) "
                                f"with the {what}{via}")
        for prev, prev_what in outs[:i]:
            if same_file(out, prev):
                raise FileError(f"the {prev_what} and the {what} would be written to the "
                                f"same file {out}")
        _check_target(out, overwrite)
        _check_same_kind(out, what)
    return [out for out, _ in outs]


#: The zkml files a command writes, by what the writers call them: an existing one is
#: replaced only by a file of its own kind, `--force` or not (a proof written over the
#: published verifying key would pass every other check). Kinds 5 and 6 are the hiding
#: proof and key (the default), 3 and 4 the non-hiding ones.
_ARTIFACT_KINDS = {3: "proof", 4: "verifying key", 5: "proof", 6: "verifying key"}
_KINDS = {"proof", "verifying key", "compiled model"}
#: Kinds of file that hold secrets (a compiled model: the weights and the model
#: stack's row blinders, circuits/zk_inference.md; an input or output opening: a
#: committed input or output and its row blinders, zk_inference.md 1.4, 1.6), written
#: 0600 (`write_group`).
SECRET_KINDS = frozenset({"compiled model", "input opening", "output opening"})


def _existing_kind(path: Path) -> str | None:
    """What an existing file is, from its first bytes: a zkml proof or key (the artifact
    container's magic and kind byte) or a compiled model (a zip named *.zkmlc)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(7)
    except OSError:
        return None
    if len(head) == 7 and head[:4] == b"ZKML":
        return _ARTIFACT_KINDS.get(head[6], f"zkml artifact of kind {head[6]}")
    if head[:4] == b"PK\x03\x04" and path.suffix == ".zkmlc":
        return "compiled model"
    return None


def _check_same_kind(out: Path, what: str) -> None:
    if what not in _KINDS or not os.path.isfile(out):
        return
    found = _existing_kind(out)
    if found is not None and found != what:
        raise FileError(f"refusing to replace {out} (a {found}) with the {what}, even with "
                        "overwriting allowed: choose another output path")


def _check_target(out: Path, overwrite: bool) -> None:
    if not os.path.lexists(out):
        return
    try:
        st = os.stat(out)
    except FileNotFoundError:  # a dangling symlink: writing replaces the link
        st = None
    except OSError as exc:
        raise FileError(f"cannot write {out}: {exc.strerror}") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise FileError(f"output path {out} is a directory")
    if st is not None and not stat.S_ISREG(st.st_mode):
        # a rename would put a regular file in place of a device or pipe (/dev/null!)
        raise FileError(f"output path {out} exists and is not a regular file")
    if not overwrite:
        raise _exists(out)


def _exists(path: Path) -> OutputExistsError:
    return OutputExistsError(f"{path} exists; choose another output path or allow "
                             "overwriting it (overwrite=True in Python, --force on the command "
                             "line)")


def _existing_dir(out: Path) -> Path:
    """The output's directory, or its nearest existing ancestor when it is missing;
    FileError when that is not a directory (so the directory cannot be created)."""
    d = Path(os.path.abspath(out)).parent
    while True:
        try:
            st = os.stat(d)
        except (FileNotFoundError, NotADirectoryError):
            d = d.parent
            continue
        except OSError as exc:
            raise FileError(f"cannot write {out}: {d}: {exc.strerror}") from None
        if not stat.S_ISDIR(st.st_mode):
            raise FileError(f"cannot write {out}: {d} is not a directory")
        return d


def _probe_directory(out: Path) -> Path:
    """Create and remove a file where the output's directory is or will be made: the one
    check of permission that holds for root, ACLs and read-only mounts alike."""
    d = _existing_dir(out)
    try:
        fd, probe = tempfile.mkstemp(prefix=".zkml-probe-", suffix=".tmp", dir=d)
    except OSError as exc:
        raise FileError(f"cannot write {out}: cannot create files in {d} "
                        f"({exc.strerror})") from None
    os.close(fd)
    os.unlink(probe)
    return d


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # unreachable: GiB ends the loop


def write_atomic(path: str | os.PathLike[str], data: bytes, *, overwrite: bool = False,
                 inputs: Inputs = _NO_INPUTS, what: str = "output file") -> Path:
    """Write one file as `write_group` does: readers see the old file or the new one,
    never a partial write; missing directories are created."""
    return write_group({path: data}, overwrite=overwrite, inputs=inputs,
                       kinds={path: what})[0]


def write_group(files: Mapping[str | os.PathLike[str], bytes], *, overwrite: bool = False,
                inputs: Inputs = _NO_INPUTS,
                kinds: Mapping[str | os.PathLike[str], str] | None = None) -> list[Path]:
    """Write several files as a unit: all of them are replaced, or none is.

    Each file's bytes go to a temporary file in its target's directory (missing
    directories are created first, like `mkdir -p`), which is flushed and fsynced; only
    when every temporary file is written is each renamed over its target, an existing
    target first backed up by a hard link (by a rename where hard links are not
    supported). If a rename fails, or the process is interrupted (KeyboardInterrupt)
    while renaming, the targets already replaced are restored from their backups and
    the new ones removed, so every target is as it was; then the temporary files and
    the directories this call created are removed and the error raised (an `OSError`
    as `FileError` naming the target). The checks of `check_outputs` except the probe
    and space (an output that is an input, exists without `overwrite`, ...) are made
    again first, since a long command may have run since its preflight. `kinds` names
    each file for messages ("verifying key"). A new file gets the mode a plain open()
    gives; a replaced one keeps its mode; a secret kind (`SECRET_KINDS`: a compiled
    model holds the weights and the model's blinders) is always written 0600.

    Guaranteed: at any moment each target holds its old bytes or its new ones, never
    a mix; and after a failure that this process sees, all targets hold their old bytes
    and nothing extra is left behind. Not guaranteed: if the process is killed (SIGKILL,
    power loss) between the first rename and the last, some targets hold new bytes
    and some old ones; the old content of each replaced target is then still in a
    backup file `.NAME.*.bak` beside it (and temporary files `.NAME.*.tmp` may be left),
    from which the pair can be restored by hand. The directory entries are fsynced
    after the renames, so a completed write survives a power loss.
    """
    named = [(Path(p), (kinds or {}).get(p, "output file")) for p in files]
    targets = _check_paths(named, inputs, overwrite)
    data = [bytes(files[p]) for p in files]
    created = _make_parents(targets)
    temps: dict[Path, str] = {}
    try:
        for (_, what), target, payload in zip(named, targets, data, strict=True):
            _write_temp(target, payload, temps, secret=what in SECRET_KINDS)
        # (re-checked: the temporary files took time to write)
        _check_paths(named, inputs, overwrite)
        _commit(temps, overwrite, backup=len(targets) > 1)
    except BaseException:
        for tmp in temps.values():
            _unlink_quietly(tmp)
        _remove_dirs(created)
        raise
    for directory in {t.parent for t in targets}:
        _fsync_dir(directory)
    return targets


def _make_parents(targets: list[Path]) -> list[Path]:
    """Create the targets' missing directories (deepest last); returns those created."""
    # (FileError, before anything is made, if a path component is a file)
    tops = [_existing_dir(target) for target in targets]
    created: list[Path] = []
    for target, top in zip(targets, tops, strict=True):
        missing = []
        d = Path(os.path.abspath(target)).parent
        while d != top:
            missing.append(d)
            d = d.parent
        for d in reversed(missing):
            try:
                d.mkdir()
            except FileExistsError:
                continue
            except OSError as exc:
                _remove_dirs(created)
                raise FileError(f"cannot write {target}: cannot create directory {d} "
                                f"({exc.strerror})") from None
            created.append(d)
    return created


def _remove_dirs(created: list[Path]) -> None:
    for d in reversed(created):  # deepest first; only if still empty
        try:
            d.rmdir()
        except OSError:
            pass


def _write_temp(target: Path, data: bytes, temps: dict[Path, str], *,
                secret: bool = False) -> None:
    try:
        if secret:  # readable by the owner only, whatever the umask or the old mode
            mode = 0o600
        else:
            mode = stat.S_IMODE(os.stat(target).st_mode) if target.is_file() \
                else 0o666 & ~_umask()
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                   dir=target.parent)
        temps[target] = tmp
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates the file 0600: give it the mode a plain open() would
        os.chmod(tmp, mode)
    except OSError as exc:
        raise FileError(f"cannot write {target}: {exc.strerror or exc}") from None


def _commit(temps: dict[Path, str], overwrite: bool, backup: bool) -> None:
    """Rename every temporary file over its target; on any failure put back what was
    replaced. `backup`: keep a backup of each replaced target until all are renamed (a
    single file needs none: its one rename is atomic)."""
    done: list[_Renamed] = []
    current = None
    try:
        for target, tmp in temps.items():
            current = target
            saved = _backup(target) if backup and os.path.lexists(target) else (None, False)
            done.append(_Renamed(target, *saved))
            if not overwrite and os.path.lexists(target):
                raise _exists(target)  # created since the checks
            os.replace(tmp, target)
            done[-1].placed = True
    except BaseException as exc:
        lost = _rollback(done)
        if lost:
            raise FileError(f"cannot write {current}: {_reason(exc)}; and "
                            + "; ".join(lost)) from None
        if isinstance(exc, OSError):
            raise FileError(f"cannot write {current}: {_reason(exc)} (no file was "
                            "changed)") from None
        raise
    for renamed in done:
        if renamed.backup is not None:
            _unlink_quietly(renamed.backup)


def _reason(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or \
        type(exc).__name__


@dataclass
class _Renamed:
    """A target of `_commit`: its backup (None: it did not exist), whether the backup
    is a hard link (else the original renamed aside), whether the new file is in place."""

    target: Path
    backup: str | None
    linked: bool
    placed: bool = False


def _backup(target: Path) -> tuple[str, bool]:
    """A backup of `target` beside it: a hard link (the target stays in place), or a
    rename where hard links are not supported; returns (its name, whether linked)."""
    for _ in range(100):
        name = str(target.parent / f".{target.name}.{secrets.token_hex(4)}.bak")
        try:
            os.link(target, name, follow_symlinks=False)
            return name, True
        except FileExistsError:
            continue
        except OSError:
            os.rename(target, name)
            return name, False
    raise FileExistsError(f"no free backup name beside {target}")


def _rollback(done: list[_Renamed]) -> list[str]:
    """Undo the renames; returns what could not be restored (and where it is kept)."""
    lost = []
    for r in reversed(done):
        try:
            if r.backup is not None and (r.placed or not r.linked):
                os.replace(r.backup, r.target)  # the old file back in place
            elif r.backup is not None:
                # the target was never replaced; (renaming a hard link over its twin
                # would do nothing and leave both names)
                os.unlink(r.backup)
            elif r.placed:
                os.unlink(r.target)  # it did not exist before
        except OSError as exc:
            lost.append(f"{r.target} could not be restored ({exc.strerror}): its previous "
                        f"content is in {r.backup}" if r.backup else
                        f"the new {r.target} could not be removed ({exc.strerror})")
    return lost


def _unlink_quietly(path: str | os.PathLike[str]) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _fsync_dir(directory: Path) -> None:
    """Make the renames in `directory` durable (where directories can be fsynced)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

