//! Request counters for the rate-limiting plugin's `local` policy.
//!
//! They live beside the proxy, not inside one configuration, so an Admin API write does not
//! reset anybody's quota. Counting is check-and-increment under one lock per identifier entry,
//! so concurrent requests can never both take the last unit of a window.
//!
//! Identifiers come from clients (an IP, a header's value), so the table is bounded as Kong's
//! `kong_rate_limiting_counters` shared dictionary is (12 MB, least recently used out): an
//! entry is keyed by a 16-byte digest of its plugin instance and identifier, whatever the
//! identifier's length, and at [`CAPACITY`] entries the expired ones and then the least
//! recently used go, a quarter of the table at a time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

/// The rate-limiting windows, smallest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Second,
    Minute,
    Hour,
    Day,
    Month,
    Year,
}

impl Window {
    pub const ALL: [Window; 6] = [
        Window::Second,
        Window::Minute,
        Window::Hour,
        Window::Day,
        Window::Month,
        Window::Year,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Window::Second => "second",
            Window::Minute => "minute",
            Window::Hour => "hour",
            Window::Day => "day",
            Window::Month => "month",
            Window::Year => "year",
        }
    }

    /// The header suffix: `X-RateLimit-Limit-Minute`.
    pub fn title(self) -> &'static str {
        match self {
            Window::Second => "Second",
            Window::Minute => "Minute",
            Window::Hour => "Hour",
            Window::Day => "Day",
            Window::Month => "Month",
            Window::Year => "Year",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The window containing `now` (unix seconds) as [start, end). Months and years are
    /// calendar periods in UTC, as Kong's `timestamp.get_timestamps` computes them.
    pub fn period(self, now: i64) -> (i64, i64) {
        let fixed = |len: i64| {
            let start = now - now.rem_euclid(len);
            (start, start + len)
        };
        match self {
            Window::Second => fixed(1),
            Window::Minute => fixed(60),
            Window::Hour => fixed(3600),
            Window::Day => fixed(86_400),
            Window::Month => {
                let (y, m, _) = civil_from_days(now.div_euclid(86_400));
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                (
                    days_from_civil(y, m, 1) * 86_400,
                    days_from_civil(ny, nm, 1) * 86_400,
                )
            }
            Window::Year => {
                let (y, _, _) = civil_from_days(now.div_euclid(86_400));
                (
                    days_from_civil(y, 1, 1) * 86_400,
                    days_from_civil(y + 1, 1, 1) * 86_400,
                )
            }
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// One window's state after a hit.
#[derive(Debug, Clone, Copy)]
pub struct WindowUsage {
    pub window: Window,
    pub limit: u64,
    /// Requests counted in this window before this one.
    pub used_before: u64,
    /// Seconds until the window ends (at least 1).
    pub reset: i64,
}

#[derive(Debug, Default)]
struct Entry {
    starts: [i64; 6],
    counts: [u64; 6],
    /// The latest end of any window counted here; past it the entry can go.
    expires: i64,
    /// The table's clock at this entry's latest hit: the lowest goes first when room is made.
    used: u64,
}

/// An entry's key: a digest of the plugin instance and the identifier.
type Key = [u8; 16];

#[derive(Debug, Default)]
struct Table {
    entries: HashMap<Key, Entry>,
    /// Counts hits, so that entries can be ordered by their latest one.
    clock: u64,
}

#[derive(Debug, Default)]
pub struct RateCounters {
    table: Mutex<Table>,
}

/// The most identifiers counted at once (about 17 MB of table).
pub const CAPACITY: usize = 100_000;

fn key(instance: &str, identifier: &str) -> Key {
    let mut hasher = Sha256::new();
    hasher.update((instance.len() as u64).to_le_bytes());
    hasher.update(instance.as_bytes());
    hasher.update(identifier.as_bytes());
    let digest = hasher.finalize();
    let mut key = Key::default();
    let len = key.len();
    key.copy_from_slice(&digest[..len]);
    key
}

impl Table {
    /// Drops the expired entries and, if that is not enough, the least recently used, down to
    /// three quarters of [`CAPACITY`]: the work is done once per quarter of new identifiers.
    fn make_room(&mut self, now: i64) {
        self.entries.retain(|_, e| e.expires > now);
        let keep = CAPACITY * 3 / 4;
        if self.entries.len() <= keep {
            return;
        }
        let mut used: Vec<u64> = self.entries.values().map(|e| e.used).collect();
        let evicted = self.entries.len() - keep;
        // Every entry's `used` is a different hit's clock, so exactly `evicted` are older.
        let (_, oldest_kept, _) = used.select_nth_unstable(evicted);
        let oldest_kept = *oldest_kept;
        self.entries.retain(|_, e| e.used >= oldest_kept);
    }
}

impl RateCounters {
    pub fn new() -> RateCounters {
        RateCounters::default()
    }

    pub fn now() -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }

    /// How many identifiers are being counted (at most [`CAPACITY`]).
    pub fn len(&self) -> usize {
        self.table
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entries
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Counts one request for `identifier` under plugin `instance` unless a window is already
    /// full. Returns whether it was allowed and each window's usage (before this request).
    pub fn hit(
        &self,
        instance: &str,
        identifier: &str,
        limits: &[(Window, u64)],
        now: i64,
    ) -> (bool, Vec<WindowUsage>) {
        let key = key(instance, identifier);
        let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        if table.entries.len() >= CAPACITY && !table.entries.contains_key(&key) {
            table.make_room(now);
        }
        table.clock += 1;
        let clock = table.clock;
        let entry = table.entries.entry(key).or_default();
        entry.used = clock;
        let mut usage = Vec::with_capacity(limits.len());
        let mut allowed = true;
        for &(window, limit) in limits {
            let (start, end) = window.period(now);
            let i = window.index();
            if entry.starts[i] != start {
                entry.starts[i] = start;
                entry.counts[i] = 0;
            }
            entry.expires = entry.expires.max(end);
            if entry.counts[i] >= limit {
                allowed = false;
            }
            usage.push(WindowUsage {
                window,
                limit,
                used_before: entry.counts[i],
                reset: (end - now).max(1),
            });
        }
        if allowed {
            for &(window, _) in limits {
                entry.counts[window.index()] += 1;
            }
        }
        (allowed, usage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_periods() {
        // 2024-02-29T12:00:00Z
        let now = 1_709_208_000;
        assert_eq!(Window::Month.period(now), (1_706_745_600, 1_709_251_200));
        assert_eq!(Window::Year.period(now), (1_704_067_200, 1_735_689_600));
        assert_eq!(Window::Minute.period(now + 59), (now, now + 60));
    }

    #[test]
    fn counts_until_the_limit_then_refuses_without_counting() {
        let c = RateCounters::new();
        let limits = [(Window::Minute, 2), (Window::Hour, 10)];
        assert!(c.hit("p", "a", &limits, 120).0);
        assert!(c.hit("p", "a", &limits, 121).0);
        let (allowed, usage) = c.hit("p", "a", &limits, 122);
        assert!(!allowed);
        assert_eq!(usage[0].used_before, 2);
        assert_eq!(usage[1].used_before, 2);
        assert_eq!(usage[0].reset, 58);
        // A new minute starts afresh; the hour keeps counting.
        let (allowed, usage) = c.hit("p", "a", &limits, 180);
        assert!(allowed);
        assert_eq!(usage[0].used_before, 0);
        assert_eq!(usage[1].used_before, 2);
        // Other identifiers and instances are separate.
        assert!(c.hit("p", "b", &limits, 122).0);
        assert!(c.hit("q", "a", &limits, 122).0);
    }
}
