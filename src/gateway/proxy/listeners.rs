//! Binding the proxy's listeners: one socket per worker on each address (`SO_REUSEPORT`), so
//! the kernel spreads new connections over the workers.
//!
//! With one socket shared by every worker, whichever worker wakes first takes the connection,
//! and under a burst of new connections one worker can end up with nearly all of them while
//! the other cores idle (measured: 64 wrk connections, all on one of two workers in some
//! runs). nginx's `reuseport`, Envoy and pingora bind the same way.

use std::io;
use std::net::SocketAddr;

use tokio::net::TcpSocket;

/// The listen queue of each socket, as tokio's `TcpListener::bind` sets it.
const BACKLOG: u32 = 1024;

/// Binds `workers` listening sockets to `addr` (port 0: one free port shared by all).
///
/// `SO_REUSEPORT` would also let a second gwctl bind the same port and silently take half of
/// the connections, so the address is first claimed by a socket without it: that fails, as a
/// plain bind does, when anything already listens there.
pub fn bind(addr: SocketAddr, workers: usize) -> io::Result<Vec<std::net::TcpListener>> {
    let addr = {
        let probe = new_socket(addr)?;
        probe.bind(addr)?;
        probe.local_addr()?
    };
    let first = listen_shared(addr)?;
    let mut sockets = Vec::with_capacity(workers.max(1));
    for _ in 1..workers {
        // Without SO_REUSEPORT the workers share the one socket, as they did before it.
        sockets.push(if cfg!(unix) {
            listen_shared(addr)?
        } else {
            first.try_clone()?
        });
    }
    sockets.insert(0, first);
    Ok(sockets)
}

fn listen_shared(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    let socket = new_socket(addr)?;
    set_shared(&socket)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)?.into_std()
}

/// A socket for `addr`'s family that, like tokio's `TcpListener::bind`, may take a port still
/// held by closed connections (TIME_WAIT), so a restarted gateway gets its port back at once.
fn new_socket(addr: SocketAddr) -> io::Result<TcpSocket> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    Ok(socket)
}

#[cfg(unix)]
fn set_shared(socket: &TcpSocket) -> io::Result<()> {
    socket.set_reuseport(true)
}

#[cfg(not(unix))]
fn set_shared(_: &TcpSocket) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_worker_gets_a_socket_on_the_same_port() {
        let sockets = bind("127.0.0.1:0".parse().unwrap(), 3).unwrap();
        assert_eq!(sockets.len(), 3);
        let port = sockets[0].local_addr().unwrap().port();
        assert_ne!(port, 0);
        assert!(
            sockets
                .iter()
                .all(|s| s.local_addr().unwrap().port() == port)
        );
    }

    #[tokio::test]
    async fn an_address_in_use_is_refused_even_by_a_reuseport_listener() {
        let taken = bind("127.0.0.1:0".parse().unwrap(), 2).unwrap();
        let addr = taken[0].local_addr().unwrap();
        let err = bind(addr, 2).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);

        let plain = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let err = bind(plain.local_addr().unwrap(), 1).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
    }
}
