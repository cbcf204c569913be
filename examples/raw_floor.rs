//! The least an HTTP/1 proxy on tokio can do per request without hyper, as a yardstick beside
//! `hyper_floor.rs` and nginx: one current-thread runtime, one kept-alive upstream connection
//! per client connection, each request's and answer's head parsed with httparse (as hyper and
//! nginx parse them) and its bytes passed on unchanged with the body that `Content-Length`
//! announces. No chunked bodies, no routing, no headers added or removed: it shows how far
//! below hyper's floor an HTTP stack written for proxying could go on this runtime, and so
//! what replacing hyper would be worth. Not a proxy to use.
//!
//!   cargo run --release --example raw_floor -- 127.0.0.1:19300 127.0.0.1:19190

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The gateway's allocator, so that the comparison is of the HTTP work alone.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Heads larger than this are refused (nginx's default large header buffer is 8 KB).
const BUFFER: usize = 16 * 1024;
const MAX_HEADERS: usize = 64;

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(listen), Some(upstream)) = (args.next(), args.next()) else {
        eprintln!("usage: raw_floor LISTEN_ADDR UPSTREAM_ADDR");
        std::process::exit(2);
    };
    let upstream: &'static str = upstream.leak();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    tokio::task::LocalSet::new().block_on(&runtime, async move {
        let listener = TcpListener::bind(listen).await?;
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tokio::task::spawn_local(async move {
                if let Err(e) = serve(stream, upstream).await {
                    eprintln!("connection ended: {e}");
                }
            });
        }
    })
}

/// Serves one client connection until it closes, over one upstream connection.
async fn serve(mut client: TcpStream, upstream: &'static str) -> io::Result<()> {
    let mut upstream_conn: Option<TcpStream> = None;
    let mut from_client = Vec::with_capacity(BUFFER);
    let mut from_upstream = Vec::with_capacity(BUFFER);
    loop {
        let Some(request_len) = read_message(&mut client, &mut from_client, Kind::Request).await?
        else {
            return Ok(());
        };
        let up = match upstream_conn.as_mut() {
            Some(up) => up,
            None => {
                let stream = TcpStream::connect(upstream).await?;
                stream.set_nodelay(true)?;
                upstream_conn.insert(stream)
            }
        };
        up.write_all(&from_client[..request_len]).await?;
        from_client.drain(..request_len);
        let Some(response_len) = read_message(up, &mut from_upstream, Kind::Response).await? else {
            return Err(io::Error::other("the upstream closed the connection"));
        };
        client.write_all(&from_upstream[..response_len]).await?;
        from_upstream.drain(..response_len);
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Request,
    Response,
}

/// Reads from `stream` into `buf` until it holds one whole message; its length, or `None`
/// when the stream ended before a message began.
async fn read_message(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    kind: Kind,
) -> io::Result<Option<usize>> {
    loop {
        if let Some((head, body)) = parse_head(buf, kind)? {
            let whole = head + body;
            while buf.len() < whole {
                read_more(stream, buf).await?;
            }
            return Ok(Some(whole));
        }
        if buf.len() >= BUFFER {
            return Err(io::Error::other("head too large"));
        }
        if read_more(stream, buf).await? == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        }
    }
}

/// The head's length and the body's (`Content-Length`, else none) once the head is complete.
fn parse_head(buf: &[u8], kind: Kind) -> io::Result<Option<(usize, usize)>> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let parsed = match kind {
        Kind::Request => httparse::Request::new(&mut headers).parse(buf),
        Kind::Response => httparse::Response::new(&mut headers).parse(buf),
    };
    let head = match parsed.map_err(io::Error::other)? {
        httparse::Status::Complete(head) => head,
        httparse::Status::Partial => return Ok(None),
    };
    let body = headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .map(|h| {
            std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .ok_or_else(|| io::Error::other("bad Content-Length"))
        })
        .transpose()?
        .unwrap_or(0);
    Ok(Some((head, body)))
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<usize> {
    if buf.capacity() - buf.len() < 4096 {
        buf.reserve(BUFFER);
    }
    let n = stream.read_buf(buf).await?;
    if n == 0 && !buf.is_empty() {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(n)
}
