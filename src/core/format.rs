//! The format extension point. Every format implements [`FormatRules`]; the core calls these hooks
//! and never matches on the format anywhere else.

use super::rules::{
    BidRules, DecrementFrom, DutchRules, EnglishRules, Format, JapaneseRules, LotRules, RoundRules,
    SoftClose, Ties, TurnRules,
};
use super::score::floor_to;
use super::score::percent_of;
use super::types::{Event, ExtensionCause, LotIx, Rejection, Seq, SupplierIx, TimeMs};
use rust_decimal::Decimal;

/// What a format needs to know about a bid that passed the common checks (who, when, shape,
/// ceiling, floor, interval).
pub struct BidContext<'a> {
    pub seq: Seq,
    pub at: TimeMs,
    pub lot: LotIx,
    pub supplier: SupplierIx,
    pub total: Decimal,
    pub score: Decimal,
    /// The bidder's own standing bid on the lot: (total, score), and its number.
    pub own: Option<(Decimal, Decimal)>,
    /// Sealed rounds: the bidder's standing bid when the current round opened (a bid must
    /// improve on it; a later bid in the round replaces the earlier one).
    pub own_at_round_start: Option<(Decimal, Decimal)>,
    pub own_bid: Option<Seq>,
    /// The price the lot offers now (Dutch and Japanese auctions).
    pub offered_price: Option<Decimal>,
    /// Japanese auction: the bidder dropped out of this lot.
    pub dropped: bool,
    /// Turn-based rounds: whose turn it is on the lot now (`None`: nobody's).
    pub turn: Option<SupplierIx>,
    /// The best standing score on the lot (any supplier, the bidder included).
    pub best_score: Option<Decimal>,
    /// The bidder's rank if this bid is accepted.
    pub rank_after: u32,
    pub bids: &'a BidRules,
    /// The lot's current deadline, hard close and soft-close extensions used.
    pub deadline: TimeMs,
    pub hard_close: Option<TimeMs>,
    pub extensions_used: u32,
}

pub trait FormatRules {
    /// Format-specific admission of a bid. Must be pure and must not depend on anything outside
    /// `ctx`.
    fn check_bid(&self, ctx: &BidContext<'_>) -> Result<(), Rejection>;
    /// Events that follow an accepted bid (for the English format: a soft-close extension).
    fn after_accept(&self, _ctx: &BidContext<'_>) -> Option<Event> {
        None
    }
    /// The hard close of a lot whose first deadline is `first_deadline`, if the format caps it.
    fn hard_close(&self, _first_deadline: TimeMs) -> Option<TimeMs> {
        None
    }
    /// Bids are sealed while the lot is open: no live view shows another bid, a rank, the best
    /// score or the number of bidders, and no notice announces a bid; all open at the close.
    fn sealed(&self) -> bool {
        false
    }
    /// May the supplier bid again on the lot, given its standing bid?
    fn may_bid_again(&self) -> bool {
        true
    }
    /// The soft-close rules, if the format extends lots.
    fn soft_close(&self) -> Option<&SoftClose> {
        None
    }
    /// One line for people (reports): how the format runs.
    fn describe(&self) -> &'static str;
    /// An accepted bid closes its lot at once (the Dutch auction's first taker).
    fn closes_on_accept(&self) -> bool {
        false
    }
    /// A price the lot offers and changes by steps (Dutch: rising; Japanese: falling).
    fn price_steps(&self) -> Option<&dyn PriceSteps> {
        None
    }
    /// For people (reports): how the format's price or rounds run, if it has any.
    fn price_rule(&self) -> Option<String> {
        None
    }
    /// Sealed rounds: the length and the end of the rounds.
    fn rounds(&self) -> Option<&RoundRules> {
        None
    }
    /// Turn-based rounds: the rounds and the length of a turn. An accepted bid ends the
    /// bidder's turn.
    fn turns(&self) -> Option<&TurnRules> {
        None
    }
}

/// The decrement and the typing-error guard, measured from the bidder's own bid `own` (or
/// for `DecrementFrom::Best` from the best score).
fn check_improvement(
    bids: &BidRules,
    own: Option<(Decimal, Decimal)>,
    best_score: Option<Decimal>,
    total: Decimal,
    score: Decimal,
) -> Result<(), Rejection> {
    if let Some((bound, reference)) = decrement_bound(bids, own, best_score) {
        match bids.decrement_from {
            DecrementFrom::Own if total > bound => {
                return Err(Rejection::DecrementTooSmall {
                    offered: total,
                    required_max: bound,
                    reference,
                });
            }
            DecrementFrom::Best if score > bound => {
                return Err(Rejection::ScoreDecrementTooSmall {
                    score,
                    required_max: bound,
                    best: reference,
                });
            }
            _ => {}
        }
    }
    if let Some((own_total, _)) = own
        && let Some(minimum) = drop_minimum(bids, own_total)
        && total < minimum
    {
        return Err(Rejection::DropTooLarge {
            offered: total,
            minimum,
            previous: own_total,
        });
    }
    Ok(())
}

/// The English rules of a better bid: the decrement, the typing-error guard and the ties.
fn check_english(ctx: &BidContext<'_>) -> Result<(), Rejection> {
    let bids = ctx.bids;
    check_improvement(bids, ctx.own, ctx.best_score, ctx.total, ctx.score)?;
    if bids.ties == Ties::RejectAtBest && ctx.best_score == Some(ctx.score) {
        return Err(Rejection::TieAtBest { score: ctx.score });
    }
    Ok(())
}

impl FormatRules for TurnRules {
    fn check_bid(&self, ctx: &BidContext<'_>) -> Result<(), Rejection> {
        if ctx.turn != Some(ctx.supplier) {
            return Err(Rejection::NotYourTurn { lot: ctx.lot });
        }
        check_english(ctx)
    }

    fn describe(&self) -> &'static str {
        "turn-based rounds: every bidder starts from its initial price; in each round every \
         bidder has one private turn, from the worst score to the best, to lower its own price \
         by at least the decrement or keep it; lower scores rank higher"
    }

    fn turns(&self) -> Option<&TurnRules> {
        Some(self)
    }

    fn price_rule(&self) -> Option<String> {
        let pause = if self.pause_ms > 0 {
            format!(
                ", with a pause of {} between rounds",
                seconds(self.pause_ms)
            )
        } else {
            String::new()
        };
        Some(format!(
            "{} round(s); in each, every bidder with a price has one turn of at most {}, in \
             order from the worst score to the best (fixed when the round starts){pause}; a bid \
             or a keep ends the turn, and the lot closes after the last turn of the last round",
            self.rounds,
            seconds(self.turn_ms)
        ))
    }
}

impl FormatRules for RoundRules {
    fn check_bid(&self, ctx: &BidContext<'_>) -> Result<(), Rejection> {
        // Against the bidder's bid of the round before: a replacement in the same round is
        // held to the same bound as the bid it replaces.
        check_improvement(ctx.bids, ctx.own_at_round_start, None, ctx.total, ctx.score)
    }

    fn sealed(&self) -> bool {
        true
    }

    fn describe(&self) -> &'static str {
        "sealed rounds: one bid per supplier per round (a later one replaces it), sealed until \
         the round closes, when everyone learns its rank; each bid improves on one's own bid of \
         the round before; lower scores rank higher"
    }

    fn rounds(&self) -> Option<&RoundRules> {
        Some(self)
    }

    fn price_rule(&self) -> Option<String> {
        Some(format!(
            "rounds of {} one after the other, at most {}; the lot closes after {} round(s) in \
             a row without a better best score",
            seconds(self.duration_ms),
            self.rounds_max,
            self.stable_rounds
        ))
    }
}

/// A step as the config states it: the larger of an amount and a percentage of the ceiling.
fn step_text(amount: Option<Decimal>, percent: Option<Decimal>) -> String {
    match (amount, percent) {
        (Some(a), Some(p)) => format!("the larger of {a} and {p}% of the lot's ceiling"),
        (Some(a), None) => a.to_string(),
        (None, Some(p)) => format!("{p}% of the lot's ceiling"),
        (None, None) => "none".into(),
    }
}

fn seconds(ms: i64) -> String {
    format!("{} s", ms / 1000)
}

/// A lot's price offered in steps, one every interval (the Dutch and the Japanese auction).
pub trait PriceSteps {
    fn interval_ms(&self) -> i64;
    /// The price of step `k` (0: at the opening).
    fn price(&self, lot: &LotRules, k: u32) -> Option<Decimal>;
    /// The last step (the ceiling, or the floor).
    fn last_step(&self, lot: &LotRules) -> Option<u32>;
    /// Every active bidder must confirm each price or drop out (Japanese).
    fn must_confirm(&self) -> bool;
}

impl DutchRules {
    /// The lot's first offered price: `start_percent` of its ceiling, rounded down to the lot's
    /// price decimals, and at least its floor.
    pub fn start(&self, lot: &LotRules) -> Option<Decimal> {
        let start = floor_to(
            percent_of(lot.ceiling, self.start_percent)?,
            lot.price_decimals,
        );
        Some(lot.floor.map_or(start, |f| start.max(f)).min(lot.ceiling))
    }

    /// The rise per step: the larger of the amount and the percentage of the ceiling (rounded
    /// down to the price decimals).
    pub fn step(&self, lot: &LotRules) -> Option<Decimal> {
        let amount = self.step_amount.unwrap_or(Decimal::ZERO);
        let percent = match self.step_percent {
            Some(p) => floor_to(percent_of(lot.ceiling, p)?, lot.price_decimals),
            None => Decimal::ZERO,
        };
        Some(amount.max(percent))
    }

    /// The price of step `k`: the start plus `k` steps, at most the ceiling.
    pub fn price(&self, lot: &LotRules, k: u32) -> Option<Decimal> {
        let rise = self.step(lot)?.checked_mul(Decimal::from(k))?;
        Some(self.start(lot)?.checked_add(rise)?.min(lot.ceiling))
    }

    /// The first step whose price is the ceiling.
    pub fn steps_to_ceiling(&self, lot: &LotRules) -> Option<u32> {
        let step = self.step(lot)?;
        if step <= Decimal::ZERO {
            return None;
        }
        let gap = lot.ceiling.checked_sub(self.start(lot)?)?;
        let steps = (gap / step).ceil();
        u32::try_from(steps.mantissa() / 10i128.pow(steps.scale())).ok()
    }
}

impl FormatRules for DutchRules {
    fn check_bid(&self, ctx: &BidContext<'_>) -> Result<(), Rejection> {
        match ctx.offered_price {
            Some(price) if price == ctx.total => Ok(()),
            price => Err(Rejection::NotOfferedPrice {
                offered: ctx.total,
                price: price.unwrap_or(Decimal::ZERO),
            }),
        }
    }

    fn describe(&self) -> &'static str {
        "Dutch reverse auction: the offered price rises by a step every interval; the first \
         supplier to accept it wins the lot at that price"
    }

    fn closes_on_accept(&self) -> bool {
        true
    }

    fn price_steps(&self) -> Option<&dyn PriceSteps> {
        Some(self)
    }

    fn price_rule(&self) -> Option<String> {
        Some(format!(
            "Dutch: starts at {}% of each lot's ceiling (at least its floor) and rises by {} every \
             {}, up to the ceiling; a bid must equal the price offered at that moment, and the \
             first such bid wins the lot and closes it",
            self.start_percent,
            step_text(self.step_amount, self.step_percent),
            seconds(self.interval_ms)
        ))
    }
}

impl PriceSteps for DutchRules {
    fn interval_ms(&self) -> i64 {
        self.interval_ms
    }

    fn price(&self, lot: &LotRules, k: u32) -> Option<Decimal> {
        DutchRules::price(self, lot, k)
    }

    fn last_step(&self, lot: &LotRules) -> Option<u32> {
        self.steps_to_ceiling(lot)
    }

    fn must_confirm(&self) -> bool {
        false
    }
}

impl JapaneseRules {
    /// The step down from `price`: the stage whose `until_percent` of the ceiling is still
    /// below the price (the last stage otherwise); the larger of its amount and its percentage
    /// of the ceiling, rounded down to the price decimals.
    fn step_from(&self, lot: &LotRules, price: Decimal) -> Option<Decimal> {
        let stage = self
            .stages
            .iter()
            .find(|s| match s.until_percent {
                Some(u) => percent_of(lot.ceiling, u).is_some_and(|until| price > until),
                None => true,
            })
            .or(self.stages.last())?;
        let amount = stage.step_amount.unwrap_or(Decimal::ZERO);
        let percent = match stage.step_percent {
            Some(p) => floor_to(percent_of(lot.ceiling, p)?, lot.price_decimals),
            None => Decimal::ZERO,
        };
        Some(amount.max(percent))
    }

    /// The prices from the ceiling down to the floor (at most `limit + 1` of them).
    fn walk(&self, lot: &LotRules, limit: u32) -> Option<Vec<Decimal>> {
        let floor = lot.floor?;
        let mut prices = vec![lot.ceiling];
        let mut price = lot.ceiling;
        while price > floor && prices.len() <= limit as usize {
            let step = self.step_from(lot, price)?;
            if step <= Decimal::ZERO {
                return None;
            }
            price = price.checked_sub(step)?.max(floor);
            prices.push(price);
        }
        Some(prices)
    }
}

impl PriceSteps for JapaneseRules {
    fn interval_ms(&self) -> i64 {
        self.interval_ms
    }

    fn price(&self, lot: &LotRules, k: u32) -> Option<Decimal> {
        self.walk(lot, k)?.get(k as usize).copied()
    }

    fn last_step(&self, lot: &LotRules) -> Option<u32> {
        let prices = self.walk(lot, super::rules::limits::PRICE_STEPS_MAX + 1)?;
        u32::try_from(prices.len() - 1).ok()
    }

    fn must_confirm(&self) -> bool {
        true
    }
}

impl FormatRules for JapaneseRules {
    fn check_bid(&self, ctx: &BidContext<'_>) -> Result<(), Rejection> {
        if ctx.dropped {
            return Err(Rejection::DroppedOut { lot: ctx.lot });
        }
        let price = ctx.offered_price.unwrap_or(Decimal::ZERO);
        if ctx.total != price {
            return Err(Rejection::NotOfferedPrice {
                offered: ctx.total,
                price,
            });
        }
        if ctx.own.is_some_and(|(total, _)| total == price) {
            return Err(Rejection::AlreadyConfirmed { price });
        }
        Ok(())
    }

    fn describe(&self) -> &'static str {
        "Japanese reverse auction: the offered price falls by a step every interval; every \
         active bidder confirms each price or drops out for good; the last to stay win"
    }

    fn price_steps(&self) -> Option<&dyn PriceSteps> {
        Some(self)
    }

    fn price_rule(&self) -> Option<String> {
        let stages: Vec<String> = self
            .stages
            .iter()
            .map(|s| match s.until_percent {
                Some(u) => format!(
                    "by {} while above {u}% of the ceiling",
                    step_text(s.step_amount, s.step_percent)
                ),
                None => format!(
                    "by {} down to the floor",
                    step_text(s.step_amount, s.step_percent)
                ),
            })
            .collect();
        Some(format!(
            "Japanese: starts at each lot's ceiling and falls every {}: {}; every bidder still in \
             must confirm each price (bid exactly it) before the next, or drops out for good; the \
             lot closes when at most its number of winners remain (they win, ranked by when \
             they confirmed), at the floor, or when no one confirms a price (then those who \
             confirmed the one before rank by when they did)",
            seconds(self.interval_ms),
            stages.join(", then ")
        ))
    }
}

/// The single sealed bid: one bid, no decrement, no extension; sealed until the close.
pub struct SealedBidRules;

impl FormatRules for SealedBidRules {
    fn check_bid(&self, ctx: &BidContext<'_>) -> Result<(), Rejection> {
        match ctx.own_bid {
            Some(bid) => Err(Rejection::AlreadyBid { bid }),
            None => Ok(()),
        }
    }

    fn sealed(&self) -> bool {
        true
    }

    fn describe(&self) -> &'static str {
        "single sealed bid: one bid per supplier and lot, sealed until the lot closes, then all \
         opened together; lower scores rank higher"
    }

    fn may_bid_again(&self) -> bool {
        false
    }
}

impl Format {
    pub fn rules(&self) -> &dyn FormatRules {
        match self {
            Format::English(english) => english,
            Format::SealedBid => &SealedBidRules,
            Format::Dutch(dutch) => dutch,
            Format::Japanese(japanese) => japanese,
            Format::SealedRounds(rounds) => rounds,
            Format::Turns(turns) => turns,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Format::English(_) => "english",
            Format::SealedBid => "sealed_bid",
            Format::Dutch(_) => "dutch",
            Format::Japanese(_) => "japanese",
            Format::SealedRounds(_) => "sealed_rounds",
            Format::Turns(_) => "turns",
        }
    }
}

/// The minimum improvement measured from `reference`: the larger of the amount and the percentage.
pub fn decrement_step(bids: &BidRules, reference: Decimal) -> Option<Decimal> {
    let amount = bids.decrement_amount.unwrap_or(Decimal::ZERO);
    let percent = match bids.decrement_percent {
        Some(p) => percent_of(reference.abs(), p)?,
        None => Decimal::ZERO,
    };
    Some(amount.max(percent))
}

/// The highest total (for `Own`) or score (for `Best`) the bidder may offer now, by the decrement
/// rule alone; `None` when there is no reference yet. The second value is the reference.
pub fn decrement_bound(
    bids: &BidRules,
    own: Option<(Decimal, Decimal)>,
    best_score: Option<Decimal>,
) -> Option<(Decimal, Decimal)> {
    let reference = match bids.decrement_from {
        DecrementFrom::Own => own.map(|(total, _)| total)?,
        DecrementFrom::Best => best_score?,
    };
    let step = decrement_step(bids, reference)?;
    Some((reference.checked_sub(step)?, reference))
}

/// The lowest total the typing-error guard admits, given the bidder's own standing total.
pub fn drop_minimum(bids: &BidRules, own_total: Decimal) -> Option<Decimal> {
    let percent = bids.max_drop_percent?;
    own_total.checked_sub(percent_of(own_total, percent)?)
}

impl FormatRules for EnglishRules {
    fn check_bid(&self, ctx: &BidContext<'_>) -> Result<(), Rejection> {
        check_english(ctx)
    }

    fn after_accept(&self, ctx: &BidContext<'_>) -> Option<Event> {
        let sc = self.soft_close.as_ref()?;
        if ctx.at < ctx.deadline.saturating_sub(sc.window_ms) {
            return None;
        }
        if sc.rank_max.is_some_and(|k| ctx.rank_after > k) {
            return None;
        }
        if sc
            .extensions_max
            .is_some_and(|max| ctx.extensions_used >= max)
        {
            return None;
        }
        let base = match sc.extend_from {
            super::rules::ExtendFrom::Bid => ctx.at,
            super::rules::ExtendFrom::Deadline => ctx.deadline,
        };
        let mut to = base.saturating_add(sc.extension_ms);
        if let Some(hard) = ctx.hard_close {
            to = to.min(hard);
        }
        if to <= ctx.deadline {
            return None;
        }
        Some(Event::LotExtended {
            lot: ctx.lot,
            at: ctx.at,
            from: ctx.deadline,
            to,
            cause: ExtensionCause::Bid { bid: ctx.seq },
            extensions_used: ctx.extensions_used + 1,
        })
    }

    fn hard_close(&self, first_deadline: TimeMs) -> Option<TimeMs> {
        let after = self.soft_close.as_ref()?.hard_close_after_ms?;
        Some(first_deadline.saturating_add(after))
    }

    fn soft_close(&self) -> Option<&SoftClose> {
        self.soft_close.as_ref()
    }

    fn describe(&self) -> &'static str {
        "continuous English reverse auction; bids go down, lower scores rank higher"
    }
}
