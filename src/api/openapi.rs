//! `GET /v2/openapi.json`: generated from the handlers' own annotations and
//! types, so the document cannot drift from what is served.

use actix_web::{HttpResponse, web};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{contact_search, contacts, error, locations, token, users};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(document));
}

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("pit_ + 49 base62 characters")
                    .description(Some("A private integration's access token. Each operation lists the scope it needs."))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Private Integrations API v2", version = "2021-07-28",
        description = "Wire-compatible with HighLevel's API v2 for contacts, locations and users. Point HighLevel's SDKs at {PUBLIC_URL}/v2."),
    paths(
        token::show, token::rotate,
        contacts::get_contact, contacts::create_contact, contacts::update_contact, contacts::delete_contact,
        contact_search::list_contacts, contact_search::search_contacts,
        locations::get_location,
        users::list_users, users::search_users,
    ),
    components(schemas(error::ErrorBody)),
    modifiers(&BearerScheme),
)]
pub struct ApiDoc;

async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
