//! A contact's fields on the wire: what create, update and upsert accept
//! (HighLevel's `CreateContactDto` / `UpdateContactDto`) and how every
//! route returns a contact (its `GetContectByIdSchema`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::error::ApiError;
use super::extract::validate;
use super::rfc3339;
use crate::domain::contact::{
    DndSettings, InboundDndSettings, MAX_TAG_CHARS, MAX_TAGS, normalize_tags, parse_birth_date,
};
use crate::domain::custom_field::{CustomValueInput, FieldRef};
use crate::models::contact::{Contact, ContactChanges};

/// A contact as the API returns it; absent fields are omitted, never null.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactOut {
    id: String,
    location_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    company_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    website: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timezone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    /// Lower-cased.
    tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gender: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    date_of_birth: Option<String>,
    /// Do not disturb on every channel.
    dnd: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    dnd_settings: Option<DndSettings>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inbound_dnd_settings: Option<InboundDndSettings>,
    /// The id of the user the contact is assigned to.
    #[serde(skip_serializing_if = "Option::is_none")]
    assigned_to: Option<String>,
    custom_fields: Vec<CustomFieldValue>,
    /// ISO 8601.
    date_added: String,
    date_updated: String,
    /// Pass back as `searchAfter` to get the next page of a search.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = super::openapi::search_after_schema)]
    pub(super) search_after: Option<(i64, String)>,
}

/// A custom field's value on a contact.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomFieldValue {
    /// The custom field's id.
    id: String,
    /// Text, a number, or a list of options, by the field's data type.
    #[schema(value_type = Value)]
    value: serde_json::Value,
}

/// The contact's stored values, by field id.
fn custom_field_values(stored: serde_json::Value) -> Vec<CustomFieldValue> {
    match stored {
        serde_json::Value::Object(values) => values
            .into_iter()
            .map(|(id, value)| CustomFieldValue { id, value })
            .collect(),
        _ => Vec::new(),
    }
}

impl From<Contact> for ContactOut {
    fn from(c: Contact) -> Self {
        ContactOut {
            id: c.id.to_string(),
            location_id: c.account_id.to_string(),
            first_name: c.first_name,
            last_name: c.last_name,
            name: c.name,
            email: c.email,
            phone: c.phone,
            company_name: c.company_name,
            address1: c.address1,
            city: c.city,
            state: c.state,
            postal_code: c.postal_code,
            country: c.country,
            website: c.website,
            timezone: c.timezone,
            source: c.source,
            tags: c.tags,
            gender: c.gender,
            date_of_birth: c.date_of_birth.map(|d| d.format("%Y-%m-%d").to_string()),
            dnd: c.dnd,
            // Written from these types only; anything else is left out.
            dnd_settings: c.dnd_settings.and_then(|v| serde_json::from_value(v).ok()),
            inbound_dnd_settings: c
                .inbound_dnd_settings
                .and_then(|v| serde_json::from_value(v).ok()),
            assigned_to: c.assigned_to.map(|u| u.to_string()),
            custom_fields: custom_field_values(c.custom_values),
            date_added: rfc3339(c.date_added),
            date_updated: rfc3339(c.date_updated),
            search_after: None,
        }
    }
}

/// Fields a contact is created or updated with. Unknown fields are refused;
/// `null` leaves a field as it is and `""` clears it.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContactInput {
    /// Required on create: the account's id.
    pub(super) location_id: Option<String>,
    #[validate(length(max = 100, message = "firstName must be at most 100 characters"))]
    #[schema(max_length = 100)]
    first_name: Option<String>,
    #[validate(length(max = 100, message = "lastName must be at most 100 characters"))]
    #[schema(max_length = 100)]
    last_name: Option<String>,
    #[validate(length(max = 200, message = "name must be at most 200 characters"))]
    #[schema(max_length = 200)]
    name: Option<String>,
    #[schema(schema_with = super::openapi::contact_email_schema)]
    #[validate(length(max = 254, message = "email must be at most 254 characters"))]
    #[validate(custom(
        function = "valid_email",
        message = "email must be a valid email address"
    ))]
    email: Option<String>,
    #[validate(length(max = 32, message = "phone must be at most 32 characters"))]
    #[schema(max_length = 32)]
    phone: Option<String>,
    #[validate(length(max = 200, message = "companyName must be at most 200 characters"))]
    #[schema(max_length = 200)]
    company_name: Option<String>,
    #[validate(length(max = 255, message = "address1 must be at most 255 characters"))]
    #[schema(max_length = 255)]
    address1: Option<String>,
    #[validate(length(max = 100, message = "city must be at most 100 characters"))]
    #[schema(max_length = 100)]
    city: Option<String>,
    #[validate(length(max = 100, message = "state must be at most 100 characters"))]
    #[schema(max_length = 100)]
    state: Option<String>,
    #[validate(length(max = 32, message = "postalCode must be at most 32 characters"))]
    #[schema(max_length = 32)]
    postal_code: Option<String>,
    #[validate(length(max = 64, message = "country must be at most 64 characters"))]
    #[schema(max_length = 64)]
    country: Option<String>,
    #[validate(length(max = 2048, message = "website must be at most 2048 characters"))]
    #[schema(max_length = 2048)]
    website: Option<String>,
    #[validate(length(max = 64, message = "timezone must be at most 64 characters"))]
    #[schema(max_length = 64)]
    timezone: Option<String>,
    #[validate(length(max = 255, message = "source must be at most 255 characters"))]
    #[schema(max_length = 255)]
    source: Option<String>,
    /// Stored trimmed and lower-cased; on update they replace the contact's.
    #[validate(custom(
        function = "valid_tags",
        message = "tags must be at most 100 non-empty strings of up to 64 characters"
    ))]
    #[schema(schema_with = super::openapi::optional_tags_schema)]
    tags: Option<Vec<String>>,
    #[validate(length(max = 32, message = "gender must be at most 32 characters"))]
    #[schema(max_length = 32)]
    gender: Option<String>,
    /// `YYYY/MM/DD`, `MM/DD/YYYY`, `YYYY-MM-DD`, `MM-DD-YYYY`, `YYYY.MM.DD`,
    /// `MM.DD.YYYY`, `YYYY_MM_DD`, `MM_DD_YYYY`, or an ISO 8601 date-time.
    #[schema(schema_with = super::openapi::birth_date_schema)]
    date_of_birth: Option<String>,
    dnd: Option<bool>,
    /// Replaces the contact's; `{}` clears them.
    #[serde(default, deserialize_with = "crate::domain::json::object")]
    dnd_settings: Option<DndSettings>,
    /// Replaces the contact's; `{}` clears them.
    #[serde(default, deserialize_with = "crate::domain::json::object")]
    inbound_dnd_settings: Option<InboundDndSettings>,
    /// The id of a user of this account; `""` unassigns.
    assigned_to: Option<String>,
    /// Values of the account's custom fields, each named by `id` or `key`.
    #[serde(default, deserialize_with = "crate::domain::json::objects")]
    custom_fields: Option<Vec<CustomFieldInput>>,
}

/// A custom field's value, as HighLevel's SDKs send it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomFieldInput {
    /// The custom field's id; or give its `key`.
    id: Option<String>,
    key: Option<String>,
    /// Text, a number, or a list of options, by the field's type; `null`,
    /// `""` or `[]` clears the value.
    #[schema(value_type = Value)]
    field_value: Option<serde_json::Value>,
    /// The same as `field_value`.
    #[schema(value_type = Value)]
    value: Option<serde_json::Value>,
}

fn valid_email(email: &str) -> Result<(), validator::ValidationError> {
    if crate::domain::email::is_contact_email(email) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("email"))
    }
}

/// Tags as `POST /contacts/{id}/tags` and contacts take them.
pub fn valid_tags(tags: &[String]) -> Result<(), validator::ValidationError> {
    let ok = tags.len() <= MAX_TAGS
        && tags
            .iter()
            .all(|t| !t.trim().is_empty() && t.chars().count() <= MAX_TAG_CHARS);
    if ok {
        Ok(())
    } else {
        Err(validator::ValidationError::new("tags"))
    }
}

/// Given text becomes a value; an empty string clears the field.
fn field(v: Option<String>) -> Option<Option<String>> {
    v.map(|s| {
        let t = s.trim();
        (!t.is_empty()).then(|| t.to_string())
    })
}

/// The values as given, each naming its field by `id` (or else `key`);
/// whether the account has those fields, and the values suit them, is
/// checked when they are written.
fn custom_values(
    items: Vec<CustomFieldInput>,
    problems: &mut Vec<String>,
) -> Vec<CustomValueInput> {
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        if item.field_value.is_some() && item.value.is_some() {
            problems.push(format!(
                "customFields[{i}]: give field_value or value, not both"
            ));
            continue;
        }
        let field = match (field(item.id), field(item.key)) {
            (Some(Some(id)), _) => FieldRef::Id(id),
            (_, Some(Some(key))) => FieldRef::Key(key),
            _ => {
                problems.push(format!("customFields[{i}] needs an id or a key"));
                continue;
            }
        };
        out.push(CustomValueInput {
            field,
            value: item.field_value.or(item.value).unwrap_or_default(),
        });
    }
    out
}

impl ContactInput {
    /// The changes to write, once every field is valid; a 422 listing
    /// every invalid field otherwise.
    pub fn into_changes(self) -> Result<ContactChanges, ApiError> {
        let mut problems = match validate(&self) {
            Ok(()) => Vec::new(),
            Err(ApiError::Unprocessable(messages)) => messages,
            Err(other) => return Err(other),
        };
        let date_of_birth = field(self.date_of_birth).map(|given| {
            given.and_then(|raw| {
                let parsed = parse_birth_date(&raw);
                if parsed.is_none() {
                    problems.push(
                        "dateOfBirth must be a date as YYYY-MM-DD or MM-DD-YYYY (with -, /, . or _), in years 0001 to 9999"
                            .into(),
                    );
                }
                parsed
            })
        });
        let assigned_to = field(self.assigned_to).map(|given| {
            given.and_then(|raw| {
                let parsed = Uuid::parse_str(&raw).ok();
                if parsed.is_none() {
                    problems.push("assignedTo must be the id of a user of this account".into());
                }
                parsed
            })
        });
        let dnd_settings = self.dnd_settings.map(|s| {
            problems.extend(s.problems());
            (!s.is_empty()).then(|| serde_json::to_value(&s).unwrap_or_default())
        });
        let inbound_dnd_settings = self.inbound_dnd_settings.map(|s| {
            problems.extend(s.problems());
            (!s.is_empty()).then(|| serde_json::to_value(&s).unwrap_or_default())
        });
        let custom_fields = match self.custom_fields {
            Some(items) if items.len() > 100 => {
                problems.push("customFields must hold at most 100 values".into());
                None
            }
            Some(items) => Some(custom_values(items, &mut problems)),
            None => None,
        };
        if !problems.is_empty() {
            problems.sort();
            return Err(ApiError::Unprocessable(problems));
        }
        Ok(ContactChanges {
            first_name: field(self.first_name),
            last_name: field(self.last_name),
            name: field(self.name),
            email: field(self.email).map(|e| e.map(|e| e.to_lowercase())),
            phone: field(self.phone),
            company_name: field(self.company_name),
            address1: field(self.address1),
            city: field(self.city),
            state: field(self.state),
            postal_code: field(self.postal_code),
            country: field(self.country),
            website: field(self.website),
            timezone: field(self.timezone),
            source: field(self.source),
            tags: self
                .tags
                .map(|tags| normalize_tags(tags.iter().map(String::as_str))),
            gender: field(self.gender),
            date_of_birth,
            dnd: self.dnd,
            dnd_settings,
            inbound_dnd_settings,
            assigned_to,
            custom_fields,
            custom_values: Default::default(),
        })
    }
}
