//! The migrations are embedded in the binary (`embed_migrations!`), which
//! the compiler does not know to watch: without this, a migration added to
//! the directory would be left out until some source file changed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
