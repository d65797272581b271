//! Builds the application: database, migrations, session key, middleware and
//! every route, assembled here in one place.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use actix_files::Files;
use actix_session::SessionMiddleware;
use actix_session::config::{PersistentSession, TtlExtensionPolicy};
use actix_web::cookie::{Key, SameSite, time::Duration};
use actix_web::dev::Server;
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};
use rand::RngExt as _;

use crate::actions::notices::Notices;
use crate::auth::csrf::verify_csrf;
use crate::auth::middleware::require_user;
use crate::auth::session_store::PgSessionStore;
use crate::caches::Caches;
use crate::config::Settings;
use crate::db::{self, DbPool};
use crate::errors::WebError;
use crate::models::server_secret;
use crate::outbound::Resolver;
use crate::secrets::SecretBox;
use crate::state::AppState;
use crate::usage::rate_limit::RateLimiter;
use crate::web as panel;
use crate::workers;
use crate::workers::email_notices::NoticeWorker;
use crate::workers::usage_writer::UsageWriter;
use crate::workers::webhook_delivery::DeliveryWorker;
use diesel::{Connection, PgConnection};

pub const SESSION_COOKIE: &str = "pi_session";
/// Signed-in sessions last this long after the last request.
const SESSION_IDLE_HOURS: i64 = 12;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{0}")]
    Config(&'static str),
    #[error("{0}")]
    Database(String),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: String, reason: String },
}

pub struct Application {
    port: u16,
    public_url: String,
    server: Server,
    workers: Workers,
}

/// The background work that outlives a request and ends after the last one.
struct Workers {
    deliveries: DeliveryWorker,
    notices: Option<NoticeWorker>,
    usage: UsageWriter,
}

/// Opens (and if need be creates) the database and brings its schema up to
/// date, over one plain connection: no pool threads exist yet, so a failure
/// here, or a one-shot command, ends the process cleanly.
pub fn prepare_database(settings: &Settings) -> Result<PgConnection, StartupError> {
    migrate_database(settings).map(|(conn, _)| conn)
}

/// As [`prepare_database`], also saying how many migrations it applied.
pub fn migrate_database(settings: &Settings) -> Result<(PgConnection, usize), StartupError> {
    let url = db::pool::with_connect_timeout(&settings.database_url, &settings.pool_options());
    db::create_database_if_missing(&url).map_err(|e| StartupError::Database(db::one_line(&e)))?;
    let mut conn = PgConnection::establish(&url).map_err(|e| {
        StartupError::Database(format!(
            "cannot connect to PostgreSQL: {}",
            db::one_line(&e)
        ))
    })?;
    let applied =
        db::run_migrations(&mut conn).map_err(|e| StartupError::Database(db::one_line(&e)))?;
    if applied > 0 {
        tracing::info!(applied, "ran database migrations");
    }
    crate::workers::maintenance::request_log_partitions(&mut conn);
    Ok((conn, applied))
}

/// The cookie-signing key: from configuration, or generated once and kept in
/// the database so that every instance signs alike.
fn session_key(
    settings: &Settings,
    conn: &mut PgConnection,
) -> Result<(Key, SecretBox), StartupError> {
    let bytes = match &settings.session_key {
        Some(k) => k.expose().to_vec(),
        None => server_secret::get_or_create(conn, "session_key", || {
            let key: [u8; 64] = rand::rng().random();
            key.to_vec()
        })
        .map_err(|e| StartupError::Database(format!("cannot read the session key: {e}")))?,
    };
    let key = Key::try_from(bytes.as_slice())
        .map_err(|_| StartupError::Database("the session key must be at least 64 bytes".into()))?;
    let secrets = match &settings.secrets_key {
        Some(k) => {
            let mut key = [0u8; 32];
            if k.expose().len() != key.len() {
                return Err(StartupError::Config("SECRETS_KEY must be exactly 32 bytes"));
            }
            key.copy_from_slice(k.expose());
            SecretBox::new(&key)
        }
        None => SecretBox::derived_from(&bytes),
    };
    Ok((key, secrets))
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        // A generated key is kept in the database beside the data it
        // protects: anyone who reads a backup could sign cookies. Fine for
        // development, not for a deployment people reach over https.
        if settings.is_https() && settings.session_key.is_none() {
            return Err(StartupError::Config(
                "SESSION_KEY must be set when PUBLIC_URL is https (generate one with: openssl rand -base64 64)",
            ));
        }
        // Bound first: a port in use is reported before any database work.
        let listener =
            TcpListener::bind(&settings.listen_addr).map_err(|e| StartupError::Listen {
                addr: settings.listen_addr.clone(),
                reason: e.to_string(),
            })?;
        let port = listener
            .local_addr()
            .map_err(|e| StartupError::Listen {
                addr: settings.listen_addr.clone(),
                reason: e.to_string(),
            })?
            .port();

        let blocking_settings = settings.clone();
        let (pool, (key, secrets)) = actix_web::rt::task::spawn_blocking(move || {
            let mut conn = prepare_database(&blocking_settings)?;
            let key = session_key(&blocking_settings, &mut conn)?;
            drop(conn);
            let pool = db::build_pool(
                &blocking_settings.database_url,
                &blocking_settings.pool_options(),
            )
            .map_err(|e| {
                StartupError::Database(format!(
                    "cannot connect to PostgreSQL: {}",
                    db::one_line(&e)
                ))
            })?;
            Ok::<_, StartupError>((pool, key))
        })
        .await
        .map_err(|e| StartupError::Database(format!("start-up task failed: {e}")))??;

        let mut settings = settings;
        if settings.public_url.is_none() {
            // Links must name the port actually bound (port 0 picks one) and
            // an address a browser can open.
            let host = match listener.local_addr().map(|a| a.ip()) {
                Ok(ip) if ip.is_unspecified() && ip.is_ipv6() => "[::1]".to_string(),
                Ok(ip) if ip.is_unspecified() => "127.0.0.1".to_string(),
                Ok(std::net::IpAddr::V6(ip)) => format!("[{ip}]"),
                Ok(ip) => ip.to_string(),
                Err(_) => "127.0.0.1".to_string(),
            };
            settings.public_url = Some(format!("http://{host}:{port}"));
        }
        let public_url = settings.public_url();
        let (server, workers) = run(listener, pool, key, secrets, settings)?;
        Ok(Self {
            port,
            public_url,
            server,
            workers,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where people open the panel: `PUBLIC_URL`, else the bound address.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Serves until the server is stopped (SIGTERM lets requests finish,
    /// SIGINT does not); then webhook attempts and email notices under way,
    /// and the usage of the last requests, get a bounded time to finish
    /// before the process goes.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        let Workers {
            deliveries,
            notices,
            usage,
        } = self.workers;
        let notices = async move {
            if let Some(notices) = notices {
                notices.stop().await;
            }
        };
        futures_util::future::join3(deliveries.stop(), notices, usage.stop()).await;
        served
    }
}

/// SPEC §6 headers, on every response. Scripts and styles come only from our
/// own `/static`, which is what lets the CSP forbid everything inline. Served
/// over https, browsers are also told never to try plain http again.
fn security_headers(https: bool) -> DefaultHeaders {
    let headers = panel::SECURITY_HEADERS
        .iter()
        .fold(DefaultHeaders::new(), |headers, &header| {
            headers.add(header)
        });
    if https {
        headers.add((
            "Strict-Transport-Security",
            "max-age=31536000; includeSubDomains",
        ))
    } else {
        headers
    }
}

fn run(
    listener: TcpListener,
    pool: DbPool,
    key: Key,
    secrets: SecretBox,
    settings: Settings,
) -> Result<(Server, Workers), StartupError> {
    let cookie_secure = settings.cookie_secure();
    let https = settings.is_https();
    let worker_threads = settings.workers;
    let listen_addr = settings.listen_addr.clone();
    let limiter_settings = (
        settings.api_rate_limit_burst,
        settings.api_rate_limit_window_seconds,
    );
    let caches = Arc::new(Caches::new());
    // The listener's connection notices a dead database as the pool's do.
    workers::token_listener::start(
        db::pool::with_timeouts(&settings.database_url, &settings.pool_options()),
        &caches,
    );
    let resolver = Arc::new(Resolver::new(
        &settings.webhook_resolve,
        settings.webhook_allow_private_targets,
    ));
    // With SMTP unset nothing is queued: no outbox grows unsent.
    let alert_notices = settings
        .email_notices()
        .then(|| Notices::new(&settings.public_url()));
    let notices = workers::email_notices::start(pool.clone(), &settings);
    let (usage_sink, usage) = workers::usage_writer::start(pool.clone(), alert_notices);
    let state = web::Data::new(AppState {
        pool: pool.clone(),
        settings: Arc::new(settings),
        setup_done: AtomicBool::new(false),
        cookie_key: key.clone(),
        limiter: RateLimiter::new(limiter_settings.0, limiter_settings.1),
        usage: usage_sink,
        caches: caches.clone(),
        secrets,
        resolver,
    });
    workers::maintenance::start(pool.clone());
    let reference = web::Data::new(Arc::new(panel::docs::Reference::from_openapi(
        &crate::api::openapi::document_json(),
    )));
    // The panel changes contacts too (removing a user unassigns theirs);
    // their events take the API's shape.
    let contact_events = web::Data::new(crate::actions::contacts::ContactEvents(
        crate::api::contacts::webhook_body,
    ));
    let deliveries = workers::webhook_delivery::start(
        &state,
        db::pool::with_timeouts(&state.settings.database_url, &state.settings.pool_options()),
    );
    let store = PgSessionStore::new(pool, caches);
    // Beside the binary's working directory when deployed, else the source tree.
    let static_dir = if std::path::Path::new("static/css").is_dir() {
        "static".to_string()
    } else {
        concat!(env!("CARGO_MANIFEST_DIR"), "/static").to_string()
    };

    let mut server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(store.clone(), key.clone())
            .cookie_name(SESSION_COOKIE.to_string())
            .cookie_secure(cookie_secure)
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Lax)
            .session_lifecycle(
                PersistentSession::default()
                    .session_ttl(Duration::hours(SESSION_IDLE_HOURS))
                    .session_ttl_extension_policy(TtlExtensionPolicy::OnEveryRequest),
            )
            .build();
        App::new()
            .app_data(state.clone())
            .app_data(contact_events.clone())
            .app_data(web::PathConfig::default().error_handler(|_, _| WebError::NotFound.into()))
            // Static files, the API and the probes need no session: keeping
            // them out of the panel's middleware saves a session read each.
            .service(Files::new("/static", static_dir.clone()))
            .configure(crate::api::configure)
            .configure(panel::health::configure)
            // The API reference holds no account data: no session, no sign-in.
            .app_data(reference.clone())
            .configure(panel::docs::configure)
            .configure(panel::metrics::configure)
            .service(
                web::scope("")
                    .configure(panel::configure)
                    .default_service(web::to(panel::not_found))
                    .wrap(from_fn(verify_csrf))
                    .wrap(from_fn(panel::error_page::in_layout))
                    .wrap(from_fn(require_user))
                    .wrap(sessions)
                    .wrap(from_fn(panel::error_page::session_outages)),
            )
            .wrap(security_headers(https))
            .wrap(from_fn(crate::telemetry::log_requests))
    })
    .listen(listener)
    .map_err(|e| StartupError::Listen {
        addr: listen_addr,
        reason: e.to_string(),
    })?;
    if let Some(n) = worker_threads {
        server = server.workers(n);
    }
    let workers = Workers {
        deliveries,
        notices,
        usage,
    };
    Ok((server.run(), workers))
}
