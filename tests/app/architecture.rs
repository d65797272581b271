//! The dependency rule of the code's layers (README, Architecture): an
//! arrow points down only. entry → startup → web | api | workers → actions →
//! auth → models → domain, db; the state, the usage layer and the error
//! policy are shared downward. A `use` that points up fails this test.

use std::path::{Path, PathBuf};

/// Which modules each part of `src/` must never name.
const RULES: &[(&str, &[&str])] = &[
    ("web", &["api", "startup", "workers"]),
    ("api", &["web", "startup", "workers"]),
    ("workers", &["web", "api", "startup"]),
    (
        "actions",
        &["web", "api", "startup", "workers", "state", "errors"],
    ),
    ("auth", &["web", "api", "startup", "workers", "actions"]),
    (
        "state.rs",
        &[
            "web", "api", "startup", "workers", "actions", "auth", "errors",
        ],
    ),
    (
        "errors.rs",
        &["web", "api", "startup", "workers", "auth", "state"],
    ),
    (
        "caches",
        &[
            "web", "api", "startup", "workers", "actions", "auth", "state", "errors",
        ],
    ),
    (
        "usage",
        &[
            "web", "api", "startup", "workers", "actions", "auth", "state", "errors",
        ],
    ),
    (
        "models",
        &[
            "web", "api", "startup", "workers", "actions", "auth", "state", "errors", "usage",
        ],
    ),
    (
        "domain",
        &[
            "web", "api", "startup", "workers", "actions", "auth", "state", "errors", "usage",
            "models", "db",
        ],
    ),
    (
        "db",
        &[
            "web", "api", "startup", "workers", "actions", "auth", "state", "errors", "usage",
        ],
    ),
];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .expect("read a source folder")
            .map(|e| e.expect("a directory entry").path())
            .collect();
        entries.sort();
        for entry in entries {
            rust_files(&entry, out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

/// Every `crate::<module>` a file names, outside comments.
fn named_modules(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            found.push(name);
        }
    }
    found
}

#[test]
fn no_module_imports_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut broken = Vec::new();
    for (part, forbidden) in RULES {
        let mut files = Vec::new();
        rust_files(&src.join(part), &mut files);
        assert!(!files.is_empty(), "src/{part} has no Rust files");
        for file in files {
            let source = std::fs::read_to_string(&file).expect("read a source file");
            for name in named_modules(&source) {
                if forbidden.contains(&name.as_str()) {
                    broken.push(format!(
                        "{} names crate::{name}",
                        file.strip_prefix(&src).unwrap_or(&file).display()
                    ));
                }
            }
        }
    }
    broken.dedup();
    assert!(
        broken.is_empty(),
        "the dependency rule is broken:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_rule_finds_what_it_looks_for() {
    let names = named_modules(
        "use crate::web::client_ip;\n// crate::api in a comment\nlet x = crate::models::X;",
    );
    assert_eq!(names, ["web", "models"]);
}

#[test]
fn queries_are_built_in_the_models_and_the_database_module_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut found = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap_or(&file).to_path_buf();
        if relative.starts_with("models") || relative.starts_with("db") {
            continue;
        }
        let source = std::fs::read_to_string(&file).expect("read a source file");
        for (i, line) in source.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if ["schema::", "sql_query", "diesel::dsl"]
                .iter()
                .any(|n| code.contains(n))
            {
                found.push(format!("{}:{}: {}", relative.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "SQL outside src/models:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_source_file_says_on_its_first_line_what_it_is() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let missing: Vec<String> = files
        .iter()
        // Generated by `diesel print-schema`.
        .filter(|f| !f.ends_with("db/schema.rs"))
        .filter(|f| {
            !std::fs::read_to_string(f)
                .expect("read a source file")
                .starts_with("//!")
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a //! first line: {missing:#?}"
    );
}
