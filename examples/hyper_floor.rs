//! The least a proxy built on hyper can do per request, as a yardstick for the gateway's
//! proxy: one current-thread runtime, HTTP/1.1 in, one kept-alive HTTP/1.1 connection out per
//! client connection, bodies streamed, no routing, no plugins, no headers added.
//! `benches/proxy_instructions.sh` counts its instructions per request beside the gateway's
//! and nginx's, so the share of the gateway's cost that hyper itself sets is known.
//!
//!   cargo run --release --example hyper_floor -- 127.0.0.1:19300 127.0.0.1:19190

use std::cell::RefCell;
use std::rc::Rc;

use hyper::body::Incoming;
use hyper::client::conn::http1 as client;
use hyper::header::{HOST, HeaderValue};
use hyper::server::conn::http1 as server;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

/// The gateway's allocator, so that the comparison is of the HTTP work alone.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

type Upstream = Rc<RefCell<Option<client::SendRequest<Incoming>>>>;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(listen), Some(upstream)) = (args.next(), args.next()) else {
        eprintln!("usage: hyper_floor LISTEN_ADDR UPSTREAM_ADDR");
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
            tokio::task::spawn_local(serve(stream, upstream));
        }
    })
}

/// Serves one client connection, forwarding each request over its own upstream connection.
async fn serve(stream: TcpStream, upstream: &'static str) {
    let connection: Upstream = Rc::default();
    let service = service_fn(move |request| forward(request, connection.clone(), upstream));
    let _ = server::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

async fn forward(
    mut request: Request<Incoming>,
    connection: Upstream,
    upstream: &'static str,
) -> Result<Response<Incoming>, Box<dyn std::error::Error + Send + Sync>> {
    let idle = connection.borrow_mut().take();
    let mut sender = match idle {
        Some(sender) => sender,
        None => {
            let stream = TcpStream::connect(upstream).await?;
            stream.set_nodelay(true)?;
            let (sender, driver) = client::handshake(TokioIo::new(stream)).await?;
            tokio::task::spawn_local(driver);
            sender
        }
    };
    // The last answer may still be finishing on the connection.
    sender.ready().await?;
    request
        .headers_mut()
        .insert(HOST, HeaderValue::from_static("upstream"));
    let response = sender.send_request(request).await?;
    *connection.borrow_mut() = Some(sender);
    Ok(response)
}
