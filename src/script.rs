//! The scenario script language: timed bids, ticks and auctioneer actions against a config, with
//! every outcome printed. The core's scenario tests are written in it, and `veiling script`
//! runs it so testers and auditors can reproduce a disputed sequence. Reference: `docs/script.md`.

use std::fmt;
use std::fmt::Write;
use std::path::Path;

use rust_decimal::Decimal;

use crate::config::{self, AuctionConfig};
use crate::core::sequencer::{Drive, Sequencer, Step};
use crate::core::*;
use crate::render::Renderer;
use crate::time::parse_time;

/// Ticks that one `run` statement may send before it gives up (every configuration ends long
/// before this; the cap keeps a broken one from looping).
pub const RUN_TICKS_MAX: usize = 10_000;
/// Largest script file read, in bytes.
pub const SCRIPT_BYTES_MAX: u64 = 4 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for ScriptError {}

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, ScriptError> {
    Err(ScriptError {
        line,
        message: message.into(),
    })
}

/// Everything a script run produced: the transcript and the final state.
pub struct ScriptRun {
    pub config: AuctionConfig,
    pub config_text: String,
    pub transcript: String,
    pub steps: Vec<Step>,
    pub auction: Auction,
}

/// Run a script file. `config` overrides any `config` statement in the script; relative config
/// paths in the script are taken from the script's folder.
/// Where to write the run's log, if anywhere (`veiling script --out`).
pub struct LogTo {
    pub path: std::path::PathBuf,
    pub key: ed25519_dalek::SigningKey,
}

pub fn run_file(
    path: &Path,
    config: Option<&Path>,
    log: Option<LogTo>,
) -> Result<ScriptRun, ScriptError> {
    let meta = std::fs::metadata(path).map_err(|e| ScriptError {
        line: 0,
        message: format!("{}: {e}", path.display()),
    })?;
    if meta.len() > SCRIPT_BYTES_MAX {
        return err(
            0,
            format!("{}: larger than {SCRIPT_BYTES_MAX} bytes", path.display()),
        );
    }
    let text = std::fs::read_to_string(path).map_err(|e| ScriptError {
        line: 0,
        message: format!("{}: {e}", path.display()),
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let preset = match config {
        Some(p) => Some(load_config(p, 0)?),
        None => None,
    };
    run(&text, base, preset, log)
}

fn load_config(path: &Path, line: usize) -> Result<(AuctionConfig, String), ScriptError> {
    let (config, text) = config::load_file(path).map_err(|e| ScriptError {
        line,
        message: format!("config {}:\n{e}", path.display()),
    })?;
    config
        .check_runnable()
        .map_err(|message| ScriptError { line, message })?;
    Ok((config, text))
}

/// Run script text. `preset` is a config given from outside (it wins over the script's own).
pub fn run(
    text: &str,
    base: &Path,
    preset: Option<(AuctionConfig, String)>,
    mut log: Option<LogTo>,
) -> Result<ScriptRun, ScriptError> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let mut loaded = preset;
    let mut runner: Option<Runner> = None;
    while let Some((n, raw_line)) = lines.next() {
        let line = raw_line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let tokens = tokenize(line).map_err(|m| ScriptError {
            line: n,
            message: m,
        })?;
        if tokens[0] == "config" {
            if runner.is_some() {
                return err(n, "config must come before the first command");
            }
            let Some(arg) = tokens.get(1) else {
                return err(n, "config needs a file path or <<TAG");
            };
            let from_script = if let Some(tag) = arg.strip_prefix("<<") {
                let mut body = String::new();
                let mut closed = false;
                for (_, l) in lines.by_ref() {
                    if l.trim() == tag {
                        closed = true;
                        break;
                    }
                    body.push_str(l);
                    body.push('\n');
                }
                if !closed {
                    return err(n, format!("config block not closed by a line '{tag}'"));
                }
                let cfg = config::parse(&body).map_err(|e| ScriptError {
                    line: n,
                    message: format!("config block:\n{e}"),
                })?;
                cfg.check_runnable()
                    .map_err(|message| ScriptError { line: n, message })?;
                (cfg, body)
            } else {
                load_config(&base.join(arg), n)?
            };
            if loaded.is_none() {
                loaded = Some(from_script);
            }
            continue;
        }
        if runner.is_none() {
            let Some((config, config_text)) = loaded.take() else {
                return err(
                    n,
                    "no config: start the script with 'config FILE' or pass --config",
                );
            };
            runner = Some(Runner::new(config, config_text, log.take()));
        }
        if let Some(r) = runner.as_mut() {
            r.statement(n, &tokens)?;
        }
    }
    let mut runner = match runner {
        Some(r) => r,
        None => match loaded {
            Some((config, text)) => Runner::new(config, text, log.take()),
            None => return err(0, "empty script and no config"),
        },
    };
    runner.finish();
    let auction = runner.auction().clone();
    Ok(ScriptRun {
        transcript: runner.out,
        steps: runner.steps,
        auction,
        config: runner.config,
        config_text: runner.config_text,
    })
}

struct Runner {
    config: AuctionConfig,
    config_text: String,
    /// The driver, made at the first input (a logged one writes its header at that time).
    driver: Option<Box<dyn Drive>>,
    log: Option<LogTo>,
    fresh: Auction,
    /// The script's clock: starts at the opening time; the first `at` may set it earlier.
    now: TimeMs,
    clock_set: bool,
    out: String,
    steps: Vec<Step>,
}

impl Runner {
    fn new(config: AuctionConfig, config_text: String, log: Option<LogTo>) -> Self {
        let now = config.rules.opens_at;
        let fresh = Auction::new(config.rules.clone());
        let mut out = String::new();
        let r = &config.rules;
        let _ = writeln!(
            out,
            "auction {} ({} lot(s), {} supplier(s)), opens {}",
            r.auction_id,
            r.lots.len(),
            r.suppliers.len(),
            crate::time::format_time(r.opens_at, &config.time_zone)
        );
        Runner {
            config,
            config_text,
            driver: None,
            log,
            fresh,
            now,
            clock_set: false,
            out,
            steps: Vec::new(),
        }
    }

    fn auction(&self) -> &Auction {
        self.driver.as_ref().map_or(&self.fresh, |d| d.auction())
    }

    fn driver(&mut self, n: usize) -> Result<&mut Box<dyn Drive>, ScriptError> {
        if self.driver.is_none() {
            let driver: Box<dyn Drive> = match self.log.take() {
                None => Box::new(Sequencer::new(self.fresh.clone())),
                Some(log) => {
                    if log.path.exists() {
                        return err(
                            n,
                            format!("{} exists: a script writes a new log", log.path.display()),
                        );
                    }
                    let opened = crate::log::recorder::open(
                        &log.path,
                        &self.config,
                        &self.config_text,
                        crate::log::record::Mode::Live,
                        self.now,
                        log.key,
                        Default::default(),
                    )
                    .map_err(|e| ScriptError {
                        line: n,
                        message: e.to_string(),
                    })?;
                    Box::new(opened.driver)
                }
            };
            self.driver = Some(driver);
        }
        match self.driver.as_mut() {
            Some(d) => Ok(d),
            None => err(n, "no driver"),
        }
    }

    fn finish(&mut self) {
        let text = Renderer::new(&self.config).standings(self.auction());
        self.out.push_str("final ");
        self.out.push_str(&text);
    }

    fn submit(&mut self, n: usize, command: Command) -> Result<(), ScriptError> {
        let now = self.now;
        let steps = self
            .driver(n)?
            .submit(now, command)
            .map_err(|message| ScriptError { line: n, message })?;
        for step in steps {
            self.record(step);
        }
        Ok(())
    }

    fn record(&mut self, step: Step) {
        let text = Renderer::new(&self.config).step(&step, self.auction());
        self.out.push_str(&text);
        self.steps.push(step);
    }

    fn supplier(&self, n: usize, id: &str) -> Result<SupplierIx, ScriptError> {
        match self.config.rules.suppliers.iter().position(|s| s.id == id) {
            Some(i) => Ok(SupplierIx(i as u32)),
            None => err(n, format!("unknown supplier '{id}'")),
        }
    }

    fn lot(&self, n: usize, id: &str) -> Result<LotIx, ScriptError> {
        match self.config.rules.lots.iter().position(|l| l.id == id) {
            Some(i) => Ok(LotIx(i as u32)),
            None => err(n, format!("unknown lot '{id}'")),
        }
    }

    fn auctioneer(&self, n: usize, id: &str) -> Result<AuctioneerIx, ScriptError> {
        match self
            .config
            .rules
            .auctioneers
            .iter()
            .position(|a| a.id == id)
        {
            Some(i) => Ok(AuctioneerIx(i as u32)),
            None => err(n, format!("unknown auctioneer '{id}'")),
        }
    }

    fn time(&self, n: usize, spec: &str) -> Result<TimeMs, ScriptError> {
        if let Some(rel) = spec.strip_prefix('+') {
            let d = parse_duration(rel).map_err(|m| ScriptError {
                line: n,
                message: m,
            })?;
            return Ok(self.now + d);
        }
        let tz = &self.config.time_zone;
        let full = if spec.contains('T') {
            spec.to_string()
        } else {
            let Some(date) = crate::time::date_of(self.config.rules.opens_at, tz) else {
                return err(n, "opening date out of range");
            };
            format!("{date}T{spec}")
        };
        parse_time(&full, tz).map_err(|m| ScriptError {
            line: n,
            message: m,
        })
    }

    fn statement(&mut self, n: usize, tokens: &[String]) -> Result<(), ScriptError> {
        let mut tokens = tokens;
        if tokens[0] == "at" {
            let Some(spec) = tokens.get(1) else {
                return err(
                    n,
                    "at needs a time: HH:MM[:SS[.mmm]], YYYY-MM-DDTHH:MM[:SS] or +DURATION",
                );
            };
            let t = self.time(n, spec)?;
            if self.clock_set && t < self.now {
                return err(
                    n,
                    format!("time {spec} is before the script's current time"),
                );
            }
            self.now = t;
            self.clock_set = true;
            tokens = &tokens[2..];
            if tokens.is_empty() {
                return Ok(());
            }
        }
        let args = Args::parse(n, &tokens[1..])?;
        match tokens[0].as_str() {
            "tick" => {
                args.done(0, &[])?;
                self.submit(n, Command::Tick)?;
            }
            "run" => {
                args.done(0, &[])?;
                let mut ticks = 0;
                while let Some(deadline) = self.auction().next_deadline() {
                    if ticks >= RUN_TICKS_MAX {
                        return err(
                            n,
                            format!("run: still not ended after {RUN_TICKS_MAX} ticks"),
                        );
                    }
                    self.now = self.now.max(deadline);
                    self.clock_set = true;
                    self.submit(n, Command::Tick)?;
                    ticks += 1;
                }
            }
            "bid" => {
                args.done(2, &["id", "price", "lines"])?;
                let supplier = self.supplier(n, args.pos(0))?;
                let lot = self.lot(n, args.pos(1))?;
                let offer = match (args.key("price"), args.key("lines")) {
                    (Some(p), None) => Offer::Total(decimal(n, p)?),
                    (None, Some(l)) => Offer::Lines(
                        l.split(',')
                            .map(|x| decimal(n, x.trim()))
                            .collect::<Result<_, _>>()?,
                    ),
                    _ => return err(n, "bid needs exactly one of price=AMOUNT or lines=A,B,..."),
                };
                let client_bid_id = args
                    .key("id")
                    .map_or_else(|| format!("line-{n}"), str::to_string);
                self.submit(
                    n,
                    Command::PlaceBid {
                        supplier,
                        lot,
                        client_bid_id,
                        offer,
                    },
                )?;
            }
            "keep" => {
                args.done(2, &[])?;
                let supplier = self.supplier(n, args.pos(0))?;
                let lot = self.lot(n, args.pos(1))?;
                self.submit(n, Command::Keep { supplier, lot })?;
            }
            verb @ ("pause" | "resume" | "terminate") => {
                args.done(1, &["reason"])?;
                let by = self.auctioneer(n, args.pos(0))?;
                let action = match verb {
                    "pause" => Action::Pause,
                    "resume" => Action::Resume,
                    _ => Action::Terminate,
                };
                self.act(by, action, &args)?;
            }
            "extend" => {
                args.done(3, &["reason"])?;
                let by = self.auctioneer(n, args.pos(0))?;
                let lot = self.lot(n, args.pos(1))?;
                let by_ms = parse_duration(args.pos(2)).map_err(|m| ScriptError {
                    line: n,
                    message: m,
                })?;
                self.act(by, Action::Extend { lot, by_ms }, &args)?;
            }
            "void" => {
                args.done(2, &["reason"])?;
                let by = self.auctioneer(n, args.pos(0))?;
                let bid = seq_number(n, args.pos(1))?;
                self.act(by, Action::VoidBid { bid }, &args)?;
            }
            "disqualify" => {
                args.done(2, &["reason"])?;
                let by = self.auctioneer(n, args.pos(0))?;
                let supplier = self.supplier(n, args.pos(1))?;
                self.act(by, Action::Disqualify { supplier }, &args)?;
            }
            "award" => {
                args.done(2, &["reason"])?;
                let by = self.auctioneer(n, args.pos(0))?;
                let lot = self.lot(n, args.pos(1))?;
                self.act(by, Action::Award { lot }, &args)?;
            }
            "message" => {
                args.done(1, &["text", "reason"])?;
                let by = self.auctioneer(n, args.pos(0))?;
                let text = args.key("text").unwrap_or_default().to_string();
                self.act(by, Action::Message { text }, &args)?;
            }
            "approve" => {
                args.done(2, &[])?;
                let by = self.auctioneer(n, args.pos(0))?;
                let request = seq_number(n, args.pos(1))?;
                self.submit(n, Command::Approve { by, request })?;
            }
            "decline" => {
                args.done(2, &["reason"])?;
                let by = self.auctioneer(n, args.pos(0))?;
                let request = seq_number(n, args.pos(1))?;
                let reason = args.key("reason").unwrap_or_default().to_string();
                self.submit(
                    n,
                    Command::Decline {
                        by,
                        request,
                        reason,
                    },
                )?;
            }
            "standings" => {
                args.done(0, &[])?;
                let text = Renderer::new(&self.config).standings(self.auction());
                self.out.push_str(&text);
            }
            "view" => {
                let renderer = Renderer::new(&self.config);
                let text = match args.positional.first().map(String::as_str) {
                    Some("supplier") => {
                        args.done(2, &[])?;
                        let s = self.supplier(n, args.pos(1))?;
                        renderer.supplier_view(self.auction(), s)
                    }
                    Some("observer") => {
                        args.done(1, &[])?;
                        renderer.observer_view(self.auction())
                    }
                    _ => return err(n, "view supplier ID | view observer"),
                };
                self.out.push_str(&text);
            }
            other => return err(n, format!("unknown command '{other}'")),
        }
        Ok(())
    }

    fn act(&mut self, by: AuctioneerIx, action: Action, args: &Args) -> Result<(), ScriptError> {
        let reason = args.key("reason").unwrap_or_default().to_string();
        self.submit(args.line, Command::Act { by, action, reason })
    }
}

/// Positional words and `key=value` pairs of one statement.
struct Args {
    line: usize,
    positional: Vec<String>,
    keys: Vec<(String, String)>,
}

impl Args {
    fn parse(line: usize, tokens: &[String]) -> Result<Args, ScriptError> {
        let mut args = Args {
            line,
            positional: Vec::new(),
            keys: Vec::new(),
        };
        for t in tokens {
            match t.split_once('=') {
                Some((k, v))
                    if !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_') =>
                {
                    if args.keys.iter().any(|(x, _)| x == k) {
                        return err(line, format!("{k}= given twice"));
                    }
                    args.keys.push((k.to_string(), v.to_string()));
                }
                _ => args.positional.push(t.clone()),
            }
        }
        Ok(args)
    }

    /// Check the statement has exactly `positional` words and only the `allowed` keys.
    fn done(&self, positional: usize, allowed: &[&str]) -> Result<(), ScriptError> {
        if self.positional.len() != positional {
            return err(
                self.line,
                format!(
                    "expected {positional} argument(s), got {}: {:?}",
                    self.positional.len(),
                    self.positional
                ),
            );
        }
        if let Some((k, _)) = self
            .keys
            .iter()
            .find(|(k, _)| !allowed.contains(&k.as_str()))
        {
            return err(
                self.line,
                format!("unknown key '{k}=' (allowed: {})", allowed.join(", ")),
            );
        }
        Ok(())
    }

    fn pos(&self, i: usize) -> &str {
        self.positional.get(i).map_or("", String::as_str)
    }

    fn key(&self, k: &str) -> Option<&str> {
        self.keys
            .iter()
            .find(|(x, _)| x == k)
            .map(|(_, v)| v.as_str())
    }
}

fn decimal(line: usize, text: &str) -> Result<Decimal, ScriptError> {
    crate::core::score::parse_plain_decimal(text).map_or_else(
        || err(line, format!("'{text}' is not a decimal amount")),
        Ok,
    )
}

fn seq_number(line: usize, text: &str) -> Result<Seq, ScriptError> {
    text.trim_start_matches('#')
        .parse()
        .or_else(|_| err(line, format!("'{text}' is not a sequence number (#N)")))
}

/// `250ms`, `90s`, `5m`, `1h30m`, `2h`: a positive duration in milliseconds.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let bad = || format!("'{text}' is not a duration (e.g. 250ms, 90s, 5m, 1h30m)");
    let mut total: i64 = 0;
    let mut rest = text;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let value: i64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let (unit_ms, len) = if rest.starts_with("ms") {
            (1, 2)
        } else if rest.starts_with('h') {
            (3_600_000, 1)
        } else if rest.starts_with('m') {
            (60_000, 1)
        } else if rest.starts_with('s') {
            (1000, 1)
        } else {
            return Err(bad());
        };
        rest = &rest[len..];
        total = value
            .checked_mul(unit_ms)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    Ok(total)
}

/// Split a line into words; `"..."` quotes (with `\"`, `\\` and `\n` escapes) may stand anywhere,
/// so `reason="two words"` is one word. A `#` outside quotes starts a comment.
pub fn tokenize(line: &str) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        None => return Err("unclosed quote".into()),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some('n') => current.push('\n'),
                            Some(e @ ('"' | '\\')) => current.push(e),
                            _ => return Err("bad escape in quotes (use \\\", \\\\ or \\n)".into()),
                        },
                        Some(c) => current.push(c),
                    }
                }
            }
            '#' if !in_word && !chars.clone().next().is_some_and(|n| n.is_ascii_digit()) => break,
            c if c.is_whitespace() => {
                if in_word {
                    tokens.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                current.push(c);
            }
        }
    }
    if in_word {
        tokens.push(current);
    }
    if tokens.is_empty() {
        return Err("empty statement".into());
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keep_quoted_words_together() {
        assert_eq!(
            tokenize(r#"pause jan reason="a \"b\" c" # note"#).unwrap(),
            vec!["pause", "jan", r#"reason=a "b" c"#]
        );
        assert_eq!(
            tokenize("void jan #7 # why").unwrap(),
            vec!["void", "jan", "#7"]
        );
        assert!(tokenize(r#"pause reason="open"#).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h30m").unwrap(), 5_400_000);
        assert_eq!(parse_duration("250ms").unwrap(), 250);
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("").is_err());
    }
}
