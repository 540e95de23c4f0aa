"""Message edits for the verifier's tamper tests (tests only)."""

from __future__ import annotations

from zkml.verifier.field import R


def bump(i: int = 0):
    """An edit that adds 1 (mod r) to entry `i` of a message vector."""

    def f(v):
        v = list(v)
        v[i] = (v[i] + 1) % R
        return v

    return f


#: Proof fields (the reference prover's `parts` names) that are a u32 count then Frs.
_VECTOR_PREFIXES = ("acc-evals", "rearrange", "concat")


def field_mutants(data: bytes, parts: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Every proof field of `data` mutated in turn (the reference prover's `parts` are the
    fields at the proof's end): +1 mod r on each Fr of every vector (`*evals`, parts
    vectors; after the u32 count) and of the sumcheck (after its 8-byte header), one flipped
    bit in every root and layer element of the LogUp trees, one flipped bit in the last
    byte of every other field. Returns `(field name, mutated proof)` pairs."""
    pos = len(data) - sum(len(b) for _, b in parts)
    mutants = []
    for name, raw in parts:
        skip = 4 if name.endswith("evals") or name.startswith(_VECTOR_PREFIXES) else (
            8 if name == "sumcheck" else None)
        if skip is not None:
            for k in range((len(raw) - skip) // 32):
                at = pos + skip + 32 * k
                v = (int.from_bytes(data[at : at + 32], "big") + 1) % R
                mutants.append((name, data[:at] + v.to_bytes(32, "big") + data[at + 32 :]))
        elif name == "logup":
            for at in range(pos + 4, pos + len(raw) - 31, 32):
                mutants.append((name, data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]))
        else:
            at = pos + len(raw) - 1
            mutants.append((name, data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]))
        pos += len(raw)
    return mutants


# --- circuit description edits (strict-parser tests) -----------------------------------


def parse_doc(doc: dict):
    """The verifier's parse of a circuit document in canonical JSON."""
    import json

    from zkml.verifier.circuit import parse_circuit

    return parse_circuit(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode())


def edit_gadget(doc: dict, gi: int, f) -> dict:
    """A deep copy of `doc` with `f(producer, gadget, doc)` applied to gadget `gi`."""
    import copy

    doc = copy.deepcopy(doc)
    f(doc["gadgets"][gi]["producer"], doc["gadgets"][gi], doc)
    return doc


def set_key(key: str, value):
    """An edit setting the producer's `key` to `value`."""
    def f(p, g, doc):
        p[key] = value
    return f


def drop_key(key: str):
    """An edit removing the producer's `key`."""
    def f(p, g, doc):
        del p[key]
    return f


def set_gadget_key(key: str, value):
    """An edit setting the gadget's own `key` (outside the producer) to `value`."""
    def f(p, g, doc):
        g[key] = value
    return f


def set_features(n: int):
    """An edit setting the gadget's `features` to `n`."""
    return set_gadget_key("features", n)
