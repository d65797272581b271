//! The email notice worker: every instance runs one while `SMTP_URL` is
//! set. It claims due notices from the outbox under a lease (see
//! `models::email_notice::claim`), so two instances never send one notice,
//! sends each over SMTP, and records the result: sent, or failed with the
//! error, logged, and due again after `EMAIL_RETRY_SCHEDULE`, until the last
//! attempt, after which the notice is given up with an error in the log.
//! Beside it, a scan queues the warnings for tokens about to stop working,
//! once a minute. On shutdown it stops claiming and lets the send under way
//! finish, boundedly.

use std::net::IpAddr;
use std::time::Duration;

use chrono::Utc;
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::watch;

use crate::actions::notices::{self, Notices};
use crate::config::Settings;
use crate::db::{self, DbError, DbPool};
use crate::models::email_notice::{self, ClaimedNotice};

/// Notices claimed at once.
const BATCH: i64 = 8;
/// How often the worker looks for due notices.
const POLL: Duration = Duration::from_secs(1);
/// Longest an SMTP command may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a claimed notice stays with its worker: longer than a send
/// (connecting and a handful of commands, each bounded by the timeout), or
/// a slow send would be made twice.
const LEASE: Duration = Duration::from_secs(300);
/// How long, at shutdown, the batch under way gets to finish. What is left
/// keeps its lease and is sent after it.
const DRAIN_WITHIN: Duration = Duration::from_secs(15);

/// The running worker and scan; stopping them lets the send under way
/// finish.
pub struct NoticeWorker {
    stop: watch::Sender<bool>,
    done: Vec<actix_web::rt::task::JoinHandle<()>>,
}

impl NoticeWorker {
    /// Stops claiming and scanning, and waits (boundedly) for the sends under way.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for done in self.done {
            let _ = tokio::time::timeout(DRAIN_WITHIN + POLL, done).await;
        }
    }
}

/// What sending needs.
struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The right-hand side of Message-IDs: `PUBLIC_URL`'s host.
    domain: String,
    retry_schedule: Vec<u64>,
}

impl Mailer {
    fn new(settings: &Settings) -> Result<Self, String> {
        let (Some(url), Some(from)) = (&settings.smtp_url, &settings.smtp_from) else {
            return Err("SMTP_URL and SMTP_FROM are not both set".to_string());
        };
        let from = from
            .parse::<Mailbox>()
            .map_err(|_| "SMTP_FROM is not an address".to_string())?;
        let domain = url::Url::parse(&settings.public_url())
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "localhost".to_string());
        // The error is lettre's own words about the URL's shape, never the
        // URL itself, which may hold a password.
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
            .map_err(|e| format!("SMTP_URL cannot be used: {e}"))?
            .timeout(Some(SMTP_TIMEOUT));
        // A path in SMTP_URL names the client in EHLO; otherwise our public
        // host does, as some servers refuse a client calling itself localhost.
        let names_itself = url::Url::parse(url.expose()).is_ok_and(|u| u.path().len() > 1);
        if !names_itself {
            let client = match domain.trim_matches(['[', ']']).parse::<IpAddr>() {
                Ok(IpAddr::V4(ip)) => ClientId::Ipv4(ip),
                Ok(IpAddr::V6(ip)) => ClientId::Ipv6(ip),
                Err(_) => ClientId::Domain(domain.clone()),
            };
            builder = builder.hello_name(client);
        }
        Ok(Self {
            transport: builder.build(),
            from,
            domain,
            retry_schedule: settings.email_retry_schedule.clone(),
        })
    }

    async fn send(&self, notice: &ClaimedNotice) -> Result<(), SendError> {
        let to = notice
            .recipient
            .parse::<Mailbox>()
            .map_err(|e| SendError::Unsendable(format!("bad recipient address: {e}")))?;
        // One Message-ID per notice, the same on every attempt: a notice
        // sent twice (a lease ran out mid-send) reads as one message.
        let message = Message::builder()
            .message_id(Some(format!("<{}@{}>", notice.id, self.domain)))
            .from(self.from.clone())
            .to(to)
            .subject(notice.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(notice.body.clone())
            .map_err(|e| SendError::Unsendable(format!("cannot build the message: {e}")))?;
        self.transport
            .send(message)
            .await
            .map(drop)
            .map_err(|e| SendError::Failed(crate::db::one_line(&e)))
    }
}

/// The wait before the attempt after `attempt` (the first is 1), or
/// `None` when `attempt` was the last.
fn retry_after(schedule: &[u64], attempt: i32) -> Option<u64> {
    let index = usize::try_from(attempt).ok()?.checked_sub(1)?;
    schedule.get(index).copied()
}

enum SendError {
    /// Sending again would fail the same way.
    Unsendable(String),
    /// The server refused, or could not be reached: worth another attempt.
    Failed(String),
}

/// Starts the worker and the scan on the current runtime when `SMTP_URL`
/// is set; `None` (nothing is sent) otherwise.
pub fn start(pool: DbPool, settings: &Settings) -> Option<NoticeWorker> {
    if !settings.email_notices() {
        return None;
    }
    let (stop, stopped) = watch::channel(false);
    let mailer = match Mailer::new(settings) {
        Ok(mailer) => mailer,
        Err(e) => {
            // Notices wait in the outbox until a restart that can send them.
            tracing::error!(error = %e, "email notices are not sent: the SMTP client could not start");
            return Some(NoticeWorker {
                stop,
                done: Vec::new(),
            });
        }
    };
    let notices = Notices::new(&settings.public_url());
    let scan = actix_web::rt::spawn(scan(
        pool.clone(),
        notices,
        settings.notice_scan_interval,
        stopped.clone(),
    ));
    let send = actix_web::rt::spawn(run(pool, mailer, stopped));
    Some(NoticeWorker {
        stop,
        done: vec![send, scan],
    })
}

async fn scan(pool: DbPool, notices: Notices, every: Duration, mut stopped: watch::Receiver<bool>) {
    // A zero period would make the interval panic.
    let mut tick = tokio::time::interval(every.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !*stopped.borrow() {
        tokio::select! {
            changed = stopped.changed() => {
                if changed.is_err() {
                    break;
                }
                continue;
            }
            _ = tick.tick() => {}
        }
        let notices = notices.clone();
        let queued = db::run(&pool, move |conn| {
            notices::queue_token_endings(conn, &notices, Utc::now()).map_err(DbError::from)
        })
        .await;
        match queued {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                queued = n,
                "queued email notices of tokens about to stop working"
            ),
            Err(e) => tracing::warn!(error = %e, "could not look for tokens about to stop working"),
        }
    }
}

async fn run(pool: DbPool, mailer: Mailer, mut stopped: watch::Receiver<bool>) {
    let lease_seconds = LEASE.as_secs_f64();
    let mut outage = false;
    while !*stopped.borrow() {
        let claimed = db::run(&pool, move |conn| {
            email_notice::claim(conn, BATCH, lease_seconds).map_err(DbError::from)
        })
        .await;
        let mut more_due = false;
        match claimed {
            Ok(batch) => {
                if outage {
                    tracing::info!("email notices resumed");
                    outage = false;
                }
                more_due = i64::try_from(batch.len()).is_ok_and(|n| n == BATCH);
                for notice in batch {
                    attempt(&pool, &mailer, notice).await;
                }
            }
            Err(e) if e.is_unavailable() => {
                if !outage {
                    tracing::warn!(error = %e, "cannot claim email notices; retrying");
                }
                outage = true;
            }
            Err(e) => tracing::error!(error = %e, "claiming email notices failed"),
        }
        if more_due {
            continue;
        }
        tokio::select! {
            changed = stopped.changed() => {
                if changed.is_err() {
                    break;
                }
            }
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

/// Sends one notice and records what happened; a failure is logged.
async fn attempt(pool: &DbPool, mailer: &Mailer, notice: ClaimedNotice) {
    let result = mailer.send(&notice).await;
    let (id, attempt) = (notice.id, notice.attempt);
    let recorded = match result {
        Ok(()) => {
            tracing::info!(notice = %id, kind = %notice.kind, attempt, "email notice sent");
            db::run(pool, move |conn| {
                email_notice::mark_sent(conn, id, attempt).map_err(DbError::from)
            })
            .await
        }
        Err(failure) => {
            let (error, retry) = match failure {
                SendError::Unsendable(error) => (error, None),
                SendError::Failed(error) => (error, retry_after(&mailer.retry_schedule, attempt)),
            };
            match retry {
                Some(seconds) => tracing::warn!(
                    notice = %id,
                    kind = %notice.kind,
                    attempt,
                    retry_in_seconds = seconds,
                    error = %error,
                    "email notice not sent; it is tried again"
                ),
                None => tracing::error!(
                    notice = %id,
                    kind = %notice.kind,
                    attempt,
                    error = %error,
                    "email notice not sent; given up"
                ),
            }
            let wait = retry.map(|s| s as f64);
            db::run(pool, move |conn| {
                email_notice::mark_failed(conn, id, attempt, &error, wait).map_err(DbError::from)
            })
            .await
        }
    };
    if let Err(e) = recorded {
        // The lease runs out and the notice is due again: sent twice at
        // worst, never lost.
        tracing::error!(notice = %id, error = %e, "could not record an email notice's attempt");
    }
}

#[cfg(test)]
mod tests {
    use super::retry_after;

    #[test]
    fn each_failed_attempt_waits_its_turn_of_the_schedule_until_the_last() {
        let schedule = [60, 300];
        assert_eq!(retry_after(&schedule, 1), Some(60));
        assert_eq!(retry_after(&schedule, 2), Some(300));
        assert_eq!(retry_after(&schedule, 3), None, "three attempts in all");
        assert_eq!(retry_after(&[], 1), None, "one attempt only");
        assert_eq!(retry_after(&schedule, 0), None);
    }
}
