//! The write path: sequence inputs, turn each into a chained record, add signed checkpoints, and
//! hand the records to the durable writer before anything is acknowledged.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;

use super::chain::{self, Problem};
use super::record::*;
use super::store::{DiskStore, Writer, WriterOptions, sync_dir};
use crate::config::AuctionConfig;
use crate::core::sequencer::{Drive, Sequencer, Step};
use crate::core::*;

/// The receipt of an acknowledged input: its sequence number and its record's hash. A bidder who
/// keeps receipts can prove a later rewrite of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub seq: Seq,
    pub hash: String,
}

/// Records to append (inputs and checkpoints) at store position `position` (the number of
/// records before them), and the steps they hold.
pub struct Batch {
    pub position: u64,
    pub records: Vec<Vec<u8>>,
    pub steps: Vec<(Step, Receipt)>,
}

/// Does this outcome change a phase (and so call for a checkpoint)?
fn changes_phase(outcome: &Outcome) -> bool {
    let Outcome::Accepted(events) = outcome else {
        return false;
    };
    events.iter().any(|e| {
        matches!(
            e,
            Event::AuctionOpened { .. }
                | Event::LotOpened { .. }
                | Event::LotClosed { .. }
                | Event::AuctionClosed { .. }
                | Event::AuctionPaused { .. }
                | Event::AuctionResumed { .. }
                | Event::AuctionTerminated { .. }
                | Event::LotAwarded { .. }
                | Event::AuctionAwarded { .. }
        )
    })
}

pub struct Recorder {
    seq: Sequencer,
    rules: Rules,
    head: String,
    key: SigningKey,
    checkpoint_every: u64,
    since_checkpoint: u64,
    /// Records in the log so far (header and checkpoints included): the store position.
    position: u64,
    /// The final checkpoint is written: nothing more goes into this log.
    sealed: bool,
}

impl Recorder {
    /// A new log: its header record and the recorder that continues after it.
    pub fn start(
        config: &AuctionConfig,
        config_text: &str,
        mode: Mode,
        at: TimeMs,
        key: SigningKey,
    ) -> (Recorder, Vec<u8>) {
        let header = header_line(
            &config.rules.auction_id,
            mode,
            at,
            config_text,
            &hex(key.verifying_key().as_bytes()),
            config.schedule_shift_ms,
        );
        let recorder = Recorder {
            seq: Sequencer::resume(Auction::new(config.rules.clone()), 1, at),
            rules: config.rules.clone(),
            head: sha256_hex(&header),
            key,
            checkpoint_every: config.log_checkpoint_every,
            since_checkpoint: 0,
            position: 1,
            sealed: false,
        };
        (recorder, header)
    }

    /// Continue a replayed log.
    pub fn resume(
        replayed: chain::Replayed,
        verified: &chain::Verified,
        key: SigningKey,
    ) -> Recorder {
        let since = verified
            .lines
            .iter()
            .rev()
            .take_while(|l| l.kind() != "checkpoint" && l.seq > 0)
            .count() as u64;
        Recorder {
            rules: replayed.config.rules.clone(),
            checkpoint_every: replayed.config.log_checkpoint_every,
            seq: Sequencer::resume(replayed.auction, verified.next_seq(), replayed.now),
            head: verified.head().to_string(),
            key,
            since_checkpoint: since,
            position: verified.lines.len() as u64,
            sealed: verified.sealed,
        }
    }

    pub fn auction(&self) -> &Auction {
        self.seq.auction()
    }

    pub fn next_seq(&self) -> Seq {
        self.seq.next_seq()
    }

    /// Records in the log (header and checkpoints included).
    pub fn records(&self) -> u64 {
        self.position
    }

    pub fn head(&self) -> &str {
        &self.head
    }

    pub fn is_sealed(&self) -> bool {
        self.sealed
    }

    /// Add one sequenced step (and the checkpoint it calls for) to `batch`. Steps are recorded
    /// one at a time, in sequence order, so a checkpoint always follows the input it signs.
    fn record(&mut self, batch: &mut Batch, step: Step) {
        let names = Names { rules: &self.rules };
        let line = input_line(&self.head, &step.input, &step.outcome, &names);
        self.head = sha256_hex(&line);
        batch.records.push(line);
        self.position += 1;
        self.since_checkpoint += 1;
        let receipt = Receipt {
            seq: step.input.seq,
            hash: self.head.clone(),
        };
        let at = step.input.at;
        // The step that ends the auction (not merely one in the same batch) seals the log.
        let last = matches!(&step.outcome, Outcome::Accepted(events) if events.iter().any(|e| {
            matches!(e, Event::AuctionAwarded { .. } | Event::AuctionTerminated { .. })
        }));
        let checkpoint =
            last || changes_phase(&step.outcome) || self.since_checkpoint >= self.checkpoint_every;
        batch.steps.push((step, receipt));
        if checkpoint {
            let head_seq = batch.steps.last().map_or(0, |(step, _)| step.input.seq);
            let line = checkpoint_line(
                &self.head,
                head_seq,
                at,
                &self.rules.auction_id,
                last,
                &self.key,
            );
            self.position += 1;
            self.sealed |= last;
            self.head = sha256_hex(&line);
            batch.records.push(line);
            self.since_checkpoint = 0;
        }
    }

    /// An empty batch that starts at the current end of the log.
    pub fn empty_batch(&self) -> Batch {
        Batch {
            position: self.position,
            records: Vec::new(),
            steps: Vec::new(),
        }
    }

    /// Sequence a command (after any due tick) into records.
    pub fn submit(&mut self, at: TimeMs, command: Command) -> Batch {
        let mut batch = self.empty_batch();
        self.submit_into(&mut batch, at, command);
        batch
    }

    /// Sequence a command (after any due tick) onto the end of `batch`, which must be this
    /// recorder's current batch (from [`Recorder::empty_batch`], with nothing appended since):
    /// the server's actor collects many commands into one group commit this way.
    pub fn submit_into(&mut self, batch: &mut Batch, at: TimeMs, command: Command) {
        debug_assert_eq!(batch.position + batch.records.len() as u64, self.position);
        let before = if matches!(command, Command::Tick) {
            self.seq.initial_bids(at)
        } else {
            self.seq.advance(at)
        };
        for step in before {
            self.record(batch, step);
        }
        let step = self.seq.sequence(at, command);
        self.record(batch, step);
    }

    /// The due tick at `at` (with the initial prices before a turn-based opening), if any,
    /// onto the end of `batch`. Returns whether there was one.
    pub fn advance_into(&mut self, batch: &mut Batch, at: TimeMs) -> bool {
        let steps = self.seq.advance(at);
        let any = !steps.is_empty();
        for step in steps {
            self.record(batch, step);
        }
        any
    }

    /// The due tick at `at` (with the initial prices before a turn-based opening), if any, as
    /// records.
    pub fn advance(&mut self, at: TimeMs) -> Option<Batch> {
        let mut batch = Batch {
            position: self.position,
            records: Vec::new(),
            steps: Vec::new(),
        };
        self.advance_into(&mut batch, at).then_some(batch)
    }
}

/// A recorder bound to a durable writer: every step is durable before it is returned.
pub struct LoggedDriver {
    pub recorder: Recorder,
    pub writer: Writer,
    /// The receipts of the steps the last successful `submit` or `advance` returned, in order
    /// (only those: the driver keeps nothing that grows with the auction).
    pub last_receipts: Vec<Receipt>,
    halted: Option<String>,
}

impl LoggedDriver {
    pub fn new(recorder: Recorder, writer: Writer) -> Self {
        LoggedDriver {
            recorder,
            writer,
            last_receipts: Vec::new(),
            halted: None,
        }
    }

    /// Why the driver refuses everything, if it does: a log write failed earlier.
    pub fn halted(&self) -> Option<&str> {
        self.halted.as_deref()
    }

    /// Refuse everything from now on (a write of a batch staged with `Recorder::submit_into`
    /// failed: the recorder's state is ahead of the log, so nothing more may be recorded).
    pub fn halt(&mut self, why: String) {
        self.halted.get_or_insert(why);
    }

    /// Whether `command` may be recorded at all: the driver is not halted, the log is not
    /// sealed, and its texts fit in a record.
    pub fn admit(&self, command: &Command) -> Result<(), String> {
        if let Some(why) = &self.halted {
            return Err(why.clone());
        }
        if self.recorder.is_sealed() {
            return Err(SEALED.into());
        }
        let longest = longest_text(command);
        if longest > INPUT_TEXT_BYTES_MAX {
            return Err(format!(
                "input refused: a text of {longest} bytes; at most {INPUT_TEXT_BYTES_MAX}"
            ));
        }
        Ok(())
    }

    fn persist(&mut self, batch: Batch) -> Result<Vec<Step>, String> {
        if let Some(why) = &self.halted {
            return Err(why.clone());
        }
        self.last_receipts.clear();
        if batch.records.is_empty() {
            return Ok(Vec::new());
        }
        if let Err(e) = self.writer.append(batch.position, batch.records) {
            // Never retried: the auction halts; nothing in this batch is acknowledged.
            let why = format!("the bid log failed, the auction halts: {e}");
            self.halted = Some(why.clone());
            return Err(why);
        }
        let mut steps = Vec::with_capacity(batch.steps.len());
        for (step, receipt) in batch.steps {
            self.last_receipts.push(receipt);
            steps.push(step);
        }
        Ok(steps)
    }
}

/// Refusal once the log is sealed.
pub const SEALED: &str = "the auction has ended and its log is sealed: nothing more is accepted";

impl Drive for LoggedDriver {
    fn submit(&mut self, at: TimeMs, command: Command) -> Result<Vec<Step>, String> {
        self.admit(&command)?;
        let batch = self.recorder.submit(at, command);
        self.persist(batch)
    }
    fn advance(&mut self, at: TimeMs) -> Result<Vec<Step>, String> {
        if self.recorder.is_sealed() {
            return Ok(Vec::new());
        }
        match self.recorder.advance(at) {
            Some(batch) => self.persist(batch),
            None => Ok(Vec::new()),
        }
    }
    fn auction(&self) -> &Auction {
        self.recorder.auction()
    }
    fn now(&self) -> TimeMs {
        self.recorder.seq.now()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("{path}: {problem}")]
    Corrupt { path: PathBuf, problem: Problem },
    #[error("{path}: {message}")]
    Mismatch { path: PathBuf, message: String },
}

/// The most steps of an existing log that [`open`] hands back in [`Opened::tail`].
pub const OPEN_TAIL_STEPS_MAX: usize = 10_000;

/// What opening a log did.
pub struct Opened {
    pub driver: LoggedDriver,
    /// The config the auction runs with: the given one for a new log; for an existing log, the
    /// one its header holds (with the header's schedule shift, which may differ from the
    /// shift asked for now).
    pub config: AuctionConfig,
    /// The last steps of an existing log (at most [`OPEN_TAIL_STEPS_MAX`]) with their receipts,
    /// oldest first: the server answers resuming clients from them.
    pub tail: Vec<(Step, Receipt)>,
    pub created: bool,
    /// Bytes cut from a torn tail, and the side file that keeps them.
    pub torn: Option<(usize, PathBuf)>,
    pub records: u64,
}

/// Open (or create) the log at `path` for appending: verify the chain, cut a torn tail (kept in
/// a side file), re-execute every record through the core (refusing to start if any recomputed
/// outcome differs), and resume after the last record.
pub fn open(
    path: &Path,
    config: &AuctionConfig,
    config_text: &str,
    mode: Mode,
    now: TimeMs,
    key: SigningKey,
    writer: WriterOptions,
) -> Result<Opened, OpenError> {
    let io = |e: std::io::Error| OpenError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    // A new log: its header, durable, and the recorder after it.
    let create = |key: SigningKey, writer: WriterOptions, torn| -> Result<Opened, OpenError> {
        let (recorder, header) = Recorder::start(config, config_text, mode, now, key);
        let store = DiskStore::create(path, &header).map_err(io)?;
        Ok(Opened {
            driver: LoggedDriver::new(recorder, spawn(store, writer)),
            config: config.clone(),
            tail: Vec::new(),
            created: true,
            torn,
            records: 1,
        })
    };
    if !path.exists() {
        return create(key, writer, None);
    }
    let bytes = std::fs::read(path).map_err(io)?;
    let ours = key.verifying_key();
    let check = chain::verify(&bytes, Some(&ours), &mut |_| {});
    // A crash before the header was durable leaves an empty file or a torn header: nothing in it
    // was ever acknowledged. Keep the bytes aside and start the log anew.
    let header_torn = check.verified.is_none()
        && check
            .problem
            .as_ref()
            .is_some_and(|p| p.torn_tail || bytes.is_empty());
    if bytes.is_empty() || header_torn {
        let torn = if bytes.is_empty() {
            None
        } else {
            Some((bytes.len(), keep_aside(path, 0, &bytes).map_err(io)?))
        };
        std::fs::remove_file(path).map_err(io)?;
        return create(key, writer, torn);
    }
    let corrupt = |problem: Problem| OpenError::Corrupt {
        path: path.to_path_buf(),
        problem,
    };
    let verified = match (check.verified, check.problem) {
        (Some(v), None) => v,
        (Some(v), Some(p)) if p.torn_tail => v,
        (_, Some(p)) => return Err(corrupt(p)),
        (None, None) => {
            return Err(corrupt(Problem {
                line: 1,
                seq: None,
                reason: "empty log".into(),
                torn_tail: false,
            }));
        }
    };
    // The server's key was checked against the header by `verify`. The log must also be this
    // auction's: the same config text and mode.
    let mismatch = |message: String| OpenError::Mismatch {
        path: path.to_path_buf(),
        message,
    };
    if verified.header.config_sha256 != sha256_hex(config_text.as_bytes()) {
        return Err(mismatch(format!(
            "the log was written for another config (sha256 {}); this config's is {}",
            verified.header.config_sha256,
            sha256_hex(config_text.as_bytes())
        )));
    }
    if verified.header.mode != mode.name() {
        return Err(mismatch(format!(
            "a {} log cannot be opened as {}",
            verified.header.mode,
            mode.name()
        )));
    }
    let mut torn = None;
    if verified.good_len < bytes.len() {
        // Keep the cut bytes beside the log, durable, before cutting.
        let side =
            keep_aside(path, verified.next_seq(), &bytes[verified.good_len..]).map_err(io)?;
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(io)?;
        file.set_len(verified.good_len as u64).map_err(io)?;
        file.sync_all().map_err(io)?;
        sync_dir(path).map_err(io)?;
        torn = Some((bytes.len() - verified.good_len, side));
    }
    let replayed = chain::replay(&verified, None).map_err(corrupt)?;
    let records = verified.lines.len() as u64;
    let config = replayed.config.clone();
    let skip = replayed.steps.len().saturating_sub(OPEN_TAIL_STEPS_MAX);
    let tail = replayed
        .steps
        .iter()
        .zip(&replayed.hashes)
        .skip(skip)
        .map(|(step, hash)| {
            let receipt = Receipt {
                seq: step.input.seq,
                hash: hash.clone(),
            };
            (step.clone(), receipt)
        })
        .collect();
    let recorder = Recorder::resume(replayed, &verified, key);
    let store = DiskStore::open_append(path, records).map_err(io)?;
    Ok(Opened {
        driver: LoggedDriver::new(recorder, spawn(store, writer)),
        config,
        tail,
        created: false,
        torn,
        records,
    })
}

/// The writer `options` ask for: without fdatasync (UNSAFE, measurements only), a store that
/// never syncs, appended on the caller's thread ([`Writer::inline`]); otherwise the writer
/// thread with fdatasync.
fn spawn(store: DiskStore, options: WriterOptions) -> Writer {
    if options.unsafe_no_sync {
        Writer::inline(Box::new(store.unsafe_without_sync()), options.observer)
    } else {
        Writer::spawn_observed(Box::new(store), options.observer)
    }
}

/// Write `bytes` to a new side file beside the log and make it durable (file and directory
/// entry), so that cut bytes survive a crash during recovery.
fn keep_aside(path: &Path, seq: Seq, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let side = side_file(path, seq)?;
    std::fs::write(&side, bytes)?;
    std::fs::File::open(&side)?.sync_all()?;
    sync_dir(&side)?;
    Ok(side)
}

/// `LOG.torn-at-SEQ` (with `.N` added if that exists already); never an existing file.
fn side_file(path: &Path, seq: Seq) -> std::io::Result<PathBuf> {
    let base = format!("{}.torn-at-{seq}", path.display());
    (0..1000)
        .map(|n| match n {
            0 => PathBuf::from(&base),
            n => PathBuf::from(format!("{base}.{n}")),
        })
        .find(|p| !p.exists())
        .ok_or_else(|| std::io::Error::other(format!("{base}: 1000 side files exist already")))
}
