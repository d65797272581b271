//! The API's code keeps to its layer (STYLE.md): queries live in the
//! models, the database's error is named once by `db::query` rather than in
//! every closure, and every file says on its first line what it is.

use std::path::{Path, PathBuf};

/// `(path, text)` of every Rust file under `src/<dir>`.
fn sources(dir: &str) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut pending = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir)];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("a source folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                out.push((path, text));
            }
        }
    }
    assert!(!out.is_empty(), "no sources under src/{dir}");
    out
}

/// The places in `files` where any of `needles` stands.
fn occurrences(files: &[(PathBuf, String)], needles: &[&str]) -> Vec<String> {
    files
        .iter()
        .flat_map(|(path, text)| {
            text.lines()
                .enumerate()
                .filter(|(_, line)| needles.iter().any(|n| line.contains(n)))
                .map(move |(i, line)| format!("{}:{}: {}", path.display(), i + 1, line.trim()))
        })
        .collect()
}

#[test]
fn the_api_builds_no_query_of_its_own() {
    let found = occurrences(&sources("api"), &["diesel", "schema::", "sql_query"]);
    assert!(
        found.is_empty(),
        "queries belong in src/models:\n{found:#?}"
    );
}

#[test]
fn the_api_and_the_models_leave_the_database_error_to_db_query() {
    let mut files = sources("api");
    files.extend(sources("models"));
    let found = occurrences(
        &files,
        &[
            "map_err(DbError::from)",
            "map_err(db::DbError::from)",
            "Ok::<_, DbError>",
            "Ok::<_, db::DbError>",
        ],
    );
    assert!(found.is_empty(), "use db::query:\n{found:#?}");
}

#[test]
fn every_api_and_model_file_starts_by_saying_what_it_is() {
    let mut files = sources("api");
    files.extend(sources("models"));
    let silent: Vec<String> = files
        .iter()
        .filter(|(_, text)| !text.starts_with("//! "))
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(silent.is_empty(), "no `//!` first line:\n{silent:#?}");
}
