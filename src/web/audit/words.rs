//! The audit log in words: what an event did, as the rest of a sentence
//! whose subject is the actor ("rotated the token of *Zapier sync*; the old
//! token expires in 7 days"), built from the action, the target's name at
//! the time and the event's details.

use serde_json::Value;

/// The actions the log's filter offers (SPEC §6); others still filter when
/// named in the query.
pub const ACTIONS: &[&str] = &[
    "integration.created",
    "integration.updated",
    "integration.deleted",
    "token.generated",
    "token.rotated",
    "token.rotation_cancelled",
    "token.expired",
    "user.login",
    "user.login_failed",
    "user.logout",
    "user.added",
    "user.removed",
    "user.role_changed",
    "user.password_changed",
    "user.profile_updated",
    "account.created",
    "account.updated",
    "api_key.generated",
    "api_key.regenerated",
    "api_key.disabled",
    "webhook.created",
    "webhook.deleted",
    "webhook.enabled",
    "webhook.disabled",
    "webhook.secret_rolled",
    "webhook.resent",
    "webhook.test_sent",
    "alert.revoked_token_used",
    "alert.new_ip",
    "alert.dismissed",
];

/// A sentence around the event's target, which the page emphasises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    pub before: String,
    pub target: Option<String>,
    pub after: String,
}

impl Words {
    fn new(before: impl Into<String>, target: Option<&str>, after: impl Into<String>) -> Self {
        Words {
            before: before.into(),
            target: target.map(str::to_string),
            after: after.into(),
        }
    }

    /// Without emphasis, for exports.
    pub fn plain(&self) -> String {
        format!(
            "{}{}{}",
            self.before,
            self.target.as_deref().unwrap_or(""),
            self.after
        )
    }
}

fn text<'a>(details: &'a Value, key: &str) -> Option<&'a str> {
    details.get(key).and_then(Value::as_str)
}

fn number(details: &Value, key: &str) -> Option<i64> {
    details.get(key).and_then(Value::as_i64)
}

fn list(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// `{"from": …, "to": …}` when the two differ.
fn change<'a>(details: &'a Value, key: &str) -> Option<(&'a Value, &'a Value)> {
    let c = details.get(key)?;
    let (from, to) = (c.get("from")?, c.get("to")?);
    (from != to).then_some((from, to))
}

fn plural(n: i64, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// A span of seconds in the largest whole unit: "7 days", "3 hours".
pub fn span(seconds: i64) -> String {
    match seconds {
        s if s >= 86_400 && s % 86_400 == 0 => plural(s / 86_400, "day"),
        s if s >= 3_600 && s % 3_600 == 0 => plural(s / 3_600, "hour"),
        s if s >= 60 && s % 60 == 0 => plural(s / 60, "minute"),
        s => plural(s, "second"),
    }
}

/// An inactivity window as stored (`null` = off).
fn window(days: &Value) -> String {
    days.as_i64()
        .map_or_else(|| "off".to_string(), |d| plural(d, "day"))
}

/// What the event did, to be read after the actor's email.
pub fn describe(action: &str, target: Option<&str>, details: &Value) -> Words {
    let token = text(details, "token");
    match action {
        "integration.created" => {
            let scopes = list(details.get("scopes"));
            let after = if scopes.is_empty() {
                String::new()
            } else {
                format!(" with {}", scopes.join(", "))
            };
            Words::new("created ", target, after)
        }
        "integration.updated" => {
            let mut parts = Vec::new();
            if let Some((from, _)) = change(details, "name") {
                parts.push(format!("renamed from “{}”", from.as_str().unwrap_or("")));
            }
            let added = list(details.get("scopes_added"));
            if !added.is_empty() {
                parts.push(format!("added {}", added.join(", ")));
            }
            let removed = list(details.get("scopes_removed"));
            if !removed.is_empty() {
                parts.push(format!("removed {}", removed.join(", ")));
            }
            if change(details, "ip_allowlist").is_some() {
                parts.push("changed the IP allowlist".to_string());
            }
            let after = if parts.is_empty() {
                String::new()
            } else {
                format!(": {}", parts.join("; "))
            };
            Words::new("edited ", target, after)
        }
        "integration.deleted" => {
            let after = match number(details, "tokens_revoked").unwrap_or(0) {
                0 => String::new(),
                1 => " and revoked its token".to_string(),
                n => format!(" and revoked its {n} tokens"),
            };
            Words::new("deleted ", target, after)
        }
        "token.generated" => {
            let after = token.map_or_else(String::new, |t| format!(" ({t})"));
            Words::new("generated a token for ", target, after)
        }
        "token.rotated" => {
            let mut after = String::new();
            if text(details, "via") == Some("api") {
                after.push_str(" through the API");
            }
            if text(details, "mode") == Some("later") {
                let grace = number(details, "grace_seconds").unwrap_or(0);
                after.push_str(&format!("; the old token expires in {}", span(grace)));
            } else {
                after.push_str("; the old token stopped working at once");
                let also = list(details.get("also_revoked"));
                if !also.is_empty() {
                    after.push_str(&format!(", and so did {}", also.join(", ")));
                }
            }
            Words::new("rotated the token of ", target, after)
        }
        "token.rotation_cancelled" => {
            let after = text(details, "current_token")
                .map_or_else(String::new, |t| format!("; {t} is current again"));
            Words::new("cancelled the rotation of ", target, after)
        }
        "token.expired" => {
            let which = token.map_or_else(|| "a token".to_string(), str::to_string);
            let after = if text(details, "reason") == Some("inactive") {
                let days = number(details, "inactivity_days").unwrap_or(0);
                format!(" after {} without use", plural(days, "day"))
            } else {
                String::new()
            };
            Words::new(format!("expired {which} of "), target, after)
        }
        "user.login" => Words::new("signed in", None, ""),
        "user.login_failed" => Words::new("failed to sign in (wrong password)", None, ""),
        "user.logout" => Words::new("signed out", None, ""),
        "user.password_changed" => Words::new("changed their password", None, ""),
        "user.profile_updated" => {
            let zone = details
                .get("time_zone")
                .and_then(|z| z.get("to"))
                .and_then(Value::as_str);
            match zone {
                Some(zone) => Words::new(format!("set their time zone to {zone}"), None, ""),
                None => Words::new("updated their profile", None, ""),
            }
        }
        "user.added" => {
            let role = text(details, "role").unwrap_or("member");
            let via = if text(details, "via") == Some("command line") {
                " (from the command line)"
            } else {
                ""
            };
            Words::new("added ", target, format!(" as {role}{via}"))
        }
        "user.removed" => {
            let mut after = text(details, "role").map_or_else(String::new, |r| format!(", {r}"));
            if let Some(n) = number(details, "contacts_unassigned").filter(|n| *n > 0) {
                after.push_str(&format!("; {} unassigned", plural(n, "contact")));
            }
            Words::new("removed ", target, after)
        }
        "user.role_changed" => {
            let after = match (text(details, "from"), text(details, "to")) {
                (Some(from), Some(to)) => format!(" from {from} to {to}"),
                _ => String::new(),
            };
            Words::new("changed the role of ", target, after)
        }
        "account.created" => Words::new("created the account ", target, ""),
        "account.updated" => {
            let mut parts = Vec::new();
            if let Some((from, _)) = change(details, "name") {
                parts.push(format!("renamed from “{}”", from.as_str().unwrap_or("")));
            }
            if let Some((from, to)) = change(details, "inactivity_expiry_days") {
                parts.push(format!(
                    "inactivity expiry from {} to {}",
                    window(from),
                    window(to)
                ));
            }
            let after = if parts.is_empty() {
                String::new()
            } else {
                format!(": {}", parts.join("; "))
            };
            Words::new("changed the account ", target, after)
        }
        "api_key.generated" => Words::new("generated the API v1 key ", target, ""),
        "api_key.regenerated" => Words::new(
            "regenerated the API v1 key as ",
            target,
            "; the old key stopped working",
        ),
        "api_key.disabled" => Words::new("disabled the API v1 key ", target, ""),
        "webhook.created" => webhook("added a webhook to ", target, details),
        "webhook.deleted" => webhook("deleted a webhook of ", target, details),
        "webhook.enabled" => webhook("enabled a webhook of ", target, details),
        "webhook.disabled" => webhook("disabled a webhook of ", target, details),
        "webhook.secret_rolled" => {
            webhook("rolled a webhook's signing secret on ", target, details)
        }
        "webhook.resent" => webhook("resent a webhook delivery of ", target, details),
        "webhook.test_sent" => webhook("sent a test event to a webhook of ", target, details),
        "alert.revoked_token_used" => {
            let which = token.map_or_else(|| "a dead token".to_string(), str::to_string);
            let from = text(details, "ip").map_or_else(String::new, |ip| format!(" from {ip}"));
            Words::new(
                format!("alert: {which} of "),
                target,
                format!(" was used{from}; it may be leaked"),
            )
        }
        "alert.new_ip" => {
            let from = text(details, "ip").map_or_else(String::new, |ip| format!(" {ip}"));
            Words::new(
                "alert: ",
                target,
                format!(" was called from a new address{from}"),
            )
        }
        "alert.dismissed" => {
            let from = text(details, "ip").map_or_else(String::new, |ip| format!(" about {ip}"));
            Words::new("dismissed an alert on ", target, from)
        }
        other => Words::new(format!("{other} "), target, ""),
    }
}

fn webhook(before: &str, target: Option<&str>, details: &Value) -> Words {
    let after = text(details, "url").map_or_else(String::new, |u| format!(" ({u})"));
    Words::new(before, target, after)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_later_rotation_says_when_the_old_token_stops() {
        let words = describe(
            "token.rotated",
            Some("Zapier sync"),
            &json!({"mode": "later", "grace_seconds": 604_800, "old_token": "pit_…abcd"}),
        );
        assert_eq!(
            words.plain(),
            "rotated the token of Zapier sync; the old token expires in 7 days"
        );
        assert_eq!(words.target.as_deref(), Some("Zapier sync"));
    }

    #[test]
    fn a_rotation_now_names_the_grace_tokens_it_also_ended() {
        let words = describe(
            "token.rotated",
            Some("CRM"),
            &json!({"mode": "now", "grace_seconds": 0, "also_revoked": ["pit_…wxyz"]}),
        );
        assert_eq!(
            words.plain(),
            "rotated the token of CRM; the old token stopped working at once, and so did pit_…wxyz"
        );
    }

    #[test]
    fn every_listed_action_has_its_own_words() {
        for action in ACTIONS {
            let words = describe(action, Some("Target"), &json!({}));
            assert_ne!(
                words.plain(),
                format!("{action} Target"),
                "{action} has no words of its own"
            );
        }
    }

    #[test]
    fn inactivity_is_told_apart_from_expire_now() {
        let idle = describe(
            "token.expired",
            Some("Old"),
            &json!({"token": "pit_…1234", "reason": "inactive", "inactivity_days": 30}),
        );
        assert_eq!(
            idle.plain(),
            "expired pit_…1234 of Old after 30 days without use"
        );
        let now = describe("token.expired", Some("Old"), &json!({"token": "pit_…1234"}));
        assert_eq!(now.plain(), "expired pit_…1234 of Old");
    }

    #[test]
    fn edits_list_what_changed() {
        let words = describe(
            "integration.updated",
            Some("New name"),
            &json!({
                "name": {"from": "Old name", "to": "New name"},
                "scopes_added": ["contacts.write"],
                "scopes_removed": [],
                "ip_allowlist": {"from": [], "to": []},
            }),
        );
        assert_eq!(
            words.plain(),
            "edited New name: renamed from “Old name”; added contacts.write"
        );
    }

    #[test]
    fn account_changes_name_the_inactivity_windows() {
        let words = describe(
            "account.updated",
            Some("Acme"),
            &json!({"inactivity_expiry_days": {"from": 90, "to": null}}),
        );
        assert_eq!(
            words.plain(),
            "changed the account Acme: inactivity expiry from 90 days to off"
        );
    }

    #[test]
    fn role_changes_and_unknown_actions_read_sensibly() {
        let role = describe(
            "user.role_changed",
            Some("ada@example.com"),
            &json!({"from": "admin", "to": "viewer"}),
        );
        assert_eq!(
            role.plain(),
            "changed the role of ada@example.com from admin to viewer"
        );
        let unknown = describe("something.new", Some("X"), &json!({}));
        assert_eq!(unknown.plain(), "something.new X");
    }

    #[test]
    fn spans_use_the_largest_whole_unit() {
        assert_eq!(span(86_400), "1 day");
        assert_eq!(span(3 * 86_400), "3 days");
        assert_eq!(span(7_200), "2 hours");
        assert_eq!(span(90), "90 seconds");
        assert_eq!(span(3_600 + 60), "61 minutes");
    }
}
