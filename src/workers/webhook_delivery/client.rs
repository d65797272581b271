//! The HTTP client deliveries go out through (SPEC §8): HTTP/1.1 over
//! rustls, no proxy, no redirects (hyper never follows one), one deadline
//! for the answer, and a resolver that screens every address before the
//! connection is made, so the address connected to is the address checked
//! and a name that changes its answer (DNS rebinding) still cannot reach a
//! private one.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderValue, USER_AGENT};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::domain::webhook::{TargetHost, TargetUrl};
use crate::outbound::{Resolver, TargetCheck};

/// How much of an answer the delivery log keeps, and so how much is read.
pub const EXCERPT_BYTES: usize = 1024;
/// Longest error text kept for an attempt.
const ERROR_CHARS: usize = 300;
const AGENT: &str = concat!("private-integrations-webhooks/", env!("CARGO_PKG_VERSION"));

/// One signed request, ready to send.
pub struct SignedRequest<'a> {
    pub url: &'a str,
    /// The delivery id, the same on every attempt.
    pub id: String,
    pub timestamp: i64,
    /// The `webhook-signature` header: it carries secrets' signatures, so it
    /// goes into the request and nowhere else (no log line, no error).
    pub signature: String,
    pub body: Vec<u8>,
}

/// What the receiver answered.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// The start of the body, at most [`EXCERPT_BYTES`], lossy UTF-8.
    pub excerpt: String,
}

type Connector = HttpsConnector<HttpConnector<Screened>>;

/// Sends deliveries; one per worker, its connections reused across attempts.
pub struct DeliveryClient {
    http: Client<Connector, Full<Bytes>>,
    resolver: Arc<Resolver>,
    timeout: Duration,
}

impl DeliveryClient {
    pub fn new(resolver: Arc<Resolver>, timeout: Duration) -> Result<Self, rustls::Error> {
        let mut tcp = HttpConnector::new_with_resolver(Screened(resolver.clone()));
        // https URLs go through the TLS layer around this connector.
        tcp.enforce_http(false);
        tcp.set_connect_timeout(Some(timeout));
        tcp.set_nodelay(true);
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(system_roots())
        .with_no_client_auth();
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        let http = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(DeliveryClient {
            http,
            resolver,
            timeout,
        })
    }

    /// POSTs `request`; the answer, whatever its status, or why there is none.
    /// The status must arrive within the timeout; the first kilobyte of the
    /// body is read within what is left of it.
    pub async fn send(&self, request: SignedRequest<'_>) -> Result<Answer, String> {
        let target =
            TargetUrl::parse(request.url).map_err(|_| "the URL is not valid".to_string())?;
        // Names are screened by the resolver as they are connected to; an
        // address written in the URL never reaches a resolver.
        if let TargetHost::Ip(_) = target.host {
            match self.resolver.check(&target).await {
                TargetCheck::Allowed(_) => {}
                TargetCheck::Refused(ip) => return Err(not_public(&ip.to_string())),
                TargetCheck::Unresolved => return Err("the host has no address".to_string()),
            }
        }
        let built = hyper::Request::post(target.url.as_str())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(USER_AGENT, HeaderValue::from_static(AGENT))
            .header("webhook-id", request.id.as_str())
            .header("webhook-timestamp", request.timestamp.to_string())
            .header("webhook-signature", request.signature.as_str())
            .body(Full::new(Bytes::from(request.body)))
            .map_err(|_| "the request could not be built".to_string())?;
        let deadline = tokio::time::Instant::now() + self.timeout;
        let response = match tokio::time::timeout_at(deadline, self.http.request(built)).await {
            Ok(Ok(response)) => response,
            Ok(Err(e)) => return Err(describe(&e)),
            Err(_) => return Err(self.timed_out()),
        };
        let status = response.status().as_u16();
        // The status decides; a body that stops or stalls only shortens the
        // excerpt.
        let mut body = response.into_body();
        let mut excerpt = Vec::new();
        while excerpt.len() < EXCERPT_BYTES {
            match tokio::time::timeout_at(deadline, body.frame()).await {
                Ok(Some(Ok(frame))) => {
                    if let Some(data) = frame.data_ref() {
                        excerpt.extend_from_slice(data);
                    }
                }
                Ok(Some(Err(_)) | None) | Err(_) => break,
            }
        }
        excerpt.truncate(EXCERPT_BYTES);
        Ok(Answer {
            status,
            excerpt: String::from_utf8_lossy(&excerpt).into_owned(),
        })
    }

    fn timed_out(&self) -> String {
        format!("timed out after {} s", self.timeout.as_secs_f64())
    }
}

/// The system's trusted certificate authorities. Without any, https
/// deliveries fail (and say why in the delivery log) while http ones work.
fn system_roots() -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        tracing::warn!(
            "no trusted certificate authorities found (install ca-certificates): https webhook deliveries will fail"
        );
    }
    roots
}

/// A few words on why a request failed, for the delivery log: the
/// innermost cause is the telling one ("Connection refused", the resolver's
/// refusal, a certificate problem).
fn describe(e: &hyper_util::client::legacy::Error) -> String {
    let mut innermost: &dyn std::error::Error = e;
    while let Some(source) = innermost.source() {
        innermost = source;
    }
    let text = if e.is_connect() {
        format!("could not connect: {innermost}")
    } else {
        format!("request failed: {innermost}")
    };
    text.chars().take(ERROR_CHARS).collect()
}

fn not_public(what: &str) -> String {
    format!("refused: {what} is not a public address")
}

/// Why the resolver gave the connector no address.
#[derive(Debug)]
pub struct Unreachable(String);

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unreachable {}

/// Resolves through the application's [`Resolver`] (pins first) and hands
/// the connector only addresses that pass its screen.
#[derive(Clone)]
struct Screened(Arc<Resolver>);

type Resolving =
    Pin<Box<dyn Future<Output = Result<std::vec::IntoIter<SocketAddr>, Unreachable>> + Send>>;

impl tower_service::Service<Name> for Screened {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = Unreachable;
    type Future = Resolving;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let resolver = self.0.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            // The connector puts the URL's port on the addresses.
            let addrs = resolver.lookup(&host, 0).await;
            match resolver.screen(addrs) {
                TargetCheck::Allowed(addrs) => Ok(addrs.into_iter()),
                TargetCheck::Unresolved => Err(Unreachable(format!("{host} does not resolve"))),
                TargetCheck::Refused(ip) => Err(Unreachable(not_public(&format!("{host} ({ip})")))),
            }
        })
    }
}
