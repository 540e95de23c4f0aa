"""Cross-language inference vectors (circuits/vectors/inference.json, written by Rust).

Each model carries its circuit JSON, its verifying key (kind 4 with the well-formedness
proof, hex) and proofs (kind 3, hex), honest and cheating, and optionally `vk_cases`:
keys, honest or not. The pure-Python verifier must accept exactly the valid ones and
report the statement the vectors record. Vectors of the previous format (a circuit
without `output.argmax`) are skipped until Rust regenerates them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zkml.errors import InvalidKeyError, ProofFormatError, VerificationError
from zkml.verifier import InferenceVerifier, VerifyingKey, verify_artifact

PATH = Path(__file__).resolve().parents[2] / "circuits" / "vectors" / "inference.json"

HINT = (
    "an honest Rust proof fails only at the batched sumcheck's final check: inference.md "
    "section 4 makes the output instance the degree-3 product eq(r_out, x) * mask(x) * "
    "z_L(x) of three multilinear factors, which the verifier evaluates as eq(r_out, s) * "
    "mask(s) * z_L(s); folding mask into the eq table (a pair product) has another final"
)


HINT_D = (
    "inference.md section 4 sends at r_g the evaluations of g's own columns (section 2: u, "
    "v, rem, ep, em); the ArgMax d limbs come after all gadget columns (section 4b) and are "
    "evaluated only at r_d (argmax-evals): a prover that also sends them in the output "
    "gadget's acc-evals has len(d) values too many there"
)


def _new_format(m: dict) -> bool:
    out = json.loads(m["circuit"]).get("output", {})
    return "argmax" in out


def _has_shape(m: dict) -> bool:
    """conv.md: the circuit's input object carries "shape" (null for a flat input)."""
    return "shape" in json.loads(m["circuit"]).get("input", {})


def _has_divisor(m: dict) -> bool:
    """nonlinear.md: every gadget object carries "divisor"."""
    return all("divisor" in g for g in json.loads(m["circuit"]).get("gadgets", []))


def _has_limb_bits(m: dict) -> bool:
    """nonlinear.md 5: the circuit carries the required top-level "limb_bits"."""
    return "limb_bits" in json.loads(m["circuit"])


def models() -> list[dict]:
    if not PATH.exists():
        pytest.skip(f"{PATH} not written yet (the Rust side writes it with `make vectors`)")
    doc = json.loads(PATH.read_text())
    out = doc["models"] if isinstance(doc, dict) and "models" in doc else [doc]
    assert out, "no models in inference.json"
    if not all(_new_format(m) for m in out):
        pytest.skip("inference.json predates compact integers, argmax and the key's "
                    "well-formedness proof (regenerate with `make vectors`)")
    if not all(_has_shape(m) for m in out):
        pytest.skip("inference.json predates circuits/conv.md (the input object has no "
                    "\"shape\" key; regenerate with `make vectors`)")
    if not all(_has_divisor(m) for m in out):
        pytest.skip("inference.json predates circuits/nonlinear.md (gadgets without "
                    "\"divisor\"; regenerate with `make vectors`)")
    if not all(_has_limb_bits(m) for m in out):
        pytest.skip("inference.json predates nonlinear.md sections 5-7 (circuits without "
                    "\"limb_bits\"; regenerate with `make vectors`)")
    return out


#: (case, the vectors' stated reason, the verifier's message) of every rejected case
REASONS: list[tuple[str, str, str]] = []


def _label(m: dict, what: str) -> str:
    dims = m.get("dims") or m.get("name") or json.loads(m["circuit"])["input"].get("shape")
    return f"model {dims} batch {m.get('batch')}: {what}"


def test_keys_parse_and_carry_the_circuit():
    for m in models():
        vk = VerifyingKey.from_bytes(bytes.fromhex(m["vk"]))
        assert vk.circuit.json_bytes == m["circuit"].encode("utf-8")
        if "dims" in m:
            dims = m["dims"]
            assert vk.circuit.input_features == dims[0]
            assert vk.circuit.output_features == dims[-1]


def test_cases_are_accepted_exactly_when_valid():
    checked = 0
    for m in models():
        vk = VerifyingKey.from_bytes(bytes.fromhex(m["vk"]))
        verifier = InferenceVerifier(vk)
        for case in m["cases"]:
            proof = bytes.fromhex(case["proof"])
            label = _label(m, case["name"])
            if case["valid"]:
                try:
                    st = verifier.verify(proof)
                except VerificationError as exc:
                    final = "final != sum of instance relations" in str(exc)
                    d_acc = vk.circuit.argmax and "acc-evals: count" in str(exc)
                    hint = HINT if final else HINT_D if d_acc else ""
                    pytest.fail(f"{label} rejected: {exc}" + (f" ({hint})" if hint else ""))
                assert verify_artifact(proof, vk=vk) == st
                assert st.argmax == vk.circuit.argmax, label
                if "batch" in m:
                    assert st.batch == m["batch"], label
                if "input" in m:
                    assert [v for row in st.input for v in row] == m["input"], label
                if "output" in m:
                    assert [v for row in st.output for v in row] == m["output"], label
            else:
                with pytest.raises(VerificationError) as info:
                    verifier.verify(proof)
                # a cheating proof is refused by a named check, not by a surprise
                msg = str(info.value)
                assert "internal verifier error" not in msg, f"{label}: {msg}"
                why = case.get("why", "")
                if isinstance(info.value, ProofFormatError):
                    assert any(w in why.lower() for w in ("format", "pars", "length", "count")), (
                        f"{label} ({why}): refused as malformed: {msg}")
                REASONS.append((label, why, msg))
            checked += 1
    assert checked
    for label, why, msg in REASONS:
        print(f"{label} [{why}] -> {msg}")


def test_argmax_model_is_present():
    ms = models()
    if not any(VerifyingKey.from_bytes(bytes.fromhex(m["vk"])).circuit.argmax for m in ms):
        pytest.skip("no argmax model in inference.json yet")


def test_vk_cases_are_accepted_exactly_when_valid():
    cases = [(m, c) for m in models() for c in m.get("vk_cases", [])]
    if not cases:
        pytest.skip("inference.json has no vk_cases yet")
    for m, case in cases:
        data = bytes.fromhex(case["vk"])
        label = _label(m, f"vk case {case['name']} ({case.get('why', '')})")
        if case["valid"]:
            try:
                vk = VerifyingKey.from_bytes(data)
            except InvalidKeyError as exc:
                pytest.fail(f"{label} refused: {exc}")
            assert vk.circuit.json_bytes == m["circuit"].encode("utf-8"), label
        else:
            with pytest.raises(InvalidKeyError) as info:  # the key's fault, not a proof's
                VerifyingKey.from_bytes(data)
            assert "internal verifier error" not in str(info.value), label


def test_window_models_are_present():
    """conv.md section 5: once regenerated, the vectors carry winsum and winmax models
    (checked like every other model by test_cases_are_accepted_exactly_when_valid)."""
    ops = {g["producer"]["op"] for m in models()
           for g in json.loads(m["circuit"]).get("gadgets", [])}
    if not {"winsum", "winmax"} & ops:
        pytest.skip("no winsum / winmax model in inference.json yet (conv.md section 5)")


def test_rearrange_models_are_present():
    """rearrange.md section 6: once regenerated, the vectors carry rearrange models
    (checked like every other model by test_cases_are_accepted_exactly_when_valid): a
    transpose, a reshape, concats along H and of three parts, a broadcast (a stride 0)
    and a choice by region (two parts of one layout on different blocks), at batch 1
    and 3."""
    ops = {g["producer"]["op"] for m in models()
           for g in json.loads(m["circuit"]).get("gadgets", [])}
    if "rearrange" not in ops:
        pytest.skip("no rearrange model in inference.json yet (rearrange.md section 6)")
    batches: dict[str, set[int]] = {}
    for m in models():
        batches.setdefault(m.get("name"), set()).add(m["batch"])
    names = ("rearrange_transpose", "rearrange_reshape", "rearrange_concat_h",
             "rearrange_concat3", "rearrange_broadcast", "rearrange_choice")
    for name in names:
        assert batches.get(name) == {1, 3}, f"{name}: batches {batches.get(name)}"
    producers = {m["name"]: [g["producer"] for g in json.loads(m["circuit"])["gadgets"]
                             if g["producer"]["op"] == "rearrange"]
                 for m in models() if m.get("name") in names}
    # rearrange.md 1: a broadcast reads with a stride 0; a choice reads two parts of one
    # layout, each on some block
    assert any(0 in b["strides"] for p in producers["rearrange_broadcast"]
               for b in p["blocks"])
    assert any(len(p["parts"]) >= 2 and len({tuple(s) for s in p["shapes"]}) == 1
               and len({b["part"] for b in p["blocks"]}) >= 2
               for p in producers["rearrange_choice"])


def test_grouped_softmax_models_are_present():
    """nonlinear.md section 12: once regenerated, the vectors carry softmax models over
    grouped rows (checked like every other model by
    test_cases_are_accepted_exactly_when_valid): axis 0 of a [5, 3] tensor (G = 3, n = 5)
    and the channels of a conv (G = 6, n = 3), at batch 1 and 3, each with a rowmax of
    G > 1 features, an add of G row values broadcast over x and a rowdiv by G row sums,
    and cheats on a group's row values rejected."""
    names = ("softmax_grouped_axis0", "softmax_grouped_channels")
    found = [m for m in models() if m.get("name") in names]
    if not found:
        pytest.skip("no grouped softmax model in inference.json yet (nonlinear.md section 12)")
    batches: dict[str, set[int]] = {}
    for m in found:
        batches.setdefault(m["name"], set()).add(m["batch"])
    assert batches == {name: {1, 3} for name in names}
    for m in found:
        gads = json.loads(m["circuit"])["gadgets"]
        feats = [g["features"] for g in gads]

        def width(ref, feats=feats, m=m):
            return json.loads(m["circuit"])["input"]["features"] if ref == "input" else (
                feats[ref])
        groups = {g["features"] for g in gads if g["producer"]["op"] == "rowmax"}
        assert groups and min(groups) > 1, f"{m['name']}: rowmax features {groups}"
        adds = [g for g in gads if g["producer"]["op"] == "add"]
        assert any(1 < width(g["producer"]["y"]) < width(g["producer"]["x"]) for g in adds)
        divs = [g for g in gads if g["producer"]["op"] == "rowdiv"]
        assert divs and all(width(g["producer"]["y"]) in groups for g in divs)
        if m["batch"] == 1:
            rejected = {c["name"] for c in m["cases"] if not c["valid"]}
            assert {"rowmax selector on a non-maximum entry",
                    "row sum of one group changed"} <= rejected
