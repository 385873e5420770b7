//! The tender: qualification, admission, practice, award. A pure state machine like the auction
//! core (`handle` decides, `apply` evolves, time is an input), whose inputs go into the tender
//! log (`record`: the bid log's format with `mode` `tender`). `rules`, `record` and `admission`
//! are pure too; `log` writes and reopens the tender log, `steps` runs `veiling tender`.
//!
//! The route: qualification open -> qualification closed -> evaluation -> admission published
//! -> practice auction -> live auction -> award proposed -> award confirmed. Each step is refused
//! out of order with `out_of_order`, which names the phase and the step that may come next.

pub mod admission;
pub mod award;
pub mod log;
pub mod record;
pub mod rules;
pub mod steps;

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::core::score::floor_to;
use crate::core::{AuctioneerIx, LotIx, Offer, Rules, Scoring, Seq, SupplierIx, TimeMs};
pub use rules::*;

/// Where a tender stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TenderPhase {
    Draft,
    QualificationOpen,
    QualificationClosed,
    Evaluation,
    AdmissionPublished,
    Practice,
    Live,
    AwardProposed,
    AwardConfirmed,
}

impl TenderPhase {
    pub fn name(self) -> &'static str {
        match self {
            TenderPhase::Draft => "draft",
            TenderPhase::QualificationOpen => "qualification_open",
            TenderPhase::QualificationClosed => "qualification_closed",
            TenderPhase::Evaluation => "evaluation",
            TenderPhase::AdmissionPublished => "admission_published",
            TenderPhase::Practice => "practice",
            TenderPhase::Live => "live",
            TenderPhase::AwardProposed => "award_proposed",
            TenderPhase::AwardConfirmed => "award_confirmed",
        }
    }
}

/// A supplier's answer to one criterion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Knock-out: yes (with its evidence reference) or no.
    YesNo { yes: bool, evidence: String },
    /// Threshold: the stated value and its evidence.
    Value { value: Decimal, evidence: String },
    /// Quality: the supplier's text (or a reference to its attachment).
    Text { text: String },
}

/// A qualification submission: one answer per criterion (in the tender's order), and in
/// turn-based rounds the initial price per lot (`None` for a lot it is not a candidate for).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    pub answers: Vec<Option<Answer>>,
    pub initial: Vec<Option<Offer>>,
}

/// The auctioneer's verdict on one criterion of one submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Knock-out: passes or fails.
    Pass(bool),
    /// Threshold: the value the auctioneer verified (it passes at or above the minimum).
    Value(Decimal),
    /// Quality: the points given, from 0 to the criterion's maximum.
    Points(u32),
}

/// One lot of the award proposal: the live auction's winners in rank order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LotAward {
    pub lot: LotIx,
    /// (rank, supplier, total, score), rank 1 first.
    pub winners: Vec<(u32, SupplierIx, Decimal, Decimal)>,
    pub reserve_met: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TenderCommand {
    /// Tick-free: dates are checked against each input's time.
    Open {
        by: AuctioneerIx,
    },
    Register {
        supplier: SupplierIx,
    },
    Submit {
        supplier: SupplierIx,
        submission: Submission,
    },
    Ask {
        supplier: SupplierIx,
        text: String,
    },
    Answer {
        by: AuctioneerIx,
        question: Seq,
        text: String,
    },
    Close {
        by: AuctioneerIx,
    },
    Evaluate {
        by: AuctioneerIx,
        supplier: SupplierIx,
        criterion: usize,
        verdict: Verdict,
        motivation: String,
    },
    /// Publish the admission. `auction_config_sha256`: the hash of the auction config it
    /// produces (admitted suppliers, their quality values and initial prices), which the live
    /// log's header must carry.
    Publish {
        by: AuctioneerIx,
        auction_config_sha256: String,
    },
    /// Start a (new) practice run: the previous one is discarded.
    StartPractice {
        by: AuctioneerIx,
    },
    /// The live auction starts: no more practice.
    StartLive {
        by: AuctioneerIx,
    },
    /// The award proposal from the sealed live log whose last record hash is `live_head`.
    ProposeAward {
        by: AuctioneerIx,
        live_head: String,
        lots: Vec<LotAward>,
    },
    /// Confirm the proposal (with four-eyes: the first asks, a second auctioneer confirms).
    ConfirmAward {
        by: AuctioneerIx,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admission {
    pub supplier: SupplierIx,
    /// The quality value per lot (fictieve korting or coefficient) from the quality criteria.
    pub quality: Vec<Decimal>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exclusion {
    pub supplier: SupplierIx,
    /// Why, one line per failed criterion (or "no submission").
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TenderEvent {
    QualificationOpened {
        at: TimeMs,
        by: AuctioneerIx,
    },
    Registered {
        at: TimeMs,
        supplier: SupplierIx,
    },
    Submitted {
        at: TimeMs,
        supplier: SupplierIx,
        submission: Submission,
        /// It replaces the supplier's earlier submission.
        replaces: bool,
    },
    QuestionAsked {
        at: TimeMs,
        question: Seq,
        supplier: SupplierIx,
        text: String,
    },
    QuestionAnswered {
        at: TimeMs,
        question: Seq,
        by: AuctioneerIx,
        text: String,
    },
    QualificationClosed {
        at: TimeMs,
        by: AuctioneerIx,
    },
    Evaluated {
        at: TimeMs,
        by: AuctioneerIx,
        supplier: SupplierIx,
        criterion: usize,
        verdict: Verdict,
        passed: bool,
        motivation: String,
    },
    AdmissionPublished {
        at: TimeMs,
        by: AuctioneerIx,
        admitted: Vec<Admission>,
        excluded: Vec<Exclusion>,
        auction_config_sha256: String,
    },
    PracticeStarted {
        at: TimeMs,
        by: AuctioneerIx,
        run: u32,
    },
    LiveStarted {
        at: TimeMs,
        by: AuctioneerIx,
    },
    AwardProposed {
        at: TimeMs,
        by: AuctioneerIx,
        live_head: String,
        lots: Vec<LotAward>,
    },
    AwardConfirmationRequested {
        at: TimeMs,
        by: AuctioneerIx,
    },
    AwardConfirmed {
        at: TimeMs,
        by: AuctioneerIx,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TenderRejection {
    /// The step does not come now: `next` names what may.
    OutOfOrder {
        phase: TenderPhase,
        next: &'static str,
    },
    /// Before the qualification opens.
    NotYet {
        opens_at: TimeMs,
    },
    /// A submission at or after the deadline.
    TooLate {
        closes_at: TimeMs,
    },
    QuestionsClosed {
        closed_at: TimeMs,
    },
    /// The qualification closes at its date, or earlier only when every candidate submitted.
    ClosesLater {
        closes_at: TimeMs,
        submitted: u32,
        candidates: u32,
    },
    NotRegistered {
        supplier: SupplierIx,
    },
    AlreadyRegistered {
        supplier: SupplierIx,
    },
    /// Criteria without an answer (ids).
    Incomplete {
        missing: Vec<String>,
    },
    /// An answer that does not fit its criterion.
    BadAnswer {
        criterion: String,
        why: String,
    },
    TextRequired,
    TextTooLong {
        len: usize,
        max: usize,
    },
    TooManyQuestions {
        max: usize,
    },
    TooManySubmissions {
        max: u32,
    },
    UnknownQuestion {
        question: Seq,
    },
    AlreadyAnswered {
        question: Seq,
    },
    NoSubmission {
        supplier: SupplierIx,
    },
    /// A verdict of the wrong kind, or points above the maximum.
    BadVerdict {
        criterion: String,
        why: String,
    },
    /// Publishing before every criterion of every submission is evaluated.
    NotEvaluated {
        supplier: SupplierIx,
        criterion: String,
    },
    /// Practice after the live auction's opening.
    LiveOpensAt {
        opens_at: TimeMs,
    },
    PracticeRunsMax {
        max: u32,
    },
    /// An award proposal for a lot the auction does not have, or twice.
    BadProposal {
        why: String,
    },
    SelfConfirmation,
    UnknownSupplier {
        supplier: SupplierIx,
    },
    UnknownAuctioneer {
        by: AuctioneerIx,
    },
    NotCandidate {
        supplier: SupplierIx,
    },
}

impl TenderRejection {
    /// A stable code (snake case). Never reuse or rename one.
    pub fn code(&self) -> &'static str {
        use TenderRejection::*;
        match self {
            OutOfOrder { .. } => "out_of_order",
            NotYet { .. } => "not_yet",
            TooLate { .. } => "too_late",
            QuestionsClosed { .. } => "questions_closed",
            ClosesLater { .. } => "closes_later",
            NotRegistered { .. } => "not_registered",
            AlreadyRegistered { .. } => "already_registered",
            Incomplete { .. } => "incomplete",
            BadAnswer { .. } => "bad_answer",
            TextRequired => "text_required",
            TextTooLong { .. } => "text_too_long",
            TooManyQuestions { .. } => "too_many_questions",
            TooManySubmissions { .. } => "too_many_submissions",
            UnknownQuestion { .. } => "unknown_question",
            AlreadyAnswered { .. } => "already_answered",
            NoSubmission { .. } => "no_submission",
            BadVerdict { .. } => "bad_verdict",
            NotEvaluated { .. } => "not_evaluated",
            LiveOpensAt { .. } => "live_opens_at",
            PracticeRunsMax { .. } => "practice_runs_max",
            BadProposal { .. } => "bad_proposal",
            SelfConfirmation => "self_confirmation",
            UnknownSupplier { .. } => "unknown_supplier",
            UnknownAuctioneer { .. } => "unknown_auctioneer",
            NotCandidate { .. } => "not_candidate",
        }
    }
}

pub type TenderOutcome = Result<Vec<TenderEvent>, TenderRejection>;

/// Everything the tender knows about one candidate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CandidateState {
    pub registered: bool,
    pub submission: Option<(TimeMs, Submission)>,
    /// Submissions made (the last one counts).
    pub submissions: u32,
    /// Per criterion: the verdict, whether it passes, the motivation.
    pub verdicts: Vec<Option<(Verdict, bool, String)>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub at: TimeMs,
    pub supplier: SupplierIx,
    pub text: String,
    pub answer: Option<(TimeMs, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tender {
    tender: TenderRules,
    rules: Rules,
    phase: TenderPhase,
    candidates: Vec<CandidateState>,
    questions: BTreeMap<Seq, Question>,
    admission: Option<(Vec<Admission>, Vec<Exclusion>, String)>,
    practice_runs: u32,
    proposal: Option<(String, Vec<LotAward>)>,
    /// Four-eyes: who asked to confirm the award.
    confirm_requested: Option<AuctioneerIx>,
}

impl Tender {
    /// A tender for the auction `rules` (its candidates are the config's suppliers).
    pub fn new(tender: TenderRules, rules: Rules) -> Self {
        let criteria = tender.criteria.len();
        let candidates = rules
            .suppliers
            .iter()
            .map(|_| CandidateState {
                verdicts: vec![None; criteria],
                ..CandidateState::default()
            })
            .collect();
        Tender {
            tender,
            rules,
            phase: TenderPhase::Draft,
            candidates,
            questions: BTreeMap::new(),
            admission: None,
            practice_runs: 0,
            proposal: None,
            confirm_requested: None,
        }
    }

    pub fn phase(&self) -> TenderPhase {
        self.phase
    }
    pub fn tender(&self) -> &TenderRules {
        &self.tender
    }
    pub fn rules(&self) -> &Rules {
        &self.rules
    }
    pub fn candidate(&self, s: SupplierIx) -> Option<&CandidateState> {
        self.candidates.get(s.ix())
    }
    pub fn questions(&self) -> impl Iterator<Item = (&Seq, &Question)> {
        self.questions.iter()
    }
    pub fn admission(&self) -> Option<(&[Admission], &[Exclusion], &str)> {
        self.admission
            .as_ref()
            .map(|(a, e, h)| (a.as_slice(), e.as_slice(), h.as_str()))
    }
    pub fn practice_runs(&self) -> u32 {
        self.practice_runs
    }
    pub fn proposal(&self) -> Option<(&str, &[LotAward])> {
        self.proposal
            .as_ref()
            .map(|(h, l)| (h.as_str(), l.as_slice()))
    }

    /// `execute`: decide, then apply what was accepted.
    pub fn execute(&mut self, seq: Seq, at: TimeMs, command: &TenderCommand) -> TenderOutcome {
        let outcome = self.handle(seq, at, command);
        if let Ok(events) = &outcome {
            for e in events {
                self.apply(e);
            }
        }
        outcome
    }

    fn out_of_order(&self, next: &'static str) -> TenderRejection {
        TenderRejection::OutOfOrder {
            phase: self.phase,
            next,
        }
    }

    /// The step the tender expects next, in words (for `out_of_order`).
    fn next_step(&self) -> &'static str {
        match self.phase {
            TenderPhase::Draft => "open the qualification",
            TenderPhase::QualificationOpen => {
                "registrations, submissions and questions; then close the qualification"
            }
            TenderPhase::QualificationClosed | TenderPhase::Evaluation => {
                "evaluate every submission; then publish the admission"
            }
            TenderPhase::AdmissionPublished | TenderPhase::Practice => {
                "a practice run, or start the live auction"
            }
            TenderPhase::Live => "propose the award from the sealed live log",
            TenderPhase::AwardProposed => "confirm the award",
            TenderPhase::AwardConfirmed => "nothing: the tender is complete",
        }
    }

    fn check_by(&self, by: AuctioneerIx) -> Result<(), TenderRejection> {
        if by.ix() >= self.rules.auctioneers.len() {
            return Err(TenderRejection::UnknownAuctioneer { by });
        }
        Ok(())
    }

    fn check_supplier(&self, supplier: SupplierIx) -> Result<&CandidateState, TenderRejection> {
        self.candidates
            .get(supplier.ix())
            .ok_or(TenderRejection::UnknownSupplier { supplier })
    }

    /// Decide on one input. Never changes state.
    pub fn handle(&self, seq: Seq, at: TimeMs, command: &TenderCommand) -> TenderOutcome {
        use TenderCommand as C;
        use TenderEvent as E;
        use TenderPhase as P;
        let t = &self.tender;
        let expect = |phases: &[TenderPhase]| {
            if phases.contains(&self.phase) {
                Ok(())
            } else {
                Err(self.out_of_order(self.next_step()))
            }
        };
        match command {
            C::Open { by } => {
                self.check_by(*by)?;
                expect(&[P::Draft])?;
                if at < t.qualification_opens_at {
                    return Err(TenderRejection::NotYet {
                        opens_at: t.qualification_opens_at,
                    });
                }
                Ok(vec![E::QualificationOpened { at, by: *by }])
            }
            C::Register { supplier } => {
                let c = self.check_supplier(*supplier)?;
                expect(&[P::QualificationOpen])?;
                if at >= t.qualification_closes_at {
                    return Err(TenderRejection::TooLate {
                        closes_at: t.qualification_closes_at,
                    });
                }
                if c.registered {
                    return Err(TenderRejection::AlreadyRegistered {
                        supplier: *supplier,
                    });
                }
                Ok(vec![E::Registered {
                    at,
                    supplier: *supplier,
                }])
            }
            C::Submit {
                supplier,
                submission,
            } => {
                let c = self.check_supplier(*supplier)?;
                expect(&[P::QualificationOpen])?;
                if at >= t.qualification_closes_at {
                    return Err(TenderRejection::TooLate {
                        closes_at: t.qualification_closes_at,
                    });
                }
                if !c.registered {
                    return Err(TenderRejection::NotRegistered {
                        supplier: *supplier,
                    });
                }
                if c.submissions >= limits::SUBMISSIONS_PER_SUPPLIER_MAX {
                    return Err(TenderRejection::TooManySubmissions {
                        max: limits::SUBMISSIONS_PER_SUPPLIER_MAX,
                    });
                }
                self.check_submission(*supplier, submission)?;
                Ok(vec![E::Submitted {
                    at,
                    supplier: *supplier,
                    submission: submission.clone(),
                    replaces: c.submission.is_some(),
                }])
            }
            C::Ask { supplier, text } => {
                let c = self.check_supplier(*supplier)?;
                expect(&[P::QualificationOpen])?;
                if at >= t.questions_close_at {
                    return Err(TenderRejection::QuestionsClosed {
                        closed_at: t.questions_close_at,
                    });
                }
                if !c.registered {
                    return Err(TenderRejection::NotRegistered {
                        supplier: *supplier,
                    });
                }
                check_text(text)?;
                let asked = self
                    .questions
                    .values()
                    .filter(|q| q.supplier == *supplier)
                    .count();
                if asked >= limits::QUESTIONS_PER_SUPPLIER_MAX {
                    return Err(TenderRejection::TooManyQuestions {
                        max: limits::QUESTIONS_PER_SUPPLIER_MAX,
                    });
                }
                Ok(vec![E::QuestionAsked {
                    at,
                    question: seq,
                    supplier: *supplier,
                    text: text.clone(),
                }])
            }
            C::Answer { by, question, text } => {
                self.check_by(*by)?;
                expect(&[P::QualificationOpen])?;
                check_text(text)?;
                let q = self
                    .questions
                    .get(question)
                    .ok_or(TenderRejection::UnknownQuestion {
                        question: *question,
                    })?;
                if q.answer.is_some() {
                    return Err(TenderRejection::AlreadyAnswered {
                        question: *question,
                    });
                }
                Ok(vec![E::QuestionAnswered {
                    at,
                    question: *question,
                    by: *by,
                    text: text.clone(),
                }])
            }
            C::Close { by } => {
                self.check_by(*by)?;
                expect(&[P::QualificationOpen])?;
                let submitted = self
                    .candidates
                    .iter()
                    .filter(|c| c.submission.is_some())
                    .count() as u32;
                let candidates = self.candidates.len() as u32;
                if at < t.qualification_closes_at && submitted < candidates {
                    return Err(TenderRejection::ClosesLater {
                        closes_at: t.qualification_closes_at,
                        submitted,
                        candidates,
                    });
                }
                Ok(vec![E::QualificationClosed { at, by: *by }])
            }
            C::Evaluate {
                by,
                supplier,
                criterion,
                verdict,
                motivation,
            } => {
                self.check_by(*by)?;
                let c = self.check_supplier(*supplier)?;
                expect(&[P::QualificationClosed, P::Evaluation])?;
                if c.submission.is_none() {
                    return Err(TenderRejection::NoSubmission {
                        supplier: *supplier,
                    });
                }
                check_text(motivation)?;
                let crit =
                    t.criteria
                        .get(*criterion)
                        .ok_or_else(|| TenderRejection::BadVerdict {
                            criterion: criterion.to_string(),
                            why: "no such criterion".into(),
                        })?;
                let passed = match (&crit.kind, verdict) {
                    (CriterionKind::KnockOut { .. }, Verdict::Pass(p)) => *p,
                    (CriterionKind::Threshold { minimum, .. }, Verdict::Value(v)) => v >= minimum,
                    (CriterionKind::Quality { points_max, .. }, Verdict::Points(p)) => {
                        if p > points_max {
                            return Err(TenderRejection::BadVerdict {
                                criterion: crit.id.clone(),
                                why: format!("{p} points; at most {points_max}"),
                            });
                        }
                        true
                    }
                    (kind, _) => {
                        return Err(TenderRejection::BadVerdict {
                            criterion: crit.id.clone(),
                            why: format!(
                                "a {} criterion takes {}",
                                kind.name(),
                                match kind {
                                    CriterionKind::KnockOut { .. } => "pass or fail",
                                    CriterionKind::Threshold { .. } => "the verified value",
                                    CriterionKind::Quality { .. } => "points",
                                }
                            ),
                        });
                    }
                };
                Ok(vec![E::Evaluated {
                    at,
                    by: *by,
                    supplier: *supplier,
                    criterion: *criterion,
                    verdict: verdict.clone(),
                    passed,
                    motivation: motivation.clone(),
                }])
            }
            C::Publish {
                by,
                auction_config_sha256,
            } => {
                self.check_by(*by)?;
                expect(&[P::QualificationClosed, P::Evaluation])?;
                let (admitted, excluded) = self.admission_result()?;
                Ok(vec![E::AdmissionPublished {
                    at,
                    by: *by,
                    admitted,
                    excluded,
                    auction_config_sha256: auction_config_sha256.clone(),
                }])
            }
            C::StartPractice { by } => {
                self.check_by(*by)?;
                expect(&[P::AdmissionPublished, P::Practice])?;
                if at >= self.rules.opens_at {
                    return Err(TenderRejection::LiveOpensAt {
                        opens_at: self.rules.opens_at,
                    });
                }
                if self.practice_runs >= limits::PRACTICE_RUNS_MAX {
                    return Err(TenderRejection::PracticeRunsMax {
                        max: limits::PRACTICE_RUNS_MAX,
                    });
                }
                Ok(vec![E::PracticeStarted {
                    at,
                    by: *by,
                    run: self.practice_runs + 1,
                }])
            }
            C::StartLive { by } => {
                self.check_by(*by)?;
                expect(&[P::AdmissionPublished, P::Practice])?;
                Ok(vec![E::LiveStarted { at, by: *by }])
            }
            C::ProposeAward {
                by,
                live_head,
                lots,
            } => {
                self.check_by(*by)?;
                expect(&[P::Live])?;
                self.check_proposal(lots)?;
                Ok(vec![E::AwardProposed {
                    at,
                    by: *by,
                    live_head: live_head.clone(),
                    lots: lots.clone(),
                }])
            }
            C::ConfirmAward { by } => {
                self.check_by(*by)?;
                expect(&[P::AwardProposed])?;
                if !self.rules.four_eyes {
                    return Ok(vec![E::AwardConfirmed { at, by: *by }]);
                }
                match self.confirm_requested {
                    None => Ok(vec![E::AwardConfirmationRequested { at, by: *by }]),
                    Some(first) if first == *by => Err(TenderRejection::SelfConfirmation),
                    Some(_) => Ok(vec![E::AwardConfirmed { at, by: *by }]),
                }
            }
        }
    }

    /// A submission answers every criterion with the kind of answer it asks for, and in
    /// turn-based rounds gives an initial price for every lot the supplier is a candidate for.
    fn check_submission(
        &self,
        supplier: SupplierIx,
        submission: &Submission,
    ) -> Result<(), TenderRejection> {
        let t = &self.tender;
        let mut missing = Vec::new();
        for (i, crit) in t.criteria.iter().enumerate() {
            let Some(answer) = submission.answers.get(i).and_then(Option::as_ref) else {
                missing.push(crit.id.clone());
                continue;
            };
            let bad = |why: &str| TenderRejection::BadAnswer {
                criterion: crit.id.clone(),
                why: why.to_string(),
            };
            match (&crit.kind, answer) {
                (
                    CriterionKind::KnockOut { evidence_required },
                    Answer::YesNo { yes, evidence },
                ) => {
                    if *yes && *evidence_required && evidence.trim().is_empty() {
                        return Err(bad(
                            "a yes needs its evidence (a register number, a certificate, a statement)",
                        ));
                    }
                    check_len(evidence)?;
                }
                (CriterionKind::Threshold { .. }, Answer::Value { evidence, .. }) => {
                    if evidence.trim().is_empty() {
                        return Err(bad(
                            "the value needs its evidence (e.g. the annual accounts)",
                        ));
                    }
                    check_len(evidence)?;
                }
                (CriterionKind::Quality { .. }, Answer::Text { text }) => {
                    if text.trim().is_empty() {
                        return Err(bad("the text is empty"));
                    }
                    check_len(text)?;
                }
                (CriterionKind::KnockOut { .. }, _) => return Err(bad("answer yes or no")),
                (CriterionKind::Threshold { .. }, _) => return Err(bad("state a value")),
                (CriterionKind::Quality { .. }, _) => return Err(bad("give a text")),
            }
        }
        if submission.answers.len() > t.criteria.len() {
            return Err(TenderRejection::BadAnswer {
                criterion: String::new(),
                why: format!(
                    "{} answers for {} criteria",
                    submission.answers.len(),
                    t.criteria.len()
                ),
            });
        }
        let turns = self.rules.format.rules().turns().is_some();
        let supplier_rules = &self.rules.suppliers[supplier.ix()];
        for (l, lot) in self.rules.lots.iter().enumerate() {
            let candidate = supplier_rules.admitted_to(LotIx(l as u32));
            let offer = submission.initial.get(l).and_then(Option::as_ref);
            match (turns && candidate, offer) {
                (true, None) => missing.push(format!("initial_prices.{}", lot.id)),
                (false, Some(_)) => {
                    return Err(TenderRejection::BadAnswer {
                        criterion: format!("initial_prices.{}", lot.id),
                        why: if turns {
                            "not a candidate for this lot".into()
                        } else {
                            "initial prices are only for turn-based rounds".into()
                        },
                    });
                }
                (true, Some(offer)) => {
                    let bad = |why: String| TenderRejection::BadAnswer {
                        criterion: format!("initial_prices.{}", lot.id),
                        why,
                    };
                    let (_, total) = crate::core::offer_total(lot, offer)
                        .map_err(|r| bad(format!("not a valid price ({})", r.code())))?;
                    if total > lot.ceiling {
                        return Err(bad(format!("{total} is above the ceiling {}", lot.ceiling)));
                    }
                    if let Some(floor) = lot.floor
                        && total < floor
                    {
                        return Err(bad(format!("{total} is below the floor {floor}")));
                    }
                }
                (false, None) => {}
            }
        }
        if !missing.is_empty() {
            return Err(TenderRejection::Incomplete { missing });
        }
        Ok(())
    }

    /// Who is admitted (every knock-out passed, every threshold met) with their quality values,
    /// and who is excluded with the reasons. Refused while a submission is not fully evaluated.
    pub fn admission_result(&self) -> Result<(Vec<Admission>, Vec<Exclusion>), TenderRejection> {
        let t = &self.tender;
        let mut admitted = Vec::new();
        let mut excluded = Vec::new();
        for (s, c) in self.candidates.iter().enumerate() {
            let supplier = SupplierIx(s as u32);
            if c.submission.is_none() {
                excluded.push(Exclusion {
                    supplier,
                    reasons: vec!["no submission before the deadline".into()],
                });
                continue;
            }
            let mut reasons = Vec::new();
            let mut fraction = Decimal::ZERO;
            for (i, crit) in t.criteria.iter().enumerate() {
                let Some((verdict, passed, motivation)) =
                    c.verdicts.get(i).and_then(Option::as_ref)
                else {
                    return Err(TenderRejection::NotEvaluated {
                        supplier,
                        criterion: crit.id.clone(),
                    });
                };
                match (&crit.kind, verdict) {
                    (CriterionKind::Quality { weight, points_max }, Verdict::Points(p))
                        if *points_max > 0 =>
                    {
                        fraction += *weight / Decimal::ONE_HUNDRED * Decimal::from(*p)
                            / Decimal::from(*points_max);
                    }
                    (CriterionKind::Threshold { minimum, unit }, Verdict::Value(v)) if !passed => {
                        reasons.push(format!(
                            "{}: {v} {unit} is below the minimum of {minimum} {unit}: {motivation}",
                            crit.id
                        ));
                    }
                    _ if !passed => {
                        reasons.push(format!("{}: not met: {motivation}", crit.id));
                    }
                    _ => {}
                }
            }
            if reasons.is_empty() {
                admitted.push(Admission {
                    supplier,
                    quality: self.quality_values(fraction),
                });
            } else {
                excluded.push(Exclusion { supplier, reasons });
            }
        }
        Ok((admitted, excluded))
    }

    /// The quality value per lot for a share `fraction` (0 to 1) of all quality points: the lot's
    /// `quality_max` times it, rounded down to the lot's price decimals (fictieve korting, in
    /// euro) or to 4 decimals (a coefficient); zero with plain price scoring.
    fn quality_values(&self, fraction: Decimal) -> Vec<Decimal> {
        self.rules
            .lots
            .iter()
            .enumerate()
            .map(|(l, lot)| {
                let max = self.tender.quality_max.get(l).copied().unwrap_or_default();
                let value = max * fraction;
                match self.rules.scoring {
                    Scoring::Price => Decimal::ZERO,
                    Scoring::FictieveKorting => floor_to(value, lot.price_decimals),
                    Scoring::Coefficient => floor_to(value, 4),
                }
            })
            .collect()
    }

    fn check_proposal(&self, lots: &[LotAward]) -> Result<(), TenderRejection> {
        let bad = |why: String| Err(TenderRejection::BadProposal { why });
        if lots.len() != self.rules.lots.len() {
            return bad(format!(
                "{} lot(s) proposed; the auction has {}",
                lots.len(),
                self.rules.lots.len()
            ));
        }
        for (l, award) in lots.iter().enumerate() {
            if award.lot.ix() != l {
                return bad("the lots must be in the config's order".into());
            }
            let winners = self.rules.lots[l].winners as usize;
            if award.winners.len() > winners {
                return bad(format!(
                    "{} winner(s) on lot '{}'; at most {winners}",
                    award.winners.len(),
                    self.rules.lots[l].id
                ));
            }
            let admitted = self.admission.as_ref().map(|(a, _, _)| a.as_slice());
            for (_, s, _, _) in &award.winners {
                if !admitted.is_some_and(|a| a.iter().any(|x| x.supplier == *s)) {
                    return bad(format!(
                        "'{}' was not admitted",
                        self.rules
                            .suppliers
                            .get(s.ix())
                            .map_or("?", |x| x.id.as_str())
                    ));
                }
            }
        }
        Ok(())
    }

    /// Evolve by one event: the only code that changes a `Tender`.
    pub fn apply(&mut self, event: &TenderEvent) {
        use TenderEvent as E;
        match event {
            E::QualificationOpened { .. } => self.phase = TenderPhase::QualificationOpen,
            E::Registered { supplier, .. } => {
                if let Some(c) = self.candidates.get_mut(supplier.ix()) {
                    c.registered = true;
                }
            }
            E::Submitted {
                at,
                supplier,
                submission,
                ..
            } => {
                if let Some(c) = self.candidates.get_mut(supplier.ix()) {
                    c.submission = Some((*at, submission.clone()));
                    c.submissions += 1;
                }
            }
            E::QuestionAsked {
                at,
                question,
                supplier,
                text,
            } => {
                self.questions.insert(
                    *question,
                    Question {
                        at: *at,
                        supplier: *supplier,
                        text: text.clone(),
                        answer: None,
                    },
                );
            }
            E::QuestionAnswered {
                at, question, text, ..
            } => {
                if let Some(q) = self.questions.get_mut(question) {
                    q.answer = Some((*at, text.clone()));
                }
            }
            E::QualificationClosed { .. } => self.phase = TenderPhase::QualificationClosed,
            E::Evaluated {
                supplier,
                criterion,
                verdict,
                passed,
                motivation,
                ..
            } => {
                self.phase = TenderPhase::Evaluation;
                if let Some(v) = self
                    .candidates
                    .get_mut(supplier.ix())
                    .and_then(|c| c.verdicts.get_mut(*criterion))
                {
                    *v = Some((verdict.clone(), *passed, motivation.clone()));
                }
            }
            E::AdmissionPublished {
                admitted,
                excluded,
                auction_config_sha256,
                ..
            } => {
                self.phase = TenderPhase::AdmissionPublished;
                self.admission = Some((
                    admitted.clone(),
                    excluded.clone(),
                    auction_config_sha256.clone(),
                ));
            }
            E::PracticeStarted { run, .. } => {
                self.phase = TenderPhase::Practice;
                self.practice_runs = *run;
            }
            E::LiveStarted { .. } => self.phase = TenderPhase::Live,
            E::AwardProposed {
                live_head, lots, ..
            } => {
                self.phase = TenderPhase::AwardProposed;
                self.proposal = Some((live_head.clone(), lots.clone()));
            }
            E::AwardConfirmationRequested { by, .. } => self.confirm_requested = Some(*by),
            E::AwardConfirmed { .. } => self.phase = TenderPhase::AwardConfirmed,
        }
    }

    /// The auction rules the admission gives: only admitted suppliers, with their quality values
    /// and (turn-based rounds) the initial prices of their submissions.
    pub fn admitted_rules(&self) -> Option<Rules> {
        let (admitted, _, _) = self.admission.as_ref()?;
        let mut rules = self.rules.clone();
        rules.suppliers = admitted
            .iter()
            .filter_map(|a| {
                let mut s = self.rules.suppliers.get(a.supplier.ix())?.clone();
                s.quality = a.quality.clone();
                if let Some((_, sub)) = &self.candidates.get(a.supplier.ix())?.submission {
                    s.initial = sub.initial.clone();
                    s.initial.resize(self.rules.lots.len(), None);
                }
                Some(s)
            })
            .collect();
        Some(rules)
    }
}

fn check_len(text: &str) -> Result<(), TenderRejection> {
    let len = text.chars().count();
    if len > limits::TEXT_MAX_CHARS {
        return Err(TenderRejection::TextTooLong {
            len,
            max: limits::TEXT_MAX_CHARS,
        });
    }
    Ok(())
}

fn check_text(text: &str) -> Result<(), TenderRejection> {
    if text.trim().is_empty() {
        return Err(TenderRejection::TextRequired);
    }
    check_len(text)
}
