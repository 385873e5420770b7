//! The award's exports: the result per lot (winners in rank order, prices, scores, whether the
//! reserve was met) as JSON and CSV, and per buyer its share of each lot's volume and contract
//! value. Pure functions of the tender (its proposal) and its config (lots, buyers).

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

use super::*;
use crate::config::AuctionConfig;

/// Money to cents, half to even (the only rounding of the exports).
fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven)
}

/// `share`% of `value`.
fn part(value: Decimal, share: Decimal) -> Decimal {
    value * share / Decimal::ONE_HUNDRED
}

/// The status of the export: the award as proposed, or confirmed.
fn status(tender: &Tender) -> &'static str {
    match tender.phase() {
        TenderPhase::AwardConfirmed => "confirmed",
        _ => "proposed",
    }
}

/// The whole award as JSON. `None` before a proposal.
pub fn award_json(tender: &Tender, config: &AuctionConfig) -> Option<Value> {
    let (live_head, lots) = tender.proposal()?;
    let rules = tender.rules();
    let sup = |s: SupplierIx| rules.suppliers.get(s.ix());
    let lots_json: Vec<Value> = lots
        .iter()
        .map(|a| {
            let lot = &rules.lots[a.lot.ix()];
            let winners: Vec<Value> = a
                .winners
                .iter()
                .map(|(rank, s, total, score)| {
                    json!({"rank": rank, "supplier": sup(*s).map(|x| x.id.as_str()),
                           "name": sup(*s).map(|x| x.name.as_str()),
                           "total": total.to_string(), "score": score.to_string()})
                })
                .collect();
            let buyers: Vec<Value> = config
                .buyers
                .iter()
                .filter_map(|b| {
                    let share = b.shares.get(a.lot.ix()).copied().flatten()?;
                    let volume: Vec<Value> = lot
                        .lines
                        .iter()
                        .map(|line| {
                            json!({"line": line.id, "unit": line.unit,
                                   "quantity": part(line.quantity, share).normalize().to_string()})
                        })
                        .collect();
                    let value: Vec<Value> = a
                        .winners
                        .iter()
                        .map(|(rank, s, total, _)| {
                            json!({"rank": rank, "supplier": sup(*s).map(|x| x.id.as_str()),
                                   "value": cents(part(*total, share)).to_string()})
                        })
                        .collect();
                    Some(json!({"buyer": b.id, "name": b.name,
                                "share_percent": share.to_string(),
                                "volume": volume, "contract_value": value}))
                })
                .collect();
            json!({"lot": lot.id, "name": lot.name, "winners": winners,
                   "reserve_met": a.reserve_met, "buyers": buyers})
        })
        .collect();
    Some(json!({
        "tender": rules.auction_id,
        "status": status(tender),
        "live_log_head": live_head,
        "rounding": "contract values are the winner's total times the buyer's share, rounded to cents, half to even",
        "lots": lots_json,
    }))
}

/// A CSV field: quoted when it holds a comma, a quote or a line break.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn row(fields: &[String]) -> String {
    let mut line = fields
        .iter()
        .map(|f| field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// The result per lot as CSV (RFC 4180): one row per winner.
pub fn award_csv(tender: &Tender) -> Option<String> {
    let (_, lots) = tender.proposal()?;
    let rules = tender.rules();
    let mut out = row(&[
        "status",
        "lot",
        "rank",
        "supplier",
        "name",
        "total",
        "score",
        "reserve_met",
    ]
    .map(String::from));
    for a in lots {
        let lot = &rules.lots[a.lot.ix()];
        let reserve = match a.reserve_met {
            Some(true) => "yes",
            Some(false) => "no",
            None => "",
        };
        if a.winners.is_empty() {
            out.push_str(&row(&[
                status(tender).into(),
                lot.id.clone(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                reserve.into(),
            ]));
        }
        for (rank, s, total, score) in &a.winners {
            let sup = &rules.suppliers[s.ix()];
            out.push_str(&row(&[
                status(tender).into(),
                lot.id.clone(),
                rank.to_string(),
                sup.id.clone(),
                sup.name.clone(),
                total.to_string(),
                score.to_string(),
                reserve.into(),
            ]));
        }
    }
    Some(out)
}

/// Per buyer, lot and winner: the buyer's share, its part of the contract value, and its part
/// of each line item's volume, as CSV.
pub fn buyers_csv(tender: &Tender, config: &AuctionConfig) -> Option<String> {
    let (_, lots) = tender.proposal()?;
    let rules = tender.rules();
    let mut out = row(&[
        "status",
        "buyer",
        "lot",
        "share_percent",
        "rank",
        "supplier",
        "contract_value",
        "volume",
    ]
    .map(String::from));
    for b in &config.buyers {
        for a in lots {
            let Some(share) = b.shares.get(a.lot.ix()).copied().flatten() else {
                continue;
            };
            let lot = &rules.lots[a.lot.ix()];
            let volume = lot
                .lines
                .iter()
                .map(|line| {
                    format!(
                        "{} {} {}",
                        line.id,
                        part(line.quantity, share).normalize(),
                        line.unit
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            for (rank, s, total, _) in &a.winners {
                out.push_str(&row(&[
                    status(tender).into(),
                    b.id.clone(),
                    lot.id.clone(),
                    share.to_string(),
                    rank.to_string(),
                    rules.suppliers[s.ix()].id.clone(),
                    cents(part(*total, share)).to_string(),
                    volume.clone(),
                ]));
            }
        }
    }
    Some(out)
}
