//! `veiling report`: the HTML report of logs written by script runs, checked for what an auditor
//! needs (verification, rules, bids, rejections, requests, results, charts), for escaping, for
//! self-containment and determinism, and for the warnings on a damaged or forged log.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use serde_json::Value;
use veiling::log::record;
use veiling::log::report::{escape, render};
use veiling::script::{self, LogTo, ScriptRun};

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

fn tempdir(name: &str) -> PathBuf {
    crate::durability::tempdir(&format!("report/{name}"))
}

fn log_to(dir: &Path) -> LogTo {
    LogTo {
        path: dir.join("run.log"),
        key: key(),
    }
}

/// Run a scenario file with a log; the log's bytes and the run.
fn run_scenario(file: &str, dir: &str) -> (Vec<u8>, ScriptRun) {
    let dir = tempdir(dir);
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scenarios")
        .join(file);
    let run = script::run_file(&path, None, Some(log_to(&dir))).unwrap();
    (std::fs::read(dir.join("run.log")).unwrap(), run)
}

/// Run script text with a log.
fn run_text(name: &str, text: &str) -> (Vec<u8>, ScriptRun) {
    let dir = tempdir(name);
    let run = script::run(text, Path::new("."), None, Some(log_to(&dir))).unwrap();
    (std::fs::read(dir.join("run.log")).unwrap(), run)
}

fn records(bytes: &[u8]) -> Vec<Value> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect()
}

/// The SHA-256 of the last record, computed here, not by the report.
fn head_of(bytes: &[u8]) -> String {
    let last = bytes[..bytes.len() - 1]
        .split(|b| *b == b'\n')
        .next_back()
        .unwrap();
    record::sha256_hex(last)
}

/// Every inline SVG of the page.
fn svgs(html: &str) -> Vec<&str> {
    html.split("<svg")
        .skip(1)
        .map(|s| s.split("</svg>").next().unwrap())
        .collect()
}

fn assert_self_contained(html: &str) {
    for needle in [
        "http://", "https://", "<script", "<link", "src=", "url(", "@import", "<img", "<iframe",
    ] {
        assert!(!html.contains(needle), "the report contains {needle}");
    }
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.trim_end().ends_with("</html>"));
}

#[test]
fn walkthrough_report_has_everything_an_auditor_needs() {
    let (bytes, run) = run_scenario("dieetvoeding-walkthrough.script", "walkthrough");
    let html = render(&bytes, None, "walkthrough.log").unwrap();
    assert_self_contained(&html);
    assert_eq!(html, render(&bytes, None, "walkthrough.log").unwrap());

    let rules = &run.config.rules;
    assert!(html.contains(&format!("Auction report: {}", rules.auction_id)));
    assert!(html.contains("walkthrough.log"));
    assert!(html.contains(&record::sha256_hex(run.config_text.as_bytes())));
    for lot in &rules.lots {
        assert!(html.contains(&format!("Lot {}: ", lot.id)), "{}", lot.id);
    }
    assert!(html.contains("Verification OK"));
    assert!(!html.contains("VERIFICATION FAILED"));
    assert!(html.contains("Replay OK"));
    assert!(html.contains("Sealed: yes"));
    assert!(html.contains(&head_of(&bytes)));
    assert!(html.contains("Key source: the log header only"));
    // The hidden reserve is shown to the auditor, with the result.
    assert!(html.contains("2000000.00"));
    assert!(html.contains("reserve met") || html.contains("reserve NOT met"));
    assert!(html.contains("<strong>winner</strong>"));

    // Every rejection code in the log, and every accepted bid's seq and total.
    let mut codes = Vec::new();
    for r in records(&bytes) {
        if let Some(code) = r.pointer("/outcome/rejected/code").and_then(Value::as_str) {
            codes.push(code.to_string());
        }
        for e in r
            .pointer("/outcome/accepted")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if e["event"] == "bid_accepted" {
                let total = e["total"].as_str().unwrap();
                assert!(
                    html.contains(&format!(">{}</td>", e["bid"])),
                    "bid {}",
                    e["bid"]
                );
                assert!(html.contains(total), "total {total}");
            }
        }
    }
    assert!(codes.len() >= 5, "{codes:?}");
    for code in &codes {
        assert!(html.contains(&format!("<code>{code}</code>")), "{code}");
    }

    // One chart per lot with bids, by alias: never a supplier's id or name.
    let charts = svgs(&html);
    assert_eq!(charts.len(), 2);
    for svg in &charts {
        assert!(svg.contains("Inschrijver "), "{svg}");
        assert!(svg.contains("<circle"));
        for s in &rules.suppliers {
            assert!(!svg.contains(&s.id), "{} in a chart", s.id);
            assert!(!svg.contains(&escape(&s.name)), "{} in a chart", s.name);
        }
    }

    // With the server's key given, the report says the key is trusted.
    let trusted = render(&bytes, Some(&key().verifying_key()), "walkthrough.log").unwrap();
    assert!(trusted.contains("Key source: trusted key given with --pubkey"));
    assert!(trusted.contains("Verification OK"));
    assert!(!trusted.contains("names another key"));
    // Another key: the first checkpoint fails, and the report warns.
    let other = SigningKey::from_bytes(&[8u8; 32]).verifying_key();
    let wrong = render(&bytes, Some(&other), "walkthrough.log").unwrap();
    assert!(wrong.contains("WARNING: VERIFICATION FAILED against the given public key"));
    assert!(!wrong.contains("Verification OK"));
    assert!(!wrong.contains("Key source: trusted key"));
}

/// A four-eyes run whose reasons and title hold markup, quotes and ampersands. Inputs are
/// numbered the same with or without a log (checkpoints take no number): bid #3 is bravo's.
const FOUR_EYES: &str = r#"
config <<TOML
[auction]
id = "report-test"
title = "Report <test> & \"quotes\""
opens_at = "2025-06-03T10:00"
four_eyes = true

[timing]
mode = "parallel"
closes_at = "2025-06-03T11:00"

[bids]
decrement_amount = "1.00"

[soft_close]
window_s = 120
extension_s = 120
extensions_max = 3

[[lots]]
id = "lot-x"
name = "Lot X"
ceiling = "1000.00"
reserve = "950.00"

[[lots]]
id = "lot-y"
name = "Lot Y"
ceiling = "500.00"
reserve = "400.00"

[[auctioneers]]
id = "anna"
name = "Anna"

[[auctioneers]]
id = "bert"
name = "Bert"

[[suppliers]]
id = "acme-care"
name = "Acme Care BV"
lots = ["lot-x", "lot-y"]

[[suppliers]]
id = "bravo-zorg"
name = "Bravo Zorg BV"
lots = ["lot-x", "lot-y"]
TOML

at 10:00 tick
bid acme-care lot-x price=990.00
bid bravo-zorg lot-x price=980.00
bid acme-care lot-x price=989.50
bid acme-care lot-y price=600.00
at 10:05 void anna #3 reason="<b>typing</b> error"
approve anna #6
approve bert #6
disqualify anna bravo-zorg reason="cartel & collusion?"
decline bert #9 reason="\"not proven\" <i>yet</i>"
at 10:59 bid bravo-zorg lot-x price=940.00
bid bravo-zorg lot-y price=450.00
run
award anna lot-x reason="best & final"
award anna lot-y reason="best"
"#;

#[test]
fn four_eyes_report_shows_requests_approvers_and_escapes_text() {
    let (bytes, _) = run_text("four-eyes", FOUR_EYES);
    let text = String::from_utf8_lossy(&bytes);
    // The script's numbers must match the log's: otherwise nothing below is tested.
    assert!(
        text.contains(r#""event":"action_approved","request":6"#),
        "{text}"
    );
    assert!(text.contains(r#""event":"action_declined""#), "{text}");
    assert!(text.contains(r#""event":"bid_voided""#), "{text}");

    let html = render(&bytes, None, "four-eyes.log").unwrap();
    assert_self_contained(&html);
    assert_eq!(html, render(&bytes, None, "four-eyes.log").unwrap());
    assert!(html.contains("Verification OK"));
    assert!(html.contains("Sealed: yes"));
    assert!(html.contains(&head_of(&bytes)));

    // Who asked, who approved, who declined, and the refused self-approval.
    assert!(html.contains("10:05:00 by <code>anna</code>"));
    assert!(html.contains("approved</span> by bert"));
    assert!(html.contains("declined</span> by bert"));
    assert!(html.contains("anna tried to approve"));
    assert!(html.contains("<code>self_approval</code>"));
    // The void shows on the bid, and the rejections with their codes.
    assert!(html.contains("voided at 10:05:00 (seq 8) by anna"));
    assert!(html.contains("<code>decrement_too_small</code>"));
    assert!(html.contains("<code>above_ceiling</code>"));
    // The soft close and the awards, with the hidden reserves.
    assert!(html.contains("lot lot-x extended 11:00:00 -&gt; 11:01:00"));
    assert!(html.contains("950.00: <span class=\"good\">reserve met</span>"));
    assert!(html.contains("400.00: <span class=\"bad\">reserve NOT met</span>"));
    assert!(html.contains("best &amp; final"));

    // Text from people is text, never markup.
    for raw in [
        "<b>typing</b>",
        "<i>yet</i>",
        "<test>",
        "cartel & collusion",
    ] {
        assert!(!html.contains(raw), "unescaped {raw}");
    }
    assert!(html.contains("&lt;b&gt;typing&lt;/b&gt; error"));
    assert!(html.contains("&quot;not proven&quot; &lt;i&gt;yet&lt;/i&gt;"));
    assert!(html.contains("cartel &amp; collusion?"));
    assert!(html.contains("Report &lt;test&gt; &amp; &quot;quotes&quot;"));

    // Charts by alias only; a voided bid is a hollow marker.
    let charts = svgs(&html);
    assert_eq!(charts.len(), 2);
    for svg in &charts {
        for who in ["acme-care", "bravo-zorg", "Acme", "Bravo"] {
            assert!(!svg.contains(who), "{who} in a chart");
        }
        assert!(svg.contains("Inschrijver "));
    }
    assert!(charts[0].contains("Inschrijver A") && charts[0].contains("Inschrijver B"));
    assert!(charts[0].contains("fill=\"#ffffff\""));
    assert!(charts[0].contains("<polyline"));
    assert!(charts[0].contains("reserve 950.00"));
}

#[test]
fn a_damaged_log_renders_its_verified_prefix_with_a_warning() {
    let (bytes, _) = run_scenario("dieetvoeding-walkthrough.script", "damaged");
    let header_end = bytes.iter().position(|b| *b == b'\n').unwrap();
    let mut pos = header_end + 1 + (bytes.len() - header_end - 1) / 2;
    if bytes[pos] == b'\n' {
        pos += 1;
    }
    let mut damaged = bytes.clone();
    damaged[pos] ^= 0x01;
    let html = render(&damaged, None, "damaged.log").unwrap();
    assert_self_contained(&html);
    assert!(html.contains("WARNING: VERIFICATION FAILED"));
    assert!(!html.contains("Verification OK"));
    assert!(!html.contains("Sealed: yes"));
    assert!(!html.contains(&head_of(&bytes)));
    // What was verified is still reported.
    assert!(html.contains("perceel-1"));
    assert!(html.contains("id=\"bids\""));
    assert_ne!(html, render(&bytes, None, "damaged.log").unwrap());

    // Nothing to report without a header.
    assert!(render(b"", None, "empty.log").is_err());
    assert!(render(b"not a log\n", None, "junk.log").is_err());
}

/// Rewrite a log with one input's recorded outcome changed, re-chained and re-signed with the
/// server's own key: it verifies, but does not replay.
fn forge(bytes: &[u8], key: &SigningKey) -> Vec<u8> {
    let mut out = Vec::new();
    let mut prev = record::ZERO_HASH.to_string();
    let mut auction = String::new();
    let mut edited = false;
    for mut v in records(bytes) {
        if v["kind"] == "header" {
            auction = v["auction"].as_str().unwrap().to_string();
        }
        if !edited && v.pointer("/outcome/rejected/code").is_some() {
            v["outcome"]["rejected"]["code"] = "forged_code".into();
            edited = true;
        }
        let line = if v["kind"] == "checkpoint" {
            record::checkpoint_line(
                &prev,
                v["head_seq"].as_u64().unwrap(),
                v["at"].as_i64().unwrap(),
                &auction,
                v["final"].as_bool().unwrap(),
                key,
            )
        } else {
            v["prev"] = prev.clone().into();
            record::line_of(&v)
        };
        prev = record::sha256_hex(&line);
        out.extend_from_slice(&line);
        out.push(b'\n');
    }
    assert!(edited);
    out
}

#[test]
fn a_forged_outcome_verifies_but_fails_replay_and_the_report_says_so() {
    let (bytes, _) = run_scenario("dieetvoeding-walkthrough.script", "forged");
    let forged = forge(&bytes, &key());
    let html = render(&forged, Some(&key().verifying_key()), "forged.log").unwrap();
    assert_self_contained(&html);
    assert!(html.contains("Verification OK"));
    assert!(html.contains("Key source: trusted key given with --pubkey"));
    assert!(html.contains("WARNING: REPLAY FAILED"));
    assert!(html.contains("forged_code"));
    assert!(!html.contains("Replay OK"));
    assert!(html.contains("not necessarily final"));
    // The rules still show.
    assert!(html.contains("perceel-2"));
}

#[test]
fn a_sealed_bid_report_states_its_own_rules() {
    let (bytes, _) = run_scenario("sealed-bid.script", "sealed-bid");
    let html = render(&bytes, None, "sealed.log").unwrap();
    assert!(html.contains("Replay OK"));
    assert!(html.contains("single sealed bid: one bid per supplier and lot"));
    assert!(html.contains("Bids per supplier"));
    assert!(!html.contains("continuous English reverse auction"));
    assert!(!html.contains("Minimum decrement"));
    let english = run_scenario("ties-earlier-wins.script", "sealed-bid-english").0;
    let html = render(&english, None, "english.log").unwrap();
    assert!(html.contains("continuous English reverse auction"));
    assert!(!html.contains("Bids per supplier"));
}

#[test]
fn a_dutch_report_states_its_price_schedule() {
    let (bytes, _) = run_scenario("dutch.script", "dutch");
    let html = render(&bytes, None, "dutch.log").unwrap();
    assert!(html.contains("Replay OK"));
    assert!(html.contains("Dutch reverse auction"));
    assert!(html.contains("starts at 50% of each lot"));
    assert!(!html.contains("Minimum decrement"));
}

#[test]
fn a_japanese_report_states_its_falling_price() {
    let (bytes, _) = run_scenario("japanese.script", "japanese");
    let html = render(&bytes, None, "japanese.log").unwrap();
    assert!(html.contains("Replay OK"));
    assert!(html.contains("Japanese reverse auction"));
    assert!(html.contains("while above 80% of the ceiling"));
}

#[test]
fn a_sealed_rounds_report_states_its_rounds() {
    let (bytes, _) = run_scenario("sealed-rounds.script", "sealed-rounds");
    let html = render(&bytes, None, "rounds.log").unwrap();
    assert!(html.contains("Replay OK"));
    assert!(html.contains("sealed rounds: one bid per supplier per round"));
    assert!(html.contains("rounds of 600 s one after the other, at most 5"));
}
