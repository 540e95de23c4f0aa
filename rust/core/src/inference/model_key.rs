//! The verifying key (kind 4) and the model stack's well-formedness proof
//! (circuits/inference.md section 7): every entry within `range_bits` (one lookup per
//! entry into the `2^R`-entry range table), zero outside the tensors' real regions.
//! Proven once at compile time.

use ark_ff::{One, Zero};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::circuit::Circuit;
use crate::artifact::{write_header, Kind};
use crate::encoding::Writer;
use crate::error::{Error, Result};
use crate::field::{from_i64, Fr};
use crate::logup;
use crate::mle::evaluate;
use crate::pcs::batch::{self, ProverStack, StackClaims};
use crate::pcs::hyrax::{Commitment, Hyrax};
use crate::pcs::{Pcs, Shape};
use crate::transcript::Transcript;

pub const WF_TAG: &[u8] = b"zkml/model-wf";
/// Widest entry the model stack may hold: its range table has `2^R` entries, and every
/// quantized weight and stored bias fits in 16 signed bits (quantization.md).
pub use super::limits::MAX_RANGE_BITS;

/// The multiplicity stack's shape for a `2^R`-entry range table.
pub fn multiplicity_shape(range_bits: u32) -> Shape {
    Shape {
        num_vars: range_bits as usize,
        log_cols: range_bits as usize / 2,
    }
}

/// `true` outside every tensor's real region of the model stack (one byte an entry:
/// a key's builder holds this, not the 32-byte field elements, while LogUp runs).
pub fn padding_mask(c: &Circuit) -> Vec<bool> {
    let ms = &c.model_stack;
    let mut z = vec![true; 1 << ms.num_vars];
    for t in &ms.tensors {
        let cp = t.cols_pad();
        for r in 0..t.rows {
            z[t.offset + r * cp..t.offset + r * cp + t.cols].fill(false);
        }
    }
    z
}

/// `1` outside every tensor's real region of the model stack, `0` inside.
pub fn padding_indicator(c: &Circuit) -> Vec<Fr> {
    padding_mask(c)
        .par_iter()
        .map(|&pad| if pad { Fr::one() } else { Fr::zero() })
        .collect()
}

/// A padding flag, as a mask's `bool` or the indicator's field element.
pub(crate) trait PadFlag: Sync {
    fn is_pad(&self) -> bool;
    fn as_fr(&self) -> Fr {
        if self.is_pad() {
            Fr::one()
        } else {
            Fr::zero()
        }
    }
}

impl PadFlag for bool {
    fn is_pad(&self) -> bool {
        *self
    }
}

impl PadFlag for Fr {
    fn is_pad(&self) -> bool {
        !self.is_zero()
    }
}

/// A model-stack entry, as the quantized `i64` or its field element.
pub(crate) trait StackEntry: Sync {
    fn as_fr(&self) -> Fr;
}

impl StackEntry for i64 {
    fn as_fr(&self) -> Fr {
        from_i64(*self)
    }
}

impl StackEntry for Fr {
    fn as_fr(&self) -> Fr {
        *self
    }
}

/// How often each `v + 2^(R-1)` in `[0, 2^R)` occurs among the real entries (`Z = 0`).
/// Entries outside the range are not counted: their lookups then fail, and verifiers
/// refuse the key.
pub(crate) fn range_multiplicities<P: PadFlag>(
    model: &[i64],
    z: &[P],
    range_bits: u32,
) -> Vec<i64> {
    let size = 1usize << range_bits;
    let off = 1i64 << (range_bits - 1);
    model
        .par_chunks(1 << 14)
        .zip(z.par_chunks(1 << 14))
        .fold(
            || vec![0i64; size],
            |mut m, (chunk, zc)| {
                for (v, zi) in chunk.iter().zip(zc) {
                    let u = v.saturating_add(off);
                    if !zi.is_pad() && (0..size as i64).contains(&u) {
                        m[u as usize] += 1;
                    }
                }
                m
            },
        )
        .reduce(
            || vec![0i64; size],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        )
}

/// A key's model stack, checked against its circuit (kinds 4 and 6): the circuit, the
/// model stack's shape, the multiplicity stack's shape and `R`.
pub(crate) struct KeyStacks {
    pub circuit: Circuit,
    pub shape: Shape,
    pub mshape: Shape,
    pub range_bits: u32,
}

impl KeyStacks {
    /// Parse the circuit and check that `model` fills its model stack.
    pub fn new(circuit_json: &[u8], model: &[i64]) -> Result<Self> {
        let ks = Self::parse(circuit_json)?;
        if model.len() != ks.shape.entries() {
            return Err(Error::InvalidArgument(
                "model stack length does not match the circuit".into(),
            ));
        }
        Ok(ks)
    }

    /// The circuit's stacks (`range_bits` within `1..=MAX_RANGE_BITS`).
    pub fn parse(circuit_json: &[u8]) -> Result<Self> {
        let circuit = Circuit::parse(circuit_json)?;
        let ms = &circuit.model_stack;
        let range_bits = ms.range_bits;
        if !(1..=MAX_RANGE_BITS).contains(&range_bits) {
            return Err(Error::InvalidArgument(format!(
                "range_bits must be 1..={MAX_RANGE_BITS}"
            )));
        }
        let shape = Shape::new(ms.num_vars, ms.log_cols)?;
        Ok(Self {
            circuit,
            shape,
            mshape: multiplicity_shape(range_bits),
            range_bits,
        })
    }

    /// `2^(R-1)`: the offset that maps an entry into the range table.
    pub fn offset(&self) -> Fr {
        Fr::from(1u64 << (self.range_bits - 1))
    }
}

/// A well-formedness transcript up to the circuit (kinds 4 and 6 differ in tag and
/// version only).
pub(crate) fn wf_transcript(
    tag: &[u8],
    version: u16,
    hyrax: &Hyrax,
    circuit_json: &[u8],
) -> Transcript {
    let mut t = Transcript::new(tag);
    t.absorb_u32("version", version as u32);
    t.absorb("generators", &hyrax.seed_digest);
    t.absorb("circuit", circuit_json);
    t
}

/// The three LogUp trees of inference.md 7 (one group): entry `i` looks up the pair
/// `(P[i] + 2^(R-1), Z[i])`: real entries in the range table (tag 0), padding in the
/// single public entry `(2^(R-1), 1)`, i.e. exactly zero.
pub(crate) fn wf_trees<E: StackEntry, P: PadFlag>(
    ks: &KeyStacks,
    p: &[E],
    z: &[P],
    m_fr: &[Fr],
    alpha: Fr,
    beta: Fr,
) -> Vec<(Vec<Fr>, Vec<Fr>)> {
    let n_pad = z.iter().filter(|v| v.is_pad()).count() as u64;
    let shifted = alpha - ks.offset();
    vec![
        (
            vec![Fr::one(); p.len()],
            p.par_iter()
                .zip(z.par_iter())
                .map(|(v, zi)| shifted - v.as_fr() - beta * zi.as_fr())
                .collect(),
        ),
        (
            m_fr.iter().map(|m| -*m).collect(),
            (0..1u64 << ks.range_bits)
                .map(|j| alpha - Fr::from(j))
                .collect(),
        ),
        (
            vec![-Fr::from(n_pad), Fr::zero()],
            vec![shifted - beta, Fr::one()],
        ),
    ]
}

/// Small integers as field elements.
pub(crate) fn to_fr(v: &[i64]) -> Vec<Fr> {
    v.par_iter().map(|x| from_i64(*x)).collect()
}

/// The key's body up to its proof: the circuit, the model stack's shape and both
/// commitments (inference.md 7, zk_inference.md 4).
pub(crate) fn write_key_head(
    kind: Kind,
    circuit_json: &[u8],
    shape: Shape,
    com: &Commitment,
    mcom: &Commitment,
) -> Writer {
    let mut w = Writer::new();
    write_header(&mut w, kind);
    w.u32(circuit_json.len() as u32);
    w.bytes(circuit_json);
    shape.write(&mut w);
    Hyrax::write_commitment(com, &mut w);
    Hyrax::write_commitment(mcom, &mut w);
    w
}

/// Build the kind-4 verifying key: the model commitment, the range table's
/// multiplicities, and the well-formedness proof (circuits/inference.md section 7).
pub fn build_verifying_key(hyrax: &Hyrax, circuit_json: &[u8], model: &[i64]) -> Result<Vec<u8>> {
    let ks = KeyStacks::new(circuit_json, model)?;
    let (shape, mshape) = (ks.shape, ks.mshape);
    let mut timer = crate::profile::Timer::new("vk");
    let z = padding_mask(&ks.circuit);
    let mult = range_multiplicities(model, &z, ks.range_bits);
    let com = hyrax.commit_small(shape, model)?;
    let mcom = hyrax.commit_small(mshape, &mult)?;
    timer.mark("commitments");

    let m_fr = to_fr(&mult);

    let version = Kind::VerifyingKey.version();
    let mut t = wf_transcript(WF_TAG, version, hyrax, circuit_json);
    Hyrax::absorb_commitment(&mut t, "model-commitment", &com);
    Hyrax::absorb_commitment(&mut t, "multiplicity-commitment", &mcom);

    let alpha = t.squeeze("logup-alpha");
    let beta = t.squeeze("logup-beta");
    // The leaves straight from the i64 stack and the byte mask: no 32-byte-per-entry
    // copy of either is held while LogUp builds its layers (a key's peak); the stack's
    // field elements are made after it, for the opening.
    let trees = wf_trees(&ks, model, &z, &m_fr, alpha, beta);
    drop(z);
    timer.mark("leaves");
    let (lproof, points) = logup::prove(&mut t, trees);
    let (rho, rho_t) = (&points[0], &points[1]);
    timer.mark("logup");
    let p_fr = to_fr(model);
    let leaf_evals = vec![evaluate(&p_fr, rho), evaluate(&m_fr, rho_t)];
    t.absorb_frs("logup-leaf-evals", &leaf_evals);

    let mut claims_p = StackClaims::default();
    claims_p.push(rho.clone(), leaf_evals[0]);
    let mut claims_m = StackClaims::default();
    claims_m.push(rho_t.clone(), leaf_evals[1]);
    let stacks = [
        ProverStack {
            shape,
            table: &p_fr,
            claims: &claims_p,
        },
        ProverStack {
            shape: mshape,
            table: &m_fr,
            claims: &claims_m,
        },
    ];
    let opening = batch::prove(hyrax, &mut t, &stacks);
    timer.mark("openings");

    let mut w = write_key_head(Kind::VerifyingKey, circuit_json, shape, &com, &mcom);
    lproof.write(&mut w);
    w.frs(&leaf_evals);
    opening.write(&mut w);
    Ok(w.finish())
}

/// `SHA256` of a verifying key artifact: what proofs name as their model.
pub fn vk_digest(vk: &[u8]) -> [u8; 32] {
    Sha256::digest(vk).into()
}
