//! The browser pages, embedded in the binary (no separate web server): the bidder page, the
//! auctioneer console, the auditor page and the candidates' qualification page, plain ES
//! modules from `web/`. Also the two HTTP endpoints only the pages need: `GET /log` (an
//! auction's log, for its auditor) and `GET /pubkey` (the server's public key). The
//! qualification page talks to the tender's own requests (`super::tender_api`).
//! `docs/pages.md` describes the pages.

use std::io::SeekFrom;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::Shared;
use super::creds::{Role, token_hash};

/// One embedded file, served at `/NAME` (and a page also at its short path).
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $ty:expr) => {
        Asset {
            name: $name,
            content_type: $ty,
            body: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/", $name)),
        }
    };
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Every file of `web/` that is served (a test checks that none is forgotten).
pub const ASSETS: &[Asset] = &[
    asset!("index.html", HTML),
    asset!("bid.html", HTML),
    asset!("console.html", HTML),
    asset!("audit.html", HTML),
    asset!("qualification.html", HTML),
    asset!("common.js", JS),
    asset!("bid.js", JS),
    asset!("console.js", JS),
    asset!("audit.js", JS),
    asset!("verify.js", JS),
    asset!("qualification.js", JS),
    asset!("style.css", CSS),
    asset!("bid.css", CSS),
    asset!("console.css", CSS),
    asset!("audit.css", CSS),
    asset!("qualification.css", CSS),
];

/// The pages' short paths.
pub const PAGES: &[(&str, &str)] = &[
    ("/", "index.html"),
    ("/bid", "bid.html"),
    ("/console", "console.html"),
    ("/audit", "audit.html"),
    ("/qualification", "qualification.html"),
];

/// Scripts only from this server, no inline script, no framing by other sites; WebSocket and
/// fetch only to this server.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The embedded file for a request path, if any.
pub fn asset_for(path: &str) -> Option<&'static Asset> {
    let name = PAGES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, n)| *n)
        .or_else(|| path.strip_prefix('/'))?;
    ASSETS.iter().find(|a| a.name == name)
}

/// Does this path belong to the pages (for a 405 on another method)?
pub fn is_web_path(path: &str) -> bool {
    asset_for(path).is_some() || matches!(path, "/log" | "/pubkey")
}

async fn send_head(stream: &mut TcpStream, status: &str, headers: &str, len: u64) -> bool {
    let text = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {len}\r\nX-Content-Type-Options: nosniff\r\n\
         Referrer-Policy: no-referrer\r\nConnection: close\r\n{headers}\r\n"
    );
    stream.write_all(text.as_bytes()).await.is_ok()
}

async fn plain(stream: &mut TcpStream, status: &str, extra: &str, body: &str) {
    let headers =
        format!("Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\n{extra}");
    if send_head(stream, status, &headers, body.len() as u64).await {
        let _ = stream.write_all(body.as_bytes()).await;
    }
    let _ = stream.shutdown().await;
}

/// Serve an embedded file.
pub async fn serve_asset(stream: &mut TcpStream, asset: &Asset) {
    let headers = format!(
        "Content-Type: {}\r\nCache-Control: no-cache\r\nContent-Security-Policy: {CSP}\r\n",
        asset.content_type
    );
    if send_head(stream, "200 OK", &headers, asset.body.len() as u64).await {
        let _ = stream.write_all(asset.body).await;
    }
    let _ = stream.shutdown().await;
}

/// `GET /pubkey`: the server's Ed25519 public key, 64 hex digits and a newline, as
/// `veiling keygen --show` prints it.
pub async fn serve_pubkey(stream: &mut TcpStream, shared: &Shared) {
    plain(stream, "200 OK", "", &format!("{}\n", shared.pubkey)).await
}

/// How far back from the end the last newline is looked for: one record's most bytes.
const LINE_BYTES_MAX: u64 = 8 * 1024 * 1024 + 1;
const CHUNK: u64 = 64 * 1024;

/// The length of the file's complete lines: up to and including its last newline. The writer
/// appends whole batches, but a reader can catch one half written.
pub async fn complete_len(file: &mut tokio::fs::File, len: u64) -> std::io::Result<u64> {
    let mut end = len;
    let stop = len.saturating_sub(LINE_BYTES_MAX);
    let mut buf = vec![0u8; CHUNK as usize];
    while end > stop {
        let start = end.saturating_sub(CHUNK).max(stop);
        let n = (end - start) as usize;
        file.seek(SeekFrom::Start(start)).await?;
        file.read_exact(&mut buf[..n]).await?;
        if let Some(i) = buf[..n].iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// `GET /log` with `Authorization: Bearer TOKEN`: the log of the token's auction, for its
/// auditor. 401 without a known token, 403 for any other role. The body is the log's complete
/// lines at the moment of the request (an auction still running goes on after it).
pub async fn serve_log(stream: &mut TcpStream, authorization: Option<&str>, shared: &Arc<Shared>) {
    let challenge = "WWW-Authenticate: Bearer realm=\"veiling\"\r\n";
    let Some(token) = authorization.and_then(|v| v.strip_prefix("Bearer ")) else {
        return plain(
            stream,
            "401 Unauthorized",
            challenge,
            "an auditor token is needed\n",
        )
        .await;
    };
    let Some(found) = shared
        .tokens
        .get(&token_hash(token.trim()))
        .map(|e| *e.value())
    else {
        return plain(stream, "401 Unauthorized", challenge, "unknown token\n").await;
    };
    let (auction, role) = found;
    if role != Role::Auditor {
        return plain(
            stream,
            "403 Forbidden",
            "",
            "only the auditor may fetch the log\n",
        )
        .await;
    }
    let Some(entry) = shared.auctions.get(auction) else {
        return plain(stream, "404 Not Found", "", "no such auction\n").await;
    };
    // The log holds sealed bids as they came in: it is opened with them, at the close.
    if entry.sealed.load(std::sync::atomic::Ordering::Relaxed) {
        return plain(
            stream,
            "403 Forbidden",
            "",
            "the bids are sealed until the lots close; fetch the log after the close\n",
        )
        .await;
    }
    let path = entry.dir.join("live.log");
    let opened = async {
        let mut file = tokio::fs::File::open(&path).await?;
        let len = file.metadata().await?.len();
        let cut = complete_len(&mut file, len).await?;
        file.seek(SeekFrom::Start(0)).await?;
        Ok::<_, std::io::Error>((file, cut))
    }
    .await;
    let (file, cut) = match opened {
        Ok(x) => x,
        Err(e) => {
            tracing::warn!(log = %path.display(), "could not read the log for an auditor: {e}");
            return plain(
                stream,
                "500 Internal Server Error",
                "",
                "the log could not be read\n",
            )
            .await;
        }
    };
    let id = &entry.config.rules.auction_id;
    let headers = format!(
        "Content-Type: application/octet-stream\r\nCache-Control: no-store\r\n\
         Content-Disposition: attachment; filename=\"{id}-live.log\"\r\nX-Veiling-Auction: {id}\r\n"
    );
    if send_head(stream, "200 OK", &headers, cut).await {
        let mut body = file.take(cut);
        let _ = tokio::io::copy(&mut body, stream).await;
    }
    let _ = stream.shutdown().await;
}
