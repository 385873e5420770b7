//! The tender over HTTP (`veiling serve --tender ID`): candidates register, upload their
//! submission as a JSON file and ask questions; everyone reads the tender as their role may see
//! it. Each request authenticates with its tender token (`DATA_DIR/ID/tender-credentials.json`),
//! runs the same step as `veiling tender` (off the async workers, under the tender's lock, into
//! the tender log, durable before the answer), and answers JSON. `docs/tender.md` documents the
//! requests.

use std::path::PathBuf;
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use serde_json::{Value, json};

use super::creds::Role;
use crate::config::AuctionConfig;
use crate::tender::steps::{self, Step};

/// Largest request body: a submission file.
pub const TENDER_BODY_MAX: usize = 1024 * 1024;
/// Requests per second per participant, and the burst.
pub const TENDER_REQUESTS_PER_S: u32 = 2;
pub const TENDER_REQUESTS_BURST: u32 = 10;

/// One tender the server hosts.
pub struct TenderEntry {
    pub id: String,
    pub data_dir: PathBuf,
    pub key: SigningKey,
    pub config: Arc<AuctionConfig>,
}

/// An HTTP answer: status line and JSON body.
pub struct Answer {
    pub status: &'static str,
    pub body: Value,
}

fn answer(status: &'static str, body: Value) -> Answer {
    Answer { status, body }
}

fn who(role: Role, config: &AuctionConfig) -> String {
    match role {
        Role::Auditor => "auditor".into(),
        _ => format!("{}:{}", role.name(), role.id(config)),
    }
}

/// Route one authenticated request. `body`: the request body (POST).
pub async fn route(
    entry: &TenderEntry,
    role: Role,
    method: &str,
    path: &str,
    body: &[u8],
    now: i64,
) -> Answer {
    let step = match (method, path) {
        ("GET", "/tender") => {
            return match view(entry, role, now).await {
                Ok(v) => answer("200 OK", v),
                Err(e) => answer("500 Internal Server Error", json!({"error": e})),
            };
        }
        ("POST", "/tender/register") => Step::Register,
        ("POST", "/tender/submission") => match serde_json::from_slice::<Value>(body) {
            Ok(v) => Step::Submit(v),
            Err(e) => {
                return answer(
                    "400 Bad Request",
                    json!({"error": format!("the submission is not JSON: {e}")}),
                );
            }
        },
        ("POST", "/tender/questions") => {
            let text = serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|v| v.get("text").and_then(Value::as_str).map(str::to_string));
            match text {
                Some(t) => Step::Ask(t),
                None => {
                    return answer(
                        "400 Bad Request",
                        json!({"error": "give the question as {\"text\": \"...\"}"}),
                    );
                }
            }
        }
        (
            "POST" | "GET",
            "/tender" | "/tender/register" | "/tender/submission" | "/tender/questions",
        ) => {
            return answer(
                "405 Method Not Allowed",
                json!({"error": "GET /tender; POST /tender/register, /tender/submission, /tender/questions"}),
            );
        }
        _ => return answer("404 Not Found", json!({"error": "no such tender request"})),
    };
    run_step(entry, role, step, now).await
}

/// The tender as `role` sees it.
pub async fn view(entry: &TenderEntry, role: Role, now: i64) -> Result<Value, String> {
    let (dir, id, key, w) = (
        entry.data_dir.clone(),
        entry.id.clone(),
        entry.key.clone(),
        who(role, &entry.config),
    );
    tokio::task::spawn_blocking(move || steps::view(&dir, &id, key, &w, now))
        .await
        .map_err(|e| e.to_string())?
}

/// Run a candidate's step (register, submit, ask) off the async workers.
pub async fn run_step(entry: &TenderEntry, role: Role, step: Step, now: i64) -> Answer {
    if !matches!(role, Role::Supplier(_)) {
        return answer(
            "403 Forbidden",
            json!({"error": "registering, submitting and asking are a candidate's steps"}),
        );
    }
    let who = who(role, &entry.config);
    let (dir, id, key) = (entry.data_dir.clone(), entry.id.clone(), entry.key.clone());
    let ran =
        tokio::task::spawn_blocking(move || steps::run(&dir, &id, &who, key, now, step)).await;
    match ran {
        Ok(Ok(r)) => answer(
            if r.accepted { "200 OK" } else { "409 Conflict" },
            json!({
                "accepted": r.accepted,
                "records": r.records.iter().map(|(seq, hash, outcome)| json!({
                    "seq": seq, "hash": hash, "outcome": outcome})).collect::<Vec<_>>(),
                "message": r.text,
            }),
        ),
        // Nothing was recorded: a file that is not a submission, or the log could not run.
        Ok(Err(e)) => answer("400 Bad Request", json!({"error": e})),
        Err(e) => answer("500 Internal Server Error", json!({"error": e.to_string()})),
    }
}
