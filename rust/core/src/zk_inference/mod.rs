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
use crate::inference::prover::{output_table, prove_on, CommittedStack, OwnerBlinds};
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

/// Bit 3 of the word: the output is committed (zk_inference.md 1.6): the statement
/// carries the output's commitment, made with the owner's row blinders.
pub const VISIBILITY_COMMITTED_OUTPUT: u32 = 8;

/// The visibility words this prover makes (zk_inference.md 1): an input word (bits
/// 0-1: 0, 1 or 2), with or without [`VISIBILITY_PUBLIC_WEIGHTS`] and
/// [`VISIBILITY_COMMITTED_OUTPUT`].
pub fn is_visibility(v: u32) -> bool {
    v & !(3 | VISIBILITY_PUBLIC_WEIGHTS | VISIBILITY_COMMITTED_OUTPUT) == 0 && v & 3 != 3
}

/// Whether word `v` has a committed output (bit 3).
pub fn committed_output(v: u32) -> bool {
    v & VISIBILITY_COMMITTED_OUTPUT != 0
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
    Ok(CommittedStack::new(hyrax, &limbs, blinds)?.rows.rows)
}

/// A committed output's row commitments (zk_inference.md 1.6) for `output` (B rows of
/// the circuit's output features) and the owner's row `blinds`: what the statement of
/// a committed-output proof carries, the same for every proof with these blinders.
pub fn output_commitment(
    hyrax: &Hyrax,
    circuit_json: &[u8],
    output: &[i64],
    batch: usize,
    blinds: &[Fr],
) -> Result<Vec<ark_bn254::G1Affine>> {
    let c = Circuit::parse(circuit_json)?;
    if batch > 1 << 16 {
        return Err(Error::InvalidArgument("batch size out of limits".into()));
    }
    let table = output_table(&c, output, batch)?;
    Ok(CommittedStack::new(hyrax, &[table], blinds)?.rows.rows)
}

/// Fresh row blinders for a committed output of `batch` rows of `circuit_json`'s
/// output (zk_inference.md 1.6): drawn by the prover once per output, kept by the
/// owner (its opening file) to open the commitment later.
pub fn draw_output_blinders(hyrax: &Hyrax, circuit_json: &[u8], batch: usize) -> Result<Vec<Fr>> {
    let n = output_rows(circuit_json, batch)?;
    let mut t = crate::transcript::Transcript::new(b"zkml/output-commitment");
    t.absorb("generators", &hyrax.seed_digest);
    t.absorb("circuit", circuit_json);
    Ok(crate::zk::Blinds::hedged(t.state())?.draw_n(n))
}

/// How many row blinders a committed output of `batch` rows takes (zk_inference.md
/// 1.6: one column of `B' pad(features)` entries, square shape).
pub fn output_rows(circuit_json: &[u8], batch: usize) -> Result<usize> {
    let c = Circuit::parse(circuit_json)?;
    if c.output.argmax {
        return Err(Error::InvalidArgument(
            "a committed output of an ArgMax circuit is not built (zk_inference.md 1.6)".into(),
        ));
    }
    let n = batch.next_power_of_two() * c.output.features.next_power_of_two();
    let n = n.trailing_zeros() as usize;
    Ok(Shape::square(n.max(1)).rows())
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
             without bit 2 (public weights) and bit 3 (a committed output)"
        )))
    }
}

/// Prove a hiding inference proof (kind 5). `inp` is what kind 3's prover takes, its
/// `vk_digest` the key's (kind 6, or kind 4); `model_blinds` are the model stack's row
/// blinders, one per row of the circuit's `model_stack` shape (the ones its key's
/// commitment was made with: all zero for a kind-4 key). The proof's blinders come
/// from the operating system, hedged with the statement (sigma.md 5). `visibility` is
/// the statement's word ([`is_visibility`]); `input_blinds` and `output_blinds` the
/// row blinders of a committed input and output (empty when not committed).
pub fn prove(
    hyrax: &Hyrax,
    inp: InferenceInput<'_>,
    model_blinds: &[Fr],
    visibility: u32,
    input_blinds: &[Fr],
    output_blinds: &[Fr],
) -> Result<Vec<u8>> {
    let vis = (visibility, input_blinds, output_blinds);
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
    (visibility, input_blinds, output_blinds): Visibility<'a>,
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
    let committed_out = committed_output(visibility);
    if committed_out == output_blinds.is_empty() {
        return Err(Error::InvalidArgument(
            "output row blinders go with a committed output, and only with one".into(),
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
    if committed_out {
        others.push(output_blinds);
    }
    let mut backend = Hiding::new(hyrax, Kind::HidingInference, source, others);
    backend.tracer = tracer;
    let owner = OwnerBlinds {
        input: committed.then_some(input_blinds),
        output: committed_out.then_some(output_blinds),
    };
    prove_on(hyrax, inp, backend, Some(visibility), None, owner)
}

/// A statement's visibility word with the row blinders of a committed input and of a
/// committed output (each empty when that tensor is not committed).
pub type Visibility<'a> = (u32, &'a [Fr], &'a [Fr]);

/// [`prove`] with the blinders drawn from `seed` (test vectors only: a fixed seed in a
/// real proof would repeat nonces across proofs, sigma.md 5); `visibility` is the word
/// and the committed input's and output's row blinders ([`Visibility`]).
#[cfg(any(test, feature = "testkit"))]
pub fn prove_seeded(
    hyrax: &Hyrax,
    inp: InferenceInput<'_>,
    model_blinds: &[Fr],
    visibility: Visibility<'_>,
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
    visibility: Visibility<'a>,
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
