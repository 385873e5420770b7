//! The tender log's records: the bid log's format (`docs/log-format.md`: header, chained input
//! records, signed checkpoints) with `mode` `tender` and the tender's own commands and events
//! (`docs/tender.md`). `veiling verify` checks a tender log like any other.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::*;
use crate::core::score::parse_plain_decimal;

/// Ids by index, for one tender's config.
pub struct TNames<'a> {
    pub tender: &'a TenderRules,
    pub rules: &'a Rules,
}

impl TNames<'_> {
    fn supplier(&self, s: SupplierIx) -> Value {
        self.rules
            .suppliers
            .get(s.ix())
            .map_or(Value::from(s.0), |x| Value::from(x.id.clone()))
    }
    fn auctioneer(&self, a: AuctioneerIx) -> Value {
        self.rules
            .auctioneers
            .get(a.ix())
            .map_or(Value::from(a.0), |x| Value::from(x.id.clone()))
    }
    fn lot(&self, l: LotIx) -> Value {
        self.rules
            .lots
            .get(l.ix())
            .map_or(Value::from(l.0), |x| Value::from(x.id.clone()))
    }
    fn criterion(&self, c: usize) -> Value {
        self.tender
            .criteria
            .get(c)
            .map_or(Value::from(c), |x| Value::from(x.id.clone()))
    }
    pub fn supplier_ix(&self, id: &str) -> Option<SupplierIx> {
        let i = self.rules.suppliers.iter().position(|s| s.id == id)?;
        Some(SupplierIx(i as u32))
    }
    pub fn auctioneer_ix(&self, id: &str) -> Option<AuctioneerIx> {
        let i = self.rules.auctioneers.iter().position(|s| s.id == id)?;
        Some(AuctioneerIx(i as u32))
    }
    pub fn lot_ix(&self, id: &str) -> Option<LotIx> {
        let i = self.rules.lots.iter().position(|s| s.id == id)?;
        Some(LotIx(i as u32))
    }
    pub fn criterion_ix(&self, id: &str) -> Option<usize> {
        self.tender.criteria.iter().position(|c| c.id == id)
    }
}

fn dec(d: Decimal) -> Value {
    Value::from(d.to_string())
}

fn offer_json(offer: &Offer) -> Value {
    match offer {
        Offer::Total(t) => dec(*t),
        Offer::Lines(l) => Value::from(l.iter().map(|d| dec(*d)).collect::<Vec<_>>()),
    }
}

/// A submission as JSON: `{"answers": {CRITERION: ANSWER}, "initial_prices": {LOT: PRICE}}`,
/// the form of the supplier's upload and of the log's `submit` command.
pub fn submission_json(sub: &Submission, names: &TNames<'_>) -> Value {
    let mut answers = Map::new();
    for (i, a) in sub.answers.iter().enumerate() {
        let Some(a) = a else { continue };
        let v = match a {
            Answer::YesNo { yes, evidence } => json!({"yes": yes, "evidence": evidence}),
            Answer::Value { value, evidence } => {
                json!({"value": value.to_string(), "evidence": evidence})
            }
            Answer::Text { text } => json!({"text": text}),
        };
        if let Some(id) = names.criterion(i).as_str() {
            answers.insert(id.to_string(), v);
        }
    }
    let mut prices = Map::new();
    for (l, o) in sub.initial.iter().enumerate() {
        if let (Some(o), Some(id)) = (o, names.lot(LotIx(l as u32)).as_str()) {
            prices.insert(id.to_string(), offer_json(o));
        }
    }
    let mut m = Map::new();
    m.insert("answers".into(), Value::Object(answers));
    if !prices.is_empty() {
        m.insert("initial_prices".into(), Value::Object(prices));
    }
    Value::Object(m)
}

/// Read a submission (an upload, or a logged `submit`), with a clear message for what is off.
/// Answers are matched to criteria by id; a missing one is left out (the tender then refuses
/// the submission as incomplete, naming it).
pub fn parse_submission(v: &Value, names: &TNames<'_>) -> Result<Submission, String> {
    let obj = v.as_object().ok_or("a submission is a JSON object")?;
    for k in obj.keys() {
        if k != "answers" && k != "initial_prices" {
            return Err(format!(
                "unknown field '{k}' (a submission has 'answers' and, for turn-based rounds, 'initial_prices')"
            ));
        }
    }
    let answers_v = obj
        .get("answers")
        .and_then(Value::as_object)
        .ok_or("'answers' must be an object: criterion id -> answer")?;
    let mut answers = vec![None; names.tender.criteria.len()];
    for (id, a) in answers_v {
        let i = names
            .criterion_ix(id)
            .ok_or_else(|| format!("answers.{id}: no such criterion"))?;
        let s = |k: &str| a.get(k).and_then(Value::as_str).map(str::to_string);
        let answer = match &names.tender.criteria[i].kind {
            CriterionKind::KnockOut { .. } => Answer::YesNo {
                yes: a
                    .get("yes")
                    .and_then(Value::as_bool)
                    .ok_or_else(|| format!("answers.{id}: give \"yes\": true or false"))?,
                evidence: s("evidence").unwrap_or_default(),
            },
            CriterionKind::Threshold { .. } => Answer::Value {
                value: s("value")
                    .as_deref()
                    .and_then(parse_plain_decimal)
                    .ok_or_else(|| {
                        format!(
                            "answers.{id}: give \"value\" as a decimal string, like \"1250000.00\""
                        )
                    })?,
                evidence: s("evidence").unwrap_or_default(),
            },
            CriterionKind::Quality { .. } => Answer::Text {
                text: s("text").ok_or_else(|| format!("answers.{id}: give \"text\""))?,
            },
        };
        answers[i] = Some(answer);
    }
    let mut initial = vec![None; names.rules.lots.len()];
    if let Some(p) = obj.get("initial_prices") {
        let p = p
            .as_object()
            .ok_or("'initial_prices' must be an object: lot id -> price")?;
        for (id, price) in p {
            let l = names
                .lot_ix(id)
                .ok_or_else(|| format!("initial_prices.{id}: no such lot"))?;
            let d = |v: &Value| v.as_str().and_then(parse_plain_decimal);
            let offer = match price {
                Value::String(_) => d(price).map(Offer::Total),
                Value::Array(items) => items
                    .iter()
                    .map(d)
                    .collect::<Option<Vec<_>>>()
                    .map(Offer::Lines),
                _ => None,
            }
            .ok_or_else(|| {
                format!("initial_prices.{id}: a decimal string, or an array of them (unit prices)")
            })?;
            initial[l.ix()] = Some(offer);
        }
    }
    Ok(Submission { answers, initial })
}

/// Who sent a tender input.
pub fn who(command: &TenderCommand, names: &TNames<'_>) -> String {
    use TenderCommand as C;
    let id = |v: Value| v.as_str().unwrap_or("?").to_string();
    match command {
        C::Register { supplier } | C::Submit { supplier, .. } | C::Ask { supplier, .. } => {
            format!("supplier:{}", id(names.supplier(*supplier)))
        }
        C::Open { by }
        | C::Answer { by, .. }
        | C::Close { by }
        | C::Evaluate { by, .. }
        | C::Publish { by, .. }
        | C::StartPractice { by }
        | C::StartLive { by }
        | C::ProposeAward { by, .. }
        | C::ConfirmAward { by } => format!("auctioneer:{}", id(names.auctioneer(*by))),
    }
}

fn lot_awards_json(lots: &[LotAward], names: &TNames<'_>) -> Value {
    Value::from(
        lots.iter()
            .map(|a| {
                json!({"lot": names.lot(a.lot),
                       "winners": a.winners.iter().map(|(rank, s, total, score)| json!({
                           "rank": rank, "supplier": names.supplier(*s),
                           "total": dec(*total), "score": dec(*score)})).collect::<Vec<_>>(),
                       "reserve_met": a.reserve_met})
            })
            .collect::<Vec<_>>(),
    )
}

pub fn command_json(command: &TenderCommand, names: &TNames<'_>) -> Value {
    use TenderCommand as C;
    match command {
        C::Open { .. } => json!({"op": "open_qualification"}),
        C::Register { .. } => json!({"op": "register"}),
        C::Submit { submission, .. } => {
            let mut v = submission_json(submission, names);
            v["op"] = json!("submit");
            v
        }
        C::Ask { text, .. } => json!({"op": "ask", "text": text}),
        C::Answer { question, text, .. } => {
            json!({"op": "answer", "question": question, "text": text})
        }
        C::Close { .. } => json!({"op": "close_qualification"}),
        C::Evaluate {
            supplier,
            criterion,
            verdict,
            motivation,
            ..
        } => {
            let mut v = json!({"op": "evaluate", "supplier": names.supplier(*supplier),
                               "criterion": names.criterion(*criterion), "motivation": motivation});
            match verdict {
                Verdict::Pass(p) => v["pass"] = json!(p),
                Verdict::Value(d) => v["value"] = dec(*d),
                Verdict::Points(p) => v["points"] = json!(p),
            }
            v
        }
        C::Publish {
            auction_config_sha256,
            ..
        } => json!({"op": "publish_admission", "auction_config_sha256": auction_config_sha256}),
        C::StartPractice { .. } => json!({"op": "start_practice"}),
        C::StartLive { .. } => json!({"op": "start_live"}),
        C::ProposeAward {
            live_head, lots, ..
        } => json!({"op": "propose_award", "live_head": live_head,
                    "lots": lot_awards_json(lots, names)}),
        C::ConfirmAward { .. } => json!({"op": "confirm_award"}),
    }
}

/// Read `who` and `cmd` back (a logged record, or a verified request): `Err` says what is off.
pub fn parse_command(who: &str, cmd: &Value, names: &TNames<'_>) -> Result<TenderCommand, String> {
    use TenderCommand as C;
    let op = cmd
        .get("op")
        .and_then(Value::as_str)
        .ok_or("the command has no 'op'")?;
    let (role, id) = who.split_once(':').unwrap_or((who, ""));
    let text = |k: &str| {
        cmd.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("{op}: '{k}' must be a string"))
    };
    let supplier = || {
        names
            .supplier_ix(id)
            .ok_or_else(|| format!("unknown supplier '{id}'"))
    };
    let by = || {
        names
            .auctioneer_ix(id)
            .ok_or_else(|| format!("unknown auctioneer '{id}'"))
    };
    Ok(match (role, op) {
        ("supplier", "register") => C::Register {
            supplier: supplier()?,
        },
        ("supplier", "submit") => {
            let mut body = cmd.clone();
            if let Some(m) = body.as_object_mut() {
                m.remove("op");
            }
            C::Submit {
                supplier: supplier()?,
                submission: parse_submission(&body, names)?,
            }
        }
        ("supplier", "ask") => C::Ask {
            supplier: supplier()?,
            text: text("text")?,
        },
        ("auctioneer", "open_qualification") => C::Open { by: by()? },
        ("auctioneer", "answer") => C::Answer {
            by: by()?,
            question: cmd
                .get("question")
                .and_then(Value::as_u64)
                .ok_or("answer: 'question' must be the question's number")?,
            text: text("text")?,
        },
        ("auctioneer", "close_qualification") => C::Close { by: by()? },
        ("auctioneer", "evaluate") => {
            let s = text("supplier")?;
            let c = text("criterion")?;
            let verdict = match (cmd.get("pass"), cmd.get("value"), cmd.get("points")) {
                (Some(Value::Bool(p)), None, None) => Verdict::Pass(*p),
                (None, Some(v), None) => Verdict::Value(
                    v.as_str()
                        .and_then(parse_plain_decimal)
                        .ok_or("evaluate: 'value' must be a decimal string")?,
                ),
                (None, None, Some(p)) => Verdict::Points(
                    p.as_u64()
                        .and_then(|p| u32::try_from(p).ok())
                        .ok_or("evaluate: 'points' must be a whole number")?,
                ),
                _ => {
                    return Err(
                        "evaluate: give exactly one of 'pass' (knock-out), 'value' (threshold), 'points' (quality)".into(),
                    );
                }
            };
            C::Evaluate {
                by: by()?,
                supplier: names
                    .supplier_ix(&s)
                    .ok_or_else(|| format!("evaluate: unknown supplier '{s}'"))?,
                criterion: names
                    .criterion_ix(&c)
                    .ok_or_else(|| format!("evaluate: unknown criterion '{c}'"))?,
                verdict,
                motivation: text("motivation")?,
            }
        }
        ("auctioneer", "publish_admission") => C::Publish {
            by: by()?,
            auction_config_sha256: text("auction_config_sha256")?,
        },
        ("auctioneer", "start_practice") => C::StartPractice { by: by()? },
        ("auctioneer", "start_live") => C::StartLive { by: by()? },
        ("auctioneer", "propose_award") => {
            let lots = cmd
                .get("lots")
                .and_then(Value::as_array)
                .ok_or("propose_award: 'lots' must be an array")?;
            let mut out = Vec::new();
            for l in lots {
                let lot = l
                    .get("lot")
                    .and_then(Value::as_str)
                    .and_then(|id| names.lot_ix(id))
                    .ok_or("propose_award: an unknown lot")?;
                let mut winners = Vec::new();
                for w in l
                    .get("winners")
                    .and_then(Value::as_array)
                    .ok_or("propose_award: 'winners'")?
                {
                    let d = |k: &str| {
                        w.get(k)
                            .and_then(Value::as_str)
                            .and_then(parse_plain_decimal)
                    };
                    winners.push((
                        w.get("rank")
                            .and_then(Value::as_u64)
                            .and_then(|r| u32::try_from(r).ok())
                            .ok_or("propose_award: a winner's 'rank'")?,
                        w.get("supplier")
                            .and_then(Value::as_str)
                            .and_then(|id| names.supplier_ix(id))
                            .ok_or("propose_award: a winner's 'supplier'")?,
                        d("total").ok_or("propose_award: a winner's 'total'")?,
                        d("score").ok_or("propose_award: a winner's 'score'")?,
                    ));
                }
                out.push(LotAward {
                    lot,
                    winners,
                    reserve_met: l.get("reserve_met").and_then(Value::as_bool),
                });
            }
            C::ProposeAward {
                by: by()?,
                live_head: text("live_head")?,
                lots: out,
            }
        }
        ("auctioneer", "confirm_award") => C::ConfirmAward { by: by()? },
        _ => return Err(format!("'{op}' is not a tender step of a {role}")),
    })
}

pub fn event_json(event: &TenderEvent, names: &TNames<'_>) -> Value {
    use TenderEvent as E;
    match event {
        E::QualificationOpened { at, by } => {
            json!({"event": "qualification_opened", "at": at, "by": names.auctioneer(*by)})
        }
        E::Registered { at, supplier } => {
            json!({"event": "registered", "at": at, "supplier": names.supplier(*supplier)})
        }
        E::Submitted {
            at,
            supplier,
            replaces,
            ..
        } => json!({"event": "submitted", "at": at, "supplier": names.supplier(*supplier),
                    "replaces": replaces}),
        E::QuestionAsked {
            at,
            question,
            supplier,
            ..
        } => json!({"event": "question_asked", "at": at, "question": question,
                    "supplier": names.supplier(*supplier)}),
        E::QuestionAnswered {
            at, question, by, ..
        } => json!({"event": "question_answered", "at": at, "question": question,
                    "by": names.auctioneer(*by)}),
        E::QualificationClosed { at, by } => {
            json!({"event": "qualification_closed", "at": at, "by": names.auctioneer(*by)})
        }
        E::Evaluated {
            at,
            by,
            supplier,
            criterion,
            passed,
            ..
        } => json!({"event": "evaluated", "at": at, "by": names.auctioneer(*by),
                    "supplier": names.supplier(*supplier),
                    "criterion": names.criterion(*criterion), "passed": passed}),
        E::AdmissionPublished {
            at,
            by,
            admitted,
            excluded,
            auction_config_sha256,
        } => {
            let admitted: Vec<Value> = admitted
                .iter()
                .map(|a| {
                    let quality: BTreeMap<String, Value> = a
                        .quality
                        .iter()
                        .enumerate()
                        .filter(|(l, _)| {
                            names
                                .rules
                                .suppliers
                                .get(a.supplier.ix())
                                .is_some_and(|s| s.admitted.get(*l).copied().unwrap_or(false))
                        })
                        .filter_map(|(l, q)| {
                            Some((names.lot(LotIx(l as u32)).as_str()?.to_string(), dec(*q)))
                        })
                        .collect();
                    json!({"supplier": names.supplier(a.supplier), "quality": quality})
                })
                .collect();
            let excluded: Vec<Value> = excluded
                .iter()
                .map(|e| json!({"supplier": names.supplier(e.supplier), "reasons": e.reasons}))
                .collect();
            json!({"event": "admission_published", "at": at, "by": names.auctioneer(*by),
                   "admitted": admitted, "excluded": excluded,
                   "auction_config_sha256": auction_config_sha256})
        }
        E::PracticeStarted { at, by, run } => json!({"event": "practice_started", "at": at,
                                                      "by": names.auctioneer(*by), "run": run}),
        E::LiveStarted { at, by } => {
            json!({"event": "live_started", "at": at, "by": names.auctioneer(*by)})
        }
        E::AwardProposed {
            at, by, live_head, ..
        } => json!({"event": "award_proposed", "at": at, "by": names.auctioneer(*by),
                    "live_head": live_head}),
        E::AwardConfirmationRequested { at, by } => json!({"event":
            "award_confirmation_requested", "at": at, "by": names.auctioneer(*by)}),
        E::AwardConfirmed { at, by } => {
            json!({"event": "award_confirmed", "at": at, "by": names.auctioneer(*by)})
        }
    }
}

pub fn rejection_json(r: &TenderRejection, names: &TNames<'_>) -> Value {
    use TenderRejection as R;
    let mut v = match r {
        R::OutOfOrder { phase, next } => json!({"phase": phase.name(), "next": next}),
        R::NotYet { opens_at } => json!({"opens_at": opens_at}),
        R::TooLate { closes_at } => json!({"closes_at": closes_at}),
        R::QuestionsClosed { closed_at } => json!({"closed_at": closed_at}),
        R::ClosesLater {
            closes_at,
            submitted,
            candidates,
        } => json!({"closes_at": closes_at, "submitted": submitted, "candidates": candidates}),
        R::NotRegistered { supplier }
        | R::AlreadyRegistered { supplier }
        | R::NoSubmission { supplier }
        | R::UnknownSupplier { supplier }
        | R::NotCandidate { supplier } => json!({"supplier": names.supplier(*supplier)}),
        R::Incomplete { missing } => json!({"missing": missing}),
        R::BadAnswer { criterion, why } | R::BadVerdict { criterion, why } => {
            json!({"criterion": criterion, "why": why})
        }
        R::TextRequired | R::SelfConfirmation => json!({}),
        R::TextTooLong { len, max } => json!({"len": len, "max": max}),
        R::TooManyQuestions { max } => json!({"max": max}),
        R::TooManySubmissions { max } => json!({"max": max}),
        R::UnknownQuestion { question } | R::AlreadyAnswered { question } => {
            json!({"question": question})
        }
        R::NotEvaluated {
            supplier,
            criterion,
        } => json!({"supplier": names.supplier(*supplier), "criterion": criterion}),
        R::LiveOpensAt { opens_at } => json!({"opens_at": opens_at}),
        R::PracticeRunsMax { max } => json!({"max": max}),
        R::BadProposal { why } => json!({"why": why}),
        R::UnknownAuctioneer { by } => json!({"auctioneer": names.auctioneer(*by)}),
    };
    if let Value::Object(m) = &mut v {
        m.insert("code".into(), r.code().into());
    }
    v
}

pub fn outcome_json(outcome: &TenderOutcome, names: &TNames<'_>) -> Value {
    match outcome {
        Ok(events) => {
            json!({"accepted": events.iter().map(|e| event_json(e, names)).collect::<Vec<_>>()})
        }
        Err(r) => json!({"rejected": rejection_json(r, names)}),
    }
}

/// One tender input record, in canonical form (the bid log's `input` record).
pub fn input_line(
    prev: &str,
    seq: Seq,
    at: TimeMs,
    command: &TenderCommand,
    outcome: &TenderOutcome,
    names: &TNames<'_>,
) -> Vec<u8> {
    crate::log::record::line_of(&json!({
        "seq": seq, "prev": prev, "kind": "input", "at": at,
        "who": who(command, names), "cmd": command_json(command, names),
        "outcome": outcome_json(outcome, names),
    }))
}
