//! The layout every signed-in page shares: header and Settings sidebar.

use crate::helpers::spawn_app;

#[actix_web::test]
async fn the_sidebar_links_every_settings_section_and_marks_the_current_one() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let sections = [
        ("/settings", "Overview"),
        ("/settings/private-integrations", "Private Integrations"),
        ("/settings/audit-log", "Audit log"),
        ("/settings/users", "Users"),
        ("/settings/account", "Account"),
        ("/settings/api-keys", "API keys (legacy)"),
        ("/settings/profile", "Profile"),
    ];
    for (page, _) in sections {
        let body = app.get(page).await.body;
        let nav = body
            .split("class=\"sidebar\"")
            .nth(1)
            .and_then(|rest| rest.split("</nav>").next())
            .unwrap_or_else(|| panic!("{page}: no sidebar"));
        for (href, label) in sections {
            let link = format!("<a href=\"{href}\"");
            let start = nav
                .find(&link)
                .unwrap_or_else(|| panic!("{page}: sidebar lacks {href}"));
            let anchor = &nav[start..start + nav[start..].find("</a>").unwrap_or(0)];
            assert!(anchor.contains(label), "{page}: {anchor}");
            assert_eq!(
                anchor.contains("aria-current=\"page\""),
                href == page,
                "{page}: only the current section is marked: {anchor}"
            );
        }
        assert!(
            body.contains(&owner.account_name),
            "{page}: account name in the header"
        );
        assert!(
            body.contains("action=\"/logout\""),
            "{page}: a Sign out form"
        );
    }
}
