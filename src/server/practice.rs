//! The practice auction (oefenveiling): the live auction's config with its lots, rules and
//! formula, but without the buyers' observers and with seeded bot bidders, served into a log of
//! its own marked `practice` (`DATA_DIR/ID/practice/run-N.log`). A practice auction is never
//! awarded. `veiling serve --practice N` runs it; `veiling tender practice` records each run.

use crate::config::AuctionConfig;
use crate::core::{Offer, Scoring};
use crate::simulate::offer_for;

/// Which practice run, and its bots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PracticeRun {
    /// The run's number (a new number is a fresh practice auction; the same one resumes).
    pub run: u32,
    /// Bot bidders to add (at most [`crate::tender::limits::PRACTICE_BOTS_MAX`]).
    pub bots: u32,
    /// The bots' seed.
    pub seed: u64,
}

/// The id of bot `i` (from 1).
pub fn bot_id(i: u32) -> String {
    format!("oefenbot-{i}")
}

/// The practice config text: the live config without `[[observers]]` (practice bids never
/// reach the buyers) and with `bots` bot suppliers admitted to every lot (quality value 0;
/// in turn-based rounds an initial price at each lot's ceiling).
pub fn practice_config_text(
    config: &AuctionConfig,
    text: &str,
    run: &PracticeRun,
) -> Result<String, String> {
    if run.bots > crate::tender::limits::PRACTICE_BOTS_MAX {
        return Err(format!(
            "at most {} practice bots, got {}",
            crate::tender::limits::PRACTICE_BOTS_MAX,
            run.bots
        ));
    }
    let mut table: toml::Table = toml::from_str(text).map_err(|e| format!("the config: {e}"))?;
    table.remove("observers");
    let rules = &config.rules;
    let mut suppliers = match table.remove("suppliers") {
        Some(toml::Value::Array(a)) => a,
        _ => Vec::new(),
    };
    let lots_of = |f: &dyn Fn(usize) -> toml::Value| {
        let mut m = toml::Table::new();
        for (l, lot) in rules.lots.iter().enumerate() {
            m.insert(lot.id.clone(), f(l));
        }
        toml::Value::Table(m)
    };
    for i in 1..=run.bots {
        let id = bot_id(i);
        if rules.suppliers.iter().any(|s| s.id == id) {
            return Err(format!(
                "a supplier is called '{id}', the name of a practice bot"
            ));
        }
        let mut t = toml::Table::new();
        t.insert("id".into(), toml::Value::String(id));
        t.insert(
            "name".into(),
            toml::Value::String(format!("Oefenbieder {i} (bot)")),
        );
        t.insert(
            "lots".into(),
            toml::Value::Array(
                rules
                    .lots
                    .iter()
                    .map(|l| toml::Value::String(l.id.clone()))
                    .collect(),
            ),
        );
        if rules.scoring != Scoring::Price {
            t.insert(
                "quality".into(),
                lots_of(&|_| toml::Value::String("0".into())),
            );
        }
        if rules.format.rules().turns().is_some() {
            t.insert(
                "initial_prices".into(),
                lots_of(
                    &|l| match offer_for(&rules.lots[l], rules.lots[l].ceiling) {
                        Offer::Total(p) => toml::Value::String(p.to_string()),
                        Offer::Lines(ls) => toml::Value::Array(
                            ls.iter()
                                .map(|d| toml::Value::String(d.to_string()))
                                .collect(),
                        ),
                    },
                ),
            );
        }
        suppliers.push(toml::Value::Table(t));
    }
    table.insert("suppliers".into(), toml::Value::Array(suppliers));
    let body = toml::to_string(&table).map_err(|e| format!("writing the practice config: {e}"))?;
    let text = format!(
        "# PRACTICE run {} of '{}' (oefenveiling): the live auction's lots, rules and formula,\n\
         # without the buyers' observers, with {} bot bidder(s). Never awarded.\n\n{body}",
        run.run, rules.auction_id, run.bots
    );
    crate::config::parse(&text).map_err(|e| format!("the practice config:\n{e}"))?;
    Ok(text)
}
