"""Verify many inference proofs on several cores: `verify_many` and `VerifierPool`.

The verifier is pure Python, so threads sharing one `zkml.Verifier` take turns on the
GIL and run no faster than one thread (measured on the bundled digits model:
benchmarks/RESULTS.md, "Verifying many proofs"). Processes do run in parallel: a
`VerifierPool` keeps worker processes that each hold a `Verifier` for one key, built
once when the worker starts, and hands each proof to a free worker.

    import zkml
    results = zkml.verify_many(proofs, "digits.vk", workers=2)     # one call
    with zkml.VerifierPool("digits.vk", workers=2) as pool:        # a service: keep it
        results = pool.verify_many(proofs)
        verified = pool.submit(proof).result()

The key is checked once, in the calling process, when the pool is built (InvalidKeyError
then, before any work); the workers parse the same bytes and trust that check (the key's
SHA-256 digest names them). Expected inputs are quantized in the calling process too, so
their `ClippingWarning`s and `InputError`s reach the caller. Workers are started with the
"forkserver" method where the platform has it (else "spawn"), never by forking the
caller: a service's own threads and locks stay out of the workers. Workers ignore Ctrl-C;
the caller's KeyboardInterrupt shuts the pool down.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, InvalidStateError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from zkml.api import VerifiedInference, Verifier, _vk_bytes
from zkml.errors import InputError, ProofFormatError, VerificationError, ZkmlError

__all__ = ["VerifierPool", "VerifierPoolError", "verify_many", "default_workers"]

#: One slot of `verify_many`'s answer: the verified statement or why the proof failed.
Outcome = VerifiedInference | VerificationError


class VerifierPoolError(ZkmlError):
    """A worker process of a `VerifierPool` stopped before answering (killed, out of
    memory, or a script without an `if __name__ == "__main__":` guard, whose top level
    every worker runs again and which then starts a pool of its own). The pool cannot be
    used again."""

    summary = "verifier pool failed"


_BROKEN = ("a worker process stopped before answering (killed or out of memory; or, in a "
           "script, the pool is started outside an `if __name__ == \"__main__\":` block: each "
           "worker runs the script's top level again, multiprocessing's rule for the "
           "forkserver and spawn start methods)")


def default_workers() -> int:
    """The cores this process may run on (its CPU affinity where the platform tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # no sched_getaffinity (macOS, Windows)
        return max(1, os.cpu_count() or 1)


# -- the worker side: one Verifier per process, built by the pool's initializer -----------

_worker_verifier: Verifier | None = None


def _start_worker(key: bytes, digest: bytes, options: dict[str, Any]) -> None:
    """Pool initializer: build this worker's Verifier from the key's bytes. The caller
    checked the key's well-formedness proof; its digest lets the worker skip it."""
    global _worker_verifier
    from zkml.verifier import VerifyingKey
    from zkml.verifier.model_key import DEFAULT_SEED

    # Ctrl-C reaches every process of the terminal's group: the caller handles it and
    # shuts the pool down, a worker dying of it mid-task would only break the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    vk = VerifyingKey.from_bytes(key, seed=options.get("seed", DEFAULT_SEED),
                                 trusted_digest=digest)
    _worker_verifier = Verifier(vk, **options)


def _verify_in_worker(proof: bytes, expected: Any) -> Outcome:
    assert _worker_verifier is not None, "the pool's initializer builds the verifier"
    return _verify_one(_worker_verifier, proof, expected)


def _verify_or_raise(proof: bytes, expected: Any) -> VerifiedInference:
    assert _worker_verifier is not None, "the pool's initializer builds the verifier"
    return _worker_verifier.verify(proof, expected_input=expected)


def _verify_one(verifier: Verifier, proof: bytes, expected: Any) -> Outcome:
    """Verify one proof; an invalid proof is an answer, not a failure of the batch."""
    try:
        return verifier.verify(proof, expected_input=expected)
    except VerificationError as exc:
        exc.__traceback__ = None  # it crosses the process boundary: keep it small
        return exc


# -- the caller's side --------------------------------------------------------------------

def _start_method() -> str:
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


class VerifierPool:
    """Worker processes that verify inference proofs against one verifying key.

    Build it once (it checks the key) and call `verify_many` or `submit` as often as
    needed; `close()` it, or use it as a context manager. With one worker it verifies in
    the calling process and starts no process. Workers start on first use; each builds
    its `Verifier` once.
    """

    def __init__(self, vk: Any, *, workers: int | None = None,
                 input_shapes: Mapping[str, Sequence[int]] | None = None,
                 start_method: str | None = None, **options: Any) -> None:
        """`vk`, `input_shapes` and `options` (seed, max_log_cols, max_batch) as for
        `zkml.Verifier`; `workers`: processes (None: the cores this process may use, see
        `default_workers`; 1: none, verify in this process); `start_method`: how workers
        start ("forkserver" where available, else "spawn"; see `multiprocessing`).

        Raises InvalidKeyError for a bad key, FileError for an unreadable key file, and
        InputError for `workers` below 1."""
        if workers is None:
            workers = default_workers()
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise InputError(f"workers must be a positive integer, not {workers!r}")
        # A path is read once: the local verifier and the workers get the same bytes.
        key = _vk_bytes(vk)
        local = key if isinstance(vk, str | os.PathLike) else vk
        self._verifier = Verifier(local, input_shapes=input_shapes, **options)
        self._workers = workers
        self._closed = False
        self._executor: ProcessPoolExecutor | None = None
        if workers > 1:
            context = multiprocessing.get_context(start_method or _start_method())
            self._executor = ProcessPoolExecutor(
                workers, mp_context=context, initializer=_start_worker,
                initargs=(key, hashlib.sha256(key).digest(), dict(options)))

    @property
    def workers(self) -> int:
        """The number of worker processes (1: verification runs in the calling process)."""
        return self._workers

    @property
    def verifier(self) -> Verifier:
        """The calling process's `Verifier` for the key (quantizes expected inputs)."""
        return self._verifier

    def verify_many(self, proofs: Iterable[bytes | str | os.PathLike[str]], *,
                    expected_inputs: Sequence[Any] | None = None, quantized: bool = False,
                    strict: bool = False) -> list[Outcome]:
        """Verify every proof; returns one answer per proof, in the order given.

        An answer is the `VerifiedInference` of a valid proof or, for a proof that is
        invalid, the `VerificationError` it raised (ProofFormatError for bytes that do
        not parse, StatementMismatchError for a valid proof about another input than its
        expected one): one bad proof does not stop the others, so test each answer with
        `isinstance(answer, VerificationError)`.

        Args:
            proofs: proof bytes, or paths of .proof files (read here, first).
            expected_inputs: None, or one expected input per proof (None for no check),
                as `Verifier.verify(expected_input=...)` takes it; with `quantized` and
                `strict` as there. They are quantized here before any proof is verified.

        Raises:
            InputError for `expected_inputs` of another length than `proofs` or a bad
            expected input (before any work); FileError for a proof file that cannot be
            read. Errors that are not about a proof (a bug) propagate.
        """
        self._require_open()
        items = [_proof_bytes(p) for p in proofs]
        expected = self._expected(expected_inputs, len(items), quantized, strict)
        outcomes: list[Outcome | None] = [
            item if isinstance(item, VerificationError) else None for item in items]
        todo = [i for i, o in enumerate(outcomes) if o is None]
        for i, outcome in zip(todo, self._run([(items[i], expected[i]) for i in todo]),
                              strict=True):
            outcomes[i] = outcome
        return outcomes  # type: ignore[return-value]

    def submit(self, proof: bytes, *, expected_input: Any = None, quantized: bool = False,
               strict: bool = False) -> Future[VerifiedInference]:
        """Verify one proof on a free worker: a Future whose `result()` is the
        `VerifiedInference` or raises the `VerificationError` (as `Verifier.verify`
        does). An expected input is quantized here first (InputError raised now)."""
        self._require_open()
        item = _proof_bytes(proof)
        expected = self._expected([expected_input], 1, quantized, strict)[0]
        if self._executor is not None and not isinstance(item, VerificationError):
            return _chain(self._executor.submit(_verify_or_raise, item, expected))
        future: Future[VerifiedInference] = Future()
        outcome = item if isinstance(item, VerificationError) else \
            _verify_one(self._verifier, item, expected)
        if isinstance(outcome, VerificationError):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
        return future

    def close(self, *, cancel: bool = False) -> None:
        """Stop the workers (after the queued proofs, or dropping them with `cancel`); the
        pool then refuses work (VerifierPoolError)."""
        self._closed = True
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=cancel)
            self._executor = None

    def __enter__(self) -> VerifierPool:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        # leaving on an error (Ctrl-C too): queued proofs are dropped, not verified
        self.close(cancel=exc_type is not None)

    def _require_open(self) -> None:
        if self._closed:
            raise VerifierPoolError("the pool is closed")

    def _expected(self, data: Sequence[Any] | None, n: int, quantized: bool,
                  strict: bool) -> list[Any]:
        """Expected inputs quantized at the key's scale (warnings issued here)."""
        from zkml.statement import QuantizedInput

        if data is None:
            return [None] * n
        if isinstance(data, str | bytes) or not hasattr(data, "__len__") or len(data) != n:
            raise InputError(f"expected_inputs must hold one entry per proof ({n})")
        out = []
        for x in data:
            if x is None or isinstance(x, QuantizedInput):
                if strict and x is not None:
                    x.clipping.refuse()
                out.append(x)
                continue
            q = self._verifier.quantize_input(x, quantized=quantized, strict=strict)
            q.clipping.warn(stacklevel=3)  # at the caller of verify_many
            out.append(q)
        return out

    def _run(self, work: list[tuple[bytes, Any]]) -> list[Outcome]:
        if self._executor is None or len(work) < 2:  # a pool would only add start-up
            return [_verify_one(self._verifier, p, e) for p, e in work]
        proofs, expected = zip(*work, strict=True)
        try:
            return list(self._executor.map(_verify_in_worker, proofs, expected))
        except BrokenProcessPool as exc:
            raise VerifierPoolError(_BROKEN) from exc


def _proof_bytes(proof: Any) -> bytes | VerificationError:
    """A proof as bytes: a path is read (FileError if it cannot be; a file that is no
    proof is that proof's answer); anything but bytes is answered ProofFormatError."""
    if isinstance(proof, str | os.PathLike):
        from zkml.fileio import read_proof

        try:
            return read_proof(Path(proof))
        except VerificationError as exc:
            return exc
    if isinstance(proof, bytes | bytearray | memoryview):
        return bytes(proof)
    return ProofFormatError(f"proof must be bytes or a path, not {type(proof).__name__}",
                            check="api.argument-type")


def _chain(inner: Future) -> Future:
    """A Future that follows `inner`, with a broken pool as VerifierPoolError; cancelling
    it cancels `inner` (if that has not started)."""
    outer: Future = Future()

    def follow(f: Future) -> None:
        if f.cancelled():
            outer.cancel()
            return
        exc = f.exception()
        if isinstance(exc, BrokenProcessPool):
            exc, cause = VerifierPoolError(_BROKEN), exc
            exc.__cause__ = cause
        try:
            if exc is not None:
                outer.set_exception(exc)
            else:
                outer.set_result(f.result())
        except InvalidStateError:  # its caller cancelled it meanwhile
            pass

    outer.add_done_callback(lambda f: f.cancelled() and inner.cancel())
    inner.add_done_callback(follow)
    return outer


def verify_many(proofs: Iterable[bytes | str | os.PathLike[str]], vk: Any, *,
                workers: int | None = None, expected_inputs: Sequence[Any] | None = None,
                quantized: bool = False, strict: bool = False,
                **options: Any) -> list[Outcome]:
    """Verify many inference proofs against one key on several cores.

    A one-call `VerifierPool`: it checks the key here, starts `workers` processes (None:
    the cores this process may use; never more than there are proofs; 1: verify in this
    process, no pool), verifies, and stops them. A service verifying proofs as they come
    should keep a `VerifierPool` instead and pay the start-up once.

    Returns one answer per proof, in order: a `VerifiedInference`, or for an invalid
    proof the `VerificationError` it raised (see `VerifierPool.verify_many`, which also
    describes `expected_inputs`, `quantized`, `strict` and what raises). `vk` and
    `options` are as for `zkml.Verifier`.
    """
    items = list(proofs)
    n = default_workers() if workers is None else workers
    if isinstance(n, int) and not isinstance(n, bool) and n > 1:
        n = max(1, min(n, len(items)))  # more processes than proofs would idle
    with VerifierPool(vk, workers=n, **options) as pool:
        return pool.verify_many(items, expected_inputs=expected_inputs, quantized=quantized,
                                strict=strict)
