"""`zkml inspect FILE`: describe a compiled model, verifying key or proof, without verifying."""

from __future__ import annotations

from pathlib import Path

import click

from zkml.cli.jsonout import json_errors_of


def _lines_circuit(c) -> list[str]:
    """The circuit: input, output, one line per gadget, the model stack."""
    ms = c.model_stack
    out = [f"circuit: {len(c.gadgets)} gadgets, {len(c.columns())} witness limb columns "
           f"(limbs: {c.limb_bits} bits)",
           f"  input: {c.input_features} features, {c.input_bits}-bit, scale "
           f"2^-{c.input_frac_bits}",
           f"  output: gadget {c.output_gadget}, {c.output_features} features, scale "
           f"2^-{c.output.frac_bits}" + (", ArgMax (the statement holds indices)"
                                         if c.argmax else "")]
    for i, g in enumerate(c.gadgets):
        prod = g.producer.describe(c.width_of, g.features)
        req = f"shift {g.shift:<2}" if g.divisor == 1 else f"divisor {g.divisor}"
        out.append(f"  g{i}: {prod:<44} {g.features:>6} features  {req} clamp "
                   f"[{g.lo}, {g.hi}]  excess {g.excess_hi_bits}/{g.excess_lo_bits} bits  "
                   f"({g.source})")
    out.append(f"  model stack: 2^{ms.num_vars} entries, 2^{ms.log_cols} columns, entries "
               f"within {ms.range_bits} bits")
    for t in ms.tensors:
        out.append(f"    {t.name:<24} {t.rows:>6} x {t.cols:<6} at offset {t.offset}")
    return out


def _inspect_compiled(path: Path) -> list[str]:
    from zkml.compiled_model import CompiledModel

    cm = CompiledModel.load(path)
    m = cm.model
    s = m.summary()
    p = m.precision
    src = cm.source
    lines = ["compiled model (zkml-compiled-model)"]
    if src:
        lines.append(f"  source: {src.get('file')} (sha256 {str(src.get('sha256'))[:16]}, "
                     f"opset {src.get('opset')})")
    ins = ", ".join(f"{n} {m.tensor(n).shape}" for n in m.inputs)
    outs = ", ".join(f"{k} {m.tensor(v).shape}" for k, v in m.outputs.items())
    lines.append(f"  inputs: {ins}; outputs: {outs}")
    ops = ", ".join(f"{k} x{v}" for k, v in sorted(s["ops"].items()))
    lines.append(f"  {len(m.ops)} ops ({ops}); {s['weights']} weights")
    if p:
        lines.append(f"  precision {p.get('name')}: activations {p.get('activation_bits')} bits, "
                     f"weights {p.get('weight_bits')} bits")
    fid = cm.fidelity
    for name, o in fid.get("outputs", {}).items():
        agree = o.get("argmax_agreement")
        err = o.get("max_abs_error")  # None when not finite (zkml/quant/fidelity.py)
        large = bool(o.get("large_error"))  # then the agreement means nothing: starred
        lines.append(f"  fidelity {name}: max abs err "
                     + ("not finite" if err is None else f"{err:.3g}")
                     + ("" if agree is None else f", argmax agree {100 * agree:.1f}%"
                        + ("*" if large else ""))
                     + f" on {fid.get('samples')} sample(s)" + (" LARGE ERROR" if large else ""))
    if cm.compiled_circuit is None:
        lines.append("  no circuit (written by an older zkml; recompile to prove)")
        return lines
    lines += ["  " + line for line in _lines_circuit(cm.circuit)]
    lines.append(f"  commitment: {len(cm.commitment)} bytes; verifying key: "
                 f"{len(cm.verifying_key)} bytes, digest {cm.vk_digest.hex()}")
    return lines


def _inspect_vk(data: bytes) -> list[str]:
    from zkml.artifacts import parse_verifying_key

    info = parse_verifying_key(data)
    rows = 1 << (info.num_vars - info.log_cols)
    what = "hiding verifying key (kind 6)" if info.hiding else "verifying key (kind 4)"
    return [f"{what}, {len(data)} bytes, digest {info.digest.hex()}",
            *("  " + line for line in _lines_circuit(info.circuit)),
            f"  model commitment: {rows} rows ({len(info.commitment)} bytes)",
            f"  well-formedness proof: {info.wellformedness_bytes} bytes (entries in "
            f"{info.circuit.model_stack.range_bits} bits, zero padding)"
            if info.has_wellformedness_proof
            else "  no well-formedness proof (a key from an older zkml; verifiers refuse it)"]


def _summary(values: tuple[int, ...], batch: int) -> str:
    if not values:
        return "none"
    rows = f" ({batch} rows of {len(values) // batch})" if batch and \
        len(values) % batch == 0 else ""
    return f"{len(values)} values{rows} in [{min(values)}, {max(values)}]"


def _digest(d: bytes | None) -> str:
    from zkml.statement import short_digest

    return "" if d is None else f", digest {short_digest(d)}"


def _inspect_proof(data: bytes) -> list[str]:
    """The statement as the proof's bytes claim it: labelled quantized input and output
    (the scales are in the key), and said to be unverified."""
    from zkml.artifacts import parse_proof_statement
    from zkml.cli.inspect_json import proof_digests

    st = parse_proof_statement(data)
    in_digest, out_digest = proof_digests(data, st)
    lines = [f"{'hiding inference proof (kind 5)' if st.hiding else 'inference proof (kind 3)'}"
             f", {len(data)} bytes",
             "  not verified: the statement below is what the proof claims; `zkml verify` "
             "establishes it",
             f"  verifying key digest: {st.vk_digest.hex()}",
             f"  batch: {st.batch}",
             _visibility_line(st),
             _tensor_line("input", st, st.inputs, in_digest, st.input_commitment),
             _tensor_line("output", st, st.outputs, out_digest, st.output_commitment)]
    if st.batch and st.outputs and len(st.outputs) % st.batch == 0:
        width = len(st.outputs) // st.batch
        for b in range(min(st.batch, 10)):
            row = st.outputs[b * width : (b + 1) * width]
            shown = ", ".join(str(v) for v in row[:10]) + (", ..." if width > 10 else "")
            lines.append(f"    output row {b}: [{shown}]")
        if st.batch > 10:
            lines.append(f"    ... ({st.batch - 10} more output rows)")
    lines.append(f"  witness commitment: {st.witness_rows} rows")
    lines.append(_sections_line(st))
    return lines


def _tensor_line(name: str, st, values: tuple[int, ...], digest: bytes | None,
                 commitment: bytes) -> str:
    """A statement tensor: its values' summary and digest, a committed one by its
    commitment's digest (zk_inference.md 1.4, 1.6), a private input as such (1.3)."""
    from zkml.input_opening import commitment_digest
    from zkml.statement import short_digest

    if commitment:
        return f"  {name}: committed {short_digest(commitment_digest(commitment))}"
    if name == "input" and (st.visibility or 0) & 3:
        return "  input: private (not in the proof)"
    return f"  {name} (quantized): {_summary(values, st.batch)}{_digest(digest)}"


def _visibility_line(st) -> str:
    """What the statement says the proof reveals (kind 5: its visibility word)."""
    from zkml.cli.inspect_json import visibility

    v = visibility(st)
    word = "not hiding (kind 3)" if v["word"] is None else f"word {v['word']}"
    return (f"  visibility: {word}: input {v['input']}, output {v['output']}, weights "
            f"{v['weights']}" + ("" if v["hiding"] else " (linear combinations revealed)"))


def _sections_line(st) -> str:
    """The sections' sizes in bytes (the messages' split needs the key's circuit)."""
    from zkml.cli.inspect_json import sections

    s = sections(st)
    return (f"  sections (bytes): header {s['header']}, statement {s['statement']}, "
            f"witness commitment {s['witness_commitment']}, proof messages {s['messages']}")


def _inspect_foundation(data: bytes) -> list[str]:
    from zkml.verifier.proofs import KIND_NAMES, parse_artifact

    kind, parsed = parse_artifact(data)
    lines = [f"{KIND_NAMES.get(kind, kind)} artifact (kind {kind}), {len(data)} bytes "
             "(not verified)"]
    if hasattr(parsed, "stacks"):
        for i, s in enumerate(parsed.stacks):
            lines.append(f"  stack {i}: 2^{s.num_vars} entries, 2^{s.log_cols} columns, "
                         f"{len(s.claims)} claims")
    else:
        lines.append(f"  product sumcheck over 2^{parsed.num_vars} entries, claimed sum "
                     f"{parsed.sigma}")
    return lines


@click.command("inspect")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "json_out", is_flag=True,
              help="Print one JSON object on stdout (schema zkml/inspect; README, "
                   "\"Machine-readable output\").")
@json_errors_of("inspect")
def inspect(file: Path, json_out: bool = False) -> None:
    """Describe FILE (compiled model, verifying key or proof) without verifying it."""
    from zkml import limits
    from zkml.cli import inspect_json
    from zkml.errors import ArtifactError
    from zkml.fileio import read_bytes, read_head

    # the first bytes tell the kind; each kind is read under its own limit (zkml.limits)
    head = read_head(file, 7, "file")
    if head[:4] == b"PK\x03\x04":
        what: Path | bytes = file
        text, as_json = _inspect_compiled, inspect_json.compiled_document
    elif head[:4] == b"ZKML" and len(head) >= 7:
        kind = head[6]
        limit = limits.VERIFYING_KEY if kind in (4, 6) else limits.PROOF  # 6: hiding key
        what = read_bytes(file, "file", limit=limit, magic=b"ZKML")
        text, as_json = {4: (_inspect_vk, inspect_json.verifying_key_document),
                         6: (_inspect_vk, inspect_json.verifying_key_document),
                         3: (_inspect_proof, inspect_json.proof_document),
                         5: (_inspect_proof, inspect_json.proof_document)}.get(
            kind, (_inspect_foundation, inspect_json.foundation_document))
    else:
        raise ArtifactError(f"{file} is not a zkml compiled model, verifying key or proof")
    if json_out:
        from zkml.cli.jsonout import emit

        emit(as_json(what))
        return
    click.echo("\n".join(text(what)))
