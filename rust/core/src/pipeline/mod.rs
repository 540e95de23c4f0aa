//! The proof pipeline: the stage order every proof kind with several relations runs,
//! whatever its relations (circuits/inference.md section 5 is its first user):
//!
//! 1. the kind's statement (absorbed; the parts the verifier is not given are written);
//! 2. the witness stack's commitment;
//! 3. one LogUp-GKR over every lookup (logup.md), then the leaf evaluations;
//! 4. the relations' own points, evaluations and challenges, and the instances they
//!    contribute to the batched sumcheck (with their claims);
//! 5. one batched sumcheck over every instance (sumcheck.md), then each instance's
//!    sumcheck-evals at its suffix of the batched point;
//! 6. one batch opening of every claim on the witness stack and the kind's other
//!    stacks (hyrax.md).
//!
//! A proof kind implements [`ProofKind`]: what it commits, looks up, claims and opens.
//! It never sees the order of the stages, so inference (kind 3) and the kinds that
//! follow (hiding proofs, unlearning proofs) share one schedule. Every message goes
//! through the [`Channel`], which absorbs and writes it in one step.

pub mod axes;
pub mod channel;
pub mod stack;

pub use axes::{features_batch, Axes};
pub use channel::Channel;
pub use stack::{assign, stack_point, Slot, WitnessStack};

use crate::error::Result;
use crate::field::Fr;
use crate::logup;
use crate::pcs::batch::{self, ProverStack, StackClaims};
use crate::pcs::hyrax::Hyrax;
use crate::pcs::Shape;
use crate::profile::Timer;
use crate::sumcheck::{self, SumcheckProver};

/// A LogUp tree's numerators and denominators (logup.md).
pub type Tree = (Vec<Fr>, Vec<Fr>);

/// An instance of the batched sumcheck with its claimed sum.
pub struct Claimed<I: ?Sized> {
    pub inst: Box<I>,
    pub claim: Fr,
}

/// What a proof kind contributes to each stage of the pipeline (module doc). The
/// kind keeps its own claims: every evaluation it sends is also a claim on one of
/// its stacks, which [`ProofKind::opening_claims`] hands over at the end.
pub trait ProofKind {
    /// The kind's sumcheck instances (a trait object type such as `dyn Instance`).
    type Instance: ?Sized + SumcheckProver;

    /// An instance as the batched sumcheck's prover sees it (the upcast a generic
    /// driver cannot write for an unsized type).
    fn prover(inst: &mut Self::Instance) -> &mut dyn SumcheckProver;

    /// Stage 1: absorb the statement, writing what the verifier is not given.
    fn statement(&mut self, ch: &mut Channel);

    /// Stage 3: the LogUp trees at the challenges `alpha` (the lookups' shift) and
    /// `beta` (the combination of a table's columns).
    fn lookup_trees(&mut self, alpha: Fr, beta: Fr) -> Result<Vec<Tree>>;

    /// Stage 3: the leaf evaluations at the trees' points (recording their claims).
    fn leaf_evals(&mut self, points: &[Vec<Fr>]) -> Vec<Fr>;

    /// Stage 4: the relations' messages and challenges, then the instances of the
    /// batched sumcheck in their fixed order.
    fn relations(&mut self, ch: &mut Channel) -> Result<Vec<Claimed<Self::Instance>>>;

    /// Stage 5: the evaluations instance `inst` sends at its point `s` (recording
    /// their claims).
    fn sumcheck_evals(&mut self, inst: &Self::Instance, s: &[Fr], out: &mut Vec<Fr>);

    /// Stage 6: the stacks opened after the witness stack, as (shape, table).
    fn other_stacks(&self) -> Vec<(Shape, &[Fr])>;

    /// Stage 6: every claim, on the witness stack first, then on the other stacks in
    /// order.
    fn opening_claims(&mut self) -> Vec<StackClaims>;

    /// Stage 5: the batched sumcheck's batching weights, point and last round (a kind
    /// that declares its checks records them; the default ignores them).
    fn batched(&mut self, _weights: &[Fr], _point: &[Fr], _last_round: &[Fr]) {}
}

/// Run the pipeline for `kind` over the committed `witness`, on the channel `ch`
/// (created by the caller with the kind's transcript tag and artifact kind).
pub fn prove<K: ProofKind>(
    hyrax: &Hyrax,
    mut ch: Channel,
    kind: &mut K,
    witness: &WitnessStack,
) -> Result<Vec<u8>> {
    let mut timer = Timer::new("pipeline");
    kind.statement(&mut ch);
    ch.send_commitment("witness-commitment", &witness.commitment);

    let alpha = ch.squeeze("logup-alpha");
    let beta = ch.squeeze("logup-beta");
    let trees = kind.lookup_trees(alpha, beta)?;
    let (lproof, points) = logup::prove(ch.transcript(), trees);
    lproof.write(ch.writer());
    let leaf_evals = kind.leaf_evals(&points);
    ch.send_frs("logup-leaf-evals", &leaf_evals);
    timer.mark("logup");

    let mut insts = kind.relations(&mut ch)?;
    timer.mark("relations");
    let claims: Vec<Fr> = insts.iter().map(|i| i.claim).collect();
    let mut refs: Vec<&mut dyn SumcheckProver> = insts
        .iter_mut()
        .map(|x| K::prover(x.inst.as_mut()))
        .collect();
    let (sc, point, weights) = sumcheck::prove_batched(ch.transcript(), &mut refs, &claims);
    drop(refs);
    kind.batched(
        &weights,
        &point,
        sc.rounds.last().map_or(&[], |r| r.as_slice()),
    );
    sc.write(ch.writer());
    timer.mark("sumcheck");

    let mut evals = Vec::new();
    for i in &insts {
        let s = &point[point.len() - i.inst.num_vars()..];
        kind.sumcheck_evals(&i.inst, s, &mut evals);
    }
    ch.send_frs("sumcheck-evals", &evals);
    timer.mark("sumcheck-evals");

    let claims = kind.opening_claims();
    let mut stacks = vec![(witness.shape, witness.table.as_slice())];
    stacks.extend(kind.other_stacks());
    debug_assert_eq!(claims.len(), stacks.len());
    let stacks: Vec<ProverStack<'_>> = stacks
        .iter()
        .zip(&claims)
        .map(|(&(shape, table), claims)| ProverStack {
            shape,
            table,
            claims,
        })
        .collect();
    let opening = batch::prove(hyrax, ch.transcript(), &stacks);
    opening.write(ch.writer());
    timer.mark("opening");
    Ok(ch.finish())
}
