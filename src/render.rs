//! Text rendering of inputs, outcomes, standings and views, for `veiling script`, `veiling
//! simulate` and the scenario tests. Full detail (identities included): this is the auctioneer's
//! and the auditor's view, never sent to a supplier.

use std::fmt::Write;

use jiff::civil;
use rust_decimal::Decimal;

use crate::config::AuctionConfig;
use crate::core::view::alias_label;
use crate::core::*;
use crate::time::{date_of, format_clock, format_duration, format_time};

/// Names and times for one auction.
pub struct Renderer<'a> {
    pub config: &'a AuctionConfig,
    /// Times on this date print as the clock time only.
    pub home_date: Option<civil::Date>,
}

impl<'a> Renderer<'a> {
    pub fn new(config: &'a AuctionConfig) -> Self {
        Renderer {
            config,
            home_date: date_of(config.rules.opens_at, &config.time_zone),
        }
    }

    fn rules(&self) -> &Rules {
        &self.config.rules
    }

    /// A time: `10:00:05` on the opening date, `2024-09-18 10:00:05 CEST` on another.
    pub fn time(&self, ms: TimeMs) -> String {
        let tz = &self.config.time_zone;
        if date_of(ms, tz) == self.home_date {
            format_clock(ms, tz)
        } else {
            format_time(ms, tz)
        }
    }

    pub fn supplier(&self, s: SupplierIx) -> String {
        self.rules()
            .suppliers
            .get(s.ix())
            .map_or_else(|| format!("supplier#{}", s.0), |x| x.id.clone())
    }

    pub fn lot(&self, l: LotIx) -> String {
        self.rules()
            .lots
            .get(l.ix())
            .map_or_else(|| format!("lot#{}", l.0), |x| x.id.clone())
    }

    pub fn auctioneer(&self, a: AuctioneerIx) -> String {
        self.rules()
            .auctioneers
            .get(a.ix())
            .map_or_else(|| format!("auctioneer#{}", a.0), |x| x.id.clone())
    }

    /// An action as the script language writes it, without the auctioneer: `void #7`.
    pub fn action(&self, action: &Action) -> String {
        match self.action_args(action) {
            Some(args) => format!("{} {args}", action.name()),
            None => action.name().to_string(),
        }
    }

    /// The arguments that follow an action's verb, if any.
    fn action_args(&self, action: &Action) -> Option<String> {
        match action {
            Action::Pause | Action::Resume | Action::Terminate => None,
            Action::Extend { lot, by_ms } => {
                Some(format!("{} {}", self.lot(*lot), format_duration(*by_ms)))
            }
            Action::VoidBid { bid } => Some(format!("#{bid}")),
            Action::Disqualify { supplier } => Some(self.supplier(*supplier)),
            Action::Message { text } => Some(format!("text={}", quote(text))),
            Action::Award { lot } => Some(self.lot(*lot)),
        }
    }

    /// The command as the script language writes it.
    pub fn command(&self, command: &Command) -> String {
        match command {
            Command::Tick => "tick".into(),
            Command::PlaceBid {
                supplier,
                lot,
                client_bid_id,
                offer,
            } => format!(
                "bid {} {} id={} {}",
                self.supplier(*supplier),
                self.lot(*lot),
                client_bid_id,
                match offer {
                    Offer::Total(t) => format!("price={t}"),
                    Offer::Lines(lines) => format!("lines={}", join(lines)),
                }
            ),
            Command::Keep { supplier, lot } => {
                format!("keep {} {}", self.supplier(*supplier), self.lot(*lot))
            }
            Command::InitialBid {
                supplier,
                lot,
                offer,
            } => format!(
                "initial {} {} {}",
                self.supplier(*supplier),
                self.lot(*lot),
                match offer {
                    Offer::Total(t) => format!("price={t}"),
                    Offer::Lines(lines) => format!("lines={}", join(lines)),
                }
            ),
            Command::Act { by, action, reason } => {
                let args = self
                    .action_args(action)
                    .map(|a| format!(" {a}"))
                    .unwrap_or_default();
                format!(
                    "{} {}{args} reason={}",
                    action.name(),
                    self.auctioneer(*by),
                    quote(reason)
                )
            }
            Command::Approve { by, request } => {
                format!("approve {} #{request}", self.auctioneer(*by))
            }
            Command::Decline {
                by,
                request,
                reason,
            } => format!(
                "decline {} #{request} reason={}",
                self.auctioneer(*by),
                quote(reason)
            ),
        }
    }

    pub fn event(&self, event: &Event, auction: &Auction) -> String {
        match event {
            Event::AuctionOpened { .. } => "auction opened".into(),
            Event::LotOpened {
                lot,
                deadline,
                hard_close,
                ..
            } => {
                let hard = hard_close
                    .map(|h| format!(", hard close {}", self.time(h)))
                    .unwrap_or_default();
                format!(
                    "lot {} opened, deadline {}{hard}",
                    self.lot(*lot),
                    self.time(*deadline)
                )
            }
            Event::LotScheduled { lot, opens_at, .. } => {
                format!("lot {} opens at {}", self.lot(*lot), self.time(*opens_at))
            }
            Event::RoundOpened {
                lot,
                round,
                ends_at,
                ..
            } => format!(
                "lot {} round {round} opened, closes {}",
                self.lot(*lot),
                self.time(*ends_at)
            ),
            Event::RoundClosed {
                lot,
                round,
                best,
                stable,
                ..
            } => format!(
                "lot {} round {round} closed: best score {}, {stable} round(s) without improvement",
                self.lot(*lot),
                best.map_or_else(|| "none".to_string(), |b| b.to_string())
            ),
            Event::TurnRoundOpened {
                lot,
                round,
                order,
                starts_at,
                ..
            } => format!(
                "lot {} turn round {round} opened, first turn {}, order {}",
                self.lot(*lot),
                self.time(*starts_at),
                order
                    .iter()
                    .map(|s| self.supplier(*s))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            Event::TurnStarted {
                lot,
                round,
                turn,
                supplier,
                ends_at,
                ..
            } => format!(
                "lot {} round {round} turn {turn}: {} until {}",
                self.lot(*lot),
                self.supplier(*supplier),
                self.time(*ends_at)
            ),
            Event::TurnEnded {
                lot,
                round,
                turn,
                supplier,
                bid,
                ..
            } => format!(
                "lot {} round {round} turn {turn} of {} ended: {}",
                self.lot(*lot),
                self.supplier(*supplier),
                bid.map_or_else(|| "price kept".to_string(), |b| format!("bid #{b}"))
            ),
            Event::BidderDropped {
                lot,
                supplier,
                step,
                ..
            } => format!(
                "{} dropped out of lot {} (did not confirm step {step})",
                self.supplier(*supplier),
                self.lot(*lot)
            ),
            Event::PriceOffered {
                lot, price, step, ..
            } => format!("lot {} offers {price} (step {step})", self.lot(*lot)),
            Event::BidAccepted(b) => {
                let rank = auction
                    .lot(b.lot)
                    .and_then(|l| l.rank_of_bid(b.seq, b.score))
                    .map_or_else(|| "-".to_string(), |r| r.to_string());
                let lines = if b.lines.is_empty() {
                    String::new()
                } else {
                    format!(" (lines {})", join(&b.lines))
                };
                format!(
                    "bid #{} accepted: {} {} total {} score {} rank {rank}{lines}",
                    b.seq,
                    self.lot(b.lot),
                    self.supplier(b.supplier),
                    b.total,
                    b.score
                )
            }
            Event::LotExtended {
                lot,
                from,
                to,
                cause,
                extensions_used,
                ..
            } => {
                let why = match cause {
                    ExtensionCause::Bid { bid } => {
                        let cap = self
                            .soft_close()
                            .and_then(|sc| sc.extensions_max)
                            .map(|m| format!("/{m}"))
                            .unwrap_or_default();
                        format!("soft close {extensions_used}{cap}, bid #{bid}")
                    }
                    ExtensionCause::Auctioneer { by, reason } => {
                        format!("by {}: {}", self.auctioneer(*by), reason)
                    }
                };
                format!(
                    "lot {} extended {} -> {} ({why})",
                    self.lot(*lot),
                    self.time(*from),
                    self.time(*to)
                )
            }
            Event::LotClosed { lot, at } => {
                format!("lot {} closed at {}", self.lot(*lot), self.time(*at))
            }
            Event::AuctionClosed { .. } => "auction closed".into(),
            Event::AuctionPaused { by, reason, .. } => {
                format!("auction paused by {}: {reason}", self.auctioneer(*by))
            }
            Event::AuctionResumed {
                by,
                reason,
                paused_ms,
                ..
            } => format!(
                "auction resumed by {}: {reason}; deadlines moved {}",
                self.auctioneer(*by),
                format_duration(*paused_ms)
            ),
            Event::ActionRequested {
                request,
                by,
                action,
                reason,
                ..
            } => format!(
                "request #{request}: {} by {} ({reason}) waits for a second auctioneer",
                self.action(action),
                self.auctioneer(*by)
            ),
            Event::ActionApproved { request, by, .. } => {
                format!("request #{request} approved by {}", self.auctioneer(*by))
            }
            Event::ActionDeclined {
                request,
                by,
                reason,
                ..
            } => format!(
                "request #{request} declined by {}: {reason}",
                self.auctioneer(*by)
            ),
            Event::BidVoided {
                bid,
                lot,
                supplier,
                by,
                reason,
                ..
            } => format!(
                "bid #{bid} voided ({} {}) by {}: {reason}",
                self.lot(*lot),
                self.supplier(*supplier),
                self.auctioneer(*by)
            ),
            Event::SupplierDisqualified {
                supplier,
                by,
                reason,
                ..
            } => format!(
                "supplier {} disqualified by {}: {reason}",
                self.supplier(*supplier),
                self.auctioneer(*by)
            ),
            Event::MessageSent { by, text, .. } => {
                format!("message from {}: {text}", self.auctioneer(*by))
            }
            Event::AuctionTerminated { by, reason, .. } => {
                format!("auction terminated by {}: {reason}", self.auctioneer(*by))
            }
            Event::LotAwarded {
                lot,
                by,
                reason,
                winners,
                reserve_met,
                ..
            } => {
                let names = if winners.is_empty() {
                    "no winner (no standing bid)".to_string()
                } else {
                    winners
                        .iter()
                        .map(|w| {
                            format!(
                                "{}. {} (bid #{}, total {}, score {})",
                                w.rank,
                                self.supplier(w.supplier),
                                w.bid,
                                w.total,
                                w.score
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                let reserve = match reserve_met {
                    Some(true) => "; reserve met",
                    Some(false) => "; reserve NOT met",
                    None => "",
                };
                format!(
                    "lot {} awarded by {} ({reason}): {names}{reserve}",
                    self.lot(*lot),
                    self.auctioneer(*by)
                )
            }
            Event::AuctionAwarded { .. } => "auction awarded".into(),
        }
    }

    fn soft_close(&self) -> Option<&SoftClose> {
        self.rules().format.rules().soft_close()
    }

    /// `rejected [code]: explanation with the numbers`.
    pub fn rejection(&self, r: &Rejection) -> String {
        use Rejection::*;
        let why = match r {
            TimeWentBack { at, clock } => format!(
                "time {} is before the auction clock {}",
                self.time(*at),
                self.time(*clock)
            ),
            SeqWentBack { seq, last } => format!("sequence number {seq} is not after {last}"),
            TickDue { deadline } => {
                format!("a tick is due first (deadline {})", self.time(*deadline))
            }
            UnknownSupplier { supplier } => format!("unknown supplier {}", supplier.0),
            UnknownAuctioneer { by } => format!("unknown auctioneer {}", by.0),
            UnknownLot { lot } => format!("unknown lot {}", lot.0),
            NotAdmittedToLot { supplier, lot } => format!(
                "{} is not admitted to lot {}",
                self.supplier(*supplier),
                self.lot(*lot)
            ),
            Disqualified { supplier } => format!("{} is disqualified", self.supplier(*supplier)),
            AuctionNotOpen => "the auction is not open yet".into(),
            AuctionPaused => "the auction is paused".into(),
            AuctionEnded => "the auction has ended".into(),
            LotNotOpen { lot } => format!("lot {} is not open yet", self.lot(*lot)),
            LotClosed { lot, deadline } => {
                format!("lot {} closed at {}", self.lot(*lot), self.time(*deadline))
            }
            BidTooSoon {
                last_at,
                next_allowed_at,
            } => format!(
                "last bid at {}; next bid allowed at {}",
                self.time(*last_at),
                self.time(*next_allowed_at)
            ),
            ClientBidIdReused { original } => {
                format!("client bid id already used for bid #{original} with another offer")
            }
            ClientBidIdInvalid { len, max } => {
                format!("client bid id must be 1 to {max} bytes, got {len}")
            }
            LinesExpected { lines } => {
                format!("this lot has {lines} line items: give one unit price per line")
            }
            TotalExpected => "this lot has no line items: give one total price".into(),
            LineCountMismatch { expected, got } => {
                format!("expected {expected} line prices, got {got}")
            }
            NotPositive { line, offered } => {
                format!("{}{offered} is not above 0", line_prefix(*line))
            }
            TooManyDecimals {
                line,
                offered,
                decimals_max,
            } => format!(
                "{}{offered} has more than {decimals_max} decimals",
                line_prefix(*line)
            ),
            PriceOutOfRange => "the price is out of range".into(),
            AboveCeiling { offered, ceiling } => {
                format!("offered {offered} is above the ceiling {ceiling}")
            }
            BelowFloor { offered, floor } => {
                format!("offered {offered} is below the floor {floor}")
            }
            DecrementTooSmall {
                offered,
                required_max,
                reference,
            } => format!(
                "offered {offered}; must be at most {required_max} (own standing bid {reference} minus the minimum decrement)"
            ),
            ScoreDecrementTooSmall {
                score,
                required_max,
                best,
            } => format!(
                "score {score}; must be at most {required_max} (best score {best} minus the minimum decrement)"
            ),
            DropTooLarge {
                offered,
                minimum,
                previous,
            } => format!(
                "offered {offered} drops too far below own bid {previous}; at least {minimum} (typing-error guard)"
            ),
            TieAtBest { score } => {
                format!("score {score} equals the best score; ties at rank 1 are not allowed")
            }
            BidLimitReached { bids_max } => format!("at most {bids_max} bids per supplier per lot"),
            NotOfferedPrice { offered, price } => {
                format!("offered {offered}; a bid must be the price the lot offers now, {price}")
            }
            DroppedOut { lot } => format!(
                "dropped out of lot {}: a price was not confirmed in time, and that is for good",
                self.lot(*lot)
            ),
            AlreadyConfirmed { price } => format!("price {price} is already confirmed"),
            NotYourTurn { lot } => format!("it is not your turn on lot {}", self.lot(*lot)),
            NoTurns => "this auction has no turns to keep a price in".into(),
            InitialBidRefused { supplier, lot } => format!(
                "not the initial price of {} on lot {} in the rules, or not before the opening",
                self.supplier(*supplier),
                self.lot(*lot)
            ),
            AlreadyBid { bid } => {
                format!("a sealed bid is one bid per supplier per lot; yours is bid {bid}")
            }
            ReasonRequired => "a reason (or text) is required".into(),
            TextTooLong { len, max } => format!("text is {len} characters; at most {max}"),
            NotPaused => "the auction is not paused".into(),
            ExtensionOutOfRange { by_ms, max_ms } => format!(
                "extension {} must be above 0 and at most {}",
                format_duration(*by_ms),
                format_duration(*max_ms)
            ),
            UnknownBid { bid } => format!("no accepted bid #{bid}"),
            BidAlreadyVoided { bid } => format!("bid #{bid} is already voided"),
            AlreadyDisqualified { supplier } => {
                format!("{} is already disqualified", self.supplier(*supplier))
            }
            LotNotClosed { lot } => format!("lot {} has not closed", self.lot(*lot)),
            LotAlreadyAwarded { lot } => format!("lot {} is already awarded", self.lot(*lot)),
            UnknownRequest { request } => format!("no pending request #{request}"),
            SelfApproval { request } => {
                format!("request #{request} needs a different auctioneer than the one who asked")
            }
            TooManyPending { pending_max } => {
                format!("at most {pending_max} requests may wait for approval")
            }
            PendingRequest { request } => {
                format!("request #{request} could change this result: approve or decline it first")
            }
            AlreadyRequested { request } => {
                format!("the same action already waits for approval as request #{request}")
            }
        };
        format!("rejected [{}]: {why}", r.code())
    }

    /// Every line of one sequenced step: the input, then its outcome.
    pub fn step(&self, step: &sequencer::Step, auction: &Auction) -> String {
        let mut out = format!(
            "#{} {} {}\n",
            step.input.seq,
            self.time(step.input.at),
            self.command(&step.input.command)
        );
        match &step.outcome {
            Outcome::Accepted(events) => {
                for e in events {
                    let _ = writeln!(out, "  {}", self.event(e, auction));
                }
            }
            Outcome::Rejected(r) => {
                let _ = writeln!(out, "  {}", self.rejection(r));
            }
            Outcome::Repeated { bid } => {
                let since = match auction.bid(*bid) {
                    Some(b) if b.voided => " (it has since been voided)",
                    _ => "",
                };
                let _ = writeln!(
                    out,
                    "  repeated: the original outcome is bid #{bid}, accepted{since}"
                );
            }
        }
        out
    }

    /// The standings per lot: full ladder with identities, phases, extensions, award.
    pub fn standings(&self, auction: &Auction) -> String {
        let view = auction.auctioneer_view();
        let mut out = format!("standings: auction {}\n", view.phase.name());
        for (i, lot) in view.lots.iter().enumerate() {
            let lot_rules = &self.rules().lots[i];
            let timing = match (lot.status.phase, lot.status.deadline, lot.status.opens_at) {
                (LotPhase::Scheduled, _, Some(o)) => format!(", opens {}", self.time(o)),
                (_, Some(d), _) => format!(", deadline {}", self.time(d)),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "{} ({}): {}{timing}, {} extension(s), {} bid(s) accepted, {} voided",
                lot_rules.id,
                lot_rules.name,
                lot.status.phase.name(),
                lot.status.extensions_used,
                lot.bids_accepted,
                lot.bids_voided
            );
            if let (Some(t), Some(state)) = (&lot.status.turn, auction.lot(lot.status.lot))
                && let Some(ts) = &state.turns
            {
                let order: Vec<String> = ts.order.iter().map(|s| self.supplier(*s)).collect();
                let now = match ts.current {
                    Some((k, s)) => format!(
                        "turn {k} of {}: {} until {}",
                        t.turns,
                        self.supplier(s),
                        self.time(t.until)
                    ),
                    None => format!("first turn at {}", self.time(t.until)),
                };
                let _ = writeln!(
                    out,
                    "  round {} of {}, order {}; {now}",
                    t.round,
                    t.rounds,
                    order.join(" ")
                );
            }
            if lot.ladder.is_empty() {
                if auction.is_sealed(lot.status.lot) && lot.bids_accepted > 0 {
                    let _ = writeln!(out, "  bids sealed until the close");
                } else {
                    let _ = writeln!(out, "  no standing bids");
                }
            } else if auction.is_sealed(lot.status.lot) {
                let _ = writeln!(
                    out,
                    "  as the last round closed (this round's bids are sealed):"
                );
            }
            for row in &lot.ladder {
                let winning =
                    row.rank <= lot_rules.winners && lot.status.phase != LotPhase::Terminated;
                let win = if winning { " *" } else { "" };
                let _ = writeln!(
                    out,
                    "  {}. {} bid #{} at {}: total {} score {}{win}",
                    row.rank,
                    self.supplier(row.supplier),
                    row.bid,
                    self.time(row.at),
                    row.total,
                    row.score
                );
            }
            if let Some(reserve) = lot_rules.reserve {
                let met = lot.ladder.first().is_some_and(|r| r.total <= reserve);
                let _ = writeln!(
                    out,
                    "  hidden reserve {reserve}: {}",
                    if met { "met" } else { "not met" }
                );
            }
            if let Some((winners, _)) = &lot.award {
                let names: Vec<String> =
                    winners.iter().map(|w| self.supplier(w.supplier)).collect();
                let _ = writeln!(
                    out,
                    "  awarded to: {}",
                    if names.is_empty() {
                        "nobody".into()
                    } else {
                        names.join(", ")
                    }
                );
            }
        }
        for s in &view.disqualified {
            let _ = writeln!(out, "disqualified: {}", self.supplier(*s));
        }
        for p in &view.pending {
            let _ = writeln!(
                out,
                "pending request #{}: {} by {}",
                p.request,
                self.action(&p.action),
                self.auctioneer(p.by)
            );
        }
        out
    }

    /// What one supplier sees.
    pub fn supplier_view(&self, auction: &Auction, supplier: SupplierIx) -> String {
        let Some(view) = auction.supplier_view(supplier) else {
            return "unknown supplier\n".into();
        };
        let mut out = format!(
            "view of supplier {}: auction {}{}\n",
            self.supplier(supplier),
            view.phase.name(),
            if view.disqualified {
                ", DISQUALIFIED"
            } else {
                ""
            }
        );
        for lot in view.lots.iter().filter(|l| l.admitted) {
            let mut line = format!(
                "  {}: {}",
                self.lot(lot.status.lot),
                lot.status.phase.name()
            );
            if lot.status.paused {
                line.push_str(" (paused)");
            }
            if let Some(o) = lot.status.opens_at {
                let _ = write!(line, ", opens {}", self.time(o));
            }
            if let Some(d) = lot.status.deadline {
                let _ = write!(line, ", deadline {}", self.time(d));
            }
            match (lot.standing, lot.rank) {
                (Some((total, score)), Some(rank)) => {
                    let _ = write!(line, "; own bid total {total} score {score}, rank {rank}");
                }
                (Some((total, score)), None) => {
                    let _ = write!(
                        line,
                        "; own bid total {total} score {score}, sealed until the close"
                    );
                }
                (None, _) => line.push_str("; no standing bid"),
            }
            if lot.dropped {
                line.push_str("; dropped out");
            }
            if let Some(t) = &lot.status.turn {
                let _ = write!(line, "; round {} of {}", t.round, t.rounds);
                match (lot.my_turn, t.turn) {
                    (Some((_, true)), _) => {
                        let _ = write!(line, ", YOUR TURN until {}", self.time(t.until));
                    }
                    (Some((k, false)), Some(now)) => {
                        let _ = write!(line, ", turn {now} of {} running, yours is {k}", t.turns);
                    }
                    (Some((k, false)), None) => {
                        let _ = write!(
                            line,
                            ", turns start {}, yours is {k} of {}",
                            self.time(t.until),
                            t.turns
                        );
                    }
                    (None, _) => line.push_str(", no turn for you"),
                }
            }
            if !lot.status.published.is_empty() {
                let prices: Vec<String> = lot
                    .status
                    .published
                    .iter()
                    .map(|(total, _)| total.to_string())
                    .collect();
                let _ = write!(line, "; prices {}", prices.join(" "));
            }
            if let Some(best) = lot.best_score {
                let _ = write!(line, "; best score {best}");
            }
            if let Some(n) = lot.bidder_count {
                let _ = write!(line, "; {n} bidder(s)");
            }
            if let Some(max) = lot.max_admissible {
                let _ = write!(line, "; you can bid at most {max}");
            }
            if let Some(min) = lot.min_admissible {
                let _ = write!(line, " and at least {min}");
            }
            let _ = writeln!(out, "{line}");
            for b in &lot.own_bids {
                let _ = writeln!(
                    out,
                    "    bid #{} at {}: total {} score {}{}",
                    b.seq,
                    self.time(b.at),
                    b.total,
                    b.score,
                    if b.voided { " (voided)" } else { "" }
                );
            }
        }
        out
    }

    /// What a buyers' observer sees: anonymised ladders.
    pub fn observer_view(&self, auction: &Auction) -> String {
        let view = auction.observer_view();
        let mut out = format!("view of observers: auction {}\n", view.phase.name());
        for lot in &view.lots {
            let deadline = lot
                .status
                .deadline
                .map(|d| format!(", deadline {}", self.time(d)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {}: {}{deadline}",
                self.lot(lot.status.lot),
                lot.status.phase.name()
            );
            for row in &lot.ladder {
                let _ = writeln!(
                    out,
                    "    {}. Inschrijver {} at {}: total {} score {}",
                    row.rank,
                    alias_label(row.alias),
                    self.time(row.at),
                    row.total,
                    row.score
                );
            }
        }
        out
    }
}

fn line_prefix(line: Option<usize>) -> String {
    line.map(|l| format!("line {}: ", l + 1))
        .unwrap_or_default()
}

pub fn join(values: &[Decimal]) -> String {
    values
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// A string in double quotes, with `"` and `\` escaped, as the script language reads it.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
