//! The tender: the dieetvoeding tender config runs the whole route through `veiling tender`'s
//! steps (qualification, evaluation, admission, practice runs, the live auction, the award),
//! every refusal with its code, and the tender log verifies, replays and refuses tampering.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use veiling::core::*;
use veiling::tender::TenderPhase;
use veiling::tender::log::TenderLog;
use veiling::tender::steps::{self, Step, StepResult};

const CONFIG: &str = "auction-configs/dieetvoeding-2024-tender.toml";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

/// A time in the tender's zone.
fn t(text: &str) -> TimeMs {
    let tz = jiff::tz::TimeZone::get("Europe/Amsterdam").unwrap();
    veiling::time::parse_time(text, &tz).unwrap()
}

struct Env {
    data: PathBuf,
}

impl Env {
    fn step(&self, who: &str, at: &str, step: Step) -> StepResult {
        steps::run(&self.data, "dieetvoeding-2024", who, key(), t(at), step)
            .unwrap_or_else(|e| panic!("{who} at {at}: {e}"))
    }
    fn ok(&self, who: &str, at: &str, step: Step) -> String {
        let r = self.step(who, at, step);
        assert!(r.accepted, "{who} at {at}: refused:\n{}", r.text);
        r.text
    }
    /// Refused with `code`; the refusal is recorded.
    fn refused(&self, who: &str, at: &str, step: Step, code: &str) -> String {
        let r = self.step(who, at, step);
        assert!(!r.accepted, "{who} at {at}: accepted:\n{}", r.text);
        assert!(
            r.text.contains(&format!("refused [{code}]")),
            "{who} at {at}: expected {code}:\n{}",
            r.text
        );
        r.text
    }
    fn log(&self) -> TenderLog {
        TenderLog::open(&self.data.join("dieetvoeding-2024/tender.log"), key()).unwrap()
    }
}

fn yes(evidence: &str) -> Value {
    json!({"yes": true, "evidence": evidence})
}

/// A complete submission: every knock-out yes with evidence, a turnover, the two quality texts.
fn submission(turnover: &str) -> Value {
    json!({"answers": {
        "kvk": yes("KvK 12345678"), "wtza": yes("Wtza-toelating 2019"),
        "governancecode": yes("jaarverslag 2023, hoofdstuk 4"), "ubo": yes("UBO-register"),
        "vecozo": yes("Vecozo-certificaat 2024"),
        "verwijzingsregisters": yes("verklaring directie"),
        "verscherpt-toezicht": yes("IGJ-register"),
        "ernstige-fout": {"yes": true}, "faillissement": {"yes": true},
        "jaaromzet": {"value": turnover, "evidence": "jaarrekening 2023"},
        "leverbetrouwbaarheid": {"text": "Bijlage 3: plan van aanpak levering"},
        "service-verzekerden": {"text": "Bijlage 4: servicebeleid"}
    }})
}

/// Every criterion of one supplier: knock-outs as given, the turnover verified, the points.
fn evaluation(supplier: &str, failed: &[&str], turnover: &str, points: (u32, u32)) -> Vec<Value> {
    let knock_outs = [
        "kvk",
        "wtza",
        "governancecode",
        "ubo",
        "vecozo",
        "verwijzingsregisters",
        "verscherpt-toezicht",
        "ernstige-fout",
        "faillissement",
    ];
    let mut rows: Vec<Value> = knock_outs
        .iter()
        .map(|c| {
            let pass = !failed.contains(c);
            json!({"supplier": supplier, "criterion": c, "pass": pass,
                   "motivation": if pass { "aangetoond met het bewijsstuk" }
                                 else { "IGJ-register: onder verscherpt toezicht sinds 2024-03-01" }})
        })
        .collect();
    rows.push(
        json!({"supplier": supplier, "criterion": "jaaromzet", "value": turnover,
                     "motivation": "jaarrekening gecontroleerd"}),
    );
    rows.push(
        json!({"supplier": supplier, "criterion": "leverbetrouwbaarheid",
                     "points": points.0, "motivation": "beoordeeld door het panel"}),
    );
    rows.push(
        json!({"supplier": supplier, "criterion": "service-verzekerden",
                     "points": points.1, "motivation": "beoordeeld door het panel"}),
    );
    rows
}

const CANDIDATES: [&str; 6] = [
    "alfa-medical",
    "bravo-zorg",
    "celsius-pharma",
    "delta-dieet",
    "echo-health",
    "foxtrot-voeding",
];

fn sup(id: &str) -> String {
    format!("supplier:{id}")
}

const A1: &str = "auctioneer:inkoper-1";
const A2: &str = "auctioneer:inkoper-2";

/// The whole route of the dieetvoeding tender, with a refusal at every step that can refuse.
#[test]
fn the_dieetvoeding_tender_runs_from_qualification_to_confirmed_award() {
    let data = crate::durability::tempdir("tender/route");
    let env = Env { data: data.clone() };
    steps::init(
        &root().join(CONFIG),
        &data,
        key(),
        t("2024-05-20T09:00"),
        None,
    )
    .unwrap();
    // A second init is refused: the tender has its log.
    assert!(
        steps::init(
            &root().join(CONFIG),
            &data,
            key(),
            t("2024-05-20T09:00"),
            None
        )
        .is_err()
    );

    // Qualification: not before its date; nothing else before it opens.
    env.refused(A1, "2024-06-01T09:00", Step::Open, "not_yet");
    env.refused(
        &sup("alfa-medical"),
        "2024-06-01T09:00",
        Step::Register,
        "out_of_order",
    );
    env.refused(A1, "2024-06-01T09:00", Step::Publish, "out_of_order");
    env.ok(A1, "2024-06-03T09:00", Step::Open);
    env.refused(
        &sup("alfa-medical"),
        "2024-06-03T10:00",
        Step::Submit(submission("4200000.00")),
        "not_registered",
    );
    for c in CANDIDATES {
        env.ok(&sup(c), "2024-06-03T10:00", Step::Register);
    }
    env.refused(
        &sup("alfa-medical"),
        "2024-06-03T10:01",
        Step::Register,
        "already_registered",
    );
    // An incomplete submission names what is missing; a yes without its evidence is refused.
    let mut partial = submission("2000000.00");
    partial["answers"].as_object_mut().unwrap().remove("vecozo");
    let text = env.refused(
        &sup("delta-dieet"),
        "2024-06-04T09:00",
        Step::Submit(partial),
        "incomplete",
    );
    assert!(text.contains("vecozo"), "{text}");
    let mut no_evidence = submission("2000000.00");
    no_evidence["answers"]["kvk"] = json!({"yes": true, "evidence": " "});
    env.refused(
        &sup("delta-dieet"),
        "2024-06-04T09:00",
        Step::Submit(no_evidence),
        "bad_answer",
    );
    for (c, turnover) in [
        ("alfa-medical", "4200000.00"),
        ("bravo-zorg", "3100000.00"),
        ("celsius-pharma", "1800000.00"),
        ("delta-dieet", "2000000.00"),
        ("echo-health", "1500000.00"),
    ] {
        env.ok(
            &sup(c),
            "2024-06-10T12:00",
            Step::Submit(submission(turnover)),
        );
    }
    // A later submission replaces the earlier one.
    let text = env.ok(
        &sup("echo-health"),
        "2024-06-11T12:00",
        Step::Submit(submission("1550000.00")),
    );
    assert!(text.contains("replaces"), "{text}");
    // Questions and answers: the nota names no one.
    let asked = env.ok(
        &sup("bravo-zorg"),
        "2024-06-12T09:00",
        Step::Ask("Telt omzet uit thuiszorgproducten mee voor de jaaromzet?".into()),
    );
    assert!(asked.contains("question #"), "{asked}");
    let question = env
        .log()
        .tender()
        .questions()
        .next()
        .map(|(n, _)| *n)
        .unwrap();
    env.ok(
        A1,
        "2024-06-14T09:00",
        Step::Answer {
            question,
            text: "Nee, alleen omzet in dieetvoeding telt mee.".into(),
        },
    );
    env.refused(
        A1,
        "2024-06-14T09:05",
        Step::Answer {
            question,
            text: "nog eens".into(),
        },
        "already_answered",
    );
    let nota = steps::nota(&data, "dieetvoeding-2024", key()).unwrap();
    assert_eq!(nota.as_array().unwrap().len(), 1);
    assert!(!nota.to_string().contains("bravo"), "{nota}");
    env.refused(
        &sup("alfa-medical"),
        "2024-06-21T17:00",
        Step::Ask("te laat".into()),
        "questions_closed",
    );
    // Closing early is refused while foxtrot has not submitted; it submits at the last minute;
    // a submission at the deadline is too late.
    env.refused(A1, "2024-06-30T09:00", Step::Close, "closes_later");
    env.refused(
        A1,
        "2024-06-30T09:00",
        Step::Evaluate(json!(evaluation("alfa-medical", &[], "4200000.00", (8, 6)))),
        "out_of_order",
    );
    env.ok(
        &sup("foxtrot-voeding"),
        "2024-07-05T11:59",
        Step::Submit(submission("2500000.00")),
    );
    env.refused(
        &sup("alfa-medical"),
        "2024-07-05T12:00",
        Step::Submit(submission("4300000.00")),
        "too_late",
    );
    env.ok(A1, "2024-07-05T12:00", Step::Close);

    // Evaluation: a wrong kind of verdict and points above the maximum are refused; publishing
    // waits for every criterion of every submission.
    env.refused(
        A1,
        "2024-07-10T09:00",
        Step::Evaluate(
            json!([{"supplier": "alfa-medical", "criterion": "kvk", "points": 3,
                               "motivation": "m"}]),
        ),
        "bad_verdict",
    );
    env.refused(
        A1,
        "2024-07-10T09:00",
        Step::Evaluate(
            json!([{"supplier": "alfa-medical", "criterion": "leverbetrouwbaarheid",
                               "points": 11, "motivation": "m"}]),
        ),
        "bad_verdict",
    );
    let mut rows = Vec::new();
    rows.extend(evaluation("alfa-medical", &[], "4200000.00", (8, 6)));
    rows.extend(evaluation("bravo-zorg", &[], "3100000.00", (5, 9)));
    rows.extend(evaluation("celsius-pharma", &[], "1800000.00", (3, 3)));
    env.ok(A1, "2024-07-10T10:00", Step::Evaluate(json!(rows)));
    env.refused(A1, "2024-07-10T11:00", Step::Publish, "not_evaluated");
    let mut rows = Vec::new();
    rows.extend(evaluation("delta-dieet", &[], "2000000.00", (4, 5)));
    rows.extend(evaluation("echo-health", &[], "1550000.00", (0, 2)));
    rows.extend(evaluation(
        "foxtrot-voeding",
        &["verscherpt-toezicht"],
        "2500000.00",
        (9, 9),
    ));
    env.ok(A1, "2024-07-11T10:00", Step::Evaluate(json!(rows)));

    // The admission: foxtrot is excluded on the knock-out; the others' quality values follow
    // the formula (alfa: 100000 x (0.6 x 8/10 + 0.4 x 6/10) = 72000.00).
    let text = env.ok(A1, "2024-07-15T09:00", Step::Publish);
    assert!(text.contains("5 admitted, 1 excluded"), "{text}");
    let dir = data.join("dieetvoeding-2024");
    let auction_text = std::fs::read_to_string(dir.join("auction.toml")).unwrap();
    let auction = veiling::config::parse(&auction_text).unwrap();
    assert!(auction.tender.is_none());
    let quality = |id: &str| {
        auction
            .rules
            .suppliers
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.quality.clone())
    };
    let d = |s: &str| s.parse::<rust_decimal::Decimal>().unwrap();
    assert_eq!(
        quality("alfa-medical"),
        Some(vec![d("72000.00"), d("72000.00")])
    );
    assert_eq!(
        quality("bravo-zorg"),
        Some(vec![d("66000.00"), d("66000.00")])
    );
    assert_eq!(quality("delta-dieet").map(|q| q[1]), Some(d("44000.00")));
    assert_eq!(quality("foxtrot-voeding"), None, "excluded");
    assert_eq!(auction.rules.suppliers.len(), 5);
    // The record holds the hash of exactly that file.
    let log = env.log();
    let (_, excluded, sha) = log.tender().admission().unwrap();
    assert_eq!(
        sha,
        veiling::log::record::sha256_hex(auction_text.as_bytes())
    );
    assert_eq!(excluded.len(), 1);
    // The letters: each candidate's own evaluation; the formula for the admitted; the reasons
    // for the excluded; nothing about anyone else.
    let letter = |id: &str| -> Value {
        let text = std::fs::read_to_string(dir.join("letters").join(format!("{id}.json"))).unwrap();
        for other in CANDIDATES.iter().filter(|o| **o != id) {
            assert!(!text.contains(other), "{id}'s letter names {other}");
        }
        serde_json::from_str(&text).unwrap()
    };
    let alfa = letter("alfa-medical");
    assert_eq!(alfa["admitted"], true);
    assert_eq!(alfa["quality"]["perceel-1"], "72000.00");
    assert!(
        alfa["formula"]
            .as_str()
            .unwrap()
            .contains("fictieve korting")
    );
    assert_eq!(alfa["evaluation"].as_array().unwrap().len(), 12);
    let foxtrot = letter("foxtrot-voeding");
    assert_eq!(foxtrot["admitted"], false);
    assert!(
        foxtrot["reasons"][0]
            .as_str()
            .unwrap()
            .contains("verscherpt-toezicht"),
        "{foxtrot}"
    );

    // Practice, twice; then the live auction; practice is refused from then on.
    let text = env.ok(A1, "2024-09-02T10:00", Step::Practice);
    assert!(text.contains("practice run 1"), "{text}");
    env.ok(A1, "2024-09-03T10:00", Step::Practice);
    assert_eq!(env.log().tender().practice_runs(), 2);
    env.refused(
        A1,
        "2024-09-03T10:00",
        Step::ProposeAward(dir.join("live.log")),
        "out_of_order",
    );
    env.ok(A1, "2024-09-17T09:55", Step::Live);
    env.refused(A1, "2024-09-17T09:56", Step::Practice, "out_of_order");

    // The live auction runs the published config (simulated bidders, into the server's place
    // for its log); its quality values are those of the evaluation.
    let live = dir.join("live.log");
    let run = veiling::simulate::simulate_logged(auction.clone(), &auction_text, 4, &live, key())
        .unwrap();
    let alfa_ix = SupplierIx(
        auction
            .rules
            .suppliers
            .iter()
            .position(|s| s.id == "alfa-medical")
            .unwrap() as u32,
    );
    let alfa_bid = run
        .run
        .auction
        .bids()
        .find(|b| b.record.supplier == alfa_ix)
        .expect("alfa bid");
    assert_eq!(
        alfa_bid.record.score,
        alfa_bid.record.total - d("72000.00"),
        "the live ranking applies the evaluated bonus"
    );
    // A practice log, or a log of another config, is never awarded.
    let practice = dir.join("practice-1.log");
    practice_log(&auction, &auction_text, &practice);
    let e = steps::run(
        &data,
        "dieetvoeding-2024",
        A1,
        key(),
        t("2024-09-20T09:00"),
        Step::ProposeAward(practice),
    )
    .err()
    .unwrap();
    assert!(e.contains("never a practice run"), "{e}");
    let other = dir.join("other.log");
    let (shipped, shipped_text) =
        veiling::config::load_file(&root().join("auction-configs/dieetvoeding-2024.toml")).unwrap();
    veiling::simulate::simulate_logged(shipped, &shipped_text, 4, &other, key()).unwrap();
    let e = steps::run(
        &data,
        "dieetvoeding-2024",
        A1,
        key(),
        t("2024-09-20T09:00"),
        Step::ProposeAward(other),
    )
    .err()
    .unwrap();
    assert!(e.contains("not the auction config"), "{e}");

    // The award: proposed from the sealed live log; four-eyes confirmation.
    let text = env.ok(A1, "2024-09-20T09:00", Step::ProposeAward(live.clone()));
    assert!(text.contains("award proposed"), "{text}");
    let log = env.log();
    let (_, lots) = log.tender().proposal().unwrap();
    let winners = &lots[0].winners;
    let expected: Vec<SupplierIx> = run.run.auction.lots()[0]
        .award
        .as_ref()
        .unwrap()
        .0
        .iter()
        .map(|w| {
            let id = &auction.rules.suppliers[w.supplier.ix()].id;
            SupplierIx(CANDIDATES.iter().position(|c| c == id).unwrap() as u32)
        })
        .collect();
    assert_eq!(
        winners.iter().map(|w| w.1).collect::<Vec<_>>(),
        expected,
        "the live award, in the tender's own supplier numbering"
    );
    env.ok(A1, "2024-09-21T09:00", Step::ConfirmAward);
    env.refused(
        A1,
        "2024-09-21T09:01",
        Step::ConfirmAward,
        "self_confirmation",
    );
    let text = env.ok(A2, "2024-09-22T09:00", Step::ConfirmAward);
    assert!(text.contains("sealed"), "{text}");
    let log = env.log();
    assert_eq!(log.tender().phase(), TenderPhase::AwardConfirmed);
    assert!(log.is_sealed());
    let e = steps::run(
        &data,
        "dieetvoeding-2024",
        A1,
        key(),
        t("2024-09-23T09:00"),
        Step::ConfirmAward,
    )
    .err()
    .unwrap();
    assert!(e.contains("sealed"), "{e}");

    // The exports: the result per lot and every buyer's share of volume and contract value.
    let out = dir.join("export");
    steps::export(&data, "dieetvoeding-2024", key(), &out).unwrap();
    let award: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("award.json")).unwrap()).unwrap();
    assert_eq!(award["status"], "confirmed");
    let lot1 = &award["lots"][0];
    let winner_total = d(lot1["winners"][0]["total"].as_str().unwrap());
    let asr = &lot1["buyers"][0];
    assert_eq!(
        (asr["buyer"].as_str(), asr["share_percent"].as_str()),
        (Some("asr"), Some("50"))
    );
    assert_eq!(
        d(asr["contract_value"][0]["value"].as_str().unwrap()),
        (winner_total / d("2")).round_dp(2)
    );
    assert_eq!(asr["volume"][0]["quantity"], "90000", "50% of 180000 packs");
    let shares: rust_decimal::Decimal = lot1["buyers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| d(b["share_percent"].as_str().unwrap()))
        .sum();
    assert_eq!(shares, d("100"));
    let csv = std::fs::read_to_string(out.join("award.csv")).unwrap();
    assert!(csv.starts_with("status,lot,rank,supplier,name,total,score,reserve_met\r\n"));
    assert!(csv.contains(&format!(
        "confirmed,perceel-1,1,{},",
        CANDIDATES[winners[0].1.ix()]
    )));
    let buyers = std::fs::read_to_string(out.join("buyers.csv")).unwrap();
    // perceel-2 has two winners: each buyer gets a row per winner; 3 buyers x (1 + 2) rows.
    assert_eq!(buyers.lines().count(), 1 + 3 * 3, "{buyers}");

    // The tender log verifies (ours and the independent verifier), sealed.
    let path = dir.join("tender.log");
    let bytes = std::fs::read(&path).unwrap();
    let check = veiling::log::chain::verify(&bytes, Some(&key().verifying_key()), &mut |_| {});
    assert!(check.problem.is_none(), "{:?}", check.problem);
    assert!(check.verified.unwrap().sealed);
    let (verdict, out) = crate::independent::python(&path, None, false);
    assert_eq!(verdict, None, "{out}");

    // Tampering is caught when the log is opened: one evaluation's verdict flipped.
    let tampered = data.join("tampered");
    std::fs::create_dir_all(tampered.join("dieetvoeding-2024")).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let changed = text.replacen(
        r#""criterion":"kvk","motivation":"aangetoond met het bewijsstuk","op":"evaluate","pass":true"#,
        r#""criterion":"kvk","motivation":"aangetoond met het bewijsstuk","op":"evaluate","pass":false"#,
        1,
    );
    assert_ne!(changed, text);
    std::fs::write(tampered.join("dieetvoeding-2024/tender.log"), changed).unwrap();
    assert!(TenderLog::open(&tampered.join("dieetvoeding-2024/tender.log"), key()).is_err());
}

/// A practice run's log of the admitted auction (the same config, mode practice).
fn practice_log(config: &veiling::config::AuctionConfig, text: &str, path: &Path) {
    use veiling::log::{record::Mode, recorder};
    let mut opened = recorder::open(
        path,
        config,
        text,
        Mode::Practice,
        config.rules.opens_at,
        key(),
        Default::default(),
    )
    .unwrap();
    veiling::simulate::simulate_with(config.clone(), 2, &mut opened.driver).unwrap();
}

/// A torn last record (a write that never finished, so never acknowledged) is kept aside and
/// the tender goes on.
#[test]
fn a_torn_tender_record_is_cut_aside() {
    let data = crate::durability::tempdir("tender/torn");
    let env = Env { data: data.clone() };
    steps::init(
        &root().join(CONFIG),
        &data,
        key(),
        t("2024-05-20T09:00"),
        None,
    )
    .unwrap();
    env.ok(A1, "2024-06-03T09:00", Step::Open);
    let path = data.join("dieetvoeding-2024/tender.log");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(br#"{"at":1717405200000,"cmd":{"op":"reg"#);
    std::fs::write(&path, &bytes).unwrap();
    env.ok(&sup("alfa-medical"), "2024-06-03T10:00", Step::Register);
    let aside: Vec<_> = std::fs::read_dir(data.join("dieetvoeding-2024"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("torn-at"))
        .collect();
    assert_eq!(aside.len(), 1);
    let log = env.log();
    assert!(log.tender().candidate(SupplierIx(0)).unwrap().registered);
}
