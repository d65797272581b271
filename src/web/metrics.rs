//! `GET /metrics`: what an operator's Prometheus scrapes from beside the
//! server — for now the API usage that could not be recorded, and how much
//! waits to be. It needs no session and no database, so it answers during
//! an outage too, when the queue is what there is to watch.
//!
//! Only a scraper on this machine is answered: the socket's peer must be a
//! loopback address and the request must not have come through a proxy
//! (no `X-Forwarded-For` or `Forwarded`), since a reverse proxy on the same
//! host connects from loopback on behalf of anyone. Everyone else gets a
//! plain 404, as for a path that does not exist.

use std::fmt::Write as _;
use std::net::IpAddr;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(metrics);
}

#[get("/metrics")]
async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let peer = req.peer_addr().map(|a| a.ip());
    let forwarded = req.headers().contains_key("x-forwarded-for")
        || req.headers().contains_key(header::FORWARDED);
    if !is_local_scraper(peer, forwarded) {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("Not Found");
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(exposition(state.usage.lost(), state.usage.queued()))
}

/// Whether a request from `peer` is a scrape from this machine.
fn is_local_scraper(peer: Option<IpAddr>, forwarded: bool) -> bool {
    !forwarded && peer.is_some_and(|ip| ip.to_canonical().is_loopback())
}

/// The counters in Prometheus' text format.
fn exposition(lost: u64, queued: usize) -> String {
    let mut out = String::with_capacity(512);
    let _ = write!(
        out,
        "# HELP usage_records_lost_total API requests whose usage record could never be written, since start-up.\n\
         # TYPE usage_records_lost_total counter\n\
         usage_records_lost_total {lost}\n\
         # HELP usage_records_queued API usage records waiting to be written.\n\
         # TYPE usage_records_queued gauge\n\
         usage_records_queued {queued}\n"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_peers_that_no_proxy_speaks_for_are_scrapers() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert!(is_local_scraper(ip("127.0.0.1"), false));
        assert!(is_local_scraper(ip("::1"), false));
        assert!(is_local_scraper(ip("::ffff:127.0.0.1"), false));
        assert!(!is_local_scraper(ip("127.0.0.1"), true), "behind a proxy");
        assert!(!is_local_scraper(ip("10.0.0.5"), false));
        assert!(!is_local_scraper(ip("203.0.113.9"), false));
        assert!(!is_local_scraper(ip("::ffff:203.0.113.9"), false));
        assert!(!is_local_scraper(None, false), "an unknown peer");
    }

    #[test]
    fn the_exposition_names_each_counter_with_its_type() {
        let text = exposition(3, 17);
        assert!(
            text.contains("# TYPE usage_records_lost_total counter\nusage_records_lost_total 3\n")
        );
        assert!(text.contains("# TYPE usage_records_queued gauge\nusage_records_queued 17\n"));
    }
}
