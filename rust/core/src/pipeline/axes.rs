//! Named axes of a tensor's variables (circuits/pipeline.md, "Axes"): lowest variables
//! first, points split by axis name. The pipeline itself knows no axis; kind 3 lays its
//! tensors out as `(features, batch)` ([`features_batch`]), and a kind with other
//! tensors names its own (weight matrices `(in, out)`, data sets `(features, samples)`).

pub const FEATURES: &str = "features";
pub const BATCH: &str = "batch";

/// Axis names with their variable counts, lowest variables first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Axes {
    axes: Vec<(&'static str, usize)>,
}

impl Axes {
    /// # Panics
    /// On a repeated name (a bug of the caller, not of any input).
    pub fn new(axes: &[(&'static str, usize)]) -> Self {
        for (i, (n, _)) in axes.iter().enumerate() {
            assert!(
                axes[..i].iter().all(|(m, _)| m != n),
                "axis {n} named twice"
            );
        }
        Self {
            axes: axes.to_vec(),
        }
    }

    /// Kind 3's layout: `feature_vars` feature variables, then the batch axis of a
    /// batch of `batch` rows (`ceil(log2(batch))` variables).
    pub fn features_batch(feature_vars: usize, batch: usize) -> Self {
        let batch_vars = batch.next_power_of_two().trailing_zeros() as usize;
        Self::new(&[(FEATURES, feature_vars), (BATCH, batch_vars)])
    }

    /// Variables of the whole tensor.
    pub fn num_vars(&self) -> usize {
        self.axes.iter().map(|(_, v)| v).sum()
    }

    /// The coordinates of `point` on axis `name`.
    ///
    /// # Panics
    /// When `point` does not have the tensor's variables or `name` is not an axis.
    pub fn part<'p, T>(&self, point: &'p [T], name: &str) -> &'p [T] {
        assert_eq!(point.len(), self.num_vars(), "point length");
        let mut start = 0;
        for (n, v) in &self.axes {
            if *n == name {
                return &point[start..start + v];
            }
            start += v;
        }
        panic!("no axis {name}")
    }
}

/// `(r_f, r_b)` of a point on a kind-3 tensor with `feature_vars` feature variables
/// (the rest are the batch axis's).
pub fn features_batch<T>(point: &[T], feature_vars: usize) -> (&[T], &[T]) {
    point.split_at(feature_vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_by_name() {
        let ax = Axes::features_batch(3, 3);
        assert_eq!(ax.num_vars(), 5);
        let p = [10, 11, 12, 20, 21];
        assert_eq!(ax.part(&p, FEATURES), &[10, 11, 12]);
        assert_eq!(ax.part(&p, BATCH), &[20, 21]);
        assert_eq!(features_batch(&p, 3), (&p[..3], &p[3..]));
        assert_eq!(Axes::features_batch(2, 1).num_vars(), 2);
    }

    #[test]
    #[should_panic(expected = "named twice")]
    fn repeated_names_are_a_bug() {
        Axes::new(&[(FEATURES, 1), (FEATURES, 2)]);
    }
}
