//! `veiling report`: a self-contained HTML report of a log for auditors.
//!
//! One HTML file without external resources (inline CSS, inline SVG charts, no scripts), to read
//! and to archive. The report verifies the log ([`chain::verify`]), re-executes it through the
//! core ([`chain::replay`]) and shows everything that can be shown of the verified, identically
//! replayed prefix, with a prominent warning when either check fails.
//!
//! It is a pure function of the log bytes, the key given and the file name: no clock, ordered
//! iteration only, so the same log gives the same bytes. Human text for commands, events and
//! rejections comes from [`Renderer`]; every text that comes from the config or the log goes
//! through [`escape`]. Amounts are printed exactly as the engine holds them; only the pixel
//! coordinates of the charts are rounded (to a tenth of a pixel, in integer and decimal
//! arithmetic).

use std::collections::BTreeMap;
use std::fmt::Write;

use ed25519_dalek::VerifyingKey;
use jiff::tz::TimeZone;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::chain::{self, KeySource, Problem, Replayed, Verified};
use super::record::hex;
use crate::config::AuctionConfig;
use crate::core::rules::limits;
use crate::core::view::alias_label;
use crate::core::*;
use crate::render::Renderer;
use crate::time::{date_of, format_clock, format_duration, format_time};

/// The engine that makes the report (it also replays the log).
const ENGINE: &str = concat!("veiling/", env!("CARGO_PKG_VERSION"));

/// Render the report of the log `bytes` (named `name` in the report). `key` is the server's
/// public key as the auditor knows it (`--pubkey`); without it the checkpoint signatures are
/// checked against the key in the log's own header, and the report says so.
///
/// When the header does not pass against the given key (it names another key), the log is read
/// against its own header key instead, under a prominent warning that it is not proven to come
/// from the holder of the given key.
///
/// An error only when there is nothing to report: the file has no valid header record.
pub fn render(bytes: &[u8], key: Option<&VerifyingKey>, name: &str) -> Result<String, String> {
    let mut verification = chain::verify(bytes, key, &mut |_| {});
    let mut key_problem = None;
    if verification.verified.is_none() && key.is_some() {
        let own = chain::verify(bytes, None, &mut |_| {});
        if own.verified.is_some() {
            key_problem = verification.problem.take();
            verification = own;
        }
    }
    let Some(verified) = verification.verified else {
        let why = key_problem
            .or(verification.problem)
            .map_or_else(|| "no header".to_string(), |p| p.to_string());
        return Err(format!("{name}: nothing to report: {why}"));
    };
    let (replayed, replay_problem) = match chain::replay(&verified, None) {
        Ok(r) => (Some(r), None),
        Err(p) => {
            // Show the state up to the last record that replays identically.
            let prefix = p
                .seq
                .and_then(|s| s.checked_sub(1))
                .and_then(|s| chain::replay(&verified, Some(s)).ok());
            (prefix, Some(p))
        }
    };
    let report = Report {
        name,
        total_bytes: bytes.len(),
        trusted: key,
        verified: &verified,
        problem: verification.problem.as_ref(),
        key_problem: key_problem.as_ref(),
        replayed: replayed.as_ref(),
        replay_problem: replay_problem.as_ref(),
    };
    Ok(report.html())
}

/// `text` made safe as HTML text and as a double- or single-quoted attribute value. Control
/// characters other than newline and tab (which HTML cannot carry) become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "<style>
body{font-family:sans-serif;font-size:14px;line-height:1.4;color:#111;margin:2em auto;max-width:76em;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.4em}
h2{font-size:1.3em;border-bottom:2px solid #333;margin-top:2.2em}
h3{font-size:1.1em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0 1em}
th,td{border:1px solid #bbb;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#eee}
table.kv th{width:15em}
td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
code{font-family:monospace;word-break:break-all}
tr.rej td{background:#fdecea}
tr.void td{background:#fff4e0}
tr.win td{background:#e9f7ef}
.alert{border:3px solid #b00020;background:#fdecea;padding:.6em 1em;margin:1em 0}
.warn{border:2px solid #b26a00;background:#fff4e0;padding:.5em 1em;margin:1em 0}
.okbox{border:2px solid #0a6b2f;background:#e9f7ef;padding:.5em 1em;margin:1em 0}
.bad{color:#b00020;font-weight:bold}
.good{color:#0a6b2f;font-weight:bold}
.muted{color:#666}
pre{background:#f6f6f6;border:1px solid #ccc;padding:.6em;white-space:pre-wrap;word-break:break-all}
svg{display:block;max-width:100%;height:auto;margin:.5em 0}
@media print{body{margin:0;max-width:none}tr{break-inside:avoid}svg{break-inside:avoid}
.alert,.warn,.okbox,tr.rej td,tr.void td,tr.win td{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
</style>
";

/// Everything the report is made from.
struct Report<'a> {
    name: &'a str,
    total_bytes: usize,
    trusted: Option<&'a VerifyingKey>,
    verified: &'a Verified,
    /// The first verification problem.
    problem: Option<&'a Problem>,
    /// The replayed verified prefix (up to the first record that does not replay identically).
    replayed: Option<&'a Replayed>,
    replay_problem: Option<&'a Problem>,
    /// The log does not verify against the given key; it was read against its header's key.
    key_problem: Option<&'a Problem>,
}

/// `<tr><th>key</th><td>value</td></tr>`; `value` is HTML.
fn kv(o: &mut String, key: &str, value: &str) {
    let _ = writeln!(o, "<tr><th>{}</th><td>{value}</td></tr>", escape(key));
}

/// A header row of static labels.
fn header_row(o: &mut String, labels: &[&str]) {
    o.push_str("<tr>");
    for l in labels {
        let _ = write!(o, "<th>{}</th>", escape(l));
    }
    o.push_str("</tr>\n");
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn code(text: &str) -> String {
    format!("<code>{}</code>", escape(text))
}

/// `line N (seq S): the first line of the reason`.
fn problem_head(p: &Problem) -> String {
    let first = p.reason.lines().next().unwrap_or("");
    match p.seq {
        Some(seq) => format!("line {} (seq {seq}): {first}", p.line),
        None => format!("line {}: {first}", p.line),
    }
}

impl Report<'_> {
    fn time_zone(&self) -> TimeZone {
        self.replayed
            .map_or(TimeZone::UTC, |r| r.config.time_zone.clone())
    }

    fn html(&self) -> String {
        let h = &self.verified.header;
        let mut o = String::with_capacity(64 * 1024);
        o.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        let _ = writeln!(o, "<title>Auction report {}</title>", escape(&h.auction));
        o.push_str(STYLE);
        o.push_str("</head>\n<body>\n");
        self.title(&mut o);
        self.banner(&mut o);
        o.push_str(
            "<nav><ol>\
             <li><a href=\"#verification\">Verification</a></li>\
             <li><a href=\"#rules\">Rules in force</a></li>\
             <li><a href=\"#timeline\">Timeline</a></li>\
             <li><a href=\"#bids\">Bids</a></li>\
             <li><a href=\"#actions\">Auctioneer actions and requests</a></li>\
             <li><a href=\"#results\">Ranking and winners</a></li>\
             <li><a href=\"#charts\">Bid history charts</a></li>\
             <li><a href=\"#config\">Appendix: the embedded config</a></li>\
             </ol></nav>\n",
        );
        self.verification(&mut o);
        match self.replayed {
            Some(rep) => {
                let run = Run::new(rep, self.problem.is_some() || self.replay_problem.is_some());
                run.rules(&mut o);
                run.timeline(&mut o);
                run.bids(&mut o);
                run.actions(&mut o);
                run.results(&mut o);
                run.charts(&mut o);
            }
            None => o.push_str(
                "<section id=\"rules\"><h2>2. Rules and course of the auction</h2>\
                 <div class=\"alert\"><strong>Not available</strong>: the embedded config could \
                 not be read by this engine, so nothing of the auction can be recomputed. See \
                 the replay result above and the config text in the appendix.</div></section>\n",
            ),
        }
        self.config_text(&mut o);
        let _ = writeln!(
            o,
            "<footer><p class=\"muted\">Made by {} from the log {} ({} bytes). This report is \
             a deterministic function of the log and the key given: the same log gives the \
             same report.</p></footer>\n</body>\n</html>",
            escape(ENGINE),
            escape(self.name),
            self.total_bytes
        );
        o
    }

    fn title(&self, o: &mut String) {
        let h = &self.verified.header;
        let tz = self.time_zone();
        let config = self.replayed.map(|r| &r.config);
        let title = config.map(|c| c.rules.title.as_str());
        let _ = writeln!(
            o,
            "<h1>Auction report: {}{}</h1>",
            escape(&h.auction),
            title
                .map(|t| format!(" &#8212; {}", escape(t)))
                .unwrap_or_default()
        );
        o.push_str("<table class=\"kv\">\n");
        kv(o, "Auction id", &code(&h.auction));
        kv(
            o,
            "Title",
            &title.map_or_else(
                || "<span class=\"muted\">unknown: the config could not be read</span>".into(),
                escape,
            ),
        );
        let mode = match h.mode.as_str() {
            "live" => "live: a real, binding auction".to_string(),
            "practice" => "<strong>practice</strong>: a rehearsal, not a binding auction".into(),
            other => escape(other),
        };
        kv(o, "Mode", &mode);
        kv(o, "Log file", &code(self.name));
        kv(o, "Log format", &code(&h.format));
        kv(o, "Written by engine", &code(&h.engine));
        kv(o, "Log started", &escape(&format_time(h.at, &tz)));
        kv(
            o,
            "Config SHA-256",
            &format!(
                "{} (the hash of the config text embedded in the log header; checked)",
                code(&h.config_sha256)
            ),
        );
        if let Some(c) = config {
            let home = date_of(c.rules.opens_at, &c.time_zone)
                .map(|d| d.to_string())
                .unwrap_or_default();
            kv(
                o,
                "Times",
                &format!(
                    "in the auction's time zone, {}; a time on the opening date ({}) is shown \
                     as the clock time only, other times with their date and zone",
                    escape(&c.time_zone_name),
                    escape(&home)
                ),
            );
        } else {
            kv(o, "Times", "UTC (the auction's time zone is unknown)");
        }
        let same = h.engine == ENGINE;
        kv(
            o,
            "Report made by",
            &format!(
                "{}{}",
                code(ENGINE),
                if same {
                    ""
                } else {
                    " (not the engine that wrote the log: the replay shows whether this engine \
                     recomputes every record identically)"
                }
            ),
        );
        o.push_str("</table>\n");
    }

    fn banner(&self, o: &mut String) {
        let v = self.verified;
        if let Some(p) = self.key_problem {
            let _ = writeln!(
                o,
                "<div class=\"alert\" role=\"alert\"><strong>WARNING: VERIFICATION FAILED \
                 against the given public key</strong> at {}.<br>The log is not proven to come \
                 from the holder of that key. Below, it is read against the key named in its own \
                 header only, which a forger could have chosen.</div>",
                escape(&problem_head(p)),
            );
        }
        if let Some(p) = self.problem {
            let _ = writeln!(
                o,
                "<div class=\"alert\" role=\"alert\"><strong>WARNING: VERIFICATION FAILED</strong> \
                 at {}.{}<br>This report shows only the verified prefix of the file: its first {} \
                 records ({} of {} bytes). Whatever follows is not covered by this report and \
                 must not be relied on.</div>",
                escape(&problem_head(p)),
                if p.reason.contains("the chain is broken") {
                    " A broken chain means that this record or the one before it was changed."
                } else {
                    ""
                },
                v.lines.len(),
                v.good_len,
                self.total_bytes
            );
        }
        if let Some(p) = self.replay_problem {
            let upto = match (p.seq.and_then(|s| s.checked_sub(1)), self.replayed) {
                (Some(s), Some(_)) => format!(
                    "The auction below is shown as replayed up to seq {s}, the last record \
                     that replays identically."
                ),
                _ => "Nothing of the auction could be recomputed.".into(),
            };
            let _ = writeln!(
                o,
                "<div class=\"alert\" role=\"alert\"><strong>WARNING: REPLAY FAILED</strong> at \
                 {}.<br>The log does not re-execute to the records it contains: this engine \
                 cannot read a recorded input, or computes another outcome from the inputs and \
                 the config than the one recorded. {}</div>",
                escape(&problem_head(p)),
                escape(&upto)
            );
        }
    }

    fn verification(&self, o: &mut String) {
        let v = self.verified;
        let h = &v.header;
        o.push_str("<section id=\"verification\"><h2>1. Verification</h2>\n");
        let inputs = v.lines.iter().filter(|l| l.kind() == "input").count();
        if let Some(p) = self.key_problem {
            let _ = writeln!(
                o,
                "<div class=\"alert\"><strong>VERIFICATION FAILED against the given public \
                 key</strong>: {}.<br>What follows is checked against the key in the log's own \
                 header.</div>",
                escape(&p.to_string())
            );
        }
        match self.problem {
            None if self.key_problem.is_some() => {
                let _ = writeln!(
                    o,
                    "<div class=\"warn\"><strong>Consistent with its own header key</strong>: \
                     all {} records pass the checks against the key named in the header.</div>",
                    v.lines.len()
                );
            }
            None => {
                let _ = writeln!(
                    o,
                    "<div class=\"okbox\"><strong>Verification OK</strong>: all {} records pass \
                     the checks: framing, canonical form, hash chain, contiguous sequence \
                     numbers, non-decreasing times, the config hash and every checkpoint \
                     signature.</div>",
                    v.lines.len()
                );
            }
            Some(p) => {
                let torn = if p.torn_tail {
                    "<br>The last record is incomplete: a write that never finished (it was \
                     never acknowledged to anyone). Recovery cuts it off."
                } else {
                    ""
                };
                let _ = writeln!(
                    o,
                    "<div class=\"alert\"><strong>VERIFICATION FAILED</strong>: the first \
                     problem is at {}.{torn}<br>Only the {} records before it are verified.\
                     </div>",
                    escape(&p.to_string()),
                    v.lines.len(),
                );
            }
        }
        o.push_str("<table class=\"kv\">\n");
        kv(
            o,
            "Records verified",
            &format!(
                "{}: 1 header, {inputs} input(s) (seq 1 to {}), {} checkpoint(s)",
                v.lines.len(),
                v.next_seq().saturating_sub(1),
                v.checkpoints
            ),
        );
        kv(
            o,
            "Bytes verified",
            &format!("{} of {}", v.good_len, self.total_bytes),
        );
        let header_key = if h.pubkey.is_empty() {
            "<span class=\"muted\">none</span>".to_string()
        } else {
            code(&h.pubkey)
        };
        let (source, key_text) = match (v.key_source, self.trusted) {
            (KeySource::Trusted, Some(k)) => {
                let hex_key = hex(k.as_bytes());
                let differs = if hex_key == h.pubkey {
                    String::new()
                } else {
                    format!(
                        "<br><span class=\"bad\">The log header names another key:</span> {header_key}"
                    )
                };
                (
                    "<span class=\"good\">Key source: trusted key given with --pubkey</span>: \
                     verified checkpoints prove that the holder of this key signed the log up \
                     to the last checkpoint."
                        .to_string(),
                    format!("{}{differs}", code(&hex_key)),
                )
            }
            _ => (
                "<span class=\"bad\">Key source: the log header only (not independently \
                 trusted)</span>: this shows the log is consistent with itself, not who wrote \
                 it; a forger could have replaced the records and the key together. Make the \
                 report with --pubkey and the server's published key to prove its origin."
                    .to_string(),
                header_key,
            ),
        };
        kv(o, "Signatures checked against", &source);
        kv(o, "Public key", &key_text);
        let last_cp = v
            .lines
            .iter()
            .enumerate()
            .rev()
            .find(|(_, l)| l.kind() == "checkpoint");
        let checkpoints = match last_cp {
            None => "none: no record of this log is covered by a signature".to_string(),
            Some((index, cp)) => {
                let head_seq = cp.seq;
                let after = v.lines.len().saturating_sub(index + 1);
                format!(
                    "{} verified; the last (line {}) signs the log up to input seq {head_seq}; {}",
                    v.checkpoints,
                    index + 1,
                    if after == 0 {
                        "no record follows it".to_string()
                    } else {
                        format!("{after} record(s) after it are not covered by a signature")
                    }
                )
            }
        };
        kv(o, "Signed checkpoints", &checkpoints);
        kv(
            o,
            "Sealed",
            if v.sealed {
                "<span class=\"good\">Sealed: yes</span>: the log ends with the final signed \
                 checkpoint; the auction ended and nothing can be added"
            } else {
                "<span class=\"bad\">Sealed: no</span>: the log does not end with the final \
                 checkpoint (the auction was still running, the server stopped, or the file \
                 was cut)"
            },
        );
        kv(
            o,
            "Head hash",
            &format!(
                "{} (SHA-256 of the last verified record, line {})",
                code(v.head()),
                v.lines.len()
            ),
        );
        let replay = match (self.replay_problem, self.replayed) {
            (None, Some(r)) => format!(
                "<span class=\"good\">Replay OK</span>: the {} input(s) were re-executed by {} \
                 with the embedded config, and every recomputed record equals the logged one \
                 byte for byte",
                r.steps.len(),
                escape(ENGINE)
            ),
            (Some(p), _) => format!(
                "<span class=\"bad\">REPLAY FAILED</span> at {}{}",
                escape(&problem_head(p)),
                if p.reason.contains('\n') {
                    format!("<pre>{}</pre>", escape(&p.reason))
                } else {
                    String::new()
                }
            ),
            (None, None) => "not done".into(),
        };
        kv(o, "Replay", &replay);
        o.push_str("</table>\n</section>\n");
    }

    fn config_text(&self, o: &mut String) {
        let h = &self.verified.header;
        let _ = writeln!(
            o,
            "<section id=\"config\"><h2>Appendix: the embedded config</h2>\n<p>The config text \
             as embedded in the log header; its SHA-256 is {}.</p>\n<pre>{}</pre>\n</section>",
            code(&h.config_sha256),
            escape(&h.config)
        );
    }
}

/// The replayed auction, with names and times.
struct Run<'a> {
    rep: &'a Replayed,
    config: &'a AuctionConfig,
    rules: &'a Rules,
    r: Renderer<'a>,
    /// Only a prefix of the log could be verified or replayed.
    partial: bool,
}

/// A timeline event (phases, extensions, pauses, voids, disqualifications, awards)?
fn on_timeline(e: &Event) -> bool {
    !matches!(
        e,
        Event::BidAccepted(_)
            | Event::ActionRequested { .. }
            | Event::ActionApproved { .. }
            | Event::ActionDeclined { .. }
            | Event::MessageSent { .. }
    )
}

impl<'a> Run<'a> {
    fn new(rep: &'a Replayed, partial: bool) -> Self {
        Run {
            rep,
            config: &rep.config,
            rules: &rep.config.rules,
            r: Renderer::new(&rep.config),
            partial,
        }
    }

    fn auction(&self) -> &'a Auction {
        &self.rep.auction
    }

    fn steps(&self) -> &'a [sequencer::Step] {
        &self.rep.steps
    }

    /// A time as the renderer prints it, escaped.
    fn t(&self, ms: TimeMs) -> String {
        escape(&self.r.time(ms))
    }

    /// A time with its date and zone, escaped.
    fn full(&self, ms: TimeMs) -> String {
        escape(&format_time(ms, &self.config.time_zone))
    }

    fn event(&self, e: &Event) -> String {
        escape(&self.r.event(e, self.auction()))
    }

    /// The explanation of a rejection, without the `rejected [code]: ` prefix the renderer adds.
    fn why(&self, r: &Rejection) -> String {
        let text = self.r.rejection(r);
        let prefix = format!("rejected [{}]: ", r.code());
        escape(text.strip_prefix(&prefix).unwrap_or(&text))
    }

    fn rejected(&self, r: &Rejection) -> String {
        format!(
            "<span class=\"bad\">rejected</span> {}: {}",
            code(r.code()),
            self.why(r)
        )
    }

    fn alias(&self, s: SupplierIx) -> String {
        self.auction()
            .alias_of(s)
            .map_or_else(|| "-".into(), |a| format!("Inschrijver {}", alias_label(a)))
    }

    /// The lot's line ids with their prices, one per line; or the total.
    fn offer(&self, lot: LotIx, offer: &Offer) -> String {
        match offer {
            Offer::Total(t) => escape(&t.to_string()),
            Offer::Lines(prices) => self.line_prices(lot, prices),
        }
    }

    fn line_prices(&self, lot: LotIx, prices: &[Decimal]) -> String {
        let lines = self.rules.lots.get(lot.ix()).map(|l| &l.lines);
        prices
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let id = lines
                    .and_then(|ls| ls.get(i))
                    .map_or_else(|| format!("line {}", i + 1), |l| l.id.clone());
                format!("{}&#160;{}", escape(&id), escape(&p.to_string()))
            })
            .collect::<Vec<_>>()
            .join("<br>")
    }

    fn first_deadline(&self, i: usize) -> String {
        let rules = self.rules;
        match rules.timing {
            LotTiming::Parallel { closes_at } => self.full(closes_at),
            LotTiming::Staggered {
                first_closes_at,
                gap_ms,
            } => self.full(first_closes_at.saturating_add(gap_ms.saturating_mul(i as i64))),
            LotTiming::Serial { duration_ms, .. } if i == 0 => {
                self.full(rules.opens_at.saturating_add(duration_ms))
            }
            LotTiming::Serial { duration_ms, .. } => format!(
                "{} after the lot opens",
                escape(&format_duration(duration_ms))
            ),
        }
    }

    fn rules(&self, o: &mut String) {
        let rules = self.rules;
        let c = self.config;
        o.push_str("<section id=\"rules\"><h2>2. Rules in force</h2>\n");
        o.push_str(
            "<p>As validated from the config embedded in the log header (its full text is in \
             the appendix). Money is in euro; amounts are exact.</p>\n",
        );

        o.push_str("<h3>Timing</h3>\n<table class=\"kv\">\n");
        kv(
            o,
            "Format",
            &format!(
                "{}: {}",
                code(rules.format.name()),
                escape(rules.format.rules().describe())
            ),
        );
        if let Some(invited) = c.invited_at {
            kv(o, "Invitation sent", &self.full(invited));
        }
        kv(o, "Auction opens", &self.full(rules.opens_at));
        let timing = match rules.timing {
            LotTiming::Parallel { closes_at } => format!(
                "parallel: every lot opens when the auction opens; every lot's first deadline \
                 is {}",
                self.full(closes_at)
            ),
            LotTiming::Staggered {
                first_closes_at,
                gap_ms,
            } => format!(
                "staggered: every lot opens when the auction opens; the first lot's first \
                 deadline is {}, each next lot's {} later",
                self.full(first_closes_at),
                escape(&format_duration(gap_ms))
            ),
            LotTiming::Serial {
                duration_ms,
                gap_ms,
            } => format!(
                "serial: the first lot opens when the auction opens; each lot runs {} to its \
                 first deadline; the next lot opens {} after the previous one has closed \
                 (after any extensions)",
                escape(&format_duration(duration_ms)),
                escape(&format_duration(gap_ms))
            ),
        };
        kv(o, "Timing mode", &timing);
        kv(o, "Time zone", &escape(&c.time_zone_name));
        o.push_str("</table>\n");

        o.push_str("<h3>Lots</h3>\n<table>\n");
        header_row(
            o,
            &[
                "Lot",
                "Name",
                "Ceiling",
                "Floor",
                "Hidden reserve",
                "Winners",
                "Price decimals",
                "First deadline",
                "Line items",
                "Admitted suppliers",
            ],
        );
        for (i, lot) in rules.lots.iter().enumerate() {
            let admitted: Vec<String> = rules
                .suppliers
                .iter()
                .filter(|s| s.admitted_to(LotIx(i as u32)))
                .map(|s| escape(&s.id))
                .collect();
            let opt = |d: Option<Decimal>| {
                d.map_or_else(
                    || "<span class=\"muted\">none</span>".into(),
                    |d| escape(&d.to_string()),
                )
            };
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td>\
                 <td class=\"n\">{}</td><td>{}</td></tr>",
                code(&lot.id),
                escape(&lot.name),
                escape(&lot.ceiling.to_string()),
                opt(lot.floor),
                opt(lot.reserve),
                lot.winners,
                lot.price_decimals,
                self.first_deadline(i),
                lot.lines.len(),
                admitted.join(", ")
            );
        }
        o.push_str("</table>\n");
        o.push_str(
            "<p>The ceiling and floor bound every bid's total. The reserve is hidden from \
             suppliers and never refuses a bid; at the award the result records whether the \
             rank-1 total is at or below it. It is shown here for the auditor.</p>\n",
        );
        for lot in rules.lots.iter().filter(|l| !l.lines.is_empty()) {
            let _ = writeln!(
                o,
                "<h4>Line items of lot {}</h4>\n<p>A bid gives one unit price per line, in this \
                 order; its total is the sum of unit price &#215; quantity.</p>\n<table>",
                escape(&lot.id)
            );
            header_row(o, &["Line", "Description", "Unit", "Quantity"]);
            for line in &lot.lines {
                let _ = writeln!(
                    o,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                    code(&line.id),
                    escape(&line.description),
                    escape(&line.unit),
                    escape(&line.quantity.to_string())
                );
            }
            o.push_str("</table>\n");
        }

        self.bid_rules(o);
        self.scoring(o);
        self.participants(o);
        o.push_str("</section>\n");
    }

    fn bid_rules(&self, o: &mut String) {
        let b = &self.rules.bids;
        o.push_str("<h3>Bid rules</h3>\n<table class=\"kv\">\n");
        if !self.rules.format.rules().may_bid_again() {
            kv(
                o,
                "Bids per supplier",
                "one per lot (a second is refused: already_bid); a voided bid may be replaced; \
                 no decrement and no typing-error guard apply",
            );
        }
        if self.rules.format.rules().sealed() {
            kv(
                o,
                "Sealed",
                "while a lot is open no live view shows a bid, a rank, the best score or the \
                 number of bidders, and no bid is announced; the close opens all bids at once \
                 (the log records every bid as it came in)",
            );
        }
        let unit = match b.decrement_from {
            DecrementFrom::Own => "",
            DecrementFrom::Best => " score units",
        };
        let step = match (b.decrement_amount, b.decrement_percent) {
            (Some(a), Some(p)) => format!("the larger of {a}{unit} and {p}% of the reference"),
            (Some(a), None) => format!("{a}{unit}"),
            (None, Some(p)) => format!("{p}% of the reference"),
            (None, None) => "none".into(),
        };
        if let Some(rule) = self.rules.format.rules().price_rule() {
            kv(o, "How it runs", &escape(&rule));
        }
        if self.rules.format.rules().may_bid_again()
            && self.rules.format.rules().price_steps().is_none()
        {
            kv(o, "Minimum decrement (step)", &escape(&step));
            kv(
                o,
                "Decrement measured from",
                match b.decrement_from {
                    DecrementFrom::Own => {
                        "own: the bidder's own standing total; a new total must be at most that \
                         total minus the step (no check on a bidder's first bid on a lot)"
                    }
                    DecrementFrom::Best => {
                        "best: the best standing score on the lot; a new score must be at most that \
                         score minus the step (no check on the lot's first bid)"
                    }
                },
            );
            kv(
                o,
                "Maximum drop (typing-error guard)",
                &b.max_drop_percent.map_or_else(
                    || "none".to_string(),
                    |p| {
                        escape(&format!(
                            "{p}%: a new total may not fall more than {p}% below the bidder's own \
                             standing total"
                        ))
                    },
                ),
            );
        }
        kv(
            o,
            "Minimum interval",
            &if b.bid_interval_min_ms > 0 {
                escape(&format!(
                    "{} between two accepted bids of one supplier on one lot",
                    format_duration(b.bid_interval_min_ms)
                ))
            } else {
                "none".to_string()
            },
        );
        kv(
            o,
            "Ties",
            match b.ties {
                Ties::EarlierWins => {
                    "earlier wins: equal scores rank in order of acceptance, the earlier bid higher"
                }
                Ties::RejectAtBest => {
                    "reject at best: a bid whose score equals the best standing score is \
                     refused; equal scores below rank 1 rank earlier-first"
                }
            },
        );
        kv(
            o,
            "Every bid also",
            "comes from an admitted supplier that is not disqualified, while the auction is \
             open and not paused and before the lot's deadline; each price is above 0 with at \
             most the lot's price decimals; the total is within the ceiling and the floor",
        );
        o.push_str("</table>\n<h3>Soft close</h3>\n<table class=\"kv\">\n");
        match self.rules.format.rules().soft_close() {
            Some(sc) => {
                kv(
                    o,
                    "Window",
                    &escape(&format!(
                        "{}: an accepted bid at or after the deadline minus this extends the lot",
                        format_duration(sc.window_ms)
                    )),
                );
                kv(
                    o,
                    "Extension",
                    &escape(&format!(
                        "{} from the {}",
                        format_duration(sc.extension_ms),
                        match sc.extend_from {
                            ExtendFrom::Bid => "bid's time",
                            ExtendFrom::Deadline => "current deadline",
                        }
                    )),
                );
                kv(
                    o,
                    "Only bids reaching rank",
                    &sc.rank_max
                        .map_or_else(|| "any rank".into(), |r| format!("{r} or better")),
                );
                kv(
                    o,
                    "At most",
                    &sc.extensions_max.map_or_else(
                        || "no limit on the number".into(),
                        |m| format!("{m} soft-close extension(s) per lot"),
                    ),
                );
                kv(
                    o,
                    "Hard close",
                    &sc.hard_close_after_ms.map_or_else(
                        || "none".into(),
                        |ms| {
                            escape(&format!(
                                "the lot's first deadline plus {}",
                                format_duration(ms)
                            ))
                        },
                    ),
                );
            }
            None => kv(
                o,
                "Soft close",
                "none: every lot closes at its first deadline (an auctioneer can still extend \
                 by hand)",
            ),
        }
        kv(
            o,
            "Manual extension",
            &escape(&format!(
                "by an auctioneer, at most {} per action; not counted and not capped by the \
                 hard close",
                format_duration(limits::MANUAL_EXTENSION_MAX_MS)
            )),
        );
        o.push_str("</table>\n");
    }

    fn scoring(&self, o: &mut String) {
        let rules = self.rules;
        let method = match rules.scoring {
            Scoring::Price => "price: score = total".to_string(),
            Scoring::FictieveKorting => {
                "fictieve korting: score = total &#8722; the supplier's quality bonus (euro) for \
                 the lot"
                    .into()
            }
            Scoring::Coefficient => format!(
                "coefficient: score = total / (1 + the supplier's quality coefficient for the \
                 lot), rounded half to even to {} decimals",
                limits::COEFFICIENT_SCORE_DECIMALS
            ),
        };
        o.push_str("<h3>Scoring and visibility</h3>\n<table class=\"kv\">\n");
        kv(o, "Scoring method", &method);
        kv(
            o,
            "Suppliers see the best score",
            yes_no(rules.visibility.best_score),
        );
        kv(
            o,
            "Suppliers see the number of bidders",
            yes_no(rules.visibility.bidder_count),
        );
        kv(
            o,
            "Four-eyes rule",
            if rules.four_eyes {
                "yes: voiding a bid, disqualifying a supplier and terminating the auction wait \
                 for the approval of a second, different auctioneer"
            } else {
                "no: every auctioneer action takes effect at once"
            },
        );
        kv(
            o,
            "Log checkpoints",
            &format!(
                "a signed checkpoint at every phase change and at least every {} record(s)",
                self.config.log_checkpoint_every
            ),
        );
        o.push_str("</table>\n");
        let _ = writeln!(
            o,
            "<h4>Admission and quality values per lot</h4>\n<p>{}</p>\n<table>",
            if rules.scoring == Scoring::Price {
                "Price scoring uses no quality values: the table shows admission only."
            } else {
                "Each admitted supplier's frozen quality value per lot; a dash: not admitted."
            }
        );
        let mut labels = vec!["Supplier"];
        labels.extend(rules.lots.iter().map(|l| l.id.as_str()));
        header_row(o, &labels);
        for s in &rules.suppliers {
            let _ = write!(o, "<tr><td>{}</td>", code(&s.id));
            for i in 0..rules.lots.len() {
                let cell = if !s.admitted_to(LotIx(i as u32)) {
                    "<span class=\"muted\">&#8212;</span>".to_string()
                } else if rules.scoring == Scoring::Price {
                    "admitted".into()
                } else {
                    escape(&s.quality.get(i).copied().unwrap_or_default().to_string())
                };
                let _ = write!(o, "<td class=\"n\">{cell}</td>");
            }
            o.push_str("</tr>\n");
        }
        o.push_str("</table>\n");
    }

    fn participants(&self, o: &mut String) {
        let rules = self.rules;
        let c = self.config;
        o.push_str(
            "<h3>Participants</h3>\n<p>Suppliers, with the anonymous alias the observers saw \
             (given in order of first accepted bid; the charts use these aliases).</p>\n<table>\n",
        );
        header_row(o, &["Supplier", "Name", "Alias", "Admitted to"]);
        for (i, s) in rules.suppliers.iter().enumerate() {
            let lots: Vec<String> = rules
                .lots
                .iter()
                .enumerate()
                .filter(|(l, _)| s.admitted_to(LotIx(*l as u32)))
                .map(|(_, l)| escape(&l.id))
                .collect();
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                code(&s.id),
                escape(&s.name),
                escape(&self.alias(SupplierIx(i as u32))),
                lots.join(", ")
            );
        }
        o.push_str("</table>\n<table>\n");
        header_row(o, &["Auctioneer", "Name"]);
        for a in &rules.auctioneers {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td></tr>",
                code(&a.id),
                escape(&a.name)
            );
        }
        o.push_str("</table>\n");
        if !rules.observers.is_empty() {
            o.push_str("<table>\n");
            header_row(o, &["Observer", "Name", "For buyer"]);
            for (i, ob) in rules.observers.iter().enumerate() {
                let buyer = c
                    .observer_buyer
                    .get(i)
                    .copied()
                    .flatten()
                    .and_then(|b| c.buyers.get(b))
                    .map_or_else(String::new, |b| escape(&b.id));
                let _ = writeln!(
                    o,
                    "<tr><td>{}</td><td>{}</td><td>{buyer}</td></tr>",
                    code(&ob.id),
                    escape(&ob.name)
                );
            }
            o.push_str("</table>\n");
        }
        o.push_str("<h4>Buyers</h4>\n");
        if c.buyers.is_empty() {
            o.push_str("<p>None stated in the config.</p>\n");
        } else {
            o.push_str("<table>\n");
            header_row(o, &["Buyer", "Name", "Share"]);
            for b in &c.buyers {
                let per_lot: Vec<String> = b
                    .shares
                    .iter()
                    .zip(&c.rules.lots)
                    .filter_map(|(s, lot)| s.map(|s| format!("{} {s}%", lot.id)))
                    .collect();
                let share = match b.share_percent {
                    Some(p) => escape(&format!("{p}%")),
                    None if !per_lot.is_empty() => escape(&per_lot.join(", ")),
                    None => "<span class=\"muted\">not stated</span>".into(),
                };
                let _ = writeln!(
                    o,
                    "<tr><td>{}</td><td>{}</td><td class=\"n\">{share}</td></tr>",
                    code(&b.id),
                    escape(&b.name)
                );
            }
            o.push_str("</table>\n");
        }
    }

    fn timeline(&self, o: &mut String) {
        o.push_str(
            "<section id=\"timeline\"><h2>3. Timeline</h2>\n<p>Phases, extensions (with their \
             cause), pauses, voids, disqualifications, termination and awards, in log order. \
             Seq is the sequence number of the input that caused the event; a lot closes at \
             its deadline, which the next tick records.</p>\n<table>\n",
        );
        header_row(o, &["Time", "Seq", "Event"]);
        let mut any = false;
        for step in self.steps() {
            let Outcome::Accepted(events) = &step.outcome else {
                continue;
            };
            for e in events.iter().filter(|e| on_timeline(e)) {
                any = true;
                let _ = writeln!(
                    o,
                    "<tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                    self.t(e.at()),
                    step.input.seq,
                    self.event(e)
                );
            }
        }
        if !any {
            o.push_str("<tr><td colspan=\"3\">No events.</td></tr>\n");
        }
        let _ = writeln!(
            o,
            "</table>\n<p>End of the {}log at {} (seq {}): the auction is {}.</p>\n</section>",
            if self.partial {
                "usable part of the "
            } else {
                ""
            },
            self.t(self.rep.now),
            self.rep.records,
            escape(self.auction().phase().name())
        );
    }

    fn bids(&self, o: &mut String) {
        let mut voided: BTreeMap<Seq, String> = BTreeMap::new();
        for step in self.steps() {
            if let Outcome::Accepted(events) = &step.outcome {
                for e in events {
                    if let Event::BidVoided {
                        bid,
                        at,
                        by,
                        reason,
                        ..
                    } = e
                    {
                        voided.insert(
                            *bid,
                            format!(
                                "voided at {} (seq {}) by {}: {}",
                                self.t(*at),
                                step.input.seq,
                                escape(&self.r.auctioneer(*by)),
                                escape(reason)
                            ),
                        );
                    }
                }
            }
        }
        let (mut accepted, mut rejected, mut repeated) = (0, 0, 0);
        let mut rows = String::new();
        for step in self.steps() {
            let Command::PlaceBid {
                supplier,
                lot,
                client_bid_id,
                offer,
            } = &step.input.command
            else {
                continue;
            };
            let seq = step.input.seq;
            let (class, total, score, outcome) = match &step.outcome {
                Outcome::Accepted(events) => {
                    accepted += 1;
                    let record = events.iter().find_map(|e| match e {
                        Event::BidAccepted(b) => Some(b),
                        _ => None,
                    });
                    let mut text = "<span class=\"good\">accepted</span>".to_string();
                    for e in events {
                        if let Event::LotExtended { .. } = e {
                            let _ = write!(text, "<br>{}", self.event(e));
                        }
                    }
                    let class = match voided.get(&seq) {
                        Some(v) => {
                            let _ = write!(text, "<br><span class=\"bad\">{v}</span>");
                            "void"
                        }
                        None => "",
                    };
                    (
                        class,
                        record.map_or_else(String::new, |b| escape(&b.total.to_string())),
                        record.map_or_else(String::new, |b| escape(&b.score.to_string())),
                        text,
                    )
                }
                Outcome::Rejected(r) => {
                    rejected += 1;
                    ("rej", String::new(), String::new(), self.rejected(r))
                }
                Outcome::Repeated { bid } => {
                    repeated += 1;
                    (
                        "",
                        String::new(),
                        String::new(),
                        format!(
                            "repeat of bid #{bid} (same client bid id and offer): the original \
                             outcome is returned; nothing changes"
                        ),
                    )
                }
            };
            let _ = writeln!(
                rows,
                "<tr class=\"{class}\"><td class=\"n\">{seq}</td><td class=\"n\">{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{total}</td>\
                 <td class=\"n\">{score}</td><td>{outcome}</td></tr>",
                self.t(step.input.at),
                code(&self.r.supplier(*supplier)),
                escape(&self.r.lot(*lot)),
                escape(client_bid_id),
                self.offer(*lot, offer),
            );
        }
        let _ = writeln!(
            o,
            "<section id=\"bids\"><h2>4. Bids</h2>\n<p>Every bid in the log, accepted and \
             rejected, in the order received: {} bid input(s), {accepted} accepted ({} of them \
             voided later), {rejected} rejected, {repeated} repeat(s). An accepted bid is known \
             by its seq. The offer is the total, or the unit price per line item; the total of \
             a line-item bid is the sum of unit price &#215; quantity.</p>\n<table>",
            accepted + rejected + repeated,
            voided.len()
        );
        header_row(
            o,
            &[
                "Seq",
                "Time",
                "Supplier",
                "Lot",
                "Client bid id",
                "Offer",
                "Total",
                "Score",
                "Outcome",
            ],
        );
        if rows.is_empty() {
            rows.push_str("<tr><td colspan=\"9\">No bids.</td></tr>\n");
        }
        o.push_str(&rows);
        o.push_str("</table>\n");

        // Every rejection in the log, bids and actions alike, by code.
        let mut codes: BTreeMap<&str, Vec<Seq>> = BTreeMap::new();
        for step in self.steps() {
            if let Outcome::Rejected(r) = &step.outcome {
                codes.entry(r.code()).or_default().push(step.input.seq);
            }
        }
        o.push_str("<h3>Rejections by code</h3>\n");
        if codes.is_empty() {
            o.push_str("<p>No input was rejected.</p>\n");
        } else {
            o.push_str("<p>All rejected inputs (bids and auctioneer actions).</p>\n<table>\n");
            header_row(o, &["Code", "Count", "Seq"]);
            for (c, seqs) in &codes {
                let list: Vec<String> = seqs.iter().map(|s| s.to_string()).collect();
                let _ = writeln!(
                    o,
                    "<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                    code(c),
                    seqs.len(),
                    list.join(", ")
                );
            }
            o.push_str("</table>\n");
        }
        o.push_str("</section>\n");
    }

    fn actions(&self, o: &mut String) {
        o.push_str(
            "<section id=\"actions\"><h2>5. Auctioneer actions and requests</h2>\n<p>Every \
             auctioneer input with its reason and outcome, in log order.</p>\n<table>\n",
        );
        header_row(
            o,
            &["Seq", "Time", "Auctioneer", "Action", "Reason", "Outcome"],
        );
        let mut any = false;
        for step in self.steps() {
            let (by, what, reason) = match &step.input.command {
                Command::Act { by, action, reason } => (by, self.r.action(action), Some(reason)),
                Command::Approve { by, request } => {
                    (by, format!("approve request #{request}"), None)
                }
                Command::Decline {
                    by,
                    request,
                    reason,
                } => (by, format!("decline request #{request}"), Some(reason)),
                _ => continue,
            };
            any = true;
            let (class, outcome) = match &step.outcome {
                Outcome::Accepted(events) => (
                    "",
                    events
                        .iter()
                        .map(|e| self.event(e))
                        .collect::<Vec<_>>()
                        .join("<br>"),
                ),
                Outcome::Rejected(r) => ("rej", self.rejected(r)),
                Outcome::Repeated { bid } => ("", format!("repeat of #{bid}")),
            };
            let _ = writeln!(
                o,
                "<tr class=\"{class}\"><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{outcome}</td></tr>",
                step.input.seq,
                self.t(step.input.at),
                code(&self.r.auctioneer(*by)),
                escape(&what),
                reason.map_or_else(String::new, |r| escape(r)),
            );
        }
        if !any {
            o.push_str("<tr><td colspan=\"6\">No auctioneer actions.</td></tr>\n");
        }
        o.push_str("</table>\n");
        self.requests(o);
        o.push_str("</section>\n");
    }

    /// The four-eyes requests: who asked, who approved or declined, refused attempts.
    fn requests(&self, o: &mut String) {
        struct Request {
            row: String,
            resolution: Option<String>,
            refused: Vec<String>,
        }
        let mut requests: BTreeMap<Seq, Request> = BTreeMap::new();
        for step in self.steps() {
            let seq = step.input.seq;
            match &step.outcome {
                Outcome::Accepted(events) => {
                    for e in events {
                        match e {
                            Event::ActionRequested {
                                request,
                                at,
                                by,
                                action,
                                reason,
                            } => {
                                let row = format!(
                                    "<td class=\"n\">#{request}</td><td>{} by {}</td><td>{}</td><td>{}</td>",
                                    self.t(*at),
                                    code(&self.r.auctioneer(*by)),
                                    escape(&self.r.action(action)),
                                    escape(reason)
                                );
                                requests.insert(
                                    *request,
                                    Request {
                                        row,
                                        resolution: None,
                                        refused: Vec::new(),
                                    },
                                );
                            }
                            Event::ActionApproved { request, at, by } => {
                                if let Some(r) = requests.get_mut(request) {
                                    r.resolution = Some(format!(
                                        "<span class=\"good\">approved</span> by {} at {} (seq {seq}); carried out",
                                        escape(&self.r.auctioneer(*by)),
                                        self.t(*at)
                                    ));
                                }
                            }
                            Event::ActionDeclined {
                                request,
                                at,
                                by,
                                reason,
                            } => {
                                if let Some(r) = requests.get_mut(request) {
                                    r.resolution = Some(format!(
                                        "<span class=\"bad\">declined</span> by {} at {} (seq {seq}): {}",
                                        escape(&self.r.auctioneer(*by)),
                                        self.t(*at),
                                        escape(reason)
                                    ));
                                }
                            }
                            _ => {}
                        }
                    }
                }
                Outcome::Rejected(rejection) => {
                    let (by, request, verb) = match &step.input.command {
                        Command::Approve { by, request } => (by, request, "approve"),
                        Command::Decline { by, request, .. } => (by, request, "decline"),
                        _ => continue,
                    };
                    if let Some(r) = requests.get_mut(request)
                        && r.resolution.is_none()
                    {
                        r.refused.push(format!(
                            "{} tried to {verb} at {} (seq {seq}): {}",
                            escape(&self.r.auctioneer(*by)),
                            self.t(step.input.at),
                            self.rejected(rejection)
                        ));
                    }
                }
                Outcome::Repeated { .. } => {}
            }
        }
        o.push_str("<h3>Requests under the four-eyes rule</h3>\n");
        if requests.is_empty() {
            let _ = writeln!(
                o,
                "<p>No requests{}.</p>",
                if self.rules.four_eyes {
                    ""
                } else {
                    " (the four-eyes rule is off)"
                }
            );
            return;
        }
        o.push_str("<table>\n");
        header_row(
            o,
            &[
                "Request",
                "Requested",
                "Action",
                "Reason",
                "Approved or declined",
            ],
        );
        for r in requests.values() {
            let mut resolution = r.resolution.clone().unwrap_or_else(|| {
                "<span class=\"bad\">still pending</span> at the end of the log".into()
            });
            for refused in &r.refused {
                let _ = write!(resolution, "<br><span class=\"muted\">{refused}</span>");
            }
            let _ = writeln!(o, "<tr>{}<td>{resolution}</td></tr>", r.row);
        }
        o.push_str("</table>\n");
    }

    fn results(&self, o: &mut String) {
        let auction = self.auction();
        let view = auction.auctioneer_view();
        let mut awards: BTreeMap<LotIx, String> = BTreeMap::new();
        for step in self.steps() {
            if let Outcome::Accepted(events) = &step.outcome {
                for e in events {
                    if let Event::LotAwarded {
                        lot,
                        at,
                        by,
                        reason,
                        ..
                    } = e
                    {
                        awards.insert(
                            *lot,
                            format!(
                                "awarded at {} (seq {}) by {}: {}",
                                self.t(*at),
                                step.input.seq,
                                escape(&self.r.auctioneer(*by)),
                                escape(reason)
                            ),
                        );
                    }
                }
            }
        }
        let _ = writeln!(
            o,
            "<section id=\"results\"><h2>6. Ranking and winners</h2>\n<p>The ladder of \
             standing bids per lot {}, best score first, with the award.</p>",
            if self.partial {
                "<strong>at the end of the usable part of the log, not necessarily final</strong>"
            } else {
                "at the end of the log"
            }
        );
        if self.partial {
            o.push_str(
                "<div class=\"warn\">Verification or replay failed: these standings are those \
                 of the verified, identically replayed prefix only.</div>\n",
            );
        }
        let _ = writeln!(
            o,
            "<p>Auction phase at the end: <strong>{}</strong>.</p>",
            escape(view.phase.name())
        );
        for (i, lot) in view.lots.iter().enumerate() {
            let Some(lot_rules) = self.rules.lots.get(i) else {
                continue;
            };
            let lot_ix = LotIx(i as u32);
            let _ = writeln!(
                o,
                "<h3>Lot {}: {}</h3>\n<table class=\"kv\">",
                escape(&lot_rules.id),
                escape(&lot_rules.name)
            );
            kv(o, "Phase", &escape(lot.status.phase.name()));
            if let Some(d) = lot.status.deadline {
                kv(o, "Deadline", &self.t(d));
            }
            if let Some(h) = lot.hard_close {
                kv(o, "Hard close", &self.t(h));
            }
            kv(
                o,
                "Soft-close extensions used",
                &lot.status.extensions_used.to_string(),
            );
            kv(
                o,
                "Bids",
                &format!(
                    "{} accepted, {} of them voided",
                    lot.bids_accepted, lot.bids_voided
                ),
            );
            let reserve = match (lot_rules.reserve, &lot.award) {
                (None, _) => "none".to_string(),
                (Some(res), Some((_, Some(met)))) => format!(
                    "{}: {}",
                    escape(&res.to_string()),
                    if *met {
                        "<span class=\"good\">reserve met</span> (the rank-1 total is at or below it)"
                    } else {
                        "<span class=\"bad\">reserve NOT met</span> (the rank-1 total is above it)"
                    }
                ),
                (Some(res), _) => {
                    let standing = lot.ladder.first().map(|row| row.total <= res);
                    format!(
                        "{}: {} (not awarded)",
                        escape(&res.to_string()),
                        match standing {
                            Some(true) => "met by the standing rank-1 total",
                            Some(false) => "not met by the standing rank-1 total",
                            None => "no standing bid",
                        }
                    )
                }
            };
            kv(o, "Hidden reserve", &reserve);
            let award = match (&lot.award, awards.get(&lot_ix)) {
                (Some((winners, _)), how) => {
                    let names = if winners.is_empty() {
                        "no winner (no standing bid)".to_string()
                    } else {
                        winners
                            .iter()
                            .map(|w| {
                                format!(
                                    "{}. <strong>{}</strong> (bid #{}, total {}, score {})",
                                    w.rank,
                                    escape(&self.r.supplier(w.supplier)),
                                    w.bid,
                                    escape(&w.total.to_string()),
                                    escape(&w.score.to_string())
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("; ")
                    };
                    format!("{}<br>Winners: {names}", how.cloned().unwrap_or_default())
                }
                (None, _) => format!(
                    "<span class=\"bad\">not awarded</span> in this log ({} winner(s) to be \
                     chosen)",
                    lot_rules.winners
                ),
            };
            kv(o, "Award", &award);
            o.push_str("</table>\n");
            if lot.ladder.is_empty() {
                o.push_str("<p>No standing bids.</p>\n");
                continue;
            }
            o.push_str("<table>\n");
            header_row(
                o,
                &[
                    "Rank",
                    "Supplier",
                    "Alias",
                    "Bid",
                    "Time",
                    "Line prices",
                    "Total",
                    "Score",
                    "Result",
                ],
            );
            let winners: Vec<Seq> = lot
                .award
                .as_ref()
                .map(|(w, _)| w.iter().map(|w| w.bid).collect())
                .unwrap_or_default();
            for row in &lot.ladder {
                let won = winners.contains(&row.bid);
                let _ = writeln!(
                    o,
                    "<tr class=\"{}\"><td class=\"n\">{}</td><td>{}</td><td>{}</td>\
                     <td class=\"n\">#{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                     <td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                    if won { "win" } else { "" },
                    row.rank,
                    code(&self.r.supplier(row.supplier)),
                    escape(&self.alias(row.supplier)),
                    row.bid,
                    self.t(row.at),
                    self.line_prices(lot_ix, &row.lines),
                    escape(&row.total.to_string()),
                    escape(&row.score.to_string()),
                    if won { "<strong>winner</strong>" } else { "" }
                );
            }
            o.push_str("</table>\n");
        }
        if !view.disqualified.is_empty() {
            let names: Vec<String> = view
                .disqualified
                .iter()
                .map(|s| code(&self.r.supplier(*s)))
                .collect();
            let _ = writeln!(o, "<p>Disqualified: {}.</p>", names.join(", "));
        }
        for p in &view.pending {
            let _ = writeln!(
                o,
                "<p class=\"bad\">Pending at the end of the log: request #{}: {} by {} ({}).</p>",
                p.request,
                escape(&self.r.action(&p.action)),
                escape(&self.r.auctioneer(p.by)),
                escape(&p.reason)
            );
        }
        o.push_str("</section>\n");
    }

    fn charts(&self, o: &mut String) {
        o.push_str(
            "<section id=\"charts\"><h2>7. Bid history charts</h2>\n<p>Per lot, the total of \
             every accepted bid over time, one series per supplier under the anonymous alias \
             the observers saw. A series is the supplier's standing total: it steps down at each \
             new bid and runs on to the lot's close (or the supplier's disqualification); a \
             hollow marker is a bid that was voided later (the line skips it). Dashed lines mark the \
             ceiling, floor and hidden reserve where they fall within the chart. Axis labels \
             are rounded; the exact amounts are in the bid table.</p>\n",
        );
        for (i, lot) in self.rules.lots.iter().enumerate() {
            let _ = writeln!(o, "<h3>Lot {}: {}</h3>", escape(&lot.id), escape(&lot.name));
            self.chart(LotIx(i as u32), o);
        }
        o.push_str("</section>\n");
    }

    /// When the lot opened and closed (or was terminated), as far as the log tells.
    fn lot_span(&self, lot: LotIx) -> (Option<TimeMs>, Option<TimeMs>) {
        let (mut opened, mut closed) = (None, None);
        for step in self.steps() {
            let Outcome::Accepted(events) = &step.outcome else {
                continue;
            };
            for e in events {
                match e {
                    Event::LotOpened { lot: l, at, .. } if *l == lot && opened.is_none() => {
                        opened = Some(*at);
                    }
                    Event::LotClosed { lot: l, at } if *l == lot && closed.is_none() => {
                        closed = Some(*at);
                    }
                    Event::AuctionTerminated { at, .. } if closed.is_none() => {
                        closed = Some(*at);
                    }
                    _ => {}
                }
            }
        }
        (opened, closed)
    }

    fn chart(&self, lot: LotIx, o: &mut String) {
        let Some(lot_rules) = self.rules.lots.get(lot.ix()) else {
            return;
        };
        let bids: Vec<&Bid> = self
            .auction()
            .bids()
            .filter(|b| b.record.lot == lot)
            .collect();
        let (Some(first), Some(last)) = (bids.first(), bids.last()) else {
            o.push_str("<p>No accepted bids on this lot.</p>\n");
            return;
        };
        let tz = &self.config.time_zone;
        // The time axis: from the lot's opening to its close (or the end of the log).
        let (opened, closed) = self.lot_span(lot);
        let t0 = opened.unwrap_or(first.record.at).min(first.record.at);
        let mut t1 = closed.unwrap_or(self.rep.now).max(last.record.at).max(t0);
        if t1 == t0 {
            t1 = t0 + 60_000;
        }
        // The amount axis: every total, and the reserve.
        let totals = bids.iter().map(|b| b.record.total);
        let mut lo = totals.clone().min().unwrap_or_default();
        let mut hi = totals.max().unwrap_or_default();
        if let Some(r) = lot_rules.reserve {
            lo = lo.min(r);
            hi = hi.max(r);
        }
        if hi == lo {
            let pad = if lo.abs() / Decimal::ONE_HUNDRED > Decimal::ZERO {
                lo.abs() / Decimal::ONE_HUNDRED
            } else {
                Decimal::ONE
            };
            lo -= pad;
            hi += pad;
        }
        // A margin, so no point sits on the frame.
        let margin = (hi - lo) / Decimal::from(20);
        hi += margin;
        lo = if lo >= Decimal::ZERO && lo - margin < Decimal::ZERO {
            Decimal::ZERO
        } else {
            lo - margin
        };
        let step = nice_step(hi - lo, 5);
        let lo = (lo / step).floor() * step;
        let hi = (hi / step).ceil() * step;
        let plot = Plot { t0, t1, lo, hi };

        let mut series: BTreeMap<(u32, u32), Vec<&Bid>> = BTreeMap::new();
        for b in &bids {
            let s = b.record.supplier;
            let alias = self.auction().alias_of(s).unwrap_or(u32::MAX);
            series.entry((alias, s.0)).or_default().push(b);
        }
        let mut disqualified: BTreeMap<SupplierIx, TimeMs> = BTreeMap::new();
        for step in self.steps() {
            if let Outcome::Accepted(events) = &step.outcome {
                for e in events {
                    if let Event::SupplierDisqualified { supplier, at, .. } = e {
                        disqualified.entry(*supplier).or_insert(*at);
                    }
                }
            }
        }
        let legend_rows = series.len().div_ceil(LEGEND_PER_ROW) as i64;
        let width = LEFT + CW + RIGHT;
        let height = TOP + CH + 56 + legend_rows * 18;
        let label = format!("Bid history of lot {}", lot_rules.id);
        let _ = writeln!(
            o,
            "<svg viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" \
             role=\"img\" aria-label=\"{}\" font-size=\"11\">\n<title>{}</title>",
            escape(&label),
            escape(&label)
        );
        let _ = writeln!(
            o,
            "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{CW}\" height=\"{CH}\" fill=\"#fcfcfc\" \
             stroke=\"#999\"/>"
        );
        // Amount ticks and grid.
        let mut v = lo;
        for _ in 0..64 {
            if v > hi {
                break;
            }
            let y = px(plot.y(v));
            let _ = writeln!(
                o,
                "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#e3e3e3\"/>\
                 <text x=\"{}\" y=\"{y}\" dy=\"4\" text-anchor=\"end\">{}</text>",
                LEFT + CW,
                LEFT - 6,
                escape(&group_digits(&v.normalize().to_string()))
            );
            v += step;
        }
        // Time ticks.
        let tstep = time_step(t1 - t0);
        let mut t = t0.div_euclid(tstep) * tstep;
        if t < t0 {
            t += tstep;
        }
        for _ in 0..64 {
            if t > t1 {
                break;
            }
            let x = px(plot.x(t));
            let mut text = format_clock(t, tz);
            if tstep % 60_000 == 0 && text.len() == 8 {
                text.truncate(5);
            }
            let _ = writeln!(
                o,
                "<line x1=\"{x}\" x2=\"{x}\" y1=\"{TOP}\" y2=\"{}\" stroke=\"#e3e3e3\"/>\
                 <text x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                TOP + CH + 4,
                TOP + CH + 16,
                escape(&text)
            );
            t += tstep;
        }
        let _ = writeln!(
            o,
            "<text x=\"8\" y=\"14\">Total (EUR)</text>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">Time ({}), from {} to {}</text>",
            LEFT + CW / 2,
            TOP + CH + 32,
            escape(&self.config.time_zone_name),
            self.t(t0),
            self.t(t1)
        );
        // Reference lines.
        let refs = [
            ("ceiling", Some(lot_rules.ceiling)),
            ("floor", lot_rules.floor),
            ("reserve", lot_rules.reserve),
        ];
        for (name, value) in refs {
            let Some(value) = value.filter(|v| *v >= lo && *v <= hi) else {
                continue;
            };
            let y = px(plot.y(value));
            let _ = writeln!(
                o,
                "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#555\" \
                 stroke-dasharray=\"5 4\"/><text x=\"{}\" y=\"{y}\" dy=\"-3\" \
                 text-anchor=\"end\" fill=\"#555\">{name} {}</text>",
                LEFT + CW,
                LEFT + CW - 4,
                escape(&value.to_string())
            );
        }
        // One series per supplier, by alias.
        for (n, ((alias, supplier), bids)) in series.iter().enumerate() {
            let name = if *alias == u32::MAX {
                "Inschrijver ?".to_string()
            } else {
                format!("Inschrijver {}", alias_label(*alias))
            };
            let colour = PALETTE[*alias as usize % PALETTE.len()];
            let dash = if (*alias as usize / PALETTE.len()) % 2 == 1 {
                " stroke-dasharray=\"6 3\""
            } else {
                ""
            };
            let mut points: Vec<(i64, i64)> = Vec::new();
            for b in bids.iter().filter(|b| !b.voided) {
                let (x, y) = (plot.x(b.record.at), plot.y(b.record.total));
                if let Some(&(_, py)) = points.last() {
                    points.push((x, py));
                }
                points.push((x, y));
            }
            // The standing total runs on to the lot's close (or the supplier's disqualification).
            let end = disqualified
                .get(&SupplierIx(*supplier))
                .copied()
                .unwrap_or(t1)
                .min(t1);
            if let Some(&(x, y)) = points.last()
                && plot.x(end) > x
            {
                points.push((plot.x(end), y));
            }
            if points.len() > 1 {
                let list: Vec<String> = points
                    .iter()
                    .map(|(x, y)| format!("{},{}", px(*x), px(*y)))
                    .collect();
                let _ = writeln!(
                    o,
                    "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash} \
                     points=\"{}\"/>",
                    list.join(" ")
                );
            }
            for b in bids {
                let (x, y) = (px(plot.x(b.record.at)), px(plot.y(b.record.total)));
                let fill = if b.voided { "#ffffff" } else { colour };
                let _ = writeln!(
                    o,
                    "<circle cx=\"{x}\" cy=\"{y}\" r=\"3.5\" fill=\"{fill}\" stroke=\"{colour}\" \
                     stroke-width=\"1.5\"><title>{}: bid #{} at {}, total {}{}</title></circle>",
                    escape(&name),
                    b.record.seq,
                    self.t(b.record.at),
                    escape(&b.record.total.to_string()),
                    if b.voided { ", voided" } else { "" }
                );
            }
            if let Some(b) = bids.last() {
                let _ = writeln!(
                    o,
                    "<text x=\"{}\" y=\"{}\" dx=\"5\" dy=\"-5\" fill=\"{colour}\">{}</text>",
                    px(plot.x(b.record.at)),
                    px(plot.y(b.record.total)),
                    escape(&name["Inschrijver ".len()..])
                );
            }
            // The legend entry.
            let row = (n / LEGEND_PER_ROW) as i64;
            let col = (n % LEGEND_PER_ROW) as i64;
            let (lx, ly) = (LEFT + col * 130, TOP + CH + 50 + row * 18);
            let _ = writeln!(
                o,
                "<line x1=\"{lx}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{colour}\" \
                 stroke-width=\"3\"{dash}/><text x=\"{}\" y=\"{ly}\">{}</text>",
                lx + 22,
                ly - 4,
                ly - 4,
                lx + 28,
                escape(&name)
            );
        }
        o.push_str("</svg>\n");
        let _ = writeln!(
            o,
            "<p class=\"muted\">{} accepted bid(s) by {} supplier(s).</p>",
            bids.len(),
            series.len()
        );
    }
}

/// Chart geometry, in pixels.
const LEFT: i64 = 100;
const TOP: i64 = 24;
const CW: i64 = 640;
const CH: i64 = 260;
const RIGHT: i64 = 40;
const LEGEND_PER_ROW: usize = 5;
/// Series colours, by alias.
const PALETTE: [&str; 10] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#7f7f7f", "#bcbd22",
];

/// The ranges of a chart: times `t0..t1` (ms) and amounts `lo..hi`, both non-empty.
struct Plot {
    t0: TimeMs,
    t1: TimeMs,
    lo: Decimal,
    hi: Decimal,
}

impl Plot {
    /// The x coordinate of a time, in tenths of a pixel.
    fn x(&self, t: TimeMs) -> i64 {
        let span = i128::from((self.t1 - self.t0).max(1));
        let offset = i128::from(t.clamp(self.t0, self.t1) - self.t0);
        (LEFT * 10) + (offset * i128::from(CW * 10) / span) as i64
    }

    /// The y coordinate of an amount, in tenths of a pixel (higher amounts higher up).
    fn y(&self, v: Decimal) -> i64 {
        let span = self.hi - self.lo;
        let frac = (self.hi - v.clamp(self.lo, self.hi))
            .checked_div(span)
            .unwrap_or_default();
        let tenths = (frac * Decimal::from(CH * 10))
            .round()
            .to_i64()
            .unwrap_or(0);
        TOP * 10 + tenths
    }
}

/// Tenths of a pixel as a coordinate: `1234` is `123.4`.
fn px(tenths: i64) -> String {
    let (whole, frac) = (tenths.div_euclid(10), tenths.rem_euclid(10));
    if frac == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{frac}")
    }
}

/// A round tick step (1, 2 or 5 times a power of ten) that cuts `span` into at most about
/// `ticks` parts.
fn nice_step(span: Decimal, ticks: u32) -> Decimal {
    let raw = span / Decimal::from(ticks.max(1));
    if raw <= Decimal::ZERO {
        return Decimal::ONE;
    }
    let mut p = Decimal::ONE;
    for _ in 0..40 {
        match p.checked_mul(Decimal::TEN) {
            Some(next) if next <= raw => p = next,
            _ => break,
        }
    }
    for _ in 0..40 {
        if p > raw && p / Decimal::TEN > Decimal::ZERO {
            p /= Decimal::TEN;
        } else {
            break;
        }
    }
    for m in [1, 2, 5, 10] {
        let s = p * Decimal::from(m);
        if s >= raw {
            return s;
        }
    }
    p * Decimal::TEN
}

/// A round time step that cuts `span_ms` into at most about 6 parts.
fn time_step(span_ms: i64) -> i64 {
    const STEPS: [i64; 21] = [
        100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000,
        600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000,
        86_400_000,
    ];
    STEPS
        .iter()
        .copied()
        .find(|s| span_ms / s <= 6)
        .unwrap_or_else(|| (span_ms / 6 / 86_400_000 + 1) * 86_400_000)
}

/// `2200000` as `2 200 000` (narrow no-break spaces), for axis labels: neither a Dutch nor an
/// English thousands separator.
fn group_digits(text: &str) -> String {
    let (sign, rest) = match text.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", text),
    };
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('\u{202F}');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_makes_markup_text() {
        assert_eq!(
            escape("<b>\"x\" & 'y'</b>"),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"
        );
        assert_eq!(escape("a\u{0}b\nc"), "a\u{FFFD}b\nc");
    }

    #[test]
    fn ticks_and_pixels() {
        assert_eq!(nice_step(Decimal::new(100, 0), 5), Decimal::new(20, 0));
        assert_eq!(nice_step(Decimal::new(30000, 0), 5), Decimal::new(10000, 0));
        assert_eq!(nice_step(Decimal::new(3, 2), 5), Decimal::new(1, 2));
        assert_eq!(time_step(3_600_000), 600_000);
        assert_eq!(time_step(5_000_000), 900_000);
        assert_eq!(px(1234), "123.4");
        assert_eq!(px(1230), "123");
        assert_eq!(group_digits("2200000"), "2\u{202F}200\u{202F}000");
        assert_eq!(group_digits("-1234.5"), "-1\u{202F}234.5");
        assert_eq!(group_digits("950"), "950");
    }
}
