//! The configured plugin instances, indexed for Kong's scope precedence.
//!
//! For each plugin name (in run order, highest priority first) the instances are keyed by their
//! (route, service, consumer) scope. A request looks each plugin up with the consumer known *at
//! the time that plugin runs*, as Kong's plugins iterator does, so a consumer-scoped instance
//! takes effect once an auth plugin has identified the consumer.

use std::collections::HashMap;
use std::sync::Arc;

use crate::gateway::plugins::PluginRuntime;

/// An index into the route, service or consumer table; `NONE` means "not scoped".
pub type Slot = u32;
pub const NONE: Slot = u32::MAX;

/// One configured plugin instance, ready to run.
pub struct Instance {
    pub id: String,
    pub name: &'static str,
    pub runtime: Arc<dyn PluginRuntime>,
    /// Whether the instance runs for plain-http and for https requests.
    pub on_http: bool,
    pub on_https: bool,
}

struct PluginSlot {
    instances: HashMap<(Slot, Slot, Slot), Arc<Instance>>,
    /// Whether any instance is consumer-scoped (lets requests skip those lookups).
    consumer_scoped: bool,
}

#[derive(Default)]
pub struct PluginSet {
    /// Highest priority first.
    slots: Vec<(i64, PluginSlot)>,
}

impl PluginSet {
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// How many plugin names are configured (the positions a request walks through).
    pub fn positions(&self) -> usize {
        self.slots.len()
    }

    pub fn insert(&mut self, priority: i64, scope: (Slot, Slot, Slot), instance: Instance) {
        let pos = match self.slots.iter().position(|(p, s)| {
            *p == priority
                && s.instances
                    .values()
                    .next()
                    .is_some_and(|i| i.name == instance.name)
        }) {
            Some(pos) => pos,
            None => {
                // Keep the order: higher priority first; equal priorities by name for stability.
                let pos = self
                    .slots
                    .iter()
                    .position(|(p, s)| {
                        *p < priority
                            || (*p == priority
                                && s.instances
                                    .values()
                                    .next()
                                    .is_some_and(|i| i.name > instance.name))
                    })
                    .unwrap_or(self.slots.len());
                self.slots.insert(
                    pos,
                    (
                        priority,
                        PluginSlot {
                            instances: HashMap::new(),
                            consumer_scoped: false,
                        },
                    ),
                );
                pos
            }
        };
        let slot = &mut self.slots[pos].1;
        slot.consumer_scoped |= scope.2 != NONE;
        slot.instances.insert(scope, Arc::new(instance));
    }

    /// The instance at run position `pos` that applies to this request, by Kong's precedence:
    /// route+service+consumer, route+consumer, service+consumer, route+service, consumer,
    /// route, service, global.
    pub fn lookup(
        &self,
        pos: usize,
        route: Slot,
        service: Slot,
        consumer: Slot,
    ) -> Option<&Arc<Instance>> {
        let slot = &self.slots.get(pos)?.1;
        let get = |r: Slot, s: Slot, c: Slot| slot.instances.get(&(r, s, c));
        let with_consumer = consumer != NONE && slot.consumer_scoped;
        let route_ok = route != NONE;
        let service_ok = service != NONE;
        (with_consumer && route_ok && service_ok)
            .then(|| get(route, service, consumer))
            .flatten()
            .or_else(|| {
                (with_consumer && route_ok)
                    .then(|| get(route, NONE, consumer))
                    .flatten()
            })
            .or_else(|| {
                (with_consumer && service_ok)
                    .then(|| get(NONE, service, consumer))
                    .flatten()
            })
            .or_else(|| {
                (route_ok && service_ok)
                    .then(|| get(route, service, NONE))
                    .flatten()
            })
            .or_else(|| with_consumer.then(|| get(NONE, NONE, consumer)).flatten())
            .or_else(|| route_ok.then(|| get(route, NONE, NONE)).flatten())
            .or_else(|| service_ok.then(|| get(NONE, service, NONE)).flatten())
            .or_else(|| get(NONE, NONE, NONE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Noop;
    impl PluginRuntime for Noop {}

    fn inst(id: &str, name: &'static str) -> Instance {
        Instance {
            id: id.into(),
            name,
            runtime: Arc::new(Noop),
            on_http: true,
            on_https: true,
        }
    }

    #[test]
    fn precedence_and_order() {
        let mut set = PluginSet::default();
        set.insert(910, (NONE, NONE, NONE), inst("global", "rate-limiting"));
        set.insert(910, (NONE, 1, NONE), inst("service", "rate-limiting"));
        set.insert(910, (2, NONE, NONE), inst("route", "rate-limiting"));
        set.insert(910, (NONE, NONE, 7), inst("consumer", "rate-limiting"));
        set.insert(1250, (NONE, NONE, NONE), inst("auth", "key-auth"));
        let id = |pos, r, s, c| set.lookup(pos, r, s, c).map(|i| i.id.as_str());
        assert_eq!(id(0, 2, 1, NONE), Some("auth"));
        assert_eq!(id(1, 2, 1, NONE), Some("route"));
        assert_eq!(id(1, 3, 1, NONE), Some("service"));
        assert_eq!(id(1, 3, 9, NONE), Some("global"));
        assert_eq!(id(1, 2, 1, 7), Some("consumer"));
        assert_eq!(id(2, 2, 1, 7), None);
    }
}
