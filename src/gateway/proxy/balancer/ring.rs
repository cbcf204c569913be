//! The ring of consistent hashing: each target owns points on a 64-bit circle in proportion to
//! its weight, and a request's hash goes to the target owning the next point clockwise. A
//! target that becomes unhealthy is stepped over, so only the requests that went to it move
//! (each to whichever target owns the point after its own), and they come back when it
//! recovers.
//!
//! Kong (`consistent_hashing.lua`, Ketama-like) gives each target `weight / total × targets ×
//! 160` points on a wheel of `slots` entries, hashing `ip:port i` with xxhash32. Here the same
//! number of points sits on the whole 64-bit circle, so `slots` changes nothing (the circle
//! leaves no collisions to push forward), and SHA-256 places them: stable across builds,
//! platforms and restarts, so every gateway of a cluster sends a value to the same target.

use sha2::{Digest, Sha256};

use super::Target;

/// Points per target when all weigh the same (Kong's `SERVER_POINTS`).
const POINTS_PER_TARGET: u128 = 160;

#[derive(Debug, Default)]
pub struct Ring {
    /// (point, index into the balancer's targets), sorted by point.
    points: Vec<(u64, usize)>,
}

/// Where `value` falls on the circle.
pub fn hash(value: &[u8]) -> u64 {
    let digest = Sha256::digest(value);
    let mut first = [0; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

impl Ring {
    /// Points for `targets` (all of weight above 0), in proportion to their weights.
    pub fn new(targets: &[Target]) -> Ring {
        let total: u128 = targets.iter().map(|t| t.weight.max(0) as u128).sum();
        if total == 0 {
            return Ring::default();
        }
        let count = targets.len() as u128;
        let mut points = Vec::new();
        for (index, t) in targets.iter().enumerate() {
            // At least one point, so a light target next to heavy ones still gets some.
            let own = (t.weight.max(0) as u128 * count * POINTS_PER_TARGET / total).max(1);
            for i in 1..=own {
                let name = format!("{}:{} {i}", t.host, t.port);
                points.push((hash(name.as_bytes()), index));
            }
        }
        points.sort_unstable();
        Ring { points }
    }

    /// The index of the first target at or after `hash` that `usable` accepts, going round
    /// the circle once at most.
    pub fn find(&self, hash: u64, usable: impl Fn(usize) -> bool) -> Option<usize> {
        let start = self.points.partition_point(|&(point, _)| point < hash);
        let (after, before) = self.points.split_at(start);
        before
            .iter()
            .chain(after)
            .map(|&(_, index)| index)
            .find(|&index| usable(index))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::gateway::proxy::address::Address;

    fn t(host: &str, weight: i64) -> Target {
        Target {
            host: host.into(),
            port: 80,
            address: Address::new(host, 80),
            weight,
            health: Arc::default(),
            load: Arc::default(),
        }
    }

    fn owners(ring: &Ring, usable: impl Fn(usize) -> bool + Copy) -> Vec<usize> {
        (0..4000u32)
            .map(|v| ring.find(hash(&v.to_be_bytes()), usable).unwrap())
            .collect()
    }

    #[test]
    fn points_follow_weights() {
        let ring = Ring::new(&[t("a", 100), t("b", 300), t("c", 1)]);
        let per_target = |i| ring.points.iter().filter(|p| p.1 == i).count();
        assert_eq!((per_target(0), per_target(1), per_target(2)), (119, 359, 1));
        let seen = owners(&ring, |_| true);
        let share = |i| seen.iter().filter(|&&o| o == i).count() as f64 / seen.len() as f64;
        assert!((share(1) - 0.75).abs() < 0.08, "{}", share(1));
        assert!((share(0) - 0.25).abs() < 0.08, "{}", share(0));
    }

    #[test]
    fn skipping_a_target_moves_only_its_own_values() {
        let ring = Ring::new(&[t("a", 1), t("b", 1), t("c", 1), t("d", 1)]);
        let before = owners(&ring, |_| true);
        let after = owners(&ring, |i| i != 2);
        for (b, a) in before.iter().zip(&after) {
            if *b == 2 {
                assert_ne!(*a, 2);
            } else {
                assert_eq!(a, b, "a value not on the skipped target moved");
            }
        }
        // Its values spread over the others rather than all landing on one neighbour.
        let moved: std::collections::HashSet<_> = before
            .iter()
            .zip(&after)
            .filter(|(b, _)| **b == 2)
            .map(|(_, a)| *a)
            .collect();
        assert_eq!(moved.len(), 3, "{moved:?}");
        assert_eq!(ring.find(1, |_| false), None);
        assert_eq!(Ring::new(&[]).find(1, |_| true), None);
    }
}
