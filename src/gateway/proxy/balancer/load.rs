//! How busy and how fast each target is, for `least-connections` (requests in flight) and
//! `latency` (a decaying average of response times), and the [`Lease`] a request holds on its
//! target until it ends.
//!
//! Like health, this outlives configurations: every Admin API write rebuilds the balancers,
//! and requests still in flight or the averages learnt so far must not be forgotten then. The
//! [`LoadBook`] keeps one [`TargetLoad`] per (upstream, target) across rebuilds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::gateway::proxy::body::{EndState, OnEnd};
use crate::gateway::proxy::health::TargetKey;

/// How fast old latencies fade: after this long a measurement weighs 1/e of what it did
/// (Kong's `DECAY_TIME`, 10 s).
const DECAY: Duration = Duration::from_secs(10);

#[derive(Debug, Default)]
pub struct TargetLoad {
    in_flight: AtomicU64,
    latency: Mutex<Ewma>,
}

/// An exponentially weighted moving average of response times whose weight decays with time
/// rather than with the number of samples, so a target that answered slowly a while ago is
/// tried again (Kong's `latency.lua`, after Finagle's PeakEwma).
#[derive(Debug, Default, Clone, Copy)]
struct Ewma {
    /// Seconds.
    value: f64,
    touched: Option<Instant>,
}

impl Ewma {
    /// The average as of `now`, `sample` (seconds) taken into account.
    fn at(&self, now: Instant, sample: f64) -> f64 {
        let Some(touched) = self.touched else {
            return sample;
        };
        let kept = (-now.duration_since(touched).as_secs_f64() / DECAY.as_secs_f64()).exp();
        self.value * kept + sample * (1.0 - kept)
    }
}

impl TargetLoad {
    /// Requests holding a lease on the target.
    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// The average response time in seconds as of `now`, faded towards 0 since the last
    /// answer, as Kong scores targets (an idle target looks ever faster and gets tried again).
    pub fn latency(&self, now: Instant) -> f64 {
        let ewma = *self.latency.lock().unwrap_or_else(PoisonError::into_inner);
        ewma.at(now, 0.0)
    }

    fn record(&self, took: Duration, now: Instant) {
        let mut ewma = self.latency.lock().unwrap_or_else(PoisonError::into_inner);
        ewma.value = ewma.at(now, took.as_secs_f64());
        ewma.touched = Some(now);
    }
}

/// A request's hold on the target it was sent to: counted in flight until dropped, which
/// happens however the request ends (answer sent, error, timeout, client gone), since the
/// lease goes wherever the request's state goes. With `measure`, dropping it also feeds the
/// time since the pick into the target's latency (Kong: connect plus response time, taken in
/// the log phase).
#[derive(Debug)]
pub struct Lease {
    load: Arc<TargetLoad>,
    started: Instant,
    measure: bool,
}

impl Lease {
    pub fn new(load: Arc<TargetLoad>, measure: bool) -> Lease {
        load.in_flight.fetch_add(1, Ordering::Relaxed);
        Lease {
            load,
            started: Instant::now(),
            measure,
        }
    }

    /// Ends the lease of a try that is being retried elsewhere without measuring it: like
    /// Kong, only the try that answers the request counts towards latency.
    pub fn abandon(self) {
        drop(self.unmeasured());
    }

    /// The lease, counted in flight but no longer measured: a WebSocket's lifetime says
    /// nothing of how fast its target answers.
    pub fn unmeasured(mut self) -> Lease {
        self.measure = false;
        self
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.load.in_flight.fetch_sub(1, Ordering::Relaxed);
        if self.measure {
            let now = Instant::now();
            self.load.record(now.duration_since(self.started), now);
        }
    }
}

/// Attached to a response body, the lease ends with it (the work is in `Drop`).
impl OnEnd for Lease {
    fn ended(self, _: EndState) {}
}

/// (upstream id, `host:port`).
type TargetId = (String, String);

/// The load of every target the proxy balances over, kept across configurations.
#[derive(Debug, Default)]
pub struct LoadBook {
    targets: Mutex<HashMap<TargetId, Arc<TargetLoad>>>,
}

impl LoadBook {
    /// The load of the targets of a new configuration: kept for targets already known, new
    /// otherwise; targets no longer configured are forgotten (their leases still in flight
    /// hold what they count on).
    pub fn adopt<'a>(&self, wanted: impl Iterator<Item = TargetKey<'a>>) -> Vec<Arc<TargetLoad>> {
        let mut book = self.targets.lock().unwrap_or_else(PoisonError::into_inner);
        let mut kept = HashMap::with_capacity(book.len());
        let out = wanted
            .map(|key| {
                let id = (key.upstream_id.to_string(), key.target);
                let load = book.remove(&id).unwrap_or_default();
                kept.insert(id, load.clone());
                load
            })
            .collect();
        *book = kept;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_counts_until_dropped_and_measures_unless_abandoned() {
        let load = Arc::new(TargetLoad::default());
        let a = Lease::new(load.clone(), true);
        let b = Lease::new(load.clone(), true);
        assert_eq!(load.in_flight(), 2);
        b.abandon();
        assert_eq!(load.in_flight(), 1);
        assert_eq!(
            load.latency(Instant::now()),
            0.0,
            "an abandoned try is not measured"
        );
        std::thread::sleep(Duration::from_millis(20));
        drop(a);
        assert_eq!(load.in_flight(), 0);
        assert!(load.latency(Instant::now()) >= 0.019);
    }

    #[test]
    fn the_average_moves_towards_new_samples_and_fades_with_time() {
        let load = TargetLoad::default();
        let start = Instant::now();
        load.record(Duration::from_secs(1), start);
        assert_eq!(load.latency(start), 1.0, "the first sample is the average");
        let later = start + DECAY;
        load.record(Duration::ZERO, later);
        let faded = (-1.0f64).exp();
        assert!((load.latency(later) - faded).abs() < 1e-9);
        assert!(load.latency(later + DECAY) < faded / 2.0);
    }

    #[test]
    fn load_survives_a_rebuild_while_its_target_stays() {
        let book = LoadBook::default();
        let key = |t: &str| TargetKey {
            upstream_id: "u",
            target: t.to_string(),
        };
        let first = book.adopt([key("a:1"), key("b:1")].into_iter());
        let _lease = Lease::new(first[0].clone(), false);
        let second = book.adopt([key("a:1")].into_iter());
        assert_eq!(second[0].in_flight(), 1);
        let third = book.adopt([key("b:1")].into_iter());
        assert_eq!(third[0].in_flight(), 0);
        assert!(!Arc::ptr_eq(&third[0], &first[1]), "b was forgotten");
    }
}
