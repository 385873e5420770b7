//! One actor per auction: a tokio task that owns the auction's state and its log. Commands come
//! in through a bounded queue; the actor takes what is queued (up to [`Limits::batch_inputs_max`])
//! as one batch, sequences it through the recorder, appends and syncs it as one group commit,
//! and only then answers the senders and tells everyone what happened. Deadlines come from the
//! core's `next_deadline()` and go into the log as ticks.
//!
//! Fan-out: answers and notices are queued to each connection at once (a connection that cannot
//! take one is disconnected: it resumes from its last seq); state snapshots are coalesced to at
//! most one per [`Limits::fanout_interval`], serialised once per audience (observers share one,
//! auctioneers and the auditor share one, each supplier gets its own), and skipped for a
//! connection whose queue is full, which then gets the latest one when it has room, or is
//! disconnected after [`Limits::snapshot_misses_max`] misses in a row.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::Instant;

use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::Limits;
use super::clock::Clock;
use super::creds::Role;
use super::metrics::Metrics;
use super::wire::{self, Receipted, WireError};
use crate::config::AuctionConfig;
use crate::core::sequencer::Drive;
use crate::core::sequencer::Step;
use crate::core::*;
use crate::log::record::Mode;
use crate::log::recorder::{LoggedDriver, Receipt};

/// What a connection queues for its client: one text message, serialised once.
pub type Outbox = mpsc::Sender<Utf8Bytes>;

/// An authenticated session joins: it gets a welcome (and missed notices), then everything.
pub struct Join {
    pub session: u64,
    pub role: Role,
    pub resume_from: Option<Seq>,
    pub req_id: Option<Value>,
    pub out: Outbox,
    /// Set by the actor when it drops the session for not keeping up.
    pub kicked: Arc<AtomicBool>,
}

pub enum ToActor {
    Join(Join),
    Command {
        session: u64,
        req_id: Option<Value>,
        command: Command,
        received: Instant,
    },
    /// Send the session a fresh snapshot.
    Resync {
        session: u64,
        req_id: Option<Value>,
    },
    /// The session ended (its connection closed).
    Leave {
        session: u64,
    },
}

struct Sub {
    role: Role,
    out: Outbox,
    kicked: Arc<AtomicBool>,
    /// A snapshot could not be queued; send the latest when there is room.
    stale: bool,
    misses: u32,
}

struct Recent {
    seq: Seq,
    events: Vec<Event>,
}

struct Req {
    session: u64,
    req_id: Option<Value>,
    received: Instant,
    is_bid: bool,
    /// Index of its step in the batch.
    step: usize,
}

pub struct Actor {
    pub config: Arc<AuctionConfig>,
    pub mode: Mode,
    pub driver: LoggedDriver,
    pub clock: Clock,
    pub metrics: Arc<Metrics>,
    pub limits: Limits,
    pub rx: mpsc::Receiver<ToActor>,
    pub shutdown: watch::Receiver<bool>,
    /// Set when the log failed and the auction halted (`/readyz` answers 503).
    pub halted: Arc<AtomicBool>,
    /// Kept equal to "some lot's bids are sealed" after every batch (see `AuctionEntry`).
    pub sealed: Arc<AtomicBool>,
    subs: BTreeMap<u64, Sub>,
    recent: VecDeque<Recent>,
    /// Every accepted step with seq >= floor is in `recent`.
    floor: Seq,
    dirty: bool,
    /// A supplier connected or disconnected: the auctioneers' and the auditor's snapshots
    /// (which list every supplier's connections) are due, even if nothing else changed.
    presence_dirty: bool,
    last_fanout: Instant,
    /// How long the last fan-out took.
    fanout_took: std::time::Duration,
    /// A practice run's bot bidders (`practice::bot_id`), and their seeded randomness.
    bots: Vec<crate::simulate::Bidder>,
    bot_rng: crate::rng::Rng,
}

/// Where the actor's `sleep` for the next snapshot fan-out ends (never, when nothing waits).
async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

async fn sleep_deadline(clock: &Clock, deadline: Option<TimeMs>) {
    match deadline {
        Some(d) => clock.sleep_until(d).await,
        None => std::future::pending().await,
    }
}

impl Actor {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        config: Arc<AuctionConfig>,
        mode: Mode,
        driver: LoggedDriver,
        tail: Vec<(Step, Receipt)>,
        clock: Clock,
        metrics: Arc<Metrics>,
        limits: Limits,
        rx: mpsc::Receiver<ToActor>,
        shutdown: watch::Receiver<bool>,
    ) -> Actor {
        let floor = match tail.first() {
            // The tail holds every step since the first input: nothing is missing.
            Some((step, _)) if step.input.seq == 1 => 1,
            Some((step, _)) => step.input.seq,
            None => driver.recorder.next_seq(),
        };
        let recent = tail
            .into_iter()
            .filter_map(|(step, _)| match step.outcome {
                Outcome::Accepted(events) => Some(Recent {
                    seq: step.input.seq,
                    events,
                }),
                _ => None,
            })
            .collect();
        let mut actor = Actor {
            config,
            mode,
            driver,
            clock,
            metrics,
            limits,
            rx,
            shutdown,
            halted: Arc::new(AtomicBool::new(false)),
            sealed: Arc::new(AtomicBool::new(false)),
            subs: BTreeMap::new(),
            recent,
            floor,
            dirty: false,
            presence_dirty: false,
            last_fanout: Instant::now(),
            fanout_took: std::time::Duration::ZERO,
            bots: Vec::new(),
            bot_rng: crate::rng::Rng::new(0),
        };
        actor.note_sealed();
        while actor.recent.len() > actor.limits.recent_steps_max {
            if let Some(old) = actor.recent.pop_front() {
                actor.floor = old.seq + 1;
            }
        }
        actor
    }

    /// A practice run: the suppliers called `oefenbot-N` bid by the simulator's seeded
    /// strategies, in real time, through the same batches as everyone's bids.
    pub fn add_bots(&mut self, seed: u64) {
        let auction = self.driver.auction();
        let rules = auction.rules();
        let mut rng = crate::rng::Rng::new(seed);
        let start = self.clock.now_ms().max(rules.opens_at);
        self.bots = crate::simulate::bidders(rules, start, &mut rng)
            .into_iter()
            .filter(|b| {
                rules
                    .suppliers
                    .get(b.supplier.ix())
                    .is_some_and(|s| s.id.starts_with("oefenbot-"))
            })
            .map(|mut b| {
                // After a restart, go on numbering its client bid ids after those it used.
                b.bids_sent = auction
                    .bids()
                    .filter(|x| x.record.supplier == b.supplier)
                    .count() as u64;
                b
            })
            .collect();
        self.bot_rng = rng;
    }

    /// When the next bot looks at the auction.
    fn bot_at(&self) -> Option<TimeMs> {
        self.bots
            .iter()
            .flat_map(|b| b.next_at.iter().flatten())
            .min()
            .copied()
    }

    /// Every bot move due at `now`, into the batch (at most one per bot and lot).
    fn run_bots(&mut self, batch: &mut crate::log::recorder::Batch, now: TimeMs) {
        for b in 0..self.bots.len() {
            for l in 0..self.bots[b].next_at.len() {
                if self.bots[b].next_at[l].is_none_or(|t| t > now) {
                    continue;
                }
                let plan = crate::simulate::plan(
                    self.driver.auction(),
                    &mut self.bots[b],
                    LotIx(l as u32),
                    now,
                    &mut self.bot_rng,
                );
                let Some(plan) = plan else { continue };
                for _ in 0..plan.sends {
                    if self.driver.admit(&plan.command).is_ok() {
                        self.driver
                            .recorder
                            .submit_into(batch, now, plan.command.clone());
                    }
                }
                self.bots[b].next_at[l] = Some(plan.next_at(None, now));
            }
        }
    }

    /// The time between two snapshot fan-outs: the configured interval, or twice the last
    /// fan-out's own duration if that is longer, so that snapshots never take more than a third
    /// of the actor's time however many sessions there are.
    fn fanout_gap(&self) -> std::time::Duration {
        self.limits.fanout_interval.max(self.fanout_took * 2)
    }

    fn note_sealed(&self) {
        let auction = self.driver.auction();
        let sealed = (0..auction.lots().len() as u32).any(|l| auction.is_sealed(LotIx(l)));
        self.sealed.store(sealed, Relaxed);
    }

    fn head(&self) -> Seq {
        self.driver.recorder.next_seq() - 1
    }

    /// Run until shutdown. The batch in flight is always finished (synced and answered) first.
    pub async fn run(mut self) -> LoggedDriver {
        loop {
            let deadline = if self.driver.admit(&Command::Tick).is_ok() {
                self.driver.auction().next_deadline()
            } else {
                None
            };
            let fanout_at =
                (self.dirty || self.presence_dirty).then(|| self.last_fanout + self.fanout_gap());
            let bot_at = if self.driver.admit(&Command::Tick).is_ok() {
                self.bot_at()
            } else {
                None
            };
            tokio::select! {
                biased;
                _ = self.shutdown.changed() => break,
                first = self.rx.recv() => {
                    let Some(first) = first else { break };
                    let mut msgs = vec![first];
                    while msgs.len() < self.limits.batch_inputs_max {
                        match self.rx.try_recv() {
                            Ok(m) => msgs.push(m),
                            Err(_) => break,
                        }
                    }
                    self.process(msgs).await;
                }
                _ = sleep_deadline(&self.clock, deadline) => self.process(Vec::new()).await,
                _ = sleep_deadline(&self.clock, bot_at) => self.process(Vec::new()).await,
                _ = sleep_until_opt(fanout_at) => self.fanout(),
            }
            if (self.dirty || self.presence_dirty)
                && self.last_fanout.elapsed() >= self.fanout_gap()
            {
                self.fanout();
            }
        }
        // Stopping: what is still queued was never acknowledged; say so.
        self.rx.close();
        while let Ok(m) = self.rx.try_recv() {
            if let ToActor::Command {
                session, req_id, ..
            } = m
            {
                let e = WireError::new("unavailable", "the server is stopping; retry later");
                self.send(session, wire::error(&req_id, &e).into(), false);
            }
        }
        self.subs.clear();
        self.driver
    }

    async fn process(&mut self, msgs: Vec<ToActor>) {
        let now = self.clock.now_ms();
        let mut batch = self.driver.recorder.empty_batch();
        let mut requests = Vec::new();
        let mut later = Vec::new();
        for m in msgs {
            match m {
                ToActor::Command {
                    session,
                    req_id,
                    command,
                    received,
                } => {
                    if let Err(why) = self.driver.admit(&command) {
                        let code = if self.driver.halted().is_some() {
                            "unavailable"
                        } else if self.driver.recorder.is_sealed() {
                            "log_sealed"
                        } else {
                            "bad_message"
                        };
                        self.metrics.error(code);
                        self.send(
                            session,
                            wire::error(&req_id, &WireError::new(code, why)).into(),
                            false,
                        );
                        continue;
                    }
                    let is_bid = matches!(command, Command::PlaceBid { .. });
                    self.driver.recorder.submit_into(&mut batch, now, command);
                    requests.push(Req {
                        session,
                        req_id,
                        received,
                        is_bid,
                        step: batch.steps.len() - 1,
                    });
                }
                other => later.push(other),
            }
        }
        if self.driver.admit(&Command::Tick).is_ok() {
            self.driver.recorder.advance_into(&mut batch, now);
        }
        if !self.bots.is_empty() && self.driver.admit(&Command::Tick).is_ok() {
            self.run_bots(&mut batch, now);
        }
        if !batch.steps.is_empty() {
            self.metrics.batch_inputs.observe(batch.steps.len() as f64);
            self.metrics
                .inputs_total
                .fetch_add(batch.steps.len() as u64, Relaxed);
            let records = std::mem::take(&mut batch.records);
            let written = self
                .driver
                .writer
                .submit(batch.position, records)
                .done()
                .await;
            if let Err(e) = written {
                let why = format!("the bid log failed, the auction halts: {e}");
                tracing::error!(auction = %self.config.rules.auction_id, "{why}");
                self.driver.halt(why.clone());
                self.halted.store(true, Relaxed);
                for r in requests {
                    let e = WireError::new("unavailable", why.clone());
                    self.send(r.session, wire::error(&r.req_id, &e).into(), false);
                }
                return;
            }
            // Durable: answer, then tell everyone, in sequence order.
            let mut requests = requests.into_iter().peekable();
            for (i, (step, receipt)) in batch.steps.iter().enumerate() {
                if let Some(r) = requests.next_if(|r| r.step == i) {
                    self.answer(&r, step, receipt);
                }
                if let Outcome::Accepted(events) = &step.outcome {
                    self.dirty = true;
                    self.broadcast(step.input.seq, events);
                    self.remember(step.input.seq, events.clone());
                }
            }
        }
        self.note_sealed();
        for m in later {
            match m {
                ToActor::Join(join) => self.join(join),
                ToActor::Resync { session, req_id } => {
                    // A session the actor has dropped meanwhile gets nothing.
                    let Some(role) = self.subs.get(&session).map(|s| s.role) else {
                        continue;
                    };
                    let mut state = wire::snapshot_for(self.driver.auction(), role, true);
                    if insider(role) {
                        state["connected"] = self.presence();
                    }
                    let text = wire::state(self.head(), self.clock.now_ms(), state, &req_id);
                    self.send(session, text.into(), false);
                }
                ToActor::Leave { session } => {
                    if let Some(sub) = self.subs.remove(&session)
                        && matches!(sub.role, Role::Supplier(_))
                    {
                        self.presence_dirty = true;
                    }
                }
                ToActor::Command { .. } => {}
            }
        }
    }

    fn remember(&mut self, seq: Seq, events: Vec<Event>) {
        self.recent.push_back(Recent { seq, events });
        while self.recent.len() > self.limits.recent_steps_max {
            if let Some(old) = self.recent.pop_front() {
                self.floor = old.seq + 1;
            }
        }
    }

    fn answer(&mut self, r: &Req, step: &Step, receipt: &Receipt) {
        let rc = Receipted {
            seq: receipt.seq,
            hash: &receipt.hash,
        };
        let auction = self.driver.auction();
        let text = match &step.outcome {
            Outcome::Accepted(events) if r.is_bid => {
                self.metrics.bids_accepted_total.fetch_add(1, Relaxed);
                wire::accepted(&r.req_id, &rc, auction, step.input.seq, false)
            }
            Outcome::Accepted(events) => {
                let pending = events
                    .iter()
                    .any(|e| matches!(e, Event::ActionRequested { .. }));
                wire::done(&r.req_id, &rc, pending)
            }
            Outcome::Rejected(rejection) => {
                self.metrics.rejected(rejection.code());
                wire::rejected(&r.req_id, &rc, rejection, &self.config)
            }
            // The receipt is this retry's own record, whose outcome names the original bid.
            Outcome::Repeated { bid } => wire::accepted(&r.req_id, &rc, auction, *bid, true),
        };
        if r.is_bid {
            self.metrics
                .bid_to_ack
                .observe_duration(r.received.elapsed());
        }
        self.send(r.session, text.into(), false);
    }

    /// Queue a message for one session. `droppable`: a snapshot, which may be skipped when the
    /// queue is full. A message that may not be skipped and cannot be queued disconnects the
    /// session (it resumes from its last seq).
    fn send(&mut self, session: u64, text: Utf8Bytes, droppable: bool) {
        let Some(sub) = self.subs.get_mut(&session) else {
            return;
        };
        if !push(sub, text, droppable, &self.metrics, &self.limits) {
            self.drop_sub(session);
        }
    }

    fn drop_sub(&mut self, session: u64) {
        if let Some(sub) = self.subs.remove(&session)
            && !sub.out.is_closed()
        {
            sub.kicked.store(true, Relaxed);
            self.metrics
                .slow_consumer_disconnects_total
                .fetch_add(1, Relaxed);
        }
    }

    /// Every session's notices for one accepted step, serialised once per audience.
    fn broadcast(&mut self, seq: Seq, events: &[Event]) {
        let auction = self.driver.auction();
        // Per event, the encoded notice of each audience (None: that audience gets none),
        // built on first use: most notices are the same for every supplier, and most events
        // (an accepted bid) give suppliers none at all.
        let mut cache: Vec<BTreeMap<Audience, Option<Utf8Bytes>>> =
            events.iter().map(|_| BTreeMap::new()).collect();
        let mut text_of = |i: usize, role: Role| -> Option<Utf8Bytes> {
            cache[i]
                .entry(event_audience(&events[i], role))
                .or_insert_with(|| {
                    wire::notices(seq, &events[i], role, auction)
                        .map(|v| Utf8Bytes::from(wire::encode(&v)))
                })
                .clone()
        };
        let mut gone = Vec::new();
        for (id, sub) in self.subs.iter_mut() {
            let count = (0..events.len())
                .filter(|&i| text_of(i, sub.role).is_some())
                .count();
            if count == 0 {
                continue;
            }
            // All of one step's notices or none: a client never holds part of a seq, so a
            // resume from the last seq it saw misses nothing.
            if sub.out.capacity() < count {
                gone.push(*id);
                continue;
            }
            for i in 0..events.len() {
                if let Some(text) = text_of(i, sub.role)
                    && !push(sub, text, false, &self.metrics, &self.limits)
                {
                    gone.push(*id);
                    break;
                }
            }
        }
        for id in gone {
            self.drop_sub(id);
        }
    }

    /// Send every session the latest snapshot (coalesced: at most once per fan-out interval).
    /// When only the suppliers' connections changed, only auctioneers and the auditor get one.
    fn fanout(&mut self) {
        self.last_fanout = Instant::now();
        let only_insiders = !self.dirty;
        let presence = self.presence();
        let auction = self.driver.auction();
        let head = self.driver.recorder.next_seq() - 1;
        let now = self.clock.now_ms();
        let mut cache: BTreeMap<Audience, Utf8Bytes> = BTreeMap::new();
        let mut lean = wire::LeanSupplierStates::new(auction, head, now);
        let mut gone = Vec::new();
        for (id, sub) in self.subs.iter_mut() {
            if sub.out.is_closed() {
                gone.push(*id);
                continue;
            }
            if only_insiders && !insider(sub.role) {
                continue;
            }
            let text = cache
                .entry(audience(sub.role))
                .or_insert_with(|| match sub.role {
                    Role::Supplier(s) => lean.render(s).into(),
                    role => {
                        let mut state = wire::snapshot_for(auction, role, false);
                        if insider(role) {
                            state["connected"] = presence.clone();
                        }
                        wire::state(head, now, state, &None).into()
                    }
                });
            if !push(sub, text.clone(), true, &self.metrics, &self.limits) {
                gone.push(*id);
            }
        }
        self.presence_dirty = false;
        for id in gone {
            if self.subs.get(&id).is_some_and(|s| !insider(s.role)) {
                self.presence_dirty = true;
            }
            self.drop_sub(id);
        }
        self.dirty = self.subs.values().any(|s| s.stale);
        self.fanout_took = self.last_fanout.elapsed();
    }

    fn join(&mut self, join: Join) {
        let Join {
            session,
            role,
            resume_from,
            req_id,
            out,
            kicked,
        } = join;
        let head = self.head();
        let resumed = match resume_from {
            None => "none",
            Some(n) if n >= head || n.saturating_add(1) >= self.floor => "complete",
            Some(_) => "snapshot_only",
        };
        let auction = self.driver.auction();
        let mut welcome = json!({
            "type": "welcome", "role": role.name(), "id": role.id(&self.config),
            "auction": self.config.rules.auction_id, "title": self.config.rules.title,
            "mode": self.mode.name(), "format": self.config.rules.format.name(),
            "server_time": self.clock.now_ms(), "seq": head,
            "resumed": resumed,"state": wire::snapshot_for(auction, role, true),
        });
        if insider(role) {
            welcome["state"]["connected"] = self.presence();
        }
        if let Role::Supplier(_) = role {
            welcome["confirm_drop_percent"] =
                json!(self.config.confirm_drop_percent.normalize().to_string());
        }
        if let Some(r) = req_id {
            welcome["req_id"] = r;
        }
        let mut texts = vec![Utf8Bytes::from(wire::encode(&welcome))];
        if let (Some(from), "complete") = (resume_from, resumed) {
            for r in self.recent.iter().filter(|r| r.seq > from) {
                for e in &r.events {
                    if let Some(v) = wire::notices(r.seq, e, role, auction) {
                        texts.push(wire::encode(&v).into());
                    }
                }
            }
        }
        let mut sub = Sub {
            role,
            out,
            kicked,
            stale: false,
            misses: 0,
        };
        for text in texts {
            if !push(&mut sub, text, false, &self.metrics, &self.limits) {
                // Too much missed to queue at once: the client gets the snapshot (welcome)
                // and is asked to come back; it resumes from what it got.
                sub.kicked.store(true, Relaxed);
                self.metrics
                    .slow_consumer_disconnects_total
                    .fetch_add(1, Relaxed);
                return;
            }
        }
        if matches!(role, Role::Supplier(_)) {
            self.presence_dirty = true;
        }
        self.subs.insert(session, sub);
    }

    /// Every supplier's open connections, in config order (auctioneers and the auditor see it
    /// in their snapshots as `connected`). Server state, not auction state: never logged.
    fn presence(&self) -> Value {
        let suppliers = &self.config.rules.suppliers;
        let mut counts = vec![0u32; suppliers.len()];
        for sub in self.subs.values() {
            if let Role::Supplier(s) = sub.role
                && !sub.out.is_closed()
                && let Some(n) = counts.get_mut(s.0 as usize)
            {
                *n += 1;
            }
        }
        Value::Array(
            suppliers
                .iter()
                .zip(counts)
                .map(|(s, n)| json!({"supplier": s.id, "name": s.name, "connections": n}))
                .collect(),
        )
    }
}

/// Auctioneers and the auditor: they see every supplier by id.
fn insider(role: Role) -> bool {
    matches!(role, Role::Auctioneer(_) | Role::Auditor)
}

/// Who shares a serialised message: all observers, all auctioneers and the auditor, each
/// supplier alone.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Audience {
    Insiders,
    Observers,
    /// Every supplier alike (notices that name no supplier).
    Suppliers,
    Supplier(SupplierIx),
}

/// Who shares one event's notice: like [`audience`], except that suppliers share it too unless
/// the event is about one of them (a voided bid, a disqualification, a result).
fn event_audience(event: &Event, role: Role) -> Audience {
    match (role, event) {
        (
            Role::Supplier(_),
            Event::BidVoided { .. }
            | Event::SupplierDisqualified { .. }
            | Event::BidderDropped { .. }
            | Event::TurnRoundOpened { .. }
            | Event::TurnStarted { .. }
            | Event::TurnEnded { .. }
            | Event::LotAwarded { .. },
        ) => audience(role),
        (Role::Supplier(_), _) => Audience::Suppliers,
        _ => audience(role),
    }
}

fn audience(role: Role) -> Audience {
    match role {
        Role::Auctioneer(_) | Role::Auditor => Audience::Insiders,
        Role::Observer(_) => Audience::Observers,
        Role::Supplier(s) => Audience::Supplier(s),
    }
}

/// Queue `text`; false: the session must go (closed, or too slow).
fn push(
    sub: &mut Sub,
    text: Utf8Bytes,
    droppable: bool,
    metrics: &Metrics,
    limits: &Limits,
) -> bool {
    let depth = sub.out.max_capacity() - sub.out.capacity();
    metrics.outbound_queue_depth.observe(depth as f64);
    match sub.out.try_send(text) {
        Ok(()) => {
            if droppable {
                sub.stale = false;
                sub.misses = 0;
            }
            true
        }
        Err(mpsc::error::TrySendError::Full(_)) if droppable => {
            metrics.snapshots_skipped_total.fetch_add(1, Relaxed);
            sub.stale = true;
            sub.misses += 1;
            sub.misses <= limits.snapshot_misses_max
        }
        Err(_) => false,
    }
}
