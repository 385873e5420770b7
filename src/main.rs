//! The `veiling` command line.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use veiling::config::AuctionConfig;
use veiling::log::{chain, keys, record, recorder};

/// Print to stdout; a closed pipe (`veiling replay LOG | head`) is not an error.
macro_rules! outln {
    ($($t:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}
macro_rules! out {
    ($($t:tt)*) => {{
        let _ = write!(std::io::stdout(), $($t)*);
    }};
}

#[derive(Parser)]
#[command(
    name = "veiling",
    version,
    about = "Reverse-auction engine for selective purchasing of care"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Validate auction configs; print every error with its path. Exit 0 only if all are valid.
    CheckConfig {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run a whole auction in-process on a virtual clock with seeded bidder strategies (steady,
    /// sniper, fat-finger, duplicate sender), write its log, and print the per-lot results.
    /// Same seed and key, same output and same log, byte for byte.
    Simulate(SimArgs),
    /// Run a scenario script (timed bids, ticks, auctioneer actions) and print every outcome and
    /// the final standings. See docs/script.md.
    Script {
        file: PathBuf,
        /// The config to run against (overrides a `config` statement in the script).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Also write the run's log to this (new) file.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The signing key for --out (default DATA_DIR/server.key, created if missing).
        #[arg(long)]
        key: Option<PathBuf>,
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
    },
    /// Create a server signing key (Ed25519, file mode 0600) and print its public key; with
    /// --show, print the public key of an existing key file.
    Keygen {
        /// The key file to create (default data/server.key).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the public key of this existing key file instead.
        #[arg(long, conflicts_with = "out")]
        show: Option<PathBuf>,
    },
    /// Verify a log: framing, canonical form, hash chain, contiguous sequence numbers,
    /// non-decreasing times, checkpoint signatures, and that it is sealed. Exit 0 only if all
    /// hold; otherwise print the first bad record and why.
    Verify {
        log: PathBuf,
        /// The server's public key (64 hex digits in a file). Without it the signatures are
        /// checked against the key in the log's own header.
        #[arg(long)]
        pubkey: Option<PathBuf>,
        /// Accept a log that does not end with the final checkpoint (an auction still running,
        /// or a server that stopped).
        #[arg(long)]
        unsealed_ok: bool,
    },
    /// Re-execute a log with the config embedded in it, check every recorded outcome, and print
    /// the final (or point-in-time) standings per lot.
    Replay {
        log: PathBuf,
        /// Stop after the record with this sequence number.
        #[arg(long)]
        at_seq: Option<u64>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write a self-contained HTML report of a log for auditors.
    Report {
        log: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        pubkey: Option<PathBuf>,
    },
    /// Serve live auctions over WebSocket (ws://LISTEN/ws), with /livez, /readyz and /metrics
    /// on the same port. Each auction's log is DATA_DIR/<auction-id>/live.log; its participant
    /// tokens are written once to DATA_DIR/<auction-id>/credentials.json (mode 0600). A restart
    /// recovers every auction from its log. Stops gracefully on SIGINT or SIGTERM.
    Serve(ServeArgs),
    /// A small WebSocket client: signs in with a participant's token, sends each line of
    /// standard input (one JSON message per line) and prints every server message as one JSON
    /// line. After the input ends it waits (at most --wait-s) for the answers to every message
    /// that had a req_id.
    Client {
        #[arg(long, default_value = "ws://127.0.0.1:8080/ws")]
        url: String,
        /// The participant's token.
        #[arg(
            long,
            conflicts_with = "credentials",
            required_unless_present = "credentials"
        )]
        token: Option<String>,
        /// Take the token from this credentials.json (the operator's file) ...
        #[arg(long, requires = "id")]
        credentials: Option<PathBuf>,
        /// ... for this participant id.
        #[arg(long = "as", value_name = "ID")]
        id: Option<String>,
        /// Resume from this seq (the last notice seen).
        #[arg(long)]
        resume_from: Option<u64>,
        #[arg(long, default_value_t = 10)]
        wait_s: u64,
    },
    /// Print each participant's browser link from a credentials.json: the bidder page for
    /// suppliers, the console for auctioneers and observers, the auditor page for the auditor.
    /// The token travels in the link's #fragment, which the browser never sends to the server.
    /// The links are as secret as the tokens.
    Links {
        /// The credentials file `veiling serve` wrote (DATA_DIR/AUCTION/credentials.json).
        credentials: PathBuf,
        /// The server's address as the browser reaches it.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base: String,
        /// Only this participant.
        #[arg(long = "as", value_name = "ID")]
        id: Option<String>,
    },
    /// A tender's route before and after the live auction: qualification, evaluation, the
    /// admission (which publishes the auction config), practice runs, the award. Every step
    /// goes into the tender log DATA_DIR/ID/tender.log. See docs/tender.md.
    Tender {
        #[command(subcommand)]
        step: TenderCmd,
    },
    /// (For the crash test.) Open a log, recovering it, then append bids and print an "ack SEQ
    /// HASH" line for each once it is durable.
    #[command(hide = true)]
    CrashWriter {
        #[arg(long)]
        log: PathBuf,
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        bids: u64,
    },
}

/// Where a tender step runs and who takes it.
#[derive(clap::Args)]
struct TenderAt {
    /// The tender's id (its config's auction.id).
    id: String,
    /// Who takes the step: an auctioneer's id, or for a supplier's step the supplier's id.
    #[arg(long = "as", value_name = "ID")]
    who: String,
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
    /// The signing key (default DATA_DIR/server.key).
    #[arg(long)]
    key: Option<PathBuf>,
}

#[derive(Subcommand)]
enum TenderCmd {
    /// Start the tender log of a tender config (a config with [tender]).
    Init {
        config: PathBuf,
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        #[arg(long)]
        key: Option<PathBuf>,
        /// For demonstrations: move the whole schedule so the qualification opens SECONDS from
        /// now (recorded in the log).
        #[arg(long, value_name = "SECONDS")]
        start_in: Option<u32>,
    },
    /// Where the tender stands.
    Status {
        id: String,
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// The published questions and answers (nota van inlichtingen), without who asked, as JSON.
    Nota {
        id: String,
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Open the qualification (not before its date).
    Open(TenderAt),
    /// A supplier registers for the tender.
    Register(TenderAt),
    /// A supplier's submission from its JSON file (answers per criterion; initial prices in
    /// turn-based rounds), before the deadline. A later one replaces it.
    Submit {
        #[command(flatten)]
        at: TenderAt,
        #[arg(long)]
        file: PathBuf,
    },
    /// A supplier's question for the nota van inlichtingen.
    Ask {
        #[command(flatten)]
        at: TenderAt,
        #[arg(long)]
        text: String,
    },
    /// Answer question N; the answer goes to every candidate without who asked.
    Answer {
        #[command(flatten)]
        at: TenderAt,
        #[arg(long)]
        question: u64,
        #[arg(long)]
        text: String,
    },
    /// Close the qualification (at its date; earlier only when every candidate submitted).
    Close(TenderAt),
    /// Record evaluations from a JSON file: [{"supplier", "criterion", "pass" | "value" |
    /// "points", "motivation"}].
    Evaluate {
        #[command(flatten)]
        at: TenderAt,
        #[arg(long)]
        file: PathBuf,
    },
    /// Publish the admission: DATA_DIR/ID/auction.toml (the auction to serve) and every
    /// candidate's letter in DATA_DIR/ID/letters/.
    Publish(TenderAt),
    /// Record a (new) practice run before the live auction; then serve it with `veiling serve
    /// --practice`.
    Practice(TenderAt),
    /// The live auction starts: no more practice.
    Live(TenderAt),
    /// Propose the award from the sealed live log (default DATA_DIR/ID/live.log).
    ProposeAward {
        #[command(flatten)]
        at: TenderAt,
        #[arg(long)]
        live_log: Option<PathBuf>,
    },
    /// Confirm the proposed award (four-eyes: a second auctioneer confirms).
    ConfirmAward(TenderAt),
    /// Export the award (proposed or confirmed): award.json, award.csv, and buyers.csv with
    /// each buyer's share of every lot's volume and contract value.
    Export {
        id: String,
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        #[arg(long)]
        key: Option<PathBuf>,
        /// Where to write (default DATA_DIR/ID/export).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// `veiling serve`'s options.
#[derive(clap::Args)]
struct ServeArgs {
    /// Auction configs (one auction each).
    #[arg(long = "config", required_unless_present = "tenders", num_args = 1..)]
    configs: Vec<PathBuf>,
    /// Host a tender (its log DATA_DIR/ID/tender.log, started by `veiling tender init`):
    /// candidates register, upload their submissions and ask questions over HTTP with their
    /// tokens from DATA_DIR/ID/tender-credentials.json (docs/tender.md). Repeatable.
    #[arg(long = "tender", value_name = "ID")]
    tenders: Vec<String>,
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
    /// For demonstrations and practice: move a new auction's schedule so it opens SECONDS
    /// from now (recorded in its log). A previous demonstration run of the same auction that
    /// has ended is moved aside to DATA_DIR/<auction-id>.ended-N first.
    #[arg(long, value_name = "SECONDS")]
    start_in: Option<u32>,
    /// An allowed Origin for browser clients (repeatable). Default: this server's own
    /// http://127.0.0.1:PORT and http://localhost:PORT.
    #[arg(long = "allow-origin")]
    origins: Vec<String>,
    /// Operational log level: error, warn, info, debug or trace (never tokens or bids).
    #[arg(long, default_value = "info")]
    log_level: String,
    /// Change one of the server's bounds (repeatable), e.g. `--limit bids_per_s=20`. The
    /// names, units and defaults are in docs/deploy.md.
    #[arg(long = "limit", value_name = "NAME=VALUE")]
    limits: Vec<String>,
    /// UNSAFE, for measurements only: acknowledge bids after writing them to the log but
    /// without fdatasync, so a crash or power cut can lose acknowledged bids. Only on a
    /// loopback --listen address. The load test uses it to measure the transport alone.
    #[arg(long)]
    unsafe_no_sync: bool,
    /// Serve practice run N (oefenveiling) of the config instead of its live auction: no
    /// observers, bot bidders, its own log DATA_DIR/ID/practice/run-N.log and credentials
    /// DATA_DIR/ID/practice/credentials.json; never awarded. Opens in a minute unless
    /// --start-in says otherwise.
    #[arg(long, value_name = "N")]
    practice: Option<u32>,
    /// Practice: how many bot bidders (at most 20).
    #[arg(long, default_value_t = 3)]
    bots: u32,
    /// Practice: the bots' seed.
    #[arg(long, default_value_t = 1)]
    bot_seed: u64,
}

fn serve(args: ServeArgs) -> Result<(), String> {
    use veiling::server;
    let ServeArgs {
        configs,
        data_dir,
        listen,
        start_in,
        origins,
        log_level,
        limits,
        unsafe_no_sync,
        practice,
        bots,
        bot_seed,
        tenders,
    } = args;
    let log_level = log_level.as_str();
    let mut bounds = server::Limits::default();
    for l in &limits {
        bounds.set(l)?;
    }
    let level: tracing::Level = log_level
        .parse()
        .map_err(|_| format!("--log-level {log_level}: use error, warn, info, debug or trace"))?;
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let mut opts = server::Options::new(configs, data_dir);
        opts.listen = listen;
        opts.start_in_ms = start_in.map(|s| i64::from(s) * 1000);
        opts.origins = origins;
        opts.limits = bounds;
        opts.unsafe_no_sync = unsafe_no_sync;
        opts.tenders = tenders;
        opts.practice = practice.map(|run| server::practice::PracticeRun {
            run,
            bots,
            seed: bot_seed,
        });
        let (server, started) = server::start(opts).await?;
        if unsafe_no_sync {
            outln!(
                "WARNING: --unsafe-no-sync: bids are acknowledged without fdatasync; a crash can \
                 lose them. For measurements only."
            );
        }
        for t in &server.shared.tenders {
            outln!(
                "tender {}: qualification page http://{}/qualification, requests at /tender; tokens in {}",
                t.id,
                server.addr,
                t.data_dir
                    .join(&t.id)
                    .join("tender-credentials.json")
                    .display()
            );
        }
        for (s, entry) in started.iter().zip(&server.shared.auctions) {
            let c = &entry.config;
            if let Some(old) = &s.archived {
                outln!(
                    "{}: the previous demonstration run has ended; moved to {}",
                    s.auction,
                    old.display()
                );
            }
            outln!(
                "{}: {} {} ({} records); credentials in {}",
                s.auction,
                if s.created {
                    "new log"
                } else {
                    "recovered log"
                },
                s.log.display(),
                s.records,
                s.credentials.display()
            );
            if s.schedule_shift_ms != 0 {
                outln!(
                    "{}: schedule shifted by {} (recorded in the log)",
                    s.auction,
                    shift_text(s.schedule_shift_ms)
                );
            }
            outln!(
                "{}: opens {} ({})",
                s.auction,
                veiling::time::format_time(c.rules.opens_at, &c.time_zone),
                c.time_zone_name
            );
        }
        outln!(
            "listening on ws://{}/ws (health: http://{}/readyz)",
            server.addr,
            server.addr
        );
        outln!(
            "pages: http://{0}/bid (bidders), http://{0}/console (auctioneers), \
             http://{0}/audit (auditors); each participant's link: veiling links CREDENTIALS",
            server.addr
        );
        wait_for_signal().await;
        outln!("stopping: finishing the batch in flight, closing connections");
        server.shutdown().await;
        outln!("stopped");
        Ok(())
    })
}

fn read_credentials(path: &Path) -> Result<veiling::server::creds::CredentialsFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a credentials file: {e}", path.display()))
}

fn links(path: &Path, base: &str, only: Option<&str>) -> Result<(), String> {
    let file = read_credentials(path)?;
    let base = base.trim_end_matches('/');
    let mut shown = 0;
    // A tender's tokens open the qualification page, whatever the role.
    let tender = path
        .file_name()
        .is_some_and(|n| n == "tender-credentials.json");
    for p in file
        .participants
        .iter()
        .filter(|p| only.is_none_or(|id| id == p.id))
    {
        let page = match p.role.as_str() {
            _ if tender => "qualification",
            "supplier" => "bid",
            "auditor" => "audit",
            _ => "console",
        };
        outln!(
            "{:<10} {:<16} {base}/{page}#token={}",
            p.role,
            p.id,
            p.token
        );
        shown += 1;
    }
    match (shown, only) {
        (0, Some(id)) => Err(format!("{}: no participant '{id}'", path.display())),
        _ => Ok(()),
    }
}

fn client(
    url: String,
    token: Option<String>,
    credentials: Option<PathBuf>,
    id: Option<String>,
    resume_from: Option<u64>,
    wait_s: u64,
) -> Result<(), String> {
    use futures_util::{SinkExt, StreamExt};
    use tokio::io::AsyncBufReadExt;
    use tokio_tungstenite::tungstenite::Message;
    let token = match (token, credentials, id) {
        (Some(t), _, _) => t,
        (None, Some(path), Some(id)) => read_credentials(&path)?
            .participants
            .into_iter()
            .find(|p| p.id == id)
            .map(|p| p.token)
            .ok_or_else(|| format!("{}: no participant '{id}'", path.display()))?,
        _ => return Err("give --token, or --credentials FILE --as ID".into()),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        // Plain ws:// only (TLS is the reverse proxy's job; see docs/deploy.md).
        let host = url
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .ok_or_else(|| format!("{url}: expected ws://HOST:PORT/ws"))?;
        let stream = tokio::net::TcpStream::connect(host)
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let (ws, _) = tokio_tungstenite::client_async(url.as_str(), stream)
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let (mut tx, mut rx) = ws.split();
        let mut auth = serde_json::json!({"type": "auth", "token": token});
        if let Some(seq) = resume_from {
            auth["resume_from"] = seq.into();
        }
        tx.send(Message::Text(auth.to_string().into())).await.map_err(|e| e.to_string())?;
        let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
        let mut waiting = std::collections::BTreeSet::new();
        let mut input_done = false;
        let mut deadline: Option<tokio::time::Instant> = None;
        loop {
            tokio::select! {
                line = lines.next_line(), if !input_done => match line {
                    Ok(Some(line)) if line.trim().is_empty() => {}
                    Ok(Some(line)) => {
                        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                            && let Some(r) = v.get("req_id")
                        {
                            waiting.insert(r.to_string());
                        }
                        tx.send(Message::Text(line.into())).await.map_err(|e| e.to_string())?;
                    }
                    _ => {
                        input_done = true;
                        deadline = Some(tokio::time::Instant::now() + std::time::Duration::from_secs(wait_s));
                    }
                },
                msg = rx.next() => match msg {
                    Some(Ok(Message::Text(t))) => {
                        outln!("{t}");
                        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&t)
                            && let Some(r) = v.get("req_id")
                        {
                            waiting.remove(&r.to_string());
                        }
                    }
                    Some(Ok(Message::Close(frame))) => {
                        if let Some(f) = frame {
                            eprintln!("closed by the server: {} {}", u16::from(f.code), f.reason);
                        }
                        return Ok(());
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e.to_string()),
                    None => return Ok(()),
                },
                _ = async { match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                } } => {
                    if !waiting.is_empty() {
                        eprintln!("no answer to {} message(s) within {wait_s} s", waiting.len());
                    }
                    break;
                }
            }
            if input_done && waiting.is_empty() {
                break;
            }
        }
        let _ = tx.send(Message::Close(None)).await;
        Ok(())
    })
}

/// "+683 d 02:13:05" for a schedule shift in ms.
fn shift_text(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "+" };
    let s = ms.unsigned_abs() / 1000;
    format!(
        "{sign}{} d {:02}:{:02}:{:02}",
        s / 86_400,
        s / 3600 % 24,
        s / 60 % 60,
        s % 60
    )
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::CheckConfig { files } => return check_config(&files),
        Cmd::Simulate(args) => simulate(args),
        Cmd::Script {
            file,
            config,
            out,
            key,
            data_dir,
        } => script(&file, config.as_deref(), out, key, &data_dir),
        Cmd::Keygen { out, show } => keygen(out, show),
        Cmd::Verify {
            log,
            pubkey,
            unsealed_ok,
        } => return verify(&log, pubkey.as_deref(), unsealed_ok),
        Cmd::Replay { log, at_seq, json } => replay(&log, at_seq, json),
        Cmd::Client {
            url,
            token,
            credentials,
            id,
            resume_from,
            wait_s,
        } => client(url, token, credentials, id, resume_from, wait_s),
        Cmd::Serve(args) => serve(args),
        Cmd::Links {
            credentials,
            base,
            id,
        } => links(&credentials, &base, id.as_deref()),
        Cmd::Report { log, out, pubkey } => report(&log, &out, pubkey.as_deref()),
        Cmd::Tender { step } => return tender(step),
        Cmd::CrashWriter {
            log,
            config,
            key,
            bids,
        } => crash_writer(&log, &config, &key, bids),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("veiling: {e}");
            ExitCode::from(2)
        }
    }
}

fn check_config(files: &[PathBuf]) -> ExitCode {
    let mut ok = true;
    for file in files {
        match veiling::config::load_file(file) {
            Ok((config, _)) if config.tender.is_some() => {
                let r = &config.rules;
                outln!(
                    "{}: ok (tender {}: {} lot(s), {} candidate(s), {} criteria, format {}; run it with `veiling tender init`)",
                    file.display(),
                    r.auction_id,
                    r.lots.len(),
                    r.suppliers.len(),
                    config.tender.as_ref().map_or(0, |t| t.criteria.len()),
                    r.format.name()
                );
            }
            Ok((config, _)) => {
                let r = &config.rules;
                outln!(
                    "{}: ok ({}: {} lot(s), {} supplier(s), format {}, scoring {:?})",
                    file.display(),
                    r.auction_id,
                    r.lots.len(),
                    r.suppliers.len(),
                    r.format.name(),
                    r.scoring
                );
            }
            Err(errors) => {
                ok = false;
                for e in &errors.0 {
                    eprintln!("{}: {e}", file.display());
                }
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The example config built into the binary, so `veiling simulate` runs on a fresh checkout.
const DEFAULT_CONFIG: &str = include_str!("../auction-configs/dieetvoeding-2024.toml");

fn load_config(path: Option<&Path>) -> Result<(AuctionConfig, String), String> {
    let (config, text) = load_any_config(path)?;
    config.check_runnable()?;
    Ok((config, text))
}

/// An auction or a tender config.
fn load_any_config(path: Option<&Path>) -> Result<(AuctionConfig, String), String> {
    match path {
        Some(path) => veiling::config::load_file(path).map_err(|e| {
            e.0.iter()
                .map(|x| format!("{}: {x}", path.display()))
                .collect::<Vec<_>>()
                .join("\n")
        }),
        None => veiling::config::parse(DEFAULT_CONFIG)
            .map(|c| (c, DEFAULT_CONFIG.to_string()))
            .map_err(|e| format!("embedded config: {e}")),
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// `veiling tender ...`: exit 0 when the step was accepted, 1 when it was refused (the refusal
/// is on the record), 2 when it could not run at all.
fn tender(step: TenderCmd) -> ExitCode {
    use veiling::tender::steps::{self, Step};
    let read_json = |path: &Path| -> Result<serde_json::Value, String> {
        let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if meta.len() > 16 * 1024 * 1024 {
            return Err(format!("{}: larger than 16 MiB", path.display()));
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))
    };
    let run = |at: TenderAt, role: &str, step: Step| -> Result<steps::StepResult, String> {
        let key = server_key(at.key.as_deref(), &at.data_dir)?;
        let who = format!("{role}:{}", at.who);
        steps::run(&at.data_dir, &at.id, &who, key, now_ms(), step)
    };
    let result = match step {
        TenderCmd::Init {
            config,
            data_dir,
            key,
            start_in,
        } => server_key(key.as_deref(), &data_dir).and_then(|key| {
            let now = now_ms();
            let shift = start_in.map(|s| now + i64::from(s) * 1000);
            steps::init(&config, &data_dir, key, now, shift).map(|text| steps::StepResult {
                text,
                accepted: true,
                records: Vec::new(),
            })
        }),
        TenderCmd::Status { id, data_dir, key } => server_key(key.as_deref(), &data_dir)
            .and_then(|key| steps::status(&data_dir, &id, key))
            .map(|text| steps::StepResult {
                text,
                accepted: true,
                records: Vec::new(),
            }),
        TenderCmd::Nota { id, data_dir, key } => server_key(key.as_deref(), &data_dir)
            .and_then(|key| steps::nota(&data_dir, &id, key))
            .map(|v| steps::StepResult {
                text: format!("{v:#}\n"),
                accepted: true,
                records: Vec::new(),
            }),
        TenderCmd::Open(at) => run(at, "auctioneer", Step::Open),
        TenderCmd::Register(at) => run(at, "supplier", Step::Register),
        TenderCmd::Submit { at, file } => {
            read_json(&file).and_then(|v| run(at, "supplier", Step::Submit(v)))
        }
        TenderCmd::Ask { at, text } => run(at, "supplier", Step::Ask(text)),
        TenderCmd::Answer { at, question, text } => {
            run(at, "auctioneer", Step::Answer { question, text })
        }
        TenderCmd::Close(at) => run(at, "auctioneer", Step::Close),
        TenderCmd::Evaluate { at, file } => {
            read_json(&file).and_then(|v| run(at, "auctioneer", Step::Evaluate(v)))
        }
        TenderCmd::Publish(at) => run(at, "auctioneer", Step::Publish),
        TenderCmd::Practice(at) => run(at, "auctioneer", Step::Practice),
        TenderCmd::Live(at) => run(at, "auctioneer", Step::Live),
        TenderCmd::ProposeAward { at, live_log } => {
            let live = live_log.unwrap_or_else(|| at.data_dir.join(&at.id).join("live.log"));
            run(at, "auctioneer", Step::ProposeAward(live))
        }
        TenderCmd::ConfirmAward(at) => run(at, "auctioneer", Step::ConfirmAward),
        TenderCmd::Export {
            id,
            data_dir,
            key,
            out,
        } => server_key(key.as_deref(), &data_dir).and_then(|key| {
            let out = out.unwrap_or_else(|| data_dir.join(&id).join("export"));
            steps::export(&data_dir, &id, key, &out).map(|text| steps::StepResult {
                text,
                accepted: true,
                records: Vec::new(),
            })
        }),
    };
    match result {
        Ok(r) => {
            out!("{}", r.text);
            if r.accepted {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("veiling: {e}");
            ExitCode::from(2)
        }
    }
}

/// The signing key: the given file, or DATA_DIR/server.key (created on first use).
fn server_key(key: Option<&Path>, data_dir: &Path) -> Result<ed25519_dalek::SigningKey, String> {
    if let Some(path) = key {
        return keys::read(path).map_err(|e| e.to_string());
    }
    let path = data_dir.join("server.key");
    if path.exists() {
        return keys::read(&path).map_err(|e| e.to_string());
    }
    std::fs::create_dir_all(data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
    let key = keys::generate().map_err(|e| e.to_string())?;
    keys::write(&path, &key).map_err(|e| e.to_string())?;
    eprintln!(
        "created the server key {} (public key {})",
        path.display(),
        keys::public_hex(&key)
    );
    Ok(key)
}

#[derive(clap::Args)]
struct SimArgs {
    /// The auction config; without it, the embedded dieetvoeding-2024 example.
    #[arg(long)]
    config: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How many bidders: the config's first K suppliers, plus simulated ones beyond those
    /// (not with a log: the log's config must be the one that ran).
    #[arg(long)]
    bidders: Option<usize>,
    /// Print every input and outcome before the results.
    #[arg(long)]
    verbose: bool,
    /// Where the server key and the logs live.
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
    /// Write the log here (a new file) instead of DATA_DIR/simulate/AUCTION-seed-N.log.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Do not write a log.
    #[arg(long, conflicts_with = "out")]
    no_log: bool,
    /// The signing key (default DATA_DIR/server.key, created if missing).
    #[arg(long)]
    key: Option<PathBuf>,
}

fn simulate(a: SimArgs) -> Result<(), String> {
    let (config, text) = load_config(a.config.as_deref())?;
    let suppliers = config.rules.suppliers.len();
    let config = veiling::simulate::with_bidders(config, a.bidders)?;
    if !a.no_log && a.bidders.is_some_and(|k| k != suppliers) {
        return Err(format!(
            "--bidders {} differs from the config's {suppliers} suppliers: a log must carry the config that ran, so add --no-log or change the config",
            a.bidders.unwrap_or_default()
        ));
    }
    let seed = a.seed;
    let run = if a.no_log {
        veiling::simulate::simulate(config, seed)?
    } else {
        let key = server_key(a.key.as_deref(), &a.data_dir)?;
        let path = match a.out {
            Some(p) => {
                if p.exists() {
                    return Err(format!("{} exists: --out writes a new log", p.display()));
                }
                p
            }
            None => {
                let dir = a.data_dir.join("simulate");
                std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                let p = dir.join(format!("{}-seed-{seed}.log", config.rules.auction_id));
                // A simulation's log is regenerated: the same seed and key give the same bytes.
                if p.exists() {
                    std::fs::remove_file(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                }
                p
            }
        };
        let logged = veiling::simulate::simulate_logged(config, &text, seed, &path, key)?;
        eprintln!(
            "log: {} ({} records, head {}); check it with: veiling verify {}",
            path.display(),
            logged.records,
            logged.head,
            path.display()
        );
        logged.run
    };
    if a.verbose {
        out!("{}", run.transcript);
    }
    out!("{}", run.report);
    Ok(())
}

fn script(
    file: &Path,
    config: Option<&Path>,
    out: Option<PathBuf>,
    key: Option<PathBuf>,
    data_dir: &Path,
) -> Result<(), String> {
    let log = match out {
        Some(path) => Some(veiling::script::LogTo {
            path,
            key: server_key(key.as_deref(), data_dir)?,
        }),
        None => None,
    };
    let run = veiling::script::run_file(file, config, log)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    out!("{}", run.transcript);
    Ok(())
}

fn keygen(out: Option<PathBuf>, show: Option<PathBuf>) -> Result<(), String> {
    if let Some(path) = show {
        let key = keys::read(&path).map_err(|e| e.to_string())?;
        outln!("{}", keys::public_hex(&key));
        return Ok(());
    }
    let path = out.unwrap_or_else(|| PathBuf::from("data/server.key"));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let key = keys::generate().map_err(|e| e.to_string())?;
    keys::write(&path, &key).map_err(|e| e.to_string())?;
    eprintln!("wrote {} (mode 0600); its public key:", path.display());
    outln!("{}", keys::public_hex(&key));
    Ok(())
}

/// Progress on stderr for long logs, only when stderr is a terminal.
struct Progress {
    total: usize,
    on: bool,
    label: &'static str,
}

impl Progress {
    fn new(label: &'static str, total: usize) -> Self {
        Progress {
            total,
            on: std::io::stderr().is_terminal() && total > 4 * 1024 * 1024,
            label,
        }
    }
    fn show(&self, done: usize) {
        if self.on {
            let pct = done.saturating_mul(100) / self.total.max(1);
            let mut err = std::io::stderr();
            let _ = write!(err, "\r{}: {pct}% of {} MiB", self.label, self.total >> 20);
            let _ = err.flush();
        }
    }
    fn done(&self) {
        if self.on {
            eprint!("\r\x1b[K");
        }
    }
}

fn read_log(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn verify(path: &Path, pubkey: Option<&Path>, unsealed_ok: bool) -> ExitCode {
    let fail = |message: String| {
        eprintln!("veiling: {message}");
        ExitCode::from(2)
    };
    let key = match pubkey.map(keys::read_public).transpose() {
        Ok(k) => k,
        Err(e) => return fail(e.to_string()),
    };
    let bytes = match read_log(path) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let progress = Progress::new("verifying", bytes.len());
    let v = chain::verify(&bytes, key.as_ref(), &mut |done| progress.show(done));
    progress.done();
    if let Some(p) = v.problem {
        let torn = if p.torn_tail {
            " (a torn tail: a write that never completed and was never acknowledged; the server cuts it off when it opens the log)"
        } else {
            ""
        };
        outln!("{}: FAILED at {p}{torn}", path.display());
        return ExitCode::FAILURE;
    }
    let Some(v) = v.verified else {
        return fail("no records".into());
    };
    let key_note = match v.key_source {
        chain::KeySource::Trusted => "against the given public key",
        chain::KeySource::Header => {
            "against the key in the log's own header (give --pubkey to check it is the server's)"
        }
    };
    if !v.sealed && !unsealed_ok {
        outln!(
            "{}: FAILED: not sealed: the log does not end with the final checkpoint (a truncated log, or an auction still running: then add --unsealed-ok)",
            path.display()
        );
        return ExitCode::FAILURE;
    }
    outln!(
        "{}: ok: {} records, {} signed checkpoints verified {key_note}; {}; head {}",
        path.display(),
        v.lines.len(),
        v.checkpoints,
        if v.sealed { "sealed" } else { "NOT sealed" },
        v.head()
    );
    ExitCode::SUCCESS
}

fn verified(path: &Path) -> Result<chain::Verified, String> {
    let bytes = read_log(path)?;
    let progress = Progress::new("verifying", bytes.len());
    let v = chain::verify(&bytes, None, &mut |done| progress.show(done));
    progress.done();
    match (v.verified, v.problem) {
        (Some(v), None) => Ok(v),
        (_, Some(p)) => Err(format!("{}: does not verify: {p}", path.display())),
        (None, None) => Err(format!("{}: empty", path.display())),
    }
}

fn replay(path: &Path, at_seq: Option<u64>, json: bool) -> Result<(), String> {
    let v = verified(path)?;
    if v.header.mode == record::Mode::Tender.name() {
        // A tender log: re-execute it with the tender's rules.
        if at_seq.is_some() || json {
            return Err(
                "--at-seq and --json are for auction logs; a tender log replays whole".into(),
            );
        }
        let (tender, config) = veiling::tender::log::replay(path, &v)?;
        let tz = &config.time_zone;
        outln!(
            "{}: tender {}: {} records re-executed, every outcome as logged; phase {}{}",
            path.display(),
            config.rules.auction_id,
            v.next_seq().saturating_sub(1),
            tender.phase().name(),
            if v.sealed { " (sealed)" } else { "" }
        );
        if let Some((admitted, excluded, sha)) = tender.admission() {
            outln!(
                "  admission: {} admitted, {} excluded; auction config SHA-256 {sha}",
                admitted.len(),
                excluded.len()
            );
        }
        if let Some((head, lots)) = tender.proposal() {
            outln!("  award proposed from the live log ending {head}:");
            for a in lots {
                let winners: Vec<String> = a
                    .winners
                    .iter()
                    .map(|(r, s, total, score)| {
                        format!(
                            "{r}. {} total {total} score {score}",
                            config.rules.suppliers[s.ix()].id
                        )
                    })
                    .collect();
                outln!(
                    "    {}: {}",
                    config.rules.lots[a.lot.ix()].id,
                    winners.join("; ")
                );
            }
        }
        outln!(
            "  qualification {} .. {}",
            veiling::time::format_time(tender.tender().qualification_opens_at, tz),
            veiling::time::format_time(tender.tender().qualification_closes_at, tz)
        );
        return Ok(());
    }
    let progress = Progress::new("replaying", v.good_len);
    let total = v.good_len;
    let r = chain::replay_with_progress(&v, at_seq, &mut |done, all| {
        progress.show(total * done / all.max(1))
    });
    progress.done();
    let r = r.map_err(|p| format!("{}: {p}", path.display()))?;
    let head = match at_seq {
        Some(s) => v
            .lines
            .iter()
            .take_while(|l| l.seq <= s)
            .last()
            .map_or(record::ZERO_HASH.to_string(), |l| l.hash.clone()),
        None => v.head().to_string(),
    };
    if json {
        let value = veiling::log::standings_json(&r, &head);
        outln!(
            "{}",
            serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?
        );
    } else {
        let renderer = veiling::render::Renderer::new(&r.config);
        let ours = concat!("veiling/", env!("CARGO_PKG_VERSION"));
        if v.header.engine != ours {
            eprintln!(
                "note: the log was written by {}, this is {ours}; every outcome still matched",
                v.header.engine
            );
        }
        outln!(
            "replayed {} record(s) of {} ({}), every outcome as logged; head {head}",
            r.records + 1,
            v.header.auction,
            v.header.mode
        );
        out!("{}", renderer.standings(&r.auction));
    }
    Ok(())
}

fn report(path: &Path, out: &Path, pubkey: Option<&Path>) -> Result<(), String> {
    let key = pubkey
        .map(keys::read_public)
        .transpose()
        .map_err(|e| e.to_string())?;
    let bytes = read_log(path)?;
    if let Some(first) = bytes.split(|b| *b == b'\n').next()
        && serde_json::from_slice::<serde_json::Value>(first)
            .is_ok_and(|h| h["mode"] == record::Mode::Tender.name())
    {
        return Err(format!(
            "{} is a tender log: `veiling verify` checks it and `veiling replay` re-executes it; the report is for auction logs",
            path.display()
        ));
    }
    let html = veiling::log::report::render(&bytes, key.as_ref(), &path.display().to_string())?;
    std::fs::write(out, html).map_err(|e| format!("{}: {e}", out.display()))?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

/// Append bids to a log, printing each acknowledgement once it is durable.
fn crash_writer(log: &Path, config_path: &Path, key_path: &Path, bids: u64) -> Result<(), String> {
    use veiling::core::sequencer::Drive;
    use veiling::core::{Command, LotIx, Offer, SupplierIx};
    let (config, text) = load_config(Some(config_path))?;
    let key = keys::read(key_path).map_err(|e| e.to_string())?;
    let opens = config.rules.opens_at;
    let suppliers = config.rules.suppliers.len() as u64;
    let ceiling = config.rules.lots[0].ceiling;
    let mut opened = recorder::open(
        log,
        &config,
        &text,
        record::Mode::Live,
        opens,
        key,
        Default::default(),
    )
    .map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    let torn = opened.torn.as_ref().map_or(0, |(n, _)| *n);
    let _ = writeln!(out, "opened records={} torn_bytes={torn}", opened.records);
    let _ = out.flush();
    for _ in 0..bids {
        let d = &mut opened.driver;
        let n = d.recorder.next_seq();
        // Virtual time from the sequence number: monotonic across restarts, no clock needed.
        let at = opens + n as i64 * 10;
        let price = ceiling - rust_decimal::Decimal::new(n as i64, 2);
        let command = Command::PlaceBid {
            supplier: SupplierIx((n % suppliers) as u32),
            lot: LotIx(0),
            client_bid_id: format!("c{n}"),
            offer: Offer::Total(price),
        };
        d.submit(at, command)?;
        for r in &d.last_receipts {
            let _ = writeln!(out, "ack {} {}", r.seq, r.hash);
        }
        let _ = out.flush();
    }
    Ok(())
}
