//! An optional client-side cap on requests per second (decK has none for the Admin API).

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Hands out evenly spaced send slots; callers sleep until theirs.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    next: Mutex<Instant>,
}

impl RateLimiter {
    pub fn new(rps: f64) -> Self {
        let rps = rps.max(0.001);
        RateLimiter {
            interval: Duration::from_secs_f64(1.0 / rps),
            next: Mutex::new(Instant::now()),
        }
    }

    /// Waits until this caller may send.
    pub async fn acquire(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn slots_are_spaced_by_the_interval() {
        let limiter = RateLimiter::new(50.0);
        let start = Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        // Five sends at 50/s: the first immediately, the fifth 80 ms later.
        assert!(start.elapsed() >= Duration::from_millis(80));
    }
}
