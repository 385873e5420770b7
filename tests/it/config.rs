//! Config tests: every shipped config loads; every bad config fails with its expected messages.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use rust_decimal::Decimal;
use veiling::config::{ConfigErrors, parse};
use veiling::core::{DecrementFrom, Format, LotTiming, Scoring, Ties};

#[test]
fn every_shipped_config_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("auction-configs");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            if let Err(e) = veiling::config::load_file(&path) {
                panic!("{} does not load:\n{e}", path.display());
            }
            count += 1;
        }
    }
    assert!(
        count >= 2,
        "expected the shipped configs in {}",
        dir.display()
    );
}

/// `tests/bad-configs/*.toml`, sorted by name.
fn bad_configs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-configs");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 15,
        "expected at least 15 bad configs in {}, found {}",
        dir.display(),
        paths.len()
    );
    paths
}

/// The `# expect: <substring>` lines of a bad config.
fn expectations(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.strip_prefix("# expect:"))
        .map(|s| s.trim().to_string())
        .collect()
}

fn name_of(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn every_bad_config_fails_with_its_expected_messages() {
    let mut failures = Vec::new();
    for path in bad_configs() {
        let name = name_of(&path);
        let text = std::fs::read_to_string(&path).unwrap();
        let expected = expectations(&text);
        if expected.is_empty() || expected.iter().any(|e| e.is_empty()) {
            failures.push(format!(
                "{name}: needs at least one non-empty '# expect:' line"
            ));
            continue;
        }
        let errors = match veiling::config::load_file(&path) {
            Ok(_) => {
                failures.push(format!("{name}: loads, but should fail"));
                continue;
            }
            Err(errors) => errors,
        };
        let output = errors.to_string();
        let missing: Vec<&String> = expected
            .iter()
            .filter(|e| !output.lines().any(|line| line.contains(e.as_str())))
            .collect();
        // The file must fail only for its stated reasons: every error is one of the expected ones.
        let unexpected: Vec<String> = errors
            .0
            .iter()
            .map(|e| e.to_string())
            .filter(|shown| {
                !expected
                    .iter()
                    .any(|e| shown.lines().any(|line| line.contains(e.as_str())))
            })
            .collect();
        if !missing.is_empty() || !unexpected.is_empty() {
            failures.push(format!(
                "{name}:\n  expected but not found: {missing:?}\n  found but not expected: {unexpected:?}\n  actual errors:\n{}",
                indent(&output)
            ));
        }
    }
    assert!(failures.is_empty(), "bad configs:\n{}", failures.join("\n"));
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("    {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level tables a validation error's path can start with.
const TOP_LEVEL: &[&str] = &[
    "auction",
    "timing",
    "bids",
    "soft_close",
    "dutch",
    "turns",
    "tender",
    "japanese",
    "rounds",
    "scoring",
    "visibility",
    "buyers",
    "lots",
    "auctioneers",
    "observers",
    "suppliers",
];

#[test]
fn every_error_starts_with_a_path_or_is_a_parse_error() {
    let mut failures = Vec::new();
    for path in bad_configs() {
        let name = name_of(&path);
        let Err(errors) = veiling::config::load_file(&path) else {
            failures.push(format!("{name}: loads, but should fail"));
            continue;
        };
        if errors.0.is_empty() {
            failures.push(format!("{name}: fails with an empty error list"));
        }
        for e in &errors.0 {
            let shown = e.to_string();
            let ok = if e.path.is_empty() {
                // Only a file that is not a config at all has no path: one message, no others.
                e.message.starts_with("not a valid config: ")
                    && e.message.len() > "not a valid config: ".len()
                    && errors.0.len() == 1
            } else {
                let head = e.path.split(['.', '[']).next().unwrap_or("");
                TOP_LEVEL.contains(&head)
                    && !e.path.contains(char::is_whitespace)
                    && !e.message.trim().is_empty()
                    && e.message.trim() == e.message
                    && shown == format!("{}: {}", e.path, e.message)
            };
            if !ok {
                failures.push(format!("{name}: malformed error {e:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A small valid config, patched by `replace`: each (from, to) replaces the first `from`.
fn config_text(replace: &[(&str, &str)]) -> String {
    let mut text = String::from(
        r#"
[auction]
id = "unit"
title = "Unit test"
opens_at = "2024-09-17T10:00"

[timing]
mode = "parallel"
closes_at = "2024-09-17T11:00"

[bids]
decrement_amount = "0.01"

[[lots]]
id = "lot-1"
name = "Lot 1"
ceiling = "0.10"

[[auctioneers]]
id = "a1"
name = "Auctioneer"

[[suppliers]]
id = "s1"
name = "Supplier 1"
lots = ["lot-1"]
"#,
    );
    for (from, to) in replace {
        assert!(
            text.contains(from),
            "config_text: '{from}' not in the base config"
        );
        text = text.replacen(from, to, 1);
    }
    text
}

fn parse_ok(text: &str) -> veiling::config::AuctionConfig {
    match parse(text) {
        Ok(config) => config,
        Err(errors) => panic!("config does not parse:\n{errors}\n---\n{text}"),
    }
}

fn parse_err(text: &str) -> ConfigErrors {
    match parse(text) {
        Ok(_) => panic!("config parses, but should fail:\n{text}"),
        Err(errors) => errors,
    }
}

#[test]
fn money_is_parsed_exactly() {
    let config = parse_ok(&config_text(&[(
        "ceiling = \"0.10\"",
        "ceiling = \"0.10\"\nfloor = \"0.03\"\nreserve = \"0.070\"",
    )]));
    let lot = &config.rules.lots[0];
    // 0.10 kept as the decimal 0.10 (ten hundredths), scale included: no float round trip.
    assert_eq!(lot.ceiling, Decimal::new(10, 2));
    assert_eq!(lot.ceiling.scale(), 2);
    assert_eq!(lot.ceiling.to_string(), "0.10");
    assert_eq!(lot.floor, Some(Decimal::new(3, 2)));
    assert_eq!(lot.reserve.map(|r| r.to_string()).as_deref(), Some("0.070"));
    // 0.07 + 0.03 is exactly 0.10 (it is not in binary floating point).
    assert_eq!(lot.reserve.unwrap() + lot.floor.unwrap(), lot.ceiling);
    assert_eq!(config.rules.bids.decrement_amount, Some(Decimal::new(1, 2)));

    // A large ceiling with cents survives exactly too.
    let config = parse_ok(&config_text(&[(
        "ceiling = \"0.10\"",
        "ceiling = \"999999999999.99\"",
    )]));
    assert_eq!(
        config.rules.lots[0].ceiling,
        Decimal::from_str("999999999999.99").unwrap()
    );

    // Percentages are exact decimals as well.
    let config = parse_ok(&config_text(&[(
        "decrement_amount = \"0.01\"",
        "decrement_percent = \"0.25\"\nmax_drop_percent = \"15\"",
    )]));
    assert_eq!(
        config.rules.bids.decrement_percent,
        Some(Decimal::new(25, 2))
    );
    assert_eq!(
        config.rules.bids.max_drop_percent,
        Some(Decimal::new(15, 0))
    );

    // Money written as a TOML number is refused, not rounded.
    let errors = parse_err(&config_text(&[("ceiling = \"0.10\"", "ceiling = 0.10")]));
    assert!(
        errors.to_string().starts_with("not a valid config:"),
        "{errors}"
    );
}

#[test]
fn civil_times_convert_to_utc_in_summer_and_winter() {
    // 2024-09-17 10:00 Amsterdam is summer time (UTC+2); 2024-12-17 11:00 is winter time (UTC+1).
    let civil = parse_ok(&config_text(&[("2024-09-17T11:00", "2024-12-17T11:00")]));
    let utc = parse_ok(&config_text(&[
        ("2024-09-17T10:00", "2024-09-17T08:00:00Z"),
        ("2024-09-17T11:00", "2024-12-17T10:00:00Z"),
    ]));
    let offsets = parse_ok(&config_text(&[
        ("2024-09-17T10:00", "2024-09-17T10:00:00+02:00"),
        ("2024-09-17T11:00", "2024-12-17T11:00:00+01:00"),
    ]));
    let closes = |c: &veiling::config::AuctionConfig| match c.rules.timing {
        LotTiming::Parallel { closes_at } => closes_at,
        ref other => panic!("expected parallel timing, got {other:?}"),
    };
    assert_eq!(civil.rules.opens_at, 1_726_560_000_000);
    assert_eq!(civil.rules.opens_at, utc.rules.opens_at);
    assert_eq!(civil.rules.opens_at, offsets.rules.opens_at);
    assert_eq!(closes(&civil), 1_734_429_600_000);
    assert_eq!(closes(&civil), closes(&utc));
    assert_eq!(closes(&civil), closes(&offsets));

    // Another zone: the same civil text is a different instant.
    let london = parse_ok(&config_text(&[(
        "opens_at = ",
        "time_zone = \"Europe/London\"\nopens_at = ",
    )]));
    assert_eq!(london.time_zone_name, "Europe/London");
    assert_eq!(london.rules.opens_at, civil.rules.opens_at + 3_600_000);

    // A time in the fold is refused as civil time but accepted with an explicit offset.
    let fold = config_text(&[
        ("2024-09-17T10:00", "2024-10-27T01:00"),
        ("2024-09-17T11:00", "2024-10-27T02:30"),
    ]);
    let errors = parse_err(&fold);
    assert!(
        errors
            .to_string()
            .starts_with("timing.closes_at: '2024-10-27T02:30' does not exist or is ambiguous"),
        "{errors}"
    );
    // 02:30+01:00 is the second 02:30 (winter time), 01:30 UTC.
    let fixed = parse_ok(&fold.replace("2024-10-27T02:30", "2024-10-27T02:30+01:00"));
    let utc = parse_ok(&fold.replace("2024-10-27T02:30", "2024-10-27T01:30:00Z"));
    assert_eq!(closes(&fixed), closes(&utc));
}

#[test]
fn defaults_are_applied() {
    let config = parse_ok(&config_text(&[]));
    let rules = &config.rules;
    assert_eq!(
        rules.format,
        Format::English(veiling::core::EnglishRules { soft_close: None })
    );
    assert_eq!(rules.format.name(), "english");
    assert_eq!(config.time_zone_name, "Europe/Amsterdam");
    assert_eq!(config.time_zone.iana_name(), Some("Europe/Amsterdam"));
    assert_eq!(config.invited_at, None);
    assert!(config.buyers.is_empty());
    let lot = &rules.lots[0];
    assert_eq!(lot.winners, 1);
    assert_eq!(lot.price_decimals, 2);
    assert_eq!(lot.floor, None);
    assert_eq!(lot.reserve, None);
    assert!(lot.lines.is_empty());
    assert_eq!(rules.bids.ties, Ties::EarlierWins);
    assert_eq!(rules.bids.decrement_from, DecrementFrom::Own);
    assert_eq!(rules.bids.decrement_percent, None);
    assert_eq!(rules.bids.max_drop_percent, None);
    assert_eq!(rules.bids.bid_interval_min_ms, 0);
    assert_eq!(rules.scoring, Scoring::Price);
    assert!(!rules.visibility.best_score);
    assert!(!rules.visibility.bidder_count);
    assert!(!rules.four_eyes);
    assert_eq!(rules.suppliers[0].quality, vec![Decimal::ZERO]);
    assert_eq!(rules.suppliers[0].admitted, vec![true]);

    // A soft close without extend_from extends from the bid.
    let config = parse_ok(&config_text(&[(
        "[[lots]]",
        "[soft_close]\nwindow_s = 60\nextension_s = 90\nextensions_max = 3\n\n[[lots]]",
    )]));
    let sc = config.rules.format.rules().soft_close().unwrap();
    assert_eq!(sc.extend_from, veiling::core::ExtendFrom::Bid);
    assert_eq!((sc.window_ms, sc.extension_ms), (60_000, 90_000));
    assert_eq!(
        (sc.rank_max, sc.extensions_max, sc.hard_close_after_ms),
        (None, Some(3), None)
    );
}

#[test]
fn invitation_working_days_boundary() {
    // Friday 13 September 2024 -> Tuesday 17 September: Monday and Tuesday are two working days.
    let ok = config_text(&[(
        "opens_at = ",
        "invited_at = \"2024-09-13T17:00\"\nopens_at = ",
    )]);
    let config = parse_ok(&ok);
    assert!(config.invited_at.unwrap() < config.rules.opens_at);
    // Monday 16 September is one working day: refused.
    let errors = parse_err(
        &ok.replace("2024-09-17T10:00", "2024-09-16T10:00")
            .replace("2024-09-17T11:00", "2024-09-16T11:00"),
    );
    assert_eq!(
        errors.to_string(),
        "auction.opens_at: the auction must open at least 2 working days after the invitation \
         (2024-09-13); 2024-09-16 is 1 working day(s) later"
    );
    // Good Friday is a working day: invited Thursday 17 April 2025, opening Tuesday 22 April
    // counts Good Friday and Tuesday (Easter Monday does not count).
    parse_ok(&config_text(&[
        (
            "opens_at = ",
            "invited_at = \"2025-04-17T09:00\"\nopens_at = ",
        ),
        ("2024-09-17T10:00", "2025-04-22T10:00"),
        ("2024-09-17T11:00", "2025-04-22T11:00"),
    ]));
}

#[test]
fn timing_modes_are_validated_into_rules() {
    let two_lots = |timing: &str| {
        config_text(&[
            (
                "mode = \"parallel\"\ncloses_at = \"2024-09-17T11:00\"",
                timing,
            ),
            (
                "[[auctioneers]]",
                "[[lots]]\nid = \"lot-2\"\nname = \"Lot 2\"\nceiling = \"0.20\"\n\n[[auctioneers]]",
            ),
            ("lots = [\"lot-1\"]", "lots = [\"lot-1\", \"lot-2\"]"),
        ])
    };
    let staggered = parse_ok(&two_lots(
        "mode = \"staggered\"\ncloses_at = \"2024-09-17T11:00\"\ngap_s = 900",
    ));
    assert_eq!(
        staggered.rules.timing,
        LotTiming::Staggered {
            first_closes_at: 1_726_563_600_000,
            gap_ms: 900_000
        }
    );
    let serial = parse_ok(&two_lots(
        "mode = \"serial\"\nduration_s = 1800\ngap_s = 300",
    ));
    assert_eq!(
        serial.rules.timing,
        LotTiming::Serial {
            duration_ms: 1_800_000,
            gap_ms: 300_000
        }
    );
    let serial = parse_ok(&two_lots("mode = \"serial\"\nduration_s = 1800"));
    assert_eq!(
        serial.rules.timing,
        LotTiming::Serial {
            duration_ms: 1_800_000,
            gap_ms: 0
        }
    );
}
