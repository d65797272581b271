//! Who is calling, however authenticated, and the one check that the
//! `locationId` or `companyId` a request gives names the caller's account.

use std::sync::Arc;

use uuid::Uuid;

use super::error::ApiError;
use crate::config::Settings;
use crate::db::DbPool;
use crate::models::Account;

/// Whoever is calling, however authenticated: the account whose data the
/// request may touch.
#[derive(Clone)]
pub struct Caller {
    pub account: Arc<Account>,
    pub pool: DbPool,
    pub settings: Arc<Settings>,
}

/// Whether a route needs the request to name the account it works on.
/// HighLevel's routes do; API v1 keys, which predate locations, need not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocationId {
    Required,
    Optional,
}

impl Caller {
    /// Where the server is reached, for links in answers.
    pub fn public_url(&self) -> String {
        self.settings.public_url()
    }

    /// `given` is every account id the request names, by its field name
    /// (`locationId`, `companyId`), wherever it names it: path, query or
    /// body. Each one given must be the caller's account, whatever its case
    /// or surrounding space (403); a route that requires one refuses a
    /// request naming none with a 422 naming the first field.
    pub fn check_location(
        &self,
        given: &[(&str, Option<&str>)],
        rule: LocationId,
    ) -> Result<(), ApiError> {
        check(self.account.id, given, rule)
    }
}

/// [`Caller::check_location`] for an account known before the caller is
/// built (the token extractor's check of the query string).
pub(super) fn check(
    own: Uuid,
    given: &[(&str, Option<&str>)],
    rule: LocationId,
) -> Result<(), ApiError> {
    let named: Vec<&str> = given.iter().filter_map(|(_, id)| *id).collect();
    if named.is_empty() && rule == LocationId::Required {
        let field = given.first().map_or("locationId", |(name, _)| *name);
        return Err(ApiError::unprocessable(format!("{field} is required")));
    }
    let own = own.to_string();
    if named.iter().all(|id| id.trim().eq_ignore_ascii_case(&own)) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "The token does not have access to this location".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::{ApiError, LocationId, Uuid, check};

    fn answer(given: &[(&str, Option<&str>)], rule: LocationId) -> String {
        let own = Uuid::from_u128(0xabc);
        match check(own, given, rule) {
            Ok(()) => "ok".into(),
            Err(ApiError::Forbidden(m)) => format!("403 {m}"),
            Err(ApiError::Unprocessable(m)) => format!("422 {}", m.join(", ")),
            Err(e) => format!("{e:?}"),
        }
    }

    #[test]
    fn the_callers_own_account_passes_in_any_case_and_spacing() {
        let own = Uuid::from_u128(0xabc).to_string();
        let loud = format!(" {} ", own.to_uppercase());
        for rule in [LocationId::Required, LocationId::Optional] {
            assert_eq!(answer(&[("locationId", Some(&own))], rule), "ok");
            assert_eq!(answer(&[("locationId", Some(&loud))], rule), "ok");
        }
    }

    #[test]
    fn another_account_is_refused_in_one_wording_wherever_it_is_named() {
        let own = Uuid::from_u128(0xabc).to_string();
        let other = Uuid::from_u128(0xdef).to_string();
        let refused = "403 The token does not have access to this location";
        for given in [
            vec![("locationId", Some(other.as_str()))],
            vec![("companyId", Some(other.as_str())), ("locationId", None)],
            vec![
                ("companyId", Some(own.as_str())),
                ("locationId", Some(&other)),
            ],
            vec![("locationId", Some("not-an-id"))],
        ] {
            for rule in [LocationId::Required, LocationId::Optional] {
                assert_eq!(answer(&given, rule), refused, "{given:?}");
            }
        }
    }

    #[test]
    fn a_required_id_left_out_is_a_422_naming_the_first_field() {
        assert_eq!(
            answer(&[("locationId", None)], LocationId::Required),
            "422 locationId is required"
        );
        assert_eq!(
            answer(
                &[("companyId", None), ("locationId", None)],
                LocationId::Required
            ),
            "422 companyId is required"
        );
        assert_eq!(answer(&[("locationId", None)], LocationId::Optional), "ok");
    }
}
