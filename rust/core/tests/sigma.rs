//! `circuits/vectors/sigma.json` (circuits/sigma.md): the extra generators, one honest
//! batch of every proof kind, and cheating batches every verifier must reject. The
//! batch is proved with a fixed blinder seed (test builds only), so the file is stable.

use ark_ff::{One, PrimeField};
use serde_json::{json, Value};
use zkml_core::encoding::{g1_to_bytes, Reader, Writer};
use zkml_core::field::Fr;
use zkml_core::pcs::generators::{seed_digest, DEFAULT_SEED};
use zkml_core::transcript::Transcript;
use zkml_core::zk::products::{
    self, example_triples, points_of, PointTriple, ProductProof, Triple,
};
use zkml_core::zk::sigma::{self, example_items, Proof, Statement, Witness};
use zkml_core::zk::{Blinds, Gens};

#[path = "support/vector_file.rs"]
mod vector_file;
use vector_file::check_or_write;

const TAG: &[u8] = b"zkml-sigma-vectors";

fn fr(v: u64) -> Fr {
    Fr::from(v)
}

fn hexp(p: &ark_bn254::G1Affine) -> Value {
    Value::String(hex::encode(g1_to_bytes(p)))
}

/// The statement's points in order (what the transcript absorbs before the batch).
fn points(s: &Statement) -> Vec<ark_bn254::G1Affine> {
    match s {
        Statement::Opening { c } => vec![*c],
        Statement::Equality { c1, c2 } => vec![*c1, *c2],
        Statement::Product { cx, cy, cz } => vec![*cx, *cy, *cz],
        Statement::DotProduct { cx, cy, .. } => vec![*cx, *cy],
    }
}

fn stmt_json(s: &Statement) -> Value {
    let (kind, a) = match s {
        Statement::Opening { .. } => ("opening", vec![]),
        Statement::Equality { .. } => ("equality", vec![]),
        Statement::Product { .. } => ("product", vec![]),
        Statement::DotProduct { a, .. } => ("dot_product", a.clone()),
    };
    let a: Vec<Value> = a
        .iter()
        .map(|x| Value::String(x.into_bigint().to_string()))
        .collect();
    json!({"kind": kind, "points": points(s).iter().map(hexp).collect::<Vec<_>>(), "a": a})
}

fn transcript(stmts: &[Statement]) -> Transcript {
    let mut t = Transcript::new(TAG);
    let pts: Vec<_> = stmts.iter().flat_map(points).collect();
    t.absorb_points("sigma-statement", &pts);
    t
}

fn prove(g: &Gens, items: &[(Statement, Witness)]) -> Vec<Proof> {
    let stmts: Vec<Statement> = items.iter().map(|(s, _)| s.clone()).collect();
    let mut t = transcript(&stmts);
    let mut blinds = Blinds::from_seed([7; 32], t.state());
    sigma::prove_batch(g, &mut t, items, &mut blinds)
}

fn bytes(proofs: &[Proof]) -> Vec<u8> {
    let mut w = Writer::new();
    sigma::write_batch(&mut w, proofs);
    w.finish()
}

/// The Rust check of a case (the same outcome pytest must reach).
fn verify(g: &Gens, stmts: &[Statement], data: &[u8]) -> Result<(), &'static str> {
    let mut r = Reader::new(data);
    let proofs = sigma::read_batch(&mut r, stmts).map_err(|e| e.check().unwrap())?;
    r.finish().map_err(|e| e.check().unwrap())?;
    sigma::verify_batch(g, &mut transcript(stmts), stmts, &proofs).map_err(|e| e.check().unwrap())
}

fn case(
    g: &Gens,
    name: &str,
    items: &[(Statement, Witness)],
    data: Vec<u8>,
    why: Option<&str>,
) -> Value {
    let stmts: Vec<Statement> = items.iter().map(|(s, _)| s.clone()).collect();
    let got = verify(g, &stmts, &data);
    match why {
        None => assert_eq!(got, Ok(()), "{name}"),
        Some(id) => assert_eq!(got, Err(id), "{name}"),
    }
    json!({"name": name, "statements": stmts.iter().map(stmt_json).collect::<Vec<_>>(),
           "proof": hex::encode(&data), "valid": why.is_none(), "check": why})
}

#[test]
fn vectors_sigma() {
    let g = Gens::new(&seed_digest(DEFAULT_SEED), 4);
    let honest = example_items(&g, fr(42));
    let proofs = prove(&g, &honest);
    let mut cases = vec![case(&g, "honest", &honest, bytes(&proofs), None)];

    let lie = example_items(&g, fr(43));
    cases.push(case(
        &g,
        "false product",
        &lie,
        bytes(&prove(&g, &lie)),
        Some("sigma.equations"),
    ));

    let mut unequal = example_items(&g, fr(42));
    unequal[1].0 = Statement::Equality {
        c1: g.commit_scalar(fr(3), fr(1)),
        c2: g.commit_scalar(fr(4), fr(2)),
    };
    let data = bytes(&prove(&g, &unequal));
    cases.push(case(
        &g,
        "unequal values",
        &unequal,
        data,
        Some("sigma.equations"),
    ));

    let mut wrong_dot = example_items(&g, fr(42));
    if let Statement::DotProduct { cy, .. } = &mut wrong_dot[3].0 {
        *cy = g.commit_scalar(fr(1), fr(22));
    }
    let data = bytes(&prove(&g, &wrong_dot));
    cases.push(case(
        &g,
        "wrong dot product",
        &wrong_dot,
        data,
        Some("sigma.equations"),
    ));

    let mut bumped = proofs.clone();
    bumped[2].responses[4] += Fr::one();
    cases.push(case(
        &g,
        "product response moved",
        &honest,
        bytes(&bumped),
        Some("sigma.equations"),
    ));

    let mut moved = proofs.clone();
    moved[3].first[1] = g.h;
    cases.push(case(
        &g,
        "dot product first message replaced",
        &honest,
        bytes(&moved),
        Some("sigma.equations"),
    ));

    let full = bytes(&proofs);
    cases.push(case(
        &g,
        "truncated",
        &honest,
        full[..full.len() - 1].to_vec(),
        Some("proof.truncated"),
    ));
    let mut long = full.clone();
    long.push(0);
    cases.push(case(
        &g,
        "trailing byte",
        &honest,
        long,
        Some("proof.trailing-bytes"),
    ));

    check_or_write(
        "sigma.json",
        json!({"seed": String::from_utf8(DEFAULT_SEED.to_vec()).unwrap(),
               "tag": String::from_utf8(TAG.to_vec()).unwrap(),
               "h": hexp(&g.h), "g_e": hexp(&g.g_e), "cases": cases,
               "product_batch": product_cases(&g)}),
    );
}

/// The batched proof of product (sigma.md 7) alone: the transcript absorbs every
/// triple's points (`"sigma-statement"`), then the proof's own steps.
fn product_transcript(triples: &[PointTriple]) -> Transcript {
    let mut t = Transcript::new(TAG);
    let pts: Vec<_> = triples
        .iter()
        .flat_map(|(x, y, z)| [*x, *y, *z])
        .map(|p| p.into())
        .collect::<Vec<ark_bn254::G1Affine>>();
    t.absorb_points("sigma-statement", &pts);
    t
}

fn product_prove(g: &Gens, triples: &[Triple]) -> ProductProof {
    let mut t = product_transcript(&points_of(g, triples));
    let mut blinds = Blinds::from_seed([8; 32], t.state());
    products::prove_alone(g, &mut t, triples, &mut blinds)
}

fn product_bytes(p: &ProductProof) -> Vec<u8> {
    let mut w = Writer::new();
    p.write_vectors(&mut w);
    p.write_sigma(&mut w);
    w.finish()
}

fn product_verify(g: &Gens, triples: &[PointTriple], data: &[u8]) -> Result<(), &'static str> {
    let id = |e: zkml_core::Error| e.check().unwrap();
    let mut r = Reader::new(data);
    let v = ProductProof::read_vectors(&mut r).map_err(id)?;
    let p = ProductProof::read_sigma(&mut r, v, triples.len()).map_err(id)?;
    r.finish().map_err(id)?;
    products::verify_alone(g, &mut product_transcript(triples), triples, &p).map_err(id)
}

fn product_case(
    g: &Gens,
    name: &str,
    tr: &[PointTriple],
    data: Vec<u8>,
    why: Option<&str>,
) -> Value {
    let got = product_verify(g, tr, &data);
    match why {
        None => assert_eq!(got, Ok(()), "{name}"),
        Some(id) => assert_eq!(got, Err(id), "{name}"),
    }
    let triples: Vec<Value> = tr
        .iter()
        .map(|(x, y, z)| json!([x, y, z].map(|p| hexp(&(*p).into()))))
        .collect();
    json!({"name": name, "triples": triples, "proof": hex::encode(&data),
           "valid": why.is_none(), "check": why})
}

/// An honest batch (three products and an inverse), false statements proved by the
/// honest algorithm, and mutations of the honest proof.
fn product_cases(g: &Gens) -> Vec<Value> {
    let honest = example_triples(fr(6));
    let pts = points_of(g, &honest);
    let proof = product_prove(g, &honest);
    let full = product_bytes(&proof);
    let mut cases = vec![product_case(g, "honest", &pts, full.clone(), None)];
    let eqs = Some("sigma.equations");
    let lie = example_triples(fr(7));
    let data = product_bytes(&product_prove(g, &lie));
    cases.push(product_case(
        g,
        "false product",
        &points_of(g, &lie),
        data,
        eqs,
    ));
    let mut zero = example_triples(fr(6));
    zero[2].0.v = fr(0); // the inverse of a zero expression
    let data = product_bytes(&product_prove(g, &zero));
    cases.push(product_case(
        g,
        "inverse of zero",
        &points_of(g, &zero),
        data,
        eqs,
    ));
    let mut swapped = pts.clone();
    swapped.swap(0, 3);
    cases.push(product_case(
        g,
        "products swapped",
        &swapped,
        full.clone(),
        eqs,
    ));
    let mut bumped = proof.clone();
    bumped.fy[1] += Fr::one();
    cases.push(product_case(
        g,
        "f_y moved",
        &pts,
        product_bytes(&bumped),
        eqs,
    ));
    let mut moved = proof.clone();
    moved.u[4] += Fr::one();
    cases.push(product_case(
        g,
        "product blinder moved",
        &pts,
        product_bytes(&moved),
        eqs,
    ));
    let mut t0 = proof.clone();
    t0.first[5] = g.h;
    cases.push(product_case(
        g,
        "T_0 replaced",
        &pts,
        product_bytes(&t0),
        eqs,
    ));
    let mut vx = proof.clone();
    vx.vectors[0] = g.g_e;
    cases.push(product_case(
        g,
        "V_x replaced",
        &pts,
        product_bytes(&vx),
        eqs,
    ));
    let short = Some("proof.truncated");
    cases.push(product_case(
        g,
        "one product fewer",
        &pts[..3],
        full.clone(),
        Some("proof.trailing-bytes"),
    ));
    let mut more = pts.clone();
    more.push(pts[0]);
    cases.push(product_case(
        g,
        "one product more",
        &more,
        full.clone(),
        short,
    ));
    let mut long = full;
    long.push(0);
    cases.push(product_case(
        g,
        "trailing byte",
        &pts,
        long,
        Some("proof.trailing-bytes"),
    ));
    cases
}
