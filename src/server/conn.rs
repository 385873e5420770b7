//! One TCP connection: the HTTP request head (health and metrics endpoints, or the WebSocket
//! upgrade with its Origin check), then the WebSocket session: authentication, limits, decoding,
//! and the outbound queue. Thin by rule: no prices, no phases, identity only from the token.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role as WsRole, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};

use super::actor::{Join, ToActor};
use super::creds::{Role, token_hash};
use super::wire::{self, ClientMsg, WireError};
use super::{Shared, web};

/// How long a closing connection waits for the client's close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// The WebSocket endpoint's path.
pub const WS_PATH: &str = "/ws";

/// A token bucket: `rate` tokens per second up to `burst`.
#[derive(Clone, Copy, Debug)]
pub struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    pub fn full(burst: u32) -> Bucket {
        Bucket {
            tokens: f64::from(burst),
            last: Instant::now(),
        }
    }

    /// Take one token; Err: milliseconds until one is there.
    pub fn take(&mut self, rate: u32, burst: u32) -> Result<(), u64> {
        let now = Instant::now();
        let rate = f64::from(rate.max(1));
        self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() * rate)
            .min(f64::from(burst.max(1)));
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err((((1.0 - self.tokens) / rate) * 1000.0).ceil() as u64)
        }
    }
}

struct Head {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    /// Bytes read after the head (the first WebSocket frames, if the client did not wait).
    rest: Vec<u8>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

async fn read_head(stream: &mut TcpStream, max: usize) -> Result<Head, &'static str> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await.map_err(|_| "read failed")?;
        if n == 0 {
            return Err("closed");
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                let head = Head {
                    method: req.method.unwrap_or("").to_string(),
                    path: req.path.unwrap_or("").to_string(),
                    headers: req
                        .headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.to_string(),
                                String::from_utf8_lossy(h.value).into_owned(),
                            )
                        })
                        .collect(),
                    rest: buf[len..].to_vec(),
                };
                return Ok(head);
            }
            Ok(httparse::Status::Partial) if buf.len() < max => {}
            Ok(httparse::Status::Partial) => return Err("request head too large"),
            Err(_) => return Err("bad request"),
        }
    }
}

async fn respond(stream: &mut TcpStream, status: &str, content_type: &str, body: &str) {
    let text = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(text.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Serve one accepted TCP connection to its end.
pub async fn handle(mut stream: TcpStream, peer: SocketAddr, shared: &Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    if let Some(bytes) = shared.limits.send_buffer_bytes {
        let _ = socket2::SockRef::from(&stream).set_send_buffer_size(bytes);
    }
    let limits = shared.limits;
    let head = match tokio::time::timeout(
        limits.handshake_timeout,
        read_head(&mut stream, limits.http_head_bytes_max),
    )
    .await
    {
        Ok(Ok(head)) => head,
        Ok(Err("closed")) => return,
        Ok(Err(why)) => {
            respond(
                &mut stream,
                "400 Bad Request",
                "text/plain",
                &format!("{why}\n"),
            )
            .await;
            return;
        }
        Err(_) => {
            respond(
                &mut stream,
                "408 Request Timeout",
                "text/plain",
                "timeout\n",
            )
            .await;
            return;
        }
    };
    let path = head.path.split('?').next().unwrap_or("");
    match (head.method.as_str(), path) {
        ("GET", "/livez") => respond(&mut stream, "200 OK", "text/plain", "ok\n").await,
        ("GET", "/readyz") => {
            let halted = shared.auctions.iter().any(|a| a.halted.load(Relaxed));
            if shared.ready.load(Relaxed) && !*shared.shutdown.borrow() && !halted {
                respond(&mut stream, "200 OK", "text/plain", "ready\n").await
            } else {
                respond(
                    &mut stream,
                    "503 Service Unavailable",
                    "text/plain",
                    "stopping\n",
                )
                .await
            }
        }
        ("GET", "/metrics") => {
            let body = shared.metrics.render();
            respond(
                &mut stream,
                "200 OK",
                "text/plain; version=0.0.4; charset=utf-8",
                &body,
            )
            .await
        }
        ("GET", WS_PATH) => upgrade(stream, head, peer, shared).await,
        // Boxed: its state is not part of every connection's future.
        (_, p) if p == "/tender" || p.starts_with("/tender/") => {
            Box::pin(tender_request(&mut stream, head, shared)).await
        }
        ("GET", "/log") => web::serve_log(&mut stream, head.header("authorization"), shared).await,
        ("GET", "/pubkey") => web::serve_pubkey(&mut stream, shared).await,
        (method, p) => {
            let known =
                web::is_web_path(p) || matches!(p, "/livez" | "/readyz" | "/metrics" | WS_PATH);
            match (method, web::asset_for(p)) {
                ("GET", Some(asset)) => web::serve_asset(&mut stream, asset).await,
                _ if known => {
                    respond(
                        &mut stream,
                        "405 Method Not Allowed",
                        "text/plain",
                        "GET only\n",
                    )
                    .await
                }
                _ => respond(&mut stream, "404 Not Found", "text/plain", "not found\n").await,
            }
        }
    }
}

async fn respond_json(stream: &mut TcpStream, status: &str, body: &Value) {
    respond(
        stream,
        status,
        "application/json",
        &format!(
            "{}\n",
            serde_json::to_string_pretty(body).unwrap_or_default()
        ),
    )
    .await;
}

/// A tender request (`super::tender_api`): authenticate by the tender token, rate-limit per
/// participant, read a bounded body, run the step.
async fn tender_request(stream: &mut TcpStream, head: Head, shared: &Arc<Shared>) {
    use super::tender_api::{TENDER_BODY_MAX, TENDER_REQUESTS_BURST, TENDER_REQUESTS_PER_S};
    let token = head
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some((tender, role)) =
        token.and_then(|t| shared.tender_tokens.get(&token_hash(t)).map(|e| *e))
    else {
        return respond_json(
            stream,
            "401 Unauthorized",
            &json!({"error": "a tender token is needed (Authorization: Bearer ...)"}),
        )
        .await;
    };
    let limited = shared
        .tender_buckets
        .entry((tender, role))
        .or_insert_with(|| Bucket::full(TENDER_REQUESTS_BURST))
        .take(TENDER_REQUESTS_PER_S, TENDER_REQUESTS_BURST)
        .err();
    if let Some(retry_ms) = limited {
        return respond_json(
            stream,
            "429 Too Many Requests",
            &json!({"error": "too many requests", "retry_after_ms": retry_ms}),
        )
        .await;
    }
    let length = head
        .header("content-length")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    if length > TENDER_BODY_MAX {
        return respond_json(
            stream,
            "413 Content Too Large",
            &json!({"error": format!("at most {TENDER_BODY_MAX} bytes")}),
        )
        .await;
    }
    let mut body = head.rest.clone();
    body.truncate(length);
    let read = tokio::time::timeout(shared.limits.handshake_timeout, async {
        let mut chunk = vec![0u8; 8192];
        while body.len() < length {
            let n = stream.read(&mut chunk).await.map_err(|_| ())?;
            if n == 0 {
                return Err(());
            }
            body.extend_from_slice(&chunk[..n.min(length - body.len())]);
        }
        Ok(())
    })
    .await;
    if !matches!(read, Ok(Ok(()))) {
        return respond_json(
            stream,
            "400 Bad Request",
            &json!({"error": "the body did not arrive whole"}),
        )
        .await;
    }
    let path = head.path.split('?').next().unwrap_or("");
    let Some(entry) = shared.tenders.get(tender) else {
        return respond_json(stream, "404 Not Found", &json!({"error": "no such tender"})).await;
    };
    let now = shared.clock.now_ms();
    let a = super::tender_api::route(entry, role, &head.method, path, &body, now).await;
    respond_json(stream, a.status, &a.body).await;
}

async fn upgrade(mut stream: TcpStream, head: Head, peer: SocketAddr, shared: &Arc<Shared>) {
    let is_upgrade = head
        .header("upgrade")
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
        && head
            .header("connection")
            .is_some_and(|v| v.to_ascii_lowercase().contains("upgrade"));
    let Some(key) = head.header("sec-websocket-key").filter(|_| is_upgrade) else {
        respond(
            &mut stream,
            "426 Upgrade Required",
            "text/plain",
            "a WebSocket upgrade is expected here\n",
        )
        .await;
        return;
    };
    if head.header("sec-websocket-version") != Some("13") {
        respond(
            &mut stream,
            "426 Upgrade Required",
            "text/plain",
            "WebSocket version 13 only\n",
        )
        .await;
        return;
    }
    // Browsers always send Origin; a page from another site must not drive a bidder's session.
    if let Some(origin) = head.header("origin")
        && !shared.origins.iter().any(|o| o == origin)
    {
        tracing::info!(%peer, origin, "refused a WebSocket from an origin not on the list");
        respond(
            &mut stream,
            "403 Forbidden",
            "text/plain",
            "origin not allowed\n",
        )
        .await;
        return;
    }
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    let reply = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n\r\n"
    );
    if stream.write_all(reply.as_bytes()).await.is_err() {
        return;
    }
    let limits = shared.limits;
    let config = WebSocketConfig::default()
        .read_buffer_size(limits.read_buffer_bytes)
        .write_buffer_size(0)
        .max_write_buffer_size(limits.write_buffer_bytes_max)
        .max_message_size(Some(limits.message_bytes_max))
        .max_frame_size(Some(limits.message_bytes_max));
    let ws =
        WebSocketStream::from_partially_read(stream, head.rest, WsRole::Server, Some(config)).await;
    shared.metrics.connections.fetch_add(1, Relaxed);
    shared.metrics.connections_total.fetch_add(1, Relaxed);
    Session::new(ws, shared).run().await;
    shared.metrics.connections.fetch_sub(1, Relaxed);
}

type Ws = WebSocketStream<TcpStream>;

struct Session<'a> {
    ws: Ws,
    shared: &'a Arc<Shared>,
    bucket: Bucket,
}

/// Decrements a participant's connection count when the session ends.
struct Slot<'a> {
    shared: &'a Shared,
    key: (usize, Role),
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Some(mut n) = self.shared.conns_per_participant.get_mut(&self.key) {
            *n = n.saturating_sub(1);
        }
        self.shared.metrics.sessions.fetch_sub(1, Relaxed);
    }
}

/// Tells the actor that a session ended, so that the auctioneers see a supplier's connection
/// go at once. If the actor's queue is full, the actor notices the closed queue at its next
/// fan-out instead.
struct Leave<'a> {
    tx: &'a mpsc::Sender<ToActor>,
    session: u64,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        let _ = self.tx.try_send(ToActor::Leave {
            session: self.session,
        });
    }
}

enum Next {
    Continue,
    Close(CloseCode, &'static str),
}

fn too_big(e: &WsError) -> bool {
    matches!(e, WsError::Capacity(_))
}

impl<'a> Session<'a> {
    fn new(ws: Ws, shared: &'a Arc<Shared>) -> Self {
        let l = shared.limits;
        Session {
            ws,
            shared,
            bucket: Bucket::full(l.messages_burst),
        }
    }

    async fn send(&mut self, text: String) -> bool {
        self.ws.send(Message::Text(text.into())).await.is_ok()
    }

    async fn error(&mut self, req_id: &Option<Value>, e: WireError) -> bool {
        self.shared.metrics.error(e.code);
        self.send(wire::error(req_id, &e)).await
    }

    async fn close(&mut self, code: CloseCode, reason: &'static str) {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        // The close handshake: send our close frame, then read (and drop) what the client still
        // sends until its close frame arrives. Closing the socket with unread bytes in it would
        // make the kernel reset the connection, and the client could lose our close frame.
        let _ = tokio::time::timeout(CLOSE_WAIT, async {
            if self.ws.close(Some(frame)).await.is_ok() {
                while let Some(Ok(_)) = self.ws.next().await {}
            }
        })
        .await;
    }

    fn limited(&mut self) -> Option<u64> {
        let l = self.shared.limits;
        self.bucket.take(l.messages_per_s, l.messages_burst).err()
    }

    /// A session with a tender token: the tender's messages only (`docs/tender.md`).
    async fn tender_session(mut self, tender: usize, role: Role, req_id: Option<Value>) {
        use super::tender_api;
        let Some(entry) = self.shared.tenders.get(tender) else {
            return;
        };
        let config = &entry.config;
        let welcome = match tender_api::view(entry, role, self.shared.clock.now_ms()).await {
            Ok(state) => json!({"type": "tender_welcome", "role": role.name(),
                                "id": role.id(config), "tender": entry.id, "state": state}),
            Err(e) => {
                let _ = self.error(&req_id, WireError::new("unavailable", e)).await;
                return;
            }
        };
        if !self
            .send(wire::encode(&wire::with_req_id(welcome, &req_id)))
            .await
        {
            return;
        }
        while let Some(msg) = self.ws.next().await {
            let text = match msg {
                Ok(Message::Text(t)) => t,
                Ok(Message::Close(_)) | Err(_) => return,
                Ok(_) => continue,
            };
            if let Some(retry) = self.limited() {
                let req_id = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| wire::req_id_of(&v));
                if !self.send(wire::rate_limited(&req_id, retry)).await {
                    return;
                }
                continue;
            }
            let (req_id, parsed) = wire::parse_client(&text);
            let now = self.shared.clock.now_ms();
            let step = match parsed {
                Ok(ClientMsg::Ping { client_time }) => {
                    if !self.send(wire::pong(&req_id, client_time, now)).await {
                        return;
                    }
                    continue;
                }
                Ok(ClientMsg::TenderState) => {
                    let reply =
                        match tender_api::view(entry, role, self.shared.clock.now_ms()).await {
                            Ok(state) => json!({"type": "tender_state", "state": state}),
                            Err(e) => {
                                if !self.error(&req_id, WireError::new("unavailable", e)).await {
                                    return;
                                }
                                continue;
                            }
                        };
                    if !self
                        .send(wire::encode(&wire::with_req_id(reply, &req_id)))
                        .await
                    {
                        return;
                    }
                    continue;
                }
                Ok(ClientMsg::TenderRegister) => crate::tender::steps::Step::Register,
                Ok(ClientMsg::TenderSubmit { submission }) => {
                    crate::tender::steps::Step::Submit(submission)
                }
                Ok(ClientMsg::TenderAsk { text }) => crate::tender::steps::Step::Ask(text),
                Ok(_) => {
                    let e = WireError::new(
                        "not_an_auction_session",
                        "this is a tender session: tender_state, tender_register, tender_submit, tender_ask, ping",
                    );
                    if !self.error(&req_id, e).await {
                        return;
                    }
                    continue;
                }
                Err(e) => {
                    if !self.error(&req_id, e).await {
                        return;
                    }
                    continue;
                }
            };
            let a = tender_api::run_step(entry, role, step, now).await;
            let reply = match a.status {
                "200 OK" | "409 Conflict" => {
                    let mut v = a.body;
                    v["type"] = json!("tender_result");
                    v
                }
                status => {
                    let code = if status.starts_with("403") {
                        "forbidden"
                    } else {
                        "bad_submission"
                    };
                    let why = a.body["error"].as_str().unwrap_or("refused").to_string();
                    if !self.error(&req_id, WireError::new(code, why)).await {
                        return;
                    }
                    continue;
                }
            };
            if !self
                .send(wire::encode(&wire::with_req_id(reply, &req_id)))
                .await
            {
                return;
            }
        }
    }

    async fn run(mut self) {
        let limits = self.shared.limits;
        let auth_deadline = tokio::time::Instant::now() + limits.auth_timeout;
        // Authentication: the first message (pings are answered meanwhile).
        let (auction, role, resume_from, req_id) = loop {
            let msg = tokio::select! {
                m = self.ws.next() => m,
                _ = tokio::time::sleep_until(auth_deadline) => {
                    let _ = self.error(&None, WireError::new("auth_timeout",
                        "no auth message within the time limit")).await;
                    self.close(CloseCode::Policy, "authentication timeout").await;
                    return;
                }
            };
            let text = match msg {
                None | Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed)) => return,
                Some(Err(e)) if too_big(&e) => {
                    self.close(CloseCode::Size, "message too big").await;
                    return;
                }
                Some(Err(_)) => return,
                Some(Ok(Message::Text(t))) => t,
                Some(Ok(Message::Binary(_))) => {
                    let e = WireError::new("bad_message", "text frames only");
                    if !self.error(&None, e).await {
                        return;
                    }
                    continue;
                }
                Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => continue,
            };
            if let Some(retry) = self.limited() {
                self.shared.metrics.error("rate_limited");
                let req_id = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| wire::req_id_of(&v));
                let _ = self.send(wire::rate_limited(&req_id, retry)).await;
                continue;
            }
            let (req_id, parsed) = wire::parse_client(&text);
            match parsed {
                Ok(ClientMsg::Auth { token, resume_from }) => {
                    let hash = token_hash(&token);
                    if let Some((tender, role)) = self.shared.tender_tokens.get(&hash).map(|e| *e) {
                        // Boxed: a tender session's state is not part of every auction
                        // session's future (memory per connection).
                        return Box::pin(self.tender_session(tender, role, req_id)).await;
                    }
                    match self.shared.tokens.get(&hash).map(|e| *e) {
                        Some((auction, role)) => break (auction, role, resume_from, req_id),
                        None => {
                            let _ = self
                                .error(&req_id, WireError::new("auth_failed", "unknown token"))
                                .await;
                            self.close(CloseCode::Policy, "authentication failed").await;
                            return;
                        }
                    }
                }
                Ok(ClientMsg::Ping { client_time }) => {
                    let now = self.shared.clock.now_ms();
                    if !self.send(wire::pong(&req_id, client_time, now)).await {
                        return;
                    }
                }
                Ok(_) => {
                    let e = WireError::new("not_authenticated", "send auth first");
                    if !self.error(&req_id, e).await {
                        return;
                    }
                }
                Err(e) => {
                    if !self.error(&req_id, e).await {
                        return;
                    }
                }
            }
        };
        // One participant, a bounded number of connections.
        let key = (auction, role);
        {
            let mut n = self.shared.conns_per_participant.entry(key).or_insert(0);
            if *n >= limits.connections_per_participant_max {
                drop(n);
                let e = WireError::new(
                    "too_many_connections",
                    format!(
                        "at most {} connections per participant",
                        limits.connections_per_participant_max
                    ),
                );
                let _ = self.error(&req_id, e).await;
                self.close(CloseCode::Policy, "too many connections").await;
                return;
            }
            *n += 1;
        }
        self.shared.metrics.sessions.fetch_add(1, Relaxed);
        let _slot = Slot {
            shared: self.shared,
            key,
        };
        let entry = &self.shared.auctions[auction];
        let session = self.shared.next_session.fetch_add(1, Relaxed);
        let (out_tx, mut out_rx) = mpsc::channel::<Utf8Bytes>(limits.outbound_max);
        let kicked = Arc::new(AtomicBool::new(false));
        let join = ToActor::Join(Join {
            session,
            role,
            resume_from,
            req_id: req_id.clone(),
            out: out_tx,
            kicked: Arc::clone(&kicked),
        });
        if let Err(e) = entry.tx.try_send(join) {
            let _ = self.error(&req_id, queue_error(&e)).await;
            self.close(CloseCode::Again, "busy").await;
            return;
        }
        tracing::debug!(session, role = role.name(), "session joined");
        let _leave = Leave {
            tx: &entry.tx,
            session,
        };
        let mut ping = tokio::time::interval(limits.ping_interval);
        ping.tick().await;
        let mut last_heard = Instant::now();
        let mut shutdown = self.shared.shutdown.clone();
        let mut stopping: Option<tokio::time::Instant> = None;
        loop {
            let stop_at = stopping;
            let next = tokio::select! {
                biased;
                out = out_rx.recv() => match out {
                    Some(text) => {
                        // Take what else is queued and flush once.
                        let mut ok = self.ws.feed(Message::Text(text)).await.is_ok();
                        let mut n = 1;
                        while ok && n < limits.outbound_max {
                            match out_rx.try_recv() {
                                Ok(t) => ok = self.ws.feed(Message::Text(t)).await.is_ok(),
                                Err(_) => break,
                            }
                            n += 1;
                        }
                        if ok && self.ws.flush().await.is_ok() {
                            Next::Continue
                        } else {
                            return;
                        }
                    }
                    None if kicked.load(Relaxed) => {
                        Next::Close(CloseCode::Policy, "slow consumer: could not keep up")
                    }
                    None => Next::Close(CloseCode::Away, "server shutting down"),
                },
                msg = self.ws.next() => match msg {
                    None | Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed)) => return,
                    Some(Err(e)) if too_big(&e) => Next::Close(CloseCode::Size, "message too big"),
                    Some(Err(_)) => return,
                    Some(Ok(m)) => {
                        last_heard = Instant::now();
                        match m {
                            Message::Text(t) => self.on_text(&t, auction, role, session).await,
                            Message::Binary(_) => {
                                // Counted like any message: an error answer is work too.
                                if let Some(retry) = self.limited() {
                                    self.shared.metrics.error("rate_limited");
                                    self.reply(wire::rate_limited(&None, retry)).await
                                } else {
                                    let e = WireError::new("bad_message", "text frames only");
                                    if self.error(&None, e).await { Next::Continue } else { return }
                                }
                            }
                            Message::Close(_) => return,
                            _ => Next::Continue,
                        }
                    }
                },
                _ = ping.tick() => {
                    if last_heard.elapsed() > limits.idle_timeout {
                        Next::Close(CloseCode::Away, "idle timeout")
                    } else if self.ws.send(Message::Ping(Vec::new().into())).await.is_err() {
                        return;
                    } else {
                        Next::Continue
                    }
                }
                _ = shutdown.changed(), if stopping.is_none() => {
                    // The actor answers its batch in flight and then closes our queue; wait for
                    // that (bounded), then close.
                    stopping = Some(tokio::time::Instant::now() + limits.shutdown_grace);
                    Next::Continue
                }
                _ = async { match stop_at {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                } } => Next::Close(CloseCode::Away, "server shutting down"),
            };
            if let Next::Close(code, reason) = next {
                self.close(code, reason).await;
                return;
            }
        }
    }

    async fn on_text(&mut self, text: &str, auction: usize, role: Role, session: u64) -> Next {
        if let Some(retry) = self.limited() {
            self.shared.metrics.error("rate_limited");
            let req_id = serde_json::from_str::<Value>(text)
                .ok()
                .and_then(|v| wire::req_id_of(&v));
            return self.reply(wire::rate_limited(&req_id, retry)).await;
        }
        let (req_id, parsed) = wire::parse_client(text);
        let msg = match parsed {
            Ok(m) => m,
            Err(e) => return self.fail(&req_id, e).await,
        };
        let entry = &self.shared.auctions[auction];
        match msg {
            ClientMsg::Ping { client_time } => {
                let now = self.shared.clock.now_ms();
                self.reply(wire::pong(&req_id, client_time, now)).await
            }
            ClientMsg::Auth { .. } => {
                let e = WireError::new("already_authenticated", "this connection is signed in");
                self.fail(&req_id, e).await
            }
            ClientMsg::State => {
                let r = entry.tx.try_send(ToActor::Resync {
                    session,
                    req_id: req_id.clone(),
                });
                if let Err(e) = r {
                    return self.fail(&req_id, queue_error(&e)).await;
                }
                Next::Continue
            }
            msg => {
                let command = match wire::to_command(&msg, role, &entry.config) {
                    Ok(Some(c)) => c,
                    Ok(None) => return Next::Continue,
                    Err(e) => return self.fail(&req_id, e).await,
                };
                if entry.mode == crate::log::record::Mode::Practice
                    && matches!(
                        command,
                        crate::core::Command::Act {
                            action: crate::core::Action::Award { .. },
                            ..
                        }
                    )
                {
                    let e = WireError::new(
                        "practice",
                        "a practice auction is never awarded: its results bind no one",
                    );
                    return self.fail(&req_id, e).await;
                }
                if let Role::Supplier(_) = role {
                    let l = self.shared.limits;
                    let limited = self
                        .shared
                        .supplier_buckets
                        .entry((auction, role))
                        .or_insert_with(|| Bucket::full(l.bids_burst))
                        .take(l.bids_per_s, l.bids_burst)
                        .err();
                    if let Some(retry) = limited {
                        self.shared.metrics.error("rate_limited");
                        return self.reply(wire::rate_limited(&req_id, retry)).await;
                    }
                }
                let cmd = ToActor::Command {
                    session,
                    req_id: req_id.clone(),
                    command,
                    received: Instant::now(),
                };
                if let Err(e) = entry.tx.try_send(cmd) {
                    return self.fail(&req_id, queue_error(&e)).await;
                }
                Next::Continue
            }
        }
    }

    async fn reply(&mut self, text: String) -> Next {
        if self.send(text).await {
            Next::Continue
        } else {
            Next::Close(CloseCode::Away, "write failed")
        }
    }

    async fn fail(&mut self, req_id: &Option<Value>, e: WireError) -> Next {
        if self.error(req_id, e).await {
            Next::Continue
        } else {
            Next::Close(CloseCode::Away, "write failed")
        }
    }
}

/// Why the auction's queue refused a message: full (retry shortly) or closed (stopping).
fn queue_error<T>(e: &mpsc::error::TrySendError<T>) -> WireError {
    match e {
        mpsc::error::TrySendError::Full(_) => WireError::new(
            "overloaded",
            "the auction's input queue is full; retry shortly",
        ),
        mpsc::error::TrySendError::Closed(_) => {
            WireError::new("unavailable", "the server is stopping; retry later")
        }
    }
}
