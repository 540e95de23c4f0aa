//! `circuits/vectors/zk_sumcheck.json` (circuits/zk.md 5.2, 5.3): committed batched
//! sumchecks with hidden claims, closed by the one linear check
//! `final - sum_i beta^i g_i(point_i) G_e == 0`. Proved with a fixed blinder seed (test
//! builds only); honest and cheating cases, each checked here as pytest checks it.

use ark_bn254::G1Projective;
use ark_ec::AffineRepr;
use ark_ff::{One, PrimeField};
use serde_json::{json, Value};
use zkml_core::encoding::{g1_to_bytes, Reader, Writer};
use zkml_core::field::Fr;
use zkml_core::mle::evaluate;
use zkml_core::pcs::generators::{seed_digest, DEFAULT_SEED};
use zkml_core::sumcheck::product::Term;
use zkml_core::sumcheck::{ProductSum, SumcheckProver};
use zkml_core::testing::rand_frs;
use zkml_core::transcript::Transcript;
use zkml_core::zk::linear::{linear_residue, LinearChecks};
use zkml_core::zk::sumcheck::{prove_batched, verify_batched, ZkSumcheckProof};
use zkml_core::zk::{Blinds, Gens, Hidden};

#[path = "support/vector_file.rs"]
mod vector_file;
use vector_file::check_or_write;

const TAG: &[u8] = b"zkml-zk-sumcheck-vectors";

fn dec(x: &Fr) -> Value {
    Value::String(x.into_bigint().to_string())
}

/// One instance: tables and terms (sumcheck.md's product sums).
#[derive(Clone)]
struct Inst {
    tables: Vec<Vec<Fr>>,
    terms: Vec<Term>,
}

impl Inst {
    fn prover(&self) -> ProductSum {
        ProductSum::new(self.tables.clone(), self.terms.clone()).unwrap()
    }
    fn vars(&self) -> usize {
        self.tables[0].len().trailing_zeros() as usize
    }
    /// `g(point)` from the tables' MLEs.
    fn at(&self, point: &[Fr]) -> Fr {
        let ev: Vec<Fr> = self.tables.iter().map(|t| evaluate(t, point)).collect();
        self.terms
            .iter()
            .map(|t| t.coeff * t.factors.iter().map(|&m| ev[m]).product::<Fr>())
            .sum()
    }
    fn json(&self) -> Value {
        json!({"tables": self.tables.iter().map(|t| t.iter().map(dec).collect::<Vec<_>>()).collect::<Vec<_>>(),
               "terms": self.terms.iter().map(|t| json!({"coeff": dec(&t.coeff), "factors": t.factors})).collect::<Vec<_>>()})
    }
}

/// Prove: commit the claims (`shift` added to claim 0 for a cheating case), the
/// committed sumcheck, the final linear check. Returns (claim points, proof bytes).
fn prove(gens: &Gens, insts: &[Inst], shift: Fr) -> (Vec<Value>, Vec<u8>) {
    let mut t = Transcript::new(TAG);
    let mut blinds = Blinds::from_seed([9; 32], t.state());
    let mut provers: Vec<ProductSum> = insts.iter().map(Inst::prover).collect();
    let mut claims: Vec<Hidden> = provers
        .iter()
        .map(|p| Hidden::fresh(p.claim(), &mut blinds))
        .collect();
    claims[0].v += shift;
    let points: Vec<_> = claims.iter().map(|h| h.point(gens)).collect();
    t.absorb_points("zk-claims", &points);
    let mut refs: Vec<&mut dyn SumcheckProver> = provers
        .iter_mut()
        .map(|p| p as &mut dyn SumcheckProver)
        .collect();
    let run = prove_batched(gens, &mut t, &mut refs, &claims, &mut blinds);
    let n = run.point.len();
    let expected: Fr = insts
        .iter()
        .zip(&run.weights)
        .map(|(i, w)| *w * i.at(&run.point[n - i.vars()..]))
        .sum();
    let mut checks = LinearChecks::default();
    checks.push(run.last - Hidden::public(expected));
    let tau = checks.finish(&mut t);
    let mut w = Writer::new();
    run.proof.write(&mut w);
    w.fr(&tau);
    let hex_points = points
        .iter()
        .map(|p| Value::String(hex::encode(g1_to_bytes(p))))
        .collect();
    (hex_points, w.finish())
}

/// The Rust check (points, not forms): Ok or the failed check's id.
fn verify(gens: &Gens, insts: &[Inst], claims: &[Value], data: &[u8]) -> Result<(), &'static str> {
    let claims: Vec<G1Projective> = claims
        .iter()
        .map(|h| {
            let b = hex::decode(h.as_str().unwrap()).unwrap();
            zkml_core::encoding::g1_from_bytes(&b).unwrap().into()
        })
        .collect();
    let affine: Vec<_> = claims
        .iter()
        .map(|p| ark_ec::CurveGroup::into_affine(*p))
        .collect();
    let mut t = Transcript::new(TAG);
    t.absorb_points("zk-claims", &affine);
    let vars: Vec<usize> = insts.iter().map(Inst::vars).collect();
    let n = vars.iter().copied().max().unwrap();
    let d = insts.iter().map(|i| i.prover().degree()).max().unwrap();
    let mut r = Reader::new(data);
    let id = |e: zkml_core::Error| e.check().unwrap();
    let proof = ZkSumcheckProof::read(&mut r, n, d).map_err(id)?;
    let tau = r.fr("zk-linear-blinder").map_err(id)?;
    r.finish().map_err(id)?;
    let (point, weights, last) = verify_batched(&mut t, &claims, &vars, d, &proof).map_err(id)?;
    let expected: Fr = insts
        .iter()
        .zip(&weights)
        .map(|(i, w)| *w * i.at(&point[n - i.vars()..]))
        .sum();
    let form = last - gens.g_e * expected;
    if linear_residue(gens, &mut t, &[form], tau).is_zero() {
        Ok(())
    } else {
        Err("zk.linear")
    }
}

fn product(n: usize, seed: u64) -> Inst {
    let one = Fr::one();
    Inst {
        tables: vec![rand_frs(1 << n, seed), rand_frs(1 << n, seed + 1)],
        terms: vec![Term {
            coeff: one,
            factors: vec![0, 1],
        }],
    }
}

fn cubic(n: usize, seed: u64) -> Inst {
    Inst {
        tables: (0..3).map(|k| rand_frs(1 << n, seed + k)).collect(),
        terms: vec![
            Term {
                coeff: Fr::from(3u64),
                factors: vec![0, 1, 2],
            },
            Term {
                coeff: -Fr::from(2u64),
                factors: vec![1],
            },
        ],
    }
}

#[test]
fn vectors_zk_sumcheck() {
    let gens = Gens::new(&seed_digest(DEFAULT_SEED), 1);
    let mut cases = Vec::new();
    let mut push = |name: &str,
                    insts: &[Inst],
                    claims: Vec<Value>,
                    data: Vec<u8>,
                    why: Option<&'static str>| {
        let got = verify(&gens, insts, &claims, &data);
        assert_eq!(got, why.map_or(Ok(()), Err), "{name}");
        cases.push(json!({"name": name, "instances": insts.iter().map(Inst::json).collect::<Vec<_>>(),
                          "claims": claims, "proof": hex::encode(&data), "valid": why.is_none(), "check": why}));
    };
    let single = vec![product(3, 1)];
    let batch = vec![product(3, 10), cubic(2, 20)];
    for (name, insts) in [
        ("single product", &single),
        ("batched product and cubic", &batch),
    ] {
        let (claims, data) = prove(&gens, insts, Fr::from(0u64));
        push(name, insts, claims, data, None);
    }
    let (claims, data) = prove(&gens, &batch, Fr::one());
    push("false claim", &batch, claims, data, Some("zk.linear"));

    let (claims, data) = prove(&gens, &batch, Fr::from(0u64));
    let mut moved = data.clone();
    moved[64..128].copy_from_slice(&data[..64]);
    push(
        "round commitment replaced",
        &batch,
        claims.clone(),
        moved,
        Some("zk.linear"),
    );
    let mut tau = data.clone();
    let last = tau.len() - 1;
    tau[last] ^= 1;
    push("tau moved", &batch, claims.clone(), tau, Some("zk.linear"));
    push(
        "truncated",
        &batch,
        claims.clone(),
        data[..data.len() - 1].to_vec(),
        Some("proof.truncated"),
    );
    let mut swapped = claims.clone();
    swapped.swap(0, 1);
    push("claims swapped", &batch, swapped, data, Some("zk.linear"));

    check_or_write(
        "zk_sumcheck.json",
        json!({"seed": "zkml/hyrax/generators/v1",
        "tag": String::from_utf8(TAG.to_vec()).unwrap(), "cases": cases}),
    );
}
