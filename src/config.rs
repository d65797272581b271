//! Settings from the environment (SPEC §2). Tests build [`Settings`] directly.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Key material that must never reach a log line: `Debug` prints nothing of it.
#[derive(Clone)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBytes(..)")
    }
}

/// Text that may carry a password, such as `SMTP_URL`: `Debug` prints
/// nothing of it.
#[derive(Clone)]
pub struct SecretText(String);

impl SecretText {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretText(..)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

fn invalid(name: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name,
        reason: reason.into(),
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub listen_addr: String,
    /// Base of links and curl examples; defaults to `http://{listen_addr}`.
    pub public_url: Option<String>,
    pub session_key: Option<SecretBytes>,
    pub secrets_key: Option<SecretBytes>,
    /// `None` follows `PUBLIC_URL`: secure cookies when it is https.
    pub cookie_secure: Option<bool>,
    pub webhook_allow_private_targets: bool,
    pub webhook_retry_schedule: Vec<u64>,
    /// `WEBHOOK_RESOLVE=host=addr,addr;other=`: pins host names to addresses
    /// for webhook targets, like curl's `--resolve` (split-horizon DNS, and
    /// tests that must never resolve an outside name). A pinned name with no
    /// address does not resolve. The private-address rule still applies.
    pub webhook_resolve: Vec<(String, Vec<std::net::IpAddr>)>,
    /// How long a receiver has to answer a delivery. SPEC §8 fixes it at ten
    /// seconds, so no variable sets it; tests shorten it to see a timeout
    /// without waiting that long.
    pub webhook_timeout: Duration,
    pub api_rate_limit_burst: u32,
    pub api_rate_limit_window_seconds: u64,
    /// `USAGE_RECORDING=false` records no API usage: for measuring what
    /// recording costs in benchmarks only, never for a real deployment.
    pub usage_recording: bool,
    /// Proxies whose `X-Forwarded-For` is believed; empty = use the socket address.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// HTTP worker threads; `None` means one per core.
    pub workers: Option<usize>,
    pub db_pool_size: u32,
    /// Longest wait for a database connection, from the pool or a new one.
    pub db_connect_timeout_seconds: u64,
    /// Longest a statement may run; with the connect timeout, the longest a
    /// request waits for the database before answering 503.
    pub db_statement_timeout_seconds: u64,
    /// `SMTP_URL` (`smtp://`, `smtp://…?tls=required`, `smtps://`, with
    /// optional `user:password@`): where email notices are sent. Unset, no
    /// notice is queued or sent.
    pub smtp_url: Option<SecretText>,
    /// `SMTP_FROM`: the notices' sender, `address` or `Name <address>`;
    /// required with `SMTP_URL`.
    pub smtp_from: Option<String>,
    /// `EMAIL_RETRY_SCHEDULE`: seconds between attempts to send a notice.
    pub email_retry_schedule: Vec<u64>,
    /// How often each instance looks for tokens about to stop working.
    /// Not a variable: a minute is what the product needs; tests shorten it.
    pub notice_scan_interval: Duration,
}

pub const DEFAULT_DATABASE_URL: &str = "postgres://localhost/private_integrations";
pub const DEFAULT_LISTEN_ADDR: &str = "127.0.0.1:8080";

impl Settings {
    /// Defaults for everything but the database.
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            listen_addr: DEFAULT_LISTEN_ADDR.to_string(),
            public_url: None,
            session_key: None,
            secrets_key: None,
            cookie_secure: None,
            webhook_allow_private_targets: false,
            webhook_retry_schedule: vec![5, 300, 1800, 7200, 18000, 36000],
            webhook_resolve: Vec::new(),
            webhook_timeout: Duration::from_secs(10),
            api_rate_limit_burst: 100,
            api_rate_limit_window_seconds: 10,
            usage_recording: true,
            trusted_proxies: Vec::new(),
            workers: None,
            db_pool_size: 10,
            db_connect_timeout_seconds: 3,
            db_statement_timeout_seconds: 5,
            smtp_url: None,
            smtp_from: None,
            email_retry_schedule: vec![60, 300, 1800, 7200, 18000, 36000, 86400],
            notice_scan_interval: Duration::from_secs(60),
        }
    }

    /// Reads the variables of SPEC §2; `.env` has been loaded by then.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut s = Self::new(get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()));
        if let Some(v) = get("LISTEN_ADDR") {
            s.listen_addr = v;
        }
        s.public_url = get("PUBLIC_URL");
        if let Some(url) = &s.public_url {
            let parsed = url::Url::parse(url).map_err(|e| invalid("PUBLIC_URL", e.to_string()))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(invalid("PUBLIC_URL", "must start with http:// or https://"));
            }
        }
        if let Some(v) = get("SESSION_KEY") {
            let key = decode_key("SESSION_KEY", &v)?;
            if key.len() < 64 {
                return Err(invalid("SESSION_KEY", "must be at least 64 bytes"));
            }
            s.session_key = Some(SecretBytes(key));
        }
        if let Some(v) = get("SECRETS_KEY") {
            let key = decode_key("SECRETS_KEY", &v)?;
            if key.len() != 32 {
                return Err(invalid("SECRETS_KEY", "must be exactly 32 bytes"));
            }
            s.secrets_key = Some(SecretBytes(key));
        }
        if let Some(v) = get("COOKIE_SECURE") {
            s.cookie_secure = Some(parse_bool("COOKIE_SECURE", &v)?);
        }
        if let Some(v) = get("USAGE_RECORDING") {
            s.usage_recording = parse_bool("USAGE_RECORDING", &v)?;
        }
        if let Some(v) = get("WEBHOOK_ALLOW_PRIVATE_TARGETS") {
            s.webhook_allow_private_targets = parse_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", &v)?;
        }
        if let Some(v) = get("WEBHOOK_RETRY_SCHEDULE") {
            s.webhook_retry_schedule = parse_schedule("WEBHOOK_RETRY_SCHEDULE", &v)?;
        }
        if let Some(v) = get("EMAIL_RETRY_SCHEDULE") {
            s.email_retry_schedule = parse_schedule("EMAIL_RETRY_SCHEDULE", &v)?;
        }
        s.smtp_url = get("SMTP_URL").map(SecretText);
        s.smtp_from = get("SMTP_FROM");
        validate_smtp(s.smtp_url.as_ref(), s.smtp_from.as_deref())?;
        if let Some(v) = get("WEBHOOK_RESOLVE") {
            s.webhook_resolve = parse_resolve(&v)?;
        }
        if let Some(v) = get("API_RATE_LIMIT_BURST") {
            s.api_rate_limit_burst = parse_positive("API_RATE_LIMIT_BURST", &v)?;
        }
        if let Some(v) = get("API_RATE_LIMIT_WINDOW_SECONDS") {
            s.api_rate_limit_window_seconds =
                u64::from(parse_positive("API_RATE_LIMIT_WINDOW_SECONDS", &v)?);
        }
        if let Some(v) = get("DB_POOL_SIZE") {
            s.db_pool_size = parse_positive("DB_POOL_SIZE", &v)?;
        }
        if let Some(v) = get("DB_CONNECT_TIMEOUT_SECONDS") {
            s.db_connect_timeout_seconds =
                u64::from(parse_positive("DB_CONNECT_TIMEOUT_SECONDS", &v)?);
        }
        if let Some(v) = get("DB_STATEMENT_TIMEOUT_SECONDS") {
            s.db_statement_timeout_seconds =
                u64::from(parse_positive("DB_STATEMENT_TIMEOUT_SECONDS", &v)?);
        }
        if let Some(v) = get("TRUSTED_PROXIES") {
            s.trusted_proxies = crate::domain::cidr::parse_list(&v).map_err(|entry| {
                invalid(
                    "TRUSTED_PROXIES",
                    format!("{entry:?} is not an address or CIDR block"),
                )
            })?;
        }
        Ok(s)
    }

    /// Attempts a delivery gets: the first, then one per retry wait.
    pub fn webhook_max_attempts(&self) -> i32 {
        i32::try_from(self.webhook_retry_schedule.len())
            .unwrap_or(i32::MAX - 1)
            .saturating_add(1)
    }

    /// Whether owners and admins get email notices (`SMTP_URL` is set).
    pub fn email_notices(&self) -> bool {
        self.smtp_url.is_some()
    }

    /// Attempts a notice gets: the first, then one per retry wait.
    pub fn email_max_attempts(&self) -> i32 {
        i32::try_from(self.email_retry_schedule.len())
            .unwrap_or(i32::MAX - 1)
            .saturating_add(1)
    }

    /// The address people and scripts use, without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.listen_addr),
        }
    }

    /// Whether people reach the server over https (`PUBLIC_URL` says so).
    pub fn is_https(&self) -> bool {
        url::Url::parse(&self.public_url()).is_ok_and(|u| u.scheme() == "https")
    }

    pub fn cookie_secure(&self) -> bool {
        self.cookie_secure.unwrap_or_else(|| self.is_https())
    }

    /// The pool's size and timeouts.
    pub fn pool_options(&self) -> crate::db::PoolOptions {
        crate::db::PoolOptions {
            max_size: self.db_pool_size,
            connect_timeout: Duration::from_secs(self.db_connect_timeout_seconds),
            statement_timeout: Duration::from_secs(self.db_statement_timeout_seconds),
        }
    }
}

fn decode_key(name: &'static str, value: &str) -> Result<Vec<u8>, ConfigError> {
    STANDARD
        .decode(value.trim())
        .map_err(|_| invalid(name, "expected base64"))
}

/// Longest wait a retry schedule may name: 30 days, in seconds.
const LONGEST_RETRY_WAIT: u64 = 30 * 24 * 3600;

fn parse_schedule(name: &'static str, v: &str) -> Result<Vec<u64>, ConfigError> {
    v.split(',')
        .map(|p| {
            p.trim()
                .parse::<u64>()
                .ok()
                .filter(|s| *s <= LONGEST_RETRY_WAIT)
        })
        .collect::<Option<_>>()
        .ok_or_else(|| {
            invalid(
                name,
                "expected seconds (at most 2592000, 30 days), comma-separated",
            )
        })
}

/// `SMTP_URL` and `SMTP_FROM` come together. The URL is never repeated in
/// an error: it may hold a password.
fn validate_smtp(url: Option<&SecretText>, from: Option<&str>) -> Result<(), ConfigError> {
    match (url, from) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(invalid("SMTP_FROM", "is set but SMTP_URL is not")),
        (Some(_), None) => Err(invalid("SMTP_FROM", "must be set with SMTP_URL")),
        (Some(url), Some(from)) => {
            let parsed = url::Url::parse(url.expose())
                .map_err(|_| invalid("SMTP_URL", "expected smtp://host:port or smtps://host"))?;
            if !matches!(parsed.scheme(), "smtp" | "smtps") || parsed.host_str().is_none() {
                return Err(invalid(
                    "SMTP_URL",
                    "expected smtp://host:port or smtps://host",
                ));
            }
            // What the mailer will make of it (a `tls=` value, say), checked
            // now rather than found when the first notice is due. Nothing
            // connects yet.
            lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url.expose()).map_err(
                |_| {
                    invalid(
                        "SMTP_URL",
                        "expected smtp://host:port, smtp://host:port?tls=required or smtps://host",
                    )
                },
            )?;
            from.parse::<lettre::message::Mailbox>()
                .map_err(|_| invalid("SMTP_FROM", "expected an address or Name <address>"))?;
            Ok(())
        }
    }
}

fn parse_resolve(v: &str) -> Result<Vec<(String, Vec<std::net::IpAddr>)>, ConfigError> {
    let bad = || invalid("WEBHOOK_RESOLVE", "expected host=address,address;host=...");
    v.split(';')
        .filter(|entry| !entry.trim().is_empty())
        .map(|entry| {
            let (host, addrs) = entry.split_once('=').ok_or_else(bad)?;
            let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
            if host.is_empty() {
                return Err(bad());
            }
            let addrs = addrs
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(|a| a.trim_matches(['[', ']']).parse().map_err(|_| bad()))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((host, addrs))
        })
        .collect()
}

fn parse_bool(name: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(invalid(name, "expected true or false")),
    }
}

fn parse_positive(name: &'static str, value: &str) -> Result<u32, ConfigError> {
    match value.trim().parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(invalid(name, "expected a positive whole number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_match_the_spec() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(s.listen_addr, "127.0.0.1:8080");
        assert_eq!(s.public_url(), "http://127.0.0.1:8080");
        assert!(!s.cookie_secure());
        assert_eq!(
            s.webhook_retry_schedule,
            vec![5, 300, 1800, 7200, 18000, 36000]
        );
        assert_eq!(
            (s.api_rate_limit_burst, s.api_rate_limit_window_seconds),
            (100, 10)
        );
    }

    #[test]
    fn https_public_url_makes_cookies_secure_unless_overridden() {
        assert!(
            settings(&[("PUBLIC_URL", "https://x.example/")])
                .unwrap()
                .cookie_secure()
        );
        let s = settings(&[
            ("PUBLIC_URL", "https://x.example"),
            ("COOKIE_SECURE", "false"),
        ]);
        assert!(!s.unwrap().cookie_secure());
    }

    #[test]
    fn short_session_key_is_refused_and_debug_hides_keys() {
        assert!(settings(&[("SESSION_KEY", &STANDARD.encode([1u8; 32]))]).is_err());
        let s = settings(&[("SESSION_KEY", &STANDARD.encode([7u8; 64]))]).unwrap();
        assert!(!format!("{s:?}").contains("7, 7"));
    }

    #[test]
    fn trusted_proxies_parse_as_blocks() {
        let s = settings(&[("TRUSTED_PROXIES", "10.0.0.0/8, ::1")]).unwrap();
        assert_eq!(s.trusted_proxies.len(), 2);
        assert!(settings(&[("TRUSTED_PROXIES", "10.0.0.0/8, proxy")]).is_err());
    }

    #[test]
    fn the_database_answers_within_ten_seconds_by_default_and_the_pool_is_configurable() {
        let s = settings(&[]).unwrap();
        let pool = s.pool_options();
        assert!(pool.connect_timeout + pool.statement_timeout < Duration::from_secs(10));
        let s = settings(&[
            ("DB_POOL_SIZE", "32"),
            ("DB_CONNECT_TIMEOUT_SECONDS", "2"),
            ("DB_STATEMENT_TIMEOUT_SECONDS", "30"),
        ])
        .unwrap();
        let pool = s.pool_options();
        assert_eq!(
            (
                pool.max_size,
                pool.connect_timeout.as_secs(),
                pool.statement_timeout.as_secs()
            ),
            (32, 2, 30)
        );
    }

    #[test]
    fn bad_numbers_are_refused() {
        assert!(settings(&[("DB_CONNECT_TIMEOUT_SECONDS", "0")]).is_err());
        assert!(settings(&[("DB_POOL_SIZE", "many")]).is_err());
        assert!(settings(&[("API_RATE_LIMIT_BURST", "0")]).is_err());
        assert!(settings(&[("WEBHOOK_RETRY_SCHEDULE", "5,x")]).is_err());
        assert!(settings(&[("WEBHOOK_RETRY_SCHEDULE", "5,2592001")]).is_err());
        assert!(settings(&[("WEBHOOK_RETRY_SCHEDULE", "18446744073709551615")]).is_err());
        assert!(settings(&[("WEBHOOK_RETRY_SCHEDULE", "5,2592000")]).is_ok());
        assert!(settings(&[("WEBHOOK_RESOLVE", "hooks.test")]).is_err());
        assert!(settings(&[("WEBHOOK_RESOLVE", "hooks.test=nowhere")]).is_err());
    }

    #[test]
    fn smtp_settings_come_together_and_errors_never_repeat_the_password() {
        let s = settings(&[]).unwrap();
        assert!(!s.email_notices());
        let s = settings(&[
            ("SMTP_URL", "smtps://mailer:hunter2-secret@mail.example.com"),
            ("SMTP_FROM", "Integrations <notices@example.com>"),
            ("EMAIL_RETRY_SCHEDULE", "1,2"),
        ])
        .unwrap();
        assert!(s.email_notices());
        assert_eq!(s.email_max_attempts(), 3);
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(settings(&[("SMTP_URL", "smtp://mail.example.com")]).is_err());
        assert!(settings(&[("SMTP_FROM", "notices@example.com")]).is_err());
        let bad = settings(&[
            ("SMTP_URL", "http://mailer:hunter2-secret@mail.example.com"),
            ("SMTP_FROM", "notices@example.com"),
        ])
        .unwrap_err();
        assert!(!bad.to_string().contains("hunter2"), "{bad}");
        assert!(
            settings(&[
                ("SMTP_URL", "smtp://mail.example.com?tls=sometimes"),
                ("SMTP_FROM", "notices@example.com"),
            ])
            .is_err()
        );
        assert!(
            settings(&[
                ("SMTP_URL", "smtp://mail.example.com:2525"),
                ("SMTP_FROM", "not an address"),
            ])
            .is_err()
        );
    }

    #[test]
    fn webhook_names_can_be_pinned_to_addresses_or_to_nothing() {
        let s = settings(&[("WEBHOOK_RESOLVE", "Hooks.Test=127.0.0.1,[::1];gone.test=")]).unwrap();
        assert_eq!(
            s.webhook_resolve,
            vec![
                (
                    "hooks.test".to_string(),
                    vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()]
                ),
                ("gone.test".to_string(), vec![]),
            ]
        );
        assert_eq!(s.webhook_max_attempts(), 7);
    }
}
