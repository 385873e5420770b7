//! `fanout`: the real server's fan-out. N audience sessions (observers `obs0..`, and beyond the
//! config's 200 observers, suppliers `a0..` that take part in nothing; beyond the 1198 such
//! participants, several connections each, with the server's per-participant connection limit
//! raised to fit) and two bidding suppliers `s0`, `s1`. K rounds: one bid, then the time from sending it until the
//! last of the N sessions has heard of it (an observer's `bid` notice with the bid's `seq`, an
//! audience supplier's coalesced `state` with `seq` >= the bid's). Compared with `calibrate`'s
//! `broadcast`.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc};
use tokio_tungstenite::tungstenite::Message;

use crate::bids::{
    AUCTION_ID, CONNECT_CONCURRENCY, JOIN_TIMEOUT, LOT, PRICE_START, PRICE_STEP, Server, join,
    server_bin,
};
use crate::setup::{People, config, parse_msg, token_of, tokens};
use crate::{Lat, Report, Res, Ws, round};

/// The config's limits: observers, and suppliers (two of which bid).
use veiling::core::rules::limits::{OBSERVERS_MAX, SUPPLIERS_MAX};
/// Audience participants at most: every observer and every supplier but the two bidders.
const PARTICIPANTS_MAX: usize = OBSERVERS_MAX + SUPPLIERS_MAX - 2;
/// Sessions at most.
pub(crate) const N_MAX: usize = 10_000;
const ROUNDS_MAX: usize = 1000;
/// One round: the bid's answer and every recipient's notice.
const ROUND_TIMEOUT: Duration = Duration::from_secs(10);
/// Rounds start at least this far apart: two bidders alternate, so each bids at most 5/s, below
/// the server's 10/s per supplier, and a supplier's snapshot (at most one per 20 ms) of one
/// round is not merged with the next.
const ROUND_GAP: Duration = Duration::from_millis(100);

#[derive(clap::Args, Clone)]
pub struct Args {
    /// Audience sessions (at most 10000: 200 observers, then up to 998 suppliers; beyond 1198,
    /// several connections per participant).
    #[arg(long, value_name = "N")]
    pub n: usize,
    /// Bids, one per round (at most 1000).
    #[arg(long, value_name = "K", default_value_t = 50)]
    pub rounds: usize,
    /// The `veiling` binary (default: next to this binary, else target/release/veiling).
    #[arg(long, value_name = "PATH")]
    pub server_bin: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Who hears what: observers a `bid` notice, suppliers a `state` snapshot.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Observer,
    Supplier,
}

struct Outcome {
    fan: Lat,
    ack: Lat,
    after_ack: Lat,
    rounds_done: usize,
    server_ticks: u64,
    wall: Duration,
    connect_s: f64,
    failure: Option<String>,
}

pub fn run(args: &Args) -> Res<Report> {
    let n = args.n;
    if n == 0 || n > N_MAX {
        return Err(format!("--n {n}: must be between 1 and {N_MAX}"));
    }
    if args.rounds == 0 || args.rounds > ROUNDS_MAX {
        return Err(format!(
            "--rounds {}: must be between 1 and {ROUNDS_MAX}",
            args.rounds
        ));
    }
    // The server (a child) inherits the raised limit: it holds as many sockets as we do.
    crate::ensure_fds(n as u64 + 256)?;
    let bin = server_bin(args.server_bin.as_deref())?;
    let participants = n.min(PARTICIPANTS_MAX);
    let each = n.div_ceil(participants);
    let observers: Vec<String> = (0..participants.min(OBSERVERS_MAX))
        .map(|i| format!("obs{i}"))
        .collect();
    let audience_suppliers: Vec<String> = (0..participants - observers.len())
        .map(|i| format!("a{i}"))
        .collect();
    let mut suppliers = vec!["s0".to_string(), "s1".to_string()];
    suppliers.extend(audience_suppliers.iter().cloned());
    let people = People {
        suppliers,
        observers: observers.clone(),
        auctioneers: vec!["auc".into()],
    };

    let work = crate::fresh_temp_dir("veiling-loadtest")?;
    let _cleanup = crate::TempDir(work.clone());
    let cfg = work.join("loadtest.toml");
    std::fs::write(&cfg, config(&people)).map_err(|e| format!("{}: {e}", cfg.display()))?;
    let data = work.join("data");
    let mut extra = Vec::new();
    if n > veiling::server::Limits::default()
        .connections_max
        .saturating_sub(64)
        || each > 1
    {
        extra.extend([
            "--limit".to_string(),
            format!(
                "connections_max={}",
                (n + 64).max(veiling::server::Limits::default().connections_max)
            ),
            "--limit".to_string(),
            format!("connections_per_participant_max={}", each.max(4)),
        ]);
    }
    let mut server = Server::start_with(&bin, std::slice::from_ref(&cfg), &data, &work, &extra)?;
    let toks = tokens(&data.join(AUCTION_ID).join("credentials.json"))?;
    let mut participants_list = Vec::with_capacity(participants);
    for o in &observers {
        participants_list.push((o.clone(), token_of(&toks, o)?, Kind::Observer));
    }
    for s in &audience_suppliers {
        participants_list.push((s.clone(), token_of(&toks, s)?, Kind::Supplier));
    }
    // Session i is a connection of participant i mod P.
    let audience: Vec<(String, String, Kind)> = (0..n)
        .filter_map(|i| participants_list.get(i % participants).cloned())
        .collect();
    let bidders = [token_of(&toks, "s0")?, token_of(&toks, "s1")?];

    let rt = crate::client_runtime()?;
    let addr = server.addr;
    let pid = server.pid.clone();
    let observer_sessions = audience.iter().filter(|a| a.2 == Kind::Observer).count();
    let outcome = rt.block_on(drive(addr, audience, bidders, args.rounds, &pid));
    rt.shutdown_background();
    let (stopped, stopped_ok) = server.stop();
    let o = outcome?;

    let ticks = crate::clock_ticks_per_s();
    let cpu_s = o.server_ticks as f64 / ticks as f64;
    let deliveries = (o.rounds_done * n) as f64;
    let p50 = o.fan.quantile(0.5);
    let per_recipient = p50.map(|p| round(p as f64 / n as f64, 2));
    let ok = o.failure.is_none() && o.rounds_done == args.rounds && stopped_ok;
    let json = json!({
        "ok": ok,
        "n": n,
        "audience": {
            "observers": observers.len(),
            "suppliers": audience_suppliers.len(),
            "connections_per_participant": each,
            "observer_sessions": observer_sessions,
            "observers_hear": "bid notice with the bid's seq",
            "suppliers_hear": "state snapshot with seq >= the bid's (coalesced, at most one per 20 ms)",
        },
        "rounds": args.rounds,
        "rounds_done": o.rounds_done,
        "bid_to_last_recipient_us": o.fan.json(),
        "bid_to_ack_us": o.ack.json(),
        "ack_to_last_recipient_us": o.after_ack.json(),
        "per_recipient_us": per_recipient,
        "connect_s": round(o.connect_s, 3),
        "server_cpu": {
            "cpu_s": round(cpu_s, 3),
            "wall_s": round(o.wall.as_secs_f64(), 3),
            "us_per_recipient": if deliveries > 0.0 {
                json!(round(cpu_s * 1e6 / deliveries, 2))
            } else {
                Value::Null
            },
        },
        "clk_tck": ticks,
        "baseline": "calibrate --fanout-n N: broadcast.to_last_client_us.p50_us; r_fanout = bid_to_last_recipient_us.p50_us / that",
        "server_bin": bin.display().to_string(),
        "server_addr": addr.to_string(),
        "server_stop": stopped,
        "failure": o.failure,
    });
    let text = format!(
        "fan-out to {n} sessions ({} observers, {} suppliers), {}/{} rounds against {addr}\n\
         bid to last recipient: {}\nbid to ack:            {}\n\
         per recipient (p50 / N): {} µs; server CPU {cpu_s:.3} s over {} deliveries\n\
         server stop: {stopped}\n{}",
        observers.len(),
        audience_suppliers.len(),
        o.rounds_done,
        args.rounds,
        o.fan.text(),
        o.ack.text(),
        per_recipient.map_or("-".into(), |p| p.to_string()),
        deliveries,
        o.failure
            .as_ref()
            .map_or(String::new(), |f| format!("failure: {f}\n")),
    );
    Ok(Report { json, text, ok })
}

/// Connect every session, then run the rounds.
async fn drive(
    addr: SocketAddr,
    audience: Vec<(String, String, Kind)>,
    bidder_tokens: [String; 2],
    rounds: usize,
    pid: &str,
) -> Res<Outcome> {
    let n = audience.len();
    let t_connect = Instant::now();
    let gate = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
    let mut joins = Vec::with_capacity(n);
    for (id, token, kind) in audience {
        let gate = Arc::clone(&gate);
        joins.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.map_err(|e| e.to_string())?;
            let ws = tokio::time::timeout(JOIN_TIMEOUT, join(addr, &token))
                .await
                .map_err(|_| format!("{id}: not joined within {} s", JOIN_TIMEOUT.as_secs()))?
                .map_err(|e| format!("{id}: {e}"))?;
            Ok::<_, String>((ws, kind))
        }));
    }
    let mut sessions = Vec::with_capacity(n);
    for j in joins {
        sessions.push(j.await.map_err(|e| format!("a session's task: {e}"))??);
    }
    let mut bidders = Vec::with_capacity(2);
    for (i, token) in bidder_tokens.iter().enumerate() {
        let ws = tokio::time::timeout(JOIN_TIMEOUT, join(addr, token))
            .await
            .map_err(|_| format!("s{i}: not joined in time"))?
            .map_err(|e| format!("s{i}: {e}"))?;
        bidders.push(ws);
    }
    let connect_s = t_connect.elapsed().as_secs_f64();

    // Each session's reader reports (session, seq, arrival) for what counts for its kind.
    let (tx, mut rx) = mpsc::unbounded_channel::<(usize, u64, Instant)>();
    let mut readers = Vec::with_capacity(n);
    for (i, (ws, kind)) in sessions.into_iter().enumerate() {
        readers.push(tokio::spawn(listen(i, ws, kind, tx.clone())));
    }
    drop(tx);
    // Let the welcome's follow-ups settle, then forget them.
    tokio::time::sleep(Duration::from_millis(300)).await;
    while rx.try_recv().is_ok() {}

    let mut fan = Lat::new()?;
    let mut ack = Lat::new()?;
    let mut after_ack = Lat::new()?;
    let mut heard: Vec<VecDeque<(u64, Instant)>> = vec![VecDeque::new(); n];
    let server0 = crate::cpu_ticks(pid)?;
    let t0 = Instant::now();
    let mut failure = None;
    let mut done = 0;
    for r in 0..rounds {
        let next = Instant::now() + ROUND_GAP;
        let Some(ws) = bidders.get_mut(r % 2) else {
            break;
        };
        let price = PRICE_START - PRICE_STEP * r as u64;
        let bid = json!({
            "type": "bid", "req_id": r, "lot": LOT,
            "client_bid_id": format!("fan-{r}"), "price": format!("{price}.00"),
        })
        .to_string();
        let sent = Instant::now();
        let deadline = tokio::time::Instant::from_std(sent + ROUND_TIMEOUT);
        if let Err(e) = ws.send(Message::Text(bid.into())).await {
            failure = Some(format!("round {r}: send: {e}"));
            break;
        }
        let seq = match tokio::time::timeout_at(deadline, accepted_seq(ws, r)).await {
            Ok(Ok(seq)) => seq,
            Ok(Err(e)) => {
                failure = Some(format!("round {r}: {e}"));
                break;
            }
            Err(_) => {
                failure = Some(format!("round {r}: no answer within 10 s"));
                break;
            }
        };
        let acked = Instant::now();
        ack.record(acked - sent);
        // Wait until every session has something at or after `seq`.
        let mut reached = 0usize;
        let mut last = sent;
        let mut reached_by = vec![false; n];
        for (i, h) in heard.iter_mut().enumerate() {
            if reaches(h, seq, &mut last) {
                reached_by[i] = true;
                reached += 1;
            }
        }
        while reached < n {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some((i, s, t))) => {
                    let Some(h) = heard.get_mut(i) else { continue };
                    h.push_back((s, t));
                    if !reached_by[i] && reaches(h, seq, &mut last) {
                        reached_by[i] = true;
                        reached += 1;
                    }
                }
                Ok(None) => {
                    failure = Some(format!("round {r}: every session has closed"));
                    break;
                }
                Err(_) => {
                    failure = Some(format!(
                        "round {r}: {reached} of {n} sessions heard of bid {seq} within 10 s"
                    ));
                    break;
                }
            }
        }
        if failure.is_some() {
            break;
        }
        fan.record(last.saturating_duration_since(sent));
        after_ack.record(last.saturating_duration_since(acked));
        done += 1;
        tokio::time::sleep_until(tokio::time::Instant::from_std(next)).await;
    }
    let wall = t0.elapsed();
    let server_ticks = crate::cpu_ticks(pid)?.saturating_sub(server0);
    for h in readers {
        h.abort();
    }
    for mut ws in bidders {
        let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
    }
    Ok(Outcome {
        fan,
        ack,
        after_ack,
        rounds_done: done,
        server_ticks,
        wall,
        connect_s,
        failure,
    })
}

/// Whether a session has heard of `seq` (or later): drop what it heard before, and move `last`
/// to the arrival of the first at or after it.
fn reaches(heard: &mut VecDeque<(u64, Instant)>, seq: u64, last: &mut Instant) -> bool {
    while let Some(&(s, t)) = heard.front() {
        if s >= seq {
            *last = (*last).max(t);
            return true;
        }
        heard.pop_front();
    }
    false
}

/// Read the bidder's connection until the answer to `req_id`; its `seq` if accepted.
async fn accepted_seq(ws: &mut Ws, req_id: usize) -> Res<u64> {
    loop {
        let Some(v) = parse_msg(ws.next().await)? else {
            continue;
        };
        if v.get("req_id").and_then(Value::as_u64) != Some(req_id as u64) {
            continue;
        }
        return match v["type"].as_str() {
            Some("accepted") => v["seq"]
                .as_u64()
                .ok_or_else(|| "accepted without seq".to_string()),
            _ => Err(format!("bid answered with {v}")),
        };
    }
}

/// One audience session: report every `bid` notice (observer) or snapshot (supplier).
async fn listen(
    i: usize,
    mut ws: Ws,
    kind: Kind,
    tx: mpsc::UnboundedSender<(usize, u64, Instant)>,
) {
    while let Ok(msg) = parse_msg(ws.next().await) {
        let now = Instant::now();
        let Some(v) = msg else { continue };
        let wanted = match kind {
            Kind::Observer => v["type"] == "bid",
            Kind::Supplier => v["type"] == "state" && v.get("req_id").is_none(),
        };
        if let (true, Some(seq)) = (wanted, v["seq"].as_u64())
            && tx.send((i, seq, now)).is_err()
        {
            return;
        }
    }
}
