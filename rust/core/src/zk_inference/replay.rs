//! The Rust check of a hiding inference proof (test builds): parse the bytes of
//! zk_inference.md 1.2, replay the transcript of 1.1, and run every check over the
//! proof's points: LogUp's (zk::logup::verify), the committed sumcheck over the
//! declared claims' forms, the declarations through `PointEval`, the hiding opening
//! and the tail's one merged check (zk.md 5.5).
//!
//! Not an independent verifier: the prover's trace gives the message schedule after
//! the witness commitment and the declarations with the prover's public values (a
//! proof whose transcript differs from its prover's then fails the merged check). The
//! Python verifier (`zkml/verifier/`) is the independent one.

use std::collections::BTreeMap;

use ark_bn254::{G1Affine, G1Projective};

use super::trace::{Event, Trace};
use crate::artifact::{read_header, Kind};
use crate::declare::{Check, Claim};
use crate::encoding::Reader;
use crate::error::{format_at, format_err, reject, Result};
use crate::inference::circuit::{int_width, Circuit};
use crate::pcs::hyrax::Hyrax;
use crate::pcs::Shape;
use crate::transcript::Transcript;
use crate::zk::declared::{linear_point, products_needed, PointEval};
use crate::zk::logup::{self, ZkLogupProof};
use crate::zk::opening::{self, CheckStack, HidingOpening};
use crate::zk::sumcheck::{verify_batched, ZkSumcheckProof};
use crate::zk::tail::{self, Tail};
use crate::zk::Gens;

/// The key's part of the statement: its digest and model commitment.
pub struct Key<'a> {
    pub digest: [u8; 32],
    pub shape: Shape,
    pub rows: &'a [G1Affine],
}

/// Check `proof` against `key` with `trace` (module doc); the failed check's id on
/// failure (`zk.merged` for a wrong commitment, product or opening).
pub fn check(hyrax: &Hyrax, c: &Circuit, key: &Key<'_>, proof: &[u8], trace: &Trace) -> Result<()> {
    let mut r = Reader::new(proof);
    if read_header(&mut r)? != Kind::HidingInference {
        return format_at("proof.header-kind", "not a hiding inference proof");
    }
    let mut t = Transcript::new(Kind::HidingInference.tag());
    t.absorb_u32("version", Kind::HidingInference.version() as u32);
    t.absorb("generators", &hyrax.seed_digest);
    let digest = r.take(32, "vk digest")?;
    if digest != key.digest {
        return reject("proof is for another model");
    }
    t.absorb("vk", digest);
    let batch = r.u32("batch")?;
    t.absorb_u32("batch", batch);
    let visibility = r.u32("visibility")?;
    if !super::is_visibility(visibility) {
        return reject(format!("visibility {visibility}"));
    }
    t.absorb_u32("visibility", visibility);
    // the input: its values, a committed input's row commitments (the statement's
    // third stack, 1.4) or nothing (1.3); then the output: its values or a committed
    // output's row commitments (the last stack, 1.6)
    let committed = super::committed_input(visibility);
    let committed_out = super::committed_output(visibility);
    let c_x = if committed {
        let s = trace.stacks.get(2).ok_or_else(no_stack)?;
        let pts = r.points(s.shape.rows(), "input")?;
        t.absorb_points("input", &pts);
        pts
    } else {
        if !crate::inference::prover::private_input(visibility) {
            absorb_ints(&mut r, &mut t, "input", c.input_width())?;
        }
        Vec::new()
    };
    let c_y = if committed_out {
        let s = trace.stacks.last().ok_or_else(no_stack)?;
        let pts = r.points(s.shape.rows(), "output")?;
        t.absorb_points("output", &pts);
        pts
    } else {
        let (olo, ohi) = c.output_range();
        absorb_ints(&mut r, &mut t, "output", int_width(olo, ohi))?;
        Vec::new()
    };
    let Some(wshape) = trace.witness else {
        return format_at("proof.shape", "no witness shape traced");
    };
    let c_w = r.points(wshape.rows(), "witness-commitment")?;
    t.absorb_points("witness-commitment", &c_w);

    let gens1 = Gens::new(&hyrax.seed_digest, 1);
    let mut points: BTreeMap<String, G1Projective> = BTreeMap::new();
    let mut logup_checks: Vec<Check> = Vec::new();
    for ev in &trace.events {
        match ev {
            Event::Squeeze { label, n } => {
                t.squeeze_n(label, *n);
            }
            Event::Send { label, prefix, n } => {
                let pts = r.points(*n, label)?;
                t.absorb_points(label, &pts);
                for (j, p) in pts.iter().enumerate() {
                    points.insert(format!("{prefix}[{j}]"), (*p).into());
                }
            }
            Event::Logup { depths, groups } => {
                let lp = ZkLogupProof::read(&mut r, depths)?;
                let run = logup::verify(&mut t, depths, groups, &lp)?;
                points.extend(run.points);
                for (i, (_, p, q)) in run.results.into_iter().enumerate() {
                    points.insert(format!("logup-root[{}]", 2 * i), p);
                    points.insert(format!("logup-root[{}]", 2 * i + 1), q);
                }
                logup_checks = run.checks;
            }
            Event::Sumcheck { claims, vars } => {
                let open = |cl: &Claim| lookup(&points, &cl.name);
                let forms = claims
                    .iter()
                    .map(|e| linear_point(&gens1, e, &open))
                    .collect::<Result<Vec<_>>>()?;
                let n = vars.iter().copied().max().unwrap_or(0);
                let sc = ZkSumcheckProof::read(&mut r, n, 3)?;
                let (_, _, last) = verify_batched(&mut t, &forms, vars, 3, &sc)?;
                points.insert("sumcheck-final".into(), last);
            }
        }
    }

    let shapes: Vec<Shape> = trace.stacks.iter().map(|s| s.shape).collect();
    let hiding = HidingOpening::read(&shapes, &mut r)?;
    let mut checks = logup_checks;
    checks.extend(trace.checks.iter().cloned());
    let products = r.points(products_needed(&checks)?, "zk-products")?;
    let cols = shapes.iter().map(|s| s.cols()).max().unwrap_or(1);
    let gens = Gens::new(&hyrax.seed_digest, cols.max(products.len()));
    let open = |cl: &Claim| lookup(&points, &cl.name);
    let mut pe = PointEval::new(&gens, &products);
    for chk in &checks {
        pe.run(chk, &open)?;
    }
    pe.finish()?;

    let values: Vec<Vec<G1Projective>> = trace
        .stacks
        .iter()
        .map(|s| s.names.iter().map(|n| lookup(&points, n)).collect())
        .collect::<Result<_>>()?;
    let mut rows: Vec<&[G1Affine]> = vec![&c_w, key.rows];
    if committed {
        rows.push(&c_x);
    }
    if committed_out {
        rows.push(&c_y);
    }
    if trace.stacks.len() != rows.len() || shapes[1] != key.shape {
        return format_at(
            "proof.shape",
            "stacks differ from the witness and the key's",
        );
    }
    let stacks: Vec<CheckStack<'_>> = trace
        .stacks
        .iter()
        .zip(rows)
        .zip(&values)
        .map(|((s, rows), vs)| CheckStack {
            shape: s.shape,
            rows,
            points: &s.points,
            values: vs,
        })
        .collect();
    let (opening_linear, dots) = opening::verify(&mut t, &stacks, &hiding)?;
    t.absorb_points("zk-products", &products);
    let tail = Tail::read(&mut r, pe.triples.len(), &dots)?;
    r.finish()?;
    let mut linear = pe.linear;
    linear.extend(opening_linear);
    tail::verify(&gens, &mut t, &linear, &pe.triples, &dots, &tail)
}

/// `Ints` of `width`-byte entries, absorbed as the statement's `label`.
fn absorb_ints(r: &mut Reader, t: &mut Transcript, label: &str, width: usize) -> Result<()> {
    let n = r.u32(label)? as usize;
    let body = r.take(n.saturating_mul(width), label)?;
    let mut bytes = (n as u32).to_be_bytes().to_vec();
    bytes.extend_from_slice(body);
    t.absorb(label, &bytes);
    Ok(())
}

fn no_stack() -> crate::error::Error {
    crate::error::Error::InvalidArgument("a committed tensor's stack was not traced".into())
}

fn lookup(points: &BTreeMap<String, G1Projective>, name: &str) -> Result<G1Projective> {
    match points.get(name) {
        Some(p) => Ok(*p),
        None => format_err(format!("no commitment for the claim {name}")),
    }
}
