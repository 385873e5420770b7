//! Durability: nothing acknowledged is ever lost.
//!
//! - Simulated power cuts: the log's store writes to a simulated disk whose unsynced bytes are
//!   dropped or torn at the cut. At every sync of a run the power goes; for each cut, several
//!   torn images are recovered; every acknowledged receipt must be found. The same harness must
//!   catch the planted "acknowledge before sync" bug (the negative test).
//! - A crash test on the real binary: kill -9 at random points while it appends and
//!   acknowledges; after each restart every acknowledged record is present exactly once and the
//!   log verifies.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};

use ed25519_dalek::SigningKey;
use rust_decimal::Decimal;
use veiling::core::sequencer::Drive;
use veiling::core::*;
use veiling::log::chain;
use veiling::log::record::Mode;
use veiling::log::recorder::{LoggedDriver, Receipt, Recorder};
use veiling::log::store::{FileStore, LogStore, SimDisk, StoreError, Writer};
use veiling::rng::Rng;

pub const CONFIG: &str = r#"
[auction]
id = "durability"
title = "durability test"
opens_at = "2025-03-04T10:00"

[timing]
mode = "parallel"
closes_at = "2025-04-04T10:00"

[bids]
decrement_amount = "0.01"

[log]
checkpoint_every = 7

[[lots]]
id = "lot"
name = "lot"
ceiling = "1000000.00"

[[auctioneers]]
id = "a"
name = "a"

[[suppliers]]
id = "s0"
name = "s0"
lots = ["lot"]

[[suppliers]]
id = "s1"
name = "s1"
lots = ["lot"]

[[suppliers]]
id = "s2"
name = "s2"
lots = ["lot"]
"#;

pub fn key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

/// The n-th bid of the test: prices fall with the sequence number, so all are admissible.
fn bid(n: u64) -> Command {
    Command::PlaceBid {
        supplier: SupplierIx((n % 3) as u32),
        lot: LotIx(0),
        client_bid_id: format!("c{n}"),
        offer: Offer::Total(Decimal::new(100_000_000 - n as i64, 2)),
    }
}

/// Run bids through a logged driver on a simulated disk until the power goes at sync number
/// `cut` (or `inputs` bids are done). Returns the acknowledged receipts.
fn run_until_cut(disk: &SimDisk, cut: u64, planted: bool, inputs: u64) -> Vec<Receipt> {
    let config = veiling::config::parse(CONFIG).unwrap();
    let opens = config.rules.opens_at;
    let (recorder, header) = Recorder::start(&config, CONFIG, Mode::Live, opens, key());
    let mut store = FileStore::new(disk.clone(), 0);
    if planted {
        store = store.with_planted_ack_before_sync_bug();
    }
    disk.fail_sync_at(cut);
    if store.append(0, &[header]).is_err() {
        return Vec::new();
    }
    let mut driver = LoggedDriver::new(recorder, Writer::spawn(Box::new(store)));
    let mut receipts = Vec::new();
    for i in 0..inputs {
        let at = opens + i as i64 * 1000;
        if driver.submit(at, bid(i + 1)).is_err() {
            break;
        }
        receipts.extend(driver.last_receipts.iter().cloned());
    }
    receipts
}

/// Receipts not found in the recovered image, and whether what was recovered replays.
fn lost(image: &[u8], receipts: &[Receipt]) -> usize {
    let check = chain::verify(image, Some(&key().verifying_key()), &mut |_| {});
    if let Some(p) = &check.problem {
        // A cut may tear the tail, or leave nothing (the header was never durable).
        assert!(
            p.torn_tail || image.is_empty(),
            "a power cut may only tear the tail, got: {p}"
        );
    }
    let Some(v) = check.verified else {
        return receipts.len();
    };
    chain::replay(&v, None).expect("the recovered prefix replays");
    receipts
        .iter()
        .filter(|r| v.input(r.seq).is_none_or(|l| l.hash != r.hash))
        .count()
}

/// Every cut point of a run, several torn images each.
fn power_cuts(planted: bool) -> (usize, usize, usize) {
    let mut rng = Rng::new(if planted { 99 } else { 7 });
    let inputs = 40;
    let mut crash_points = 0;
    let mut acked_total = 0;
    let mut lost_total = 0;
    // Sync 0 is the header; a run of 40 inputs syncs 41 times.
    for cut in 0..=inputs + 1 {
        let disk = SimDisk::new(Vec::new());
        let receipts = run_until_cut(&disk, cut, planted, inputs);
        let volatile = disk.volatile_len();
        let mut keeps = vec![0, volatile];
        keeps.extend((0..48).map(|_| rng.below(volatile as u64 + 1) as usize));
        for keep in keeps {
            crash_points += 1;
            acked_total += receipts.len();
            lost_total += lost(&disk.after_crash(keep), &receipts);
        }
    }
    (crash_points, acked_total, lost_total)
}

#[test]
fn power_cuts_lose_no_acknowledged_record() {
    let (points, acked, lost) = power_cuts(false);
    println!(
        "power cuts: {points} crash points, {acked} acknowledged receipts checked, {lost} lost"
    );
    assert!(points >= 2000, "{points}");
    assert!(acked > 10_000, "{acked}");
    assert_eq!(lost, 0);
}

#[test]
fn the_power_cut_test_catches_a_planted_ack_before_sync_bug() {
    let (points, acked, lost) = power_cuts(true);
    println!("planted bug: {points} crash points, {acked} acknowledged, {lost} lost (must be > 0)");
    assert!(
        lost > 0,
        "the harness did not notice acknowledgements before fsync"
    );
}

#[test]
fn a_failed_sync_halts_the_store_for_good() {
    let disk = SimDisk::new(Vec::new());
    let mut store = FileStore::new(disk.clone(), 0);
    disk.fail_sync_at(1);
    store.append(0, &[b"{}".to_vec()]).unwrap();
    let err = store.append(1, &[b"{}".to_vec()]).unwrap_err();
    assert!(matches!(err, StoreError::Io(_)), "{err:?}");
    // Never retried: every later append is refused.
    assert!(matches!(
        store.append(1, &[b"{}".to_vec()]),
        Err(StoreError::Halted(_))
    ));
}

#[test]
fn an_append_at_the_wrong_sequence_number_is_refused() {
    let disk = SimDisk::new(Vec::new());
    let mut store = FileStore::new(disk.clone(), 0);
    store.append(0, &[b"a".to_vec(), b"b".to_vec()]).unwrap();
    assert_eq!(
        store.append(1, &[b"c".to_vec()]),
        Err(StoreError::Conflict {
            expected: 2,
            got: 1
        })
    );
    assert_eq!(store.read_from(1).unwrap(), vec![b"b".to_vec()]);
    assert_eq!(store.next_seq(), 2);
}

#[test]
fn the_writer_group_commits_what_is_queued() {
    let disk = SimDisk::new(Vec::new());
    let writer = Writer::spawn(Box::new(FileStore::new(disk.clone(), 0)));
    // Queue 200 single-record jobs before waiting on any: they share syncs.
    let tickets: Vec<_> = (0..200u64)
        .map(|i| writer.submit(i, vec![format!("r{i}").into_bytes()]))
        .collect();
    for t in tickets {
        t.wait().unwrap();
    }
    let stats = writer.stats();
    assert_eq!(stats.records, 200);
    assert!(stats.batches < 200, "no batching: {stats:?}");
}

fn veiling_bin() -> &'static str {
    env!("CARGO_BIN_EXE_veiling")
}

pub fn tempdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Start the writer, read `acks_before_kill` acknowledgements (or all, if it ends first), kill
/// it with SIGKILL, and return every acknowledgement it printed.
fn run_and_kill(dir: &Path, acks_before_kill: Option<usize>, bids: u64) -> Vec<(u64, String)> {
    let mut child = Process::new(veiling_bin())
        .args(["crash-writer", "--log"])
        .arg(dir.join("crash.log"))
        .arg("--config")
        .arg(dir.join("config.toml"))
        .arg("--key")
        .arg(dir.join("server.key"))
        .args(["--bids", &bids.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the crash writer");
    let stdout = child.stdout.take().expect("stdout");
    let mut acks = Vec::new();
    let mut lines = BufReader::new(stdout).lines();
    let mut killed = false;
    while let Some(Ok(line)) = lines.next() {
        if let Some(rest) = line.strip_prefix("ack ") {
            let (seq, hash) = rest.split_once(' ').expect("ack SEQ HASH");
            acks.push((seq.parse().unwrap(), hash.to_string()));
        }
        if !killed && acks_before_kill.is_some_and(|k| acks.len() >= k) {
            child.kill().expect("kill -9");
            killed = true;
        }
    }
    let status = child.wait().expect("wait");
    if !killed {
        assert!(status.success(), "crash writer failed: {status:?}");
    }
    acks
}

#[test]
fn kill_9_while_appending_loses_no_acknowledged_record() {
    let dir = tempdir("crash-test");
    std::fs::write(dir.join("config.toml"), CONFIG).unwrap();
    veiling::log::keys::write(&dir.join("server.key"), &key()).unwrap();
    let mut rng = Rng::new(2026);
    let kills = 12;
    let mut acked: Vec<(u64, String)> = Vec::new();
    for _ in 0..kills {
        let k = rng.range(1, 40) as usize;
        acked.extend(run_and_kill(&dir, Some(k), 100_000));
    }
    // A last clean run: opens (recovering whatever the last kill left) and appends a few more.
    acked.extend(run_and_kill(&dir, None, 5));
    let bytes = std::fs::read(dir.join("crash.log")).unwrap();
    let check = chain::verify(&bytes, Some(&key().verifying_key()), &mut |_| {});
    assert!(check.problem.is_none(), "{:?}", check.problem);
    let v = check.verified.unwrap();
    let replayed = chain::replay(&v, None).expect("replays");
    let mut found = 0;
    for (seq, hash) in &acked {
        let line = v.input(*seq).expect("acknowledged seq present");
        assert_eq!(&line.hash, hash, "seq {seq} differs from its receipt");
        found += 1;
    }
    // Exactly once: sequence numbers are unique in a verified chain, and no client bid id was
    // accepted twice.
    let mut ids: Vec<&str> = replayed
        .auction
        .bids()
        .map(|b| b.record.client_bid_id.as_str())
        .collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n);
    println!(
        "crash test: {kills} kills, {} acknowledged, {found} found, {} records in the log",
        acked.len(),
        v.lines.len()
    );
    assert!(acked.len() >= kills);
    assert_eq!(found, acked.len());
}

/// `veiling serve --unsafe-no-sync` (measurements only) writes but never syncs: after a power
/// cut nothing it wrote need be there. The normal store's appends all are.
#[test]
fn the_unsafe_no_sync_store_never_syncs() {
    let records: Vec<Vec<u8>> = (0..3).map(|i| format!("record {i}").into_bytes()).collect();
    for no_sync in [false, true] {
        let disk = SimDisk::new(Vec::new());
        let mut store = FileStore::new(disk.clone(), 0);
        if no_sync {
            store = store.unsafe_without_sync();
        }
        store.append(0, &records).unwrap();
        store.append(3, &records).unwrap();
        let durable = disk.after_crash(0);
        let written = disk.after_crash(disk.volatile_len());
        assert_eq!(written.len(), 6 * 9, "no_sync {no_sync}");
        assert_eq!(
            durable.len(),
            if no_sync { 0 } else { 6 * 9 },
            "no_sync {no_sync}"
        );
    }
}

/// The inline writer (used only for a store that does not sync) appends on the caller's thread:
/// its ticket is complete when `submit` returns, and a gap is refused as by the thread writer.
#[test]
fn the_inline_writer_appends_before_submit_returns() {
    let disk = SimDisk::new(Vec::new());
    let store = FileStore::new(disk.clone(), 0).unsafe_without_sync();
    let writer = Writer::inline(Box::new(store), None);
    let records: Vec<Vec<u8>> = (0..3).map(|i| format!("record {i}").into_bytes()).collect();
    let ticket = writer.submit(0, records.clone());
    assert_eq!(disk.after_crash(disk.volatile_len()).len(), 3 * 9);
    assert_eq!(ticket.wait(), Ok(()));
    assert!(matches!(
        writer.submit(7, records).wait(),
        Err(veiling::log::store::StoreError::Conflict {
            expected: 3,
            got: 7
        })
    ));
    assert_eq!(writer.stats().records, 3);
}
