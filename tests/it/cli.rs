//! The `veiling` binary as a user runs it: exit codes, determinism across processes.

use std::path::Path;
use std::process::{Command, Output};

/// Run the real binary from the package root.
pub fn veiling(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_veiling"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run veiling")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn check_config_accepts_the_shipped_configs() {
    let o = veiling(&[
        "check-config",
        "auction-configs/dieetvoeding-2024.toml",
        "auction-configs/ziekenvervoer-2021.toml",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).lines().filter(|l| l.contains(": ok (")).count(),
        2
    );
}

#[test]
fn check_config_reports_every_error_with_its_path_and_fails() {
    let o = veiling(&[
        "check-config",
        "auction-configs/dieetvoeding-2024.toml",
        "tests/bad-configs/many-errors-at-once.toml",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines.len() >= 8, "{err}");
    for line in lines {
        assert!(
            line.starts_with("tests/bad-configs/many-errors-at-once.toml: "),
            "{line}"
        );
    }
    assert!(err.contains("lots[0].floor: the floor (1200.00) must be below the ceiling (1000.00)"));
    let missing = veiling(&["check-config", "no/such/file.toml"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("cannot read"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn simulate_is_deterministic_across_processes() {
    let args = [
        "simulate",
        "--seed",
        "42",
        "--bidders",
        "7",
        "--verbose",
        "--no-log",
    ];
    let a = veiling(&args);
    let b = veiling(&args);
    assert!(a.status.success(), "{}", stderr(&a));
    assert_eq!(a.stdout, b.stdout, "same seed, different output");
    let c = veiling(&[
        "simulate",
        "--seed",
        "43",
        "--bidders",
        "7",
        "--verbose",
        "--no-log",
    ]);
    assert_ne!(a.stdout, c.stdout, "the seed has no effect");
    let out = stdout(&a);
    assert!(out.contains("simulation of dieetvoeding-2024 with seed 42: 7 bidder(s)"));
    assert!(
        out.contains("sim-01 plays") && out.contains("sim-02 plays"),
        "{out}"
    );
    assert!(out.contains("standings: auction awarded"), "{out}");
}

#[test]
fn simulate_writes_the_same_verifiable_log_for_the_same_seed_and_key() {
    let dir = tempdir("simulate-log");
    let data = dir.join("data");
    let data = data.to_str().unwrap();
    // The first run creates the server key (mode 0600) and the log under the data directory.
    let a = veiling(&["simulate", "--seed", "3", "--data-dir", data]);
    assert!(a.status.success(), "{}", stderr(&a));
    assert!(
        stderr(&a).contains("created the server key"),
        "{}",
        stderr(&a)
    );
    let log = dir.join("data/simulate/dieetvoeding-2024-seed-3.log");
    let first = std::fs::read(&log).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("data/server.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Same seed, same key: the same log, byte for byte (and the same standings).
    let b = veiling(&["simulate", "--seed", "3", "--data-dir", data]);
    assert!(b.status.success(), "{}", stderr(&b));
    assert_eq!(std::fs::read(&log).unwrap(), first);
    assert_eq!(a.stdout, b.stdout);
    let v = veiling(&["verify", log.to_str().unwrap()]);
    assert!(v.status.success(), "{}{}", stdout(&v), stderr(&v));
    assert!(stdout(&v).contains("sealed"), "{}", stdout(&v));
    // An explicit --out never overwrites.
    let again = veiling(&[
        "simulate",
        "--seed",
        "3",
        "--data-dir",
        data,
        "--out",
        log.to_str().unwrap(),
    ]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("exists"), "{}", stderr(&again));
}

#[test]
fn simulate_rejects_bad_arguments_clearly() {
    let o = veiling(&["simulate", "--bidders", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--bidders must be between 1"),
        "{}",
        stderr(&o)
    );
    let o = veiling(&[
        "simulate",
        "--config",
        "tests/bad-configs/dst-gap.toml",
        "--no-log",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("dst-gap.toml: "), "{}", stderr(&o));
}

#[test]
fn script_prints_the_transcript_and_reports_errors_with_line_numbers() {
    let o = veiling(&["script", "tests/scenarios/dieetvoeding-walkthrough.script"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let expected = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/dieetvoeding-walkthrough.out"),
    )
    .unwrap();
    assert_eq!(stdout(&o), expected);

    let dir = tempdir("script-error");
    let bad = dir.join("bad.script");
    std::fs::write(
        &bad,
        "config ../../../auction-configs/dieetvoeding-2024.toml\nat 10:00 tick\nbid nobody perceel-1 price=1\n",
    )
    .unwrap();
    let config =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("auction-configs/dieetvoeding-2024.toml");
    let o = veiling(&[
        "script",
        bad.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("line 3: unknown supplier 'nobody'"),
        "{}",
        stderr(&o)
    );
}

use crate::durability::tempdir;

#[test]
fn links_gives_each_participant_its_page_with_the_token_in_the_fragment() {
    let dir = crate::durability::tempdir("cli/links");
    let path = dir.join("credentials.json");
    let file = serde_json::json!({
        "auction": "a", "note": "secret",
        "participants": [
            {"role": "auctioneer", "id": "jan", "name": "Jan", "token": "vt_1"},
            {"role": "supplier", "id": "alfa", "name": "Alfa", "token": "vt_2"},
            {"role": "auditor", "id": "auditor", "name": "Auditor", "token": "vt_3"},
        ]
    });
    std::fs::write(&path, file.to_string()).unwrap();
    let p = path.to_str().unwrap();
    let o = veiling(&["links", p, "--base", "http://127.0.0.1:9000/"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for want in [
        "http://127.0.0.1:9000/console#token=vt_1",
        "http://127.0.0.1:9000/bid#token=vt_2",
        "http://127.0.0.1:9000/audit#token=vt_3",
    ] {
        assert!(out.contains(want), "{want} in\n{out}");
    }
    let o = veiling(&["links", p, "--as", "alfa"]);
    assert_eq!(stdout(&o).lines().count(), 1);
    assert!(stdout(&o).contains("http://127.0.0.1:8080/bid#token=vt_2"));
    let o = veiling(&["links", p, "--as", "nobody"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("no participant 'nobody'"),
        "{}",
        stderr(&o)
    );
}

/// `veiling tender` as the auctioneer runs it: `init --start-in` moves the schedule so the
/// qualification opens now; a step exits 0 when accepted, 1 when refused (and on the record), 2
/// when it cannot run; `status` shows the tender; and a tender config is not served, simulated
/// or scripted directly.
#[test]
fn the_tender_command_line_steps_and_their_exit_codes() {
    let dir = crate::durability::tempdir("cli/tender");
    let data = dir.to_str().unwrap();
    let config = "auction-configs/dieetvoeding-2024-tender.toml";
    let o = veiling(&[
        "tender",
        "init",
        config,
        "--data-dir",
        data,
        "--start-in",
        "0",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("6 candidate(s), 12 criteria"),
        "{}",
        stdout(&o)
    );
    let step = |args: &[&str]| {
        let mut all = vec!["tender"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--data-dir", data]);
        veiling(&all)
    };
    // Register before the qualification opens: refused, exit 1, on the record.
    let o = step(&["register", "dieetvoeding-2024", "--as", "alfa-medical"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("refused [out_of_order]"),
        "{}",
        stdout(&o)
    );
    let o = step(&["open", "dieetvoeding-2024", "--as", "inkoper-1"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let o = step(&["register", "dieetvoeding-2024", "--as", "alfa-medical"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    // A submission file that is not JSON cannot run: exit 2, nothing recorded.
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{not json").unwrap();
    let o = step(&[
        "submit",
        "dieetvoeding-2024",
        "--as",
        "alfa-medical",
        "--file",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not JSON"), "{}", stderr(&o));
    // An unknown participant cannot run either.
    let o = step(&["register", "dieetvoeding-2024", "--as", "nobody"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown supplier 'nobody'"),
        "{}",
        stderr(&o)
    );
    let o = step(&["status", "dieetvoeding-2024"]);
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(text.contains("qualification_open"), "{text}");
    assert!(text.contains("alfa-medical: registered"), "{text}");
    // The log so far verifies: header, 3 inputs (1 refused), checkpoints.
    let log = dir.join("dieetvoeding-2024/tender.log");
    let o = veiling(&["verify", log.to_str().unwrap(), "--unsealed-ok"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    // `replay` re-executes a tender log; `report` says it is for auction logs.
    let o = veiling(&["replay", log.to_str().unwrap()]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("every outcome as logged; phase qualification_open"),
        "{}",
        stdout(&o)
    );
    let o = veiling(&[
        "report",
        log.to_str().unwrap(),
        "--out",
        dir.join("r.html").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("is a tender log"), "{}", stderr(&o));
    // A tender config is run by `veiling tender`, not served or simulated as it is.
    let o = veiling(&["simulate", "--config", config, "--no-log"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("veiling tender"), "{}", stderr(&o));
}
