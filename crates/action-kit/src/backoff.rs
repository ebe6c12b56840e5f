//! When to ask again while waiting or retrying (a rollout, an invalidation, a smoke check):
//! quickly at first, then doubling up to a ceiling. The default (5 s to 30 s) stays far below
//! the AWS APIs' rate limits (ECS DescribeServices: 20 per second sustained).

use std::time::Duration;

/// The delays between polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first delay.
    pub first: Duration,
    /// The longest delay.
    pub ceiling: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            first: Duration::from_secs(5),
            ceiling: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// The delay before poll number `attempt` (0-based): doubling from `first`, capped.
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX);
        self.first.saturating_mul(factor).min(self.ceiling)
    }

    /// The delays between polls that fit in `timeout` together, in order.
    pub fn delays_within(self, timeout: Duration) -> impl Iterator<Item = Duration> {
        let mut spent = Duration::ZERO;
        (0u32..)
            .map(move |attempt| self.delay(attempt))
            .take_while(move |delay| match spent.checked_add(*delay) {
                Some(total) if total <= timeout => {
                    spent = total;
                    true
                }
                _ => false,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_ceiling() {
        let backoff = Backoff::default();
        let delays: Vec<u64> = (0..6).map(|a| backoff.delay(a).as_secs()).collect();
        assert_eq!(delays, [5, 10, 20, 30, 30, 30]);
        assert_eq!(backoff.delay(u32::MAX), Duration::from_secs(30));
    }

    #[test]
    fn the_delays_of_a_timeout() {
        let backoff = Backoff::default();
        // 5 + 10 + 20 = 35 s, then 30 s each: 10 minutes hold 3 + 18 delays.
        let delays: Vec<Duration> = backoff.delays_within(Duration::from_secs(600)).collect();
        assert_eq!(delays.len(), 21);
        assert_eq!(delays.iter().sum::<Duration>(), Duration::from_secs(575));
        assert_eq!(backoff.delays_within(Duration::from_secs(4)).count(), 0);
        assert_eq!(backoff.delays_within(Duration::MAX).take(3).count(), 3);
    }
}
