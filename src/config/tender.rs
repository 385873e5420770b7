//! `[tender]`: the qualification's dates, its criteria and how the quality points become the
//! auction's quality values (`docs/tender.md`).

use std::collections::BTreeSet;

use jiff::tz::TimeZone;
use rust_decimal::Decimal;

use super::Validator;
use super::raw::RawTender;
use crate::core::{LotRules, Scoring, TimeMs};
use crate::tender::{Criterion, CriterionKind, TenderRules, limits};

impl Validator {
    pub(super) fn tender(
        &mut self,
        raw: &RawTender,
        tz: &TimeZone,
        auction_opens_at: TimeMs,
        lots: &[LotRules],
        scoring: Option<Scoring>,
    ) -> Option<TenderRules> {
        let opens = self.time(
            "tender.qualification_opens_at",
            &raw.qualification_opens_at,
            tz,
        );
        let questions = self.time("tender.questions_close_at", &raw.questions_close_at, tz);
        let closes = self.time(
            "tender.qualification_closes_at",
            &raw.qualification_closes_at,
            tz,
        );
        let award_by = raw
            .award_by
            .as_deref()
            .and_then(|t| self.time("tender.award_by", t, tz));
        if let (Some(o), Some(q)) = (opens, questions)
            && q <= o
        {
            self.err(
                "tender.questions_close_at",
                "must be after tender.qualification_opens_at",
            );
        }
        if let (Some(q), Some(c)) = (questions, closes)
            && c < q
        {
            self.err(
                "tender.qualification_closes_at",
                "must not be before tender.questions_close_at: answers to questions must reach everyone before the deadline",
            );
        }
        if let Some(c) = closes
            && c >= auction_opens_at
        {
            self.err(
                "tender.qualification_closes_at",
                "must be before auction.opens_at: the evaluation and the admission come first",
            );
        }
        if let Some(a) = award_by
            && a <= auction_opens_at
        {
            self.err("tender.award_by", "must be after auction.opens_at");
        }
        if raw.practice_bots > limits::PRACTICE_BOTS_MAX {
            self.err(
                "tender.practice_bots",
                format!(
                    "at most {}, got {}",
                    limits::PRACTICE_BOTS_MAX,
                    raw.practice_bots
                ),
            );
        }
        self.limit(
            "tender.criteria",
            "criteria",
            raw.criteria.len(),
            limits::CRITERIA_MAX,
        );
        let mut seen = BTreeSet::new();
        let mut weights = Decimal::ZERO;
        let mut quality_criteria = 0;
        let criteria: Vec<Option<Criterion>> = raw
            .criteria
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let p = format!("tender.criteria[{i}]");
                self.id(&format!("{p}.id"), &c.id, &mut seen);
                if c.text.trim().is_empty() {
                    self.err(
                        format!("{p}.text"),
                        "give the wording suppliers answer (from the contract conditions)",
                    );
                }
                let unexpected = |v: &mut Validator, given: bool, field: &str, kind: &str| {
                    if given {
                        v.err(
                            format!("{p}.{field}"),
                            format!("has no meaning for a {kind} criterion"),
                        );
                    }
                };
                let kind = match c.kind.as_str() {
                    "knock_out" => {
                        unexpected(self, c.minimum.is_some(), "minimum", "knock_out");
                        unexpected(self, c.unit.is_some(), "unit", "knock_out");
                        unexpected(self, c.weight.is_some(), "weight", "knock_out");
                        unexpected(self, c.points_max.is_some(), "points_max", "knock_out");
                        Some(CriterionKind::KnockOut {
                            evidence_required: c.evidence_required.unwrap_or(true),
                        })
                    }
                    "threshold" => {
                        unexpected(self, c.evidence_required.is_some(), "evidence_required", "threshold");
                        unexpected(self, c.weight.is_some(), "weight", "threshold");
                        unexpected(self, c.points_max.is_some(), "points_max", "threshold");
                        let minimum = match &c.minimum {
                            Some(m) => self.decimal(&format!("{p}.minimum"), m),
                            None => {
                                self.err(
                                    format!("{p}.minimum"),
                                    "a threshold criterion needs its minimum",
                                );
                                None
                            }
                        };
                        minimum.map(|minimum| CriterionKind::Threshold {
                            minimum,
                            unit: c.unit.clone().unwrap_or_else(|| "EUR".into()),
                        })
                    }
                    "quality" => {
                        unexpected(self, c.evidence_required.is_some(), "evidence_required", "quality");
                        unexpected(self, c.minimum.is_some(), "minimum", "quality");
                        unexpected(self, c.unit.is_some(), "unit", "quality");
                        quality_criteria += 1;
                        let weight = match &c.weight {
                            Some(w) => {
                                self.positive(&format!("{p}.weight"), w, Some(Decimal::ONE_HUNDRED))
                            }
                            None => {
                                self.err(
                                    format!("{p}.weight"),
                                    "a quality criterion needs its weight (the weights add up to 100)",
                                );
                                None
                            }
                        };
                        let points_max = c.points_max.unwrap_or(10);
                        if !(1..=100).contains(&points_max) {
                            self.err(
                                format!("{p}.points_max"),
                                format!("must be from 1 to 100, got {points_max}"),
                            );
                        }
                        weights += weight.unwrap_or_default();
                        weight
                            .filter(|_| (1..=100).contains(&points_max))
                            .map(|weight| CriterionKind::Quality { weight, points_max })
                    }
                    other => {
                        self.err(
                            format!("{p}.kind"),
                            format!("unknown value '{other}'; expected one of: knock_out, threshold, quality"),
                        );
                        None
                    }
                };
                kind.map(|kind| Criterion {
                    id: c.id.clone(),
                    text: c.text.clone(),
                    kind,
                })
            })
            .collect();
        let formula = matches!(
            scoring,
            Some(Scoring::FictieveKorting | Scoring::Coefficient)
        );
        if quality_criteria > 0 && weights != Decimal::ONE_HUNDRED {
            self.err(
                "tender.criteria",
                format!("the weights of the quality criteria add up to {weights}, not 100"),
            );
        }
        if formula && quality_criteria == 0 {
            self.err(
                "tender.criteria",
                "a price-quality formula needs quality criteria: their points become each supplier's quality value",
            );
        }
        if scoring == Some(Scoring::Price) && quality_criteria > 0 {
            self.err(
                "tender.criteria",
                "quality criteria are only scored with scoring.method fictieve_korting or coefficient",
            );
        }
        let mut quality_max = vec![Decimal::ZERO; lots.len()];
        for (lot_id, value) in &raw.quality_max {
            let path = format!("tender.quality_max.{lot_id}");
            let Some(l) = lots.iter().position(|l| &l.id == lot_id) else {
                self.err(path, format!("unknown lot '{lot_id}'"));
                continue;
            };
            if !formula {
                self.err(
                    &path,
                    "quality values are only used with scoring.method fictieve_korting or coefficient",
                );
                continue;
            }
            let Some(q) = self.decimal(&path, value) else {
                continue;
            };
            match scoring {
                Some(Scoring::FictieveKorting)
                    if q <= Decimal::ZERO
                        || (!self.bad_ceilings.contains(&l) && q >= lots[l].ceiling) =>
                {
                    self.err(
                        &path,
                        format!(
                            "the largest quality bonus must be above 0 and below the lot's ceiling ({}), got {q}",
                            lots[l].ceiling
                        ),
                    );
                }
                Some(Scoring::Coefficient) if q <= Decimal::ZERO || q > Decimal::TEN => {
                    self.err(
                        &path,
                        format!("the largest coefficient must be above 0 and at most 10, got {q}"),
                    );
                }
                _ => quality_max[l] = q,
            }
        }
        if formula {
            for lot in lots {
                if !raw.quality_max.contains_key(&lot.id) {
                    self.err(
                        "tender.quality_max",
                        format!(
                            "no largest quality value for lot '{}': a supplier with every quality point gets it",
                            lot.id
                        ),
                    );
                }
            }
        }
        Some(TenderRules {
            qualification_opens_at: opens?,
            questions_close_at: questions?,
            qualification_closes_at: closes?,
            award_by,
            criteria: criteria.into_iter().collect::<Option<Vec<_>>>()?,
            quality_max,
            practice_bots: raw.practice_bots,
        })
    }
}
