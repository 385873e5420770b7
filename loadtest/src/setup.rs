//! Shared by `fanout`, `conns` and `recover`: a config with any mix of participants, their
//! tokens by id, and the server's resident memory.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::Res;
use crate::bids::{AUCTION_ID, LOT};

/// The participants of a generated config. At least one supplier and one auctioneer.
pub struct People {
    pub suppliers: Vec<String>,
    pub observers: Vec<String>,
    pub auctioneers: Vec<String>,
}

/// The `bids` config (one lot, decrement 1.00 from the supplier's own bid, open two hours from
/// `--start-in 0`) with these participants. Observers need a buyer: one buyer `b1`.
pub fn config(people: &People) -> String {
    config_for(AUCTION_ID, people)
}

/// [`config`] for the auction `id`.
pub fn config_for(id: &str, people: &People) -> String {
    let mut s = format!(
        r#"[auction]
id = "{id}"
title = "Load test"
time_zone = "Europe/Amsterdam"
currency = "EUR"
opens_at = "2030-03-05T10:00"

[timing]
mode = "parallel"
closes_at = "2030-03-05T12:00"

[bids]
decrement_amount = "1.00"

[[lots]]
id = "{LOT}"
name = "Lot one"
price_decimals = 2
ceiling = "10000000.00"

[[buyers]]
id = "b1"
name = "Buyer"
"#
    );
    for a in &people.auctioneers {
        s.push_str(&format!(
            "\n[[auctioneers]]\nid = \"{a}\"\nname = \"Auctioneer {a}\"\n"
        ));
    }
    for o in &people.observers {
        s.push_str(&format!(
            "\n[[observers]]\nid = \"{o}\"\nname = \"Observer {o}\"\nbuyer = \"b1\"\n"
        ));
    }
    for p in &people.suppliers {
        s.push_str(&format!(
            "\n[[suppliers]]\nid = \"{p}\"\nname = \"Supplier {p}\"\nlots = [\"{LOT}\"]\n"
        ));
    }
    s
}

/// Every participant's token by id, from the server's `credentials.json`.
pub fn tokens(path: &Path) -> Res<BTreeMap<String, String>> {
    let ctx = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let text = std::fs::read_to_string(path).map_err(|e| ctx(&e))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| ctx(&e))?;
    let list = v["participants"]
        .as_array()
        .ok_or_else(|| ctx(&"no participants list"))?;
    let mut by_id = BTreeMap::new();
    for p in list {
        if let (Some(id), Some(token)) = (p["id"].as_str(), p["token"].as_str()) {
            by_id.insert(id.to_string(), token.to_string());
        }
    }
    Ok(by_id)
}

/// The token of `id`, or an error naming it.
pub fn token_of(tokens: &BTreeMap<String, String>, id: &str) -> Res<String> {
    tokens
        .get(id)
        .cloned()
        .ok_or_else(|| format!("credentials.json: no token for {id}"))
}

/// Resident memory of a process in KiB (`VmRSS` in `/proc/<pid>/status`).
pub fn rss_kib(pid: &str) -> Res<u64> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    text.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("{path}: no VmRSS"))
}

/// A server's text frame, parsed; `None` for other frames. Errors on a close or a failure.
pub fn parse_msg(
    msg: Option<
        Result<tokio_tungstenite::tungstenite::Message, tokio_tungstenite::tungstenite::Error>,
    >,
) -> Res<Option<Value>> {
    use tokio_tungstenite::tungstenite::Message;
    match msg {
        Some(Ok(Message::Text(t))) => serde_json::from_str::<Value>(t.as_str())
            .map(Some)
            .map_err(|e| format!("a message that is not JSON: {e}")),
        Some(Ok(Message::Close(f))) => Err(format!(
            "closed by the server: {}",
            f.map_or(String::new(), |f| format!(
                "{} {}",
                u16::from(f.code),
                f.reason
            ))
        )),
        Some(Ok(_)) => Ok(None),
        Some(Err(e)) => Err(format!("{e}")),
        None => Err("the connection closed".into()),
    }
}

/// User and system CPU time of a process (`/proc/<pid>/stat` fields 14 and 15), in clock ticks.
pub fn cpu_user_sys(pid: &str) -> Res<(u64, u64)> {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    let rest = text
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or_else(|| format!("{path}: unexpected format"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| -> Res<u64> {
        fields
            .get(n - 3)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| format!("{path}: no field {n}"))
    };
    Ok((field(14)?, field(15)?))
}

/// Raise this process's soft limit on open files to `needed` if it is lower, up to the hard
/// limit, and the hard limit too where the process may (root). Errors only when the call itself
/// fails; `ensure_fds` then says whether the limit suffices.
pub fn raise_fd_limit(needed: u64) -> Res<()> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(format!(
            "getrlimit(RLIMIT_NOFILE): {}",
            std::io::Error::last_os_error()
        ));
    }
    if lim.rlim_cur >= needed {
        return Ok(());
    }
    let want = libc::rlimit {
        rlim_cur: needed,
        rlim_max: lim.rlim_max.max(needed),
    };
    // SAFETY: setrlimit reads the struct we own. Raising the hard limit needs privilege; fall
    // back to the hard limit we have.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &want) } != 0 {
        let capped = libc::rlimit {
            rlim_cur: lim.rlim_max,
            rlim_max: lim.rlim_max,
        };
        // SAFETY: as above.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &capped) };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_has_observers_with_a_buyer() {
        let c = config(&People {
            suppliers: vec!["s0".into()],
            observers: vec!["obs0".into(), "obs1".into()],
            auctioneers: vec!["a0".into()],
        });
        assert!(c.contains("id = \"obs1\"") && c.contains("buyer = \"b1\""));
        assert!(c.contains("[[buyers]]") && c.contains("id = \"a0\""));
    }
}
