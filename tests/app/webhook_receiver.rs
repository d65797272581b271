//! A webhook receiver on loopback: records every request as it arrives and
//! answers as the test says (a status, a redirect, a slow answer, or none
//! at all); and an independent check of Standard Webhooks signatures, with
//! its own HMAC rather than the product's signing code.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;

/// How the receiver answers one request.
#[derive(Clone, Debug)]
pub enum Answer {
    /// This status, with a short body naming it.
    Status(u16),
    /// 302 to this URL.
    Redirect(String),
    /// 200, after this long.
    Delay(Duration),
    /// Never: the request hangs until the sender gives up.
    Hang,
    /// This status, with exactly these body bytes.
    Body(u16, Vec<u8>),
}

/// Text of the body the receiver sends with `Answer::Status(status)`.
pub fn answer_body(status: u16) -> String {
    format!("receiver answered {status}")
}

/// One request as the receiver saw it.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    /// Header names in lower case, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A header that must be there.
    #[track_caller]
    pub fn required(&self, name: &str) -> &str {
        self.header(name)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }

    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "the body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

struct Inner {
    received: Mutex<Vec<Received>>,
    /// Answers for the next requests, in order; then `otherwise`.
    script: Mutex<VecDeque<Answer>>,
    otherwise: Mutex<Answer>,
}

/// A receiver listening on 127.0.0.1; answers 200 until told otherwise.
pub struct Receiver {
    pub port: u16,
    inner: Arc<Inner>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let inner = Arc::new(Inner {
            received: Mutex::new(Vec::new()),
            script: Mutex::new(VecDeque::new()),
            otherwise: Mutex::new(Answer::Status(200)),
        });
        let shared = inner.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::from(shared.clone()))
                .default_service(web::to(receive))
        })
        .workers(1)
        .disable_signals()
        .bind("127.0.0.1:0")
        .expect("bind the receiver");
        let port = server.addrs()[0].port();
        actix_web::rt::spawn(server.run());
        Receiver { port, inner }
    }

    /// `http://127.0.0.1:{port}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Answers the next requests with `answers`, in order, then as before.
    pub fn answer_next(&self, answers: &[Answer]) {
        self.inner
            .script
            .lock()
            .unwrap()
            .extend(answers.iter().cloned());
    }

    /// Answers every request (after any scripted ones) with `answer`.
    pub fn answer_always(&self, answer: Answer) {
        *self.inner.otherwise.lock().unwrap() = answer;
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.inner.received.lock().unwrap().clone()
    }

    /// Waits until `n` requests have arrived (failing after `within`); all
    /// requests so far.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "the receiver got {} requests within {within:?}, expected {n}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn receive(request: HttpRequest, body: web::Bytes, inner: web::Data<Inner>) -> HttpResponse {
    let headers = request
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    inner.received.lock().unwrap().push(Received {
        path: request.path().to_string(),
        headers,
        body: body.to_vec(),
        at: Instant::now(),
    });
    let answer = inner
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| inner.otherwise.lock().unwrap().clone());
    match answer {
        Answer::Status(status) => {
            HttpResponse::build(StatusCode::from_u16(status).expect("a valid status"))
                .body(answer_body(status))
        }
        Answer::Redirect(to) => HttpResponse::Found()
            .insert_header(("Location", to))
            .finish(),
        Answer::Delay(wait) => {
            tokio::time::sleep(wait).await;
            HttpResponse::Ok().body(answer_body(200))
        }
        Answer::Hang => {
            tokio::time::sleep(Duration::from_secs(600)).await;
            HttpResponse::Ok().finish()
        }
        Answer::Body(status, bytes) => {
            HttpResponse::build(StatusCode::from_u16(status).expect("a valid status")).body(bytes)
        }
    }
}

/// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` keyed with the
/// base64 part of a `whsec_` secret, as a Standard Webhooks receiver
/// computes it.
pub fn expected_signature(secret: &str, id: &str, timestamp: &str, body: &[u8]) -> String {
    let key = BASE64
        .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
        .expect("a base64 secret");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

/// The space-separated signatures of `webhook-signature`.
pub fn signatures(request: &Received) -> Vec<String> {
    request
        .required("webhook-signature")
        .split(' ')
        .map(str::to_string)
        .collect()
}

/// Asserts `request` carries a valid signature for each of `secrets` (and
/// nothing else), over its id, timestamp and exact body, with a timestamp
/// of now give or take a minute.
#[track_caller]
pub fn assert_signed_by(request: &Received, secrets: &[&str]) {
    let id = request.required("webhook-id");
    let timestamp = request.required("webhook-timestamp");
    let seconds: i64 = timestamp.parse().expect("the timestamp is unix seconds");
    assert!(
        (chrono::Utc::now().timestamp() - seconds).abs() < 60,
        "webhook-timestamp {timestamp} is not now"
    );
    let expected: Vec<String> = secrets
        .iter()
        .map(|s| expected_signature(s, id, timestamp, &request.body))
        .collect();
    assert_eq!(signatures(request), expected, "webhook-signature");
}
