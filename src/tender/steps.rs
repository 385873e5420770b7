//! The tender's steps as `veiling tender` runs them: each opens the tender log (under its lock),
//! turns its arguments into one tender command, makes it durable, writes what the step
//! publishes, and says in words what happened. `docs/tender.md` documents each.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use serde_json::{Value, json};

use super::admission::{auction_config_text, letter};
use super::log::{TenderLog, write_durably};
use super::record::{TNames, parse_command, parse_submission};
use super::*;
use crate::config;
use crate::log::chain;
use crate::log::record::sha256_hex;
use crate::time::format_time;

/// Where a tender keeps its files: `DATA_DIR/ID/`.
pub fn tender_dir(data_dir: &Path, id: &str) -> PathBuf {
    data_dir.join(id)
}

pub fn tender_log_path(data_dir: &Path, id: &str) -> PathBuf {
    tender_dir(data_dir, id).join("tender.log")
}

/// How often a step tries the tender's lock, 20 ms apart.
const LOCK_TRIES: u32 = 150;

/// Held while a step runs: one tender step at a time per tender.
pub struct TenderLock(#[allow(dead_code)] std::fs::File);

fn lock(dir: &Path) -> Result<TenderLock, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join("tender.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    // A step takes well under a second: wait a little for one that is running (at most
    // LOCK_TRIES x 20 ms) before saying so.
    for _ in 0..LOCK_TRIES {
        match file.try_lock() {
            Ok(()) => return Ok(TenderLock(file)),
            Err(std::fs::TryLockError::WouldBlock) => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(format!("{}: {e}", path.display()));
            }
        }
    }
    Err(format!(
        "{}: another tender step is running on this tender; try again when it has finished",
        path.display()
    ))
}

/// `veiling tender init`: start the tender log of a tender config. `shift_to`: move the whole
/// schedule so the qualification opens at that time (a demonstration; recorded in the log).
pub fn init(
    config_path: &Path,
    data_dir: &Path,
    key: SigningKey,
    now: TimeMs,
    shift_to: Option<TimeMs>,
) -> Result<String, String> {
    let (mut config, text) = config::load_file(config_path).map_err(|e| {
        e.0.iter()
            .map(|x| format!("{}: {x}", config_path.display()))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let Some(t) = &config.tender else {
        return Err(format!(
            "{}: no [tender]: an auction config is served (`veiling serve`), a tender config is run by `veiling tender`",
            config_path.display()
        ));
    };
    if let Some(to) = shift_to {
        // Whole seconds (down: it opens at `to` or just before), so the published auction's
        // moved times read well.
        let by = (to - t.qualification_opens_at).div_euclid(1000) * 1000;
        config.shift_schedule(by);
    }
    let id = config.rules.auction_id.clone();
    let dir = tender_dir(data_dir, &id);
    let _lock = lock(&dir)?;
    let path = tender_log_path(data_dir, &id);
    let log = TenderLog::create(&path, &config, &text, now, key)?;
    let t = log.tender().tender();
    let tz = &config.time_zone;
    Ok(format!(
        "tender {id}: log {} started\n  qualification opens  {}\n  questions until      {}\n  submissions until    {}\n  live auction opens   {}\n  {} candidate(s), {} criteria\n",
        path.display(),
        format_time(t.qualification_opens_at, tz),
        format_time(t.questions_close_at, tz),
        format_time(t.qualification_closes_at, tz),
        format_time(config.rules.opens_at, tz),
        config.rules.suppliers.len(),
        t.criteria.len()
    ))
}

/// The steps after `init`, as the command line gives them.
pub enum Step {
    Open,
    Register,
    /// A submission file (JSON).
    Submit(Value),
    Ask(String),
    Answer {
        question: Seq,
        text: String,
    },
    Close,
    /// An evaluations file: `[{"supplier", "criterion", "pass"|"value"|"points", "motivation"}]`.
    Evaluate(Value),
    Publish,
    Practice,
    Live,
    /// The sealed live log.
    ProposeAward(PathBuf),
    ConfirmAward,
}

/// What a step did: its text for people, whether everything it sent was accepted, and each
/// record it made: (seq, record hash, outcome as in the log).
pub struct StepResult {
    pub text: String,
    pub accepted: bool,
    pub records: Vec<(Seq, String, Value)>,
}

/// Run one step as `who` (`supplier:ID` or `auctioneer:ID`, checked against the config).
pub fn run(
    data_dir: &Path,
    id: &str,
    who: &str,
    key: SigningKey,
    now: TimeMs,
    step: Step,
) -> Result<StepResult, String> {
    let dir = tender_dir(data_dir, id);
    let _lock = lock(&dir)?;
    let mut log = TenderLog::open(&tender_log_path(data_dir, id), key)?;
    let commands = commands_of(&log, who, &step)?;
    let mut text = String::new();
    let mut accepted = true;
    let mut published = false;
    let mut records = Vec::new();
    for command in commands {
        let command = match (&command, &step) {
            // The admission's auction config: its hash goes on the record. (While the
            // evaluation is incomplete the tender refuses the step itself, on the record.)
            (TenderCommand::Publish { by, .. }, _)
                if log.tender().admission_result().is_ok()
                    && matches!(
                        log.tender().phase(),
                        TenderPhase::QualificationClosed | TenderPhase::Evaluation
                    ) =>
            {
                let cfg = auction_config_text(log.tender(), log.config_text(), log.config())?;
                TenderCommand::Publish {
                    by: *by,
                    auction_config_sha256: sha256_hex(cfg.as_bytes()),
                }
            }
            _ => command,
        };
        let receipt = log.submit(now, command)?;
        {
            let names = TNames {
                tender: log.tender().tender(),
                rules: log.tender().rules(),
            };
            records.push((
                receipt.seq,
                receipt.hash.clone(),
                super::record::outcome_json(&receipt.outcome, &names),
            ));
        }
        match &receipt.outcome {
            Ok(events) => {
                for e in events {
                    text.push_str(&describe(&log, e));
                    text.push('\n');
                    published |= matches!(e, TenderEvent::AdmissionPublished { .. });
                    if let TenderEvent::PracticeStarted { run, .. } = e {
                        text.push_str(&format!(
                            "  serve it: veiling serve --config {} --data-dir {} --practice {run} --bots {}\n",
                            dir.join("auction.toml").display(),
                            data_dir.display(),
                            log.tender().tender().practice_bots
                        ));
                    }
                }
                text.push_str(&format!(
                    "  record #{} {}\n",
                    receipt.seq,
                    &receipt.hash[..16]
                ));
            }
            Err(r) => {
                accepted = false;
                text.push_str(&format!(
                    "refused [{}]: {} (record #{})\n",
                    r.code(),
                    explain(r, &log),
                    receipt.seq
                ));
            }
        }
    }
    if published {
        text.push_str(&publish_files(&log, &dir, data_dir)?);
    }
    Ok(StepResult {
        text,
        accepted,
        records,
    })
}

/// The commands a step sends: one, or (evaluations from a file) one per line of the file.
fn commands_of(log: &TenderLog, who: &str, step: &Step) -> Result<Vec<TenderCommand>, String> {
    let names = TNames {
        tender: log.tender().tender(),
        rules: log.tender().rules(),
    };
    let (role, _) = who.split_once(':').unwrap_or((who, ""));
    let cmd = |v: Value| parse_command(who, &v, &names).map(|c| vec![c]);
    let needs = |want: &str| {
        if role == want {
            Ok(())
        } else {
            Err(format!(
                "this step is a {want}'s: give --as with a {want} id"
            ))
        }
    };
    match step {
        Step::Open => cmd(json!({"op": "open_qualification"})),
        Step::Register => {
            needs("supplier")?;
            cmd(json!({"op": "register"}))
        }
        Step::Submit(file) => {
            needs("supplier")?;
            // Read it the way the log will, so a bad file is refused before it is recorded.
            parse_submission(file, &names)?;
            let mut v = file.clone();
            if let Some(m) = v.as_object_mut() {
                m.insert("op".into(), json!("submit"));
            }
            cmd(v)
        }
        Step::Ask(text) => cmd(json!({"op": "ask", "text": text})),
        Step::Answer { question, text } => {
            cmd(json!({"op": "answer", "question": question, "text": text}))
        }
        Step::Close => cmd(json!({"op": "close_qualification"})),
        Step::Evaluate(file) => {
            needs("auctioneer")?;
            let rows = file
                .as_array()
                .ok_or("an evaluations file is a JSON array of {supplier, criterion, pass|value|points, motivation}")?;
            if rows.is_empty() {
                return Err("the evaluations file is empty".into());
            }
            if rows.len() > 100_000 {
                return Err("at most 100000 evaluations in one file".into());
            }
            rows.iter()
                .enumerate()
                .map(|(i, row)| {
                    let mut v = row.clone();
                    let m = v
                        .as_object_mut()
                        .ok_or_else(|| format!("evaluation {}: not an object", i + 1))?;
                    m.insert("op".into(), json!("evaluate"));
                    parse_command(who, &v, &names).map_err(|e| format!("evaluation {}: {e}", i + 1))
                })
                .collect()
        }
        Step::Publish => cmd(json!({"op": "publish_admission", "auction_config_sha256": ""})),
        Step::Practice => cmd(json!({"op": "start_practice"})),
        Step::Live => cmd(json!({"op": "start_live"})),
        Step::ProposeAward(live) => {
            needs("auctioneer")?;
            if log.tender().phase() != TenderPhase::Live {
                // Out of order: the tender refuses it, on the record, before any live log.
                return cmd(json!({"op": "propose_award", "live_head": "", "lots": []}));
            }
            let (head, lots) = live_result(log, live)?;
            let mut v = json!({"op": "propose_award", "live_head": head, "lots": []});
            v["lots"] = json!(
                lots.iter()
                    .map(|a| {
                        json!({"lot": log.tender().rules().lots[a.lot.ix()].id,
                           "winners": a.winners.iter().map(|(rank, s, total, score)| json!({
                               "rank": rank, "supplier": log.tender().rules().suppliers[s.ix()].id,
                               "total": total.to_string(), "score": score.to_string()}))
                               .collect::<Vec<_>>(),
                           "reserve_met": a.reserve_met})
                    })
                    .collect::<Vec<_>>()
            );
            cmd(v)
        }
        Step::ConfirmAward => cmd(json!({"op": "confirm_award"})),
    }
}

/// The result of the live auction: verify the live log, check that it is the auction this
/// tender admitted (its config hash) and that it is live, not practice, and sealed by its award;
/// then each lot's winners as awarded in it.
fn live_result(log: &TenderLog, live: &Path) -> Result<(String, Vec<LotAward>), String> {
    let bytes = std::fs::read(live).map_err(|e| format!("{}: {e}", live.display()))?;
    let check = chain::verify(&bytes, None, &mut |_| {});
    let verified = match (check.verified, check.problem) {
        (Some(v), None) => v,
        (_, Some(p)) => return Err(format!("{}: {p}", live.display())),
        (None, None) => return Err(format!("{}: empty", live.display())),
    };
    let tender = log.tender();
    let (_, _, sha) = tender
        .admission()
        .ok_or("no admission published: nothing to award")?;
    if verified.header.mode != "live" {
        return Err(format!(
            "{} is a {} log: only the live auction can be awarded, never a practice run",
            live.display(),
            verified.header.mode
        ));
    }
    if verified.header.config_sha256 != sha {
        return Err(format!(
            "{} runs a config with SHA-256 {}, not the auction config this tender's admission published ({sha})",
            live.display(),
            verified.header.config_sha256
        ));
    }
    if !verified.sealed {
        return Err(format!(
            "{} is not sealed: award every lot in the live auction first (the award seals its log)",
            live.display()
        ));
    }
    let head = verified.head().to_string();
    let replayed =
        chain::replay(&verified, None).map_err(|e| format!("{}: {e}", live.display()))?;
    let auction = &replayed.auction;
    let admitted_rules = &replayed.config.rules;
    let rules = tender.rules();
    // The live auction's suppliers are the admitted ones: map them back by id.
    let to_tender = |s: SupplierIx| {
        let id = &admitted_rules.suppliers.get(s.ix())?.id;
        rules
            .suppliers
            .iter()
            .position(|x| &x.id == id)
            .map(|i| SupplierIx(i as u32))
    };
    let mut lots = Vec::new();
    for (l, state) in auction.lots().iter().enumerate() {
        let Some((winners, reserve_met)) = &state.award else {
            return Err(format!(
                "lot '{}' was not awarded in the live auction",
                rules.lots[l].id
            ));
        };
        let winners = winners
            .iter()
            .map(|w| {
                to_tender(w.supplier)
                    .map(|s| (w.rank, s, w.total, w.score))
                    .ok_or("a winner who is not a candidate".to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        lots.push(LotAward {
            lot: LotIx(l as u32),
            winners,
            reserve_met: *reserve_met,
        });
    }
    Ok((head, lots))
}

/// After the admission: the auction config and every candidate's letter, next to the log.
fn publish_files(log: &TenderLog, dir: &Path, data_dir: &Path) -> Result<String, String> {
    let text = auction_config_text(log.tender(), log.config_text(), log.config())?;
    let path = dir.join("auction.toml");
    write_durably(&path, text.as_bytes())?;
    let letters = dir.join("letters");
    std::fs::create_dir_all(&letters).map_err(|e| format!("{}: {e}", letters.display()))?;
    let mut out = format!(
        "  wrote {} (SHA-256 {})\n",
        path.display(),
        sha256_hex(text.as_bytes())
    );
    // The admission issues the auction's credentials: the admitted suppliers' tokens (and the
    // auctioneers', observers' and auditor's), which `veiling serve` then uses.
    let auction = config::parse(&text).map_err(|e| e.to_string())?;
    let creds = dir.join("credentials.json");
    crate::server::creds::load_or_create(&creds, &auction)?;
    out.push_str(&format!(
        "  wrote the auction's credentials to {} (admitted suppliers only)\n",
        creds.display()
    ));
    for (s, supplier) in log.tender().rules().suppliers.iter().enumerate() {
        if let Some(l) = letter(log.tender(), SupplierIx(s as u32)) {
            let p = letters.join(format!("{}.json", supplier.id));
            let body = serde_json::to_string_pretty(&l).map_err(|e| e.to_string())?;
            write_durably(&p, body.as_bytes())?;
        }
    }
    out.push_str(&format!(
        "  wrote each candidate's letter to {}\n  serve the auction with: veiling serve --config {} --data-dir {}\n",
        letters.display(),
        path.display(),
        data_dir.display()
    ));
    Ok(out)
}

/// An event in words.
pub fn describe(log: &TenderLog, e: &TenderEvent) -> String {
    let rules = log.tender().rules();
    let tz = &log.config().time_zone;
    let sup = |s: SupplierIx| rules.suppliers.get(s.ix()).map_or("?", |x| x.id.as_str());
    let auc = |a: AuctioneerIx| rules.auctioneers.get(a.ix()).map_or("?", |x| x.id.as_str());
    let crit = |c: usize| {
        log.tender()
            .tender()
            .criteria
            .get(c)
            .map_or("?", |x| x.id.as_str())
    };
    use TenderEvent as E;
    match e {
        E::QualificationOpened { by, .. } => format!("qualification opened by {}", auc(*by)),
        E::Registered { supplier, .. } => format!("{} registered", sup(*supplier)),
        E::Submitted {
            supplier, replaces, ..
        } => format!(
            "submission of {} received{}",
            sup(*supplier),
            if *replaces {
                " (it replaces the earlier one)"
            } else {
                ""
            }
        ),
        E::QuestionAsked { question, .. } => {
            format!(
                "question #{question} received (its answer goes to every candidate, without who asked)"
            )
        }
        E::QuestionAnswered { question, .. } => {
            format!("question #{question} answered and published to every candidate")
        }
        E::QualificationClosed { by, .. } => format!("qualification closed by {}", auc(*by)),
        E::Evaluated {
            supplier,
            criterion,
            passed,
            ..
        } => format!(
            "{} on {}: {}",
            sup(*supplier),
            crit(*criterion),
            if *passed { "passed" } else { "NOT passed" }
        ),
        E::AdmissionPublished {
            admitted, excluded, ..
        } => {
            let mut s = format!(
                "admission published: {} admitted, {} excluded",
                admitted.len(),
                excluded.len()
            );
            for a in admitted {
                s.push_str(&format!(
                    "\n  admitted {} (quality {})",
                    sup(a.supplier),
                    rules
                        .lots
                        .iter()
                        .enumerate()
                        .filter(|(l, _)| rules.suppliers[a.supplier.ix()].admitted[*l])
                        .map(|(l, lot)| format!("{} {}", lot.id, a.quality[l]))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            for x in excluded {
                s.push_str(&format!(
                    "\n  excluded {}: {}",
                    sup(x.supplier),
                    x.reasons.join("; ")
                ));
            }
            s
        }
        E::PracticeStarted { run, .. } => format!(
            "practice run {run} started (a practice log of its own; never awarded, never shown to observers); the live auction opens {}",
            format_time(rules.opens_at, tz)
        ),
        E::LiveStarted { by, .. } => {
            format!("live auction started by {}: no more practice", auc(*by))
        }
        E::AwardProposed { lots, .. } => {
            let mut s = "award proposed:".to_string();
            for a in lots {
                s.push_str(&format!(
                    "\n  {}: {}{}",
                    rules.lots[a.lot.ix()].id,
                    if a.winners.is_empty() {
                        "no winner".to_string()
                    } else {
                        a.winners
                            .iter()
                            .map(|(r, w, total, score)| {
                                format!("{r}. {} total {total} score {score}", sup(*w))
                            })
                            .collect::<Vec<_>>()
                            .join("; ")
                    },
                    match a.reserve_met {
                        Some(true) => "; reserve met",
                        Some(false) => "; reserve NOT met",
                        None => "",
                    }
                ));
            }
            s
        }
        E::AwardConfirmationRequested { by, .. } => format!(
            "award confirmation asked by {}: a second auctioneer confirms (four-eyes)",
            auc(*by)
        ),
        E::AwardConfirmed { by, .. } => {
            format!("award confirmed by {}; the tender log is sealed", auc(*by))
        }
    }
}

/// A refusal in words, with its numbers.
pub fn explain(r: &TenderRejection, log: &TenderLog) -> String {
    let rules = log.tender().rules();
    let tz = &log.config().time_zone;
    let sup = |s: &SupplierIx| rules.suppliers.get(s.ix()).map_or("?", |x| x.id.as_str());
    use TenderRejection as R;
    match r {
        R::OutOfOrder { phase, next } => {
            format!("not now: the tender is at {}; next: {next}", phase.name())
        }
        R::NotYet { opens_at } => format!("the qualification opens {}", format_time(*opens_at, tz)),
        R::TooLate { closes_at } => format!(
            "too late: submissions closed {}",
            format_time(*closes_at, tz)
        ),
        R::QuestionsClosed { closed_at } => {
            format!("questions closed {}", format_time(*closed_at, tz))
        }
        R::ClosesLater {
            closes_at,
            submitted,
            candidates,
        } => format!(
            "the qualification closes {}; earlier only when every candidate has submitted ({submitted} of {candidates} have)",
            format_time(*closes_at, tz)
        ),
        R::NotRegistered { supplier } => format!("{} has not registered", sup(supplier)),
        R::AlreadyRegistered { supplier } => format!("{} is registered already", sup(supplier)),
        R::Incomplete { missing } => format!("incomplete: no answer to {}", missing.join(", ")),
        R::BadAnswer { criterion, why } => format!("{criterion}: {why}"),
        R::TextRequired => "a text is required".into(),
        R::TextTooLong { len, max } => format!("{len} characters; at most {max}"),
        R::TooManyQuestions { max } => format!("at most {max} questions per candidate"),
        R::TooManySubmissions { max } => format!("at most {max} submissions per candidate"),
        R::UnknownQuestion { question } => format!("no question #{question}"),
        R::AlreadyAnswered { question } => format!("question #{question} is answered already"),
        R::NoSubmission { supplier } => format!("{} made no submission", sup(supplier)),
        R::BadVerdict { criterion, why } => format!("{criterion}: {why}"),
        R::NotEvaluated {
            supplier,
            criterion,
        } => format!(
            "{} is not evaluated on {criterion} yet: evaluate every criterion of every submission first",
            sup(supplier)
        ),
        R::LiveOpensAt { opens_at } => format!(
            "the live auction opens {}: no more practice",
            format_time(*opens_at, tz)
        ),
        R::PracticeRunsMax { max } => format!("at most {max} practice runs"),
        R::BadProposal { why } => why.clone(),
        R::SelfConfirmation => {
            "the award is confirmed by a different auctioneer than the one who asked".into()
        }
        R::UnknownSupplier { supplier } => format!("unknown supplier {}", supplier.0),
        R::UnknownAuctioneer { by } => format!("unknown auctioneer {}", by.0),
        R::NotCandidate { supplier } => format!("{} is not a candidate", sup(supplier)),
    }
}

/// `veiling tender export`: the award (proposed or confirmed) as `award.json`, `award.csv` and
/// `buyers.csv` in `out`.
pub fn export(data_dir: &Path, id: &str, key: SigningKey, out: &Path) -> Result<String, String> {
    let log = TenderLog::open(&tender_log_path(data_dir, id), key)?;
    let t = log.tender();
    let (json, award, buyers) = match (
        super::award::award_json(t, log.config()),
        super::award::award_csv(t),
        super::award::buyers_csv(t, log.config()),
    ) {
        (Some(j), Some(a), Some(b)) => (j, a, b),
        _ => {
            return Err(format!(
                "no award proposed yet (the tender is at {})",
                t.phase().name()
            ));
        }
    };
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let body = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
    write_durably(&out.join("award.json"), body.as_bytes())?;
    write_durably(&out.join("award.csv"), award.as_bytes())?;
    write_durably(&out.join("buyers.csv"), buyers.as_bytes())?;
    Ok(format!(
        "award ({}) exported to {}: award.json, award.csv, buyers.csv\n",
        json["status"].as_str().unwrap_or("?"),
        out.display()
    ))
}

/// `veiling tender status`: where the tender stands, for people.
pub fn status(data_dir: &Path, id: &str, key: SigningKey) -> Result<String, String> {
    let log = TenderLog::open(&tender_log_path(data_dir, id), key)?;
    let t = log.tender();
    let rules = t.rules();
    let tz = &log.config().time_zone;
    let mut s = format!(
        "tender {id}: {}{}\n",
        t.phase().name(),
        if log.is_sealed() { " (sealed)" } else { "" }
    );
    let tr = t.tender();
    s.push_str(&format!(
        "  qualification {} .. {} (questions until {}); live auction {}\n",
        format_time(tr.qualification_opens_at, tz),
        format_time(tr.qualification_closes_at, tz),
        format_time(tr.questions_close_at, tz),
        format_time(rules.opens_at, tz)
    ));
    for (i, sup) in rules.suppliers.iter().enumerate() {
        let Some(c) = t.candidate(SupplierIx(i as u32)) else {
            continue;
        };
        let evaluated = c.verdicts.iter().filter(|v| v.is_some()).count();
        s.push_str(&format!(
            "  {}: {}, {}, {evaluated}/{} criteria evaluated\n",
            sup.id,
            if c.registered {
                "registered"
            } else {
                "not registered"
            },
            match &c.submission {
                Some((at, _)) => format!("submitted {}", format_time(*at, tz)),
                None => "no submission".into(),
            },
            tr.criteria.len()
        ));
    }
    let open = t.questions().filter(|(_, q)| q.answer.is_none()).count();
    s.push_str(&format!(
        "  questions: {} ({open} unanswered); practice runs: {}\n",
        t.questions().count(),
        t.practice_runs()
    ));
    Ok(s)
}

/// The published questions and answers (nota van inlichtingen): every question with its
/// answer, never who asked.
pub fn nota(data_dir: &Path, id: &str, key: SigningKey) -> Result<Value, String> {
    let log = TenderLog::open(&tender_log_path(data_dir, id), key)?;
    Ok(json!(
        log.tender()
            .questions()
            .filter_map(|(n, q)| {
                let (at, answer) = q.answer.as_ref()?;
                Some(json!({"question": n, "text": q.text, "answer": answer, "answered_at": at}))
            })
            .collect::<Vec<_>>()
    ))
}

/// What one participant sees of the tender (`GET /tender`): the phase, the dates, the criteria
/// and the published questions and answers; a candidate also its own registration, submission
/// and, once published, its own letter; an auctioneer or the auditor every candidate's status,
/// every question with who asked, and the admission. `who`: `supplier:ID`, `auctioneer:ID`,
/// `observer:ID` or `auditor`.
pub fn view(
    data_dir: &Path,
    id: &str,
    key: SigningKey,
    who: &str,
    now: TimeMs,
) -> Result<Value, String> {
    let log = TenderLog::open(&tender_log_path(data_dir, id), key)?;
    let t = log.tender();
    let rules = t.rules();
    let tr = t.tender();
    let names = TNames { tender: tr, rules };
    let criteria: Vec<Value> = tr
        .criteria
        .iter()
        .map(|c| {
            let mut v = json!({"id": c.id, "kind": c.kind.name(), "text": c.text});
            match &c.kind {
                CriterionKind::KnockOut { evidence_required } => {
                    v["evidence_required"] = json!(evidence_required)
                }
                CriterionKind::Threshold { minimum, unit } => {
                    v["minimum"] = json!(minimum.to_string());
                    v["unit"] = json!(unit);
                }
                CriterionKind::Quality { weight, points_max } => {
                    v["weight"] = json!(weight.to_string());
                    v["points_max"] = json!(points_max);
                }
            }
            v
        })
        .collect();
    let nota: Vec<Value> = t
        .questions()
        .filter_map(|(n, q)| {
            let (at, answer) = q.answer.as_ref()?;
            Some(json!({"question": n, "text": q.text, "answer": answer, "answered_at": at}))
        })
        .collect();
    let mut v = json!({
        "tender": rules.auction_id, "title": rules.title, "phase": t.phase().name(),
        "sealed": log.is_sealed(),
        "dates": {"qualification_opens_at": tr.qualification_opens_at,
                  "questions_close_at": tr.questions_close_at,
                  "qualification_closes_at": tr.qualification_closes_at,
                  "auction_opens_at": rules.opens_at, "award_by": tr.award_by},
        "criteria": criteria,
        "scoring": super::admission::scoring_name(rules),
        "format": rules.format.name(),
        "server_time": now,
        "formula": super::admission::formula_text(rules),
        "nota": nota,
    });
    let (role, pid) = who.split_once(':').unwrap_or((who, ""));
    match role {
        "supplier" => {
            let s = names
                .supplier_ix(pid)
                .ok_or_else(|| format!("unknown supplier '{pid}'"))?;
            let c = t.candidate(s).ok_or("unknown candidate")?;
            let sup = &rules.suppliers[s.ix()];
            v["lots"] = json!(
                rules
                    .lots
                    .iter()
                    .enumerate()
                    .map(|(l, lot)| json!({"id": lot.id, "name": lot.name,
                        "candidate": sup.admitted[l], "ceiling": lot.ceiling.to_string(),
                        "price_decimals": lot.price_decimals,
                        "lines": lot.lines.iter().map(|x| json!({"id": x.id,
                            "description": x.description, "unit": x.unit,
                            "quantity": x.quantity.to_string()})).collect::<Vec<_>>()}))
                    .collect::<Vec<_>>()
            );
            v["you"] = json!({
                "id": sup.id, "name": sup.name, "registered": c.registered,
                "submissions": c.submissions,
                "submitted_at": c.submission.as_ref().map(|(at, _)| at),
                "submission": c.submission.as_ref()
                    .map(|(_, sub)| super::record::submission_json(sub, &names)),
                "questions": t.questions().filter(|(_, q)| q.supplier == s)
                    .map(|(n, q)| json!({"question": n, "text": q.text,
                                         "answered": q.answer.is_some()}))
                    .collect::<Vec<_>>(),
            });
            if let Some(l) = letter(t, s) {
                v["letter"] = l;
            }
        }
        "auctioneer" | "auditor" => {
            v["candidates"] = json!(
                rules
                    .suppliers
                    .iter()
                    .enumerate()
                    .filter_map(|(i, sup)| {
                        let c = t.candidate(SupplierIx(i as u32))?;
                        Some(
                            json!({"id": sup.id, "name": sup.name, "registered": c.registered,
                            "submitted_at": c.submission.as_ref().map(|(at, _)| at),
                            "evaluated": c.verdicts.iter().filter(|x| x.is_some()).count()}),
                        )
                    })
                    .collect::<Vec<_>>()
            );
            v["questions"] = json!(
                t.questions()
                    .map(|(n, q)| json!({"question": n, "at": q.at,
                        "supplier": rules.suppliers[q.supplier.ix()].id, "text": q.text,
                        "answer": q.answer.as_ref().map(|(_, a)| a)}))
                    .collect::<Vec<_>>()
            );
            if let Some((admitted, excluded, sha)) = t.admission() {
                v["admission"] = json!({
                    "admitted": admitted.iter().map(|a| &rules.suppliers[a.supplier.ix()].id)
                        .collect::<Vec<_>>(),
                    "excluded": excluded.iter().map(|e| json!({
                        "supplier": rules.suppliers[e.supplier.ix()].id, "reasons": e.reasons}))
                        .collect::<Vec<_>>(),
                    "auction_config_sha256": sha});
            }
        }
        _ => {}
    }
    Ok(v)
}
