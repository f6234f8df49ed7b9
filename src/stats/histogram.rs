//! Durations counted in buckets 2% wide, so medians and 90th percentiles of long periods can be
//! added up month by month. The buckets are the SQL function `duration_bucket`'s (migration
//! 000011): bucket 0 holds values under 0.01, bucket b ≥ 1 holds [0.01·1.02^(b−1), 0.01·1.02^b).
//! A percentile read from them is within one bucket of the exact one: within 2%, or 0.01 for
//! values under 0.01.

use std::collections::BTreeMap;

/// Where the buckets start and how much wider each is than the last.
const FLOOR: f64 = 0.01;
const RATIO: f64 = 1.02;

/// Counts per bucket.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram(BTreeMap<i32, i64>);

impl Histogram {
    /// The bucket `duration_bucket` puts `v` in (the SQL function is the one that counts;
    /// this mirrors it for tests).
    #[cfg(test)]
    pub fn bucket_of(v: f64) -> i32 {
        if v < FLOOR {
            0
        } else {
            1 + ((v / FLOOR).ln() / RATIO.ln()).floor() as i32
        }
    }

    pub fn add(&mut self, bucket: i32, n: i64) {
        let count = self.0.entry(bucket).or_default();
        *count += n;
        if *count == 0 {
            self.0.remove(&bucket);
        }
    }

    /// Adds (`sign` 1) or takes away (−1) a `{bucket: count}` object as the database keeps
    /// it; anything else is ignored.
    pub fn add_json(&mut self, json: &serde_json::Value, sign: i64) {
        if let Some(object) = json.as_object() {
            for (bucket, n) in object {
                if let (Ok(bucket), Some(n)) = (bucket.parse(), n.as_i64()) {
                    self.add(bucket, sign * n);
                }
            }
        }
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (&bucket, &n) in &other.0 {
            self.add(bucket, n);
        }
    }

    pub fn count(&self) -> i64 {
        self.0.values().sum()
    }

    /// The `p` quantile (0 ≤ p ≤ 1) as `percentile_cont` reads it (between the two values
    /// around rank p·(n−1)), each value taken as spread evenly over its bucket; None when empty.
    pub fn percentile(&self, p: f64) -> Option<f64> {
        let n = self.count();
        if n <= 0 {
            return None;
        }
        let rank = p.clamp(0.0, 1.0) * (n - 1) as f64;
        let below = rank.floor();
        let low = self.value_at(below as i64);
        let high = self.value_at(rank.ceil() as i64);
        Some(low + (high - low) * (rank - below))
    }

    /// The value of the `rank`-th smallest (from 0).
    fn value_at(&self, rank: i64) -> f64 {
        let mut before = 0;
        for (&bucket, &n) in &self.0 {
            if rank < before + n {
                let (low, high) = bounds(bucket);
                return low + (high - low) * ((rank - before) as f64 + 0.5) / n as f64;
            }
            before += n;
        }
        self.0.keys().last().map_or(0.0, |&b| bounds(b).1)
    }
}

/// A bucket's lower and upper bound.
fn bounds(bucket: i32) -> (f64, f64) {
    if bucket <= 0 {
        (0.0, FLOOR)
    } else {
        (FLOOR * RATIO.powi(bucket - 1), FLOOR * RATIO.powi(bucket))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn of(values: &[f64]) -> Histogram {
        let mut h = Histogram::default();
        for &v in values {
            h.add(Histogram::bucket_of(v), 1);
        }
        h
    }

    /// `percentile_cont` over the exact values.
    fn exact(values: &[f64], p: f64) -> f64 {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let rank = p * (sorted.len() - 1) as f64;
        let (low, high) = (sorted[rank.floor() as usize], sorted[rank.ceil() as usize]);
        low + (high - low) * (rank - rank.floor())
    }

    #[test]
    fn an_empty_histogram_has_no_percentile() {
        assert_eq!(Histogram::default().percentile(0.5), None);
    }

    #[test]
    fn each_value_lands_in_the_bucket_that_holds_it() {
        for v in [0.0, 0.004, 0.01, 0.0102, 1.0, 48.0, 67.2, 1000.0, 8760.0] {
            let (low, high) = bounds(Histogram::bucket_of(v));
            assert!(
                low <= v * (1.0 + 1e-12) && v < high * (1.0 + 1e-12),
                "{v}: {low}..{high}"
            );
        }
    }

    #[test]
    fn counts_that_cancel_leave_nothing() {
        let mut h = of(&[1.0, 2.0]);
        h.merge(&{
            let mut minus = Histogram::default();
            minus.add(Histogram::bucket_of(1.0), -1);
            minus
        });
        assert_eq!(h, of(&[2.0]));
        let json = serde_json::json!({"5": 2, "x": 1, "7": "no"});
        let mut read = Histogram::default();
        read.add_json(&json, 1);
        assert_eq!(read.count(), 2);
    }

    proptest! {
        /// Within one bucket of `percentile_cont`: 2% of the value, or 0.01 below 0.01.
        #[test]
        fn percentiles_are_within_two_percent(
            values in proptest::collection::vec(0.0f64..5000.0, 1..300),
            p in prop_oneof![Just(0.5), Just(0.9), 0.0f64..1.0],
        ) {
            let estimate = of(&values).percentile(p).unwrap();
            let truth = exact(&values, p);
            prop_assert!(
                (estimate - truth).abs() <= truth * 0.02 + FLOOR,
                "estimate {estimate}, exact {truth}"
            );
        }

        /// Adding month by month is adding all at once.
        #[test]
        fn merged_parts_are_the_whole(
            a in proptest::collection::vec(0.0f64..500.0, 0..50),
            b in proptest::collection::vec(0.0f64..500.0, 0..50),
        ) {
            let mut merged = of(&a);
            merged.merge(&of(&b));
            let all: Vec<f64> = a.iter().chain(&b).copied().collect();
            prop_assert_eq!(merged, of(&all));
        }
    }
}
