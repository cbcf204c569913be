//! Target health, as Kong's upstream `healthchecks` define it: passive checks count the
//! outcomes of proxied requests, active checks probe targets on an interval (see
//! `health_probe`), and a target that reaches an unhealthy threshold gets no traffic until a
//! healthy threshold brings it back.
//!
//! Health outlives configurations: every Admin API write rebuilds the proxy configuration,
//! and a target's state must not reset each time. The [`HealthBook`] keeps one
//! [`TargetHealth`] per (upstream, target) across rebuilds; it starts over (healthy) only when
//! the target is new or its upstream's `healthchecks` changed.
//!
//! The counting follows lua-resty-healthcheck, which Kong uses: each report adds to its own
//! counter and clears the counters of the opposite kind (a success clears the failure
//! counters; any failure clears the successes); a counter reaching its threshold flips the
//! target's state and clears all counters. A threshold of 0 disables that counter: such a
//! report is ignored altogether and clears nothing either. Reports that agree with the
//! current state (a success on a healthy target) change nothing.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde::Deserialize;
use serde_json::Value;

use crate::kinds::entities::healthcheck_defaults;

/// What one request or probe found out about a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// A TCP check connected.
    Connected,
    /// An HTTP answer with this status.
    Status(u16),
    /// The connection could not be made or broke.
    TcpFailure,
    /// No answer in time.
    Timeout,
}

/// Thresholds and statuses for one kind of check (`active` or `passive`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Rules {
    pub healthy: HealthyRules,
    pub unhealthy: UnhealthyRules,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct HealthyRules {
    /// Seconds between active probes of a healthy target (0: none).
    pub interval: f64,
    pub http_statuses: Vec<u16>,
    pub successes: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct UnhealthyRules {
    /// Seconds between active probes of an unhealthy target (0: none).
    pub interval: f64,
    pub http_statuses: Vec<u16>,
    pub http_failures: u32,
    pub tcp_failures: u32,
    pub timeouts: u32,
}

/// An upstream's `healthchecks.active`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct ActiveChecks {
    #[serde(rename = "type")]
    pub kind: String,
    /// Seconds a probe may take.
    pub timeout: f64,
    pub concurrency: usize,
    pub http_path: String,
    pub https_sni: Option<String>,
    pub https_verify_certificate: bool,
    pub headers: Option<HashMap<String, Vec<String>>>,
    #[serde(flatten)]
    pub rules: Rules,
}

impl Default for ActiveChecks {
    fn default() -> Self {
        ActiveChecks {
            kind: "http".into(),
            timeout: 1.0,
            concurrency: 10,
            http_path: "/".into(),
            https_sni: None,
            https_verify_certificate: true,
            headers: None,
            rules: Rules::default(),
        }
    }
}

/// An upstream's `healthchecks`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct HealthChecks {
    pub active: ActiveChecks,
    pub passive: Rules,
    /// The percentage of the upstream's target weight that must be healthy for the upstream
    /// to take traffic at all (0: any healthy target will do).
    pub threshold: f64,
}

impl HealthChecks {
    /// Reads an upstream's `healthchecks` value. As in Kong, what it leaves out (or sets to
    /// null) takes Kong's default; a value that still cannot be read means no checks.
    pub fn from_value(value: Option<&Value>) -> HealthChecks {
        // The registry's default, the one `GET /schemas/upstreams` shows.
        let mut merged = healthcheck_defaults();
        if let Some(value) = value {
            merge(&mut merged, value);
        }
        serde_json::from_value(merged).unwrap_or_default()
    }

    /// Whether active probing is on (Kong: either interval above 0).
    pub fn active_enabled(&self) -> bool {
        let rules = &self.active.rules;
        rules.healthy.interval > 0.0 || rules.unhealthy.interval > 0.0
    }

    /// Whether passive checks can ever mark a target unhealthy.
    pub fn passive_enabled(&self) -> bool {
        let u = &self.passive.unhealthy;
        u.http_failures > 0 || u.tcp_failures > 0 || u.timeouts > 0
    }

    /// Whether any check is on: otherwise Kong reports `HEALTHCHECKS_OFF`.
    pub fn enabled(&self) -> bool {
        self.active_enabled() || self.passive_enabled()
    }
}

/// Sets every non-null value of `over` into `base`, records field by field.
fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(base), Value::Object(over)) => {
            for (key, value) in over {
                match base.get_mut(key) {
                    Some(slot) => merge(slot, value),
                    None if !value.is_null() => {
                        base.insert(key.clone(), value.clone());
                    }
                    None => {}
                }
            }
        }
        (_, Value::Null) => {}
        (base, over) => *base = over.clone(),
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counters {
    successes: u32,
    http_failures: u32,
    tcp_failures: u32,
    timeouts: u32,
}

/// One target's health: a flag the balancer reads on every pick, and the counters behind it.
#[derive(Debug)]
pub struct TargetHealth {
    healthy: AtomicBool,
    counters: Mutex<Counters>,
}

impl Default for TargetHealth {
    fn default() -> Self {
        TargetHealth {
            healthy: AtomicBool::new(true),
            counters: Mutex::new(Counters::default()),
        }
    }
}

impl TargetHealth {
    pub fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    /// Sets the state by hand (Kong's `PUT …/targets/{t}/healthy|unhealthy`).
    pub fn set(&self, healthy: bool) {
        let mut counters = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        *counters = Counters::default();
        self.healthy.store(healthy, Ordering::Relaxed);
    }

    /// Counts one outcome under `rules`; returns the new state when it flipped.
    pub fn report(&self, rules: &Rules, report: Report) -> Option<bool> {
        let success = match report {
            Report::Connected => true,
            Report::Status(s) => rules.healthy.http_statuses.contains(&s),
            _ => false,
        };
        let http_failure =
            matches!(report, Report::Status(s) if rules.unhealthy.http_statuses.contains(&s));
        if !success && !http_failure && matches!(report, Report::Status(_)) {
            return None;
        }
        // As lua-resty-healthcheck's `incr_counter`: a report whose threshold is 0 is ignored
        // outright, so it clears no counter of the other kind either (with Kong's default
        // `healthy.successes` of 0, successes in between do not forgive failures).
        let threshold = if success {
            rules.healthy.successes
        } else {
            match report {
                Report::TcpFailure => rules.unhealthy.tcp_failures,
                Report::Timeout => rules.unhealthy.timeouts,
                Report::Status(_) | Report::Connected => rules.unhealthy.http_failures,
            }
        };
        if threshold == 0 {
            return None;
        }
        let mut counters = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        let healthy = self.healthy.load(Ordering::Relaxed);
        let flips = if success {
            counters.http_failures = 0;
            counters.tcp_failures = 0;
            counters.timeouts = 0;
            if healthy {
                return None;
            }
            counters.successes += 1;
            reached(counters.successes, threshold)
        } else {
            counters.successes = 0;
            if !healthy {
                return None;
            }
            let count = match report {
                Report::TcpFailure => &mut counters.tcp_failures,
                Report::Timeout => &mut counters.timeouts,
                Report::Status(_) | Report::Connected => &mut counters.http_failures,
            };
            *count += 1;
            reached(*count, threshold)
        };
        if !flips {
            return None;
        }
        *counters = Counters::default();
        self.healthy.store(!healthy, Ordering::Relaxed);
        Some(!healthy)
    }
}

fn reached(count: u32, threshold: u32) -> bool {
    threshold > 0 && count >= threshold
}

/// (upstream id, `host:port`).
type TargetId = (String, String);

/// The health of every target the proxy balances over, kept across configurations.
#[derive(Debug, Default)]
pub struct HealthBook {
    /// Each target's health, and the checks it was created under.
    targets: Mutex<HashMap<TargetId, (HealthChecks, Arc<TargetHealth>)>>,
}

/// One target of one upstream, as a configuration is built.
pub struct TargetKey<'a> {
    pub upstream_id: &'a str,
    pub target: String,
}

impl HealthBook {
    /// The health of the targets of a new configuration: kept for targets already known under
    /// the same checks, fresh (healthy) otherwise. Targets no longer configured are forgotten.
    pub fn adopt(&self, wanted: Vec<(TargetKey<'_>, HealthChecks)>) -> Vec<Arc<TargetHealth>> {
        let mut book = self.targets.lock().unwrap_or_else(PoisonError::into_inner);
        let mut kept = HashMap::with_capacity(wanted.len());
        let mut out = Vec::with_capacity(wanted.len());
        for (key, checks) in wanted {
            let id = (key.upstream_id.to_string(), key.target);
            let health = match book.remove(&id) {
                Some((known, health)) if known == checks => health,
                _ => Arc::new(TargetHealth::default()),
            };
            out.push(health.clone());
            kept.insert(id, (checks, health));
        }
        *book = kept;
        out
    }

    /// The health of one target, and whether its upstream runs any check, if the current
    /// configuration balances over it.
    pub fn get(&self, upstream_id: &str, target: &str) -> Option<(Arc<TargetHealth>, bool)> {
        let book = self.targets.lock().unwrap_or_else(PoisonError::into_inner);
        book.get(&(upstream_id.to_string(), target.to_string()))
            .map(|(checks, health)| (health.clone(), checks.enabled()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passive(http_failures: u32, tcp_failures: u32, timeouts: u32, successes: u32) -> Rules {
        Rules {
            healthy: HealthyRules {
                interval: 0.0,
                http_statuses: vec![200, 302],
                successes,
            },
            unhealthy: UnhealthyRules {
                interval: 0.0,
                http_statuses: vec![500, 503],
                http_failures,
                tcp_failures,
                timeouts,
            },
        }
    }

    #[test]
    fn failures_in_a_row_make_a_target_unhealthy_and_a_success_resets_the_count() {
        let rules = passive(3, 0, 0, 2);
        let t = TargetHealth::default();
        assert_eq!(t.report(&rules, Report::Status(500)), None);
        assert_eq!(t.report(&rules, Report::Status(500)), None);
        assert_eq!(
            t.report(&rules, Report::Status(200)),
            None,
            "clears the failures"
        );
        assert_eq!(t.report(&rules, Report::Status(500)), None);
        assert_eq!(t.report(&rules, Report::Status(503)), None);
        assert!(t.is_healthy());
        assert_eq!(t.report(&rules, Report::Status(500)), Some(false));
        assert!(!t.is_healthy());
        // Statuses in neither list count for nothing.
        assert_eq!(t.report(&rules, Report::Status(404)), None);
        assert_eq!(t.report(&rules, Report::Status(200)), None);
        assert_eq!(t.report(&rules, Report::Status(200)), Some(true));
        assert!(t.is_healthy());
    }

    #[test]
    fn each_failure_kind_has_its_own_threshold_and_zero_disables_it() {
        let rules = passive(0, 2, 1, 1);
        let t = TargetHealth::default();
        for _ in 0..10 {
            assert_eq!(
                t.report(&rules, Report::Status(500)),
                None,
                "http counting is off"
            );
        }
        assert_eq!(t.report(&rules, Report::TcpFailure), None);
        assert_eq!(t.report(&rules, Report::TcpFailure), Some(false));
        let t = TargetHealth::default();
        assert_eq!(t.report(&rules, Report::Timeout), Some(false));
    }

    #[test]
    fn a_report_whose_threshold_is_zero_clears_nothing() {
        // Kong's defaults: `healthy.successes` 0, so successes in between do not forgive
        // failures (lua-resty-healthcheck ignores a report with a 0 limit altogether).
        let rules = passive(3, 0, 0, 0);
        let t = TargetHealth::default();
        assert_eq!(t.report(&rules, Report::Status(500)), None);
        assert_eq!(t.report(&rules, Report::Status(200)), None);
        assert_eq!(t.report(&rules, Report::Status(500)), None);
        assert_eq!(t.report(&rules, Report::Status(200)), None);
        assert_eq!(t.report(&rules, Report::Status(500)), Some(false));
        // Likewise a failure kind that is off does not clear the successes counted.
        let rules = passive(0, 0, 1, 2);
        let t = TargetHealth::default();
        t.set(false);
        assert_eq!(t.report(&rules, Report::Status(200)), None);
        assert_eq!(t.report(&rules, Report::TcpFailure), None);
        assert_eq!(t.report(&rules, Report::Status(200)), Some(true));
    }

    #[test]
    fn without_a_success_threshold_only_a_hand_brings_a_target_back() {
        let rules = passive(1, 0, 0, 0);
        let t = TargetHealth::default();
        assert_eq!(t.report(&rules, Report::Status(500)), Some(false));
        for _ in 0..5 {
            assert_eq!(t.report(&rules, Report::Status(200)), None);
        }
        t.set(true);
        assert!(t.is_healthy());
    }

    #[test]
    fn the_book_keeps_health_across_configurations_unless_the_checks_change() {
        let book = HealthBook::default();
        let checks = HealthChecks::default();
        let key = |t: &str| TargetKey {
            upstream_id: "u",
            target: t.to_string(),
        };
        let first = book.adopt(vec![(key("a:80"), checks.clone())]);
        first[0].set(false);
        let again = book.adopt(vec![
            (key("a:80"), checks.clone()),
            (key("b:80"), checks.clone()),
        ]);
        assert!(Arc::ptr_eq(&first[0], &again[0]));
        assert!(!again[0].is_healthy() && again[1].is_healthy());
        let mut changed = checks.clone();
        changed.passive.unhealthy.http_failures = 3;
        let fresh = book.adopt(vec![(key("a:80"), changed)]);
        assert!(fresh[0].is_healthy(), "new checks start over");
        assert!(
            book.get("u", "b:80").is_none(),
            "removed targets are forgotten"
        );
    }

    #[test]
    fn left_out_and_null_fields_take_kongs_defaults() {
        let partial = serde_json::json!({
            "active": null,
            "passive": {"healthy": null, "unhealthy": {"http_failures": 2, "timeouts": null}},
        });
        let checks = HealthChecks::from_value(Some(&partial));
        assert!(checks.passive_enabled() && !checks.active_enabled());
        assert_eq!(checks.passive.unhealthy.http_failures, 2);
        assert_eq!(checks.passive.unhealthy.http_statuses, [429, 500, 503]);
        assert!(checks.passive.healthy.http_statuses.contains(&226));
        assert_eq!(checks.active.http_path, "/");
    }

    #[test]
    fn kong_defaults_mean_no_checks() {
        let defaults = healthcheck_defaults();
        let checks = HealthChecks::from_value(Some(&defaults));
        assert!(!checks.enabled());
        assert_eq!(checks.active.rules.unhealthy.http_statuses.len(), 8);
        let mut on = defaults.clone();
        on["active"]["healthy"]["interval"] = serde_json::json!(5);
        assert!(HealthChecks::from_value(Some(&on)).active_enabled());
    }
}
