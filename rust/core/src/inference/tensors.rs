//! Field tables of the virtual tensors a proof speaks about: activation tensors
//! from their limbs, the zero-padded public input, model tensors from the stack.

use ark_ff::{Field, Zero};

use super::circuit::{Circuit, Column, ColumnKind, ModelTensor, TensorRef};
use crate::field::{from_i64, Fr};

/// Witness columns as field tables, with their circuit descriptions.
pub struct Columns {
    pub specs: Vec<Column>,
    pub tables: Vec<Vec<Fr>>,
    /// The circuit's limb width `L`.
    pub limb_bits: u32,
}

impl Columns {
    /// The circuit's columns from their integer values (circuit order).
    pub fn new(c: &Circuit, columns: &[Vec<i64>]) -> Self {
        use rayon::prelude::*;
        Columns {
            specs: c.columns(),
            tables: columns
                .iter()
                .map(|v| v.par_iter().map(|x| from_i64(*x)).collect())
                .collect(),
            limb_bits: c.limb_bits,
        }
    }

    /// `base + sum_j 2^(L j) evals_j` with this circuit's `L`.
    pub fn combine_evals(&self, evals: &[Fr], base: i64) -> Fr {
        combine_evals(evals, base, self.limb_bits)
    }

    /// Indices of gadget `g`'s columns of `kind`, limbs low to high.
    pub fn of(&self, g: usize, kind: ColumnKind) -> Vec<usize> {
        (0..self.specs.len())
            .filter(|&i| self.specs[i].gadget == g && self.specs[i].kind == kind)
            .collect()
    }

    /// `base + sum_j 2^(L j) limb_j` as a table (`len` entries).
    pub fn combine(&self, idx: &[usize], base: i64, len: usize) -> Vec<Fr> {
        let mut out = vec![from_i64(base); len];
        for (j, &c) in idx.iter().enumerate() {
            let scale = limb_scale(j, self.limb_bits);
            out.iter_mut()
                .zip(&self.tables[c])
                .for_each(|(o, v)| *o += scale * v);
        }
        out
    }
}

/// `2^(L j)`: the weight of limb `j` for limbs of `L` bits.
pub fn limb_scale(j: usize, limb_bits: u32) -> Fr {
    Fr::from(2u64).pow([limb_bits as u64 * j as u64])
}

/// `base + sum_j 2^(L j) evals_j`: a limb-decomposed value from its limb evaluations.
pub fn combine_evals(evals: &[Fr], base: i64, limb_bits: u32) -> Fr {
    evals
        .iter()
        .enumerate()
        .fold(from_i64(base), |acc, (j, e)| {
            acc + limb_scale(j, limb_bits) * e
        })
}

/// Zero-pad a row-major `(rows, cols)` matrix to `(rows', cols')`.
pub fn pad_matrix(values: &[i64], rows: usize, cols: usize) -> Vec<Fr> {
    let (rp, cp) = (rows.next_power_of_two(), cols.next_power_of_two());
    let mut out = vec![Fr::zero(); rp * cp];
    for r in 0..rows {
        for c in 0..cols {
            out[r * cp + c] = from_i64(values[r * cols + c]);
        }
    }
    out
}

/// The public input's table: zero-padded rows of `width(input)` entries, each in
/// the spatial layout when the input has a shape (conv.md section 1).
pub fn input_table(c: &Circuit, input: &[i64], batch: usize) -> Vec<Fr> {
    input_ints(c, input, batch)
        .into_iter()
        .map(from_i64)
        .collect()
}

/// [`input_table`] as integers.
pub fn input_ints(c: &Circuit, input: &[i64], batch: usize) -> Vec<i64> {
    let n = c.input.features;
    let width = c.width(TensorRef::Input).next_power_of_two();
    let map: Vec<usize> = match &c.input.shape {
        Some(shape) => super::spatial::layout(shape),
        None => (0..n).collect(),
    };
    let mut out = vec![0i64; batch.next_power_of_two() * width];
    for (r, row) in input.chunks(n).take(batch).enumerate() {
        for (v, &f) in row.iter().zip(&map) {
            out[r * width + f] = *v;
        }
    }
    out
}

/// A private input's `u` limb columns (zk_inference.md 1.3): `u = x - lo` over the
/// input's padded table (padding `-lo`, the value 0), cut into the circuit's limbs.
pub fn input_limb_columns(c: &Circuit, input: &[i64], batch: usize) -> Vec<Vec<i64>> {
    let lo = c.range(TensorRef::Input).0;
    let u: Vec<i64> = input_ints(c, input, batch)
        .into_iter()
        .map(|x| x - lo)
        .collect();
    let mut shift = 0u32;
    c.limbs(c.input.bits)
        .into_iter()
        .map(|w| {
            let mask = (1i64 << w) - 1;
            let col = u.iter().map(|v| (v >> shift) & mask).collect();
            shift += c.limb_bits;
            col
        })
        .collect()
}

/// The padded table of an activation tensor (or the input) for batch `b`.
pub fn tensor_table(
    c: &Circuit,
    cols: &Columns,
    t: TensorRef,
    input: &[i64],
    batch: usize,
) -> Vec<Fr> {
    match t {
        TensorRef::Input => input_table(c, input, batch),
        TensorRef::Gadget(g) => {
            let len = 1 << c.gadget_vars(g, batch);
            cols.combine(&cols.of(g, ColumnKind::U), c.gadgets[g].lo, len)
        }
    }
}

/// A model tensor's slot as a field table.
pub fn model_table<'a>(stack: &'a [Fr], t: &ModelTensor) -> &'a [Fr] {
    &stack[t.offset..t.offset + t.slot_size()]
}
