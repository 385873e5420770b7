//! The validated rules of one auction: what the config module produces and the core runs on.
//! Pure data: money is `Decimal`, durations are milliseconds, times are [`TimeMs`].

use super::types::{LotIx, Offer, TimeMs};
use rust_decimal::Decimal;

/// Hard limits on what the core keeps, so nothing a client drives grows without bound.
pub mod limits {
    /// Longest accepted client bid id, in bytes.
    pub const CLIENT_BID_ID_MAX_BYTES: usize = 64;
    /// Longest reason an auctioneer can give, in characters.
    pub const REASON_MAX_CHARS: usize = 500;
    /// Longest broadcast message, in characters.
    pub const MESSAGE_MAX_CHARS: usize = 2000;
    /// Accepted bids one supplier can place on one lot.
    pub const BIDS_PER_SUPPLIER_LOT_MAX: usize = 10_000;
    /// Actions waiting for a second auctioneer's approval.
    pub const PENDING_ACTIONS_MAX: usize = 16;
    /// Longest manual extension in one action: 24 hours.
    pub const MANUAL_EXTENSION_MAX_MS: i64 = 24 * 3_600_000;
    /// Decimal places of a coefficient score (`total / (1 + quality)`), rounded half to even.
    pub const COEFFICIENT_SCORE_DECIMALS: u32 = 6;
    /// Lots, line items per lot, suppliers, auctioneers, observers in one auction.
    pub const LOTS_MAX: usize = 100;
    pub const LINES_PER_LOT_MAX: usize = 500;
    pub const SUPPLIERS_MAX: usize = 1000;
    pub const AUCTIONEERS_MAX: usize = 50;
    pub const OBSERVERS_MAX: usize = 200;
    /// Most price steps of a Dutch lot from its start to its ceiling.
    pub const PRICE_STEPS_MAX: u32 = 1000;
    /// Largest ceiling price and largest line quantity a config may state.
    pub const CEILING_MAX: &str = "1000000000000";
    pub const QUANTITY_MAX: &str = "1000000000";
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rules {
    pub auction_id: String,
    pub title: String,
    pub format: Format,
    /// When the auction (and, unless serial, every lot) opens.
    pub opens_at: TimeMs,
    pub timing: LotTiming,
    pub lots: Vec<LotRules>,
    pub suppliers: Vec<SupplierRules>,
    pub auctioneers: Vec<Party>,
    pub observers: Vec<Party>,
    pub bids: BidRules,
    pub scoring: Scoring,
    pub visibility: Visibility,
    /// `VoidBid`, `Disqualify` and `Terminate` wait for a second, different auctioneer.
    pub four_eyes: bool,
}

/// The auction format. A new format is a new variant with its own rules type and its own
/// implementation of [`crate::core::format::FormatRules`]; nothing else in the core matches on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Format {
    /// Continuous English reverse auction with optional soft close.
    English(EnglishRules),
    /// Single sealed bid: one bid per supplier per lot before the lot's deadline; nobody sees
    /// a price, a rank or who bid until the lot closes, when all are opened together.
    SealedBid,
    /// Dutch reverse auction: each lot offers a price that rises from a low start by a step
    /// every interval; the first supplier to accept (bid exactly the offered price) wins the lot
    /// at that price, which closes it; no taker by the deadline, no winner.
    Dutch(DutchRules),
    /// Japanese reverse auction: each lot offers a price that falls from its ceiling by a step
    /// (in stages) every interval; every active bidder must confirm each price (bid exactly it)
    /// or drop out for good; the lot ends when at most `winners` bidders remain, or at the floor.
    Japanese(JapaneseRules),
    /// Sealed rounds ("veilen in rondes"): each lot runs in rounds of a fixed length; a
    /// supplier may bid once per round (a later bid in the round replaces its earlier one), and
    /// must improve its own bid of the round before by the decrement; bids stay sealed until
    /// the round closes, when everyone learns its rank at once. The lot closes when the best
    /// score has not improved for `stable_rounds` rounds, or after `rounds_max`.
    SealedRounds(RoundRules),
    /// Turn-based rounds (as Prozorro runs them): every bidder enters with its initial price
    /// (from the qualification submissions: `SupplierRules::initial`); then a fixed number of
    /// rounds in which every bidder has one private turn, in order from the worst current score
    /// to the best (the leader moves last); in its turn a bidder lowers its own price by at
    /// least the decrement, or keeps it. Each turn's result is published when it ends.
    Turns(TurnRules),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TurnRules {
    /// How many rounds every bidder has a turn in.
    pub rounds: u32,
    /// The longest a turn lasts: it ends earlier when the bidder bids or keeps its price.
    pub turn_ms: i64,
    /// The pause between two rounds.
    pub pause_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundRules {
    pub duration_ms: i64,
    pub rounds_max: u32,
    pub stable_rounds: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JapaneseRules {
    pub interval_ms: i64,
    /// In order: each stage's step applies while the price is above its `until_percent` of the
    /// ceiling; the last stage (without one) runs to the floor.
    pub stages: Vec<JapaneseStage>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JapaneseStage {
    pub step_amount: Option<Decimal>,
    pub step_percent: Option<Decimal>,
    pub until_percent: Option<Decimal>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DutchRules {
    /// The first offered price, in percent of each lot's ceiling (at least the lot's floor).
    pub start_percent: Decimal,
    /// The rise per step: the larger of the amount and the percentage of the lot's ceiling.
    pub step_amount: Option<Decimal>,
    pub step_percent: Option<Decimal>,
    pub interval_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnglishRules {
    pub soft_close: Option<SoftClose>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SoftClose {
    /// An accepted bid at or after `deadline - window_ms` (and before the deadline) extends the lot.
    pub window_ms: i64,
    pub extension_ms: i64,
    pub extend_from: ExtendFrom,
    /// Only a bid that reaches this rank or better extends (`None`: any accepted bid).
    pub rank_max: Option<u32>,
    /// At most this many soft-close extensions per lot.
    pub extensions_max: Option<u32>,
    /// No soft-close extension beyond the lot's first deadline plus this.
    pub hard_close_after_ms: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtendFrom {
    /// New deadline = bid time + extension.
    Bid,
    /// New deadline = old deadline + extension.
    Deadline,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LotTiming {
    /// Every lot opens at `opens_at` and closes at `closes_at`.
    Parallel { closes_at: TimeMs },
    /// Every lot opens at `opens_at`; lot i closes at `first_closes_at + i * gap_ms`.
    Staggered {
        first_closes_at: TimeMs,
        gap_ms: i64,
    },
    /// Lot 0 opens at `opens_at`; lot i+1 opens `gap_ms` after lot i has closed; each lot runs
    /// `duration_ms` before its first deadline.
    Serial { duration_ms: i64, gap_ms: i64 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LotRules {
    pub id: String,
    pub name: String,
    /// Decimal places allowed in a price (per unit price when there are line items).
    pub price_decimals: u32,
    /// The maximum admissible total price.
    pub ceiling: Decimal,
    /// The minimum admissible total price.
    pub floor: Option<Decimal>,
    /// Hidden: never shown to suppliers; the result says whether rank 1 is at or below it.
    pub reserve: Option<Decimal>,
    pub lines: Vec<LineItem>,
    /// How many suppliers win the lot (the best `winners` ranks).
    pub winners: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineItem {
    pub id: String,
    pub description: String,
    pub unit: String,
    pub quantity: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Party {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupplierRules {
    pub id: String,
    pub name: String,
    /// `admitted[lot]`: may this supplier bid on that lot.
    pub admitted: Vec<bool>,
    /// `quality[lot]`: the frozen quality value for that lot (euro bonus or coefficient), zero
    /// when the scoring is plain price.
    pub quality: Vec<Decimal>,
    /// `initial[lot]`: turn-based rounds: the price the supplier enters the lot with, from its
    /// qualification submission (`None` for the other formats).
    pub initial: Vec<Option<Offer>>,
}

impl SupplierRules {
    pub fn admitted_to(&self, lot: LotIx) -> bool {
        self.admitted.get(lot.ix()).copied().unwrap_or(false)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BidRules {
    /// Minimum improvement as an amount (in euro, or score units when measured from the best).
    pub decrement_amount: Option<Decimal>,
    /// Minimum improvement as a percentage of the reference. With both, the larger step applies.
    pub decrement_percent: Option<Decimal>,
    pub decrement_from: DecrementFrom,
    /// Typing-error guard: a bid may not fall more than this percentage below the bidder's own
    /// standing bid on the lot.
    pub max_drop_percent: Option<Decimal>,
    /// Minimum time between two accepted bids of one supplier on one lot.
    pub bid_interval_min_ms: i64,
    pub ties: Ties,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecrementFrom {
    /// The new total must be below the bidder's own standing total by the step.
    Own,
    /// The new score must be below the best standing score on the lot by the step.
    Best,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ties {
    /// Equal scores rank by acceptance order: the earlier bid ranks higher.
    EarlierWins,
    /// A bid whose score equals the current best score is rejected.
    RejectAtBest,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scoring {
    /// score = total
    Price,
    /// *Fictieve korting*: score = total - quality bonus (euro).
    FictieveKorting,
    /// score = total / (1 + quality), rounded half to even to
    /// [`limits::COEFFICIENT_SCORE_DECIMALS`] places.
    Coefficient,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Visibility {
    /// Suppliers see the best standing score (and, with plain price scoring, that is the price).
    pub best_score: bool,
    /// Suppliers see how many suppliers have a standing bid on the lot.
    pub bidder_count: bool,
}
