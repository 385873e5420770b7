//! Property tests: random sequences of bids, ticks, voids, pauses and extensions run through the
//! core and, side by side, through a deliberately naive reference model of the English reverse
//! auction written from the rules (plain loops, no shared code). After every step the two must
//! agree on the decision, the ladder and the deadline, and the invariants must hold:
//! best score never worsens while open (voids aside), nothing is accepted at or after the
//! deadline, deadlines never move back, soft-close extensions stay within the cap and the hard
//! close, and replaying the events rebuilds the live state.

use proptest::prelude::*;
use rust_decimal::Decimal;

use veiling::core::sequencer::Sequencer;
use veiling::core::*;

const CONFIG: &str = r#"
[auction]
id = "prop"
title = "property test"
opens_at = "2025-03-04T10:00"

[timing]
mode = "parallel"
closes_at = "2025-03-04T10:10"

[bids]
decrement_amount = "1.00"
decrement_percent = "1"
decrement_from = "FROM"
max_drop_percent = "50"
interval_min_s = 5

[visibility]
best_score = true

[soft_close]
window_s = 60
extension_s = 90
extend_from = "bid"
extensions_max = 3
hard_close_after_s = 240

[[lots]]
id = "lot"
name = "lot"
ceiling = "1000.00"
floor = "100.00"

[[auctioneers]]
id = "a"
name = "a"

[[suppliers]]
id = "s0"
name = "s0"
lots = ["lot"]

[[suppliers]]
id = "s1"
name = "s1"
lots = ["lot"]

[[suppliers]]
id = "s2"
name = "s2"
lots = ["lot"]
"#;

#[derive(Clone, Debug)]
enum Op {
    /// Wait `dt_ms`, then supplier `s` bids `cents` (possibly with a third decimal).
    Bid {
        dt_ms: i64,
        s: u32,
        cents: i64,
        milli: bool,
    },
    Wait {
        dt_ms: i64,
    },
    Void {
        k: usize,
    },
    Pause,
    Resume,
    Extend {
        by_s: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0i64..40_000, 0u32..3, 5_000i64..110_000, prop::bool::weighted(0.05))
            .prop_map(|(dt_ms, s, cents, milli)| Op::Bid { dt_ms, s, cents, milli }),
        2 => (0i64..120_000).prop_map(|dt_ms| Op::Wait { dt_ms }),
        1 => (0usize..50).prop_map(|k| Op::Void { k }),
        1 => Just(Op::Pause),
        1 => Just(Op::Resume),
        1 => (1i64..120).prop_map(|by_s| Op::Extend { by_s }),
    ]
}

/// The naive model: one lot, price scoring, everything recomputed from scratch.
struct Model {
    from_best: bool,
    opens: i64,
    deadline: i64,
    hard: i64,
    extensions: u32,
    paused_since: Option<i64>,
    /// (seq, supplier, price, at, voided)
    bids: Vec<(u64, u32, Decimal, i64, bool)>,
}

impl Model {
    fn standing(&self, s: u32) -> Option<(u64, Decimal)> {
        self.bids
            .iter()
            .rev()
            .find(|b| b.1 == s && !b.4)
            .map(|b| (b.0, b.2))
    }
    fn ladder(&self) -> Vec<(u32, u64, Decimal)> {
        let mut rows: Vec<(u32, u64, Decimal)> = (0..3)
            .filter_map(|s| self.standing(s).map(|(seq, p)| (s, seq, p)))
            .collect();
        rows.sort_by(|a, b| a.2.cmp(&b.2).then(a.1.cmp(&b.1)));
        rows
    }
    /// Would a bid be accepted? (Same order of concerns as a person would check them.)
    fn admits(&self, at: i64, s: u32, price: Decimal) -> bool {
        if at < self.opens || self.paused_since.is_some() || at >= self.deadline {
            return false;
        }
        if price <= Decimal::ZERO || price.normalize().scale() > 2 {
            return false;
        }
        let last_any = self.bids.iter().rev().find(|b| b.1 == s).map(|b| b.3);
        if last_any.is_some_and(|t| at < t + 5_000) {
            return false;
        }
        if price > Decimal::new(100_000, 2) || price < Decimal::new(10_000, 2) {
            return false;
        }
        let step = |r: Decimal| Decimal::ONE.max(r / Decimal::ONE_HUNDRED);
        let own = self.standing(s).map(|x| x.1);
        if self.from_best {
            if let Some(best) = self.ladder().first().map(|r| r.2)
                && price > best - step(best)
            {
                return false;
            }
        } else if let Some(own) = own
            && price > own - step(own)
        {
            return false;
        }
        if let Some(own) = own
            && price < own / Decimal::TWO
        {
            return false;
        }
        true
    }
}

fn run_case(from_best: bool, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let config =
        veiling::config::parse(&CONFIG.replace("FROM", if from_best { "best" } else { "own" }))
            .expect("the property config is valid");
    let rules = config.rules.clone();
    let opens = rules.opens_at;
    let mut seq = Sequencer::new(Auction::new(rules.clone()));
    let mut model = Model {
        from_best,
        opens,
        deadline: opens + 600_000,
        hard: opens + 600_000 + 240_000,
        extensions: 0,
        paused_since: None,
        bids: Vec::new(),
    };
    let mut now = opens - 30_000;
    let mut events: Vec<Event> = Vec::new();
    let lot = LotIx(0);
    for op in ops {
        let before = seq.auction().clone();
        let best_before = before.lot(lot).and_then(|l| l.best_score());
        let deadline_before = before.lot(lot).and_then(|l| l.deadline);
        let mut is_void = false;
        let command = match op {
            Op::Bid {
                dt_ms,
                s,
                cents,
                milli,
            } => {
                now += dt_ms;
                let price = if milli {
                    Decimal::new(cents * 10 + 5, 3)
                } else {
                    Decimal::new(cents, 2)
                };
                Command::PlaceBid {
                    supplier: SupplierIx(s),
                    lot,
                    client_bid_id: format!("b{}", seq.next_seq()),
                    offer: Offer::Total(price),
                }
            }
            Op::Wait { dt_ms } => {
                now += dt_ms;
                Command::Tick
            }
            Op::Void { k } => {
                is_void = true;
                let live: Vec<u64> = model.bids.iter().filter(|b| !b.4).map(|b| b.0).collect();
                let bid = if live.is_empty() {
                    999
                } else {
                    live[k % live.len()]
                };
                Command::Act {
                    by: AuctioneerIx(0),
                    action: Action::VoidBid { bid },
                    reason: "test".into(),
                }
            }
            Op::Pause => Command::Act {
                by: AuctioneerIx(0),
                action: Action::Pause,
                reason: "test".into(),
            },
            Op::Resume => Command::Act {
                by: AuctioneerIx(0),
                action: Action::Resume,
                reason: "test".into(),
            },
            Op::Extend { by_s } => Command::Act {
                by: AuctioneerIx(0),
                action: Action::Extend {
                    lot,
                    by_ms: by_s * 1000,
                },
                reason: "test".into(),
            },
        };
        // The model's view of the command, decided before the core sees it.
        let steps = seq.submit(now, command.clone());
        for step in &steps {
            let at = step.input.at;
            let accepted = matches!(step.outcome, Outcome::Accepted(_));
            match &step.input.command {
                Command::PlaceBid {
                    supplier,
                    offer: Offer::Total(price),
                    ..
                } => {
                    let expect = model.admits(at, supplier.0, *price);
                    prop_assert_eq!(
                        accepted,
                        expect,
                        "bid {:?} at {} decided {:?}",
                        price,
                        at - opens,
                        step.outcome
                    );
                    if accepted {
                        prop_assert!(at < model.deadline, "accepted at/after the deadline");
                        model
                            .bids
                            .push((step.input.seq, supplier.0, *price, at, false));
                        if at >= model.deadline - 60_000 && model.extensions < 3 {
                            let to = (at + 90_000).min(model.hard);
                            if to > model.deadline {
                                model.deadline = to;
                                model.extensions += 1;
                            }
                        }
                    }
                }
                Command::Act {
                    action: Action::VoidBid { bid },
                    ..
                } => {
                    let found = model.bids.iter_mut().find(|b| b.0 == *bid && !b.4);
                    prop_assert_eq!(accepted, found.is_some() && at >= opens);
                    if let Some(b) = found
                        && accepted
                    {
                        b.4 = true;
                    }
                }
                Command::Act {
                    action: Action::Pause,
                    ..
                } => {
                    let expect = at >= opens && at < model.deadline && model.paused_since.is_none();
                    prop_assert_eq!(accepted, expect, "pause");
                    if accepted {
                        model.paused_since = Some(at);
                    }
                }
                Command::Act {
                    action: Action::Resume,
                    ..
                } => {
                    let expect = model.paused_since.is_some();
                    prop_assert_eq!(accepted, expect, "resume");
                    if let Some(since) = model.paused_since.take() {
                        model.deadline += at - since;
                        model.hard += at - since;
                    }
                }
                Command::Act {
                    action: Action::Extend { by_ms, .. },
                    ..
                } => {
                    // While paused the deadline is frozen, so an extension is still in time.
                    let expect =
                        at >= opens && (model.paused_since.is_some() || at < model.deadline);
                    prop_assert_eq!(accepted, expect, "extend");
                    if accepted {
                        model.deadline += by_ms;
                    }
                }
                _ => {}
            }
            if let Outcome::Accepted(evs) = &step.outcome {
                events.extend(evs.iter().cloned());
                for e in evs {
                    if let Event::LotExtended {
                        cause: ExtensionCause::Bid { .. },
                        to,
                        extensions_used,
                        ..
                    } = e
                    {
                        prop_assert!(*extensions_used <= 3, "extensions beyond the cap");
                        prop_assert!(*to <= model.hard, "extension beyond the hard close");
                    }
                }
            }
        }
        let after = seq.auction();
        let state = after.lot(lot).unwrap();
        // The ladder equals the model's.
        let ladder: Vec<(u32, u64, Decimal)> = state
            .ladder()
            .map(|(_, seq)| {
                let b = after.bid(*seq).unwrap();
                (b.record.supplier.0, *seq, b.record.total)
            })
            .collect();
        prop_assert_eq!(&ladder, &model.ladder());
        // Deadlines never move back, and the core's equals the model's.
        if let (Some(before), Some(now_deadline)) = (deadline_before, state.deadline) {
            prop_assert!(now_deadline >= before, "deadline moved back");
        }
        if state.deadline.is_some() {
            prop_assert_eq!(state.deadline, Some(model.deadline));
        }
        // The best score never worsens while the lot is open, voids aside.
        if !is_void
            && state.phase == LotPhase::Open
            && let (Some(b0), Some(b1)) = (best_before, state.best_score())
        {
            prop_assert!(b1 <= b0, "best score worsened from {} to {}", b0, b1);
        }
    }
    prop_assert_eq!(&Auction::replay(rules, &events), seq.auction());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn core_agrees_with_the_naive_model_decrement_from_own(ops in prop::collection::vec(op(), 1..80)) {
        run_case(false, ops)?;
    }

    #[test]
    fn core_agrees_with_the_naive_model_decrement_from_best(ops in prop::collection::vec(op(), 1..80)) {
        run_case(true, ops)?;
    }
}
