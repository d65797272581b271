//! An integration's request log (SPEC §6, §9): the last 30 days of its
//! requests, filtered by status, method, token and date, paged in a stable
//! order, and exported as CSV with the same filters.

use reqwest::StatusCode;

use crate::api_support::{eventually, second_account};
use crate::helpers::{TestApp, spawn_app};
use crate::integration_support::{
    api_status, create_with_token, execute, integration_path, rotate, texts,
};
use crate::viewers::signed_in_viewer;

/// `<tr class="request-row">` on a page of the log.
fn rows(body: &str) -> usize {
    body.matches("class=\"request-row\"").count()
}

/// The CSV's records after the header, checking the header and line ends.
fn csv_records(body: &str) -> Vec<String> {
    let mut lines: Vec<&str> = body.split("\r\n").collect();
    assert_eq!(lines.pop(), Some(""), "every record ends in CRLF");
    assert_eq!(
        lines.first().copied(),
        Some("time,method,route,status,token,ip,duration_ms,outcome")
    );
    lines[1..].iter().map(|l| (*l).to_string()).collect()
}

async fn page(app: &TestApp, id: &str, query: &str) -> String {
    let reply = app
        .get(&integration_path(id, &format!("/requests{query}")))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{query}");
    reply.body
}

async fn csv(app: &TestApp, id: &str, query: &str) -> Vec<String> {
    let reply = app
        .get(&integration_path(id, &format!("/requests.csv{query}")))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{query}");
    assert_eq!(
        reply.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    csv_records(&reply.body)
}

#[actix_web::test]
async fn the_log_filters_the_recorded_requests_by_status_token_and_method() {
    let app = spawn_app().await;
    let viewer = signed_in_viewer(&app).await;
    let (id, old) = create_with_token(&app, "Logged", &["contacts.readonly"], "").await;
    for _ in 0..3 {
        assert_eq!(api_status(&app, &old).await, StatusCode::OK);
    }
    let new = rotate(&app, &id, &[("expire_old", "now")]).await;
    for _ in 0..2 {
        assert_eq!(api_status(&app, &old).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(api_status(&app, &new).await, StatusCode::OK);
    assert!(eventually(10, || app.count("api_requests") == 6).await);
    let old_id = texts(
        &app,
        &format!(
            "SELECT id::text AS s FROM access_tokens WHERE last_four = '{}'",
            &old[old.len() - 4..]
        ),
    )
    .concat();

    let all = page(&app, &id, "").await;
    assert_eq!(rows(&all), 6);
    assert!(all.contains(&format!("pit_…{}", &old[old.len() - 4..])));
    assert!(all.contains("invalid_token") && all.contains(">used<"));
    assert!(all.contains("/v2/token"));

    let refused = page(&app, &id, "?status=401").await;
    assert_eq!(rows(&refused), 2);
    assert_eq!(rows(&page(&app, &id, "?status=4xx").await), 2);
    assert_eq!(rows(&page(&app, &id, &format!("?token={old_id}")).await), 5);
    assert_eq!(
        rows(&page(&app, &id, &format!("?token={old_id}&status=401")).await),
        2
    );
    assert_eq!(rows(&page(&app, &id, "?method=get").await), 6);
    assert_eq!(rows(&page(&app, &id, "?method=POST").await), 0);
    // Values no filter can take are refused, field by field (422).
    let refused = app
        .get(&integration_path(
            &id,
            "/requests?status=5xx&token=x&from=2026-02-30&to=%00&page=zz",
        ))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["status", "token", "from", "to"] {
        assert!(
            refused
                .body
                .contains(&format!("id=\"filter-{field}-error\"")),
            "no error on {field}"
        );
    }

    let exported = csv(&app, &id, "?status=401").await;
    assert_eq!(exported.len(), 2);
    for record in &exported {
        let fields: Vec<&str> = record.split(',').collect();
        assert_eq!(fields.len(), 8, "{record}");
        assert_eq!(fields[1], "GET");
        assert_eq!(fields[3], "401");
        assert_eq!(fields[4], format!("pit_…{}", &old[old.len() - 4..]));
        assert_eq!(fields[7], "invalid_token");
    }
    assert_eq!(csv(&app, &id, "").await.len(), 6);

    let read = viewer
        .get(&integration_path(&id, "/requests?status=401"))
        .await;
    assert_eq!(read.status, StatusCode::OK, "viewers read the log");
    assert_eq!(rows(&read.body), 2);

    let other = second_account(&app).await;
    for rest in ["/requests", "/requests.csv"] {
        let reply = other.get(&integration_path(&id, rest)).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{rest}");
    }

    let detail = app.get(&integration_path(&id, "")).await.body;
    assert!(detail.contains(&format!("href=\"{}\"", integration_path(&id, "/requests"))));
    assert!(
        detail.contains("6 requests in the last 14 days, 2 errors."),
        "the chart's text summary"
    );
    assert!(detail.contains("id=\"usage-chart-table\""));
    assert!(detail.contains("Requests per day"), "a labelled axis");
}

#[actix_web::test]
async fn the_usage_chart_counts_days_as_they_fall_in_the_readers_time_zone() {
    use chrono::{Timelike, Utc};
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Zoned", &["contacts.readonly"], "").await;
    assert_eq!(api_status(&app, &token).await, StatusCode::OK);
    let counted = "SELECT coalesce(sum(requests), 0)::bigint AS n FROM usage_quarter_hours";
    assert!(eventually(10, || app.db.query_count(counted) == 1).await);

    // A zone whose date is not UTC's at this moment: UTC+14 from 10:00 UTC
    // on, UTC-11 before 11:00.
    let now = Utc::now();
    let (name, tz) = if now.hour() >= 10 {
        ("Pacific/Kiritimati", chrono_tz::Pacific::Kiritimati)
    } else {
        ("Pacific/Pago_Pago", chrono_tz::Pacific::Pago_Pago)
    };
    let local_today = now.with_timezone(&tz).date_naive();
    assert_ne!(local_today, now.date_naive());
    execute(&app, &format!("UPDATE users SET time_zone = '{name}'"));

    let detail = app.get(&integration_path(&id, "")).await.body;
    let today_row = format!(
        "<tr><th scope=\"row\">{}</th><td>1</td>",
        local_today.format("%a %-d %b")
    );
    assert!(
        detail.contains(&today_row),
        "today, where the reader is: {detail}"
    );
    assert!(
        detail.contains(&format!("Day ({name})")),
        "the axis names the zone"
    );
    assert!(detail.contains("1 request in the last 14 days, 0 errors."));
}

/// Inserts `n` requests of the only integration, `days_ago` days back, each
/// on a route of its own (`/v2/r{prefix}{i}`), all at the same moment.
fn insert(app: &TestApp, n: usize, days_ago: i64, prefix: &str) {
    execute(
        app,
        &format!(
            "INSERT INTO api_requests \
             (account_id, integration_id, method, route, status, duration_ms, ip, outcome, created_at) \
             SELECT i.account_id, i.id, 'GET', '/v2/r{prefix}' || g, 200, 1, '192.0.2.1', 'used', \
                    date_trunc('second', now()) - interval '{days_ago} days' \
             FROM integrations i, generate_series(1, {n}) g"
        ),
    );
}

/// The routes on a page, in order.
fn routes(body: &str) -> Vec<String> {
    body.split("<code>/v2/r")
        .skip(1)
        .filter_map(|s| s.split('<').next())
        .map(str::to_string)
        .collect()
}

#[actix_web::test]
async fn the_log_pages_in_a_stable_order_keeps_thirty_days_and_filters_by_date() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Busy", &["contacts.readonly"], "").await;
    insert(&app, 110, 0, "a");
    insert(&app, 4, 3, "b");
    insert(&app, 5, 40, "c");

    let mut seen = Vec::new();
    for n in 1..=3 {
        let body = page(&app, &id, &format!("?page={n}")).await;
        seen.extend(routes(&body));
    }
    assert_eq!(seen.len(), 114, "every row of the last 30 days, once");
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 114, "no row on two pages");
    assert!(
        seen[..110].iter().all(|r| r.starts_with('a')),
        "newest first"
    );
    assert!(
        !seen.iter().any(|r| r.starts_with('c')),
        "older than 30 days"
    );
    let last = page(&app, &id, "?page=99").await;
    assert!(last.contains("Page 3 of 3"), "past the end: the last page");
    assert_eq!(rows(&last), 14);

    let day = |days: i64| (chrono::Utc::now() - chrono::Duration::days(days)).format("%Y-%m-%d");
    let (three_ago, today) = (day(3), day(0));
    let q = format!("?from={three_ago}&to={three_ago}");
    assert_eq!(csv(&app, &id, &q).await.len(), 4, "both ends included");
    assert_eq!(rows(&page(&app, &id, &q).await), 4);
    assert_eq!(csv(&app, &id, &format!("?from={today}")).await.len(), 110);
    assert_eq!(csv(&app, &id, "").await.len(), 114);

    // A value that cannot be a filter is refused on its field, as typed,
    // never dropped in favour of the whole log.
    for (query, field) in [
        ("?from=0000-01-01", "from"),
        ("?to=10000-01-01", "to"),
        ("?from=2026-13-45", "from"),
        ("?from=%00", "from"),
        ("?status=%00", "status"),
        ("?method=G%00T", "method"),
        ("?method=FOO", "method"),
        ("?token=nope", "token"),
        ("?page=99999999999999999999", "page"),
        ("?page=0", "page"),
        ("?page=-1", "page"),
        ("?page=abc", "page"),
    ] {
        for path in ["/requests", "/requests.csv"] {
            let reply = app
                .get(&integration_path(&id, &format!("{path}{query}")))
                .await;
            assert_eq!(
                reply.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path}{query}"
            );
            assert!(
                reply.body.contains(&format!("id=\"filter-{field}-error\"")),
                "{path}{query}: no error on {field}"
            );
            assert_eq!(rows(&reply.body), 0, "{path}{query}");
        }
    }
    let typed = app
        .get(&integration_path(&id, "/requests?from=2026-13-45"))
        .await;
    assert!(
        typed.body.contains("value=\"2026-13-45\""),
        "the input is kept"
    );
    assert_eq!(rows(&page(&app, &id, "?from=0001-01-01&page=").await), 50);
}

#[actix_web::test]
async fn the_date_filters_are_days_in_the_viewers_time_zone() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Zoned", &["contacts.readonly"], "").await;
    // Noon UTC five days ago is 02:00 the next day in Kiritimati (UTC+14).
    let noon = (chrono::Utc::now() - chrono::Duration::days(5))
        .date_naive()
        .and_hms_opt(12, 0, 0)
        .expect("noon")
        .and_utc();
    execute(
        &app,
        &format!(
            "INSERT INTO api_requests \
             (account_id, integration_id, method, route, status, duration_ms, ip, outcome, created_at) \
             SELECT account_id, id, 'GET', '/v2/rzoned', 200, 1, '192.0.2.1', 'used', '{}' \
             FROM integrations",
            noon.to_rfc3339()
        ),
    );
    let utc_day = noon.date_naive();
    let next_day = utc_day.succ_opt().expect("next day");
    let on = |d: chrono::NaiveDate| format!("?from={d}&to={d}");
    assert_eq!(
        csv(&app, &id, &on(utc_day)).await.len(),
        1,
        "UTC by default"
    );
    assert_eq!(csv(&app, &id, &on(next_day)).await.len(), 0);
    execute(&app, "UPDATE users SET time_zone = 'Pacific/Kiritimati'");
    assert_eq!(csv(&app, &id, &on(utc_day)).await.len(), 0);
    assert_eq!(
        csv(&app, &id, &on(next_day)).await.len(),
        1,
        "the viewer's day"
    );
    assert_eq!(rows(&page(&app, &id, &on(next_day)).await), 1);
}
