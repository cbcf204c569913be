//! One immutable proxy configuration, compiled from a [`Snapshot`]: the router, the route and
//! service tables, load balancers, plugin instances and the consumer directory. A new snapshot
//! builds a new `ProxyConfig`, which is swapped in whole.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::address::{Address, authority, default_port};
use super::balancer::{Algorithm, Balancer, LoadBook, Target, parse_target};
use super::directory::Directory;
use super::health::{HealthBook, HealthChecks, TargetKey};
use super::health_probe::Prober;
use super::plugin_set::{Instance, NONE, PluginSet, Slot};
use super::rate_counters::RateCounters;
use super::router::{RouteSpec, Router, RouterBuilder};
use super::tls::{CertificateCache, Certificates};
use super::upstream_client::{ClientKey, client_key};
use crate::gateway::plugins::unbuildable::Unbuildable;
use crate::gateway::plugins::{self, BuildEnv, EntityRef};
use crate::gateway::snapshot::{Snapshot, foreign_id};
use crate::kinds;

pub struct RouteEntry {
    pub ident: EntityRef,
    /// Index into the service table.
    pub service: Option<usize>,
    pub strip_path: bool,
    pub preserve_host: bool,
    /// Protocols include https but not http: plain requests get `https_redirect_status_code`.
    pub https_only: bool,
    pub https_redirect_status_code: u16,
    /// Kong's `request_buffering`: a body sent without a length is read whole before going
    /// upstream (see `request_buffering.rs`).
    pub request_buffering: bool,
}

pub struct ServiceEntry {
    pub ident: EntityRef,
    /// `http` or `https`.
    pub scheme: &'static str,
    pub host: Arc<str>,
    pub port: u16,
    /// `host` and `port` with what each request to them needs (unused with a balancer).
    pub address: Address,
    pub path: Option<String>,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub write_timeout: Duration,
    pub retries: u32,
    /// Set when `host` names an upstream: its targets and `host_header`.
    pub balancer: Option<Arc<Balancer>>,
    /// Which (thread-local) client reaches it.
    pub client: ClientKey,
}

pub struct ProxyConfig {
    pub revision: u64,
    pub router: Router,
    pub routes: Vec<RouteEntry>,
    pub services: Vec<ServiceEntry>,
    /// One per upstream (services naming the same upstream share it).
    pub balancers: Vec<Arc<Balancer>>,
    pub plugins: PluginSet,
    pub directory: Arc<Directory>,
    /// Server certificates for `ssl` listeners, by SNI.
    pub certificates: Certificates,
    consumer_slots: HashMap<String, Slot>,
    /// Entities left out because they could not be used (bad regex, unusable plugin config).
    pub problems: Vec<String>,
}

/// State that outlives configurations.
#[derive(Default)]
pub struct Persistent {
    pub counters: Arc<RateCounters>,
    /// Health of upstream targets, kept while their upstream's checks stay the same.
    pub health: Arc<HealthBook>,
    /// Requests in flight to upstream targets and their response times, kept while the
    /// target stays.
    pub loads: Arc<LoadBook>,
    /// The active health checks of the configuration in use.
    pub probes: Prober,
    /// Parsed certificates, so that a rebuild parses only those that changed.
    pub certificates: CertificateCache,
}

fn text(e: &Map<String, Value>, field: &str) -> Option<String> {
    e.get(field)?.as_str().map(str::to_string)
}

fn flag(e: &Map<String, Value>, field: &str, default: bool) -> bool {
    e.get(field).and_then(Value::as_bool).unwrap_or(default)
}

fn millis(e: &Map<String, Value>, field: &str) -> Duration {
    Duration::from_millis(
        e.get(field)
            .and_then(Value::as_u64)
            .unwrap_or(60_000)
            .max(1),
    )
}

impl ProxyConfig {
    pub fn build(snapshot: &Snapshot, persistent: &Persistent) -> ProxyConfig {
        let mut problems = Vec::new();
        let balancers = build_balancers(snapshot, persistent, &mut problems);

        let mut services = Vec::new();
        let mut service_slots: HashMap<String, usize> = HashMap::new();
        let mut disabled_services: std::collections::HashSet<String> = Default::default();
        for s in snapshot.of_kind("services") {
            let s = &s;
            let Some(id) = text(s, "id") else { continue };
            if !flag(s, "enabled", true) {
                disabled_services.insert(id);
                continue;
            }
            let scheme = match s.get("protocol").and_then(Value::as_str) {
                Some("https" | "grpcs" | "tls") => "https",
                _ => "http",
            };
            let host = text(s, "host").unwrap_or_default();
            let balancer = balancers.get(host.as_str()).cloned();
            let connect_timeout = millis(s, "connect_timeout");
            let verify = s.get("tls_verify").and_then(Value::as_bool).unwrap_or(true);
            let port = s
                .get("port")
                .and_then(Value::as_u64)
                .and_then(|p| u16::try_from(p).ok())
                .unwrap_or(default_port(scheme));
            service_slots.insert(id.clone(), services.len());
            services.push(ServiceEntry {
                ident: ident(&id, s),
                scheme,
                port,
                address: Address::new(&host, port),
                host: host.into(),
                path: text(s, "path"),
                connect_timeout,
                read_timeout: millis(s, "read_timeout"),
                write_timeout: millis(s, "write_timeout"),
                retries: s.get("retries").and_then(Value::as_u64).unwrap_or(5) as u32,
                balancer,
                client: client_key(connect_timeout, verify),
            });
        }

        let mut routes = Vec::new();
        let mut router = RouterBuilder::default();
        let mut route_slots: HashMap<String, usize> = HashMap::new();
        for r in snapshot.of_kind("routes") {
            let Some(id) = text(&r, "id") else { continue };
            let service_id = foreign_id(&r, "service");
            if service_id.is_some_and(|s| disabled_services.contains(s)) {
                continue;
            }
            let protocols: Vec<&str> = r
                .get("protocols")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_else(|| vec!["http", "https"]);
            let http = protocols.contains(&"http");
            let https = protocols.contains(&"https");
            if !http && !https {
                // grpc and stream routes are not served by the HTTP proxy.
                continue;
            }
            route_slots.insert(id.clone(), routes.len());
            routes.push(RouteEntry {
                ident: ident(&id, &r),
                service: service_id.and_then(|s| service_slots.get(s).copied()),
                strip_path: flag(&r, "strip_path", true),
                preserve_host: flag(&r, "preserve_host", false),
                https_only: https && !http,
                https_redirect_status_code: r
                    .get("https_redirect_status_code")
                    .and_then(Value::as_u64)
                    .and_then(|c| u16::try_from(c).ok())
                    .unwrap_or(426),
                request_buffering: flag(&r, "request_buffering", true),
            });
            router.add(&RouteSpec {
                route: &r,
                index: routes.len() - 1,
            });
        }
        let (router, route_problems) = router.finish();
        problems.extend(route_problems);

        let mut consumer_slots = HashMap::new();
        for (i, c) in snapshot.of_kind("consumers").enumerate() {
            if let Some(id) = text(&c, "id") {
                consumer_slots.insert(id, i as Slot);
            }
        }

        let mut plugin_set = PluginSet::default();
        for p in snapshot.of_kind("plugins") {
            let p = &p;
            if !flag(p, "enabled", true) {
                continue;
            }
            let (Some(id), Some(name)) = (text(p, "id"), text(p, "name")) else {
                continue;
            };
            let scope_of = |field: &str, slots: &dyn Fn(&str) -> Option<Slot>| -> Option<Slot> {
                match foreign_id(p, field) {
                    None => Some(NONE),
                    Some(fk) => slots(fk),
                }
            };
            let route = scope_of("route", &|fk| route_slots.get(fk).map(|&i| i as Slot));
            let service = scope_of("service", &|fk| service_slots.get(fk).map(|&i| i as Slot));
            let consumer = scope_of("consumer", &|fk| consumer_slots.get(fk).copied());
            let (Some(route), Some(service), Some(consumer)) = (route, service, consumer) else {
                // Scoped to something not served (a disabled service, a grpc route).
                continue;
            };
            let Some(def) = kinds::registry().plugin(&name) else {
                problems.push(format!("plugin {name} ({id}): unknown plugin, not run"));
                continue;
            };
            let config = p.get("config").cloned().unwrap_or(Value::Null);
            let env = BuildEnv {
                instance_id: &id,
                counters: &persistent.counters,
            };
            // A plugin that cannot run refuses its requests rather than being left out (which
            // would let them through unauthenticated or unlimited).
            let runtime = match plugins::build(&name, &config, &env) {
                Some(Ok(runtime)) => runtime,
                Some(Err(e)) => {
                    problems.push(format!(
                        "plugin {name} ({id}): {e}; its requests are refused with 500"
                    ));
                    Arc::new(Unbuildable)
                }
                None => {
                    problems.push(format!(
                        "plugin {name} ({id}): no runtime in this build; its requests are \
                         refused with 500"
                    ));
                    Arc::new(Unbuildable)
                }
            };
            let protocols: Vec<&str> = p
                .get("protocols")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_else(|| vec!["http", "https"]);
            plugin_set.insert(
                def.priority,
                (route, service, consumer),
                Instance {
                    id,
                    name: def.name,
                    runtime,
                    on_http: protocols.contains(&"http"),
                    on_https: protocols.contains(&"https"),
                },
            );
        }

        let certificates = Certificates::build(snapshot, &persistent.certificates, &mut problems);
        let directory = Directory::build(snapshot);
        problems.extend(directory.problems());
        ProxyConfig {
            revision: snapshot.revision,
            router,
            routes,
            services,
            balancers: balancers.into_values().collect(),
            plugins: plugin_set,
            directory: Arc::new(directory),
            certificates,
            consumer_slots,
            problems,
        }
    }

    /// The plugin-scope slot of a consumer id.
    pub fn consumer_slot(&self, consumer_id: &str) -> Slot {
        self.consumer_slots
            .get(consumer_id)
            .copied()
            .unwrap_or(NONE)
    }
}

/// Who an entity is, for plugins and the access log.
fn ident(id: &str, entity: &Map<String, Value>) -> EntityRef {
    EntityRef {
        id: Arc::from(id),
        name: entity.get("name").and_then(Value::as_str).map(Arc::from),
    }
}

/// Upstream name → balancer over its targets. Each target's health and load come from
/// `persistent`, so they carry over from the previous configuration. An upstream whose
/// algorithm cannot be used is balanced round robin, and `problems` says why.
fn build_balancers(
    snapshot: &Snapshot,
    persistent: &Persistent,
    problems: &mut Vec<String>,
) -> HashMap<String, Arc<Balancer>> {
    let mut targets: HashMap<String, Vec<(String, u16, i64)>> = HashMap::new();
    for t in snapshot.of_kind("targets") {
        let t = &t;
        let (Some(upstream), Some((host, port))) = (
            foreign_id(t, "upstream"),
            t.get("target")
                .and_then(Value::as_str)
                .and_then(parse_target),
        ) else {
            continue;
        };
        let weight = t.get("weight").and_then(Value::as_i64).unwrap_or(100);
        targets
            .entry(upstream.to_string())
            .or_default()
            .push((host, port, weight));
    }
    let upstreams: Vec<_> = snapshot
        .of_kind("upstreams")
        .filter_map(|u| {
            let id = u.get("id")?.as_str()?.to_string();
            let name = u.get("name")?.as_str()?.to_string();
            let checks = HealthChecks::from_value(u.get("healthchecks"));
            let list = targets.remove(&id).unwrap_or_default();
            let algorithm = Algorithm::from_upstream(&u).unwrap_or_else(|e| {
                problems.push(format!(
                    "upstream {name}: {e}; its targets are balanced round robin"
                ));
                Algorithm::RoundRobin
            });
            Some((id, name, checks, list, text(&u, "host_header"), algorithm))
        })
        .collect();
    let keys = || {
        upstreams.iter().flat_map(|(id, _, checks, list, _, _)| {
            list.iter().map(move |(host, port, _)| {
                let target = TargetKey {
                    upstream_id: id,
                    target: authority(host, *port),
                };
                (target, checks)
            })
        })
    };
    let wanted = keys().map(|(key, checks)| (key, checks.clone())).collect();
    let mut healths = persistent.health.adopt(wanted).into_iter();
    let mut loads = persistent
        .loads
        .adopt(keys().map(|(key, _)| key))
        .into_iter();
    upstreams
        .into_iter()
        .map(|(id, name, checks, list, host_header, algorithm)| {
            let list = list
                .into_iter()
                .zip(healths.by_ref().zip(loads.by_ref()))
                .map(|((host, port, weight), (health, load))| Target {
                    address: Address::new(&host, port),
                    host,
                    port,
                    weight,
                    health,
                    load,
                })
                .collect();
            let balancer = Balancer::new(id, host_header, list, checks).with_algorithm(algorithm);
            (name, Arc::new(balancer))
        })
        .collect()
}
