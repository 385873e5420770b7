//! A pure driver around [`Auction`]: numbers inputs, keeps time monotonic and inserts the `Tick`
//! that is due before any other input. The script runner, the simulator and (later) the server's
//! auction actor all go through it, so they sequence inputs the same way.

use super::{Auction, Command, Input, Outcome, Seq, TimeMs};

/// One sequenced input and what the core decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub input: Input,
    pub outcome: Outcome,
}

#[derive(Clone, Debug)]
pub struct Sequencer {
    auction: Auction,
    next_seq: Seq,
    now: TimeMs,
}

impl Sequencer {
    pub fn new(auction: Auction) -> Self {
        Sequencer {
            auction,
            next_seq: 1,
            now: TimeMs::MIN,
        }
    }

    /// Continue after `next_seq - 1` inputs (and other records) at time `now`, as after replaying
    /// a log.
    pub fn resume(auction: Auction, next_seq: Seq, now: TimeMs) -> Self {
        Sequencer {
            auction,
            next_seq,
            now,
        }
    }

    pub fn auction(&self) -> &Auction {
        &self.auction
    }

    /// The time of the latest input (receipt times never go back: an earlier `at` is raised).
    pub fn now(&self) -> TimeMs {
        self.now
    }

    /// The seq the next input will get.
    pub fn next_seq(&self) -> Seq {
        self.next_seq
    }

    /// If a deadline is due at `at`, sequence the `Tick` for it. Before the opening tick of a
    /// turn-based auction, first each initial price (an input of its own).
    pub fn advance(&mut self, at: TimeMs) -> Vec<Step> {
        let at = at.max(self.now);
        match self.auction.next_deadline() {
            Some(deadline) if deadline <= at => {}
            _ => return Vec::new(),
        }
        let mut steps = self.initial_bids(at);
        steps.push(self.sequence(at, Command::Tick));
        steps
    }

    /// Turn-based rounds: when the opening is due at `at`, sequence the initial prices (each
    /// an input of its own) that must go in before the opening tick.
    pub fn initial_bids(&mut self, at: TimeMs) -> Vec<Step> {
        let at = at.max(self.now);
        let mut steps = Vec::new();
        if self.auction.phase() != super::AuctionPhase::Scheduled
            || self.auction.next_deadline().is_none_or(|d| d > at)
        {
            return steps;
        }
        // At most one per supplier and lot; a refusal (never, for the rules' own prices)
        // stops it rather than repeating.
        let most = self.auction.rules().suppliers.len() * self.auction.rules().lots.len();
        for _ in 0..most {
            let Some(command) = self.auction.next_initial_bid() else {
                break;
            };
            let step = self.sequence(at, command);
            let refused = !matches!(step.outcome, Outcome::Accepted(_));
            steps.push(step);
            if refused {
                break;
            }
        }
        steps
    }

    /// Sequence `command` at `at`, after the tick that is due first, if any. Returns every step
    /// taken (the tick first).
    pub fn submit(&mut self, at: TimeMs, command: Command) -> Vec<Step> {
        let mut steps = Vec::with_capacity(2);
        if matches!(command, Command::Tick) {
            steps.extend(self.initial_bids(at));
        } else {
            steps.extend(self.advance(at));
        }
        steps.push(self.sequence(at, command));
        steps
    }

    /// Sequence `command` at `at` as it is, without first sending a due tick.
    pub fn sequence(&mut self, at: TimeMs, command: Command) -> Step {
        let at = at.max(self.now);
        self.now = at;
        let input = Input {
            seq: self.next_seq,
            at,
            command,
        };
        self.next_seq += 1;
        let outcome = self.auction.execute(&input);
        Step { input, outcome }
    }
}

/// Something that sequences commands into an auction: the in-memory [`Sequencer`], or a driver
/// that also makes every step durable before returning it (the log's recorder). The simulator
/// and the script runner drive either.
pub trait Drive {
    /// Sequence `command` at `at` (after the tick that is due first). Err: the step could not be
    /// made durable; nothing of it may be acknowledged.
    fn submit(&mut self, at: TimeMs, command: Command) -> Result<Vec<Step>, String>;
    /// If a deadline is due at `at`, sequence its tick (after the initial prices, before a
    /// turn-based auction opens).
    fn advance(&mut self, at: TimeMs) -> Result<Vec<Step>, String>;
    fn auction(&self) -> &Auction;
    fn now(&self) -> TimeMs;
}

impl Drive for Sequencer {
    fn submit(&mut self, at: TimeMs, command: Command) -> Result<Vec<Step>, String> {
        Ok(Sequencer::submit(self, at, command))
    }
    fn advance(&mut self, at: TimeMs) -> Result<Vec<Step>, String> {
        Ok(Sequencer::advance(self, at))
    }
    fn auction(&self) -> &Auction {
        Sequencer::auction(self)
    }
    fn now(&self) -> TimeMs {
        Sequencer::now(self)
    }
}
