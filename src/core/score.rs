//! Scores: the number ranks are decided on (lower is better). Exact decimal arithmetic only.

use super::rules::{Scoring, limits::COEFFICIENT_SCORE_DECIMALS};
use rust_decimal::{Decimal, RoundingStrategy};

/// The score of `total` for a supplier with frozen quality value `quality`.
/// `None` when the arithmetic would overflow (the caller rejects the bid as out of range).
pub fn score(scoring: Scoring, total: Decimal, quality: Decimal) -> Option<Decimal> {
    match scoring {
        Scoring::Price => Some(total),
        Scoring::FictieveKorting => total.checked_sub(quality),
        Scoring::Coefficient => {
            let divisor = Decimal::ONE.checked_add(quality)?;
            let raw = total.checked_div(divisor)?;
            Some(raw.round_dp_with_strategy(
                COEFFICIENT_SCORE_DECIMALS,
                RoundingStrategy::MidpointNearestEven,
            ))
        }
    }
}

/// The largest total whose score is at or below `score_max` (the inverse of [`score`]), or `None`
/// when it cannot be computed. Used to tell a bidder "you can bid at most ...".
pub fn total_for_score(scoring: Scoring, score_max: Decimal, quality: Decimal) -> Option<Decimal> {
    match scoring {
        Scoring::Price => Some(score_max),
        Scoring::FictieveKorting => score_max.checked_add(quality),
        Scoring::Coefficient => score_max.checked_mul(Decimal::ONE.checked_add(quality)?),
    }
}

/// `value` rounded down (toward minus infinity) to `decimals` places: the largest admissible
/// price at that scale that does not exceed `value`.
pub fn floor_to(value: Decimal, decimals: u32) -> Decimal {
    value.round_dp_with_strategy(decimals, RoundingStrategy::ToNegativeInfinity)
}

/// The number of decimals a value really has (trailing zeros do not count: `12.50` has 1).
pub fn decimals_of(value: Decimal) -> u32 {
    value.normalize().scale()
}

/// `percent` % of `value`, exact.
pub fn percent_of(value: Decimal, percent: Decimal) -> Option<Decimal> {
    value
        .checked_mul(percent)?
        .checked_div(Decimal::ONE_HUNDRED)
}

/// Parse a decimal number written plainly: an optional `-`, digits, and optionally `.` and more
/// digits (`1234.50`, `-3`, `0.125`). Nothing else: no `_`, no exponent, no `+`, no leading or
/// trailing `.`, no spaces, at most 28 significant digits. Money on the wire and in configs is
/// written this way, so that what a person reads is exactly what the engine uses.
pub fn parse_plain_decimal(text: &str) -> Option<Decimal> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) || frac.is_some_and(|f| !all_digits(f)) {
        return None;
    }
    Decimal::from_str_exact(text).ok()
}
