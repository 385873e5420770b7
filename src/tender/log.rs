//! The tender log on disk: created with its header, every input durable (fdatasync) before the
//! caller hears its outcome, a signed checkpoint after every phase change, sealed by the
//! confirmed award. Opening verifies the chain and the signatures with the server's key, cuts a
//! torn tail aside (`tender.log.torn-at-SEQ`: a record whose write never finished was never
//! acknowledged), and re-executes every record: the outcome must come out byte for byte.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use serde_json::Value;

use super::record::{TNames, input_line, parse_command};
use super::{Tender, TenderCommand, TenderEvent, TenderOutcome};
use crate::config::{self, AuctionConfig};
use crate::core::{Seq, TimeMs};
use crate::log::chain;
use crate::log::record::{Mode, checkpoint_line, header_line, hex, sha256_hex};
use crate::log::store::{DiskStore, LogStore};

pub struct TenderLog {
    path: PathBuf,
    tender: Tender,
    config: AuctionConfig,
    config_text: String,
    store: DiskStore,
    key: SigningKey,
    head: String,
    next_seq: Seq,
    /// Records in the file (header and checkpoints included): where the next one goes.
    position: u64,
    /// The time of the last record: a record's time never goes back (a clock that jumps back
    /// is raised to it, as the auction's sequencer does).
    last_at: TimeMs,
    sealed: bool,
}

/// One acknowledged tender input: its number, its record's hash, and what came of it.
pub struct TenderReceipt {
    pub seq: Seq,
    pub hash: String,
    pub outcome: TenderOutcome,
}

fn io(path: &Path, e: impl std::fmt::Display) -> String {
    format!("{}: {e}", path.display())
}

impl TenderLog {
    /// Start the tender log of `config` (a config with `[tender]`) at `path`, which must not
    /// exist.
    pub fn create(
        path: &Path,
        config: &AuctionConfig,
        config_text: &str,
        at: TimeMs,
        key: SigningKey,
    ) -> Result<TenderLog, String> {
        let tender_rules = config
            .tender
            .clone()
            .ok_or_else(|| format!("'{}' has no [tender]", config.rules.auction_id))?;
        if path.exists() {
            return Err(format!(
                "{} exists: the tender has a log already",
                path.display()
            ));
        }
        let header = header_line(
            &config.rules.auction_id,
            Mode::Tender,
            at,
            config_text,
            &hex(key.verifying_key().as_bytes()),
            config.schedule_shift_ms,
        );
        let store = DiskStore::create(path, &header).map_err(|e| io(path, e))?;
        Ok(TenderLog {
            path: path.to_path_buf(),
            tender: Tender::new(tender_rules, config.rules.clone()),
            config: config.clone(),
            config_text: config_text.to_string(),
            store,
            key,
            head: sha256_hex(&header),
            next_seq: 1,
            position: 1,
            last_at: at,
            sealed: false,
        })
    }

    /// Open an existing tender log: verify it with `key`, keep a torn tail aside, re-execute it.
    pub fn open(path: &Path, key: SigningKey) -> Result<TenderLog, String> {
        let mut bytes = std::fs::read(path).map_err(|e| io(path, e))?;
        let check = chain::verify(&bytes, Some(&key.verifying_key()), &mut |_| {});
        let verified = match (check.verified, check.problem) {
            (Some(v), None) => v,
            (Some(v), Some(p)) if p.torn_tail => {
                // A record whose write never finished: keep it aside, cut it off.
                let aside = path.with_extension(format!("log.torn-at-{}", v.next_seq()));
                std::fs::write(&aside, &bytes[v.good_len..]).map_err(|e| io(&aside, e))?;
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|e| io(path, e))?;
                file.set_len(v.good_len as u64).map_err(|e| io(path, e))?;
                file.sync_all().map_err(|e| io(path, e))?;
                bytes.truncate(v.good_len);
                v
            }
            (_, Some(p)) => return Err(format!("{}: {p}", path.display())),
            (None, None) => return Err(format!("{}: empty", path.display())),
        };
        let (tender, config) = replay(path, &verified)?;
        let position = verified.lines.len() as u64;
        let store = DiskStore::open_append(path, position).map_err(|e| io(path, e))?;
        Ok(TenderLog {
            path: path.to_path_buf(),
            tender,
            config,
            config_text: verified.header.config.clone(),
            store,
            key,
            head: verified.head().to_string(),
            next_seq: verified.next_seq(),
            position,
            last_at: verified.lines.last().map_or(TimeMs::MIN, |l| l.at),
            sealed: verified.sealed,
        })
    }

    pub fn tender(&self) -> &Tender {
        &self.tender
    }
    pub fn config(&self) -> &AuctionConfig {
        &self.config
    }
    pub fn config_text(&self) -> &str {
        &self.config_text
    }
    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn head(&self) -> &str {
        &self.head
    }
    pub fn is_sealed(&self) -> bool {
        self.sealed
    }

    /// Decide on `command` at `at`, record it (accepted or refused), make it durable, and only
    /// then return its outcome. A phase change adds a signed checkpoint; the confirmed award
    /// adds the final one, which seals the log.
    pub fn submit(&mut self, at: TimeMs, command: TenderCommand) -> Result<TenderReceipt, String> {
        if self.sealed {
            return Err(
                "the tender is complete and its log is sealed: nothing more is accepted".into(),
            );
        }
        let seq = self.next_seq;
        let at = at.max(self.last_at);
        let before = self.tender.phase();
        let outcome = self.tender.handle(seq, at, &command);
        let names = TNames {
            tender: self.tender.tender(),
            rules: self.tender.rules(),
        };
        let line = input_line(&self.head, seq, at, &command, &outcome, &names);
        let hash = sha256_hex(&line);
        let mut records = vec![line];
        let mut head = hash.clone();
        let mut after = self.tender.clone();
        if let Ok(events) = &outcome {
            for e in events {
                after.apply(e);
            }
        }
        let last = matches!(&outcome, Ok(events) if events
            .iter()
            .any(|e| matches!(e, TenderEvent::AwardConfirmed { .. })));
        if last || after.phase() != before {
            let cp = checkpoint_line(
                &head,
                seq,
                at,
                &self.config.rules.auction_id,
                last,
                &self.key,
            );
            head = sha256_hex(&cp);
            records.push(cp);
        }
        let count = records.len() as u64;
        self.store.append(self.position, &records).map_err(|e| {
            format!(
                "{}: the record could not be made durable: {e}",
                self.path.display()
            )
        })?;
        self.tender = after;
        self.head = head;
        self.next_seq += 1;
        self.position += count;
        self.last_at = at;
        self.sealed = last;
        Ok(TenderReceipt { seq, hash, outcome })
    }
}

/// Re-execute a verified tender log: every record's outcome must come out byte for byte. Gives
/// the tender as the log leaves it, and its config (with the header's schedule shift).
pub fn replay(path: &Path, verified: &chain::Verified) -> Result<(Tender, AuctionConfig), String> {
    if verified.header.mode != Mode::Tender.name() {
        return Err(format!(
            "{} is a {} log, not a tender log",
            path.display(),
            verified.header.mode
        ));
    }
    let mut config = config::parse(&verified.header.config)
        .map_err(|e| format!("{}: the embedded config: {e}", path.display()))?;
    config.shift_schedule(verified.header.schedule_shift_ms);
    let tender_rules = config
        .tender
        .clone()
        .ok_or_else(|| format!("{}: the embedded config has no [tender]", path.display()))?;
    let mut tender = Tender::new(tender_rules, config.rules.clone());
    let mut prev = verified
        .lines
        .first()
        .map(|l| l.hash.clone())
        .unwrap_or_default();
    for line in verified.lines.iter().skip(1) {
        if line.kind() == "input" {
            let who = line.value.get("who").and_then(Value::as_str).unwrap_or("");
            let cmd = line.value.get("cmd").unwrap_or(&Value::Null);
            let at = line.at;
            let names = TNames {
                tender: tender.tender(),
                rules: tender.rules(),
            };
            let command = parse_command(who, cmd, &names).map_err(|e| {
                format!(
                    "{}: record {}: cannot read the command: {e}",
                    path.display(),
                    line.seq
                )
            })?;
            let outcome = tender.handle(line.seq, at, &command);
            let again = input_line(&prev, line.seq, at, &command, &outcome, &names);
            if again != line.bytes {
                return Err(format!(
                    "{}: record {} does not replay: the rules give\n{}\nthe log has\n{}",
                    path.display(),
                    line.seq,
                    String::from_utf8_lossy(&again),
                    String::from_utf8_lossy(&line.bytes)
                ));
            }
            if let Ok(events) = &outcome {
                for e in events {
                    tender.apply(e);
                }
            }
        }
        prev = line.hash.clone();
    }
    Ok((tender, config))
}

/// Write `text` to `path` durably: a new file beside it, fdatasync, rename over, sync the
/// directory. A crash leaves the old file or the new one, never half of one.
pub fn write_durably(path: &Path, text: &[u8]) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).map_err(|e| io(&tmp, e))?;
    f.write_all(text).map_err(|e| io(&tmp, e))?;
    f.sync_data().map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))?;
    crate::log::store::sync_dir(path).map_err(|e| io(path, e))
}
