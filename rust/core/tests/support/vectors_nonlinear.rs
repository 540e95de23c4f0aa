//! Models of `inference.json` for circuits/nonlinear.md (divisors, spatial sums,
//! function tables, elementwise products, grouped rows): honest proofs for batch 1
//! and 3, and cheating-prover cases on batch 1 that the Python verifier must reject.

use serde_json::Value;
use zkml_core::inference::circuit::ColumnKind;
use zkml_core::inference::spatialsum::reference_acc;
use zkml_core::inference::table;
use zkml_core::inference::testkit::{requantize, with_limb_bits, witness_edited, Requantized};
use zkml_core::inference::testkit_cnn::cnn_2d;
use zkml_core::inference::testkit_nonlinear::{gap_dense, silu, ssum_1d, ssum_2d, tables};
use zkml_core::inference::testkit_softmax::{
    softmax_grouped_axis0, softmax_grouped_channels, softmax_head,
};
use zkml_core::inference::{
    multiplicities, prove, prove_with_all_multiplicities, prove_with_table_multiplicities,
};
use zkml_core::pcs::hyrax::Hyrax;

use crate::vectors_common::{column_index, family_models, Cases, Run};

pub fn nonlinear_models(h: &Hyrax) -> Vec<Value> {
    let models = vec![
        ("gap_dense", gap_dense(31), 31u64),
        ("ssum_2d", ssum_2d(32), 32),
        ("ssum_1d", ssum_1d(33), 33),
        ("tables", tables(34), 34),
        // nonlinear.md sections 5-7.
        ("softmax_head", softmax_head(41), 41),
        ("softmax_head_l16", with_limb_bits(softmax_head(41), 16), 42),
        ("cnn_2d_l16", with_limb_bits(cnn_2d(1), 16), 43),
        ("tables_l16", with_limb_bits(tables(34), 16), 44),
        // nonlinear.md section 8: SiLU and a product with the public input.
        ("silu", silu(51), 51),
        // nonlinear.md section 12: grouped rows (softmax along axis 0, over channels).
        ("softmax_grouped_axis0", softmax_grouped_axis0(42), 61),
        ("softmax_grouped_channels", softmax_grouped_channels(43), 62),
    ];
    family_models(h, models, nonlinear_cases)
}

fn nonlinear_cases(r: &Run, name: &str) -> Cases {
    let (h, m, c, input, batch) = (r.h, r.m, r.c, r.input, r.batch);
    let run = |cols: Vec<Vec<i64>>, out: &[i64], tm: Option<Vec<Vec<i64>>>| {
        let inp = r.inference_input(cols, input, out);
        match tm {
            Some(tm) => prove_with_table_multiplicities(h, inp, tm).unwrap(),
            None => prove(h, inp).unwrap(),
        }
    };
    let (cols, out) = (&r.cols, &r.out);
    let mut cases: Cases = Vec::new();
    let edited = |g: usize, f: &dyn Fn(&mut Requantized)| {
        let (cols, out) = witness_edited(c, &m.model_stack, input, batch, g, f);
        run(cols, &out, None)
    };
    let bump = |g: usize| r.bump(g);
    match name {
        "gap_dense" => {
            // Gadget 1: the spatialsum over the 7x7 conv output, divisor 49.
            let d = c.gadgets[1].divisor as i128;
            cases.push((
                "wrong spatial sum",
                false,
                "spatialsum instance: acc(r_g) != sum 2^l M X",
                bump(1),
            ));
            cases.push((
                "remainder >= d",
                false,
                "LogUp range check: remc = d - 1 - rem is negative (rem = rem + d, z = z - 1 keeps R1)",
                edited(1, &move |p| {
                    let i = p.z.iter().position(|v| *v > 0).unwrap();
                    p.z[i] -= 1;
                    p.rem[i] += d;
                    p.remc[i] = d - 1 - p.rem[i];
                }),
            ));
            cases.push((
                "rem + remc != d - 1",
                false,
                "rem + remc == d - 1 at the acc point",
                edited(1, &|p| {
                    let i = p.z.iter().position(|v| *v > 0).unwrap();
                    p.remc[i] += if p.remc[i] == 0 { 1 } else { -1 };
                }),
            ));
            // The conv output (gadget 0, [3, 7, 7] in 4 x 8 x 8) has nonzero padding.
            let u0 = c
                .columns()
                .iter()
                .position(|s| s.gadget == 0 && s.kind == ColumnKind::U)
                .unwrap();
            let xt: Vec<i128> = cols[u0].iter().map(|v| *v as i128).collect();
            let acc = reference_acc(&[4, 8, 8], 0, &xt, 1);
            assert_ne!(acc, reference_acc(&[3, 7, 7], 0, &xt, 1));
            let g1 = c.gadgets[1].clone();
            cases.push((
                "spatialsum includes padded entries",
                false,
                "spatialsum instance: M = lt(x', 7) lt(y', 7) masks the padding",
                edited(1, &move |p| *p = requantize(&g1, &acc)),
            ));
        }
        "ssum_2d" => {
            cases.push((
                "wrong spatial sum of the input",
                false,
                "spatialsum instance (input MLE): acc(r_g) != sum 2^l M X",
                bump(0),
            ));
        }
        "tables" => {
            cases.push((
                "table output wrong for one element",
                false,
                "LogUp root: the pair (x - lo_x, z) is not in the table (t_g counted from x)",
                bump(3),
            ));
            cases.push((
                "input-fed table output wrong for one element",
                false,
                "LogUp root: the pair (x - lo_x, z) is not in the table (t_g counted from x)",
                bump(0),
            ));
            let mut tm = table::multiplicities(c, cols, input, batch);
            tm[1][7] += 1;
            cases.push((
                "wrong table multiplicity",
                false,
                "LogUp root: t_g does not count the lookups",
                run(cols.clone(), out, Some(tm)),
            ));
            cases.push((
                "table pair (a, 0) paid by the range table",
                false,
                "LogUp group 0: sigmoid lookup (a, z = 0) encodes like range entry a; one count \
                 moved from t_g[a] to m[a] keeps the total at zero (soundness.md rule 10)",
                table_pair_paid_by_range(r),
            ));
        }
        "silu" => {
            cases.push((
                "mul output changed for one element",
                false,
                "mul instance: acc(r_g) != sum eq(r_g, v) X(v) Y(v)",
                bump(2),
            ));
            cases.push((
                "input product changed for one element",
                false,
                "mul instance (input MLE): acc(r_g) != sum eq(r_g, v) X(v) Y(v)",
                bump(4),
            ));
        }
        "softmax_head" => {
            for ch in crate::softmax_cheats::softmax_cheats(m, c, input) {
                cases.push((ch.name, false, ch.why, run(ch.cols, &ch.out, None)));
            }
        }
        // The rowmax is gadget 2 (after the logits and the rearrange into [G, n]).
        "softmax_grouped_axis0" | "softmax_grouped_channels" => {
            for ch in crate::softmax_cheats::grouped_cheats(m, c, input, 2) {
                cases.push((ch.name, false, ch.why, run(ch.cols, &ch.out, None)));
            }
        }
        "cnn_2d_l16" => {
            // Gadget 0 (conv, shift 6): rem + 64 with z - 1 keeps R1; the 6-bit rem
            // limb is in [0, 2^16) but its scaled lookup 2^10 rem is not.
            let u0 = column_index(c, 0, ColumnKind::U, 0);
            let rem0 = column_index(c, 0, ColumnKind::Rem, 0);
            let mut bad = cols.clone();
            let i = (0..bad[u0].len()).find(|&i| bad[u0][i] > 0).unwrap();
            bad[rem0][i] += 64;
            bad[u0][i] -= 1;
            cases.push((
                "remainder above its exact width (16-bit limbs)",
                false,
                "LogUp: 2^(16-6) * rem >= 2^16",
                run(bad, out, None),
            ));
            let mut mult = zkml_core::inference::prover::multiplicities(c, cols);
            assert_eq!(mult.len(), 1 << 16);
            mult[300] += 1;
            let inp = r.inference_input(cols.clone(), input, out);
            cases.push((
                "wrong multiplicity (2^16-entry m)",
                false,
                "LogUp root",
                zkml_core::inference::prove_with_multiplicities(h, inp, mult).unwrap(),
            ));
        }
        _ => {}
    }
    cases
}

/// Lookup separation, attack 1 on the `tables` model: gadget 0 (a sigmoid table on the
/// input, values 13..114) claims `z = 0` at entry 0, whose pair `(a, 0)` encodes like
/// entry `a` of the range table; one count moves from `t_0[a]` to the range table's
/// `m[a]`, so all trees still sum to zero together, but not per group.
fn table_pair_paid_by_range(r: &Run) -> Vec<u8> {
    let (c, m, input, batch) = (r.c, r.m, r.input, r.batch);
    let (cols, out) = witness_edited(c, &m.model_stack, input, batch, 0, &|p| p.z[0] = 0);
    let a = (input[0] + (1i64 << (c.input.bits - 1))) as usize;
    let mut tm = table::multiplicities(c, &cols, input, batch);
    tm[0][a] -= 1;
    let mut mult = multiplicities(c, &cols);
    mult[a] += 1;
    prove_with_all_multiplicities(r.h, r.inference_input(cols, input, &out), mult, tm).unwrap()
}
