//! The wire protocol: JSON text messages with a `type` tag (`docs/protocol.md`).
//!
//! The message tables [`CLIENT`] and [`SERVER`] are the single source of truth: client messages
//! are checked against them before anything else reads them, every message the server builds is
//! checked against them in debug builds, and `docs/protocol.schema.json` is generated from them
//! (a test keeps the file equal to [`schema`]). Wire types are separate from core types: ids are
//! the config's strings, money is a decimal string, times are integer milliseconds since the
//! Unix epoch (UTC).

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::creds::Role;
use crate::config::AuctionConfig;
use crate::core::view::{LotStatus, alias_label};
use crate::core::*;
use crate::log::record::{Names, rejection_json};
use crate::render::Renderer;

/// A field's JSON shape.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Str,
    Int,
    Bool,
    /// A decimal number as a string (`"1234.50"`): money and scores are never JSON numbers.
    Money,
    MoneyList,
    Obj,
    Arr,
    /// A client's request id: a string of at most [`REQ_ID_CHARS_MAX`] characters or an integer.
    ReqId,
    /// One of these strings.
    Enum(&'static [&'static str]),
}

#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub doc: &'static str,
}

#[derive(Clone, Copy, Debug)]
pub struct MsgSpec {
    pub ty: &'static str,
    pub doc: &'static str,
    pub fields: &'static [Field],
}

const fn req(name: &'static str, kind: Kind, doc: &'static str) -> Field {
    Field {
        name,
        kind,
        required: true,
        doc,
    }
}
const fn opt(name: &'static str, kind: Kind, doc: &'static str) -> Field {
    Field {
        name,
        kind,
        required: false,
        doc,
    }
}

pub const REQ_ID_CHARS_MAX: usize = 64;

const REQ_ID: Field = opt(
    "req_id",
    Kind::ReqId,
    "Echoed in the reply. A string of at most 64 characters or an integer.",
);
const SEQ: Field = req(
    "seq",
    Kind::Int,
    "The number of the log input this message reports (notices) or the last input applied \
     (state, welcome).",
);
const AT: Field = req(
    "at",
    Kind::Int,
    "When it happened, ms since the Unix epoch (UTC).",
);

/// Who a notice is about: auctioneers and the auditor see the supplier id, observers an alias.
const SUPPLIER_ID: Field = opt(
    "supplier",
    Kind::Str,
    "Auctioneers and the auditor: the supplier id.",
);
const BIDDER_ALIAS: Field = opt("alias", Kind::Str, "Observers: the bidder's alias.");

pub const ACTIONS: &[&str] = &[
    "pause",
    "resume",
    "extend",
    "void",
    "disqualify",
    "message",
    "terminate",
    "award",
];

/// Messages a client sends.
pub const CLIENT: &[MsgSpec] = &[
    MsgSpec {
        ty: "auth",
        doc: "First message of every connection, within the authentication time limit.",
        fields: &[
            REQ_ID,
            req(
                "token",
                Kind::Str,
                "The participant's token from credentials.json.",
            ),
            opt(
                "resume_from",
                Kind::Int,
                "The last notice seq this client saw: the welcome is followed by every notice \
                 after it (when the server still holds them).",
            ),
        ],
    },
    MsgSpec {
        ty: "ping",
        doc: "Time sync; answered with pong.",
        fields: &[
            REQ_ID,
            opt(
                "client_time",
                Kind::Int,
                "The client's clock, echoed in the pong.",
            ),
        ],
    },
    MsgSpec {
        ty: "bid",
        doc: "A supplier's bid on a lot: a total price or one unit price per line item.",
        fields: &[
            REQ_ID,
            req("lot", Kind::Str, "Lot id."),
            req(
                "client_bid_id",
                Kind::Str,
                "The client's id for this bid (1-64 bytes). A retry with the same id and offer \
                 returns the original acceptance; never reuse it for another offer.",
            ),
            opt(
                "price",
                Kind::Money,
                "The total price (lots without line items).",
            ),
            opt(
                "lines",
                Kind::MoneyList,
                "Unit prices, one per line item in the config's order.",
            ),
        ],
    },
    MsgSpec {
        ty: "keep",
        doc: "Turn-based rounds: a supplier keeps its price in its turn, which ends the turn.",
        fields: &[REQ_ID, req("lot", Kind::Str, "Lot id.")],
    },
    MsgSpec {
        ty: "act",
        doc: "An auctioneer's action; destructive ones may wait for a second auctioneer.",
        fields: &[
            REQ_ID,
            req("action", Kind::Enum(ACTIONS), "The action."),
            req("reason", Kind::Str, "Why (mandatory; goes on the record)."),
            opt("lot", Kind::Str, "extend, award: the lot id."),
            opt(
                "by_s",
                Kind::Int,
                "extend: seconds to add to the lot's deadline.",
            ),
            opt("bid", Kind::Int, "void: the bid's seq."),
            opt("supplier", Kind::Str, "disqualify: the supplier id."),
            opt("text", Kind::Str, "message: the text sent to everyone."),
        ],
    },
    MsgSpec {
        ty: "approve",
        doc: "A second auctioneer approves a pending request.",
        fields: &[REQ_ID, req("request", Kind::Int, "The request's seq.")],
    },
    MsgSpec {
        ty: "decline",
        doc: "An auctioneer withdraws or refuses a pending request.",
        fields: &[
            REQ_ID,
            req("request", Kind::Int, "The request's seq."),
            req("reason", Kind::Str, "Why."),
        ],
    },
    MsgSpec {
        ty: "state",
        doc: "Ask for a fresh snapshot (answered with a state message).",
        fields: &[REQ_ID],
    },
    MsgSpec {
        ty: "tender_state",
        doc: "Tender sessions (a tender token): ask for the tender as your role sees it \
              (answered with tender_state).",
        fields: &[REQ_ID],
    },
    MsgSpec {
        ty: "tender_register",
        doc: "Tender sessions, candidates: register for the tender (answered with tender_result).",
        fields: &[REQ_ID],
    },
    MsgSpec {
        ty: "tender_submit",
        doc: "Tender sessions, candidates: your submission (the same JSON as the uploaded file: \
              answers per criterion, and initial prices in turn-based rounds). A later one \
              replaces it. Answered with tender_result.",
        fields: &[
            REQ_ID,
            req("submission", Kind::Obj, "The submission (docs/tender.md)."),
        ],
    },
    MsgSpec {
        ty: "tender_ask",
        doc: "Tender sessions, candidates: a question for the nota van inlichtingen (answered \
              with tender_result; the answer goes to every candidate without who asked).",
        fields: &[REQ_ID, req("text", Kind::Str, "The question.")],
    },
];

/// Messages the server sends.
pub const SERVER: &[MsgSpec] = &[
    MsgSpec {
        ty: "welcome",
        doc: "Answer to auth: who you are and a snapshot of what your role may see.",
        fields: &[
            REQ_ID,
            req(
                "role",
                Kind::Enum(&["auctioneer", "supplier", "observer", "auditor"]),
                "Your role.",
            ),
            req("id", Kind::Str, "Your participant id."),
            req("auction", Kind::Str, "The auction id."),
            req("title", Kind::Str, "The auction's title."),
            req(
                "mode",
                Kind::Enum(&["live", "practice"]),
                "Live or practice auction.",
            ),
            req(
                "format",
                Kind::Enum(&[
                    "english",
                    "sealed_bid",
                    "dutch",
                    "japanese",
                    "sealed_rounds",
                    "turns",
                ]),
                "The auction format (docs/config.md): what a bidder may do and see.",
            ),
            req(
                "server_time",
                Kind::Int,
                "The server's clock, ms since the epoch.",
            ),
            req("seq", Kind::Int, "The last input applied to the snapshot."),
            req(
                "resumed",
                Kind::Enum(&["none", "complete", "snapshot_only"]),
                "none: no resume_from; complete: every notice after resume_from follows; \
                 snapshot_only: the server no longer holds them all, rely on the snapshot.",
            ),
            req("state", Kind::Obj, "The snapshot (see the state message)."),
            opt(
                "confirm_drop_percent",
                Kind::Money,
                "Suppliers: a bidder client should ask for confirmation before a bid that \
                 falls more than this percentage below your own standing total.",
            ),
        ],
    },
    MsgSpec {
        ty: "tender_welcome",
        doc: "Answer to auth with a tender token: who you are and the tender as your role sees it.",
        fields: &[
            REQ_ID,
            req(
                "role",
                Kind::Enum(&["auctioneer", "supplier", "observer", "auditor"]),
                "Your role.",
            ),
            req("id", Kind::Str, "Your participant id."),
            req("tender", Kind::Str, "The tender's id."),
            req("state", Kind::Obj, "The tender (as GET /tender gives it)."),
        ],
    },
    MsgSpec {
        ty: "tender_state",
        doc: "The tender as your role sees it (as GET /tender gives it).",
        fields: &[REQ_ID, req("state", Kind::Obj, "The tender.")],
    },
    MsgSpec {
        ty: "tender_result",
        doc: "What came of a tender step: accepted, or refused on the record.",
        fields: &[
            REQ_ID,
            req(
                "accepted",
                Kind::Bool,
                "Accepted (false: refused, and recorded).",
            ),
            req(
                "records",
                Kind::Arr,
                "Each record the step made: {seq, hash, outcome} (the outcome as logged).",
            ),
            req("message", Kind::Str, "What happened, in words."),
        ],
    },
    MsgSpec {
        ty: "pong",
        doc: "Answer to ping.",
        fields: &[
            REQ_ID,
            opt("client_time", Kind::Int, "Echoed from the ping."),
            req(
                "server_time",
                Kind::Int,
                "The server's clock, ms since the epoch.",
            ),
        ],
    },
    MsgSpec {
        ty: "state",
        doc: "A snapshot of what your role may see. Sent on changes, coalesced: only the latest.",
        fields: &[
            REQ_ID,
            SEQ,
            req("server_time", Kind::Int, "The server's clock."),
            req("state", Kind::Obj, "The snapshot."),
        ],
    },
    MsgSpec {
        ty: "accepted",
        doc: "Your bid is accepted and durable in the log.",
        fields: &[
            REQ_ID,
            SEQ,
            req(
                "receipt",
                Kind::Obj,
                "{seq, hash}: the log record's SHA-256; keep it to prove the bid later.",
            ),
            req(
                "bid",
                Kind::Int,
                "The bid's number (the seq of the input that placed it).",
            ),
            req("lot", Kind::Str, "Lot id."),
            req("client_bid_id", Kind::Str, "As sent."),
            req("total", Kind::Money, "The total price."),
            req("score", Kind::Money, "The ranking score (lower is better)."),
            opt(
                "lines",
                Kind::MoneyList,
                "Unit prices, for lots with line items.",
            ),
            opt("rank", Kind::Int, "Your rank on the lot now."),
            opt("deadline", Kind::Int, "The lot's deadline now."),
            req(
                "repeated",
                Kind::Bool,
                "A retry of an already accepted bid: this is the original acceptance.",
            ),
        ],
    },
    MsgSpec {
        ty: "rejected",
        doc: "The auction's rules refused your input; it is logged, and nothing changed.",
        fields: &[
            REQ_ID,
            SEQ,
            req("receipt", Kind::Obj, "{seq, hash} of the logged refusal."),
            req(
                "reason",
                Kind::Str,
                "Stable reason code (docs/protocol.md lists them).",
            ),
            req("details", Kind::Obj, "The numbers that explain it."),
            req("message", Kind::Str, "A human explanation."),
        ],
    },
    MsgSpec {
        ty: "done",
        doc: "Your auctioneer command, or your keep (turn-based rounds), is accepted and durable.",
        fields: &[
            REQ_ID,
            SEQ,
            req("receipt", Kind::Obj, "{seq, hash}."),
            req(
                "pending",
                Kind::Bool,
                "The action waits for a second auctioneer's approval (request = seq).",
            ),
        ],
    },
    MsgSpec {
        ty: "error",
        doc: "The message did not reach the auction (nothing was logged or changed).",
        fields: &[
            REQ_ID,
            req(
                "code",
                Kind::Str,
                "Stable error code (docs/protocol.md lists them).",
            ),
            req("message", Kind::Str, "A human explanation."),
            opt(
                "retry_after_ms",
                Kind::Int,
                "rate_limited: when the next message will be taken.",
            ),
        ],
    },
    MsgSpec {
        ty: "phase",
        doc: "The auction or a lot changed phase.",
        fields: &[
            SEQ,
            AT,
            opt("lot", Kind::Str, "The lot, for a lot's phase."),
            req(
                "phase",
                Kind::Enum(&["open", "scheduled", "closed", "awarded"]),
                "The new phase.",
            ),
            opt("deadline", Kind::Int, "A lot that opened: its deadline."),
            opt("opens_at", Kind::Int, "A scheduled lot: when it opens."),
        ],
    },
    MsgSpec {
        ty: "extended",
        doc: "A lot's deadline moved.",
        fields: &[
            SEQ,
            AT,
            req("lot", Kind::Str, "Lot id."),
            req("from", Kind::Int, "The old deadline."),
            req("to", Kind::Int, "The new deadline."),
            req(
                "cause",
                Kind::Enum(&["soft_close", "auctioneer"]),
                "A bid in the soft-close window, or an auctioneer.",
            ),
            opt("reason", Kind::Str, "The auctioneer's reason."),
            req(
                "extensions_used",
                Kind::Int,
                "Soft-close extensions so far.",
            ),
        ],
    },
    MsgSpec {
        ty: "price",
        doc: "Dutch auction: a lot offers a new price; the first bid of exactly it wins the lot.",
        fields: &[
            SEQ,
            AT,
            req("lot", Kind::Str, "Lot id."),
            req("price", Kind::Money, "The price the lot offers from now."),
            req("step", Kind::Int, "Its step number: 0 at the opening."),
        ],
    },
    MsgSpec {
        ty: "paused",
        doc: "The auction is paused: no bids; deadlines move by the paused time.",
        fields: &[
            SEQ,
            AT,
            req("reason", Kind::Str, "The auctioneer's reason."),
        ],
    },
    MsgSpec {
        ty: "resumed",
        doc: "The auction runs again.",
        fields: &[
            SEQ,
            AT,
            req("reason", Kind::Str, "The auctioneer's reason."),
            req("paused_ms", Kind::Int, "How long it was paused."),
        ],
    },
    MsgSpec {
        ty: "bid_voided",
        doc: "An auctioneer voided a bid; ranks are recomputed.",
        fields: &[
            SEQ,
            AT,
            req("lot", Kind::Str, "Lot id."),
            req("yours", Kind::Bool, "For a supplier: it was your bid."),
            opt(
                "bid",
                Kind::Int,
                "The bid (to its supplier, observers by alias, auctioneers).",
            ),
            BIDDER_ALIAS,
            SUPPLIER_ID,
            opt("reason", Kind::Str, "The reason (not to other suppliers)."),
        ],
    },
    MsgSpec {
        ty: "disqualified",
        doc: "A supplier was disqualified (sent to that supplier, observers, auctioneers).",
        fields: &[
            SEQ,
            AT,
            opt("you", Kind::Bool, "For a supplier: it is you."),
            opt("alias", Kind::Str, "Observers: the alias."),
            SUPPLIER_ID,
            req("reason", Kind::Str, "The reason."),
        ],
    },
    MsgSpec {
        ty: "round",
        doc: "Sealed rounds: a round of a lot opened, or closed (its bids are opened: the next \
              state shows everyone's rank).",
        fields: &[
            SEQ,
            AT,
            req("lot", Kind::Str, "Lot id."),
            req("round", Kind::Int, "The round's number, from 1."),
            req(
                "phase",
                Kind::Enum(&["open", "closed"]),
                "Opened or closed.",
            ),
            opt("ends_at", Kind::Int, "An opened round: when it closes."),
        ],
    },
    MsgSpec {
        ty: "turn",
        doc: "Turn-based rounds: a round's order was fixed (round_opened), a turn started, or a \
              turn ended (the next state shows the price it left). Suppliers learn only whether \
              a turn is theirs.",
        fields: &[
            SEQ,
            AT,
            req("lot", Kind::Str, "Lot id."),
            req("round", Kind::Int, "The round's number, from 1."),
            req(
                "phase",
                Kind::Enum(&["round_opened", "started", "ended"]),
                "What happened.",
            ),
            opt(
                "turn",
                Kind::Int,
                "started, ended: the turn's number in the round, from 1.",
            ),
            opt(
                "turns",
                Kind::Int,
                "round_opened: how many turns the round has.",
            ),
            opt(
                "starts_at",
                Kind::Int,
                "round_opened: when its first turn starts (later after a pause).",
            ),
            opt(
                "ends_at",
                Kind::Int,
                "started: when the turn ends at the latest.",
            ),
            opt(
                "yours",
                Kind::Bool,
                "Suppliers, started and ended: the turn is yours.",
            ),
            opt(
                "your_turn",
                Kind::Int,
                "Suppliers, round_opened: your turn's number in the round (absent: none).",
            ),
            opt(
                "kept",
                Kind::Bool,
                "ended: the price was kept (by keep, or the time ran out) rather than lowered.",
            ),
            opt(
                "bid",
                Kind::Int,
                "ended with a bid, auctioneers and the auditor: its seq.",
            ),
            opt("alias", Kind::Str, "Observers: the bidder's alias."),
            opt(
                "order",
                Kind::Arr,
                "round_opened, auctioneers and the auditor: the supplier ids in turn order; \
                 observers: their aliases.",
            ),
            SUPPLIER_ID,
        ],
    },
    MsgSpec {
        ty: "dropped",
        doc: "Japanese auction: a bidder did not confirm a price and is out of the lot for good \
              (sent to that supplier, observers, auctioneers).",
        fields: &[
            SEQ,
            AT,
            req("lot", Kind::Str, "Lot id."),
            req("step", Kind::Int, "The price step it did not confirm."),
            opt("you", Kind::Bool, "For a supplier: it is you."),
            opt("alias", Kind::Str, "Observers: the alias."),
            SUPPLIER_ID,
        ],
    },
    MsgSpec {
        ty: "message",
        doc: "A message from the auctioneer to everyone.",
        fields: &[SEQ, AT, req("text", Kind::Str, "The text.")],
    },
    MsgSpec {
        ty: "terminated",
        doc: "The auction was terminated; nothing more is accepted.",
        fields: &[SEQ, AT, req("reason", Kind::Str, "The reason.")],
    },
    MsgSpec {
        ty: "result",
        doc: "A lot was awarded.",
        fields: &[
            SEQ,
            AT,
            req("lot", Kind::Str, "Lot id."),
            opt("won", Kind::Bool, "Suppliers: you are among the winners."),
            opt("rank", Kind::Int, "Suppliers: your final rank, if you bid."),
            opt(
                "winners",
                Kind::Arr,
                "Observers (aliases) and auctioneers (supplier ids): [{rank, total, score, ...}].",
            ),
            opt(
                "reserve_met",
                Kind::Bool,
                "Observers and auctioneers, with a reserve.",
            ),
        ],
    },
    MsgSpec {
        ty: "bid",
        doc: "Observers, auctioneers, auditor: a bid was accepted.",
        fields: &[
            SEQ,
            AT,
            req("lot", Kind::Str, "Lot id."),
            BIDDER_ALIAS,
            SUPPLIER_ID,
            req("total", Kind::Money, "Total."),
            req("score", Kind::Money, "Score."),
        ],
    },
    MsgSpec {
        ty: "request",
        doc: "Auctioneers and auditor: an action waits for a second auctioneer.",
        fields: &[
            SEQ,
            AT,
            req("by", Kind::Str, "The requesting auctioneer."),
            req("action", Kind::Obj, "The action, as in the log."),
            req("reason", Kind::Str, "The reason."),
        ],
    },
    MsgSpec {
        ty: "request_settled",
        doc: "Auctioneers and auditor: a pending request was approved or declined.",
        fields: &[
            SEQ,
            AT,
            req("request", Kind::Int, "The request's seq."),
            req("by", Kind::Str, "The auctioneer who settled it."),
            req(
                "approved",
                Kind::Bool,
                "Approved (and executed) or declined.",
            ),
            opt("reason", Kind::Str, "Declined: why."),
        ],
    },
];

/// A message refused before it reached the auction: a stable code and a human explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireError {
    pub code: &'static str,
    pub message: String,
}

impl WireError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        WireError {
            code,
            message: message.into(),
        }
    }
}

/// Every error code, with when it is sent (the protocol document lists the same).
pub const ERROR_CODES: &[(&str, &str)] = &[
    ("bad_json", "The message is not a JSON object."),
    (
        "bad_message",
        "A field is missing, unknown or of the wrong type.",
    ),
    ("unknown_type", "No message has this type."),
    ("not_authenticated", "The first message must be auth."),
    ("already_authenticated", "A second auth on one connection."),
    (
        "auth_failed",
        "Unknown token (the connection is closed with 1008).",
    ),
    (
        "auth_timeout",
        "No auth within the time limit (closed with 1008).",
    ),
    ("forbidden", "Your role may not send this."),
    ("unknown_lot", "No lot has this id."),
    ("unknown_supplier", "No supplier has this id."),
    ("bad_price", "A price is not a plain decimal string."),
    ("bad_action", "The action lacks a field it needs."),
    (
        "rate_limited",
        "Too many messages; retry after retry_after_ms.",
    ),
    ("overloaded", "The auction's input queue is full; retry."),
    (
        "too_many_connections",
        "Your participant has the most connections allowed.",
    ),
    ("log_sealed", "The auction has ended and its log is sealed."),
    (
        "unavailable",
        "The auction halted (its log failed) or the server is stopping.",
    ),
];

/// A parsed client message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientMsg {
    Auth {
        token: String,
        resume_from: Option<Seq>,
    },
    Ping {
        client_time: Option<i64>,
    },
    Bid {
        lot: String,
        client_bid_id: String,
        price: Option<String>,
        lines: Option<Vec<String>>,
    },
    Act {
        action: String,
        reason: String,
        lot: Option<String>,
        by_s: Option<i64>,
        bid: Option<Seq>,
        supplier: Option<String>,
        text: Option<String>,
    },
    Keep {
        lot: String,
    },
    Approve {
        request: Seq,
    },
    Decline {
        request: Seq,
        reason: String,
    },
    State,
    TenderState,
    TenderRegister,
    TenderSubmit {
        submission: Value,
    },
    TenderAsk {
        text: String,
    },
}

fn kind_ok(kind: Kind, v: &Value) -> bool {
    match kind {
        Kind::Str => v.is_string(),
        Kind::Int => v.is_i64() || v.is_u64(),
        Kind::Bool => v.is_boolean(),
        Kind::Money => v.is_string(),
        Kind::MoneyList => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
        Kind::Obj => v.is_object(),
        Kind::Arr => v.is_array(),
        Kind::ReqId => {
            v.is_i64()
                || v.is_u64()
                || v.as_str()
                    .is_some_and(|s| s.chars().count() <= REQ_ID_CHARS_MAX)
        }
        Kind::Enum(values) => v.as_str().is_some_and(|s| values.contains(&s)),
    }
}

fn kind_name(kind: Kind) -> String {
    match kind {
        Kind::Str => "a string".into(),
        Kind::Int => "an integer".into(),
        Kind::Bool => "true or false".into(),
        Kind::Money => "a decimal string such as \"1234.50\"".into(),
        Kind::MoneyList => "an array of decimal strings".into(),
        Kind::Obj => "an object".into(),
        Kind::Arr => "an array".into(),
        Kind::ReqId => format!("a string of at most {REQ_ID_CHARS_MAX} characters or an integer"),
        Kind::Enum(values) => format!("one of {}", values.join(", ")),
    }
}

/// Check a message against a table: a known `type`, every required field, no unknown field,
/// every field of its kind. Err: the error code and what is wrong.
pub fn check(table: &'static [MsgSpec], v: &Value) -> Result<&'static MsgSpec, WireError> {
    let Some(map) = v.as_object() else {
        return Err(WireError::new("bad_json", "a message is a JSON object"));
    };
    let Some(ty) = map.get("type").and_then(Value::as_str) else {
        return Err(WireError::new(
            "bad_message",
            "a message needs a string field \"type\"",
        ));
    };
    let spec = table
        .iter()
        .find(|m| m.ty == ty)
        .ok_or_else(|| WireError::new("unknown_type", format!("unknown message type \"{ty}\"")))?;
    for (key, value) in map {
        if key == "type" {
            continue;
        }
        let Some(field) = spec.fields.iter().find(|f| f.name == key) else {
            return Err(WireError::new(
                "bad_message",
                format!("{ty}: unknown field \"{key}\""),
            ));
        };
        if !kind_ok(field.kind, value) {
            return Err(WireError::new(
                "bad_message",
                format!("{ty}.{key}: must be {}", kind_name(field.kind)),
            ));
        }
    }
    if let Some(missing) = spec
        .fields
        .iter()
        .find(|f| f.required && !map.contains_key(f.name))
    {
        return Err(WireError::new(
            "bad_message",
            format!("{ty}: missing field \"{}\"", missing.name),
        ));
    }
    Ok(spec)
}

/// The request id of a message, if it has a valid one (echoed even when the rest is bad).
pub fn req_id_of(v: &Value) -> Option<Value> {
    v.get("req_id").filter(|r| kind_ok(Kind::ReqId, r)).cloned()
}

/// Parse one client text message.
pub fn parse_client(text: &str) -> (Option<Value>, Result<ClientMsg, WireError>) {
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return (
                None,
                Err(WireError::new("bad_json", format!("not JSON: {e}"))),
            );
        }
    };
    let req_id = req_id_of(&v);
    let spec = match check(CLIENT, &v) {
        Ok(spec) => spec,
        Err(e) => return (req_id, Err(e)),
    };
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let i = |k: &str| v.get(k).and_then(Value::as_i64);
    let u = |k: &str| v.get(k).and_then(Value::as_u64);
    let msg = match spec.ty {
        "auth" => ClientMsg::Auth {
            token: s("token").unwrap_or_default(),
            resume_from: u("resume_from"),
        },
        "ping" => ClientMsg::Ping {
            client_time: i("client_time"),
        },
        "bid" => {
            let lines = v.get("lines").and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            });
            let price = s("price");
            if price.is_some() == lines.is_some() {
                return (
                    req_id,
                    Err(WireError::new(
                        "bad_message",
                        "bid: give exactly one of \"price\" and \"lines\"",
                    )),
                );
            }
            ClientMsg::Bid {
                lot: s("lot").unwrap_or_default(),
                client_bid_id: s("client_bid_id").unwrap_or_default(),
                price,
                lines,
            }
        }
        "act" => ClientMsg::Act {
            action: s("action").unwrap_or_default(),
            reason: s("reason").unwrap_or_default(),
            lot: s("lot"),
            by_s: i("by_s"),
            bid: u("bid"),
            supplier: s("supplier"),
            text: s("text"),
        },
        "approve" => ClientMsg::Approve {
            request: u("request").unwrap_or(0),
        },
        "decline" => ClientMsg::Decline {
            request: u("request").unwrap_or(0),
            reason: s("reason").unwrap_or_default(),
        },
        "keep" => ClientMsg::Keep {
            lot: s("lot").unwrap_or_default(),
        },
        "tender_state" => ClientMsg::TenderState,
        "tender_register" => ClientMsg::TenderRegister,
        "tender_submit" => ClientMsg::TenderSubmit {
            submission: v.get("submission").cloned().unwrap_or(Value::Null),
        },
        "tender_ask" => ClientMsg::TenderAsk {
            text: s("text").unwrap_or_default(),
        },
        _ => ClientMsg::State,
    };
    (req_id, Ok(msg))
}

fn money(text: &str) -> Result<Decimal, WireError> {
    crate::core::score::parse_plain_decimal(text).ok_or_else(|| {
        WireError::new(
            "bad_price",
            format!("\"{text}\" is not a plain decimal such as \"1234.50\""),
        )
    })
}

fn lot_ix(config: &AuctionConfig, id: &str) -> Result<LotIx, WireError> {
    config
        .rules
        .lots
        .iter()
        .position(|l| l.id == id)
        .map(|i| LotIx(i as u32))
        .ok_or_else(|| WireError::new("unknown_lot", format!("no lot \"{id}\"")))
}

/// Turn a parsed message into the core command it asks for, with the identity of the session
/// (never from the message). `Ok(None)`: the message is not a command (ping, state, auth).
pub fn to_command(
    msg: &ClientMsg,
    role: Role,
    config: &AuctionConfig,
) -> Result<Option<Command>, WireError> {
    let forbidden = |what: &str| {
        let article = if role.name().starts_with(['a', 'o']) {
            "an"
        } else {
            "a"
        };
        WireError::new(
            "forbidden",
            format!("{article} {} may not {what}", role.name()),
        )
    };
    match msg {
        ClientMsg::Bid {
            lot,
            client_bid_id,
            price,
            lines,
        } => {
            let Role::Supplier(supplier) = role else {
                return Err(forbidden("bid"));
            };
            let lot = lot_ix(config, lot)?;
            let offer = match (price, lines) {
                (Some(p), _) => Offer::Total(money(p)?),
                (None, Some(lines)) => {
                    Offer::Lines(lines.iter().map(|l| money(l)).collect::<Result<_, _>>()?)
                }
                (None, None) => return Err(WireError::new("bad_message", "bid: no price")),
            };
            Ok(Some(Command::PlaceBid {
                supplier,
                lot,
                client_bid_id: client_bid_id.clone(),
                offer,
            }))
        }
        ClientMsg::Keep { lot } => {
            let Role::Supplier(supplier) = role else {
                return Err(forbidden("keep a price"));
            };
            Ok(Some(Command::Keep {
                supplier,
                lot: lot_ix(config, lot)?,
            }))
        }
        ClientMsg::Act {
            action,
            reason,
            lot,
            by_s,
            bid,
            supplier,
            text,
        } => {
            let Role::Auctioneer(by) = role else {
                return Err(forbidden("act"));
            };
            let need = |field: &str| {
                WireError::new("bad_action", format!("act {action}: needs \"{field}\""))
            };
            let action = match action.as_str() {
                "pause" => Action::Pause,
                "resume" => Action::Resume,
                "extend" => Action::Extend {
                    lot: lot_ix(config, lot.as_deref().ok_or_else(|| need("lot"))?)?,
                    by_ms: by_s.ok_or_else(|| need("by_s"))?.saturating_mul(1000),
                },
                "void" => Action::VoidBid {
                    bid: bid.ok_or_else(|| need("bid"))?,
                },
                "disqualify" => {
                    let id = supplier.as_deref().ok_or_else(|| need("supplier"))?;
                    let ix = config
                        .rules
                        .suppliers
                        .iter()
                        .position(|s| s.id == id)
                        .ok_or_else(|| {
                            WireError::new("unknown_supplier", format!("no supplier \"{id}\""))
                        })?;
                    Action::Disqualify {
                        supplier: SupplierIx(ix as u32),
                    }
                }
                "message" => Action::Message {
                    text: text.clone().ok_or_else(|| need("text"))?,
                },
                "terminate" => Action::Terminate,
                _ => Action::Award {
                    lot: lot_ix(config, lot.as_deref().ok_or_else(|| need("lot"))?)?,
                },
            };
            Ok(Some(Command::Act {
                by,
                action,
                reason: reason.clone(),
            }))
        }
        ClientMsg::Approve { request } => {
            let Role::Auctioneer(by) = role else {
                return Err(forbidden("approve"));
            };
            Ok(Some(Command::Approve {
                by,
                request: *request,
            }))
        }
        ClientMsg::Decline { request, reason } => {
            let Role::Auctioneer(by) = role else {
                return Err(forbidden("decline"));
            };
            Ok(Some(Command::Decline {
                by,
                request: *request,
                reason: reason.clone(),
            }))
        }
        ClientMsg::Auth { .. } | ClientMsg::Ping { .. } | ClientMsg::State => Ok(None),
        ClientMsg::TenderState
        | ClientMsg::TenderRegister
        | ClientMsg::TenderSubmit { .. }
        | ClientMsg::TenderAsk { .. } => Err(WireError::new(
            "not_a_tender_session",
            "tender messages need a tender token (DATA_DIR/ID/tender-credentials.json)",
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Server messages.

/// Serialise a server message (checked against [`SERVER`] in debug builds).
pub fn encode(v: &Value) -> String {
    #[cfg(debug_assertions)]
    if let Err(e) = check(SERVER, v) {
        panic!("the server built a message that breaks the protocol table: {e:?}\n{v}");
    }
    v.to_string()
}

pub fn with_req_id(mut v: Value, req_id: &Option<Value>) -> Value {
    if let (Some(r), Some(map)) = (req_id, v.as_object_mut()) {
        map.insert("req_id".into(), r.clone());
    }
    v
}

pub fn error(req_id: &Option<Value>, e: &WireError) -> String {
    encode(&with_req_id(
        json!({"type": "error", "code": e.code, "message": e.message}),
        req_id,
    ))
}

pub fn rate_limited(req_id: &Option<Value>, retry_after_ms: u64) -> String {
    encode(&with_req_id(
        json!({"type": "error", "code": "rate_limited",
               "message": "too many messages; slow down", "retry_after_ms": retry_after_ms}),
        req_id,
    ))
}

pub fn pong(req_id: &Option<Value>, client_time: Option<i64>, server_time: TimeMs) -> String {
    let mut v = json!({"type": "pong", "server_time": server_time});
    if let Some(t) = client_time {
        v["client_time"] = json!(t);
    }
    encode(&with_req_id(v, req_id))
}

fn money_list(values: &[Decimal]) -> Vec<String> {
    values.iter().map(Decimal::to_string).collect()
}

fn status_json(s: &LotStatus, rules: &Rules, out: &mut Map<String, Value>) {
    let lot = &rules.lots[s.lot.ix()];
    out.insert("lot".into(), json!(lot.id));
    out.insert("name".into(), json!(lot.name));
    out.insert("phase".into(), json!(s.phase.name()));
    out.insert("paused".into(), json!(s.paused));
    if let Some(t) = s.opens_at {
        out.insert("opens_at".into(), json!(t));
    }
    if let Some(t) = s.deadline {
        out.insert("deadline".into(), json!(t));
    }
    out.insert("extensions_used".into(), json!(s.extensions_used));
    if let Some(p) = s.offered_price {
        out.insert("offered_price".into(), json!(p.to_string()));
    }
    if let Some(t) = s.next_price_at {
        out.insert("next_price_at".into(), json!(t));
    }
    if let Some((round, ends_at)) = s.round {
        out.insert("round".into(), json!(round));
        out.insert("round_ends_at".into(), json!(ends_at));
    }
    if let Some(t) = &s.turn {
        let mut turn = json!({"round": t.round, "rounds": t.rounds, "turns": t.turns});
        match t.turn {
            Some(k) => {
                turn["turn"] = json!(k);
                turn["ends_at"] = json!(t.until);
            }
            None => turn["starts_at"] = json!(t.until),
        }
        out.insert("turn".into(), turn);
    }
    if !s.published.is_empty() {
        out.insert(
            "published".into(),
            json!(
                s.published
                    .iter()
                    .map(|(total, score)| json!({"total": total.to_string(),
                                                 "score": score.to_string()}))
                    .collect::<Vec<_>>()
            ),
        );
    }
    if !lot.lines.is_empty() {
        out.insert(
            "lines".into(),
            json!(
                lot.lines
                    .iter()
                    .map(|l| json!({"id": l.id, "description": l.description,
                "unit": l.unit, "quantity": l.quantity.to_string()}))
                    .collect::<Vec<_>>()
            ),
        );
    }
    out.insert("ceiling".into(), json!(lot.ceiling.to_string()));
    out.insert("price_decimals".into(), json!(lot.price_decimals));
}

/// A supplier's snapshot: its own bids, rank and what the rules let it see. Never another
/// supplier's identity. `full`: with the list of its own bids (the welcome and an asked-for
/// `state`); the coalesced snapshots leave the list out (the client has the answers to its
/// bids), so their size does not grow with the auction.
pub fn supplier_state(auction: &Auction, supplier: SupplierIx, full: bool) -> Value {
    let rules = auction.rules();
    let view = if full {
        auction.supplier_view(supplier)
    } else {
        auction.supplier_view_lean(supplier)
    };
    let Some(view) = view else {
        return json!({});
    };
    let lots: Vec<Value> = view
        .lots
        .iter()
        .map(|l| {
            let mut m = Map::new();
            status_json(&l.status, rules, &mut m);
            m.insert("admitted".into(), json!(l.admitted));
            if let Some(rank) = l.rank {
                m.insert("rank".into(), json!(rank));
            }
            if let Some((total, score)) = l.standing {
                m.insert(
                    "standing".into(),
                    json!({"total": total.to_string(), "score": score.to_string()}),
                );
            }
            if let Some(b) = l.best_score {
                m.insert("best_score".into(), json!(b.to_string()));
            }
            if let Some(n) = l.bidder_count {
                m.insert("bidder_count".into(), json!(n));
            }
            if let Some(d) = l.max_admissible {
                m.insert("max_admissible".into(), json!(d.to_string()));
            }
            if let Some(d) = l.min_admissible {
                m.insert("min_admissible".into(), json!(d.to_string()));
            }
            if l.dropped {
                m.insert("dropped".into(), json!(true));
            }
            if let Some((k, now)) = l.my_turn {
                m.insert("your_turn".into(), json!(k));
                m.insert("your_turn_now".into(), json!(now));
            }
            if full {
                let own: Vec<Value> = l
                    .own_bids
                    .iter()
                    .map(|b| {
                        json!({"bid": b.seq, "at": b.at, "total": b.total.to_string(),
                               "score": b.score.to_string(), "lines": money_list(&b.lines),
                               "voided": b.voided})
                    })
                    .collect();
                m.insert("own_bids".into(), json!(own));
            }
            Value::Object(m)
        })
        .collect();
    json!({"phase": view.phase.name(), "disqualified": view.disqualified, "lots": lots})
}

/// The buyers' observers' snapshot: ladders under aliases.
pub fn observer_state(auction: &Auction) -> Value {
    let rules = auction.rules();
    let view = auction.observer_view();
    let lots: Vec<Value> = view
        .lots
        .iter()
        .map(|l| {
            let mut m = Map::new();
            status_json(&l.status, rules, &mut m);
            let ladder: Vec<Value> = l
                .ladder
                .iter()
                .map(|r| {
                    json!({"rank": r.rank, "alias": alias_label(r.alias), "at": r.at,
                           "total": r.total.to_string(), "score": r.score.to_string()})
                })
                .collect();
            m.insert("ladder".into(), json!(ladder));
            turn_order(auction, l.status.lot, &mut m, "alias", |s| {
                alias_label(auction.alias_of(s).unwrap_or(u32::MAX))
            });
            if let Some(met) = l.reserve_met {
                m.insert("reserve_met".into(), json!(met));
            }
            Value::Object(m)
        })
        .collect();
    json!({"phase": view.phase.name(), "lots": lots})
}

/// The auctioneers' (and auditor's) snapshot: everything, with supplier ids.
pub fn auctioneer_state(auction: &Auction) -> Value {
    let rules = auction.rules();
    let names = Names { rules };
    let view = auction.auctioneer_view();
    let lots: Vec<Value> = view
        .lots
        .iter()
        .map(|l| {
            let mut m = Map::new();
            status_json(&l.status, rules, &mut m);
            if let Some(t) = l.hard_close {
                m.insert("hard_close".into(), json!(t));
            }
            let ladder: Vec<Value> = l
                .ladder
                .iter()
                .map(|r| crate::log::ladder_row_json(r, rules))
                .collect();
            m.insert("ladder".into(), json!(ladder));
            turn_order(auction, l.status.lot, &mut m, "supplier", |s| {
                rules.suppliers[s.ix()].id.clone()
            });
            m.insert("bids_accepted".into(), json!(l.bids_accepted));
            m.insert("bids_voided".into(), json!(l.bids_voided));
            if let Some((winners, met)) = &l.award {
                m.insert(
                    "award".into(),
                    json!({"winners": winners_json(winners, rules, None), "reserve_met": met}),
                );
            }
            Value::Object(m)
        })
        .collect();
    let pending: Vec<Value> = view
        .pending
        .iter()
        .map(|p| {
            json!({"request": p.request, "at": p.at,
                   "by": rules.auctioneers[p.by.ix()].id,
                   "action": crate::log::record::action_json(&p.action, &names),
                   "reason": p.reason})
        })
        .collect();
    let disqualified: Vec<&str> = view
        .disqualified
        .iter()
        .map(|s| rules.suppliers[s.ix()].id.as_str())
        .collect();
    json!({"phase": view.phase.name(), "lots": lots, "disqualified": disqualified,
           "pending": pending})
}

/// Turn-based rounds, observers and insiders: the round's order and whose turn runs, added to
/// the lot's `turn` object (`key` and `name`: `alias` and an alias, or `supplier` and an id).
fn turn_order(
    auction: &Auction,
    lot: LotIx,
    m: &mut Map<String, Value>,
    key: &str,
    name: impl Fn(SupplierIx) -> String,
) {
    let (Some(Value::Object(turn)), Some(t)) = (
        m.get_mut("turn"),
        auction.lot(lot).and_then(|l| l.turns.as_ref()),
    ) else {
        return;
    };
    turn.insert(
        "order".into(),
        json!(t.order.iter().map(|s| name(*s)).collect::<Vec<_>>()),
    );
    if let Some((_, s)) = t.current {
        turn.insert(key.into(), json!(name(s)));
    }
}

/// Winners with supplier ids, or (for observers, `aliases`) with aliases instead.
fn winners_json(winners: &[Winner], rules: &Rules, aliases: Option<&Auction>) -> Vec<Value> {
    winners
        .iter()
        .map(|w| {
            let mut v = crate::log::winner_json(w, rules);
            if let (Some(a), Some(map)) = (aliases, v.as_object_mut()) {
                map.remove("supplier");
                map.insert(
                    "alias".into(),
                    json!(alias_label(a.alias_of(w.supplier).unwrap_or(u32::MAX))),
                );
            }
            v
        })
        .collect()
}

/// The coalesced supplier snapshots of one fan-out, written straight to text: one `state`
/// message per supplier equal (as JSON) to `state(seq, now, supplier_state(a, s, false), &None)`.
///
/// A fan-out sends every supplier its own snapshot, so its cost is per supplier. Building each as
/// a `serde_json::Value` and serialising it cost some 70 000 instructions per supplier (callgrind,
/// `docs/performance.md`), nearly all of it the lot fields every supplier sees alike: status,
/// name, lines, ceiling, and the best score and bidder count when shown. Those are serialised
/// once per lot per fan-out here and reused while they are equal; only the supplier's own fields
/// (admitted, rank, standing, admissible range) are written per supplier.
pub struct LeanSupplierStates<'a> {
    auction: &'a Auction,
    head: String,
    /// Per lot: what the fragment was written from, and the fragment (object members, no braces).
    shared: Vec<Option<(SharedLot, String)>>,
}

#[derive(PartialEq)]
struct SharedLot {
    status: LotStatus,
    best_score: Option<Decimal>,
    bidder_count: Option<u32>,
}

impl<'a> LeanSupplierStates<'a> {
    pub fn new(auction: &'a Auction, seq: Seq, server_time: TimeMs) -> Self {
        LeanSupplierStates {
            auction,
            head: format!(r#"{{"type":"state","seq":{seq},"server_time":{server_time},"state":"#),
            shared: Vec::new(),
        }
    }

    /// The `state` message for `supplier`.
    pub fn render(&mut self, supplier: SupplierIx) -> String {
        use std::fmt::Write as _;
        let Some(view) = self.auction.supplier_view_lean(supplier) else {
            return format!("{}{{}}}}", self.head);
        };
        let rules = self.auction.rules();
        let mut out = String::with_capacity(self.head.len() + 256 * view.lots.len() + 64);
        out.push_str(&self.head);
        let _ = write!(
            out,
            r#"{{"phase":"{}","disqualified":{},"lots":["#,
            view.phase.name(),
            view.disqualified
        );
        for (i, l) in view.lots.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let key = SharedLot {
                status: l.status.clone(),
                best_score: l.best_score,
                bidder_count: l.bidder_count,
            };
            let ix = l.status.lot.ix();
            if self.shared.len() <= ix {
                self.shared.resize_with(ix + 1, || None);
            }
            let slot = &mut self.shared[ix];
            if slot.as_ref().is_none_or(|(k, _)| *k != key) {
                let mut m = Map::new();
                status_json(&l.status, rules, &mut m);
                if let Some(b) = l.best_score {
                    m.insert("best_score".into(), json!(b.to_string()));
                }
                if let Some(n) = l.bidder_count {
                    m.insert("bidder_count".into(), json!(n));
                }
                let text = Value::Object(m).to_string();
                // `{...}` without its braces: the members, never empty (`lot` is always there).
                let members = text[1..text.len() - 1].to_string();
                *slot = Some((key, members));
            }
            out.push('{');
            if let Some((_, members)) = slot {
                out.push_str(members);
            }
            let _ = write!(out, r#","admitted":{}"#, l.admitted);
            if let Some(rank) = l.rank {
                let _ = write!(out, r#","rank":{rank}"#);
            }
            if let Some((total, score)) = l.standing {
                let _ = write!(
                    out,
                    r#","standing":{{"total":"{total}","score":"{score}"}}"#
                );
            }
            if let Some(d) = l.max_admissible {
                let _ = write!(out, r#","max_admissible":"{d}""#);
            }
            if let Some(d) = l.min_admissible {
                let _ = write!(out, r#","min_admissible":"{d}""#);
            }
            if l.dropped {
                out.push_str(r#","dropped":true"#);
            }
            if let Some((k, now)) = l.my_turn {
                let _ = write!(out, r#","your_turn":{k},"your_turn_now":{now}"#);
            }
            out.push('}');
        }
        out.push_str("]}}");
        #[cfg(debug_assertions)]
        if let Err(e) = serde_json::from_str::<Value>(&out)
            .map_err(|e| format!("{e}"))
            .and_then(|v| check(SERVER, &v).map(|_| ()).map_err(|e| format!("{e:?}")))
        {
            panic!("a lean snapshot breaks the protocol table: {e}\n{out}");
        }
        out
    }
}

pub fn state(seq: Seq, server_time: TimeMs, state: Value, req_id: &Option<Value>) -> String {
    encode(&with_req_id(
        json!({"type": "state", "seq": seq, "server_time": server_time, "state": state}),
        req_id,
    ))
}

pub fn snapshot_for(auction: &Auction, role: Role, full: bool) -> Value {
    match role {
        Role::Supplier(s) => supplier_state(auction, s, full),
        Role::Observer(_) => observer_state(auction),
        Role::Auctioneer(_) | Role::Auditor => auctioneer_state(auction),
    }
}

pub struct Receipted<'a> {
    pub seq: Seq,
    pub hash: &'a str,
}

fn receipt_json(r: &Receipted<'_>) -> Value {
    json!({"seq": r.seq, "hash": r.hash})
}

/// The answer to a bid that was accepted (or repeated: `repeated` is the original bid).
pub fn accepted(
    req_id: &Option<Value>,
    receipt: &Receipted<'_>,
    auction: &Auction,
    bid: Seq,
    repeated: bool,
) -> String {
    let rules = auction.rules();
    let mut v = json!({"type": "accepted", "seq": receipt.seq, "receipt": receipt_json(receipt),
                       "bid": bid, "repeated": repeated});
    if let Some(b) = auction.bid(bid) {
        let r = &b.record;
        v["lot"] = json!(rules.lots[r.lot.ix()].id);
        v["client_bid_id"] = json!(r.client_bid_id);
        v["total"] = json!(r.total.to_string());
        v["score"] = json!(r.score.to_string());
        if !r.lines.is_empty() {
            v["lines"] = json!(money_list(&r.lines));
        }
        if let Some(rank) = auction.rank_of(r.lot, r.supplier)
            && !auction.is_sealed(r.lot)
        {
            v["rank"] = json!(rank);
        }
        if let Some(d) = auction.lot(r.lot).and_then(LotState::shown_deadline) {
            v["deadline"] = json!(d);
        }
    }
    encode(&with_req_id(v, req_id))
}

pub fn rejected(
    req_id: &Option<Value>,
    receipt: &Receipted<'_>,
    r: &Rejection,
    config: &AuctionConfig,
) -> String {
    let names = Names {
        rules: &config.rules,
    };
    // The log's form of the rejection, without its code (that is `reason`).
    let mut details = rejection_json(r, &names);
    if let Some(map) = details.as_object_mut() {
        map.remove("code");
    }
    encode(&with_req_id(
        json!({"type": "rejected", "seq": receipt.seq, "receipt": receipt_json(receipt),
               "reason": r.code(), "details": details,
               "message": Renderer::new(config).rejection(r)}),
        req_id,
    ))
}

pub fn done(req_id: &Option<Value>, receipt: &Receipted<'_>, pending: bool) -> String {
    encode(&with_req_id(
        json!({"type": "done", "seq": receipt.seq, "receipt": receipt_json(receipt),
               "pending": pending}),
        req_id,
    ))
}

/// The notices one role gets for one event (none for most). Suppliers get nothing that names
/// another supplier; observers see aliases; auctioneers and the auditor see ids.
pub fn notices(seq: Seq, event: &Event, role: Role, auction: &Auction) -> Option<Value> {
    let rules = auction.rules();
    let lot_id = |l: LotIx| rules.lots[l.ix()].id.clone();
    let sup_id = |s: SupplierIx| rules.suppliers[s.ix()].id.clone();
    let alias = |s: SupplierIx| alias_label(auction.alias_of(s).unwrap_or(u32::MAX));
    let insider = matches!(role, Role::Auctioneer(_) | Role::Auditor);
    // Turns run per lot: a supplier hears only of the lots it may bid on.
    if let (
        Role::Supplier(s),
        Event::TurnRoundOpened { lot, .. }
        | Event::TurnStarted { lot, .. }
        | Event::TurnEnded { lot, .. },
    ) = (role, event)
        && !rules
            .suppliers
            .get(s.ix())
            .is_some_and(|x| x.admitted_to(*lot))
    {
        return None;
    }
    let v = match event {
        Event::AuctionOpened { at } => json!({"type": "phase", "seq": seq, "at": at,
                                              "phase": "open"}),
        Event::LotOpened {
            lot, at, deadline, ..
        } => json!({"type": "phase", "seq": seq, "at": at, "lot": lot_id(*lot), "phase": "open",
                    "deadline": deadline}),
        Event::PriceOffered {
            lot,
            at,
            price,
            step,
        } => json!({"type": "price", "seq": seq, "at": at, "lot": lot_id(*lot),
                     "price": price.to_string(), "step": step}),
        Event::LotScheduled { lot, at, opens_at } => json!({"type": "phase", "seq": seq,
            "at": at, "lot": lot_id(*lot), "phase": "scheduled", "opens_at": opens_at}),
        Event::LotClosed { lot, at } => json!({"type": "phase", "seq": seq, "at": at,
                                               "lot": lot_id(*lot), "phase": "closed"}),
        Event::AuctionClosed { at } => json!({"type": "phase", "seq": seq, "at": at,
                                              "phase": "closed"}),
        Event::AuctionAwarded { at } => json!({"type": "phase", "seq": seq, "at": at,
                                               "phase": "awarded"}),
        Event::LotExtended {
            lot,
            at,
            from,
            to,
            cause,
            extensions_used,
        } => {
            let mut v = json!({"type": "extended", "seq": seq, "at": at, "lot": lot_id(*lot),
                               "from": from, "to": to, "extensions_used": extensions_used});
            match cause {
                ExtensionCause::Bid { .. } => v["cause"] = json!("soft_close"),
                ExtensionCause::Auctioneer { reason, .. } => {
                    v["cause"] = json!("auctioneer");
                    v["reason"] = json!(reason);
                }
            }
            v
        }
        Event::AuctionPaused { at, reason, .. } => {
            json!({"type": "paused", "seq": seq, "at": at, "reason": reason})
        }
        Event::AuctionResumed {
            at,
            reason,
            paused_ms,
            ..
        } => json!({"type": "resumed", "seq": seq, "at": at, "reason": reason,
                    "paused_ms": paused_ms}),
        Event::BidVoided {
            bid,
            lot,
            supplier,
            at,
            reason,
            ..
        } => {
            let mut v = json!({"type": "bid_voided", "seq": seq, "at": at, "lot": lot_id(*lot),
                               "yours": role == Role::Supplier(*supplier)});
            match role {
                Role::Supplier(s) if s == *supplier => {
                    v["bid"] = json!(bid);
                    v["reason"] = json!(reason);
                }
                Role::Supplier(_) => {}
                // A sealed bid's void tells observers no more than it tells the suppliers.
                Role::Observer(_) if auction.is_sealed(*lot) => {}
                Role::Observer(_) => {
                    v["bid"] = json!(bid);
                    v["alias"] = json!(alias(*supplier));
                    v["reason"] = json!(reason);
                }
                Role::Auctioneer(_) | Role::Auditor => {
                    v["bid"] = json!(bid);
                    v["supplier"] = json!(sup_id(*supplier));
                    v["reason"] = json!(reason);
                }
            }
            v
        }
        Event::SupplierDisqualified {
            supplier,
            at,
            reason,
            ..
        } => {
            let mut v = json!({"type": "disqualified", "seq": seq, "at": at, "reason": reason});
            match role {
                Role::Supplier(s) if s == *supplier => v["you"] = json!(true),
                Role::Supplier(_) => return None,
                Role::Observer(_) => v["alias"] = json!(alias(*supplier)),
                Role::Auctioneer(_) | Role::Auditor => v["supplier"] = json!(sup_id(*supplier)),
            }
            v
        }
        Event::RoundOpened {
            lot,
            at,
            round,
            ends_at,
        } => json!({"type": "round", "seq": seq, "at": at, "lot": lot_id(*lot), "round": round,
                     "phase": "open", "ends_at": ends_at}),
        Event::RoundClosed { lot, at, round, .. } => json!({"type": "round", "seq": seq,
            "at": at, "lot": lot_id(*lot), "round": round, "phase": "closed"}),
        Event::TurnRoundOpened {
            lot,
            at,
            round,
            order,
            starts_at,
        } => {
            let mut v = json!({"type": "turn", "seq": seq, "at": at, "lot": lot_id(*lot),
                               "round": round, "phase": "round_opened",
                               "turns": order.len(), "starts_at": starts_at});
            match role {
                Role::Supplier(s) => {
                    if let Some(k) = order.iter().position(|x| *x == s) {
                        v["your_turn"] = json!(k + 1);
                    }
                }
                Role::Observer(_) => {
                    v["order"] = json!(order.iter().map(|s| alias(*s)).collect::<Vec<_>>());
                }
                Role::Auctioneer(_) | Role::Auditor => {
                    v["order"] = json!(order.iter().map(|s| sup_id(*s)).collect::<Vec<_>>());
                }
            }
            v
        }
        Event::TurnStarted {
            lot,
            at,
            round,
            turn,
            supplier,
            ends_at,
        } => {
            let mut v = json!({"type": "turn", "seq": seq, "at": at, "lot": lot_id(*lot),
                               "round": round, "phase": "started", "turn": turn,
                               "ends_at": ends_at});
            match role {
                Role::Supplier(s) => v["yours"] = json!(s == *supplier),
                Role::Observer(_) => v["alias"] = json!(alias(*supplier)),
                Role::Auctioneer(_) | Role::Auditor => v["supplier"] = json!(sup_id(*supplier)),
            }
            v
        }
        Event::TurnEnded {
            lot,
            at,
            round,
            turn,
            supplier,
            bid,
        } => {
            let mut v = json!({"type": "turn", "seq": seq, "at": at, "lot": lot_id(*lot),
                               "round": round, "phase": "ended", "turn": turn,
                               "kept": bid.is_none()});
            match role {
                Role::Supplier(s) => v["yours"] = json!(s == *supplier),
                Role::Observer(_) => v["alias"] = json!(alias(*supplier)),
                Role::Auctioneer(_) | Role::Auditor => {
                    v["supplier"] = json!(sup_id(*supplier));
                    if let Some(b) = bid {
                        v["bid"] = json!(b);
                    }
                }
            }
            v
        }
        Event::BidderDropped {
            lot,
            at,
            supplier,
            step,
        } => {
            let mut v = json!({"type": "dropped", "seq": seq, "at": at, "lot": lot_id(*lot),
                               "step": step});
            match role {
                Role::Supplier(s) if s == *supplier => v["you"] = json!(true),
                Role::Supplier(_) => return None,
                // A bidder who never bid has no alias yet: the observers learn only that one
                // dropped out.
                Role::Observer(_) => {
                    if auction.alias_of(*supplier).is_some() {
                        v["alias"] = json!(alias(*supplier));
                    }
                }
                Role::Auctioneer(_) | Role::Auditor => v["supplier"] = json!(sup_id(*supplier)),
            }
            v
        }
        Event::MessageSent { at, text, .. } => {
            json!({"type": "message", "seq": seq, "at": at, "text": text})
        }
        Event::AuctionTerminated { at, reason, .. } => {
            json!({"type": "terminated", "seq": seq, "at": at, "reason": reason})
        }
        Event::LotAwarded {
            lot,
            at,
            winners,
            reserve_met,
            ..
        } => {
            let mut v = json!({"type": "result", "seq": seq, "at": at, "lot": lot_id(*lot)});
            match role {
                Role::Supplier(s) => {
                    v["won"] = json!(winners.iter().any(|w| w.supplier == s));
                    if let Some(rank) = auction.rank_of(*lot, s) {
                        v["rank"] = json!(rank);
                    }
                }
                Role::Observer(_) => {
                    v["winners"] = json!(winners_json(winners, rules, Some(auction)));
                    if let Some(met) = reserve_met {
                        v["reserve_met"] = json!(met);
                    }
                }
                Role::Auctioneer(_) | Role::Auditor => {
                    v["winners"] = json!(winners_json(winners, rules, None));
                    if let Some(met) = reserve_met {
                        v["reserve_met"] = json!(met);
                    }
                }
            }
            v
        }
        // Suppliers learn of others' bids only through their snapshots (rank, best score).
        Event::BidAccepted(_) if matches!(role, Role::Supplier(_)) => return None,
        // A sealed bid is announced to nobody; the close opens them all (in the snapshots).
        Event::BidAccepted(b) if auction.is_sealed(b.lot) => return None,
        Event::BidAccepted(b) => {
            let mut v = json!({"type": "bid", "seq": seq, "at": b.at, "lot": lot_id(b.lot),
                               "total": b.total.to_string(), "score": b.score.to_string()});
            if let Role::Observer(_) = role {
                v["alias"] = json!(alias(b.supplier));
            } else {
                v["supplier"] = json!(sup_id(b.supplier));
            }
            v
        }
        Event::ActionRequested {
            request,
            at,
            by,
            action,
            reason,
        } if insider => {
            let names = Names { rules };
            json!({"type": "request", "seq": request, "at": at,
                   "by": rules.auctioneers[by.ix()].id,
                   "action": crate::log::record::action_json(action, &names), "reason": reason})
        }
        Event::ActionApproved { request, at, by } if insider => {
            json!({"type": "request_settled", "seq": seq, "at": at, "request": request,
                   "by": rules.auctioneers[by.ix()].id, "approved": true})
        }
        Event::ActionDeclined {
            request,
            at,
            by,
            reason,
        } if insider => json!({"type": "request_settled", "seq": seq, "at": at,
                               "request": request, "by": rules.auctioneers[by.ix()].id,
                               "approved": false, "reason": reason}),
        _ => return None,
    };
    Some(v)
}

/// The JSON Schema of the protocol (`docs/protocol.schema.json`), generated from the tables.
pub fn schema() -> Value {
    fn field_schema(f: &Field) -> Value {
        let mut s = match f.kind {
            Kind::Str => json!({"type": "string"}),
            Kind::Int => json!({"type": "integer"}),
            Kind::Bool => json!({"type": "boolean"}),
            Kind::Money => json!({"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"}),
            Kind::MoneyList => json!({"type": "array",
                "items": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"}}),
            Kind::Obj => json!({"type": "object"}),
            Kind::Arr => json!({"type": "array"}),
            Kind::ReqId => json!({"oneOf": [{"type": "string", "maxLength": REQ_ID_CHARS_MAX},
                                            {"type": "integer"}]}),
            Kind::Enum(values) => json!({"type": "string", "enum": values}),
        };
        s["description"] = json!(f.doc);
        s
    }
    fn message_schema(m: &MsgSpec) -> Value {
        let mut props = Map::new();
        props.insert("type".into(), json!({"const": m.ty}));
        for f in m.fields {
            props.insert(f.name.into(), field_schema(f));
        }
        let mut required = vec!["type"];
        required.extend(m.fields.iter().filter(|f| f.required).map(|f| f.name));
        json!({"type": "object", "description": m.doc, "properties": props,
               "required": required, "additionalProperties": false})
    }
    let defs = |table: &[MsgSpec], prefix: &str| -> Map<String, Value> {
        table
            .iter()
            .map(|m| (format!("{prefix}.{}", m.ty), message_schema(m)))
            .collect()
    };
    let mut all = defs(CLIENT, "client");
    all.extend(defs(SERVER, "server"));
    let refs = |table: &[MsgSpec], prefix: &str| -> Vec<Value> {
        table
            .iter()
            .map(|m| json!({"$ref": format!("#/$defs/{prefix}.{}", m.ty)}))
            .collect()
    };
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://veiling.example/protocol.schema.json",
        "title": "veiling WebSocket protocol (generated from src/server/wire.rs)",
        "description": "Every message is one JSON text frame. Client messages: oneOf client.*; \
                        server messages: oneOf server.*. See docs/protocol.md.",
        "$defs": all,
        "oneOf": [
            {"title": "client message", "oneOf": refs(CLIENT, "client")},
            {"title": "server message", "oneOf": refs(SERVER, "server")},
        ],
    })
}
