//! The browser suite: `tests/browser/*.test.mjs` under Node's test runner, with playwright-core
//! driving Debian's chromium against the real `veiling serve` binary (e2e.test.mjs), the
//! page's JavaScript log verifier checked against the Python one (verify.test.mjs), and the
//! exact decimals and formatting of `web/common.js` (common.test.mjs).
//!
//! It needs `node`, `/usr/bin/chromium` and `npm ci --prefix tests/browser`, which `.ci/run`
//! installs. Where they are missing the test says so and passes, unless
//! `VEILING_BROWSER_TESTS=1` (set by `.ci/run`) demands it, so that CI can never skip it.

use std::path::Path;
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

#[test]
fn browser_suite() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/browser");
    let required = std::env::var("VEILING_BROWSER_TESTS").is_ok_and(|v| v == "1");
    let node = Command::new("node").arg("--version").output();
    let mut missing = Vec::new();
    if !node.is_ok_and(|o| o.status.success()) {
        missing.push("node");
    }
    if !Path::new(CHROMIUM).exists() {
        missing.push("chromium (apt-get install chromium)");
    }
    if !dir.join("node_modules/playwright-core").exists()
        || !dir.join("node_modules/axe-core").exists()
    {
        missing.push("playwright-core and axe-core (npm ci --prefix tests/browser)");
    }
    if !missing.is_empty() {
        assert!(
            !required,
            "VEILING_BROWSER_TESTS=1 but the browser suite cannot run; missing: {}",
            missing.join(", ")
        );
        eprintln!(
            "SKIPPED the browser suite; missing: {} (bash .ci/run installs them)",
            missing.join(", ")
        );
        return;
    }
    let artifacts = root.join("target/browser-artifacts");
    let out = Command::new("node")
        .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
        .arg(dir.join("common.test.mjs"))
        .arg(dir.join("verify.test.mjs"))
        .arg(dir.join("e2e.test.mjs"))
        .env("VEILING_BIN", env!("CARGO_BIN_EXE_veiling"))
        .env("CHROMIUM", CHROMIUM)
        .env("VEILING_ARTIFACTS", &artifacts)
        .current_dir(root)
        .output()
        .expect("run node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "the browser suite failed (screenshots in {}):\n{text}",
        artifacts.display()
    );
    eprintln!("{text}");
}
