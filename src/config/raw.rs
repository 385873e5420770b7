//! The config file as written: serde structs that mirror the TOML one to one. Unknown fields are
//! rejected; money, percentages and quantities are strings (parsed exactly, never through floats).

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub auction: RawAuction,
    pub timing: RawTiming,
    pub bids: RawBids,
    pub soft_close: Option<RawSoftClose>,
    pub dutch: Option<RawDutch>,
    pub japanese: Option<RawJapanese>,
    pub rounds: Option<RawRounds>,
    pub turns: Option<RawTurns>,
    pub tender: Option<RawTender>,
    #[serde(default)]
    pub scoring: RawScoring,
    #[serde(default)]
    pub visibility: RawVisibility,
    #[serde(default)]
    pub log: RawLog,
    #[serde(default)]
    pub buyers: Vec<RawBuyer>,
    #[serde(default)]
    pub lots: Vec<RawLot>,
    #[serde(default)]
    pub auctioneers: Vec<RawParty>,
    #[serde(default)]
    pub observers: Vec<RawObserver>,
    #[serde(default)]
    pub suppliers: Vec<RawSupplier>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAuction {
    pub id: String,
    pub title: String,
    #[serde(default = "default_format")]
    pub format: String,
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    #[serde(default = "default_currency")]
    pub currency: String,
    pub invited_at: Option<String>,
    pub opens_at: String,
    #[serde(default)]
    pub four_eyes: bool,
}

fn default_format() -> String {
    "english".into()
}
fn default_time_zone() -> String {
    "Europe/Amsterdam".into()
}
fn default_currency() -> String {
    "EUR".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTiming {
    pub mode: String,
    pub closes_at: Option<String>,
    pub gap_s: Option<u32>,
    pub duration_s: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBids {
    pub decrement_amount: Option<String>,
    pub decrement_percent: Option<String>,
    #[serde(default = "default_decrement_from")]
    pub decrement_from: String,
    pub max_drop_percent: Option<String>,
    /// The bidder page asks for confirmation above this drop (not an auction rule).
    pub confirm_drop_percent: Option<String>,
    #[serde(default)]
    pub interval_min_s: u32,
    #[serde(default = "default_ties")]
    pub ties: String,
}

fn default_decrement_from() -> String {
    "own".into()
}
fn default_ties() -> String {
    "earlier_wins".into()
}

/// `[dutch]`: the rising price of `format = "dutch"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDutch {
    pub start_percent: String,
    pub step_amount: Option<String>,
    pub step_percent: Option<String>,
    pub interval_s: u32,
}

/// `[rounds]`: the rounds of `format = "sealed_rounds"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRounds {
    pub duration_s: u32,
    pub rounds_max: u32,
    #[serde(default = "default_stable_rounds")]
    pub stable_rounds: u32,
}

fn default_stable_rounds() -> u32 {
    2
}

/// `[tender]`: the qualification before the auction (`docs/tender.md`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTender {
    pub qualification_opens_at: String,
    pub questions_close_at: String,
    pub qualification_closes_at: String,
    pub award_by: Option<String>,
    #[serde(default = "default_practice_bots")]
    pub practice_bots: u32,
    #[serde(default)]
    pub quality_max: BTreeMap<String, String>,
    #[serde(default)]
    pub criteria: Vec<RawCriterion>,
}

fn default_practice_bots() -> u32 {
    3
}

/// `[[tender.criteria]]`: one qualification criterion.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCriterion {
    pub id: String,
    pub kind: String,
    pub text: String,
    pub evidence_required: Option<bool>,
    pub minimum: Option<String>,
    pub unit: Option<String>,
    pub weight: Option<String>,
    pub points_max: Option<u32>,
}

/// `[turns]`: the turn-based rounds of `format = "turns"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTurns {
    #[serde(default = "default_turn_rounds")]
    pub rounds: u32,
    pub turn_s: u32,
    #[serde(default)]
    pub pause_s: u32,
}

fn default_turn_rounds() -> u32 {
    3
}

/// `[japanese]`: the falling price of `format = "japanese"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawJapanese {
    pub interval_s: u32,
    #[serde(default)]
    pub stages: Vec<RawJapaneseStage>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawJapaneseStage {
    pub step_amount: Option<String>,
    pub step_percent: Option<String>,
    pub until_percent: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSoftClose {
    pub window_s: u32,
    pub extension_s: u32,
    #[serde(default = "default_extend_from")]
    pub extend_from: String,
    pub rank_max: Option<u32>,
    pub extensions_max: Option<u32>,
    pub hard_close_after_s: Option<u32>,
}

fn default_extend_from() -> String {
    "bid".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScoring {
    #[serde(default = "default_method")]
    pub method: String,
}

impl Default for RawScoring {
    fn default() -> Self {
        RawScoring {
            method: default_method(),
        }
    }
}

fn default_method() -> String {
    "price".into()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVisibility {
    #[serde(default)]
    pub best_score: bool,
    #[serde(default)]
    pub bidder_count: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBuyer {
    pub id: String,
    pub name: String,
    pub share_percent: Option<String>,
    /// Per lot id: the buyer's share of that lot's volume, in percent.
    #[serde(default)]
    pub shares: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLot {
    pub id: String,
    pub name: String,
    #[serde(default = "default_price_decimals")]
    pub price_decimals: u32,
    pub ceiling: String,
    pub floor: Option<String>,
    pub reserve: Option<String>,
    #[serde(default = "default_winners")]
    pub winners: u32,
    #[serde(default)]
    pub lines: Vec<RawLine>,
}

fn default_price_decimals() -> u32 {
    2
}
fn default_winners() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLine {
    pub id: String,
    pub description: String,
    pub unit: String,
    pub quantity: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawParty {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawObserver {
    pub id: String,
    pub name: String,
    pub buyer: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSupplier {
    pub id: String,
    pub name: String,
    pub lots: Vec<String>,
    #[serde(default)]
    pub quality: BTreeMap<String, String>,
    /// Turn-based rounds: per lot id, the price of the qualification submission: a string
    /// (a total), or an array of strings (unit prices, for a lot with line items).
    #[serde(default)]
    pub initial_prices: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLog {
    #[serde(default = "default_checkpoint_every")]
    pub checkpoint_every: u32,
}

impl Default for RawLog {
    fn default() -> Self {
        RawLog {
            checkpoint_every: default_checkpoint_every(),
        }
    }
}

fn default_checkpoint_every() -> u32 {
    1000
}
