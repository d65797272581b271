//! The usage log is partitioned by day (SPEC §10 at scale): partitions exist
//! before the first insert, rows of a day land in its partition, retention
//! drops whole partitions, and the DEFAULT partition is a safety net whose
//! rows move into a day's partition when it is made.

use chrono::{Days, Utc};
use private_integrations::models::api_request;
use private_integrations::workers::maintenance;

use crate::api_support::eventually;
use crate::helpers::{TestApp, spawn_app};
use crate::integration_support::{api_status, create_with_token, execute, texts};

fn one(app: &TestApp, sql: &str) -> String {
    texts(app, sql).concat()
}

fn partition_exists(app: &TestApp, name: &str) -> bool {
    one(
        app,
        &format!("SELECT (to_regclass('{name}') IS NOT NULL)::text AS s"),
    ) == "true"
}

fn day_name(days_from_today: i64) -> String {
    let day = Utc::now().date_naive() + chrono::Duration::days(days_from_today);
    format!("api_requests_p{}", day.format("%Y%m%d"))
}

/// Inserts a request row dated `days_from_today` for the only account.
fn insert_row(app: &TestApp, days_from_today: i64) {
    execute(
        app,
        &format!(
            "INSERT INTO api_requests (account_id, method, route, status, duration_ms, ip, created_at) \
             SELECT id, 'GET', '/v2/token', 200, 1, '127.0.0.1', now() + interval '{days_from_today} days' \
             FROM accounts"
        ),
    );
}

#[actix_web::test]
async fn requests_land_in_their_days_partition_made_before_the_first_insert() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let kind = one(
        &app,
        "SELECT c.relkind::text AS s FROM pg_class c WHERE c.relname = 'api_requests'",
    );
    assert_eq!(kind, "p", "api_requests is a partitioned table");
    for days in [-1, 0, 1, 7] {
        assert!(
            partition_exists(&app, &day_name(days)),
            "{}",
            day_name(days)
        );
    }

    let (_, token) = create_with_token(&app, "Logged", &["contacts.readonly"], "").await;
    api_status(&app, &token).await;
    let sql = "SELECT count(*) AS n FROM api_requests";
    assert!(eventually(10, || app.db.query_count(sql) == 1).await);
    let home = one(
        &app,
        "SELECT tableoid::regclass::text AS s FROM api_requests",
    );
    assert_eq!(home, day_name(0));
}

#[actix_web::test]
async fn retention_drops_whole_partitions_and_default_rows_past_thirty_days() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let mut conn = app.db.connection();
    let old_day = Utc::now().date_naive() - Days::new(40);
    api_request::ensure_partitions(&mut conn, old_day, 1).expect("an old partition");
    insert_row(&app, -40);
    insert_row(&app, -35); // no partition: the DEFAULT one
    insert_row(&app, 0);
    assert!(partition_exists(&app, &day_name(-40)));

    maintenance::sweep(&mut conn).expect("sweep");
    assert!(!partition_exists(&app, &day_name(-40)), "dropped whole");
    let left = texts(
        &app,
        "SELECT tableoid::regclass::text AS s FROM api_requests ORDER BY created_at",
    );
    assert_eq!(left, [day_name(0)], "only today's row is kept");
}

#[actix_web::test]
async fn rows_caught_by_the_default_partition_move_into_their_day_when_it_is_made() {
    let app = spawn_app().await;
    app.setup_owner().await;
    insert_row(&app, 20);
    let home = || {
        one(
            &app,
            "SELECT tableoid::regclass::text AS s FROM api_requests",
        )
    };
    assert_eq!(home(), "api_requests_default");

    let day = Utc::now().date_naive() + Days::new(20);
    let made = api_request::ensure_partitions(&mut app.db.connection(), day, 1).expect("make");
    assert_eq!(made, 1);
    assert_eq!(home(), day_name(20));
    let again = api_request::ensure_partitions(&mut app.db.connection(), day, 1).expect("again");
    assert_eq!(again, 0, "made once");
}

#[actix_web::test]
async fn instances_making_the_same_partitions_at_once_make_each_once_without_failing() {
    let app = spawn_app().await;
    let first = Utc::now().date_naive() + Days::new(60);
    let days = 20;
    let start = std::sync::Arc::new(std::sync::Barrier::new(4));
    let makers: Vec<_> = (0..4)
        .map(|_| {
            let mut conn = app.db.connection();
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                api_request::ensure_partitions(&mut conn, first, days)
            })
        })
        .collect();
    let mut made = 0;
    for maker in makers {
        made += maker
            .join()
            .expect("maker thread")
            .expect("no maker fails on a day another made");
    }
    assert_eq!(made, days as usize, "each day made exactly once");
    for offset in [60, 70, 79] {
        assert!(partition_exists(&app, &day_name(offset)));
    }
}
