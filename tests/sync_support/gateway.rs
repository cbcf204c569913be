//! The real bundled gateway (`gateway::server::start`, SQLite in memory) on an ephemeral
//! loopback port, in a background thread with its own runtime; and the view of a target that
//! the CLI tests need, shared with the fake.

use std::net::SocketAddr;

use gwctl::admin::{AdminClient, ClientConfig, ReadOptions, read_gateway};
use gwctl::gateway::server::{ServeOptions, start};
use serde_json::{Map, Value};

use super::fake_gateway::Running;

/// What the CLI tests look at on a target.
pub trait Target {
    fn url(&self) -> String;
    fn entities(&self, kind: &str) -> Vec<Map<String, Value>>;
    fn count(&self) -> usize;
}

pub struct Gateway {
    pub addr: SocketAddr,
    stop: Option<std::sync::mpsc::Sender<()>>,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts the bundled gateway with an empty in-memory store.
pub fn start_gateway() -> Gateway {
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let gw = start(ServeOptions::ephemeral())
                .await
                .expect("gateway starts");
            tx.send(gw.admin_addr).unwrap();
            let _ = tokio::task::spawn_blocking(move || stop_rx.recv()).await;
            gw.shutdown().await;
        });
    });
    Gateway {
        addr: rx.recv().expect("gateway address"),
        stop: Some(stop_tx),
    }
}

fn read(url: &str) -> gwctl::state::State {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = AdminClient::new(ClientConfig::new(url)).unwrap();
    rt.block_on(read_gateway(&client, &ReadOptions::default()))
        .unwrap()
        .state
}

impl Target for Gateway {
    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    fn entities(&self, kind: &str) -> Vec<Map<String, Value>> {
        read(&self.url())
            .of_kind(kind)
            .iter()
            .map(|e| e.body.clone())
            .collect()
    }
    fn count(&self) -> usize {
        read(&self.url()).len()
    }
}

impl Target for Running {
    fn url(&self) -> String {
        Running::url(self)
    }
    fn entities(&self, kind: &str) -> Vec<Map<String, Value>> {
        Running::entities(self, kind)
    }
    fn count(&self) -> usize {
        Running::count(self)
    }
}
