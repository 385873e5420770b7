//! Golden logs and tamper tests.
//!
//! - Golden logs: scripted scenarios written through the real log path must equal checked-in
//!   logs byte for byte, and their replay must equal a checked-in snapshot
//!   (`UPDATE_GOLDEN=1` rewrites both; review the diff).
//! - Tamper tests: thousands of random mutations of real logs (flipped bytes, deleted,
//!   duplicated and swapped records, truncations, forged checkpoints, and a rewrite re-chained
//!   and re-signed with another key) are all detected by `verify` with the server's public key;
//!   the untouched logs never are.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use serde_json::Value;
use veiling::log::chain;
use veiling::log::record::{checkpoint_line, line_of, sha256_hex};
use veiling::rng::Rng;

use crate::durability::{key, tempdir};
use crate::golden;

const GOLDEN: [&str; 4] = [
    "dieetvoeding-walkthrough",
    "void-bid",
    "soft-close-from-bid",
    "timing-serial-gap",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Write the log of a scenario script with the test key; return its bytes.
pub fn scenario_log(name: &str) -> Vec<u8> {
    // Tests run in parallel: every call gets its own directory.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = tempdir(&format!("scenario-log-{name}-{n}"));
    let log = dir.join(format!("{name}.log"));
    let script = root()
        .join("tests/scenarios")
        .join(format!("{name}.script"));
    veiling::script::run_file(
        &script,
        None,
        Some(veiling::script::LogTo {
            path: log.clone(),
            key: key(),
        }),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    std::fs::read(&log).unwrap()
}

/// The sealed log of a whole simulated ziekenvervoer auction (three lots, hundreds of records).
pub fn simulated_log() -> Vec<u8> {
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = tempdir(&format!("simulated-log-{n}"));
    let path = root().join("auction-configs/ziekenvervoer-2021.toml");
    let (config, text) = veiling::config::load_file(&path).unwrap();
    let log = dir.join("sim.log");
    veiling::simulate::simulate_logged(config, &text, 5, &log, key()).unwrap();
    std::fs::read(&log).unwrap()
}

/// Open (or create) a log for the durability test's config, signed with the test key.
fn open_test_log(
    path: &Path,
) -> Result<veiling::log::recorder::Opened, veiling::log::recorder::OpenError> {
    let config = veiling::config::parse(crate::durability::CONFIG).unwrap();
    let at = config.rules.opens_at;
    veiling::log::recorder::open(
        path,
        &config,
        crate::durability::CONFIG,
        veiling::log::record::Mode::Live,
        at,
        key(),
        Default::default(),
    )
}

/// What `veiling replay` prints, from the library.
fn replay_text(bytes: &[u8]) -> String {
    let check = chain::verify(bytes, Some(&key().verifying_key()), &mut |_| {});
    assert!(check.problem.is_none(), "{:?}", check.problem);
    let v = check.verified.unwrap();
    let r = chain::replay(&v, None).unwrap();
    let renderer = veiling::render::Renderer::new(&r.config);
    format!(
        "replayed {} record(s), sealed: {}, head {}\n{}",
        r.records + 1,
        v.sealed,
        v.head(),
        renderer.standings(&r.auction)
    )
}

#[test]
fn golden_logs_and_their_replays_match_byte_for_byte() {
    let dir = root().join("tests/golden-logs");
    let mut failures = Vec::new();
    for name in GOLDEN {
        let bytes = scenario_log(name);
        // The log must hold the same outcomes the script printed.
        if let Some(d) = golden::check(
            &dir.join(format!("{name}.log")),
            &String::from_utf8(bytes.clone()).unwrap(),
        ) {
            failures.push(d);
        }
        if let Some(d) = golden::check(&dir.join(format!("{name}.replay")), &replay_text(&bytes)) {
            failures.push(d);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

pub fn lines_of(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

pub fn join(lines: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    out
}

/// Detected: verify with the server's public key reports a problem, or the log is not sealed.
fn detected(bytes: &[u8]) -> bool {
    let check = chain::verify(bytes, Some(&key().verifying_key()), &mut |_| {});
    check.problem.is_some() || !check.verified.is_some_and(|v| v.sealed)
}

/// Rewrite records from `from` on: recompute every `prev` and re-sign every checkpoint with
/// `signer`, as a forger without the server's key would.
pub fn rechain(lines: &mut [Vec<u8>], from: usize, signer: &SigningKey) {
    let auction = serde_json::from_slice::<Value>(&lines[0]).unwrap()["auction"]
        .as_str()
        .unwrap()
        .to_string();
    for i in from.max(1)..lines.len() {
        let prev = sha256_hex(&lines[i - 1]);
        let mut v: Value = serde_json::from_slice(&lines[i]).unwrap();
        if v["kind"] == "checkpoint" {
            let head_seq = v["head_seq"].as_u64().unwrap();
            let at = v["at"].as_i64().unwrap();
            let last = v["final"].as_bool().unwrap();
            lines[i] = checkpoint_line(&prev, head_seq, at, &auction, last, signer);
        } else {
            v["prev"] = Value::String(prev);
            lines[i] = line_of(&v);
        }
    }
}

#[test]
fn every_tampering_is_detected_and_untouched_logs_never_are() {
    let attacker = SigningKey::from_bytes(&[9u8; 32]);
    let mut rng = Rng::new(20261122);
    let mut tried = 0usize;
    let mut missed: Vec<String> = Vec::new();
    let mut check = |what: String, bytes: &[u8], missed: &mut Vec<String>| {
        tried += 1;
        if !detected(bytes) {
            missed.push(what);
        }
    };
    for name in ["dieetvoeding-walkthrough", "ziekenvervoer-simulation"] {
        let original = if name == "ziekenvervoer-simulation" {
            simulated_log()
        } else {
            scenario_log(name)
        };
        // Both logs are sealed (the auction was awarded): untouched, they verify.
        assert!(!detected(&original), "{name}: the untouched log is flagged");
        let lines = lines_of(&original);
        let n = lines.len();
        // The big simulated log costs more per check: fewer random byte mutations there.
        let (flips, replaces) = if lines.len() > 100 {
            (700, 200)
        } else {
            (1500, 500)
        };
        // Flipped bits anywhere.
        for _ in 0..flips {
            let mut b = original.clone();
            let i = rng.below(b.len() as u64) as usize;
            let mask = 1u8 << rng.below(8);
            b[i] ^= mask;
            check(
                format!("{name}: flip byte {i} by {mask:#x}"),
                &b,
                &mut missed,
            );
        }
        // Replaced bytes (any value).
        for _ in 0..replaces {
            let mut b = original.clone();
            let i = rng.below(b.len() as u64) as usize;
            let v = rng.below(256) as u8;
            if b[i] == v {
                continue;
            }
            b[i] = v;
            check(format!("{name}: byte {i} set to {v:#x}"), &b, &mut missed);
        }
        // Deleted, duplicated and swapped records.
        for i in (0..n).step_by((n / 150).max(1)) {
            let mut ls = lines.clone();
            ls.remove(i);
            check(
                format!("{name}: record {i} deleted"),
                &join(&ls),
                &mut missed,
            );
            let mut ls = lines.clone();
            ls.insert(i, lines[i].clone());
            check(
                format!("{name}: record {i} duplicated"),
                &join(&ls),
                &mut missed,
            );
        }
        for _ in 0..300 {
            let (i, j) = (rng.below(n as u64) as usize, rng.below(n as u64) as usize);
            if i == j {
                continue;
            }
            let mut ls = lines.clone();
            ls.swap(i, j);
            check(
                format!("{name}: records {i} and {j} swapped"),
                &join(&ls),
                &mut missed,
            );
        }
        // Truncations: at every record boundary and at random bytes.
        let mut boundary = 0;
        for (k, l) in lines.iter().enumerate() {
            boundary += l.len() + 1;
            if k % (n / 150).max(1) != 0 {
                continue;
            }
            if boundary < original.len() {
                check(
                    format!("{name}: truncated at record boundary {boundary}"),
                    &original[..boundary],
                    &mut missed,
                );
            }
        }
        for _ in 0..300 {
            let cut = rng.below(original.len() as u64) as usize;
            check(
                format!("{name}: truncated at byte {cut}"),
                &original[..cut],
                &mut missed,
            );
        }
        // Forged checkpoints: signed with another key, or with a field changed.
        let header: Value = serde_json::from_slice(&lines[0]).unwrap();
        let auction = header["auction"].as_str().unwrap().to_string();
        let auction = auction.as_str();
        for (i, l) in lines.iter().enumerate() {
            let v: Value = serde_json::from_slice(l).unwrap();
            if v["kind"] != "checkpoint" {
                continue;
            }
            let seq = v["head_seq"].as_u64().unwrap();
            let at = v["at"].as_i64().unwrap();
            let last = v["final"].as_bool().unwrap();
            let prev = v["prev"].as_str().unwrap();
            let mut ls = lines.clone();
            ls[i] = checkpoint_line(prev, seq, at, auction, last, &attacker);
            rechain(&mut ls, i + 1, &attacker);
            check(
                format!("{name}: checkpoint {seq} signed by another key"),
                &join(&ls),
                &mut missed,
            );
            for field in ["at", "final"] {
                let mut w = v.clone();
                w[field] = match field {
                    "at" => Value::from(at + 1),
                    _ => Value::from(!last),
                };
                let mut ls = lines.clone();
                ls[i] = line_of(&w);
                rechain(&mut ls, i + 1, &attacker);
                check(
                    format!("{name}: checkpoint {seq} {field} changed"),
                    &join(&ls),
                    &mut missed,
                );
            }
        }
        // A rewrite re-chained to the end and re-signed with another key: the chain holds, so
        // only the checkpoints under the server's key can tell. Also with the header's key
        // replaced by the forger's.
        for (i, l) in lines.iter().enumerate().skip(1).step_by((n / 60).max(1)) {
            let mut v: Value = serde_json::from_slice(l).unwrap();
            if v["kind"] != "input" {
                continue;
            }
            v["at"] = Value::from(v["at"].as_i64().unwrap());
            v["who"] = Value::String(format!("{}x", v["who"].as_str().unwrap()));
            let mut ls = lines.clone();
            ls[i] = line_of(&v);
            rechain(&mut ls, i + 1, &attacker);
            check(
                format!("{name}: record {i} rewritten and re-chained"),
                &join(&ls),
                &mut missed,
            );
            let mut h: Value = serde_json::from_slice(&ls[0]).unwrap();
            h["pubkey"] = Value::String(veiling::log::keys::public_hex(&attacker));
            ls[0] = line_of(&h);
            rechain(&mut ls, 1, &attacker);
            check(
                format!("{name}: record {i} rewritten, header key replaced"),
                &join(&ls),
                &mut missed,
            );
        }
    }
    println!(
        "tamper test: {tried} mutations, {} detected, {} missed",
        tried - missed.len(),
        missed.len()
    );
    assert!(tried >= 3000, "{tried}");
    assert!(
        missed.is_empty(),
        "undetected tampering:\n{}",
        missed.join("\n")
    );
}

#[test]
fn receipts_prove_a_rewrite_that_the_header_key_alone_would_not() {
    let original = scenario_log("dieetvoeding-walkthrough");
    let check = chain::verify(&original, None, &mut |_| {});
    let v = check.verified.unwrap();
    // A bidder kept the receipt (seq, hash) of its accepted bid #3.
    let receipt = (3u64, v.input(3).unwrap().hash.clone());
    // A forger with its own key rewrites record 3 and everything after, header key included.
    let attacker = SigningKey::from_bytes(&[9u8; 32]);
    let mut ls = lines_of(&original);
    let i = ls
        .iter()
        .position(|l| serde_json::from_slice::<Value>(l).unwrap()["seq"] == 3)
        .unwrap();
    let mut r: Value = serde_json::from_slice(&ls[i]).unwrap();
    r["at"] = Value::from(r["at"].as_i64().unwrap() + 1);
    ls[i] = line_of(&r);
    let mut h: Value = serde_json::from_slice(&ls[0]).unwrap();
    h["pubkey"] = Value::String(veiling::log::keys::public_hex(&attacker));
    ls[0] = line_of(&h);
    rechain(&mut ls, 1, &attacker);
    let forged = join(&ls);
    // Against its own header the forgery is consistent...
    let self_check = chain::verify(&forged, None, &mut |_| {});
    assert!(self_check.problem.is_none(), "{:?}", self_check.problem);
    // ...but not against the server's public key, and not against the bidder's receipt.
    assert!(detected(&forged));
    let forged_v = self_check.verified.unwrap();
    assert_ne!(forged_v.input(receipt.0).unwrap().hash, receipt.1);
}

#[test]
fn verify_and_replay_from_the_command_line() {
    let dir = tempdir("verify-cli");
    let log = dir.join("walk.log");
    std::fs::write(&log, scenario_log("dieetvoeding-walkthrough")).unwrap();
    let pubkey = dir.join("server.pub");
    std::fs::write(&pubkey, veiling::log::keys::public_hex(&key())).unwrap();
    let run = crate::cli::veiling;
    let log_s = log.to_str().unwrap();
    let ok = run(&["verify", log_s, "--pubkey", pubkey.to_str().unwrap()]);
    assert!(ok.status.success());
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(
        out.contains("verified against the given public key") && out.contains("sealed"),
        "{out}"
    );
    // The first bad record and why; exit 1.
    let mut bytes = std::fs::read(&log).unwrap();
    let i = bytes.len() / 2;
    bytes[i] ^= 1;
    let bad = dir.join("bad.log");
    std::fs::write(&bad, &bytes).unwrap();
    let o = run(&["verify", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("FAILED at line"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // Replay: text and JSON, final and at a point in time.
    let o = run(&["replay", log_s]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("every outcome as logged"));
    let o = run(&["replay", log_s, "--at-seq", "5", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    // Header, inputs 1 to 5 and the checkpoint after the opening tick.
    assert_eq!(v["records"], 7);
    assert_eq!(v["lots"][0]["lot"], "perceel-1");
    assert!(v["lots"][0]["ladder"].as_array().unwrap().len() == 1, "{v}");
    // No progress noise on a non-terminal stderr.
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn opening_a_log_cuts_a_torn_tail_into_a_side_file_and_refuses_a_changed_outcome() {
    use veiling::core::sequencer::Drive;
    let dir = tempdir("open-recovery");
    let log = dir.join("a.log");
    let config = veiling::config::parse(crate::durability::CONFIG).unwrap();
    let open = open_test_log;
    {
        let mut opened = open(&log).unwrap();
        assert!(opened.created);
        opened
            .driver
            .submit(config.rules.opens_at + 5, veiling::core::Command::Tick)
            .unwrap();
    }
    let good = std::fs::read(&log).unwrap();
    // A torn write: half a record at the end.
    let mut torn = good.clone();
    torn.extend_from_slice(br#"{"at":1741078800006,"cmd":{"op":"ti"#);
    std::fs::write(&log, &torn).unwrap();
    let opened = open(&log).unwrap();
    let (cut, side) = opened.torn.clone().expect("the torn tail is cut");
    assert_eq!(cut, torn.len() - good.len());
    assert_eq!(std::fs::read(&side).unwrap(), &torn[good.len()..]);
    drop(opened);
    assert_eq!(std::fs::read(&log).unwrap(), good);
    // A log whose recorded outcome differs from what the core computes is refused, even when it
    // is re-chained and re-signed with the server's own key.
    let mut ls = lines_of(&good);
    let mut v: Value = serde_json::from_slice(&ls[1]).unwrap();
    v["outcome"] = serde_json::json!({"accepted": []});
    ls[1] = line_of(&v);
    rechain(&mut ls, 2, &key());
    std::fs::write(&log, join(&ls)).unwrap();
    let err = open(&log).err().expect("refused");
    assert!(
        err.to_string().contains("recomputed record differs"),
        "{err}"
    );
}

#[test]
fn keygen_writes_a_private_key_once_and_a_readable_key_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir("keygen");
    let path = dir.join("server.key");
    let run = crate::cli::veiling;
    let p = path.to_str().unwrap();
    let o = run(&["keygen", "--out", p]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let public = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert_eq!(public.len(), 64);
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // The printed public key is the key's, and --show prints it again.
    let shown = run(&["keygen", "--show", p]);
    assert_eq!(String::from_utf8_lossy(&shown.stdout).trim(), public);
    // Never overwritten.
    let again = run(&["keygen", "--out", p]);
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&run(&["keygen", "--show", p]).stdout).trim(),
        public
    );
    // A key others can read is refused, with the fix in the message.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let loose = run(&["keygen", "--show", p]);
    assert_eq!(loose.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&loose.stderr).contains("chmod 600"),
        "{}",
        String::from_utf8_lossy(&loose.stderr)
    );
}

#[test]
fn after_a_failed_sync_the_auction_halts_with_a_clear_error() {
    use veiling::core::sequencer::Drive;
    use veiling::log::recorder::{LoggedDriver, Recorder};
    use veiling::log::store::{FileStore, LogStore, SimDisk, Writer};
    let config = veiling::config::parse(crate::durability::CONFIG).unwrap();
    let opens = config.rules.opens_at;
    let (recorder, header) = Recorder::start(
        &config,
        crate::durability::CONFIG,
        veiling::log::record::Mode::Live,
        opens,
        key(),
    );
    let disk = SimDisk::new(Vec::new());
    let mut store = FileStore::new(disk.clone(), 0);
    store.append(0, &[header]).unwrap();
    disk.fail_sync_at(2);
    let mut driver = LoggedDriver::new(recorder, Writer::spawn(Box::new(store)));
    assert!(driver.submit(opens, veiling::core::Command::Tick).is_ok());
    let err = driver
        .submit(opens + 1, veiling::core::Command::Tick)
        .unwrap_err();
    assert!(err.contains("the auction halts"), "{err}");
    // Never retried: everything after is refused, and nothing more reaches the disk.
    let before = disk.after_crash(usize::MAX);
    let again = driver
        .submit(opens + 2, veiling::core::Command::Tick)
        .unwrap_err();
    assert!(again.contains("the auction halts"), "{again}");
    assert_eq!(disk.after_crash(usize::MAX), before);
}

#[test]
fn a_record_with_an_unknown_party_index_still_replays() {
    use veiling::core::sequencer::Drive;
    use veiling::core::{Command, LotIx, Offer, SupplierIx};
    let dir = tempdir("unknown-index");
    let log = dir.join("u.log");
    let config = veiling::config::parse(crate::durability::CONFIG).unwrap();
    let opens = config.rules.opens_at;
    {
        let mut opened = open_test_log(&log).unwrap();
        let bid = Command::PlaceBid {
            supplier: SupplierIx(9),
            lot: LotIx(4),
            client_bid_id: "x".into(),
            offer: Offer::Total(rust_decimal::Decimal::ONE),
        };
        let steps = opened.driver.submit(opens + 1, bid).unwrap();
        assert_eq!(steps.len(), 2, "the due tick, then the refused bid");
        // Receipts of exactly the steps returned, in order; the next submit replaces them.
        let seqs = |d: &veiling::log::recorder::LoggedDriver| -> Vec<u64> {
            d.last_receipts.iter().map(|r| r.seq).collect()
        };
        assert_eq!(seqs(&opened.driver), vec![1, 2]);
        opened.driver.submit(opens + 2, Command::Tick).unwrap();
        assert_eq!(seqs(&opened.driver), vec![3]);
    }
    let bytes = std::fs::read(&log).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains(r##""who":"supplier:#9""##), "{text}");
    assert!(text.contains(r##""lot":"#4""##), "{text}");
    let v = chain::verify(&bytes, Some(&key().verifying_key()), &mut |_| {})
        .verified
        .unwrap();
    chain::replay(&v, None).expect("replays");
}

#[test]
fn replay_names_the_real_line_of_a_changed_record_and_open_refuses_another_config() {
    let original = scenario_log("dieetvoeding-walkthrough");
    let mut ls = lines_of(&original);
    // Input 4 sits after the checkpoint that follows the opening tick: line 6, not 5.
    let i = ls
        .iter()
        .position(|l| serde_json::from_slice::<Value>(l).unwrap()["seq"] == 4)
        .unwrap();
    assert_eq!(i, 5);
    let mut v: Value = serde_json::from_slice(&ls[i]).unwrap();
    v["outcome"] = serde_json::json!({"accepted": []});
    ls[i] = line_of(&v);
    rechain(&mut ls, i + 1, &key());
    let forged = join(&ls);
    let verified = chain::verify(&forged, Some(&key().verifying_key()), &mut |_| {})
        .verified
        .unwrap();
    let problem = chain::replay(&verified, None)
        .err()
        .expect("the change is found");
    assert_eq!((problem.line, problem.seq), (6, Some(4)), "{problem}");

    // A log is opened only with the config and mode it was written for.
    let dir = tempdir("open-other-config");
    let log = dir.join("w.log");
    std::fs::write(&log, &original).unwrap();
    let err = open_test_log(&log).err().expect("refused");
    assert!(
        err.to_string().contains("written for another config"),
        "{err}"
    );
    // With its own config, but as a practice log: live and practice logs never mix.
    let (config, text) =
        veiling::config::load_file(&root().join("auction-configs/dieetvoeding-2024.toml")).unwrap();
    let err = veiling::log::recorder::open(
        &log,
        &config,
        &text,
        veiling::log::record::Mode::Practice,
        config.rules.opens_at,
        key(),
        Default::default(),
    )
    .err()
    .expect("refused");
    assert!(
        err.to_string()
            .contains("a live log cannot be opened as practice"),
        "{err}"
    );
    // As the live log it is, it opens.
    let live = veiling::log::recorder::open(
        &log,
        &config,
        &text,
        veiling::log::record::Mode::Live,
        config.rules.opens_at,
        key(),
        Default::default(),
    );
    assert!(live.is_ok(), "{:?}", live.err());
}

#[test]
fn the_worked_example_of_the_log_format_document_stays_true() {
    let dir = tempdir("log-example");
    let log = dir.join("example.log");
    let example = root().join("tests/log-example");
    veiling::script::run_file(
        &example.join("example.script"),
        None,
        Some(veiling::script::LogTo {
            path: log.clone(),
            key: key(),
        }),
    )
    .unwrap();
    let bytes = std::fs::read(&log).unwrap();
    assert_eq!(
        bytes,
        std::fs::read(example.join("example.log")).unwrap(),
        "tests/log-example/example.log is no longer what the engine writes: regenerate it and docs/log-format.md"
    );
    let public = std::fs::read_to_string(example.join("example.pub")).unwrap();
    assert_eq!(public.trim(), veiling::log::keys::public_hex(&key()));
    let doc = std::fs::read_to_string(root().join("docs/log-format.md")).unwrap();
    for (n, line) in lines_of(&bytes).iter().enumerate() {
        let line = String::from_utf8_lossy(line);
        // The header holds the whole config; every other line must stand in the document.
        if n > 0 {
            assert!(
                doc.contains(line.as_ref()),
                "docs/log-format.md lacks line {}: {line}",
                n + 1
            );
        }
        assert!(
            doc.contains(&sha256_hex(line.as_bytes())),
            "docs/log-format.md lacks the hash of line {}",
            n + 1
        );
    }
}

/// Long logs show progress on a terminal and nothing on stderr otherwise (`script` gives the
/// command a pseudo-terminal, as a person at a console would have).
#[test]
fn progress_on_a_terminal_only() {
    use veiling::core::sequencer::Drive;
    use veiling::log::recorder::{LoggedDriver, Recorder};
    use veiling::log::store::{FileStore, LogStore, SimDisk, Writer};
    let config_text =
        crate::durability::CONFIG.replace("checkpoint_every = 7", "checkpoint_every = 1000");
    let config = veiling::config::parse(&config_text).unwrap();
    let opens = config.rules.opens_at;
    let (recorder, header) = Recorder::start(
        &config,
        &config_text,
        veiling::log::record::Mode::Live,
        opens,
        key(),
    );
    let disk = SimDisk::new(Vec::new());
    let mut store = FileStore::new(disk.clone(), 0);
    store.append(0, &[header]).unwrap();
    let mut driver = LoggedDriver::new(recorder, Writer::spawn(Box::new(store)));
    // About 5 MB of bids (memory only: the simulated disk's syncs are copies).
    for n in 1..=11_000u64 {
        let bid = veiling::core::Command::PlaceBid {
            supplier: veiling::core::SupplierIx((n % 3) as u32),
            lot: veiling::core::LotIx(0),
            client_bid_id: format!("c{n}"),
            offer: veiling::core::Offer::Total(rust_decimal::Decimal::new(
                100_000_000 - n as i64,
                2,
            )),
        };
        driver.submit(opens + n as i64, bid).unwrap();
    }
    drop(driver);
    let dir = tempdir("progress");
    let log = dir.join("long.log");
    let bytes = disk.after_crash(usize::MAX);
    assert!(bytes.len() > 4 << 20, "{} bytes", bytes.len());
    std::fs::write(&log, &bytes).unwrap();
    let bin = env!("CARGO_BIN_EXE_veiling");
    let log_s = log.to_str().unwrap();
    for (cmd, label) in [
        (format!("{bin} verify {log_s} --unsealed-ok"), "verifying: "),
        (format!("{bin} replay {log_s}"), "replaying: "),
    ] {
        let tty = std::process::Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .output()
            .expect("script (util-linux) gives a pseudo-terminal");
        let seen = String::from_utf8_lossy(&tty.stdout);
        assert!(tty.status.success(), "{seen}");
        assert!(
            seen.contains(label) && seen.contains("% of"),
            "no progress on a terminal: {seen}"
        );
        let piped = std::process::Command::new("sh")
            .args(["-c", &cmd])
            .output()
            .unwrap();
        assert!(piped.status.success());
        assert!(
            piped.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&piped.stderr)
        );
    }
}

#[test]
fn only_canonical_large_order_public_keys_are_keys() {
    use veiling::log::chain::parse_pubkey;
    use veiling::log::record::hex;
    let good = veiling::log::keys::public_hex(&key());
    assert!(parse_pubkey(&good).is_some());
    assert!(
        parse_pubkey(&format!(" {good}\n")).is_some(),
        "surrounding ASCII whitespace is fine"
    );
    let mut identity = [0u8; 32];
    identity[0] = 1; // y = 1: the neutral point, of order 1.
    assert!(
        parse_pubkey(&hex(&identity)).is_none(),
        "small-order point accepted"
    );
    let mut signed_identity = identity;
    signed_identity[31] |= 0x80; // x = 0 with the sign bit set: not canonical.
    assert!(parse_pubkey(&hex(&signed_identity)).is_none());
    let mut y_is_p = [0xffu8; 32];
    y_is_p[0] = 0xed;
    y_is_p[31] = 0x7f; // y = p: not canonical.
    assert!(parse_pubkey(&hex(&y_is_p)).is_none());
    assert!(
        parse_pubkey(&good.to_uppercase()).is_none(),
        "hex is lower-case"
    );
    assert!(parse_pubkey(&good[..62]).is_none());
}

/// Accepted bids are written straight to bytes (the commonest record); every record of simulated
/// auctions, total and line-item bids among them, and a bid with characters JSON must escape,
/// must be byte for byte the record built as a JSON value.
#[test]
fn the_direct_bid_record_equals_the_value_record() {
    use veiling::core::*;
    use veiling::log::record::{Names, input_line, input_line_of_value};
    let prev = "ab".repeat(32);
    let mut bids = 0;
    let mut others = 0;
    for (name, run) in crate::simulation::sample_runs() {
        let names = Names {
            rules: &run.config.rules,
        };
        for step in &run.steps {
            let fast = input_line(&prev, &step.input, &step.outcome, &names);
            let plain = input_line_of_value(&prev, &step.input, &step.outcome, &names);
            assert_eq!(
                String::from_utf8_lossy(&fast),
                String::from_utf8_lossy(&plain),
                "{name}: seq {}",
                step.input.seq
            );
            match (&step.input.command, &step.outcome) {
                (Command::PlaceBid { .. }, Outcome::Accepted(e)) if e.len() == 1 => bids += 1,
                _ => others += 1,
            }
            // The same bid with an id that needs escaping.
            if let (
                Command::PlaceBid {
                    supplier,
                    lot,
                    offer,
                    ..
                },
                Outcome::Accepted(e),
            ) = (&step.input.command, &step.outcome)
                && let [Event::BidAccepted(b)] = e.as_slice()
            {
                let odd = "q\"uote\\ back\u{7}\u{1F600}é".to_string();
                let input = Input {
                    command: Command::PlaceBid {
                        supplier: *supplier,
                        lot: *lot,
                        client_bid_id: odd.clone(),
                        offer: offer.clone(),
                    },
                    ..step.input.clone()
                };
                let mut b = b.clone();
                b.client_bid_id = odd;
                let outcome = Outcome::Accepted(vec![Event::BidAccepted(b)]);
                assert_eq!(
                    input_line(&prev, &input, &outcome, &names),
                    input_line_of_value(&prev, &input, &outcome, &names)
                );
            }
        }
    }
    assert!(
        bids > 200 && others > 20,
        "{bids} bids, {others} other records"
    );
}
