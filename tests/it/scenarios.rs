//! Data-driven scenario tests: every `tests/scenarios/*.script` runs through `veiling script`'s
//! runner; its transcript must equal the checked-in `.out` file, and replaying the run's events
//! must rebuild exactly the live state.

use std::path::{Path, PathBuf};

use veiling::core::{Auction, Outcome};

use crate::golden;

pub fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "script"))
        .collect();
    files.sort();
    files
}

#[test]
fn scenarios_match_their_golden_transcripts() {
    let files = scenario_files();
    assert!(
        files.len() >= 10,
        "expected the scenario scripts, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for path in &files {
        let actual = match veiling::script::run_file(path, None, None) {
            Ok(run) => {
                let events = run.steps.iter().flat_map(|s| match &s.outcome {
                    Outcome::Accepted(events) => events.as_slice(),
                    _ => &[],
                });
                let replayed = Auction::replay(run.config.rules.clone(), events);
                if replayed != run.auction {
                    failures.push(format!(
                        "{}: replay of events != live state",
                        path.display()
                    ));
                }
                run.transcript
            }
            Err(e) => format!("error: {e}\n"),
        };
        if let Some(diff) = golden::check(&path.with_extension("out"), &actual) {
            failures.push(diff);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
