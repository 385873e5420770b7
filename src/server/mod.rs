//! The live auction server (`veiling serve`): WebSocket sessions in front of one actor per
//! auction. `docs/protocol.md` is the wire protocol; `docs/deploy.md` how to run it.
//!
//! ```text
//! client --WS--> conn (HTTP head, Origin, auth, limits, decode) --ToActor--> actor (one task per
//!   auction: seq + time -> core -> log batch, fdatasync) --> answers, notices, snapshots --> conn
//! ```
//!
//! The connection layer never compares prices or checks phases: identity comes from the token,
//! everything else is the core's decision.

pub mod actor;
pub mod clock;
pub mod conn;
pub mod creds;
pub mod metrics;
pub mod practice;
pub mod tender_api;
pub mod web;
pub mod wire;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use dashmap::DashMap;
use tokio::sync::{Notify, mpsc, watch};

use crate::config::AuctionConfig;
use crate::core::AuctionPhase;
use crate::log::keys;
use crate::log::record::Mode;
use crate::log::recorder;
use actor::{Actor, ToActor};
use clock::Clock;
use creds::{Role, TokenHash};
use metrics::Metrics;

/// Every bound the server keeps. The defaults are the production values; tests shrink some.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest WebSocket message and frame, in bytes (larger: closed with 1009).
    pub message_bytes_max: usize,
    /// tungstenite's read buffer per connection.
    pub read_buffer_bytes: usize,
    /// Most bytes waiting in a connection's WebSocket write buffer.
    pub write_buffer_bytes_max: usize,
    /// The kernel send buffer of each accepted socket (`None`: the system's default).
    pub send_buffer_bytes: Option<usize>,
    /// Largest HTTP request head.
    pub http_head_bytes_max: usize,
    pub handshake_timeout: Duration,
    pub auth_timeout: Duration,
    /// A ping is sent this often; a connection silent for `idle_timeout` is closed.
    pub ping_interval: Duration,
    pub idle_timeout: Duration,
    /// Connections open at once (all participants).
    pub connections_max: usize,
    /// Connections one participant may have open at once.
    pub connections_per_participant_max: usize,
    /// Messages per second per connection (token bucket), and the burst.
    pub messages_per_s: u32,
    pub messages_burst: u32,
    /// Bids per second per supplier over all its connections, and the burst.
    pub bids_per_s: u32,
    pub bids_burst: u32,
    /// An auction's input queue.
    pub actor_queue_max: usize,
    /// Inputs one group commit takes at most.
    pub batch_inputs_max: usize,
    /// A connection's outbound queue (messages).
    pub outbound_max: usize,
    /// Accepted steps an actor keeps in memory to answer resuming clients (older ones: the
    /// client gets the snapshot only, `resumed: snapshot_only`).
    pub recent_steps_max: usize,
    /// Snapshots are sent at most this often per auction.
    pub fanout_interval: Duration,
    /// Snapshots in a row a connection may miss (queue full) before it is disconnected.
    pub snapshot_misses_max: u32,
    /// How long a graceful shutdown waits for connections to close.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            message_bytes_max: 64 * 1024,
            read_buffer_bytes: 4 * 1024,
            write_buffer_bytes_max: 1024 * 1024,
            send_buffer_bytes: None,
            http_head_bytes_max: 8 * 1024,
            handshake_timeout: Duration::from_secs(5),
            auth_timeout: Duration::from_secs(10),
            ping_interval: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(45),
            connections_max: 10_000,
            connections_per_participant_max: 4,
            messages_per_s: 20,
            messages_burst: 40,
            bids_per_s: 10,
            bids_burst: 20,
            actor_queue_max: 4096,
            batch_inputs_max: 512,
            outbound_max: 64,
            recent_steps_max: 10_000,
            fanout_interval: Duration::from_millis(20),
            snapshot_misses_max: 50,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// The largest value `--limit` takes for any bound.
const LIMIT_VALUE_MAX: u64 = 1_000_000_000;

impl Limits {
    /// The bounds `veiling serve --limit NAME=VALUE` changes: their names and units. Durations
    /// are in milliseconds.
    pub const SETTABLE: &'static [(&'static str, &'static str)] = &[
        ("message_bytes_max", "bytes"),
        ("read_buffer_bytes", "bytes"),
        ("write_buffer_bytes_max", "bytes"),
        ("send_buffer_bytes", "bytes"),
        ("http_head_bytes_max", "bytes"),
        ("handshake_timeout_ms", "ms"),
        ("auth_timeout_ms", "ms"),
        ("ping_interval_ms", "ms"),
        ("idle_timeout_ms", "ms"),
        ("connections_max", "connections"),
        ("connections_per_participant_max", "connections"),
        ("messages_per_s", "messages/s"),
        ("messages_burst", "messages"),
        ("bids_per_s", "bids/s"),
        ("bids_burst", "bids"),
        ("actor_queue_max", "inputs"),
        ("batch_inputs_max", "inputs"),
        ("outbound_max", "messages"),
        ("recent_steps_max", "steps"),
        ("fanout_interval_ms", "ms"),
        ("snapshot_misses_max", "snapshots"),
        ("shutdown_grace_ms", "ms"),
    ];

    /// Set one bound from `NAME=VALUE` (a whole number from 1 to 10^9); an unknown name or a
    /// bad value changes nothing.
    pub fn set(&mut self, assignment: &str) -> Result<(), String> {
        let (name, value) = assignment.split_once('=').ok_or_else(|| {
            format!("--limit {assignment}: expected NAME=VALUE, e.g. bids_per_s=20")
        })?;
        let (name, value) = (name.trim(), value.trim());
        let v: u64 = value
            .parse()
            .ok()
            .filter(|v| (1..=LIMIT_VALUE_MAX).contains(v))
            .ok_or_else(|| {
                format!("--limit {name}={value}: the value must be a whole number from 1 to {LIMIT_VALUE_MAX}")
            })?;
        let n = v as usize;
        let small = u32::try_from(v).unwrap_or(u32::MAX);
        let ms = Duration::from_millis(v);
        match name {
            "message_bytes_max" => self.message_bytes_max = n,
            "read_buffer_bytes" => self.read_buffer_bytes = n,
            "write_buffer_bytes_max" => self.write_buffer_bytes_max = n,
            "send_buffer_bytes" => self.send_buffer_bytes = Some(n),
            "http_head_bytes_max" => self.http_head_bytes_max = n,
            "handshake_timeout_ms" => self.handshake_timeout = ms,
            "auth_timeout_ms" => self.auth_timeout = ms,
            "ping_interval_ms" => self.ping_interval = ms,
            "idle_timeout_ms" => self.idle_timeout = ms,
            "connections_max" => self.connections_max = n,
            "connections_per_participant_max" => self.connections_per_participant_max = n,
            "messages_per_s" => self.messages_per_s = small,
            "messages_burst" => self.messages_burst = small,
            "bids_per_s" => self.bids_per_s = small,
            "bids_burst" => self.bids_burst = small,
            "actor_queue_max" => self.actor_queue_max = n,
            "batch_inputs_max" => self.batch_inputs_max = n,
            "outbound_max" => self.outbound_max = n,
            "recent_steps_max" => self.recent_steps_max = n,
            "fanout_interval_ms" => self.fanout_interval = ms,
            "snapshot_misses_max" => self.snapshot_misses_max = small,
            "shutdown_grace_ms" => self.shutdown_grace = ms,
            _ => {
                let names: Vec<&str> = Limits::SETTABLE.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "--limit {name}: no such limit; the limits are {}",
                    names.join(", ")
                ));
            }
        }
        Ok(())
    }
}

pub struct Options {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub configs: Vec<PathBuf>,
    /// Move each new auction's schedule so it opens this many ms from now (recorded in its log).
    pub start_in_ms: Option<i64>,
    /// Allowed `Origin` values of browser clients (a request without Origin is not a browser's
    /// and is allowed). Empty: only `http://127.0.0.1:PORT` and `http://localhost:PORT`.
    pub origins: Vec<String>,
    pub limits: Limits,
    pub clock: Clock,
    /// UNSAFE, for measurements only (`--unsafe-no-sync`): acknowledge bids after the log write
    /// without fdatasync. Refused unless listening on a loopback address.
    pub unsafe_no_sync: bool,
    /// Serve a practice run instead of the live auction (`--practice N`): see `practice`.
    pub practice: Option<practice::PracticeRun>,
    /// Tenders to host (`--tender ID`): their logs are `DATA_DIR/ID/tender.log`.
    pub tenders: Vec<String>,
}

impl Options {
    pub fn new(configs: Vec<PathBuf>, data_dir: PathBuf) -> Options {
        Options {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir,
            configs,
            start_in_ms: None,
            origins: Vec::new(),
            limits: Limits::default(),
            clock: Clock::System,
            unsafe_no_sync: false,
            practice: None,
            tenders: Vec::new(),
        }
    }
}

/// One auction as the connections see it.
pub struct AuctionEntry {
    pub config: Arc<AuctionConfig>,
    /// Live or practice: a practice auction is never awarded.
    pub mode: Mode,
    pub tx: mpsc::Sender<ToActor>,
    pub dir: PathBuf,
    pub halted: Arc<AtomicBool>,
    /// Some lot's bids are sealed now (a sealed format before its close): `/log` waits.
    pub sealed: Arc<AtomicBool>,
}

/// What every connection shares.
pub struct Shared {
    pub auctions: Vec<AuctionEntry>,
    /// Token hash -> (auction index, role). Tokens themselves are never kept.
    pub tokens: DashMap<TokenHash, (usize, Role)>,
    pub conns_per_participant: DashMap<(usize, Role), usize>,
    pub supplier_buckets: DashMap<(usize, Role), conn::Bucket>,
    /// The tenders hosted, their tokens (token hash -> tender index, role) and rate buckets.
    pub tenders: Vec<tender_api::TenderEntry>,
    pub tender_tokens: DashMap<TokenHash, (usize, Role)>,
    pub tender_buckets: DashMap<(usize, Role), conn::Bucket>,
    pub metrics: Arc<Metrics>,
    pub limits: Limits,
    pub clock: Clock,
    pub origins: Vec<String>,
    /// The server's public key, 64 hex digits (served at `/pubkey`).
    pub pubkey: String,
    pub shutdown: watch::Receiver<bool>,
    pub ready: AtomicBool,
    pub next_session: AtomicU64,
    /// Open TCP connections (HTTP and WebSocket), and a wake-up when one closes.
    pub live: AtomicUsize,
    pub live_changed: Notify,
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    /// Held while serving: the data directory's lock.
    _lock: std::fs::File,
    pub shared: Arc<Shared>,
    shutdown_tx: watch::Sender<bool>,
    actors: Vec<tokio::task::JoinHandle<()>>,
    accept: tokio::task::JoinHandle<()>,
}

/// What opening one auction found, for the operator.
pub struct Started {
    pub auction: String,
    pub dir: PathBuf,
    pub log: PathBuf,
    pub credentials: PathBuf,
    pub created: bool,
    pub records: u64,
    pub schedule_shift_ms: i64,
    pub archived: Option<PathBuf>,
}

/// Without `--start-in`, a practice run opens this long after the server starts.
pub const PRACTICE_START_IN_MS: i64 = 60_000;

fn io_err(path: &Path, e: impl std::fmt::Display) -> String {
    format!("{}: {e}", path.display())
}

/// Open one auction's log (creating it, or recovering it), with the schedule shift if asked.
/// A demonstration run (`--start-in`) whose previous run has ended is archived beside it so the
/// newcomer lands in an auction about to open, never in a finished one.
fn open_auction(
    path: &Path,
    opts: &Options,
    key: &ed25519_dalek::SigningKey,
    metrics: &Arc<Metrics>,
) -> Result<(recorder::Opened, String, Started), String> {
    let (config, text) = crate::config::load_file(path).map_err(|e| io_err(path, e))?;
    config
        .check_runnable()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    // A practice run: its own config (no observers, bots added), its own log and credentials.
    let (mut config, text) = match &opts.practice {
        Some(run) => {
            let text =
                practice::practice_config_text(&config, &text, run).map_err(|e| io_err(path, e))?;
            let config = crate::config::parse(&text).map_err(|e| io_err(path, e))?;
            (config, text)
        }
        None => (config, text),
    };
    let mode = if opts.practice.is_some() {
        Mode::Practice
    } else {
        Mode::Live
    };
    let now = opts.clock.now_ms();
    // A practice run happens before the live date: without --start-in it opens in a minute.
    let start_in = opts
        .start_in_ms
        .or(opts.practice.map(|_| PRACTICE_START_IN_MS));
    if let Some(ms) = start_in {
        config.shift_schedule(now + ms - config.rules.opens_at);
    }
    // Practice is over once the live auction has started: its log exists.
    let live_log = opts
        .data_dir
        .join(&config.rules.auction_id)
        .join("live.log");
    if opts.practice.is_some() && live_log.exists() {
        return Err(io_err(
            &live_log,
            "the live auction has started: no more practice runs",
        ));
    }
    let dir = match &opts.practice {
        Some(_) => opts
            .data_dir
            .join(&config.rules.auction_id)
            .join("practice"),
        None => opts.data_dir.join(&config.rules.auction_id),
    };
    std::fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
    let log = match &opts.practice {
        Some(run) => dir.join(format!("run-{}.log", run.run)),
        None => dir.join("live.log"),
    };
    let observer = |metrics: &Arc<Metrics>| -> Option<crate::log::store::CommitObserver> {
        let m = Arc::clone(metrics);
        Some(Box::new(move |records, took| {
            m.log_batch_records.observe(records as f64);
            m.log_sync_seconds.observe_duration(took);
        }))
    };
    let open = |config: &AuctionConfig| {
        recorder::open(
            &log,
            config,
            &text,
            mode,
            now,
            key.clone(),
            crate::log::store::WriterOptions {
                observer: observer(metrics),
                unsafe_no_sync: opts.unsafe_no_sync,
            },
        )
        .map_err(|e| e.to_string())
    };
    let mut opened = open(&config)?;
    let mut archived = None;
    let ended = matches!(
        opened.driver.recorder.auction().phase(),
        AuctionPhase::Closed | AuctionPhase::Awarded | AuctionPhase::Terminated
    );
    if opts.start_in_ms.is_some()
        && opts.practice.is_none()
        && !opened.created
        && opened.config.schedule_shift_ms != 0
        && ended
    {
        drop(opened);
        let mut n = 1;
        let target = loop {
            let t = opts
                .data_dir
                .join(format!("{}.ended-{n}", config.rules.auction_id));
            if !t.exists() {
                break t;
            }
            n += 1;
            if n > 10_000 {
                return Err(io_err(&opts.data_dir, "too many archived runs"));
            }
        };
        std::fs::rename(&dir, &target).map_err(|e| io_err(&dir, e))?;
        std::fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
        archived = Some(target);
        opened = open(&config)?;
    }
    if let Some((bytes, side)) = &opened.torn {
        tracing::warn!(
            log = %log.display(),
            "cut a torn tail of {bytes} bytes (never acknowledged), kept in {}",
            side.display()
        );
    }
    let started = Started {
        auction: config.rules.auction_id.clone(),
        credentials: dir.join("credentials.json"),
        dir,
        log,
        created: opened.created,
        records: opened.records,
        schedule_shift_ms: opened.config.schedule_shift_ms,
        archived,
    };
    Ok((opened, text, started))
}

/// Start serving: open (or recover) every auction, write credentials on first start, start one
/// actor per auction and the listener.
pub async fn start(opts: Options) -> Result<(Server, Vec<Started>), String> {
    if opts.unsafe_no_sync && !opts.listen.ip().is_loopback() {
        return Err(format!(
            "--unsafe-no-sync acknowledges bids that a crash can lose; it is for measurements on \
             a loopback address only, not {}",
            opts.listen
        ));
    }
    std::fs::create_dir_all(&opts.data_dir).map_err(|e| io_err(&opts.data_dir, e))?;
    // One server per data directory: two would interleave appends to the same logs.
    let lock_path = opts.data_dir.join("serve.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| io_err(&lock_path, e))?;
    lock.try_lock().map_err(|_| {
        io_err(
            &lock_path,
            "another veiling server uses this data directory (one server per data directory)",
        )
    })?;
    let key_path = opts.data_dir.join("server.key");
    let key = if key_path.exists() {
        keys::read(&key_path).map_err(|e| e.to_string())?
    } else {
        // A missing key beside existing logs is a lost key, not a first start: a new key
        // could not continue them.
        let logs = std::fs::read_dir(&opts.data_dir)
            .map_err(|e| io_err(&opts.data_dir, e))?
            .filter_map(Result::ok)
            .any(|d| d.path().join("live.log").exists());
        if logs {
            return Err(io_err(
                &key_path,
                "missing, but this data directory holds auction logs signed with it; restore \
                 the key from its backup",
            ));
        }
        let key = keys::generate().map_err(|e| e.to_string())?;
        keys::write(&key_path, &key).map_err(|e| e.to_string())?;
        tracing::info!(
            key = %key_path.display(),
            public = %keys::public_hex(&key),
            "created the server's signing key; give auditors its public key"
        );
        key
    };
    let metrics = Arc::new(Metrics::default());
    metrics
        .unsafe_no_sync
        .store(i64::from(opts.unsafe_no_sync), Relaxed);
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let tokens = DashMap::new();
    let mut auctions = Vec::new();
    let mut actors = Vec::new();
    let mut started_all = Vec::new();
    // Each auction once: two configs with one id would share (and corrupt) one log.
    let mut ids = std::collections::BTreeSet::new();
    for path in &opts.configs {
        let (config, _) = crate::config::load_file(path).map_err(|e| io_err(path, e))?;
        if !ids.insert(config.rules.auction_id.clone()) {
            return Err(format!(
                "{}: a second config for auction '{}'",
                path.display(),
                config.rules.auction_id
            ));
        }
    }
    let opts = Arc::new(opts);
    for (ix, path) in opts.configs.iter().enumerate() {
        let (o, p, k, m) = (
            Arc::clone(&opts),
            path.clone(),
            key.clone(),
            Arc::clone(&metrics),
        );
        // Opening replays the log and syncs files: blocking work, off the async workers.
        let (opened, _text, started) =
            tokio::task::spawn_blocking(move || open_auction(&p, &o, &k, &m))
                .await
                .map_err(|e| e.to_string())??;
        let config = Arc::new(opened.config.clone());
        for (role, hash) in creds::load_or_create(&started.credentials, &config)? {
            tokens.insert(hash, (ix, role));
        }
        let (tx, rx) = mpsc::channel(opts.limits.actor_queue_max);
        let mode = if opts.practice.is_some() {
            Mode::Practice
        } else {
            Mode::Live
        };
        let mut actor = Actor::new(
            Arc::clone(&config),
            mode,
            opened.driver,
            opened.tail,
            opts.clock.clone(),
            Arc::clone(&metrics),
            opts.limits,
            rx,
            shutdown_rx.clone(),
        );
        if let Some(run) = &opts.practice {
            actor.add_bots(run.seed);
        }
        let halted = Arc::clone(&actor.halted);
        let sealed = Arc::clone(&actor.sealed);
        actors.push(tokio::spawn(async move {
            let driver = actor.run().await;
            // Dropping the driver joins its writer thread (everything was synced already).
            let _ = tokio::task::spawn_blocking(move || drop(driver)).await;
        }));
        auctions.push(AuctionEntry {
            config,
            mode,
            tx,
            dir: started.dir.clone(),
            halted,
            sealed,
        });
        started_all.push(started);
    }
    // The tenders: each log must open (verified, re-executed); their tokens in their own file.
    let mut tenders = Vec::new();
    let tender_tokens = DashMap::new();
    for (ix, id) in opts.tenders.iter().enumerate() {
        let (dir, i, k) = (opts.data_dir.clone(), id.clone(), key.clone());
        let config = tokio::task::spawn_blocking(move || {
            crate::tender::log::TenderLog::open(&crate::tender::steps::tender_log_path(&dir, &i), k)
                .map(|log| log.config().clone())
        })
        .await
        .map_err(|e| e.to_string())??;
        let creds = opts.data_dir.join(id).join("tender-credentials.json");
        for (role, hash) in creds::load_or_create(&creds, &config)? {
            tender_tokens.insert(hash, (ix, role));
        }
        tenders.push(tender_api::TenderEntry {
            id: id.clone(),
            data_dir: opts.data_dir.clone(),
            key: key.clone(),
            config: Arc::new(config),
        });
    }
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|e| format!("listen on {}: {e}", opts.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let mut origins = opts.origins.clone();
    if origins.is_empty() {
        origins.push(format!("http://127.0.0.1:{}", addr.port()));
        origins.push(format!("http://localhost:{}", addr.port()));
    }
    let shared = Arc::new(Shared {
        auctions,
        tokens,
        conns_per_participant: DashMap::new(),
        supplier_buckets: DashMap::new(),
        tenders,
        tender_tokens,
        tender_buckets: DashMap::new(),
        metrics,
        limits: opts.limits,
        clock: opts.clock.clone(),
        origins,
        pubkey: keys::public_hex(&key),
        shutdown: shutdown_rx.clone(),
        ready: AtomicBool::new(true),
        next_session: AtomicU64::new(1),
        live: AtomicUsize::new(0),
        live_changed: Notify::new(),
    });
    let accept = tokio::spawn(accept_loop(listener, Arc::clone(&shared), shutdown_rx));
    Ok((
        Server {
            addr,
            _lock: lock,
            shared,
            shutdown_tx,
            actors,
            accept,
        },
        started_all,
    ))
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            biased;
            _ = shutdown.changed() => break,
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else {
                    // Out of file descriptors and the like: back off briefly, keep serving.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                if shared.live.load(Relaxed) >= shared.limits.connections_max {
                    drop(stream);
                    continue;
                }
                shared.live.fetch_add(1, Relaxed);
                let shared = Arc::clone(&shared);
                tokio::spawn(async move {
                    conn::handle(stream, peer, &shared).await;
                    shared.live.fetch_sub(1, Relaxed);
                    shared.live_changed.notify_waiters();
                });
            }
        }
    }
}

impl Server {
    /// Graceful shutdown: stop accepting; every actor finishes and syncs the batch in flight
    /// and answers it; clients are then closed with 1001.
    pub async fn shutdown(self) {
        self.shared.ready.store(false, Relaxed);
        let _ = self.shutdown_tx.send(true);
        let _ = self.accept.await;
        for a in self.actors {
            let _ = a.await;
        }
        let grace = tokio::time::sleep(self.shared.limits.shutdown_grace);
        tokio::pin!(grace);
        loop {
            let notified = self.shared.live_changed.notified();
            if self.shared.live.load(Relaxed) == 0 {
                break;
            }
            tokio::select! {
                _ = &mut grace => break,
                _ = notified => {}
            }
        }
    }
}
