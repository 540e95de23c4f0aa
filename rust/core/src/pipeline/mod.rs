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
//! through a [`Backend`]: the [`Channel`] absorbs and writes it in the clear in one
//! step; a hiding backend (zk.md 6) commits it, evaluates the kind's declarations over
//! the commitments and ends with the hiding opening and tail.

pub mod axes;
pub mod channel;
pub mod messages;
pub mod stack;

pub use axes::{features_batch, Axes};
pub use channel::Channel;
pub use messages::{claim_prefix, Messages};
pub use stack::{assign, stack_point, Slot, WitnessStack};

use crate::declare::{interpolate, Check, Expr};
use crate::error::{Error, Result};
use crate::field::Fr;
use crate::logup::{self, TreeEnd};
use crate::pcs::batch::{self, ProverStack, StackClaims};
use crate::pcs::hyrax::Hyrax;
use crate::pcs::Shape;
use crate::profile::Timer;
use crate::sumcheck::{self, SumcheckProver};

/// A LogUp tree's numerators and denominators (logup.md).
pub type Tree = (Vec<Fr>, Vec<Fr>);

/// The label of stage 3's and stage 5's messages; their entries are the claims
/// `logup-leaf-evals[j]` and `sumcheck-evals[j]` (checks.md 1).
pub const LEAF_EVALS: &str = "logup-leaf-evals";
pub const SUMCHECK_EVALS: &str = "sumcheck-evals";

/// An instance of the batched sumcheck with its claimed sum.
pub struct Claimed<I: ?Sized> {
    pub inst: Box<I>,
    pub claim: Fr,
}

/// The claims on one stack, each with its name: the message entry it was sent as
/// (checks.md 1), which a hiding opening reads its commitment by.
#[derive(Clone, Debug, Default)]
pub struct NamedClaims {
    pub claims: StackClaims,
    pub names: Vec<String>,
}

/// What the batched sumcheck leaves the kind: the batching weights, the point and the
/// final value (the claim `sumcheck-final`).
#[derive(Clone, Debug)]
pub struct Batched {
    pub weights: Vec<Fr>,
    pub point: Vec<Fr>,
    pub last: Fr,
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

    /// Stage 3: the trees' groups (consecutive tree counts; each group sums to zero,
    /// logup.md).
    fn lookup_groups(&self) -> Vec<usize>;

    /// Stage 3: the leaf evaluations at the trees' ends (recording their claims,
    /// named as entries of [`LEAF_EVALS`]).
    fn leaf_evals(&mut self, ends: &[TreeEnd]) -> Result<Vec<Fr>>;

    /// Stage 4: the relations' messages and challenges, then the instances of the
    /// batched sumcheck in their fixed order.
    fn relations(&mut self, m: &mut dyn Messages) -> Result<Vec<Claimed<Self::Instance>>>;

    /// Stage 5: the evaluations instance `inst` sends at its point `s`, appended to
    /// `out` (recording their claims, named as entries of [`SUMCHECK_EVALS`]).
    fn sumcheck_evals(&mut self, inst: &Self::Instance, s: &[Fr], out: &mut Vec<Fr>) -> Result<()>;

    /// Stage 6: the stacks opened after the witness stack, as (shape, table).
    fn other_stacks(&self) -> Vec<(Shape, &[Fr])>;

    /// Stage 6: every claim, on the witness stack first, then on the other stacks in
    /// order.
    fn opening_claims(&mut self) -> Vec<NamedClaims>;

    /// Stage 5: the batched sumcheck's weights, point and final value (a kind that
    /// declares its checks records them; the default ignores them).
    fn batched(&mut self, _b: &Batched) {}

    /// Under a declaring backend (hiding proofs, zk.md 6 step 5): every instance's
    /// claim as a declaration, in instance order, after stage 4.
    fn declared_claims(&mut self) -> Result<Vec<Expr>> {
        Err(Error::InvalidArgument(
            "this proof kind does not declare its claims".into(),
        ))
    }

    /// Under a declaring backend (zk.md 6 step 6): every check after LogUp's, in the
    /// verifier's order (checks.md 4), after stage 5.
    fn declared_checks(&mut self) -> Result<Vec<Check>> {
        Err(Error::InvalidArgument(
            "this proof kind does not declare its checks".into(),
        ))
    }
}

/// How the pipeline's own messages go out: in the clear (the [`Channel`], kind 3) or
/// hidden (zk.md 6: `zk_inference::Hiding`). The stages and what a kind contributes
/// to them are the same for both.
pub trait Backend: Messages + Sized {
    /// An instance's claim as the batched sumcheck takes it.
    type Claim;

    /// Whether the kind must declare its claims and checks (they are evaluated over
    /// commitments).
    const DECLARED: bool;

    /// The channel, for the statement (public under every backend).
    fn channel(&mut self) -> &mut Channel;

    /// Stage 2: send the witness stack's commitment.
    fn send_witness(&mut self, witness: &WitnessStack) -> Result<()>;

    /// Stage 3: one LogUp-GKR over `trees` in `groups`; each tree's end.
    fn lookups(&mut self, trees: Vec<Tree>, groups: &[usize]) -> Result<Vec<TreeEnd>>;

    /// Stage 5: the instances' claims.
    fn instance_claims<K: ProofKind>(
        &mut self,
        kind: &mut K,
        insts: &[Claimed<K::Instance>],
    ) -> Result<Vec<Self::Claim>>;

    /// Stage 5: one batched sumcheck (degree 3) over `insts`.
    fn batched_sumcheck(
        &mut self,
        insts: &mut [&mut dyn SumcheckProver],
        claims: &[Self::Claim],
    ) -> Result<Batched>;

    /// Stage 6 (and a hiding proof's checks and tail): open every claim; the proof's
    /// bytes.
    fn open<K: ProofKind>(
        self,
        hyrax: &Hyrax,
        kind: &mut K,
        witness: &WitnessStack,
    ) -> Result<Vec<u8>>;
}

/// Run the pipeline for `kind` over the committed `witness` on the backend `b` (for
/// kind 3 a [`Channel`] created with the kind's transcript tag and artifact kind).
pub fn prove<K: ProofKind, B: Backend>(
    hyrax: &Hyrax,
    mut b: B,
    kind: &mut K,
    witness: &WitnessStack,
) -> Result<Vec<u8>> {
    let mut timer = Timer::new("pipeline");
    kind.statement(b.channel());
    b.send_witness(witness)?;

    let alpha = b.squeeze("logup-alpha");
    let beta = b.squeeze("logup-beta");
    let trees = kind.lookup_trees(alpha, beta)?;
    let ends = b.lookups(trees, &kind.lookup_groups())?;
    let leaf_evals = kind.leaf_evals(&ends)?;
    b.send_values(LEAF_EVALS, None, &leaf_evals)?;
    timer.mark("logup");

    let mut insts = kind.relations(&mut b)?;
    timer.mark("relations");
    let claims = b.instance_claims(kind, &insts)?;
    let mut refs: Vec<&mut dyn SumcheckProver> = insts
        .iter_mut()
        .map(|x| K::prover(x.inst.as_mut()))
        .collect();
    let batched = b.batched_sumcheck(&mut refs, &claims)?;
    drop(refs);
    kind.batched(&batched);
    timer.mark("sumcheck");

    let point = &batched.point;
    let mut evals = Vec::new();
    for i in &insts {
        let s = &point[point.len() - i.inst.num_vars()..];
        kind.sumcheck_evals(&i.inst, s, &mut evals)?;
    }
    b.send_values(SUMCHECK_EVALS, None, &evals)?;
    timer.mark("sumcheck-evals");

    let proof = b.open(hyrax, kind, witness)?;
    timer.mark("opening");
    Ok(proof)
}

/// In the clear (kind 3): every message as values, the batch opening of hyrax.md.
impl Backend for Channel {
    type Claim = Fr;
    const DECLARED: bool = false;

    fn channel(&mut self) -> &mut Channel {
        self
    }

    fn send_witness(&mut self, witness: &WitnessStack) -> Result<()> {
        self.send_commitment("witness-commitment", &witness.commitment);
        Ok(())
    }

    fn lookups(&mut self, trees: Vec<Tree>, _groups: &[usize]) -> Result<Vec<TreeEnd>> {
        let (proof, ends) = logup::prove_ends(self.transcript(), trees);
        proof.write(self.writer());
        Ok(ends)
    }

    fn instance_claims<K: ProofKind>(
        &mut self,
        _kind: &mut K,
        insts: &[Claimed<K::Instance>],
    ) -> Result<Vec<Fr>> {
        Ok(insts.iter().map(|i| i.claim).collect())
    }

    fn batched_sumcheck(
        &mut self,
        insts: &mut [&mut dyn SumcheckProver],
        claims: &[Fr],
    ) -> Result<Batched> {
        let (sc, point, weights) = sumcheck::prove_batched(self.transcript(), insts, claims);
        let last = match (point.last(), sc.rounds.last()) {
            (Some(c), Some(round)) => interpolate(round, *c),
            _ => Fr::default(),
        };
        sc.write(self.writer());
        Ok(Batched {
            weights,
            point,
            last,
        })
    }

    fn open<K: ProofKind>(
        mut self,
        hyrax: &Hyrax,
        kind: &mut K,
        witness: &WitnessStack,
    ) -> Result<Vec<u8>> {
        let claims = kind.opening_claims();
        let mut stacks = vec![(witness.shape, witness.table.as_slice())];
        stacks.extend(kind.other_stacks());
        if claims.len() != stacks.len() {
            return Err(Error::InvalidArgument(
                "claims for another number of stacks".into(),
            ));
        }
        let stacks: Vec<ProverStack<'_>> = stacks
            .iter()
            .zip(&claims)
            .map(|(&(shape, table), named)| ProverStack {
                shape,
                table,
                claims: &named.claims,
            })
            .collect();
        let opening = batch::prove(hyrax, self.transcript(), &stacks);
        opening.write(self.writer());
        Ok(self.finish())
    }
}
