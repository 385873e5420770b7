//! Tidy: the architecture rules of ARCHITECTURE.md, enforced by reading the source.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Code lines (comments dropped; `#[cfg(test)]` modules at the end of a file dropped).
fn code_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        let code = line.split("//").next().unwrap_or(line);
        out.push((i + 1, code));
    }
    out
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The core is pure: no IO, no clock, no randomness, no floats, no tokio, no unordered maps
/// (iteration order could reach the log), no panicking shortcuts on data.
#[test]
fn core_is_pure() {
    let forbidden = [
        ("tokio", "the core knows nothing of tokio"),
        (
            "std::time",
            "the core never reads a clock: time is an input",
        ),
        ("Instant", "the core never reads a clock"),
        ("SystemTime", "the core never reads a clock"),
        ("std::fs", "the core does no IO"),
        ("std::io", "the core does no IO"),
        ("std::net", "the core does no IO"),
        ("std::thread", "the core runs on the caller's thread"),
        ("std::env", "the core reads no environment"),
        ("println!", "the core prints nothing"),
        ("eprintln!", "the core prints nothing"),
        ("f32", "no floats in the core: money is Decimal"),
        ("f64", "no floats in the core: money is Decimal"),
        (
            "HashMap",
            "use ordered maps: iteration order can reach the log",
        ),
        (
            "HashSet",
            "use ordered sets: iteration order can reach the log",
        ),
        ("rand", "no randomness in the core"),
        ("jiff", "the core sees milliseconds, not time zones"),
        (
            "crate::config",
            "the core does not depend on the config format",
        ),
        (".unwrap()", "no unwrap in the core"),
        (".expect(", "no expect in the core"),
        ("todo!", "no stubs"),
        ("unimplemented!", "no stubs"),
        ("dbg!", "no debugging leftovers"),
    ];
    let mut problems = Vec::new();
    for file in rust_files(&root().join("src/core")) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in code_lines(&text) {
            for (word, why) in forbidden {
                let hit = if word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    // Whole identifiers only: `f64` but not `frandom`.
                    line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .any(|w| w == word)
                } else {
                    line.contains(word)
                };
                if hit {
                    problems.push(format!("{}:{n}: `{word}`: {why}", file.display()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The tidy check itself must see a violation when there is one.
#[test]
fn tidy_sees_a_planted_violation() {
    let lines = code_lines("fn f() -> f64 { 1.0 } // f64 in a comment\n// tokio\n");
    assert_eq!(lines.len(), 1);
    assert!(lines[0].1.contains("f64"));
    assert!(!lines[0].1.contains("comment"));
}

/// No stubs and no ignored tests anywhere in the crate.
#[test]
fn no_stubs_or_ignored_tests() {
    let mut problems = Vec::new();
    for dir in ["src", "tests", "benches"] {
        for file in rust_files(&root().join(dir)) {
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in text.lines().enumerate() {
                // Built from parts, so that this file is not itself a match (for this test or
                // for tools that grep the tree).
                let words = [
                    format!("{}!(", "todo"),
                    format!("{}!(", "unimplemented"),
                    format!("#[{}", "ignore"),
                ];
                for word in &words {
                    if line.contains(word.as_str()) {
                        problems.push(format!("{}:{}: {word}", file.display(), n + 1));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every rejection code in `src/core/types.rs` is documented in `docs/script.md`, and every
/// documented code exists: the docs say what the code does.
#[test]
fn every_rejection_code_is_documented() {
    let types = std::fs::read_to_string(root().join("src/core/types.rs")).unwrap();
    let docs = std::fs::read_to_string(root().join("docs/script.md")).unwrap();
    let code_in = |line: &str| -> Option<String> {
        let (_, rest) = line.split_once("=> \"")?;
        Some(rest.split('"').next()?.to_string())
    };
    let codes: Vec<String> = types
        .lines()
        .skip_while(|l| !l.contains("pub fn code(&self)"))
        .filter_map(code_in)
        .collect();
    assert!(codes.len() >= 40, "found only {} codes", codes.len());
    let missing: Vec<&String> = codes
        .iter()
        .filter(|c| !docs.contains(&format!("| `{c}` |")))
        .collect();
    assert!(
        missing.is_empty(),
        "codes not in docs/script.md: {missing:?}"
    );
    let documented: Vec<&str> = docs
        .lines()
        .filter_map(|l| l.strip_prefix("| `")?.split_once("` |").map(|(c, _)| c))
        .filter(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'))
        .collect();
    let unknown: Vec<&&str> = documented
        .iter()
        .filter(|c| {
            // Rows of other tables (statements) are not codes: only check rows in the code tables.
            c.contains('_') && !codes.iter().any(|k| k == *c)
        })
        .collect();
    assert!(
        unknown.is_empty(),
        "documented codes that do not exist: {unknown:?}"
    );
}

/// Every bound `veiling serve --limit` takes is in the table of docs/deploy.md, and in the
/// limits of docs/protocol.md.
#[test]
fn every_settable_limit_is_documented() {
    let deploy = std::fs::read_to_string(root().join("docs/deploy.md")).unwrap();
    let protocol = std::fs::read_to_string(root().join("docs/protocol.md")).unwrap();
    for (name, _) in veiling::server::Limits::SETTABLE {
        let cell = format!("`{name}`");
        assert!(deploy.contains(&cell), "{name} not in docs/deploy.md");
        assert!(
            protocol.contains(&cell)
                || *name == "read_buffer_bytes"
                || *name == "write_buffer_bytes_max"
                || *name == "send_buffer_bytes"
                || *name == "batch_inputs_max",
            "{name} not in docs/protocol.md"
        );
    }
}

/// Every file in `web/` is embedded and served (`server::web::ASSETS`), and the pages load no
/// script or style from anywhere else and run no inline script (the CSP would block it).
#[test]
fn every_web_file_is_served_and_pages_load_nothing_from_elsewhere() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut served: Vec<String> = veiling::server::web::ASSETS
        .iter()
        .map(|a| a.name.to_string())
        .collect();
    served.sort();
    assert_eq!(on_disk, served, "web/ and server::web::ASSETS differ");
    for asset in veiling::server::web::ASSETS {
        let text = String::from_utf8_lossy(asset.body);
        for needle in [
            "http://",
            "https://",
            "//cdn",
            "<script>",
            " onclick=",
            " style=\"",
        ] {
            let hits: Vec<&str> = text
                .lines()
                .filter(|l| l.contains(needle) && !l.trim_start().starts_with("//"))
                .filter(|l| !l.contains("www.w3.org/2000/svg"))
                .collect();
            assert!(hits.is_empty(), "{}: {needle:?} in {hits:?}", asset.name);
        }
    }
}
