//! The least a proxy built on pingora can do per request: one single-threaded runtime
//! (`conf.yaml`), every request forwarded to one upstream over pingora's pooled keep-alive
//! connections, no routing, no headers added. `benches/proxy_instructions.sh` counts its
//! instructions per request beside the gateway's, nginx's and the hyper floor's.
//!
//!   target/pingora_floor/release/pingora_floor LISTEN_ADDR UPSTREAM_ADDR

use async_trait::async_trait;
use pingora_core::server::Server;
use pingora_core::server::configuration::Opt;
use pingora_core::upstreams::peer::HttpPeer;
use pingora_proxy::{ProxyHttp, Session};

/// The gateway's allocator, so that the comparison is of the HTTP work alone.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Floor {
    upstream: String,
}

#[async_trait]
impl ProxyHttp for Floor {
    type CTX = ();

    fn new_ctx(&self) {}

    async fn upstream_peer(
        &self,
        _session: &mut Session,
        _ctx: &mut (),
    ) -> pingora_core::Result<Box<HttpPeer>> {
        let plain_http = false;
        Ok(Box::new(HttpPeer::new(
            self.upstream.as_str(),
            plain_http,
            String::new(),
        )))
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(listen), Some(upstream)) = (args.next(), args.next()) else {
        eprintln!("usage: pingora_floor LISTEN_ADDR UPSTREAM_ADDR");
        std::process::exit(2);
    };
    let conf = concat!(env!("CARGO_MANIFEST_DIR"), "/conf.yaml").to_string();
    let options = Opt {
        conf: Some(conf),
        ..Default::default()
    };
    let mut server = match Server::new(Some(options)) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("pingora_floor: {e}");
            std::process::exit(1);
        }
    };
    server.bootstrap();
    let mut proxy = pingora_proxy::http_proxy_service(&server.configuration, Floor { upstream });
    proxy.add_tcp(&listen);
    server.add_service(proxy);
    server.run_forever();
}
