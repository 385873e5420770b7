//! The core's vocabulary: identifiers, inputs, events and rejections.
//!
//! These are core types, not wire or log types: the server and the log translate them, so the core
//! can change without silently changing either format.

use rust_decimal::Decimal;

/// Milliseconds since the Unix epoch (UTC). The core never reads a clock: every time it sees comes
/// in with an [`Input`], and every deadline it knows goes out through `next_deadline()`.
pub type TimeMs = i64;

/// The sequence number the caller gives each input: strictly increasing, no gaps required.
/// An accepted bid is known by the sequence number of the input that placed it.
pub type Seq = u64;

/// Index of a lot in the rules (`rules.lots[i]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LotIx(pub u32);

/// Index of a supplier in the rules (`rules.suppliers[i]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SupplierIx(pub u32);

/// Index of an auctioneer in the rules (`rules.auctioneers[i]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AuctioneerIx(pub u32);

impl LotIx {
    pub fn ix(self) -> usize {
        self.0 as usize
    }
}
impl SupplierIx {
    pub fn ix(self) -> usize {
        self.0 as usize
    }
}
impl AuctioneerIx {
    pub fn ix(self) -> usize {
        self.0 as usize
    }
}

/// One input to the core: the caller's sequence number, the server receipt time, and the command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub seq: Seq,
    pub at: TimeMs,
    pub command: Command,
}

/// What a bidder offers: one total price, or one unit price per line item (ranked on the total).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Offer {
    Total(Decimal),
    Lines(Vec<Decimal>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Time has reached (or passed) `next_deadline()`: open, close, and chain what is due.
    Tick,
    /// A supplier's bid. `client_bid_id` makes it idempotent: a retry returns the original outcome.
    PlaceBid {
        supplier: SupplierIx,
        lot: LotIx,
        client_bid_id: String,
        offer: Offer,
    },
    /// Turn-based rounds: a supplier keeps its price in its turn, which ends the turn.
    Keep { supplier: SupplierIx, lot: LotIx },
    /// Turn-based rounds: the supplier's initial price on the lot (from its qualification
    /// submission, in the rules), entered before the auction opens. Not a client's command:
    /// the sequencer enters one for every admitted supplier and lot before the opening tick,
    /// so each has its own seq and its own record.
    InitialBid {
        supplier: SupplierIx,
        lot: LotIx,
        offer: Offer,
    },
    /// An auctioneer's action. The reason is mandatory and goes on the record.
    Act {
        by: AuctioneerIx,
        action: Action,
        reason: String,
    },
    /// A second auctioneer approves a pending action (four-eyes rule).
    Approve { by: AuctioneerIx, request: Seq },
    /// Any auctioneer withdraws or refuses a pending action.
    Decline {
        by: AuctioneerIx,
        request: Seq,
        reason: String,
    },
}

/// Auctioneer actions. `VoidBid`, `Disqualify` and `Terminate` need a second auctioneer's approval
/// when the rules say `four_eyes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Pause,
    Resume,
    Extend { lot: LotIx, by_ms: i64 },
    VoidBid { bid: Seq },
    Disqualify { supplier: SupplierIx },
    Message { text: String },
    Terminate,
    Award { lot: LotIx },
}

impl Action {
    /// Destructive actions that the four-eyes rule holds until a second auctioneer approves.
    pub fn needs_approval(&self) -> bool {
        matches!(
            self,
            Action::VoidBid { .. } | Action::Disqualify { .. } | Action::Terminate
        )
    }

    pub fn name(&self) -> &'static str {
        match self {
            Action::Pause => "pause",
            Action::Resume => "resume",
            Action::Extend { .. } => "extend",
            Action::VoidBid { .. } => "void",
            Action::Disqualify { .. } => "disqualify",
            Action::Message { .. } => "message",
            Action::Terminate => "terminate",
            Action::Award { .. } => "award",
        }
    }
}

/// What the core decided about one input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The input was accepted; apply these events (in order) to evolve the state.
    Accepted(Vec<Event>),
    /// The input was refused; nothing changes.
    Rejected(Rejection),
    /// A retry of an already accepted bid (same supplier, client bid id and offer): the original
    /// outcome is the acceptance of bid `bid`; nothing changes.
    Repeated { bid: Seq },
}

/// Why a soft-close extension or a manual extension happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExtensionCause {
    /// An accepted bid inside the soft-close window.
    Bid { bid: Seq },
    /// An auctioneer's `extend` action.
    Auctioneer { by: AuctioneerIx, reason: String },
}

/// An accepted bid, as it goes on the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BidRecord {
    pub seq: Seq,
    pub at: TimeMs,
    pub lot: LotIx,
    pub supplier: SupplierIx,
    pub client_bid_id: String,
    /// The unit prices, one per line item, when the lot has line items; empty otherwise.
    pub lines: Vec<Decimal>,
    /// The total price (the sum of unit price x quantity over the lines when there are lines).
    pub total: Decimal,
    /// The ranking score (lower is better), from the total and the supplier's frozen quality.
    pub score: Decimal,
}

/// A winner of a lot at award: the supplier, its standing bid, and its rank.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Winner {
    pub rank: u32,
    pub supplier: SupplierIx,
    pub bid: Seq,
    pub total: Decimal,
    pub score: Decimal,
}

/// Things that happened, in the past tense. `Auction::apply` is the only code that evolves state,
/// and it needs nothing but these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    AuctionOpened {
        at: TimeMs,
    },
    LotOpened {
        lot: LotIx,
        at: TimeMs,
        deadline: TimeMs,
        /// The latest the lot may close through soft-close extensions, when the rules cap it.
        hard_close: Option<TimeMs>,
    },
    /// Dutch auction: from `at`, the lot offers `price` (its `step`-th price, 0 at the opening);
    /// the first supplier to bid exactly this price wins the lot.
    PriceOffered {
        lot: LotIx,
        at: TimeMs,
        price: Decimal,
        step: u32,
    },
    /// Japanese auction: `supplier` did not confirm the price of `step` in time and is out of
    /// the lot for good (its bids leave the ladder).
    BidderDropped {
        lot: LotIx,
        at: TimeMs,
        supplier: SupplierIx,
        step: u32,
    },
    /// Sealed rounds: round `round` of the lot opens; it closes at `ends_at`.
    RoundOpened {
        lot: LotIx,
        at: TimeMs,
        round: u32,
        ends_at: TimeMs,
    },
    /// Sealed rounds: round `round` closed and its bids are opened: `best` is the best score
    /// then, and `stable` how many rounds in a row it has not improved.
    RoundClosed {
        lot: LotIx,
        at: TimeMs,
        round: u32,
        best: Option<Decimal>,
        stable: u32,
    },
    /// Turn-based rounds: round `round` of the lot: every bidder in `order` (worst score
    /// first) gets one turn, the first at `starts_at` (later than `at` after a pause).
    TurnRoundOpened {
        lot: LotIx,
        at: TimeMs,
        round: u32,
        order: Vec<SupplierIx>,
        starts_at: TimeMs,
    },
    /// Turn-based rounds: turn `turn` (1-based, within the round) is `supplier`'s, until
    /// `ends_at` at the latest.
    TurnStarted {
        lot: LotIx,
        at: TimeMs,
        round: u32,
        turn: u32,
        supplier: SupplierIx,
        ends_at: TimeMs,
    },
    /// Turn-based rounds: the turn ended: with the bid it placed, or with the price kept (by
    /// `keep` or when the time ran out).
    TurnEnded {
        lot: LotIx,
        at: TimeMs,
        round: u32,
        turn: u32,
        supplier: SupplierIx,
        bid: Option<Seq>,
    },
    /// A serial lot is scheduled to open when its predecessor has closed.
    LotScheduled {
        lot: LotIx,
        at: TimeMs,
        opens_at: TimeMs,
    },
    BidAccepted(Box<BidRecord>),
    LotExtended {
        lot: LotIx,
        at: TimeMs,
        from: TimeMs,
        to: TimeMs,
        cause: ExtensionCause,
        /// Soft-close extensions used so far on this lot (manual extensions do not count).
        extensions_used: u32,
    },
    LotClosed {
        lot: LotIx,
        at: TimeMs,
    },
    AuctionClosed {
        at: TimeMs,
    },
    AuctionPaused {
        at: TimeMs,
        by: AuctioneerIx,
        reason: String,
    },
    AuctionResumed {
        at: TimeMs,
        by: AuctioneerIx,
        reason: String,
        /// How long the auction was paused: every pending deadline moves by this much.
        paused_ms: i64,
    },
    ActionRequested {
        request: Seq,
        at: TimeMs,
        by: AuctioneerIx,
        action: Action,
        reason: String,
    },
    ActionApproved {
        request: Seq,
        at: TimeMs,
        by: AuctioneerIx,
    },
    ActionDeclined {
        request: Seq,
        at: TimeMs,
        by: AuctioneerIx,
        reason: String,
    },
    BidVoided {
        bid: Seq,
        lot: LotIx,
        supplier: SupplierIx,
        at: TimeMs,
        by: AuctioneerIx,
        reason: String,
    },
    SupplierDisqualified {
        supplier: SupplierIx,
        at: TimeMs,
        by: AuctioneerIx,
        reason: String,
    },
    MessageSent {
        at: TimeMs,
        by: AuctioneerIx,
        text: String,
    },
    AuctionTerminated {
        at: TimeMs,
        by: AuctioneerIx,
        reason: String,
    },
    LotAwarded {
        lot: LotIx,
        at: TimeMs,
        by: AuctioneerIx,
        reason: String,
        winners: Vec<Winner>,
        /// Whether the rank-1 price is at or below the hidden reserve; `None` without a reserve.
        reserve_met: Option<bool>,
    },
    AuctionAwarded {
        at: TimeMs,
    },
}

/// Every way an input can be refused, each with the numbers that explain it. The stable code of
/// each variant is [`Rejection::code`]; `docs/script.md` and (later) the protocol list them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    // ---- sequencing (caller errors)
    TimeWentBack {
        at: TimeMs,
        clock: TimeMs,
    },
    SeqWentBack {
        seq: Seq,
        last: Seq,
    },
    TickDue {
        deadline: TimeMs,
    },
    // ---- who
    UnknownSupplier {
        supplier: SupplierIx,
    },
    UnknownAuctioneer {
        by: AuctioneerIx,
    },
    UnknownLot {
        lot: LotIx,
    },
    NotAdmittedToLot {
        supplier: SupplierIx,
        lot: LotIx,
    },
    Disqualified {
        supplier: SupplierIx,
    },
    // ---- when
    AuctionNotOpen,
    AuctionPaused,
    AuctionEnded,
    LotNotOpen {
        lot: LotIx,
    },
    LotClosed {
        lot: LotIx,
        deadline: TimeMs,
    },
    BidTooSoon {
        last_at: TimeMs,
        next_allowed_at: TimeMs,
    },
    // ---- idempotency
    ClientBidIdReused {
        original: Seq,
    },
    ClientBidIdInvalid {
        len: usize,
        max: usize,
    },
    // ---- shape of the offer
    LinesExpected {
        lines: usize,
    },
    TotalExpected,
    LineCountMismatch {
        expected: usize,
        got: usize,
    },
    NotPositive {
        line: Option<usize>,
        offered: Decimal,
    },
    TooManyDecimals {
        line: Option<usize>,
        offered: Decimal,
        decimals_max: u32,
    },
    PriceOutOfRange,
    // ---- price rules
    AboveCeiling {
        offered: Decimal,
        ceiling: Decimal,
    },
    BelowFloor {
        offered: Decimal,
        floor: Decimal,
    },
    DecrementTooSmall {
        offered: Decimal,
        required_max: Decimal,
        reference: Decimal,
    },
    ScoreDecrementTooSmall {
        score: Decimal,
        required_max: Decimal,
        best: Decimal,
    },
    DropTooLarge {
        offered: Decimal,
        minimum: Decimal,
        previous: Decimal,
    },
    TieAtBest {
        score: Decimal,
    },
    BidLimitReached {
        bids_max: usize,
    },
    /// Single sealed bid: the supplier already has a (not voided) bid on the lot.
    AlreadyBid {
        bid: Seq,
    },
    /// Dutch and Japanese auctions: a bid must be exactly the price the lot offers now.
    NotOfferedPrice {
        offered: Decimal,
        price: Decimal,
    },
    /// Japanese auction: the supplier dropped out of the lot (it missed a price).
    DroppedOut {
        lot: LotIx,
    },
    /// Japanese auction: the supplier already confirmed the price offered now.
    AlreadyConfirmed {
        price: Decimal,
    },
    /// Turn-based rounds: it is not the supplier's turn on the lot.
    NotYourTurn {
        lot: LotIx,
    },
    /// `keep` in a format without turns.
    NoTurns,
    /// An initial bid that is not the one the rules give (wrong price, supplier or lot, not a
    /// turn-based auction, already entered, or after the opening).
    InitialBidRefused {
        supplier: SupplierIx,
        lot: LotIx,
    },
    // ---- auctioneer actions
    ReasonRequired,
    TextTooLong {
        len: usize,
        max: usize,
    },
    NotPaused,
    ExtensionOutOfRange {
        by_ms: i64,
        max_ms: i64,
    },
    UnknownBid {
        bid: Seq,
    },
    BidAlreadyVoided {
        bid: Seq,
    },
    AlreadyDisqualified {
        supplier: SupplierIx,
    },
    LotNotClosed {
        lot: LotIx,
    },
    LotAlreadyAwarded {
        lot: LotIx,
    },
    UnknownRequest {
        request: Seq,
    },
    SelfApproval {
        request: Seq,
    },
    TooManyPending {
        pending_max: usize,
    },
    /// An award waits until the requests that could change the lot's result are settled.
    PendingRequest {
        request: Seq,
    },
    /// The same action is already waiting for approval.
    AlreadyRequested {
        request: Seq,
    },
}

impl Rejection {
    /// A stable, machine-readable reason code (snake case). Never reuse or rename one.
    pub fn code(&self) -> &'static str {
        use Rejection::*;
        match self {
            TimeWentBack { .. } => "time_went_back",
            SeqWentBack { .. } => "seq_went_back",
            TickDue { .. } => "tick_due",
            UnknownSupplier { .. } => "unknown_supplier",
            UnknownAuctioneer { .. } => "unknown_auctioneer",
            UnknownLot { .. } => "unknown_lot",
            NotAdmittedToLot { .. } => "not_admitted_to_lot",
            Disqualified { .. } => "disqualified",
            AuctionNotOpen => "auction_not_open",
            AuctionPaused => "auction_paused",
            AuctionEnded => "auction_ended",
            LotNotOpen { .. } => "lot_not_open",
            LotClosed { .. } => "lot_closed",
            BidTooSoon { .. } => "bid_too_soon",
            ClientBidIdReused { .. } => "client_bid_id_reused",
            ClientBidIdInvalid { .. } => "client_bid_id_invalid",
            LinesExpected { .. } => "lines_expected",
            TotalExpected => "total_expected",
            LineCountMismatch { .. } => "line_count_mismatch",
            NotPositive { .. } => "not_positive",
            TooManyDecimals { .. } => "too_many_decimals",
            PriceOutOfRange => "price_out_of_range",
            AboveCeiling { .. } => "above_ceiling",
            BelowFloor { .. } => "below_floor",
            DecrementTooSmall { .. } => "decrement_too_small",
            ScoreDecrementTooSmall { .. } => "score_decrement_too_small",
            DropTooLarge { .. } => "drop_too_large",
            TieAtBest { .. } => "tie_at_best",
            BidLimitReached { .. } => "bid_limit_reached",
            AlreadyBid { .. } => "already_bid",
            NotOfferedPrice { .. } => "not_offered_price",
            DroppedOut { .. } => "dropped_out",
            AlreadyConfirmed { .. } => "already_confirmed",
            NotYourTurn { .. } => "not_your_turn",
            NoTurns => "no_turns",
            InitialBidRefused { .. } => "initial_bid_refused",
            ReasonRequired => "reason_required",
            TextTooLong { .. } => "text_too_long",
            NotPaused => "not_paused",
            ExtensionOutOfRange { .. } => "extension_out_of_range",
            UnknownBid { .. } => "unknown_bid",
            BidAlreadyVoided { .. } => "bid_already_voided",
            AlreadyDisqualified { .. } => "already_disqualified",
            LotNotClosed { .. } => "lot_not_closed",
            LotAlreadyAwarded { .. } => "lot_already_awarded",
            UnknownRequest { .. } => "unknown_request",
            SelfApproval { .. } => "self_approval",
            TooManyPending { .. } => "too_many_pending",
            PendingRequest { .. } => "pending_request",
            AlreadyRequested { .. } => "already_requested",
        }
    }
}

impl Event {
    /// When the event happened (for a closing lot: its deadline, not the tick that noticed it).
    pub fn at(&self) -> TimeMs {
        use Event::*;
        match self {
            BidAccepted(b) => b.at,
            AuctionOpened { at }
            | LotOpened { at, .. }
            | LotScheduled { at, .. }
            | PriceOffered { at, .. }
            | BidderDropped { at, .. }
            | RoundOpened { at, .. }
            | RoundClosed { at, .. }
            | TurnRoundOpened { at, .. }
            | TurnStarted { at, .. }
            | TurnEnded { at, .. }
            | LotExtended { at, .. }
            | LotClosed { at, .. }
            | AuctionClosed { at }
            | AuctionPaused { at, .. }
            | AuctionResumed { at, .. }
            | ActionRequested { at, .. }
            | ActionApproved { at, .. }
            | ActionDeclined { at, .. }
            | BidVoided { at, .. }
            | SupplierDisqualified { at, .. }
            | MessageSent { at, .. }
            | AuctionTerminated { at, .. }
            | LotAwarded { at, .. }
            | AuctionAwarded { at } => *at,
        }
    }
}
