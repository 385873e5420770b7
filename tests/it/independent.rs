//! The log format document is exact enough to write a verifier from it alone: one was, in
//! Python with the standard library only (`tests/independent-verifier/verify_log.py`, written
//! without reading this code). Here it must reach the same verdict as `veiling verify`, at the
//! same line, on real logs and on tampered ones.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use veiling::log::chain;
use veiling::log::record::line_of;
use veiling::rng::Rng;

use crate::durability::{key, tempdir};
use crate::logs::{join, lines_of, rechain, scenario_log, simulated_log};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `Some(line)` of the first problem, or `None` when the log verifies.
pub type Verdict = Option<usize>;

pub fn python(log: &Path, pubkey: Option<&Path>, unsealed_ok: bool) -> (Verdict, String) {
    let mut cmd = Command::new("python3");
    cmd.arg(root().join("tests/independent-verifier/verify_log.py"))
        .arg(log);
    if let Some(p) = pubkey {
        cmd.arg("--pubkey").arg(p);
    }
    if unsealed_ok {
        cmd.arg("--unsealed-ok");
    }
    let out = cmd.output().expect("python3 runs (installed by .ci/run)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    match out.status.code() {
        Some(0) => (None, text),
        Some(1) => {
            // "FAILED at line N ..." or "FAILED: not sealed" (reported as line 0).
            let line = text
                .split("FAILED at line ")
                .nth(1)
                .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            (Some(line), text)
        }
        other => panic!(
            "the independent verifier failed to run ({other:?}): {text}{}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

fn rust(bytes: &[u8], pubkey: bool, unsealed_ok: bool) -> Verdict {
    let trusted = key().verifying_key();
    let check = chain::verify(bytes, pubkey.then_some(&trusted), &mut |_| {});
    match (check.problem, check.verified) {
        (Some(p), _) => Some(p.line),
        (None, Some(v)) if !v.sealed && !unsealed_ok => Some(0),
        (None, Some(_)) => None,
        (None, None) => Some(0),
    }
}

#[test]
fn an_independent_verifier_written_from_the_document_agrees() {
    let dir = tempdir("independent");
    let pubkey = dir.join("server.pub");
    std::fs::write(&pubkey, veiling::log::keys::public_hex(&key())).unwrap();
    let other_pub = dir.join("other.pub");
    let other = ed25519_dalek::SigningKey::from_bytes(&[8u8; 32]);
    std::fs::write(&other_pub, veiling::log::keys::public_hex(&other)).unwrap();

    let mut cases: Vec<(String, Vec<u8>, bool)> = vec![(
        "worked example".into(),
        std::fs::read(root().join("tests/log-example/example.log")).unwrap(),
        false,
    )];
    for name in [
        "dieetvoeding-walkthrough",
        "void-bid",
        "soft-close-from-bid",
        "timing-serial-gap",
    ] {
        cases.push((name.into(), scenario_log(name), true));
    }
    cases.push(("ziekenvervoer simulation".into(), simulated_log(), false));

    let mut rng = Rng::new(7);
    let mut compared = 0;
    let mut disagreements = Vec::new();
    let mut compare =
        |what: String, bytes: &[u8], unsealed_ok: bool, with_key: bool, wrong_key: bool| {
            let path = dir.join(format!("case-{compared}.log"));
            std::fs::write(&path, bytes).unwrap();
            let key_file = if wrong_key { &other_pub } else { &pubkey };
            let (theirs, text) = python(&path, with_key.then_some(key_file.as_path()), unsealed_ok);
            let ours = if wrong_key {
                let check = chain::verify(bytes, Some(&other.verifying_key()), &mut |_| {});
                check.problem.map(|p| p.line).or(Some(0))
            } else {
                rust(bytes, with_key, unsealed_ok)
            };
            compared += 1;
            if theirs != ours {
                disagreements.push(format!(
                    "{what}: independent {theirs:?}, veiling {ours:?}\n  {text}"
                ));
            }
        };
    for (name, bytes, unsealed_ok) in &cases {
        compare(
            format!("{name} untouched"),
            bytes,
            *unsealed_ok,
            true,
            false,
        );
        compare(
            format!("{name} untouched, header key"),
            bytes,
            *unsealed_ok,
            false,
            false,
        );
        compare(
            format!("{name}, wrong key"),
            bytes,
            *unsealed_ok,
            true,
            true,
        );
        let lines = lines_of(bytes);
        for _ in 0..6 {
            let mut b = bytes.clone();
            let i = rng.below(b.len() as u64) as usize;
            b[i] ^= 1 << rng.below(8);
            compare(
                format!("{name}: flip at {i}"),
                &b,
                *unsealed_ok,
                true,
                false,
            );
        }
        let mid = lines.len() / 2;
        let mut ls = lines.clone();
        ls.remove(mid);
        compare(
            format!("{name}: line {} deleted", mid + 1),
            &join(&ls),
            *unsealed_ok,
            true,
            false,
        );
        let cut: usize = lines[..mid].iter().map(|l| l.len() + 1).sum();
        compare(
            format!("{name}: truncated at a boundary"),
            &bytes[..cut],
            *unsealed_ok,
            true,
            false,
        );
        compare(
            format!("{name}: truncated mid-line"),
            &bytes[..cut + 7],
            *unsealed_ok,
            true,
            false,
        );
        // Canonical-form and type damage, re-chained and re-signed with the server's own key.
        let mut v: Value = serde_json::from_slice(&lines[mid]).unwrap();
        v["at"] = serde_json::json!(v["at"].as_i64().unwrap() as f64 + 0.5);
        let mut ls = lines.clone();
        ls[mid] = line_of(&v);
        rechain(&mut ls, mid + 1, &key());
        compare(
            format!("{name}: float at line {}", mid + 1),
            &join(&ls),
            *unsealed_ok,
            true,
            false,
        );
        let mut ls = lines.clone();
        ls[mid] = String::from_utf8(ls[mid].clone())
            .unwrap()
            .replacen("\":", "\": ", 1)
            .into_bytes();
        rechain(&mut ls, mid + 1, &key());
        compare(
            format!("{name}: space at line {}", mid + 1),
            &join(&ls),
            *unsealed_ok,
            true,
            false,
        );
    }
    println!(
        "independent verifier: {compared} logs compared, {} disagreements",
        disagreements.len()
    );
    assert!(compared >= 70, "{compared}");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
