"""Python API over the native prover (`zkml._native`): commit, prove, batch-open.

Tables are numpy ``int64`` arrays (quantized values: the fast commit path) or
sequences of Python ints taken mod r. Points are sequences of ints. Every failure
raises :class:`zkml.errors.ProverError` with the prover's message (the native module
raises it itself; an argument it cannot convert is wrapped here).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from zkml.errors import ProverError
from zkml.verifier.field import R

Table = np.ndarray | Sequence[int]
Point = Sequence[int]


def _native():
    try:
        from zkml import _native
    except ImportError as exc:  # pragma: no cover - only without a build
        raise ProverError(f"the native prover is not built ({exc}); run `make build`") from exc
    return _native


def _call(fn, *args):
    """Call a native function; argument conversion errors (a value that does not fit
    the Rust type) become ProverError too."""
    try:
        return fn(*args)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ProverError(f"{type(exc).__name__}: {exc}") from exc


def frs_bytes(values: Sequence[int]) -> bytes:
    """Field elements as the native module takes them: 32-byte big-endian each (mod r)."""
    return b"".join((int(v) % R).to_bytes(32, "big") for v in values)


def _table_arg(table: Table):
    if isinstance(table, np.ndarray):
        if table.ndim != 1:
            table = table.reshape(-1)
        if table.dtype.kind in "iub":
            return np.ascontiguousarray(table, dtype=np.int64)
        raise ProverError(f"table dtype {table.dtype} is not an integer type")
    return frs_bytes(table)


def commit(table: Table, log_cols: int | None = None, *, seed: bytes | None = None) -> bytes:
    """Hyrax commitment to `table` (length a power of two), as `Vec<G1>` bytes."""
    return _call(_native().commit, _table_arg(table), log_cols, seed)


def prove_batch_opening(
    stacks: Sequence[tuple[Table, int | None, Sequence[Point]]], *, seed: bytes | None = None
) -> bytes:
    """A `pcs-batch-opening` artifact: each table's evaluations at its points.

    `stacks` lists `(table, log_cols or None, points)`; the claimed values are the
    tables' true evaluations (the verifier returns them).
    """
    args = [(_table_arg(t), c, [frs_bytes(p) for p in pts]) for t, c, pts in stacks]
    return _call(_native().prove_batch_opening, args, seed)


def prove_product_sumcheck(
    f: Table, g: Table, log_cols: int | None = None, *, seed: bytes | None = None
) -> bytes:
    """A `product-sumcheck` artifact for `sum_x f(x) g(x)` over committed f and g."""
    return _call(_native().prove_product_sumcheck, _table_arg(f), _table_arg(g), log_cols,
                 seed)


def has_prove_inference() -> bool:
    """True when the native module provides `prove_inference` (inference proofs)."""
    try:
        from zkml import _native
    except ImportError:  # pragma: no cover - only without a build
        return False
    return hasattr(_native, "prove_inference")


def prove_inference(
    circuit_json: bytes,
    model_stack: np.ndarray,
    columns: Sequence[np.ndarray],
    batch: int,
    inputs: np.ndarray,
    outputs: np.ndarray,
    vk_digest: bytes,
    *,
    seed: bytes | None = None,
) -> bytes:
    """A kind-3 inference proof (circuits/inference.md) as artifact bytes.

    Args:
        circuit_json: the circuit description's canonical bytes (as in the verifying key).
        model_stack: int64, length 2^num_vars: the committed model stack.
        columns: the witness limb columns in spec order (`zkml.witness.build_witness`).
        batch: B, the number of input rows.
        inputs: the quantized inputs, B * n_in values (row-major).
        outputs: the quantized outputs, B * n_out values.
        vk_digest: SHA256 of the verifying-key artifact.
        seed: generator seed (None: the default).
    """
    fn = _function("prove_inference")
    return _call(fn, *_inference_args(circuit_json, model_stack, columns, batch, inputs,
                                      outputs, vk_digest), seed)


def prove_hiding_inference(
    circuit_json: bytes,
    model_stack: np.ndarray,
    columns: Sequence[np.ndarray],
    batch: int,
    inputs: np.ndarray,
    outputs: np.ndarray,
    vk_digest: bytes,
    model_blinders: bytes,
    *,
    seed: bytes | None = None,
    visibility: int = 0,
    input_blinders: bytes | None = None,
    output_blinders: bytes | None = None,
) -> bytes:
    """A kind-5 hiding inference proof (circuits/zk_inference.md) as artifact bytes.

    The arguments of `prove_inference`, plus `model_blinders`: the model stack's row
    blinders the key's commitment was blinded with (32-byte big-endian field elements,
    one per row, as the compiled model keeps them), and the statement's `visibility`
    word (0: public input; 1: private input, not in the proof, zk_inference.md 1.3; 2:
    committed input, 1.4, with its owner's `input_blinders`, bytes like
    `model_blinders`; bit 3: committed output, 1.6, with its `output_blinders`). The
    proof's own blinders come from the operating system's generator, hedged with the
    transcript.
    """
    fn = _function("prove_hiding_inference")
    return _call(fn, *_inference_args(circuit_json, model_stack, columns, batch, inputs,
                                      outputs, vk_digest), bytes(model_blinders), seed,
                 visibility, None if input_blinders is None else bytes(input_blinders),
                 None if output_blinders is None else bytes(output_blinders))


def draw_input_blinders(circuit_json: bytes, batch: int, *,
                        seed: bytes | None = None) -> bytes:
    """Fresh row blinders of a committed input of `batch` rows (zk_inference.md 1.4),
    as 32-byte big-endian field elements: drawn once by the input's owner, secret."""
    return _call(_native().draw_input_blinders, bytes(circuit_json), batch, seed)


def input_commitment(circuit_json: bytes, inputs: np.ndarray, batch: int,
                     input_blinders: bytes, *, seed: bytes | None = None) -> bytes:
    """A committed input's row commitments `C_X` (`Vec<G1>` bytes, zk_inference.md
    1.4) for `inputs` (B rows, flat int64) and the owner's blinders."""
    return _row_commitment("hiding_input_commitment", circuit_json, inputs, batch,
                           input_blinders, seed)


def draw_output_blinders(circuit_json: bytes, batch: int, *,
                         seed: bytes | None = None) -> bytes:
    """Fresh row blinders of a committed output of `batch` rows (zk_inference.md 1.6),
    as 32-byte big-endian field elements: drawn by the prover, kept by the owner."""
    return _call(_native().draw_output_blinders, bytes(circuit_json), batch, seed)


def output_commitment(circuit_json: bytes, outputs: np.ndarray, batch: int,
                      output_blinders: bytes, *, seed: bytes | None = None) -> bytes:
    """A committed output's row commitments `C_Y` (`Vec<G1>` bytes, zk_inference.md
    1.6) for `outputs` (B rows, flat int64) and the owner's blinders."""
    return _row_commitment("hiding_output_commitment", circuit_json, outputs, batch,
                           output_blinders, seed)


def _row_commitment(name: str, circuit_json: bytes, values: np.ndarray, batch: int,
                    blinders: bytes, seed: bytes | None) -> bytes:
    """The native `name` (a committed tensor's row commitments) on `values` as flat
    contiguous int64, the form the binding reads."""
    flat = np.ascontiguousarray(np.asarray(values, dtype=np.int64).reshape(-1))
    return _call(getattr(_native(), name), bytes(circuit_json), flat, batch, bytes(blinders),
                 seed)


def _function(name: str):
    """A function of the native module; ProverError if this build lacks it."""
    fn = getattr(_native(), name, None)
    if fn is None:
        raise ProverError(f"this build of the native prover has no {name}; rebuild it with "
                          "`make build`")
    return fn


def _inference_args(circuit_json, model_stack, columns, batch, inputs, outputs, vk_digest):
    """The arguments every native inference prover takes, as it takes them."""

    def arr(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.asarray(a).reshape(-1), dtype=np.int64)

    return (bytes(circuit_json), arr(model_stack), [arr(c) for c in columns], int(batch),
            arr(inputs), arr(outputs), bytes(vk_digest))


def has_build_verifying_key() -> bool:
    """True when the native module builds verifying keys with the well-formedness proof."""
    try:
        from zkml import _native
    except ImportError:  # pragma: no cover - only without a build
        return False
    return hasattr(_native, "build_verifying_key")


def build_verifying_key(circuit_json: bytes, model_stack: np.ndarray, *,
                        seed: bytes | None = None) -> bytes:
    """The kind-4 verifying key: circuit, model commitment and the model stack's
    well-formedness proof (circuits/inference.md section 7)."""
    fn = getattr(_native(), "build_verifying_key", None)
    if fn is None:
        raise ProverError("this build of the native prover has no build_verifying_key; "
                          "rebuild it with `make build`")
    stack = np.ascontiguousarray(np.asarray(model_stack).reshape(-1), dtype=np.int64)
    return _call(fn, bytes(circuit_json), stack, seed)


def draw_model_blinders(circuit_json: bytes, *, seed: bytes | None = None) -> list[int]:
    """Fresh row blinders of a model of `circuit_json` (one field element per
    model-stack row): drawn once when the model is compiled and kept with it, secret,
    never in a key (circuits/zk_inference.md 4)."""
    data = _call(_native().draw_model_blinders, bytes(circuit_json), seed)
    return [int.from_bytes(data[i:i + 32], "big") for i in range(0, len(data), 32)]


def build_hiding_verifying_key(circuit_json: bytes, model_stack: np.ndarray,
                               model_blinders: Sequence[int], *,
                               seed: bytes | None = None) -> bytes:
    """The kind-6 (hiding) verifying key: circuit, the model commitment blinded with
    `model_blinders` (`draw_model_blinders`), and a hiding well-formedness proof
    (circuits/zk_inference.md section 4)."""
    stack = np.ascontiguousarray(np.asarray(model_stack).reshape(-1), dtype=np.int64)
    return _call(_native().build_hiding_verifying_key, bytes(circuit_json), stack,
                 frs_bytes(model_blinders), seed)
