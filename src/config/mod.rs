//! Auctioneer configs (`auction-configs/*.toml`): parsed into raw structs, then validated into the
//! core's [`Rules`]. Validation reports every error at once, each with its path
//! (`lots[1].floor: ...`). The field reference is `docs/config.md`.

pub mod raw;
mod tender;

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use jiff::tz::TimeZone;
use rust_decimal::Decimal;

use crate::core::format::PriceSteps;
use crate::core::rules::limits;
use crate::core::score::decimals_of;
use crate::core::*;
use crate::time::{date_of, parse_time, working_days_between};
use raw::*;

/// The minimum number of working days between the invitation and the opening of the auction.
pub const INVITATION_WORKING_DAYS_MIN: u32 = 2;
/// Largest config file read, in bytes.
pub const CONFIG_BYTES_MAX: u64 = 1024 * 1024;

/// How long lot `i` runs from its opening to its first deadline.
fn lot_runs_ms(timing: &LotTiming, opens_at: TimeMs, i: usize) -> i64 {
    match *timing {
        LotTiming::Parallel { closes_at } => closes_at - opens_at,
        LotTiming::Staggered {
            first_closes_at,
            gap_ms,
        } => first_closes_at + gap_ms * i as i64 - opens_at,
        LotTiming::Serial { duration_ms, .. } => duration_ms,
    }
}

/// Why an initial price is not a valid offer for its lot, in words.
fn offer_error(why: &Rejection) -> String {
    match why {
        Rejection::LinesExpected { lines } => {
            format!("the lot has {lines} line items: give an array of {lines} unit prices")
        }
        Rejection::TotalExpected => "the lot has no line items: give one total price".into(),
        Rejection::LineCountMismatch { expected, got } => {
            format!("expected {expected} unit prices, got {got}")
        }
        Rejection::NotPositive { offered, .. } => format!("{offered} is not above 0"),
        Rejection::TooManyDecimals {
            offered,
            decimals_max,
            ..
        } => format!("{offered} has more than the lot's {decimals_max} decimals"),
        other => format!("not a valid price for the lot ({})", other.code()),
    }
}

/// The formats whose lots offer a price in steps.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stepped {
    Dutch,
    Japanese,
}

/// The formats a config can choose (`auction.format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FormatKind {
    English,
    SealedBid,
    Dutch,
    Japanese,
    SealedRounds,
    Turns,
}

/// The default of `bids.confirm_drop_percent`: the bidder page asks before a drop of more than
/// 5% below one's own standing total.
pub const CONFIRM_DROP_PERCENT_DEFAULT: Decimal = Decimal::from_parts(5, 0, 0, false, 0);

/// A validated config: the core's rules plus what only people and reports need.
#[derive(Clone, Debug)]

pub struct AuctionConfig {
    pub rules: Rules,
    pub time_zone: TimeZone,
    pub time_zone_name: String,
    pub invited_at: Option<TimeMs>,
    pub buyers: Vec<Buyer>,
    /// `observer_buyer[i]`: the buyer that observer `i` watches for, if any.
    pub observer_buyer: Vec<Option<usize>>,
    /// A signed checkpoint at least every this many log records (besides every phase change).
    pub log_checkpoint_every: u64,
    /// The bidder page asks a supplier to confirm a bid whose total falls more than this
    /// percentage below its own standing total (`bids.confirm_drop_percent`, default
    /// [`CONFIRM_DROP_PERCENT_DEFAULT`]). A hint for the page, not an auction rule: the core
    /// never reads it.
    pub confirm_drop_percent: Decimal,
    /// How far the schedule was moved from the config's own times (see
    /// [`AuctionConfig::shift_schedule`]); 0 when it runs as written. A log records it.
    pub schedule_shift_ms: i64,
    /// `[tender]`: the qualification this auction comes out of. A config with a tender is run
    /// through `veiling tender`, whose admission publishes the auction config that is served.
    pub tender: Option<crate::tender::TenderRules>,
}

impl AuctionConfig {
    /// An auction config can be simulated, scripted and served; a tender config (with a
    /// `[tender]`) first goes through its qualification.
    pub fn check_runnable(&self) -> Result<(), String> {
        match self.tender {
            Some(_) => Err(format!(
                "'{}' is a tender: run its qualification with `veiling tender`; its admission publishes the auction config to serve (DATA_DIR/{}/auction.toml)",
                self.rules.auction_id, self.rules.auction_id
            )),
            None => Ok(()),
        }
    }

    /// Move every time in the schedule (invitation, opening, closing) by `ms`, keeping their
    /// distances: a demonstration run of a shipped config whose dates have passed starts now.
    /// The shift is part of the config from then on: the log's header records it and replay
    /// applies it again.
    pub fn shift_schedule(&mut self, ms: i64) {
        self.schedule_shift_ms += ms;
        self.invited_at = self.invited_at.map(|t| t + ms);
        self.rules.opens_at += ms;
        if let Some(t) = &mut self.tender {
            t.qualification_opens_at += ms;
            t.questions_close_at += ms;
            t.qualification_closes_at += ms;
            t.award_by = t.award_by.map(|a| a + ms);
        }
        match &mut self.rules.timing {
            LotTiming::Parallel { closes_at } => *closes_at += ms,
            LotTiming::Staggered {
                first_closes_at, ..
            } => *first_closes_at += ms,
            LotTiming::Serial { .. } => {}
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Buyer {
    pub id: String,
    pub name: String,
    pub share_percent: Option<Decimal>,
    /// `shares[lot]`: the buyer's share of the lot's volume in percent (`share_percent` for every
    /// lot, or `shares` per lot); `None` when not stated.
    pub shares: Vec<Option<Decimal>>,
}

/// One problem in a config, at a path such as `lots[1].floor`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Every problem found in one config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Read and validate a config file.
pub fn load_file(path: &Path) -> Result<(AuctionConfig, String), ConfigErrors> {
    let fail = |message: String| {
        ConfigErrors(vec![ConfigError {
            path: String::new(),
            message,
        }])
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    if meta.len() > CONFIG_BYTES_MAX {
        return Err(fail(format!(
            "file is {} bytes; a config may be at most {CONFIG_BYTES_MAX}",
            meta.len()
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    let config = parse(&text)?;
    Ok((config, text))
}

/// Parse and validate config text.
pub fn parse(text: &str) -> Result<AuctionConfig, ConfigErrors> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        ConfigErrors(vec![ConfigError {
            path: String::new(),
            message: format!("not a valid config: {}", e.to_string().trim_end()),
        }])
    })?;
    let mut v = Validator::default();
    let config = v.config(&raw);
    match config {
        Some(config) if v.errors.is_empty() => Ok(config),
        _ => Err(ConfigErrors(v.errors)),
    }
}

#[derive(Default)]
struct Validator {
    errors: Vec<ConfigError>,
    /// Lots whose ceiling did not validate: checks against their ceiling are skipped, so one
    /// mistake gives one error, not a cascade.
    bad_ceilings: BTreeSet<usize>,
    /// Participant ids (auctioneers, observers, suppliers) are unique across the roles.
    participant_ids: BTreeSet<String>,
    /// The config has a `[tender]`: quality values and initial prices come from the
    /// qualification, not from the file.
    in_tender: bool,
}

impl Validator {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(ConfigError {
            path: path.into(),
            message: message.into(),
        });
    }

    fn decimal(&mut self, path: &str, text: &str) -> Option<Decimal> {
        let parsed = crate::core::score::parse_plain_decimal(text);
        if parsed.is_none() {
            self.err(
                path,
                format!(
                    "'{text}' is not a decimal number (write digits with an optional '.' and '-', as a string like \"1234.50\")"
                ),
            );
        }
        parsed
    }

    /// A decimal greater than 0 and at most `max` (when given).
    fn positive(&mut self, path: &str, text: &str, max: Option<Decimal>) -> Option<Decimal> {
        let d = self.decimal(path, text)?;
        if d <= Decimal::ZERO {
            self.err(path, format!("must be greater than 0, got {d}"));
            return None;
        }
        if let Some(max) = max
            && d > max
        {
            self.err(path, format!("must be at most {max}, got {d}"));
            return None;
        }
        Some(d)
    }

    fn percent(&mut self, path: &str, text: &str) -> Option<Decimal> {
        let d = self.decimal(path, text)?;
        if d <= Decimal::ZERO || d >= Decimal::ONE_HUNDRED {
            self.err(
                path,
                format!("must be a percentage greater than 0 and below 100, got {d}"),
            );
            return None;
        }
        Some(d)
    }

    fn id(&mut self, path: &str, id: &str, seen: &mut BTreeSet<String>) {
        let ok = !id.is_empty()
            && id.len() <= 64
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !ok {
            self.err(
                path,
                format!(
                    "'{id}' is not a valid id (1 to 64 characters: letters, digits, '-', '_', '.')"
                ),
            );
        }
        if !seen.insert(id.to_string()) {
            self.err(
                path,
                format!("duplicate id '{id}' (lots, line items, buyers and participants each need unique ids; auctioneers, observers and suppliers share one set)"),
            );
        }
    }

    fn choice<T: Copy>(&mut self, path: &str, value: &str, options: &[(&str, T)]) -> Option<T> {
        if let Some((_, t)) = options.iter().find(|(name, _)| *name == value) {
            return Some(*t);
        }
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        self.err(
            path,
            format!(
                "unknown value '{value}'; expected one of: {}",
                names.join(", ")
            ),
        );
        None
    }

    fn time(&mut self, path: &str, text: &str, tz: &TimeZone) -> Option<TimeMs> {
        match parse_time(text, tz) {
            Ok(t) => Some(t),
            Err(message) => {
                self.err(path, message);
                None
            }
        }
    }

    fn limit(&mut self, path: &str, what: &str, len: usize, max: usize) {
        if len > max {
            self.err(path, format!("{len} {what}; at most {max} are allowed"));
        }
    }

    fn config(&mut self, raw: &RawConfig) -> Option<AuctionConfig> {
        let a = &raw.auction;
        self.id("auction.id", &a.id, &mut BTreeSet::new());
        if a.title.trim().is_empty() {
            self.err("auction.title", "must not be empty");
        }
        let format = self.choice(
            "auction.format",
            &a.format,
            &[
                ("english", FormatKind::English),
                ("sealed_bid", FormatKind::SealedBid),
                ("dutch", FormatKind::Dutch),
                ("japanese", FormatKind::Japanese),
                ("sealed_rounds", FormatKind::SealedRounds),
                ("turns", FormatKind::Turns),
            ],
        );
        if a.currency != "EUR" {
            self.err(
                "auction.currency",
                format!(
                    "unsupported currency '{}'; only EUR is supported",
                    a.currency
                ),
            );
        }
        let tz = match TimeZone::get(&a.time_zone) {
            Ok(tz) => Some(tz),
            Err(_) => {
                self.err(
                    "auction.time_zone",
                    format!(
                        "unknown time zone '{}' (use an IANA name such as Europe/Amsterdam)",
                        a.time_zone
                    ),
                );
                None
            }
        };
        let tz = tz.unwrap_or(TimeZone::UTC);
        let opens_at = self.time("auction.opens_at", &a.opens_at, &tz);
        let invited_at = a
            .invited_at
            .as_deref()
            .and_then(|t| self.time("auction.invited_at", t, &tz));
        if let (Some(invited), Some(opens)) = (invited_at, opens_at) {
            match (date_of(invited, &tz), date_of(opens, &tz)) {
                (Some(from), Some(to)) => {
                    let days = working_days_between(from, to, INVITATION_WORKING_DAYS_MIN);
                    if invited >= opens {
                        self.err("auction.opens_at", "must be after auction.invited_at");
                    } else if days < INVITATION_WORKING_DAYS_MIN {
                        self.err(
                            "auction.opens_at",
                            format!(
                                "the auction must open at least {INVITATION_WORKING_DAYS_MIN} working days after the invitation ({from}); {to} is {days} working day(s) later"
                            ),
                        );
                    }
                }
                _ => self.err("auction.invited_at", "out of range"),
            }
        }

        // Parties.
        self.limit("lots", "lots", raw.lots.len(), limits::LOTS_MAX);
        self.limit(
            "suppliers",
            "suppliers",
            raw.suppliers.len(),
            limits::SUPPLIERS_MAX,
        );
        self.limit(
            "auctioneers",
            "auctioneers",
            raw.auctioneers.len(),
            limits::AUCTIONEERS_MAX,
        );
        self.limit(
            "observers",
            "observers",
            raw.observers.len(),
            limits::OBSERVERS_MAX,
        );
        if raw.lots.is_empty() {
            self.err("lots", "at least one lot is required");
        }
        if raw.suppliers.is_empty() {
            self.err("suppliers", "at least one supplier is required");
        }
        if raw.auctioneers.is_empty() {
            self.err("auctioneers", "at least one auctioneer is required");
        }
        if a.four_eyes && raw.auctioneers.len() < 2 {
            self.err(
                "auction.four_eyes",
                "the four-eyes rule needs at least two auctioneers",
            );
        }
        let buyers = self.buyers(&raw.buyers);
        let auctioneers = self.parties("auctioneers", &raw.auctioneers);
        let mut seen = std::mem::take(&mut self.participant_ids);
        let mut observer_buyer = Vec::new();
        let observers: Vec<Party> = raw
            .observers
            .iter()
            .enumerate()
            .map(|(i, o)| {
                self.id(&format!("observers[{i}].id"), &o.id, &mut seen);
                let buyer = o.buyer.as_ref().and_then(|b| {
                    let found = buyers.iter().position(|x| &x.id == b);
                    if found.is_none() {
                        self.err(
                            format!("observers[{i}].buyer"),
                            format!("unknown buyer '{b}'"),
                        );
                    }
                    found
                });
                observer_buyer.push(buyer);
                Party {
                    id: o.id.clone(),
                    name: o.name.clone(),
                }
            })
            .collect();
        self.participant_ids = seen;

        let lots = self.lots(&raw.lots);
        let mut buyers = buyers;
        self.buyer_shares(&raw.buyers, &lots, &mut buyers);
        let bids = self.bids(&raw.bids, &lots, format);
        let scoring = self.choice(
            "scoring.method",
            &raw.scoring.method,
            &[
                ("price", Scoring::Price),
                ("fictieve_korting", Scoring::FictieveKorting),
                ("coefficient", Scoring::Coefficient),
            ],
        );
        self.in_tender = raw.tender.is_some();
        let mut suppliers = self.suppliers(&raw.suppliers, &lots, scoring);
        self.initial_prices(format, &raw.suppliers, &lots, &mut suppliers);
        for (l, lot) in lots.iter().enumerate() {
            let admitted = suppliers.iter().filter(|s| s.admitted[l]).count();
            if admitted == 0 {
                self.err(
                    format!("lots[{l}]"),
                    format!("no supplier is admitted to lot '{}'", lot.id),
                );
            } else if lot.winners as usize > admitted {
                self.err(
                    format!("lots[{l}].winners"),
                    format!(
                        "{} winners but only {admitted} supplier(s) admitted",
                        lot.winners
                    ),
                );
            }
        }
        if bids
            .as_ref()
            .is_some_and(|b| b.decrement_from == DecrementFrom::Best)
            && !raw.visibility.best_score
        {
            self.err(
                "bids.decrement_from",
                "'best' asks every bid to beat the best score, so suppliers must see it: set visibility.best_score = true or measure from 'own'",
            );
        }
        let confirm_drop = self.confirm_drop(&raw.bids);
        let timing = self.timing(&raw.timing, opens_at, &tz, lots.len());
        let soft_close = raw.soft_close.as_ref().and_then(|sc| self.soft_close(sc));
        let format = self.format_rules(
            format,
            raw,
            &lots,
            timing.as_ref().zip(opens_at),
            scoring,
            soft_close,
        );
        if let (Some(Format::Turns(t)), Some(timing), Some(opens_at)) = (&format, &timing, opens_at)
        {
            self.turns_fit(t, &lots, &suppliers, timing, opens_at);
        }
        let tender = match (&raw.tender, opens_at) {
            (Some(t), Some(opens_at)) => self.tender(t, &tz, opens_at, &lots, scoring),
            _ => None,
        };
        if !(1..=1_000_000).contains(&raw.log.checkpoint_every) {
            self.err(
                "log.checkpoint_every",
                format!(
                    "must be from 1 to 1000000 records, got {}",
                    raw.log.checkpoint_every
                ),
            );
        }

        Some(AuctionConfig {
            rules: Rules {
                auction_id: a.id.clone(),
                title: a.title.clone(),
                format: format?,
                opens_at: opens_at?,
                timing: timing?,
                lots,
                suppliers,
                auctioneers,
                observers,
                bids: bids?,
                scoring: scoring?,
                visibility: Visibility {
                    best_score: raw.visibility.best_score,
                    bidder_count: raw.visibility.bidder_count,
                },
                four_eyes: a.four_eyes,
            },
            time_zone_name: a.time_zone.clone(),
            time_zone: tz,
            invited_at,
            buyers,
            observer_buyer,
            log_checkpoint_every: u64::from(raw.log.checkpoint_every),
            confirm_drop_percent: confirm_drop,
            schedule_shift_ms: 0,
            tender,
        })
    }

    fn parties(&mut self, name: &str, raw: &[RawParty]) -> Vec<Party> {
        let mut seen = std::mem::take(&mut self.participant_ids);
        let parties = raw
            .iter()
            .enumerate()
            .map(|(i, p)| {
                self.id(&format!("{name}[{i}].id"), &p.id, &mut seen);
                Party {
                    id: p.id.clone(),
                    name: p.name.clone(),
                }
            })
            .collect();
        self.participant_ids = seen;
        parties
    }

    /// Each buyer's share per lot: `share_percent` for every lot, or `shares` lot by lot; for
    /// every lot with shares, they add up to 100.
    fn buyer_shares(&mut self, raw: &[RawBuyer], lots: &[LotRules], buyers: &mut [Buyer]) {
        for (i, (rb, b)) in raw.iter().zip(buyers.iter_mut()).enumerate() {
            b.shares = vec![b.share_percent; lots.len()];
            if rb.shares.is_empty() {
                continue;
            }
            if rb.share_percent.is_some() {
                self.err(
                    format!("buyers[{i}]"),
                    "give share_percent (the same for every lot) or shares (per lot), not both",
                );
                b.shares = vec![None; lots.len()];
                continue;
            }
            for (lot_id, value) in &rb.shares {
                let path = format!("buyers[{i}].shares.{lot_id}");
                let Some(l) = lots.iter().position(|l| &l.id == lot_id) else {
                    self.err(path, format!("unknown lot '{lot_id}'"));
                    continue;
                };
                b.shares[l] = self.positive(&path, value, Some(Decimal::ONE_HUNDRED));
            }
        }
        if raw.iter().any(|b| !b.shares.is_empty()) {
            for (l, lot) in lots.iter().enumerate() {
                let given: Vec<Decimal> = buyers.iter().filter_map(|b| b.shares[l]).collect();
                let sum: Decimal = given.iter().sum();
                if !given.is_empty() && sum != Decimal::ONE_HUNDRED {
                    self.err(
                        "buyers",
                        format!("the shares of lot '{}' add up to {sum}%, not 100%", lot.id),
                    );
                }
            }
        }
    }

    fn buyers(&mut self, raw: &[RawBuyer]) -> Vec<Buyer> {
        let mut seen = BTreeSet::new();
        let buyers: Vec<Buyer> = raw
            .iter()
            .enumerate()
            .map(|(i, b)| {
                self.id(&format!("buyers[{i}].id"), &b.id, &mut seen);
                Buyer {
                    id: b.id.clone(),
                    name: b.name.clone(),
                    share_percent: b.share_percent.as_ref().and_then(|s| {
                        self.positive(
                            &format!("buyers[{i}].share_percent"),
                            s,
                            Some(Decimal::ONE_HUNDRED),
                        )
                    }),
                    shares: Vec::new(),
                }
            })
            .collect();
        let given = raw.iter().filter(|b| b.share_percent.is_some()).count();
        // With shares per lot, the check is per lot (`buyer_shares`).
        let per_lot = raw.iter().any(|b| !b.shares.is_empty());
        if given > 0 && !per_lot {
            if given != raw.len() {
                self.err("buyers", "give share_percent for every buyer or for none");
            } else if buyers.iter().all(|b| b.share_percent.is_some()) {
                let sum: Decimal = buyers.iter().filter_map(|b| b.share_percent).sum();
                if sum != Decimal::ONE_HUNDRED {
                    self.err("buyers", format!("the shares add up to {sum}%, not 100%"));
                }
            }
        }
        buyers
    }

    fn lots(&mut self, raw: &[RawLot]) -> Vec<LotRules> {
        let mut seen = BTreeSet::new();
        let ceiling_max = Decimal::from_str(limits::CEILING_MAX).unwrap_or(Decimal::MAX);
        let quantity_max = Decimal::from_str(limits::QUANTITY_MAX).unwrap_or(Decimal::MAX);
        raw.iter()
            .enumerate()
            .map(|(i, lot)| {
                let p = format!("lots[{i}]");
                self.id(&format!("{p}.id"), &lot.id, &mut seen);
                if lot.price_decimals > 6 {
                    self.err(
                        format!("{p}.price_decimals"),
                        format!("at most 6 decimals, got {}", lot.price_decimals),
                    );
                }
                let ceiling =
                    self.positive(&format!("{p}.ceiling"), &lot.ceiling, Some(ceiling_max));
                if ceiling.is_none() {
                    self.bad_ceilings.insert(i);
                }
                let floor = lot
                    .floor
                    .as_ref()
                    .and_then(|f| self.positive(&format!("{p}.floor"), f, Some(ceiling_max)));
                let reserve = lot
                    .reserve
                    .as_ref()
                    .and_then(|r| self.positive(&format!("{p}.reserve"), r, Some(ceiling_max)));
                if let (Some(c), Some(f)) = (ceiling, floor)
                    && f >= c
                {
                    self.err(
                        format!("{p}.floor"),
                        format!("the floor ({f}) must be below the ceiling ({c})"),
                    );
                }
                if let (Some(c), Some(r)) = (ceiling, reserve)
                    && r > c
                {
                    self.err(
                        format!("{p}.reserve"),
                        format!("the reserve ({r}) must not be above the ceiling ({c})"),
                    );
                }
                if let (Some(f), Some(r)) = (floor, reserve)
                    && r < f
                {
                    self.err(
                        format!("{p}.reserve"),
                        format!("the reserve ({r}) must not be below the floor ({f})"),
                    );
                }
                if lot.winners == 0 {
                    self.err(format!("{p}.winners"), "must be at least 1");
                }
                self.limit(
                    &format!("{p}.lines"),
                    "line items",
                    lot.lines.len(),
                    limits::LINES_PER_LOT_MAX,
                );
                let mut line_ids = BTreeSet::new();
                let lines = lot
                    .lines
                    .iter()
                    .enumerate()
                    .map(|(j, line)| {
                        let lp = format!("{p}.lines[{j}]");
                        self.id(&format!("{lp}.id"), &line.id, &mut line_ids);
                        if line.unit.trim().is_empty() {
                            self.err(format!("{lp}.unit"), "must not be empty");
                        }
                        let quantity = self
                            .positive(
                                &format!("{lp}.quantity"),
                                &line.quantity,
                                Some(quantity_max),
                            )
                            .unwrap_or(Decimal::ONE);
                        if decimals_of(quantity) > 6 {
                            self.err(format!("{lp}.quantity"), "at most 6 decimals");
                        }
                        LineItem {
                            id: line.id.clone(),
                            description: line.description.clone(),
                            unit: line.unit.clone(),
                            quantity,
                        }
                    })
                    .collect();
                LotRules {
                    id: lot.id.clone(),
                    name: lot.name.clone(),
                    price_decimals: lot.price_decimals.min(6),
                    ceiling: ceiling.unwrap_or(Decimal::ONE),
                    floor,
                    reserve,
                    lines,
                    winners: lot.winners.max(1),
                }
            })
            .collect()
    }

    /// `bids.confirm_drop_percent`: a percentage; set explicitly, it must lie below
    /// `max_drop_percent`, or every bid the page would ask about is refused anyway.
    fn confirm_drop(&mut self, raw: &RawBids) -> Decimal {
        let Some(text) = raw.confirm_drop_percent.as_ref() else {
            return CONFIRM_DROP_PERCENT_DEFAULT;
        };
        let Some(confirm) = self.percent("bids.confirm_drop_percent", text) else {
            return CONFIRM_DROP_PERCENT_DEFAULT;
        };
        let max_drop = raw
            .max_drop_percent
            .as_ref()
            .and_then(|p| p.parse::<Decimal>().ok());
        if let Some(max_drop) = max_drop
            && confirm >= max_drop
        {
            self.err(
                "bids.confirm_drop_percent",
                format!(
                    "{confirm}% is not below max_drop_percent ({max_drop}%): a bid that drops that far is refused, so the page would never ask"
                ),
            );
        }
        confirm
    }

    /// `[dutch]`: the start, the step and the interval.
    fn dutch(&mut self, raw: &RawDutch) -> Option<DutchRules> {
        let start = self.percent("dutch.start_percent", &raw.start_percent);
        let amount = raw
            .step_amount
            .as_ref()
            .and_then(|a| self.positive("dutch.step_amount", a, None));
        let percent = raw
            .step_percent
            .as_ref()
            .and_then(|p| self.percent("dutch.step_percent", p));
        if raw.step_amount.is_none() && raw.step_percent.is_none() {
            self.err(
                "dutch",
                "state the rise per step: step_amount, step_percent or both",
            );
        }
        if raw.interval_s == 0 {
            self.err("dutch.interval_s", "must be greater than 0");
        }
        Some(DutchRules {
            start_percent: start?,
            step_amount: amount,
            step_percent: percent,
            interval_ms: i64::from(raw.interval_s) * 1000,
        })
        .filter(|_| (raw.step_amount.is_some() || raw.step_percent.is_some()) && raw.interval_s > 0)
    }

    /// `[rounds]`: their length, their most, and how many rounds without improvement end it.
    fn rounds(&mut self, raw: &RawRounds) -> Option<RoundRules> {
        if raw.duration_s == 0 {
            self.err("rounds.duration_s", "must be greater than 0");
        }
        if !(1..=1000).contains(&raw.rounds_max) {
            self.err(
                "rounds.rounds_max",
                format!("must be from 1 to 1000, got {}", raw.rounds_max),
            );
        }
        if raw.stable_rounds == 0 {
            self.err(
                "rounds.stable_rounds",
                "must be at least 1: the rounds without improvement that end the lot",
            );
        }
        (raw.duration_s > 0 && (1..=1000).contains(&raw.rounds_max) && raw.stable_rounds > 0)
            .then_some(RoundRules {
                duration_ms: i64::from(raw.duration_s) * 1000,
                rounds_max: raw.rounds_max,
                stable_rounds: raw.stable_rounds,
            })
    }

    /// `[turns]`: how many rounds, the longest turn, the pause between rounds.
    fn turns(&mut self, raw: &RawTurns) -> Option<TurnRules> {
        let rounds_ok = (1..=100).contains(&raw.rounds);
        if !rounds_ok {
            self.err(
                "turns.rounds",
                format!("must be from 1 to 100, got {}", raw.rounds),
            );
        }
        if raw.turn_s == 0 {
            self.err("turns.turn_s", "must be greater than 0");
        }
        (rounds_ok && raw.turn_s > 0).then_some(TurnRules {
            rounds: raw.rounds,
            turn_ms: i64::from(raw.turn_s) * 1000,
            pause_ms: i64::from(raw.pause_s) * 1000,
        })
    }

    /// Turn-based rounds: every admitted supplier enters each lot with the price of its
    /// qualification submission (`suppliers[i].initial_prices`), a valid offer for the lot.
    /// Refused with any other format.
    fn initial_prices(
        &mut self,
        format: Option<FormatKind>,
        raw: &[RawSupplier],
        lots: &[LotRules],
        suppliers: &mut [SupplierRules],
    ) {
        for (i, (rs, supplier)) in raw.iter().zip(suppliers.iter_mut()).enumerate() {
            let p = format!("suppliers[{i}].initial_prices");
            supplier.initial = vec![None; lots.len()];
            if self.in_tender {
                if !rs.initial_prices.is_empty() {
                    self.err(
                        &p,
                        "in a tender the initial prices come from the qualification submissions: leave them out",
                    );
                }
                continue;
            }
            if format != Some(FormatKind::Turns) {
                if !rs.initial_prices.is_empty() && format.is_some() {
                    self.err(
                        &p,
                        "initial prices are only for auction.format = \"turns\": leave them out",
                    );
                }
                continue;
            }
            for (lot_id, value) in &rs.initial_prices {
                let vp = format!("{p}.{lot_id}");
                let Some(l) = lots.iter().position(|l| &l.id == lot_id) else {
                    self.err(vp, format!("unknown lot '{lot_id}'"));
                    continue;
                };
                if !supplier.admitted[l] {
                    self.err(
                        &vp,
                        format!("the supplier is not admitted to lot '{lot_id}'"),
                    );
                    continue;
                }
                let offer = match value {
                    toml::Value::String(text) => self.decimal(&vp, text).map(Offer::Total),
                    toml::Value::Array(items) => {
                        let prices: Vec<Option<Decimal>> = items
                            .iter()
                            .enumerate()
                            .map(|(j, item)| match item {
                                toml::Value::String(text) => {
                                    self.decimal(&format!("{vp}[{j}]"), text)
                                }
                                _ => {
                                    self.err(
                                        format!("{vp}[{j}]"),
                                        "write each unit price as a string, like \"12.50\"",
                                    );
                                    None
                                }
                            })
                            .collect();
                        prices
                            .into_iter()
                            .collect::<Option<Vec<_>>>()
                            .map(Offer::Lines)
                    }
                    _ => {
                        self.err(
                            &vp,
                            "write the price as a string, like \"1234.50\", or for a lot with line items an array of unit prices, like [\"12.50\", \"3.10\"]",
                        );
                        None
                    }
                };
                let Some(offer) = offer else { continue };
                if self.bad_ceilings.contains(&l) {
                    continue;
                }
                match crate::core::offer_total(&lots[l], &offer) {
                    Err(why) => self.err(&vp, offer_error(&why)),
                    Ok((_, total)) if total > lots[l].ceiling => self.err(
                        &vp,
                        format!(
                            "the total {total} is above the lot's ceiling {}",
                            lots[l].ceiling
                        ),
                    ),
                    Ok((_, total)) if lots[l].floor.is_some_and(|f| total < f) => self.err(
                        &vp,
                        format!(
                            "the total {total} is below the lot's floor {}",
                            lots[l].floor.unwrap_or_default()
                        ),
                    ),
                    Ok(_) => supplier.initial[l] = Some(offer),
                }
            }
            for (l, lot) in lots.iter().enumerate() {
                if supplier.admitted[l] && !rs.initial_prices.contains_key(&lot.id) {
                    self.err(
                        &p,
                        format!(
                            "no initial price for lot '{}': in turn-based rounds every admitted supplier enters with the price of its qualification submission",
                            lot.id
                        ),
                    );
                }
            }
        }
    }

    /// Every lot of turn-based rounds must have time for every round, every admitted
    /// supplier's whole turn in each, and the pauses between rounds, before its first deadline.
    fn turns_fit(
        &mut self,
        t: &TurnRules,
        lots: &[LotRules],
        suppliers: &[SupplierRules],
        timing: &LotTiming,
        opens_at: TimeMs,
    ) {
        for (i, lot) in lots.iter().enumerate() {
            let bidders = suppliers.iter().filter(|s| s.admitted[i]).count() as i64;
            let runs_ms = lot_runs_ms(timing, opens_at, i);
            let rounds = i64::from(t.rounds);
            let needed_ms = rounds * bidders * t.turn_ms + (rounds - 1) * t.pause_ms;
            if runs_ms < needed_ms {
                self.err(
                    format!("lots[{i}]"),
                    format!(
                        "lot '{}' runs {} s, too short for {} round(s) of {bidders} turn(s) of {} s with pauses of {} s ({} s): shorten the turns or close later",
                        lot.id,
                        runs_ms / 1000,
                        t.rounds,
                        t.turn_ms / 1000,
                        t.pause_ms / 1000,
                        needed_ms / 1000
                    ),
                );
            }
        }
    }

    /// `[japanese]`: the interval and the stages of the fall.
    fn japanese(&mut self, raw: &RawJapanese) -> Option<JapaneseRules> {
        if raw.interval_s == 0 {
            self.err("japanese.interval_s", "must be greater than 0");
        }
        if raw.stages.is_empty() {
            self.err(
                "japanese.stages",
                "give at least one stage: step_amount, step_percent or both",
            );
        }
        let mut ok = raw.interval_s > 0 && !raw.stages.is_empty();
        let mut stages = Vec::new();
        let mut last_until: Option<Decimal> = None;
        for (i, st) in raw.stages.iter().enumerate() {
            let path = format!("japanese.stages[{i}]");
            let amount = st
                .step_amount
                .as_ref()
                .and_then(|a| self.positive(&format!("{path}.step_amount"), a, None));
            let percent = st
                .step_percent
                .as_ref()
                .and_then(|p| self.percent(&format!("{path}.step_percent"), p));
            if st.step_amount.is_none() && st.step_percent.is_none() {
                self.err(
                    &path,
                    "state the fall per step: step_amount, step_percent or both",
                );
                ok = false;
            }
            let until = st
                .until_percent
                .as_ref()
                .and_then(|u| self.percent(&format!("{path}.until_percent"), u));
            let is_last = i + 1 == raw.stages.len();
            match (st.until_percent.is_some(), is_last) {
                (true, true) => {
                    self.err(
                        format!("{path}.until_percent"),
                        "the last stage runs down to the floor: leave out its until_percent",
                    );
                    ok = false;
                }
                (false, false) => {
                    self.err(
                        format!("{path}.until_percent"),
                        "every stage but the last says until which percentage of the ceiling it runs",
                    );
                    ok = false;
                }
                _ => {}
            }
            if let (Some(u), Some(prev)) = (until, last_until)
                && u >= prev
            {
                self.err(
                    format!("{path}.until_percent"),
                    format!("{u}% is not below the stage before ({prev}%): the price only falls"),
                );
                ok = false;
            }
            last_until = until.or(last_until);
            stages.push(JapaneseStage {
                step_amount: amount,
                step_percent: percent,
                until_percent: until,
            });
        }
        ok.then_some(JapaneseRules {
            interval_ms: i64::from(raw.interval_s) * 1000,
            stages,
        })
    }

    /// The chosen format with its own table (`[dutch]`, `[japanese]`, `[rounds]`), and what it
    /// refuses of the rest of the config: a soft close, scoring other than price, lots that
    /// cannot run its course.
    fn format_rules(
        &mut self,
        format: Option<FormatKind>,
        raw: &RawConfig,
        lots: &[LotRules],
        schedule: Option<(&LotTiming, TimeMs)>,
        scoring: Option<Scoring>,
        soft_close: Option<SoftClose>,
    ) -> Option<Format> {
        use FormatKind::*;
        let no_soft_close = match format {
            Some(SealedBid) => Some(
                "a sealed bid closes at its deadline: nobody sees a bid to answer, so leave out [soft_close]",
            ),
            Some(Dutch) => Some(
                "a Dutch lot closes at its first taker or at its deadline: leave out [soft_close]",
            ),
            Some(Japanese) => Some(
                "a Japanese lot closes when its last bidders stay, at its floor or at its deadline: leave out [soft_close]",
            ),
            Some(SealedRounds) => {
                Some("sealed rounds close at the end of a round: leave out [soft_close]")
            }
            Some(Turns) => Some(
                "turn-based rounds close after the last turn of the last round: leave out [soft_close]",
            ),
            Some(English) | None => None,
        };
        if let Some(why) = no_soft_close
            && raw.soft_close.is_some()
        {
            self.err("soft_close", why);
        }
        let price_only = match format {
            Some(Dutch) => Some(
                "a Dutch auction is won by the first taker at the offered price: only 'price' scoring applies",
            ),
            Some(Japanese) => Some(
                "a Japanese auction ends at one price for all who stay: only 'price' scoring applies",
            ),
            _ => None,
        };
        if let Some(why) = price_only
            && scoring.is_some_and(|s| s != Scoring::Price)
        {
            self.err("scoring.method", why);
        }
        let dutch = self.section(
            (
                "dutch",
                "dutch",
                "start_percent, step_amount or step_percent, interval_s",
            ),
            format == Some(Dutch),
            raw.dutch.as_ref(),
            Self::dutch,
        );
        let japanese = self.section(
            (
                "japanese",
                "japanese",
                "interval_s and at least one [[japanese.stages]]",
            ),
            format == Some(Japanese),
            raw.japanese.as_ref(),
            Self::japanese,
        );
        let rounds = self.section(
            (
                "rounds",
                "sealed_rounds",
                "duration_s, rounds_max (and stable_rounds)",
            ),
            format == Some(SealedRounds),
            raw.rounds.as_ref(),
            Self::rounds,
        );
        let turns = self.section(
            ("turns", "turns", "turn_s (and rounds, pause_s)"),
            format == Some(Turns),
            raw.turns.as_ref(),
            Self::turns,
        );
        if let Some((timing, opens_at)) = schedule {
            if let Some(d) = &dutch {
                self.stepped_lots(d, Stepped::Dutch, lots, &raw.lots, timing, opens_at);
            }
            if let Some(j) = &japanese {
                self.stepped_lots(j, Stepped::Japanese, lots, &raw.lots, timing, opens_at);
            }
            if let Some(r) = &rounds {
                self.rounds_fit(r, lots, timing, opens_at);
            }
        }
        Some(match format? {
            English => Format::English(EnglishRules { soft_close }),
            SealedBid => Format::SealedBid,
            Dutch => Format::Dutch(dutch?),
            Japanese => Format::Japanese(japanese?),
            SealedRounds => Format::SealedRounds(rounds?),
            Turns => Format::Turns(turns?),
        })
    }

    /// A format's own table `[name]`: required with that format (`format`), refused with any
    /// other; `needs` lists its fields for the error.
    fn section<R, T>(
        &mut self,
        (name, format, needs): (&str, &str, &str),
        wanted: bool,
        raw: Option<&R>,
        parse: impl FnOnce(&mut Self, &R) -> Option<T>,
    ) -> Option<T> {
        match (wanted, raw) {
            (true, Some(r)) => parse(self, r),
            (true, None) => {
                self.err(
                    name,
                    format!("format = \"{format}\" needs [{name}]: {needs}"),
                );
                None
            }
            (false, Some(_)) => {
                self.err(
                    name,
                    format!("[{name}] is only for auction.format = \"{format}\""),
                );
                None
            }
            (false, None) => None,
        }
    }

    /// Every lot of sealed rounds must run `rounds_max` rounds before its first deadline.
    fn rounds_fit(&mut self, r: &RoundRules, lots: &[LotRules], timing: &LotTiming, opens: TimeMs) {
        for (i, lot) in lots.iter().enumerate() {
            let runs_ms = lot_runs_ms(timing, opens, i);
            let needed_ms = i64::from(r.rounds_max) * r.duration_ms;
            if runs_ms < needed_ms {
                self.err(
                    format!("lots[{i}]"),
                    format!(
                        "lot '{}' runs {} s, too short for {} round(s) of {} s ({} s): shorten the rounds or close later",
                        lot.id,
                        runs_ms / 1000,
                        r.rounds_max,
                        r.duration_ms / 1000,
                        needed_ms / 1000
                    ),
                );
            }
        }
    }

    /// Every lot of a Dutch or Japanese auction: a total price (no line items), for the Dutch
    /// one winner, for the Japanese a floor to stop at; at most `PRICE_STEPS_MAX` steps from
    /// the first price to the last; and time before the first deadline for the last price to
    /// stand one whole interval.
    fn stepped_lots(
        &mut self,
        steps: &dyn PriceSteps,
        kind: Stepped,
        lots: &[LotRules],
        raw: &[RawLot],
        timing: &LotTiming,
        opens_at: TimeMs,
    ) {
        let (name, table) = match kind {
            Stepped::Dutch => ("Dutch", "dutch"),
            Stepped::Japanese => ("Japanese", "japanese"),
        };
        for (i, lot) in lots.iter().enumerate() {
            if self.bad_ceilings.contains(&i) {
                continue;
            }
            if kind == Stepped::Dutch && lot.winners != 1 {
                self.err(
                    format!("lots[{i}].winners"),
                    "a Dutch lot has one winner, its first taker",
                );
            }
            if raw.get(i).is_some_and(|r| !r.lines.is_empty()) {
                self.err(
                    format!("lots[{i}].lines"),
                    format!("a {name} lot offers one total price: leave out its line items"),
                );
            }
            if kind == Stepped::Japanese && lot.floor.is_none() {
                self.err(
                    format!("lots[{i}].floor"),
                    "a Japanese lot's price falls to its floor at most: give the lot a floor",
                );
                continue;
            }
            let Some(last) = steps.last_step(lot) else {
                self.err(
                    format!("lots[{i}]"),
                    format!("the {name} price step is 0 at this lot's price decimals"),
                );
                continue;
            };
            if last > limits::PRICE_STEPS_MAX {
                let why = match kind {
                    Stepped::Dutch => format!(
                        "lot '{}' needs {last} steps from its start to its ceiling; at most {} are allowed: take a larger step",
                        lot.id,
                        limits::PRICE_STEPS_MAX
                    ),
                    Stepped::Japanese => format!(
                        "lot '{}' needs more than {} steps from its ceiling to its floor: take larger steps",
                        lot.id,
                        limits::PRICE_STEPS_MAX
                    ),
                };
                self.err(table, why);
                continue;
            }
            let runs_ms = lot_runs_ms(timing, opens_at, i);
            let needed_ms = (i64::from(last) + 1) * steps.interval_ms();
            if runs_ms < needed_ms {
                let (reaches, so) = match kind {
                    Stepped::Dutch => ("ceiling", "to offer the ceiling for one interval"),
                    Stepped::Japanese => ("floor", "for every price to be confirmed"),
                };
                self.err(
                    format!("lots[{i}]"),
                    format!(
                        "the price of lot '{}' reaches its {reaches} after {last} step(s) of {} s, so the lot must run at least {} s {so}; it runs {} s",
                        lot.id,
                        steps.interval_ms() / 1000,
                        needed_ms / 1000,
                        runs_ms / 1000
                    ),
                );
            }
        }
    }

    fn bids(
        &mut self,
        raw: &RawBids,
        lots: &[LotRules],
        format: Option<FormatKind>,
    ) -> Option<BidRules> {
        let one_bid = match format {
            Some(FormatKind::SealedBid) => {
                Some("a sealed bid (auction.format = \"sealed_bid\"): each supplier bids once")
            }
            Some(FormatKind::Dutch) => Some(
                "a Dutch auction (auction.format = \"dutch\"): a bid accepts the price offered",
            ),
            Some(FormatKind::Japanese) => Some(
                "a Japanese auction (auction.format = \"japanese\"): a bid confirms the price offered",
            ),
            _ => None,
        };
        let sealed = format == Some(FormatKind::SealedBid);
        if format == Some(FormatKind::SealedRounds) {
            if raw.decrement_from != "own" {
                self.err(
                    "bids.decrement_from",
                    "in sealed rounds each bid improves on the bidder's own bid of the round before: use 'own'",
                );
            }
            if raw.ties == "reject_at_best" {
                self.err(
                    "bids.ties",
                    "'reject_at_best' needs the best score, which nobody sees during a round: use earlier_wins",
                );
            }
        }
        if let Some(why) = one_bid {
            // One bid per supplier: nothing to improve on, nothing to guard against.
            let meaningless = [
                ("decrement_amount", raw.decrement_amount.is_some()),
                ("decrement_percent", raw.decrement_percent.is_some()),
                ("max_drop_percent", raw.max_drop_percent.is_some()),
                ("decrement_from", raw.decrement_from != "own"),
            ];
            for (field, given) in meaningless {
                if given {
                    self.err(format!("bids.{field}"), format!("has no meaning in {why}"));
                }
            }
            if raw.ties == "reject_at_best" {
                let message = if sealed {
                    "'reject_at_best' needs the best score, which nobody sees while bids are sealed: use earlier_wins".to_string()
                } else {
                    format!("'reject_at_best' has no meaning in {why}")
                };
                self.err("bids.ties", message);
            }
        }
        let amount = raw
            .decrement_amount
            .as_ref()
            .and_then(|a| self.positive("bids.decrement_amount", a, None));
        let percent = raw
            .decrement_percent
            .as_ref()
            .and_then(|p| self.percent("bids.decrement_percent", p));
        if raw.decrement_amount.is_none() && raw.decrement_percent.is_none() && one_bid.is_none() {
            self.err(
                "bids",
                "state the minimum bid difference: decrement_amount, decrement_percent or both",
            );
        }
        if let Some(amount) = amount {
            for (i, lot) in lots.iter().enumerate() {
                if !self.bad_ceilings.contains(&i) && amount >= lot.ceiling {
                    self.err(
                        "bids.decrement_amount",
                        format!(
                            "{amount} is not below the ceiling of lots[{i}] ({})",
                            lot.ceiling
                        ),
                    );
                }
            }
        }
        let max_drop = raw
            .max_drop_percent
            .as_ref()
            .and_then(|p| self.percent("bids.max_drop_percent", p));
        if let (Some(drop), Some(dec)) = (max_drop, percent)
            && drop < dec
        {
            self.err(
                "bids.max_drop_percent",
                format!(
                    "a maximum drop of {drop}% below the bidder's own bid is smaller than the minimum decrement of {dec}%: no bid could be admitted"
                ),
            );
        }
        let from = self.choice(
            "bids.decrement_from",
            &raw.decrement_from,
            &[("own", DecrementFrom::Own), ("best", DecrementFrom::Best)],
        );
        let ties = self.choice(
            "bids.ties",
            &raw.ties,
            &[
                ("earlier_wins", Ties::EarlierWins),
                ("reject_at_best", Ties::RejectAtBest),
            ],
        );
        Some(BidRules {
            decrement_amount: amount,
            decrement_percent: percent,
            decrement_from: from?,
            max_drop_percent: max_drop,
            bid_interval_min_ms: i64::from(raw.interval_min_s) * 1000,
            ties: ties?,
        })
    }

    fn suppliers(
        &mut self,
        raw: &[RawSupplier],
        lots: &[LotRules],
        scoring: Option<Scoring>,
    ) -> Vec<SupplierRules> {
        let mut seen = std::mem::take(&mut self.participant_ids);
        let suppliers = raw
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let p = format!("suppliers[{i}]");
                self.id(&format!("{p}.id"), &s.id, &mut seen);
                let mut admitted = vec![false; lots.len()];
                if s.lots.is_empty() {
                    self.err(format!("{p}.lots"), "the supplier is admitted to no lot");
                }
                for (j, lot_id) in s.lots.iter().enumerate() {
                    match lots.iter().position(|l| &l.id == lot_id) {
                        Some(l) if admitted[l] => {
                            self.err(format!("{p}.lots[{j}]"), format!("lot '{lot_id}' listed twice"))
                        }
                        Some(l) => admitted[l] = true,
                        None => self.err(format!("{p}.lots[{j}]"), format!("unknown lot '{lot_id}'")),
                    }
                }
                let mut quality = vec![Decimal::ZERO; lots.len()];
                for (lot_id, value) in &s.quality {
                    let qp = format!("{p}.quality.{lot_id}");
                    let Some(l) = lots.iter().position(|l| &l.id == lot_id) else {
                        self.err(qp, format!("unknown lot '{lot_id}'"));
                        continue;
                    };
                    if !admitted[l] {
                        self.err(&qp, format!("the supplier is not admitted to lot '{lot_id}'"));
                    }
                    let Some(q) = self.decimal(&qp, value) else { continue };
                    match scoring {
                        Some(Scoring::Price) => self.err(
                            &qp,
                            "quality values are only used with scoring.method fictieve_korting or coefficient",
                        ),
                        Some(Scoring::FictieveKorting)
                            if q < Decimal::ZERO
                                || (!self.bad_ceilings.contains(&l) && q >= lots[l].ceiling) =>
                        {
                            self.err(
                                &qp,
                                format!("the quality bonus must be at least 0 and below the lot's ceiling ({}), got {q}", lots[l].ceiling),
                            )
                        }
                        Some(Scoring::Coefficient) if q < Decimal::ZERO || q > Decimal::TEN => self
                            .err(&qp, format!("the coefficient must be between 0 and 10, got {q}")),
                        _ => {}
                    }
                    quality[l] = q;
                }
                if self.in_tender && !s.quality.is_empty() {
                    self.err(
                        format!("{p}.quality"),
                        "in a tender the quality values come from the evaluation of the quality criteria: leave them out",
                    );
                }
                if matches!(scoring, Some(Scoring::FictieveKorting | Scoring::Coefficient))
                    && !self.in_tender
                {
                    for (l, lot) in lots.iter().enumerate() {
                        if admitted[l] && !s.quality.contains_key(&lot.id) {
                            self.err(
                                format!("{p}.quality"),
                                format!(
                                    "no quality value for lot '{}': with a price-quality formula every admitted supplier needs one fixed value per lot",
                                    lot.id
                                ),
                            );
                        }
                    }
                }
                SupplierRules {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    admitted,
                    quality,
                    initial: Vec::new(),
                }
            })
            .collect();
        self.participant_ids = seen;
        suppliers
    }

    fn timing(
        &mut self,
        raw: &RawTiming,
        opens_at: Option<TimeMs>,
        tz: &TimeZone,
        lots: usize,
    ) -> Option<LotTiming> {
        let closes_at = raw
            .closes_at
            .as_deref()
            .and_then(|t| self.time("timing.closes_at", t, tz));
        let mode = self.choice(
            "timing.mode",
            &raw.mode,
            &[("parallel", 0), ("staggered", 1), ("serial", 2)],
        )?;
        let unused = |v: &mut Self, field: &str, present: bool| {
            if present {
                v.err(
                    format!("timing.{field}"),
                    format!("not used with mode '{}'", raw.mode),
                );
            }
        };
        match mode {
            0 | 1 => {
                unused(self, "duration_s", raw.duration_s.is_some());
                if raw.closes_at.is_none() {
                    self.err(
                        "timing.closes_at",
                        "required: the closing rule must be stated",
                    );
                }
                if let (Some(o), Some(c)) = (opens_at, closes_at)
                    && c <= o
                {
                    self.err("timing.closes_at", "must be after auction.opens_at");
                }
                if mode == 0 {
                    unused(self, "gap_s", raw.gap_s.is_some());
                    Some(LotTiming::Parallel {
                        closes_at: closes_at?,
                    })
                } else {
                    let gap = raw.gap_s.unwrap_or(0);
                    if gap == 0 {
                        self.err(
                            "timing.gap_s",
                            "staggered closes need a gap greater than 0 seconds",
                        );
                    }
                    if lots < 2 {
                        self.err("timing.mode", "staggered closes need at least two lots");
                    }
                    Some(LotTiming::Staggered {
                        first_closes_at: closes_at?,
                        gap_ms: i64::from(gap) * 1000,
                    })
                }
            }
            _ => {
                unused(self, "closes_at", raw.closes_at.is_some());
                let duration = raw.duration_s.unwrap_or(0);
                if duration == 0 {
                    self.err(
                        "timing.duration_s",
                        "required: each serial lot's running time in seconds, greater than 0",
                    );
                }
                Some(LotTiming::Serial {
                    duration_ms: i64::from(duration) * 1000,
                    gap_ms: i64::from(raw.gap_s.unwrap_or(0)) * 1000,
                })
            }
        }
    }

    fn soft_close(&mut self, raw: &RawSoftClose) -> Option<SoftClose> {
        if raw.window_s == 0 {
            self.err("soft_close.window_s", "must be greater than 0");
        }
        if raw.extension_s == 0 {
            self.err("soft_close.extension_s", "must be greater than 0");
        }
        if raw.extensions_max.is_none() && raw.hard_close_after_s.is_none() {
            self.err(
                "soft_close",
                "every lot must provably end: set extensions_max, hard_close_after_s or both",
            );
        }
        if raw.extensions_max == Some(0) {
            self.err(
                "soft_close.extensions_max",
                "must be at least 1 (leave out [soft_close] for a fixed close)",
            );
        }
        if raw.rank_max == Some(0) {
            self.err("soft_close.rank_max", "must be at least 1");
        }
        if let Some(hard) = raw.hard_close_after_s
            && hard < raw.extension_s
        {
            self.err(
                "soft_close.hard_close_after_s",
                format!(
                    "{hard} s leaves no room for one extension of {} s",
                    raw.extension_s
                ),
            );
        }
        let from = self.choice(
            "soft_close.extend_from",
            &raw.extend_from,
            &[("bid", ExtendFrom::Bid), ("deadline", ExtendFrom::Deadline)],
        )?;
        Some(SoftClose {
            window_ms: i64::from(raw.window_s) * 1000,
            extension_ms: i64::from(raw.extension_s) * 1000,
            extend_from: from,
            rank_max: raw.rank_max,
            extensions_max: raw.extensions_max,
            hard_close_after_ms: raw.hard_close_after_s.map(|s| i64::from(s) * 1000),
        })
    }
}
