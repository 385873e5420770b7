//! The simulator: deterministic, complete, and its record replays to the same outcomes.

use veiling::core::*;
use veiling::simulate::{Strategy, simulate, with_bidders};

/// Six simulated auctions of the shipped configs (several lots, ranks, extensions, closes; best
/// score shown and not, bidder count shown and not; line items and totals): the sample that
/// tests of an encoding compare on, record by record or view by view.
pub fn sample_runs() -> Vec<(&'static str, veiling::simulate::SimRun)> {
    [
        ("dieetvoeding-2024.toml", 3, Some(6)),
        ("ziekenvervoer-2021.toml", 4, Some(5)),
        // A single sealed bid: bids hidden until the close, one per supplier and lot.
        ("hulpmiddelen-2025-sealed.toml", 3, Some(6)),
        // A Dutch auction: rising prices, the first taker closes the lot; serial lots.
        ("rolstoelen-2026-dutch.toml", 3, Some(5)),
        // A Japanese auction: falling prices confirmed or dropped; two winners per lot.
        ("verbandmiddelen-2026-japanese.toml", 4, Some(6)),
        // Sealed rounds: bids replaced within a round, rankings revealed at each round's close.
        ("ziekenhuisbedden-2026-rounds.toml", 3, Some(5)),
        // Turn-based rounds: initial prices, one turn per bidder per round, worst first.
        ("stomamiddelen-2026-turns.toml", 2, None),
    ]
    .into_iter()
    .map(|(name, seed, bidders)| {
        let cfg = with_bidders(config(name), bidders).unwrap();
        (name, simulate(cfg, seed).unwrap())
    })
    .collect()
}

fn config(name: &str) -> veiling::config::AuctionConfig {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("auction-configs")
        .join(name);
    veiling::config::load_file(&path).unwrap().0
}

#[test]
fn same_seed_same_run() {
    let a = simulate(config("dieetvoeding-2024.toml"), 9).unwrap();
    let b = simulate(config("dieetvoeding-2024.toml"), 9).unwrap();
    assert_eq!(a.steps, b.steps);
    assert_eq!(a.transcript, b.transcript);
    assert_eq!(a.report, b.report);
}

#[test]
fn re_executing_the_inputs_gives_the_same_outcomes_and_state() {
    for (name, seed, bidders) in [
        ("dieetvoeding-2024.toml", 1, None),
        ("dieetvoeding-2024.toml", 5, Some(12)),
        ("ziekenvervoer-2021.toml", 3, Some(4)),
        ("hulpmiddelen-2025-sealed.toml", 2, Some(10)),
        ("rolstoelen-2026-dutch.toml", 4, Some(8)),
        ("verbandmiddelen-2026-japanese.toml", 5, Some(8)),
        ("ziekenhuisbedden-2026-rounds.toml", 6, Some(7)),
        ("stomamiddelen-2026-turns.toml", 7, Some(6)),
    ] {
        let cfg = with_bidders(config(name), bidders).unwrap();
        let run = simulate(cfg, seed).unwrap();
        let mut fresh = Auction::new(run.config.rules.clone());
        let mut events = Vec::new();
        for step in &run.steps {
            assert_eq!(
                fresh.execute(&step.input),
                step.outcome,
                "{name}: seq {}",
                step.input.seq
            );
            if let Outcome::Accepted(e) = &step.outcome {
                events.extend(e.iter().cloned());
            }
        }
        assert_eq!(fresh, run.auction);
        assert_eq!(
            Auction::replay(run.config.rules.clone(), &events),
            run.auction
        );
    }
}

#[test]
fn every_strategy_shows_its_behaviour() {
    let cfg = with_bidders(config("dieetvoeding-2024.toml"), Some(8)).unwrap();
    let run = simulate(cfg, 2).unwrap();
    for s in [
        Strategy::Steady,
        Strategy::Sniper,
        Strategy::FatFinger,
        Strategy::Duplicate,
    ] {
        assert!(run.strategies.contains(&s), "{s:?} not played");
    }
    let mut repeated = 0;
    let mut guard_rejections = 0;
    for step in &run.steps {
        match &step.outcome {
            Outcome::Repeated { .. } => repeated += 1,
            Outcome::Rejected(
                Rejection::BelowFloor { .. }
                | Rejection::DropTooLarge { .. }
                | Rejection::TooManyDecimals { .. },
            ) => guard_rejections += 1,
            _ => {}
        }
    }
    assert!(
        repeated > 0,
        "the duplicate sender's retries must come back as repeats"
    );
    assert!(
        guard_rejections > 0,
        "the fat finger's typos must be refused"
    );
    // Every lot ends and is awarded; nothing was accepted after a lot's final deadline.
    assert_eq!(run.auction.phase(), AuctionPhase::Awarded);
    for (l, lot) in run.auction.lots().iter().enumerate() {
        let deadline = lot.deadline.unwrap();
        for bid in run.auction.bids().filter(|b| b.record.lot.ix() == l) {
            assert!(bid.record.at < deadline);
        }
    }
}

#[test]
fn bidders_are_cut_or_extended() {
    let three = with_bidders(config("ziekenvervoer-2021.toml"), Some(3)).unwrap();
    assert_eq!(three.rules.suppliers.len(), 3);
    let ten = with_bidders(config("ziekenvervoer-2021.toml"), Some(10)).unwrap();
    assert_eq!(ten.rules.suppliers.len(), 10);
    assert_eq!(ten.rules.suppliers[9].id, "sim-04");
    assert!(ten.rules.suppliers[9].admitted.iter().all(|a| *a));
    assert!(with_bidders(config("ziekenvervoer-2021.toml"), Some(0)).is_err());
}

/// A simulated sealed bid: every supplier gets at most one accepted bid per lot (no bid is
/// voided here), no live view shows a ladder, a rank or the best score while the lot is open,
/// and the close opens every lot.
#[test]
fn a_sealed_bid_simulation_keeps_one_bid_per_supplier_and_lot() {
    let cfg = with_bidders(config("hulpmiddelen-2025-sealed.toml"), Some(10)).unwrap();
    for seed in 1..=5 {
        let run = simulate(cfg.clone(), seed).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for b in run.auction.bids() {
            assert!(
                seen.insert((b.record.supplier, b.record.lot)),
                "seed {seed}: two bids of one supplier on one lot"
            );
        }
        assert!(seen.len() >= 4, "seed {seed}: the bidders bid");
        let mut replay = Auction::new(run.config.rules.clone());
        for step in &run.steps {
            replay.execute(&step.input);
            for lot in 0..replay.lots().len() as u32 {
                let lot = LotIx(lot);
                let open = replay.lot(lot).is_some_and(|l| l.phase == LotPhase::Open);
                assert_eq!(
                    replay.is_sealed(lot),
                    open || replay
                        .lot(lot)
                        .is_some_and(|l| l.phase == LotPhase::Scheduled)
                );
                if open {
                    assert!(replay.observer_view().lots[lot.ix()].ladder.is_empty());
                    for s in 0..replay.rules().suppliers.len() as u32 {
                        let v = replay.supplier_view(SupplierIx(s)).unwrap();
                        assert_eq!(v.lots[lot.ix()].rank, None);
                        assert_eq!(v.lots[lot.ix()].best_score, None);
                    }
                }
            }
        }
        assert!(
            run.auction
                .observer_view()
                .lots
                .iter()
                .all(|l| !l.ladder.is_empty()),
            "seed {seed}: the close opened every lot"
        );
    }
}

/// A simulated Dutch auction: each lot offers rising prices at its own interval; a lot has at
/// most one accepted bid, at exactly the price offered then, and closes at that moment.
#[test]
fn a_dutch_simulation_sells_each_lot_to_its_first_taker() {
    let cfg = with_bidders(config("rolstoelen-2026-dutch.toml"), Some(6)).unwrap();
    for seed in 1..=5 {
        let run = simulate(cfg.clone(), seed).unwrap();
        let mut offered: std::collections::BTreeMap<LotIx, Vec<(i64, rust_decimal::Decimal)>> =
            Default::default();
        let mut taken = std::collections::BTreeSet::new();
        for step in &run.steps {
            let Outcome::Accepted(events) = &step.outcome else {
                continue;
            };
            for e in events {
                match e {
                    Event::PriceOffered { lot, at, price, .. } => {
                        let prices = offered.entry(*lot).or_default();
                        if let Some((_, last)) = prices.last() {
                            assert!(price > last, "seed {seed}: the price rises");
                        }
                        prices.push((*at, *price));
                    }
                    Event::BidAccepted(b) => {
                        assert!(taken.insert(b.lot), "seed {seed}: one taker per lot");
                        let (_, now) = offered[&b.lot].last().copied().unwrap();
                        assert_eq!(b.total, now, "seed {seed}: the offered price");
                        assert!(events.iter().any(|x| matches!(x,
                            Event::LotClosed { lot, at } if *lot == b.lot && *at == b.at)));
                    }
                    _ => {}
                }
            }
        }
        assert!(!taken.is_empty(), "seed {seed}: someone took a lot");
    }
}

/// A simulated Japanese auction: prices fall; who drops out never bids again on the lot; the
/// winners of a lot all confirmed its last price.
#[test]
fn a_japanese_simulation_keeps_who_drops_out_out() {
    let cfg = with_bidders(config("verbandmiddelen-2026-japanese.toml"), Some(8)).unwrap();
    let mut drops = 0;
    for seed in 1..=6 {
        let run = simulate(cfg.clone(), seed).unwrap();
        let mut out = std::collections::BTreeSet::new();
        let mut last_price: std::collections::BTreeMap<LotIx, rust_decimal::Decimal> =
            Default::default();
        for step in &run.steps {
            let Outcome::Accepted(events) = &step.outcome else {
                continue;
            };
            for e in events {
                match e {
                    Event::PriceOffered { lot, price, .. } => {
                        if let Some(before) = last_price.insert(*lot, *price) {
                            assert!(*price < before, "seed {seed}: the price falls");
                        }
                    }
                    Event::BidderDropped { lot, supplier, .. } => {
                        assert!(out.insert((*lot, *supplier)), "seed {seed}: drops once");
                        drops += 1;
                    }
                    Event::BidAccepted(b) => {
                        assert!(
                            !out.contains(&(b.lot, b.supplier)),
                            "seed {seed}: bid after dropping"
                        );
                        assert_eq!(Some(&b.total), last_price.get(&b.lot), "seed {seed}");
                    }
                    _ => {}
                }
            }
        }
        for (i, lot) in run.auction.lots().iter().enumerate() {
            let Some((winners, _)) = &lot.award else {
                continue;
            };
            let last = winners.iter().map(|w| w.total).max();
            assert!(
                winners.iter().all(|w| Some(w.total) == last),
                "seed {seed}, lot {i}: one price"
            );
        }
    }
    assert!(drops > 0, "some bidders dropped out");
}

/// A simulated auction in sealed rounds: rounds follow each other; while one runs, every view
/// shows the ranking as the last round closed it, never a bid of the running round.
#[test]
fn sealed_rounds_show_only_what_the_last_round_revealed() {
    let cfg = with_bidders(config("ziekenhuisbedden-2026-rounds.toml"), Some(6)).unwrap();
    let mut rounds_seen = 0;
    for seed in 1..=4 {
        let run = simulate(cfg.clone(), seed).unwrap();
        let mut replay = Auction::new(run.config.rules.clone());
        let mut shown_at_close: Option<Vec<(u32, Seq)>> = None;
        for step in &run.steps {
            replay.execute(&step.input);
            if let Outcome::Accepted(events) = &step.outcome
                && events
                    .iter()
                    .any(|e| matches!(e, Event::RoundClosed { .. }))
            {
                rounds_seen += 1;
                shown_at_close = Some(
                    replay.observer_view().lots[0]
                        .ladder
                        .iter()
                        .map(|r| (r.rank, r.alias as u64 as Seq))
                        .collect(),
                );
            }
            let lot = &replay.lots()[0];
            if lot.phase == LotPhase::Open
                && let Some(shown) = &shown_at_close
            {
                let now: Vec<(u32, Seq)> = replay.observer_view().lots[0]
                    .ladder
                    .iter()
                    .map(|r| (r.rank, r.alias as u64 as Seq))
                    .collect();
                assert_eq!(&now, shown, "seed {seed}: a view changed during a round");
            }
        }
    }
    assert!(rounds_seen > 3, "rounds closed");
}

/// Simulated turn-based rounds: the initial prices go in first, one input each; every round's
/// order is the standing bids from the worst score to the best when it opens; only the bidder
/// whose turn runs ever has a bid accepted or a keep taken; every bidder has at most one turn per
/// round; and the lots close after the last round.
#[test]
fn turn_based_rounds_keep_their_order_and_their_turns() {
    let cfg = with_bidders(config("stomamiddelen-2026-turns.toml"), Some(6)).unwrap();
    let rounds = match &cfg.rules.format {
        Format::Turns(t) => t.rounds,
        other => panic!("not turns: {other:?}"),
    };
    let mut turns_seen = 0;
    for seed in 1..=4 {
        let run = simulate(cfg.clone(), seed).unwrap();
        let mut replay = Auction::new(run.config.rules.clone());
        let initial = run
            .steps
            .iter()
            .take_while(|s| matches!(s.input.command, Command::InitialBid { .. }))
            .count();
        let admitted: usize = run
            .config
            .rules
            .suppliers
            .iter()
            .map(|s| s.admitted.iter().filter(|a| **a).count())
            .sum();
        assert_eq!(
            initial, admitted,
            "seed {seed}: one initial price per admitted lot"
        );
        assert!(matches!(run.steps[initial].input.command, Command::Tick));
        let mut turns_per_round: std::collections::BTreeMap<(LotIx, u32), Vec<SupplierIx>> =
            Default::default();
        for step in &run.steps {
            // Whose turn it is before this input, per lot.
            let running: Vec<Option<SupplierIx>> = replay
                .lots()
                .iter()
                .map(|l| l.turns.as_ref().and_then(|t| t.current).map(|c| c.1))
                .collect();
            let acting = match &step.input.command {
                Command::PlaceBid { supplier, lot, .. } | Command::Keep { supplier, lot } => {
                    Some((*supplier, *lot))
                }
                _ => None,
            };
            if let (Some((supplier, lot)), Outcome::Accepted(_)) = (acting, &step.outcome) {
                assert_eq!(
                    running[lot.ix()],
                    Some(supplier),
                    "seed {seed}: acted out of turn"
                );
            }
            let before = replay.clone();
            replay.execute(&step.input);
            let Outcome::Accepted(events) = &step.outcome else {
                continue;
            };
            let mut state = before;
            for event in events {
                match event {
                    Event::TurnRoundOpened { lot, order, .. } => {
                        // Worst score first: the ladder when the round opens, reversed.
                        let ladder: Vec<SupplierIx> = state.lots()[lot.ix()]
                            .ladder()
                            .filter_map(|(_, seq)| state.bid(*seq))
                            .map(|b| b.record.supplier)
                            .collect();
                        let worst_first: Vec<SupplierIx> = ladder.into_iter().rev().collect();
                        assert_eq!(order, &worst_first, "seed {seed}: the round's order");
                    }
                    Event::TurnStarted {
                        lot,
                        round,
                        supplier,
                        ..
                    } => {
                        turns_seen += 1;
                        assert!(*round <= rounds);
                        let had = turns_per_round.entry((*lot, *round)).or_default();
                        assert!(!had.contains(supplier), "seed {seed}: two turns in a round");
                        had.push(*supplier);
                    }
                    _ => {}
                }
                state.apply(event);
            }
        }
        for lot in replay.lots() {
            assert!(
                matches!(lot.phase, LotPhase::Awarded),
                "seed {seed}: every lot ran to its award"
            );
            assert_eq!(lot.turns.as_ref().map(|t| t.round), Some(rounds));
        }
    }
    assert!(turns_seen > 20, "turns ran: {turns_seen}");
}
