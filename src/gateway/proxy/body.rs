//! Body wrappers the proxy streams through: a request body that can be taken back for a retry
//! while it is still untouched (and reports how its sending progresses, for `write_timeout`),
//! a response body with a per-read timeout, and a body that runs the log phase when it ends
//! (or the client goes away).

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use crate::gateway::plugins::{Body, BoxError};

/// Holds a streaming request body until the first attempt reads it. If the attempt fails
/// before reading (connection refused), the body is still in the slot and can be sent again.
#[derive(Clone)]
pub struct ReplaySlot(Arc<Mutex<Option<Body>>>, SendProgress);

impl ReplaySlot {
    pub fn new(body: Body) -> ReplaySlot {
        ReplaySlot(Arc::new(Mutex::new(Some(body))), SendProgress::default())
    }

    /// How sending the body is going.
    pub fn progress(&self) -> &SendProgress {
        &self.1
    }

    /// Whether the body has not been touched yet.
    pub fn is_intact(&self) -> bool {
        self.0.lock().map(|b| b.is_some()).unwrap_or(false)
    }

    /// A body that takes the content out of the slot on its first read.
    pub fn body(&self) -> Body {
        use http_body_util::BodyExt;
        let hint = self
            .0
            .lock()
            .ok()
            .and_then(|b| b.as_ref().map(HttpBody::size_hint))
            .unwrap_or_default();
        SlotBody {
            slot: self.clone(),
            taken: None,
            hint,
        }
        .boxed()
    }
}

struct SlotBody {
    slot: ReplaySlot,
    taken: Option<Body>,
    hint: SizeHint,
}

impl HttpBody for SlotBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.taken.is_none() {
            let body = self.slot.0.lock().ok().and_then(|mut b| b.take());
            match body {
                Some(body) => self.taken = Some(body),
                None => return Poll::Ready(None),
            }
        }
        let polled = match self.taken.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        };
        let at_end = self.is_end_stream();
        match &polled {
            // A body of known length is not polled again after its last part (hyper stops
            // once the length is written), so the last part is when it is all sent.
            Poll::Ready(Some(Ok(_))) if at_end => self.slot.1.finished(),
            // The connection asks for the next frame once it has taken the previous one.
            Poll::Ready(Some(Ok(_))) => self.slot.1.moved(),
            Poll::Ready(None) => self.slot.1.finished(),
            _ => {}
        }
        polled
    }

    fn size_hint(&self) -> SizeHint {
        self.taken.as_ref().map_or(self.hint, HttpBody::size_hint)
    }

    fn is_end_stream(&self) -> bool {
        match &self.taken {
            Some(body) => body.is_end_stream(),
            None => self.hint.exact() == Some(0),
        }
    }
}

/// When a streaming request body last moved towards the upstream, and whether all of it has:
/// the proxy allows `write_timeout` between two moves, then `read_timeout` for the answer.
#[derive(Clone, Default)]
pub struct SendProgress(Arc<Progress>);

#[derive(Default)]
struct Progress {
    state: Mutex<(Option<Instant>, bool)>,
    /// Wakes whoever waits with the (usually longer) `write_timeout` when the body is all
    /// sent, so that `read_timeout` applies from then on.
    all_sent: tokio::sync::Notify,
}

impl SendProgress {
    fn update(&self, finished: bool) {
        if let Ok(mut p) = self.0.state.lock() {
            *p = (Some(Instant::now()), p.1 || finished);
        }
    }

    /// A part of the body moved (or an attempt starts sending: the clock for its first part
    /// starts then).
    pub fn moved(&self) {
        self.update(false);
    }

    fn finished(&self) {
        self.update(true);
        // A permit is kept if no one waits yet, so the news is not lost.
        self.0.all_sent.notify_one();
    }

    /// Returns once the whole body has been sent (soon after, at worst).
    pub async fn all_sent(&self) {
        self.0.all_sent.notified().await;
    }

    /// The last move (or the start), and whether the whole body has been sent.
    pub fn last(&self) -> (Instant, bool) {
        let (last, finished) = self.0.state.lock().map(|p| *p).unwrap_or((None, false));
        (last.unwrap_or_else(Instant::now), finished)
    }
}

/// An upstream response body whose every read must complete within `timeout` (the service's
/// `read_timeout`, "between two successive read operations" as in nginx).
pub struct ReadTimeoutBody<B> {
    inner: B,
    timeout: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl<B> ReadTimeoutBody<B> {
    pub fn new(inner: B, timeout: Duration) -> Self {
        ReadTimeoutBody {
            inner,
            timeout,
            sleep: None,
        }
    }
}

impl<B> HttpBody for ReadTimeoutBody<B>
where
    B: HttpBody<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.sleep = None;
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                let timeout = this.timeout;
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                ready!(sleep.as_mut().poll(cx));
                Poll::Ready(Some(Err("upstream read timed out".into())))
            }
        }
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
}

/// Whether `polled`, a frame just polled from `body`, ended it, and how: its last frame came
/// (hyper polls no further once `is_end_stream` says so), or it failed.
fn ended_by<B: HttpBody, T, E>(polled: &Poll<Option<Result<T, E>>>, body: &B) -> Option<EndState> {
    match polled {
        Poll::Ready(None) => Some(EndState::Complete),
        Poll::Ready(Some(Err(_))) => Some(EndState::Failed),
        Poll::Ready(Some(Ok(_))) if body.is_end_stream() => Some(EndState::Complete),
        _ => None,
    }
}

/// How a response body ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndState {
    Complete,
    Failed,
    ClientGone,
}

/// What runs when an `OnEndBody` ends.
pub trait OnEnd {
    fn ended(self, state: EndState);
}

/// Runs `on_end` once, when the body has been fully sent, failed, or was dropped because the
/// client went away (or was dropped unread).
pub struct OnEndBody<B: HttpBody, F: OnEnd> {
    inner: B,
    on_end: Option<F>,
}

impl<B: HttpBody, F: OnEnd> OnEndBody<B, F> {
    pub fn new(inner: B, on_end: F) -> OnEndBody<B, F> {
        OnEndBody {
            inner,
            on_end: Some(on_end),
        }
    }

    fn finish(&mut self, state: EndState) {
        if let Some(f) = self.on_end.take() {
            f.ended(state);
        }
    }
}

impl<B, F> HttpBody for OnEndBody<B, F>
where
    B: HttpBody<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
    F: OnEnd + Unpin,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Some(end) = ended_by(&polled, &self.inner) {
            self.finish(end);
        }
        polled.map(|frame| frame.map(|result| result.map_err(Into::into)))
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
}

impl<B: HttpBody, F: OnEnd> Drop for OnEndBody<B, F> {
    fn drop(&mut self) {
        // Bodies empty from the start (HEAD, 204, 304) may never be polled.
        let state = if self.inner.is_end_stream() {
            EndState::Complete
        } else {
            EndState::ClientGone
        };
        self.finish(state);
    }
}
