//! `bids`: start the real server on 127.0.0.1 with a fresh data directory and A auctions,
//! connect B suppliers to each, and have each send bids open loop on a fixed schedule. Reports
//! bid-to-ack latency, answers, the server's CPU per acknowledged bid, and checks after the
//! server has stopped that every acknowledged bid is in its auction's log with the receipt the
//! bidder was given (nothing acknowledged was lost).
//!
//! Open loop, without coordinated omission: every bid has an intended send time fixed before the
//! run (bidder i sends bid k at `start + i/R + k*B/R`, so the B bidders are spread evenly over
//! each period), and its latency is the answer's arrival minus that intended time. A bid sent
//! late because the generator fell behind counts its lateness against the answer; a slow server
//! cannot slow the sending down. One pacer thread walks the schedule with `std::thread::sleep`
//! (tokio's timer would wake up to 1-2 ms late) and tells each bidder's task when to send. The
//! generator's own lateness is reported too (`send_lag_us`: intended time to the write), as is
//! the latency from the actual write (`bid_to_ack_from_send_us`).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc};
use tokio_tungstenite::tungstenite::Message;

use crate::{Lat, Report, Res, Ws, check_loopback, connect_ws, duration_arg, round};

/// Up to this rate per bidder (90% of the server's default bid limit per supplier,
/// `server::Limits::bids_per_s`) the server runs with its defaults; above it, with
/// `--limit bids_per_s=...` (and the message limits) raised to fit the run.
fn per_bidder_default_max() -> f64 {
    f64::from(veiling::server::Limits::default().bids_per_s) * 0.9
}
/// The most bids per second one bidder may be asked to send.
const PER_BIDDER_RATE_MAX: f64 = 1000.0;
/// The config's limit on suppliers.
const BIDDERS_MAX: usize = veiling::core::rules::limits::SUPPLIERS_MAX;
/// Auctions one run may start.
pub(crate) const AUCTIONS_MAX: usize = 16;
/// Bids one supplier may place on a lot.
const BIDS_PER_BIDDER_MAX: u64 = veiling::core::rules::limits::BIDS_PER_SUPPLIER_LOT_MAX as u64;
const DURATION_MAX_S: f64 = 600.0;
/// How long answers may take after the last intended send before they count as missing.
const ANSWER_WAIT: Duration = Duration::from_secs(10);
/// Waiting for the server to print its address (recovering a log of 10^6 records takes tens of
/// seconds; a server that dies closes its stdout and is noticed at once).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(300);
/// Connecting and authenticating one bidder.
pub(crate) const JOIN_TIMEOUT: Duration = Duration::from_secs(15);
pub(crate) const CONNECT_CONCURRENCY: usize = 64;
/// A graceful stop after SIGTERM; then SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);
/// Time between connecting the last bidder and the first intended send.
const LEAD_IN: Duration = Duration::from_millis(300);
/// The first price; each bidder's k-th bid is 10.00 lower (decrement 1.00 from its own bid).
pub(crate) const PRICE_START: u64 = 9_000_000;
pub(crate) const PRICE_STEP: u64 = 10;
pub(crate) const AUCTION_ID: &str = "loadtest";
pub(crate) const LOT: &str = "lot-1";
/// How the server's coalesced snapshots begin (`wire::LeanSupplierStates`); an answer to a
/// `state` request has a `req_id` after `state` and does not match.
const SNAPSHOT_PREFIX: &str = r#"{"type":"state","seq":"#;

#[derive(clap::Args, Clone)]
pub struct Args {
    /// Auctions in the server, each with its own log (at most 16).
    #[arg(long, value_name = "A", default_value_t = 1)]
    pub auctions: usize,
    /// Bidders per auction, one supplier and one connection each (at most 1000, the config's
    /// limit).
    #[arg(long, value_name = "B")]
    pub bidders: usize,
    /// Bids per second over all bidders of all auctions (at most 1000 per bidder; above 9 per
    /// bidder the server's per-supplier bid limit is raised to fit).
    #[arg(long, value_name = "R")]
    pub rate: f64,
    /// Seconds of sending.
    #[arg(long, value_name = "S")]
    pub duration_s: f64,
    /// The `veiling` binary (default: next to this binary, else target/release/veiling).
    #[arg(long, value_name = "PATH")]
    pub server_bin: Option<PathBuf>,
    /// Start the server with `--unsafe-no-sync` (acknowledge without fdatasync): the transport
    /// and the server's work alone, for `r_transport`.
    #[arg(long)]
    pub no_sync_server: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The fixed schedule of the run.
#[derive(Clone, Copy)]
struct Plan {
    bidders: usize,
    per_bidder: u64,
    period: Duration,
    start: Instant,
}

impl Plan {
    /// When bidder `i` should send its bid `k`.
    fn due(&self, i: usize, k: u64) -> Instant {
        let offset = self.period.mul_f64(i as f64 / self.bidders as f64);
        self.start + offset + self.period.mul_f64(k as f64)
    }

    /// The globally unique req_id of bidder `i`'s bid `k`, and back.
    fn req_id(&self, i: usize, k: u64) -> u64 {
        k * self.bidders as u64 + i as u64
    }

    fn split(&self, req_id: u64) -> (usize, u64) {
        let b = self.bidders as u64;
        ((req_id % b) as usize, req_id / b)
    }
}

pub fn run(args: &Args) -> Res<Report> {
    let a = args.auctions;
    if a == 0 || a > AUCTIONS_MAX {
        return Err(format!(
            "--auctions {a}: must be between 1 and {AUCTIONS_MAX}"
        ));
    }
    let per_auction = args.bidders;
    if per_auction == 0 || per_auction > BIDDERS_MAX {
        return Err(format!(
            "--bidders {per_auction}: must be between 1 and {BIDDERS_MAX}"
        ));
    }
    let b = a * per_auction;
    if !(args.rate.is_finite() && args.rate > 0.0) {
        return Err(format!("--rate {}: must be above 0", args.rate));
    }
    let per = args.rate / b as f64;
    if per > PER_BIDDER_RATE_MAX {
        return Err(format!(
            "--rate {} over {b} bidders is {per:.2} bids/s per bidder, over the {} this tool \
             sends per bidder: use at least {} bidders",
            args.rate,
            PER_BIDDER_RATE_MAX,
            (args.rate / PER_BIDDER_RATE_MAX).ceil()
        ));
    }
    let dur = duration_arg("--duration-s", args.duration_s, DURATION_MAX_S)?;
    let per_bidder = (per * dur.as_secs_f64()).floor() as u64;
    if per_bidder == 0 {
        return Err(format!(
            "{per:.3} bids/s per bidder for {} s is less than one bid each: raise --rate or \
             --duration-s",
            args.duration_s
        ));
    }
    if per_bidder > BIDS_PER_BIDDER_MAX {
        return Err(format!(
            "{per_bidder} bids per bidder is over the server's {BIDS_PER_BIDDER_MAX} per \
             supplier and lot"
        ));
    }
    crate::ensure_fds(b as u64 + 128)?;
    let bin = server_bin(args.server_bin.as_deref())?;

    let work = crate::fresh_temp_dir("veiling-loadtest")?;
    let _cleanup = crate::TempDir(work.clone());
    let data = work.join("data");
    let ids: Vec<String> = (0..a).map(auction_id).collect();
    let mut cfgs = Vec::with_capacity(a);
    for id in &ids {
        let cfg = work.join(format!("{id}.toml"));
        std::fs::write(&cfg, config(id, per_auction))
            .map_err(|e| format!("{}: {e}", cfg.display()))?;
        cfgs.push(cfg);
    }
    let mut extra = server_limits(per);
    if args.no_sync_server {
        extra.push("--unsafe-no-sync".into());
    }
    let mut server = Server::start_with(&bin, &cfgs, &data, &work, &extra)?;
    let mut tokens = Vec::with_capacity(b);
    for id in &ids {
        tokens.extend(self::tokens(
            &data.join(id).join("credentials.json"),
            per_auction,
        )?);
    }

    let rt = crate::client_runtime()?;
    let addr = server.addr;
    let pid = server.pid.clone();
    let outcome = rt.block_on(drive(addr, tokens, per_bidder, per, &pid));
    rt.shutdown_background();
    let (stopped, stopped_ok) = server.stop();
    let (results, run) = outcome?;

    // Merge the bidders.
    let mut ack = Lat::new()?;
    let mut answer = Lat::new()?;
    let mut from_send = Lat::new()?;
    let mut lag = Lat::new()?;
    let mut answers = BTreeMap::<String, u64>::new();
    let mut rejections = BTreeMap::<String, u64>::new();
    let mut errors = BTreeMap::<String, u64>::new();
    let mut notices = BTreeMap::<String, u64>::new();
    let (mut sent, mut replies, mut missing, mut duplicates, mut unexpected) = (0, 0, 0, 0, 0);
    // The receipts of acknowledged bids, per auction: (seq, hash).
    let mut receipts: Vec<Vec<(u64, String)>> = vec![Vec::new(); a];
    let mut failures = Vec::new();
    let mut last_answer = run.start;
    for r in &results {
        ack.add(&r.ack)?;
        answer.add(&r.answer)?;
        from_send.add(&r.from_send)?;
        lag.add(&r.lag)?;
        for (src, dst) in [
            (&r.answers, &mut answers),
            (&r.rejections, &mut rejections),
            (&r.errors, &mut errors),
            (&r.notices, &mut notices),
        ] {
            for (k, v) in src {
                *dst.entry(k.clone()).or_default() += v;
            }
        }
        sent += r.sent;
        replies += r.replies;
        missing += r.missing;
        duplicates += r.duplicates;
        unexpected += r.unexpected;
        if let Some(f) = &r.failure
            && failures.len() < 10
        {
            failures.push(f.clone());
        }
        if let Some(t) = r.last_answer {
            last_answer = last_answer.max(t);
        }
        if let Some(list) = receipts.get_mut(r.bidder / per_auction) {
            list.extend(r.receipts.iter().cloned());
        }
    }
    let planned = per_bidder * b as u64;
    let accepted = answers.get("accepted").copied().unwrap_or(0);
    let wall = last_answer
        .saturating_duration_since(run.start)
        .as_secs_f64();
    let acks_per_s = if wall > 0.0 {
        accepted as f64 / wall
    } else {
        0.0
    };
    // Nothing acknowledged may be missing from the logs (the server has stopped: read them).
    let mut lost = 0u64;
    let mut checked = 0u64;
    let mut log_problems = Vec::new();
    for (id, list) in ids.iter().zip(&receipts) {
        match lost_receipts(&data.join(id).join("live.log"), list) {
            Ok(n) => lost += n,
            Err(e) => log_problems.push(e),
        }
        checked += list.len() as u64;
    }
    let ticks = crate::clock_ticks_per_s();
    let per_ack_us = |t: u64| {
        if accepted > 0 {
            json!(round(t as f64 / ticks as f64 * 1e6 / accepted as f64, 1))
        } else {
            Value::Null
        }
    };
    let cpu = |ticks_used: u64, wall_s: f64, per_ack: bool| {
        let s = ticks_used as f64 / ticks as f64;
        let mut v = json!({
            "cpu_s": round(s, 3),
            "cores_busy": if wall_s > 0.0 { round(s / wall_s, 3) } else { 0.0 },
        });
        if per_ack {
            v["us_per_ack"] = per_ack_us(ticks_used);
        }
        v
    };
    let cpu_wall = run.cpu_wall.as_secs_f64();
    // A server that crashed, or did not stop cleanly on SIGTERM, fails the run too.
    let ok = sent == planned
        && missing == 0
        && duplicates == 0
        && unexpected == 0
        && stopped_ok
        && lost == 0
        && log_problems.is_empty();
    let mut server_cpu = cpu(run.server_ticks, cpu_wall, true);
    server_cpu["user_us_per_ack"] = per_ack_us(run.server_user_ticks);
    server_cpu["system_us_per_ack"] =
        per_ack_us(run.server_ticks.saturating_sub(run.server_user_ticks));
    let json = json!({
        "ok": ok,
        "auctions": a,
        "bidders_per_auction": per_auction,
        "bidders": b,
        "sync": if args.no_sync_server { "off (--unsafe-no-sync)" } else { "fdatasync per group commit" },
        "server_args": extra,
        "rate_per_s": args.rate,
        "rate_per_bidder_per_s": round(per, 3),
        "duration_s": args.duration_s,
        "server_bin": bin.display().to_string(),
        "server_addr": addr.to_string(),
        "bids": {
            "planned": planned,
            "sent": sent,
            "replies": replies,
            "missing": missing,
            "duplicates": duplicates,
            "unexpected": unexpected,
        },
        "answers": answers,
        "rejections": rejections,
        "errors": errors,
        "notices": notices,
        "bid_to_ack_us": ack.json(),
        "bid_to_answer_us": answer.json(),
        "bid_to_ack_from_send_us": from_send.json(),
        "send_lag_us": lag.json(),
        "acks_per_s": round(acks_per_s, 1),
        "wall_s": round(wall, 3),
        "server_cpu": server_cpu,
        "loadtest_cpu": cpu(run.own_ticks, cpu_wall, false),
        "clk_tck": ticks,
        "server_stop": stopped,
        "acknowledged_in_log": {
            "receipts_checked": checked,
            "lost": lost,
            "problems": log_problems,
        },
        "failures": failures,
    });
    let count = |m: &BTreeMap<String, u64>| {
        if m.is_empty() {
            "none".to_string()
        } else {
            m.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let mut text = format!(
        "{a} auction(s) x {per_auction} bidders, {} bids/s ({per:.2}/s each) for {} s against {} \
         on {addr}{}\n\
         bids: {planned} planned, {sent} sent, {replies} replies, {missing} missing, \
         {duplicates} duplicate, {unexpected} unexpected\n\
         answers: {}\nrejections: {}\nerrors: {}\n\
         bid to ack (from intended send): {}\n\
         bid to ack (from actual send):   {}\n\
         send lag (generator):            {}\n\
         {acks_per_s:.1} acks/s over {wall:.2} s; server CPU {:.3} s = {} µs per ack; \
         loadtest CPU {:.3} s\nserver stop: {stopped}\n\
         acknowledged bids checked in the logs: {checked}, lost: {lost}\n",
        args.rate,
        args.duration_s,
        bin.display(),
        if args.no_sync_server {
            " (no sync)"
        } else {
            ""
        },
        count(&answers),
        count(&rejections),
        count(&errors),
        ack.text(),
        from_send.text(),
        lag.text(),
        run.server_ticks as f64 / ticks as f64,
        if accepted > 0 {
            format!(
                "{:.1}",
                run.server_ticks as f64 / ticks as f64 * 1e6 / accepted as f64
            )
        } else {
            "-".into()
        },
        run.own_ticks as f64 / ticks as f64,
    );
    for f in failures.iter().chain(&log_problems) {
        text.push_str(&format!("failure: {f}\n"));
    }
    Ok(Report { json, text, ok })
}

/// The server binary: the one given, else `veiling` beside this binary, else
/// `target/release/veiling` (from the current directory, then from the workspace).
pub(crate) fn server_bin(given: Option<&Path>) -> Res<PathBuf> {
    if let Some(p) = given {
        return if p.is_file() {
            Ok(p.to_path_buf())
        } else {
            Err(format!("--server-bin {}: no such file", p.display()))
        };
    }
    let mut candidates = Vec::new();
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        candidates.push(dir.join("veiling"));
    }
    candidates.push(PathBuf::from("target/release/veiling"));
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/veiling"));
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| {
            format!(
                "no veiling binary at {}: run `cargo build --release` or give --server-bin",
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// The id of auction `k` of a run: `loadtest`, then `loadtest-2`, `loadtest-3`, ...
pub(crate) fn auction_id(k: usize) -> String {
    if k == 0 {
        AUCTION_ID.to_string()
    } else {
        format!("{AUCTION_ID}-{}", k + 1)
    }
}

/// `bidders` suppliers `s0`, `s1`, ... and one auctioneer, in the shared load-test config.
fn config(id: &str, bidders: usize) -> String {
    crate::setup::config_for(
        id,
        &crate::setup::People {
            suppliers: (0..bidders).map(|i| format!("s{i}")).collect(),
            observers: Vec::new(),
            auctioneers: vec!["a1".into()],
        },
    )
}

/// The server's `--limit` options for bidders that each send `per` bids/s: none within the
/// defaults; above them, room for twice the rate (bursts from the generator's lateness).
pub(crate) fn server_limits(per: f64) -> Vec<String> {
    if per <= per_bidder_default_max() {
        return Vec::new();
    }
    let bids = (per * 2.0).ceil() as u64 + 10;
    [
        format!("bids_per_s={bids}"),
        format!("bids_burst={}", bids * 2),
        format!("messages_per_s={}", bids + 20),
        format!("messages_burst={}", bids * 2 + 40),
    ]
    .into_iter()
    .flat_map(|l| ["--limit".to_string(), l])
    .collect()
}

/// How many of `receipts` (seq, hash) the log at `path` does not hold as given: every
/// acknowledged bid must be there, at its seq, with the hash of its receipt.
fn lost_receipts(path: &Path, receipts: &[(u64, String)]) -> Res<u64> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let check = veiling::log::chain::verify(&bytes, None, &mut |_| {});
    if let Some(p) = &check.problem {
        return Err(format!("{}: does not verify: {p}", path.display()));
    }
    let v = check
        .verified
        .ok_or_else(|| format!("{}: does not verify", path.display()))?;
    let inputs: BTreeMap<u64, &str> = v
        .lines
        .iter()
        .filter(|l| l.kind() != "checkpoint")
        .map(|l| (l.seq, l.hash.as_str()))
        .collect();
    Ok(receipts
        .iter()
        .filter(|(seq, hash)| inputs.get(seq) != Some(&hash.as_str()))
        .count() as u64)
}

/// The suppliers' tokens `s0..s{bidders-1}`, in order, from the server's credentials file.
fn tokens(path: &Path, bidders: usize) -> Res<Vec<String>> {
    let by_id = crate::setup::tokens(path)?;
    (0..bidders)
        .map(|i| crate::setup::token_of(&by_id, &format!("s{i}")))
        .collect()
}

/// The server process: started with a fresh data directory, stopped with SIGTERM (and, should
/// it not stop in time or the run fail early, SIGKILL on drop).
pub(crate) struct Server {
    child: Option<Child>,
    pub(crate) pid: String,
    pub(crate) addr: SocketAddr,
    stderr: PathBuf,
}

impl Server {
    pub(crate) fn start(bin: &Path, cfg: &Path, data: &Path, work: &Path) -> Res<Server> {
        Server::start_with(bin, &[cfg.to_path_buf()], data, work, &[])
    }

    /// Start with several configs and extra options (`--limit`, `--unsafe-no-sync`).
    pub(crate) fn start_with(
        bin: &Path,
        cfgs: &[PathBuf],
        data: &Path,
        work: &Path,
        extra: &[String],
    ) -> Res<Server> {
        let stderr = work.join("server.stderr");
        let err_file =
            std::fs::File::create(&stderr).map_err(|e| format!("{}: {e}", stderr.display()))?;
        let mut child = Command::new(bin)
            .arg("serve")
            .arg("--config")
            .args(cfgs)
            .args(extra)
            .arg("--data-dir")
            .arg(data)
            .args(["--listen", "127.0.0.1:0", "--start-in", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(err_file)
            .spawn()
            .map_err(|e| format!("start {}: {e}", bin.display()))?;
        let pid = child.id().to_string();
        let stdout = child.stdout.take();
        let mut server = Server {
            child: Some(child),
            pid,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            stderr,
        };
        let stdout = stdout.ok_or("the server's stdout is not a pipe")?;
        // A thread reads the server's stdout to its end (so the server never blocks on a full
        // pipe) and hands over the address line.
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("listening on ws://") {
                    let _ = tx.send(rest.split('/').next().unwrap_or("").to_string());
                }
            }
        });
        let found = rx.recv_timeout(STARTUP_TIMEOUT).map_err(|_| {
            format!(
                "the server did not print its address within {} s{}",
                STARTUP_TIMEOUT.as_secs(),
                server.stderr_tail()
            )
        })?;
        let addr: SocketAddr = found
            .parse()
            .map_err(|e| format!("the server's address '{found}': {e}"))?;
        check_loopback(&addr)?;
        server.addr = addr;
        Ok(server)
    }

    fn stderr_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(10)..].join("\n");
        if tail.is_empty() {
            String::new()
        } else {
            format!("; its stderr ends with:\n{tail}")
        }
    }

    /// SIGTERM (`kill -TERM PID`), then wait for the graceful stop; SIGKILL after the timeout.
    /// What happened, and whether it was a clean exit 0.
    pub(crate) fn stop(&mut self) -> (String, bool) {
        let Some(mut child) = self.child.take() else {
            return ("not running".into(), false);
        };
        if let Ok(Some(status)) = child.try_wait() {
            return (
                format!("had already exited: {status}{}", self.stderr_tail()),
                false,
            );
        }
        let term = Command::new("kill")
            .args(["-TERM", &self.pid])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !matches!(term, Ok(s) if s.success()) {
            let _ = child.kill();
            let _ = child.wait();
            return ("kill -TERM failed; killed".into(), false);
        }
        let t0 = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(status)) if status.success() => {
                    let took = t0.elapsed().as_secs_f64();
                    return (format!("exited 0 after SIGTERM in {took:.2} s"), true);
                }
                Ok(Some(status)) => {
                    return (
                        format!("{status} after SIGTERM{}", self.stderr_tail()),
                        false,
                    );
                }
                Ok(None) if t0.elapsed() < STOP_TIMEOUT => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let secs = STOP_TIMEOUT.as_secs();
                    return (
                        format!("did not stop within {secs} s of SIGTERM; killed"),
                        false,
                    );
                }
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What one bidder saw.
pub(crate) struct BidderResult {
    /// The bidder's index over all auctions.
    bidder: usize,
    /// (seq, hash) of every acknowledged bid.
    receipts: Vec<(u64, String)>,
    ack: Lat,
    answer: Lat,
    from_send: Lat,
    lag: Lat,
    pub(crate) answers: BTreeMap<String, u64>,
    rejections: BTreeMap<String, u64>,
    errors: BTreeMap<String, u64>,
    notices: BTreeMap<String, u64>,
    sent: u64,
    replies: u64,
    missing: u64,
    duplicates: u64,
    unexpected: u64,
    last_answer: Option<Instant>,
    failure: Option<String>,
}

/// The run as a whole: when sending started, and the CPU used while it ran.
pub(crate) struct RunTimes {
    start: Instant,
    cpu_wall: Duration,
    server_ticks: u64,
    server_user_ticks: u64,
    own_ticks: u64,
}

/// Connect every bidder, then run them all on the plan.
pub(crate) async fn drive(
    addr: SocketAddr,
    tokens: Vec<String>,
    per_bidder: u64,
    per: f64,
    pid: &str,
) -> Res<(Vec<BidderResult>, RunTimes)> {
    let b = tokens.len();
    let gate = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
    let mut joins = Vec::with_capacity(b);
    for (i, token) in tokens.into_iter().enumerate() {
        let gate = Arc::clone(&gate);
        joins.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.map_err(|e| e.to_string())?;
            tokio::time::timeout(JOIN_TIMEOUT, join(addr, &token))
                .await
                .map_err(|_| format!("s{i}: not joined within {} s", JOIN_TIMEOUT.as_secs()))?
                .map_err(|e| format!("s{i}: {e}"))
        }));
    }
    let mut conns = Vec::with_capacity(b);
    for j in joins {
        conns.push(j.await.map_err(|e| format!("a bidder's task: {e}"))??);
    }

    let plan = Plan {
        bidders: b,
        per_bidder,
        period: Duration::from_secs_f64(1.0 / per),
        start: Instant::now() + LEAD_IN,
    };
    let server0 = crate::cpu_ticks(pid)?;
    let (user0, _) = crate::setup::cpu_user_sys(pid)?;
    let own0 = crate::cpu_ticks("self")?;
    let cpu0 = Instant::now();
    let mut tasks = Vec::with_capacity(b);
    let mut queues = Vec::with_capacity(b);
    for (i, ws) in conns.into_iter().enumerate() {
        // Room for every bid of the run: the pacer never waits for a slow bidder.
        let (tx, rx) = mpsc::channel(per_bidder as usize);
        queues.push(tx);
        tasks.push(tokio::spawn(bidder(i, ws, plan, rx)));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let pacer = {
        let stop = Arc::clone(&stop);
        std::thread::Builder::new()
            .name("loadtest-pacer".into())
            .spawn(move || pace(plan, queues, &stop))
            .map_err(|e| format!("pacer thread: {e}"))?
    };
    let mut results = Vec::with_capacity(b);
    let mut failed = None;
    for t in tasks {
        match t.await {
            Ok(Ok(r)) => results.push(r),
            Ok(Err(e)) => failed = failed.or(Some(e)),
            Err(e) => failed = failed.or(Some(format!("a bidder's task: {e}"))),
        }
    }
    stop.store(true, Relaxed);
    let _ = pacer.join();
    if let Some(e) = failed {
        return Err(e);
    }
    let times = RunTimes {
        start: plan.start,
        cpu_wall: cpu0.elapsed(),
        server_ticks: crate::cpu_ticks(pid)?.saturating_sub(server0),
        server_user_ticks: crate::setup::cpu_user_sys(pid)?.0.saturating_sub(user0),
        own_ticks: crate::cpu_ticks("self")?.saturating_sub(own0),
    };
    Ok((results, times))
}

/// The pacer: one OS thread that walks the whole run's schedule in time order (bid k of bidder
/// i is number `k*B + i`) and tells each bidder when to send. `std::thread::sleep` wakes within
/// some 0.1 ms, where tokio's timer wakes on the next whole millisecond and more: that lateness
/// would otherwise be a large part of a sub-millisecond acknowledgement.
fn pace(plan: Plan, queues: Vec<mpsc::Sender<u64>>, stop: &AtomicBool) {
    let total = plan.per_bidder * plan.bidders as u64;
    for g in 0..total {
        let (i, k) = plan.split(g);
        let due = plan.due(i, k);
        loop {
            if stop.load(Relaxed) {
                return;
            }
            let now = Instant::now();
            if now >= due {
                break;
            }
            // In slices, so a stop is seen even on a slow schedule.
            std::thread::sleep((due - now).min(Duration::from_millis(50)));
        }
        // Never full (sized for the run); closed: that bidder has stopped.
        if let Some(q) = queues.get(i) {
            let _ = q.try_send(k);
        }
    }
}

/// Connect and authenticate; wait for the welcome, and for the auction to open if it has not.
pub(crate) async fn join(addr: SocketAddr, token: &str) -> Res<Ws> {
    let mut ws = connect_ws(addr).await?;
    let auth = json!({"type": "auth", "req_id": "auth", "token": token}).to_string();
    ws.send(Message::Text(auth.into()))
        .await
        .map_err(|e| format!("send auth: {e}"))?;
    let mut open = false;
    let mut welcomed = false;
    while !(welcomed && open) {
        let v = match ws.next().await {
            Some(Ok(Message::Text(t))) => serde_json::from_str::<Value>(t.as_str())
                .map_err(|e| format!("a message that is not JSON: {e}"))?,
            Some(Ok(Message::Close(f))) => {
                return Err(format!(
                    "closed by the server: {}",
                    f.map_or(String::new(), |f| format!(
                        "{} {}",
                        u16::from(f.code),
                        f.reason
                    ))
                ));
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(format!("while joining: {e}")),
            None => return Err("closed while joining".into()),
        };
        match v["type"].as_str() {
            Some("welcome") => {
                welcomed = true;
                open = v["state"]["phase"] == "open";
            }
            Some("error") => {
                return Err(format!("auth refused: {} {}", v["code"], v["message"]));
            }
            // The auction's own phase notice has no `lot`.
            Some("phase") if welcomed && v.get("lot").is_none() => {
                open = v["phase"] == "open";
            }
            _ => {}
        }
    }
    Ok(ws)
}

/// One bidder: send bid k when the pacer says (at its intended time), and read answers, in one
/// loop; stop when every bid is answered or `ANSWER_WAIT` after the last intended send.
async fn bidder(
    i: usize,
    mut ws: Ws,
    plan: Plan,
    mut ticks: mpsc::Receiver<u64>,
) -> Res<BidderResult> {
    let n = plan.per_bidder;
    let mut r = BidderResult {
        bidder: i,
        receipts: Vec::new(),
        ack: Lat::new()?,
        answer: Lat::new()?,
        from_send: Lat::new()?,
        lag: Lat::new()?,
        answers: BTreeMap::new(),
        rejections: BTreeMap::new(),
        errors: BTreeMap::new(),
        notices: BTreeMap::new(),
        sent: 0,
        replies: 0,
        missing: 0,
        duplicates: 0,
        unexpected: 0,
        last_answer: None,
        failure: None,
    };
    // Per bid: when it was actually written, and how many answers it got.
    let mut sent_at: Vec<Option<Instant>> = vec![None; n as usize];
    let mut answered = vec![0u32; n as usize];
    let mut distinct = 0u64;
    let deadline = tokio::time::Instant::from_std(plan.due(i, n - 1) + ANSWER_WAIT);
    let mut paced = true;
    while distinct < n {
        tokio::select! {
            biased;
            msg = ws.next() => {
                let now = Instant::now();
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(f))) => {
                        r.failure = Some(format!("s{i}: closed by the server: {}", f.map_or(
                            String::new(), |f| format!("{} {}", u16::from(f.code), f.reason))));
                        break;
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        r.failure = Some(format!("s{i}: {e}"));
                        break;
                    }
                    None => {
                        r.failure = Some(format!("s{i}: the connection closed"));
                        break;
                    }
                };
                // Coalesced snapshots are most of what a bidder receives; count them without
                // parsing, so the generator's own work delays the answers it times less.
                if text.as_str().starts_with(SNAPSHOT_PREFIX) {
                    *r.notices.entry("state".into()).or_default() += 1;
                    continue;
                }
                let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else {
                    r.unexpected += 1;
                    continue;
                };
                let ty = v["type"].as_str().unwrap_or("?").to_string();
                let Some(req_id) = v.get("req_id") else {
                    if ty == "error" {
                        // An error without req_id answers no bid of ours.
                        r.unexpected += 1;
                        *r.errors.entry(v["code"].as_str().unwrap_or("?").to_string()).or_default() += 1;
                    } else {
                        *r.notices.entry(ty).or_default() += 1;
                    }
                    continue;
                };
                // Our answer: req_id is ours (this bidder, a bid already sent).
                let ours = req_id.as_u64().map(|id| plan.split(id)).filter(|&(bi, bk)| {
                    bi == i && bk < n && sent_at[bk as usize].is_some()
                });
                let Some((_, bk)) = ours else {
                    r.unexpected += 1;
                    continue;
                };
                let slot = &mut answered[bk as usize];
                *slot += 1;
                r.replies += 1;
                if *slot > 1 {
                    r.duplicates += 1;
                    continue;
                }
                distinct += 1;
                r.last_answer = Some(now);
                let intended = plan.due(i, bk);
                let lat = now.saturating_duration_since(intended);
                r.answer.record(lat);
                *r.answers.entry(ty.clone()).or_default() += 1;
                match ty.as_str() {
                    "accepted" => {
                        r.ack.record(lat);
                        if let (Some(seq), Some(hash)) =
                            (v["receipt"]["seq"].as_u64(), v["receipt"]["hash"].as_str())
                        {
                            r.receipts.push((seq, hash.to_string()));
                        } else {
                            r.unexpected += 1;
                        }
                        if let Some(s) = sent_at[bk as usize] {
                            r.from_send.record(now.saturating_duration_since(s));
                        }
                    }
                    "rejected" => {
                        let reason = v["reason"].as_str().unwrap_or("?").to_string();
                        *r.rejections.entry(reason).or_default() += 1;
                    }
                    "error" => {
                        let code = v["code"].as_str().unwrap_or("?").to_string();
                        *r.errors.entry(code).or_default() += 1;
                    }
                    _ => {}
                }
            }
            tick = ticks.recv(), if paced => {
                let Some(k) = tick.filter(|&k| k < n) else {
                    paced = false;
                    continue;
                };
                let now = Instant::now();
                r.lag.record(now.saturating_duration_since(plan.due(i, k)));
                let price = PRICE_START - PRICE_STEP * k;
                let bid = json!({
                    "type": "bid",
                    "req_id": plan.req_id(i, k),
                    "lot": LOT,
                    "client_bid_id": format!("s{i}-{k}"),
                    "price": format!("{price}.00"),
                })
                .to_string();
                sent_at[k as usize] = Some(now);
                if let Err(e) = ws.send(Message::Text(bid.into())).await {
                    sent_at[k as usize] = None;
                    r.failure = Some(format!("s{i}: send: {e}"));
                    break;
                }
                r.sent += 1;
            }
            _ = tokio::time::sleep_until(deadline) => {
                r.failure = Some(format!(
                    "s{i}: {} of {n} bids unanswered {} s after the last was due",
                    n - distinct,
                    ANSWER_WAIT.as_secs()
                ));
                break;
            }
        }
    }
    r.missing = r.sent.saturating_sub(distinct);
    // Close politely; the server is stopped next anyway.
    let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn req_ids_round_trip_and_schedule_spreads_bidders() {
        let plan = Plan {
            bidders: 7,
            per_bidder: 5,
            period: Duration::from_millis(700),
            start: Instant::now(),
        };
        for i in 0..7 {
            for k in 0..5 {
                assert_eq!(plan.split(plan.req_id(i, k)), (i, k));
            }
        }
        assert_eq!(plan.due(1, 0) - plan.due(0, 0), Duration::from_millis(100));
        assert_eq!(plan.due(0, 1) - plan.due(0, 0), Duration::from_millis(700));
    }

    #[test]
    fn config_lists_the_suppliers() {
        let c = config("loadtest", 3);
        assert!(c.contains("id = \"s0\"") && c.contains("id = \"s2\"") && !c.contains("\"s3\""));
    }

    /// The check behind "no acknowledged bid lost": a receipt whose record is in the log as
    /// given passes; one with another hash, or a seq the log does not have, counts as lost.
    #[test]
    fn lost_receipts_are_counted() {
        let work = crate::fresh_temp_dir("veiling-loadtest-test").unwrap();
        let _cleanup = crate::TempDir(work.clone());
        let path = work.join("t.log");
        let (mut opened, _, opens) = crate::replay::new_log(&path, &config("loadtest", 2)).unwrap();
        crate::replay::fill(&mut opened.driver, 0..2, 10, &mut |i| opens + 1 + i as i64).unwrap();
        drop(opened);
        let bytes = std::fs::read(&path).unwrap();
        let v = veiling::log::chain::verify(&bytes, None, &mut |_| {})
            .verified
            .unwrap();
        let mut receipts: Vec<(u64, String)> = v
            .lines
            .iter()
            .filter(|l| l.kind() == "input")
            .map(|l| (l.seq, l.hash.clone()))
            .collect();
        assert!(receipts.len() >= 10);
        assert_eq!(lost_receipts(&path, &receipts), Ok(0));
        receipts[3].1 = "00".repeat(32);
        receipts.push((9999, "11".repeat(32)));
        assert_eq!(lost_receipts(&path, &receipts), Ok(2));
        assert!(lost_receipts(&work.join("missing.log"), &receipts).is_err());
    }

    #[test]
    fn limits_are_raised_only_above_the_defaults() {
        assert!(server_limits(9.0).is_empty());
        let l = server_limits(50.0);
        assert_eq!(l.len(), 8);
        assert_eq!(
            (l[0].as_str(), l[1].as_str()),
            ("--limit", "bids_per_s=110")
        );
        assert_eq!(auction_id(0), "loadtest");
        assert_eq!(auction_id(2), "loadtest-3");
    }
}
