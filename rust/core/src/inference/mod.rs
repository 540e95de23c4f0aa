//! Inference proofs for dense networks (circuits/inference.md, kind 3).

pub mod circuit;
pub mod combine;
pub mod conv;
pub mod declared;
pub mod gadgets;
/// Stack slots (kind-agnostic, in the proof pipeline).
pub use crate::pipeline::stack as layout;
pub mod limits;
pub mod matmul;
pub mod model_key;
pub mod output;
pub mod parts;
pub mod producer;
pub mod product;
pub mod prover;
pub mod rearrange;
pub mod rowops;
pub mod spatial;
pub mod spatialsum;
pub mod table;
pub mod tensors;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit_cnn;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit_combine;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit_max;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit_nonlinear;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit_rearrange;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit_softmax;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit_window;
pub mod window;

use ark_ff::Field;

use self::circuit::{Circuit, Column, ColumnKind, Gadget, ModelTensor, TensorRef};
use self::layout::{assign, stack_point, Slot};
use self::tensors::{combine_evals, Columns};
use crate::error::{Error, Result};
use crate::field::Fr;
use crate::mle::evaluate;
use crate::pipeline::NamedClaims;

pub use prover::{multiplicities, prove, InferenceInput};
#[cfg(any(test, feature = "testkit"))]
pub use prover::{
    prove_with_all_multiplicities, prove_with_multiplicities, prove_with_table_multiplicities,
};

pub const INFERENCE_TAG: &[u8] = b"zkml/inference";

pub fn log2(n: usize) -> usize {
    circuit::log2(n)
}

/// One slot of the lookup tree: a limb column at a scale.
#[derive(Clone, Copy, Debug)]
pub struct LeafSlot {
    pub column: usize,
    pub scale: u64,
    pub slot: Slot,
}

/// The lookup tree's layout for batch `b` and its depth `D`.
pub fn leaf_layout(c: &Circuit, b: usize) -> (Vec<LeafSlot>, usize) {
    let cols: Vec<(u32, usize)> = c
        .columns()
        .iter()
        .map(|s| (s.width, c.column_vars(s, b)))
        .collect();
    leaf_slots(&cols, c.limb_bits)
}

/// Lookup-tree slots for limb columns given as `(width, variables)`
/// (inference.md section 3, `L`-bit limbs: nonlinear.md section 5), and the depth `D`.
pub fn leaf_slots(columns: &[(u32, usize)], limb_bits: u32) -> (Vec<LeafSlot>, usize) {
    let mut items: Vec<(usize, u64, usize)> = Vec::new();
    for (ci, &(width, vars)) in columns.iter().enumerate() {
        items.push((ci, 1, vars));
        if width < limb_bits {
            items.push((ci, 1 << (limb_bits - width), vars));
        }
    }
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

/// The two LogUp trees (logup.md): the lookups `1 / (alpha - scale * value)` with
/// padding `0 / 1`, and the byte table `-m_j / (alpha - j)`.
pub fn lookup_trees(
    slots: &[LeafSlot],
    depth: usize,
    alpha: Fr,
    tables: &[&[Fr]],
    mult: &[Fr],
) -> Vec<(Vec<Fr>, Vec<Fr>)> {
    use ark_ff::{One, Zero};
    use rayon::prelude::*;
    let mut p = vec![Fr::zero(); 1 << depth];
    let mut q = vec![Fr::one(); 1 << depth];
    for ls in slots {
        let range = ls.slot.offset..ls.slot.offset + (1 << ls.slot.log_size);
        let scale = Fr::from(ls.scale);
        p[range.clone()].par_iter_mut().for_each(|x| *x = Fr::one());
        q[range]
            .par_iter_mut()
            .zip(tables[ls.column].par_iter())
            .for_each(|(x, v)| *x = alpha - scale * v);
    }
    let pt = mult.iter().map(|m| -*m).collect();
    let qt = (0..mult.len() as u64)
        .map(|j| alpha - Fr::from(j))
        .collect();
    vec![(p, q), (pt, qt)]
}

/// Lookup multiplicities in `[0, 2^L)` of limb columns `(width, values)`. A value
/// outside is left uncounted, so a wrong witness still yields a proof, which the
/// verifier then rejects.
pub fn count_lookups<'a>(
    columns: impl Iterator<Item = (u32, &'a [i64])>,
    limb_bits: u32,
) -> Vec<i64> {
    let size = 1i64 << limb_bits;
    let mut m = vec![0i64; size as usize];
    let mut count = |v: i64| {
        if (0..size).contains(&v) {
            m[v as usize] += 1;
        }
    };
    for (width, vals) in columns {
        for &v in vals {
            count(v);
            if width < limb_bits {
                count(v.saturating_mul(1 << (limb_bits - width)));
            }
        }
    }
    m
}

/// `acc` at a gadget's point from the evaluations of its own columns (spec order).
pub fn acc_from_evals(
    g: &Gadget,
    specs: &[Column],
    own: &[usize],
    evals: &[Fr],
    limb_bits: u32,
) -> Fr {
    let pick = |kind: ColumnKind| -> Vec<Fr> {
        own.iter()
            .zip(evals)
            .filter(|(&ci, _)| specs[ci].kind == kind)
            .map(|(_, v)| *v)
            .collect()
    };
    let l = limb_bits;
    let z = combine_evals(&pick(ColumnKind::U), g.lo, l);
    let q =
        z + combine_evals(&pick(ColumnKind::Ep), 0, l) - combine_evals(&pick(ColumnKind::Em), 0, l);
    let rem = combine_evals(&pick(ColumnKind::Rem), 0, l);
    if g.divisor > 1 {
        // nonlinear.md section 1: acc = d (z + e+ - e-) + rem - floor(d/2).
        return Fr::from(g.divisor) * q + rem - Fr::from(g.divisor / 2);
    }
    if g.shift == 0 {
        return q;
    }
    let two = Fr::from(2u64);
    two.pow([g.shift as u64]) * q + rem - two.pow([g.shift as u64 - 1])
}

/// `[x is in the real B x n_out region]` as a 0/1 table of `len` entries.
pub fn output_mask(n_out: usize, b: usize, len: usize) -> Vec<Fr> {
    let np = n_out.next_power_of_two();
    (0..len)
        .map(|i| Fr::from(u64::from(i % np < n_out && i / np < b)))
        .collect()
}

/// Claims on the witness and model stacks, mapped to stack points as they come, and
/// named after the message entry each was sent as (checks.md 1: a hiding opening reads
/// a claim's commitment by that name).
pub struct Claims<'c> {
    /// Witness slots: the limb columns, `m`, then each table gadget's `t_g`.
    wslots: Vec<Slot>,
    n_cols: usize,
    n_w: usize,
    circuit: &'c Circuit,
    witness: NamedClaims,
    model: NamedClaims,
    /// A committed input's stack (zk_inference.md 1.4): its slots (one per input
    /// limb) and variables, and its claims.
    input_slots: Vec<Slot>,
    n_in: usize,
    input: NamedClaims,
    /// A committed output's stack (zk_inference.md 1.6): its one slot and variables,
    /// and its claim.
    output_slot: Option<(Slot, usize)>,
    output: NamedClaims,
    /// The claims made since the last message was named, in order, by stack.
    pending: Vec<StackId>,
}

/// Which stack a claim is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StackId {
    Witness,
    Model,
    Input,
    Output,
}

impl<'c> Claims<'c> {
    pub fn new(wslots: Vec<Slot>, n_w: usize, circuit: &'c Circuit) -> Self {
        Self {
            wslots,
            n_cols: circuit.columns().len(),
            n_w,
            circuit,
            witness: NamedClaims::default(),
            model: NamedClaims::default(),
            input_slots: Vec::new(),
            n_in: 0,
            input: NamedClaims::default(),
            output_slot: None,
            output: NamedClaims::default(),
            pending: Vec::new(),
        }
    }

    /// Also claim on a committed input's stack (slots of its limbs, `n_in` variables).
    pub fn with_input_stack(mut self, slots: Vec<Slot>, n_in: usize) -> Self {
        (self.input_slots, self.n_in) = (slots, n_in);
        self
    }

    /// Also claim on a committed output's stack (its one slot, `n_out` variables).
    pub fn with_output_stack(mut self, slot: Slot, n_out: usize) -> Self {
        self.output_slot = Some((slot, n_out));
        self
    }

    /// Whether the output is committed (zk_inference.md 1.6).
    pub fn output_committed(&self) -> bool {
        self.output_slot.is_some()
    }

    /// The output's value `Y~(point)` claimed on a committed output's stack (1.6: the
    /// output instance's claim); nothing without one.
    pub fn output_value(&mut self, point: &[Fr], v: Fr) {
        if let Some((slot, n)) = self.output_slot {
            self.output.claims.push(stack_point(point, slot, n), v);
            self.pending.push(StackId::Output);
        }
    }

    fn push_witness(&mut self, point: Vec<Fr>, v: Fr) {
        self.witness.claims.push(point, v);
        self.pending.push(StackId::Witness);
    }

    pub fn column(&mut self, ci: usize, point: &[Fr], v: Fr) {
        self.push_witness(stack_point(point, self.wslots[ci], self.n_w), v);
    }

    /// The same claim on input limb `j` of a committed input's stack (zk_inference.md
    /// 1.4: the link between the witness's limbs and the statement's commitment);
    /// nothing without one.
    pub fn input_limb(&mut self, j: usize, point: &[Fr], v: Fr) {
        if let Some(slot) = self.input_slots.get(j).copied() {
            self.input
                .claims
                .push(stack_point(point, slot, self.n_in), v);
            self.pending.push(StackId::Input);
        }
    }

    /// A claim on the range table's multiplicities `m`.
    pub fn multiplicities(&mut self, point: &[Fr], v: Fr) {
        let slot = self.wslots[self.n_cols];
        self.push_witness(stack_point(point, slot, self.n_w), v);
    }

    /// A claim on the multiplicities `t_k` of the `k`-th table gadget.
    pub fn table_multiplicities(&mut self, k: usize, point: &[Fr], v: Fr) {
        let slot = self.wslots[self.n_cols + 1 + k];
        self.push_witness(stack_point(point, slot, self.n_w), v);
    }

    pub fn model(&mut self, t: &ModelTensor, point: &[Fr], v: Fr) {
        let slot = Slot {
            offset: t.offset,
            log_size: log2(t.slot_size()),
        };
        self.model.claims.push(
            stack_point(point, slot, self.circuit.model_stack.num_vars),
            v,
        );
        self.pending.push(StackId::Model);
    }

    /// Claims (and evaluation messages) for the `u` limbs of a tensor at `point`;
    /// nothing for a public input, a private input's limbs (zk_inference.md 1.3).
    pub fn tensor_limbs(&mut self, cols: &Columns, t: TensorRef, point: &[Fr], out: &mut Vec<Fr>) {
        let g = match t {
            TensorRef::Gadget(g) => g,
            TensorRef::Input => circuit::INPUT_COLUMNS,
        };
        for ci in cols.of(g, ColumnKind::U) {
            let v = evaluate(&cols.tables[ci], point);
            self.column(ci, point, v);
            out.push(v);
        }
    }

    /// The claims made since the last call are the entries `prefix[first..]` of the
    /// message `values`, in order (every claim's value is the next entry the prover
    /// sends; entries after them, such as the argmax's `A` and `C`, are not claims).
    pub fn sent(&mut self, prefix: &str, first: usize, values: &[Fr]) -> Result<()> {
        let mut next = first;
        for id in std::mem::take(&mut self.pending) {
            // an input-stack claim repeats the entry of the witness claim before it
            let j = match id {
                StackId::Input => next.checked_sub(1).ok_or_else(|| {
                    Error::InvalidArgument("an input claim before its witness claim".into())
                })?,
                _ => {
                    next += 1;
                    next - 1
                }
            };
            let stack = match id {
                StackId::Model => &mut self.model,
                StackId::Witness => &mut self.witness,
                StackId::Input => &mut self.input,
                StackId::Output => &mut self.output,
            };
            let i = stack.names.len();
            if values.get(j) != stack.claims.values.get(i) {
                return Err(Error::InvalidArgument(format!(
                    "claim {i} is not entry {j} of the message {prefix}"
                )));
            }
            stack.names.push(format!("{prefix}[{j}]"));
        }
        Ok(())
    }

    /// Hand over the claims on the witness and model stacks (leaving none).
    pub fn take(&mut self) -> (NamedClaims, NamedClaims) {
        (
            std::mem::take(&mut self.witness),
            std::mem::take(&mut self.model),
        )
    }

    /// Hand over the claims on a committed input's stack (leaving none).
    pub fn take_input(&mut self) -> NamedClaims {
        std::mem::take(&mut self.input)
    }

    /// Hand over the claim on a committed output's stack (leaving none).
    pub fn take_output(&mut self) -> NamedClaims {
        std::mem::take(&mut self.output)
    }
}
