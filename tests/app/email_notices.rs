//! Email notices (SMTP_URL set): each alert, and each token about to stop
//! working within 7 days, is emailed to the account's owners and admins —
//! never its viewers — once, however many instances run; a refused or
//! unreachable mail server gets the message later, and the failure is
//! logged. No email holds a token.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use reqwest::StatusCode;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::api_support::eventually;
use crate::helpers::{
    Browser, LoggedServer, OWNER_EMAIL, OWNER_PASSWORD, TestApp, TestDb, setup_owner_in,
    spawn_app_with_settings, test_settings,
};
use crate::integration_support::instance_with;
use crate::integration_support::{create_with_token, execute, integration_path, rotate};
use private_integrations::config::{SecretText, Settings};

const ADMIN: &str = "admin@acme.test";
const VIEWER: &str = "viewer@acme.test";
const OTHER_PASSWORD: &str = "another long password";
const FROM: &str = "Integrations <notices@acme.test>";
const PUBLIC: &str = "http://integrations.acme.test";

/// One message as the receiver got it, its body decoded.
#[derive(Debug, Clone)]
struct Mail {
    recipients: Vec<String>,
    headers: String,
    body: String,
}

impl Mail {
    /// Everything a reader could see: headers and decoded body.
    fn text(&self) -> String {
        format!("{}\n{}", self.headers, self.body)
    }
}

/// A mail server on 127.0.0.1 speaking just enough SMTP, recording what
/// it accepts; it can refuse the next messages at DATA.
#[derive(Clone)]
struct SmtpReceiver {
    addr: SocketAddr,
    mails: Arc<Mutex<Vec<Mail>>>,
    /// Replies to give the next DATA commands instead of accepting them.
    refusals: Arc<Mutex<Vec<&'static str>>>,
    refused: Arc<AtomicUsize>,
}

impl SmtpReceiver {
    async fn start() -> SmtpReceiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        Self::serve(listener)
    }

    /// Serves on `addr`, which nothing listened on until now.
    async fn start_on(addr: SocketAddr) -> SmtpReceiver {
        let listener = TcpListener::bind(addr).await.expect("bind again");
        Self::serve(listener)
    }

    fn serve(listener: TcpListener) -> SmtpReceiver {
        let receiver = SmtpReceiver {
            addr: listener.local_addr().expect("address"),
            mails: Arc::default(),
            refusals: Arc::default(),
            refused: Arc::default(),
        };
        let shared = receiver.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(shared.clone().session(stream));
            }
        });
        receiver
    }

    fn refuse_next(&self, replies: &[&'static str]) {
        self.refusals.lock().unwrap().extend_from_slice(replies);
    }

    fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    async fn wait_for(&self, n: usize) -> Vec<Mail> {
        let arrived = eventually(15, || self.mails.lock().unwrap().len() >= n).await;
        assert!(arrived, "{n} emails expected, got {:?}", self.mails());
        self.mails()
    }

    async fn session(self, stream: TcpStream) {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        if !reply(&mut write, "220 receiver.test ESMTP").await {
            return;
        }
        let mut recipients = Vec::new();
        loop {
            let mut line = String::new();
            if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let command = line.trim_end().to_string();
            let verb = command
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            let answer = match verb.as_str() {
                "EHLO" | "HELO" => "250 receiver.test",
                "MAIL" => {
                    recipients.clear();
                    "250 OK"
                }
                "RCPT" => {
                    let to = command
                        .split_once(':')
                        .map(|(_, to)| to.trim().trim_matches(['<', '>']).to_string())
                        .unwrap_or_default();
                    recipients.push(to);
                    "250 OK"
                }
                "DATA" => {
                    let refusal = {
                        let mut refusals = self.refusals.lock().unwrap();
                        (!refusals.is_empty()).then(|| refusals.remove(0))
                    };
                    if let Some(refusal) = refusal {
                        self.refused.fetch_add(1, Ordering::SeqCst);
                        refusal
                    } else {
                        if !reply(&mut write, "354 End data with <CR><LF>.<CR><LF>").await {
                            return;
                        }
                        let mut data = String::new();
                        loop {
                            let mut line = String::new();
                            if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if line == ".\r\n" {
                                break;
                            }
                            // Dot-stuffing: a leading dot was doubled.
                            data.push_str(line.strip_prefix('.').unwrap_or(&line));
                        }
                        self.mails
                            .lock()
                            .unwrap()
                            .push(parse(std::mem::take(&mut recipients), &data));
                        "250 OK queued"
                    }
                }
                "RSET" | "NOOP" => "250 OK",
                "QUIT" => {
                    reply(&mut write, "221 Bye").await;
                    return;
                }
                _ => "500 Unknown command",
            };
            if !reply(&mut write, answer).await {
                return;
            }
        }
    }
}

async fn reply(write: &mut tokio::net::tcp::OwnedWriteHalf, text: &str) -> bool {
    write
        .write_all(format!("{text}\r\n").as_bytes())
        .await
        .is_ok()
}

/// Splits a message into headers and body, decoding the body's transfer
/// encoding.
fn parse(recipients: Vec<String>, data: &str) -> Mail {
    let (headers, body) = data.split_once("\r\n\r\n").unwrap_or((data, ""));
    let encoding = headers
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-transfer-encoding:")
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_default();
    let body = match encoding.as_str() {
        "quoted-printable" => quoted_printable(body),
        "base64" => {
            let joined: String = body.split_whitespace().collect();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(joined)
                    .expect("base64 body"),
            )
            .expect("UTF-8 body")
        }
        _ => body.to_string(),
    };
    Mail {
        recipients,
        headers: headers.to_string(),
        body: body.replace("\r\n", "\n"),
    }
}

fn quoted_printable(body: &str) -> String {
    let soft = body.replace("=\r\n", "");
    let bytes = soft.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).expect("UTF-8 body")
}

/// Test settings sending notices to `smtp_url`, retrying each second and
/// scanning for ending tokens five times a second.
fn mailing_settings(database_url: &str, smtp_url: &str) -> Settings {
    let mut settings = test_settings(database_url);
    settings.smtp_url = Some(SecretText::new(smtp_url));
    settings.smtp_from = Some(FROM.to_string());
    settings.email_retry_schedule = vec![1; 10];
    settings.notice_scan_interval = Duration::from_millis(200);
    settings.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    settings
}

async fn mailing_app(smtp_url: &str) -> TestApp {
    let db = TestDb::migrated();
    let settings = mailing_settings(&db.url, smtp_url);
    spawn_app_with_settings(db, settings).await
}

/// The owner (signed in in the first browser), an admin and a viewer.
async fn owner_admin_and_viewer(app: &TestApp) {
    let owner = app.setup_owner().await;
    for user in [ADMIN, VIEWER] {
        let out = app
            .create_admin(&owner.account_name, user, OTHER_PASSWORD)
            .await;
        assert!(out.status.success(), "create-admin failed");
    }
    execute(
        app,
        &format!("UPDATE users SET role = 'viewer' WHERE email = '{VIEWER}'"),
    );
}

/// `GET /v2/token` with `token` from `server`, as if from 203.0.113.7.
async fn call(server: &Browser, token: &str) -> StatusCode {
    let client = Browser::new(&server.url(""));
    client
        .send(
            client
                .client
                .get(client.url("/v2/token"))
                .bearer_auth(token)
                .header("X-Forwarded-For", "203.0.113.7"),
        )
        .await
        .status
}

fn assert_no_secret(mail: &Mail, secrets: &[&str]) {
    let text = mail.text();
    for secret in secrets {
        assert!(!text.contains(secret), "an email holds a secret: {text}");
    }
    assert!(!text.contains("pit_"), "an email holds a token: {text}");
    assert!(!text.contains(OWNER_PASSWORD) && !text.contains(OTHER_PASSWORD));
}

#[actix_web::test]
async fn an_alert_is_emailed_to_each_owner_and_admin_and_to_no_viewer() {
    let receiver = SmtpReceiver::start().await;
    let app = mailing_app(&receiver.url()).await;
    owner_admin_and_viewer(&app).await;
    let (id, old) = create_with_token(&app, "Leaky CRM", &["contacts.readonly"], "").await;
    let new = rotate(&app, &id, &[("expire_old", "now")]).await;
    assert_eq!(call(&app, &old).await, StatusCode::UNAUTHORIZED);

    let mails = receiver.wait_for(2).await;
    // Time for a stray third (the viewer's) to arrive.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mails_now = receiver.mails();
    assert_eq!(mails_now.len(), 2, "{mails_now:?}");
    let to: BTreeSet<String> = mails.iter().flat_map(|m| m.recipients.clone()).collect();
    assert_eq!(
        to,
        BTreeSet::from([ADMIN.to_string(), OWNER_EMAIL.to_string()])
    );
    let link = format!("{}{}", app.address, integration_path(&id, ""));
    for mail in &mails {
        assert!(mail.headers.contains("notices@acme.test"), "{mail:?}");
        assert!(mail.headers.contains("Message-ID: <"), "{mail:?}");
        assert!(mail.body.contains("\"Leaky CRM\""), "{}", mail.body);
        assert!(mail.body.contains("no longer works"), "{}", mail.body);
        assert!(mail.body.contains("203.0.113.7"), "{}", mail.body);
        assert!(mail.body.contains(&link), "{}", mail.body);
        assert_no_secret(mail, &[&old, &new, &old[4..], &new[4..]]);
    }
    let recorded = eventually(5, || {
        app.db.query_count(
            "SELECT count(*) AS n FROM email_notices WHERE kind = 'alert' \
             AND sent_at IS NOT NULL AND attempts = 1",
        ) == 2
    })
    .await;
    assert!(recorded, "both recorded sent at the first attempt");
}

#[actix_web::test]
async fn each_recipient_reads_the_alerts_time_in_their_own_time_zone() {
    let receiver = SmtpReceiver::start().await;
    let app = mailing_app(&receiver.url()).await;
    owner_admin_and_viewer(&app).await;
    execute(
        &app,
        &format!("UPDATE users SET time_zone = 'Asia/Tokyo' WHERE email = '{ADMIN}'"),
    );
    let (id, old) = create_with_token(&app, "Zoned CRM", &["contacts.readonly"], "").await;
    rotate(&app, &id, &[("expire_old", "now")]).await;
    assert_eq!(call(&app, &old).await, StatusCode::UNAUTHORIZED);

    let mails = receiver.wait_for(2).await;
    let body_for = |who: &str| {
        mails
            .iter()
            .find(|m| m.recipients.iter().any(|r| r == who))
            .map(|m| m.body.clone())
            .unwrap_or_else(|| panic!("no mail to {who}: {mails:?}"))
    };
    let (admin, owner) = (body_for(ADMIN), body_for(OWNER_EMAIL));
    assert!(
        admin.contains(" JST"),
        "the admin reads Tokyo time: {admin}"
    );
    assert!(!admin.contains(" UTC"), "{admin}");
    assert!(owner.contains(" UTC"), "the owner kept UTC: {owner}");
}

#[actix_web::test]
async fn a_token_ending_within_a_week_is_emailed_once_however_many_scans_and_instances() {
    let receiver = SmtpReceiver::start().await;
    // Behind one address, as instances behind a balancer are.
    let shared = |database_url: &str| {
        let mut settings = mailing_settings(database_url, &receiver.url());
        settings.public_url = Some(PUBLIC.to_string());
        settings
    };
    let db = TestDb::migrated();
    let settings = shared(&db.url);
    let app = spawn_app_with_settings(db, settings).await;
    instance_with(shared(&app.database_url)).await;
    app.setup_owner().await;
    let (soon, token) = create_with_token(&app, "Short lived", &["contacts.readonly"], "30").await;
    let (later, _) = create_with_token(&app, "Not yet", &["contacts.readonly"], "30").await;
    execute(
        &app,
        &format!(
            "UPDATE access_tokens SET expires_at = now() + interval '3 days' \
             WHERE integration_id = '{soon}'"
        ),
    );
    execute(
        &app,
        &format!(
            "UPDATE access_tokens SET expires_at = now() + interval '8 days' \
             WHERE integration_id = '{later}'"
        ),
    );

    let mails = receiver.wait_for(1).await;
    // Both instances scan five times a second: a dozen scans each.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mails_now = receiver.mails();
    assert_eq!(mails_now.len(), 1, "one email: {mails_now:?}");
    let mail = &mails[0];
    assert_eq!(mail.recipients, [OWNER_EMAIL]);
    assert!(mail.body.contains("\"Short lived\""), "{}", mail.body);
    assert!(mail.body.contains("its lifetime ends"), "{}", mail.body);
    assert!(
        mail.body
            .contains(&format!("{PUBLIC}{}", integration_path(&soon, ""))),
        "{}",
        mail.body
    );
    assert!(!mail.text().contains("Not yet"), "8 days away is not soon");
    assert_no_secret(mail, &[&token, &token[4..]]);
    assert_eq!(app.count("email_notices"), 1);
}

#[actix_web::test]
async fn a_rotation_ending_and_disuse_are_emailed_with_their_reason() {
    let receiver = SmtpReceiver::start().await;
    let app = mailing_app(&receiver.url()).await;
    app.setup_owner().await;
    let (rotating, old) = create_with_token(&app, "Rotating", &["contacts.readonly"], "").await;
    let new = rotate(
        &app,
        &rotating,
        &[("expire_old", "later"), ("grace_days", "7")],
    )
    .await;
    let (idle, idle_token) = create_with_token(&app, "Idle", &["contacts.readonly"], "").await;
    execute(
        &app,
        &format!(
            "UPDATE access_tokens SET last_used_at = now() - interval '85 days' \
             WHERE integration_id = '{idle}'"
        ),
    );

    let mails = receiver.wait_for(2).await;
    let about = |name: &str| {
        mails
            .iter()
            .find(|m| m.body.contains(&format!("\"{name}\"")))
            .unwrap_or_else(|| panic!("no email about {name}: {mails:?}"))
            .clone()
    };
    let rotation = about("Rotating");
    assert!(
        rotation.body.contains("replaced by a rotation"),
        "{}",
        rotation.body
    );
    // A grace period of 7 days ends within the week: warned at once.
    assert!(
        rotation.headers.contains("stops working in 7 days"),
        "{rotation:?}"
    );
    assert!(rotation.body.contains(&integration_path(&rotating, "")));
    let disuse = about("Idle");
    assert!(
        disuse.body.contains("unused for 90 days"),
        "{}",
        disuse.body
    );
    assert!(disuse.body.contains(&integration_path(&idle, "")));
    for mail in &mails {
        assert_no_secret(mail, &[&old, &new, &idle_token]);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(receiver.mails().len(), 2, "one email per token");
}

#[actix_web::test]
async fn without_smtp_nothing_is_queued() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        s.notice_scan_interval = Duration::from_millis(200);
    })
    .await;
    app.setup_owner().await;
    let (id, old) = create_with_token(&app, "Quiet", &["contacts.readonly"], "30").await;
    rotate(&app, &id, &[("expire_old", "now")]).await;
    execute(
        &app,
        "UPDATE access_tokens SET expires_at = now() + interval '3 days' WHERE revoked_at IS NULL",
    );
    assert_eq!(call(&app, &old).await, StatusCode::UNAUTHORIZED);
    let alerted = eventually(10, || app.count("alerts") == 1).await;
    assert!(alerted, "the alert is raised all the same");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(app.count("email_notices"), 0);
}

#[actix_web::test]
async fn a_mail_server_down_at_first_gets_the_message_later() {
    // A port nothing listens on yet.
    let addr = {
        let probe = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        probe.local_addr().expect("address")
    };
    let app = mailing_app(&format!("smtp://{addr}")).await;
    app.setup_owner().await;
    let (id, old) = create_with_token(&app, "Patient", &["contacts.readonly"], "").await;
    rotate(&app, &id, &[("expire_old", "now")]).await;
    assert_eq!(call(&app, &old).await, StatusCode::UNAUTHORIZED);
    let failed = eventually(15, || {
        app.db.query_count(
            "SELECT count(*) AS n FROM email_notices \
             WHERE last_error IS NOT NULL AND sent_at IS NULL",
        ) == 1
    })
    .await;
    assert!(failed, "the failed attempt is recorded with its error");

    let receiver = SmtpReceiver::start_on(addr).await;
    let mails = receiver.wait_for(1).await;
    assert_eq!(mails[0].recipients, [OWNER_EMAIL]);
    assert!(mails[0].body.contains("\"Patient\""));
    // The message is in before the worker records it sent.
    let recorded = eventually(5, || {
        app.db.query_count(
            "SELECT count(*) AS n FROM email_notices \
             WHERE sent_at IS NOT NULL AND attempts >= 2 AND next_attempt_at IS NULL",
        ) == 1
    })
    .await;
    assert!(recorded, "sent at a later attempt");
}

#[actix_web::test]
async fn a_notice_refused_at_its_last_attempt_is_given_up_with_its_error() {
    let receiver = SmtpReceiver::start().await;
    receiver.refuse_next(&["554 5.7.1 Not today", "554 5.7.1 Not today"]);
    let db = TestDb::migrated();
    let mut settings = mailing_settings(&db.url, &receiver.url());
    settings.email_retry_schedule = vec![1];
    let app = spawn_app_with_settings(db, settings).await;
    app.setup_owner().await;
    let (id, old) = create_with_token(&app, "Refused", &["contacts.readonly"], "").await;
    rotate(&app, &id, &[("expire_old", "now")]).await;
    assert_eq!(call(&app, &old).await, StatusCode::UNAUTHORIZED);
    let given_up = eventually(15, || {
        app.db.query_count(
            "SELECT count(*) AS n FROM email_notices WHERE attempts = 2 \
             AND sent_at IS NULL AND next_attempt_at IS NULL AND last_error LIKE '%Not today%'",
        ) == 1
    })
    .await;
    assert!(
        given_up,
        "two attempts, then given up with the server's answer"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        receiver.refused.load(Ordering::SeqCst),
        2,
        "no third attempt"
    );
    assert!(receiver.mails().is_empty());
}

#[actix_web::test]
async fn a_refused_message_is_sent_again_later_and_the_refusal_is_logged() {
    let receiver = SmtpReceiver::start().await;
    receiver.refuse_next(&[
        "451 4.3.0 Mailbox busy, try again",
        "554 5.3.0 Transaction failed",
    ]);
    let db = TestDb::migrated();
    let smtp_url = receiver.url();
    let server = LoggedServer::start(
        &db.url,
        &[
            ("SMTP_URL", smtp_url.as_str()),
            ("SMTP_FROM", FROM),
            ("EMAIL_RETRY_SCHEDULE", "1,1,1,1"),
            ("RUST_LOG", "info"),
        ],
    )
    .await;
    let browser = Browser::new(&server.address);
    setup_owner_in(&browser).await;
    let (id, old) = create_with_token(&browser, "Stubborn", &["contacts.readonly"], "").await;
    let new = rotate(&browser, &id, &[("expire_old", "now")]).await;
    assert_eq!(call(&browser, &old).await, StatusCode::UNAUTHORIZED);

    let mails = receiver.wait_for(1).await;
    assert_eq!(receiver.refused.load(Ordering::SeqCst), 2);
    assert_eq!(mails[0].recipients, [OWNER_EMAIL]);
    assert!(mails[0].body.contains("\"Stubborn\""));
    assert_no_secret(&mails[0], &[&old, &new]);
    let sent = eventually(5, || {
        db.query_count(
            "SELECT count(*) AS n FROM email_notices WHERE sent_at IS NOT NULL AND attempts = 3",
        ) == 1
    })
    .await;
    assert!(sent, "sent at the third attempt");
    let logs = server.stop().await;
    assert!(
        logs.contains("email notice not sent") && logs.contains("451"),
        "the refusal is logged: {logs}"
    );
    assert!(logs.contains("554"), "the second refusal is logged");
    assert!(!logs.contains(&old) && !logs.contains(&new));
}
