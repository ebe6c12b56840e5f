//! Delays between polls and retries: doubling from a first delay up to a ceiling.

use std::time::Duration;

/// The delay before retry number `attempt` (0-based).
pub fn delay(attempt: u32, first: Duration, ceiling: Duration) -> Duration {
    let factor = 1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX);
    first.saturating_mul(factor).min(ceiling)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_ceiling() {
        let delays: Vec<u64> = (0..6)
            .map(|a| delay(a, Duration::from_secs(2), Duration::from_secs(20)).as_secs())
            .collect();
        assert_eq!(delays, [2, 4, 8, 16, 20, 20]);
        assert_eq!(
            delay(u32::MAX, Duration::from_secs(1), Duration::from_secs(10)),
            Duration::from_secs(10)
        );
    }
}
