//! Email notices to an account's owners and admins, queued in the outbox
//! (`email_notices`) by what causes them: an alert, in the transaction that
//! raises it, and a token about to stop working, by a periodic scan every
//! instance may run. The worker sends them; here they are only worded and
//! written. A notice names the integration, says why, and links to its page;
//! it never holds a token, a secret or a password.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::zone::Zone;
use crate::models::AccessToken;
use crate::models::User;
use crate::models::alert::AlertKind;
use crate::models::email_notice::{self, NewEmailNotice, NoticeKind};
use crate::models::token_ending::{ENDING_SOON_DAYS, EndReason, EndingSoon};

/// Email notices are on (`SMTP_URL` is set): what wording them needs.
#[derive(Debug, Clone)]
pub struct Notices {
    public_url: String,
}

impl Notices {
    /// Links in notices start with `public_url` (no trailing slash).
    pub fn new(public_url: &str) -> Self {
        Self {
            public_url: public_url.trim_end_matches('/').to_string(),
        }
    }

    fn integration_link(&self, integration_id: Uuid) -> String {
        format!(
            "{}/settings/private-integrations/{integration_id}",
            self.public_url
        )
    }
}

/// A notice's words, the same for every recipient in one time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wording {
    pub subject: String,
    pub body: String,
}

/// What an alert is about, for its email.
pub struct AlertFacts<'a> {
    pub alert_id: Uuid,
    pub account_id: Uuid,
    pub integration_id: Uuid,
    pub integration: &'a str,
    pub kind: AlertKind,
    pub ip: &'a str,
    pub at: DateTime<Utc>,
}

const FOOTER: &str = "You receive this because you are an owner or admin of the account.";

/// The words of an alert's email, its time in `zone`.
pub fn alert_wording(notices: &Notices, alert: &AlertFacts<'_>, zone: Zone) -> Wording {
    let name = alert.integration;
    let link = notices.integration_link(alert.integration_id);
    let when = zone.minute(alert.at);
    let (subject, what) = match alert.kind {
        AlertKind::RevokedTokenUsed => (
            format!("Alert: a token of \"{name}\" that no longer works was used"),
            format!(
                "A token of the private integration \"{name}\" that no longer works \
                 (revoked, expired or rotated out) was presented from {ip} at {when}.\n\
                 Whoever holds it may have got it from a leak: check where the \
                 integration's tokens are kept.",
                ip = alert.ip
            ),
        ),
        AlertKind::NewIp => (
            format!("Alert: \"{name}\" was used from a new address"),
            format!(
                "The private integration \"{name}\" was used from a new address, {ip}, \
                 at {when}.\nIf you do not recognise it, rotate the integration's token.",
                ip = alert.ip
            ),
        ),
    };
    Wording {
        subject,
        body: format!("{what}\n\nOpen the integration: {link}\n\n{FOOTER}\n"),
    }
}

/// The words of the warning that a token of `integration` stops working,
/// its times in `zone`.
pub fn ending_wording(
    notices: &Notices,
    integration_id: Uuid,
    integration: &str,
    token_created: DateTime<Utc>,
    ending: &EndingSoon,
    zone: Zone,
) -> Wording {
    let link = notices.integration_link(integration_id);
    let in_days = if ending.days == 1 {
        "1 day".to_string()
    } else {
        format!("{} days", ending.days)
    };
    let why = match ending.reason {
        EndReason::Lifetime => "its lifetime ends".to_string(),
        EndReason::Rotation => {
            "it was replaced by a rotation and its grace period ends".to_string()
        }
        EndReason::Inactivity(days) => format!(
            "it will have gone unused for {days} days, the account's inactivity window \
             (using it moves this date)"
        ),
    };
    Wording {
        subject: format!("A token of \"{integration}\" stops working in {in_days}"),
        body: format!(
            "A token of the private integration \"{integration}\", created {created}, \
             stops working at {at}: {why}.\n\
             Rotate it, or update whatever uses it, before then.\n\n\
             Open the integration: {link}\n\n{FOOTER}\n",
            created = zone.minute(token_created),
            at = zone.minute(ending.at),
        ),
    }
}

/// The notice's rows, one per recipient, each worded by `words` in the
/// recipient's time zone.
fn notice_rows<'a>(
    account_id: Uuid,
    kind: NoticeKind,
    dedup_key: &'a str,
    recipients: &'a [(String, String)],
    wordings: &'a [Wording],
) -> Vec<NewEmailNotice<'a>> {
    recipients
        .iter()
        .zip(wordings)
        .map(|((to, _), words)| NewEmailNotice {
            account_id,
            recipient: to,
            kind: kind.as_str(),
            dedup_key,
            subject: &words.subject,
            body: &words.body,
        })
        .collect()
}

/// Queues the alert's email for each owner and admin of its account, in
/// the caller's transaction.
pub fn queue_alert(
    conn: &mut PgConnection,
    notices: &Notices,
    alert: &AlertFacts<'_>,
) -> QueryResult<usize> {
    let key = alert.alert_id.to_string();
    let recipients = User::notice_recipients(conn, alert.account_id)?;
    let wordings: Vec<Wording> = recipients
        .iter()
        .map(|(_, zone)| alert_wording(notices, alert, Zone::of_user(zone)))
        .collect();
    let rows = notice_rows(
        alert.account_id,
        NoticeKind::Alert,
        &key,
        &recipients,
        &wordings,
    );
    email_notice::insert_new(conn, &rows)
}

/// The key of a token's warning: the token, why and when it ends. A new
/// deadline (the token was used, or a rotation began) is a new warning;
/// the same deadline found again by any scan of any instance is not.
fn ending_key(token: &AccessToken, ending: &EndingSoon) -> String {
    format!(
        "{}:{}:{}",
        token.id,
        ending.reason.as_str(),
        ending.at.timestamp()
    )
}

/// One scan: queues a warning for each owner and admin about every token
/// that stops working within [`ENDING_SOON_DAYS`], once per token and end.
/// Returns how many notices were new.
pub fn queue_token_endings(
    conn: &mut PgConnection,
    notices: &Notices,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let horizon = now + Duration::days(ENDING_SOON_DAYS);
    let candidates = AccessToken::may_end_by(conn, now, horizon)?;
    let mut recipients: HashMap<Uuid, Vec<(String, String)>> = HashMap::new();
    let mut queued = 0;
    for (token, integration, account_id, inactivity) in candidates {
        let Some(ending) = EndingSoon::of(&token, inactivity, now) else {
            continue;
        };
        let to = match recipients.get(&account_id) {
            Some(to) => to,
            None => {
                let found = User::notice_recipients(conn, account_id)?;
                recipients.entry(account_id).or_insert(found)
            }
        };
        let wordings: Vec<Wording> = to
            .iter()
            .map(|(_, zone)| {
                ending_wording(
                    notices,
                    token.integration_id,
                    &integration,
                    token.created_at,
                    &ending,
                    Zone::of_user(zone),
                )
            })
            .collect();
        let key = ending_key(&token, &ending);
        let rows = notice_rows(account_id, NoticeKind::TokenEnding, &key, to, &wordings);
        queued += email_notice::insert_new(conn, &rows)?;
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_names_the_integration_the_reason_and_links_to_it() {
        let notices = Notices::new("https://pi.example.com/");
        let integration_id = Uuid::nil();
        let words = alert_wording(
            &notices,
            &AlertFacts {
                alert_id: Uuid::nil(),
                account_id: Uuid::nil(),
                integration_id,
                integration: "Zapier",
                kind: AlertKind::RevokedTokenUsed,
                ip: "203.0.113.7",
                at: Utc::now(),
            },
            Zone::UTC,
        );
        assert!(words.subject.contains("\"Zapier\""), "{words:?}");
        assert!(words.body.contains("no longer works"));
        assert!(words.body.contains("203.0.113.7"));
        assert!(words.body.contains(&format!(
            "https://pi.example.com/settings/private-integrations/{integration_id}"
        )));
    }

    #[test]
    fn a_warning_says_when_and_why_the_token_stops() {
        let notices = Notices::new("http://127.0.0.1:8080");
        let now = Utc::now();
        let ending = EndingSoon {
            at: now + Duration::days(3),
            reason: EndReason::Inactivity(90),
            days: 3,
        };
        let words = ending_wording(&notices, Uuid::nil(), "Billing", now, &ending, Zone::UTC);
        assert_eq!(
            words.subject,
            "A token of \"Billing\" stops working in 3 days"
        );
        assert!(words.body.contains("unused for 90 days"), "{}", words.body);
    }

    #[test]
    fn times_are_written_in_the_recipients_zone() {
        use chrono::TimeZone;
        let notices = Notices::new("http://127.0.0.1:8080");
        let created = Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).unwrap();
        let ending = EndingSoon {
            at: Utc.with_ymd_and_hms(2026, 12, 4, 23, 15, 0).unwrap(),
            reason: EndReason::Lifetime,
            days: 3,
        };
        let paris = Zone::parse("Europe/Paris").expect("a known zone");
        let words = ending_wording(&notices, Uuid::nil(), "Billing", created, &ending, paris);
        assert!(
            words.body.contains("1 Dec 2026, 10:30 CET"),
            "{}",
            words.body
        );
        assert!(
            words.body.contains("5 Dec 2026, 00:15 CET"),
            "{}",
            words.body
        );
        let utc = ending_wording(
            &notices,
            Uuid::nil(),
            "Billing",
            created,
            &ending,
            Zone::UTC,
        );
        assert!(utc.body.contains("4 Dec 2026, 23:15 UTC"), "{}", utc.body);
    }
}
