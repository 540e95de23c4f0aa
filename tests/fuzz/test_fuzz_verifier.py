"""A bounded, deterministic mutation run over proofs and keys of six models through
`zkml.Verifier`, and over kind-1 and kind-2 artifacts through `verify_artifact` (part of
`make test`).

Every mutant must be rejected with VerificationError (ProofFormatError included), or a
mutated key with InvalidKeyError, naming a check: never accepted (a valid proof of other
bytes would be a soundness bug), never another exception type, and never an "internal
verifier error" (the fail-closed net caught something the parser or a check did not
expect). Mutants whose bytes equal a
valid corpus artifact (a splice can rebuild one) are skipped. A failure lists the seed,
index, operator and the mutant's bytes on disk; the run is deterministic, so
`ZKML_FUZZ_SEED=<seed> pytest tests/fuzz -k <model>` reproduces it.

Budget: ZKML_FUZZ_MUTATIONS (per artifact and target, default below) sets the size; the
summary line "fuzz: ..." says how many ran and how fast. The longer coverage-guided run
is tests/fuzz/test_fuzz_long.py (README.md beside this file).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable

import pytest
from circuit_mutate import CircuitMutator
from corpus import BATCHES, MODEL_NAMES
from mutate import Mutant, Mutator, trace_fields
from oracle import FuzzStats, circuit_target, judge, key_target, memory_cap, proof_target

from zkml.verifier import verify_artifact

#: Mutants per artifact and target in `make test` (about 60 s in all on 2 cores).
DEFAULT_MUTATIONS = 1400


def _budget() -> int:
    return int(os.environ.get("ZKML_FUZZ_MUTATIONS", DEFAULT_MUTATIONS))


def _model(corpus, name: str):
    return next(m for m in corpus if m.name == name)


def _valid(corpus) -> set[bytes]:
    return {a.data for m in corpus for a in m.artifacts}


def _campaign(target: str, call: Callable[[bytes], object],
              mutants: Iterable[tuple[str, int, Mutant]], valid: set[bytes], stats,
              seed: int, out_dir) -> list[str]:
    """Judge every mutant; returns one line per finding (its bytes saved in `out_dir`)."""
    findings = []
    for source, index, m in mutants:
        if m.data in valid:
            stats.identical += 1
            continue
        t0 = time.perf_counter()
        with memory_cap():  # a runaway allocation becomes a MemoryError finding
            outcome = judge(call, m.data)
        stats.add(target, outcome.kind, time.perf_counter() - t0, f"{source} #{index} {m.op}")
        if not outcome.ok:
            path = out_dir / f"{source}-{target}-{index}.bin"
            path.write_bytes(m.data)
            findings.append(f"{source} seed {seed} index {index}: {m.op} ({m.detail[:200]}) "
                            f"-> {outcome.describe()}; bytes in {path}")
    return findings


def _report(findings: list[str]) -> None:
    assert not findings, f"{len(findings)} findings:\n" + "\n".join(findings[:25])


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_fuzz_proofs(name, corpus, fuzz_stats, fuzz_seed, tmp_path):
    """Mutated proofs (each batch size) against the model's good key are rejected."""
    model = _model(corpus, name)
    partners = [a for m in corpus for a in m.artifacts]
    call = proof_target(model.key.data)
    findings = []
    for proof in model.proofs.values():
        mut = Mutator(proof, partners)
        mutants = ((proof.name, i, mut.mutant(fuzz_seed, i)) for i in range(_budget()))
        findings += _campaign("proof", call, mutants, _valid(corpus), fuzz_stats, fuzz_seed,
                              tmp_path)
    _report(findings)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_fuzz_keys(name, corpus, fuzz_stats, fuzz_seed, tmp_path):
    """Mutated keys (bytes, lengths, values, splices) are refused when loaded."""
    model = _model(corpus, name)
    mut = Mutator(model.key, [a for m in corpus for a in m.artifacts])
    mutants = ((model.key.name, i, mut.mutant(fuzz_seed, i)) for i in range(_budget()))
    _report(_campaign("key", key_target, mutants, _valid(corpus), fuzz_stats, fuzz_seed,
                      tmp_path))


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_fuzz_circuits(name, corpus, fuzz_stats, fuzz_seed, tmp_path):
    """Circuit-JSON mutants re-packed with a correct length: refused as keys, and, loaded
    as trusted keys, every proof relabelled to them is rejected."""
    model = _model(corpus, name)
    mut = CircuitMutator(model.key, [m.key for m in corpus])
    mutants = [(model.key.name, i, mut.mutant(fuzz_seed, i)) for i in range(_budget())]
    valid = _valid(corpus)
    findings = _campaign("key", key_target, mutants, valid, fuzz_stats, fuzz_seed, tmp_path)
    trusted = circuit_target(model.proofs[BATCHES[0]].data)
    findings += _campaign("trusted-key", trusted, mutants, valid, fuzz_stats, fuzz_seed,
                          tmp_path)
    _report(findings)


def test_fuzz_foundation_kinds(foundation_corpus, fuzz_stats, fuzz_seed, tmp_path):
    """Mutated kind-1 (batch opening) and kind-2 (product sumcheck) artifacts, spliced
    with each other too, are rejected by verify_artifact."""
    valid = {a.data for a in foundation_corpus}
    findings = []
    for art in foundation_corpus:
        mut = Mutator(art, foundation_corpus)
        mutants = ((art.name, i, mut.mutant(fuzz_seed, i)) for i in range(_budget() // 2))
        findings += _campaign("kind1/2", verify_artifact, mutants, valid, fuzz_stats,
                              fuzz_seed, tmp_path)
    _report(findings)


# --- the engine itself -----------------------------------------------------------------


def test_trace_finds_every_length(corpus):
    """The tracer sees the key's circuit JSON behind its length, and the proof's counts."""
    model = _model(corpus, "digits")
    key = model.key
    js = next(f for f in key.fields if f.what == "circuit JSON" and f.kind == "raw")
    length = next(f for f in key.fields if f.kind == "count" and f.what == "circuit JSON")
    assert length.end == js.start == 11 and length.value == js.size
    proof = model.proofs[1]
    kinds = {f.kind for f in proof.fields}
    assert {"u32", "count", "fr", "g1", "ints", "raw"} <= kinds
    wc = next(f for f in proof.fields if f.kind == "count" and f.what == "witness commitment")
    assert wc.elem == 64 and wc.value >= 1
    assert trace_fields(proof.data, lambda d: None) == ()


def test_mutants_reproduce_from_seed_and_index(corpus):
    """One (seed, index) gives the same bytes on every call; indices differ."""
    proof = _model(corpus, "softmax").proofs[2]
    mut = Mutator(proof, [m.key for m in corpus])
    again = Mutator(proof, [m.key for m in corpus])
    first = [mut.mutant(7, i) for i in range(200)]
    assert first == [again.mutant(7, i) for i in range(200)]
    assert len({m.data for m in first}) > 180  # a splice may rebuild a partner
    assert {m.op for m in first} >= {"bitflip", "length", "splice", "fr", "truncate"}
    assert all(m.data != proof.data for m in first if m.op != "splice")


def test_length_edit_keeps_vector_consistent(corpus):
    """A consistent length edit moves the count by one and the bytes by one element."""
    proof = _model(corpus, "tables").proofs[1]
    mut = Mutator(proof)
    edits = [m for i in range(400) if (m := mut.mutant(3, i)).op == "length+body"]
    assert edits
    for m in edits:
        assert abs(len(m.data) - len(proof.data)) in {
            f.elem for f in proof.fields if f.kind == "count" and f.elem}


def test_circuit_mutants_keep_a_correct_length(corpus):
    """Every JSON mutant's u32 length equals its JSON's size, and the key's tail is kept."""
    key = _model(corpus, "cnn_max").key
    mut = CircuitMutator(key)
    tail = key.data[11 + int.from_bytes(key.data[7:11], "big"):]
    for i in range(100):
        m = mut.mutant(5, i)
        n = int.from_bytes(m.data[7:11], "big")
        assert len(m.data) == 11 + n + len(tail) and m.data.endswith(tail)


def test_trusted_key_path_reaches_the_proof_checks(corpus):
    """The trusted-key target runs the proof verifier: the unchanged key verifies the
    relabelled proof; a key whose circuit differs only in a gadget's `source` name parses,
    and the proof relabelled to it fails a check after parsing (the transcript binds the
    key's digest)."""
    import json

    from circuit_mutate import circuit_field, repack

    model = _model(corpus, "argmax")
    call = circuit_target(model.proofs[1].data)
    assert judge(call, model.key.data).kind == "accepted"
    span = circuit_field(model.key)
    doc = json.loads(model.key.data[span.start : span.end])
    doc["gadgets"][0]["source"] += "_renamed"
    key = repack(model.key.data, span, json.dumps(doc, sort_keys=True,
                                                  separators=(",", ":")).encode())
    outcome = judge(call, key)
    # the circuit moves every challenge: the first logup layer's final check fails (its
    # eq-factored rounds have no round-sum check: sumcheck.md)
    assert outcome.kind == "rejected" and outcome.error.check == "logup.layer"


def test_a_planted_parser_bug_is_found(corpus, tmp_path, monkeypatch):
    """The run can fail: a Reader whose Fr check crashes instead of rejecting (an
    IndexError the fail-closed net turns into "internal verifier error") is reported."""
    from zkml.errors import ProofFormatError
    from zkml.verifier.encoding import Reader

    real = Reader.fr

    def buggy(self, what="Fr"):
        try:
            return real(self, what)
        except ProofFormatError as exc:
            raise IndexError(what) from exc

    monkeypatch.setattr(Reader, "fr", buggy)
    model = _model(corpus, "digits")
    mut = Mutator(model.proofs[1])
    mutants = ((model.proofs[1].name, i, mut.mutant(1, i)) for i in range(300))
    found = _campaign("planted", proof_target(model.key.data), mutants, _valid(corpus),
                      FuzzStats(), 1, tmp_path)  # not in the session's totals
    assert found and all("internal: VerificationError" in f and "IndexError" in f
                         for f in found)


def test_judge_names_every_outcome():
    """judge tells a rejection from an acceptance, a netted internal error and a crash."""
    from zkml.errors import InvalidKeyError, ProofFormatError, VerificationError

    def raising(exc):
        def call(_):
            raise exc
        return call

    assert judge(lambda d: None, b"").kind == "accepted"
    assert judge(raising(ProofFormatError("bad magic")), b"").kind == "rejected"
    assert judge(raising(InvalidKeyError("circuit JSON: count")), b"").kind == "rejected"
    assert judge(raising(InvalidKeyError("internal verifier error: KeyError")), b"").kind \
        == "internal"
    assert judge(raising(VerificationError("internal verifier error: KeyError")), b"").kind \
        == "internal"
    assert judge(raising(IndexError("x")), b"").kind == "crash"
    assert not judge(raising(RecursionError()), b"").ok


def test_memory_cap_turns_a_runaway_allocation_into_memory_error():
    """Inside memory_cap a 4 GiB allocation fails (the finding a runaway parser would be);
    after it, the process's limit is what it was."""
    import resource

    before = resource.getrlimit(resource.RLIMIT_AS)
    with memory_cap(), pytest.raises(MemoryError):
        bytearray(4 << 30)
    assert resource.getrlimit(resource.RLIMIT_AS) == before
