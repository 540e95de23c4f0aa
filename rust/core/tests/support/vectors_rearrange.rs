//! Models of `inference.json` for circuits/rearrange.md section 6: honest proofs
//! for batch 1 and 3, and cheating-prover cases on batch 1 that the Python
//! verifier must reject.

use serde_json::Value;
use zkml_core::inference::parts::set_part_skew;
use zkml_core::inference::testkit_rearrange::{
    rearrange_broadcast, rearrange_choice, rearrange_concat3, rearrange_concat_h,
    rearrange_reshape, rearrange_transpose,
};
use zkml_core::pcs::hyrax::Hyrax;

use crate::rearrange_cheats::{rearrange_gadget, set_padding, swap_neighbours};
use crate::vectors_common::{family_models, Cases, Run};

pub fn rearrange_models(h: &Hyrax) -> Vec<Value> {
    let models = vec![
        ("rearrange_transpose", rearrange_transpose(71), 71u64),
        ("rearrange_reshape", rearrange_reshape(72), 72),
        ("rearrange_concat_h", rearrange_concat_h(73), 73),
        ("rearrange_concat3", rearrange_concat3(74), 74),
        ("rearrange_broadcast", rearrange_broadcast(75), 75),
        ("rearrange_choice", rearrange_choice(76), 76),
    ];
    family_models(h, models, rearrange_cases)
}

fn rearrange_cases(r: &Run, _: &str) -> Cases {
    let (c, m) = (r.c, r.m);
    let g = rearrange_gadget(c);
    let mut cases: Cases = vec![
        (
            "output entry swapped with its neighbour",
            false,
            "rearrange: sum_k E_k != acc(r_g)",
            r.tampered(g, &swap_neighbours(c, m, r.input, r.batch)),
        ),
        (
            "padded output position set to 1",
            false,
            "rearrange: sum_k E_k != acc(r_g)",
            r.tampered(g, &set_padding(c, g)),
        ),
    ];
    if rearrange_map(c, g).part_pad.len() >= 2 {
        set_part_skew(7);
        let skewed = r.prove(r.cols.clone(), &r.out);
        set_part_skew(0);
        cases.push((
            "wrong E_k split",
            false,
            "rearrange part instance: E_1 + 7, E_2 - 7 (sum kept) fail the parts' sumchecks",
            skewed,
        ));
    }
    cases
}

/// Gadget `g`'s rearrange index map.
fn rearrange_map(
    c: &zkml_core::inference::circuit::Circuit,
    g: usize,
) -> &zkml_core::inference::rearrange::RearrangeMap {
    match &c.gadgets[g].producer {
        zkml_core::inference::circuit::Producer::Rearrange(p) => &p.map,
        _ => panic!("gadget {g} is not a rearrange"),
    }
}
