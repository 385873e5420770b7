//! Participant tokens. On an auction's first start the server writes
//! `DATA_DIR/<auction-id>/credentials.json` (mode 0600) with one random token per participant;
//! the operator hands each participant their own token. In memory the server keeps only the
//! SHA-256 of each token, and it never logs a token.

use std::io::{Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::AuctionConfig;
use crate::core::{AuctioneerIx, SupplierIx};

/// Who a session is, from its token. Identity never comes from a message body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Auctioneer(AuctioneerIx),
    Supplier(SupplierIx),
    /// A buyer's observer (index into the config's observers).
    Observer(u32),
    /// Reads everything the auctioneers see; can change nothing.
    Auditor,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Auctioneer(_) => "auctioneer",
            Role::Supplier(_) => "supplier",
            Role::Observer(_) => "observer",
            Role::Auditor => "auditor",
        }
    }

    /// The participant's id in the config (`auditor` for the auditor).
    pub fn id(self, config: &AuctionConfig) -> String {
        let r = &config.rules;
        match self {
            Role::Auctioneer(a) => r.auctioneers[a.ix()].id.clone(),
            Role::Supplier(s) => r.suppliers[s.ix()].id.clone(),
            Role::Observer(o) => r.observers[o as usize].id.clone(),
            Role::Auditor => AUDITOR_ID.into(),
        }
    }

    pub fn display_name(self, config: &AuctionConfig) -> String {
        let r = &config.rules;
        match self {
            Role::Auctioneer(a) => r.auctioneers[a.ix()].name.clone(),
            Role::Supplier(s) => r.suppliers[s.ix()].name.clone(),
            Role::Observer(o) => r.observers[o as usize].name.clone(),
            Role::Auditor => "Auditor".into(),
        }
    }
}

pub const AUDITOR_ID: &str = "auditor";
/// The largest credentials file read.
const CREDENTIALS_BYTES_MAX: u64 = 4 * 1024 * 1024;

/// One participant in `credentials.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    pub role: String,
    pub id: String,
    pub name: String,
    pub token: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialsFile {
    pub auction: String,
    pub note: String,
    pub participants: Vec<Credential>,
}

pub type TokenHash = [u8; 32];

pub fn token_hash(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

/// Every participant of an auction, in a fixed order: auctioneers, suppliers, observers, the
/// auditor.
pub fn participants(config: &AuctionConfig) -> Vec<Role> {
    let r = &config.rules;
    let mut roles = Vec::new();
    roles.extend((0..r.auctioneers.len() as u32).map(|i| Role::Auctioneer(AuctioneerIx(i))));
    roles.extend((0..r.suppliers.len() as u32).map(|i| Role::Supplier(SupplierIx(i))));
    roles.extend((0..r.observers.len() as u32).map(Role::Observer));
    roles.push(Role::Auditor);
    roles
}

fn new_token() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("/dev/urandom: {e}"))?;
    Ok(format!("vt_{}", crate::log::record::hex(&bytes)))
}

/// Read the auction's credentials file, or create it (mode 0600, synced) with a new token for
/// every participant. Returns each participant's role and token hash; the tokens themselves are
/// dropped here.
pub fn load_or_create(
    path: &Path,
    config: &AuctionConfig,
) -> Result<Vec<(Role, TokenHash)>, String> {
    let name = path.display();
    let roles = participants(config);
    if !path.exists() {
        let mut list = Vec::with_capacity(roles.len());
        for role in &roles {
            list.push(Credential {
                role: role.name().into(),
                id: role.id(config),
                name: role.display_name(config),
                token: new_token()?,
            });
        }
        let file = CredentialsFile {
            auction: config.rules.auction_id.clone(),
            note: "Secret. Give each participant only their own token; anyone holding a token \
                   acts as that participant."
                .into(),
            participants: list,
        };
        let text = serde_json::to_string_pretty(&file).map_err(|e| e.to_string())? + "\n";
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| format!("{name}: {e}"))?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| format!("{name}: {e}"))?;
        crate::log::store::sync_dir(path).map_err(|e| format!("{name}: {e}"))?;
        return Ok(roles
            .into_iter()
            .zip(&file.participants)
            .map(|(role, c)| (role, token_hash(&c.token)))
            .collect());
    }
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| format!("{name}: {e}"))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(format!(
            "{name}: readable by others (mode {:o}); credentials must be private: chmod 600 {name}",
            meta.permissions().mode() & 0o777
        ));
    }
    if meta.len() > CREDENTIALS_BYTES_MAX {
        return Err(format!("{name}: larger than {CREDENTIALS_BYTES_MAX} bytes"));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
    let file: CredentialsFile =
        serde_json::from_str(&text).map_err(|e| format!("{name}: not a credentials file: {e}"))?;
    if file.auction != config.rules.auction_id {
        return Err(format!(
            "{name}: the credentials of auction '{}', not '{}'",
            file.auction, config.rules.auction_id
        ));
    }
    let mut out = Vec::with_capacity(roles.len());
    for role in roles {
        let id = role.id(config);
        let found = file
            .participants
            .iter()
            .find(|c| c.role == role.name() && c.id == id)
            .ok_or_else(|| {
                format!(
                    "{name}: no token for {} '{id}' (the config has participants the file lacks; \
                     add them or move the file aside to issue new tokens to everyone)",
                    role.name()
                )
            })?;
        if found.token.len() < 32 {
            return Err(format!(
                "{name}: the token of {} '{id}' is too short",
                role.name()
            ));
        }
        out.push((role, token_hash(&found.token)));
    }
    Ok(out)
}
