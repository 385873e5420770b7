//! Views: exactly what a role may see. The server sends these; nothing else decides visibility.
//!
//! - A supplier sees its own bids, its own rank per lot, the deadlines, and, only when the rules
//!   say so, the best score and the number of bidders. Never another supplier's identity.
//! - A buyers' observer sees the anonymised ladder with stable aliases.
//! - An auctioneer sees everything.

use rust_decimal::Decimal;

use super::format::{decrement_bound, drop_minimum};
use super::score::{floor_to, total_for_score};
use super::{
    Auction, AuctionPhase, AuctioneerIx, LotIx, LotPhase, Seq, SupplierIx, TimeMs, Winner,
};

/// Phase and timing of a lot, as everyone may see them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LotStatus {
    pub lot: LotIx,
    pub phase: LotPhase,
    /// True while the whole auction is paused and this lot is open.
    pub paused: bool,
    pub opens_at: Option<TimeMs>,
    pub deadline: Option<TimeMs>,
    pub extensions_used: u32,
    /// Dutch auction: the price the open lot offers now, and when the next (higher) one comes
    /// (none once it offers its ceiling).
    pub offered_price: Option<Decimal>,
    pub next_price_at: Option<TimeMs>,
    /// Sealed rounds: the round running and when it closes (while the lot is open).
    pub round: Option<(u32, TimeMs)>,
    /// Turn-based rounds: where the turns stand (while the lot is open).
    pub turn: Option<TurnStatus>,
    /// Turn-based rounds: every standing price, best first, (total, score), without who: the
    /// amounts are published after each turn.
    pub published: Vec<(Decimal, Decimal)>,
}

/// Turn-based rounds: the round, the turn running now, and when it ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TurnStatus {
    pub round: u32,
    pub rounds: u32,
    /// The running turn's number in the round (1-based); `None` in the pause before the round.
    pub turn: Option<u32>,
    /// How many turns the round has.
    pub turns: u32,
    /// When the running turn ends at the latest, or in a pause when the round's first turn
    /// starts.
    pub until: TimeMs,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnBid {
    pub seq: Seq,
    pub at: TimeMs,
    pub lines: Vec<Decimal>,
    pub total: Decimal,
    pub score: Decimal,
    pub voided: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupplierLotView {
    pub status: LotStatus,
    pub admitted: bool,
    pub own_bids: Vec<OwnBid>,
    /// The supplier's standing bid: raw total and score side by side.
    pub standing: Option<(Decimal, Decimal)>,
    pub rank: Option<u32>,
    /// Only when `visibility.best_score`.
    pub best_score: Option<Decimal>,
    /// Only when `visibility.bidder_count`.
    pub bidder_count: Option<u32>,
    /// The highest total this supplier may bid now by the ceiling and the decrement rule, at
    /// the lot's price scale ("you can bid at most ..."); `None` when the lot is not open.
    pub max_admissible: Option<Decimal>,
    /// The lowest total the typing-error guard admits now, if any.
    pub min_admissible: Option<Decimal>,
    /// Japanese auction: the supplier dropped out of the lot.
    pub dropped: bool,
    /// Turn-based rounds: the supplier's turn in the round (1-based; `None`: it has none), and
    /// whether that turn is running now.
    pub my_turn: Option<(u32, bool)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupplierView {
    pub supplier: SupplierIx,
    pub phase: AuctionPhase,
    pub disqualified: bool,
    pub lots: Vec<SupplierLotView>,
}

/// One row of a ladder. `alias` is the anonymous, stable alias number (0 = "A").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LadderRow {
    pub rank: u32,
    pub alias: u32,
    pub at: TimeMs,
    pub total: Decimal,
    pub score: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObserverLotView {
    pub status: LotStatus,
    pub ladder: Vec<LadderRow>,
    pub reserve_met: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObserverView {
    pub phase: AuctionPhase,
    pub lots: Vec<ObserverLotView>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuctioneerRow {
    pub rank: u32,
    pub supplier: SupplierIx,
    pub bid: Seq,
    pub at: TimeMs,
    pub lines: Vec<Decimal>,
    pub total: Decimal,
    pub score: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuctioneerLotView {
    pub status: LotStatus,
    pub hard_close: Option<TimeMs>,
    pub ladder: Vec<AuctioneerRow>,
    pub bids_accepted: usize,
    pub bids_voided: usize,
    pub award: Option<(Vec<Winner>, Option<bool>)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingView {
    pub request: Seq,
    pub at: TimeMs,
    pub by: AuctioneerIx,
    pub action: super::Action,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuctioneerView {
    pub phase: AuctionPhase,
    pub lots: Vec<AuctioneerLotView>,
    pub disqualified: Vec<SupplierIx>,
    pub pending: Vec<PendingView>,
}

/// The decimals a lot's total can have: the price decimals, plus the most decimals of any line
/// quantity when the lot has line items (unit price x quantity).
pub fn total_decimals(lot: &super::LotRules) -> u32 {
    let quantity = lot
        .lines
        .iter()
        .map(|l| super::score::decimals_of(l.quantity))
        .max()
        .unwrap_or(0);
    lot.price_decimals + quantity
}

/// `value` rounded up to `decimals` places.
fn ceil_to(value: Decimal, decimals: u32) -> Decimal {
    value.round_dp_with_strategy(decimals, rust_decimal::RoundingStrategy::ToPositiveInfinity)
}

/// The largest total at `decimals` places whose score (as [`super::score::score`] computes it,
/// rounding included) is at or below `score_max`. Checked with the real score function, so the
/// bound shown to a bidder and the bound enforced never disagree.
pub fn max_total_for_score(
    scoring: super::Scoring,
    score_max: Decimal,
    quality: Decimal,
    decimals: u32,
) -> Option<Decimal> {
    use super::score::score;
    let unit = Decimal::new(1, decimals);
    let mut total = floor_to(total_for_score(scoring, score_max, quality)?, decimals);
    // The score's rounding leaves at most a few units of slack either way; 32 steps is ample.
    for _ in 0..32 {
        let next = total.checked_add(unit)?;
        if score(scoring, next, quality)? > score_max {
            break;
        }
        total = next;
    }
    for _ in 0..32 {
        if score(scoring, total, quality)? <= score_max {
            return Some(total);
        }
        total = total.checked_sub(unit)?;
    }
    None
}

/// "A", "B", ..., "Z", "AA", "AB", ...: the display form of an alias number.
pub fn alias_label(alias: u32) -> String {
    let mut n = alias as u64 + 1;
    let mut out = Vec::new();
    while n > 0 {
        n -= 1;
        out.push(b'A' + (n % 26) as u8);
        n /= 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

impl Auction {
    fn lot_status(&self, lot: LotIx) -> Option<LotStatus> {
        let state = self.lot(lot)?;
        Some(LotStatus {
            lot,
            phase: state.phase,
            paused: matches!(self.phase(), AuctionPhase::Paused { .. })
                && state.phase == LotPhase::Open,
            opens_at: state.opens_at.or_else(|| self.first_opening(lot)),
            deadline: state.shown_deadline(),
            extensions_used: state.extensions_used,
            offered_price: state.offered.map(|o| o.price),
            next_price_at: self.next_price_at(lot),
            round: state
                .round
                .filter(|_| state.phase == LotPhase::Open)
                .map(|r| (r.number, r.ends_at)),
            turn: self.rules().format.rules().turns().and_then(|tr| {
                let t = state
                    .turns
                    .as_ref()
                    .filter(|_| state.phase == LotPhase::Open)?;
                Some(TurnStatus {
                    round: t.round,
                    rounds: tr.rounds,
                    turn: t.current.map(|(k, _)| k),
                    turns: t.order.len() as u32,
                    until: t.until,
                })
            }),
            published: if self.rules().format.rules().turns().is_some() {
                state
                    .ladder()
                    .filter_map(|(_, seq)| self.bid(*seq))
                    .map(|b| (b.record.total, b.record.score))
                    .collect()
            } else {
                Vec::new()
            },
        })
    }

    /// Dutch and Japanese auctions: when the lot's price steps next (the tick's own rule).
    pub fn next_price_at(&self, lot: LotIx) -> Option<TimeMs> {
        let state = self.lot(lot)?;
        let offered = state.offered?;
        super::next_step_at(
            self.rules(),
            lot.ix(),
            offered.step,
            offered.since,
            state.deadline?,
        )
    }

    /// Before the auction opens: when a lot that opens with it will open (every lot, except the
    /// later lots of a serial auction, whose opening depends on when the lot before closes).
    fn first_opening(&self, lot: LotIx) -> Option<TimeMs> {
        let opens_with_auction = match self.rules().timing {
            super::LotTiming::Serial { .. } => lot.ix() == 0,
            _ => true,
        };
        (self.phase() == AuctionPhase::Scheduled && opens_with_auction)
            .then_some(self.rules().opens_at)
    }

    /// Are the lot's bids sealed from every live view now? In a sealed format, until the lot
    /// has closed (a terminated lot's bids stay sealed: they were never opened). The log holds
    /// them all the same.
    pub fn is_sealed(&self, lot: LotIx) -> bool {
        self.rules().format.rules().sealed()
            && !matches!(
                self.lot(lot).map(|l| l.phase),
                Some(LotPhase::Closed | LotPhase::Awarded)
            )
    }

    /// What the live views may show of a lot's ladder while its bids are sealed: the ladder as
    /// it stood when the lot's last round closed (sealed rounds), or nothing (a single sealed
    /// bid). `None` while the lot is not sealed: the live ladder.
    fn revealed(&self, lot: LotIx) -> Option<&[(Decimal, Seq)]> {
        if !self.is_sealed(lot) {
            return None;
        }
        let state = self.lot(lot)?;
        Some(if self.rules().format.rules().rounds().is_some() {
            state.revealed.as_slice()
        } else {
            &[]
        })
    }

    /// The ladder the live views show, best first, with ranks: the live one, or what was
    /// revealed (see [`Auction::revealed`]).
    pub fn shown_ranked(&self, lot: LotIx) -> Vec<(u32, &super::Bid)> {
        match self.revealed(lot) {
            None => self.ranked(lot).collect(),
            Some(rows) => rows
                .iter()
                .filter_map(|(_, seq)| self.bid(*seq))
                .zip(1u32..)
                .map(|(bid, rank)| (rank, bid))
                .collect(),
        }
    }

    /// The standing bids of a lot, best first, with their ranks (1-based).
    pub fn ranked(&self, lot: LotIx) -> impl Iterator<Item = (u32, &super::Bid)> {
        self.lot(lot)
            .into_iter()
            .flat_map(|state| state.ladder())
            .filter_map(|(_, seq)| self.bid(*seq))
            .zip(1u32..)
            .map(|(bid, rank)| (rank, bid))
    }

    fn lot_ixs(&self) -> impl Iterator<Item = LotIx> {
        (0..self.lots().len() as u32).map(LotIx)
    }

    /// What `supplier` may see. `None` for an unknown supplier.
    pub fn supplier_view(&self, supplier: SupplierIx) -> Option<SupplierView> {
        self.supplier_view_with(supplier, true)
    }

    /// The supplier's view without the list of its own bids (`own_bids` left empty): what a
    /// frequent snapshot needs, at a cost that does not grow with the supplier's bids.
    pub fn supplier_view_lean(&self, supplier: SupplierIx) -> Option<SupplierView> {
        self.supplier_view_with(supplier, false)
    }

    fn supplier_view_with(&self, supplier: SupplierIx, own: bool) -> Option<SupplierView> {
        let rules = self.rules();
        let supplier_rules = rules.suppliers.get(supplier.ix())?;
        let lots = self
            .lot_ixs()
            .filter_map(|lot| {
                let status = self.lot_status(lot)?;
                let state = self.lot(lot)?;
                let lot_rules = rules.lots.get(lot.ix())?;
                let own_bids: Vec<OwnBid> = state
                    .bids_of(supplier)
                    .iter()
                    .take(if own { usize::MAX } else { 0 })
                    .filter_map(|seq| self.bid(*seq))
                    .map(|bid| OwnBid {
                        seq: bid.record.seq,
                        at: bid.record.at,
                        lines: bid.record.lines.clone(),
                        total: bid.record.total,
                        score: bid.record.score,
                        voided: bid.voided,
                    })
                    .collect();
                let standing = state
                    .standing_of(supplier)
                    .and_then(|seq| self.bid(seq))
                    .map(|bid| (bid.record.total, bid.record.score));
                // What the next bid must improve on: the standing bid, or in sealed rounds the
                // one the supplier had when the round opened.
                let reference = if rules.format.rules().rounds().is_some() {
                    state
                        .round_start
                        .get(supplier.ix())
                        .copied()
                        .flatten()
                        .and_then(|seq| self.bid(seq))
                        .map(|bid| (bid.record.total, bid.record.score))
                } else {
                    standing
                };
                let quality = supplier_rules
                    .quality
                    .get(lot.ix())
                    .copied()
                    .unwrap_or_default();
                let revealed = self.revealed(lot);
                let biddable = state.phase == LotPhase::Open
                    && self.phase() == AuctionPhase::Open
                    && supplier_rules.admitted_to(lot)
                    && !self.is_disqualified(supplier)
                    && !self.is_dropped(lot, supplier)
                    && (standing.is_none() || rules.format.rules().may_bid_again())
                    && (rules.format.rules().turns().is_none()
                        || state.turns.as_ref().and_then(|t| t.current).map(|c| c.1)
                            == Some(supplier));
                let decimals = total_decimals(lot_rules);
                let max_admissible = biddable.then(|| {
                    let mut max = floor_to(lot_rules.ceiling, decimals);
                    if let Some((bound, _)) =
                        decrement_bound(&rules.bids, reference, state.best_score())
                    {
                        let as_total = match rules.bids.decrement_from {
                            super::DecrementFrom::Own => Some(floor_to(bound, decimals)),
                            super::DecrementFrom::Best => {
                                max_total_for_score(rules.scoring, bound, quality, decimals)
                            }
                        };
                        if let Some(t) = as_total {
                            max = max.min(t);
                        }
                    }
                    max
                });
                // A Dutch or Japanese lot takes exactly the price it offers now (a Japanese
                // bidder confirms each price once).
                let offered = state
                    .offered
                    .map(|o| o.price)
                    .filter(|p| biddable && standing.is_none_or(|(total, _)| total != *p));
                let biddable = biddable && (state.offered.is_none() || offered.is_some());
                let max_admissible = if state.offered.is_some() {
                    offered
                } else {
                    max_admissible
                };
                let min_admissible = biddable
                    .then(|| {
                        let guard =
                            reference.and_then(|(total, _)| drop_minimum(&rules.bids, total));
                        match (guard, lot_rules.floor) {
                            (Some(g), Some(f)) => Some(g.max(f)),
                            (g, f) => g.or(f),
                        }
                    })
                    .flatten()
                    .map(|m| ceil_to(m, decimals));
                let min_admissible = offered.or(min_admissible);
                Some(SupplierLotView {
                    status,
                    admitted: supplier_rules.admitted_to(lot),
                    own_bids,
                    standing,
                    rank: match revealed {
                        None => self.rank_of(lot, supplier),
                        Some(rows) => rows
                            .iter()
                            .position(|(_, seq)| {
                                self.bid(*seq)
                                    .is_some_and(|b| b.record.supplier == supplier)
                            })
                            .map(|i| i as u32 + 1),
                    },
                    best_score: if !rules.visibility.best_score {
                        None
                    } else {
                        match revealed {
                            None => state.best_score(),
                            Some(rows) => rows.first().map(|(score, _)| *score),
                        }
                    },
                    // A single sealed bid shows no count until the close; sealed rounds show
                    // the count of the last round.
                    bidder_count: if rules.visibility.bidder_count {
                        match revealed {
                            None => Some(state.bidder_count()),
                            Some(rows) => rules.format.rules().rounds().map(|_| rows.len() as u32),
                        }
                    } else {
                        None
                    },
                    max_admissible,
                    min_admissible,
                    dropped: self.is_dropped(lot, supplier),
                    my_turn: state
                        .turns
                        .as_ref()
                        .filter(|_| state.phase == LotPhase::Open)
                        .and_then(|t| {
                            let k = t.order.iter().position(|s| *s == supplier)? as u32 + 1;
                            Some((k, t.current == Some((k, supplier))))
                        }),
                })
            })
            .collect();
        Some(SupplierView {
            supplier,
            phase: self.phase(),
            disqualified: self.is_disqualified(supplier),
            lots,
        })
    }

    /// What a buyers' observer may see: the ladder per lot under stable aliases.
    pub fn observer_view(&self) -> ObserverView {
        let lots = self
            .lot_ixs()
            .filter_map(|lot| {
                let status = self.lot_status(lot)?;
                let state = self.lot(lot)?;
                let ladder = self
                    .shown_ranked(lot)
                    .into_iter()
                    .map(|(rank, bid)| LadderRow {
                        rank,
                        alias: self.alias_of(bid.record.supplier).unwrap_or(u32::MAX),
                        at: bid.record.at,
                        total: bid.record.total,
                        score: bid.record.score,
                    })
                    .collect();
                Some(ObserverLotView {
                    status,
                    ladder,
                    reserve_met: state.award.as_ref().and_then(|(_, met)| *met),
                })
            })
            .collect();
        ObserverView {
            phase: self.phase(),
            lots,
        }
    }

    /// Everything, for the auctioneer.
    pub fn auctioneer_view(&self) -> AuctioneerView {
        let lots = self
            .lot_ixs()
            .filter_map(|lot| {
                let status = self.lot_status(lot)?;
                let state = self.lot(lot)?;
                let ladder = self
                    .shown_ranked(lot)
                    .into_iter()
                    .map(|(rank, bid)| AuctioneerRow {
                        rank,
                        supplier: bid.record.supplier,
                        bid: bid.record.seq,
                        at: bid.record.at,
                        lines: bid.record.lines.clone(),
                        total: bid.record.total,
                        score: bid.record.score,
                    })
                    .collect();
                let (accepted, voided) = self
                    .bids()
                    .filter(|b| b.record.lot == lot)
                    .fold((0, 0), |(a, v), b| (a + 1, v + usize::from(b.voided)));
                Some(AuctioneerLotView {
                    status,
                    hard_close: state.hard_close,
                    ladder,
                    bids_accepted: accepted,
                    bids_voided: voided,
                    award: state.award.clone(),
                })
            })
            .collect();
        AuctioneerView {
            phase: self.phase(),
            lots,
            disqualified: (0..self.rules().suppliers.len() as u32)
                .map(SupplierIx)
                .filter(|s| self.is_disqualified(*s))
                .collect(),
            pending: self
                .pending()
                .map(|p| PendingView {
                    request: p.request,
                    at: p.at,
                    by: p.by,
                    action: p.action.clone(),
                    reason: p.reason.clone(),
                })
                .collect(),
        }
    }
}
