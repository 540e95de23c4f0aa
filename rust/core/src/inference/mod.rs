//! Inference proofs for dense networks (circuits/inference.md, kind 3).

pub mod circuit;
pub mod layout;
pub mod prover;
pub mod tensors;
pub mod testkit;

use ark_ff::Field;

use self::circuit::{Circuit, Column, ColumnKind, Gadget, ModelTensor, TensorRef, LIMB_BITS};
use self::layout::{assign, stack_point, Slot};
use self::tensors::{combine_evals, Columns};
use crate::field::{from_i64, Fr};
use crate::mle::evaluate;
use crate::pcs::batch::StackClaims;

pub use prover::{prove, prove_with_multiplicities, InferenceInput};

pub const INFERENCE_TAG: &[u8] = b"zkml/inference";

pub fn log2(n: usize) -> usize {
    circuit::log2(n)
}

/// One slot of the lookup leaves: a limb column at a scale, or the table.
#[derive(Clone, Copy, Debug)]
pub struct LeafSlot {
    pub column: Option<usize>,
    pub scale: u64,
    pub slot: Slot,
}

/// The lookup leaf layout for batch `b` and its depth `D`.
pub fn leaf_layout(c: &Circuit, b: usize) -> (Vec<LeafSlot>, usize) {
    let mut items: Vec<(Option<usize>, u64, usize)> = Vec::new();
    for (ci, spec) in c.columns().iter().enumerate() {
        let vars = c.gadget_vars(spec.gadget, b);
        items.push((Some(ci), 1, vars));
        if spec.width < LIMB_BITS {
            items.push((Some(ci), 1 << (LIMB_BITS - spec.width), vars));
        }
    }
    items.push((None, 1, 8));
    let (slots, depth) = assign(&items.iter().map(|i| i.2).collect::<Vec<_>>());
    let out = items
        .iter()
        .zip(slots)
        .map(|(&(column, scale, _), slot)| LeafSlot {
            column,
            scale,
            slot,
        })
        .collect();
    (out, depth)
}

/// `acc` at a gadget's point from the evaluations of its own columns (spec order).
pub fn acc_from_evals(g: &Gadget, specs: &[Column], own: &[usize], evals: &[Fr]) -> Fr {
    let pick = |kind: ColumnKind| -> Vec<Fr> {
        own.iter()
            .zip(evals)
            .filter(|(&ci, _)| specs[ci].kind == kind)
            .map(|(_, v)| *v)
            .collect()
    };
    let z = combine_evals(&pick(ColumnKind::U), g.lo);
    let q = z + combine_evals(&pick(ColumnKind::Ep), 0) - combine_evals(&pick(ColumnKind::Em), 0);
    if g.shift == 0 {
        return q;
    }
    let two = Fr::from(2u64);
    two.pow([g.shift as u64]) * q + combine_evals(&pick(ColumnKind::Rem), 0)
        - two.pow([g.shift as u64 - 1])
}

/// `[x is in the real B x n_out region]` as a 0/1 table of `len` entries.
pub fn output_mask(n_out: usize, b: usize, len: usize) -> Vec<Fr> {
    let np = n_out.next_power_of_two();
    (0..len)
        .map(|i| Fr::from(u64::from(i % np < n_out && i / np < b)))
        .collect()
}

/// Claims on the witness and model stacks, mapped to stack points as they come.
pub struct Claims<'c> {
    wslots: Vec<Slot>,
    n_w: usize,
    circuit: &'c Circuit,
    witness: StackClaims,
    model: StackClaims,
}

impl<'c> Claims<'c> {
    pub fn new(wslots: Vec<Slot>, n_w: usize, circuit: &'c Circuit) -> Self {
        Self {
            wslots,
            n_w,
            circuit,
            witness: StackClaims::default(),
            model: StackClaims::default(),
        }
    }

    pub fn column(&mut self, ci: usize, point: &[Fr], v: Fr) {
        self.witness
            .push(stack_point(point, self.wslots[ci], self.n_w), v);
    }

    pub fn multiplicities(&mut self, point: &[Fr], v: Fr) {
        let slot = *self.wslots.last().expect("multiplicity slot");
        self.witness.push(stack_point(point, slot, self.n_w), v);
    }

    pub fn model(&mut self, t: &ModelTensor, point: &[Fr], v: Fr) {
        let slot = Slot {
            offset: t.offset,
            log_size: log2(t.slot_size()),
        };
        self.model.push(
            stack_point(point, slot, self.circuit.model_stack.num_vars),
            v,
        );
    }

    /// Claims (and evaluation messages) for the `u` limbs of a tensor at `point`;
    /// nothing for the public input.
    pub fn tensor_limbs(&mut self, cols: &Columns, t: TensorRef, point: &[Fr], out: &mut Vec<Fr>) {
        if let TensorRef::Gadget(g) = t {
            for ci in cols.of(g, ColumnKind::U) {
                let v = evaluate(&cols.tables[ci], point);
                self.column(ci, point, v);
                out.push(v);
            }
        }
    }

    pub fn finish(self) -> (StackClaims, StackClaims) {
        (self.witness, self.model)
    }
}

/// Signed integers as field elements (statement encoding).
pub fn frs(v: &[i64]) -> Vec<Fr> {
    v.iter().map(|x| from_i64(*x)).collect()
}
