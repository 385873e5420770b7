//! `conns`: the server's resident memory (VmRSS) per connection. Start the server, read its RSS,
//! open N WebSocket connections that have not authenticated yet, read it again at once (the
//! server closes a connection without `auth` after 10 s), then authenticate every one of them
//! (suppliers, then observers, then auctioneers, 4 connections each, the server's limit per
//! participant), wait for each `welcome`, and read it a third time.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

use crate::bids::{AUCTION_ID, CONNECT_CONCURRENCY, Server, server_bin};
use crate::setup::{People, config, parse_msg, rss_kib, token_of, tokens};
use crate::{Report, Res, Ws, connect_ws, round};

const N_MAX: usize = 5000;
use veiling::core::rules::limits::{OBSERVERS_MAX, SUPPLIERS_MAX};

/// The server's limit of connections per participant (`server::Limits`).
fn per_participant() -> usize {
    veiling::server::Limits::default().connections_per_participant_max
}
/// Time for the server to finish its side of the last connection before RSS is read.
const SETTLE: Duration = Duration::from_millis(300);
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(clap::Args)]
pub struct Args {
    /// Connections (at most 5000).
    #[arg(long, value_name = "N")]
    pub n: usize,
    /// The `veiling` binary (default: next to this binary, else target/release/veiling).
    #[arg(long, value_name = "PATH")]
    pub server_bin: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The participants for `n` connections, 4 each: suppliers, then observers, then auctioneers.
fn people(n: usize) -> People {
    let mut need = n.div_ceil(per_participant());
    let s = need.clamp(1, SUPPLIERS_MAX);
    need = need.saturating_sub(s);
    let o = need.min(OBSERVERS_MAX);
    need = need.saturating_sub(o);
    People {
        suppliers: (0..s).map(|i| format!("s{i}")).collect(),
        observers: (0..o).map(|i| format!("obs{i}")).collect(),
        auctioneers: (0..need.max(1)).map(|i| format!("auc{i}")).collect(),
    }
}

pub fn run(args: &Args) -> Res<Report> {
    let n = args.n;
    if n == 0 || n > N_MAX {
        return Err(format!("--n {n}: must be between 1 and {N_MAX}"));
    }
    crate::ensure_fds(n as u64 + 128)?;
    let bin = server_bin(args.server_bin.as_deref())?;
    let people = people(n);
    let work = crate::fresh_temp_dir("veiling-loadtest")?;
    let _cleanup = crate::TempDir(work.clone());
    let cfg = work.join("loadtest.toml");
    std::fs::write(&cfg, config(&people)).map_err(|e| format!("{}: {e}", cfg.display()))?;
    let data = work.join("data");
    let mut server = Server::start(&bin, &cfg, &data, &work)?;
    let toks = tokens(&data.join(AUCTION_ID).join("credentials.json"))?;
    let ids: Vec<&String> = people
        .suppliers
        .iter()
        .chain(&people.observers)
        .chain(&people.auctioneers)
        .collect();
    let mut conn_tokens = Vec::with_capacity(n);
    for k in 0..n {
        let id = ids
            .get(k / per_participant())
            .ok_or_else(|| format!("no participant for connection {k}"))?;
        conn_tokens.push(token_of(&toks, id)?);
    }

    let rt = crate::client_runtime()?;
    let addr = server.addr;
    let pid = server.pid.clone();
    let outcome = rt.block_on(drive(addr, conn_tokens, &pid));
    rt.shutdown_background();
    let (stopped, stopped_ok) = server.stop();
    let m = outcome?;

    let per = |after: u64, before: u64| round((after as f64 - before as f64) / n as f64, 2);
    let ticks = crate::clock_ticks_per_s() as f64;
    let ok = stopped_ok && m.idle_in_time;
    let json = json!({
        "ok": ok,
        "n": n,
        "participants": {
            "suppliers": people.suppliers.len(),
            "observers": people.observers.len(),
            "auctioneers": people.auctioneers.len(),
            "connections_each": per_participant(),
        },
        "rss_kib": {"before": m.before, "idle": m.idle, "subscribed": m.subscribed},
        "kib_per_idle_conn": per(m.idle, m.before),
        "kib_per_subscribed_conn": per(m.subscribed, m.before),
        "kib_per_auth_step": per(m.subscribed, m.idle),
        "connect_s": round(m.connect_s, 3),
        "connects_per_s": round(n as f64 / m.connect_s.max(1e-9), 1),
        "auth_s": round(m.auth_s, 3),
        "auths_per_s": round(n as f64 / m.auth_s.max(1e-9), 1),
        "idle_read_within_auth_timeout": m.idle_in_time,
        "server_cpu": {
            "connect_cpu_s": round(m.connect_ticks as f64 / ticks, 3),
            "auth_cpu_s": round(m.auth_ticks as f64 / ticks, 3),
            "us_per_connect": round(m.connect_ticks as f64 / ticks * 1e6 / n as f64, 1),
            "us_per_auth": round(m.auth_ticks as f64 / ticks * 1e6 / n as f64, 1),
        },
        "baseline": "none in-run; compare kib_per_subscribed_conn with the outbound queue (64 messages) and buffers (4 KiB read, 1 MiB max write) of server::Limits",
        "server_bin": bin.display().to_string(),
        "server_addr": addr.to_string(),
        "server_stop": stopped,
    });
    let text = format!(
        "{n} connections against {addr}\nRSS: {} KiB before, {} KiB idle, {} KiB subscribed\n\
         KiB per idle connection {}, per subscribed connection {}\n\
         connected in {:.2} s, authenticated in {:.2} s\nserver stop: {stopped}\n",
        m.before,
        m.idle,
        m.subscribed,
        per(m.idle, m.before),
        per(m.subscribed, m.before),
        m.connect_s,
        m.auth_s,
    );
    Ok(Report { json, text, ok })
}

struct Memory {
    before: u64,
    idle: u64,
    subscribed: u64,
    connect_s: f64,
    auth_s: f64,
    idle_in_time: bool,
    connect_ticks: u64,
    auth_ticks: u64,
}

async fn drive(addr: SocketAddr, conn_tokens: Vec<String>, pid: &str) -> Res<Memory> {
    let n = conn_tokens.len();
    tokio::time::sleep(SETTLE).await;
    let before = rss_kib(pid)?;
    let cpu0 = crate::cpu_ticks(pid)?;
    let gate = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
    let t0 = Instant::now();
    let mut joins = Vec::with_capacity(n);
    for k in 0..n {
        let gate = Arc::clone(&gate);
        joins.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.map_err(|e| e.to_string())?;
            tokio::time::timeout(STEP_TIMEOUT, connect_ws(addr))
                .await
                .map_err(|_| format!("connection {k}: not connected in time"))?
                .map_err(|e| format!("connection {k}: {e}"))
        }));
    }
    let mut conns = Vec::with_capacity(n);
    for j in joins {
        conns.push(j.await.map_err(|e| format!("a connection's task: {e}"))??);
    }
    let connect_s = t0.elapsed().as_secs_f64();
    tokio::time::sleep(SETTLE).await;
    let idle = rss_kib(pid)?;
    let cpu1 = crate::cpu_ticks(pid)?;
    // The first connection's 10 s started at t0: the idle figure is only valid before then.
    let idle_in_time = t0.elapsed() < veiling::server::Limits::default().auth_timeout;
    if !idle_in_time {
        return Err(format!(
            "connecting {n} took {connect_s:.1} s: the first connections hit the server's 10 s \
             auth timeout; use fewer"
        ));
    }

    let t1 = Instant::now();
    let mut auths = Vec::with_capacity(n);
    for (k, (ws, token)) in conns.into_iter().zip(conn_tokens).enumerate() {
        let gate = Arc::clone(&gate);
        auths.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.map_err(|e| e.to_string())?;
            tokio::time::timeout(STEP_TIMEOUT, auth(ws, &token))
                .await
                .map_err(|_| format!("connection {k}: no welcome in time"))?
                .map_err(|e| format!("connection {k}: {e}"))
        }));
    }
    let mut subscribed_conns = Vec::with_capacity(n);
    for a in auths {
        subscribed_conns.push(a.await.map_err(|e| format!("an auth task: {e}"))??);
    }
    let auth_s = t1.elapsed().as_secs_f64();
    tokio::time::sleep(SETTLE).await;
    let subscribed = rss_kib(pid)?;
    let cpu2 = crate::cpu_ticks(pid)?;
    drop(subscribed_conns);
    Ok(Memory {
        before,
        idle,
        subscribed,
        connect_s,
        auth_s,
        idle_in_time,
        connect_ticks: cpu1.saturating_sub(cpu0),
        auth_ticks: cpu2.saturating_sub(cpu1),
    })
}

/// Send `auth` and read until the `welcome`.
async fn auth(mut ws: Ws, token: &str) -> Res<Ws> {
    let msg = json!({"type": "auth", "req_id": "auth", "token": token}).to_string();
    ws.send(Message::Text(msg.into()))
        .await
        .map_err(|e| format!("send auth: {e}"))?;
    loop {
        let Some(v) = parse_msg(ws.next().await)? else {
            continue;
        };
        match v["type"].as_str() {
            Some("welcome") => return Ok(ws),
            Some("error") => {
                return Err(format!(
                    "auth refused: {} {}",
                    v["code"],
                    v.get("message").unwrap_or(&Value::Null)
                ));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_cover_the_connections() {
        let p = people(5000);
        let total = p.suppliers.len() + p.observers.len() + p.auctioneers.len();
        assert!(total * per_participant() >= 5000 && p.auctioneers.len() <= 50);
        assert_eq!(people(7).suppliers.len(), 2);
    }
}
