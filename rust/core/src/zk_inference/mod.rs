//! Hiding inference proofs (kind 5, circuits/zk_inference.md sections 1-3): kind 3's
//! pipeline and relations on the hiding backend ([`Hiding`]). Every private message
//! is a Pedersen commitment per value; every check of kind 3 is its declaration
//! evaluated over the commitments (zk.md 5.3); the lookups are the hiding LogUp, the
//! batched sumcheck the committed one, the openings hiding, and the proof ends with
//! `"zk-products"`, `tau` and one sigma batch (zk.md 5.5).
//!
//! No gadget knows it is hidden: gadgets send through `pipeline::Messages`, and the
//! backend keeps each value's opening under its claim name (checks.md 1) for the
//! declarations.

mod hiding;
#[cfg(any(test, feature = "testkit"))]
pub mod replay;
#[cfg(any(test, feature = "testkit"))]
pub mod trace;
#[cfg(not(any(test, feature = "testkit")))]
#[path = "no_trace.rs"]
mod trace;

pub use hiding::{Hiding, Source};

use crate::artifact::Kind;
use crate::error::{Error, Result};
use crate::field::Fr;
use crate::inference::circuit::Circuit;
use crate::inference::prover::prove_on;
use crate::inference::InferenceInput;
use crate::pcs::hyrax::Hyrax;
use crate::pcs::Shape;

/// The transcript tag of kind 5.
pub const ZK_INFERENCE_TAG: &[u8] = b"zkml/inference-zk";

/// The visibility word of a public input, private weights and activations and a
/// public output (zk_inference.md 1).
pub const VISIBILITY: u32 = 0;

/// The visibility word of a private input (zk_inference.md 1.3): the input is in the
/// witness only, the statement carries none of it.
pub const VISIBILITY_PRIVATE_INPUT: u32 = 1;

/// The visibility words this prover makes (zk_inference.md 1).
pub const VISIBILITIES: [u32; 2] = [VISIBILITY, VISIBILITY_PRIVATE_INPUT];

fn check_visibility(v: u32) -> Result<()> {
    if VISIBILITIES.contains(&v) {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "visibility word {v}: this prover makes {VISIBILITIES:?}"
        )))
    }
}

/// Prove a hiding inference proof (kind 5). `inp` is what kind 3's prover takes, its
/// `vk_digest` the key's (kind 6, or kind 4); `model_blinds` are the model stack's row
/// blinders, one per row of the circuit's `model_stack` shape (the ones its key's
/// commitment was made with: all zero for a kind-4 key). The proof's blinders come
/// from the operating system, hedged with the statement (sigma.md 5). `visibility` is
/// the statement's word ([`VISIBILITIES`]).
pub fn prove(
    hyrax: &Hyrax,
    inp: InferenceInput<'_>,
    model_blinds: &[Fr],
    visibility: u32,
) -> Result<Vec<u8>> {
    prove_from(
        hyrax,
        inp,
        model_blinds,
        visibility,
        Source::Os,
        Default::default(),
    )
}

fn prove_from<'a>(
    hyrax: &Hyrax,
    inp: InferenceInput<'_>,
    model_blinds: &'a [Fr],
    visibility: u32,
    source: Source,
    tracer: trace::Tracer<'a>,
) -> Result<Vec<u8>> {
    check_visibility(visibility)?;
    let c = Circuit::parse(inp.circuit_json)?;
    let rows = Shape::new(c.model_stack.num_vars, c.model_stack.log_cols)?.rows();
    if model_blinds.len() != rows {
        return Err(Error::InvalidArgument(format!(
            "{} model row blinders, the model stack has {rows} rows",
            model_blinds.len()
        )));
    }
    let mut backend = Hiding::new(hyrax, Kind::HidingInference, source, vec![model_blinds]);
    backend.tracer = tracer;
    prove_on(hyrax, inp, backend, Some(visibility), None)
}

/// [`prove`] with the blinders drawn from `seed` (test vectors only: a fixed seed in a
/// real proof would repeat nonces across proofs, sigma.md 5).
#[cfg(any(test, feature = "testkit"))]
pub fn prove_seeded(
    hyrax: &Hyrax,
    inp: InferenceInput<'_>,
    model_blinds: &[Fr],
    visibility: u32,
    seed: [u8; 32],
) -> Result<Vec<u8>> {
    prove_from(
        hyrax,
        inp,
        model_blinds,
        visibility,
        Source::Seed(seed),
        Default::default(),
    )
}

/// [`prove_seeded`], also filling `trace` for the Rust check ([`replay::check`]) and
/// getting `cheat` wrong on purpose.
#[cfg(any(test, feature = "testkit"))]
pub fn prove_traced(
    hyrax: &Hyrax,
    inp: InferenceInput<'_>,
    model_blinds: &[Fr],
    visibility: u32,
    seed: [u8; 32],
    cheat: trace::Cheat,
    trace: &mut trace::Trace,
) -> Result<Vec<u8>> {
    let tracer = trace::Tracer {
        trace: Some(trace),
        cheat,
    };
    prove_from(
        hyrax,
        inp,
        model_blinds,
        visibility,
        Source::Seed(seed),
        tracer,
    )
}
