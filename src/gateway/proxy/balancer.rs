//! Weighted round robin over an upstream's targets (nginx's "smooth" variant, so a target with
//! weight 3 next to one with weight 1 is picked A A B A rather than A A A B).

use std::sync::Mutex;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub weight: i64,
}

#[derive(Debug)]
pub struct Balancer {
    targets: Vec<Target>,
    current: Mutex<Vec<i64>>,
    total: i64,
}

impl Balancer {
    /// Targets with weight 0 are disabled and left out.
    pub fn new(targets: Vec<Target>) -> Balancer {
        let targets: Vec<Target> = targets.into_iter().filter(|t| t.weight > 0).collect();
        let total = targets.iter().map(|t| t.weight).sum();
        Balancer {
            current: Mutex::new(vec![0; targets.len()]),
            targets,
            total,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// The next target, or None when the upstream has no usable target.
    pub fn next(&self) -> Option<&Target> {
        match self.targets.len() {
            0 => None,
            1 => self.targets.first(),
            _ => {
                let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
                let mut best = 0;
                for (i, t) in self.targets.iter().enumerate() {
                    current[i] += t.weight;
                    if current[i] > current[best] {
                        best = i;
                    }
                }
                current[best] -= self.total;
                self.targets.get(best)
            }
        }
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
            weight,
        }
    }

    #[test]
    fn smooth_weighted_order_and_disabled_targets() {
        let b = Balancer::new(vec![t("a", 3), t("b", 1), t("off", 0)]);
        let picks: String = (0..8).map(|_| b.next().unwrap().host.clone()).collect();
        assert_eq!(picks, "aabaaaba");
        assert_eq!(Balancer::new(vec![t("off", 0)]).next(), None);
    }

    #[test]
    fn targets_parse() {
        assert_eq!(parse_target("h:81"), Some(("h".into(), 81)));
        assert_eq!(parse_target("[::1]:8000"), Some(("::1".into(), 8000)));
    }
}
