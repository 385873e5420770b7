//! Prometheus metrics, kept with atomics and rendered in the text exposition format at
//! `/metrics`. Labels are fixed sets (reason codes, roles): never a bidder, a price or a token.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// A histogram with fixed bucket bounds. Values are kept in micro-units (microseconds for
/// times) so the sum is an integer.
pub struct Histogram {
    bounds: &'static [f64],
    /// Non-cumulative counts per bucket; the last is +Inf.
    counts: Vec<AtomicU64>,
    sum_micros: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Histogram {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, value: f64) {
        let i = self
            .bounds
            .iter()
            .position(|b| value <= *b)
            .unwrap_or(self.bounds.len());
        self.counts[i].fetch_add(1, Relaxed);
        self.sum_micros
            .fetch_add((value * 1e6).max(0.0) as u64, Relaxed);
    }

    pub fn observe_duration(&self, d: Duration) {
        self.observe(d.as_secs_f64());
    }

    pub fn count(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Relaxed)).sum()
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, bound) in self.bounds.iter().enumerate() {
            cumulative += self.counts[i].load(Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += self.counts[self.bounds.len()].load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let sum = self.sum_micros.load(Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {cumulative}");
    }
}

const SECONDS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5,
];
const COUNTS: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 4096.0,
];

/// Every metric the server keeps (one instance, shared).
pub struct Metrics {
    /// From a bid's arrival at the server to its answer being queued for the bidder.
    pub bid_to_ack: Histogram,
    /// Inputs per group commit of an auction actor.
    pub batch_inputs: Histogram,
    /// Records per log write and the time of its append + fdatasync.
    pub log_batch_records: Histogram,
    pub log_sync_seconds: Histogram,
    /// The depth of a connection's outbound queue when a message is queued.
    pub outbound_queue_depth: Histogram,
    pub connections: AtomicI64,
    pub connections_total: AtomicU64,
    /// 1 when started with `--unsafe-no-sync` (nothing is synced: measurements only).
    pub unsafe_no_sync: AtomicI64,
    pub sessions: AtomicI64,
    pub inputs_total: AtomicU64,
    pub bids_accepted_total: AtomicU64,
    pub snapshots_skipped_total: AtomicU64,
    pub slow_consumer_disconnects_total: AtomicU64,
    rejections: Mutex<BTreeMap<&'static str, u64>>,
    errors: Mutex<BTreeMap<&'static str, u64>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            bid_to_ack: Histogram::new(SECONDS),
            batch_inputs: Histogram::new(COUNTS),
            log_batch_records: Histogram::new(COUNTS),
            log_sync_seconds: Histogram::new(SECONDS),
            outbound_queue_depth: Histogram::new(COUNTS),
            connections: AtomicI64::new(0),
            connections_total: AtomicU64::new(0),
            sessions: AtomicI64::new(0),
            unsafe_no_sync: AtomicI64::new(0),
            inputs_total: AtomicU64::new(0),
            bids_accepted_total: AtomicU64::new(0),
            snapshots_skipped_total: AtomicU64::new(0),
            slow_consumer_disconnects_total: AtomicU64::new(0),
            rejections: Mutex::new(BTreeMap::new()),
            errors: Mutex::new(BTreeMap::new()),
        }
    }
}

impl Metrics {
    /// A rejection by the core, by its stable reason code.
    pub fn rejected(&self, reason: &'static str) {
        if let Ok(mut m) = self.rejections.lock() {
            *m.entry(reason).or_default() += 1;
        }
    }

    /// An error answered by the server before the core (by its stable error code).
    pub fn error(&self, code: &'static str) {
        if let Ok(mut m) = self.errors.lock() {
            *m.entry(code).or_default() += 1;
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        self.bid_to_ack.render(
            &mut out,
            "veiling_bid_to_ack_seconds",
            "Time from a bid's arrival to its answer (after the log sync) being queued.",
        );
        self.batch_inputs.render(
            &mut out,
            "veiling_batch_inputs",
            "Inputs per group commit of an auction actor.",
        );
        self.log_batch_records.render(
            &mut out,
            "veiling_log_batch_records",
            "Records per log append.",
        );
        self.log_sync_seconds.render(
            &mut out,
            "veiling_log_sync_seconds",
            "Time of one log append and fdatasync.",
        );
        self.outbound_queue_depth.render(
            &mut out,
            "veiling_outbound_queue_depth",
            "Messages already waiting in a connection's outbound queue when one is added.",
        );
        let gauges: [(&str, &str, i64); 3] = [
            (
                "veiling_unsafe_no_sync",
                "1 when bids are acknowledged without fdatasync (--unsafe-no-sync: measurements \
                 only; a crash can lose acknowledged bids).",
                self.unsafe_no_sync.load(Relaxed),
            ),
            (
                "veiling_connections",
                "Open WebSocket connections.",
                self.connections.load(Relaxed),
            ),
            (
                "veiling_sessions",
                "Authenticated sessions.",
                self.sessions.load(Relaxed),
            ),
        ];
        for (name, help, v) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        }
        let counters: [(&str, &str, u64); 5] = [
            (
                "veiling_connections_total",
                "WebSocket connections accepted.",
                self.connections_total.load(Relaxed),
            ),
            (
                "veiling_inputs_total",
                "Inputs sequenced into the logs.",
                self.inputs_total.load(Relaxed),
            ),
            (
                "veiling_bids_accepted_total",
                "Bids accepted.",
                self.bids_accepted_total.load(Relaxed),
            ),
            (
                "veiling_snapshots_skipped_total",
                "State snapshots not queued because a connection's queue was full.",
                self.snapshots_skipped_total.load(Relaxed),
            ),
            (
                "veiling_slow_consumer_disconnects_total",
                "Connections closed because they could not keep up.",
                self.slow_consumer_disconnects_total.load(Relaxed),
            ),
        ];
        for (name, help, v) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        }
        let labelled = [
            (
                "veiling_rejections_total",
                "Inputs the core rejected, by reason code.",
                "reason",
                &self.rejections,
            ),
            (
                "veiling_errors_total",
                "Messages answered with an error before reaching the core, by error code.",
                "code",
                &self.errors,
            ),
        ];
        for (name, help, label, map) in labelled {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            if let Ok(m) = map.lock() {
                for (k, v) in m.iter() {
                    let _ = writeln!(out, "{name}{{{label}=\"{k}\"}} {v}");
                }
            }
        }
        out
    }
}
