//! Hiding verifying keys (kind 6, circuits/zk_inference.md section 4): kind 4
//! (inference.md 7) with the model commitment `C_P` blinded by the compiled model's row
//! blinders, the multiplicity commitment `C_m` blinded by fresh ones, and the
//! well-formedness proof hiding: the hiding LogUp (zk.md 5.6) over kind 4's three trees,
//! the leaf evaluations committed, kind 4's six leaf equations as zero checks
//! (`leaves`), the hiding opening (5.4) and the tail (5.5). The key reveals the
//! circuit and the commitments only.
//!
//! Kind 4's stacks, trees and transcript head come from `inference::model_key`, so the
//! two kinds cannot drift apart; `blinded_model_commitment` gives the inference prover
//! the same `C_P` rows.

pub mod leaves;

#[cfg(any(test, feature = "testkit"))]
pub mod check;

use std::collections::BTreeMap;

use ark_bn254::G1Affine;

use crate::artifact::Kind;
use crate::declare::Claim;
use crate::error::{Error, Result};
use crate::field::Fr;
use crate::inference::circuit::Circuit;
use crate::inference::model_key::{
    padding_indicator, padding_mask, range_multiplicities, to_fr, wf_transcript, wf_trees,
    write_key_head, KeyStacks,
};
use crate::mle::evaluate;
use crate::pcs::hyrax::{Commitment, Hyrax};
use crate::pcs::{Pcs, Shape};
use crate::zk::declared::HiddenEval;
use crate::zk::opening::{self, blind_rows, HidingStack};
use crate::zk::{logup as zlogup, tail, Blinds, Gens, Hidden};

use leaves::{leaf_checks, leaf_eval_name, result_name, LeafPublic};

/// The well-formedness transcript's tag (zk_inference.md 4).
pub const ZK_WF_TAG: &[u8] = b"zkml/model-wf-zk";

/// The model stack's shape of a circuit.
fn model_shape(c: &Circuit) -> Result<Shape> {
    Shape::new(c.model_stack.num_vars, c.model_stack.log_cols)
}

/// `C_P`: the model stack's row commitments blinded by `blinders` (one per row, drawn
/// when the model is compiled): `C_i = sum_j P[i][j] G_j + rho_i H` (zk.md 5.4). The
/// kind-6 key and every hiding inference proof of the model use these rows.
pub fn blinded_model_commitment(
    hyrax: &Hyrax,
    shape: Shape,
    model: &[i64],
    blinders: &[Fr],
) -> Result<Commitment> {
    if blinders.len() != shape.rows() {
        return Err(Error::InvalidArgument(format!(
            "{} model row blinders for {} rows",
            blinders.len(),
            shape.rows()
        )));
    }
    let clear = hyrax.commit_small(shape, model)?;
    Ok(blind_rows(
        &Gens::new(&hyrax.seed_digest, 0),
        &clear,
        blinders,
    ))
}

/// Fresh row blinders for a model of `circuit_json` (one per model-stack row), drawn
/// once when the model is compiled and kept with it, never in a key.
pub fn draw_model_blinders(hyrax: &Hyrax, circuit_json: &[u8]) -> Result<Vec<Fr>> {
    let shape = model_shape(&Circuit::parse(circuit_json)?)?;
    let state = wf_transcript(ZK_WF_TAG, version(), hyrax, circuit_json).state();
    Ok(Blinds::hedged(state)?.draw_n(shape.rows()))
}

fn version() -> u16 {
    Kind::HidingVerifyingKey.version()
}

/// Build the kind-6 key of `model` (the model stack, quantized) whose `C_P` rows are
/// blinded with `model_blinders` (one per row); every other blinder is fresh
/// (`Blinds::hedged`, zk_inference.md 4).
pub fn build_hiding_verifying_key(
    hyrax: &Hyrax,
    circuit_json: &[u8],
    model: &[i64],
    model_blinders: &[Fr],
) -> Result<Vec<u8>> {
    Builder {
        hyrax,
        circuit_json,
        model,
        model_blinders,
        seed: None,
        multiplicities: None,
        leaf_shift: [Fr::from(0u64); 2],
    }
    .build()
}

/// A dishonest key for tests: multiplicities in place of the true ones, the two leaf
/// evaluations committed shifted by these amounts.
#[cfg(any(test, feature = "testkit"))]
#[derive(Clone, Debug, Default)]
pub struct Cheat {
    pub multiplicities: Option<Vec<i64>>,
    pub leaf_shift: [Fr; 2],
}

/// `build_hiding_verifying_key` with deterministic blinders (`Blinds::from_seed` with
/// `seed`: test vectors only) and an optional cheat.
#[cfg(any(test, feature = "testkit"))]
pub fn build_hiding_verifying_key_seeded(
    hyrax: &Hyrax,
    circuit_json: &[u8],
    model: &[i64],
    model_blinders: &[Fr],
    seed: [u8; 32],
    cheat: &Cheat,
) -> Result<Vec<u8>> {
    Builder {
        hyrax,
        circuit_json,
        model,
        model_blinders,
        seed: Some(seed),
        multiplicities: cheat.multiplicities.clone(),
        leaf_shift: cheat.leaf_shift,
    }
    .build()
}

struct Builder<'a> {
    hyrax: &'a Hyrax,
    circuit_json: &'a [u8],
    model: &'a [i64],
    model_blinders: &'a [Fr],
    /// A fixed blinder seed (test builds only); `None` draws from the OS, hedged.
    seed: Option<[u8; 32]>,
    multiplicities: Option<Vec<i64>>,
    leaf_shift: [Fr; 2],
}

impl Builder<'_> {
    fn blinds(&self, state: [u8; 32]) -> Result<Blinds> {
        match self.seed {
            #[cfg(any(test, feature = "testkit"))]
            Some(seed) => Ok(Blinds::from_seed(seed, state)),
            _ => Blinds::hedged(state),
        }
    }

    fn build(self) -> Result<Vec<u8>> {
        let ks = KeyStacks::new(self.circuit_json, self.model)?;
        let (shape, mshape) = (ks.shape, ks.mshape);
        let mut timer = crate::profile::Timer::new("zk-vk");
        let z = padding_mask(&ks.circuit);
        let mult = match &self.multiplicities {
            Some(m) if m.len() == mshape.entries() => m.clone(),
            Some(_) => return Err(Error::InvalidArgument("multiplicity count".into())),
            None => range_multiplicities(self.model, &z, ks.range_bits),
        };
        let com = blinded_model_commitment(self.hyrax, shape, self.model, self.model_blinders)?;
        let mut t = wf_transcript(ZK_WF_TAG, version(), self.hyrax, self.circuit_json);
        Hyrax::absorb_commitment(&mut t, "model-commitment", &com);
        let mut blinds = self.blinds(t.state())?;
        let gens = Gens::new(&self.hyrax.seed_digest, shape.cols().max(mshape.cols()));
        let m_fr = to_fr(&mult);
        // commit_blinded's rows and draws, on the small-integer path
        let m_blinders = blinds.draw_n(mshape.rows());
        let mcom = blind_rows(&gens, &self.hyrax.commit_small(mshape, &mult)?, &m_blinders);
        Hyrax::absorb_commitment(&mut t, "multiplicity-commitment", &mcom);
        timer.mark("commitments");

        let alpha = t.squeeze("logup-alpha");
        let beta = t.squeeze("logup-beta");
        // The leaves straight from the i64 stack and the byte mask: no 32-byte-per-entry
        // copy of either is held while LogUp builds its layers, a key's peak; the field
        // elements are made after it (benchmarks/RESULTS.md, "Memory").
        let trees = wf_trees(&ks, self.model, &z, &m_fr, alpha, beta);
        drop(z);
        timer.mark("trees");
        let run = zlogup::prove(&gens, &mut t, trees, &[3], &mut blinds)?;
        timer.mark("logup");
        let (p_fr, z) = (to_fr(self.model), padding_indicator(&ks.circuit));
        let points: Vec<Vec<Fr>> = run.results.iter().map(|r| r.0.clone()).collect();
        let leaf = [
            Hidden::fresh(
                evaluate(&p_fr, &points[0]) + self.leaf_shift[0],
                &mut blinds,
            ),
            Hidden::fresh(
                evaluate(&m_fr, &points[1]) + self.leaf_shift[1],
                &mut blinds,
            ),
        ];
        let leaf_points: Vec<G1Affine> = leaf.iter().map(|h| h.point(&gens)).collect();
        t.absorb_points("logup-leaf-evals", &leaf_points);

        let mut open: BTreeMap<String, Hidden> = run.openings;
        for (i, (_, p, q)) in run.results.iter().enumerate() {
            open.insert(result_name("P", i), *p);
            open.insert(result_name("Q", i), *q);
        }
        for (j, h) in leaf.iter().enumerate() {
            open.insert(leaf_eval_name(j), *h);
        }
        let lp = LeafPublic::new(&ks, &z, (alpha, beta), &points);
        drop(z);
        let mut checks = run.checks;
        checks.extend(leaf_checks(&lp, &|name| open.get(name).map(|h| h.v)));
        let mut ev = HiddenEval::new(&gens, &mut blinds);
        let lookup = |c: &Claim| {
            open.get(&c.name)
                .copied()
                .ok_or_else(|| Error::InvalidArgument(format!("no opening of {}", c.name)))
        };
        for c in &checks {
            ev.run(c, &lookup)?;
        }
        let HiddenEval {
            products,
            triples,
            mut linear,
            ..
        } = ev;
        let gens = gens.at_least(&self.hyrax.seed_digest, triples.len());
        timer.mark("checks");

        let stacks = [
            HidingStack {
                shape,
                table: &p_fr,
                row_blinds: self.model_blinders,
                points: std::slice::from_ref(&points[0]),
                values: &leaf[..1],
            },
            HidingStack {
                shape: mshape,
                table: &m_fr,
                row_blinds: &m_blinders,
                points: std::slice::from_ref(&points[1]),
                values: &leaf[1..],
            },
        ];
        let opened = opening::prove(&gens, &mut t, &stacks, &mut linear, &mut blinds)?;
        t.absorb_points("zk-products", &products);
        let tail = tail::prove(&gens, &mut t, linear, &triples, &opened.dots, &mut blinds);
        timer.mark("opening and tail");

        let mut w = write_key_head(
            Kind::HidingVerifyingKey,
            self.circuit_json,
            shape,
            &com,
            &mcom,
        );
        run.proof.write(&mut w);
        w.points(&leaf_points);
        opened.proof.write(&mut w);
        w.points(&products);
        tail.write(&mut w);
        Ok(w.finish())
    }
}

/// The transcript of a kind-6 key up to `"model-commitment"` (the Rust check's).
#[cfg(any(test, feature = "testkit"))]
fn transcript_head(
    hyrax: &Hyrax,
    circuit_json: &[u8],
    com: &Commitment,
) -> crate::transcript::Transcript {
    let mut t = wf_transcript(ZK_WF_TAG, version(), hyrax, circuit_json);
    Hyrax::absorb_commitment(&mut t, "model-commitment", com);
    t
}

#[cfg(test)]
mod tests;
