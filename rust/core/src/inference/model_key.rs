//! The verifying key (kind 4) and the model stack's well-formedness proof
//! (circuits/inference.md section 7): every entry within `range_bits`, zero
//! outside the tensors' real regions. Proven once at compile time.

use ark_ff::{One, Zero};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::circuit::{limb_widths, Circuit, LIMB_BITS};
use super::{count_lookups, leaf_slots, lookup_trees};
use crate::artifact::{write_header, Kind, FORMAT_VERSION};
use crate::encoding::Writer;
use crate::error::{Error, Result};
use crate::field::{from_i64, Fr};
use crate::logup;
use crate::mle::{eq_table, evaluate};
use crate::pcs::batch::{self, ProverStack, StackClaims};
use crate::pcs::hyrax::{Commitment, Hyrax};
use crate::pcs::{Pcs, Shape};
use crate::sumcheck::product::Term;
use crate::sumcheck::{self, ProductSum};
use crate::transcript::Transcript;
use ark_bn254::G1Projective;
use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup};
use ark_ff::Field;

pub const WF_TAG: &[u8] = b"zkml/model-wf";
/// Multiplicity stack shape: 256 entries as 16 x 16.
const MULT_SHAPE: Shape = Shape {
    num_vars: 8,
    log_cols: 4,
};

/// `1` outside every tensor's real region of the model stack, `0` inside.
pub fn padding_indicator(c: &Circuit) -> Vec<Fr> {
    let ms = &c.model_stack;
    let mut z = vec![Fr::one(); 1 << ms.num_vars];
    for t in &ms.tensors {
        let cp = t.cols_pad();
        for r in 0..t.rows {
            z[t.offset + r * cp..t.offset + r * cp + t.cols]
                .iter_mut()
                .for_each(|v| *v = Fr::zero());
        }
    }
    z
}

/// Limbs of `P + 2^(R-1)`; entries outside the range give wrong limbs, and a key
/// that verifiers refuse.
fn limb_stacks(model: &[i64], range_bits: u32) -> Vec<Vec<i64>> {
    let off = 1i128 << (range_bits - 1);
    let mask_all = (1i128 << range_bits) - 1;
    limb_widths(range_bits)
        .iter()
        .enumerate()
        .map(|(j, w)| {
            model
                .par_iter()
                .map(|v| {
                    ((((*v as i128 + off) & mask_all) >> (LIMB_BITS as usize * j)) & ((1 << w) - 1))
                        as i64
                })
                .collect()
        })
        .collect()
}

/// The model stack's commitment from its limbs' (Pedersen commitments are linear):
/// row `i` is `sum_j 2^(8j) C_{L_j,i} - 2^(R-1) sum_k G_k`, a few doublings per row
/// instead of an R-bit MSM. Entries outside the range break the identity, so they
/// are committed directly.
fn commit_from_limbs(
    hyrax: &Hyrax,
    shape: Shape,
    limb_coms: &[Commitment],
    range_bits: u32,
    model: &[i64],
) -> Result<Commitment> {
    let half = 1i128 << (range_bits - 1);
    if model
        .par_iter()
        .any(|v| !(-half..half).contains(&(*v as i128)))
    {
        return hyrax.commit_small(shape, model);
    }
    let g = hyrax.generators(shape.cols());
    let ones: G1Projective = g[..shape.cols()].iter().map(|p| p.into_group()).sum();
    let offset = ones * Fr::from(2u64).pow([range_bits as u64 - 1]);
    let rows: Vec<G1Projective> = (0..shape.rows())
        .into_par_iter()
        .map(|i| {
            let mut acc = G1Projective::zero();
            for lc in limb_coms.iter().rev() {
                for _ in 0..LIMB_BITS {
                    acc.double_in_place();
                }
                acc += lc.rows[i];
            }
            acc - offset
        })
        .collect();
    Ok(Commitment {
        rows: G1Projective::normalize_batch(&rows),
    })
}

/// Build the kind-4 verifying key: commitments, limb stacks, and the proof.
pub fn build_verifying_key(hyrax: &Hyrax, circuit_json: &[u8], model: &[i64]) -> Result<Vec<u8>> {
    let c = Circuit::parse(circuit_json)?;
    let ms = &c.model_stack;
    let n = ms.num_vars;
    if model.len() != 1 << n {
        return Err(Error::InvalidArgument(
            "model stack length does not match the circuit".into(),
        ));
    }
    let r_bits = ms.range_bits;
    if !(1..=64).contains(&r_bits) {
        return Err(Error::InvalidArgument("range_bits must be 1..=64".into()));
    }
    let shape = Shape::new(n, ms.log_cols)?;
    let mut timer = crate::profile::Timer::new("vk");
    let widths = limb_widths(r_bits);
    let limbs = limb_stacks(model, r_bits);
    let mult = count_lookups(widths.iter().zip(&limbs).map(|(w, v)| (*w, v.as_slice())));

    let limb_coms: Vec<_> = limbs
        .iter()
        .map(|l| hyrax.commit_small(shape, l))
        .collect::<Result<_>>()?;
    let com = commit_from_limbs(hyrax, shape, &limb_coms, r_bits, model)?;
    let mcom = hyrax.commit_small(MULT_SHAPE, &mult)?;
    timer.mark("limbs and commitments");

    let to_fr = |v: &[i64]| -> Vec<Fr> { v.par_iter().map(|x| from_i64(*x)).collect() };
    let p_fr = to_fr(model);
    let l_fr: Vec<Vec<Fr>> = limbs.iter().map(|l| to_fr(l)).collect();
    let m_fr = to_fr(&mult);

    let mut t = Transcript::new(WF_TAG);
    t.absorb_u32("version", FORMAT_VERSION as u32);
    t.absorb("generators", &hyrax.seed_digest);
    t.absorb("circuit", circuit_json);
    Hyrax::absorb_commitment(&mut t, "model-commitment", &com);
    limb_coms
        .iter()
        .for_each(|lc| Hyrax::absorb_commitment(&mut t, "limb-commitment", lc));
    Hyrax::absorb_commitment(&mut t, "multiplicity-commitment", &mcom);

    let alpha = t.squeeze("logup-alpha");
    let cols: Vec<(u32, usize)> = widths.iter().map(|w| (*w, n)).collect();
    let (slots, depth) = leaf_slots(&cols);
    let tables: Vec<&[Fr]> = l_fr.iter().map(|v| v.as_slice()).collect();
    let trees = lookup_trees(&slots, depth, alpha, &tables, &m_fr);
    timer.mark("leaves");
    let (lproof, points) = logup::prove(&mut t, trees);
    let (rho, rho_t) = (&points[0], &points[1]);
    timer.mark("logup");
    let mut leaf_evals: Vec<Fr> = l_fr.iter().map(|l| evaluate(l, &rho[..n])).collect();
    leaf_evals.push(evaluate(&m_fr, rho_t));
    t.absorb_frs("logup-leaf-evals", &leaf_evals);

    let rho1 = t.squeeze_n("wf-point", n);
    let mut wf_evals = vec![evaluate(&p_fr, &rho1)];
    wf_evals.extend(l_fr.iter().map(|l| evaluate(l, &rho1)));
    t.absorb_frs("wf-evals", &wf_evals);

    let tau = t.squeeze_n("zerocheck-tau", n);
    let term = vec![Term {
        coeff: Fr::one(),
        factors: vec![0, 1, 2],
    }];
    let mut inst = ProductSum::new(
        vec![eq_table(&tau), padding_indicator(&c), p_fr.clone()],
        term,
    )?;
    let (sc, s) = sumcheck::prove(&mut t, &mut inst, Fr::zero());
    let p_s = inst.final_evals()[2];
    t.absorb_fr("wf-zero-eval", &p_s);
    timer.mark("evaluations and zerocheck");

    let mut claims_p = StackClaims::default();
    claims_p.push(rho1.clone(), wf_evals[0]);
    claims_p.push(s, p_s);
    let claims_l: Vec<StackClaims> = (0..limbs.len())
        .map(|j| {
            let mut cl = StackClaims::default();
            cl.push(rho[..n].to_vec(), leaf_evals[j]);
            cl.push(rho1.clone(), wf_evals[j + 1]);
            cl
        })
        .collect();
    let mut claims_m = StackClaims::default();
    claims_m.push(rho_t.clone(), leaf_evals[limbs.len()]);
    let mut stacks = vec![ProverStack {
        shape,
        table: &p_fr,
        claims: &claims_p,
    }];
    for (l, cl) in l_fr.iter().zip(&claims_l) {
        stacks.push(ProverStack {
            shape,
            table: l,
            claims: cl,
        });
    }
    stacks.push(ProverStack {
        shape: MULT_SHAPE,
        table: &m_fr,
        claims: &claims_m,
    });
    let opening = batch::prove(hyrax, &mut t, &stacks);
    timer.mark("openings");

    let mut w = Writer::new();
    write_header(&mut w, Kind::VerifyingKey);
    w.u32(circuit_json.len() as u32);
    w.bytes(circuit_json);
    shape.write(&mut w);
    Hyrax::write_commitment(&com, &mut w);
    w.u32(limb_coms.len() as u32);
    limb_coms
        .iter()
        .for_each(|lc| Hyrax::write_commitment(lc, &mut w));
    Hyrax::write_commitment(&mcom, &mut w);
    lproof.write(&mut w);
    w.frs(&leaf_evals);
    w.frs(&wf_evals);
    sc.write(&mut w);
    w.fr(&p_s);
    opening.write(&mut w);
    Ok(w.finish())
}

/// `SHA256` of a verifying key artifact: what proofs name as their model.
pub fn vk_digest(vk: &[u8]) -> [u8; 32] {
    Sha256::digest(vk).into()
}
