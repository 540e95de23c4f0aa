"""Every error zkml raises, in one hierarchy.

A service tells three things apart: the proof is invalid (`VerificationError`), a file
or artifact of its own is missing, unreadable or corrupt (`ArtifactError`), and the data
it was given is bad (`InputError`). Everything derives from `ZkmlError`:

    ZkmlError                        anything zkml raises                          exit
    ├── VerificationError            the proof is invalid ("invalid proof: ...")      1
    │   ├── ProofFormatError         its bytes do not parse: tampered, wrong kind
    │   │   └── TruncatedProofError  its bytes end early ("truncated proof: ...")
    │   └── StatementMismatchError   a valid proof about another input than expected
    │                                ("the proof is about another input (...)")
    ├── ArtifactError                a file or artifact is missing, unreadable or     2
    │   │                            corrupt
    │   ├── FileError                missing, a directory, no permission, disk full
    │   │   └── OutputExistsError    the output exists and overwriting was not asked
    │   ├── InvalidKeyError          a verifying key that does not parse or whose
    │   │                            well-formedness proof fails ("invalid verifying
    │   │                            key: ...")
    │   └── CompiledModelError       a corrupt compiled model ("invalid compiled
    │                                model: ..."; also a ModelError)
    ├── InputError                   bad data: a wrong shape, NaN, a number too       2
    │                                large, a malformed digest ("bad input: ...")
    ├── ModelError                   an ONNX model cannot be imported, quantized or   2
    │                                compiled (zkml.onnx_import.errors: NotOnnxError,
    │                                UnsupportedOpError, ...; QuantOverflowError;
    │                                CircuitFormatError)
    ├── ProverError                  the prover could not produce a proof             2
    │   │                            ("proving failed: ...")
    │   ├── ProverArgumentError      the native prover refused its arguments: sizes,
    │   │                            limits (also an InputError; Rust
    │   │                            Error::InvalidArgument)
    │   ├── ProverFormatError        bytes handed to the native prover do not parse,
    │   │                            a circuit it cannot read (also an InputError;
    │   │                            Rust Error::Format)
    │   ├── ProverCheckError         one of the native prover's own checks failed
    │   │                            (Rust Error::Rejected, Error::Sumcheck)
    │   └── ProveMemoryError         the proof's estimated memory exceeds what it     4
    │                                may use (zkml.prove_memory): refused before any
    │                                work ("not enough memory: ...")
    └── VerifierPoolError            a worker of zkml.VerifierPool stopped before     2
                                     answering (defined in zkml.batch_verify)

The exit column is the `zkml` command's exit code for that error (`zkml.cli.main`);
the command exits 0 on success, 2 on a usage error or an operating-system error (a file
it cannot read or write, no memory), 4 when a proof's estimated memory exceeds what it
may use, 130 when interrupted (Ctrl-C) and 3 on an internal error (a bug: the traceback
is printed).

`str(exc)` says what happened in words first and then the detail ("invalid proof:
logup tree 0: ..."); `exc.detail` is the detail alone. `exc.check` is the dotted id of
the check that failed (`"logup.group-sum"`; None when no single check applies): the
ids are listed in circuits/soundness.md, "Check ids", and the Rust core gives the same
check the same id, so an error from the native module carries it too.
"""

from __future__ import annotations

__all__ = ["ZkmlError", "VerificationError", "ProofFormatError", "TruncatedProofError",
           "StatementMismatchError", "ArtifactError", "FileError", "OutputExistsError",
           "InvalidKeyError", "CompiledModelError", "InputError", "ModelError", "ProverError",
           "ProverArgumentError", "ProverFormatError", "ProverCheckError", "ProveMemoryError",
           "EXIT_INVALID_PROOF", "EXIT_ERROR", "EXIT_INTERNAL", "EXIT_MEMORY",
           "EXIT_INTERRUPTED",
           "exit_code", "ClippingWarning"]

#: `zkml` exit codes (0 is success).
EXIT_INVALID_PROOF = 1
EXIT_ERROR = 2
EXIT_INTERNAL = 3
EXIT_MEMORY = 4
EXIT_INTERRUPTED = 130


class ZkmlError(Exception):
    """Base class of every error raised by zkml.

    `check` names the check that failed when the error is a rejection (a dotted id such
    as ``"logup.group-sum"`` or ``"gadget.add.relation"``, listed in
    `circuits/soundness.md`); tests and services match on it, not on the message text.
    It is None when no single check applies (a missing file, a bad argument).
    """

    #: What happened, in words; `str()` puts it before the detail.
    summary: str = ""

    def __init__(self, *args: object, check: str | None = None) -> None:
        super().__init__(*args)
        self.check = check

    def __reduce__(self) -> tuple:
        # keeps `check` across pickling (zkml.VerifierPool's worker processes)
        return (_rebuild, (type(self), self.args, self.check))

    @property
    def detail(self) -> str:
        """The message without the summary."""
        return super().__str__()

    def __str__(self) -> str:
        detail = super().__str__()
        if not self.summary or detail.startswith(self.summary):
            return detail
        return f"{self.summary}: {detail}" if detail else self.summary


class VerificationError(ZkmlError):
    """The proof is invalid: a check failed, its bytes do not parse, it is for another
    model, or (StatementMismatchError) it is about another input than the expected one."""

    summary = "invalid proof"


class ProofFormatError(VerificationError):
    """The proof's bytes do not parse under the strict encoding rules (encoding.md), or
    they are another kind of artifact."""


class TruncatedProofError(ProofFormatError):
    """The proof's bytes end before what they declare."""

    summary = "truncated proof"


class StatementMismatchError(VerificationError):
    """A valid proof states another input than the one the caller expects (its input
    digest differs): it proves nothing about the caller's input. Its message says so
    first ("the proof is about another input (input digest ..., expected ...)")."""

    summary = ""


class ArtifactError(ZkmlError):
    """A file or artifact the caller supplied is missing, unreadable or corrupt (not a
    proof: a proof's faults are VerificationErrors)."""


class FileError(ArtifactError):
    """A file cannot be read or written: missing, a directory, no permission, no space.
    The message names the user's path."""

    @classmethod
    def from_os(cls, exc: OSError, action: str, path: object) -> FileError:
        """The FileError for an OSError met while `action` ("read", "write") `path`: the
        user's path and the system's reason ("cannot write m.vk: No space left on
        device"), whatever temporary file the OSError named."""
        reason = exc.strerror or type(exc).__name__
        return cls(f"cannot {action} {path}: {reason}")


class OutputExistsError(FileError):
    """The output path exists and overwriting was not requested."""


class InvalidKeyError(ArtifactError):
    """A verifying key does not parse, is not a verifying key, or its model stack's
    well-formedness proof fails: the key is bad, whatever the proof."""

    summary = "invalid verifying key"


class ModelError(ZkmlError):
    """A model could not be imported, quantized or compiled."""


class CompiledModelError(ArtifactError, ModelError):
    """A compiled model file (`.zkmlc`) is corrupt, of an unsupported version, or does not
    match its own key. It is also a ModelError, as it was before ArtifactError existed."""

    summary = "invalid compiled model"


class InputError(ZkmlError):
    """The data given is bad: inputs of the wrong shape or type, non-finite or too large
    numbers, integers expected, a malformed digest, a bad setting."""

    summary = "bad input"


class ProverError(ZkmlError):
    """The prover could not produce a proof (bad witness, inconsistent inputs, no build)."""

    summary = "proving failed"


# The native module (rust/py) raises these three, one per Rust `Error` variant, with
# the core's message and its check id. Each stays a ProverError (every `except
# ProverError` still sees it) and keeps ProverError's summary and exit code.


class ProverArgumentError(ProverError, InputError):
    """The native prover refused its arguments (Rust `Error::InvalidArgument`): a size or
    limit it cannot handle. The caller's data is at fault, hence also an InputError;
    `check` is None."""


class ProverFormatError(ProverError, InputError):
    """Bytes handed to the native prover do not parse under circuits/encoding.md (Rust
    `Error::Format`: a non-canonical field element, a point off the curve), or its
    circuit description is refused (`key.circuit`); `check` names the parse check."""


class ProverCheckError(ProverError):
    """One of the native prover's own checks of what it built failed (Rust
    `Error::Rejected`, `Error::Sumcheck`); `check` names it, with the id the verifier
    gives the same check."""


class ProveMemoryError(ProverError):
    """A proof's estimated peak memory exceeds the memory it may use
    (`zkml.prove_memory`): refused before any witness is built, never an abort midway
    (`zkml prove` exits 4; `--ignore-memory`, or `check_memory=False` in
    `zkml.prove`, proves anyway)."""

    summary = "not enough memory"


def _rebuild(cls: type, args: tuple, check: str | None) -> ZkmlError:
    exc = cls(*args)
    exc.check = check
    return exc


def exit_code(exc: BaseException) -> int:
    """The `zkml` command's exit code for `exc`: 1 for an invalid proof, 130 for an
    interrupt, 4 for a proof refused for memory, 2 for every other zkml error and for
    operating-system errors (OSError, MemoryError), 3 for anything else (a bug)."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, VerificationError):
        return EXIT_INVALID_PROOF
    if isinstance(exc, ProveMemoryError):
        return EXIT_MEMORY
    if isinstance(exc, ZkmlError | OSError | MemoryError):
        return EXIT_ERROR
    return EXIT_INTERNAL


class ClippingWarning(UserWarning):
    """A warning, not an error: some input values lay outside the range the input's
    fixed-point format represents and were clipped to it, so the proof is about the
    clipped numbers (`zkml.quant.clipping`). `strict=True` (`--strict`) refuses such
    input with an InputError instead; `warnings.simplefilter("error", ClippingWarning)`
    turns every such warning into an exception."""
