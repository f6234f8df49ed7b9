//! When a failed delivery is tried again: a schedule that starts fast and spans about a day,
//! each wait jittered so that endpoints which failed together do not all retry together.

use std::str::FromStr;
use std::time::Duration;

use rand::Rng;

/// The waits after each failed attempt, in order. A delivery whose last wait is used up and
/// still fails gives up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

const MINUTE: u64 = 60;
const HOUR: u64 = 3600;

impl Default for RetrySchedule {
    /// 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then every 3 h while the last attempt stays
    /// within 24 h of the first: 14 attempts over about 22 h 43 min.
    fn default() -> Self {
        let mut waits: Vec<u64> = vec![5, 30, 2 * MINUTE, 10 * MINUTE, 30 * MINUTE, HOUR];
        while waits.iter().sum::<u64>() + 3 * HOUR <= 24 * HOUR {
            waits.push(3 * HOUR);
        }
        Self(waits.into_iter().map(Duration::from_secs).collect())
    }
}

impl FromStr for RetrySchedule {
    type Err = String;

    /// Comma-separated waits with a unit, `5s,30s,2m,1h`; at most 50, each under a week.
    fn from_str(raw: &str) -> Result<Self, String> {
        let waits = raw
            .split(',')
            .map(|part| {
                let part = part.trim();
                let split = part.len().saturating_sub(1);
                let (number, unit) = part.split_at_checked(split).ok_or("an empty wait")?;
                let n: u64 = number
                    .parse()
                    .map_err(|_| format!("{part:?} is not a number with a unit (s, m or h)"))?;
                let secs = match unit {
                    "s" => n,
                    "m" => n * MINUTE,
                    "h" => n * HOUR,
                    _ => return Err(format!("{part:?} needs a unit: s, m or h")),
                };
                if secs == 0 || secs > 7 * 24 * HOUR {
                    return Err(format!("{part:?} must be between 1 s and a week"));
                }
                Ok(Duration::from_secs(secs))
            })
            .collect::<Result<Vec<_>, String>>()?;
        if waits.len() > 50 {
            return Err("at most 50 waits".into());
        }
        Ok(Self(waits))
    }
}

impl RetrySchedule {
    /// The wait before the next attempt once `failed` attempts (since the schedule began)
    /// have failed, jittered by up to a tenth either way; None once the schedule is used up.
    pub fn wait_after(&self, failed: u32) -> Option<Duration> {
        let base = *self.0.get(usize::try_from(failed).ok()?.checked_sub(1)?)?;
        let tenth = base.as_millis() as u64 / 10;
        let jitter = rand::rng().random_range(0..=2 * tenth);
        Some(Duration::from_millis(
            base.as_millis() as u64 - tenth + jitter,
        ))
    }

    /// Attempts a delivery gets in all: the first, and one after each wait.
    pub fn attempts(&self) -> usize {
        self.0.len() + 1
    }

    pub fn span(&self) -> Duration {
        self.0.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::webhooks::schedule::RetrySchedule;

    #[test]
    fn the_default_starts_fast_and_spans_about_a_day() {
        let s = RetrySchedule::default();
        assert_eq!(s.attempts(), 14);
        let span = s.span().as_secs();
        assert!((22 * 3600..=24 * 3600).contains(&span), "{span}");
        let first = s.wait_after(1).unwrap();
        assert!(first >= Duration::from_millis(4500) && first <= Duration::from_millis(5500));
        assert!(s.wait_after(13).unwrap() >= Duration::from_secs(3 * 3600 * 9 / 10));
        assert_eq!(s.wait_after(14), None);
        assert_eq!(s.wait_after(0), None);
    }

    #[test]
    fn schedules_read_as_waits_with_units() {
        let s: RetrySchedule = "1s, 2m,3h".parse().unwrap();
        assert_eq!(s.span(), Duration::from_secs(1 + 120 + 3 * 3600));
        assert_eq!(s.attempts(), 4);
        for bad in ["", "5", "5x", "0s", "s", "-1s", "200h", "1s,,2s"] {
            assert!(bad.parse::<RetrySchedule>().is_err(), "{bad}");
        }
    }

    #[test]
    fn jitter_stays_within_a_tenth() {
        let s: RetrySchedule = "100s".parse().unwrap();
        for _ in 0..200 {
            let w = s.wait_after(1).unwrap().as_secs_f64();
            assert!((90.0..=110.0).contains(&w), "{w}");
        }
    }
}
