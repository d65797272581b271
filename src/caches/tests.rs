//! The caches' rules, without a database.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use uuid::Uuid;

use super::*;
use crate::domain::token::{PlainToken, TokenHash};
use crate::models::session::State;
use crate::models::{AccessToken, Account, Integration, User};

fn verified(integration: Uuid, account: Uuid) -> Arc<Verified> {
    let now = Utc::now();
    Arc::new(Verified::new(
        AccessToken {
            id: Uuid::new_v4(),
            integration_id: integration,
            ..AccessToken::sample(now)
        },
        Integration {
            id: integration,
            account_id: account,
            name: "Sync".into(),
            description: String::new(),
            scopes: vec!["contacts.readonly".into()],
            token_lifetime_days: None,
            created_by: None,
            created_at: now,
            updated_at: now,
            deleted_at: None,
            ip_allowlist: vec!["203.0.113.0/24".into(), "not a block".into()],
        },
        account_row(account),
    ))
}

fn account_row(id: Uuid) -> Account {
    Account {
        id,
        name: "Acme".into(),
        inactivity_expiry_days: Some(90),
        created_at: Utc::now(),
    }
}

fn trusted_cache() -> TokenCache {
    let cache = TokenCache::new(Duration::from_secs(30), 10);
    cache.vouch();
    cache
}

fn trusted_caches() -> Caches {
    let caches = Caches::new();
    caches.vouch();
    caches
}

#[test]
fn nothing_is_served_or_kept_until_the_listener_vouches() {
    let cache = TokenCache::new(Duration::from_secs(30), 10);
    let hash = PlainToken::generate().hash();
    cache.insert(
        hash.clone(),
        verified(Uuid::new_v4(), Uuid::new_v4()),
        cache.generation(),
    );
    cache.vouch();
    assert!(cache.get(&hash).is_none(), "kept while untrusted");
    cache.insert(
        hash.clone(),
        verified(Uuid::new_v4(), Uuid::new_v4()),
        cache.generation(),
    );
    assert!(cache.get(&hash).is_some());
    cache.distrust();
    assert!(cache.get(&hash).is_none(), "served while distrusted");
}

#[test]
fn a_lookup_that_raced_an_invalidation_is_not_kept() {
    let cache = trusted_cache();
    let hash = PlainToken::generate().hash();
    let before = cache.generation();
    cache.forget(&PlainToken::generate().hash());
    cache.insert(
        hash.clone(),
        verified(Uuid::new_v4(), Uuid::new_v4()),
        before,
    );
    assert!(cache.get(&hash).is_none());
}

#[test]
fn notifications_forget_by_integration_account_or_everything() {
    let caches = trusted_caches();
    let (i1, i2, a1, a2) = (
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
    );
    let hashes: Vec<TokenHash> = (0..3).map(|_| PlainToken::generate().hash()).collect();
    let fill = |cache: &TokenCache| {
        cache.insert(hashes[0].clone(), verified(i1, a1), cache.generation());
        cache.insert(hashes[1].clone(), verified(i2, a1), cache.generation());
        cache.insert(
            hashes[2].clone(),
            verified(Uuid::new_v4(), a2),
            cache.generation(),
        );
    };
    let kept = |cache: &TokenCache| {
        hashes
            .iter()
            .map(|h| cache.get(h).is_some())
            .collect::<Vec<_>>()
    };
    let cache = &caches.tokens;
    fill(cache);
    caches.apply(&format!("integration:{i1}"));
    assert_eq!(kept(cache), [false, true, true]);
    fill(cache);
    caches.apply(&format!("list:{a1}"));
    assert_eq!(
        kept(cache),
        [true, true, true],
        "a list change keeps tokens"
    );
    caches.apply(&format!("account:{a1}"));
    assert_eq!(kept(cache), [false, false, true]);
    fill(cache);
    caches.apply("all");
    assert_eq!(kept(cache), [false, false, false]);
}

fn session(user: Uuid, account: Uuid) -> Arc<CachedSession> {
    let now = Utc::now();
    Arc::new(CachedSession {
        state: State::new(),
        user_id: Some(user),
        user: Some((
            User {
                id: user,
                account_id: account,
                email: "owner@example.com".into(),
                role: "owner".into(),
                created_at: now,
                last_login_at: None,
                time_zone: "UTC".into(),
            },
            account_row(account),
        )),
        ends_at: now,
    })
}

#[test]
fn notifications_forget_sessions_by_key_user_or_account() {
    let caches = trusted_caches();
    let (u1, u2, a1, a2) = (
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
    );
    let keys: Vec<Vec<u8>> = vec![vec![0xab; 32], vec![0x01; 32], vec![0x02; 32]];
    let fill = || {
        let s = &caches.sessions;
        s.insert(keys[0].clone(), session(u1, a1), s.generation());
        s.insert(keys[1].clone(), session(u2, a1), s.generation());
        s.insert(keys[2].clone(), session(Uuid::new_v4(), a2), s.generation());
    };
    let kept = || {
        keys.iter()
            .map(|k| caches.sessions.get(k).is_some())
            .collect::<Vec<_>>()
    };
    fill();
    caches.apply(&format!("session:{}", "ab".repeat(32)));
    assert_eq!(kept(), [false, true, true]);
    fill();
    caches.apply(&format!("user:{u2}"));
    assert_eq!(kept(), [true, false, true]);
    fill();
    caches.apply(&format!("account:{a1}"));
    assert_eq!(kept(), [false, false, true]);
    fill();
    caches.apply("session:not hex");
    assert_eq!(
        kept(),
        [false, false, false],
        "an unreadable key forgets all"
    );
}

#[test]
fn notifications_forget_an_accounts_list_pages() {
    let caches = trusted_caches();
    let (a1, a2) = (Uuid::new_v4(), Uuid::new_v4());
    let page = || {
        Arc::new(ListPage {
            integrations: Vec::new(),
            total: 0,
            page: 1,
        })
    };
    let lists = &caches.lists;
    for key in [(a1, 1), (a1, 2), (a2, 1)] {
        lists.insert(key, page(), lists.generation());
    }
    caches.apply(&format!("list:{a1}"));
    let kept: Vec<bool> = [(a1, 1), (a1, 2), (a2, 1)]
        .iter()
        .map(|k| lists.get(k).is_some())
        .collect();
    assert_eq!(kept, [false, false, true]);
    caches.apply(&format!("account:{a2}"));
    assert!(lists.get(&(a2, 1)).is_none());
}

#[test]
fn the_allowlist_is_parsed_once_and_unparsable_entries_admit_nobody() {
    let v = verified(Uuid::new_v4(), Uuid::new_v4());
    assert_eq!(v.allowlist.as_ref().map(Vec::len), Some(1));
}

#[test]
fn entries_expire_after_the_ttl_and_the_cache_stays_bounded() {
    let cache = TokenCache::new(Duration::from_millis(0), 2);
    cache.vouch();
    let hash = PlainToken::generate().hash();
    cache.insert(
        hash.clone(),
        verified(Uuid::new_v4(), Uuid::new_v4()),
        cache.generation(),
    );
    assert!(cache.get(&hash).is_none(), "past its TTL");
    let cache = trusted_cache();
    for _ in 0..25 {
        let h = PlainToken::generate().hash();
        cache.insert(
            h,
            verified(Uuid::new_v4(), Uuid::new_v4()),
            cache.generation(),
        );
    }
    assert!(cache.entry_count() <= 10);
}
