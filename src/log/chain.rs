//! Reading a log back: verification (framing, canonical form, chain, sequence, time, checkpoint
//! signatures) and replay (re-execute every input through the core and compare the recomputed
//! record with the logged one, byte for byte).

use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde_json::Value;

use super::record::*;
use crate::config::{self, AuctionConfig};
use crate::core::sequencer::Step;
use crate::core::*;

/// What the first record says.
#[derive(Clone, Debug)]
pub struct Header {
    pub at: TimeMs,
    pub format: String,
    pub engine: String,
    pub auction: String,
    pub mode: String,
    pub config_sha256: String,
    pub config: String,
    pub pubkey: String,
    /// How far the config's schedule was moved (0 when the header has no `schedule_shift_ms`).
    pub schedule_shift_ms: i64,
}

/// One record of a verified log.
#[derive(Clone, Debug)]
pub struct Line {
    /// The input's sequence number (0 for the header); for a checkpoint, the `head_seq` it
    /// signs.
    pub seq: Seq,
    pub at: TimeMs,
    pub hash: String,
    pub bytes: Vec<u8>,
    /// The parts of the record later readers use: `kind`, and `who` and `cmd` of an input,
    /// `final` of a checkpoint. The rest (an input's outcome above all) was checked and is
    /// dropped: kept whole, the parsed records of a 10^6-record log took some 5 GB and made
    /// recovery slower per record as the log grew (docs/performance.md).
    pub value: Value,
}

impl Line {
    pub fn kind(&self) -> &str {
        self.value.get("kind").and_then(Value::as_str).unwrap_or("")
    }
}

/// Where the signatures were checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// A key given by the auditor (`--pubkey`): the checkpoints prove the server signed.
    Trusted,
    /// Only the key written in the log's own header: consistent, but a forger could have
    /// replaced both.
    Header,
}

#[derive(Clone, Debug)]
pub struct Verified {
    pub header: Header,
    /// The log ends with the final checkpoint: the auction ended and nothing can be added.
    pub sealed: bool,
    pub lines: Vec<Line>,
    /// Bytes of complete, verified records (the file's good length).
    pub good_len: usize,
    pub checkpoints: u64,
    pub key_source: KeySource,
}

impl Verified {
    pub fn head(&self) -> &str {
        self.lines.last().map_or(ZERO_HASH, |l| l.hash.as_str())
    }
    /// The sequence number the next input gets (checkpoints take none).
    pub fn next_seq(&self) -> Seq {
        self.lines
            .iter()
            .rev()
            .find(|l| l.kind() != "checkpoint")
            .map_or(0, |l| l.seq + 1)
    }

    /// The record of input `seq` (0: the header).
    pub fn input(&self, seq: Seq) -> Option<&Line> {
        // Inputs are in order; checkpoints in between share their head's seq.
        self.lines
            .iter()
            .find(|l| l.seq == seq && l.kind() != "checkpoint")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line number in the file.
    pub line: usize,
    pub seq: Option<Seq>,
    pub reason: String,
    /// The last line is incomplete or does not parse: a write that never finished (it was
    /// never acknowledged). Recovery cuts it off; `verify` still reports it.
    pub torn_tail: bool,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.seq {
            Some(seq) => write!(f, "line {} (seq {seq}): {}", self.line, self.reason),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

/// The verified prefix and the first problem, if any.
pub struct Verification {
    pub verified: Option<Verified>,
    pub problem: Option<Problem>,
}

fn header_of(v: &Value) -> Option<Header> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    Some(Header {
        at: v.get("at")?.as_i64()?,
        format: s("format")?,
        engine: s("engine")?,
        auction: s("auction")?,
        mode: s("mode")?,
        config_sha256: s("config_sha256")?,
        config: s("config")?,
        pubkey: s("pubkey")?,
        schedule_shift_ms: match v.get("schedule_shift_ms") {
            None => 0,
            Some(n) => n.as_i64().filter(|&n| n != 0)?,
        },
    })
}

/// A public key as 64 hex digits (surrounding ASCII whitespace ignored). Only canonical
/// encodings of points of large order are keys (RFC 8032 5.1.3 decoding): the y coordinate must
/// be below p = 2^255 - 19, x = 0 must not carry the sign bit, and small-order ("weak") points
/// are refused, since anyone can forge signatures that verify under them.
pub fn parse_pubkey(hex_text: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = unhex(hex_text.trim_ascii())?.try_into().ok()?;
    let mut y = bytes;
    let sign = y[31] >> 7;
    y[31] &= 0x7f;
    // y >= p: p - 1 = 0x7fff..ffec (little-endian: ec ff .. ff 7f).
    let high_all_ones = y[1..31].iter().all(|b| *b == 0xff) && y[31] == 0x7f;
    if high_all_ones && y[0] >= 0xed {
        return None;
    }
    // x = 0 exactly when y = 1 or y = p - 1; then the sign bit must be 0.
    let is_one = y[0] == 1 && y[1..].iter().all(|b| *b == 0);
    let is_minus_one = high_all_ones && y[0] == 0xec;
    if sign == 1 && (is_one || is_minus_one) {
        return None;
    }
    let key = VerifyingKey::from_bytes(&bytes).ok()?;
    (!key.is_weak()).then_some(key)
}

/// Verify a whole log. `progress` is called with the bytes done so far, now and then.
pub fn verify(
    bytes: &[u8],
    trusted: Option<&VerifyingKey>,
    progress: &mut dyn FnMut(usize),
) -> Verification {
    let mut lines: Vec<Line> = Vec::new();
    let mut header: Option<Header> = None;
    let mut key: Option<VerifyingKey> = trusted.copied();
    let mut checkpoints = 0;
    let mut offset = 0usize;
    let mut number = 0usize;
    let done = |lines: Vec<Line>, header: Option<Header>, offset, checkpoints| {
        header.map(|header| Verified {
            sealed: lines.last().is_some_and(|l: &Line| {
                l.kind() == "checkpoint" && l.value.get("final") == Some(&Value::Bool(true))
            }),
            header,
            lines,
            good_len: offset,
            checkpoints,
            key_source: if trusted.is_some() {
                KeySource::Trusted
            } else {
                KeySource::Header
            },
        })
    };
    while offset < bytes.len() {
        number += 1;
        if number.is_multiple_of(4096) {
            progress(offset);
        }
        let rest = &bytes[offset..];
        let end = rest.iter().position(|b| *b == b'\n');
        let fail = |reason: String, seq: Option<Seq>, torn: bool| Problem {
            line: number,
            seq,
            reason,
            torn_tail: torn,
        };
        let Some(end) = end else {
            let problem = fail(
                format!(
                    "incomplete record: {} byte(s) without the closing newline",
                    rest.len()
                ),
                None,
                true,
            );
            return Verification {
                verified: done(lines, header, offset, checkpoints),
                problem: Some(problem),
            };
        };
        let is_last = offset + end + 1 == bytes.len();
        let line = &rest[..end];
        let checked = check_line(line, &lines, header.as_ref(), &mut key, is_last);
        match checked {
            Ok((value, seq, at)) => {
                if lines.is_empty() {
                    header = header_of(&value);
                    if key.is_none() {
                        key = header.as_ref().and_then(|h| parse_pubkey(&h.pubkey));
                    }
                }
                if value.get("kind").and_then(Value::as_str) == Some("checkpoint") {
                    checkpoints += 1;
                }
                lines.push(Line {
                    seq,
                    at,
                    hash: sha256_hex(line),
                    bytes: line.to_vec(),
                    value: slim(value),
                });
            }
            Err((reason, seq, torn)) => {
                return Verification {
                    verified: done(lines, header, offset, checkpoints),
                    problem: Some(fail(reason, seq, torn)),
                };
            }
        }
        offset += end + 1;
    }
    if lines.is_empty() {
        return Verification {
            verified: None,
            problem: Some(Problem {
                line: 1,
                seq: None,
                reason: "empty log: no header".into(),
                torn_tail: false,
            }),
        };
    }
    progress(offset);
    Verification {
        verified: done(lines, header, offset, checkpoints),
        problem: None,
    }
}

type LineCheck = Result<(Value, Seq, TimeMs), (String, Option<Seq>, bool)>;

fn check_line(
    line: &[u8],
    before: &[Line],
    header: Option<&Header>,
    key: &mut Option<VerifyingKey>,
    is_last: bool,
) -> LineCheck {
    if line.len() > RECORD_BYTES_MAX {
        return Err((
            format!("record longer than {RECORD_BYTES_MAX} bytes"),
            None,
            false,
        ));
    }
    let value: Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        // Only the last line may be a torn write; anywhere else it is damage.
        Err(e) => return Err((format!("not a JSON record: {e}"), None, is_last)),
    };
    let kind = value.get("kind").and_then(Value::as_str).unwrap_or("");
    // The sequence number of the last input (or the header) before this record.
    let last_seq = before
        .iter()
        .rev()
        .find(|l| l.kind() != "checkpoint")
        .map(|l| l.seq);
    let seq = if kind == "checkpoint" {
        value.get("head_seq").and_then(Value::as_u64)
    } else {
        value.get("seq").and_then(Value::as_u64)
    };
    let bad = |reason: String| Err((reason, seq, false));
    if !value.is_object() {
        return bad("not a JSON object".into());
    }
    if line_of(&value) != line {
        return bad("not in canonical form (sorted keys, no spaces, as docs/log-format.md)".into());
    }
    if has_float(&value) {
        return bad("a number that is not an integer: the log has no floats".into());
    }
    let Some(seq) = seq else {
        return bad("no seq".into());
    };
    // Inputs are numbered 1, 2, 3, ... after the header's 0; a checkpoint names the one before.
    let expected_seq = match (kind, last_seq) {
        ("checkpoint", Some(last)) => last,
        (_, Some(last)) => last + 1,
        (_, None) => 0,
    };
    if seq != expected_seq {
        let field = if kind == "checkpoint" {
            "head_seq"
        } else {
            "seq"
        };
        return bad(format!("{field} {seq} where {expected_seq} was expected"));
    }
    let expected_prev = before.last().map_or(ZERO_HASH, |l| l.hash.as_str());
    let prev = value.get("prev").and_then(Value::as_str).unwrap_or("");
    if prev != expected_prev {
        return bad(format!(
            "prev {prev} is not the hash of the previous record ({expected_prev}): the chain is broken"
        ));
    }
    let Some(at) = value.get("at").and_then(Value::as_i64) else {
        return bad("no time (at)".into());
    };
    if let Some(last) = before.last()
        && at < last.at
    {
        return bad(format!(
            "time {at} is before the previous record's {}",
            last.at
        ));
    }
    if before.last().is_some_and(|l| {
        l.kind() == "checkpoint" && l.value.get("final") == Some(&Value::Bool(true))
    }) {
        return bad("a record after the final checkpoint: the log was sealed".into());
    }
    let fields: &[&str] = match kind {
        "header" => &[
            "at",
            "auction",
            "config",
            "config_sha256",
            "engine",
            "format",
            "kind",
            "mode",
            "prev",
            "pubkey",
            "schedule_shift_ms",
            "seq",
        ],
        "input" => &["at", "cmd", "kind", "outcome", "prev", "seq", "who"],
        "checkpoint" => &["at", "final", "head", "head_seq", "kind", "prev", "sig"],
        _ => &[],
    };
    // `schedule_shift_ms` is the one optional key (a header's, present only when non-zero).
    if let Some(map) = value.as_object()
        && !fields.is_empty()
        && !map.keys().map(String::as_str).eq(fields
            .iter()
            .copied()
            .filter(|f| *f != "schedule_shift_ms" || map.contains_key(*f)))
    {
        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
        return bad(format!(
            "a {kind} record has exactly the fields {fields:?}, not {keys:?}"
        ));
    }
    match (seq, kind) {
        (0, "header") => {
            let Some(h) = header_of(&value) else {
                return bad("header lacks a field".into());
            };
            if h.format != FORMAT {
                return bad(format!("format '{}' is not {FORMAT}", h.format));
            }
            if sha256_hex(h.config.as_bytes()) != h.config_sha256 {
                return bad("config_sha256 does not match the config text".into());
            }
            match key.as_ref() {
                Some(k) if hex(k.as_bytes()) != h.pubkey => {
                    return bad(format!(
                        "the header names the key {}, not the given public key {}",
                        h.pubkey,
                        hex(k.as_bytes())
                    ));
                }
                None if !h.pubkey.is_empty() && parse_pubkey(&h.pubkey).is_none() => {
                    return bad("pubkey is not an Ed25519 public key".into());
                }
                _ => {}
            }
        }
        (_, "header") => return bad("a second header".into()),
        (0, _) if before.is_empty() => {
            return bad(format!("the first record must be the header, not '{kind}'"));
        }
        (_, "input") => {
            for field in ["who", "cmd", "outcome"] {
                if value.get(field).is_none() {
                    return bad(format!("input record lacks '{field}'"));
                }
            }
        }
        (_, "checkpoint") => {
            let head = value.get("head").and_then(Value::as_str).unwrap_or("");
            if head != expected_prev || before.last().is_some_and(|l| l.kind() == "checkpoint") {
                return bad("checkpoint does not name the record before it".into());
            }
            let Some(last) = value.get("final").and_then(Value::as_bool) else {
                return bad("checkpoint lacks 'final'".into());
            };
            let auction = header.map_or("", |h| h.auction.as_str());
            let sig = value
                .get("sig")
                .and_then(Value::as_str)
                .and_then(unhex)
                .and_then(|b| <[u8; 64]>::try_from(b).ok())
                .map(|b| Signature::from_bytes(&b));
            let Some(sig) = sig else {
                return bad("checkpoint signature is not 64 hex bytes".into());
            };
            let Some(k) = key.as_ref() else {
                return bad("checkpoint present but no public key to check it".into());
            };
            if k.verify(&checkpoint_message(auction, seq, head, at, last), &sig)
                .is_err()
            {
                return bad("checkpoint signature does not verify".into());
            }
        }
        _ => return bad(format!("unknown record kind '{kind}'")),
    }
    Ok((value, seq, at))
}

/// A log re-executed through the core.
pub struct Replayed {
    pub config: AuctionConfig,
    pub auction: Auction,
    /// Every input step, in order, as re-executed.
    pub steps: Vec<Step>,
    /// The record hash of each input step (its receipt).
    pub hashes: Vec<String>,
    /// The time of the last record replayed.
    pub now: TimeMs,
    pub records: u64,
}

/// Re-execute the verified records up to and including seq `until` (all by default): every
/// recomputed record must equal the logged one byte for byte.
pub fn replay(v: &Verified, until: Option<Seq>) -> Result<Replayed, Problem> {
    replay_with_progress(v, until, &mut |_, _| {})
}

/// [`replay`], calling `progress(records done, records in all)` now and then.
pub fn replay_with_progress(
    v: &Verified,
    until: Option<Seq>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Replayed, Problem> {
    // Line numbers in the file, for messages (checkpoints make them differ from seq + 1).
    let number = |line: &Line| {
        v.lines
            .iter()
            .position(|l| std::ptr::eq(l, line))
            .map_or(0, |i| i + 1)
    };
    let problem = |line: &Line, reason: String| Problem {
        line: number(line),
        seq: Some(line.seq),
        reason,
        torn_tail: false,
    };
    let first = v.lines.first().ok_or(Problem {
        line: 1,
        seq: None,
        reason: "empty log".into(),
        torn_tail: false,
    })?;
    let mut config = config::parse(&v.header.config).map_err(|e| {
        problem(
            first,
            format!("the embedded config does not validate with this engine:\n{e}"),
        )
    })?;
    config.shift_schedule(v.header.schedule_shift_ms);
    let names_rules = config.rules.clone();
    let names = Names {
        rules: &names_rules,
    };
    let mut auction = Auction::new(config.rules.clone());
    let mut steps = Vec::new();
    let mut hashes = Vec::new();
    let mut now = v.header.at;
    let mut records = 0;
    let mut prev = first.hash.clone();
    for (n, line) in v.lines[1..].iter().enumerate() {
        if until.is_some_and(|u| line.seq > u) {
            break;
        }
        if n % 4096 == 0 {
            progress(n, v.lines.len());
        }
        records += 1;
        now = line.at;
        if line.kind() == "input" {
            let who = line.value.get("who").and_then(Value::as_str).unwrap_or("");
            let cmd = line.value.get("cmd").unwrap_or(&Value::Null);
            let command = parse_command(who, cmd, &names)
                .ok_or_else(|| problem(line, format!("cannot read the command ({who})")))?;
            let input = Input {
                seq: line.seq,
                at: line.at,
                command,
            };
            let outcome = auction.execute(&input);
            let recomputed = input_line(&prev, &input, &outcome, &names);
            if recomputed != line.bytes {
                return Err(problem(
                    line,
                    format!(
                        "the recomputed record differs from the logged one:\n  logged:     {}\n  recomputed: {}",
                        String::from_utf8_lossy(&line.bytes),
                        String::from_utf8_lossy(&recomputed)
                    ),
                ));
            }
            hashes.push(line.hash.clone());
            steps.push(Step { input, outcome });
        }
        prev = line.hash.clone();
    }
    Ok(Replayed {
        config,
        auction,
        steps,
        hashes,
        now,
        records,
    })
}

/// A verified record's parsed value, cut to what [`Line::value`] keeps.
fn slim(value: Value) -> Value {
    match value {
        Value::Object(mut m) => {
            m.retain(|k, _| matches!(k.as_str(), "kind" | "who" | "cmd" | "final"));
            Value::Object(m)
        }
        other => other,
    }
}

/// Does a JSON value hold a number that is not an integer, anywhere?
fn has_float(v: &Value) -> bool {
    match v {
        Value::Number(n) => !(n.is_i64() || n.is_u64()),
        Value::Array(a) => a.iter().any(has_float),
        Value::Object(m) => m.values().any(has_float),
        _ => false,
    }
}
