//! What the admission publishes: the auction config (only the admitted suppliers, with their
//! evaluated quality values and, in turn-based rounds, their submitted initial prices) and each
//! candidate's letter (its own evaluation, and the exact ranking formula or the reasons for its
//! exclusion). Pure functions of the tender's state; `veiling tender publish` writes them.

use serde_json::{Value, json};

use super::*;
use crate::config;

/// The auction config text the admission gives: the tender config without `[tender]`, with only
/// the admitted suppliers, each with `quality` (price-quality scoring) and `initial_prices`
/// (turn-based rounds). It must validate as an auction config; if it does not (a lot without an
/// admitted supplier, more winners than admitted suppliers), the errors say why.
///
/// A tender whose schedule was moved (`veiling tender init --start-in`) publishes the auction at
/// the moved times (`config`'s shift), written with their offset.
pub fn auction_config_text(
    tender: &Tender,
    tender_text: &str,
    config: &config::AuctionConfig,
) -> Result<String, String> {
    let (admitted, _) = tender
        .admission_result()
        .map_err(|r| format!("the admission is not complete ({})", r.code()))?;
    let mut table: toml::Table =
        toml::from_str(tender_text).map_err(|e| format!("the tender config: {e}"))?;
    table.remove("tender");
    let rules = tender.rules();
    let scored = rules.scoring != Scoring::Price;
    let turns = rules.format.rules().turns().is_some();
    let candidates = match table.remove("suppliers") {
        Some(toml::Value::Array(a)) => a,
        _ => Vec::new(),
    };
    let mut kept = toml::value::Array::new();
    for entry in candidates {
        let toml::Value::Table(mut t) = entry else {
            continue;
        };
        let id = t.get("id").and_then(toml::Value::as_str).unwrap_or("");
        let Some(s) = rules.suppliers.iter().position(|x| x.id == id) else {
            continue;
        };
        let Some(a) = admitted.iter().find(|a| a.supplier.ix() == s) else {
            continue;
        };
        let lots_of = |f: &dyn Fn(usize) -> Option<toml::Value>| {
            let mut m = toml::Table::new();
            for (l, lot) in rules.lots.iter().enumerate() {
                if rules.suppliers[s].admitted.get(l).copied().unwrap_or(false)
                    && let Some(v) = f(l)
                {
                    m.insert(lot.id.clone(), v);
                }
            }
            toml::Value::Table(m)
        };
        if scored {
            t.insert(
                "quality".into(),
                lots_of(&|l| Some(toml::Value::String(a.quality[l].to_string()))),
            );
        }
        if turns {
            let sub = tender
                .candidate(a.supplier)
                .and_then(|c| c.submission.as_ref())
                .map(|(_, sub)| sub.clone());
            t.insert(
                "initial_prices".into(),
                lots_of(&|l| {
                    Some(match sub.as_ref()?.initial.get(l)?.as_ref()? {
                        Offer::Total(p) => toml::Value::String(p.to_string()),
                        Offer::Lines(ls) => toml::Value::Array(
                            ls.iter()
                                .map(|d| toml::Value::String(d.to_string()))
                                .collect(),
                        ),
                    })
                }),
            );
        }
        kept.push(toml::Value::Table(t));
    }
    table.insert("suppliers".into(), toml::Value::Array(kept));
    let shift = config.schedule_shift_ms;
    if shift != 0 {
        let tz = &config.time_zone;
        for (section, key) in [
            ("auction", "opens_at"),
            ("auction", "invited_at"),
            ("timing", "closes_at"),
        ] {
            let Some(toml::Value::Table(t)) = table.get_mut(section) else {
                continue;
            };
            let Some(toml::Value::String(text)) = t.get(key) else {
                continue;
            };
            let ms = crate::time::parse_time(text, tz)?;
            let moved = crate::time::config_time(ms + shift, tz);
            t.insert(key.into(), toml::Value::String(moved));
        }
    }
    let body = toml::to_string(&table).map_err(|e| format!("writing the auction config: {e}"))?;
    let moved = if shift != 0 {
        format!(
            "# The tender's schedule was moved by {} (a demonstration): so are these times.\n",
            crate::time::format_duration(shift)
        )
    } else {
        String::new()
    };
    let text = format!(
        "# The auction config of tender '{}', published by `veiling tender publish`: the admitted\n\
         # suppliers with the quality values of their evaluation. Generated: do not edit. The\n\
         # tender log records this file's SHA-256, and the live log's header must carry the same.\n{moved}\n{body}",
        rules.auction_id
    );
    let parsed = config::parse(&text)
        .map_err(|e| format!("the admission gives an auction that cannot run:\n{e}"))?;
    if parsed.tender.is_some() {
        return Err("the admission's auction config still has a [tender]".into());
    }
    Ok(text)
}

/// The scoring method as the config names it (`scoring.method`).
pub fn scoring_name(rules: &Rules) -> &'static str {
    match rules.scoring {
        Scoring::Price => "price",
        Scoring::FictieveKorting => "fictieve_korting",
        Scoring::Coefficient => "coefficient",
    }
}

/// The scoring formula in words, exactly as the auction ranks (for the letters).
pub fn formula_text(rules: &Rules) -> &'static str {
    match rules.scoring {
        Scoring::Price => "score = your total price; the lowest score ranks first",
        Scoring::FictieveKorting => {
            "score = your total price - your quality value (fictieve korting, in euro); the lowest score ranks first"
        }
        Scoring::Coefficient => {
            "score = your total price / (1 + your quality value), rounded half to even to 6 decimals; the lowest score ranks first"
        }
    }
}

/// One candidate's letter: its own evaluation per criterion with the motivation, and either its
/// admission (its quality value per lot and the exact ranking formula) or the reasons it was
/// excluded. Nothing about any other candidate.
pub fn letter(tender: &Tender, supplier: SupplierIx) -> Option<Value> {
    let (admitted, excluded, config_sha) = tender.admission()?;
    let rules = tender.rules();
    let s = rules.suppliers.get(supplier.ix())?;
    let c = tender.candidate(supplier)?;
    let evaluation: Vec<Value> = tender
        .tender()
        .criteria
        .iter()
        .enumerate()
        .filter_map(|(i, crit)| {
            let (verdict, passed, motivation) = c.verdicts.get(i)?.as_ref()?;
            let mut v = json!({"criterion": crit.id, "kind": crit.kind.name(), "text": crit.text,
                               "passed": passed, "motivation": motivation});
            match verdict {
                Verdict::Pass(_) => {}
                Verdict::Value(d) => v["value"] = json!(d.to_string()),
                Verdict::Points(p) => {
                    v["points"] = json!(p);
                    if let CriterionKind::Quality { weight, points_max } = &crit.kind {
                        v["points_max"] = json!(points_max);
                        v["weight"] = json!(weight.to_string());
                    }
                }
            }
            Some(v)
        })
        .collect();
    let mut letter = json!({"tender": rules.auction_id, "supplier": s.id, "name": s.name,
                            "evaluation": evaluation});
    if let Some(a) = admitted.iter().find(|a| a.supplier == supplier) {
        let quality: serde_json::Map<String, Value> = rules
            .lots
            .iter()
            .enumerate()
            .filter(|(l, _)| s.admitted.get(*l).copied().unwrap_or(false))
            .map(|(l, lot)| (lot.id.clone(), json!(a.quality[l].to_string())))
            .collect();
        letter["admitted"] = json!(true);
        letter["quality"] = Value::Object(quality);
        letter["scoring"] = json!(scoring_name(rules));
        letter["formula"] = json!(formula_text(rules));
        letter["quality_rule"] = json!(
            "quality value per lot = the lot's largest quality value x the sum over the quality criteria of weight/100 x points/points_max, rounded down (to the lot's price decimals for a fictieve korting, to 4 decimals for a coefficient)"
        );
        letter["auction_config_sha256"] = json!(config_sha);
    } else if let Some(e) = excluded.iter().find(|e| e.supplier == supplier) {
        letter["admitted"] = json!(false);
        letter["reasons"] = json!(e.reasons);
    }
    Some(letter)
}
