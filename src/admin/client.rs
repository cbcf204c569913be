//! One HTTP client for the Admin API: headers, TLS, retries with backoff honouring
//! `Retry-After`, an optional rate cap, and a count of requests sent.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::config::ClientConfig;
use super::error::AdminError;
use super::rate::RateLimiter;

static RING: Once = Once::new();

/// rustls is built without a default crypto provider; install ring once per process.
fn install_crypto_provider() {
    RING.call_once(|| {
        // Another part of the process may have installed one already; either is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// An answer from the gateway: status, the `ETag` (gwctl's revision) and the JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub etag: Option<String>,
    pub body: Value,
}

/// A cheap-to-clone handle on the Admin API.
#[derive(Debug, Clone)]
pub struct AdminClient {
    http: reqwest::Client,
    base: String,
    config: Arc<ClientConfig>,
    limiter: Option<Arc<RateLimiter>>,
    requests: Arc<AtomicUsize>,
}

impl AdminClient {
    pub fn new(config: ClientConfig) -> Result<Self, AdminError> {
        install_crypto_provider();
        let base = normalise_addr(&config.addr)?;
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::USER_AGENT,
            HeaderValue::from_static(concat!("gwctl/", env!("CARGO_PKG_VERSION"))),
        );
        for raw in &config.headers {
            // A header's value is usually a secret (a token): messages name the header only.
            let (name, value) = raw.split_once(':').ok_or_else(|| {
                AdminError::Config(format!(
                    "{} is not in the form 'Name: value'",
                    header_label(raw)
                ))
            })?;
            let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
                AdminError::Config(format!(
                    "{} has an invalid name: a header name is one token, without spaces",
                    header_label(raw)
                ))
            })?;
            let mut value = HeaderValue::from_str(value.trim())
                .map_err(|_| AdminError::Config(format!("invalid header value for '{name}'")))?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        let mut builder = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .pool_max_idle_per_host(64)
            .tcp_nodelay(true);
        if config.tls_skip_verify {
            builder = builder.danger_accept_invalid_certs(true);
        }
        if let Some(path) = &config.ca_cert {
            let pem = std::fs::read(path).map_err(|e| {
                AdminError::Config(format!("cannot read --ca-cert {}: {e}", path.display()))
            })?;
            let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| {
                AdminError::Config(format!(
                    "--ca-cert {} is not a PEM certificate: {e}",
                    path.display()
                ))
            })?;
            builder = builder.add_root_certificate(cert);
        }
        let http = builder
            .build()
            .map_err(|e| AdminError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(AdminClient {
            http,
            base,
            limiter: config.rps.map(|r| Arc::new(RateLimiter::new(r))),
            config: Arc::new(config),
            requests: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// The address as the user gave it (for messages).
    pub fn addr(&self) -> &str {
        &self.config.addr
    }

    /// How many HTTP requests this client (and its clones) has sent, retries included.
    pub fn request_count(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    pub async fn get(&self, path: &str) -> Result<Answer, AdminError> {
        self.send(Method::GET, path, None, &[]).await
    }

    /// Sends one request, retrying 429 and 5xx answers with backoff. Error statuses become
    /// [`AdminError::Http`] carrying the gateway's message and field errors.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        extra_headers: &[(&str, String)],
    ) -> Result<Answer, AdminError> {
        let url = format!("{}{}", self.base, path);
        let mut attempt = 0u32;
        loop {
            if let Some(limiter) = &self.limiter {
                limiter.acquire().await;
            }
            let mut request = self.http.request(method.clone(), &url);
            for (name, value) in extra_headers {
                request = request.header(*name, value);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            let started = std::time::Instant::now();
            let response = request.send().await;
            if self.config.verbose {
                // Paths and statuses only: bodies can hold secrets.
                let status = response
                    .as_ref()
                    .map(|r| r.status().as_u16().to_string())
                    .unwrap_or_else(|_| "no answer".into());
                // Not `eprintln!`, which panics when stderr is a closed pipe.
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "{method} {path} → {status} ({:.1} ms)",
                    started.elapsed().as_secs_f64() * 1000.0
                );
            }
            let response = match response {
                Ok(response) => response,
                Err(error) => return Err(self.transport_error(path, error)),
            };
            let status = response.status();
            if retryable(status) && attempt < self.config.max_retries {
                let wait = retry_after(response.headers()).unwrap_or_else(|| backoff(attempt));
                attempt += 1;
                tracing::debug!(%status, ?wait, attempt, "retrying {method} {path}");
                tokio::time::sleep(wait).await;
                continue;
            }
            let etag = response
                .headers()
                .get(reqwest::header::ETAG)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim_matches('"').to_string());
            let bytes = response
                .bytes()
                .await
                .map_err(|e| self.transport_error(path, e))?;
            let body: Value = if bytes.is_empty() {
                Value::Null
            } else {
                match serde_json::from_slice(&bytes) {
                    Ok(v) => v,
                    Err(_) if !status.is_success() => {
                        Value::String(String::from_utf8_lossy(&bytes).trim().to_string())
                    }
                    Err(e) => {
                        return Err(AdminError::Decode {
                            method: method.to_string(),
                            path: path.to_string(),
                            detail: e.to_string(),
                        });
                    }
                }
            };
            if status.is_success() {
                return Ok(Answer {
                    status: status.as_u16(),
                    etag,
                    body,
                });
            }
            if let Some(error) = self.plain_http_to_tls_port(status, &body) {
                return Err(error);
            }
            return Err(http_error(&method, path, status, body));
        }
    }

    fn transport_error(&self, path: &str, error: reqwest::Error) -> AdminError {
        if error.is_timeout() {
            return AdminError::Timeout {
                addr: self.config.addr.clone(),
                seconds: self.config.timeout.as_secs(),
            };
        }
        if let Some(mismatch) = self.tls_mismatch(&error) {
            return mismatch;
        }
        if error.is_connect() {
            return AdminError::Unreachable {
                addr: self.config.addr.clone(),
                reason: connect_reason(&error),
            };
        }
        AdminError::Transport {
            path: path.to_string(),
            detail: root_cause(&error),
        }
    }
}

impl AdminClient {
    /// The address with the other scheme, for advice: `http://h:1` ⇄ `https://h:1`.
    fn other_scheme(&self) -> String {
        match self.base.strip_prefix("https://") {
            Some(rest) => format!("http://{rest}"),
            None => format!(
                "https://{}",
                self.base.strip_prefix("http://").unwrap_or(&self.base)
            ),
        }
    }

    fn is_https(&self) -> bool {
        self.base.starts_with("https://")
    }

    /// A TLS problem that is not the gateway being down: `https://` to a port that answers
    /// in plain HTTP (rustls reads the plain answer as a record of an invalid type), an
    /// untrusted certificate, or `http://` to a port that does not answer in HTTP (a TLS
    /// port answers a plain request with a TLS alert).
    fn tls_mismatch(&self, error: &reqwest::Error) -> Option<AdminError> {
        let addr = self.config.addr.clone();
        if self.is_https() {
            return match find_cause::<rustls::Error>(error)? {
                rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
                    Some(AdminError::WrongScheme {
                        addr,
                        problem: "the server there does not speak TLS (it answered the TLS \
                                  handshake in plain text)"
                            .into(),
                        advice: format!("use --addr {}", self.other_scheme()),
                    })
                }
                tls @ rustls::Error::InvalidCertificate(_) => {
                    Some(AdminError::UntrustedCertificate {
                        addr,
                        reason: tls.to_string(),
                    })
                }
                _ => None,
            };
        }
        find_cause::<hyper::Error>(error)
            .filter(|e| e.is_parse())
            .map(|_| AdminError::WrongScheme {
                addr,
                problem: "the server there did not answer in HTTP".into(),
                advice: format!("if it expects TLS, use --addr {}", self.other_scheme()),
            })
    }

    /// A plain-HTTP request answered as Kong (nginx) answers one sent to its TLS port:
    /// `400 The plain HTTP request was sent to HTTPS port`.
    fn plain_http_to_tls_port(&self, status: StatusCode, body: &Value) -> Option<AdminError> {
        const NGINX: &str = "The plain HTTP request was sent to HTTPS port";
        let text = match body {
            Value::String(s) => s.as_str(),
            other => other.get("message").and_then(Value::as_str)?,
        };
        (status == StatusCode::BAD_REQUEST && !self.is_https() && text.contains(NGINX)).then(|| {
            AdminError::WrongScheme {
                addr: self.config.addr.clone(),
                problem: format!("the server there expects TLS (it answered HTTP 400: {NGINX})"),
                advice: format!("use --addr {}", self.other_scheme()),
            }
        })
    }
}

/// The first error of type `T` in `error`'s chain, looking inside the `io::Error`s too (their
/// `source` skips the error they wrap).
fn find_cause<'a, T: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut source = Some(error);
    while let Some(e) = source {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            && let Some(found) = find_cause::<T>(inner)
        {
            return Some(found);
        }
        source = e.source();
    }
    None
}

/// Accepts `localhost:8001` as well as `http://localhost:8001/`; strips the trailing slash so
/// paths can be appended.
fn normalise_addr(addr: &str) -> Result<String, AdminError> {
    let with_scheme = if addr.contains("://") {
        addr.to_string()
    } else {
        format!("http://{addr}")
    };
    let url = url::Url::parse(&with_scheme)
        .map_err(|e| AdminError::Config(format!("--addr '{addr}' is not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(AdminError::Config(format!(
            "--addr '{addr}' must use http or https"
        )));
    }
    Ok(with_scheme.trim_end_matches('/').to_string())
}

fn retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// Exponential backoff with jitter: 100 ms, 200 ms, 400 ms … capped at 3 s.
fn backoff(attempt: u32) -> Duration {
    let base = 100u64.saturating_mul(1 << attempt.min(5)).min(3000);
    let jitter = rand::random_range(0..=base / 4);
    Duration::from_millis(base + jitter)
}

/// `Retry-After` in seconds (an HTTP date is not worth a dependency; it falls back to backoff).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: f64 = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs_f64(seconds.clamp(0.0, 60.0)))
}

fn http_error(method: &Method, path: &str, status: StatusCode, body: Value) -> AdminError {
    let message = body
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| body.as_str().filter(|s| !s.is_empty()).map(str::to_string))
        .unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("error")
                .to_ascii_lowercase()
        });
    let fields = body
        .get("fields")
        .or_else(|| body.get("options"))
        .filter(|f| f.as_object().is_some_and(|m| !m.is_empty()))
        .cloned()
        .map(Box::new);
    AdminError::Http {
        method: method.to_string(),
        path: path.to_string(),
        status: status.as_u16(),
        message,
        fields,
        body: Box::new(body),
    }
}

/// The innermost cause, phrased for a person: "connection refused", "host not found".
fn connect_reason(error: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
                std::io::ErrorKind::TimedOut => "connection timed out".into(),
                _ => io.to_string(),
            };
        }
        source = e.source();
    }
    let cause = root_cause(error);
    if cause.contains("dns") || cause.contains("resolve") || cause.contains("lookup") {
        "host not found".into()
    } else {
        cause
    }
}

fn root_cause(error: &dyn std::error::Error) -> String {
    let mut last = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        last = e.to_string();
        source = e.source();
    }
    last
}

/// How a `--header` value is named in messages without its value: `header 'Name'` (the text
/// before the first space or colon), or `a --header value` when there is no such name (a
/// lone word may be the token itself).
fn header_label(raw: &str) -> String {
    match raw
        .trim_start()
        .split_once(|c: char| c == ':' || c.is_whitespace())
    {
        Some((name, _)) if !name.is_empty() && HeaderName::from_bytes(name.as_bytes()).is_ok() => {
            format!("header '{name}'")
        }
        _ => "a --header value".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_headers_are_named_without_their_value() {
        for (raw, label) in [
            ("Kong-Admin-Token TOPSECRET", "header 'Kong-Admin-Token'"),
            ("TOPSECRET", "a --header value"),
            ("Kong(Admin) TOPSECRET: x", "a --header value"),
            ("Bad Name: TOPSECRET", "header 'Bad'"),
            ("  TOPSECRET", "a --header value"),
        ] {
            let mut config = ClientConfig::new("http://127.0.0.1:1");
            config.headers = vec![raw.to_string()];
            let err = AdminClient::new(config).unwrap_err().to_string();
            assert!(err.contains(label), "{raw:?}: {err}");
            assert!(!err.contains("TOPSECRET"), "{raw:?}: {err}");
        }
    }

    #[test]
    fn addresses_are_normalised() {
        assert_eq!(
            normalise_addr("localhost:8001").unwrap(),
            "http://localhost:8001"
        );
        assert_eq!(
            normalise_addr("https://kong:8444/").unwrap(),
            "https://kong:8444"
        );
        assert!(normalise_addr("ftp://x").is_err());
    }

    #[test]
    fn retry_after_seconds_are_honoured() {
        let mut headers = HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        assert!(backoff(0) >= Duration::from_millis(100));
        assert!(backoff(10) <= Duration::from_millis(3750));
    }
}
