//! Streaming answers: a provider's SSE events in, OpenAI `chat.completion.chunk` SSE out,
//! translated event by event as the bytes arrive (nothing is buffered beyond one event).

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use serde_json::{Value, json};

use super::completions::chunk_to_text_completion;
use super::sse::{SseEvent, SseParser, write_data};
use super::usage::{ExchangeSlot, Usage};
use crate::gateway::plugins::{Body, BoxError};

/// What a provider's event becomes on the client side.
#[derive(Debug, Clone, PartialEq)]
pub enum Emit {
    /// An OpenAI chunk to serialize.
    Chunk(Value),
    /// A payload to send as is (already OpenAI-shaped).
    Verbatim(String),
    /// The end: `data: [DONE]`.
    Done,
}

/// One provider's event translation, with the state a stream needs.
pub trait EventTranslator: Send + Sync {
    fn event(&mut self, event: SseEvent, out: &mut Vec<Emit>);
    /// The upstream stream ended.
    fn finish(&mut self, _out: &mut Vec<Emit>) {}
    fn usage(&self) -> Option<Usage>;
    fn model(&self) -> Option<&str>;
}

/// Bytes in, bytes out: parses SSE, runs the provider's translator, writes OpenAI SSE and
/// makes sure the stream ends with exactly one `data: [DONE]`.
pub struct SseTranslator {
    parser: SseParser,
    inner: Box<dyn EventTranslator>,
    as_text_completion: bool,
    done: bool,
    events: Vec<SseEvent>,
    emits: Vec<Emit>,
}

impl SseTranslator {
    pub fn new(inner: Box<dyn EventTranslator>, as_text_completion: bool) -> SseTranslator {
        SseTranslator {
            parser: SseParser::new(),
            inner,
            as_text_completion,
            done: false,
            events: Vec::new(),
            emits: Vec::new(),
        }
    }

    /// Translates the events completed by `chunk`.
    pub fn push(&mut self, chunk: &[u8]) -> Bytes {
        self.parser.push(chunk, &mut self.events);
        self.drain_events()
    }

    /// The upstream ended normally.
    pub fn finish(&mut self) -> Bytes {
        self.parser.finish(&mut self.events);
        let mut out = self.drain_events().to_vec();
        if !self.done {
            self.inner.finish(&mut self.emits);
            self.write_emits(&mut out);
        }
        self.write_done(&mut out);
        Bytes::from(out)
    }

    /// The upstream failed mid-stream: tell the client in OpenAI's error shape, then end.
    pub fn fail(&mut self, message: &str) -> Bytes {
        let mut out = Vec::new();
        if !self.done {
            let error = json!({"error": {"message": format!("upstream stream failed: {message}"),
                                         "type": "upstream_error"}});
            write_data(&mut out, &error.to_string());
        }
        self.write_done(&mut out);
        Bytes::from(out)
    }

    pub fn usage(&self) -> Option<Usage> {
        self.inner.usage()
    }

    pub fn model(&self) -> Option<&str> {
        self.inner.model()
    }

    fn drain_events(&mut self) -> Bytes {
        if self.events.is_empty() {
            return Bytes::new();
        }
        let mut out = Vec::new();
        // Taken and put back so the buffer's allocation is reused for the next chunk.
        let mut events = std::mem::take(&mut self.events);
        for event in events.drain(..) {
            if self.done {
                continue;
            }
            self.inner.event(event, &mut self.emits);
            self.write_emits(&mut out);
        }
        self.events = events;
        Bytes::from(out)
    }

    fn write_emits(&mut self, out: &mut Vec<u8>) {
        let mut emits = std::mem::take(&mut self.emits);
        for emit in emits.drain(..) {
            if self.done {
                continue;
            }
            match emit {
                Emit::Chunk(chunk) => {
                    let chunk = if self.as_text_completion && chunk.get("choices").is_some() {
                        chunk_to_text_completion(&chunk)
                    } else {
                        chunk
                    };
                    write_data(out, &chunk.to_string());
                }
                Emit::Verbatim(payload) => write_data(out, &payload),
                Emit::Done => self.write_done(out),
            }
        }
        self.emits = emits;
    }

    fn write_done(&mut self, out: &mut Vec<u8>) {
        if !self.done {
            self.done = true;
            write_data(out, "[DONE]");
        }
    }
}

/// A response body translated by an [`SseTranslator`]; records usage into the request's
/// [`ExchangeSlot`] as soon as it is known, so the access log has it even if the client
/// goes away early.
pub struct TranslatedBody {
    inner: Body,
    translator: SseTranslator,
    slot: ExchangeSlot,
    recorded: Option<Usage>,
    finished: bool,
}

impl TranslatedBody {
    pub fn new(inner: Body, translator: SseTranslator, slot: ExchangeSlot) -> TranslatedBody {
        TranslatedBody {
            inner,
            translator,
            slot,
            recorded: None,
            finished: false,
        }
    }

    fn record(&mut self) {
        let usage = self.translator.usage();
        if usage.is_some() && usage != self.recorded {
            self.recorded = usage;
            let model = self.translator.model().map(str::to_string);
            self.slot.update(|exchange| {
                exchange.usage = usage;
                if model.is_some() {
                    exchange.response_model = model;
                }
            });
        }
    }
}

impl HttpBody for TranslatedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        loop {
            if this.finished {
                return Poll::Ready(None);
            }
            let out = match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => this.translator.push(&data),
                    Err(_trailers) => continue,
                },
                Some(Err(error)) => {
                    this.finished = true;
                    this.translator.fail(&error.to_string())
                }
                None => {
                    this.finished = true;
                    this.translator.finish()
                }
            };
            this.record();
            if !out.is_empty() {
                return Poll::Ready(Some(Ok(Frame::data(out))));
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.finished
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}
