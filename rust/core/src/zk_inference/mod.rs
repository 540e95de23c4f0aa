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

use ark_ff::Zero;

use crate::artifact::Kind;
use crate::error::{Error, Result};
use crate::field::Fr;
use crate::inference::circuit::Circuit;
use crate::inference::prover::{prove_on, CommittedInput};
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

/// The visibility word of a committed input (zk_inference.md 1.4): the statement
/// carries the input's commitment, made with the owner's row blinders.
pub const VISIBILITY_COMMITTED_INPUT: u32 = 2;

/// Bit 2 of the word: the weights are public (zk_inference.md 1.5): the key is a
/// kind-4 key, its model commitment unblinded, which anyone holding the model can
/// recompute; the model stack's row blinders are then all zero.
pub const VISIBILITY_PUBLIC_WEIGHTS: u32 = 4;

/// The visibility words this prover makes (zk_inference.md 1): an input word (bits
/// 0-1: 0, 1 or 2), with or without [`VISIBILITY_PUBLIC_WEIGHTS`].
pub fn is_visibility(v: u32) -> bool {
    v & !(3 | VISIBILITY_PUBLIC_WEIGHTS) == 0 && v & 3 != 3
}

/// Whether word `v` has a committed input (bits 0-1 are 2).
pub fn committed_input(v: u32) -> bool {
    v & 3 == VISIBILITY_COMMITTED_INPUT
}

/// A committed input's row commitments (zk_inference.md 1.4) for `input` (B rows of
/// the circuit's input) and the owner's row `blinds`: what the statement of a
/// committed-input proof carries, the same for every proof with these blinders.
pub fn input_commitment(
    hyrax: &Hyrax,
    circuit_json: &[u8],
    input: &[i64],
    batch: usize,
    blinds: &[Fr],
) -> Result<Vec<ark_bn254::G1Affine>> {
    let mut c = Circuit::parse(circuit_json)?;
    c.private_input = true;
    if batch == 0 || batch > 1 << 16 || input.len() != batch * c.input.features {
        return Err(Error::InvalidArgument(
            "input length does not match the circuit and batch".into(),
        ));
    }
    let limbs = crate::inference::tensors::input_limb_columns(&c, input, batch);
    Ok(CommittedInput::new(hyrax, &limbs, blinds)?.rows.rows)
}

/// Fresh row blinders for a committed input of `batch` rows of `circuit_json`'s input
/// (zk_inference.md 1.4): drawn once by the input's owner and kept secret (its opening
/// file), the same for every proof about that commitment.
pub fn draw_input_blinders(hyrax: &Hyrax, circuit_json: &[u8], batch: usize) -> Result<Vec<Fr>> {
    let n = input_rows(circuit_json, batch)?;
    let mut t = crate::transcript::Transcript::new(b"zkml/input-commitment");
    t.absorb("generators", &hyrax.seed_digest);
    t.absorb("circuit", circuit_json);
    Ok(crate::zk::Blinds::hedged(t.state())?.draw_n(n))
}

/// How many row blinders a committed input of `batch` rows takes (zk_inference.md 1.4).
pub fn input_rows(circuit_json: &[u8], batch: usize) -> Result<usize> {
    let mut c = Circuit::parse(circuit_json)?;
    c.private_input = true;
    let cols = c.input_columns();
    let k = cols.len().next_power_of_two().trailing_zeros() as usize;
    let n = c.column_vars(&cols[0], batch) + k;
    Ok(Shape::square(n.max(1)).rows())
}

fn check_visibility(v: u32) -> Result<()> {
    if is_visibility(v) {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "visibility word {v}: this prover makes the input words 0, 1, 2, each with or \
             without bit 2 (public weights)"
        )))
    }
}

/// Prove a hiding inference proof (kind 5). `inp` is what kind 3's prover takes, its
/// `vk_digest` the key's (kind 6, or kind 4); `model_blinds` are the model stack's row
/// blinders, one per row of the circuit's `model_stack` shape (the ones its key's
/// commitment was made with: all zero for a kind-4 key). The proof's blinders come
/// from the operating system, hedged with the statement (sigma.md 5). `visibility` is
/// the statement's word ([`is_visibility`]).
pub fn prove(
    hyrax: &Hyrax,
    inp: InferenceInput<'_>,
    model_blinds: &[Fr],
    visibility: u32,
    input_blinds: &[Fr],
) -> Result<Vec<u8>> {
    let vis = (visibility, input_blinds);
    prove_from(
        hyrax,
        inp,
        model_blinds,
        vis,
        Source::Os,
        Default::default(),
    )
}

fn prove_from<'a>(
    hyrax: &Hyrax,
    inp: InferenceInput<'_>,
    model_blinds: &'a [Fr],
    (visibility, input_blinds): (u32, &'a [Fr]),
    source: Source,
    tracer: trace::Tracer<'a>,
) -> Result<Vec<u8>> {
    check_visibility(visibility)?;
    let committed = committed_input(visibility);
    if committed == input_blinds.is_empty() {
        return Err(Error::InvalidArgument(
            "input row blinders go with a committed input, and only with one".into(),
        ));
    }
    let c = Circuit::parse(inp.circuit_json)?;
    let rows = Shape::new(c.model_stack.num_vars, c.model_stack.log_cols)?.rows();
    if model_blinds.len() != rows {
        return Err(Error::InvalidArgument(format!(
            "{} model row blinders, the model stack has {rows} rows",
            model_blinds.len()
        )));
    }
    // public weights: the key's commitment is the unblinded one anyone can recompute
    let public = visibility & VISIBILITY_PUBLIC_WEIGHTS != 0;
    if public && model_blinds.iter().any(|b| !b.is_zero()) {
        return Err(Error::InvalidArgument(
            "public weights go with a kind-4 key: its model rows are not blinded".into(),
        ));
    }
    let mut others = vec![model_blinds];
    if committed {
        others.push(input_blinds);
    }
    let mut backend = Hiding::new(hyrax, Kind::HidingInference, source, others);
    backend.tracer = tracer;
    let input_blinds = committed.then_some(input_blinds);
    prove_on(hyrax, inp, backend, Some(visibility), None, input_blinds)
}

/// [`prove`] with the blinders drawn from `seed` (test vectors only: a fixed seed in a
/// real proof would repeat nonces across proofs, sigma.md 5); `visibility` is the word
/// and a committed input's row blinders (empty otherwise).
#[cfg(any(test, feature = "testkit"))]
pub fn prove_seeded(
    hyrax: &Hyrax,
    inp: InferenceInput<'_>,
    model_blinds: &[Fr],
    visibility: (u32, &[Fr]),
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
pub fn prove_traced<'a>(
    hyrax: &Hyrax,
    inp: InferenceInput<'_>,
    model_blinds: &'a [Fr],
    visibility: (u32, &'a [Fr]),
    seed: [u8; 32],
    cheat: trace::Cheat,
    trace: &'a mut trace::Trace,
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
