"""Byte-level leaks: no clear field element of a kind-3 proof occurs in the kind-5 proof
of the same statement; no private value (weights, activations) occurs in any encoding the
project uses in a hiding proof or key, nor a committed output's values in its proof
(circuits/zk_inference.md 1.6); the search is live (it finds the kind-3 proof's values
in the kind-3 proof, the weights in the compiled model, the output in a public-output
proof)."""

from __future__ import annotations

import numpy as np
from zka_elements import kind3_scalars, statement_end
from zka_models import inputs, prove, vk_of

import zkml
from zkml.quant.container import npy_bytes
from zkml.verifier.field import R
from zkml.witness import build_witness


def _fr_encodings(v: int) -> list[bytes]:
    """32-byte field element, big- and little-endian (v mod r)."""
    b = (v % R).to_bytes(32, "big")
    return [b, b[::-1]]


def _int_encodings(v: int) -> list[bytes]:
    """i64 and i32 little-endian (the arrays' and the model stack's encodings)."""
    out = [int(v).to_bytes(8, "little", signed=True)]
    if -(1 << 31) <= v < 1 << 31:
        out.append(int(v).to_bytes(4, "little", signed=True))
    return out


def _private_values(cm, x: np.ndarray) -> tuple[list[int], list[np.ndarray]]:
    """The weights and every activation (gadget outputs and limb columns) for input `x`,
    as single values and as the arrays the project stores them in."""
    q = zkml.verify(prove(cm, x), cm.verifying_key).inputs
    w = build_witness(cm.compiled_circuit, cm.model, np.array(q, dtype=np.int64))
    arrays = [np.asarray(cm.compiled_circuit.model_stack, dtype=np.int64),
              *(np.asarray(t, dtype=np.int64) for t in w.tensors),
              *(np.asarray(c, dtype=np.int64) for c in w.columns),
              *(np.asarray(a, dtype=np.int64) for a in cm.model.constants.values())]
    values = sorted({int(v) for a in arrays for v in a.reshape(-1)})
    return values, arrays


def _needles(values: list[int], arrays: list[np.ndarray]) -> set[bytes]:
    """Byte strings that would show a private value: every nonzero value as a field
    element (32 bytes, LE and BE: random bytes never hold one by chance); every value of
    magnitude >= 2^12 as i64 / i32 LE (smaller ones occur in any structured bytes); every
    array's runs of 4 as i64 / i32 LE (the model stack and the tensors' encodings)."""
    out: set[bytes] = set()
    for v in values:
        if v:
            out.update(_fr_encodings(v))
        if abs(v) >= 1 << 12:
            out.update(_int_encodings(v))
    for a in arrays:
        flat = a.reshape(-1)
        for i in range(len(flat) - 3):
            run = flat[i:i + 4]
            if np.any(np.abs(run) >= 16):
                out.add(run.astype("<i8").tobytes())
                out.add(run.astype("<i4").tobytes())
    return out


def test_no_private_value_in_any_encoding_in_hiding_proof_or_key(models):
    cm = models.a5
    x = inputs(1, seed=21)[0]
    values, arrays = _private_values(cm, x)
    needles = _needles(values, arrays)
    proof, key = prove(cm, x), cm.verifying_key
    for blob, what in ((proof, "proof"), (key, "key")):
        found = [n.hex() for n in needles if n in blob]
        assert not found, f"private values in the hiding {what}: {found[:3]}"
    # live: the model stack's own encoding (the compiled model's `model_stack.npy`)
    # holds them
    stack_npy = npy_bytes(cm.compiled_circuit.model_stack)
    assert sum(n in stack_npy for n in needles) > 20


def test_no_clear_field_element_of_kind3_occurs_in_kind5(models):
    """The same statement proved both ways (the same weights, the same input): none of
    kind 3's clear scalars (opening vectors, claimed evaluations, round values, every
    eval message) occurs in the kind-5 proof, in either byte order."""
    x = inputs(1, seed=22)[0]
    p3, p5 = prove(models.a3, x), prove(models.a5, x)
    vk3, vk5 = vk_of(models.a3), vk_of(models.a5)
    clear = {v for v in kind3_scalars(vk3, p3) if v}
    assert len(clear) > 300
    needles = {e for v in clear for e in _fr_encodings(v)}
    assert not [n for n in needles if n in p5]
    # live: the same search over the kind-3 proof finds every one (big-endian there)
    assert all((v % R).to_bytes(32, "big") in p3 for v in clear)
    # and the statement is the same one: past the header and the key digest (which names
    # another key) kind 3 has the batch, input and output, kind 5 the batch, the
    # visibility word, then the same input and output
    s3, s5 = statement_end(vk3, p3), statement_end(vk5, p5)
    assert p3[39:43] == p5[39:43] and p3[43:s3] == p5[47:s5]


def test_no_output_value_in_a_committed_output_proof(models):
    """A committed output: neither the output's values (as field elements, integer runs,
    or the statement's `Ints` body) nor any weight or activation occurs in its proof;
    the same output's public-output proof carries the `Ints` body (live)."""
    import warnings

    from zkml.verifier.encoding import int_width

    cm = models.a5
    x = inputs(1, seed=23)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = zkml.prove(cm, x.reshape(1, -1), output="committed")
    y = [int(v) for v in res.outputs.reshape(-1)]
    values, arrays = _private_values(cm, x)
    needles = _needles(sorted(set(values) | set(y)), [*arrays, res.outputs])
    c = vk_of(cm).circuit
    g = c.gadgets[c.output_gadget]
    ints = b"".join(v.to_bytes(int_width(g.lo, g.hi), "big", signed=True) for v in y)
    found = [n.hex() for n in needles | {ints} if n in res.proof]
    assert not found, f"output or private values in the committed-output proof: {found[:3]}"
    assert ints in prove(cm, x)
