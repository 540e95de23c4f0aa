"""The Python API: `compile`, `prove`, `verify`, `load` and `Verifier`.

    import zkml
    compiled = zkml.compile("mlp.onnx", calibration="samples.npy",
                            output_path="mlp.zkmlc", vk_path="mlp.vk")
    result = zkml.prove(compiled, x)            # x: one example or a batch, floats
    verified = zkml.verify(result.proof, compiled.verifying_key)
    print(verified.outputs_float, verified.predictions)

`verify` and `Verifier` use only the pure-Python verifier (`zkml.verifier`)
and import neither numpy nor the native prover; `compile` and `prove` import numpy
(and `compile` onnx) when called.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zkml.artifacts import (
    KIND_HIDING_INFERENCE,
    artifact_kind,
    encode_verifying_key,
    parse_verifying_key,
    proof_vk_digest,
    verifying_key_bytes,
)
from zkml.errors import (
    InputError,
    ProofFormatError,
    StatementMismatchError,
    VerificationError,
)

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from zkml.compiled_model import CompiledModel
    from zkml.progress import ProgressArg

__all__ = ["compile", "prove", "verify", "load", "ProofResult", "VerifiedInference",
           "Verifier", "COMPILED_SUFFIX", "VK_SUFFIX", "PROOF_SUFFIX"]

COMPILED_SUFFIX = ".zkmlc"
VK_SUFFIX = ".vk"
PROOF_SUFFIX = ".proof"

PathLike = str | os.PathLike[str]


#: The compiled model is 0.8 to 1.5 times the size of an ONNX file of mostly weights
#: (5 times a tiny one's); the key grows with the square root of the weights. The
#: preflight asks for more than that (`_output_estimates`).
_MIB = 1 << 20


def _output_estimates(model_path: Path, outs: list[tuple[Path, str]]) -> dict[Path, int]:
    """Generous size estimates of compile's outputs from the ONNX file's size (none if it
    cannot be read: the import reports that)."""
    try:
        n = os.stat(model_path).st_size
    except OSError:
        return {}
    per_kind = {"compiled model": 2 * n + _MIB, "verifying key": n // 16 + _MIB}
    return {p: per_kind[what] for p, what in outs}


def _compile_files(model_path: Path, calibration: Any, output_path: PathLike | None,
                   vk_path: PathLike | None) -> tuple[list[tuple[Path, str]], dict[Path, str]]:
    """(outputs, inputs) of a compile: (path, what it is) pairs and path -> what it is,
    as `zkml.fileio` takes them."""
    outs = [(Path(p), what) for p, what in ((output_path, "compiled model"),
                                            (vk_path, "verifying key")) if p is not None]
    srcs = {model_path: "ONNX model"}
    if isinstance(calibration, str | os.PathLike):
        srcs[Path(calibration)] = "calibration file"
    return outs, srcs


def compile(  # noqa: A001 - the public name is zkml.compile
    model_path: PathLike,
    calibration: Any = None,
    *,
    output_path: PathLike | None = None,
    vk_path: PathLike | None = None,
    overwrite: bool = False,
    outputs: Sequence[str] | None = None,
    input_shape: Sequence[int] | Mapping[str, Sequence[int]] | None = None,
    precision: str | None = None,
    seed: bytes | None = None,
    hiding: bool = True,
    progress: ProgressArg = None,
    unlearnable: Sequence[str] = (),
) -> CompiledModel:
    """Import, quantize and compile an ONNX model into a provable circuit.

    Quantization and its fidelity report are those of `zkml.compile_api.compile_model`
    (same `calibration`, `outputs`, `input_shape`, `precision`). Then the quantized
    model is compiled into a circuit (ModelError naming the op if it cannot be proven
    yet), its model stack is committed, and the verifying key is built.

    Args:
        output_path: write the compiled model there.
        vk_path: write the verifying key there. The two files are written as a unit
            (`zkml.fileio.write_group`): if writing either fails, both are left as they
            were. Missing directories are created.
        overwrite: replace existing output files (otherwise they are refused).
        seed: generator seed of the commitment (None: the default).
        hiding: True (the default) builds a hiding verifying key (kind 6,
            circuits/zk_inference.md 4): the model stack's rows are blinded with
            blinders drawn now from the operating system and kept in the compiled model
            (written 0600, never in the key), the key's well-formedness proof is zero
            knowledge, and `prove` then makes hiding proofs (kind 5) that reveal nothing
            about the weights or activations. False is the non-hiding mode, kept for
            benchmarks and kind-3 tests: a kind-4 key and kind-3 proofs, which reveal
            linear combinations of the weights (README, "What a proof guarantees").
        unlearnable: weight (initializer) names that keep one bit of headroom in their
            format, so that `zkml unlearn apply` can update them within the same circuit
            (circuits/unlearning.md 7); empty by default.
        progress: True prints a line per stage on stderr (import, calibrate, quantize,
            circuit, fidelity, commit and key, write; updated in place on a terminal), a
            `zkml.progress.Progress` reports as it is set up; None or False: silent.

    Before any work the outputs are checked (`zkml.fileio.check_outputs`): an output that
    is the ONNX or calibration file or the other output, an existing one without
    `overwrite`, a directory that cannot be created or written, or too little space
    raises FileError (OutputExistsError) naming the path.

    Returns:
        A `zkml.compiled_model.CompiledModel` with `verifying_key` and `commitment`.
    """
    from zkml.compile_api import compile_model
    from zkml.compiled_model import CompiledModel
    from zkml.compiler.build import compile_circuit
    from zkml.fileio import check_outputs, write_group
    from zkml.progress import Progress
    from zkml.prover import (
        build_hiding_verifying_key,
        build_verifying_key,
        commit,
        draw_model_blinders,
        frs_bytes,
        has_build_verifying_key,
    )

    progress = Progress.of(progress, "compile")
    model_path = Path(model_path)
    outs, srcs = _compile_files(model_path, calibration, output_path, vk_path)
    check_outputs(outs, inputs=srcs, overwrite=overwrite,
                  sizes=_output_estimates(model_path, outs))

    # The verifying key (commitment and well-formedness proof, native code without the
    # GIL) is built in a thread while the fidelity report runs the float model.
    built: dict[str, Any] = {}

    def build_key(cj: bytes, stack) -> None:
        try:
            if hiding:
                blinders = draw_model_blinders(cj, seed=seed)
                built["vk"] = build_hiding_verifying_key(cj, stack, blinders, seed=seed)
                built["commitment"] = parse_verifying_key(built["vk"]).commitment
                built["blinders"] = frs_bytes(blinders)
            elif has_build_verifying_key():
                built["vk"] = build_verifying_key(cj, stack, seed=seed)
                built["commitment"] = parse_verifying_key(built["vk"]).commitment
            else:  # a native module from before the well-formedness proof
                ms = built["cc"].circuit.model_stack
                built["commitment"] = commit(stack, ms.log_cols, seed=seed)
                built["vk"] = encode_verifying_key(cj, ms.num_vars, ms.log_cols,
                                                   built["commitment"])
        except BaseException as exc:  # re-raised in the caller's thread
            built["error"] = exc

    def on_quantized(qmodel) -> None:
        with progress.stage("circuit"):
            built["cc"] = compile_circuit(qmodel)
        cc = built["cc"]
        worker = threading.Thread(target=build_key, args=(cc.circuit.to_bytes(), cc.model_stack),
                                  name="zkml-verifying-key", daemon=True)
        built["thread"] = worker
        worker.start()

    try:
        base = compile_model(model_path, calibration=calibration, outputs=outputs,
                             input_shape=input_shape, precision=precision, progress=progress,
                             on_quantized=on_quantized, unlearnable=tuple(unlearnable))
    except BaseException:
        # Ctrl-C or an error during the fidelity report: wait for the key's native build
        # before leaving. A daemon thread still in native code when the interpreter
        # finalizes is stopped as it takes the GIL back, which can hang the exit
        # (seen: a Ctrl-C'd hiding compile that never exited).
        if "thread" in built:
            built["thread"].join()
        raise
    with progress.stage("commit and key"):  # started beside the fidelity report
        built["thread"].join()
    if "error" in built:
        raise built["error"]
    cc, vk, commitment = built["cc"], built["vk"], built["commitment"]
    compiled = CompiledModel(base.model, base.fidelity, base.source, base.extra_sections,
                             compiled_circuit=cc, commitment=commitment, verifying_key=vk,
                             model_blinders=built.get("blinders", b""))
    compiled.known_files.update(srcs)
    if outs:
        data = {p: compiled.to_bytes() if what == "compiled model" else vk for p, what in outs}
        with progress.stage("write"):
            write_group(data, overwrite=overwrite, inputs=srcs, kinds=dict(outs))
        compiled.known_files.update(outs)
    return compiled


def load(path: PathLike) -> CompiledModel:
    """Load a compiled model file (`zkml compile`'s output)."""
    from zkml.compiled_model import CompiledModel

    return CompiledModel.load(path)


@dataclass
class ProofResult:
    """A proof and the output it proves.

    Attributes:
        proof: the proof artifact bytes (kind 5, hiding; kind 3 for a model compiled
            with `hiding=False`; write them to a .proof file).
        batch: number of rows proven (examples times the model's leading dimension).
        inputs: (B, n_in) int64, the quantized inputs in the statement.
        outputs: (B, n_out) int64, the quantized outputs in the statement; with an ArgMax
            output (`argmax`), (B, 1) class indices.
        output_frac_bits: the output scale is 2^-output_frac_bits (0 with ArgMax).
        timings: seconds per stage ("quantize", "witness", "prove").
        argmax: the model's output is ArgMax (the proof states indices only).
        output_parts: each proven output's name, size and own scale in a row of
            `outputs` (`zkml.compiler.io.IOPart`, the model's output order); a model with
            several outputs proves their concatenation, each brought to the finest
            output scale `output_frac_bits`. `output_dict()` splits them per name.
        clipping: per input, the values quantizing clipped and those beyond the
            calibrated range (`zkml.quant.clipping.ClipReport`).
        known_files: the files the proof was made from (the compiled model's
            `known_files`: its compiled model file, verifying key, ONNX model and
            calibration file), which `save` never writes over.
    """

    proof: bytes
    batch: int
    inputs: np.ndarray
    outputs: np.ndarray
    output_frac_bits: int
    timings: dict[str, float] = field(default_factory=dict)
    argmax: bool = False
    output_parts: list = field(default_factory=list)
    clipping: Any = None
    known_files: dict[Path, str] = field(default_factory=dict, repr=False, compare=False)
    #: with input="committed": the input's opening (`zkml.input_opening.InputOpening`,
    #: secret: `save` it to prove about the same commitment again)
    input_opening: Any = field(default=None, repr=False, compare=False)
    #: with output="committed": the output's opening (`zkml.output_opening`, secret)
    output_opening: Any = field(default=None, repr=False, compare=False)

    @property
    def hiding(self) -> bool:
        """The proof is hiding (kind 5, circuits/zk_inference.md): made for a model
        compiled the default way (`hiding=True`)."""
        return artifact_kind(self.proof) == KIND_HIDING_INFERENCE

    @property
    def visibility(self) -> Any:
        """What the proof makes public (`zkml.visibility.Visibility`): with a private
        input, `inputs` are the prover's own and not in the proof."""
        from zkml.visibility import proof_visibility

        return proof_visibility(self.proof)

    @property
    def output_names(self) -> list[str]:
        """The proven outputs' names, in the order a row of `outputs` holds them."""
        return [p.name for p in self.output_parts]

    def output_dict(self, *, dequantize: bool = False) -> dict[str, np.ndarray]:
        """The proven outputs per name: `(B, n_k)` int64 at each output's own scale
        `2^-frac_bits_k` (exactly the integer executor's values: the statement holds them
        multiplied by `2^(output_frac_bits - frac_bits_k)`), or with `dequantize` the
        float values. With an ArgMax output, the `(B, 1)` indices."""
        import numpy as np

        out = {}
        for p in self.output_parts:
            q = self.outputs[:, p.offset : p.offset + p.features]
            shift = 0 if self.argmax else self.output_frac_bits - p.frac_bits
            q = q >> np.int64(shift)
            out[p.name] = np.ldexp(q.astype(np.float64), -p.frac_bits) if dequantize \
                and not self.argmax else q
        return out

    @property
    def named_outputs(self) -> dict[str, np.ndarray]:
        """`output_dict()`: the proven integer outputs per name, each at its own scale."""
        return self.output_dict()

    @property
    def outputs_float(self) -> np.ndarray:
        """The proven outputs dequantized: `q * 2^-frac_bits` (indices with ArgMax)."""
        import numpy as np

        return np.ldexp(self.outputs.astype(np.float64), -self.output_frac_bits)

    @property
    def predictions(self) -> np.ndarray:
        """The class of each row: the proven index with ArgMax, else the first maximum."""
        return self.outputs[:, 0] if self.argmax else self.outputs.argmax(axis=1)

    def save(self, path: PathLike, *, overwrite: bool = False) -> Path:
        """Write the proof artifact atomically (`zkml.fileio.write_atomic`; a missing
        directory is created). Refuses, with FileError naming the path, to replace a file
        unless `overwrite` (OutputExistsError), and always to write over one of
        `known_files` (the compiled model the proof was made from, its key, ...)."""
        from zkml.fileio import write_atomic

        return write_atomic(path, self.proof, overwrite=overwrite, inputs=self.known_files,
                            what="proof")


def prove(
    compiled: CompiledModel | PathLike,
    inputs: Any,
    *,
    quantized: bool = False,
    seed: bytes | None = None,
    check: bool = True,
    progress: ProgressArg = None,
    strict: bool = False,
    input: str = "public",  # the tensor's name, as the CLI's --input
    output: str = "public",
    input_opening: Any = None,
    weights: str | None = None,
    output_opening: PathLike | None = None,
    check_memory: bool = True,
) -> ProofResult:
    """Prove the compiled model's output on `inputs`.

    The proof's kind follows the compiled model's key: a hiding proof (kind 5,
    circuits/zk_inference.md: nothing about the weights or activations is revealed)
    for a model compiled the default way, an inference proof (kind 3, not hiding) for
    one compiled with `hiding=False`.

    Args:
        compiled: a CompiledModel from `zkml.compile` / `zkml.load`, or its file.
        inputs: one example (an array of the model input's shape), a batch (leading axis
            of examples), rows of `n_in` features, or a list of flat examples (EZKL's
            `input_data`). A model with several inputs takes a dict {name: array} or a
            list / tuple of one array (or EZKL list) per input in the model's input
            order, all with the same number of examples (`zkml.inputs.as_input_rows`).
            Floats are quantized at the input scale (round half up, saturate; several
            inputs share one scale); with `quantized=True` they must already be
            integers (the inputs' rows side by side). Values outside the range the
            input's fixed-point format represents are clipped to it, with a
            `zkml.errors.ClippingWarning` naming the input and the count
            (`ProofResult.clipping` has the counts, and values beyond the calibrated
            range: `zkml.quant.clipping`).
        seed: generator seed (None: the default; must match the commitment's).
        check: compare the witness with the integer reference executor (default on).
        progress: True prints a line per stage on stderr (load, quantize, witness,
            prove), a `zkml.progress.Progress` reports as it is set up; None or False:
            silent.
        strict: refuse input that would be clipped (InputError) instead of warning.
        input: the input's visibility (`zkml.visibility`): "public" (the statement's) or,
            for a model compiled with `hiding=True`, "private" (the proof carries no input
            and binds it hidden; circuits/zk_inference.md 1.3) or "committed" (the proof
            carries the input's commitment, the same in every proof made with one
            opening; 1.4).
        output: the output's visibility: "public" or, for a model compiled hiding,
            "committed" (the proof carries only the output's commitment `C_Y`;
            circuits/zk_inference.md 1.6; not for an ArgMax output).
        input_opening: with input="committed", the opening (`zkml.input_opening.
            InputOpening` or its file) of an earlier commitment to this same input;
            None makes a new one (`ProofResult.input_opening`: save it, it is secret).
        weights: None (the key's: private for a model compiled hiding, the default),
            "private" (needs such a model) or "public" (a model compiled with
            `hiding=False`: a hiding proof against its key, whose commitment anyone with the
            model recomputes; circuits/zk_inference.md 1.5).
        output_opening: with output="committed", the output's opening file
            (`zkml.output_opening`): written 0600 after proving, or reused when it
            exists (same `C_Y`); None: `ProofResult.output_opening` only.
        check_memory: refuse, before building the witness, a proof whose estimated peak
            memory (`zkml.prove_memory`) exceeds the memory it may use
            (`ZKML_PROVE_MEMORY`, else the system's available memory); False proves
            anyway.

    Raises:
        InputError for inputs of the wrong shape or type, non-finite values and, with
        `strict`, clipped ones, and for an `input` / `output` that is not a choice, not
        built yet, or private without a hiding key; FileError / CompiledModelError for a
        `compiled` file that is missing or corrupt; ProverError if proving fails;
        `zkml.prove_memory.ProveMemoryError` (a ProverError) if the proof cannot fit.
    """
    from zkml.progress import Progress
    from zkml.prover import prove_hiding_inference, prove_inference
    from zkml.statement import InputLayout, quantize_rows
    from zkml.visibility import visibility_word
    from zkml.witness import build_witness

    progress = Progress.of(progress, "prove")
    if not hasattr(compiled, "require_circuit"):
        with progress.stage("load"):
            compiled = load(compiled)  # type: ignore[arg-type]
    word = visibility_word(input, output, hiding=bool(compiled.model_blinders),
                           weights=weights)
    cc = compiled.require_circuit()
    circuit = cc.circuit
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    # The one quantization verify --input and the dry run use too (zkml.statement).
    with progress.stage("quantize"):
        _, x, clipping = quantize_rows(inputs, InputLayout.of_compiled(compiled),
                                       quantized=quantized, strict=strict)
    clipping.warn(stacklevel=2)
    if check_memory:
        from zkml.prove_memory import check_prove_memory

        check_prove_memory(circuit, int(x.shape[0]))
    timings["quantize"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with progress.stage("witness"):
        w = build_witness(cc, compiled.model, x, check=check)
    timings["witness"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    args = (circuit.to_bytes(), cc.model_stack, w.columns, w.batch, w.inputs, w.outputs,
            compiled.vk_digest)
    opening = None
    if word & 3 == 2:
        from zkml.input_opening import open_committed_input

        opening = open_committed_input(args[0], compiled.vk_digest, w.inputs, w.batch,
                                       input_opening, seed=seed)
    elif input_opening is not None:
        raise InputError("an input opening goes with input='committed'")
    from zkml.output_opening import opening_for_proof

    out_opening = opening_for_proof(word, circuit, args, output_opening, seed)
    with progress.stage("prove"):
        # the key decides the kind: a hiding key (kind 6) gets a hiding proof (kind 5)
        if compiled.model_blinders or word & 4:
            # public weights: a kind-4 key's rows are unblinded (zero blinders)
            ms = cc.circuit.model_stack
            blinders = compiled.model_blinders or bytes(32 << (ms.num_vars - ms.log_cols))
            proof = prove_hiding_inference(
                *args, blinders, seed=seed, visibility=word,
                input_blinders=None if opening is None else opening.blinders,
                output_blinders=None if out_opening is None else out_opening.blinders)
        else:
            proof = prove_inference(*args, seed=seed)
    timings["prove"] = time.perf_counter() - t0
    if out_opening is not None:
        out_opening.keep(output_opening)
    frac = 0 if circuit.argmax else circuit.output.frac_bits
    return ProofResult(proof, w.batch, w.inputs, w.outputs, frac, timings, circuit.argmax,
                       list(cc.output_parts), clipping, dict(compiled.known_files), opening,
                       out_opening)



@dataclass(frozen=True)
class VerifiedInference:
    """What a valid proof established: this model maps these inputs to these outputs.

    Inputs and outputs are the quantized integers of the statement, one tuple per row
    (with an ArgMax output, `argmax`, each output row is the one index `(k,)`);
    `outputs_float` and `predictions` are derived from them with the key's output scale.
    A proof is about its own input: check `inputs` or `input_digest` against the input
    you mean (or let `Verifier.verify(expected_input=...)` do it).
    """

    batch: int
    inputs: tuple[tuple[int, ...], ...]
    outputs: tuple[tuple[int, ...], ...]
    input_frac_bits: int
    output_frac_bits: int
    vk_digest: bytes
    statement: Any = None
    argmax: bool = False
    #: SHA256 of the statement's input / output bytes (`zkml.statement`); compare them,
    #: or pass `expected_input` to `verify`, to know what the proof is about
    input_digest: bytes = b""
    output_digest: bytes = b""

    @property
    def hiding(self) -> bool:
        """The proof was hiding (kind 5): it revealed nothing about the weights or
        activations beyond this statement (circuits/zk_inference.md)."""
        return bool(getattr(self.statement, "hiding", False))

    @property
    def visibility(self) -> Any:
        """What the proof made public (`zkml.visibility.Visibility`); with a private
        input, `inputs` is empty and `input_digest` is b"" (the proof binds an input
        it does not reveal)."""
        from zkml.visibility import of_word

        return of_word(int(getattr(self.statement, "visibility", 0)), self.hiding)

    @property
    def input_commitment_digest(self) -> bytes:
        """A committed input's commitment digest (`zkml.input_opening.
        commitment_digest` of `C_X`'s bytes); b"" for another input."""
        from zkml.input_opening import points_digest

        return points_digest(getattr(self.statement, "input_commitment", ()))

    @property
    def output_commitment_digest(self) -> bytes:
        """A committed output's `C_Y` digest (what `zkml.open_output` checks an
        opening against); b"" for a public output."""
        from zkml.input_opening import points_digest

        return points_digest(getattr(self.statement, "output_commitment", ()))

    @property
    def outputs_float(self) -> list[list[float]]:
        """Outputs dequantized: `q * 2^-output_frac_bits`."""
        s = 2.0 ** -self.output_frac_bits
        return [[v * s for v in row] for row in self.outputs]

    @property
    def inputs_float(self) -> list[list[float]]:
        """Inputs dequantized: `q * 2^-input_frac_bits`."""
        s = 2.0 ** -self.input_frac_bits
        return [[v * s for v in row] for row in self.inputs]

    @property
    def predictions(self) -> list[int]:
        """The class of each row: the proven index with ArgMax, else the first maximum."""
        if self.argmax:
            return [r[0] for r in self.outputs]
        return [max(range(len(r)), key=r.__getitem__) for r in self.outputs]


def _vk_bytes(vk: Any) -> bytes:
    """`zkml.artifacts.verifying_key_bytes` (kept under this name for its callers)."""
    return verifying_key_bytes(vk)


class Verifier:
    """Verifies inference proofs against one verifying key: build once, call many times.

    A thin layer over `zkml.verifier.InferenceVerifier` (pure Python) that accepts keys
    as bytes, files or compiled models and returns `VerifiedInference`; it can also
    require the proof to be about an expected input. Instances hold no mutable state
    after construction, so one verifier may serve several threads.
    """

    def __init__(self, vk: Any, *, input_shapes: Mapping[str, Sequence[int]] | None = None,
                 **options: Any) -> None:
        """`vk`: verifying-key bytes, a .vk or compiled-model path, a CompiledModel, or a
        `zkml.verifier.VerifyingKey`; `options` go to `zkml.verifier.InferenceVerifier`
        (seed, max_log_cols, max_batch). `input_shapes` (name -> shape of one run, input
        order) tells how an expected input's data maps onto the statement's input row;
        a CompiledModel supplies its own, and without them an expected input must be one
        input whose arrays' last axes hold whole rows (`zkml.statement`). Raises
        InvalidKeyError (not a VerificationError) if the key is bad, FileError if its file
        is missing or unreadable, CompiledModelError for a corrupt compiled model."""
        from zkml.quant.clipping import calibrated_ranges
        from zkml.statement import InputLayout
        from zkml.verifier import InferenceVerifier, VerifyingKey

        self._vk = vk if isinstance(vk, VerifyingKey) else VerifyingKey.from_bytes(_vk_bytes(vk))
        self._inner = InferenceVerifier(self._vk, **options)
        if input_shapes is None and hasattr(vk, "require_circuit"):  # a CompiledModel
            input_shapes = vk.input_shapes
        # a CompiledModel also records its inputs' calibrated ranges (zkml.quant.clipping)
        self._layout = InputLayout.of(self._vk.circuit, input_shapes,
                                      calibrated_ranges(getattr(vk, "fidelity", None)))

    @property
    def vk_digest(self) -> bytes:
        """SHA256 of the verifying key; a proof must name exactly this digest."""
        return self._vk.digest

    @property
    def input_layout(self):
        """How expected inputs map onto the statement (`zkml.statement.InputLayout`: the
        key's input width, bits and scale, and the model's input shapes when known)."""
        return self._layout

    def quantize_input(self, data: Any, *, quantized: bool = False, strict: bool = False):
        """An expected input as the statement would hold it (`zkml.statement.QuantizedInput`:
        integer rows, digest, what saturation clipped), quantized at the key's input scale
        exactly as `zkml.prove` quantizes it. Needs numpy; InputError for bad data, and
        with `strict` for values that would be clipped. Warns of nothing: the caller reads
        `.clipping`."""
        from zkml.statement import quantize_input

        return quantize_input(data, self._layout, quantized=quantized, strict=strict)

    def verify(self, proof: bytes, *, expected_input: Any = None,
               expected_input_digest: str | bytes | None = None,
               quantized: bool = False, strict: bool = False) -> VerifiedInference:
        """Verify `proof` (kind-3 or, hiding, kind-5 bytes); returns the verified statement
        (`hiding` says which) or raises
        VerificationError (ProofFormatError for bytes that do not parse).

        Args:
            expected_input: the input the proof must be about: what `zkml.prove` takes
                (one example, a batch, EZKL's list, a dict of named inputs), or a
                `QuantizedInput` from `quantize_input`. Floats are quantized at the key's
                input scale as the prover does (`quantized`: they are the integers);
                values the prover's quantization clips are clipped here too, with a
                `ClippingWarning` (for data this method quantizes itself).
            strict: refuse an expected input with clipped values (InputError).
            expected_input_digest: the input digest the proof must state: hex (at least
                its first 16 digits, as `zkml prove` prints them) or bytes.

        Raises:
            StatementMismatchError (a VerificationError) when the valid proof is about
            another input; InputError when `expected_input` cannot be read or
            `expected_input_digest` is malformed.
        """
        from zkml.statement import (
            QuantizedInput,
            parse_digest_prefix,
            require_input,
            require_input_digest,
            statement_digests,
        )

        if not isinstance(proof, bytes | bytearray | memoryview):
            raise ProofFormatError(f"proof must be bytes, not {type(proof).__name__}")
        # The caller's expectations are read first: bad arguments fail before any work.
        prefix = None if expected_input_digest is None else \
            parse_digest_prefix(expected_input_digest)
        expected = expected_input
        if isinstance(expected, QuantizedInput):
            if strict:
                expected.clipping.refuse()
        elif expected is not None:
            expected = self.quantize_input(expected, quantized=quantized, strict=strict)
            expected.clipping.warn(stacklevel=2)
        proof = bytes(proof)
        if proof_vk_digest(proof) != self._vk.digest:
            raise VerificationError("the proof is for another model (its verifying-key digest "
                                    "differs from this key's)", check="proof.vk")
        st = self._inner.verify(proof)
        argmax = bool(getattr(st, "argmax", False))
        inputs, outputs = tuple(map(tuple, st.input)), tuple(map(tuple, st.output))
        in_digest, out_digest = statement_digests(self._vk.circuit, st.batch, inputs, outputs)
        if getattr(st, "visibility", 0) & 3:
            in_digest = b""  # a private input: no input in the statement, no digest
            if expected is not None or prefix is not None:
                raise StatementMismatchError(
                    "the proof's input is private: it states no input to compare with the "
                    "expected one", check="statement.input-private")
        if getattr(st, "visibility", 0) & 8:
            out_digest = b""  # a committed output: its commitment only, no values
        if expected is not None:
            require_input(inputs, in_digest, expected)
        if prefix is not None:
            require_input_digest(in_digest, prefix)
        return VerifiedInference(st.batch, inputs, outputs, st.input_frac_bits,
                                 0 if argmax else st.output_frac_bits, st.vk_digest, st, argmax,
                                 in_digest, out_digest)


def verify(proof: bytes | PathLike, vk: Any, *, expected_input: Any = None,
           expected_input_digest: str | bytes | None = None,
           quantized: bool = False, strict: bool = False,
           progress: ProgressArg = None) -> VerifiedInference:
    """Verify an inference proof with the pure-Python verifier.

    Args:
        proof: the proof bytes, or a path to a .proof file.
        vk: verifying-key bytes, a .vk or compiled-model path, a CompiledModel, or a
            `zkml.verifier.VerifyingKey`.
        expected_input, expected_input_digest, quantized, strict: the input the proof
            must be about (`Verifier.verify`); a CompiledModel `vk` supplies the input
            shapes.
        progress: True prints a line on stderr for the key check and the verification
            (`zkml.progress`); None or False: silent.

    Returns:
        The verified statement (inputs, outputs, their scales and digests).

    Raises:
        VerificationError when the proof is invalid (ProofFormatError for bytes that do
        not parse, TruncatedProofError when they end early, StatementMismatchError when
        it is about another input than the expected one); InvalidKeyError for a bad
        key; FileError for a missing or unreadable file; InputError for a bad expected
        input (zkml.errors).
    """
    from zkml.progress import Progress

    progress = Progress.of(progress, "verify")
    if isinstance(proof, str | os.PathLike):
        from zkml.fileio import read_proof

        proof = read_proof(proof)
    with progress.stage("key"):
        verifier = Verifier(vk)
    with progress.stage("proof"):
        return verifier.verify(proof, expected_input=expected_input,
                               expected_input_digest=expected_input_digest,
                               quantized=quantized, strict=strict)
