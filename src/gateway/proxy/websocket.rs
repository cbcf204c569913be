//! WebSocket connections through the proxy, as Kong passes them: a request with
//! `Upgrade: websocket` goes upstream with `Connection: keep-alive, Upgrade` and
//! `Upgrade: websocket` (after the route's plugins have let it through); when the upstream
//! answers `101 Switching Protocols`, the client gets that answer and both connections become
//! one tunnel that carries bytes both ways until either side closes, or until nothing has
//! moved either way for the service's `read_timeout` (nginx's `proxy_read_timeout`, which Kong
//! sets from it). Other upgrades (`h2c`, TLS) are not passed on, as in Kong: the upstream
//! sees an ordinary request.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use http::header::{self, HeaderMap, HeaderValue};
use http::{StatusCode, Version};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

use super::balancer::Lease;

const WEBSOCKET: HeaderValue = HeaderValue::from_static("websocket");

/// The client's side of a WebSocket handshake, taken from its request when it asks for one.
pub struct Requested(OnUpgrade);

/// Takes the client's upgrade out of `request` when it asks for a WebSocket (HTTP/1.1 with
/// `Upgrade: websocket`, any case), so that the connection can be taken over on a 101.
pub fn requested(request: &mut http::request::Parts) -> Option<Requested> {
    let asks = request.version == Version::HTTP_11
        && request
            .headers
            .get(header::UPGRADE)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    if !asks {
        return None;
    }
    // hyper leaves this in the request of every HTTP/1.1 connection served with upgrades.
    request.extensions.remove::<OnUpgrade>().map(Requested)
}

/// Puts back the headers that ask the upstream for a WebSocket, which the hop-by-hop rules
/// removed.
pub fn ask_upstream(headers: &mut HeaderMap) {
    headers.insert(
        header::CONNECTION,
        HeaderValue::from_static("keep-alive, Upgrade"),
    );
    headers.insert(header::UPGRADE, WEBSOCKET);
}

/// Whether the upstream accepted the WebSocket.
pub fn accepted(status: StatusCode) -> bool {
    status == StatusCode::SWITCHING_PROTOCOLS
}

/// Puts back the headers of a 101 answer that the hop-by-hop rules removed.
pub fn answer_client(headers: &mut HeaderMap) {
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(header::UPGRADE, WEBSOCKET);
}

/// Joins the client's and the upstream's connections once both have switched protocols, on a
/// task of its own; it ends when either side closes or after `idle` without a byte either way.
/// `lease` (least-connections' count of the target) is held until then.
pub fn tunnel(
    client: Requested,
    upstream: OnUpgrade,
    idle: Duration,
    target: Arc<str>,
    lease: Option<Lease>,
) {
    tokio::spawn(async move {
        let _lease = lease.map(Lease::unmeasured);
        let (client, upstream) = match tokio::try_join!(client.0, upstream) {
            Ok(both) => both,
            Err(e) => {
                tracing::debug!("websocket to {target} did not open: {e}");
                return;
            }
        };
        let traffic = Traffic::default();
        let mut client = Tracked::new(TokioIo::new(client), &traffic);
        let mut upstream = Tracked::new(TokioIo::new(upstream), &traffic);
        tokio::select! {
            copied = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {
                if let Err(e) = copied {
                    tracing::debug!("websocket to {target} ended: {e}");
                }
            }
            () = traffic.idle_for(idle) => {
                tracing::debug!(
                    "websocket to {target} closed: nothing either way for {} ms",
                    idle.as_millis()
                );
            }
        }
    });
}

/// When bytes last moved through the tunnel, in milliseconds after it opened.
struct Traffic {
    opened: Instant,
    last_ms: Arc<AtomicU64>,
}

impl Default for Traffic {
    fn default() -> Self {
        Traffic {
            opened: Instant::now(),
            last_ms: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl Traffic {
    /// Resolves once nothing has moved for `idle`.
    async fn idle_for(&self, idle: Duration) {
        loop {
            let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let deadline = self.opened + last + idle;
            if deadline <= Instant::now() {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    }
}

/// A connection that records in its tunnel's [`Traffic`] when bytes go through it.
struct Tracked<T> {
    io: T,
    opened: Instant,
    last_ms: Arc<AtomicU64>,
}

impl<T> Tracked<T> {
    fn new(io: T, traffic: &Traffic) -> Self {
        Tracked {
            io,
            opened: traffic.opened,
            last_ms: traffic.last_ms.clone(),
        }
    }

    fn moved(&self, bytes: usize) {
        if bytes > 0 {
            let ms = self.opened.elapsed().as_millis() as u64;
            self.last_ms.store(ms, Ordering::Relaxed);
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Tracked<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            self.moved(buf.filled().len() - before);
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tracked<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = polled {
            self.moved(n);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
