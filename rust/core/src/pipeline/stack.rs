//! Stacks (circuits/inference.md section 3): slot assignment for stacks and lookup
//! leaves (sizes largest first, ties keep order, consecutive offsets from 0), claims
//! mapped to stack points, and the committed witness stack.

use rayon::prelude::*;

use crate::error::Result;
use crate::field::{from_i64, Fr};
use crate::pcs::hyrax::{Commitment, Hyrax};
use crate::pcs::Shape;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    pub offset: usize,
    pub log_size: usize,
}

/// Slots for items of sizes `2^log_sizes[i]`, and the layout's variable count
/// (`max(1, ceil(log2(total)))`).
pub fn assign(log_sizes: &[usize]) -> (Vec<Slot>, usize) {
    let mut order: Vec<usize> = (0..log_sizes.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(log_sizes[i]));
    let mut slots = vec![
        Slot {
            offset: 0,
            log_size: 0
        };
        log_sizes.len()
    ];
    let mut offset = 0usize;
    for i in order {
        slots[i] = Slot {
            offset,
            log_size: log_sizes[i],
        };
        offset += 1 << log_sizes[i];
    }
    let vars = (offset.next_power_of_two().trailing_zeros() as usize).max(1);
    (slots, vars)
}

/// The stack point of a claim at `point` on the item in `slot`: the point followed
/// by the slot index's bits (LSB first) on the remaining variables.
pub fn stack_point(point: &[Fr], slot: Slot, num_vars: usize) -> Vec<Fr> {
    debug_assert_eq!(point.len(), slot.log_size);
    let index = slot.offset >> slot.log_size;
    let mut out = point.to_vec();
    out.extend((0..num_vars - slot.log_size).map(|k| Fr::from(((index >> k) & 1) as u64)));
    out
}

/// The witness stack: every committed part in its slot, its commitment (square
/// shape) and its field table (for the batch opening).
pub struct WitnessStack {
    /// One slot per part, in the order the parts were given.
    pub slots: Vec<Slot>,
    pub num_vars: usize,
    pub shape: Shape,
    pub commitment: Commitment,
    pub table: Vec<Fr>,
}

impl WitnessStack {
    /// Lay out `parts` (each of a power-of-two length) by [`assign`] and commit.
    pub fn commit(hyrax: &Hyrax, parts: &[&[i64]]) -> Result<Self> {
        let sizes: Vec<usize> = parts
            .iter()
            .map(|p| p.len().next_power_of_two().trailing_zeros() as usize)
            .collect();
        let (slots, num_vars) = assign(&sizes);
        let mut stack = vec![0i64; 1 << num_vars];
        for (vals, slot) in parts.iter().zip(&slots) {
            stack[slot.offset..slot.offset + vals.len()].copy_from_slice(vals);
        }
        let shape = Shape::square(num_vars);
        let commitment = hyrax.commit_small(shape, &stack)?;
        let table = stack.par_iter().map(|v| from_i64(*v)).collect();
        Ok(Self {
            slots,
            num_vars,
            shape,
            commitment,
            table,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_first_ties_in_order() {
        let (s, n) = assign(&[2, 4, 2, 0]);
        assert_eq!(
            s[1],
            Slot {
                offset: 0,
                log_size: 4
            }
        );
        assert_eq!(
            s[0],
            Slot {
                offset: 16,
                log_size: 2
            }
        );
        assert_eq!(
            s[2],
            Slot {
                offset: 20,
                log_size: 2
            }
        );
        assert_eq!(
            s[3],
            Slot {
                offset: 24,
                log_size: 0
            }
        );
        assert_eq!(n, 5);
        assert_eq!(assign(&[0]).1, 1);
    }
}
