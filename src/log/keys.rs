//! The server's Ed25519 key: created by `veiling keygen`, kept in a file only its owner can read.
//!
//! Key file: the 32-byte secret seed as 64 lower-case hex digits and a newline, mode 0600.
//! Public key: 64 hex digits (32 bytes), as printed by `veiling keygen` and written in every
//! log's header.

use std::io::{Read, Write};
use std::path::Path;

use ed25519_dalek::{SigningKey, VerifyingKey};

use super::record::{hex, unhex};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0}: not a key file (expected 64 hex digits)")]
    Format(String),
    #[error("{0}: readable by others (mode {1:o}); a server key must be private: chmod 600 {0}")]
    Permissions(String, u32),
    #[error("{0}: not a public key (expected 64 hex digits of an Ed25519 key)")]
    Public(String),
}

/// A new random key from the operating system's generator.
pub fn generate() -> Result<SigningKey, KeyError> {
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .map_err(|e| KeyError::Io("/dev/urandom".into(), e))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Write `key` to a new file with mode 0600 (refuses to overwrite an existing file).
pub fn write(path: &Path, key: &SigningKey) -> Result<(), KeyError> {
    use std::os::unix::fs::OpenOptionsExt;
    let name = path.display().to_string();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| KeyError::Io(name.clone(), e))?;
    file.write_all(format!("{}\n", hex(key.as_bytes())).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| KeyError::Io(name, e))
}

/// Read a key file; refuse it if group or others may read it.
pub fn read(path: &Path) -> Result<SigningKey, KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let name = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| KeyError::Io(name.clone(), e))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::Permissions(name, mode));
    }
    let text = std::fs::read_to_string(path).map_err(|e| KeyError::Io(name.clone(), e))?;
    let seed: [u8; 32] = unhex(text.trim())
        .and_then(|b| b.try_into().ok())
        .ok_or(KeyError::Format(name))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Read a public key file (64 hex digits), as given to `veiling verify --pubkey`.
pub fn read_public(path: &Path) -> Result<VerifyingKey, KeyError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| KeyError::Io(name.clone(), e))?;
    super::chain::parse_pubkey(&text).ok_or(KeyError::Public(name))
}

pub fn public_hex(key: &SigningKey) -> String {
    hex(key.verifying_key().as_bytes())
}
