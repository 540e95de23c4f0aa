//! `circuits/vectors/zk_logup.json` (circuits/zk.md 5.6, 5.5): the hiding LogUp-GKR of
//! range lookups in two groups (each a table `[0, 2^L)` with its multiplicities and the
//! lookups against it, padded with `p = 0, q = 1`), depths 1 to 6. The full flow: the
//! logup messages, its checks evaluated over commitments (`HiddenEval`), each tree's
//! final `P`, `Q` checked against its leaves' MLEs at `rho` (evaluated in the clear: the
//! vector plays the caller), then `"zk-products"`, `tau`, the sigma batch and the one
//! merged check. Proved with a fixed blinder seed (test builds only); honest and
//! cheating cases, each checked here as pytest checks it.

use std::collections::BTreeMap;

use ark_bn254::{G1Affine, G1Projective};
use ark_ff::{One, Zero};
use serde_json::{json, Value};
use zkml_core::declare::{Check, Claim, Expr};
use zkml_core::encoding::{g1_to_bytes, Reader, Writer};
use zkml_core::error::Result;
use zkml_core::field::Fr;
use zkml_core::mle::evaluate;
use zkml_core::pcs::generators::{seed_digest, DEFAULT_SEED};
use zkml_core::transcript::Transcript;
use zkml_core::zk::declared::{products_needed, HiddenEval, PointEval};
use zkml_core::zk::logup::{self as zlogup, ZkLogupProof};
use zkml_core::zk::tail::{self, Tail};
use zkml_core::zk::{Blinds, Gens, Hidden};

#[path = "support/vector_file.rs"]
mod vector_file;
use vector_file::check_or_write;

const TAG: &[u8] = b"zkml-zk-logup-vectors";
const SEED: [u8; 32] = [7; 32];
/// Group 0: two lookup trees and the table `[0, 8)`; group 1: one lookup tree and the
/// table `[0, 16)`.
const GROUPS: [usize; 2] = [3, 2];

/// One tree's leaves, as a lookup protocol lays them out (logup.md).
#[derive(Clone)]
enum TreeDef {
    /// `p = 1, q = alpha - f` per value, then padding.
    Lookups { depth: usize, values: Vec<u64> },
    /// `p = -m_j, q = alpha - j` for `j` in `[0, 2^bits)`, then padding.
    Table {
        depth: usize,
        bits: usize,
        mult: Vec<u64>,
    },
}

impl TreeDef {
    fn depth(&self) -> usize {
        match self {
            TreeDef::Lookups { depth, .. } | TreeDef::Table { depth, .. } => *depth,
        }
    }

    fn leaves(&self, alpha: Fr) -> (Vec<Fr>, Vec<Fr>) {
        let n = 1 << self.depth();
        let (mut p, mut q) = (vec![Fr::zero(); n], vec![Fr::one(); n]);
        let entries: Vec<(Fr, u64)> = match self {
            TreeDef::Lookups { values, .. } => values.iter().map(|v| (Fr::one(), *v)).collect(),
            TreeDef::Table { bits, mult, .. } => (0..1u64 << bits)
                .map(|j| (-Fr::from(mult[j as usize]), j))
                .collect(),
        };
        for (i, (pv, f)) in entries.into_iter().enumerate() {
            (p[i], q[i]) = (pv, alpha - Fr::from(f));
        }
        (p, q)
    }

    fn json(&self) -> Value {
        match self {
            TreeDef::Lookups { depth, values } => {
                json!({"kind": "lookups", "depth": depth, "values": values})
            }
            TreeDef::Table { depth, bits, mult } => {
                json!({"kind": "table", "depth": depth, "bits": bits, "multiplicities": mult})
            }
        }
    }
}

/// Small values below `2^bits`, deterministic.
fn values(n: usize, bits: u32, seed: u64) -> Vec<u64> {
    (0..n as u64)
        .map(|i| (i * 2654435761 + seed * 97) % (1 << bits))
        .collect()
}

/// The table's multiplicities: how often each entry is looked up (a value outside the
/// table is counted nowhere).
fn table(depth: usize, bits: usize, looked: &[&[u64]]) -> TreeDef {
    let mut mult = vec![0u64; 1 << bits];
    for v in looked.iter().flat_map(|l| l.iter()) {
        if let Some(m) = mult.get_mut(*v as usize) {
            *m += 1;
        }
    }
    TreeDef::Table { depth, bits, mult }
}

/// Depths 5, 1, 3 (group 0) and 6, 4 (group 1); `outside` puts one lookup of group 0
/// outside its table `[0, 8)`.
fn defs(outside: bool) -> Vec<TreeDef> {
    let mut a = values(20, 3, 1);
    if outside {
        a[7] = 8;
    }
    let b = vec![5u64];
    let c = values(50, 4, 2);
    vec![
        TreeDef::Lookups {
            depth: 5,
            values: a.clone(),
        },
        TreeDef::Lookups {
            depth: 1,
            values: b.clone(),
        },
        table(3, 3, &[&a, &b]),
        TreeDef::Lookups {
            depth: 6,
            values: c.clone(),
        },
        table(4, 4, &[&c]),
    ]
}

fn depths(defs: &[TreeDef]) -> Vec<usize> {
    defs.iter().map(TreeDef::depth).collect()
}

/// The caller's leaf checks (the vector's stand-in for the gadgets'): tree `i`'s `P`
/// and `Q` against its leaves' MLEs at `rho`, one linear check each.
fn leaf_checks(leaves: &[(Vec<Fr>, Vec<Fr>)], rhos: &[&Vec<Fr>], pq: &[(Fr, Fr)]) -> Vec<Check> {
    let mut out = Vec::new();
    for (i, (((p, q), rho), (pv, qv))) in leaves.iter().zip(rhos).zip(pq).enumerate() {
        for (name, table, v) in [("P", p, pv), ("Q", q, qv)] {
            let claim = Claim::committed(format!("logup-{name}[{i}]"), *v);
            let want = Expr::int(evaluate(table, rho));
            out.push(Check::zero("test.leaf", Expr::from(claim) - want));
        }
    }
    out
}

/// What a verifier sees.
#[derive(Clone)]
struct Public {
    proof: ZkLogupProof,
    products: Vec<G1Affine>,
    tail: Tail,
}

impl Public {
    /// The logup messages, `"zk-products"` (no count), `tau`, the sigma batch.
    fn bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.proof.write(&mut w);
        self.products.iter().for_each(|p| w.bytes(&g1_to_bytes(p)));
        self.tail.write(&mut w);
        w.finish()
    }
}

fn prove(gens: &Gens, defs: &[TreeDef]) -> Public {
    let mut t = Transcript::new(TAG);
    let alpha = t.squeeze("logup-alpha");
    let leaves: Vec<_> = defs.iter().map(|d| d.leaves(alpha)).collect();
    let mut blinds = Blinds::from_seed(SEED, t.state());
    let run = zlogup::prove(gens, &mut t, leaves.clone(), &GROUPS, &mut blinds).unwrap();
    let mut open = run.openings.clone();
    for (i, (_, p, q)) in run.results.iter().enumerate() {
        open.insert(format!("logup-P[{i}]"), *p);
        open.insert(format!("logup-Q[{i}]"), *q);
    }
    let rhos: Vec<&Vec<Fr>> = run.results.iter().map(|r| &r.0).collect();
    let pq: Vec<(Fr, Fr)> = run.results.iter().map(|r| (r.1.v, r.2.v)).collect();
    let mut checks = run.checks.clone();
    checks.extend(leaf_checks(&leaves, &rhos, &pq));
    let mut ev = HiddenEval::new(gens, &mut blinds);
    let lookup = |c: &Claim| Ok(open[&c.name]);
    checks.iter().for_each(|c| ev.run(c, &lookup).unwrap());
    let HiddenEval {
        products,
        triples,
        linear,
        ..
    } = ev;
    assert_eq!(products.len(), products_needed(&checks).unwrap());
    t.absorb_points("zk-products", &products);
    let gens = &gens
        .clone()
        .at_least(&seed_digest(DEFAULT_SEED), triples.len());
    let tail = tail::prove(gens, &mut t, linear, &triples, &[], &mut blinds);
    Public {
        proof: run.proof,
        products,
        tail,
    }
}

/// The Rust check (points, not forms): Ok or the failed check's id.
fn verify(gens: &Gens, defs: &[TreeDef], data: &[u8]) -> std::result::Result<(), &'static str> {
    check(gens, defs, data).map_err(|e| e.check().unwrap())
}

fn check(gens: &Gens, defs: &[TreeDef], data: &[u8]) -> Result<()> {
    let mut t = Transcript::new(TAG);
    let alpha = t.squeeze("logup-alpha");
    let mut r = Reader::new(data);
    let proof = ZkLogupProof::read(&mut r, &depths(defs))?;
    let run = zlogup::verify(&mut t, &depths(defs), &GROUPS, &proof)?;
    let mut points = run.points.clone();
    for (i, (_, p, q)) in run.results.iter().enumerate() {
        points.insert(format!("logup-P[{i}]"), *p);
        points.insert(format!("logup-Q[{i}]"), *q);
    }
    let leaves: Vec<_> = defs.iter().map(|d| d.leaves(alpha)).collect();
    let rhos: Vec<&Vec<Fr>> = run.results.iter().map(|r| &r.0).collect();
    let zeros = vec![(Fr::zero(), Fr::zero()); defs.len()];
    let mut checks = run.checks.clone();
    checks.extend(leaf_checks(&leaves, &rhos, &zeros));
    let products: Vec<G1Affine> = (0..products_needed(&checks)?)
        .map(|_| r.point("zk-products"))
        .collect::<Result<_>>()?;
    t.absorb_points("zk-products", &products);
    let mut ev = PointEval::new(gens, &products);
    let lookup = |c: &Claim| Ok::<G1Projective, _>(points[&c.name]);
    for c in &checks {
        ev.run(c, &lookup)?;
    }
    ev.finish()?;
    let tail = Tail::read(&mut r, ev.triples.len(), &[])?;
    r.finish()?;
    let gens = &gens
        .clone()
        .at_least(&seed_digest(DEFAULT_SEED), ev.triples.len());
    tail::verify(gens, &mut t, &ev.linear, &ev.triples, &[], &tail)
}

fn gens() -> Gens {
    Gens::new(&seed_digest(DEFAULT_SEED), 1)
}

/// A change to an honest proof's public parts.
type Tamper = fn(&mut Public);

#[test]
fn vectors_zk_logup() {
    let gens = gens();
    let mut cases = Vec::new();
    let mut push = |name: &str, defs: &[TreeDef], data: Vec<u8>, why: Option<&'static str>| {
        assert_eq!(
            verify(&gens, defs, &data),
            why.map_or(Ok(()), Err),
            "{name}"
        );
        cases.push(
            json!({"name": name, "trees": defs.iter().map(TreeDef::json).collect::<Vec<_>>(),
                          "proof": hex::encode(&data), "valid": why.is_none(), "check": why}),
        );
    };
    let (good, bad) = (defs(false), defs(true));
    let honest = prove(&gens, &good);
    push("honest", &good, honest.bytes(), None);
    let merged = Some("zk.merged");
    let outside = prove(&gens, &bad);
    push("a lookup outside its table", &bad, outside.bytes(), merged);
    let tampered: [(&str, Tamper); 4] = [
        ("root commitment replaced", |p| {
            p.proof.trees[0].root[1] = p.proof.trees[0].root[0]
        }),
        ("layer evaluation commitment replaced", |p| {
            let e = &mut p.proof.trees[3].layers[2].1;
            e[0] = e[1]
        }),
        ("layer round g(2) commitment replaced", |p| {
            let rounds = &mut p.proof.trees[3].layers[4].0.rounds;
            rounds[2][1] = rounds[2][0]
        }),
        ("layer round g(0) commitment replaced", |p| {
            let rounds = &mut p.proof.trees[0].layers[3].0.rounds;
            rounds[1][0] = rounds[3][1]
        }),
    ];
    for (name, f) in tampered {
        let mut p = honest.clone();
        f(&mut p);
        push(name, &good, p.bytes(), merged);
    }
    let mut cut = honest.bytes();
    cut.pop();
    push("truncated", &good, cut, Some("proof.truncated"));
    check_or_write(
        "zk_logup.json",
        json!({"seed": "zkml/hyrax/generators/v1",
               "tag": String::from_utf8(TAG.to_vec()).unwrap(),
               "groups": GROUPS, "cases": cases}),
    );
}

/// The declarations hold in the clear exactly when the lookups are honest; the check
/// order is zk.md 5.6's (groups, then layers tree by tree) and each product a
/// `"zk-products"` point.
#[test]
fn declarations_hold_in_the_clear_and_come_in_order() {
    let gens = gens();
    for (outside, want) in [(false, true), (true, false)] {
        let mut t = Transcript::new(TAG);
        let alpha = t.squeeze("logup-alpha");
        let leaves = defs(outside).iter().map(|d| d.leaves(alpha)).collect();
        let mut blinds = Blinds::from_seed(SEED, t.state());
        let run = zlogup::prove(&gens, &mut t, leaves, &GROUPS, &mut blinds).unwrap();
        let ids: Vec<&str> = run.checks.iter().map(|c| c.id.as_str()).collect();
        let layers = 4 + 2 + 5 + 3;
        let mut want_ids = ["logup.group-sum", "logup.root-denominator"].repeat(2);
        want_ids.extend(["logup.layer"; 14]);
        assert_eq!((ids.len(), &ids), (4 + layers, &want_ids));
        assert_eq!(run.checks[0].holds(), Some(want));
        assert!(run.checks[1..].iter().all(|c| c.holds() == Some(true)));
        // zk.md 5.6's counts: a group of G trees takes G^2 + 5G - 2 points (22 for
        // group 0's three trees, 12 for group 1's two), a layer three.
        assert_eq!(products_needed(&run.checks[..4]).unwrap(), 22 + 12);
        assert_eq!(products_needed(&run.checks[4..]).unwrap(), 3 * 14);
        let opened: BTreeMap<_, Hidden> = run.openings;
        assert!(opened.contains_key("logup-layer-final[3][5]"));
        assert!(opened.contains_key("logup-root[4][3]"));
    }
}
