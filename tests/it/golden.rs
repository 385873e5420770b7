//! Golden files: compare output with a checked-in file; `UPDATE_GOLDEN=1 cargo test` rewrites
//! them (then review the diff before committing: a golden file is only as right as its review).

use std::path::Path;

/// Compare `actual` with the file at `path`. Returns a description of the difference, if any.
pub fn check(path: &Path, actual: &str) -> Option<String> {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        if let Err(e) = std::fs::write(path, actual) {
            return Some(format!("{}: cannot write: {e}", path.display()));
        }
        return None;
    }
    let expected = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            return Some(format!(
                "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
                path.display()
            ));
        }
    };
    if expected == actual {
        return None;
    }
    let exp: Vec<&str> = expected.lines().collect();
    let act: Vec<&str> = actual.lines().collect();
    let first = (0..exp.len().max(act.len()))
        .find(|&i| exp.get(i) != act.get(i))
        .unwrap_or(0);
    Some(format!(
        "{} differs at line {}:\n  expected: {}\n  actual:   {}\n(run with UPDATE_GOLDEN=1 to accept, then review the diff)",
        path.display(),
        first + 1,
        exp.get(first).unwrap_or(&"<end of file>"),
        act.get(first).unwrap_or(&"<end of file>")
    ))
}
