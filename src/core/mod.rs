//! The auction core: a pure, deterministic reverse-auction state machine.
//!
//! - [`Auction::handle`] decides: it checks every rule and returns the events of an accepted input
//!   or a typed [`Rejection`]. It never changes state.
//! - [`Auction::apply`] evolves: it is the only code that changes state, and it needs nothing but
//!   events, so replaying the events of a run rebuilds the state exactly.
//! - [`Auction::next_deadline`] tells the caller when to send a [`Command::Tick`]. Time is only
//!   ever an input.
//!
//! The core never reads a clock, does no IO, uses no floats and knows nothing of tokio; the tidy
//! test in `tests/it/tidy.rs` keeps it that way.

pub mod format;
pub mod rules;
pub mod score;
pub mod sequencer;
pub mod types;
pub mod view;

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

pub use rules::*;
pub use types::*;

use format::BidContext;
use rules::limits::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuctionPhase {
    Scheduled,
    Open,
    Paused { since: TimeMs },
    Closed,
    Awarded,
    Terminated,
}

impl AuctionPhase {
    pub fn name(self) -> &'static str {
        match self {
            AuctionPhase::Scheduled => "scheduled",
            AuctionPhase::Open => "open",
            AuctionPhase::Paused { .. } => "paused",
            AuctionPhase::Closed => "closed",
            AuctionPhase::Awarded => "awarded",
            AuctionPhase::Terminated => "terminated",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LotPhase {
    Scheduled,
    Open,
    Closed,
    Awarded,
    Terminated,
}

impl LotPhase {
    pub fn name(self) -> &'static str {
        match self {
            LotPhase::Scheduled => "scheduled",
            LotPhase::Open => "open",
            LotPhase::Closed => "closed",
            LotPhase::Awarded => "awarded",
            LotPhase::Terminated => "terminated",
        }
    }
}

/// An accepted bid and whether it was voided since.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bid {
    pub record: BidRecord,
    pub voided: bool,
}

/// A destructive action waiting for a second auctioneer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub request: Seq,
    pub at: TimeMs,
    pub by: AuctioneerIx,
    pub action: Action,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LotState {
    pub phase: LotPhase,
    /// Set while a serial lot waits for its opening time.
    pub opens_at: Option<TimeMs>,
    pub deadline: Option<TimeMs>,
    pub hard_close: Option<TimeMs>,
    pub extensions_used: u32,
    /// Standing bids ordered by rank: (score, seq); the earlier bid wins a tie.
    ladder: BTreeSet<(Decimal, Seq)>,
    /// Per supplier: the seq of its standing bid (its last accepted, not voided bid).
    standing: Vec<Option<Seq>>,
    /// Per supplier: every bid it placed on this lot, in order (voided ones included).
    bids_of: Vec<Vec<Seq>>,
    /// Per supplier: when its last accepted bid on this lot was placed.
    last_bid_at: Vec<Option<TimeMs>>,
    pub award: Option<(Vec<Winner>, Option<bool>)>,
    /// Dutch auction: the price the open lot offers now, since when, and its step number.
    pub offered: Option<Offered>,
    /// When the lot closed: its deadline, or earlier when a Dutch lot found its taker.
    pub closed_at: Option<TimeMs>,
    /// Japanese auction: per supplier, dropped out of this lot for good.
    dropped: Vec<bool>,
    /// Sealed rounds: the round running now (or the last, once the lot closed).
    pub round: Option<RoundState>,
    /// Sealed rounds: the ladder as it stood when the last round closed (what the live views
    /// show), and each supplier's standing bid then (what its next bid must improve on).
    revealed: Vec<(Decimal, Seq)>,
    round_start: Vec<Option<Seq>>,
    /// Turn-based rounds: the round, its order and the turn running now (or the last, once
    /// the lot closed).
    pub turns: Option<TurnState>,
}

/// Turn-based rounds: where a lot's turns stand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TurnState {
    pub round: u32,
    /// The round's order, worst score first (fixed when the round opens).
    pub order: Vec<SupplierIx>,
    /// The turn running now: its number (1-based, within the round) and its bidder. `None`
    /// between turns: in the pause before the round's first turn, or once the lot closed.
    pub current: Option<(u32, SupplierIx)>,
    /// When the running turn ends at the latest, or in a pause when the first turn starts.
    pub until: TimeMs,
}

/// Sealed rounds: where a lot's rounds stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoundState {
    pub number: u32,
    pub ends_at: TimeMs,
    /// Rounds in a row, up to the last closed one, in which the best score did not improve.
    pub stable: u32,
    /// The best score when the last round closed.
    pub best: Option<Decimal>,
}

/// A Dutch lot's current offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offered {
    pub price: Decimal,
    pub step: u32,
    /// When this price was first offered (moved later by a pause, like the deadlines).
    pub since: TimeMs,
}

impl LotState {
    fn new(suppliers: usize) -> Self {
        LotState {
            phase: LotPhase::Scheduled,
            opens_at: None,
            deadline: None,
            hard_close: None,
            extensions_used: 0,
            ladder: BTreeSet::new(),
            standing: vec![None; suppliers],
            bids_of: vec![Vec::new(); suppliers],
            last_bid_at: vec![None; suppliers],
            award: None,
            offered: None,
            closed_at: None,
            dropped: vec![false; suppliers],
            round: None,
            revealed: Vec::new(),
            round_start: vec![None; suppliers],
            turns: None,
        }
    }

    /// Standing bids, best first: (score, seq).
    pub fn ladder(&self) -> impl Iterator<Item = &(Decimal, Seq)> {
        self.ladder.iter()
    }

    pub fn standing_of(&self, supplier: SupplierIx) -> Option<Seq> {
        self.standing.get(supplier.ix()).copied().flatten()
    }

    pub fn bids_of(&self, supplier: SupplierIx) -> &[Seq] {
        self.bids_of
            .get(supplier.ix())
            .map_or(&[], |v| v.as_slice())
    }

    /// The lot's deadline, or once closed, when it closed (a Dutch lot closes at its first
    /// taker, before its deadline).
    pub fn shown_deadline(&self) -> Option<TimeMs> {
        self.closed_at.or(self.deadline)
    }

    pub fn best_score(&self) -> Option<Decimal> {
        self.ladder.first().map(|(score, _)| *score)
    }

    pub fn bidder_count(&self) -> u32 {
        self.ladder.len() as u32
    }

    /// Rank (1-based) of a standing bid.
    pub fn rank_of_bid(&self, seq: Seq, score: Decimal) -> Option<u32> {
        if !self.ladder.contains(&(score, seq)) {
            return None;
        }
        Some(self.ladder.range(..(score, seq)).count() as u32 + 1)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Auction {
    rules: Rules,
    phase: AuctionPhase,
    /// The time of the latest applied event; inputs before it are refused.
    clock: TimeMs,
    /// The highest seq that any applied event carries (bids and requests).
    last_seq: Seq,
    lots: Vec<LotState>,
    disqualified: Vec<bool>,
    bids: BTreeMap<Seq, Bid>,
    /// Per supplier: client bid id -> seq of the accepted bid.
    client_ids: Vec<BTreeMap<String, Seq>>,
    pending: BTreeMap<Seq, Pending>,
    /// Per supplier: stable anonymous alias number, in order of first accepted bid.
    aliases: Vec<Option<u32>>,
    aliases_used: u32,
}

impl Auction {
    pub fn new(rules: Rules) -> Self {
        let suppliers = rules.suppliers.len();
        let lots = (0..rules.lots.len())
            .map(|_| LotState::new(suppliers))
            .collect();
        Auction {
            phase: AuctionPhase::Scheduled,
            clock: TimeMs::MIN,
            last_seq: 0,
            lots,
            disqualified: vec![false; suppliers],
            bids: BTreeMap::new(),
            client_ids: vec![BTreeMap::new(); suppliers],
            pending: BTreeMap::new(),
            aliases: vec![None; suppliers],
            aliases_used: 0,
            rules,
        }
    }

    /// Rebuild a state from the events of a run: the same state the live run had.
    pub fn replay<'a>(rules: Rules, events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut auction = Auction::new(rules);
        for event in events {
            auction.apply(event);
        }
        auction
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }
    pub fn phase(&self) -> AuctionPhase {
        self.phase
    }
    pub fn lot(&self, lot: LotIx) -> Option<&LotState> {
        self.lots.get(lot.ix())
    }
    pub fn lots(&self) -> &[LotState] {
        &self.lots
    }
    pub fn bid(&self, seq: Seq) -> Option<&Bid> {
        self.bids.get(&seq)
    }
    pub fn bids(&self) -> impl Iterator<Item = &Bid> {
        self.bids.values()
    }
    pub fn is_disqualified(&self, supplier: SupplierIx) -> bool {
        self.disqualified
            .get(supplier.ix())
            .copied()
            .unwrap_or(false)
    }
    pub fn pending(&self) -> impl Iterator<Item = &Pending> {
        self.pending.values()
    }
    pub fn alias_of(&self, supplier: SupplierIx) -> Option<u32> {
        self.aliases.get(supplier.ix()).copied().flatten()
    }

    /// The rank of a supplier's standing bid on a lot.
    pub fn rank_of(&self, lot: LotIx, supplier: SupplierIx) -> Option<u32> {
        let state = self.lot(lot)?;
        let seq = state.standing_of(supplier)?;
        let bid = self.bids.get(&seq)?;
        state.rank_of_bid(seq, bid.record.score)
    }

    /// Japanese auction: the suppliers still in the lot (admitted, not disqualified, not
    /// dropped out), in supplier order.
    pub fn active_bidders(&self, lot: LotIx) -> Vec<SupplierIx> {
        let Some(state) = self.lots.get(lot.ix()) else {
            return Vec::new();
        };
        (0..self.rules.suppliers.len() as u32)
            .map(SupplierIx)
            .filter(|s| {
                self.rules.suppliers[s.ix()].admitted_to(lot)
                    && !self.is_disqualified(*s)
                    && !state.dropped.get(s.ix()).copied().unwrap_or(false)
            })
            .collect()
    }

    /// Japanese auction: has the supplier dropped out of the lot?
    pub fn is_dropped(&self, lot: LotIx, supplier: SupplierIx) -> bool {
        self.lots
            .get(lot.ix())
            .and_then(|l| l.dropped.get(supplier.ix()).copied())
            .unwrap_or(false)
    }

    /// Turn-based rounds: the next initial price to enter before the opening, if any (the
    /// sequencer enters them, one input each, supplier by supplier, lot by lot).
    pub fn next_initial_bid(&self) -> Option<Command> {
        self.rules.format.rules().turns()?;
        if self.phase != AuctionPhase::Scheduled {
            return None;
        }
        self.rules
            .suppliers
            .iter()
            .enumerate()
            .find_map(|(s, supplier)| {
                supplier.initial.iter().enumerate().find_map(|(l, offer)| {
                    let offer = offer.as_ref()?;
                    let state = self.lots.get(l)?;
                    (supplier.admitted_to(LotIx(l as u32)) && state.bids_of[s].is_empty()).then(
                        || Command::InitialBid {
                            supplier: SupplierIx(s as u32),
                            lot: LotIx(l as u32),
                            offer: offer.clone(),
                        },
                    )
                })
            })
    }

    /// When the caller must send the next [`Command::Tick`]; `None` while nothing is scheduled
    /// (paused, or ended).
    pub fn next_deadline(&self) -> Option<TimeMs> {
        // Asked before every input: without price steps, rounds or turns, the openings and
        // deadlines are all, and they are read in place.
        let format = self.rules.format.rules();
        if format.price_steps().is_some() || format.rounds().is_some() || format.turns().is_some() {
            return Schedule::times(self).next_time(&self.rules);
        }
        match self.phase {
            AuctionPhase::Scheduled => Some(self.rules.opens_at),
            AuctionPhase::Open => self
                .lots
                .iter()
                .filter_map(|lot| match lot.phase {
                    LotPhase::Scheduled => lot.opens_at,
                    LotPhase::Open => lot.deadline,
                    _ => None,
                })
                .min(),
            _ => None,
        }
    }

    /// Decide on one input. Never changes state: apply the returned events for that.
    pub fn handle(&self, input: &Input) -> Outcome {
        match self.decide(input) {
            Ok(Decision::Events(events)) => Outcome::Accepted(events),
            Ok(Decision::Repeated(bid)) => Outcome::Repeated { bid },
            Err(rejection) => Outcome::Rejected(rejection),
        }
    }

    /// `handle`, then `apply` every accepted event: the whole step.
    pub fn execute(&mut self, input: &Input) -> Outcome {
        let outcome = self.handle(input);
        if let Outcome::Accepted(events) = &outcome {
            for event in events {
                self.apply(event);
            }
        }
        outcome
    }

    fn decide(&self, input: &Input) -> Result<Decision, Rejection> {
        if input.at < self.clock {
            return Err(Rejection::TimeWentBack {
                at: input.at,
                clock: self.clock,
            });
        }
        if let Command::Tick = input.command {
            return Ok(Decision::Events(self.due_events(input.at)));
        }
        // Initial prices go in before the opening tick, which is due by then.
        if let Command::InitialBid {
            supplier,
            lot,
            offer,
        } = &input.command
        {
            if input.seq <= self.last_seq {
                return Err(Rejection::SeqWentBack {
                    seq: input.seq,
                    last: self.last_seq,
                });
            }
            return self.decide_initial(input, *supplier, *lot, offer);
        }
        if let Some(deadline) = self.next_deadline()
            && input.at >= deadline
        {
            return Err(Rejection::TickDue { deadline });
        }
        if input.seq <= self.last_seq {
            return Err(Rejection::SeqWentBack {
                seq: input.seq,
                last: self.last_seq,
            });
        }
        match &input.command {
            Command::Tick | Command::InitialBid { .. } => Ok(Decision::Events(Vec::new())),
            Command::Keep { supplier, lot } => self.decide_keep(input, *supplier, *lot),
            Command::PlaceBid {
                supplier,
                lot,
                client_bid_id,
                offer,
            } => self.decide_bid(input, *supplier, *lot, client_bid_id, offer),
            Command::Act { by, action, reason } => {
                self.check_auctioneer(*by)?;
                check_text(reason, REASON_MAX_CHARS)?;
                if self.rules.four_eyes && action.needs_approval() {
                    // Validate now so that an impossible action is refused at once.
                    self.decide_action(input.at, *by, action, reason)?;
                    // The same action waiting twice could never be approved twice.
                    if let Some(p) = self.pending.values().find(|p| p.action == *action) {
                        return Err(Rejection::AlreadyRequested { request: p.request });
                    }
                    if self.pending.len() >= PENDING_ACTIONS_MAX {
                        return Err(Rejection::TooManyPending {
                            pending_max: PENDING_ACTIONS_MAX,
                        });
                    }
                    return Ok(Decision::Events(vec![Event::ActionRequested {
                        request: input.seq,
                        at: input.at,
                        by: *by,
                        action: action.clone(),
                        reason: reason.clone(),
                    }]));
                }
                self.decide_action(input.at, *by, action, reason)
                    .map(Decision::Events)
            }
            Command::Approve { by, request } => {
                self.check_auctioneer(*by)?;
                let pending = self
                    .pending
                    .get(request)
                    .ok_or(Rejection::UnknownRequest { request: *request })?;
                if pending.by == *by {
                    return Err(Rejection::SelfApproval { request: *request });
                }
                let mut events = vec![Event::ActionApproved {
                    request: *request,
                    at: input.at,
                    by: *by,
                }];
                events.extend(self.decide_action(
                    input.at,
                    pending.by,
                    &pending.action,
                    &pending.reason,
                )?);
                Ok(Decision::Events(events))
            }
            Command::Decline {
                by,
                request,
                reason,
            } => {
                self.check_auctioneer(*by)?;
                check_text(reason, REASON_MAX_CHARS)?;
                if !self.pending.contains_key(request) {
                    return Err(Rejection::UnknownRequest { request: *request });
                }
                Ok(Decision::Events(vec![Event::ActionDeclined {
                    request: *request,
                    at: input.at,
                    by: *by,
                    reason: reason.clone(),
                }]))
            }
        }
    }

    fn check_auctioneer(&self, by: AuctioneerIx) -> Result<(), Rejection> {
        if by.ix() >= self.rules.auctioneers.len() {
            return Err(Rejection::UnknownAuctioneer { by });
        }
        Ok(())
    }

    /// The auction must be running (open or paused) for most actions.
    fn check_running(&self) -> Result<(), Rejection> {
        match self.phase {
            AuctionPhase::Scheduled => Err(Rejection::AuctionNotOpen),
            AuctionPhase::Open | AuctionPhase::Paused { .. } => Ok(()),
            AuctionPhase::Closed | AuctionPhase::Awarded | AuctionPhase::Terminated => {
                Err(Rejection::AuctionEnded)
            }
        }
    }

    fn lot_state(&self, lot: LotIx) -> Result<&LotState, Rejection> {
        self.lots.get(lot.ix()).ok_or(Rejection::UnknownLot { lot })
    }

    /// Turn-based rounds: an initial price, exactly as the rules give it, once, before the
    /// opening.
    fn decide_initial(
        &self,
        input: &Input,
        supplier: SupplierIx,
        lot: LotIx,
        offer: &Offer,
    ) -> Result<Decision, Rejection> {
        let refused = Rejection::InitialBidRefused { supplier, lot };
        let (Some(supplier_rules), Some(lot_rules), Some(state)) = (
            self.rules.suppliers.get(supplier.ix()),
            self.rules.lots.get(lot.ix()),
            self.lots.get(lot.ix()),
        ) else {
            return Err(refused);
        };
        let expected = supplier_rules
            .initial
            .get(lot.ix())
            .and_then(Option::as_ref);
        if self.rules.format.rules().turns().is_none()
            || self.phase != AuctionPhase::Scheduled
            || !supplier_rules.admitted_to(lot)
            || expected != Some(offer)
            || !state.bids_of(supplier).is_empty()
        {
            return Err(refused);
        }
        let (lines, total) = offer_total(lot_rules, offer)?;
        let quality = supplier_rules
            .quality
            .get(lot.ix())
            .copied()
            .unwrap_or_default();
        let score =
            score::score(self.rules.scoring, total, quality).ok_or(Rejection::PriceOutOfRange)?;
        Ok(Decision::Events(vec![Event::BidAccepted(Box::new(
            BidRecord {
                seq: input.seq,
                at: input.at,
                lot,
                supplier,
                // No client placed it: the empty id, which no client can use.
                client_bid_id: String::new(),
                lines,
                total,
                score,
            },
        ))]))
    }

    /// Turn-based rounds: the supplier keeps its price, which ends its turn.
    fn decide_keep(
        &self,
        input: &Input,
        supplier: SupplierIx,
        lot: LotIx,
    ) -> Result<Decision, Rejection> {
        let supplier_rules = self
            .rules
            .suppliers
            .get(supplier.ix())
            .ok_or(Rejection::UnknownSupplier { supplier })?;
        let state = self.lot_state(lot)?;
        if !supplier_rules.admitted_to(lot) {
            return Err(Rejection::NotAdmittedToLot { supplier, lot });
        }
        if self.rules.format.rules().turns().is_none() {
            return Err(Rejection::NoTurns);
        }
        if self.is_disqualified(supplier) {
            return Err(Rejection::Disqualified { supplier });
        }
        match self.phase {
            AuctionPhase::Scheduled => return Err(Rejection::AuctionNotOpen),
            AuctionPhase::Paused { .. } => return Err(Rejection::AuctionPaused),
            AuctionPhase::Open => {}
            _ => return Err(Rejection::AuctionEnded),
        }
        match state.phase {
            LotPhase::Open => {}
            LotPhase::Scheduled => return Err(Rejection::LotNotOpen { lot }),
            _ => {
                return Err(Rejection::LotClosed {
                    lot,
                    deadline: state.shown_deadline().unwrap_or(input.at),
                });
            }
        }
        let turn = state.turns.as_ref().and_then(|t| t.current);
        if turn.map(|(_, s)| s) != Some(supplier) {
            return Err(Rejection::NotYourTurn { lot });
        }
        Ok(Decision::Events(Schedule::of(self).end_turn(
            &self.rules,
            lot.ix(),
            input.at,
            None,
        )))
    }

    fn decide_bid(
        &self,
        input: &Input,
        supplier: SupplierIx,
        lot: LotIx,
        client_bid_id: &str,
        offer: &Offer,
    ) -> Result<Decision, Rejection> {
        let supplier_rules = self
            .rules
            .suppliers
            .get(supplier.ix())
            .ok_or(Rejection::UnknownSupplier { supplier })?;
        let lot_rules = self
            .rules
            .lots
            .get(lot.ix())
            .ok_or(Rejection::UnknownLot { lot })?;
        let state = self.lot_state(lot)?;
        if !supplier_rules.admitted_to(lot) {
            return Err(Rejection::NotAdmittedToLot { supplier, lot });
        }
        if client_bid_id.is_empty() || client_bid_id.len() > CLIENT_BID_ID_MAX_BYTES {
            return Err(Rejection::ClientBidIdInvalid {
                len: client_bid_id.len(),
                max: CLIENT_BID_ID_MAX_BYTES,
            });
        }
        // Idempotency comes before the phase checks: a retry after the close still gets the
        // original acceptance.
        if let Some(&original) = self
            .client_ids
            .get(supplier.ix())
            .and_then(|ids| ids.get(client_bid_id))
        {
            let same = self
                .bids
                .get(&original)
                .is_some_and(|bid| bid.record.lot == lot && offer_matches(offer, &bid.record));
            return if same {
                Ok(Decision::Repeated(original))
            } else {
                Err(Rejection::ClientBidIdReused { original })
            };
        }
        if self.is_disqualified(supplier) {
            return Err(Rejection::Disqualified { supplier });
        }
        match self.phase {
            AuctionPhase::Scheduled => return Err(Rejection::AuctionNotOpen),
            AuctionPhase::Paused { .. } => return Err(Rejection::AuctionPaused),
            AuctionPhase::Open => {}
            _ => return Err(Rejection::AuctionEnded),
        }
        let deadline = match (state.phase, state.deadline) {
            (LotPhase::Open, Some(deadline)) if input.at < deadline => deadline,
            (LotPhase::Scheduled, _) => return Err(Rejection::LotNotOpen { lot }),
            _ => {
                return Err(Rejection::LotClosed {
                    lot,
                    deadline: state.shown_deadline().unwrap_or(input.at),
                });
            }
        };

        let (lines, total) = offer_total(lot_rules, offer)?;

        if let Some(last) = state.last_bid_at.get(supplier.ix()).copied().flatten() {
            let next_allowed_at = last.saturating_add(self.rules.bids.bid_interval_min_ms);
            if input.at < next_allowed_at {
                return Err(Rejection::BidTooSoon {
                    last_at: last,
                    next_allowed_at,
                });
            }
        }
        if state.bids_of(supplier).len() >= BIDS_PER_SUPPLIER_LOT_MAX {
            return Err(Rejection::BidLimitReached {
                bids_max: BIDS_PER_SUPPLIER_LOT_MAX,
            });
        }
        if total > lot_rules.ceiling {
            return Err(Rejection::AboveCeiling {
                offered: total,
                ceiling: lot_rules.ceiling,
            });
        }
        if let Some(floor) = lot_rules.floor
            && total < floor
        {
            return Err(Rejection::BelowFloor {
                offered: total,
                floor,
            });
        }
        let quality = supplier_rules
            .quality
            .get(lot.ix())
            .copied()
            .unwrap_or_default();
        let score =
            score::score(self.rules.scoring, total, quality).ok_or(Rejection::PriceOutOfRange)?;

        let own_seq = state.standing_of(supplier);
        let own = own_seq
            .and_then(|seq| self.bids.get(&seq))
            .map(|bid| (bid.record.total, bid.record.score));
        // Rank after acceptance: one plus every other standing bid that scores at or below this
        // one (equal scores were accepted earlier and rank higher).
        let better = state
            .ladder
            .iter()
            .take_while(|(s, _)| *s <= score)
            .filter(|(_, seq)| Some(*seq) != own_seq)
            .count();
        let ctx = BidContext {
            seq: input.seq,
            at: input.at,
            lot,
            supplier,
            total,
            score,
            own,
            own_bid: own_seq,
            own_at_round_start: state
                .round_start
                .get(supplier.ix())
                .copied()
                .flatten()
                .and_then(|seq| self.bids.get(&seq))
                .map(|bid| (bid.record.total, bid.record.score)),
            offered_price: state.offered.map(|o| o.price),
            dropped: state.dropped.get(supplier.ix()).copied().unwrap_or(false),
            turn: state.turns.as_ref().and_then(|t| t.current).map(|(_, s)| s),
            best_score: state.best_score(),
            rank_after: better as u32 + 1,
            bids: &self.rules.bids,
            deadline,
            hard_close: state.hard_close,
            extensions_used: state.extensions_used,
        };
        let format = self.rules.format.rules();
        format.check_bid(&ctx)?;

        let accepted = Event::BidAccepted(Box::new(BidRecord {
            seq: input.seq,
            at: input.at,
            lot,
            supplier,
            client_bid_id: client_bid_id.to_string(),
            lines,
            total,
            score,
        }));
        let mut events = vec![accepted];
        events.extend(format.after_accept(&ctx));
        if format.closes_on_accept() {
            events.extend(Schedule::of(self).close(&self.rules, lot.ix(), input.at));
        }
        if format.turns().is_some() {
            // The bid ends the turn; the next round's order counts it.
            let mut clock = Schedule::of(self);
            clock.apply(&events[0]);
            events.extend(clock.end_turn(&self.rules, lot.ix(), input.at, Some(input.seq)));
        }
        Ok(Decision::Events(events))
    }

    /// Validate an auctioneer action and produce its effect events (without approval wrapping).
    fn decide_action(
        &self,
        at: TimeMs,
        by: AuctioneerIx,
        action: &Action,
        reason: &str,
    ) -> Result<Vec<Event>, Rejection> {
        let reason = reason.to_string();
        match action {
            Action::Pause => {
                self.check_running()?;
                match self.phase {
                    AuctionPhase::Paused { .. } => Err(Rejection::AuctionPaused),
                    _ => Ok(vec![Event::AuctionPaused { at, by, reason }]),
                }
            }
            Action::Resume => {
                self.check_running()?;
                match self.phase {
                    AuctionPhase::Paused { since } => Ok(vec![Event::AuctionResumed {
                        at,
                        by,
                        reason,
                        paused_ms: at - since,
                    }]),
                    _ => Err(Rejection::NotPaused),
                }
            }
            Action::Extend { lot, by_ms } => {
                self.check_running()?;
                let state = self.lot_state(*lot)?;
                if *by_ms <= 0 || *by_ms > MANUAL_EXTENSION_MAX_MS {
                    return Err(Rejection::ExtensionOutOfRange {
                        by_ms: *by_ms,
                        max_ms: MANUAL_EXTENSION_MAX_MS,
                    });
                }
                match (state.phase, state.deadline) {
                    (LotPhase::Open, Some(from)) => Ok(vec![Event::LotExtended {
                        lot: *lot,
                        at,
                        from,
                        to: from + by_ms,
                        cause: ExtensionCause::Auctioneer { by, reason },
                        extensions_used: state.extensions_used,
                    }]),
                    (LotPhase::Scheduled, _) => Err(Rejection::LotNotOpen { lot: *lot }),
                    _ => Err(Rejection::LotClosed {
                        lot: *lot,
                        deadline: state.shown_deadline().unwrap_or(at),
                    }),
                }
            }
            Action::VoidBid { bid } => {
                if self.phase == AuctionPhase::Terminated {
                    return Err(Rejection::AuctionEnded);
                }
                let found = self
                    .bids
                    .get(bid)
                    .ok_or(Rejection::UnknownBid { bid: *bid })?;
                if found.voided {
                    return Err(Rejection::BidAlreadyVoided { bid: *bid });
                }
                let lot = found.record.lot;
                if self.lot_state(lot)?.phase == LotPhase::Awarded {
                    return Err(Rejection::LotAlreadyAwarded { lot });
                }
                Ok(vec![Event::BidVoided {
                    bid: *bid,
                    lot,
                    supplier: found.record.supplier,
                    at,
                    by,
                    reason,
                }])
            }
            Action::Disqualify { supplier } => {
                if supplier.ix() >= self.rules.suppliers.len() {
                    return Err(Rejection::UnknownSupplier {
                        supplier: *supplier,
                    });
                }
                // Allowed from the opening until the award: fraud found after the close still
                // counts. Awarded lots keep their winners.
                match self.phase {
                    AuctionPhase::Scheduled => return Err(Rejection::AuctionNotOpen),
                    AuctionPhase::Awarded | AuctionPhase::Terminated => {
                        return Err(Rejection::AuctionEnded);
                    }
                    _ => {}
                }
                if self.is_disqualified(*supplier) {
                    return Err(Rejection::AlreadyDisqualified {
                        supplier: *supplier,
                    });
                }
                let mut events = vec![Event::SupplierDisqualified {
                    supplier: *supplier,
                    at,
                    by,
                    reason,
                }];
                // Turn-based rounds: a turn of the disqualified bidder ends now.
                if self.rules.format.rules().turns().is_some() {
                    let mut clock = Schedule::of(self);
                    clock.apply(&events[0]);
                    for i in 0..self.lots.len() {
                        let running = clock.turns[i].as_ref().and_then(|t| t.current);
                        if running.is_some_and(|(_, s)| s == *supplier)
                            && clock.lots[i].0 == LotPhase::Open
                        {
                            let ended = clock.end_turn(&self.rules, i, at, None);
                            for event in &ended {
                                clock.apply(event);
                            }
                            events.extend(ended);
                        }
                    }
                }
                Ok(events)
            }
            Action::Message { text } => {
                check_text(text, MESSAGE_MAX_CHARS)?;
                if self.phase == AuctionPhase::Terminated {
                    return Err(Rejection::AuctionEnded);
                }
                Ok(vec![Event::MessageSent {
                    at,
                    by,
                    text: text.clone(),
                }])
            }
            Action::Terminate => match self.phase {
                AuctionPhase::Terminated | AuctionPhase::Awarded => Err(Rejection::AuctionEnded),
                _ => Ok(vec![Event::AuctionTerminated { at, by, reason }]),
            },
            Action::Award { lot } => {
                let state = self.lot_state(*lot)?;
                match state.phase {
                    LotPhase::Closed => {}
                    LotPhase::Awarded => return Err(Rejection::LotAlreadyAwarded { lot: *lot }),
                    LotPhase::Terminated => return Err(Rejection::AuctionEnded),
                    LotPhase::Scheduled | LotPhase::Open => {
                        return Err(Rejection::LotNotClosed { lot: *lot });
                    }
                }
                // A pending void of a bid on this lot, a pending disqualification or a pending
                // termination could change the result: settle it first.
                if let Some(p) = self.pending.values().find(|p| match &p.action {
                    Action::VoidBid { bid } => {
                        self.bids.get(bid).is_some_and(|b| b.record.lot == *lot)
                    }
                    Action::Disqualify { .. } | Action::Terminate => true,
                    _ => false,
                }) {
                    return Err(Rejection::PendingRequest { request: p.request });
                }
                let lot_rules = self
                    .rules
                    .lots
                    .get(lot.ix())
                    .ok_or(Rejection::UnknownLot { lot: *lot })?;
                let winners: Vec<Winner> = state
                    .ladder
                    .iter()
                    .take(lot_rules.winners as usize)
                    .filter_map(|(_, seq)| self.bids.get(seq))
                    .enumerate()
                    .map(|(i, bid)| Winner {
                        rank: i as u32 + 1,
                        supplier: bid.record.supplier,
                        bid: bid.record.seq,
                        total: bid.record.total,
                        score: bid.record.score,
                    })
                    .collect();
                let reserve_met = lot_rules
                    .reserve
                    .map(|reserve| winners.first().is_some_and(|w| w.total <= reserve));
                let mut events = vec![Event::LotAwarded {
                    lot: *lot,
                    at,
                    by,
                    reason,
                    winners,
                    reserve_met,
                }];
                let others_awarded = self
                    .lots
                    .iter()
                    .enumerate()
                    .all(|(i, l)| i == lot.ix() || l.phase == LotPhase::Awarded);
                if others_awarded {
                    events.push(Event::AuctionAwarded { at });
                }
                Ok(events)
            }
        }
    }

    /// Everything due at or before `at`, in time order: opening, closing, serial chaining.
    fn due_events(&self, at: TimeMs) -> Vec<Event> {
        let mut clock = Schedule::of(self);
        let mut events = Vec::new();
        // Each iteration opens or closes something (3 per lot plus the opening), or offers a
        // Dutch lot's next price (at most PRICE_STEPS_MAX per lot): that bounds it.
        let format = self.rules.format.rules();
        let steps = if format.price_steps().is_some() {
            limits::PRICE_STEPS_MAX as usize
        } else if let Some(t) = format.turns() {
            // A turn per bidder and round, and a round's opening.
            t.rounds as usize * (self.rules.suppliers.len() + 2)
        } else {
            format.rounds().map_or(0, |r| r.rounds_max as usize)
        };
        for _ in 0..((3 + steps) * self.lots.len() + 2) {
            let step = clock.next_due(&self.rules, at);
            if step.is_empty() {
                break;
            }
            for event in &step {
                clock.apply(event);
            }
            events.extend(step);
        }
        events
    }

    /// Evolve the state by one event. The only code that changes an `Auction`.
    pub fn apply(&mut self, event: &Event) {
        self.clock = self.clock.max(event.at());
        match event {
            Event::AuctionOpened { .. } => self.phase = AuctionPhase::Open,
            Event::LotOpened {
                lot,
                deadline,
                hard_close,
                ..
            } => {
                if let Some(state) = self.lots.get_mut(lot.ix()) {
                    state.phase = LotPhase::Open;
                    state.opens_at = None;
                    state.deadline = Some(*deadline);
                    state.hard_close = *hard_close;
                }
            }
            Event::LotScheduled { lot, opens_at, .. } => {
                if let Some(state) = self.lots.get_mut(lot.ix()) {
                    state.opens_at = Some(*opens_at);
                }
            }
            Event::PriceOffered {
                lot,
                at,
                price,
                step,
            } => {
                if let Some(state) = self.lots.get_mut(lot.ix()) {
                    state.offered = Some(Offered {
                        price: *price,
                        step: *step,
                        since: *at,
                    });
                }
            }
            Event::BidderDropped { lot, supplier, .. } => {
                if let Some(state) = self.lots.get_mut(lot.ix()) {
                    if let Some(flag) = state.dropped.get_mut(supplier.ix()) {
                        *flag = true;
                    }
                    if let Some(seq) = state.standing.get_mut(supplier.ix()).and_then(Option::take)
                        && let Some(bid) = self.bids.get(&seq)
                    {
                        state.ladder.remove(&(bid.record.score, seq));
                    }
                }
            }
            Event::RoundOpened {
                lot,
                round,
                ends_at,
                ..
            } => {
                if let Some(state) = self.lots.get_mut(lot.ix()) {
                    let before = state.round.unwrap_or(RoundState {
                        number: 0,
                        ends_at: *ends_at,
                        stable: 0,
                        best: None,
                    });
                    state.round = Some(RoundState {
                        number: *round,
                        ends_at: *ends_at,
                        ..before
                    });
                }
            }
            Event::RoundClosed {
                lot, best, stable, ..
            } => {
                if let Some(state) = self.lots.get_mut(lot.ix()) {
                    state.revealed = state.ladder.iter().copied().collect();
                    state.round_start = state.standing.clone();
                    if let Some(r) = &mut state.round {
                        r.stable = *stable;
                        r.best = *best;
                    }
                }
            }
            Event::TurnRoundOpened { lot, .. }
            | Event::TurnStarted { lot, .. }
            | Event::TurnEnded { lot, .. } => {
                if let Some(state) = self.lots.get_mut(lot.ix()) {
                    apply_turn(&mut state.turns, event);
                }
            }
            Event::BidAccepted(record) => self.apply_bid(record),
            Event::LotExtended {
                lot,
                to,
                extensions_used,
                ..
            } => {
                if let Some(state) = self.lots.get_mut(lot.ix()) {
                    state.deadline = Some(*to);
                    state.extensions_used = *extensions_used;
                }
            }
            Event::LotClosed { lot, at } => {
                if let Some(state) = self.lots.get_mut(lot.ix()) {
                    state.phase = LotPhase::Closed;
                    state.offered = None;
                    state.closed_at = Some(*at);
                    if let Some(t) = &mut state.turns {
                        t.current = None;
                    }
                }
            }
            Event::AuctionClosed { .. } => self.phase = AuctionPhase::Closed,
            Event::AuctionPaused { at, .. } => self.phase = AuctionPhase::Paused { since: *at },
            Event::AuctionResumed { paused_ms, .. } => {
                self.phase = AuctionPhase::Open;
                for state in &mut self.lots {
                    let shift = |t: &mut Option<TimeMs>| {
                        if let Some(t) = t {
                            *t = t.saturating_add(*paused_ms);
                        }
                    };
                    match state.phase {
                        LotPhase::Scheduled => shift(&mut state.opens_at),
                        LotPhase::Open => {
                            shift(&mut state.deadline);
                            shift(&mut state.hard_close);
                            if let Some(o) = &mut state.offered {
                                o.since = o.since.saturating_add(*paused_ms);
                            }
                            if let Some(r) = &mut state.round {
                                r.ends_at = r.ends_at.saturating_add(*paused_ms);
                            }
                            if let Some(t) = &mut state.turns {
                                t.until = t.until.saturating_add(*paused_ms);
                            }
                        }
                        _ => {}
                    }
                }
            }
            Event::ActionRequested {
                request,
                at,
                by,
                action,
                reason,
            } => {
                self.last_seq = self.last_seq.max(*request);
                self.pending.insert(
                    *request,
                    Pending {
                        request: *request,
                        at: *at,
                        by: *by,
                        action: action.clone(),
                        reason: reason.clone(),
                    },
                );
            }
            Event::ActionApproved { request, .. } | Event::ActionDeclined { request, .. } => {
                self.pending.remove(request);
            }
            Event::BidVoided { bid, .. } => self.apply_void(*bid),
            Event::SupplierDisqualified { supplier, .. } => {
                if let Some(flag) = self.disqualified.get_mut(supplier.ix()) {
                    *flag = true;
                }
                for state in &mut self.lots {
                    if let Some(seq) = state.standing.get_mut(supplier.ix()).and_then(Option::take)
                        && let Some(bid) = self.bids.get(&seq)
                    {
                        state.ladder.remove(&(bid.record.score, seq));
                    }
                }
            }
            Event::MessageSent { .. } => {}
            Event::AuctionTerminated { .. } => {
                self.phase = AuctionPhase::Terminated;
                self.pending.clear();
                for state in &mut self.lots {
                    if state.phase != LotPhase::Awarded {
                        state.phase = LotPhase::Terminated;
                        state.offered = None;
                    }
                }
            }
            Event::LotAwarded {
                lot,
                winners,
                reserve_met,
                ..
            } => {
                if let Some(state) = self.lots.get_mut(lot.ix()) {
                    state.phase = LotPhase::Awarded;
                    state.award = Some((winners.clone(), *reserve_met));
                }
            }
            Event::AuctionAwarded { .. } => self.phase = AuctionPhase::Awarded,
        }
    }

    fn apply_bid(&mut self, record: &BidRecord) {
        let s = record.supplier.ix();
        let Some(state) = self.lots.get_mut(record.lot.ix()) else {
            return;
        };
        if s >= state.standing.len() {
            return;
        }
        if let Some(old) = state.standing[s]
            && let Some(bid) = self.bids.get(&old)
        {
            state.ladder.remove(&(bid.record.score, old));
        }
        state.ladder.insert((record.score, record.seq));
        state.standing[s] = Some(record.seq);
        state.bids_of[s].push(record.seq);
        state.last_bid_at[s] = Some(record.at);
        self.last_seq = self.last_seq.max(record.seq);
        self.client_ids[s].insert(record.client_bid_id.clone(), record.seq);
        if self.aliases[s].is_none() {
            self.aliases[s] = Some(self.aliases_used);
            self.aliases_used += 1;
        }
        self.bids.insert(
            record.seq,
            Bid {
                record: record.clone(),
                voided: false,
            },
        );
    }

    fn apply_void(&mut self, seq: Seq) {
        let Some(bid) = self.bids.get_mut(&seq) else {
            return;
        };
        bid.voided = true;
        let (lot, supplier, score) = (bid.record.lot, bid.record.supplier, bid.record.score);
        let s = supplier.ix();
        let disqualified = self.is_disqualified(supplier);
        let Some(state) = self.lots.get_mut(lot.ix()) else {
            return;
        };
        if state.standing.get(s).copied().flatten() != Some(seq) {
            return;
        }
        state.ladder.remove(&(score, seq));
        // The supplier's standing bid falls back to its last bid that is still valid.
        let previous = state.bids_of[s]
            .iter()
            .rev()
            .copied()
            .find(|b| self.bids.get(b).is_some_and(|bid| !bid.voided));
        state.standing[s] = None;
        if let Some(prev) = previous
            && !disqualified
            && let Some(bid) = self.bids.get(&prev)
        {
            state.ladder.insert((bid.record.score, prev));
            state.standing[s] = Some(prev);
        }
    }
}

/// Turn-based rounds: a turn event on a lot's turns (the state and the tick's schedule keep
/// them alike).
fn apply_turn(turns: &mut Option<TurnState>, event: &Event) {
    match event {
        Event::TurnRoundOpened {
            round,
            order,
            starts_at,
            ..
        } => {
            *turns = Some(TurnState {
                round: *round,
                order: order.clone(),
                current: None,
                until: *starts_at,
            });
        }
        Event::TurnStarted {
            turn,
            supplier,
            ends_at,
            ..
        } => {
            if let Some(t) = turns {
                t.current = Some((*turn, *supplier));
                t.until = *ends_at;
            }
        }
        Event::TurnEnded { .. } => {
            if let Some(t) = turns {
                t.current = None;
            }
        }
        _ => {}
    }
}

enum Decision {
    Events(Vec<Event>),
    Repeated(Seq),
}

fn check_text(text: &str, max: usize) -> Result<(), Rejection> {
    if text.trim().is_empty() {
        return Err(Rejection::ReasonRequired);
    }
    let len = text.chars().count();
    if len > max {
        return Err(Rejection::TextTooLong { len, max });
    }
    Ok(())
}

fn offer_matches(offer: &Offer, record: &BidRecord) -> bool {
    match offer {
        Offer::Total(total) => record.lines.is_empty() && *total == record.total,
        Offer::Lines(lines) => *lines == record.lines,
    }
}

/// Check the shape and scale of an offer and compute its total.
pub fn offer_total(lot: &LotRules, offer: &Offer) -> Result<(Vec<Decimal>, Decimal), Rejection> {
    let check = |line: Option<usize>, price: Decimal| {
        if price <= Decimal::ZERO {
            return Err(Rejection::NotPositive {
                line,
                offered: price,
            });
        }
        if score::decimals_of(price) > lot.price_decimals {
            return Err(Rejection::TooManyDecimals {
                line,
                offered: price,
                decimals_max: lot.price_decimals,
            });
        }
        Ok(())
    };
    match (offer, lot.lines.is_empty()) {
        (Offer::Total(total), true) => {
            check(None, *total)?;
            Ok((Vec::new(), *total))
        }
        (Offer::Total(_), false) => Err(Rejection::LinesExpected {
            lines: lot.lines.len(),
        }),
        (Offer::Lines(_), true) => Err(Rejection::TotalExpected),
        (Offer::Lines(prices), false) => {
            if prices.len() != lot.lines.len() {
                return Err(Rejection::LineCountMismatch {
                    expected: lot.lines.len(),
                    got: prices.len(),
                });
            }
            let mut total = Decimal::ZERO;
            for (i, (price, item)) in prices.iter().zip(&lot.lines).enumerate() {
                check(Some(i), *price)?;
                total = price
                    .checked_mul(item.quantity)
                    .and_then(|amount| total.checked_add(amount))
                    .ok_or(Rejection::PriceOutOfRange)?;
            }
            Ok((prices.clone(), total))
        }
    }
}

/// The time-driven part of the state, small enough to copy: the tick simulates it forward.
struct Schedule {
    phase: AuctionPhase,
    lots: Vec<(LotPhase, Option<TimeMs>, Option<TimeMs>)>,
    /// Dutch and Japanese auctions: per open lot, the step it offers now and since when.
    steps: Vec<Option<(u32, TimeMs)>>,
    /// Japanese auction: per lot, the suppliers still in it, and those of them who confirmed
    /// the price offered now (in supplier order).
    active: Vec<Vec<SupplierIx>>,
    confirmed: Vec<Vec<SupplierIx>>,
    /// Sealed rounds: per lot, its round, and the best live score (what the round's close
    /// compares with the best of the round before).
    rounds: Vec<Option<RoundState>>,
    best: Vec<Option<Decimal>>,
    /// Turn-based rounds: per lot, its turns, and its standing bids best first (score, seq,
    /// bidder): what the next round's order is made of.
    turns: Vec<Option<TurnState>>,
    ranked: Vec<Vec<(Decimal, Seq, SupplierIx)>>,
}

/// When lot `lot`, offering price `step` since `since`, steps next: its next price, and in a
/// Japanese auction also the end of the last one, when the bidders who did not confirm it drop
/// out. Never at or after its deadline: a price due then is never offered, the lot closes.
fn next_step_at(
    rules: &Rules,
    lot: usize,
    step: u32,
    since: TimeMs,
    deadline: TimeMs,
) -> Option<TimeMs> {
    let ps = rules.format.rules().price_steps()?;
    let more = ps.must_confirm() || ps.last_step(rules.lots.get(lot)?).is_some_and(|l| step < l);
    let next = since.saturating_add(ps.interval_ms());
    (more && next < deadline).then_some(next)
}

/// What falls due on a lot (in this order when several fall due at one time).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    /// A sealed round closes (before the lot's deadline at the same time: its bids count).
    RoundEnd,
    /// A turn runs out, or the pause before a round's first turn ends.
    Turn,
    /// A scheduled lot opens, or an open lot reaches its deadline.
    OpenOrClose,
    /// A Dutch lot offers its next price.
    Step,
}

impl Schedule {
    fn of(auction: &Auction) -> Self {
        // Who is still in and who confirmed: only a Japanese lot needs them.
        let confirming = auction
            .rules
            .format
            .rules()
            .price_steps()
            .is_some_and(|ps| ps.must_confirm());
        Self::with(auction, confirming)
    }

    /// Only the times (what `next_time` reads): cheap enough for every input.
    fn times(auction: &Auction) -> Self {
        Self::with(auction, false)
    }

    fn with(auction: &Auction, confirming: bool) -> Self {
        Schedule {
            phase: auction.phase,
            lots: auction
                .lots
                .iter()
                .map(|l| (l.phase, l.opens_at, l.deadline))
                .collect(),
            steps: auction
                .lots
                .iter()
                .map(|l| l.offered.map(|o| (o.step, o.since)))
                .collect(),
            active: (0..auction.lots.len())
                .map(|i| {
                    if confirming {
                        auction.active_bidders(LotIx(i as u32))
                    } else {
                        Vec::new()
                    }
                })
                .collect(),
            confirmed: auction
                .lots
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    if !confirming {
                        return Vec::new();
                    }
                    auction
                        .active_bidders(LotIx(i as u32))
                        .into_iter()
                        .filter(|s| {
                            l.offered.is_some_and(|o| {
                                l.standing_of(*s)
                                    .and_then(|seq| auction.bid(seq))
                                    .is_some_and(|b| b.record.total == o.price)
                            })
                        })
                        .collect()
                })
                .collect(),
            rounds: auction.lots.iter().map(|l| l.round).collect(),
            best: auction.lots.iter().map(LotState::best_score).collect(),
            turns: auction.lots.iter().map(|l| l.turns.clone()).collect(),
            ranked: auction
                .lots
                .iter()
                .map(|l| {
                    if auction.rules.format.rules().turns().is_none() {
                        return Vec::new();
                    }
                    l.ladder
                        .iter()
                        .filter_map(|(score, seq)| {
                            Some((*score, *seq, auction.bid(*seq)?.record.supplier))
                        })
                        .collect()
                })
                .collect(),
        }
    }

    /// Everything the open auction has scheduled, as (time, lot, what).
    fn due_items(&self, rules: &Rules) -> Vec<(TimeMs, usize, Due)> {
        let mut items = Vec::new();
        for (i, (phase, opens_at, deadline)) in self.lots.iter().enumerate() {
            match phase {
                LotPhase::Scheduled => items.extend(opens_at.map(|t| (t, i, Due::OpenOrClose))),
                LotPhase::Open => {
                    items.extend(deadline.map(|t| (t, i, Due::OpenOrClose)));
                    if let (Some(round), Some(deadline)) = (self.rounds[i], deadline)
                        && round.ends_at <= *deadline
                    {
                        items.push((round.ends_at, i, Due::RoundEnd));
                    }
                    if let Some(t) = &self.turns[i] {
                        items.push((t.until, i, Due::Turn));
                    }
                    if let (Some((step, since)), Some(deadline)) = (self.steps[i], deadline)
                        && let Some(next) = next_step_at(rules, i, step, since, *deadline)
                    {
                        items.push((next, i, Due::Step));
                    }
                }
                _ => {}
            }
        }
        items
    }

    /// The next time something falls due.
    fn next_time(&self, rules: &Rules) -> Option<TimeMs> {
        match self.phase {
            AuctionPhase::Scheduled => Some(rules.opens_at),
            AuctionPhase::Open => self.due_items(rules).iter().map(|(t, _, _)| *t).min(),
            _ => None,
        }
    }

    /// A lot opens: its opening, and for a Dutch auction its first price.
    fn open_lot(&self, rules: &Rules, lot: usize, at: TimeMs, deadline: TimeMs) -> Vec<Event> {
        let format = rules.format.rules();
        let mut events = vec![Event::LotOpened {
            lot: LotIx(lot as u32),
            at,
            deadline,
            hard_close: format.hard_close(deadline),
        }];
        if let Some(r) = format.rounds() {
            events.push(Event::RoundOpened {
                lot: LotIx(lot as u32),
                at,
                round: 1,
                ends_at: at.saturating_add(r.duration_ms),
            });
        }
        if let (Some(ps), Some(lot_rules)) = (format.price_steps(), rules.lots.get(lot))
            && let Some(price) = ps.price(lot_rules, 0)
        {
            events.push(Event::PriceOffered {
                lot: LotIx(lot as u32),
                at,
                price,
                step: 0,
            });
        }
        events.extend(self.open_round(rules, lot, at, 1));
        events
    }

    /// Turn-based rounds: round `round` of lot `i` opens at `t`: its order is the standing
    /// bids from the worst to the best; its first turn starts at once (the first round) or
    /// after the pause. Nothing when nobody has a price (or the format has no turns).
    fn open_round(&self, rules: &Rules, i: usize, t: TimeMs, round: u32) -> Vec<Event> {
        let Some(tr) = rules.format.rules().turns() else {
            return Vec::new();
        };
        let order: Vec<SupplierIx> = self.ranked[i].iter().rev().map(|r| r.2).collect();
        let Some(&first) = order.first() else {
            return Vec::new();
        };
        let lot = LotIx(i as u32);
        let starts_at = if round == 1 {
            t
        } else {
            t.saturating_add(tr.pause_ms)
        };
        let mut events = vec![Event::TurnRoundOpened {
            lot,
            at: t,
            round,
            order,
            starts_at,
        }];
        if starts_at == t {
            events.push(Event::TurnStarted {
                lot,
                at: t,
                round,
                turn: 1,
                supplier: first,
                ends_at: t.saturating_add(tr.turn_ms),
            });
        }
        events
    }

    /// Turn-based rounds: the running turn of lot `i` ends at `t`, with the bid `bid` or with
    /// the price kept; then the next turn, the next round, or the lot's close.
    fn end_turn(&self, rules: &Rules, i: usize, t: TimeMs, bid: Option<Seq>) -> Vec<Event> {
        let Some(ts) = &self.turns[i] else {
            return Vec::new();
        };
        let Some((turn, supplier)) = ts.current else {
            return Vec::new();
        };
        let mut events = vec![Event::TurnEnded {
            lot: LotIx(i as u32),
            at: t,
            round: ts.round,
            turn,
            supplier,
            bid,
        }];
        events.extend(self.next_turn(rules, i, t, turn as usize));
        events
    }

    /// Turn-based rounds: from position `from` of the round's order, the next bidder still
    /// in (with a standing bid) starts its turn at `t`; after the last, the next round opens
    /// or, after the last round, the lot closes.
    fn next_turn(&self, rules: &Rules, i: usize, t: TimeMs, from: usize) -> Vec<Event> {
        let (Some(tr), Some(ts)) = (rules.format.rules().turns(), &self.turns[i]) else {
            return Vec::new();
        };
        let still_in = |s: SupplierIx| self.ranked[i].iter().any(|r| r.2 == s);
        if let Some(j) = (from..ts.order.len()).find(|&j| still_in(ts.order[j])) {
            return vec![Event::TurnStarted {
                lot: LotIx(i as u32),
                at: t,
                round: ts.round,
                turn: j as u32 + 1,
                supplier: ts.order[j],
                ends_at: t.saturating_add(tr.turn_ms),
            }];
        }
        if ts.round < tr.rounds {
            let events = self.open_round(rules, i, t, ts.round + 1);
            if !events.is_empty() {
                return events;
            }
        }
        self.close(rules, i, t)
    }

    /// The events of the earliest thing due at or before `now` (several when they share a time).
    fn next_due(&self, rules: &Rules, now: TimeMs) -> Vec<Event> {
        match self.phase {
            AuctionPhase::Scheduled if rules.opens_at <= now => {
                let at = rules.opens_at;
                let mut events = vec![Event::AuctionOpened { at }];
                let lots = 0..self.lots.len();
                match rules.timing {
                    LotTiming::Parallel { closes_at } => {
                        for i in lots {
                            events.extend(self.open_lot(rules, i, at, closes_at));
                        }
                    }
                    LotTiming::Staggered {
                        first_closes_at,
                        gap_ms,
                    } => {
                        for i in lots {
                            let deadline = first_closes_at + gap_ms * i as i64;
                            events.extend(self.open_lot(rules, i, at, deadline));
                        }
                    }
                    LotTiming::Serial { duration_ms, .. } => {
                        if !self.lots.is_empty() {
                            events.extend(self.open_lot(rules, 0, at, at + duration_ms));
                        }
                    }
                }
                events
            }
            AuctionPhase::Open => {
                // The earliest due item (ties: the lower lot, then an opening or a close before
                // a price step).
                let due = self
                    .due_items(rules)
                    .into_iter()
                    .filter(|(t, _, _)| *t <= now)
                    .min();
                let Some((t, i, what)) = due else {
                    return Vec::new();
                };
                if what == Due::Step {
                    return self.step(rules, i, t);
                }
                if what == Due::RoundEnd {
                    return self.round_end(rules, i, t);
                }
                if what == Due::Turn {
                    // A turn ran out (the price is kept), or a pause ended.
                    return match self.turns[i].as_ref().and_then(|ts| ts.current) {
                        Some(_) => self.end_turn(rules, i, t, None),
                        None => self.next_turn(rules, i, t, 0),
                    };
                }
                if self.lots[i].0 == LotPhase::Scheduled {
                    let duration = match rules.timing {
                        LotTiming::Serial { duration_ms, .. } => duration_ms,
                        _ => 0,
                    };
                    return self.open_lot(rules, i, t, t + duration);
                }
                self.close(rules, i, t)
            }
            _ => Vec::new(),
        }
    }

    /// A price step falls due on lot `i` at `t`. Dutch: the next, higher price. Japanese: the
    /// price offered until now ends; if no one confirmed it the lot closes as it stood (those
    /// who confirmed the price before rank by the time they did); otherwise who did not confirm
    /// drops out, and the lot closes when at most `winners` remain or at its floor, or else
    /// offers the next, lower price.
    fn step(&self, rules: &Rules, i: usize, t: TimeMs) -> Vec<Event> {
        let (Some(ps), Some((step, _)), Some(lot_rules)) = (
            rules.format.rules().price_steps(),
            self.steps[i],
            rules.lots.get(i),
        ) else {
            return Vec::new();
        };
        let lot = LotIx(i as u32);
        let next = |events: &mut Vec<Event>| {
            if let Some(price) = ps.price(lot_rules, step + 1) {
                events.push(Event::PriceOffered {
                    lot,
                    at: t,
                    price,
                    step: step + 1,
                });
            }
        };
        let mut events = Vec::new();
        if !ps.must_confirm() {
            next(&mut events);
            return events;
        }
        let confirmed = &self.confirmed[i];
        if confirmed.is_empty() {
            return self.close(rules, i, t);
        }
        for s in self.active[i].iter().filter(|s| !confirmed.contains(s)) {
            events.push(Event::BidderDropped {
                lot,
                at: t,
                supplier: *s,
                step,
            });
        }
        let at_floor = ps.last_step(lot_rules).is_none_or(|last| step >= last);
        if confirmed.len() <= lot_rules.winners as usize || at_floor {
            events.extend(self.close(rules, i, t));
        } else {
            next(&mut events);
        }
        events
    }

    /// Sealed rounds: the round of lot `i` closes at `t` and its bids are opened. The best
    /// score improved, or another round in a row did not; after `stable_rounds` such rounds,
    /// or the last round, the lot closes; otherwise the next round opens at once.
    fn round_end(&self, rules: &Rules, i: usize, t: TimeMs) -> Vec<Event> {
        let (Some(r), Some(round)) = (rules.format.rules().rounds(), self.rounds[i]) else {
            return Vec::new();
        };
        let lot = LotIx(i as u32);
        let best = self.best[i];
        let improved = match (best, round.best) {
            (Some(now), Some(before)) => now < before,
            (Some(_), None) => true,
            (None, _) => false,
        };
        let stable = if improved { 0 } else { round.stable + 1 };
        let mut events = vec![Event::RoundClosed {
            lot,
            at: t,
            round: round.number,
            best,
            stable,
        }];
        if stable >= r.stable_rounds || round.number >= r.rounds_max {
            events.extend(self.close(rules, i, t));
        } else {
            events.push(Event::RoundOpened {
                lot,
                at: t,
                round: round.number + 1,
                ends_at: t.saturating_add(r.duration_ms),
            });
        }
        events
    }

    /// Lot `i` closes at `t` (its deadline, or a Dutch acceptance): the close, the next serial
    /// lot's opening or scheduling, and the auction's close after its last lot.
    fn close(&self, rules: &Rules, i: usize, t: TimeMs) -> Vec<Event> {
        let mut events = vec![Event::LotClosed {
            lot: LotIx(i as u32),
            at: t,
        }];
        if let LotTiming::Serial {
            duration_ms,
            gap_ms,
        } = rules.timing
            && i + 1 < self.lots.len()
            && self.lots[i + 1].0 == LotPhase::Scheduled
        {
            if gap_ms == 0 {
                events.extend(self.open_lot(rules, i + 1, t, t + duration_ms));
            } else {
                events.push(Event::LotScheduled {
                    lot: LotIx(i as u32 + 1),
                    at: t,
                    opens_at: t + gap_ms,
                });
            }
        }
        let all_closed = self.lots.iter().enumerate().all(|(j, l)| {
            j == i
                || matches!(
                    l.0,
                    LotPhase::Closed | LotPhase::Awarded | LotPhase::Terminated
                )
        });
        if all_closed {
            events.push(Event::AuctionClosed { at: t });
        }
        events
    }

    fn apply(&mut self, event: &Event) {
        match event {
            Event::AuctionOpened { .. } => self.phase = AuctionPhase::Open,
            Event::AuctionClosed { .. } => self.phase = AuctionPhase::Closed,
            Event::LotOpened { lot, deadline, .. } => {
                self.lots[lot.ix()] = (LotPhase::Open, None, Some(*deadline));
            }
            Event::LotScheduled { lot, opens_at, .. } => self.lots[lot.ix()].1 = Some(*opens_at),
            Event::LotClosed { lot, .. } => {
                self.lots[lot.ix()].0 = LotPhase::Closed;
                self.steps[lot.ix()] = None;
            }
            Event::PriceOffered { lot, at, step, .. } => {
                self.steps[lot.ix()] = Some((*step, *at));
                self.confirmed[lot.ix()].clear();
            }
            Event::BidderDropped { lot, supplier, .. } => {
                self.active[lot.ix()].retain(|s| s != supplier);
            }
            Event::RoundOpened {
                lot,
                round,
                ends_at,
                ..
            } => {
                let before = self.rounds[lot.ix()];
                self.rounds[lot.ix()] = Some(RoundState {
                    number: *round,
                    ends_at: *ends_at,
                    stable: before.map_or(0, |r| r.stable),
                    best: before.and_then(|r| r.best),
                });
            }
            Event::TurnRoundOpened { lot, .. }
            | Event::TurnStarted { lot, .. }
            | Event::TurnEnded { lot, .. } => {
                if let Some(turns) = self.turns.get_mut(lot.ix()) {
                    apply_turn(turns, event);
                }
            }
            Event::SupplierDisqualified { supplier, .. } => {
                for ranked in &mut self.ranked {
                    ranked.retain(|r| r.2 != *supplier);
                }
            }
            Event::BidAccepted(b) => {
                if let Some(ranked) = self.ranked.get_mut(b.lot.ix()) {
                    ranked.retain(|r| r.2 != b.supplier);
                    let at = ranked.partition_point(|r| (r.0, r.1) < (b.score, b.seq));
                    ranked.insert(at, (b.score, b.seq, b.supplier));
                }
            }
            Event::RoundClosed {
                lot, best, stable, ..
            } => {
                if let Some(r) = &mut self.rounds[lot.ix()] {
                    r.stable = *stable;
                    r.best = *best;
                    // Closed: nothing due until the next round opens.
                    r.ends_at = TimeMs::MAX;
                }
            }
            _ => {}
        }
    }
}
