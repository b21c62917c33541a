//! Listening sockets: one socket for IPv6 and IPv4 clients alike.

use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use tokio::net::TcpListener;

/// How many connections may wait to be accepted.
const BACKLOG: i32 = 1024;

/// Listens on `port` on every interface: `[::]` with `IPV6_V6ONLY` off, so IPv4 clients connect
/// too (as IPv4-mapped addresses), or `0.0.0.0` when the host has no IPv6 (a kernel booted
/// without it, a container with it disabled). Any other error (the port is taken) is returned.
pub fn dual_stack(port: u16) -> io::Result<TcpListener> {
    match bind(
        Domain::IPV6,
        SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)),
    ) {
        Err(e) if no_ipv6(&e) => bind(
            Domain::IPV4,
            SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)),
        ),
        bound => bound,
    }
}

/// Whether `e` says the host cannot do IPv6 at all, rather than that this port cannot be had.
fn no_ipv6(e: &io::Error) -> bool {
    #[cfg(unix)]
    if matches!(
        e.raw_os_error(),
        Some(libc::EAFNOSUPPORT | libc::EPROTONOSUPPORT)
    ) {
        return true;
    }
    e.kind() == io::ErrorKind::AddrNotAvailable
}

fn bind(domain: Domain, address: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(domain, Type::STREAM, Some(Protocol::TCP))?;
    if domain == Domain::IPV6 {
        socket.set_only_v6(false)?;
    }
    // A restarted service can take its port back while old connections are in TIME_WAIT.
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&address.into())?;
    socket.listen(BACKLOG)?;
    socket.set_nonblocking(true)?;
    TcpListener::from_std(std::net::TcpListener::from(socket))
}

// In this file rather than tests/: an upgraded project receives new files, and a test there would
// not compile against a lib.rs without this module.
#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpStream;

    /// Whether this host can listen on IPv6 at all (CI containers may not).
    fn host_has_ipv6() -> bool {
        std::net::TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).is_ok()
    }

    /// Connects to `to` and returns the client's address as the listener sees it.
    async fn connect(listener: &tokio::net::TcpListener, to: SocketAddr) -> SocketAddr {
        // The kernel completes the handshake before accept(): a blocking connect cannot hang here.
        let client = TcpStream::connect(to).unwrap();
        let (_served, peer) = listener.accept().await.unwrap();
        assert_eq!(peer.port(), client.local_addr().unwrap().port());
        peer
    }

    #[tokio::test]
    async fn one_listener_takes_ipv4_and_ipv6_clients() {
        let listener = dual_stack(0).unwrap();
        let port = listener.local_addr().unwrap().port();
        let peer = connect(&listener, SocketAddr::from(([127, 0, 0, 1], port))).await;
        assert_eq!(peer.ip().to_canonical().to_string(), "127.0.0.1");
        if host_has_ipv6() {
            assert!(
                listener.local_addr().unwrap().is_ipv6(),
                "[::] when the host has IPv6"
            );
            let peer = connect(&listener, SocketAddr::from((Ipv6Addr::LOCALHOST, port))).await;
            assert_eq!(peer.ip().to_string(), "::1");
        } else {
            eprintln!("no IPv6 on this host: checked the IPv4 fallback only");
        }
    }

    #[tokio::test]
    async fn a_taken_port_is_an_error_not_a_fallback() {
        let first = dual_stack(0).unwrap();
        let port = first.local_addr().unwrap().port();
        let err = dual_stack(port).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse, "{err}");
    }

    #[test]
    fn only_a_host_without_ipv6_falls_back_to_ipv4() {
        #[cfg(unix)]
        for code in [libc::EAFNOSUPPORT, libc::EPROTONOSUPPORT] {
            assert!(no_ipv6(&io::Error::from_raw_os_error(code)), "{code}");
        }
        assert!(no_ipv6(&io::Error::from(io::ErrorKind::AddrNotAvailable)));
        assert!(!no_ipv6(&io::Error::from(io::ErrorKind::AddrInUse)));
        assert!(!no_ipv6(&io::Error::from(io::ErrorKind::PermissionDenied)));
    }
}
