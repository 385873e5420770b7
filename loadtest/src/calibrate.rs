//! `calibrate`: the baselines that the server's figures are compared with, measured in the same
//! run on the same machine (which is shared and noisy, so only ratios carry over).
//!
//! - `fdatasync`: append one 200-byte record and `sync_data()`, again and again: the floor under
//!   every acknowledgement (nothing is acknowledged before it is durable).
//! - `group_commit`: the same with 100 records per sync, written with one `write` as the log's
//!   writer does: what batching buys.
//! - `echo`: a WebSocket echo server on the server's stack and settings, and one client doing
//!   ping-pong with a bid-sized text: the transport floor under a bid's round trip.
//! - `broadcast`: a minimal fan-out server (one text serialised once, one bounded queue per
//!   connection, one writer task per connection, as the server's connection layer does) in a
//!   child process, and N clients: the time from asking it for a broadcast until the last client
//!   has it.
//!
//! The echo server runs on a runtime of its own (2 worker threads, like `veiling serve`'s) and
//! the client on another, so client and server compete for the 2 cores roughly as a separate
//! server process would; the broadcast server is a separate process (`loadtest
//! broadcast-server`, 2 workers).

use std::io::{Seek, SeekFrom, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::{Lat, Pace, Report, Res, connect_ws, duration_arg, round, runtime, ws_config};

/// The most clients of the broadcast probe.
const FANOUT_N_MAX: usize = 20_000;
/// Broadcast rounds at most (fewer when the duration runs out first).
const BROADCAST_ROUNDS: usize = 50;
/// How long one broadcast round may take before the probe gives up.
const ROUND_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection's outbound queue in the broadcast server (the server's `outbound_max`).
const OUTBOUND_MAX: usize = 64;
/// Client connections being set up at once.
const CONNECT_CONCURRENCY: usize = 128;
/// Bytes of one log record in the fdatasync probes.
const RECORD_BYTES: usize = 200;
/// Records per sync in the group-commit probe.
const GROUP: usize = 100;
/// Records per sync at most.
const GROUP_MAX: usize = 10_000;
/// The fastest pace of the paced probes.
const RATE_MAX: f64 = 100_000.0;
/// The probe file is cut back to empty (outside the timing) when it grows past this.
const FSYNC_FILE_BYTES_MAX: u64 = 64 * 1024 * 1024;
/// Unrecorded round trips before the echo measurement (connection and allocator warm-up).
const ECHO_WARMUP: usize = 200;
/// The broadcast text's size.
const BROADCAST_BYTES: usize = 1024;
/// The echoed text's size (a bid message is 100-150 bytes).
const ECHO_BYTES: usize = 150;

#[derive(clap::Args, Clone)]
pub struct Args {
    /// Directory for the fdatasync probes (default: a fresh temporary directory, removed after).
    /// Use the disk the server's data directory will be on.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Seconds per probe.
    #[arg(long, value_name = "N", default_value_t = 3.0)]
    pub duration_s: f64,
    /// Clients of the broadcast probe (at most 20000).
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub fanout_n: usize,
    /// Records per sync in the group-commit probe.
    #[arg(long, value_name = "N", default_value_t = GROUP)]
    pub group: usize,
    /// Also pace the echo and fdatasync probes at R per second (open loop), as a server sees
    /// traffic at that rate: between messages its threads sleep and the disk idles, which makes
    /// both slower than back to back.
    #[arg(long, value_name = "R")]
    pub rate: Option<f64>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &Args) -> Res<Report> {
    let dur = duration_arg("--duration-s", args.duration_s, 600.0)?;
    let n = args.fanout_n;
    if n == 0 || n > FANOUT_N_MAX {
        return Err(format!(
            "--fanout-n {n}: must be between 1 and {FANOUT_N_MAX}"
        ));
    }
    // The clients' ends of the broadcast connections live in this process, the server's in a
    // child that inherits the limit.
    crate::ensure_fds(n as u64 + 128)?;
    if args.group == 0 || args.group > GROUP_MAX {
        return Err(format!(
            "--group {}: must be between 1 and {GROUP_MAX}",
            args.group
        ));
    }
    if let Some(r) = args.rate
        && !(r.is_finite() && r > 0.0 && r <= RATE_MAX)
    {
        return Err(format!(
            "--rate {r}: must be above 0 and at most {RATE_MAX}"
        ));
    }

    // The disk probes first, before any runtime thread exists.
    let (dir, _cleanup) = match &args.data_dir {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
            (d.clone(), None)
        }
        None => {
            let d = crate::fresh_temp_dir("veiling-calibrate")?;
            (d.clone(), Some(crate::TempDir(d)))
        }
    };
    let fs = fs_type(&dir);
    let one = fsync_probe(&dir, 1, None, dur)?;
    let group = fsync_probe(&dir, args.group, None, dur)?;
    let one_paced = match args.rate {
        Some(r) => Some(fsync_probe(&dir, 1, Some(r), dur)?),
        None => None,
    };

    let server_rt = runtime("baseline-server", 2)?;
    let client_rt = crate::client_runtime()?;
    let echo = echo_probe(&server_rt, &client_rt, None, dur);
    let echo_paced = args
        .rate
        .map(|r| echo_probe(&server_rt, &client_rt, Some(r), dur));
    let fan = echo.as_ref().ok().map(|_| fanout_probe(&client_rt, n, dur));
    // Connections still open die with the runtimes; nothing waits for them.
    client_rt.shutdown_background();
    server_rt.shutdown_background();
    let echo = echo?;
    let echo_paced = echo_paced.transpose()?;
    let fan = fan.ok_or("broadcast: not run")??;

    let ratio = if one.records_per_s > 0.0 {
        group.records_per_s / one.records_per_s
    } else {
        0.0
    };
    let mut json = json!({
        "ok": true,
        "duration_s": args.duration_s,
        "echo": {
            "message_bytes": ECHO_BYTES,
            "rtt_us": echo.rtt.json(),
            "round_trips_per_s": round(echo.per_s, 1),
        },
        "fdatasync": {
            "dir": dir.display().to_string(),
            "filesystem": fs,
            "record_bytes": RECORD_BYTES,
            "latency_us": one.lat.json(),
            "syncs_per_s": round(one.syncs_per_s, 1),
        },
        "group_commit": {
            "records_per_sync": args.group,
            "sync_latency_us": group.lat.json(),
            "syncs_per_s": round(group.syncs_per_s, 1),
            "records_per_s": round(group.records_per_s, 1),
            "ratio_to_one_per_sync": round(ratio, 2),
        },
        "broadcast": {
            "clients": n,
            "message_bytes": BROADCAST_BYTES,
            "rounds": fan.rounds.count(),
            "connect_s": round(fan.connect.as_secs_f64(), 3),
            "to_last_client_us": fan.rounds.json(),
            "per_recipient_us": fan.rounds.quantile(0.5).map(|p| round(p as f64 / n as f64, 3)),
        },
    });
    if let (Some(r), Some(e), Some(f)) = (args.rate, &echo_paced, &one_paced) {
        json["paced"] = json!({
            "rate_per_s": r,
            "echo_rtt_us": e.rtt.json(),
            "fdatasync_latency_us": f.lat.json(),
        });
    }
    let mut text = format!(
        "echo (WebSocket round trip, {ECHO_BYTES}-byte text): {}; {:.0} round trips/s\n\
         fdatasync ({RECORD_BYTES}-byte record per sync, {} on {fs}): {}; {:.0} syncs/s\n\
         group commit ({} records per sync): {:.0} records/s = {ratio:.1} x one per sync \
         (sync {})\n\
         broadcast ({BROADCAST_BYTES} bytes to {n} clients, {} rounds, connected in {:.2} s): \
         to the last client {}; per recipient {} µs at p50\n",
        echo.rtt.text(),
        echo.per_s,
        dir.display(),
        one.lat.text(),
        one.syncs_per_s,
        args.group,
        group.records_per_s,
        group.lat.text(),
        fan.rounds.count(),
        fan.connect.as_secs_f64(),
        fan.rounds.text(),
        fan.rounds
            .quantile(0.5)
            .map_or("-".into(), |p| format!("{:.2}", p as f64 / n as f64)),
    );
    if let (Some(r), Some(e), Some(f)) = (args.rate, &echo_paced, &one_paced) {
        text.push_str(&format!(
            "paced at {r}/s: echo {}\n               fdatasync {}\n",
            e.rtt.text(),
            f.lat.text()
        ));
    }
    Ok(Report {
        json,
        text,
        ok: true,
    })
}

/// The echo round trip back to back (`rate` None) or paced at `rate` per second, on runtimes of
/// its own: the baseline under a bid's round trip.
pub(crate) fn echo_at(rate: Option<f64>, dur: Duration) -> Res<Lat> {
    let server_rt = runtime("baseline-server", 2)?;
    let client_rt = crate::client_runtime()?;
    let echo = echo_probe(&server_rt, &client_rt, rate, dur);
    client_rt.shutdown_background();
    server_rt.shutdown_background();
    Ok(echo?.rtt)
}

/// The minimal broadcast to `n` clients: time to the last client, per round.
pub(crate) fn broadcast_at(n: usize, dur: Duration) -> Res<Lat> {
    crate::ensure_fds(n as u64 + 128)?;
    let client_rt = crate::client_runtime()?;
    let fan = fanout_probe(&client_rt, n, dur);
    client_rt.shutdown_background();
    Ok(fan?.rounds)
}

/// The file system type holding `dir` (from `/proc/self/mounts`): "tmpfs" means the fdatasync
/// figures are memory, not disk.
fn fs_type(dir: &Path) -> String {
    let Ok(path) = std::fs::canonicalize(dir) else {
        return "unknown".into();
    };
    let Ok(mounts) = std::fs::read_to_string("/proc/self/mounts") else {
        return "unknown".into();
    };
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_dev, point, ty) = (f.next()?, f.next()?, f.next()?);
            path.starts_with(point)
                .then(|| (point.len(), ty.to_string()))
        })
        .max_by_key(|(len, _)| *len)
        .map_or("unknown".into(), |(_, ty)| ty)
}

pub(crate) struct Fsync {
    pub(crate) lat: Lat,
    pub(crate) syncs_per_s: f64,
    pub(crate) records_per_s: f64,
}

/// Append `per_sync` records with one write, then `sync_data()` (fdatasync); repeat for `dur`,
/// back to back or (`rate`) starting one every 1/rate s (open loop: a late one starts at once).
/// The latency is write + sync, per sync.
pub(crate) fn fsync_probe(
    dir: &Path,
    per_sync: usize,
    rate: Option<f64>,
    dur: Duration,
) -> Res<Fsync> {
    let path = dir.join(format!("loadtest-fsync-{per_sync}.dat"));
    let ctx = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)
        .map_err(ctx)?;
    let mut record = [b'r'; RECORD_BYTES];
    record[RECORD_BYTES - 1] = b'\n';
    let batch = record.repeat(per_sync);
    let mut lat = Lat::new()?;
    let mut size = 0u64;
    let mut syncs = 0u64;
    let start = Instant::now();
    let mut pace = Pace::new(rate);
    while start.elapsed() < dur {
        pace.wait();
        if size > FSYNC_FILE_BYTES_MAX {
            // Keep the file bounded; this is outside the timing.
            file.set_len(0).map_err(ctx)?;
            file.seek(SeekFrom::Start(0)).map_err(ctx)?;
            file.sync_data().map_err(ctx)?;
            size = 0;
        }
        let t0 = Instant::now();
        file.write_all(&batch).map_err(ctx)?;
        file.sync_data().map_err(ctx)?;
        lat.record(t0.elapsed());
        size += batch.len() as u64;
        syncs += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    drop(file);
    let _ = std::fs::remove_file(&path);
    Ok(Fsync {
        lat,
        syncs_per_s: syncs as f64 / secs,
        records_per_s: (syncs * per_sync as u64) as f64 / secs,
    })
}

/// A JSON text shaped like a bid, padded to `ECHO_BYTES`.
fn echo_text() -> String {
    let head = r#"{"type":"bid","req_id":123456,"lot":"lot-1","client_bid_id":"s17-000123","price":"8999990.00","pad":""#;
    let mut s = String::from(head);
    while s.len() < ECHO_BYTES - 2 {
        s.push('x');
    }
    s.push_str("\"}");
    s
}

struct Echo {
    rtt: Lat,
    per_s: f64,
}

fn echo_probe(
    server_rt: &Runtime,
    client_rt: &Runtime,
    rate: Option<f64>,
    dur: Duration,
) -> Res<Echo> {
    let listener = server_rt
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .map_err(|e| format!("echo: bind 127.0.0.1:0: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("echo: local address: {e}"))?;
    server_rt.spawn(echo_server(listener));
    client_rt.block_on(echo_client(addr, rate, dur))
}

/// Accept connections; echo every text frame back.
async fn echo_server(listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let Ok(mut ws) =
                tokio_tungstenite::accept_async_with_config(stream, Some(ws_config())).await
            else {
                return;
            };
            while let Some(Ok(msg)) = ws.next().await {
                if let Message::Text(t) = msg
                    && ws.send(Message::Text(t)).await.is_err()
                {
                    return;
                }
            }
        });
    }
}

/// One client, one message in flight: send, wait for the echo, record, repeat; back to back, or
/// (`rate`) one every 1/rate s. The pause is a thread sleep (the timer of tokio would round it
/// up to the next millisecond); this client is the only task of its runtime's thread.
async fn echo_client(addr: SocketAddr, rate: Option<f64>, dur: Duration) -> Res<Echo> {
    let mut ws = connect_ws(addr).await.map_err(|e| format!("echo: {e}"))?;
    let text: Utf8Bytes = echo_text().into();
    for _ in 0..ECHO_WARMUP {
        round_trip(&mut ws, &text).await?;
    }
    let mut rtt = Lat::new()?;
    let mut count = 0u64;
    let start = Instant::now();
    let mut pace = Pace::new(rate);
    while start.elapsed() < dur {
        pace.wait();
        let t0 = Instant::now();
        round_trip(&mut ws, &text).await?;
        rtt.record(t0.elapsed());
        count += 1;
    }
    let per_s = count as f64 / start.elapsed().as_secs_f64();
    let _ = ws.close(None).await;
    Ok(Echo { rtt, per_s })
}

async fn round_trip(ws: &mut crate::Ws, text: &Utf8Bytes) -> Res<()> {
    ws.send(Message::Text(text.clone()))
        .await
        .map_err(|e| format!("echo: send: {e}"))?;
    loop {
        match tokio::time::timeout(ROUND_TIMEOUT, ws.next()).await {
            Err(_) => return Err("echo: no answer within 10 s".into()),
            Ok(Some(Ok(Message::Text(t)))) if t.len() == text.len() => return Ok(()),
            Ok(Some(Ok(Message::Text(_)))) => return Err("echo: a different text came back".into()),
            Ok(Some(Ok(Message::Close(_)) | Err(_)) | None) => {
                return Err("echo: the connection closed".into());
            }
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// What the broadcast's clients and server share, per round: when it was sent, how many
/// clients have it, when the last one got it. Times are nanoseconds since `base`.
struct Rounds {
    base: Instant,
    sent_ns: Vec<AtomicU64>,
    received: Vec<AtomicUsize>,
    last_ns: Vec<AtomicU64>,
    /// Woken (one permit) when a round reaches every client.
    complete: Notify,
    clients: usize,
    connected: AtomicUsize,
}

impl Rounds {
    fn now_ns(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

struct Fanout {
    rounds: Lat,
    connect: Duration,
}

/// The broadcast text of round `r`: `{"type":"state","round":"RRRRRR","pad":"xxx…"}`, 1 KiB. The
/// round sits at a fixed offset so a client can read it without parsing the JSON.
fn broadcast_text(r: usize) -> String {
    let mut s = format!(r#"{{"type":"state","round":"{r:06}","pad":""#);
    while s.len() < BROADCAST_BYTES - 2 {
        s.push('x');
    }
    s.push_str("\"}");
    s
}

const ROUND_AT: usize = r#"{"type":"state","round":""#.len();

fn round_of(text: &str) -> Option<usize> {
    text.get(ROUND_AT..ROUND_AT + 6)?.parse().ok()
}

fn fanout_probe(client_rt: &Runtime, n: usize, dur: Duration) -> Res<Fanout> {
    let mut server = BroadcastServer::start()?;
    let rounds = Arc::new(Rounds {
        base: Instant::now(),
        sent_ns: (0..BROADCAST_ROUNDS).map(|_| AtomicU64::new(0)).collect(),
        received: (0..BROADCAST_ROUNDS).map(|_| AtomicUsize::new(0)).collect(),
        last_ns: (0..BROADCAST_ROUNDS).map(|_| AtomicU64::new(0)).collect(),
        complete: Notify::new(),
        clients: n,
        connected: AtomicUsize::new(0),
    });
    let result = client_rt.block_on(fanout_clients(server.addr, n, dur, rounds));
    server.stop();
    result
}

/// The broadcast server, a child process (`loadtest broadcast-server`): it holds its own end of
/// every connection, as `veiling serve` does, so 10,000 clients need 10,000 descriptors in each
/// process rather than 20,000 in one.
struct BroadcastServer {
    child: Option<std::process::Child>,
    addr: SocketAddr,
}

impl BroadcastServer {
    fn start() -> Res<BroadcastServer> {
        use std::io::BufRead;
        let exe = std::env::current_exe().map_err(|e| format!("broadcast: this binary: {e}"))?;
        let mut child = std::process::Command::new(exe)
            .arg("broadcast-server")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .map_err(|e| format!("broadcast: start the server: {e}"))?;
        let stdout = child.stdout.take();
        let mut server = BroadcastServer {
            child: Some(child),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        let stdout = stdout.ok_or("broadcast: the server's stdout is not a pipe")?;
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("broadcast: the server's address: {e}"))?;
        let addr: SocketAddr = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| format!("broadcast: the server said '{}'", line.trim()))?;
        crate::check_loopback(&addr)?;
        server.addr = addr;
        Ok(server)
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for BroadcastServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `loadtest broadcast-server`: the minimal fan-out server. Every connection gets a bounded
/// queue and one task that writes what is queued (feed, then one flush), as the server's
/// connection layer works. A text `go:R` from any connection serialises round R's text once and
/// queues it to every connection; `count` is answered with `count:K`, the connections
/// registered. Prints `listening on ADDR`, then serves until killed.
pub fn broadcast_server() -> Res<()> {
    let rt = runtime("baseline-server", 2)?;
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("bind 127.0.0.1:0: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("local address: {e}"))?;
        println!("listening on {addr}");
        let queues: Arc<Mutex<Vec<mpsc::Sender<Utf8Bytes>>>> = Arc::default();
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(broadcast_connection(stream, Arc::clone(&queues)));
        }
    })
}

async fn broadcast_connection(
    stream: tokio::net::TcpStream,
    queues: Arc<Mutex<Vec<mpsc::Sender<Utf8Bytes>>>>,
) {
    let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(stream, Some(ws_config())).await
    else {
        return;
    };
    let (tx, mut rx) = mpsc::channel::<Utf8Bytes>(OUTBOUND_MAX);
    match queues.lock() {
        Ok(mut q) => q.push(tx.clone()),
        Err(_) => return,
    }
    loop {
        tokio::select! {
            out = rx.recv() => {
                let Some(text) = out else { return };
                let mut ok = ws.feed(Message::Text(text)).await.is_ok();
                while ok && let Ok(t) = rx.try_recv() {
                    ok = ws.feed(Message::Text(t)).await.is_ok();
                }
                if !ok || ws.flush().await.is_err() {
                    return;
                }
            }
            msg = ws.next() => {
                let Some(Ok(Message::Text(t))) = msg else {
                    match msg {
                        Some(Ok(_)) => continue,
                        _ => return,
                    }
                };
                if let Some(r) = t.as_str().strip_prefix("go:").and_then(|r| r.parse().ok()) {
                    let text: Utf8Bytes = broadcast_text(r).into();
                    let Ok(q) = queues.lock() else { return };
                    for q in q.iter() {
                        // A full queue drops the round for that client: the probe then times
                        // out and says so.
                        let _ = q.try_send(text.clone());
                    }
                } else if t.as_str() == "count" {
                    let k = queues.lock().map(|q| q.len()).unwrap_or(0);
                    if tx.try_send(format!("count:{k}").into()).is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// Connect the clients and a control connection, then run the rounds one after the other: note
/// the time, send `go:R` on the control connection, wait until every client has round R, take
/// last arrival - that time (so the trigger's way to the server counts, as a bid's does).
async fn fanout_clients(
    addr: SocketAddr,
    n: usize,
    dur: Duration,
    rounds: Arc<Rounds>,
) -> Res<Fanout> {
    let t0 = Instant::now();
    let gate = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
    let (err_tx, mut err_rx) = mpsc::channel::<String>(1);
    for _ in 0..n {
        let (gate, rounds, err_tx) = (Arc::clone(&gate), Arc::clone(&rounds), err_tx.clone());
        tokio::spawn(async move {
            let ws = {
                let Ok(_permit) = gate.acquire().await else {
                    return;
                };
                match connect_ws(addr).await {
                    Ok(ws) => ws,
                    Err(e) => {
                        let _ = err_tx.try_send(e);
                        return;
                    }
                }
            };
            rounds.connected.fetch_add(1, SeqCst);
            fanout_client(ws, &rounds).await;
        });
    }
    drop(err_tx);
    let mut control = connect_ws(addr)
        .await
        .map_err(|e| format!("broadcast: control connection: {e}"))?;
    // Wait until every client is connected and every server-side queue is registered.
    let setup_deadline =
        Instant::now() + Duration::from_secs(30) + Duration::from_millis(n as u64 * 5);
    loop {
        if let Ok(e) = err_rx.try_recv() {
            return Err(format!("broadcast: {e}"));
        }
        if rounds.connected.load(SeqCst) == n && registered(&mut control).await? > n {
            break;
        }
        if Instant::now() > setup_deadline {
            return Err(format!(
                "broadcast: only {} of {n} clients connected in time",
                rounds.connected.load(SeqCst)
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let connect = t0.elapsed();

    let mut lat = Lat::new()?;
    let start = Instant::now();
    for r in 0..BROADCAST_ROUNDS {
        if r > 0 && start.elapsed() >= dur {
            break;
        }
        rounds.sent_ns[r].store(rounds.now_ns(), SeqCst);
        control
            .send(Message::Text(format!("go:{r}").into()))
            .await
            .map_err(|e| format!("broadcast: control: {e}"))?;
        if tokio::time::timeout(ROUND_TIMEOUT, rounds.complete.notified())
            .await
            .is_err()
        {
            return Err(format!(
                "broadcast: round {r} reached {} of {n} clients within {} s",
                rounds.received[r].load(SeqCst),
                ROUND_TIMEOUT.as_secs(),
            ));
        }
        let took = rounds.last_ns[r]
            .load(SeqCst)
            .saturating_sub(rounds.sent_ns[r].load(SeqCst));
        lat.record_us(took / 1000);
        // The control connection gets the round too; take it off the wire.
        drain(&mut control).await;
        // Let the connections go back to idle before the next round.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let _ = control.close(None).await;
    Ok(Fanout {
        rounds: lat,
        connect,
    })
}

/// The connections the broadcast server has registered (`count` / `count:K`); the rounds the
/// control connection also receives are skipped.
async fn registered(control: &mut crate::Ws) -> Res<usize> {
    control
        .send(Message::Text("count".into()))
        .await
        .map_err(|e| format!("broadcast: control: {e}"))?;
    loop {
        match tokio::time::timeout(ROUND_TIMEOUT, control.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                if let Some(k) = t.as_str().strip_prefix("count:") {
                    return k
                        .parse()
                        .map_err(|_| format!("broadcast: the server said '{t}'"));
                }
            }
            Ok(Some(Ok(_))) => {}
            _ => return Err("broadcast: the control connection closed".into()),
        }
    }
}

/// Read what the control connection has received so far, without waiting for more.
async fn drain(control: &mut crate::Ws) {
    while let Ok(Some(Ok(_))) = tokio::time::timeout(Duration::from_millis(1), control.next()).await
    {
    }
}

/// Read broadcasts; per round, count the arrival and keep the latest arrival time.
async fn fanout_client(mut ws: crate::Ws, rounds: &Rounds) {
    while let Some(msg) = ws.next().await {
        let Ok(msg) = msg else { return };
        if let Message::Text(t) = msg {
            let now = rounds.now_ns();
            let Some(r) = round_of(t.as_str()).filter(|&r| r < BROADCAST_ROUNDS) else {
                continue;
            };
            rounds.last_ns[r].fetch_max(now, SeqCst);
            if rounds.received[r].fetch_add(1, SeqCst) + 1 == rounds.clients {
                rounds.complete.notify_one();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn texts_have_their_sizes_and_rounds() {
        assert_eq!(echo_text().len(), ECHO_BYTES);
        let b = broadcast_text(42);
        assert_eq!(b.len(), BROADCAST_BYTES);
        assert_eq!(round_of(&b), Some(42));
        assert!(serde_json::from_str::<Value>(&b).is_ok());
        assert!(serde_json::from_str::<Value>(&echo_text()).is_ok());
    }
}
