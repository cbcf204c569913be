//! Keep-alive connections to upstreams, one pool per proxy worker thread.
//!
//! Built on hyper's connection API instead of hyper-util's pooled `Client`. Per request, that
//! client hashed its pool key twice, boxed and moved large futures, and spawned a task that
//! waited for the connection to become idle again: about an eighth of the proxy's user-space
//! instructions per request. Here a connection goes back to its thread's pool when the
//! response body has been read to its end (a body dropped halfway closes it, as it must), and
//! is taken again only when hyper reports it ready for the next request.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{Request, Response};
use hyper::body::Incoming;
use hyper::client::conn::http1;
use rustls::pki_types::ServerName;

use super::body::{EndState, OnEnd, OnEndBody};
use super::resolve::is_name_not_resolved;
use super::upstream_client::{ClientKey, connector};
use crate::gateway::plugins::{Body, BoxError};

/// How long a connection may wait unused in the pool (Kong's
/// `upstream_keepalive_idle_timeout`).
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// At most this many idle connections per upstream address (Kong's
/// `upstream_keepalive_pool_size`); beyond it the oldest is closed.
const MAX_IDLE_PER_KEY: usize = 512;
/// A connection is closed after serving this many requests (Kong's
/// `upstream_keepalive_max_requests`), so that long-lived connections do not pin the load to
/// one upstream instance behind a balancer.
const MAX_REQUESTS_PER_CONNECTION: u32 = 1000;
/// How often idle connections past their timeout are closed.
const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// Which connections are interchangeable: same connect settings, address and TLS name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PoolKey {
    pub client: ClientKey,
    /// `host:port` to connect to.
    pub authority: Arc<str>,
    /// For https, the TLS session's name (SNI, and the name the certificate was checked
    /// against). Part of the key, as in Kong's pool name: a connection made for one name
    /// must not carry requests meant for another.
    pub tls_name: Option<ServerName<'static>>,
}

/// What the pool needs to know of a connection: hyper's `SendRequest` in the proxy, a
/// stand-in in the tests below.
trait Pooled {
    /// Ready to take a request now (not closed, not still finishing its last answer).
    fn is_ready(&self) -> bool;
    fn is_closed(&self) -> bool;
}

impl Pooled for http1::SendRequest<Body> {
    fn is_ready(&self) -> bool {
        http1::SendRequest::is_ready(self)
    }

    fn is_closed(&self) -> bool {
        http1::SendRequest::is_closed(self)
    }
}

struct Idle<C> {
    connection: C,
    /// Requests it has served.
    served: u32,
    since: Instant,
}

/// Idle connections per key, most recently used last. Times are passed in, so the limits
/// can be tested without waiting.
///
/// Hashed with foldhash rather than SipHash: keys come from the configuration, not from
/// clients, so flooding resistance buys nothing, and SipHash over a key cost about 2% of a
/// proxied request's instructions (a key is looked up twice per request).
struct Pool<C> {
    idle: HashMap<PoolKey, VecDeque<Idle<C>>, foldhash::fast::RandomState>,
}

impl<C> Default for Pool<C> {
    fn default() -> Self {
        Pool {
            idle: HashMap::default(),
        }
    }
}

impl<C: Pooled> Pool<C> {
    /// The most recently used idle connection to `key` that is ready for a request, with
    /// the number of requests it has served; the closed, expired or (rarely) still busy ones
    /// met on the way are let go. An emptied queue stays (the connection usually comes back
    /// within the millisecond) until the sweep.
    fn take(&mut self, key: &PoolKey, now: Instant) -> Option<(C, u32)> {
        let queue = self.idle.get_mut(key)?;
        while let Some(idle) = queue.pop_back() {
            if idle.connection.is_ready() && now.duration_since(idle.since) < IDLE_TIMEOUT {
                return Some((idle.connection, idle.served));
            }
        }
        None
    }

    /// Keeps `connection`, which has served `served` requests, for the next request to `key`;
    /// closes it instead when it has served its share, and the oldest one beyond the per-key
    /// limit.
    fn put(&mut self, key: PoolKey, connection: C, served: u32, now: Instant) {
        if connection.is_closed() || served >= MAX_REQUESTS_PER_CONNECTION {
            return;
        }
        let queue = self.idle.entry(key).or_default();
        if queue.len() >= MAX_IDLE_PER_KEY {
            queue.pop_front();
        }
        queue.push_back(Idle {
            connection,
            served,
            since: now,
        });
    }

    /// Closes connections idle past the timeout (or closed by the upstream); whether none is
    /// left.
    fn sweep(&mut self, now: Instant) -> bool {
        self.idle.retain(|_, queue| {
            queue.retain(|idle| {
                !idle.connection.is_closed() && now.duration_since(idle.since) < IDLE_TIMEOUT
            });
            !queue.is_empty()
        });
        self.idle.is_empty()
    }
}

thread_local! {
    static POOL: RefCell<Pool<http1::SendRequest<Body>>> = RefCell::new(Pool::default());
    static SWEEPER_RUNNING: Cell<bool> = const { Cell::new(false) };
}

/// Why an exchange with the upstream failed.
#[derive(Debug)]
pub enum ExchangeError {
    /// No connection could be made (refused, unresolvable, TLS handshake, connect timeout):
    /// the upstream never saw the request, so it may be tried again.
    Connect(BoxError),
    /// The connection failed while the request or its answer was under way; `reused` when it
    /// had served earlier requests.
    Send { error: hyper::Error, reused: bool },
}

impl ExchangeError {
    /// No connection was made because the upstream's host name did not resolve.
    pub fn is_name_not_resolved(&self) -> bool {
        matches!(self, ExchangeError::Connect(e) if is_name_not_resolved(e.as_ref()))
    }

    /// Whether the request (part of it at least) went out to the upstream.
    pub fn was_sent(&self) -> bool {
        matches!(self, ExchangeError::Send { .. })
    }

    /// The upstream answered with something that is not an HTTP response head (nginx's
    /// `invalid_header`, a case Kong does not pass to the next try).
    pub fn is_invalid_answer(&self) -> bool {
        matches!(self, ExchangeError::Send { error, .. } if error.is_parse())
    }

    /// A kept-alive connection the upstream closed just as the request went out (its idle
    /// timeout racing ours): no answer started, so an idempotent request may go out again.
    pub fn is_stale_connection(&self) -> bool {
        matches!(self, ExchangeError::Send { error, reused: true } if error.is_incomplete_message())
    }

    fn top(&self) -> &(dyn std::error::Error + 'static) {
        match self {
            ExchangeError::Connect(e) => e.as_ref(),
            ExchangeError::Send { error, .. } => error,
        }
    }

    /// The error and all its causes, for the access log and the 502's log line.
    pub fn describe(&self) -> String {
        let prefix = match self {
            ExchangeError::Connect(_) => "connect failed: ",
            ExchangeError::Send { .. } => "",
        };
        let mut text = [prefix, &self.top().to_string()].concat();
        let mut source = self.top().source();
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        text
    }

    /// Whether a timeout (the connect timeout, say) caused it.
    pub fn timed_out(&self) -> bool {
        let mut source = Some(self.top());
        while let Some(s) = source {
            if let Some(io) = s.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::TimedOut
            {
                return true;
            }
            source = s.source();
        }
        false
    }
}

/// Sends `request` (origin-form URI, final headers) to `key`'s upstream over an idle pooled
/// connection, or a new one. A request that a reused connection could not take (the upstream
/// closed it meanwhile) goes out again on another, as it never reached the upstream.
pub async fn exchange(
    key: PoolKey,
    mut request: Request<Body>,
) -> Result<Response<PooledBody>, ExchangeError> {
    loop {
        let (mut sender, served) = match take_idle(&key) {
            Some(idle) => idle,
            // Boxed: connecting (TLS state included) would otherwise make every request's
            // future kilobytes larger, and hyper moves that future once per request.
            None => (Box::pin(connect(&key)).await?, 0),
        };
        let reused = served > 0;
        match sender.try_send_request(request).await {
            Ok(response) => {
                // A connection that switched protocols (a WebSocket) belongs to its tunnel.
                let switched = response.status() == http::StatusCode::SWITCHING_PROTOCOLS;
                let lent = ReturnToPool {
                    key,
                    sender: (!switched).then_some(sender),
                    served: served + 1,
                };
                return Ok(response.map(|body| OnEndBody::new(body, lent)));
            }
            Err(mut failed) => match failed.take_message() {
                Some(unsent) if reused => request = unsent,
                _ => {
                    return Err(ExchangeError::Send {
                        error: failed.into_error(),
                        reused,
                    });
                }
            },
        }
    }
}

fn take_idle(key: &PoolKey) -> Option<(http1::SendRequest<Body>, u32)> {
    POOL.with(|pool| pool.borrow_mut().take(key, Instant::now()))
}

fn put_back(key: PoolKey, sender: http1::SendRequest<Body>, served: u32) {
    POOL.with(|pool| pool.borrow_mut().put(key, sender, served, Instant::now()));
    start_sweeper();
}

async fn connect(key: &PoolKey) -> Result<http1::SendRequest<Body>, ExchangeError> {
    let io = connector(key.client)
        .connect(&key.authority, key.tls_name.clone())
        .await
        .map_err(ExchangeError::Connect)?;
    let (sender, connection) = http1::handshake(io)
        .await
        .map_err(|e| ExchangeError::Connect(e.into()))?;
    let authority = key.authority.clone();
    tokio::spawn(async move {
        // With upgrades, a 101 answer hands the connection over to the response's upgrade.
        if let Err(e) = connection.with_upgrades().await {
            tracing::debug!("upstream connection to {authority} ended: {e}");
        }
    });
    Ok(sender)
}

/// Closes this thread's connections idle past the timeout, every few seconds while any are
/// pooled (a sender dropped here ends its connection task, which closes the socket).
fn start_sweeper() {
    if SWEEPER_RUNNING.with(|running| running.replace(true)) {
        return;
    }
    if tokio::runtime::Handle::try_current().is_err() {
        SWEEPER_RUNNING.with(|running| running.set(false));
        return;
    }
    tokio::spawn(async {
        loop {
            tokio::time::sleep(SWEEP_EVERY).await;
            let empty = POOL.with(|pool| pool.borrow_mut().sweep(Instant::now()));
            if empty {
                SWEEPER_RUNNING.with(|running| running.set(false));
                return;
            }
        }
    });
}

/// An upstream response body that hands its connection back to the pool once read to the end.
pub type PooledBody = OnEndBody<Incoming, ReturnToPool>;

/// A connection lent to one response: back to the pool when the answer was read whole,
/// otherwise closed (the rest of that answer would be read as the next one's).
pub struct ReturnToPool {
    key: PoolKey,
    /// `None` when the connection was handed over (a 101 answer).
    sender: Option<http1::SendRequest<Body>>,
    /// Requests the connection has served, this one included.
    served: u32,
}

impl OnEnd for ReturnToPool {
    fn ended(self, state: EndState) {
        if let (EndState::Complete, Some(sender)) = (state, self.sender) {
            put_back(self.key, sender, self.served);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in connection: `id` tells which one came back.
    struct Fake {
        id: usize,
        ready: bool,
        closed: bool,
    }

    impl Pooled for Fake {
        fn is_ready(&self) -> bool {
            self.ready
        }
        fn is_closed(&self) -> bool {
            self.closed
        }
    }

    fn open(id: usize) -> Fake {
        Fake {
            id,
            ready: true,
            closed: false,
        }
    }

    fn key(authority: &str) -> PoolKey {
        PoolKey {
            client: ClientKey::default(),
            authority: authority.into(),
            tls_name: None,
        }
    }

    #[test]
    fn the_most_recently_used_connection_is_taken_first_and_keys_stay_apart() {
        let (mut pool, now) = (Pool::default(), Instant::now());
        pool.put(key("a:80"), open(1), 1, now);
        pool.put(key("a:80"), open(2), 1, now);
        pool.put(key("b:80"), open(3), 1, now);
        assert_eq!(pool.take(&key("a:80"), now).map(|(c, _)| c.id), Some(2));
        assert_eq!(pool.take(&key("a:80"), now).map(|(c, _)| c.id), Some(1));
        assert!(pool.take(&key("a:80"), now).is_none());
        assert_eq!(pool.take(&key("b:80"), now).map(|(c, _)| c.id), Some(3));
        assert!(pool.sweep(now), "the sweep drops emptied keys");
    }

    #[test]
    fn connections_made_for_different_tls_names_are_kept_apart() {
        let (mut pool, now) = (Pool::default(), Instant::now());
        let named = |name: &str| PoolKey {
            tls_name: Some(ServerName::try_from(name.to_string()).unwrap()),
            ..key("a:443")
        };
        pool.put(named("x.test"), open(1), 1, now);
        assert!(pool.take(&named("y.test"), now).is_none());
        assert!(pool.take(&key("a:443"), now).is_none());
        assert_eq!(pool.take(&named("x.test"), now).map(|(c, _)| c.id), Some(1));
    }

    #[test]
    fn beyond_the_per_address_limit_the_oldest_idle_connection_is_closed() {
        let (mut pool, now) = (Pool::default(), Instant::now());
        for id in 0..=MAX_IDLE_PER_KEY {
            pool.put(key("a:80"), open(id), 1, now);
        }
        let mut kept = Vec::new();
        while let Some((c, _)) = pool.take(&key("a:80"), now) {
            kept.push(c.id);
        }
        assert_eq!(kept.len(), MAX_IDLE_PER_KEY);
        assert!(!kept.contains(&0), "the oldest went");
        assert_eq!(kept[0], MAX_IDLE_PER_KEY, "the newest stayed");
    }

    #[test]
    fn a_connection_idle_for_the_timeout_is_not_used_again() {
        let (mut pool, now) = (Pool::default(), Instant::now());
        pool.put(key("a:80"), open(1), 1, now);
        let almost = now + IDLE_TIMEOUT - Duration::from_millis(1);
        assert_eq!(pool.take(&key("a:80"), almost).map(|(c, _)| c.id), Some(1));

        pool.put(key("a:80"), open(2), 1, now);
        assert!(pool.take(&key("a:80"), now + IDLE_TIMEOUT).is_none());
        assert!(
            pool.idle[&key("a:80")].is_empty(),
            "the expired connection was let go"
        );
    }

    #[test]
    fn a_connection_that_served_its_share_of_requests_is_closed() {
        let (mut pool, now) = (Pool::default(), Instant::now());
        pool.put(key("a:80"), open(1), MAX_REQUESTS_PER_CONNECTION - 1, now);
        assert_eq!(
            pool.take(&key("a:80"), now)
                .map(|(c, served)| (c.id, served)),
            Some((1, MAX_REQUESTS_PER_CONNECTION - 1))
        );
        pool.put(key("a:80"), open(1), MAX_REQUESTS_PER_CONNECTION, now);
        assert!(pool.take(&key("a:80"), now).is_none());
    }

    #[test]
    fn busy_and_closed_connections_are_passed_over() {
        let (mut pool, now) = (Pool::default(), Instant::now());
        pool.put(key("a:80"), open(1), 1, now);
        let busy = Fake {
            ready: false,
            ..open(2)
        };
        pool.put(key("a:80"), busy, 1, now);
        let closed = Fake {
            closed: true,
            ..open(3)
        };
        pool.put(key("a:80"), closed, 1, now);
        assert_eq!(pool.take(&key("a:80"), now).map(|(c, _)| c.id), Some(1));
    }

    #[test]
    fn the_sweep_closes_expired_connections_and_reports_an_empty_pool() {
        let (mut pool, start) = (Pool::default(), Instant::now());
        pool.put(key("a:80"), open(1), 1, start);
        pool.put(key("b:80"), open(2), 1, start + Duration::from_secs(30));
        assert!(!pool.sweep(start + IDLE_TIMEOUT));
        assert!(!pool.idle.contains_key(&key("a:80")));
        assert_eq!(pool.idle[&key("b:80")].len(), 1);
        assert!(pool.sweep(start + IDLE_TIMEOUT + Duration::from_secs(30)));
    }
}
