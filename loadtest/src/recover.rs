//! `recover`: restart time of the real server on a log of about N records, for each N of a list.
//! For each N: start the server on an empty data directory (it writes its key, the credentials
//! and the log's header, with the `--start-in 0` schedule shift, so the auction opens at once)
//! and stop it with SIGTERM; then append N accepted bids to its log in-process, with the
//! server's own key and the veiling library's recorder (which verifies and resumes the log), in
//! big batches, at the wall clock's time (inside the shifted open window); then start the server
//! again on the same data directory and time, from the process's start: its `listening` line,
//! the first `welcome`, and the first accepted bid. Recovery verifies and re-executes every
//! record of the log, so these grow with N; `per_record_us` (the restart less an empty start,
//! per record) should stay about the same as N grows (`recover_linear`). `Server::start` waits
//! at most 300 s for the `listening` line (10^6 records take some 40 s on the shared 2-core
//! machine).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::bids::{
    AUCTION_ID, JOIN_TIMEOUT, LOT, PRICE_START, PRICE_STEP, Server, join, server_bin,
};
use crate::replay::{fill, people, suppliers_for};
use crate::setup::{config, parse_msg, token_of, tokens};
use crate::{Report, Res, round};

/// The config's limit on suppliers.
const SUPPLIERS_MAX: u64 = veiling::core::rules::limits::SUPPLIERS_MAX as u64;
/// The most records of one size.
const EVENTS_MAX: u64 = crate::replay::RECORDS_MAX;
/// The most sizes in one run.
const SIZES_MAX: usize = 8;
/// `recover_linear` compares the largest size with the smallest one of at least this many
/// records (smaller logs are dominated by the fixed start-up cost).
const LINEAR_FROM_RECORDS: u64 = 10_000;
/// `recover_linear` holds when the largest size's cost per record is at most this many times
/// the smallest's.
const LINEAR_RATIO_MAX: f64 = 2.0;

#[derive(clap::Args)]
pub struct Args {
    /// Comma-separated sizes: about how many bids each log holds (each at most 2,000,000; at
    /// most 8 sizes; run in ascending order).
    #[arg(long, value_name = "N,N,..", default_value = "10000,100000")]
    pub events: String,
    /// The `veiling` binary (default: next to this binary, else target/release/veiling).
    #[arg(long, value_name = "PATH")]
    pub server_bin: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The `--events` list: sizes between 1 and [`EVENTS_MAX`], ascending, without repeats.
fn parse_events(text: &str) -> Res<Vec<u64>> {
    let mut sizes = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        let n: u64 = part
            .parse()
            .map_err(|_| format!("--events {text}: '{part}' is not a whole number"))?;
        if n == 0 || n > EVENTS_MAX {
            return Err(format!(
                "--events {text}: {n} must be between 1 and {EVENTS_MAX}"
            ));
        }
        sizes.push(n);
    }
    sizes.sort_unstable();
    sizes.dedup();
    if sizes.len() > SIZES_MAX {
        return Err(format!(
            "--events {text}: {} sizes; at most {SIZES_MAX}",
            sizes.len()
        ));
    }
    Ok(sizes)
}

/// One size's figures.
struct Point {
    events: u64,
    bids: u64,
    suppliers: u64,
    records: u64,
    bytes: u64,
    fill_s: f64,
    empty_start_s: f64,
    listening_s: f64,
    welcome_s: f64,
    ack_s: f64,
    stops: [String; 2],
    ok: bool,
}

impl Point {
    /// Recovery cost per record: the restart to the first accepted bid less an empty start.
    fn per_record_us(&self) -> f64 {
        if self.records == 0 {
            return 0.0;
        }
        (self.ack_s - self.empty_start_s) / self.records as f64 * 1e6
    }

    fn json(&self) -> Value {
        json!({
            "events": self.events,
            "bids_filled": self.bids,
            "suppliers": self.suppliers,
            "records": self.records,
            "bytes": self.bytes,
            "fill_s": round(self.fill_s, 2),
            "empty_start_to_listening_s": round(self.empty_start_s, 4),
            "restart_to_listening_s": round(self.listening_s, 4),
            "restart_to_first_welcome_s": round(self.welcome_s, 4),
            "restart_to_first_accepted_bid_s": round(self.ack_s, 4),
            "per_record_us": round(self.per_record_us(), 3),
            "records_per_s": if self.ack_s > 0.0 {
                json!(round(self.records as f64 / self.ack_s, 1))
            } else {
                Value::Null
            },
            "server_stops": self.stops,
            "ok": self.ok,
        })
    }
}

/// `(records, per_record_us)` of each size → the ratio of the largest size's cost per record
/// to that of the smallest size of at least [`LINEAR_FROM_RECORDS`] records, and whether it is
/// at most [`LINEAR_RATIO_MAX`]. `None` without two such sizes, or when the smaller one's cost
/// is not positive (the restart was no slower than the empty start: nothing to compare).
fn linearity(points: &[(u64, f64)]) -> Option<(f64, bool)> {
    let small = points
        .iter()
        .filter(|(records, _)| *records >= LINEAR_FROM_RECORDS)
        .min_by_key(|(records, _)| *records)?;
    let large = points.iter().max_by_key(|(records, _)| *records)?;
    if large.0 <= small.0 || small.1 <= 0.0 || !small.1.is_finite() || !large.1.is_finite() {
        return None;
    }
    let ratio = large.1 / small.1;
    Some((ratio, ratio <= LINEAR_RATIO_MAX))
}

pub fn run(args: &Args) -> Res<Report> {
    let sizes = parse_events(&args.events)?;
    let bin = server_bin(args.server_bin.as_deref())?;
    let rt = crate::client_runtime()?;
    let mut points = Vec::new();
    for &n in &sizes {
        points.push(run_size(&bin, n, &rt).map_err(|e| format!("--events {n}: {e}"))?);
    }
    rt.shutdown_background();

    let linear = linearity(
        &points
            .iter()
            .map(|p| (p.records, p.per_record_us()))
            .collect::<Vec<_>>(),
    );
    let ok = points.iter().all(|p| p.ok);
    let json = json!({
        "ok": ok,
        "events_asked": sizes,
        "points": points.iter().map(Point::json).collect::<Vec<_>>(),
        "recover_linear": linear.map(|(_, linear)| linear),
        "recover_linear_ratio": linear.map(|(ratio, _)| round(ratio, 3)),
        "recover_linear_rule": format!(
            "per_record_us of the largest size <= {LINEAR_RATIO_MAX} x that of the smallest size \
             of at least {LINEAR_FROM_RECORDS} records (null without two such sizes)"
        ),
        "fill": "the server's first start writes the key, credentials and the log's header; \
                 then N accepted bids are appended in-process with the server's key \
                 (veiling::log::recorder::open, 1000 bids per append and fdatasync)",
        "ready_measure": "first accepted bid (the auction is still open)",
        "baseline": "empty_start_to_listening_s: the same server's first start on an empty \
                     data directory (it also writes the key and credentials); per_record_us = \
                     (restart_to_first_accepted_bid_s - empty_start_to_listening_s) / records",
        "server_bin": bin.display().to_string(),
    });
    let mut text = String::new();
    for p in &points {
        text.push_str(&format!(
            "{} bids: log of {} records ({} bytes) filled in {:.1} s; empty start {:.3} s; \
             restart: listening {:.3} s, welcome {:.3} s, first accepted bid {:.3} s; \
             {:.2} µs per record\n  server stops: {}; {}\n",
            p.events,
            p.records,
            p.bytes,
            p.fill_s,
            p.empty_start_s,
            p.listening_s,
            p.welcome_s,
            p.ack_s,
            p.per_record_us(),
            p.stops[0],
            p.stops[1],
        ));
    }
    text.push_str(&match linear {
        Some((ratio, linear)) => format!(
            "recover_linear: {linear} (largest / smallest of >= {LINEAR_FROM_RECORDS} records \
             per record: {ratio:.2}, at most {LINEAR_RATIO_MAX})\n"
        ),
        None => format!(
            "recover_linear: not computed (needs two sizes of at least {LINEAR_FROM_RECORDS} \
             records with a positive cost per record)\n"
        ),
    });
    Ok(Report { json, text, ok })
}

/// The wall clock in ms since the epoch.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// One size: an empty start, the fill, the timed restart.
fn run_size(bin: &Path, n: u64, rt: &tokio::runtime::Runtime) -> Res<Point> {
    // The fill's bidders s1..=s{suppliers}; s0 (see below) makes one more.
    let suppliers = suppliers_for(n).min(SUPPLIERS_MAX - 1);
    let work = crate::fresh_temp_dir("veiling-loadtest")?;
    let _cleanup = crate::TempDir(work.clone());
    let cfg = work.join("loadtest.toml");
    let text = config(&people(suppliers + 1));
    std::fs::write(&cfg, &text).map_err(|e| format!("{}: {e}", cfg.display()))?;
    let data = work.join("data");

    // 1. The empty start: key, credentials, the log's header.
    let t0 = Instant::now();
    let mut server = Server::start(bin, &cfg, &data, &work)?;
    let empty_start = t0.elapsed().as_secs_f64();
    let (stop1, stop1_ok) = server.stop();
    drop(server);
    let toks = tokens(&data.join(AUCTION_ID).join("credentials.json"))?;
    let token = token_of(&toks, "s0")?;

    // 2. The fill, in-process, with the server's key.
    let key_path = data.join("server.key");
    let key = veiling::log::keys::read(&key_path).map_err(|e| e.to_string())?;
    let parsed = veiling::config::parse(&text).map_err(|e| format!("{}: {e}", cfg.display()))?;
    let log = data.join(AUCTION_ID).join("live.log");
    let t_fill = Instant::now();
    let mut opened = veiling::log::recorder::open(
        &log,
        &parsed,
        &text,
        veiling::log::record::Mode::Live,
        now_ms(),
        key,
        Default::default(),
    )
    .map_err(|e| format!("opening the server's log: {e}"))?;
    if opened.created {
        return Err(format!(
            "{}: the server's first start left no log",
            log.display()
        ));
    }
    // The header's schedule opens at the first start and closes two hours later.
    let closes_ms = match opened.config.rules.timing {
        veiling::core::LotTiming::Parallel { closes_at } => closes_at,
        _ => i64::MAX,
    };
    // s0, who bids again after the restart, bids once here: a supplier's welcome lists all its
    // own bids, and that must fit in one WebSocket message. s1.. place the rest.
    let filled = fill(&mut opened.driver, 0..1, 1, &mut |_| now_ms()).and_then(|first| {
        let rest = fill(&mut opened.driver, 1..suppliers + 1, n - 1, &mut |_| {
            now_ms()
        })?;
        Ok((first, rest))
    });
    drop(opened); // the writer finishes and stops
    let (first, rest) = filled?;
    let bids = first.bids + rest.bids;
    let fill_s = t_fill.elapsed().as_secs_f64();
    if now_ms() >= closes_ms {
        return Err("the fill took until the auction's close".into());
    }
    let (records, bytes) = count_lines(&log)?;

    // 3. The restart, timed.
    let t0 = Instant::now();
    let mut server = Server::start(bin, &cfg, &data, &work)
        .map_err(|e| format!("the restart on a log of {records} records: {e}"))?;
    let listening = t0.elapsed().as_secs_f64();
    let price = first
        .last_price
        .first()
        .copied()
        .flatten()
        .map_or(PRICE_START, |p| p.saturating_sub(PRICE_STEP));
    let restarted = rt.block_on(first_bid(server.addr, &token, price));
    let (stop2, stop2_ok) = server.stop();
    let (welcome_at, ack_at) = restarted?;
    Ok(Point {
        events: n,
        bids,
        suppliers: suppliers + 1,
        records,
        bytes,
        fill_s,
        empty_start_s: empty_start,
        listening_s: listening,
        welcome_s: welcome_at.saturating_duration_since(t0).as_secs_f64(),
        ack_s: ack_at.saturating_duration_since(t0).as_secs_f64(),
        stops: [stop1, stop2],
        ok: stop1_ok && stop2_ok,
    })
}

/// Lines and bytes of a file.
fn count_lines(path: &Path) -> Res<(u64, u64)> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let lines = bytes.iter().filter(|&&c| c == b'\n').count() as u64;
    Ok((lines, bytes.len() as u64))
}

/// Join as a supplier (welcome, auction open), then bid until accepted: when each happened.
async fn first_bid(addr: SocketAddr, token: &str, price: u64) -> Res<(Instant, Instant)> {
    let mut ws = tokio::time::timeout(JOIN_TIMEOUT, join(addr, token))
        .await
        .map_err(|_| "no welcome within 15 s after the restart".to_string())??;
    let welcome = Instant::now();
    let bid = json!({
        "type": "bid", "req_id": "recover", "lot": LOT,
        "client_bid_id": "recover-0", "price": format!("{price}.00"),
    })
    .to_string();
    ws.send(Message::Text(bid.into()))
        .await
        .map_err(|e| format!("send bid: {e}"))?;
    let answer = async {
        loop {
            let Some(v) = parse_msg(ws.next().await)? else {
                continue;
            };
            if v["req_id"] != "recover" {
                continue;
            }
            return if v["type"] == "accepted" {
                Ok(Instant::now())
            } else {
                Err(format!("the bid after the restart: {v}"))
            };
        }
    };
    let acked = tokio::time::timeout(Duration::from_secs(15), answer)
        .await
        .map_err(|_| "no answer to the bid within 15 s after the restart".to_string())??;
    let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
    Ok((welcome, acked))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_list_is_parsed_sorted_and_bounded() {
        assert_eq!(
            parse_events("100000, 10000,100000").unwrap(),
            vec![10_000, 100_000]
        );
        assert_eq!(parse_events("2000000").unwrap(), vec![2_000_000]);
        assert!(parse_events("").is_err());
        assert!(parse_events("10000,").is_err());
        assert!(parse_events("0").is_err());
        assert!(parse_events("2000001").is_err());
        assert!(parse_events("1e6").is_err());
        assert!(parse_events("1,2,3,4,5,6,7,8,9").is_err());
    }

    #[test]
    fn linearity_compares_the_largest_with_the_smallest_of_10000() {
        // The 1000-record point is left out; 100000 vs 10000: 3.0 / 2.0.
        let (ratio, linear) = linearity(&[(1_000, 50.0), (100_000, 3.0), (10_000, 2.0)]).unwrap();
        assert!((ratio - 1.5).abs() < 1e-9 && linear);
        let (ratio, linear) = linearity(&[(10_000, 1.0), (1_000_000, 2.5)]).unwrap();
        assert!((ratio - 2.5).abs() < 1e-9 && !linear);
        // Exactly twice is still linear.
        assert_eq!(
            linearity(&[(10_000, 1.0), (20_000, 2.0)]),
            Some((2.0, true))
        );
        // Not enough sizes, or nothing to compare against.
        assert_eq!(linearity(&[(10_000, 1.0)]), None);
        assert_eq!(linearity(&[(1_000, 1.0), (5_000, 1.0)]), None);
        assert_eq!(linearity(&[(10_000, 0.0), (100_000, 1.0)]), None);
        assert_eq!(linearity(&[]), None);
    }
}
