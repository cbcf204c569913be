//! Weighted round robin over an upstream's healthy targets (nginx's "smooth" variant, so a
//! target with weight 3 next to one with weight 1 is picked A A B A rather than A A A B).

use std::sync::{Arc, Mutex};

use super::address::Address;
use super::health::{HealthChecks, Report, TargetHealth};

#[derive(Debug, Clone)]
pub struct Target {
    pub host: String,
    pub port: u16,
    /// `host` and `port` with what each request to them needs.
    pub address: Address,
    pub weight: i64,
    pub health: Arc<TargetHealth>,
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

    /// The next healthy target, or None when the upstream has none (or, with a
    /// `healthchecks.threshold`, when too little of its weight is healthy).
    pub fn next(&self) -> Option<&Target> {
        if self.checks.threshold > 0.0 && !self.enough_healthy() {
            return None;
        }
        match self.targets.as_slice() {
            [] => None,
            [only] => only.health.is_healthy().then_some(only),
            targets => {
                let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
                let mut best: Option<usize> = None;
                let mut total = 0;
                for (i, t) in targets.iter().enumerate() {
                    if !t.health.is_healthy() {
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
        }
    }

    fn picks(b: &Balancer, n: usize) -> String {
        (0..n).map(|_| b.next().unwrap().host.clone()).collect()
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
        assert!(off.next().is_none());
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
        assert!(b.next().is_none(), "no healthy target");
        b.targets()[2].health.set(true);
        assert_eq!(picks(&b, 2), "cc");
        let single = Balancer::new("u".into(), None, vec![t("a", 1)], HealthChecks::default());
        single.targets()[0].health.set(false);
        assert!(single.next().is_none());
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
        assert!(b.next().is_none(), "50% is below the 60% threshold");
        b.targets()[0].health.set(true);
        assert!(b.next().is_some(), "75% again");
    }

    #[test]
    fn targets_parse() {
        assert_eq!(parse_target("h:81"), Some(("h".into(), 81)));
        assert_eq!(parse_target("[::1]:8000"), Some(("::1".into(), 8000)));
    }
}
