//! `veiling simulate`: a whole auction in-process on a virtual clock, with seeded bidder
//! strategies. Same config and seed, same output, byte for byte.
//!
//! Strategies (assigned in turn, starting at a seeded offset):
//! - `steady`: bids the most it may ("you can bid at most ...") minus a little, every 20 to 90 s,
//!   until its private walk-away price is reached;
//! - `sniper`: waits until shortly before the lot's deadline, then bids, again after every
//!   extension;
//! - `fat-finger`: bids like `steady`, but one bid in four is mistyped (a slipped decimal point,
//!   a price 30% too low, or one decimal too many), which the rules must refuse;
//! - `duplicate`: bids like `steady`, but sends every bid twice with the same client bid id.

use std::collections::BTreeMap;
use std::fmt::Write;

use rust_decimal::Decimal;

use crate::config::AuctionConfig;
use crate::core::score::floor_to;
use crate::core::sequencer::{Drive, Sequencer, Step};
use crate::core::*;
use crate::render::Renderer;
use crate::rng::Rng;

/// Inputs one simulation may sequence before it stops with an error.
pub const SIM_STEPS_MAX: usize = 500_000;
/// Largest number of simulated bidders.
pub const SIM_BIDDERS_MAX: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    Steady,
    Sniper,
    FatFinger,
    Duplicate,
}

impl Strategy {
    const ALL: [Strategy; 4] = [
        Strategy::Steady,
        Strategy::Sniper,
        Strategy::FatFinger,
        Strategy::Duplicate,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Strategy::Steady => "steady",
            Strategy::Sniper => "sniper",
            Strategy::FatFinger => "fat-finger",
            Strategy::Duplicate => "duplicate",
        }
    }
}

pub struct SimRun {
    pub config: AuctionConfig,
    pub strategies: Vec<Strategy>,
    pub steps: Vec<Step>,
    pub auction: Auction,
    /// Every step, rendered like `veiling script` prints it.
    pub transcript: String,
    /// The summary: who played what, counts, and the per-lot results.
    pub report: String,
}

/// The config's suppliers, cut to the first `bidders`, or extended with `sim-NN` suppliers
/// (admitted to every lot, quality 0) when more bidders are asked for than the config has.
pub fn with_bidders(
    mut config: AuctionConfig,
    bidders: Option<usize>,
) -> Result<AuctionConfig, String> {
    let Some(k) = bidders else { return Ok(config) };
    if k == 0 || k > SIM_BIDDERS_MAX {
        return Err(format!(
            "--bidders must be between 1 and {SIM_BIDDERS_MAX}, got {k}"
        ));
    }
    let lots = config.rules.lots.len();
    let suppliers = &mut config.rules.suppliers;
    suppliers.truncate(k);
    let first_initial = suppliers
        .first()
        .map_or_else(|| vec![None; lots], |s| s.initial.clone());
    let mut n = 1;
    while suppliers.len() < k {
        let id = format!("sim-{n:02}");
        n += 1;
        if suppliers.iter().any(|s| s.id == id) {
            continue;
        }
        suppliers.push(SupplierRules {
            name: format!("Simulated supplier {id}"),
            id,
            admitted: vec![true; lots],
            quality: vec![Decimal::ZERO; lots],
            // Turn-based rounds: the first supplier's initial prices (ties go by seq).
            initial: first_initial.clone(),
        });
    }
    Ok(config)
}

/// A simulated bidder (also a practice auction's bot).
pub struct Bidder {
    pub supplier: SupplierIx,
    pub strategy: Strategy,
    /// Per lot: the lowest total this bidder will go to.
    walk_away: Vec<Decimal>,
    /// Per lot: when it acts next (`None`: done with the lot).
    pub next_at: Vec<Option<TimeMs>>,
    /// Bids sent so far (its client bid ids are numbered by it).
    pub bids_sent: u64,
}

/// One seeded bidder per supplier: strategies in turn from a seeded offset, a private
/// walk-away price per lot, a first look within a minute of `opens`.
pub fn bidders(rules: &Rules, opens: TimeMs, rng: &mut Rng) -> Vec<Bidder> {
    let offset = rng.below(Strategy::ALL.len() as u64) as usize;
    (0..rules.suppliers.len())
        .map(|s| {
            let strategy = Strategy::ALL[(s + offset) % Strategy::ALL.len()];
            let walk_away = rules
                .lots
                .iter()
                .map(|lot| {
                    let floor = lot.floor.unwrap_or(lot.ceiling / Decimal::TWO);
                    // Somewhere in the lower 10%..70% of the floor-to-ceiling range.
                    let bp = Decimal::from(rng.range(1000, 7000));
                    floor_to(
                        floor + (lot.ceiling - floor) * bp / Decimal::from(10_000),
                        lot.price_decimals,
                    )
                })
                .collect();
            let next_at = rules
                .lots
                .iter()
                .enumerate()
                .map(|(l, _)| {
                    rules.suppliers[s]
                        .admitted_to(LotIx(l as u32))
                        .then(|| opens + rng.range(0, 60_000))
                })
                .collect();
            Bidder {
                supplier: SupplierIx(s as u32),
                strategy,
                walk_away,
                next_at,
                bids_sent: 0,
            }
        })
        .collect()
}

/// Simulate in memory.
pub fn simulate(config: AuctionConfig, seed: u64) -> Result<SimRun, String> {
    let mut driver = Sequencer::new(Auction::new(config.rules.clone()));
    simulate_with(config, seed, &mut driver)
}

/// A simulation written to a new durable log.
pub struct LoggedSim {
    pub run: SimRun,
    /// Records in the log (header and checkpoints included) and the hash of the last one.
    pub records: u64,
    pub head: String,
}

/// Simulate into a new log at `path` (refused if the file exists), every input durable before
/// the next, signed with `key`; the log's header is dated at the auction's opening.
pub fn simulate_logged(
    config: AuctionConfig,
    config_text: &str,
    seed: u64,
    path: &std::path::Path,
    key: ed25519_dalek::SigningKey,
) -> Result<LoggedSim, String> {
    use crate::log::{record::Mode, recorder};
    if path.exists() {
        return Err(format!(
            "{} exists: a simulation writes a new log",
            path.display()
        ));
    }
    let at = config.rules.opens_at;
    let mut opened = recorder::open(
        path,
        &config,
        config_text,
        Mode::Live,
        at,
        key,
        Default::default(),
    )
    .map_err(|e| e.to_string())?;
    let run = simulate_with(config, seed, &mut opened.driver)?;
    Ok(LoggedSim {
        run,
        records: opened.driver.recorder.records(),
        head: opened.driver.recorder.head().to_string(),
    })
    // Dropping `opened` stops the writer after everything queued is synced.
}

/// Simulate through any driver (for instance one that writes the durable log first).
pub fn simulate_with(
    config: AuctionConfig,
    seed: u64,
    seq: &mut dyn Drive,
) -> Result<SimRun, String> {
    let rules = config.rules.clone();
    let mut rng = Rng::new(seed);
    let mut bidders = bidders(&rules, rules.opens_at, &mut rng);

    let mut steps: Vec<Step> = Vec::new();
    let push = |steps: &mut Vec<Step>, new: Vec<Step>| -> Result<(), String> {
        steps.extend(new);
        if steps.len() > SIM_STEPS_MAX {
            return Err(format!(
                "simulation did not end within {SIM_STEPS_MAX} inputs"
            ));
        }
        Ok(())
    };

    let mut iterations = 0;
    loop {
        iterations += 1;
        if iterations > 4 * SIM_STEPS_MAX {
            return Err(format!(
                "simulation did not end within {} iterations",
                4 * SIM_STEPS_MAX
            ));
        }
        // The earliest bidder action, ties broken by bidder then lot (deterministic).
        let action = bidders
            .iter()
            .enumerate()
            .flat_map(|(b, bidder)| {
                bidder
                    .next_at
                    .iter()
                    .enumerate()
                    .filter_map(move |(l, t)| t.map(|t| (t, b, l)))
            })
            .min();
        let deadline = seq.auction().next_deadline();
        match (action, deadline) {
            (None, None) => break,
            (None, Some(d)) => push(&mut steps, seq.submit(d, Command::Tick)?)?,
            (Some((t, _, _)), Some(d)) if d <= t => {
                push(&mut steps, seq.submit(d, Command::Tick)?)?
            }
            (Some((t, b, l)), _) => {
                let new = act(seq, &mut bidders[b], LotIx(l as u32), t, &mut rng)?;
                push(&mut steps, new)?;
            }
        }
    }

    // Award every closed lot, as the first auctioneer would after checking the results.
    let at = seq.now();
    for l in 0..rules.lots.len() {
        let command = Command::Act {
            by: AuctioneerIx(0),
            action: Action::Award {
                lot: LotIx(l as u32),
            },
            reason: "simulation: award to the best ranks".into(),
        };
        push(&mut steps, seq.submit(at, command)?)?;
    }

    let auction = seq.auction().clone();
    let renderer = Renderer::new(&config);
    let mut replay = Auction::new(rules.clone());
    let mut transcript = String::new();
    for step in &steps {
        if let Outcome::Accepted(events) = &step.outcome {
            for e in events {
                replay.apply(e);
            }
        }
        transcript.push_str(&renderer.step(step, &replay));
    }
    let strategies: Vec<Strategy> = bidders.iter().map(|b| b.strategy).collect();
    let report = summary(&config, seed, &bidders, &steps, &auction);
    Ok(SimRun {
        config,
        strategies,
        steps,
        auction,
        transcript,
        report,
    })
}

/// One bidder's turn on one lot at time `t`.
fn act(
    seq: &mut dyn Drive,
    bidder: &mut Bidder,
    lot: LotIx,
    t: TimeMs,
    rng: &mut Rng,
) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    // Let any due deadline happen first, so the view below is current.
    steps.extend(seq.advance(t)?);
    let Some(plan) = plan(seq.auction(), bidder, lot, t, rng) else {
        return Ok(steps);
    };
    let mut next_allowed = None;
    for _ in 0..plan.sends {
        let new = seq.submit(t, plan.command.clone())?;
        for step in &new {
            if let Outcome::Rejected(Rejection::BidTooSoon {
                next_allowed_at, ..
            }) = step.outcome
            {
                next_allowed = Some(next_allowed_at);
            }
        }
        steps.extend(new);
    }
    bidder.next_at[lot.ix()] = Some(plan.next_at(next_allowed, t));
    Ok(steps)
}

/// What a bidder does now: a command, how many times it sends it, and when it looks again.
pub struct Plan {
    pub command: Command,
    /// 2 for the duplicate sender.
    pub sends: u32,
    /// When it looks again unless a refusal says when it may bid next.
    after: TimeMs,
    /// A price in steps or a turn decides when it looks again, whatever the refusal.
    fixed: Option<TimeMs>,
}

impl Plan {
    /// When to look again: `next_allowed` is the time a `bid_too_soon` refusal named.
    pub fn next_at(&self, next_allowed: Option<TimeMs>, t: TimeMs) -> TimeMs {
        self.fixed
            .unwrap_or(next_allowed.unwrap_or(self.after).max(t + 1))
    }
}

/// A bidder's move on `lot` at `t`, from what its supplier sees: `None` when it has nothing to
/// do now (its next look is set). The practice server's bots and the simulator share it.
pub fn plan(
    auction: &Auction,
    bidder: &mut Bidder,
    lot: LotIx,
    t: TimeMs,
    rng: &mut Rng,
) -> Option<Plan> {
    let l = lot.ix();
    let rules = auction.rules();
    let lot_rules = &rules.lots[l];
    let Some(view) = auction.supplier_view(bidder.supplier) else {
        bidder.next_at[l] = None;
        return None;
    };
    let lot_view = &view.lots[l];
    match (auction.phase(), lot_view.status.phase) {
        (AuctionPhase::Scheduled, _) => {
            bidder.next_at[l] = Some(rules.opens_at.max(t + 1000));
            return None;
        }
        (AuctionPhase::Paused { .. }, LotPhase::Open) => {
            bidder.next_at[l] = Some(t + 30_000);
            return None;
        }
        (_, LotPhase::Scheduled) => {
            bidder.next_at[l] = Some(lot_view.status.opens_at.unwrap_or(t + 60_000).max(t + 1000));
            return None;
        }
        (_, LotPhase::Open) => {}
        _ => {
            bidder.next_at[l] = None;
            return None;
        }
    }
    let deadline = lot_view.status.deadline.unwrap_or(t);
    // Turn-based rounds: wait for one's turn (look again when the running turn or the pause
    // ends); in it, keep the price when the next step would pass one's walk-away price.
    let turns = lot_view.status.turn.as_ref();
    if let Some(turn) = turns {
        if lot_view.my_turn.is_none_or(|(_, now)| !now) {
            bidder.next_at[l] = Some(turn.until.max(t) + 1);
            return None;
        }
        if lot_view
            .max_admissible
            .is_none_or(|max| max < bidder.walk_away[l])
        {
            return Some(Plan {
                command: Command::Keep {
                    supplier: bidder.supplier,
                    lot,
                },
                sends: 1,
                after: t + 1,
                fixed: Some(t + 1),
            });
        }
    }
    // Sniping is for a deadline a bid can beat; a price offered in steps or a turn has none.
    if bidder.strategy == Strategy::Sniper
        && lot_view.status.offered_price.is_none()
        && turns.is_none()
    {
        let window = rules
            .format
            .rules()
            .soft_close()
            .map_or(60_000, |sc| sc.window_ms);
        let lead = rng.range(2_000, window.clamp(3_000, 60_000));
        if deadline - t > lead + 1_000 {
            bidder.next_at[l] = Some(deadline - lead);
            return None;
        }
    }
    let Some(max) = lot_view.max_admissible else {
        // Nothing to bid now; a lot that offers prices in steps (a Japanese bidder who has
        // confirmed this one) may ask again at the next.
        bidder.next_at[l] = lot_view.status.next_price_at.filter(|_| !lot_view.dropped);
        return None;
    };
    let walk_away = bidder.walk_away[l];
    if max < walk_away {
        // A rising (Dutch) price may still reach the least it takes: wait for the next one.
        // Otherwise it has gone as low as it will go.
        bidder.next_at[l] = lot_view.status.next_price_at;
        return None;
    }
    // Bid the most it may, less 0 to 3 price units at the lot's scale, but not below walk-away.
    // With one bid only (a sealed bid) there is nothing to step down from: bid somewhere
    // between walk-away and the most admissible, once.
    let unit = Decimal::new(1, lot_rules.price_decimals);
    let mut target = if rules.format.rules().may_bid_again() {
        (max - unit * Decimal::from(rng.range(0, 3))).max(walk_away)
    } else {
        let share = Decimal::from(rng.range(0, 100)) / Decimal::ONE_HUNDRED;
        floor_to(
            walk_away + (max - walk_away) * share,
            lot_rules.price_decimals,
        )
    };
    if let Some(min) = lot_view.min_admissible {
        target = target.max(min);
    }
    let mut offer = offer_for(lot_rules, target);
    if bidder.strategy == Strategy::FatFinger && rng.chance(1, 4) {
        offer = match rng.below(3) {
            // A slipped decimal point: a tenth of the intended price.
            0 => offer_for(
                lot_rules,
                floor_to(target / Decimal::TEN, lot_rules.price_decimals),
            ),
            // A mistyped digit: 30% below the intended price.
            1 => offer_for(
                lot_rules,
                floor_to(target * Decimal::new(7, 1), lot_rules.price_decimals),
            ),
            _ => {
                // One decimal too many.
                let extra = Decimal::new(1, lot_rules.price_decimals + 1);
                match offer {
                    Offer::Total(x) => Offer::Total(x - extra),
                    Offer::Lines(mut xs) => {
                        if let Some(first) = xs.first_mut() {
                            *first -= extra;
                        }
                        Offer::Lines(xs)
                    }
                }
            }
        };
    }
    bidder.bids_sent += 1;
    let client_bid_id = format!("{}-{}", lot_rules.id, bidder.bids_sent);
    let command = Command::PlaceBid {
        supplier: bidder.supplier,
        lot,
        client_bid_id,
        offer,
    };
    let sends = if bidder.strategy == Strategy::Duplicate {
        2
    } else {
        1
    };
    let pause = match bidder.strategy {
        Strategy::Sniper => rng.range(1_000, 5_000),
        _ => rng.range(20_000, 90_000),
    };
    let interval = rules.bids.bid_interval_min_ms;
    let mut fixed = None;
    // Turn-based rounds: look again soon (a refused bid leaves the turn running).
    if turns.is_some() {
        fixed = Some(t + rng.range(1_000, 5_000));
    }
    // A price offered in steps (a Japanese bidder confirms each one): come back soon after the
    // next price, within the first quarter of its time.
    if let Some(next) = lot_view.status.next_price_at {
        let quarter = (next - t).max(4) / 4;
        fixed = Some(next + rng.range(1, quarter));
    }
    Some(Plan {
        command,
        sends,
        after: t + pause.max(interval),
        fixed,
    })
}

/// An offer whose total is at most `total`: the total itself, or unit prices spread evenly over
/// the line items (each rounded down to the lot's scale).
pub fn offer_for(lot: &LotRules, total: Decimal) -> Offer {
    if lot.lines.is_empty() {
        return Offer::Total(floor_to(total, lot.price_decimals));
    }
    let n = Decimal::from(lot.lines.len() as u64);
    Offer::Lines(
        lot.lines
            .iter()
            .map(|line| {
                floor_to(total / n / line.quantity, lot.price_decimals)
                    .max(Decimal::new(1, lot.price_decimals))
            })
            .collect(),
    )
}

fn summary(
    config: &AuctionConfig,
    seed: u64,
    bidders: &[Bidder],
    steps: &[Step],
    auction: &Auction,
) -> String {
    let r = Renderer::new(config);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "simulation of {} with seed {seed}: {} bidder(s)",
        config.rules.auction_id,
        bidders.len()
    );
    for b in bidders {
        let _ = writeln!(
            out,
            "  {} plays {}",
            r.supplier(b.supplier),
            b.strategy.name()
        );
    }
    let mut accepted = 0;
    let mut repeated = 0;
    let mut ticks = 0;
    let mut rejected: BTreeMap<&str, usize> = BTreeMap::new();
    let mut extensions = 0;
    for step in steps {
        if matches!(step.input.command, Command::Tick) {
            ticks += 1;
        }
        match &step.outcome {
            Outcome::Accepted(events) => {
                for e in events {
                    match e {
                        Event::BidAccepted(_) => accepted += 1,
                        Event::LotExtended { .. } => extensions += 1,
                        _ => {}
                    }
                }
            }
            Outcome::Rejected(rej) => *rejected.entry(rej.code()).or_default() += 1,
            Outcome::Repeated { .. } => repeated += 1,
        }
    }
    let rejected_total: usize = rejected.values().sum();
    let by_reason: Vec<String> = rejected.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let _ = writeln!(
        out,
        "{} inputs: {accepted} bids accepted, {rejected_total} rejected{}, {repeated} repeated, {ticks} ticks, {extensions} soft-close extensions",
        steps.len(),
        if by_reason.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_reason.join(", "))
        }
    );
    out.push_str(&r.standings(auction));
    out
}
