//! Picking a target among an upstream's healthy ones, by the upstream's `algorithm`:
//! - `round-robin`: weighted, nginx's "smooth" variant, so a target with weight 3 next to one
//!   with weight 1 is picked A A B A rather than A A A B;
//! - `consistent-hashing`: a value of the request (`hash_on`, see [`hash_on`]) placed on a
//!   ring of targets (see [`ring`]), so the same value keeps reaching the same target;
//! - `least-connections`: fewest requests in flight for the weight;
//! - `latency`: lowest decaying average response time for the weight (see [`load`]).
//!
//! A request keeps a [`Session`] with the balancer over all its tries: the value it hashes to,
//! the targets it tried, and its hold on the current one.

mod hash_on;
mod load;
mod ring;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use http::HeaderValue;
use serde_json::{Map, Value};

use super::address::Address;
use super::health::{HealthChecks, Report, TargetHealth};
pub use hash_on::{HashFacts, HashRule, set_cookie};
pub use load::{Lease, LoadBook, TargetLoad};
use ring::Ring;

#[derive(Debug, Clone)]
pub struct Target {
    pub host: String,
    pub port: u16,
    /// `host` and `port` with what each request to them needs.
    pub address: Address,
    pub weight: i64,
    pub health: Arc<TargetHealth>,
    /// Requests in flight and response times, for `least-connections` and `latency`.
    pub load: Arc<TargetLoad>,
}

/// An upstream's `algorithm`, with what it needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Algorithm {
    #[default]
    RoundRobin,
    ConsistentHashing(HashRule),
    LeastConnections,
    Latency,
}

impl Algorithm {
    /// Reads an upstream's `algorithm` and, for consistent hashing, its `hash_*` fields.
    pub fn from_upstream(upstream: &Map<String, Value>) -> Result<Algorithm, String> {
        match upstream.get("algorithm").and_then(Value::as_str) {
            None | Some("round-robin") => Ok(Algorithm::RoundRobin),
            Some("consistent-hashing") => {
                HashRule::from_upstream(upstream).map(Algorithm::ConsistentHashing)
            }
            Some("least-connections") => Ok(Algorithm::LeastConnections),
            Some("latency") => Ok(Algorithm::Latency),
            Some(other) => Err(format!("unknown algorithm {other:?}")),
        }
    }
}

/// One request's dealings with its upstream's balancer, kept over all its tries.
#[derive(Debug, Default)]
pub struct Session {
    /// Where the request's value falls on the consistent-hashing ring.
    hash: u64,
    /// A cookie consistent hashing made up for the client, to set on the response.
    pub set_cookie: Option<HeaderValue>,
    held: Mutex<Held>,
}

#[derive(Debug, Default)]
struct Held {
    /// The hold of the latest try on its target (`least-connections`, `latency`).
    lease: Option<Lease>,
    /// Targets this request was sent to, which its retries avoid while others are left.
    tried: Vec<usize>,
    /// Targets whose names did not resolve for this request: never offered to it again, as
    /// Kong's balancer holds no address for them.
    passed_over: Vec<usize>,
}

impl Session {
    /// The hold on the target that answered, to be dropped when the response ends.
    pub fn take_lease(&self) -> Option<Lease> {
        self.lock().lease.take()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Debug)]
pub struct Balancer {
    /// The upstream's id.
    pub upstream_id: String,
    /// The upstream's `host_header` (the Host of requests and active probes).
    pub host_header: Option<String>,
    targets: Vec<Target>,
    current: Mutex<Vec<i64>>,
    checks: HealthChecks,
    algorithm: Algorithm,
    /// Consistent hashing's ring (empty for other algorithms).
    ring: Ring,
    /// Where the next least-connections or latency pick starts looking, so that ties go round.
    cursor: AtomicUsize,
}

impl Balancer {
    /// Targets with weight 0 are disabled and left out.
    pub fn new(
        upstream_id: String,
        host_header: Option<String>,
        targets: Vec<Target>,
        checks: HealthChecks,
    ) -> Balancer {
        let targets: Vec<Target> = targets.into_iter().filter(|t| t.weight > 0).collect();
        Balancer {
            upstream_id,
            host_header,
            current: Mutex::new(vec![0; targets.len()]),
            targets,
            checks,
            algorithm: Algorithm::RoundRobin,
            ring: Ring::default(),
            cursor: AtomicUsize::new(0),
        }
    }

    /// The balancer picking by `algorithm` rather than round robin.
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Balancer {
        if let Algorithm::ConsistentHashing(_) = algorithm {
            self.ring = Ring::new(&self.targets);
        }
        self.algorithm = algorithm;
        self
    }

    /// A request's session: with consistent hashing, its value to hash is read here, once
    /// for all tries (Kong's `balancer_data.hash_value`).
    pub fn session(&self, facts: &HashFacts<'_>) -> Session {
        match &self.algorithm {
            Algorithm::ConsistentHashing(rule) => {
                let hashed = rule.value(facts);
                Session {
                    hash: ring::hash(&hashed.value),
                    set_cookie: hashed.set_cookie,
                    ..Session::default()
                }
            }
            _ => Session::default(),
        }
    }

    /// The targets with weight above 0, healthy or not.
    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    pub fn checks(&self) -> &HealthChecks {
        &self.checks
    }

    /// Counts a proxied request's outcome for the target's passive health checks.
    pub fn report(&self, target: &Target, report: Report) {
        if self.checks.passive_enabled()
            && let Some(healthy) = target.health.report(&self.checks.passive, report)
        {
            let state = if healthy { "healthy" } else { "unhealthy" };
            tracing::warn!(
                "target {}:{} is now {state} (passive health check)",
                target.host,
                target.port
            );
        }
    }

    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// The target for the next try of `session`'s request, or None when the upstream has no
    /// healthy one (or, with a `healthchecks.threshold`, when too little of its weight is
    /// healthy).
    pub fn pick(&self, session: &Session) -> Option<&Target> {
        if self.checks.threshold > 0.0 && !self.enough_healthy() {
            return None;
        }
        let mut held = session.lock();
        let Held {
            lease,
            tried,
            passed_over,
        } = &mut *held;
        let usable = |i: usize| self.targets[i].health.is_healthy() && !passed_over.contains(&i);
        match self.algorithm {
            Algorithm::RoundRobin => self.round_robin(usable),
            // As Kong, a retry starts from the same place: the same target while it is healthy.
            Algorithm::ConsistentHashing(_) => self
                .ring
                .find(session.hash, usable)
                .map(|i| &self.targets[i]),
            // Kong adds 1 so that among idle targets the heaviest goes first.
            Algorithm::LeastConnections => self.lowest(tried, lease, usable, false, |t| {
                (t.load.in_flight() + 1) as f64 / t.weight as f64
            }),
            Algorithm::Latency => {
                let now = Instant::now();
                self.lowest(tried, lease, usable, true, |t| {
                    t.load.latency(now) / t.weight as f64
                })
            }
        }
    }

    /// Leaves `target` out of `session`'s later picks: its name did not resolve.
    pub fn pass_over(&self, session: &Session, target: &Target) {
        if let Some(i) = self.targets.iter().position(|t| std::ptr::eq(t, target)) {
            session.lock().passed_over.push(i);
        }
    }

    fn round_robin(&self, usable: impl Fn(usize) -> bool) -> Option<&Target> {
        match self.targets.as_slice() {
            [] => None,
            [only] => usable(0).then_some(only),
            targets => {
                let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
                let mut best: Option<usize> = None;
                let mut total = 0;
                for (i, t) in targets.iter().enumerate() {
                    if !usable(i) {
                        continue;
                    }
                    total += t.weight;
                    current[i] += t.weight;
                    if best.is_none_or(|b| current[i] > current[b]) {
                        best = Some(i);
                    }
                }
                let best = best?;
                current[best] -= total;
                targets.get(best)
            }
        }
    }

    /// The healthy target with the lowest `score` that this request has not tried yet (or,
    /// once it tried them all, the lowest of all, as Kong starts over); the request holds a
    /// lease on it, measured for latency when `measure`. Ties go to each in turn, so equal
    /// targets share requests that come one at a time.
    fn lowest(
        &self,
        tried: &mut Vec<usize>,
        lease: &mut Option<Lease>,
        usable: impl Fn(usize) -> bool,
        measure: bool,
        score: impl Fn(&Target) -> f64,
    ) -> Option<&Target> {
        let count = self.targets.len();
        let start = self.cursor.fetch_add(1, Ordering::Relaxed);
        let mut best: Option<(usize, f64)> = None;
        for retried_all in [false, true] {
            for i in (0..count).map(|k| (start + k) % count) {
                let target = &self.targets[i];
                if !usable(i) || (!retried_all && tried.contains(&i)) {
                    continue;
                }
                let score = score(target);
                if best.is_none_or(|(_, lowest)| score < lowest) {
                    best = Some((i, score));
                }
            }
            if best.is_some() {
                break;
            }
            tried.clear();
        }
        let (index, _) = best?;
        let target = &self.targets[index];
        tried.push(index);
        // The previous try is over: it no longer counts in flight, nor towards latency.
        if let Some(previous) = lease.replace(Lease::new(target.load.clone(), measure)) {
            previous.abandon();
        }
        Some(target)
    }

    fn enough_healthy(&self) -> bool {
        let (healthy, total) = self.targets.iter().fold((0, 0), |(healthy, total), t| {
            let up = if t.health.is_healthy() { t.weight } else { 0 };
            (healthy + up, total + t.weight)
        });
        healthy as f64 * 100.0 >= self.checks.threshold * total as f64
    }
}

/// Splits a normalised target (`host:port`, `[v6]:port`) into host and port.
pub fn parse_target(text: &str) -> Option<(String, u16)> {
    let (host, port) = text.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Some((host.to_string(), port.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(host: &str, weight: i64) -> Target {
        Target {
            host: host.into(),
            port: 1,
            address: Address::new(host, 1),
            weight,
            health: Arc::default(),
            load: Arc::default(),
        }
    }

    fn next(b: &Balancer) -> Option<&Target> {
        b.pick(&Session::default())
    }

    fn picks(b: &Balancer, n: usize) -> String {
        (0..n).map(|_| next(b).unwrap().host.clone()).collect()
    }

    fn balancer(algorithm: Algorithm, targets: Vec<Target>) -> Balancer {
        Balancer::new("u".into(), None, targets, HealthChecks::default()).with_algorithm(algorithm)
    }

    #[test]
    fn smooth_weighted_order_and_disabled_targets() {
        let b = Balancer::new(
            "u".into(),
            None,
            vec![t("a", 3), t("b", 1), t("off", 0)],
            HealthChecks::default(),
        );
        assert_eq!(picks(&b, 8), "aabaaaba");
        let off = Balancer::new("u".into(), None, vec![t("off", 0)], HealthChecks::default());
        assert!(next(&off).is_none());
    }

    #[test]
    fn unhealthy_targets_are_skipped_until_they_recover() {
        let b = Balancer::new(
            "u".into(),
            None,
            vec![t("a", 1), t("b", 1), t("c", 2)],
            HealthChecks::default(),
        );
        b.targets()[2].health.set(false);
        assert_eq!(picks(&b, 4), "abab");
        b.targets()[0].health.set(false);
        assert_eq!(picks(&b, 2), "bb");
        b.targets()[1].health.set(false);
        assert!(next(&b).is_none(), "no healthy target");
        b.targets()[2].health.set(true);
        assert_eq!(picks(&b, 2), "cc");
        let single = Balancer::new("u".into(), None, vec![t("a", 1)], HealthChecks::default());
        single.targets()[0].health.set(false);
        assert!(next(&single).is_none());
    }

    #[test]
    fn below_the_threshold_the_whole_upstream_is_down() {
        let checks = HealthChecks {
            threshold: 60.0,
            ..HealthChecks::default()
        };
        let b = Balancer::new(
            "u".into(),
            None,
            vec![t("a", 1), t("b", 1), t("c", 2)],
            checks,
        );
        b.targets()[0].health.set(false);
        assert_eq!(picks(&b, 3), "cbc", "75% of the weight is healthy");
        b.targets()[1].health.set(false);
        assert!(next(&b).is_none(), "50% is below the 60% threshold");
        b.targets()[0].health.set(true);
        assert!(next(&b).is_some(), "75% again");
    }

    #[test]
    fn least_connections_weighs_requests_in_flight_and_avoids_tried_targets() {
        let b = balancer(
            Algorithm::LeastConnections,
            vec![t("a", 2), t("b", 1), t("c", 1)],
        );
        // Idle, the heaviest goes first: (0+1)/2 < (0+1)/1.
        let held: Vec<Session> = (0..4).map(|_| Session::default()).collect();
        let hosts: String = held
            .iter()
            .map(|s| b.pick(s).unwrap().host.clone())
            .collect();
        // a (1/2), then a or b or c at 1 … each new request goes where the fewest per weight are.
        assert_eq!(hosts.matches('a').count(), 2, "{hosts}");
        assert_eq!(b.targets()[0].load.in_flight(), 2);
        drop(held);
        assert!(b.targets().iter().all(|t| t.load.in_flight() == 0));

        // A retry moves on to a target this request has not tried, releasing the first.
        let session = Session::default();
        let first = b.pick(&session).unwrap().host.clone();
        let second = b.pick(&session).unwrap().host.clone();
        let third = b.pick(&session).unwrap().host.clone();
        assert_eq!(first, "a");
        assert!(second != first && third != first && third != second);
        let in_flight: u64 = b.targets().iter().map(|t| t.load.in_flight()).sum();
        assert_eq!(in_flight, 1, "only the latest try holds its target");
        assert_eq!(b.pick(&session).unwrap().host, "a", "all tried: start over");
        let lease = session.take_lease().unwrap();
        assert_eq!(b.targets()[0].load.in_flight(), 1);
        drop(lease);
        assert_eq!(b.targets()[0].load.in_flight(), 0);

        b.targets()[0].health.set(false);
        let hosts: String = (0..4).map(|_| next(&b).unwrap().host.clone()).collect();
        assert!(!hosts.contains('a'), "{hosts}");
        assert!(
            hosts.contains('b') && hosts.contains('c'),
            "ties go round: {hosts}"
        );
    }

    #[test]
    fn latency_prefers_the_faster_target() {
        let b = balancer(Algorithm::Latency, vec![t("a", 1), t("b", 1)]);
        // Unmeasured targets tie; the second request goes to the other one.
        let slow = Session::default();
        let fast = Session::default();
        assert_eq!(b.pick(&slow).unwrap().host, "a");
        assert_eq!(b.pick(&fast).unwrap().host, "b");
        drop(fast);
        std::thread::sleep(std::time::Duration::from_millis(30));
        drop(slow);
        assert_eq!(picks(&b, 3), "bbb");
    }

    #[test]
    fn consistent_hashing_sticks_and_falls_through_to_the_next_healthy_target() {
        let b = balancer(
            Algorithm::ConsistentHashing(HashRule::default()),
            vec![t("a", 1), t("b", 1), t("c", 1)],
        );
        let session = |value: u64| Session {
            hash: ring::hash(&value.to_be_bytes()),
            ..Session::default()
        };
        let owner = |v| b.pick(&session(v)).unwrap().host.clone();
        let before: Vec<String> = (0..300).map(owner).collect();
        assert_eq!((0..300).map(owner).collect::<Vec<_>>(), before);
        b.targets()[1].health.set(false);
        for (v, was) in before.iter().enumerate() {
            let now = owner(v as u64);
            if was == "b" {
                assert_ne!(now, "b");
            } else {
                assert_eq!(&now, was);
            }
        }
        for t in b.targets() {
            t.health.set(false);
        }
        assert!(b.pick(&session(1)).is_none());
    }

    #[test]
    fn algorithms_read_from_upstreams() {
        let read = |v: serde_json::Value| Algorithm::from_upstream(v.as_object().unwrap());
        assert_eq!(read(serde_json::json!({})), Ok(Algorithm::RoundRobin));
        assert_eq!(
            read(serde_json::json!({"algorithm": "least-connections"})),
            Ok(Algorithm::LeastConnections)
        );
        let err = read(serde_json::json!({"algorithm": "consistent-hashing", "hash_on": "header"}));
        assert!(err.unwrap_err().contains("hash_on_header"));
        assert!(read(serde_json::json!({"algorithm": "random"})).is_err());
    }

    #[test]
    fn targets_parse() {
        assert_eq!(parse_target("h:81"), Some(("h".into(), 81)));
        assert_eq!(parse_target("[::1]:8000"), Some(("::1".into(), 8000)));
    }
}
