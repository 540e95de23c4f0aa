//! The hiding backend of the proof pipeline (zk_inference.md 1): every private message
//! a Pedersen commitment per value with a fresh blinder, its opening kept under its
//! claim name (checks.md 1); blinded witness rows; the hiding LogUp; the committed
//! batched sumcheck over the kind's declared claims; then the kind's checks over the
//! commitments, the hiding opening and the tail (zk.md 5.3-5.5).

use std::collections::BTreeMap;

use ark_bn254::{G1Affine, G1Projective};
use ark_ec::CurveGroup;
use rayon::prelude::*;

use super::trace::Tracer;
use crate::declare::{Check, Claim};
use crate::error::{Error, Result};
use crate::field::Fr;
use crate::logup::TreeEnd;
use crate::pcs::hyrax::Hyrax;
use crate::pipeline::{
    claim_prefix, Backend, Batched, Channel, Claimed, Messages, ProofKind, Tree, WitnessStack,
};
use crate::sumcheck::SumcheckProver;
use crate::transcript::Transcript;
use crate::zk::declared::{linear_form, HiddenEval};
use crate::zk::opening::{self, blind_rows, HidingStack};
use crate::zk::{logup, sumcheck, tail, Blinds, Gens, Hidden};

/// Where the blinders come from: the operating system's generator hedged with the
/// transcript state after the statement (sigma.md 5), or a fixed seed (test builds).
#[derive(Clone, Copy, Debug)]
pub enum Source {
    Os,
    #[cfg(any(test, feature = "testkit"))]
    Seed([u8; 32]),
}

impl Source {
    fn blinds(self, state: [u8; 32]) -> Result<Blinds> {
        match self {
            Source::Os => Blinds::hedged(state),
            #[cfg(any(test, feature = "testkit"))]
            Source::Seed(seed) => Ok(Blinds::from_seed(seed, state)),
        }
    }
}

/// The pipeline's messages hidden (module doc).
pub struct Hiding<'a> {
    ch: Channel,
    seed_digest: [u8; 32],
    /// `G_e` and `H` (the opening makes its own set with the stacks' columns).
    gens: Gens,
    source: Source,
    /// Drawn once the statement is absorbed (sigma.md 5).
    blinds: Option<Blinds>,
    /// Every committed claim's opening by name (zk_inference.md 1.1).
    openings: BTreeMap<String, Hidden>,
    /// The witness stack's row blinders, then each other stack's (caller-given).
    row_blinds: Vec<Fr>,
    other_blinds: Vec<&'a [Fr]>,
    /// LogUp's checks, first of the proof's (zk_inference.md 3, item 1).
    logup_checks: Vec<Check>,
    pub(super) tracer: Tracer<'a>,
}

impl<'a> Hiding<'a> {
    /// A hiding proof of artifact `kind` under its tag; `other_blinds` are the row
    /// blinders of the kind's other stacks, in order.
    pub fn new(
        hyrax: &Hyrax,
        kind: crate::artifact::Kind,
        source: Source,
        other_blinds: Vec<&'a [Fr]>,
    ) -> Self {
        Self {
            ch: Channel::new(kind.tag(), kind),
            seed_digest: hyrax.seed_digest,
            gens: Gens::new(&hyrax.seed_digest, 1),
            source,
            blinds: None,
            openings: BTreeMap::new(),
            row_blinds: Vec::new(),
            other_blinds,
            logup_checks: Vec::new(),
            tracer: Tracer::default(),
        }
    }

    fn blinds(&mut self) -> Result<&mut Blinds> {
        self.blinds
            .as_mut()
            .ok_or_else(|| Error::InvalidArgument("a value sent before the witness".into()))
    }

    /// Keep a committed claim's opening (every name is sent once).
    fn keep(&mut self, name: String, h: Hidden) -> Result<()> {
        match self.openings.insert(name, h) {
            None => Ok(()),
            Some(_) => Err(Error::InvalidArgument("a claim name was sent twice".into())),
        }
    }

    /// Whether a test hook makes this proof wrong on purpose (the self-checks that
    /// would stop it are then skipped).
    fn cheating(&self) -> bool {
        self.tracer.cheating()
    }
}

/// Each opening's commitment `v G_e + t H`.
fn commit_all(gens: &Gens, hs: &[Hidden]) -> Vec<G1Affine> {
    let proj: Vec<G1Projective> = hs
        .par_iter()
        .map(|x| gens.commit_scalar_proj(x.v, x.t))
        .collect();
    G1Projective::normalize_batch(&proj)
}

fn missing(name: &str) -> Error {
    Error::InvalidArgument(format!("the claim {name} was never sent"))
}

impl Messages for Hiding<'_> {
    fn squeeze(&mut self, label: &str) -> Fr {
        self.tracer.squeeze(label, 1);
        self.ch.squeeze(label)
    }

    fn squeeze_n(&mut self, label: &str, n: usize) -> Vec<Fr> {
        self.tracer.squeeze(label, n);
        self.ch.squeeze_n(label, n)
    }

    /// One commitment per value (a fresh blinder each), absorbed and written as
    /// `Vec<G1>` under `label`.
    fn send_values(&mut self, label: &str, gadget: Option<usize>, values: &[Fr]) -> Result<()> {
        let prefix = claim_prefix(label, gadget);
        let blinds = self.blinds()?;
        let mut hidden: Vec<Hidden> = values.iter().map(|v| Hidden::fresh(*v, blinds)).collect();
        self.tracer.tamper_values(&prefix, &mut hidden);
        let points = commit_all(&self.gens, &hidden);
        self.ch.transcript().absorb_points(label, &points);
        self.ch.writer().points(&points);
        for (j, h) in hidden.into_iter().enumerate() {
            self.keep(format!("{prefix}[{j}]"), h)?;
        }
        self.tracer.send(label, &prefix, values.len());
        Ok(())
    }

    fn fork(&self) -> Transcript {
        self.ch.state().clone()
    }
}

impl Backend for Hiding<'_> {
    type Claim = Hidden;
    const DECLARED: bool = true;

    fn channel(&mut self) -> &mut Channel {
        &mut self.ch
    }

    /// The blinders start here, hedged with the state after the statement; the rows
    /// are blinded in row order (zk.md 5.4).
    fn send_witness(&mut self, witness: &WitnessStack) -> Result<()> {
        let mut blinds = self.source.blinds(self.ch.state().state())?;
        let rho = blinds.draw_n(witness.commitment.rows.len());
        let rows = blind_rows(&self.gens, &witness.commitment, &rho);
        self.ch.send_commitment("witness-commitment", &rows);
        self.tracer.witness(witness.shape);
        (self.row_blinds, self.blinds) = (rho, Some(blinds));
        Ok(())
    }

    /// The hiding LogUp (zk.md 5.6); tree `i`'s leaf claims `P_i`, `Q_i` (forms) are
    /// the claims `logup-root[2i]`, `logup-root[2i+1]` (checks.md 1).
    fn lookups(&mut self, trees: Vec<Tree>, groups: &[usize]) -> Result<Vec<TreeEnd>> {
        let depths: Vec<usize> = trees
            .iter()
            .map(|(p, _)| p.len().trailing_zeros() as usize)
            .collect();
        let blinds = self
            .blinds
            .as_mut()
            .ok_or_else(|| missing("the blinders"))?;
        let run = logup::prove(&self.gens, self.ch.transcript(), trees, groups, blinds)?;
        run.proof.write(self.ch.writer());
        for (name, h) in run.openings {
            self.keep(name, h)?;
        }
        let mut ends = Vec::with_capacity(run.results.len());
        for (i, (point, p, q)) in run.results.into_iter().enumerate() {
            self.keep(format!("logup-root[{}]", 2 * i), p)?;
            self.keep(format!("logup-root[{}]", 2 * i + 1), q)?;
            ends.push(TreeEnd {
                point,
                p: p.v,
                q: q.v,
            });
        }
        self.logup_checks = run.checks;
        self.tracer.logup(depths, groups);
        Ok(ends)
    }

    /// Each instance's declared claim over the commitments: a linear form, no
    /// message (zk_inference.md 1.1, `zk.claim-linear`).
    fn instance_claims<K: ProofKind>(
        &mut self,
        kind: &mut K,
        insts: &[Claimed<K::Instance>],
    ) -> Result<Vec<Hidden>> {
        let exprs = kind.declared_claims()?;
        if exprs.len() != insts.len() {
            return Err(Error::InvalidArgument(
                "a claim declared for another number of instances".into(),
            ));
        }
        let openings = &self.openings;
        let open = |c: &Claim| {
            openings
                .get(&c.name)
                .copied()
                .ok_or_else(|| missing(&c.name))
        };
        let hidden = exprs
            .iter()
            .map(|e| linear_form(e, &open))
            .collect::<Result<Vec<_>>>()?;
        let agree = hidden.iter().zip(insts).all(|(h, i)| h.v == i.claim);
        if !agree && !self.cheating() {
            return Err(Error::InvalidArgument(
                "a declared claim differs from its instance's".into(),
            ));
        }
        let vars = insts.iter().map(|i| i.inst.num_vars()).collect();
        self.tracer.sumcheck(exprs, vars);
        Ok(hidden)
    }

    /// The committed batched sumcheck (zk.md 5.2); its final form is the claim
    /// `sumcheck-final`.
    fn batched_sumcheck(
        &mut self,
        insts: &mut [&mut dyn SumcheckProver],
        claims: &[Hidden],
    ) -> Result<Batched> {
        let blinds = self
            .blinds
            .as_mut()
            .ok_or_else(|| missing("the blinders"))?;
        let run = sumcheck::prove_batched(&self.gens, self.ch.transcript(), insts, claims, blinds);
        run.proof.write(self.ch.writer());
        self.keep("sumcheck-final".into(), run.last)?;
        Ok(Batched {
            weights: run.weights,
            point: run.point,
            last: run.last.v,
        })
    }

    /// The checks in zk_inference.md 3's order (LogUp's, then the kind's), the
    /// hiding opening of every stack, `"zk-products"` and the tail (zk.md 5.5).
    fn open<K: ProofKind>(
        self,
        _hyrax: &Hyrax,
        kind: &mut K,
        witness: &WitnessStack,
    ) -> Result<Vec<u8>> {
        let cheating = self.cheating();
        let Hiding {
            mut ch,
            seed_digest,
            blinds,
            openings,
            row_blinds,
            other_blinds,
            logup_checks,
            mut tracer,
            ..
        } = self;
        let mut blinds = blinds.ok_or_else(|| missing("the blinders"))?;
        let n_logup = logup_checks.len();
        let mut checks = logup_checks;
        checks.extend(kind.declared_checks()?);
        let named = kind.opening_claims();
        let mut tables = vec![(witness.shape, witness.table.as_slice())];
        tables.extend(kind.other_stacks());
        let mut rows: Vec<&[Fr]> = vec![&row_blinds];
        rows.extend(other_blinds);
        if named.len() != tables.len() || rows.len() != tables.len() {
            return Err(Error::InvalidArgument(
                "claims or row blinders for another number of stacks".into(),
            ));
        }
        let cols = tables.iter().map(|(s, _)| s.cols()).max().unwrap_or(1);
        let gens = Gens::new(&seed_digest, cols);
        let get = |name: &str| openings.get(name).copied().ok_or_else(|| missing(name));
        let open = |c: &Claim| get(&c.name);

        let mut ev = HiddenEval::new(&gens, &mut blinds);
        for chk in &checks {
            ev.run(chk, &open)?;
        }
        let HiddenEval {
            mut products,
            mut triples,
            mut linear,
            ..
        } = ev;
        tracer.tamper_product(&gens, &mut products, &mut triples);
        let gens = gens.at_least(&seed_digest, triples.len());

        let values: Vec<Vec<Hidden>> = named
            .iter()
            .map(|n| n.names.iter().map(|name| get(name)).collect())
            .collect::<Result<_>>()?;
        let agree = named.iter().zip(&values).all(|(n, vs)| {
            n.names.len() == n.claims.len()
                && vs.iter().zip(&n.claims.values).all(|(h, v)| h.v == *v)
        });
        if !agree && !cheating {
            return Err(Error::InvalidArgument(
                "a claim's commitment is not its value's".into(),
            ));
        }
        let stacks: Vec<HidingStack<'_>> = tables
            .iter()
            .zip(&named)
            .zip(&values)
            .zip(&rows)
            .map(|((((shape, table), n), vs), rb)| HidingStack {
                shape: *shape,
                table,
                row_blinds: rb,
                points: &n.claims.points,
                values: vs,
            })
            .collect();
        let run = opening::prove(&gens, ch.transcript(), &stacks, &mut linear, &mut blinds)?;
        run.proof.write(ch.writer());
        ch.transcript().absorb_points("zk-products", &products);
        ch.writer().points(&products);
        let tail = tail::prove(
            &gens,
            ch.transcript(),
            linear,
            &triples,
            &run.dots,
            &mut blinds,
        );
        tail.write(ch.writer());
        tracer.finish(&checks[n_logup..], &named, &tables);
        Ok(ch.finish())
    }
}
