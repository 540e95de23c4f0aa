//! The cheating witnesses of the window models (conv.md section 5), batch 1:
//! `(case, columns)`. Shared by tests/window.rs and the vectors.

use zkml_core::inference::circuit::{Circuit, ColumnKind, Producer};
use zkml_core::inference::testkit::{witness, witness_tampered, TestModel};
use zkml_core::inference::window::{pos, tap};

/// Column index of gadget `g`'s `kind` limb `limb`.
pub fn column(c: &Circuit, g: usize, kind: ColumnKind, limb: usize) -> usize {
    c.columns()
        .iter()
        .position(|s| s.gadget == g && s.kind == kind && s.limb == limb)
        .unwrap()
}

/// `(name, expected reason, columns)` of each cheat that applies to the model.
pub fn cheats_with_reasons(
    m: &TestModel,
    c: &Circuit,
    input: &[i64],
) -> Vec<(&'static str, &'static str, Vec<Vec<i64>>)> {
    let mut out = Vec::new();
    let ms = &m.model_stack;
    let find = |max: bool| {
        c.gadgets.iter().position(|g| match &g.producer {
            Producer::Winmax(_) => max,
            Producer::Winsum(_) => !max,
            _ => false,
        })
    };
    if let Some(g) = find(true) {
        let (hi, lo) = (c.gadgets[g].hi as i128, c.gadgets[g].lo as i128);
        let (cols, _) = witness_tampered(c, ms, input, 1, g, &move |z| {
            let i = z.iter().position(|v| *v < hi).unwrap();
            z[i] += 1;
        });
        out.push((
            "winmax max is not a reading tap's value",
            "zerocheck sum_t S_t D_t = 0",
            cols,
        ));
        let (cols, _) = witness_tampered(c, ms, input, 1, g, &move |z| {
            let i = z.iter().position(|v| *v > lo).unwrap();
            z[i] -= 1;
        });
        out.push((
            "winmax max below one tap",
            "LogUp: a D_t entry is negative",
            cols,
        ));
        // Output 0 (c = 0, y = 0, x = 0): move its selector to a tap reading padding.
        let geo = *c.gadgets[g].producer.geom().unwrap();
        let k = c.gadgets[g].producer.windows();
        let reads = |t: usize| {
            let (i, j) = tap(&geo, t);
            pos(&geo.axes[0], 0, i).is_some() && pos(&geo.axes[1], 0, j).is_some()
        };
        if let Some(pad_tap) = (0..k).find(|&t| !reads(t)) {
            let (mut cols, _) = witness(c, ms, input, 1);
            let sel = |t: usize| column(c, g, ColumnKind::PoolSel(t), 0);
            let on = (0..k).find(|&t| cols[sel(t)][0] == 1).unwrap();
            cols[sel(on)][0] = 0;
            cols[sel(pad_tap)][0] = 1;
            out.push((
                "winmax selector on a tap that reads padding",
                "zerocheck beta sum_t S_t (1 - V_t) = 0",
                cols,
            ));
        }
    }
    if let Some(g) = find(false) {
        let hi = c.gadgets[g].hi as i128;
        let (cols, _) = witness_tampered(c, ms, input, 1, g, &move |z| {
            let i = z.iter().position(|v| *v < hi).unwrap();
            z[i] += 1;
        });
        out.push((
            "winsum output changed in one element",
            "winsum instance: R1 at the accumulator point",
            cols,
        ));
    }
    out
}
