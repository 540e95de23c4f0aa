"""`zkml unlearn`: verifiable unlearning, first part (circuits/unlearning.md).

`request` (provider) writes a deletion request; `register` (client) commits to its data
and writes the first lineage record; `apply` (client) applies a request to its compiled
model and writes the updated model, its key, the update witness and an unverified report.
The unlearning proof and lineage verification are not built yet: no command here proves
or verifies an update, and `zkml verify` does not accept one.
"""

from __future__ import annotations

from pathlib import Path

import click

_FILE = click.Path(dir_okay=False, path_type=Path)


@click.group("unlearn")
def unlearn() -> None:
    """Deletion requests and masked model updates (the proof is not built yet)."""


@unlearn.command("request")
@click.argument("model", type=_FILE)
@click.option("--forget", required=True, type=_FILE,
              help="The forget set: .npz with arrays x and y (one class, or samples). "
                   "Integer y are class labels (a classifier), float y real targets.")
@click.option("--retain", required=True, type=_FILE,
              help="The retain set: .npz with arrays x and y.")
@click.option("--layer", metavar="NAME",
              help="The dense layer (its node or weight name); default the first Gemm or "
                   "MatMul with an initializer weight.")
@click.option("--fraction", type=float, default=0.10, show_default=True,
              help="The fraction of the layer's weights the mask takes (global top-k).")
@click.option("--rank", type=int, default=4, show_default=True,
              help="Columns of the forget-direction basis U per block of 64 weights.")
@click.option("--lambda", "lam", metavar="X", default="2^-3", show_default=True,
              help="The curvature's damping lambda (F = lambda I + X^T X / N), a positive "
                   "dyadic number (0.125, 1, 2^-3, 3*2^-10). Larger keeps the compensation "
                   "of the unmasked weights smaller: raise it when apply refuses because "
                   "the update leaves the weight format.")
@click.option("--tau", metavar="X",
              help="The stationarity tolerance in real units (|residual| <= tau per "
                   "coordinate), a positive dyadic number. Default: derived from lambda, B, "
                   "k and the largest layer input seen (circuits/unlearning.md 2).")
@click.option("--mu-max", "mu_max", metavar="X",
              help="The bound on the multipliers mu in real units (sets the mu width), a "
                   "positive dyadic number. Default: 16 times the provider's own largest "
                   "|mu|, rounded up to a power of two.")
@click.option("--block", type=int, default=64, show_default=True,
              help="B: weights per block (a power of two, 16..256).")
@click.option("--fine-bits", "k", type=int, default=16, show_default=True,
              help="k: the fine grid's bits below the weight's LSB (0..24).")
@click.option("--min-n", "min_n", type=int, default=64, show_default=True,
              help="The fewest samples the client's curvature may weigh in (1..2^20).")
@click.option("-o", "--output", type=_FILE,
              help="Request file to write (default: MODEL with suffix .unlearn-request); "
                   "never overwritten.")
def request_cmd(model: Path, forget: Path, retain: Path, layer: str | None, fraction: float,
                rank: int, lam: str, tau: str | None, mu_max: str | None, block: int, k: int,
                min_n: int, output: Path | None) -> None:
    """Provider: compute a deletion request for MODEL.onnx (the float model).

    Per-weight saliency of one dense layer from the forget set versus the retain set, the
    mask (the global top --fraction), a basis U per affected block and every parameter
    of the statement (circuits/unlearning.md section 2). Supported ops: Gemm, MatMul,
    Add, Relu, Flatten, Identity; any other is refused. The forget class is the forget
    set's one label when the retain set has none of it, else the request is for samples.
    Every parameter is checked before any work (one line, exit 2). Prints the request id,
    and a warning when the provider's own update would leave the client's weight format.
    """
    from zkml.unlearn.data import load_dataset
    from zkml.unlearn.files import check_new, write_new
    from zkml.unlearn.request import check_params, make_request, parse_dyadic

    params = dict(fraction=fraction, rank=rank, block=block, k=k, min_n=min_n,
                  lam=parse_dyadic(lam, "--lambda"),
                  tau=parse_dyadic(tau, "--tau") if tau is not None else None,
                  mu_max=parse_dyadic(mu_max, "--mu-max") if mu_max is not None else None)
    check_params(**params)
    out = output or model.with_suffix(".unlearn-request")
    check_new(out, "request")
    req = make_request(model, load_dataset(forget, "forget set"),
                       load_dataset(retain, "retain set"), layer=layer, **params)
    write_new(out, req.to_bytes(), "request")
    what = f"class {req.forget_class}" if req.forget_class >= 0 else "samples"
    click.echo(f"request {req.request_id}: layer {req.layer} ({req.weight}, {req.d_out} x "
               f"{req.d_in}), forget {what}, mask {int(req.mask.sum())} weights in "
               f"{len(req.u)} blocks of {req.block}, rank {req.rank}")
    click.echo(f"parameters: lambda {float(req.lam):g}, tau {float(req.tau):g}, mu_max "
               f"{float(req.mu_max):g}, k {req.k}, min N {req.min_n}")
    click.echo(f"C_req {req.c_req.hex()}")
    if req.provider_shift >= 1.0:
        # the reserved bit (circuits/unlearning.md 7) absorbs a compensation below the
        # largest weight; the provider's own solution is the best estimate it has
        click.echo(f"warning: on the provider's data the update moves an unmasked weight by "
                   f"{req.provider_shift:.2g} times the layer's largest weight; a client's "
                   f"update that large leaves the weight format and apply refuses it. "
                   f"Consider a larger --lambda (now {float(req.lam):g}).", err=True)
    click.echo(f"wrote {out}")


@unlearn.command("register")
@click.argument("model", type=_FILE)
@click.option("--data", required=True, type=_FILE,
              help="The client's data: .npz with arrays x and y.")
@click.option("-o", "--output", type=_FILE,
              help="Lineage record to write (default: MODEL with suffix .lineage.json); "
                   "the data opening goes beside it as RECORD.opening (mode 0600). Neither "
                   "is ever overwritten.")
def register_cmd(model: Path, data: Path, output: Path | None) -> None:
    """Client: commit to the data (C_D) and write the first lineage record.

    MODEL is the client's compiled model (hiding). The record binds the key digest, the
    model commitment and C_D; the opening (the quantized data and its blinders) is
    secret and stays with the client.
    """
    from zkml.unlearn.register import register

    lineage, record, opening = register(model, data, output)
    rec = lineage.registration
    click.echo(f"registered {rec.n} samples: C_D {rec.c_d}")
    click.echo(f"key {rec.vk[:16]}, lineage head {rec.head}")
    click.echo(f"wrote {record} (lineage record) and {opening} (data opening, secret, 0600)")


@unlearn.command("apply")
@click.argument("model", type=_FILE)
@click.option("--request", "request_path", required=True, type=_FILE,
              help="The provider's request file.")
@click.option("--data", required=True, type=_FILE,
              help="The registered data (.npz with arrays x and y).")
@click.option("--record", required=True, type=_FILE,
              help="The lineage record (its data opening RECORD.opening beside it).")
@click.option("--test", "test_path", type=_FILE,
              help="The client's own held-out data (.npz with x and y): the report adds "
                   "its metrics before and after.")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              help="Directory to create (default: MODEL.unlearn-<request id> beside MODEL); "
                   "it must not exist.")
def apply_cmd(model: Path, request_path: Path, data: Path, record: Path,
              test_path: Path | None, output: Path | None) -> None:
    """Client: apply a request to MODEL (a compiled model) without recompiling.

    Group OBS per affected block on the registered data's curvature, rounded through a
    fine grid; writes UPDATE_DIR/model.zkmlc (0600) and model.vk (same circuit, new
    commitment), witness.json (0600, for the future prover) and report.json. The report
    is the client's own, on its own data: unverified, since the proof is not built yet.
    """
    from zkml.unlearn.apply import apply_update

    res = apply_update(model, request_path, data, record, output, test=test_path)
    r = res.report
    click.echo(f"request {r['request_id']}: {r['mask_size']} masked of {r['layer_weights']} "
               f"weights of {r['layer']}, {r['affected_blocks']} blocks, {r['changed_rows']} "
               f"committed rows changed, {r['weights_changed']} weights changed")
    click.echo("report (UNVERIFIED: computed by the client on its own data, no proof yet):")
    for when in ("before", "after", "test_before", "test_after"):
        if when in r:
            click.echo(f"  {when.replace('_', ' ')}: " + ", ".join(
                f"{k} {v:.4f}" for k, v in r[when].items() if v is not None))
    g = r["guarantee"]
    click.echo(f"  guarantee: ||delta - delta*|| <= {g['block_max']:.4g} per block, "
               f"{g['layer']:.4g} over the layer (real weight units)")
    click.echo(f"new key {r['vk_new'][:16]} (old {r['vk_old'][:16]})")
    click.echo(f"wrote {res.directory}/: model.zkmlc, model.vk, witness.json, report.json")
