//! The auditable bid log: canonical JSON lines, hash-chained, with signed checkpoints; a durable
//! writer with group commit; recovery, verification and replay. The format is specified in
//! `docs/log-format.md`.

pub mod chain;
pub mod keys;
pub mod record;
pub mod recorder;
pub mod report;
pub mod store;

use serde_json::{Value, json};

/// One row of an auctioneer's ladder, with the supplier's id (`veiling replay --json`, and the
/// server's auctioneer and auditor snapshots).
pub fn ladder_row_json(
    row: &crate::core::view::AuctioneerRow,
    rules: &crate::core::Rules,
) -> Value {
    json!({"rank": row.rank, "supplier": rules.suppliers[row.supplier.ix()].id,
           "bid": row.bid, "at": row.at, "total": row.total.to_string(),
           "score": row.score.to_string(),
           "lines": row.lines.iter().map(|d| d.to_string()).collect::<Vec<_>>()})
}

/// One winner of a lot, with the supplier's id.
pub fn winner_json(w: &crate::core::Winner, rules: &crate::core::Rules) -> Value {
    json!({"rank": w.rank, "supplier": rules.suppliers[w.supplier.ix()].id, "bid": w.bid,
           "total": w.total.to_string(), "score": w.score.to_string()})
}

/// The standings of a replayed log as JSON (`veiling replay --json`).
pub fn standings_json(r: &chain::Replayed, head: &str) -> Value {
    let rules = &r.config.rules;
    let view = r.auction.auctioneer_view();
    let lots: Vec<Value> = view
        .lots
        .iter()
        .zip(&rules.lots)
        .map(|(lot, lot_rules)| {
            let ladder: Vec<Value> = lot
                .ladder
                .iter()
                .map(|row| ladder_row_json(row, rules))
                .collect();
            let award = lot.award.as_ref().map(|(winners, met)| {
                json!({"winners": winners.iter().map(|w| winner_json(w, rules)).collect::<Vec<_>>(),
                       "reserve_met": met})
            });
            json!({"lot": lot_rules.id, "phase": lot.status.phase.name(),
                   "deadline": lot.status.deadline, "extensions_used": lot.status.extensions_used,
                   "bids_accepted": lot.bids_accepted, "bids_voided": lot.bids_voided,
                   "ladder": ladder, "award": award})
        })
        .collect();
    json!({"auction": rules.auction_id, "phase": view.phase.name(), "records": r.records + 1,
           "head": head, "lots": lots})
}
