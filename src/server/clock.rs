//! The server's clock: the system clock in production, a manual clock in tests. Only the server
//! reads it; the time it gives goes into every input (`Input::at`), so the core never sees a
//! clock.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;

use crate::core::TimeMs;

/// The longest single sleep while waiting for a deadline (the wait loops, re-reading the clock,
/// so a system clock step is noticed within this).
const SLEEP_SLICE_MS: i64 = 1_000;

#[derive(Clone, Debug)]
pub enum Clock {
    System,
    /// Moves only when told (`set`, `advance`); never goes back.
    Manual(Arc<watch::Sender<TimeMs>>),
}

impl Clock {
    pub fn manual(start: TimeMs) -> Clock {
        Clock::Manual(Arc::new(watch::channel(start).0))
    }

    pub fn now_ms(&self) -> TimeMs {
        match self {
            Clock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            Clock::Manual(tx) => *tx.borrow(),
        }
    }

    /// Move a manual clock to `at` (never back). No effect on the system clock.
    pub fn set(&self, at: TimeMs) {
        if let Clock::Manual(tx) = self {
            tx.send_if_modified(|now| {
                let moved = at > *now;
                *now = (*now).max(at);
                moved
            });
        }
    }

    /// Move a manual clock forward by `ms`.
    pub fn advance(&self, ms: i64) {
        self.set(self.now_ms().saturating_add(ms.max(0)));
    }

    /// Wait until the clock reads `deadline` or later.
    pub async fn sleep_until(&self, deadline: TimeMs) {
        match self {
            Clock::System => loop {
                let now = self.now_ms();
                if now >= deadline {
                    return;
                }
                let ms = (deadline - now).clamp(1, SLEEP_SLICE_MS);
                tokio::time::sleep(Duration::from_millis(ms as u64)).await;
            },
            Clock::Manual(tx) => {
                let mut rx = tx.subscribe();
                loop {
                    if *rx.borrow_and_update() >= deadline {
                        return;
                    }
                    if rx.changed().await.is_err() {
                        std::future::pending::<()>().await;
                    }
                }
            }
        }
    }
}
