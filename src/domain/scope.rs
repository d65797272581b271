//! The scope catalogue (SPEC §5): the one definition in code that drives the
//! checkboxes, form validation, API checks and docs. Names are HighLevel's, so
//! integrations written for HighLevel ask for the same scopes.

use std::collections::BTreeSet;

/// One permission a token may carry. Declaration order is catalogue order,
/// which `Ord` (and so [`ScopeSet`]) follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    ContactsReadonly,
    ContactsWrite,
    LocationsReadonly,
    CustomFieldsReadonly,
    CustomFieldsWrite,
    TagsReadonly,
    TagsWrite,
    UsersReadonly,
}

impl Scope {
    /// Every scope, in catalogue order.
    pub const ALL: [Scope; 8] = [
        Scope::ContactsReadonly,
        Scope::ContactsWrite,
        Scope::LocationsReadonly,
        Scope::CustomFieldsReadonly,
        Scope::CustomFieldsWrite,
        Scope::TagsReadonly,
        Scope::TagsWrite,
        Scope::UsersReadonly,
    ];

    /// The wire and storage name (HighLevel's), e.g. `contacts.readonly`.
    pub fn name(self) -> &'static str {
        match self {
            Scope::ContactsReadonly => "contacts.readonly",
            Scope::ContactsWrite => "contacts.write",
            Scope::LocationsReadonly => "locations.readonly",
            Scope::CustomFieldsReadonly => "locations/customFields.readonly",
            Scope::CustomFieldsWrite => "locations/customFields.write",
            Scope::TagsReadonly => "locations/tags.readonly",
            Scope::TagsWrite => "locations/tags.write",
            Scope::UsersReadonly => "users.readonly",
        }
    }

    /// The scope with exactly this name; `None` for anything else (names are
    /// case-sensitive, as in HighLevel).
    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The heading it is listed under in the admin panel.
    pub fn group(self) -> &'static str {
        match self {
            Scope::ContactsReadonly | Scope::ContactsWrite => "Contacts",
            Scope::LocationsReadonly => "Locations",
            Scope::CustomFieldsReadonly | Scope::CustomFieldsWrite => "Custom fields",
            Scope::TagsReadonly | Scope::TagsWrite => "Tags",
            Scope::UsersReadonly => "Users",
        }
    }

    /// Its checkbox label within the group.
    pub fn label(self) -> &'static str {
        match self {
            Scope::ContactsWrite | Scope::CustomFieldsWrite | Scope::TagsWrite => "Edit",
            Scope::ContactsReadonly
            | Scope::LocationsReadonly
            | Scope::CustomFieldsReadonly
            | Scope::TagsReadonly
            | Scope::UsersReadonly => "View",
        }
    }

    /// Group and label together, for places that show a scope on its own
    /// (audit log, token details), e.g. "Contacts — View".
    pub fn human(self) -> String {
        format!("{} — {}", self.group(), self.label())
    }

    /// What the scope grants, so admins know what they are handing out.
    pub fn description(self) -> &'static str {
        match self {
            Scope::ContactsReadonly => "Read and search contacts; receive Contact* webhooks",
            Scope::ContactsWrite => "Create, update and delete contacts",
            Scope::LocationsReadonly => "Read the account (a \"location\" in HighLevel's API)",
            Scope::CustomFieldsReadonly => "Read the account's contact custom fields",
            Scope::CustomFieldsWrite => {
                "Create, change and delete the account's contact custom fields"
            }
            Scope::TagsReadonly => "Read the account's tag list",
            Scope::TagsWrite => "Create, rename and delete the account's tags",
            Scope::UsersReadonly => "List and search the account's users",
        }
    }
}

/// Scopes sharing a heading, for rendering grouped checkboxes.
pub struct ScopeGroup {
    pub name: &'static str,
    pub scopes: Vec<Scope>,
}

/// The catalogue grouped by [`Scope::group`], groups and scopes in catalogue
/// order.
pub fn groups() -> Vec<ScopeGroup> {
    let mut groups: Vec<ScopeGroup> = Vec::new();
    for scope in Scope::ALL {
        match groups.iter_mut().find(|g| g.name == scope.group()) {
            Some(group) => group.scopes.push(scope),
            None => groups.push(ScopeGroup {
                name: scope.group(),
                scopes: vec![scope],
            }),
        }
    }
    groups
}

/// The scopes an integration holds. A set, so duplicates cannot arise, and
/// ordered by catalogue order so stored and displayed lists are stable.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeSet(BTreeSet<Scope>);

/// Why submitted scope names are not acceptable. Messages are shown in forms.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("Choose at least one scope.")]
    Empty,
    #[error("Unknown scope: {0}")]
    Unknown(String),
}

/// A submitted name as an error message may repeat it: control characters
/// (a NUL has no place in a page) replaced, and no longer than any real
/// scope's name could be.
fn shown(name: &str) -> String {
    let mut shown: String = name
        .chars()
        .take(64)
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    if name.chars().count() > 64 {
        shown.push('…');
    }
    shown
}

impl ScopeSet {
    /// Validates submitted names (form or API). An unknown name is an error,
    /// never ignored, so a typo cannot silently grant less than intended;
    /// duplicates collapse; an empty selection is refused because a token
    /// with no scopes could do nothing.
    pub fn parse<I, S>(names: I) -> Result<ScopeSet, ScopeError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut set = BTreeSet::new();
        for name in names {
            let name = name.as_ref();
            let scope = Scope::parse(name).ok_or_else(|| ScopeError::Unknown(shown(name)))?;
            set.insert(scope);
        }
        if set.is_empty() {
            return Err(ScopeError::Empty);
        }
        Ok(ScopeSet(set))
    }

    /// Reads scopes back from the database. Unknown names are skipped rather
    /// than failing: a scope removed from the catalogue simply stops granting
    /// anything. May be empty.
    pub fn from_stored(names: &[String]) -> ScopeSet {
        ScopeSet(names.iter().filter_map(|n| Scope::parse(n)).collect())
    }

    /// Whether a request needing `s` is allowed.
    pub fn contains(&self, s: Scope) -> bool {
        self.0.contains(&s)
    }

    /// Names in catalogue order, for storing in a `text[]` column.
    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|s| s.name().to_owned()).collect()
    }

    /// The scopes in catalogue order.
    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    /// True when no scope is held (possible only for stored sets).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many scopes are held.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `(added, removed)` going from `self` to `new`, each in catalogue order,
    /// for the audit log's details of a scope edit.
    pub fn added_and_removed(&self, new: &ScopeSet) -> (Vec<Scope>, Vec<Scope>) {
        let added = new.0.difference(&self.0).copied().collect();
        let removed = self.0.difference(&new.0).copied().collect();
        (added, removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_for_all() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.name()), Some(scope));
        }
        assert_eq!(
            Scope::ALL.map(Scope::name),
            [
                "contacts.readonly",
                "contacts.write",
                "locations.readonly",
                "locations/customFields.readonly",
                "locations/customFields.write",
                "locations/tags.readonly",
                "locations/tags.write",
                "users.readonly"
            ]
        );
        assert_eq!(Scope::parse("Contacts.Readonly"), None);
        assert_eq!(Scope::parse(" contacts.readonly"), None);
        assert_eq!(Scope::parse(""), None);
    }

    #[test]
    fn all_is_in_ord_order() {
        let mut sorted = Scope::ALL;
        sorted.sort();
        assert_eq!(sorted, Scope::ALL);
    }

    #[test]
    fn human_labels() {
        assert_eq!(Scope::ContactsReadonly.human(), "Contacts — View");
        assert_eq!(Scope::ContactsWrite.human(), "Contacts — Edit");
        assert_eq!(Scope::LocationsReadonly.human(), "Locations — View");
        assert_eq!(Scope::UsersReadonly.human(), "Users — View");
        assert_eq!(Scope::CustomFieldsWrite.human(), "Custom fields — Edit");
        assert_eq!(Scope::TagsReadonly.human(), "Tags — View");
        for scope in Scope::ALL {
            assert!(!scope.description().is_empty());
        }
    }

    #[test]
    fn groups_cover_every_scope_exactly_once() {
        let groups = groups();
        let names: Vec<&str> = groups.iter().map(|g| g.name).collect();
        assert_eq!(
            names,
            ["Contacts", "Locations", "Custom fields", "Tags", "Users"]
        );
        let flattened: Vec<Scope> = groups.iter().flat_map(|g| g.scopes.clone()).collect();
        assert_eq!(flattened, Scope::ALL);
        for group in &groups {
            assert!(group.scopes.iter().all(|s| s.group() == group.name));
        }
    }

    #[test]
    fn parse_accepts_known_names_and_collapses_duplicates() {
        let set = ScopeSet::parse(["users.readonly", "contacts.write", "users.readonly"]).unwrap();
        assert_eq!(set.len(), 2);
        assert!(set.contains(Scope::UsersReadonly));
        assert!(set.contains(Scope::ContactsWrite));
        assert!(!set.contains(Scope::ContactsReadonly));
        assert_eq!(set.names(), ["contacts.write", "users.readonly"]);
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [Scope::ContactsWrite, Scope::UsersReadonly]
        );
        let owned = vec!["contacts.readonly".to_string()];
        assert_eq!(ScopeSet::parse(&owned).unwrap().len(), 1);
    }

    #[test]
    fn parse_rejects_unknown_names() {
        assert_eq!(
            ScopeSet::parse(["contacts.readonly", "contacts.delete"]),
            Err(ScopeError::Unknown("contacts.delete".into()))
        );
        assert_eq!(
            ScopeSet::parse([""]),
            Err(ScopeError::Unknown(String::new()))
        );
        assert_eq!(
            ScopeError::Unknown("x".into()).to_string(),
            "Unknown scope: x"
        );
        // Repeated safely: no control character, no page-long echo.
        assert_eq!(
            ScopeSet::parse(["a\0b"]),
            Err(ScopeError::Unknown("a\u{FFFD}b".into()))
        );
        let long = "x".repeat(10_000);
        let Err(ScopeError::Unknown(shown)) = ScopeSet::parse([long.as_str()]) else {
            panic!("refused");
        };
        assert_eq!(shown.chars().count(), 65);
    }

    #[test]
    fn parse_rejects_empty() {
        assert_eq!(
            ScopeSet::parse(Vec::<String>::new()),
            Err(ScopeError::Empty)
        );
        assert_eq!(ScopeError::Empty.to_string(), "Choose at least one scope.");
    }

    #[test]
    fn from_stored_skips_unknown_names() {
        let stored = vec![
            "users.readonly".to_string(),
            "removed.scope".to_string(),
            "contacts.readonly".to_string(),
        ];
        let set = ScopeSet::from_stored(&stored);
        assert_eq!(set.names(), ["contacts.readonly", "users.readonly"]);
        assert!(ScopeSet::from_stored(&[]).is_empty());
        assert_eq!(ScopeSet::from_stored(&[]), ScopeSet::default());
    }

    #[test]
    fn added_and_removed() {
        let old = ScopeSet::parse(["contacts.readonly", "contacts.write"]).unwrap();
        let new =
            ScopeSet::parse(["contacts.readonly", "users.readonly", "locations.readonly"]).unwrap();
        assert_eq!(
            old.added_and_removed(&new),
            (
                vec![Scope::LocationsReadonly, Scope::UsersReadonly],
                vec![Scope::ContactsWrite]
            )
        );
        assert_eq!(old.added_and_removed(&old), (vec![], vec![]));
    }
}
