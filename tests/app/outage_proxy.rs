//! A TCP proxy on loopback between the server under test and PostgreSQL,
//! which cuts the line the two ways an outage looks from the server:
//! connections closed and new ones refused, or a black hole — connections
//! stay open and nothing gets through, as in a network partition.

use std::net::{SocketAddr, ToSocketAddrs};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// The state of the line between the server and PostgreSQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line {
    Open,
    /// Every connection is closed; new ones are closed as soon as accepted.
    Closed,
    /// Connections are accepted and kept, but nothing is forwarded.
    BlackHole,
}

pub struct Proxy {
    pub port: u16,
    line: watch::Sender<Line>,
    accepting: actix_web::rt::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on 127.0.0.1 (port 0) and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let port = listener.local_addr().expect("the proxy's address").port();
        let (line, watching) = watch::channel(Line::Open);
        let accepting = actix_web::rt::spawn(accept(listener, upstream, watching));
        Proxy {
            port,
            line,
            accepting,
        }
    }

    pub fn set(&self, line: Line) {
        self.line.send_replace(line);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

/// The address of the PostgreSQL server a database URL names.
pub fn upstream_of(database_url: &str) -> SocketAddr {
    let url = url::Url::parse(database_url).expect("a database URL");
    let host = url.host_str().unwrap_or("127.0.0.1");
    let port = url.port().unwrap_or(5432);
    (host, port)
        .to_socket_addrs()
        .expect("resolve the database host")
        .next()
        .expect("an address for the database host")
}

/// `database_url` with the proxy in the server's place.
pub fn through_proxy(database_url: &str, port: u16) -> String {
    let mut url = url::Url::parse(database_url).expect("a database URL");
    url.set_host(Some("127.0.0.1")).expect("set the host");
    url.set_port(Some(port)).expect("set the port");
    url.to_string()
}

async fn accept(listener: TcpListener, upstream: SocketAddr, line: watch::Receiver<Line>) {
    loop {
        if let Ok((client, _)) = listener.accept().await {
            actix_web::rt::spawn(connection(client, upstream, line.clone()));
        }
    }
}

async fn connection(client: TcpStream, upstream: SocketAddr, mut line: watch::Receiver<Line>) {
    if !open(&mut line).await {
        return;
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (from_client, to_client) = client.into_split();
    let (from_server, to_server) = server.into_split();
    // Whichever ends first ends the connection: dropping the halves closes
    // both sockets.
    tokio::select! {
        _ = pump(from_client, to_server, line.clone()) => {}
        _ = pump(from_server, to_client, line.clone()) => {}
        _ = closed(line) => {}
    }
}

/// Waits while the line is a black hole: true once it is open, false once
/// it is closed.
async fn open(line: &mut watch::Receiver<Line>) -> bool {
    loop {
        match *line.borrow_and_update() {
            Line::Open => return true,
            Line::Closed => return false,
            Line::BlackHole => {}
        }
        if line.changed().await.is_err() {
            return false;
        }
    }
}

async fn closed(mut line: watch::Receiver<Line>) {
    while *line.borrow_and_update() != Line::Closed {
        if line.changed().await.is_err() {
            return;
        }
    }
}

/// Copies one direction. In a black hole nothing is read or written, so
/// what was sent waits in the kernel's buffers and arrives once the line is
/// open again — as after a partition, where TCP loses no byte it has
/// acknowledged.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mut line: watch::Receiver<Line>) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        if !open(&mut line).await {
            return;
        }
        let n = tokio::select! {
            read = from.read(&mut buf) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            },
            _ = line.changed() => continue,
        };
        if !open(&mut line).await || to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
