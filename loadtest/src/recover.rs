//! `recover`: restart time on a log of about N records. Start the server, have B suppliers bid
//! at 9 bids/s each (the server's rate limit is 10/s) until some N bids are logged, stop it with
//! SIGTERM, then start it again on the same data directory and time, from the process's start:
//! its `listening` line, the first `welcome`, and the first accepted bid. Recovery re-executes
//! every record of the log, so these grow with N.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::bids::{
    AUCTION_ID, JOIN_TIMEOUT, LOT, PRICE_START, PRICE_STEP, Server, drive, join, server_bin,
};
use crate::setup::{People, config, parse_msg, token_of, tokens};
use crate::{Report, Res, check_fds, round};

const EVENTS_MAX: u64 = 2_000_000;
/// The config's limit on suppliers.
const BIDDERS_MAX: u64 = veiling::core::rules::limits::SUPPLIERS_MAX as u64;
/// Bids per bidder and second, below the server's 10/s per supplier.
const PER_BIDDER_RATE: f64 = 9.0;
/// Bids per bidder at least (so that small runs use few connections).
const BIDS_PER_BIDDER_MIN: u64 = 20;

#[derive(clap::Args)]
pub struct Args {
    /// About how many bids the log should hold (at most 2,000,000; the run takes about
    /// N / 9000 s and more for large N, as at most 1000 suppliers bid at 9/s).
    #[arg(long, value_name = "N")]
    pub events: u64,
    /// The `veiling` binary (default: next to this binary, else target/release/veiling).
    #[arg(long, value_name = "PATH")]
    pub server_bin: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &Args) -> Res<Report> {
    let n = args.events;
    if n == 0 || n > EVENTS_MAX {
        return Err(format!("--events {n}: must be between 1 and {EVENTS_MAX}"));
    }
    let b = n.div_ceil(BIDS_PER_BIDDER_MIN).clamp(1, BIDDERS_MAX);
    let per_bidder = n.div_ceil(b);
    check_fds(b + 64)?;
    let bin = server_bin(args.server_bin.as_deref())?;
    let people = People {
        suppliers: (0..b).map(|i| format!("s{i}")).collect(),
        observers: Vec::new(),
        auctioneers: vec!["a1".into()],
    };
    let work = crate::fresh_temp_dir("veiling-loadtest")?;
    let _cleanup = crate::TempDir(work.clone());
    let cfg = work.join("loadtest.toml");
    std::fs::write(&cfg, config(&people)).map_err(|e| format!("{}: {e}", cfg.display()))?;
    let data = work.join("data");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .thread_name("loadtest-client")
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;

    // 1. Fill the log.
    let t_fill = Instant::now();
    let mut server = Server::start(&bin, &cfg, &data, &work)?;
    let empty_start = t_fill.elapsed();
    let toks = tokens(&data.join(AUCTION_ID).join("credentials.json"))?;
    let bidder_tokens = people
        .suppliers
        .iter()
        .map(|id| token_of(&toks, id))
        .collect::<Res<Vec<_>>>()?;
    let addr = server.addr;
    let pid = server.pid.clone();
    let filled = rt.block_on(drive(
        addr,
        bidder_tokens,
        per_bidder,
        PER_BIDDER_RATE,
        &pid,
    ));
    let (stop1, stop1_ok) = server.stop();
    drop(server);
    let (results, _) = filled?;
    let accepted: u64 = results
        .iter()
        .map(|r| r.answers.get("accepted").copied().unwrap_or(0))
        .sum();
    let fill_s = t_fill.elapsed().as_secs_f64();
    let log = data.join(AUCTION_ID).join("live.log");
    let (records, log_bytes) = count_lines(&log)?;

    // 2. Restart on it, and time it.
    let t0 = Instant::now();
    let mut server = Server::start(&bin, &cfg, &data, &work)?;
    let listening = t0.elapsed();
    let token = token_of(&toks, "s0")?;
    let price = PRICE_START - PRICE_STEP * per_bidder;
    let restarted = rt.block_on(first_bid(server.addr, &token, price));
    let (stop2, stop2_ok) = server.stop();
    rt.shutdown_background();
    let (welcome_at, ack_at) = restarted?;
    let welcome = welcome_at.saturating_duration_since(t0).as_secs_f64();
    let ack = ack_at.saturating_duration_since(t0).as_secs_f64();

    let ok = stop1_ok && stop2_ok && accepted > 0;
    let json = json!({
        "ok": ok,
        "events_asked": n,
        "fill": {
            "how": "live bids: B suppliers at 9 bids/s each, then SIGTERM",
            "bidders": b,
            "bids_per_bidder": per_bidder,
            "bids_accepted": accepted,
            "seconds": round(fill_s, 2),
            "server_stop": stop1,
        },
        "log": {"records": records, "bytes": log_bytes},
        "empty_start_to_listening_s": round(empty_start.as_secs_f64(), 4),
        "restart_to_listening_s": round(listening.as_secs_f64(), 4),
        "restart_to_first_welcome_s": round(welcome, 4),
        "restart_to_first_accepted_bid_s": round(ack, 4),
        "ready_measure": "first accepted bid (the auction is still open)",
        "records_per_s": if ack > 0.0 { json!(round(records as f64 / ack, 1)) } else { Value::Null },
        "baseline": "empty_start_to_listening_s: the same server's first start on an empty data directory (it also writes the key and credentials); recovery cost ~ restart_to_first_accepted_bid_s - empty_start_to_listening_s",
        "server_bin": bin.display().to_string(),
        "server_stop": stop2,
    });
    let text = format!(
        "log of {records} records ({log_bytes} bytes) from {accepted} accepted bids by {b} \
         bidders in {fill_s:.1} s\nrestart: listening after {:.3} s, first welcome after \
         {welcome:.3} s, first accepted bid after {ack:.3} s ({:.0} records/s)\n\
         server stops: {stop1}; {stop2}\n",
        listening.as_secs_f64(),
        if ack > 0.0 { records as f64 / ack } else { 0.0 },
    );
    Ok(Report { json, text, ok })
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
