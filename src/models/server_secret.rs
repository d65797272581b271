//! Server secrets (`server_secrets`): keys the instances share, generated
//! once on first start.

use diesel::prelude::*;

use crate::db::schema::server_secrets;

/// Returns the secret called `name`, storing `generate()` first if there is
/// none. Instances racing at first start all end up with the first one stored.
pub fn get_or_create(
    conn: &mut PgConnection,
    name: &str,
    generate: impl FnOnce() -> Vec<u8>,
) -> QueryResult<Vec<u8>> {
    diesel::insert_into(server_secrets::table)
        .values((
            server_secrets::name.eq(name),
            server_secrets::value.eq(generate()),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    server_secrets::table
        .find(name)
        .select(server_secrets::value)
        .first(conn)
}
