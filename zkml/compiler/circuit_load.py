"""Loading a circuit description on the prover side (circuits/inference.md section 6).

The prover side has one parser of circuit descriptions: the core's
(`rust/core/src/inference/circuit.rs`, through `zkml._native.parse_circuit`), which
every proof and key already runs. `circuit_from_bytes` has it validate the bytes, then maps the
validated document onto the compiler's records (`records`: a plain structural mapping
that checks nothing again) and requires the bytes to be canonical. The verifier keeps
its own parser (`zkml/verifier/circuit.py`) and shares no code with this one.
"""

from __future__ import annotations

from zkml.compiler.circuit import (
    Circuit,
    CircuitFormatError,
    Gadget,
    ModelStack,
    StackTensor,
    canonical_json,
)
from zkml.compiler.producers import producer_from_json

__all__ = ["circuit_from_bytes", "circuit_from_json", "load_key_circuit", "records"]

def circuit_from_bytes(data: bytes) -> Circuit:
    """Validate `data` with the core's parser and build the records; raises
    CircuitFormatError (with the core's message) on any malformed or non-canonical
    description."""
    from zkml import _native, jsonio

    data = bytes(data)
    doc = jsonio.loads(data, "circuit description", CircuitFormatError)
    _native.parse_circuit(data)
    circuit = records(doc)
    if circuit.to_bytes() != data:
        raise CircuitFormatError("circuit description is not in canonical form")
    return circuit


def circuit_from_json(doc: object) -> Circuit:
    """`circuit_from_bytes` of a JSON document's canonical encoding (every rule of
    section 6). Raises CircuitFormatError."""
    try:
        data = canonical_json(doc)
    except (TypeError, ValueError) as exc:
        raise CircuitFormatError(f"malformed circuit description: {exc}") from None
    return circuit_from_bytes(data)


def load_key_circuit(data: bytes) -> Circuit:
    """`circuit_from_bytes` for the circuit of a verifying key on the verify path, which
    must not load the native module: the verifier's parser (which the proof's
    verification runs on the same bytes anyway) validates instead of the core's. Raises
    CircuitFormatError."""
    from zkml import jsonio
    from zkml.errors import ProofFormatError
    from zkml.verifier.circuit import parse_circuit

    data = bytes(data)
    try:
        parse_circuit(data)
    except ProofFormatError as exc:
        raise CircuitFormatError(exc.detail) from None
    return records(jsonio.loads(data, "circuit description", CircuitFormatError))


def _gadget(d: dict) -> Gadget:
    return Gadget(producer_from_json(d["producer"]), features=d["features"], shift=d["shift"],
                  lo=d["lo"], hi=d["hi"], excess_hi_bits=d["excess_hi_bits"],
                  excess_lo_bits=d["excess_lo_bits"], frac_bits=d["frac_bits"],
                  source=d["source"], divisor=d["divisor"])


def records(doc: dict) -> Circuit:
    """The compiler's records of a document the core's parser has accepted."""
    inp, out, ms = doc["input"], doc["output"], doc["model_stack"]
    stack = ModelStack(ms["num_vars"], ms["log_cols"], ms["range_bits"],
                       tuple(StackTensor(t["name"], t["rows"], t["cols"], t["offset"])
                             for t in ms["tensors"]))
    shape = None if inp["shape"] is None else tuple(inp["shape"])
    return Circuit(inp["features"], inp["bits"], inp["frac_bits"], out["gadget"],
                   out["features"], tuple(_gadget(g) for g in doc["gadgets"]), stack,
                   out["argmax"], shape, doc["limb_bits"], "argmax_last" in out)
