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
