//! `circuits/vectors/zk_opening.json` (circuits/zk.md 5.4, 5.5): blinded row
//! commitments of two stacks of different shapes, hidden claims on them, the hiding
//! opening, one proof of product on two claims (so the batch has products before the
//! dot products), then the tail and its one merged check. Proved with a fixed blinder
//! seed (test builds only); honest and cheating cases, each checked here as pytest
//! checks it. Also the hiding property at the commitment and message level.

use ark_bn254::{G1Affine, G1Projective};
use ark_ec::AffineRepr;
use ark_ff::{One, PrimeField};
use serde_json::{json, Value};
use zkml_core::encoding::{g1_to_bytes, Reader, Writer};
use zkml_core::field::{from_i64, Fr};
use zkml_core::mle::evaluate;
use zkml_core::pcs::generators::{seed_digest, DEFAULT_SEED};
use zkml_core::pcs::hyrax::Hyrax;
use zkml_core::pcs::Shape;
use zkml_core::testing::{rand_frs, rand_small};
use zkml_core::transcript::Transcript;
use zkml_core::zk::linear::LinearChecks;
use zkml_core::zk::opening::{self, CheckStack, HidingOpening, HidingStack};
use zkml_core::zk::products::PointTriple;
use zkml_core::zk::tail::{self, Tail};
use zkml_core::zk::{Blinds, Gens, Hidden};

#[path = "support/vector_file.rs"]
mod vector_file;
use vector_file::check_or_write;

const TAG: &[u8] = b"zkml-zk-opening-vectors";

/// One stack: its shape, table and claim points.
struct StackDef {
    shape: Shape,
    table: Vec<Fr>,
    points: Vec<Vec<Fr>>,
}

fn frs(v: &[u64]) -> Vec<Fr> {
    v.iter().map(|x| Fr::from(*x)).collect()
}

/// Stack 0: 5 variables, 8 columns, small signed entries (hyrax.md's fast path), one
/// claim with slot bits in its high coordinates. Stack 1: 3 variables, 4 columns, its
/// second row zero (padding), so its blinded commitment hides a zero row.
fn stack_defs() -> Vec<StackDef> {
    let t0: Vec<Fr> = rand_small(32, 8, 1).into_iter().map(from_i64).collect();
    let mut t1 = rand_frs(4, 2);
    t1.extend(frs(&[0, 0, 0, 0]));
    vec![
        StackDef {
            shape: Shape::new(5, 3).unwrap(),
            table: t0,
            points: vec![
                rand_frs(5, 100),
                rand_frs(5, 101),
                [rand_frs(3, 102), frs(&[1, 0])].concat(),
            ],
        },
        StackDef {
            shape: Shape::new(3, 2).unwrap(),
            table: t1,
            points: vec![rand_frs(3, 200), [rand_frs(2, 201), frs(&[0])].concat()],
        },
    ]
}

/// What a verifier sees: row commitments and claim commitments (the statement's, in
/// the file), and the proof's messages.
#[derive(Clone)]
struct Public {
    rows: Vec<Vec<G1Affine>>,
    claims: Vec<Vec<G1Affine>>,
    opening: HidingOpening,
    products: Vec<G1Affine>,
    tail: Tail,
}

impl Public {
    /// Opening messages, `"zk-products"`, `tau`, the sigma batch.
    fn bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.opening.write(&mut w);
        self.products.iter().for_each(|p| w.bytes(&g1_to_bytes(p)));
        self.tail.write(&mut w);
        w.finish()
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Lie {
    None,
    /// Claim 0 of stack 0 is committed with its value plus one.
    Claim,
    /// The product commitment is to the product plus one.
    Product,
}

/// The transcript's start: the tag, every stack's rows, every claim commitment.
fn start(rows: &[Vec<G1Affine>], claims: &[Vec<G1Affine>]) -> Transcript {
    let mut t = Transcript::new(TAG);
    rows.iter().for_each(|r| t.absorb_points("commitment", r));
    t.absorb_points("zk-claims", &claims.concat());
    t
}

/// Commit the stacks (blinders from `commit_blinds`) and their claims, then prove with
/// `blinds` (None: a fresh generator hedged with the transcript state).
fn prove(gens: &Gens, lie: Lie, commit_seed: [u8; 32], seed: Option<[u8; 32]>) -> Public {
    let defs = stack_defs();
    let hyrax = Hyrax::default();
    let mut cb = Blinds::from_seed(commit_seed, Transcript::new(TAG).state());
    let coms: Vec<_> = defs
        .iter()
        .map(|d| opening::commit_blinded(&hyrax, gens, d.shape, &d.table, &mut cb).unwrap())
        .collect();
    let mut values: Vec<Vec<Hidden>> = defs
        .iter()
        .map(|d| {
            let v = d.points.iter().map(|z| evaluate(&d.table, z));
            v.map(|v| Hidden::fresh(v, &mut cb)).collect()
        })
        .collect();
    if lie == Lie::Claim {
        values[0][0].v += Fr::one();
    }
    let rows: Vec<Vec<G1Affine>> = coms.iter().map(|(c, _)| c.rows.clone()).collect();
    let claims: Vec<Vec<G1Affine>> = values
        .iter()
        .map(|vs| vs.iter().map(|h| h.point(gens)).collect())
        .collect();
    let mut t = start(&rows, &claims);
    let mut blinds = match seed {
        Some(s) => Blinds::from_seed(s, t.state()),
        None => Blinds::hedged(t.state()).unwrap(),
    };
    let stacks: Vec<HidingStack<'_>> = defs
        .iter()
        .zip(&coms)
        .zip(&values)
        .map(|((d, (_, rho)), v)| HidingStack {
            shape: d.shape,
            table: &d.table,
            row_blinds: rho,
            points: &d.points,
            values: v,
        })
        .collect();
    let mut checks = LinearChecks::default();
    let run = opening::prove(gens, &mut t, &stacks, &mut checks, &mut blinds).unwrap();
    let (x, y) = (values[0][0], values[0][1]);
    let shift = if lie == Lie::Product {
        Fr::one()
    } else {
        Fr::from(0u64)
    };
    let z = Hidden::fresh(x.v * y.v + shift, &mut blinds);
    let products = vec![z.point(gens)];
    t.absorb_points("zk-products", &products);
    let tail = tail::prove(gens, &mut t, checks, &[(x, y, z)], &run.dots, &mut blinds);
    Public {
        rows,
        claims,
        opening: run.proof,
        products,
        tail,
    }
}

/// The one product of the vectors: claim 0 times claim 1 of stack 0.
fn product_triple(claims: &[Vec<G1Affine>], products: &[G1Affine]) -> PointTriple {
    (claims[0][0].into(), claims[0][1].into(), products[0].into())
}

/// The Rust check (points, not forms): Ok or the failed check's id.
fn verify(
    gens: &Gens,
    rows: &[Vec<G1Affine>],
    claims: &[Vec<G1Affine>],
    data: &[u8],
) -> Result<(), &'static str> {
    let id = |e: zkml_core::Error| e.check().unwrap();
    let defs = stack_defs();
    let mut t = start(rows, claims);
    let mut r = Reader::new(data);
    let shapes: Vec<Shape> = defs.iter().map(|d| d.shape).collect();
    let proof = HidingOpening::read(&shapes, &mut r).map_err(id)?;
    let values: Vec<Vec<G1Projective>> = claims
        .iter()
        .map(|c| c.iter().map(|p| (*p).into()).collect())
        .collect();
    let stacks: Vec<CheckStack<'_>> = defs
        .iter()
        .zip(rows)
        .zip(&values)
        .map(|((d, rows), v)| CheckStack {
            shape: d.shape,
            rows,
            points: &d.points,
            values: v,
        })
        .collect();
    let (linear, dots) = opening::verify(&mut t, &stacks, &proof).map_err(id)?;
    // One product, no count: the statement fixes how many (like every zk message).
    let products = vec![r.point("zk-products").map_err(id)?];
    t.absorb_points("zk-products", &products);
    let triples = [product_triple(claims, &products)];
    let tail = Tail::read(&mut r, 1, &dots).map_err(id)?;
    r.finish().map_err(id)?;
    tail::verify(gens, &mut t, &linear, &triples, &dots, &tail).map_err(id)
}

fn hexp(p: &G1Affine) -> Value {
    Value::String(hex::encode(g1_to_bytes(p)))
}

fn dec(x: &Fr) -> Value {
    Value::String(x.into_bigint().to_string())
}

fn stacks_json(rows: &[Vec<G1Affine>], claims: &[Vec<G1Affine>]) -> Value {
    let defs = stack_defs();
    let stacks: Vec<Value> = defs
        .iter()
        .zip(rows)
        .zip(claims)
        .map(|((d, rows), cs)| {
            let claims: Vec<Value> = d
                .points
                .iter()
                .zip(cs)
                .map(|(z, c)| json!({"point": z.iter().map(dec).collect::<Vec<_>>(), "commitment": hexp(c)}))
                .collect();
            json!({"num_vars": d.shape.num_vars, "log_cols": d.shape.log_cols,
                   "rows": rows.iter().map(hexp).collect::<Vec<_>>(), "claims": claims})
        })
        .collect();
    Value::Array(stacks)
}

fn gens() -> Gens {
    Gens::new(&seed_digest(DEFAULT_SEED), 8)
}

/// A change to an honest proof's public parts.
type Tamper = fn(&mut Public);

const COMMIT_SEED: [u8; 32] = [5; 32];
const PROOF_SEED: [u8; 32] = [9; 32];

#[test]
fn vectors_zk_opening() {
    let gens = gens();
    let mut cases = Vec::new();
    let mut push = |name: &str, p: &Public, data: Vec<u8>, why: Option<&'static str>| {
        let got = verify(&gens, &p.rows, &p.claims, &data);
        assert_eq!(got, why.map_or(Ok(()), Err), "{name}");
        cases.push(
            json!({"name": name, "stacks": stacks_json(&p.rows, &p.claims),
                          "proof": hex::encode(&data), "valid": why.is_none(), "check": why}),
        );
    };
    let honest = prove(&gens, Lie::None, COMMIT_SEED, Some(PROOF_SEED));
    // The zero row of stack 1 is hidden: its commitment is `rho H`, not the identity.
    assert!(!honest.rows[1][1].is_zero());
    push("honest", &honest, honest.bytes(), None);
    let merged = Some("zk.merged");
    for (name, lie) in [
        ("claim commitment to a wrong value", Lie::Claim),
        ("product commitment to a wrong value", Lie::Product),
    ] {
        let p = prove(&gens, lie, COMMIT_SEED, Some(PROOF_SEED));
        push(name, &p, p.bytes(), merged);
    }
    let tampered: [(&str, Tamper); 6] = [
        ("row commitment replaced", |p| p.rows[0][1] = p.rows[0][2]),
        ("claim commitments swapped", |p| p.claims[0].swap(0, 2)),
        ("round commitment replaced", |p| {
            p.opening.stacks[0].sumcheck.rounds[1][0] = p.opening.stacks[0].eval
        }),
        ("stack eval commitment replaced", |p| {
            p.opening.stacks[1].eval = p.opening.stacks[0].eval
        }),
        ("dot product response moved", |p| {
            p.tail.proofs[1].responses[3] += Fr::one()
        }),
        ("tau moved", |p| p.tail.tau += Fr::one()),
    ];
    for (name, f) in tampered {
        let mut p = honest.clone();
        f(&mut p);
        push(name, &p, p.bytes(), merged);
    }
    let mut cut = honest.bytes();
    cut.pop();
    push("truncated", &honest, cut, Some("proof.truncated"));
    check_or_write(
        "zk_opening.json",
        json!({"seed": "zkml/hyrax/generators/v1",
               "tag": String::from_utf8(TAG.to_vec()).unwrap(),
               "products": [[[0, 0], [0, 1]]], "cases": cases}),
    );
}

/// Every point a proof sends, in order.
fn sent_points(p: &Public) -> Vec<G1Affine> {
    let mut out: Vec<G1Affine> = Vec::new();
    for s in &p.opening.stacks {
        out.extend(s.sumcheck.rounds.iter().flatten());
        out.push(s.eval);
    }
    out.extend(&p.products);
    p.tail.proofs.iter().for_each(|q| out.extend(&q.first));
    out
}

#[test]
fn two_openings_of_one_statement_share_no_first_message() {
    let gens = gens();
    let a = prove(&gens, Lie::None, COMMIT_SEED, None);
    let b = prove(&gens, Lie::None, COMMIT_SEED, None);
    assert_eq!((&a.rows, &a.claims), (&b.rows, &b.claims));
    for p in [&a, &b] {
        assert_eq!(verify(&gens, &p.rows, &p.claims, &p.bytes()), Ok(()));
    }
    let (pa, pb) = (sent_points(&a), sent_points(&b));
    assert_eq!(pa.len(), pb.len());
    assert!(pa.iter().all(|x| !pb.contains(x)));
}

#[test]
fn two_commitments_of_one_table_differ() {
    let gens = gens();
    let a = prove(&gens, Lie::None, [1; 32], Some(PROOF_SEED));
    let b = prove(&gens, Lie::None, [2; 32], Some(PROOF_SEED));
    for (ra, rb) in a.rows.iter().zip(&b.rows) {
        assert!(ra.iter().all(|x| !rb.contains(x)));
    }
}
