//! Cheating witnesses for the rearrange gadget (circuits/rearrange.md section 6),
//! shared by tests/rearrange.rs and the vectors: an output entry swapped with its
//! neighbour, and a padded output position set to 1 (the gadget's own `acc` is
//! recomputed from the changed `z`, so it stays consistent with its columns).

use zkml_core::inference::circuit::{Circuit, Producer};
use zkml_core::inference::testkit::{witness_tampered, TestModel};

/// The (first) rearrange gadget of a circuit.
pub fn rearrange_gadget(c: &Circuit) -> usize {
    c.gadgets
        .iter()
        .position(|g| matches!(g.producer, Producer::Rearrange(_)))
        .expect("a rearrange gadget")
}

/// Swaps the first two adjacent real output entries of row 0 whose values differ.
pub fn swap_neighbours(
    c: &Circuit,
    m: &TestModel,
    input: &[i64],
    batch: usize,
) -> impl Fn(&mut [i128]) {
    let g = rearrange_gadget(c);
    let map = rearrange_map(c, g);
    let dst: Vec<usize> = map.entries.iter().map(|e| e.dst as usize).collect();
    // The honest z, to find a pair whose swap changes the tensor.
    let z = std::cell::RefCell::new(Vec::new());
    witness_tampered(c, &m.model_stack, input, batch, g, &|t| {
        *z.borrow_mut() = t.to_vec()
    });
    let z = z.into_inner();
    let j = (0..dst.len() - 1)
        .find(|&j| z[dst[j]] != z[dst[j + 1]])
        .expect("two different neighbours");
    let (a, b) = (dst[j], dst[j + 1]);
    move |t: &mut [i128]| t.swap(a, b)
}

/// Sets the first padded output position of row 0 to 1.
pub fn set_padding(c: &Circuit, g: usize) -> impl Fn(&mut [i128]) {
    let map = rearrange_map(c, g);
    let mut real = vec![false; map.out_pad];
    for e in &map.entries {
        real[e.dst as usize] = true;
    }
    let f = real.iter().position(|r| !r).expect("a padded position");
    move |t: &mut [i128]| t[f] = 1
}

/// Gadget `g`'s rearrange index map.
fn rearrange_map(c: &Circuit, g: usize) -> &zkml_core::inference::rearrange::RearrangeMap {
    match &c.gadgets[g].producer {
        zkml_core::inference::circuit::Producer::Rearrange(p) => &p.map,
        _ => panic!("gadget {g} is not a rearrange"),
    }
}
