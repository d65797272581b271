//! Wraps every API request: creates its usage context, and after the
//! response gives an error the framework answered HighLevel's JSON body,
//! adds the `RateLimit-*` headers and hands the usage record to the worker
//! — a channel send, never a database write on the request path. (One
//! middleware rather than one per job: each costs every request a boxed
//! future.)

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use chrono::Utc;

use super::request_context::{UsageContext, UsageHandle};
use super::{auth, fallback, routes};
use crate::auth::ClientAddr;
use crate::state::AppState;
use crate::usage::UsageRecord;
use crate::usage::rate_limit::RateKey;

// Checked once, when compiled, rather than on every response.
const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

pub async fn api_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let at = Utc::now();
    let client = ClientAddr::of(req.request());
    let usage = UsageHandle::new(RefCell::new(UsageContext {
        client: Some(client),
        at: Some(at),
        ..UsageContext::default()
    }));
    req.extensions_mut().insert(usage.clone());
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().clone();

    // Any error the framework answered gets HighLevel's JSON body first,
    // so what is recorded is what the client saw.
    let mut res = fallback::json_errors(next.call(req).await?);

    let Some(state) = state else {
        return Ok(res);
    };
    let unrouted = matches!(res.status().as_u16(), 404 | 405)
        && usage.borrow().account_id.is_none()
        && state.settings.usage_recording;
    if unrouted && let Some((verified, outcome)) = auth::identify(res.request()).await {
        auth::note_caller(&usage, &verified);
        usage.borrow_mut().outcome = outcome;
    }
    let ctx = usage.borrow().clone();
    // Routes that identify no caller (the OpenAPI document, unknown paths)
    // still count against the client's IP.
    let rate = ctx
        .rate
        .unwrap_or_else(|| state.limiter.hit(RateKey::Ip(client.rate_key())));
    let headers = res.headers_mut();
    headers.insert(RATELIMIT_LIMIT, HeaderValue::from(rate.limit));
    headers.insert(RATELIMIT_REMAINING, HeaderValue::from(rate.remaining));
    headers.insert(RATELIMIT_RESET, HeaderValue::from(rate.reset));

    if let Some(account_id) = ctx.account_id.filter(|_| state.settings.usage_recording) {
        // `/contacts` and `/contacts/` are one route for reports.
        let route = routes::logged_route(res.request()).unwrap_or_else(|| {
            let pattern = res
                .request()
                .match_pattern()
                .map(|p| match p.strip_suffix('/') {
                    Some(trimmed) if !trimmed.is_empty() => trimmed.to_string(),
                    _ => p,
                })
                .unwrap_or_else(|| "(unmatched)".to_string());
            Arc::from(pattern)
        });
        state.usage.record(UsageRecord {
            account_id,
            integration_id: ctx.integration_id,
            token_id: ctx.token_id,
            legacy_key_id: ctx.legacy_key_id,
            method,
            route,
            status: res.status().as_u16(),
            duration_ms: u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX),
            ip: client.ip,
            scope: ctx.scope,
            outcome: ctx.outcome,
            at,
        });
    }
    Ok(res)
}
