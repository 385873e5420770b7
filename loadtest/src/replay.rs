//! `replay`: what re-reading a log costs next to merely parsing and hashing its lines. It writes
//! a log of about N accepted bids in-process (the veiling library's own recorder and writer, a
//! fresh key, big batches), reads the file into memory once, then times, interleaved, best of
//! three on the same bytes:
//!
//! - the raw baseline: split into lines, `serde_json::from_slice::<Value>` and SHA-256 (the log's
//!   own `sha256_hex`) of each line;
//! - `verify`: `chain::verify` with the trusted key (framing, canonical form, chain, numbering,
//!   time, signatures), as `veiling verify` does;
//! - `replay`: `chain::replay` of the verified log (re-execute every input through the core and
//!   compare each recomputed record byte for byte), as `veiling replay` and a restarting server
//!   do.
//!
//! `r_replay` = (verify + replay) records/s / raw records/s; the target is at least 0.5.
//!
//! [`fill`] (appending accepted bids to an opened log in batches) is shared with `recover`.

use std::hint::black_box;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use veiling::core::{Command, LotIx, Offer, Outcome, SupplierIx};
use veiling::log::recorder::LoggedDriver;
use veiling::log::{chain, keys, record, recorder};

use crate::bids::{AUCTION_ID, PRICE_START, PRICE_STEP};
use crate::setup::{People, config};
use crate::{Report, Res, round};

/// The most records a run may ask for.
pub(crate) const RECORDS_MAX: u64 = 2_000_000;
/// The config's limit on suppliers.
const SUPPLIERS_MAX: u64 = veiling::core::rules::limits::SUPPLIERS_MAX as u64;
/// Bids one supplier may place on a lot.
const BIDS_PER_SUPPLIER_MAX: u64 = veiling::core::rules::limits::BIDS_PER_SUPPLIER_LOT_MAX as u64;
/// Bids per supplier the fill aims at (more suppliers for more bids, up to the config's limit).
const BIDS_PER_SUPPLIER: u64 = 2000;
/// Commands per append (one write, one fdatasync), as the server's group commit would make them
/// under load.
const BATCH_COMMANDS: u64 = 1000;
/// Timed rounds; the best of each is reported.
const ROUNDS: usize = 3;
/// The target for `r_replay`.
const TARGET: f64 = 0.5;

#[derive(clap::Args)]
pub struct Args {
    /// About how many records the generated log holds (at most 2,000,000).
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub records: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// A new log at `path` for the config `text`, signed with a fresh key, opened at the auction's
/// opening: the log, the key's public half (hex), and the opening time.
pub(crate) fn new_log(path: &Path, text: &str) -> Res<(recorder::Opened, String, i64)> {
    let cfg = veiling::config::parse(text).map_err(|e| format!("the load-test config: {e}"))?;
    let key = keys::generate().map_err(|e| e.to_string())?;
    let public = record::hex(key.verifying_key().as_bytes());
    let opens = cfg.rules.opens_at;
    let opened = recorder::open(
        path,
        &cfg,
        text,
        record::Mode::Live,
        opens,
        key,
        Default::default(),
    )
    .map_err(|e| e.to_string())?;
    Ok((opened, public, opens))
}

/// Suppliers `s0..` for a fill of `bids` bids: enough that each places about
/// [`BIDS_PER_SUPPLIER`], at most the config's limit.
pub(crate) fn suppliers_for(bids: u64) -> u64 {
    bids.div_ceil(BIDS_PER_SUPPLIER).clamp(1, SUPPLIERS_MAX)
}

/// The load-test config with `n` suppliers `s0..s{n-1}` and one auctioneer.
pub(crate) fn people(n: u64) -> People {
    People {
        suppliers: (0..n).map(|i| format!("s{i}")).collect(),
        observers: Vec::new(),
        auctioneers: vec!["a1".into()],
    }
}

/// The price of a supplier's bid number `k` (from 0): [`PRICE_START`], then [`PRICE_STEP`] lower
/// each time (the config's decrement is 1.00 from the supplier's own bid).
pub(crate) fn price_of(k: u64) -> Option<u64> {
    PRICE_STEP
        .checked_mul(k)
        .and_then(|d| PRICE_START.checked_sub(d))
        .filter(|&p| p > 0)
}

/// What [`fill`] appended.
pub(crate) struct Filled {
    pub bids: u64,
    /// Each supplier's last price in this fill, by supplier index (`None`: it did not bid).
    pub last_price: Vec<Option<u64>>,
    pub seconds: f64,
}

/// Append `bids` accepted bids to the opened log of `driver`, from the suppliers with the
/// indices `bidders` in turn (bid `i` by supplier `bidders.start + i % bidders.len()`, each
/// [`PRICE_STEP`] below that supplier's previous bid in this fill, starting at [`PRICE_START`]),
/// bid `i` at time `at(i)`. [`BATCH_COMMANDS`] commands go into each append; the next batch is
/// built while the previous one is written and synced. Fails on the first bid that is not
/// accepted, or on a failed write; after a failure the driver must not be used again (the
/// recorder is ahead of the log).
pub(crate) fn fill(
    driver: &mut LoggedDriver,
    bidders: Range<u64>,
    bids: u64,
    at: &mut dyn FnMut(u64) -> i64,
) -> Res<Filled> {
    let suppliers = bidders.end.saturating_sub(bidders.start);
    if suppliers == 0 || bidders.end > SUPPLIERS_MAX {
        return Err(format!(
            "suppliers {bidders:?}: must be a non-empty range within 0..{SUPPLIERS_MAX}"
        ));
    }
    let per = bids.div_ceil(suppliers);
    // One bid per supplier is left for `recover`'s bid after the restart.
    if per >= BIDS_PER_SUPPLIER_MAX {
        return Err(format!(
            "{bids} bids over {suppliers} suppliers is {per} each; the server allows \
             {BIDS_PER_SUPPLIER_MAX} per supplier and lot"
        ));
    }
    let started = Instant::now();
    let mut last_price = vec![None; bidders.end as usize];
    let mut pending: Option<veiling::log::store::Pending> = None;
    let mut i = 0;
    while i < bids {
        let end = (i + BATCH_COMMANDS).min(bids);
        let recorder = &mut driver.recorder;
        let mut batch = recorder.empty_batch();
        for n in i..end {
            let s = bidders.start + n % suppliers;
            let k = n / suppliers;
            let price = price_of(k).ok_or_else(|| format!("bid {k} of a supplier: no price"))?;
            let offer = Offer::Total(
                format!("{price}.00")
                    .parse()
                    .map_err(|e| format!("price {price}.00: {e}"))?,
            );
            let command = Command::PlaceBid {
                supplier: SupplierIx(s as u32),
                lot: LotIx(0),
                client_bid_id: format!("f{n}"),
                offer,
            };
            recorder.submit_into(&mut batch, at(n), command);
            if let Some(p) = last_price.get_mut(s as usize) {
                *p = Some(price);
            }
        }
        for (step, _) in &batch.steps {
            let seq = step.input.seq;
            match (&step.input.command, &step.outcome) {
                (Command::PlaceBid { .. }, Outcome::Accepted(_)) | (Command::Tick, _) => {}
                (_, Outcome::Rejected(r)) => {
                    return Err(format!(
                        "the fill's bid (seq {seq}, at {}) was rejected: {} ({r:?})",
                        step.input.at,
                        r.code()
                    ));
                }
                (_, other) => {
                    return Err(format!("the fill's input seq {seq}: unexpected {other:?}"));
                }
            }
        }
        let ticket = driver.writer.submit(batch.position, batch.records);
        if let Some(previous) = pending.replace(ticket) {
            previous
                .wait()
                .map_err(|e| format!("writing the log: {e}"))?;
        }
        i = end;
    }
    if let Some(last) = pending {
        last.wait().map_err(|e| format!("writing the log: {e}"))?;
    }
    Ok(Filled {
        bids,
        last_price,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Records/s, or 0 for a zero time.
fn rate(records: u64, d: Duration) -> f64 {
    let s = d.as_secs_f64();
    if s > 0.0 { records as f64 / s } else { 0.0 }
}

/// The raw baseline: parse every line as JSON and hash it. Returns the lines seen.
fn raw_pass(bytes: &[u8]) -> Res<u64> {
    let mut n = 0;
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let value: Value =
            serde_json::from_slice(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        let hash = record::sha256_hex(line);
        black_box((value, hash));
        n += 1;
    }
    Ok(n)
}

pub fn run(args: &Args) -> Res<Report> {
    let n = args.records;
    if n == 0 || n > RECORDS_MAX {
        return Err(format!(
            "--records {n}: must be between 1 and {RECORDS_MAX}"
        ));
    }
    let work = crate::fresh_temp_dir("veiling-loadtest-replay")?;
    let _cleanup = crate::TempDir(work.clone());
    let path: PathBuf = work.join(format!("{AUCTION_ID}.log"));

    // 1. Generate the log.
    let suppliers = suppliers_for(n);
    let t_gen = Instant::now();
    let (mut opened, public, opens) = new_log(&path, &config(&people(suppliers)))?;
    let public = chain::parse_pubkey(&public).ok_or("the generated key does not parse")?;
    // One bid per millisecond from the opening: 2,000,000 fit in the two hours it is open.
    let filled = fill(&mut opened.driver, 0..suppliers, n, &mut |i| {
        opens + 1 + i as i64
    });
    drop(opened); // the writer finishes and stops
    let filled = filled?;
    let generate_s = t_gen.elapsed().as_secs_f64();
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let records = bytes.iter().filter(|&&c| c == b'\n').count() as u64;

    // 2. Time the three passes, interleaved, on the same bytes.
    let mut raw_best = Duration::MAX;
    let mut verify_best = Duration::MAX;
    let mut replay_best = Duration::MAX;
    let mut both_best = Duration::MAX;
    let mut checkpoints = 0;
    let mut rounds = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let seen = raw_pass(&bytes)?;
        let raw_took = t.elapsed();
        raw_best = raw_best.min(raw_took);
        if seen != records {
            return Err(format!("the raw pass saw {seen} lines of {records}"));
        }

        let t = Instant::now();
        let checked = chain::verify(&bytes, Some(&public), &mut |_| {});
        let verify_took = t.elapsed();
        let verified = match (checked.verified, checked.problem) {
            (Some(v), None) => v,
            (_, Some(p)) => return Err(format!("verify: {}: {p}", path.display())),
            (None, None) => return Err(format!("verify: {}: no records", path.display())),
        };
        if verified.lines.len() as u64 != records {
            return Err(format!(
                "verify saw {} records of {records}",
                verified.lines.len()
            ));
        }
        checkpoints = verified.checkpoints;

        let t = Instant::now();
        let replayed = chain::replay(&verified, None);
        let replay_took = t.elapsed();
        let replayed = replayed.map_err(|p| format!("replay: {}: {p}", path.display()))?;
        if replayed.records + 1 != records {
            return Err(format!(
                "replay re-executed {} records after the header, of {records}",
                replayed.records
            ));
        }
        // Freeing the verified lines and the replayed steps is left out of the timing.
        drop(replayed);
        drop(verified);
        verify_best = verify_best.min(verify_took);
        replay_best = replay_best.min(replay_took);
        both_best = both_best.min(verify_took + replay_took);
        rounds.push(json!({
            "raw_s": round(raw_took.as_secs_f64(), 4),
            "verify_s": round(verify_took.as_secs_f64(), 4),
            "replay_only_s": round(replay_took.as_secs_f64(), 4),
        }));
    }
    let raw_rate = rate(records, raw_best);
    let verify_rate = rate(records, verify_best);
    let replay_only_rate = rate(records, replay_best);
    let replay_rate = rate(records, both_best);
    let r_replay = if raw_rate > 0.0 {
        replay_rate / raw_rate
    } else {
        0.0
    };
    let json = json!({
        "ok": true,
        "records": records,
        "bytes": bytes.len(),
        "bids": filled.bids,
        "suppliers": suppliers,
        "checkpoints": checkpoints,
        "raw_records_per_s": round(raw_rate, 1),
        "verify_records_per_s": round(verify_rate, 1),
        "replay_only_records_per_s": round(replay_only_rate, 1),
        "replay_records_per_s": round(replay_rate, 1),
        "r_replay": round(r_replay, 3),
        "target": TARGET,
        "meets_target": r_replay >= TARGET,
        "best_s": {
            "raw": round(raw_best.as_secs_f64(), 4),
            "verify": round(verify_best.as_secs_f64(), 4),
            "replay_only": round(replay_best.as_secs_f64(), 4),
            "verify_and_replay": round(both_best.as_secs_f64(), 4),
        },
        "rounds": rounds,
        "generate_s": round(generate_s, 2),
        "fill_s": round(filled.seconds, 2),
        "how": "raw: split lines, serde_json::from_slice::<Value> + sha256_hex per line; \
                verify: chain::verify with the trusted key; replay: chain::replay of the \
                verified log; replay_records_per_s counts verify + replay (best round); \
                best of the interleaved rounds, the file read into memory once",
    });
    let text = format!(
        "log of {records} records ({} bytes, {} bids by {suppliers} suppliers, {checkpoints} \
         checkpoints) generated in {generate_s:.1} s\n\
         raw parse + hash: {raw_rate:.0} records/s ({:.3} s)\n\
         verify:           {verify_rate:.0} records/s ({:.3} s)\n\
         replay only:      {replay_only_rate:.0} records/s ({:.3} s)\n\
         verify + replay:  {replay_rate:.0} records/s ({:.3} s)\n\
         r_replay = {r_replay:.3} (target >= {TARGET}: {})\n",
        bytes.len(),
        filled.bids,
        raw_best.as_secs_f64(),
        verify_best.as_secs_f64(),
        replay_best.as_secs_f64(),
        both_best.as_secs_f64(),
        if r_replay >= TARGET { "met" } else { "NOT met" },
    );
    Ok(Report {
        json,
        text,
        ok: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suppliers_scale_with_bids_up_to_the_limit() {
        assert_eq!(suppliers_for(1), 1);
        assert_eq!(suppliers_for(BIDS_PER_SUPPLIER), 1);
        assert_eq!(suppliers_for(BIDS_PER_SUPPLIER + 1), 2);
        assert_eq!(suppliers_for(RECORDS_MAX), SUPPLIERS_MAX);
        // Even the largest fill leaves each supplier below the per-lot bid limit.
        assert!(RECORDS_MAX.div_ceil(suppliers_for(RECORDS_MAX)) < BIDS_PER_SUPPLIER_MAX);
    }

    #[test]
    fn prices_step_down_and_stay_positive() {
        assert_eq!(price_of(0), Some(PRICE_START));
        assert_eq!(price_of(1), Some(PRICE_START - PRICE_STEP));
        assert!(price_of(BIDS_PER_SUPPLIER_MAX).is_some());
        assert_eq!(price_of(u64::MAX), None);
    }

    #[test]
    fn a_small_fill_is_accepted_and_verifies() {
        let work = crate::fresh_temp_dir("veiling-loadtest-test").unwrap();
        let _cleanup = crate::TempDir(work.clone());
        let path = work.join("t.log");
        let (mut opened, public, opens) = new_log(&path, &config(&people(3))).unwrap();
        let public = chain::parse_pubkey(&public).unwrap();
        let first = fill(&mut opened.driver, 0..1, 1, &mut |_| opens + 1).unwrap();
        assert_eq!(first.last_price, vec![price_of(0)]);
        let filled = fill(&mut opened.driver, 1..3, 2500, &mut |i| {
            opens + 2 + i as i64
        })
        .unwrap();
        // Supplier 0 is not a bidder of this fill; no supplier 3.
        assert!(fill(&mut opened.driver, 0..0, 1, &mut |_| opens + 9000).is_err());
        assert!(fill(&mut opened.driver, 999..1001, 1, &mut |_| opens + 9000).is_err());
        drop(opened);
        assert_eq!(filled.bids, 2500);
        // Suppliers 1 and 2 in turn, 1250 bids each: the last was k = 1249.
        assert_eq!(
            filled.last_price,
            vec![None, price_of(1249), price_of(1249)]
        );
        let bytes = std::fs::read(&path).unwrap();
        let v = chain::verify(&bytes, Some(&public), &mut |_| {});
        assert!(v.problem.is_none(), "{:?}", v.problem);
        let v = v.verified.unwrap();
        // Header, the opening tick, 2501 bids, and checkpoints.
        assert!(v.lines.len() > 2503);
        assert!(chain::replay(&v, None).is_ok());
        assert_eq!(raw_pass(&bytes).unwrap(), v.lines.len() as u64);
    }
}
