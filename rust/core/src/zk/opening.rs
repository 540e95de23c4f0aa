//! The hiding opening (circuits/zk.md 5.4): blinded row commitments, hyrax.md's claim
//! batching run as a committed sumcheck (5.2) with the stack evaluation sent as a
//! commitment, the batching check as a linear check (5.3), and one proof of dot product
//! per stack in place of the clear opening vector `w`.
//!
//! The prover returns the messages and the dot-product items; the caller puts them in
//! its sigma batch after its proofs of product (zk.md 5.5).

use ark_bn254::{G1Affine, G1Projective};
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::Zero;

use super::blinds::Blinds;
use super::hidden::{combine, Hidden};
use super::linear::LinearChecks;
use super::pedersen::Gens;
use super::sigma::{Statement, Witness};
use super::sumcheck::{prove_batched, verify_batched, ZkSumcheckProof};
use crate::encoding::{g1_to_bytes, Reader, Writer};
use crate::error::{reject_at, Error, Result};
use crate::field::{inner_product, powers, Fr};
use crate::mle::{eq_combination, eq_eval, eq_table};
use crate::pcs::batch::{MAX_CLAIMS, MAX_STACKS};
use crate::pcs::hyrax::{split_point, Commitment, Hyrax};
use crate::pcs::{Pcs, Shape};
use crate::sumcheck::{PairProduct, SumcheckProver};
use crate::transcript::Transcript;

/// The longest dot product a verifier accepts (sigma.md, `2^15` columns).
pub const MAX_COLS: usize = 1 << 15;

/// `C_i = sum_j M[i][j] G_j + rho_i H` with a fresh `rho_i` per row (zk.md 5.4); returns
/// the commitment and the row blinders. The clear part is hyrax.md's commitment (the
/// small-scalar path when the table allows), so `gens` must be of `hyrax`'s seed.
pub fn commit_blinded(
    hyrax: &Hyrax,
    gens: &Gens,
    shape: Shape,
    table: &[Fr],
    blinds: &mut Blinds,
) -> Result<(Commitment, Vec<Fr>)> {
    if gens
        .g()
        .first()
        .is_some_and(|g| *g != hyrax.generators(1)[0])
    {
        return Err(Error::InvalidArgument(
            "blinding generators of another seed".into(),
        ));
    }
    let clear = hyrax.commit(shape, table)?;
    let rho = blinds.draw_n(shape.rows());
    Ok((blind_rows(gens, &clear, &rho), rho))
}

/// hyrax.md's row commitments `clear` blinded by `rho` (one per row): `C_i + rho_i H`.
pub fn blind_rows(gens: &Gens, clear: &Commitment, rho: &[Fr]) -> Commitment {
    assert_eq!(clear.rows.len(), rho.len(), "one blinder per row");
    let rows: Vec<G1Projective> = clear
        .rows
        .iter()
        .zip(rho)
        .map(|(c, r)| *c + gens.mul_h(*r))
        .collect();
    Commitment {
        rows: G1Projective::normalize_batch(&rows),
    }
}

/// One stack's messages: the committed claim-batching sumcheck, then `C_e`.
#[derive(Clone, Debug, PartialEq)]
pub struct StackMessages {
    pub sumcheck: ZkSumcheckProof,
    pub eval: G1Affine,
}

/// Every stack's messages, in stack order.
#[derive(Clone, Debug, PartialEq)]
pub struct HidingOpening {
    pub stacks: Vec<StackMessages>,
}

impl HidingOpening {
    /// Per stack: `n * 2` round points, then `C_e` (no counts: the shapes fix them).
    pub fn write(&self, w: &mut Writer) {
        for s in &self.stacks {
            s.sumcheck.write(w);
            w.bytes(&g1_to_bytes(&s.eval));
        }
    }

    pub fn read(shapes: &[Shape], r: &mut Reader) -> Result<Self> {
        let stacks = shapes
            .iter()
            .map(|s| {
                Ok(StackMessages {
                    sumcheck: ZkSumcheckProof::read(r, s.num_vars, 2)?,
                    eval: r.point("zk stack eval")?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self { stacks })
    }
}

/// One stack for the prover: its shape, table, row blinders and hidden claims.
pub struct HidingStack<'a> {
    pub shape: Shape,
    pub table: &'a [Fr],
    pub row_blinds: &'a [Fr],
    pub points: &'a [Vec<Fr>],
    pub values: &'a [Hidden],
}

/// What the prover leaves: the messages, one dot-product item per stack (for the
/// caller's sigma batch) and each stack's batched point.
pub struct OpeningRun {
    pub proof: HidingOpening,
    pub dots: Vec<(Statement, Witness)>,
    pub points: Vec<Vec<Fr>>,
}

/// The hiding opening of `stacks` (zk.md 5.4). The caller has absorbed every row
/// commitment and every claim's commitment; each stack's batching check is pushed to
/// `checks` in stack order.
pub fn prove(
    gens: &Gens,
    t: &mut Transcript,
    stacks: &[HidingStack<'_>],
    checks: &mut LinearChecks,
    blinds: &mut Blinds,
) -> Result<OpeningRun> {
    for s in stacks {
        check_prover_stack(gens, s)?;
    }
    let claim_points: Vec<&[Vec<Fr>]> = stacks.iter().map(|s| s.points).collect();
    let alphas = absorb_points_and_draw(t, &claim_points);
    let mut run = OpeningRun {
        proof: HidingOpening { stacks: Vec::new() },
        dots: Vec::new(),
        points: Vec::new(),
    };
    for (s, alpha) in stacks.iter().zip(&alphas) {
        let (msgs, r, e) = batch_stack(gens, t, s, alpha, checks, blinds)?;
        run.dots.push(dot_item(gens, s, &r, e));
        run.proof.stacks.push(msgs);
        run.points.push(r);
    }
    Ok(run)
}

fn check_prover_stack(gens: &Gens, s: &HidingStack<'_>) -> Result<()> {
    let ok = s.table.len() == s.shape.entries()
        && s.row_blinds.len() == s.shape.rows()
        && s.shape.cols() <= gens.g().len()
        && !s.points.is_empty()
        && s.points.len() == s.values.len()
        && s.points.iter().all(|z| z.len() == s.shape.num_vars);
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidArgument(
            "hiding opening: stack does not match its shape".into(),
        ))
    }
}

/// hyrax.md's clear order with the values left out (their commitments are absorbed):
/// per stack the claim count and every claim point, then one `"batch-alpha"` per
/// stack; returns each stack's `alpha^k`.
fn absorb_points_and_draw(t: &mut Transcript, stacks: &[&[Vec<Fr>]]) -> Vec<Vec<Fr>> {
    for points in stacks {
        t.absorb_u32("claims", points.len() as u32);
        points.iter().for_each(|z| t.absorb_frs("claim-point", z));
    }
    stacks
        .iter()
        .map(|p| powers(t.squeeze("batch-alpha"), p.len()))
        .collect()
}

/// `sum_k alpha^k eq(z_k, r)`: the verifier's `E(r)`.
fn eq_sum(points: &[Vec<Fr>], alpha: &[Fr], r: &[Fr]) -> Fr {
    points
        .iter()
        .zip(alpha)
        .map(|(z, a)| *a * eq_eval(z, r))
        .sum()
}

/// One stack's committed claim batching: the sumcheck over `P(x) E(x)`, `C_e`, and the
/// linear check `final - e E(r)`. Returns the messages, `r` and `e`'s opening.
fn batch_stack(
    gens: &Gens,
    t: &mut Transcript,
    s: &HidingStack<'_>,
    alpha: &[Fr],
    checks: &mut LinearChecks,
    blinds: &mut Blinds,
) -> Result<(StackMessages, Vec<Fr>, Hidden)> {
    let e_table = eq_combination(s.points, alpha, s.shape.num_vars);
    let mut inst = PairProduct::new(s.table, e_table)?;
    let claim = combine(alpha, s.values);
    let sc = prove_batched(
        gens,
        t,
        &mut [&mut inst as &mut dyn SumcheckProver],
        &[claim],
        blinds,
    );
    let e = Hidden::fresh(inst.final_evals()[0], blinds);
    let eval = e.point(gens);
    t.absorb_points("zk-stack-eval", &[eval]);
    checks.push(sc.last - e * eq_sum(s.points, alpha, &sc.point));
    let msgs = StackMessages {
        sumcheck: sc.proof,
        eval,
    };
    Ok((msgs, sc.point, e))
}

/// The proof of dot product replacing `w` (zk.md 5.4): `x = E_{r,hi}^T M` committed by
/// `sum_i E_hi[i] C_i` with blinder `sum_i E_hi[i] rho_i`, `a = E_{r,lo}`, `C_y = C_e`.
fn dot_item(gens: &Gens, s: &HidingStack<'_>, r: &[Fr], e: Hidden) -> (Statement, Witness) {
    let (lo, hi) = split_point(s.shape, r);
    let l = eq_table(hi);
    let mut x = vec![Fr::zero(); s.shape.cols()];
    for (row, li) in s.table.chunks(s.shape.cols()).zip(&l) {
        x.iter_mut().zip(row).for_each(|(a, m)| *a += *li * m);
    }
    let tx = inner_product(&l, s.row_blinds);
    let stmt = Statement::DotProduct {
        cx: gens.commit_vec(&x, tx),
        a: eq_table(lo),
        cy: e.point(gens),
    };
    (stmt, Witness::DotProduct { x, tx, ty: e.t })
}

/// One stack for the Rust check: shape, row commitments, claims as points.
pub struct CheckStack<'a> {
    pub shape: Shape,
    pub rows: &'a [G1Affine],
    pub points: &'a [Vec<Fr>],
    pub values: &'a [G1Projective],
}

/// The verifier's side with forms as points (tests; the Python verifier keeps forms):
/// returns each stack's linear check `final - C_e E(r)` and its dot-product statement.
pub fn verify(
    t: &mut Transcript,
    stacks: &[CheckStack<'_>],
    proof: &HidingOpening,
) -> Result<(Vec<G1Projective>, Vec<Statement>)> {
    check_stacks(stacks, proof)?;
    let claim_points: Vec<&[Vec<Fr>]> = stacks.iter().map(|s| s.points).collect();
    let alphas = absorb_points_and_draw(t, &claim_points);
    let (mut linear, mut dots) = (Vec::new(), Vec::new());
    for ((s, alpha), m) in stacks.iter().zip(&alphas).zip(&proof.stacks) {
        let claim: G1Projective = s.values.iter().zip(alpha).map(|(v, a)| *v * a).sum();
        let n = s.shape.num_vars;
        let (r, _, last) = verify_batched(t, &[claim], &[n], 2, &m.sumcheck)?;
        t.absorb_points("zk-stack-eval", &[m.eval]);
        linear.push(last - m.eval * eq_sum(s.points, alpha, &r));
        let (lo, hi) = split_point(s.shape, &r);
        let cx = G1Projective::msm(s.rows, &eq_table(hi))
            .or_else(|_| reject_at("batch-open.shape", "row count differs from the shape"))?;
        dots.push(Statement::DotProduct {
            cx: cx.into_affine(),
            a: eq_table(lo),
            cy: m.eval,
        });
    }
    Ok((linear, dots))
}

/// Every size against the shapes before anything is allocated (hyrax.md's bounds, and
/// sigma.md's for the dot product).
fn check_stacks(stacks: &[CheckStack<'_>], proof: &HidingOpening) -> Result<()> {
    if stacks.is_empty() || stacks.len() > MAX_STACKS || proof.stacks.len() != stacks.len() {
        return reject_at("batch-open.shape", "stack count out of limits");
    }
    for (i, s) in stacks.iter().enumerate() {
        let ok = s.shape.cols() <= MAX_COLS
            && s.rows.len() == s.shape.rows()
            && (1..=MAX_CLAIMS).contains(&s.points.len())
            && s.values.len() == s.points.len()
            && s.points.iter().all(|z| z.len() == s.shape.num_vars);
        if !ok {
            return reject_at("batch-open.shape", format!("stack {i}: sizes differ"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcs::generators::{seed_digest, DEFAULT_SEED};
    use ark_ec::AffineRepr;

    #[test]
    fn a_zero_row_is_hidden_and_commitments_of_one_table_differ() {
        let hyrax = Hyrax::default();
        let gens = Gens::new(&seed_digest(DEFAULT_SEED), 4);
        let shape = Shape::new(3, 2).unwrap();
        let mut table = vec![Fr::from(3u64); 4];
        table.extend([Fr::zero(); 4]);
        let clear = hyrax.commit(shape, &table).unwrap();
        assert!(clear.rows[1].is_zero());
        let (a, rho) = commit_blinded(
            &hyrax,
            &gens,
            shape,
            &table,
            &mut Blinds::hedged([0; 32]).unwrap(),
        )
        .unwrap();
        let (b, _) = commit_blinded(
            &hyrax,
            &gens,
            shape,
            &table,
            &mut Blinds::hedged([0; 32]).unwrap(),
        )
        .unwrap();
        assert!(!a.rows[1].is_zero());
        assert_eq!(a.rows[1], (gens.h * rho[1]).into_affine());
        assert!(a.rows.iter().zip(&b.rows).all(|(x, y)| x != y));
    }

    #[test]
    fn blinding_generators_of_another_seed_are_refused() {
        let gens = Gens::new(&seed_digest(b"other"), 2);
        let shape = Shape::new(1, 1).unwrap();
        let e = commit_blinded(
            &Hyrax::default(),
            &gens,
            shape,
            &[Fr::zero(); 2],
            &mut Blinds::from_seed([0; 32], [0; 32]),
        );
        assert!(e.is_err());
    }

    /// Prove and check the opening and the tail for stacks of `shapes` (one claim per
    /// stack at a random point, two at a second): `Ok` or the failed check's id.
    fn round_trip(shapes: &[Shape], lie: bool) -> std::result::Result<(), &'static str> {
        use crate::mle::evaluate;
        use crate::testing::rand_frs;
        let hyrax = Hyrax::default();
        let gens = Gens::new(&seed_digest(DEFAULT_SEED), 8);
        let mut b = Blinds::from_seed([4; 32], [0; 32]);
        let tables: Vec<Vec<Fr>> = shapes.iter().map(|s| rand_frs(s.entries(), 7)).collect();
        let coms: Vec<_> = shapes
            .iter()
            .zip(&tables)
            .map(|(s, t)| commit_blinded(&hyrax, &gens, *s, t, &mut b).unwrap())
            .collect();
        let points: Vec<Vec<Vec<Fr>>> = shapes
            .iter()
            .map(|s| vec![rand_frs(s.num_vars, 1), rand_frs(s.num_vars, 2)])
            .collect();
        let values: Vec<Vec<Hidden>> = points
            .iter()
            .zip(&tables)
            .map(|(ps, t)| {
                ps.iter()
                    .map(|z| Hidden::fresh(evaluate(t, z), &mut b))
                    .collect()
            })
            .collect();
        let stacks: Vec<HidingStack<'_>> = (0..shapes.len())
            .map(|i| HidingStack {
                shape: shapes[i],
                table: &tables[i],
                row_blinds: &coms[i].1,
                points: &points[i],
                values: &values[i],
            })
            .collect();
        let mut checks = LinearChecks::default();
        let mut t = Transcript::new(b"t");
        let run = prove(&gens, &mut t, &stacks, &mut checks, &mut b).unwrap();
        let mut tail = super::super::tail::prove(&gens, &mut t, checks, &[], &run.dots, &mut b);
        if lie {
            tail.tau += Fr::from(1u64);
        }
        let proj: Vec<Vec<G1Projective>> = values
            .iter()
            .map(|vs| vs.iter().map(|h| h.point(&gens).into()).collect())
            .collect();
        let checked: Vec<CheckStack<'_>> = (0..shapes.len())
            .map(|i| CheckStack {
                shape: shapes[i],
                rows: &coms[i].0.rows,
                points: &points[i],
                values: &proj[i],
            })
            .collect();
        let id = |e: Error| e.check().unwrap();
        let mut t = Transcript::new(b"t");
        let (linear, dots) = verify(&mut t, &checked, &run.proof).map_err(id)?;
        super::super::tail::verify(&gens, &mut t, &linear, &[], &dots, &tail).map_err(id)
    }

    #[test]
    fn edge_shapes_open() {
        let shape = |n, c| Shape::new(n, c).unwrap();
        // one entry; one column (a = [1]); one row; more rows than columns.
        let shapes = [shape(0, 0), shape(3, 0), shape(3, 3), shape(4, 1)];
        assert_eq!(round_trip(&shapes, false), Ok(()));
        assert_eq!(round_trip(&shapes, true), Err("zk.merged"));
    }
}
