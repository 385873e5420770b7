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

/// One HTTP request with a bearer token and an optional JSON body; the status code and the JSON
/// answer.
async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(rest).unwrap_or(Value::Null))
}

/// A server on 127.0.0.1 with a manual clock.
async fn serve(
    data: &Path,
    at: TimeMs,
    configure: impl FnOnce(&mut veiling::server::Options),
) -> (veiling::server::Server, veiling::server::clock::Clock) {
    let clock = veiling::server::clock::Clock::manual(at);
    let mut opts = veiling::server::Options::new(Vec::new(), data.to_path_buf());
    opts.listen = "127.0.0.1:0".parse().unwrap();
    opts.clock = clock.clone();
    opts.limits = crate::server::test_limits();
    configure(&mut opts);
    let server = veiling::server::start(opts).await.expect("server starts").0;
    (server, clock)
}

/// The whole route over the real protocol: candidates register, upload their submissions and
/// ask over HTTP; the auctioneer's steps that are not live run as `veiling tender` runs them;
/// foxtrot is excluded on a knock-out; two practice runs are served with bots; the live
/// auction is served from the published config and bid on over WebSocket, where the evaluated
/// quality bonuses rank; the award is proposed from its sealed log, confirmed by two
/// auctioneers, and exported per buyer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_tender_over_the_protocol() {
    let data = crate::durability::tempdir("tender/protocol");
    // The server's own key: the tender CLI and the server sign with the same one.
    let server_key = SigningKey::from_bytes(&[9u8; 32]);
    veiling::log::keys::write(&data.join("server.key"), &server_key).unwrap();
    let k = || server_key.clone();
    let step = |who: &str, at: &str, step: Step| {
        let r = steps::run(&data, "dieetvoeding-2024", who, k(), t(at), step).unwrap();
        assert!(r.accepted, "{who} at {at}: {}", r.text);
        r
    };
    steps::init(
        &root().join(CONFIG),
        &data,
        k(),
        t("2024-05-20T09:00"),
        None,
    )
    .unwrap();
    step(A1, "2024-06-03T09:00", Step::Open);

    // The tender is served; candidates act over HTTP with their tender tokens.
    let (server, clock) = serve(&data, t("2024-06-03T10:00"), |o| {
        o.tenders = vec!["dieetvoeding-2024".into()]
    })
    .await;
    let addr = server.addr;
    let tok = crate::server::tokens_of(&data.join("dieetvoeding-2024/tender-credentials.json"));
    // Their page links go to the qualification page.
    let creds = data.join("dieetvoeding-2024/tender-credentials.json");
    let o = crate::cli::veiling(&["links", creds.to_str().unwrap(), "--as", "alfa-medical"]);
    let links = String::from_utf8_lossy(&o.stdout);
    assert!(
        links.contains(&format!("/qualification#token={}", tok["alfa-medical"])),
        "{links}"
    );
    let (_, v) = http(addr, "GET", "/tender", &tok["alfa-medical"], None).await;
    assert_eq!(
        (v["format"].as_str(), v["scoring"].as_str()),
        (Some("english"), Some("fictieve_korting"))
    );
    assert_eq!(v["lots"][0]["lines"].as_array().map(Vec::len), Some(3));
    let (code, _) = http(addr, "GET", "/tender", "vt_wrong", None).await;
    assert_eq!(code, 401);
    // Five register over HTTP; echo-health takes its steps over the WebSocket protocol.
    for c in CANDIDATES.iter().filter(|c| **c != "echo-health") {
        let (code, v) = http(addr, "POST", "/tender/register", &tok[*c], None).await;
        assert_eq!(code, 200, "{c}: {v}");
        assert_eq!(
            v["records"][0]["outcome"]["accepted"][0]["event"],
            "registered"
        );
    }
    let mut echo = crate::server::Client::connect(addr).await;
    let welcome = echo
        .request(json!({"type": "auth", "token": tok["echo-health"]}))
        .await;
    assert_eq!(
        (welcome["type"].as_str(), welcome["role"].as_str()),
        (Some("tender_welcome"), Some("supplier"))
    );
    assert_eq!(welcome["state"]["phase"], "qualification_open");
    let r = echo.request(json!({"type": "tender_register"})).await;
    assert_eq!(
        (r["type"].as_str(), r["accepted"].as_bool()),
        (Some("tender_result"), Some(true)),
        "{r}"
    );
    // An auction message in a tender session is refused.
    let r = echo.bid("perceel-1", "x", "1.00").await;
    assert_eq!(r["code"], "not_an_auction_session", "{r}");

    // A second registration is refused, on the record (409).
    let (code, v) = http(addr, "POST", "/tender/register", &tok["alfa-medical"], None).await;
    assert_eq!(
        (
            code,
            v["records"][0]["outcome"]["rejected"]["code"].as_str()
        ),
        (409, Some("already_registered"))
    );
    // An auctioneer may not submit; a body that is not JSON is not recorded.
    let (code, _) = http(addr, "POST", "/tender/register", &tok["inkoper-1"], None).await;
    assert_eq!(code, 403);
    let (code, v) = http(
        addr,
        "POST",
        "/tender/questions",
        &tok["bravo-zorg"],
        Some(&json!({"txt": 1})),
    )
    .await;
    assert_eq!(code, 400, "{v}");
    clock.set(t("2024-06-10T12:00"));
    for (c, turnover) in [
        ("alfa-medical", "4200000.00"),
        ("bravo-zorg", "3100000.00"),
        ("celsius-pharma", "1800000.00"),
        ("delta-dieet", "2000000.00"),
        ("foxtrot-voeding", "2500000.00"),
    ] {
        let (code, v) = http(
            addr,
            "POST",
            "/tender/submission",
            &tok[c],
            Some(&submission(turnover)),
        )
        .await;
        assert_eq!(code, 200, "{c}: {v}");
    }
    let r = echo
        .request(json!({"type": "tender_submit", "submission": submission("1550000.00")}))
        .await;
    assert_eq!(r["accepted"], true, "{r}");
    let r = echo.request(json!({"type": "tender_state"})).await;
    assert_eq!(r["state"]["you"]["submissions"], 1, "{r}");
    let (code, v) = http(
        addr,
        "POST",
        "/tender/questions",
        &tok["bravo-zorg"],
        Some(&json!({"text": "Telt omzet uit thuiszorgproducten mee?"})),
    )
    .await;
    assert_eq!(code, 200, "{v}");
    let question = v["records"][0]["seq"].as_u64().unwrap();
    step(
        A1,
        "2024-06-14T09:00",
        Step::Answer {
            question,
            text: "Nee, alleen dieetvoeding.".into(),
        },
    );
    // Every candidate reads the answer, without who asked; its own submission is on file.
    let (code, v) = http(addr, "GET", "/tender", &tok["delta-dieet"], None).await;
    assert_eq!(code, 200);
    assert_eq!(v["nota"][0]["answer"], "Nee, alleen dieetvoeding.");
    assert!(!v.to_string().contains("bravo"), "{v}");
    assert_eq!(v["you"]["submissions"], 1);
    assert_eq!(
        v["you"]["submission"]["answers"]["jaaromzet"]["value"],
        "2000000.00"
    );
    // Late: at the deadline a submission is refused (and recorded).
    clock.set(t("2024-07-05T12:00"));
    let (code, v) = http(
        addr,
        "POST",
        "/tender/submission",
        &tok["alfa-medical"],
        Some(&submission("1.00")),
    )
    .await;
    assert_eq!(
        (
            code,
            v["records"][0]["outcome"]["rejected"]["code"].as_str()
        ),
        (409, Some("too_late"))
    );

    // Evaluation and admission (the auctioneer's steps).
    step(A1, "2024-07-05T12:00", Step::Close);
    let mut rows = Vec::new();
    rows.extend(evaluation("alfa-medical", &[], "4200000.00", (8, 6)));
    rows.extend(evaluation("bravo-zorg", &[], "3100000.00", (5, 9)));
    rows.extend(evaluation("celsius-pharma", &[], "1800000.00", (3, 3)));
    rows.extend(evaluation("delta-dieet", &[], "2000000.00", (4, 5)));
    rows.extend(evaluation("echo-health", &[], "1550000.00", (0, 2)));
    rows.extend(evaluation(
        "foxtrot-voeding",
        &["verscherpt-toezicht"],
        "2500000.00",
        (9, 9),
    ));
    step(A1, "2024-07-10T10:00", Step::Evaluate(json!(rows)));
    step(A1, "2024-07-15T09:00", Step::Publish);
    // Each candidate reads its own letter over HTTP.
    clock.set(t("2024-07-15T10:00"));
    let (_, v) = http(addr, "GET", "/tender", &tok["alfa-medical"], None).await;
    assert_eq!(
        (
            v["letter"]["admitted"].as_bool(),
            v["letter"]["quality"]["perceel-1"].as_str()
        ),
        (Some(true), Some("72000.00"))
    );
    let (_, v) = http(addr, "GET", "/tender", &tok["foxtrot-voeding"], None).await;
    assert_eq!(v["letter"]["admitted"], false);
    assert!(
        v["letter"]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("verscherpt-toezicht")
    );
    server.shutdown().await;

    // Two practice runs, each served with bots; a candidate rehearses; foxtrot is not in it.
    let auction_toml = data.join("dieetvoeding-2024/auction.toml");
    for run in 1..=2u32 {
        step(A1, &format!("2024-09-0{}T10:00", run + 1), Step::Practice);
        let (server, clock) = serve(&data, t("2024-09-02T10:00"), |o| {
            o.configs = vec![auction_toml.clone()];
            o.practice = Some(veiling::server::practice::PracticeRun {
                run,
                bots: 2,
                seed: u64::from(run),
            });
            o.start_in_ms = Some(10_000);
        })
        .await;
        let ptok =
            crate::server::tokens_of(&data.join("dieetvoeding-2024/practice/credentials.json"));
        assert!(!ptok.contains_key("foxtrot-voeding") && !ptok.contains_key("waarnemer-asr"));
        let (mut s, welcome) =
            crate::server::Client::login(server.addr, &ptok["alfa-medical"]).await;
        assert_eq!(welcome["mode"], "practice");
        clock.set(t("2024-09-02T10:00") + 10_000);
        s.recv_where(|m| m["type"] == "phase" && m["phase"] == "open" && m.get("lot").is_none())
            .await;
        let b = s
            .request(
                json!({"type": "bid", "lot": "perceel-1", "client_bid_id": "oefen-1",
                            "lines": ["6.50", "9.00", "13.00"]}),
            )
            .await;
        assert_eq!(b["type"], "accepted", "{b}");
        server.shutdown().await;
        assert!(
            data.join(format!("dieetvoeding-2024/practice/run-{run}.log"))
                .exists()
        );
    }
    step(A1, "2024-09-17T09:55", Step::Live);

    // The live auction from the published config, over WebSocket.
    let (server, clock) = serve(&data, t("2024-09-17T09:59"), |o| {
        o.configs = vec![auction_toml.clone()];
    })
    .await;
    let ltok = crate::server::tokens_of(&data.join("dieetvoeding-2024/credentials.json"));
    assert!(
        !ltok.contains_key("foxtrot-voeding"),
        "the excluded candidate has no auction token"
    );
    // Not even its tender token opens the auction.
    let mut fox = crate::server::Client::connect(server.addr).await;
    let r = fox
        .request(json!({"type": "auth", "token": tok["foxtrot-voeding"]}))
        .await;
    assert_eq!(
        (r["type"].as_str(), r["code"].as_str()),
        (Some("error"), Some("auth_failed"))
    );
    let login = |id: &str| crate::server::Client::login(server.addr, &ltok[id]);
    let (mut alfa, _) = login("alfa-medical").await;
    let (mut bravo, _) = login("bravo-zorg").await;
    let (mut delta, _) = login("delta-dieet").await;
    let (mut a1, _) = login("inkoper-1").await;
    clock.set(t("2024-09-17T10:00"));
    a1.recv_where(|m| m["type"] == "phase" && m["phase"] == "open" && m.get("lot").is_none())
        .await;
    clock.set(t("2024-09-17T10:05"));
    let lines = |lot: &str, id: &str, l: &[&str]| json!({"type": "bid", "lot": lot, "client_bid_id": id, "lines": l});
    let a = alfa
        .request(lines("perceel-1", "a1", &["6.00", "8.00", "12.00"]))
        .await;
    // alfa's total 2104000.00 ranks on 2104000.00 - 72000.00 (its evaluated bonus).
    assert_eq!(
        (a["total"].as_str(), a["score"].as_str()),
        (Some("2104000.00"), Some("2032000.00")),
        "{a}"
    );
    let b = bravo
        .request(lines("perceel-1", "b1", &["6.10", "8.00", "12.00"]))
        .await;
    assert_eq!(b["score"], "2056000.00", "{b}");
    assert_eq!(b["rank"], 2);
    alfa.request(lines("perceel-2", "a2", &["1.00", "1.50"]))
        .await;
    delta
        .request(lines("perceel-2", "d2", &["1.00", "1.52"]))
        .await;
    let b2 = bravo
        .request(lines("perceel-2", "b2", &["1.01", "1.50"]))
        .await;
    assert_eq!(b2["type"], "accepted", "{b2}");
    // The live views hold nothing of practice: no bots, no practice bids.
    let st = a1.request(json!({"type": "state"})).await;
    assert!(!st.to_string().contains("oefenbot"), "{st}");
    clock.set(t("2024-09-17T11:16"));
    a1.recv_where(|m| m["type"] == "phase" && m.get("lot").is_none() && m["phase"] == "closed")
        .await;
    for lot in ["perceel-1", "perceel-2"] {
        let r = a1
            .act(json!({"action": "award", "lot": lot, "reason": "beste score"}))
            .await;
        assert_eq!(r["type"], "done", "{r}");
    }
    a1.recv_where(|m| m["type"] == "phase" && m["phase"] == "awarded")
        .await;
    server.shutdown().await;

    // Practice is over once the live auction has started.
    let refused = veiling::server::start({
        let mut o = veiling::server::Options::new(vec![auction_toml.clone()], data.clone());
        o.listen = "127.0.0.1:0".parse().unwrap();
        o.practice = Some(veiling::server::practice::PracticeRun {
            run: 3,
            bots: 1,
            seed: 1,
        });
        o
    })
    .await;
    assert!(
        refused
            .as_ref()
            .err()
            .is_some_and(|e| e.contains("no more practice")),
        "{:?}",
        refused.err()
    );
    // The award: proposed from the sealed live log, confirmed by two auctioneers, exported.
    step(
        A1,
        "2024-09-18T09:00",
        Step::ProposeAward(data.join("dieetvoeding-2024/live.log")),
    );
    step(A1, "2024-09-19T09:00", Step::ConfirmAward);
    step(A2, "2024-09-20T09:00", Step::ConfirmAward);
    let out = data.join("export");
    steps::export(&data, "dieetvoeding-2024", k(), &out).unwrap();
    let award: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("award.json")).unwrap()).unwrap();
    assert_eq!(award["status"], "confirmed");
    assert_eq!(award["lots"][0]["winners"][0]["supplier"], "alfa-medical");
    let p2: Vec<&str> = award["lots"][1]["winners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["supplier"].as_str().unwrap())
        .collect();
    assert_eq!(p2.len(), 2);
    // a.s.r. takes 40% of perceel-2: of each winner's total.
    let asr = &award["lots"][1]["buyers"][0];
    assert_eq!(
        (asr["buyer"].as_str(), asr["share_percent"].as_str()),
        (Some("asr"), Some("40"))
    );
    let w0 = award["lots"][1]["winners"][0]["total"]
        .as_str()
        .unwrap()
        .parse::<rust_decimal::Decimal>()
        .unwrap();
    assert_eq!(
        asr["contract_value"][0]["value"].as_str().unwrap(),
        (w0 * rust_decimal::Decimal::new(40, 2))
            .round_dp(2)
            .to_string()
    );
    // Every log of the route verifies: the tender log sealed, the live log sealed, the practice
    // logs marked practice.
    for (log, sealed) in [
        ("dieetvoeding-2024/tender.log", true),
        ("dieetvoeding-2024/live.log", true),
        ("dieetvoeding-2024/practice/run-1.log", false),
        ("dieetvoeding-2024/practice/run-2.log", false),
    ] {
        let (verdict, out) = crate::independent::python(&data.join(log), None, !sealed);
        assert_eq!(verdict, None, "{log}: {out}");
    }
}

/// Turn-based rounds from a tender: the initial prices come from the qualification
/// submissions. A submission without them is incomplete; the admission's auction config
/// carries each admitted supplier's submitted prices (an excluded one's never).
#[test]
fn a_turns_tender_takes_its_initial_prices_from_the_submissions() {
    let data = crate::durability::tempdir("tender/turns");
    let config = data.join("turns-tender.toml");
    std::fs::write(&config, TURNS_TENDER).unwrap();
    let run = |who: &str, at: &str, step: Step| {
        steps::run(&data, "turns-tender", who, key(), t(at), step).unwrap()
    };
    steps::init(&config, &data, key(), t("2024-05-20T09:00"), None).unwrap();
    assert!(run("auctioneer:jan", "2024-06-03T09:00", Step::Open).accepted);
    let sub = |price: Option<&str>| {
        let mut v = json!({"answers": {"kvk": {"yes": true, "evidence": "KvK 1"}}});
        if let Some(p) = price {
            v["initial_prices"] = json!({"lot-a": p});
        }
        v
    };
    for s in ["s1", "s2", "s3"] {
        assert!(run(&sup(s), "2024-06-04T09:00", Step::Register).accepted);
    }
    let r = run(&sup("s1"), "2024-06-04T10:00", Step::Submit(sub(None)));
    assert!(
        !r.accepted && r.text.contains("initial_prices.lot-a"),
        "{}",
        r.text
    );
    let r = run(
        &sup("s1"),
        "2024-06-04T10:00",
        Step::Submit(sub(Some("1200.00"))),
    );
    assert!(
        !r.accepted && r.text.contains("above the ceiling"),
        "{}",
        r.text
    );
    for (s, p) in [("s1", "950.00"), ("s2", "900.00"), ("s3", "920.00")] {
        assert!(run(&sup(s), "2024-06-04T11:00", Step::Submit(sub(Some(p)))).accepted);
    }
    assert!(run("auctioneer:jan", "2024-06-05T09:00", Step::Close).accepted);
    let rows: Vec<Value> = ["s1", "s2", "s3"]
        .iter()
        .map(|s| {
            json!({"supplier": s, "criterion": "kvk", "pass": *s != "s3",
                        "motivation": "KvK-uittreksel"})
        })
        .collect();
    assert!(
        run(
            "auctioneer:jan",
            "2024-07-10T09:00",
            Step::Evaluate(json!(rows))
        )
        .accepted
    );
    assert!(run("auctioneer:jan", "2024-07-15T09:00", Step::Publish).accepted);
    let text = std::fs::read_to_string(data.join("turns-tender/auction.toml")).unwrap();
    let auction = veiling::config::parse(&text).unwrap();
    let initial: Vec<(String, Option<Offer>)> = auction
        .rules
        .suppliers
        .iter()
        .map(|s| (s.id.clone(), s.initial[0].clone()))
        .collect();
    let d = |s: &str| Offer::Total(s.parse().unwrap());
    assert_eq!(
        initial,
        vec![
            ("s1".to_string(), Some(d("950.00"))),
            ("s2".to_string(), Some(d("900.00")))
        ]
    );
}

const TURNS_TENDER: &str = r#"[auction]
id = "turns-tender"
title = "Turn-based rounds after a qualification"
format = "turns"
opens_at = "2024-09-17T10:00"

[timing]
mode = "parallel"
closes_at = "2024-09-17T12:00"

[bids]
decrement_amount = "5.00"

[turns]
turn_s = 60

[tender]
qualification_opens_at = "2024-06-03T09:00"
questions_close_at = "2024-06-21T17:00"
qualification_closes_at = "2024-07-05T12:00"

[[tender.criteria]]
id = "kvk"
kind = "knock_out"
text = "U bent ingeschreven in het register van de Kamer van Koophandel."

[[lots]]
id = "lot-a"
name = "Lot A"
ceiling = "1000.00"

[[auctioneers]]
id = "jan"
name = "Jan"

[[suppliers]]
id = "s1"
name = "Supplier 1"
lots = ["lot-a"]

[[suppliers]]
id = "s2"
name = "Supplier 2"
lots = ["lot-a"]

[[suppliers]]
id = "s3"
name = "Supplier 3"
lots = ["lot-a"]
"#;

/// A tender moved for a demonstration (`init --start-in`) publishes its auction at the moved
/// times, so the published config is served as it is.
#[test]
fn a_moved_tender_publishes_its_auction_at_the_moved_times() {
    let data = crate::durability::tempdir("tender/moved");
    let config = data.join("turns-tender.toml");
    std::fs::write(&config, TURNS_TENDER).unwrap();
    let now = t("2026-11-23T08:00");
    steps::init(&config, &data, key(), now, Some(now)).unwrap();
    let shift = t("2026-11-23T08:00") - t("2024-06-03T09:00");
    let at = |s: &str| t(s) + shift;
    let run = |who: &str, when: TimeMs, step: Step| {
        let r = steps::run(&data, "turns-tender", who, key(), when, step).unwrap();
        assert!(r.accepted, "{}", r.text);
    };
    run("auctioneer:jan", at("2024-06-03T09:00"), Step::Open);
    for (s, p) in [("s1", "950.00"), ("s2", "900.00")] {
        run(&sup(s), at("2024-06-04T09:00"), Step::Register);
        run(
            &sup(s),
            at("2024-06-04T10:00"),
            Step::Submit(json!({"answers": {"kvk": {"yes": true, "evidence": "KvK"}},
                                "initial_prices": {"lot-a": p}})),
        );
    }
    // (s2 registers "before" s1's submission: a clock that goes back is raised to the last
    // record's time, so the log stays valid and reopens.)
    // s3 never submits: the close waits for the date.
    run("auctioneer:jan", at("2024-07-05T12:00"), Step::Close);
    let rows = json!([
        {"supplier": "s1", "criterion": "kvk", "pass": true, "motivation": "ok"},
        {"supplier": "s2", "criterion": "kvk", "pass": true, "motivation": "ok"}
    ]);
    run(
        "auctioneer:jan",
        at("2024-07-10T09:00"),
        Step::Evaluate(rows),
    );
    run("auctioneer:jan", at("2024-07-15T09:00"), Step::Publish);
    let text = std::fs::read_to_string(data.join("turns-tender/auction.toml")).unwrap();
    assert!(text.contains("schedule was moved"), "{text}");
    let auction = veiling::config::parse(&text).unwrap();
    assert_eq!(auction.rules.opens_at, at("2024-09-17T10:00"));
    assert_eq!(
        auction.rules.timing,
        LotTiming::Parallel {
            closes_at: at("2024-09-17T12:00")
        }
    );
}
