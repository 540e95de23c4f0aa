"""`zkml inspect --json`: a compiled model, verifying key or proof as one JSON object
(schema zkml/inspect; README, "Machine-readable output"). Nothing is verified: every
object says `"verified": false`, and a proof's statement is what its bytes claim."""

from __future__ import annotations

import hashlib
import math
import struct
from pathlib import Path
from typing import Any

from zkml.cli.jsonout import document

__all__ = ["compiled_document", "verifying_key_document", "proof_document",
           "foundation_document", "proof_digests", "finite", "visibility", "sections"]

_HEADER = 7  # "ZKML", format version, kind
_STATEMENT = _HEADER + 32  # after the verifying-key digest: u32 B, Ints(X), Ints(Y)


def finite(value: Any) -> Any:
    """`value` with every non-finite float replaced by None (strict JSON): reports read
    from a file are shown, not trusted."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def _circuit(c: Any) -> dict[str, Any]:
    """The circuit description as the key carries it (circuits/inference.md section 6)."""
    return c.to_json()


def compiled_document(path: Path) -> dict[str, Any]:
    """A compiled model: its source, inputs, outputs, ops, precision, fidelity report,
    circuit and verifying key (null where an older file has none)."""
    from zkml.compiled_model import CompiledModel

    cm = CompiledModel.load(path)
    m = cm.model
    cc = cm.compiled_circuit
    key = None if cc is None else {"digest": cm.vk_digest.hex(), "size": len(cm.verifying_key)}
    return document(
        "inspect", kind="compiled-model", artifact_kind=None, size=path.stat().st_size,
        verified=False, source=finite(cm.source) or None,
        inputs=[{"name": n, "shape": list(m.tensor(n).shape)} for n in m.inputs],
        outputs=[{"name": k, "shape": list(m.tensor(v).shape)} for k, v in m.outputs.items()],
        ops=dict(sorted(m.summary()["ops"].items())), weights=m.summary()["weights"],
        precision=finite(m.precision) or None, fidelity=finite(cm.fidelity) or None,
        circuit=None if cc is None else _circuit(cc.circuit),
        witness_columns=None if cc is None else len(cc.circuit.columns()),
        commitment_size=None if cc is None else len(cm.commitment), verifying_key=key)


def verifying_key_document(data: bytes) -> dict[str, Any]:
    """A verifying key (kind 4): digest, circuit, commitment, well-formedness proof size
    (the proof is not checked here; `zkml verify` checks it when it loads the key)."""
    from zkml.artifacts import parse_verifying_key

    info = parse_verifying_key(data)
    return document(
        "inspect", kind="verifying-key", artifact_kind=data[6], size=len(data),
        verified=False, digest=info.digest.hex(), circuit=_circuit(info.circuit),
        witness_columns=len(info.circuit.columns()),
        commitment={"rows": 1 << (info.num_vars - info.log_cols),
                    "size": len(info.commitment)},
        wellformedness_proof_size=info.wellformedness_bytes
        if info.has_wellformedness_proof else None)


def _rows(values: tuple[int, ...], batch: int) -> list[list[int]]:
    width = len(values) // batch if batch else len(values)
    return [list(values[i : i + width]) for i in range(0, len(values), width or 1)]


def _ints_at(data: bytes, pos: int, values: tuple[int, ...]) -> bytes | None:
    """The `Ints` encoding of `values` that the proof holds at `pos` (the width the
    statement was decoded at), or None."""
    from zkml.verifier.encoding import enc_ints

    for width in (1, 2, 4, 8):
        try:
            enc = enc_ints(list(values), width)
        except struct.error:  # a value does not fit this width
            continue
        if data[pos : pos + len(enc)] == enc:
            return enc
    return None


def proof_digests(data: bytes, st: Any) -> tuple[bytes | None, bytes | None]:
    """The (input, output) digests of a parsed proof statement, over the bytes the proof
    holds (`SHA256(u32 B || Ints(X))`, as `zkml verify` computes them once it knows the
    key's widths); None where the bytes cannot be matched."""
    batch = data[_STATEMENT : _STATEMENT + 4]
    at = _STATEMENT + 4 + (4 if st.visibility is not None else 0)  # kind 5: the word V
    word = st.visibility or 0
    in_digest: bytes | None = None
    if word & 3:  # a private input (no values) or a committed one (C_X, 1.4)
        at += len(st.input_commitment)
    else:
        x = _ints_at(data, at, st.inputs)
        if x is None:
            return None, None
        at, in_digest = at + len(x), hashlib.sha256(batch + x).digest()
    if st.output_commitment:  # a committed output: C_Y, no values (1.6)
        return in_digest, None
    y = _ints_at(data, at, st.outputs)
    return in_digest, None if y is None else hashlib.sha256(batch + y).digest()


def visibility(st: Any) -> dict[str, Any]:
    """What a proof's statement says it reveals: kind 3 is not hiding (`jsonout.VISIBILITY`);
    kind 5 by its visibility word (zk_inference.md 1: bits 0-1 the input, bit 2 weights
    public, bit 3 output committed), "unknown" where the word has other bits set (a
    verifier refuses it)."""
    from zkml.cli.jsonout import VISIBILITY
    from zkml.visibility import of_word

    if st.visibility is None:
        return {"word": None, **VISIBILITY}
    v = st.visibility
    if v >> 4:
        return {"word": v, "hiding": True, "input": "unknown", "output": "unknown",
                "weights": "unknown"}
    return {"word": v, **of_word(v, True).to_json()}


def sections(st: Any) -> dict[str, int]:
    """Byte sizes of a proof's sections: the artifact header, the statement (key digest,
    batch, kind 5's visibility word, input, output), the witness commitment, and the
    proof messages after it (their split needs the key's circuit)."""
    return {"header": _HEADER, "statement": st.statement_end - _HEADER,
            "witness_commitment": st.commitment_end - st.statement_end,
            "messages": st.size - st.commitment_end}


def _tensor(values: tuple[int, ...], batch: int, digest: bytes | None,
            commitment: bytes = b"") -> dict[str, Any]:
    """A statement tensor; a committed one (zk_inference.md 1.4, 1.6) also has its
    `commitment` digest (the key is absent otherwise)."""
    out = {"digest": None if digest is None else digest.hex(), "count": len(values),
           "min": min(values, default=None), "max": max(values, default=None),
           "values": _rows(values, batch)}
    if commitment:
        from zkml.input_opening import commitment_digest

        out["commitment"] = commitment_digest(commitment).hex()
    return out


def proof_document(data: bytes) -> dict[str, Any]:
    """An inference proof (kind 3, or 5: hiding): its statement as the bytes claim it, not
    verified, with what it says it reveals and its sections' sizes; the quantized input
    and output rows are labelled as such (no scale without the key: `zkml verify --json`
    gives them dequantized)."""
    from zkml.artifacts import parse_proof_statement

    st = parse_proof_statement(data)
    in_digest, out_digest = proof_digests(data, st)
    return document(
        "inspect", kind="inference", artifact_kind=data[6], size=len(data), verified=False,
        verifying_key_digest=st.vk_digest.hex(), batch=st.batch,
        input=_tensor(st.inputs, st.batch, in_digest, st.input_commitment),
        output=_tensor(st.outputs, st.batch, out_digest, st.output_commitment),
        witness_rows=st.witness_rows,
        hiding=st.hiding, visibility=visibility(st), sections=sections(st))


def foundation_document(data: bytes) -> dict[str, Any]:
    """A kind-1 or kind-2 artifact of the foundation (field elements as decimal strings)."""
    from zkml.verifier.proofs import KIND_NAMES, parse_artifact

    kind, parsed = parse_artifact(data)
    if hasattr(parsed, "stacks"):
        statement: dict[str, Any] = {"stacks": [
            {"num_vars": s.num_vars, "log_cols": s.log_cols, "claims": len(s.claims)}
            for s in parsed.stacks]}
    else:
        statement = {"num_vars": parsed.num_vars, "claimed_sum": str(parsed.sigma)}
    return document("inspect", kind=KIND_NAMES.get(kind, str(kind)), artifact_kind=kind,
                    size=len(data), verified=False, statement=statement)
