//! `veiling report`: a self-contained HTML report of a log for auditors.

use ed25519_dalek::VerifyingKey;

/// Render the report of the log `bytes` (named `name` in the report).
pub fn render(bytes: &[u8], key: Option<&VerifyingKey>, name: &str) -> Result<String, String> {
    let v = super::chain::verify(bytes, key, &mut |_| {});
    let verified = v.verified.ok_or_else(|| format!("{name}: no header"))?;
    Ok(format!(
        "<!doctype html><title>{}</title><p>{} records</p>",
        verified.header.auction,
        verified.lines.len()
    ))
}
