//! `loadtest`: the load generator for `veiling serve`, with in-run baselines.
//!
//! - `calibrate`: what the machine itself can do in this run (a WebSocket echo on the server's
//!   stack, fdatasync one record and 100 records per sync, a minimal broadcast server).
//! - `bids`: starts the real server on 127.0.0.1 and drives it open loop with bidders.
//! - `fanout`, `conns`, `recover`: the real server's fan-out to N sessions, memory per
//!   connection, and restart time on logs of several sizes.
//! - `replay`: verify + replay of a generated log against parsing and hashing it.
//! - `all`: the standard suite, with the ratios and their targets (`--smoke` for CI).
//!
//! Every figure goes out with the baseline it should be compared with; `README.md` says how to
//! read them. Traffic only ever goes to loopback addresses.

mod all;
mod bids;
mod calibrate;
mod conns;
mod fanout;
mod recover;
mod replay;
mod setup;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Errors are plain text with their context ("what: why").
pub type Res<T> = Result<T, String>;

pub type Ws = WebSocketStream<TcpStream>;

#[derive(Parser)]
#[command(
    name = "loadtest",
    about = "Load generator and in-run baselines for veiling serve (loopback only)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Measure this machine's baselines: WebSocket echo, fdatasync, group commit, broadcast.
    Calibrate(calibrate::Args),
    /// Start `veiling serve` on 127.0.0.1 and send bids open loop; report bid-to-ack latency.
    Bids(bids::Args),
    /// Fan-out of the real server: time from a bid until the last of N sessions has heard of it.
    Fanout(fanout::Args),
    /// Server memory per idle and per authenticated connection (VmRSS).
    Conns(conns::Args),
    /// Restart time of the server on a log of about N records, to the first accepted bid.
    Recover(recover::Args),
    /// Verify + replay records/s of a generated log against raw parse-and-hash records/s.
    Replay(replay::Args),
    /// The standard suite: every figure as a ratio to its in-run baseline, checked against its
    /// target (`--smoke`: the short CI run, checked at twice the targets).
    All(all::Args),
    /// The minimal broadcast server of `calibrate`, run as a child process by it.
    #[command(hide = true)]
    BroadcastServer,
}

/// What a subcommand measured: one JSON object, a human text, and whether the run passed its
/// own checks (a failed check still reports, then exits non-zero).
pub struct Report {
    pub json: Value,
    pub text: String,
    pub ok: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (json_out, result) = match cli.cmd {
        Cmd::Calibrate(args) => (args.json, calibrate::run(&args)),
        Cmd::Bids(args) => (args.json, bids::run(&args)),
        Cmd::Fanout(args) => (args.json, fanout::run(&args)),
        Cmd::Conns(args) => (args.json, conns::run(&args)),
        Cmd::Recover(args) => (args.json, recover::run(&args)),
        Cmd::Replay(args) => (args.json, replay::run(&args)),
        Cmd::All(args) => (args.json, all::run(&args)),
        Cmd::BroadcastServer => {
            return match calibrate::broadcast_server() {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("loadtest broadcast-server: {e}");
                    ExitCode::FAILURE
                }
            };
        }
    };
    match result {
        Ok(report) => {
            if json_out {
                println!("{}", pretty(&report.json));
            } else {
                print!("{}", report.text);
            }
            if report.ok {
                ExitCode::SUCCESS
            } else {
                eprintln!("loadtest: the run failed its checks (see above)");
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            if json_out {
                println!("{}", pretty(&json!({"ok": false, "error": e})));
            }
            eprintln!("loadtest: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

/// The server's WebSocket settings (`src/server/conn.rs` with `server::Limits::default()`), used
/// on both sides of every connection here so the baselines run on the same stack.
pub fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(1024 * 1024)
        .max_message_size(Some(64 * 1024))
        .max_frame_size(Some(64 * 1024))
}

/// Refuse anything but 127.0.0.0/8 and ::1: this tool never sends traffic off the machine.
pub fn check_loopback(addr: &SocketAddr) -> Res<()> {
    if addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(format!(
            "{addr}: not a loopback address; loadtest only targets 127.0.0.1 or ::1"
        ))
    }
}

/// A WebSocket client connection to `ws://ADDR/ws` (TCP_NODELAY, the server's settings).
pub async fn connect_ws(addr: SocketAddr) -> Res<Ws> {
    check_loopback(&addr)?;
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    stream
        .set_nodelay(true)
        .map_err(|e| format!("TCP_NODELAY on {addr}: {e}"))?;
    let url = format!("ws://{addr}/ws");
    let (ws, _response) =
        tokio_tungstenite::client_async_with_config(url.as_str(), stream, Some(ws_config()))
            .await
            .map_err(|e| format!("WebSocket handshake with {url}: {e}"))?;
    Ok(ws)
}

/// A latency histogram in microseconds: 1 µs .. 60 s, 3 significant digits. Longer values are
/// clamped to 60 s (and would show as such in `max_us`).
pub struct Lat(Histogram<u64>);

impl Lat {
    pub fn new() -> Res<Lat> {
        Histogram::new_with_bounds(1, 60_000_000, 3)
            .map(Lat)
            .map_err(|e| format!("histogram: {e}"))
    }

    pub fn record(&mut self, d: Duration) {
        self.record_us(u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    }

    pub fn record_us(&mut self, us: u64) {
        self.0.saturating_record(us);
    }

    pub fn add(&mut self, other: &Lat) -> Res<()> {
        self.0.add(&other.0).map_err(|e| format!("histogram: {e}"))
    }

    pub fn count(&self) -> u64 {
        self.0.len()
    }

    pub fn mean_us(&self) -> Option<f64> {
        (self.count() > 0).then(|| self.0.mean())
    }

    pub fn quantile(&self, q: f64) -> Option<u64> {
        (self.count() > 0).then(|| self.0.value_at_quantile(q))
    }

    /// `{count, p50_us, p99_us, p999_us, max_us, mean_us}`; nulls when empty.
    pub fn json(&self) -> Value {
        let empty = self.count() == 0;
        json!({
            "count": self.count(),
            "p50_us": self.quantile(0.50),
            "p99_us": self.quantile(0.99),
            "p999_us": self.quantile(0.999),
            "max_us": (!empty).then(|| self.0.max()),
            "mean_us": (!empty).then(|| round(self.0.mean(), 1)),
        })
    }

    /// "p50 X µs, p99 Y µs, p99.9 Z µs, max M µs (N samples)".
    pub fn text(&self) -> String {
        if self.count() == 0 {
            return "no samples".into();
        }
        format!(
            "p50 {} µs, p99 {} µs, p99.9 {} µs, max {} µs ({} samples)",
            self.0.value_at_quantile(0.5),
            self.0.value_at_quantile(0.99),
            self.0.value_at_quantile(0.999),
            self.0.max(),
            self.0.len()
        )
    }
}

pub fn round(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

/// The soft limit on open files of this process (`/proc/self/limits`), if readable.
pub fn open_files_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Make room for `needed` open files: raise this process's limit as far as allowed (children,
/// such as the server, inherit it), then refuse the run if it is still too low.
pub fn ensure_fds(needed: u64) -> Res<()> {
    setup::raise_fd_limit(needed)?;
    match open_files_limit() {
        Some(limit) if needed > limit => Err(format!(
            "this run needs about {needed} open files, the limit is {limit}; raise it with \
             `ulimit -n` or use fewer connections"
        )),
        _ => Ok(()),
    }
}

/// A multi-thread tokio runtime; `workers` 0 means one per core.
pub fn runtime(name: &str, workers: usize) -> Res<tokio::runtime::Runtime> {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if workers > 0 {
        b.worker_threads(workers);
    }
    b.thread_name(name)
        .enable_all()
        .build()
        .map_err(|e| format!("{name} runtime: {e}"))
}

/// The load generator's client runtime.
pub fn client_runtime() -> Res<tokio::runtime::Runtime> {
    runtime("loadtest-client", 0)
}

/// Open-loop pacing on a thread: each `wait` sleeps until the next slot, one every 1/rate s
/// from the start (a late caller goes at once and the slots do not move); without a rate it
/// never waits. A thread sleep, because tokio's timer rounds up to the next millisecond.
pub struct Pace {
    gap: Option<Duration>,
    next: std::time::Instant,
}

impl Pace {
    pub fn new(rate: Option<f64>) -> Pace {
        Pace {
            gap: rate.map(|r| Duration::from_secs_f64(1.0 / r)),
            next: std::time::Instant::now(),
        }
    }

    pub fn wait(&mut self) {
        if let Some(g) = self.gap {
            let now = std::time::Instant::now();
            if self.next > now {
                std::thread::sleep(self.next - now);
            }
            self.next += g;
        }
    }
}

/// User + system CPU time of a process from `/proc/<pid>/stat`, in clock ticks.
pub fn cpu_ticks(pid: &str) -> Res<u64> {
    setup::cpu_user_sys(pid).map(|(user, sys)| user + sys)
}

/// Clock ticks per second (`getconf CLK_TCK`; 100, Linux's usual value, if that fails).
pub fn clock_ticks_per_s() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|&t: &u64| t > 0)
        .unwrap_or(100)
}

/// A fresh, empty directory under the system's temporary directory.
pub fn fresh_temp_dir(prefix: &str) -> Res<std::path::PathBuf> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
    std::fs::create_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

/// Removes a directory (and everything in it) when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Check a duration option: positive, finite, at most `max_s`.
pub fn duration_arg(name: &str, secs: f64, max_s: f64) -> Res<Duration> {
    if !(secs.is_finite() && secs > 0.0 && secs <= max_s) {
        return Err(format!(
            "{name} {secs}: must be above 0 and at most {max_s}"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Traffic only ever goes to loopback: any other address is refused before a connection.
    #[test]
    fn only_loopback_addresses_are_accepted() {
        for ok in ["127.0.0.1:80", "127.1.2.3:9", "[::1]:443"] {
            assert!(check_loopback(&ok.parse().unwrap()).is_ok(), "{ok}");
        }
        for bad in [
            "10.0.0.1:80",
            "0.0.0.0:80",
            "192.168.1.2:8080",
            "[::]:80",
            "[2001:db8::1]:80",
        ] {
            let e = check_loopback(&bad.parse().unwrap()).unwrap_err();
            assert!(e.contains("not a loopback address"), "{bad}: {e}");
        }
        let rt = client_runtime().unwrap();
        let e = rt
            .block_on(connect_ws("10.0.0.1:80".parse().unwrap()))
            .err()
            .unwrap();
        assert!(e.contains("not a loopback address"), "{e}");
    }

    #[test]
    fn durations_are_bounded() {
        assert_eq!(
            duration_arg("--d", 1.5, 10.0),
            Ok(Duration::from_millis(1500))
        );
        for bad in [0.0, -1.0, 10.5, f64::NAN, f64::INFINITY] {
            assert!(duration_arg("--d", bad, 10.0).is_err(), "{bad}");
        }
    }
}
