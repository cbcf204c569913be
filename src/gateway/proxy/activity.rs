//! Whether a client connection carries requests, so that one left idle can be closed.
//!
//! hyper's HTTP/1 head timer already closes idle keep-alive connections, but HTTP/2 has no
//! idle timer in hyper: a client that answers pings could hold a connection open forever.
//! Kong (nginx) closes those after its keepalive timeout; so does the proxy, counting each
//! request from its head until its response body has gone out, however long it streams.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::body::{EndState, OnEnd};

/// The requests in progress on one connection, and since when it has had none.
pub struct Activity {
    in_flight: AtomicUsize,
    started: Instant,
    /// Milliseconds after `started` when the last request ended (0: none yet).
    idle_since_ms: AtomicU64,
    ended: Notify,
}

impl Activity {
    pub fn new() -> Arc<Activity> {
        Arc::new(Activity {
            in_flight: AtomicUsize::new(0),
            started: Instant::now(),
            idle_since_ms: AtomicU64::new(0),
            ended: Notify::new(),
        })
    }

    /// Counts a request as in progress until the returned guard is dropped.
    pub fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self.clone())
    }

    /// When the connection will have been idle for `timeout`; `None` while a request is on.
    fn idle_deadline(&self, timeout: Duration) -> Option<Instant> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return None;
        }
        let since = Duration::from_millis(self.idle_since_ms.load(Ordering::SeqCst));
        Some(self.started + since + timeout)
    }

    /// Completes once the connection has carried no request for `timeout`.
    pub async fn idle_for(&self, timeout: Duration) {
        loop {
            let ended = self.ended.notified();
            tokio::pin!(ended);
            // Registered before the state is read, so a request ending meanwhile is not missed.
            ended.as_mut().enable();
            match self.idle_deadline(timeout) {
                Some(deadline) if deadline <= Instant::now() => return,
                Some(deadline) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(deadline) => {}
                        () = ended => {}
                    }
                }
                None => ended.await,
            }
        }
    }
}

/// A request in progress; dropping it ends it.
pub struct InFlight(Arc<Activity>);

/// Ends the request when its response body ends.
impl OnEnd for InFlight {
    fn ended(self, _: EndState) {}
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let activity = &self.0;
        if activity.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            let since = activity.started.elapsed().as_millis() as u64;
            activity.idle_since_ms.store(since, Ordering::SeqCst);
        }
        activity.ended.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn idle_counts_from_the_end_of_the_last_request() {
        let activity = Activity::new();
        let timeout = Duration::from_secs(60);
        let request = activity.begin();
        // A request lasting longer than the timeout keeps the connection busy.
        tokio::time::sleep(Duration::from_secs(90)).await;
        let waiting = tokio::spawn({
            let activity = activity.clone();
            async move {
                activity.idle_for(timeout).await;
                Instant::now()
            }
        });
        tokio::time::sleep(Duration::from_secs(10)).await;
        let ended = Instant::now();
        drop(request);
        let idle_at = waiting.await.unwrap();
        assert!(idle_at >= ended + timeout, "closed while busy or too early");
        assert!(idle_at < ended + timeout + Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_without_requests_is_idle_from_its_start() {
        let activity = Activity::new();
        let started = Instant::now();
        activity.idle_for(Duration::from_secs(5)).await;
        assert!(started.elapsed() >= Duration::from_secs(5));
    }
}
