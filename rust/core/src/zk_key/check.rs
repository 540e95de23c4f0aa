//! The Rust check of a kind-6 key (tests and vectors; the verifier is
//! `zkml/verifier/zk_key.py`): the strict parse, then the protocol of
//! zk_inference.md 4 with committed values as points (`zk::declared::PointEval`,
//! `zk::logup::verify`, `zk::opening::verify`, `zk::tail::verify`). `Ok` or the failed
//! check's id.

use std::collections::BTreeMap;

use ark_bn254::{G1Affine, G1Projective};

use super::leaves::{leaf_checks, leaf_eval_name, result_name, LeafPublic};
use super::transcript_head;
use crate::artifact::{read_header, Kind};
use crate::declare::Claim;
use crate::encoding::Reader;
use crate::error::{format_at, Result};
use crate::field::Fr;
use crate::inference::model_key::{padding_indicator, KeyStacks};
use crate::pcs::hyrax::Hyrax;
use crate::pcs::{Pcs, Shape};
use crate::zk::declared::{products_needed, PointEval};
use crate::zk::logup::{self as zlogup, ZkLogupProof};
use crate::zk::opening::{self, CheckStack, HidingOpening};
use crate::zk::tail::{self, Tail};
use crate::zk::Gens;

/// Check a kind-6 artifact for the generators of `hyrax`.
pub fn check_hiding_key(hyrax: &Hyrax, data: &[u8]) -> Result<()> {
    let mut r = Reader::new(data);
    if read_header(&mut r)? != Kind::HidingVerifyingKey {
        return format_at("proof.header-kind", "not a hiding verifying key");
    }
    let len = r.u32("circuit length")? as usize;
    let circuit_json = r.take(len, "circuit JSON")?;
    let ks = match KeyStacks::parse(circuit_json) {
        Err(e) if e.check().is_none() => return format_at("proof.limits", e.to_string()),
        other => other?,
    };
    let shape = Shape::read(&mut r)?;
    if shape != ks.shape {
        return format_at(
            "key.model-shape",
            "model stack shape differs from the circuit",
        );
    }
    let com = Hyrax::read_commitment(shape, &mut r)?;
    let mcom = Hyrax::read_commitment(ks.mshape, &mut r)?;
    let depths = [shape.num_vars, ks.range_bits as usize, 1];
    let lproof = ZkLogupProof::read(&mut r, &depths)?;
    let leaf = r.points(2, "logup-leaf-evals")?;
    let opening_msgs = HidingOpening::read(&[shape, ks.mshape], &mut r)?;
    let n_products = r.u32("zk-products")? as usize;
    if n_products > r.remaining() / 64 {
        return format_at("proof.truncated", "zk-products longer than the bytes left");
    }
    let products: Vec<G1Affine> = (0..n_products)
        .map(|_| r.point("zk-products"))
        .collect::<Result<_>>()?;

    let mut t = transcript_head(hyrax, circuit_json, &com);
    Hyrax::absorb_commitment(&mut t, "multiplicity-commitment", &mcom);
    let alpha = t.squeeze("logup-alpha");
    let beta = t.squeeze("logup-beta");
    let run = zlogup::verify(&mut t, &depths, &[3], &lproof)?;
    t.absorb_points("logup-leaf-evals", &leaf);
    let mut points: BTreeMap<String, G1Projective> = run.points;
    for (i, (_, p, q)) in run.results.iter().enumerate() {
        points.insert(result_name("P", i), *p);
        points.insert(result_name("Q", i), *q);
    }
    for (j, p) in leaf.iter().enumerate() {
        points.insert(leaf_eval_name(j), (*p).into());
    }
    let rhos: Vec<Vec<Fr>> = run.results.iter().map(|x| x.0.clone()).collect();
    let z = padding_indicator(&ks.circuit);
    let lp = LeafPublic::new(&ks, &z, (alpha, beta), &rhos);
    let mut checks = run.checks;
    checks.extend(leaf_checks(&lp, &|_| None));
    if products_needed(&checks)? != n_products {
        return format_at("zk.products", "zk-products count differs from the checks'");
    }

    let (p_val, m_val) = ([points[&leaf_eval_name(0)]], [points[&leaf_eval_name(1)]]);
    let stacks = [
        CheckStack {
            shape,
            rows: &com.rows,
            points: std::slice::from_ref(&rhos[0]),
            values: &p_val,
        },
        CheckStack {
            shape: ks.mshape,
            rows: &mcom.rows,
            points: std::slice::from_ref(&rhos[1]),
            values: &m_val,
        },
    ];
    let (open_linear, dots) = opening::verify(&mut t, &stacks, &opening_msgs)?;
    t.absorb_points("zk-products", &products);
    let cols = shape.cols().max(ks.mshape.cols());
    let gens = Gens::new(&hyrax.seed_digest, cols.max(n_products));
    let mut ev = PointEval::new(&gens, &products);
    let lookup = |c: &Claim| {
        points
            .get(&c.name)
            .copied()
            .map_or_else(|| format_at("proof.rejected", format!("no {}", c.name)), Ok)
    };
    for c in &checks {
        ev.run(c, &lookup)?;
    }
    ev.finish()?;
    let tail = Tail::read(&mut r, ev.triples.len(), &dots)?;
    r.finish()?;
    let mut linear = ev.linear;
    linear.extend(open_linear);
    tail::verify(&gens, &mut t, &linear, &ev.triples, &dots, &tail)
}
