//! The proof kinds of the foundation (circuits/proofs.md): a standalone batched
//! opening (kind 1) and a product sumcheck over two committed tables (kind 2).
//! Both end in the shared BatchOpen subprotocol.

use crate::artifact::{read_header, write_header, Kind};
use crate::encoding::{Reader, Writer};
use crate::error::{format_at, reject_at, Result};
use crate::field::Fr;
use crate::pcs::batch::{
    self, BatchOpeningProof, ProverStack, StackClaims, VerifierStack, MAX_STACKS,
};
use crate::pcs::hyrax::{Commitment, Hyrax};
use crate::pcs::{Pcs, Shape};
use crate::sumcheck::{self, PairProduct, SumcheckProof};
use crate::transcript::Transcript;

fn start_transcript(kind: Kind, hyrax: &Hyrax) -> Transcript {
    let mut t = Transcript::new(kind.tag());
    t.absorb_u32("version", kind.version() as u32);
    t.absorb("generators", &hyrax.seed_digest);
    t
}

fn read_seed_digest(r: &mut Reader, hyrax: &Hyrax) -> Result<()> {
    if r.take(32, "generator seed digest")? != hyrax.seed_digest {
        return reject_at(
            "proof.generator-seed",
            "proof was made with generators from another seed",
        );
    }
    Ok(())
}

/// A committed stack with its claims, as the statement of kind 1 carries it.
pub struct CommittedStack {
    pub shape: Shape,
    pub commitment: Commitment,
    pub claims: StackClaims,
}

/// Kind 1: prove that each committed table evaluates to its claimed values.
pub fn prove_batch_opening(hyrax: &Hyrax, stacks: &[(&CommittedStack, &[Fr])]) -> Vec<u8> {
    let mut t = start_transcript(Kind::PcsBatchOpening, hyrax);
    let mut w = Writer::new();
    write_header(&mut w, Kind::PcsBatchOpening);
    w.bytes(&hyrax.seed_digest);
    w.u32(stacks.len() as u32);
    t.absorb_u32("stacks", stacks.len() as u32);
    for (s, _) in stacks {
        s.shape.write(&mut w);
        Hyrax::write_commitment(&s.commitment, &mut w);
        s.claims.write(&mut w);
        s.shape.absorb(&mut t);
        Hyrax::absorb_commitment(&mut t, "commitment", &s.commitment);
    }
    let prover_stacks: Vec<ProverStack<'_>> = stacks
        .iter()
        .map(|(s, table)| ProverStack {
            shape: s.shape,
            table,
            claims: &s.claims,
        })
        .collect();
    let proof = batch::prove(hyrax, &mut t, &prover_stacks);
    proof.write(&mut w);
    w.finish()
}

fn verify_batch_opening_body(hyrax: &Hyrax, mut r: Reader) -> Result<Vec<CommittedStack>> {
    read_seed_digest(&mut r, hyrax)?;
    let count = r.u32("stack count")? as usize;
    if count == 0 || count > MAX_STACKS {
        return format_at("proof.limits", "stack count out of limits");
    }
    let stacks = (0..count)
        .map(|_| {
            let shape = Shape::read(&mut r)?;
            let commitment = Hyrax::read_commitment(shape, &mut r)?;
            let claims = StackClaims::read(shape, &mut r)?;
            Ok(CommittedStack {
                shape,
                commitment,
                claims,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let shapes: Vec<Shape> = stacks.iter().map(|s| s.shape).collect();
    let proof = BatchOpeningProof::<Hyrax>::read(&shapes, &mut r)?;
    r.finish()?;
    let mut t = start_transcript(Kind::PcsBatchOpening, hyrax);
    t.absorb_u32("stacks", count as u32);
    for s in &stacks {
        s.shape.absorb(&mut t);
        Hyrax::absorb_commitment(&mut t, "commitment", &s.commitment);
    }
    let vs: Vec<VerifierStack<'_, Hyrax>> = stacks
        .iter()
        .map(|s| VerifierStack {
            shape: s.shape,
            commitment: &s.commitment,
            claims: &s.claims,
        })
        .collect();
    batch::verify(hyrax, &mut t, &vs, &proof)?;
    Ok(stacks)
}

/// Kind 2: prove `sum_x f(x) g(x) = sigma` for committed `f`, `g`.
pub fn prove_product_sumcheck(hyrax: &Hyrax, shape: Shape, f: &[Fr], g: &[Fr]) -> Result<Vec<u8>> {
    let cf = hyrax.commit(shape, f)?;
    let cg = hyrax.commit(shape, g)?;
    let mut inst = PairProduct::new(f, g)?;
    let sigma = inst.claim();
    let mut t = start_transcript(Kind::ProductSumcheck, hyrax);
    shape.absorb(&mut t);
    Hyrax::absorb_commitment(&mut t, "commitment-f", &cf);
    Hyrax::absorb_commitment(&mut t, "commitment-g", &cg);
    t.absorb_fr("claimed-sum", &sigma);
    let (sc, r) = sumcheck::prove(&mut t, &mut inst, sigma);
    let ev = inst.final_evals();
    let (a, b) = (ev[0], ev[1]);
    t.absorb_fr("eval-f", &a);
    t.absorb_fr("eval-g", &b);
    let (mut claims_f, mut claims_g) = (StackClaims::default(), StackClaims::default());
    claims_f.push(r.clone(), a);
    claims_g.push(r, b);
    let opening = batch::prove(
        hyrax,
        &mut t,
        &[
            ProverStack {
                shape,
                table: f,
                claims: &claims_f,
            },
            ProverStack {
                shape,
                table: g,
                claims: &claims_g,
            },
        ],
    );
    let mut w = Writer::new();
    write_header(&mut w, Kind::ProductSumcheck);
    w.bytes(&hyrax.seed_digest);
    shape.write(&mut w);
    Hyrax::write_commitment(&cf, &mut w);
    Hyrax::write_commitment(&cg, &mut w);
    w.fr(&sigma);
    sc.write(&mut w);
    w.fr(&a);
    w.fr(&b);
    opening.write(&mut w);
    Ok(w.finish())
}

fn verify_product_body(hyrax: &Hyrax, mut r: Reader) -> Result<Fr> {
    read_seed_digest(&mut r, hyrax)?;
    let shape = Shape::read(&mut r)?;
    let cf = Hyrax::read_commitment(shape, &mut r)?;
    let cg = Hyrax::read_commitment(shape, &mut r)?;
    let sigma = r.fr("claimed sum")?;
    let sc = SumcheckProof::read(&mut r, shape.num_vars, 2)?;
    let a = r.fr("eval f")?;
    let b = r.fr("eval g")?;
    let opening = BatchOpeningProof::<Hyrax>::read(&[shape, shape], &mut r)?;
    r.finish()?;
    let mut t = start_transcript(Kind::ProductSumcheck, hyrax);
    shape.absorb(&mut t);
    Hyrax::absorb_commitment(&mut t, "commitment-f", &cf);
    Hyrax::absorb_commitment(&mut t, "commitment-g", &cg);
    t.absorb_fr("claimed-sum", &sigma);
    let (point, fin) = sumcheck::verify(&mut t, "product sumcheck", sigma, shape.num_vars, 2, &sc)?;
    t.absorb_fr("eval-f", &a);
    t.absorb_fr("eval-g", &b);
    if a * b != fin {
        return reject_at(
            "product.final",
            "product sumcheck: final value != f(r) * g(r)",
        );
    }
    let (mut claims_f, mut claims_g) = (StackClaims::default(), StackClaims::default());
    claims_f.push(point.clone(), a);
    claims_g.push(point, b);
    batch::verify(
        hyrax,
        &mut t,
        &[
            VerifierStack {
                shape,
                commitment: &cf,
                claims: &claims_f,
            },
            VerifierStack {
                shape,
                commitment: &cg,
                claims: &claims_g,
            },
        ],
        &opening,
    )?;
    Ok(sigma)
}

/// What a verified artifact states.
pub enum Verified {
    BatchOpening(Vec<CommittedStack>),
    ProductSum(Fr),
}

/// Rust-side verifier (tests and cross-checks; the trust anchor is the Python one).
pub fn verify_artifact(hyrax: &Hyrax, bytes: &[u8]) -> Result<Verified> {
    let mut r = Reader::new(bytes);
    // Each body parses to the end (trailing bytes rejected) before any check runs.
    Ok(match read_header(&mut r)? {
        Kind::PcsBatchOpening => Verified::BatchOpening(verify_batch_opening_body(hyrax, r)?),
        Kind::ProductSumcheck => Verified::ProductSum(verify_product_body(hyrax, r)?),
        // The trust anchor for inference proofs is the Python verifier.
        Kind::Inference | Kind::VerifyingKey | Kind::HidingInference => {
            return format_at("proof.header-kind", "not a foundation proof kind")
        }
        Kind::HidingVerifyingKey => {
            return format_at("proof.header-kind", "a hiding verifying key is not a proof")
        }
    })
}
