//! What the Rust check of a hiding proof reads from its prover (test builds only): the
//! message schedule as it ran, the declarations and the claims' names, and the test
//! hooks that make a proof wrong on purpose. Release builds compile `no_trace.rs`, the
//! same calls doing nothing.

use ark_bn254::G1Affine;
use ark_ec::CurveGroup;
use ark_ff::One;

use crate::declare::{Check, Expr};
use crate::field::Fr;
use crate::pcs::Shape;
use crate::pipeline::NamedClaims;
use crate::zk::products::Triple;
use crate::zk::{Gens, Hidden};

/// One step of the transcript after the witness commitment, as the prover ran it.
#[derive(Clone, Debug)]
pub enum Event {
    /// `n` challenges under `label`.
    Squeeze { label: String, n: usize },
    /// `n` commitments under `label`, the claims `prefix[0..n]`.
    Send {
        label: String,
        prefix: String,
        n: usize,
    },
    /// The hiding LogUp over trees of these depths in these groups.
    Logup {
        depths: Vec<usize>,
        groups: Vec<usize>,
    },
    /// The committed batched sumcheck over instances of `vars` variables with these
    /// declared claims.
    Sumcheck { claims: Vec<Expr>, vars: Vec<usize> },
}

/// One stack of the opening: its shape and its claims' points and names.
#[derive(Clone, Debug)]
pub struct TracedStack {
    pub shape: Shape,
    pub points: Vec<Vec<Fr>>,
    pub names: Vec<String>,
}

/// A hiding proof's run as the Rust check needs it.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    pub witness: Option<Shape>,
    pub events: Vec<Event>,
    /// The checks after LogUp's (the kind's declarations, with the prover's public
    /// values).
    pub checks: Vec<Check>,
    pub stacks: Vec<TracedStack>,
}

/// A test hook: what to get wrong.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Cheat {
    #[default]
    None,
    /// Commit the claim of this name to its value plus one (the commitment absorbed
    /// and used consistently afterwards).
    Value(String),
    /// Send the first `"zk-products"` commitment off by one, its proof of product
    /// over the true operands.
    Product,
}

/// The prover's side of the trace and the hooks.
#[derive(Default)]
pub struct Tracer<'a> {
    pub trace: Option<&'a mut Trace>,
    pub cheat: Cheat,
}

impl Tracer<'_> {
    pub fn cheating(&self) -> bool {
        self.cheat != Cheat::None
    }

    fn event(&mut self, e: Event) {
        if let Some(t) = &mut self.trace {
            t.events.push(e);
        }
    }

    pub fn squeeze(&mut self, label: &str, n: usize) {
        self.event(Event::Squeeze {
            label: label.into(),
            n,
        });
    }

    pub fn send(&mut self, label: &str, prefix: &str, n: usize) {
        self.event(Event::Send {
            label: label.into(),
            prefix: prefix.into(),
            n,
        });
    }

    pub fn witness(&mut self, shape: Shape) {
        if let Some(t) = &mut self.trace {
            t.witness = Some(shape);
        }
    }

    pub fn logup(&mut self, depths: Vec<usize>, groups: &[usize]) {
        self.event(Event::Logup {
            depths,
            groups: groups.to_vec(),
        });
    }

    pub fn sumcheck(&mut self, claims: Vec<Expr>, vars: Vec<usize>) {
        self.event(Event::Sumcheck { claims, vars });
    }

    /// Under `Cheat::Value`, the named claim's value plus one.
    pub fn tamper_values(&mut self, prefix: &str, hs: &mut [Hidden]) {
        if let Cheat::Value(name) = &self.cheat {
            for (j, h) in hs.iter_mut().enumerate() {
                if *name == format!("{prefix}[{j}]") {
                    h.v += Fr::one();
                }
            }
        }
    }

    /// Under `Cheat::Product`, the first product commitment moved by `G_e` (its value
    /// plus one), and its triple with it: the batched proof is then made honestly for a
    /// false statement.
    pub fn tamper_product(
        &mut self,
        gens: &Gens,
        products: &mut [G1Affine],
        triples: &mut [Triple],
    ) {
        if self.cheat != Cheat::Product {
            return;
        }
        let (Some(p), Some((_, y, z))) = (products.first_mut(), triples.first_mut()) else {
            return;
        };
        if *z == Hidden::public(Fr::one()) {
            y.v += Fr::one(); // an inverse: the sent point is the triple's `y`
        } else {
            z.v += Fr::one();
        }
        *p = (*p + gens.g_e).into_affine();
    }

    /// `checks` are the kind's (after LogUp's).
    pub fn finish(&mut self, checks: &[Check], named: &[NamedClaims], tables: &[(Shape, &[Fr])]) {
        if let Some(t) = &mut self.trace {
            t.checks = checks.to_vec();
            t.stacks = named
                .iter()
                .zip(tables)
                .map(|(n, (shape, _))| TracedStack {
                    shape: *shape,
                    points: n.claims.points.clone(),
                    names: n.names.clone(),
                })
                .collect();
        }
    }
}
