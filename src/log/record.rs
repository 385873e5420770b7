//! The log's records: canonical JSON lines, hash-chained. `docs/log-format.md` is the spec; this
//! module is its implementation, and the two must agree (tests check the worked example).
//!
//! A record is one JSON object on one line, ended by `\n`. Canonical form: keys sorted by their
//! bytes (serde_json's default map), no whitespace, integers for times and sequence numbers,
//! money and scores as decimal strings, no floats. Every record carries `prev`, the SHA-256 (hex)
//! of the previous record's line without its `\n`; the first record's `prev` is 64 zeros.

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::core::*;

pub const FORMAT: &str = "veiling-log/1";
pub const ZERO_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Longest record line accepted when reading, in bytes (a header carries the whole config).
pub const RECORD_BYTES_MAX: usize = 8 * 1024 * 1024;
/// Longest text in an input (client bid id, reason, message) that is logged; a longer one is
/// refused before it reaches the core, so every record stays far below [`RECORD_BYTES_MAX`].
pub const INPUT_TEXT_BYTES_MAX: usize = 64 * 1024;

/// The longest text field of a command, in bytes.
pub fn longest_text(command: &Command) -> usize {
    match command {
        Command::Tick
        | Command::Approve { .. }
        | Command::Keep { .. }
        | Command::InitialBid { .. } => 0,
        Command::PlaceBid { client_bid_id, .. } => client_bid_id.len(),
        Command::Act { action, reason, .. } => match action {
            Action::Message { text } => text.len().max(reason.len()),
            _ => reason.len(),
        },
        Command::Decline { reason, .. } => reason.len(),
    }
}

/// Live or practice: the two never share a log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Live,
    Practice,
    /// A tender's log (qualification, admission, award): `docs/tender.md`.
    Tender,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Live => "live",
            Mode::Practice => "practice",
            Mode::Tender => "tender",
        }
    }
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(Sha256::digest(bytes).as_slice())
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    text.as_bytes()
        .chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

/// The serialised line of a JSON value (no trailing newline).
pub fn line_of(value: &Value) -> Vec<u8> {
    // Serialising a Value cannot fail: its map keys are strings.
    serde_json::to_vec(value).unwrap_or_default()
}

/// Names for indices: the log speaks in config ids, never in indices.
pub struct Names<'a> {
    pub rules: &'a Rules,
}

impl Names<'_> {
    /// A party's id; an index the config does not have (a caller's error, refused by the core)
    /// is written `#N`, so that the record still replays.
    fn id_or_index(id: Option<&str>, ix: u32) -> Value {
        Value::String(id.map_or_else(|| format!("#{ix}"), str::to_string))
    }
    fn supplier(&self, s: SupplierIx) -> Value {
        Self::id_or_index(self.rules.suppliers.get(s.ix()).map(|x| x.id.as_str()), s.0)
    }
    fn lot(&self, l: LotIx) -> Value {
        Self::id_or_index(self.rules.lots.get(l.ix()).map(|x| x.id.as_str()), l.0)
    }
    fn auctioneer(&self, a: AuctioneerIx) -> Value {
        Self::id_or_index(
            self.rules.auctioneers.get(a.ix()).map(|x| x.id.as_str()),
            a.0,
        )
    }
    fn find<'b>(list: impl Iterator<Item = &'b str>, id: &str) -> Option<u32> {
        if let Some(ix) = id.strip_prefix('#') {
            return ix.parse().ok();
        }
        list.enumerate()
            .find(|(_, x)| *x == id)
            .map(|(i, _)| i as u32)
    }
    pub fn supplier_ix(&self, id: &str) -> Option<SupplierIx> {
        Self::find(self.rules.suppliers.iter().map(|s| s.id.as_str()), id).map(SupplierIx)
    }
    pub fn lot_ix(&self, id: &str) -> Option<LotIx> {
        Self::find(self.rules.lots.iter().map(|s| s.id.as_str()), id).map(LotIx)
    }
    pub fn auctioneer_ix(&self, id: &str) -> Option<AuctioneerIx> {
        Self::find(self.rules.auctioneers.iter().map(|s| s.id.as_str()), id).map(AuctioneerIx)
    }
}

fn dec(d: Decimal) -> Value {
    Value::String(d.to_string())
}

fn decs(ds: &[Decimal]) -> Value {
    Value::Array(ds.iter().map(|d| dec(*d)).collect())
}

/// Who sent an input: `system` (ticks), `supplier:ID` or `auctioneer:ID`. Identity comes from
/// the session, never from a message body, so it is recorded apart from the command.
pub fn who(command: &Command, names: &Names<'_>) -> String {
    let id = |v: Value| v.as_str().unwrap_or("?").to_string();
    match command {
        Command::Tick | Command::InitialBid { .. } => "system".into(),
        Command::PlaceBid { supplier, .. } | Command::Keep { supplier, .. } => {
            format!("supplier:{}", id(names.supplier(*supplier)))
        }
        Command::Act { by, .. } | Command::Approve { by, .. } | Command::Decline { by, .. } => {
            format!("auctioneer:{}", id(names.auctioneer(*by)))
        }
    }
}

/// An action as JSON: `{"op": ..., ...}` (without the reason).
pub fn action_json(action: &Action, names: &Names<'_>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("op".into(), action.name().into());
    match action {
        Action::Pause | Action::Resume | Action::Terminate => {}
        Action::Extend { lot, by_ms } => {
            m.insert("lot".into(), names.lot(*lot));
            m.insert("by_ms".into(), (*by_ms).into());
        }
        Action::VoidBid { bid } => {
            m.insert("bid".into(), (*bid).into());
        }
        Action::Disqualify { supplier } => {
            m.insert("supplier".into(), names.supplier(*supplier));
        }
        Action::Message { text } => {
            m.insert("text".into(), text.clone().into());
        }
        Action::Award { lot } => {
            m.insert("lot".into(), names.lot(*lot));
        }
    }
    m
}

/// A command as JSON (the identity is in `who`).
pub fn command_json(command: &Command, names: &Names<'_>) -> Value {
    match command {
        Command::Tick => json!({"op": "tick"}),
        Command::PlaceBid {
            lot,
            client_bid_id,
            offer,
            ..
        } => {
            let mut m = Map::new();
            m.insert("op".into(), "bid".into());
            m.insert("lot".into(), names.lot(*lot));
            m.insert("client_bid_id".into(), client_bid_id.clone().into());
            match offer {
                Offer::Total(t) => m.insert("price".into(), dec(*t)),
                Offer::Lines(l) => m.insert("lines".into(), decs(l)),
            };
            Value::Object(m)
        }
        Command::Keep { lot, .. } => json!({"op": "keep", "lot": names.lot(*lot)}),
        Command::InitialBid {
            supplier,
            lot,
            offer,
        } => {
            let mut m = Map::new();
            m.insert("op".into(), "initial_bid".into());
            m.insert("lot".into(), names.lot(*lot));
            m.insert("supplier".into(), names.supplier(*supplier));
            match offer {
                Offer::Total(t) => m.insert("price".into(), dec(*t)),
                Offer::Lines(l) => m.insert("lines".into(), decs(l)),
            };
            Value::Object(m)
        }
        Command::Act { action, reason, .. } => {
            let mut m = action_json(action, names);
            m.insert("reason".into(), reason.clone().into());
            Value::Object(m)
        }
        Command::Approve { request, .. } => json!({"op": "approve", "request": request}),
        Command::Decline {
            request, reason, ..
        } => json!({"op": "decline", "request": request, "reason": reason}),
    }
}

/// Parse `who` and `cmd` back into a core command. `None` when anything is off (an unknown id,
/// a missing field): the record is then not one this engine wrote for this config.
pub fn parse_command(who: &str, cmd: &Value, names: &Names<'_>) -> Option<Command> {
    let op = cmd.get("op")?.as_str()?;
    let text = |k: &str| cmd.get(k).and_then(Value::as_str).map(str::to_string);
    let decimal = |v: &Value| v.as_str().and_then(crate::core::score::parse_plain_decimal);
    let (role, id) = who.split_once(':').unwrap_or((who, ""));
    let lot = || names.lot_ix(cmd.get("lot")?.as_str()?);
    let offer = || match (cmd.get("price"), cmd.get("lines")) {
        (Some(p), None) => Some(Offer::Total(decimal(p)?)),
        (None, Some(Value::Array(ls))) => Some(Offer::Lines(
            ls.iter().map(decimal).collect::<Option<Vec<_>>>()?,
        )),
        _ => None,
    };
    match (role, op) {
        ("system", "tick") => Some(Command::Tick),
        ("system", "initial_bid") => Some(Command::InitialBid {
            supplier: names.supplier_ix(cmd.get("supplier")?.as_str()?)?,
            lot: lot()?,
            offer: offer()?,
        }),
        ("supplier", "bid") => Some(Command::PlaceBid {
            supplier: names.supplier_ix(id)?,
            lot: lot()?,
            client_bid_id: text("client_bid_id")?,
            offer: offer()?,
        }),
        ("supplier", "keep") => Some(Command::Keep {
            supplier: names.supplier_ix(id)?,
            lot: lot()?,
        }),
        ("auctioneer", "approve") => Some(Command::Approve {
            by: names.auctioneer_ix(id)?,
            request: cmd.get("request")?.as_u64()?,
        }),
        ("auctioneer", "decline") => Some(Command::Decline {
            by: names.auctioneer_ix(id)?,
            request: cmd.get("request")?.as_u64()?,
            reason: text("reason")?,
        }),
        ("auctioneer", _) => {
            let action = parse_action(cmd, names)?;
            Some(Command::Act {
                by: names.auctioneer_ix(id)?,
                action,
                reason: text("reason")?,
            })
        }
        _ => None,
    }
}

fn parse_action(cmd: &Value, names: &Names<'_>) -> Option<Action> {
    let lot = || names.lot_ix(cmd.get("lot")?.as_str()?);
    Some(match cmd.get("op")?.as_str()? {
        "pause" => Action::Pause,
        "resume" => Action::Resume,
        "terminate" => Action::Terminate,
        "extend" => Action::Extend {
            lot: lot()?,
            by_ms: cmd.get("by_ms")?.as_i64()?,
        },
        "void" => Action::VoidBid {
            bid: cmd.get("bid")?.as_u64()?,
        },
        "disqualify" => Action::Disqualify {
            supplier: names.supplier_ix(cmd.get("supplier")?.as_str()?)?,
        },
        "message" => Action::Message {
            text: cmd.get("text")?.as_str()?.to_string(),
        },
        "award" => Action::Award { lot: lot()? },
        _ => return None,
    })
}

/// An event as JSON: `{"event": name, ...}`.
pub fn event_json(event: &Event, names: &Names<'_>) -> Value {
    let opt = |t: Option<TimeMs>| t.map_or(Value::Null, Value::from);
    match event {
        Event::AuctionOpened { at } => json!({"event": "auction_opened", "at": at}),
        Event::LotOpened {
            lot,
            at,
            deadline,
            hard_close,
        } => json!({"event": "lot_opened", "lot": names.lot(*lot), "at": at,
                    "deadline": deadline, "hard_close": opt(*hard_close)}),
        Event::LotScheduled { lot, at, opens_at } => {
            json!({"event": "lot_scheduled", "lot": names.lot(*lot), "at": at, "opens_at": opens_at})
        }
        Event::RoundOpened {
            lot,
            at,
            round,
            ends_at,
        } => json!({"event": "round_opened", "lot": names.lot(*lot), "at": at,
                    "round": round, "ends_at": ends_at}),
        Event::RoundClosed {
            lot,
            at,
            round,
            best,
            stable,
        } => json!({"event": "round_closed", "lot": names.lot(*lot), "at": at,
                    "round": round, "best": best.map(dec), "stable": stable}),
        Event::TurnRoundOpened {
            lot,
            at,
            round,
            order,
            starts_at,
        } => json!({"event": "turn_round_opened", "lot": names.lot(*lot), "at": at,
                    "round": round,
                    "order": order.iter().map(|s| names.supplier(*s)).collect::<Vec<_>>(),
                    "starts_at": starts_at}),
        Event::TurnStarted {
            lot,
            at,
            round,
            turn,
            supplier,
            ends_at,
        } => json!({"event": "turn_started", "lot": names.lot(*lot), "at": at,
                    "round": round, "turn": turn, "supplier": names.supplier(*supplier),
                    "ends_at": ends_at}),
        Event::TurnEnded {
            lot,
            at,
            round,
            turn,
            supplier,
            bid,
        } => json!({"event": "turn_ended", "lot": names.lot(*lot), "at": at,
                    "round": round, "turn": turn, "supplier": names.supplier(*supplier),
                    "bid": bid.map_or(Value::Null, Value::from)}),
        Event::BidderDropped {
            lot,
            at,
            supplier,
            step,
        } => json!({"event": "bidder_dropped", "lot": names.lot(*lot), "at": at,
                    "supplier": names.supplier(*supplier), "step": step}),
        Event::PriceOffered {
            lot,
            at,
            price,
            step,
        } => json!({"event": "price_offered", "lot": names.lot(*lot), "at": at,
                    "price": dec(*price), "step": step}),
        Event::BidAccepted(b) => json!({"event": "bid_accepted", "bid": b.seq, "at": b.at,
            "lot": names.lot(b.lot), "supplier": names.supplier(b.supplier),
            "client_bid_id": b.client_bid_id, "lines": decs(&b.lines),
            "total": dec(b.total), "score": dec(b.score)}),
        Event::LotExtended {
            lot,
            at,
            from,
            to,
            cause,
            extensions_used,
        } => {
            let (kind, bid, by, reason) = match cause {
                ExtensionCause::Bid { bid } => ("bid", Value::from(*bid), Value::Null, Value::Null),
                ExtensionCause::Auctioneer { by, reason } => (
                    "auctioneer",
                    Value::Null,
                    names.auctioneer(*by),
                    Value::from(reason.clone()),
                ),
            };
            json!({"event": "lot_extended", "lot": names.lot(*lot), "at": at, "from": from,
                   "to": to, "cause": kind, "bid": bid, "by": by, "reason": reason,
                   "extensions_used": extensions_used})
        }
        Event::LotClosed { lot, at } => {
            json!({"event": "lot_closed", "lot": names.lot(*lot), "at": at})
        }
        Event::AuctionClosed { at } => json!({"event": "auction_closed", "at": at}),
        Event::AuctionPaused { at, by, reason } => {
            json!({"event": "auction_paused", "at": at, "by": names.auctioneer(*by), "reason": reason})
        }
        Event::AuctionResumed {
            at,
            by,
            reason,
            paused_ms,
        } => json!({"event": "auction_resumed", "at": at, "by": names.auctioneer(*by),
                    "reason": reason, "paused_ms": paused_ms}),
        Event::ActionRequested {
            request,
            at,
            by,
            action,
            reason,
        } => json!({"event": "action_requested", "request": request, "at": at,
                    "by": names.auctioneer(*by), "action": Value::Object(action_json(action, names)),
                    "reason": reason}),
        Event::ActionApproved { request, at, by } => {
            json!({"event": "action_approved", "request": request, "at": at, "by": names.auctioneer(*by)})
        }
        Event::ActionDeclined {
            request,
            at,
            by,
            reason,
        } => json!({"event": "action_declined", "request": request, "at": at,
                    "by": names.auctioneer(*by), "reason": reason}),
        Event::BidVoided {
            bid,
            lot,
            supplier,
            at,
            by,
            reason,
        } => json!({"event": "bid_voided", "bid": bid, "lot": names.lot(*lot),
                    "supplier": names.supplier(*supplier), "at": at,
                    "by": names.auctioneer(*by), "reason": reason}),
        Event::SupplierDisqualified {
            supplier,
            at,
            by,
            reason,
        } => json!({"event": "supplier_disqualified", "supplier": names.supplier(*supplier),
                    "at": at, "by": names.auctioneer(*by), "reason": reason}),
        Event::MessageSent { at, by, text } => {
            json!({"event": "message_sent", "at": at, "by": names.auctioneer(*by), "text": text})
        }
        Event::AuctionTerminated { at, by, reason } => {
            json!({"event": "auction_terminated", "at": at, "by": names.auctioneer(*by), "reason": reason})
        }
        Event::LotAwarded {
            lot,
            at,
            by,
            reason,
            winners,
            reserve_met,
        } => {
            let winners: Vec<Value> = winners
                .iter()
                .map(|w| {
                    json!({"rank": w.rank, "supplier": names.supplier(w.supplier),
                                "bid": w.bid, "total": dec(w.total), "score": dec(w.score)})
                })
                .collect();
            json!({"event": "lot_awarded", "lot": names.lot(*lot), "at": at,
                   "by": names.auctioneer(*by), "reason": reason, "winners": winners,
                   "reserve_met": reserve_met.map_or(Value::Null, Value::from)})
        }
        Event::AuctionAwarded { at } => json!({"event": "auction_awarded", "at": at}),
    }
}

/// A rejection as JSON: `{"code": ..., ...the numbers that explain it}`.
pub fn rejection_json(r: &Rejection, names: &Names<'_>) -> Value {
    use Rejection::*;
    let line = |l: &Option<usize>| l.map_or(Value::Null, |l| Value::from(l + 1));
    let mut v = match r {
        TimeWentBack { at, clock } => json!({"at": at, "clock": clock}),
        SeqWentBack { seq, last } => json!({"seq": seq, "last": last}),
        TickDue { deadline } => json!({"deadline": deadline}),
        UnknownSupplier { supplier } => json!({"supplier": supplier.0}),
        UnknownAuctioneer { by } => json!({"auctioneer": by.0}),
        UnknownLot { lot } => json!({"lot": lot.0}),
        NotAdmittedToLot { supplier, lot } => {
            json!({"supplier": names.supplier(*supplier), "lot": names.lot(*lot)})
        }
        Disqualified { supplier } | AlreadyDisqualified { supplier } => {
            json!({"supplier": names.supplier(*supplier)})
        }
        AuctionNotOpen | AuctionPaused | AuctionEnded | TotalExpected | PriceOutOfRange
        | ReasonRequired | NotPaused | NoTurns => json!({}),
        InitialBidRefused { supplier, lot } => {
            json!({"supplier": names.supplier(*supplier), "lot": names.lot(*lot)})
        }
        LotNotOpen { lot }
        | LotNotClosed { lot }
        | LotAlreadyAwarded { lot }
        | NotYourTurn { lot } => {
            json!({"lot": names.lot(*lot)})
        }
        LotClosed { lot, deadline } => json!({"lot": names.lot(*lot), "deadline": deadline}),
        BidTooSoon {
            last_at,
            next_allowed_at,
        } => json!({"last_at": last_at, "next_allowed_at": next_allowed_at}),
        ClientBidIdReused { original } => json!({"original": original}),
        ClientBidIdInvalid { len, max } | TextTooLong { len, max } => {
            json!({"len": len, "max": max})
        }
        LinesExpected { lines } => json!({"lines": lines}),
        LineCountMismatch { expected, got } => json!({"expected": expected, "got": got}),
        NotPositive { line: l, offered } => json!({"line": line(l), "offered": dec(*offered)}),
        TooManyDecimals {
            line: l,
            offered,
            decimals_max,
        } => json!({"line": line(l), "offered": dec(*offered), "decimals_max": decimals_max}),
        AboveCeiling { offered, ceiling } => {
            json!({"offered": dec(*offered), "ceiling": dec(*ceiling)})
        }
        BelowFloor { offered, floor } => json!({"offered": dec(*offered), "floor": dec(*floor)}),
        DecrementTooSmall {
            offered,
            required_max,
            reference,
        } => json!({"offered": dec(*offered), "required_max": dec(*required_max),
                    "reference": dec(*reference)}),
        ScoreDecrementTooSmall {
            score,
            required_max,
            best,
        } => json!({"score": dec(*score), "required_max": dec(*required_max), "best": dec(*best)}),
        DropTooLarge {
            offered,
            minimum,
            previous,
        } => {
            json!({"offered": dec(*offered), "minimum": dec(*minimum), "previous": dec(*previous)})
        }
        TieAtBest { score } => json!({"score": dec(*score)}),
        BidLimitReached { bids_max } => json!({"bids_max": bids_max}),
        AlreadyBid { bid } => json!({"bid": bid}),
        NotOfferedPrice { offered, price } => {
            json!({"offered": dec(*offered), "price": dec(*price)})
        }
        DroppedOut { lot } => json!({"lot": names.lot(*lot)}),
        AlreadyConfirmed { price } => json!({"price": dec(*price)}),
        ExtensionOutOfRange { by_ms, max_ms } => json!({"by_ms": by_ms, "max_ms": max_ms}),
        UnknownBid { bid } | BidAlreadyVoided { bid } => json!({"bid": bid}),
        UnknownRequest { request }
        | SelfApproval { request }
        | PendingRequest { request }
        | AlreadyRequested { request } => json!({"request": request}),
        TooManyPending { pending_max } => json!({"pending_max": pending_max}),
    };
    if let Value::Object(m) = &mut v {
        m.insert("code".into(), r.code().into());
    }
    v
}

pub fn outcome_json(outcome: &Outcome, names: &Names<'_>) -> Value {
    match outcome {
        Outcome::Accepted(events) => {
            json!({"accepted": events.iter().map(|e| event_json(e, names)).collect::<Vec<_>>()})
        }
        Outcome::Rejected(r) => json!({"rejected": rejection_json(r, names)}),
        Outcome::Repeated { bid } => json!({"repeated": {"bid": bid}}),
    }
}

/// The first record of a log: everything needed to verify and replay it.
pub fn header_line(
    auction: &str,
    mode: Mode,
    at: TimeMs,
    config_text: &str,
    pubkey_hex: &str,
    schedule_shift_ms: i64,
) -> Vec<u8> {
    let mut header = json!({
        "seq": 0, "prev": ZERO_HASH, "kind": "header", "at": at,
        "format": FORMAT, "engine": concat!("veiling/", env!("CARGO_PKG_VERSION")),
        "auction": auction, "mode": mode.name(),
        "config_sha256": sha256_hex(config_text.as_bytes()), "config": config_text,
        "pubkey": pubkey_hex,
    });
    // Present only when the schedule was moved (`veiling serve --start-in`).
    if schedule_shift_ms != 0 {
        header["schedule_shift_ms"] = json!(schedule_shift_ms);
    }
    line_of(&header)
}

/// One input and its outcome.
pub fn input_line(prev: &str, input: &Input, outcome: &Outcome, names: &Names<'_>) -> Vec<u8> {
    if let Some(line) = accepted_bid_line(prev, input, outcome, names) {
        return line;
    }
    input_line_of_value(prev, input, outcome, names)
}

/// [`input_line`] built as a `serde_json::Value` and serialised: the definition of every record's
/// bytes (keys in sorted order, as `serde_json`'s map keeps them).
pub fn input_line_of_value(
    prev: &str,
    input: &Input,
    outcome: &Outcome,
    names: &Names<'_>,
) -> Vec<u8> {
    line_of(&json!({
        "seq": input.seq, "prev": prev, "kind": "input", "at": input.at,
        "who": who(&input.command, names), "cmd": command_json(&input.command, names),
        "outcome": outcome_json(outcome, names),
    }))
}

/// The commonest record, an accepted bid whose outcome is only its `bid_accepted` event, written
/// straight to bytes: byte for byte what [`input_line_of_value`] gives (a test compares them on
/// every record of simulated auctions), without building and dropping a tree of maps. Building
/// the tree was 80% of replaying a log (callgrind, docs/performance.md). `None` for any other
/// record.
fn accepted_bid_line(
    prev: &str,
    input: &Input,
    outcome: &Outcome,
    names: &Names<'_>,
) -> Option<Vec<u8>> {
    use std::io::Write as _;
    let Command::PlaceBid {
        supplier,
        lot,
        client_bid_id,
        offer,
    } = &input.command
    else {
        return None;
    };
    let Outcome::Accepted(events) = outcome else {
        return None;
    };
    let [Event::BidAccepted(b)] = events.as_slice() else {
        return None;
    };
    let lot_id = names.rules.lots.get(lot.ix())?.id.as_str();
    let supplier_id = names.rules.suppliers.get(supplier.ix())?.id.as_str();
    let b_lot = names.rules.lots.get(b.lot.ix())?.id.as_str();
    let b_supplier = names.rules.suppliers.get(b.supplier.ix())?.id.as_str();
    let mut out = Vec::with_capacity(512 + prev.len());
    // JSON strings escaped as serde_json escapes them; decimals need no escaping.
    let string = |out: &mut Vec<u8>, s: &str| serde_json::to_writer(&mut *out, s);
    let decimals = |out: &mut Vec<u8>, ds: &[Decimal]| {
        out.push(b'[');
        for (i, d) in ds.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            quoted_decimal(out, *d);
        }
        out.push(b']');
    };
    // Keys in sorted order: at, cmd, kind, outcome, prev, seq, who.
    let _ = write!(out, "{{\"at\":{},\"cmd\":{{\"client_bid_id\":", input.at);
    string(&mut out, client_bid_id).ok()?;
    match offer {
        Offer::Total(t) => {
            out.extend_from_slice(b",\"lot\":");
            string(&mut out, lot_id).ok()?;
            out.extend_from_slice(b",\"op\":\"bid\",\"price\":");
            quoted_decimal(&mut out, *t);
            out.push(b'}');
        }
        Offer::Lines(l) => {
            out.extend_from_slice(b",\"lines\":");
            decimals(&mut out, l);
            out.extend_from_slice(b",\"lot\":");
            string(&mut out, lot_id).ok()?;
            out.extend_from_slice(b",\"op\":\"bid\"}");
        }
    }
    // The event's keys: at, bid, client_bid_id, event, lines, lot, score, supplier, total.
    let _ = write!(
        out,
        ",\"kind\":\"input\",\"outcome\":{{\"accepted\":[{{\"at\":{},\"bid\":{},\"client_bid_id\":",
        b.at, b.seq
    );
    string(&mut out, &b.client_bid_id).ok()?;
    out.extend_from_slice(b",\"event\":\"bid_accepted\",\"lines\":");
    decimals(&mut out, &b.lines);
    out.extend_from_slice(b",\"lot\":");
    string(&mut out, b_lot).ok()?;
    out.extend_from_slice(b",\"score\":");
    quoted_decimal(&mut out, b.score);
    out.extend_from_slice(b",\"supplier\":");
    string(&mut out, b_supplier).ok()?;
    out.extend_from_slice(b",\"total\":");
    quoted_decimal(&mut out, b.total);
    out.extend_from_slice(b"}]},\"prev\":");
    string(&mut out, prev).ok()?;
    let _ = write!(out, ",\"seq\":{},\"who\":", input.seq);
    string(&mut out, &format!("supplier:{supplier_id}")).ok()?;
    out.push(b'}');
    Some(out)
}

/// `"D"`, with D as `Decimal`'s `Display` writes it (all digits of its scale), from the mantissa:
/// several times cheaper than `Display`, which was most of the direct record's cost.
fn quoted_decimal(out: &mut Vec<u8>, d: Decimal) {
    use std::io::Write as _;
    let mantissa = d.mantissa();
    if mantissa == 0 {
        // Zero, maybe negative zero: leave the sign to `Display`.
        let _ = write!(out, "\"{d}\"");
        return;
    }
    let scale = d.scale() as usize;
    let digits = mantissa.unsigned_abs().to_string();
    out.push(b'"');
    if mantissa < 0 {
        out.push(b'-');
    }
    if scale == 0 {
        out.extend_from_slice(digits.as_bytes());
    } else if digits.len() > scale {
        let (int, frac) = digits.split_at(digits.len() - scale);
        out.extend_from_slice(int.as_bytes());
        out.push(b'.');
        out.extend_from_slice(frac.as_bytes());
    } else {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', scale - digits.len()));
        out.extend_from_slice(digits.as_bytes());
    }
    out.push(b'"');
}

/// The exact bytes a checkpoint signature covers.
pub fn checkpoint_message(
    auction: &str,
    head_seq: Seq,
    head: &str,
    at: TimeMs,
    last: bool,
) -> Vec<u8> {
    let last = u8::from(last);
    format!("veiling-checkpoint/1\n{auction}\n{head_seq}\n{head}\n{at}\n{last}\n").into_bytes()
}

/// A signed checkpoint over the record before it (`prev` = `head`, that record's hash), which is
/// the input `head_seq`. A checkpoint is an annotation of the chain, not an input: it has no
/// `seq` of its own, so inputs are numbered the same with or without a log. `last`: the final
/// checkpoint, written when the auction reaches its final phase; it seals the log, and nothing
/// may follow it.
pub fn checkpoint_line(
    prev: &str,
    head_seq: Seq,
    at: TimeMs,
    auction: &str,
    last: bool,
    key: &ed25519_dalek::SigningKey,
) -> Vec<u8> {
    use ed25519_dalek::Signer;
    let sig = key.sign(&checkpoint_message(auction, head_seq, prev, at, last));
    line_of(&json!({
        "prev": prev, "kind": "checkpoint", "at": at,
        "head_seq": head_seq, "head": prev, "final": last, "sig": hex(&sig.to_bytes()),
    }))
}

#[cfg(test)]
mod quoted_decimal_tests {
    use super::*;

    #[test]
    fn quoted_decimal_writes_what_display_writes() {
        let mut n = 0x9E37_79B9_7F4A_7C15u64;
        let mut cases = vec![
            Decimal::new(0, 2),
            Decimal::new(-0, 0),
            Decimal::new(5, 2),
            Decimal::new(-5, 4),
            Decimal::new(899_999_000, 2),
            Decimal::new(1, 28),
            Decimal::MAX,
            Decimal::MIN,
            Decimal::new(120, 0),
        ];
        for _ in 0..5000 {
            n ^= n << 13;
            n ^= n >> 7;
            n ^= n << 17;
            let m = (n >> 8) as i64 * if n.is_multiple_of(3) { -1 } else { 1 };
            cases.push(Decimal::new(m >> (n % 50), (n % 29) as u32));
        }
        for d in cases {
            let mut out = Vec::new();
            quoted_decimal(&mut out, d);
            assert_eq!(String::from_utf8(out).unwrap(), format!("\"{d}\""), "{d:?}");
        }
    }
}
