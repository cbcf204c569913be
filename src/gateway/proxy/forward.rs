//! Sending a request upstream: target choice (the balancer on each try), the headers the
//! upstream gets (the client's, less hop-by-hop ones, plus `Host`, `Via` and
//! `X-Forwarded-*`), timeouts (`write_timeout` while a streamed body goes out, then
//! `read_timeout` for the answer), and retries as Kong's nginx makes them
//! (`proxy_next_upstream error timeout`, up to the service's `retries`).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, Version};
use rustls::pki_types::ServerName;

use super::address::{Address, default_port};
use super::balancer::{Balancer, Session};
use super::body::{ReplaySlot, SendProgress};
use super::headers::{Forwarded, X_KONG_REQUEST_ID, remove_for_upstream, set_forwarded, set_via};
use super::health::Report;
use super::upstream_client::ClientKey;
use super::upstream_pool::{self, ExchangeError, PoolKey, PooledBody};
use super::websocket;
use crate::gateway::plugins::{Body, UpstreamTarget, full_body};

/// The request body in a form that can be sent more than once when possible.
pub enum RequestBody {
    Empty,
    Bytes(Bytes),
    Stream(ReplaySlot),
}

impl RequestBody {
    fn for_attempt(&self) -> Option<Body> {
        match self {
            RequestBody::Empty => Some(full_body(Bytes::new())),
            RequestBody::Bytes(b) => Some(full_body(b.clone())),
            RequestBody::Stream(slot) => slot.is_intact().then(|| slot.body()),
        }
    }

    /// Whether another attempt could still send the whole body.
    fn for_attempt_possible(&self) -> bool {
        match self {
            RequestBody::Stream(slot) => slot.is_intact(),
            _ => true,
        }
    }
}

/// How to reach the upstream for this request.
pub struct Plan<'a> {
    /// Which connector (connect timeout, certificate checks) reaches the upstream.
    pub client: ClientKey,
    pub target: &'a UpstreamTarget,
    /// When set, each try asks the balancer for a target (retries move on to the next one).
    pub balancer: Option<&'a Balancer>,
    /// What the balancer keeps about this request over its tries.
    pub session: &'a Session,
    /// `target`'s address worked out in advance (the service's own, when no plugin changed
    /// where the request goes).
    pub address: Option<&'a Address>,
    pub read_timeout: Duration,
    /// The longest pause allowed between two parts of a streamed request body going out.
    pub write_timeout: Duration,
    pub retries: u32,
    pub outgoing: Outgoing<'a>,
}

/// What the upstream request carries besides the client's headers.
pub struct Outgoing<'a> {
    pub forwarded: Forwarded<'a>,
    /// `X-Kong-Request-Id`, which Kong 3.5+ sends upstream by default (`headers_upstream`), so
    /// the upstream's logs can be joined with the gateway's; None if it cannot be a header.
    pub request_id: Option<&'a HeaderValue>,
    /// The client asked for a WebSocket: the upstream is asked for one too.
    pub websocket: bool,
}

/// Headers `build_request` adds to the client's: `Host`, `Via`, up to six `X-Forwarded-*`,
/// `X-Real-IP`, `X-Kong-Request-Id` and two for a WebSocket. Room for them is made at once
/// rather than by growing the map.
const ADDED_HEADERS: usize = 12;

pub struct Upstreamed {
    pub response: Response<PooledBody>,
    /// `host:port` of the target that answered.
    pub target: Arc<str>,
    pub tries: u32,
    /// From sending the request to receiving the response head.
    pub latency: Duration,
}

#[derive(Debug)]
pub enum ForwardError {
    /// 502: refused, reset, or an invalid answer.
    Failed {
        target: Arc<str>,
        reason: String,
        tries: u32,
    },
    /// 504: no answer in time.
    TimedOut {
        target: Arc<str>,
        reason: String,
        tries: u32,
    },
    /// 503: the upstream has no usable target.
    NoTarget,
    /// 503: the service's host name did not resolve (Kong answers "name resolution failed"
    /// before any try).
    NameNotResolved { target: Arc<str>, reason: String },
}

/// What became of a try that got no answer, in the terms of nginx's `proxy_next_upstream`.
struct Failure {
    reason: String,
    /// A timeout (504 if it is the last try) rather than an error (502).
    timed_out: bool,
    /// The request went out, at least in part, so the upstream may have acted on it.
    sent: bool,
    /// Kong leaves nginx's default `proxy_next_upstream error timeout`: a connection error or
    /// a timeout moves on to the next try, an invalid answer (`invalid_header`) does not.
    passes_on: bool,
}

impl Failure {
    fn of_exchange(error: &ExchangeError) -> Failure {
        Failure {
            reason: error.describe(),
            timed_out: error.timed_out(),
            sent: error.was_sent(),
            passes_on: !error.is_invalid_answer(),
        }
    }

    /// `read_timeout` or `write_timeout` ran out: the request had gone out.
    fn timeout(reason: String) -> Failure {
        Failure {
            reason,
            timed_out: true,
            sent: true,
            passes_on: true,
        }
    }

    /// Whether another try may follow, as far as this failure and the method go.
    fn allows_another_try(&self, method: &Method) -> bool {
        self.passes_on && (!self.sent || may_send_again(method))
    }

    fn into_error(self, target: Arc<str>, tries: u32) -> ForwardError {
        let Failure {
            reason, timed_out, ..
        } = self;
        if timed_out {
            ForwardError::TimedOut {
                target,
                reason,
                tries,
            }
        } else {
            ForwardError::Failed {
                target,
                reason,
                tries,
            }
        }
    }
}

/// Whether a request that already went out to one upstream may go out again. nginx (1.9.13+)
/// never passes POST, LOCK or PATCH on once sent, unless `proxy_next_upstream` has
/// `non_idempotent`, which Kong does not set; every other method may go again.
fn may_send_again(method: &Method) -> bool {
    !(method == Method::POST || method == Method::PATCH || method.as_str() == "LOCK")
}

/// Sends `head` (whose headers are final except `Host`) with `body` per `plan`.
///
/// As Kong on nginx: a try that fails to connect, breaks, or times out before the answer's
/// head arrived moves on to the next try (the next target when balanced), up to the
/// service's `retries`; a POST, PATCH or LOCK that went out is not sent again, nor is a
/// streamed body that can no longer be replayed. Every failed try counts for passive health.
pub async fn send(
    plan: &Plan<'_>,
    head: &http::request::Parts,
    body: RequestBody,
) -> Result<Upstreamed, ForwardError> {
    let mut tries = 0;
    loop {
        let picked = match plan.balancer {
            Some(b) => Some(b.pick(plan.session).ok_or(ForwardError::NoTarget)?),
            None => None,
        };
        tries += 1;
        // Passive health checks count what became of each try on a balanced target.
        let report = |report: Report| {
            if let (Some(b), Some(t)) = (plan.balancer, picked) {
                b.report(t, report);
            }
        };
        // Precomputed for the service's own address and for balancer targets; only a target
        // a plugin chose is worked out here.
        let chosen;
        let address = match (picked, plan.address) {
            (Some(t), _) => &t.address,
            (None, Some(address)) => address,
            (None, None) => {
                chosen = Address::new(&plan.target.host, plan.target.port);
                &chosen
            }
        };
        let authority = address.authority.clone();
        let Some(attempt_body) = body.for_attempt() else {
            return Err(ForwardError::Failed {
                target: authority,
                reason: "request body already sent; cannot retry".into(),
                tries,
            });
        };
        let failed = |reason| ForwardError::Failed {
            target: address.authority.clone(),
            reason,
            tries,
        };
        let request = build_request(plan, head, address, attempt_body).map_err(failed)?;
        let tls_name = match plan.target.scheme {
            "https" => Some(tls_name(&request, &authority).map_err(failed)?),
            _ => None,
        };
        let key = PoolKey {
            client: plan.client,
            authority: authority.clone(),
            tls_name,
        };
        let sent = Instant::now();
        let exchange = upstream_pool::exchange(key, request);
        let outcome = match &body {
            RequestBody::Stream(slot) => {
                within_send_timeouts(plan, slot.progress(), exchange).await
            }
            _ => tokio::time::timeout(plan.read_timeout, exchange)
                .await
                .map_err(|_| read_timed_out(plan)),
        };
        let failure = match outcome {
            Ok(Ok(response)) => {
                report(Report::Status(response.status().as_u16()));
                return Ok(Upstreamed {
                    response,
                    target: authority,
                    tries,
                    latency: sent.elapsed(),
                });
            }
            Ok(Err(e))
                if e.is_stale_connection()
                    && may_send_again(&head.method)
                    && body.for_attempt_possible() =>
            {
                // Not the upstream's failure, and not a try: the same request on a new
                // connection (nginx does not count a kept-alive connection's error either).
                tracing::debug!("upstream {authority} closed a kept-alive connection; resending");
                tries -= 1;
                continue;
            }
            Ok(Err(e)) if e.is_name_not_resolved() => {
                let reason = e.describe();
                let (Some(balancer), Some(target)) = (plan.balancer, picked) else {
                    return Err(ForwardError::NameNotResolved {
                        target: authority,
                        reason,
                    });
                };
                // Kong's balancer holds no address for a target whose name does not resolve:
                // it is not a try, the request's later picks leave it out, and with no other
                // target the answer is the balancer's 503.
                tracing::warn!("upstream target {authority} is passed over: {reason}");
                balancer.pass_over(plan.session, target);
                tries -= 1;
                continue;
            }
            Ok(Err(e)) => Failure::of_exchange(&e),
            Err(reason) => Failure::timeout(reason),
        };
        report(if failure.timed_out {
            Report::Timeout
        } else {
            Report::TcpFailure
        });
        if tries <= plan.retries
            && failure.allows_another_try(&head.method)
            && body.for_attempt_possible()
        {
            tracing::debug!("upstream {authority} failed ({}); retrying", failure.reason);
            continue;
        }
        return Err(failure.into_error(authority, tries));
    }
}

/// The TLS name for an https upstream: the `Host` the request carries upstream, without its
/// port. Kong sets nginx's `proxy_ssl_name $upstream_host` with `proxy_ssl_server_name on`, so
/// the SNI, and the name a verified certificate must carry, follow `preserve_host` and the
/// upstream's `host_header`. An IP address is checked but not sent as SNI (RFC 6066), by
/// rustls as by nginx.
fn tls_name(request: &Request<Body>, authority: &str) -> Result<ServerName<'static>, String> {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(without_port);
    if let Some(name) = host.and_then(|h| ServerName::try_from(h.to_string()).ok()) {
        return Ok(name);
    }
    // A Host that cannot be a TLS name (a client's, with `preserve_host`) leaves the name of
    // the address connected to.
    let host = without_port(authority);
    ServerName::try_from(host.to_string())
        .map_err(|_| format!("{host:?} cannot be a TLS server name"))
}

/// `host` from `host:port`, `[v6]:port` or a bare host (brackets dropped).
fn without_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split_once(']').map_or(rest, |(v6, _)| v6);
    }
    host.split_once(':').map_or(host, |(name, _)| name)
}

fn read_timed_out(plan: &Plan<'_>) -> String {
    format!(
        "no response within read_timeout ({} ms)",
        plan.read_timeout.as_millis()
    )
}

/// Runs `exchange` while a streamed body is sent: it fails when the upstream takes no part of
/// the body for `write_timeout`, or, once the body is all sent, gives no answer within
/// `read_timeout` (Kong's timeouts "between two successive write/read operations").
async fn within_send_timeouts<F: Future>(
    plan: &Plan<'_>,
    progress: &SendProgress,
    exchange: F,
) -> Result<F::Output, String> {
    progress.moved();
    tokio::pin!(exchange);
    loop {
        let (last, finished) = progress.last();
        let allowed = if finished {
            plan.read_timeout
        } else {
            plan.write_timeout
        };
        let deadline = last + allowed;
        if deadline <= tokio::time::Instant::now() {
            return Err(if finished {
                read_timed_out(plan)
            } else {
                format!(
                    "the upstream took no part of the request body within write_timeout ({} ms)",
                    plan.write_timeout.as_millis()
                )
            });
        }
        tokio::select! {
            output = &mut exchange => return Ok(output),
            // Progress may have moved the deadline: look again.
            () = tokio::time::sleep_until(deadline) => {}
            // From now on the deadline is `read_timeout`'s, which may come sooner.
            () = progress.all_sent(), if !finished => {}
        }
    }
}

fn build_request(
    plan: &Plan<'_>,
    head: &http::request::Parts,
    address: &Address,
    body: Body,
) -> Result<Request<Body>, String> {
    let target = plan.target;
    let mut request = Request::new(body);
    *request.method_mut() = head.method.clone();
    // Origin form: the connection already leads to `authority`.
    *request.uri_mut() = http::Uri::try_from(target.path_and_query.as_str()).map_err(|e| {
        format!(
            "invalid upstream URI \"{}://{}{}\": {e}",
            target.scheme, address.authority, target.path_and_query
        )
    })?;
    *request.version_mut() = Version::HTTP_11;
    let headers = request.headers_mut();
    *headers = head.headers.clone();
    headers.reserve(ADDED_HEADERS);
    remove_for_upstream(headers);
    if plan.outgoing.websocket {
        websocket::ask_upstream(headers);
    }
    set_forwarded(headers, &plan.outgoing.forwarded);
    match plan.outgoing.request_id {
        Some(id) => headers.insert(X_KONG_REQUEST_ID, id.clone()),
        // A client's own must not pass for the gateway's.
        None => headers.remove(X_KONG_REQUEST_ID),
    };
    set_via(headers, head.version);
    let upstreams_host = plan.balancer.and_then(|b| b.host_header.as_deref());
    let host_header = match (&target.host_header, upstreams_host) {
        (Some(h), _) => {
            HeaderValue::from_str(h).map_err(|_| format!("invalid Host header {h:?}"))?
        }
        // Kong: the upstream's `host_header` with the port of the target picked (unless it is
        // the scheme's default), as nginx is told to connect there.
        (None, Some(h)) if address.port == default_port(target.scheme) => {
            HeaderValue::from_str(h).map_err(|_| format!("invalid Host header {h:?}"))?
        }
        (None, Some(h)) => HeaderValue::try_from(format!("{h}:{}", address.port))
            .map_err(|_| format!("invalid Host header {h:?}"))?,
        (None, None) => address.host_header(target.scheme)?,
    };
    request.headers_mut().insert(header::HOST, host_header);
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tls_name_leaves_out_the_port_and_brackets() {
        assert_eq!(without_port("api.test:8443"), "api.test");
        assert_eq!(without_port("api.test"), "api.test");
        assert_eq!(without_port("[::1]:443"), "::1");
        assert_eq!(without_port("[::1]"), "::1");
    }

    #[test]
    fn only_post_patch_and_lock_are_never_sent_twice() {
        for method in ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "PURGE"] {
            assert!(may_send_again(&method.parse().unwrap()), "{method}");
        }
        for method in ["POST", "PATCH", "LOCK"] {
            assert!(!may_send_again(&method.parse().unwrap()), "{method}");
        }
    }
}
