//! The validated tender: its dates, its qualification criteria, and how the evaluation of the
//! quality criteria becomes each supplier's quality value in the auction. Pure data, like the
//! auction's `Rules`; `config` produces it from the `[tender]` table.

use rust_decimal::Decimal;

use crate::core::TimeMs;

/// Hard limits on what a tender keeps, so nothing a supplier drives grows without bound.
pub mod limits {
    /// Qualification criteria in one tender.
    pub const CRITERIA_MAX: usize = 100;
    /// Submissions one supplier may make (each replaces the one before).
    pub const SUBMISSIONS_PER_SUPPLIER_MAX: u32 = 100;
    /// Questions one supplier may ask (nota van inlichtingen).
    pub const QUESTIONS_PER_SUPPLIER_MAX: usize = 50;
    /// Longest question, answer, motivation, evidence reference or answer text, in characters.
    pub const TEXT_MAX_CHARS: usize = 10_000;
    /// Practice runs before the live auction.
    pub const PRACTICE_RUNS_MAX: u32 = 1000;
    /// Practice bot bidders.
    pub const PRACTICE_BOTS_MAX: u32 = 20;
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenderRules {
    /// Suppliers may register and submit from this time.
    pub qualification_opens_at: TimeMs,
    /// Questions for the nota van inlichtingen until this time.
    pub questions_close_at: TimeMs,
    /// Submissions until this time (a submission at or after it is late).
    pub qualification_closes_at: TimeMs,
    /// The contract must be awarded by this time (reports say whether it was).
    pub award_by: Option<TimeMs>,
    pub criteria: Vec<Criterion>,
    /// Per lot: the quality value of a supplier with every quality point (euro of fictieve
    /// korting, or the coefficient); zero when the scoring is plain price.
    pub quality_max: Vec<Decimal>,
    /// Bot bidders in a practice auction.
    pub practice_bots: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Criterion {
    pub id: String,
    /// The wording suppliers answer (from the contract conditions).
    pub text: String,
    pub kind: CriterionKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CriterionKind {
    /// Yes or no; "no" (or a failed check) excludes the supplier. With `evidence_required` the
    /// answer must name its evidence (a register number, a certificate, a statement).
    KnockOut { evidence_required: bool },
    /// A number the supplier states and the auctioneer verifies: at least `minimum` (in `unit`).
    Threshold { minimum: Decimal, unit: String },
    /// Scored by the auctioneer from 0 to `points_max`; the weights of all quality criteria add
    /// up to 100.
    Quality { weight: Decimal, points_max: u32 },
}

impl CriterionKind {
    pub fn name(&self) -> &'static str {
        match self {
            CriterionKind::KnockOut { .. } => "knock_out",
            CriterionKind::Threshold { .. } => "threshold",
            CriterionKind::Quality { .. } => "quality",
        }
    }
}

impl TenderRules {
    pub fn criterion(&self, id: &str) -> Option<(usize, &Criterion)> {
        self.criteria.iter().enumerate().find(|(_, c)| c.id == id)
    }
}
