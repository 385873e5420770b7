// End-to-end tests of the pages that `veiling serve` serves, in Debian's chromium driven by
// playwright-core (no browser download), against a real server on 127.0.0.1 running
// tests/browser/e2e.toml. Run by `cargo test` (tests/it/browser.rs), or by hand after
// `cargo build`:  node --test tests/browser/
//
// Environment: VEILING_BIN (the binary; default target/debug/veiling), CHROMIUM (default
// /usr/bin/chromium), VEILING_ARTIFACTS (screenshots; default target/browser-artifacts).
//
// The tests share one server and run in order: bidding, a void under four-eyes, a server
// restart that the pages survive, the auditor page, accessibility.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const BIN = process.env.VEILING_BIN || path.join(root, 'target/debug/veiling');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = process.env.VEILING_ARTIFACTS || path.join(root, 'target/browser-artifacts');
const CONFIG = path.join(here, 'e2e.toml');
const AXE = path.join(here, 'node_modules/axe-core/axe.min.js');
// Long enough for a debug build on a loaded 2-core machine; every wait is for a condition.
const WAIT = { timeout: 20_000 };

let server; // { proc, port, base, dataDir, out }
let browser;
let creds; // id -> token
let dataDir;

// ---------------------------------------------------------------------------------------------
// The server

/** `veiling serve` of a config; `extra`: more arguments (`--practice 1 --bots 2`). */
function startServer(port = 0, config = CONFIG, dir = dataDir, startIn = 3, extra = []) {
  return spawnServer(['serve', '--config', config, '--data-dir', dir,
    '--listen', `127.0.0.1:${port}`, '--start-in', String(startIn), ...extra]);
}

/** `veiling ARGS...`, resolved once it listens. */
function spawnServer(args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}\n${err}`)), 30_000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /listening on ws:\/\/127\.0\.0\.1:(\d+)\/ws/.exec(out);
      if (m && !proc.started) {
        proc.started = true;
        clearTimeout(timer);
        const p = Number(m[1]);
        resolve({ proc, port: p, base: `http://127.0.0.1:${p}`, out: () => out, err: () => err });
      }
    });
    proc.stderr.on('data', (d) => { err += d; });
    proc.on('exit', (code) => {
      if (!proc.started) {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code}:\n${out}\n${err}`));
      }
    });
  });
}

function stopServer(s) {
  return new Promise((resolve) => {
    if (s.proc.exitCode !== null) { resolve(s.proc.exitCode); return; }
    s.proc.on('exit', (code) => resolve(code));
    s.proc.kill('SIGTERM');
  });
}

/** The tokens by participant id; `file` is relative to the auction's folder (a practice run's
 * tokens are in `practice/credentials.json`, a tender's in `tender-credentials.json`). */
function readCredentials(dir = dataDir, auction = 'e2e-browser', file = 'credentials.json') {
  file = path.join(dir, auction, file);
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  const map = {};
  for (const p of json.participants) map[p.role === 'auditor' ? 'auditor' : p.id] = p.token;
  return map;
}

// ---------------------------------------------------------------------------------------------
// Pages

const pages = [];

async function open(pathname, token) {
  const context = await browser.newContext({ locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
  const page = await context.newPage();
  page.consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') page.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => page.consoleErrors.push(String(e)));
  await page.goto(`${server.base}${pathname}${token ? `#token=${token}` : ''}`);
  pages.push(page);
  return page;
}

async function shot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function connected(page) {
  await page.getByTestId('conn-status').and(page.locator('[data-status="open"]')).waitFor(WAIT);
}

function lot(page, id) {
  return page.getByTestId(`lot-${id}`);
}

async function lotOpen(page, id) {
  await page.locator(`[data-testid="lot-${id}"][data-phase="open"]`).waitFor(WAIT);
}

/** Type a bid on a total-price lot and submit it; returns the answer element. */
async function bid(page, lotId, amount) {
  const card = lot(page, lotId);
  await card.getByTestId('bid-input').fill(amount);
  await card.getByTestId('bid-submit').click();
  return card.getByTestId('answer');
}

async function expectText(locator, re) {
  await assert.doesNotReject(async () => {
    await locator.filter({ hasText: re }).waitFor(WAIT);
  }, `expected ${re}`);
}

/** The bidder page shows this rank on the lot. */
async function rankIs(page, lotId, n) {
  await lot(page, lotId).getByTestId('rank').filter({ hasText: new RegExp(`^\\s*${n}\\s*$`) })
    .waitFor(WAIT);
}

/** Wait until the control is disabled (or enabled). */
async function disabledIs(locator, want) {
  const deadline = Date.now() + WAIT.timeout;
  let seen;
  while (Date.now() < deadline) {
    seen = await locator.isDisabled().catch(() => null);
    if (seen === want) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(seen, want, `disabled is ${want}`);
}

async function expectAttr(locator, name, value) {
  const deadline = Date.now() + WAIT.timeout;
  let seen;
  while (Date.now() < deadline) {
    seen = await locator.getAttribute(name).catch(() => null);
    if (seen === String(value)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(seen, String(value), `attribute ${name}`);
}

async function axe(page, name) {
  // Evaluated over the DevTools protocol: the page's CSP forbids adding a script tag.
  await page.evaluate(fs.readFileSync(AXE, 'utf8'));
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
    }));
  });
  assert.deepEqual(result, [], `axe-core violations on ${name}:\n${JSON.stringify(result, null, 1)}`);
}

// ---------------------------------------------------------------------------------------------

before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'veiling-e2e-'));
  server = await startServer();
  creds = readCredentials();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server) await stopServer(server);
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

let alfa;
let bravo;
let jan;
let piet;

test('the pages are served by the binary with a strict content security policy', async () => {
  for (const p of ['/', '/bid', '/console', '/audit', '/qualification', '/common.js', '/style.css']) {
    const r = await fetch(server.base + p);
    assert.equal(r.status, 200, p);
    assert.match(r.headers.get('content-security-policy') ?? '', /script-src 'self'/, p);
  }
  assert.equal((await fetch(`${server.base}/nope`)).status, 404);
});

test('two bidders bid, see their ranks change and an extension', async () => {
  alfa = await open('/bid', creds.alfa);
  bravo = await open('/bid', creds.bravo);
  for (const p of [alfa, bravo]) {
    await connected(p);
    await lotOpen(p, 'lot-1');
  }
  // A live auction has no practice banner.
  assert.equal(await alfa.getByTestId('practice-banner').isVisible(), false, 'no practice banner when live');
  assert.doesNotMatch(await alfa.title(), /Oefenveiling/);
  await shot(alfa, '01-bidder-open');
  // Amounts in Dutch format; the next admissible bid is the ceiling before any bid.
  await expectText(lot(alfa, 'lot-1').getByTestId('max-admissible'), /1\.234,50/);

  const deadlineBefore = await lot(bravo, 'lot-1').getByTestId('deadline-at').textContent();
  const a1 = await bid(alfa, 'lot-1', '1.200,00');
  await expectAttr(a1, 'data-kind', 'accepted');
  await rankIs(alfa, 'lot-1', 1);
  const receipt = lot(alfa, 'lot-1').getByTestId('receipt');
  await expectText(receipt, /[0-9a-f]{64}/);
  // Every bid in this auction is inside the soft-close window: the other bidder sees the
  // extension, and its countdown's deadline moved.
  await lot(bravo, 'lot-1').getByTestId('extension-notice').waitFor({ state: 'visible', ...WAIT });
  const deadlineAfter = await lot(bravo, 'lot-1').getByTestId('deadline-at').textContent();
  assert.notEqual(deadlineAfter, deadlineBefore, 'the deadline shown moved');
  await expectText(lot(bravo, 'lot-1').getByTestId('bidder-count'), /1/);

  const b1 = await bid(bravo, 'lot-1', '1.150,00');
  await expectAttr(b1, 'data-kind', 'accepted');
  await rankIs(bravo, 'lot-1', 1);
  await rankIs(alfa, 'lot-1', 2);
  await expectText(lot(alfa, 'lot-1').getByTestId('best'), /1\.150,00/);
  await shot(alfa, '02-bidder-outbid');

  // A refused bid is explained in words with the numbers.
  const a2 = await bid(alfa, 'lot-1', '1.199,50');
  await expectAttr(a2, 'data-kind', 'rejected');
  await expectText(a2, /1\.199,00/);

  // A drop of more than the configured 10% asks for confirmation; "no" sends nothing.
  await bid(alfa, 'lot-1', '1.000,00');
  const dialog = alfa.getByTestId('confirm-dialog');
  await dialog.waitFor({ state: 'visible', ...WAIT });
  await shot(alfa, '03-bidder-confirm');
  await alfa.getByTestId('confirm-no').click();
  await dialog.waitFor({ state: 'hidden', ...WAIT });
  await rankIs(alfa, 'lot-1', 2);
  await bid(alfa, 'lot-1', '1.000,00');
  await dialog.waitFor({ state: 'visible', ...WAIT });
  await alfa.getByTestId('confirm-yes').click();
  await expectAttr(lot(alfa, 'lot-1').getByTestId('answer'), 'data-kind', 'accepted');
  await rankIs(alfa, 'lot-1', 1);
  await rankIs(bravo, 'lot-1', 2);

  // A line-item lot: unit prices per line, the total computed on the page.
  const card = lot(bravo, 'lot-2');
  await card.getByTestId('line-input-fles').fill('40,00');
  await card.getByTestId('line-input-pak').fill('50,00');
  await expectText(card.getByTestId('bid-total'), /4\.500,00/);
  await card.getByTestId('bid-submit').click();
  await expectAttr(card.getByTestId('answer'), 'data-kind', 'accepted');
  await shot(bravo, '04-bidder-lines');
});

test('the countdown runs on the server clock, even on a computer whose clock is an hour fast', async () => {
  const context = await browser.newContext({ locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
  const skewed = await context.newPage();
  await skewed.clock.install({ time: Date.now() + 3_600_000 });
  await skewed.goto(`${server.base}/bid#token=${creds.bravo}`);
  pages.push(skewed);
  await connected(skewed);
  const seconds = async (page) => {
    const text = await lot(page, 'lot-1').getByTestId('deadline').textContent();
    const m = /(\d+):(\d\d)(?::(\d\d))?/.exec(text);
    assert.ok(m, `a countdown in ${JSON.stringify(text)}`);
    return m[3] === undefined ? Number(m[1]) * 60 + Number(m[2])
      : Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  };
  // Uncorrected, the skewed page would show 00:00 (its clock is past the deadline). After the
  // pings it agrees with a page on a right clock to within a couple of seconds.
  const deadline = Date.now() + WAIT.timeout;
  let diff;
  do {
    diff = Math.abs((await seconds(skewed)) - (await seconds(alfa)));
    if (diff <= 2) break;
    await new Promise((r) => setTimeout(r, 100));
  } while (Date.now() < deadline);
  assert.ok(diff <= 2, `countdowns differ by ${diff} s`);
  assert.ok((await seconds(skewed)) > 60, 'the lot has minutes left');
  await context.close();
  pages.pop();
});

test('the auctioneer voids a bid under four-eyes and the bidders see it', async () => {
  jan = await open('/console', creds.jan);
  piet = await open('/console', creds.piet);
  await connected(jan);
  await connected(piet);
  // Presence: both suppliers have a page open.
  await expectAttr(jan.getByTestId('presence-alfa'), 'data-connections', '1');
  await expectAttr(jan.getByTestId('presence-bravo'), 'data-connections', '1');
  const ladder = lot(jan, 'lot-1').getByTestId('ladder');
  const top = ladder.locator('[data-testid="ladder-row"][data-rank="1"]');
  await expectAttr(top, 'data-supplier', 'alfa');
  const voided = await top.getAttribute('data-bid');
  await shot(jan, '05-console-ladder');

  await top.getByTestId('void').click();
  await jan.getByTestId('reason-dialog').waitFor({ state: 'visible', ...WAIT });
  await jan.getByTestId('reason-input').fill('Tikfout bevestigd door de leverancier');
  await jan.getByTestId('reason-ok').click();
  await expectAttr(jan.getByTestId('answer'), 'data-kind', 'pending');

  // The second auctioneer approves.
  const request = piet.locator('[data-testid^="pending-"]').first();
  await request.waitFor(WAIT);
  await shot(piet, '06-console-pending');
  await request.getByTestId('approve').click();
  await piet.locator('[data-testid^="pending-"]').first().waitFor({ state: 'detached', ...WAIT });

  // The ladder changed for the auctioneers: alfa's standing bid is its earlier one again, and
  // bravo leads. Both bidders see the new ranks.
  await expectAttr(lot(jan, 'lot-1').getByTestId('ladder')
    .locator('[data-testid="ladder-row"][data-rank="1"]'), 'data-supplier', 'bravo');
  assert.equal(await lot(jan, 'lot-1').locator(`[data-testid="ladder-row"][data-bid="${voided}"]`).count(), 0);
  await expectText(lot(alfa, 'lot-1').getByTestId('lot-notice'), /Tikfout/);
  // The answer to the voided bid no longer claims its old rank.
  await expectText(lot(alfa, 'lot-1').getByTestId('answer'), /ongeldig verklaard/);
  await expectText(lot(alfa, 'lot-1').getByTestId('own-bid'), /1\.200,00/);
  await rankIs(alfa, 'lot-1', 2);
  await rankIs(bravo, 'lot-1', 1);
  await shot(alfa, '07-bidder-voided');
});

test('a disconnect turns the countdown red, and the pages recover after a restart', async () => {
  const port = server.port;
  assert.equal(await stopServer(server), 0, 'the server stops cleanly on SIGTERM');
  await expectAttr(alfa.getByTestId('conn-status'), 'data-status', 'reconnecting');
  await expectAttr(lot(alfa, 'lot-1').getByTestId('deadline'), 'data-state', 'disconnected');
  const red = await lot(alfa, 'lot-1').getByTestId('deadline')
    .evaluate((e) => getComputedStyle(e).color);
  assert.equal(red, 'rgb(176, 0, 32)', 'the countdown is red while disconnected');
  assert.ok(await lot(alfa, 'lot-1').getByTestId('bid-submit').isDisabled(), 'no bidding while offline');
  await shot(alfa, '08-bidder-disconnected');

  server = await startServer(port);
  for (const p of [alfa, bravo, jan]) await connected(p);
  await expectAttr(lot(alfa, 'lot-1').getByTestId('deadline'), 'data-state', 'running');
  await rankIs(alfa, 'lot-1', 2);
  // Bidding goes on after the recovery.
  const a = await bid(alfa, 'lot-1', '1.140,00');
  await expectAttr(a, 'data-kind', 'accepted');
  await rankIs(bravo, 'lot-1', 2);
  await shot(alfa, '09-bidder-recovered');
});

test('the auditor page verifies the log from the server and flags a tampered copy', async () => {
  const page = await open('/audit');
  await page.getByTestId('token').fill(creds.auditor);
  await page.getByTestId('load-server').click();
  await expectAttr(page.getByTestId('verdict'), 'data-verdict', 'valid-unsealed');
  await page.getByTestId('timeline').waitFor(WAIT);
  await page.getByTestId('chart-lot-1').waitFor(WAIT);
  await expectText(page.getByTestId('ranking-lot-1'), /alfa|bravo/);
  await shot(page, '10-audit-live');

  const r = await fetch(`${server.base}/log`, { headers: { Authorization: `Bearer ${creds.auditor}` } });
  assert.equal(r.status, 200);
  const text = await r.text();
  assert.ok(text.endsWith('\n'));
  const tampered = text.replace('"price":"1150.00"', '"price":"1050.00"');
  assert.notEqual(tampered, text, 'the log has the bid to tamper with');
  await page.getByTestId('log-file').setInputFiles({
    name: 'tampered.log', mimeType: 'application/octet-stream', buffer: Buffer.from(tampered),
  });
  await expectAttr(page.getByTestId('verdict'), 'data-verdict', 'invalid');
  await shot(page, '11-audit-tampered');

  // A sealed log, checked against its published key.
  await page.getByTestId('pubkey').fill(
    fs.readFileSync(path.join(root, 'tests/log-example/example.pub'), 'utf8').trim());
  await page.getByTestId('log-file').setInputFiles(path.join(root, 'tests/log-example/example.log'));
  await expectAttr(page.getByTestId('verdict'), 'data-verdict', 'valid-sealed');

  // The log is only for the auditor.
  for (const [token, status] of [[creds.jan, 403], [creds.alfa, 403], ['vt_nope', 401], [null, 401]]) {
    const h = token ? { Authorization: `Bearer ${token}` } : {};
    assert.equal((await fetch(`${server.base}/log`, { headers: h })).status, status);
  }
});

test('every page passes axe-core and is in Dutch by default, English on request', async () => {
  await axe(alfa, 'bidder page');
  await axe(jan, 'auctioneer console');
  const audit = pages[pages.length - 1];
  await axe(audit, 'auditor page');
  const index = await open('/');
  await axe(index, 'index');
  const signIn = await open('/bid');
  await axe(signIn, 'bidder sign-in');
  assert.equal(await alfa.evaluate(() => document.documentElement.lang), 'nl');
  await alfa.getByTestId('lang').selectOption('en');
  assert.equal(await alfa.evaluate(() => document.documentElement.lang), 'en');
  await expectText(lot(alfa, 'lot-1').getByTestId('own-bid'), /€1,140\.00/);
  await axe(alfa, 'bidder page in English');
  await shot(alfa, '12-bidder-english');
  for (const p of pages) assert.deepEqual(p.consoleErrors.filter((e) => !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/.test(e)), [], 'no script errors');
});

test('a sealed bid: one bid, no rank or ladder until the close, on every page', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'veiling-e2e-sealed-'));
  const sealed = await startServer(0, path.join(root, 'auction-configs/hulpmiddelen-2025-sealed.toml'), dir);
  try {
    const c = readCredentials(dir, 'hulpmiddelen-2025-sealed');
    const context = await browser.newContext({ locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
    const page = await context.newPage();
    await page.goto(`${sealed.base}/bid#token=${c['stoma-direct']}`);
    await connected(page);
    await expectText(page.getByTestId('auction-status'), /Gesloten inschrijving/);
    await lotOpen(page, 'perceel-stomamaterialen');
    const a = await bid(page, 'perceel-stomamaterialen', '1.500.000,00');
    await expectAttr(a, 'data-kind', 'accepted');
    await expectText(lot(page, 'perceel-stomamaterialen').getByTestId('rank'), /na de sluiting/);
    assert.equal(await lot(page, 'perceel-stomamaterialen').getByTestId('best').count(), 0);
    const again = await bid(page, 'perceel-stomamaterialen', '1.000.000,00');
    await expectAttr(again, 'data-kind', 'rejected');
    await expectText(again, /één bod per kavel/);
    await shot(page, '13-sealed-bidder');
    await axe(page, 'bidder page, sealed bid');
    const con = await context.newPage();
    await con.goto(`${sealed.base}/console#token=${c['inkoper-hulpmiddelen']}`);
    await connected(con);
    await expectText(lot(con, 'perceel-stomamaterialen').getByTestId('ladder'), /1 ontvangen/);
    assert.equal(await con.locator('[data-testid="ladder-row"]').count(), 0, 'no ladder while sealed');
    await shot(con, '14-sealed-console');
    await context.close();
  } finally {
    await stopServer(sealed);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a Dutch auction: the page offers the rising price, and accepting it wins and closes the lot', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'veiling-e2e-dutch-'));
  const dutch = await startServer(0, path.join(root, 'auction-configs/rolstoelen-2026-dutch.toml'), dir);
  try {
    const c = readCredentials(dir, 'rolstoelen-2026-dutch');
    const context = await browser.newContext({ locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
    const page = await context.newPage();
    await page.goto(`${dutch.base}/bid#token=${c['mobiel-zorg']}`);
    await connected(page);
    await expectText(page.getByTestId('auction-status'), /Hollandse veiling/);
    await lotOpen(page, 'regio-noord');
    const card = lot(page, 'regio-noord');
    // 60% of the ceiling 420.000,00 is 252.000,00 (above the floor); the field holds it.
    await expectText(card.getByTestId('offered-price'), /252\.000,00/);
    assert.equal(await card.getByTestId('bid-input').inputValue(), '252000,00');
    await card.getByTestId('bid-submit').click();
    await expectAttr(card.getByTestId('answer'), 'data-kind', 'accepted');
    await page.locator('[data-testid="lot-regio-noord"][data-phase="closed"]').waitFor(WAIT);
    await rankIs(page, 'regio-noord', 1);
    await shot(page, '15-dutch-bidder');
    await axe(page, 'bidder page, Dutch auction');
    await context.close();
  } finally {
    await stopServer(dutch);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a Japanese auction: the page offers the falling price, confirming it waits for the next', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'veiling-e2e-japanese-'));
  const japanese = await startServer(0, path.join(root, 'auction-configs/verbandmiddelen-2026-japanese.toml'), dir);
  try {
    const c = readCredentials(dir, 'verbandmiddelen-2026-japanese');
    const context = await browser.newContext({ locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
    const page = await context.newPage();
    await page.goto(`${japanese.base}/bid#token=${c['wondzorg-direct']}`);
    await connected(page);
    await expectText(page.getByTestId('auction-status'), /Japanse veiling/);
    await lotOpen(page, 'perceel-schuimverband');
    const card = lot(page, 'perceel-schuimverband');
    await expectText(card.getByTestId('offered-price'), /780\.000,00/);
    await card.getByTestId('bid-submit').click();
    await expectAttr(card.getByTestId('answer'), 'data-kind', 'accepted');
    await expectText(card.getByTestId('max-admissible'), /bevestigd/);
    await shot(page, '16-japanese-bidder');
    await axe(page, 'bidder page, Japanese auction');
    const con = await context.newPage();
    await con.goto(`${japanese.base}/console#token=${c['inkoper-hulpmiddelen']}`);
    await connected(con);
    await expectText(lot(con, 'perceel-schuimverband').getByTestId('offered-price'), /780\.000,00/);
    await context.close();
  } finally {
    await stopServer(japanese);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('sealed rounds: the page shows the round, and a bid of the round shows no rank yet', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'veiling-e2e-rounds-'));
  const rounds = await startServer(0, path.join(root, 'auction-configs/ziekenhuisbedden-2026-rounds.toml'), dir);
  try {
    const c = readCredentials(dir, 'ziekenhuisbedden-2026-rounds');
    const context = await browser.newContext({ locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
    const page = await context.newPage();
    await page.goto(`${rounds.base}/bid#token=${c.bedtech}`);
    await connected(page);
    await expectText(page.getByTestId('auction-status'), /Veilen in rondes/);
    await lotOpen(page, 'perceel-bedden');
    const card = lot(page, 'perceel-bedden');
    await expectText(card.getByTestId('round'), /^1, sluit om/);
    const a = await bid(page, 'perceel-bedden', '1.400.000,00');
    await expectAttr(a, 'data-kind', 'accepted');
    await expectText(card.getByTestId('own-bid'), /1\.400\.000,00/);
    await rankIs(page, 'perceel-bedden', '–');
    await shot(page, '17-rounds-bidder');
    await axe(page, 'bidder page, sealed rounds');
    await context.close();
  } finally {
    await stopServer(rounds);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('turns: the bidder in turn keeps or bids, the others wait and see the published prices', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'veiling-e2e-turns-'));
  // Opens 8 s after the start, so that the console is signed in when round 1 opens and gets
  // its order (the snapshot has the turn's number, not the order).
  const turns = await startServer(0, path.join(root, 'auction-configs/stomamiddelen-2026-turns.toml'), dir, 8);
  try {
    const c = readCredentials(dir, 'stomamiddelen-2026-turns');
    const context = await browser.newContext({ locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
    const goto = async (pathname, token) => {
      const page = await context.newPage();
      page.consoleErrors = [];
      page.on('pageerror', (e) => page.consoleErrors.push(String(e)));
      await page.goto(`${turns.base}${pathname}#token=${token}`);
      await connected(page);
      return page;
    };
    const con = await goto('/console', c['inkoper-hulpmiddelen']);
    assert.equal(await con.locator('[data-testid="lot-perceel-colostomie"][data-phase="scheduled"]').count(), 1,
      'the console is signed in before the opening');
    // Colostomie, scores = initial price − quality bonus: ostomed 468.000 − 20.000 = 448.000,
    // stomacare 452.000 − 12.000 = 440.000, medilever 431.500 − 0 = 431.500. Worst first:
    // ostomed has turn 1, stomacare turn 2, medilever (the leader) turn 3.
    const L = 'perceel-colostomie';
    const first = await goto('/bid', c.ostomed);
    const second = await goto('/bid', c.stomacare);
    for (const p of [first, second]) {
      await expectText(p.getByTestId('auction-status'), /Rondes met beurten/);
      await lotOpen(p, L);
    }
    const a = lot(first, L);
    const b = lot(second, L);
    await expectText(a.getByTestId('turn-round'), /^1 van 3$/);
    await expectAttr(a.getByTestId('turn-status'), 'data-yours', 'true');
    await expectText(a.getByTestId('turn-status'), /U bent aan de beurt tot/);
    await disabledIs(a.getByTestId('keep'), false);
    await disabledIs(a.getByTestId('bid-submit'), false);
    await expectAttr(a.getByTestId('deadline'), 'data-target', 'turn');
    await expectText(a.getByTestId('max-admissible'), /U kunt maximaal/);
    // The other waits: disabled, with the reason, and its place in the round.
    await expectAttr(b.getByTestId('turn-status'), 'data-yours', 'false');
    await expectText(b.getByTestId('turn-status'), /Beurt 1 van 3 loopt, u bent 2e/);
    await disabledIs(b.getByTestId('keep'), true);
    await disabledIs(b.getByTestId('bid-submit'), true);
    await expectText(b.locator('.submit-why'), /niet uw beurt/);
    // Every initial price is published, best first, without names; one's own is marked.
    assert.equal(await b.getByTestId('published').locator('li').count(), 3);
    await expectText(b.getByTestId('published').locator('li').first(), /431\.500,00/);
    await expectText(b.getByTestId('published').locator('li[data-own="true"]'), /452\.000,00.*uw prijs/);
    // The line-item lot: stomacare (192.200) leads, so it moves last of three.
    await expectText(lot(second, 'perceel-urostomie').getByTestId('turn-status'), /Beurt 1 van 3 loopt, u bent 3e/);
    // The console: the round, the order (worst first) and whose turn it is.
    const cl = lot(con, L);
    await expectText(cl.getByTestId('turn-round'), /1 van 3/);
    assert.deepEqual(await cl.getByTestId('turn-order').locator('li').evaluateAll(
      (lis) => lis.map((li) => li.dataset.supplier)), ['ostomed', 'stomacare', 'medilever']);
    await expectAttr(cl.getByTestId('turn-now'), 'data-supplier', 'ostomed');
    await shot(first, '18-turns-your-turn');
    await shot(second, '19-turns-waiting');
    await axe(first, 'bidder page, turns, in turn');
    await axe(second, 'bidder page, turns, waiting');

    // The first keeps its price: its turn ends, and the second's starts (announced).
    await a.getByTestId('keep').click();
    await expectAttr(a.getByTestId('answer'), 'data-kind', 'kept');
    await expectText(a.getByTestId('answer'), /468\.000,00 behouden/);
    await expectAttr(a.getByTestId('turn-status'), 'data-yours', 'false');
    await expectText(a.getByTestId('turn-status'), /Beurt 2 van 3 loopt/);
    await disabledIs(a.getByTestId('keep'), true);
    await expectAttr(b.getByTestId('turn-status'), 'data-yours', 'true');
    await disabledIs(b.getByTestId('keep'), false);
    await expectText(second.locator('[data-testid="messages"] li[data-yours="true"]'),
      /Uw beurt in kavel Colostomiemateriaal.* is begonnen/);
    await expectAttr(cl.getByTestId('turn-now'), 'data-supplier', 'stomacare');

    // The second bids in its turn: accepted; the first sees the new price published.
    const ans = await bid(second, L, '430.000,00');
    await expectAttr(ans, 'data-kind', 'accepted');
    await rankIs(second, L, 1);
    await expectText(a.getByTestId('published').locator('li').first(), /430\.000,00 \(score 418\.000,00\)/);
    await expectText(b.getByTestId('turn-status'), /Beurt 3 van 3 loopt/);
    await disabledIs(b.getByTestId('bid-submit'), true);
    await expectAttr(cl.getByTestId('turn-now'), 'data-supplier', 'medilever');
    await expectText(con.getByTestId('feed'), /beurt 2 van stomacare.* voorbij met bod #/);
    await shot(first, '20-turns-published');
    await shot(con, '21-turns-console');
    await axe(con, 'auctioneer console, turns');

    // The auditor page: the initial prices are bids, labelled; the turns are in the timeline.
    const audit = await context.newPage();
    await audit.goto(`${turns.base}/audit`);
    await audit.getByTestId('token').fill(c.auditor);
    await audit.getByTestId('load-server').click();
    await expectAttr(audit.getByTestId('verdict'), 'data-verdict', 'valid-unsealed');
    await expectText(audit.getByTestId('timeline'), /beginprijs #\d+ van ostomed/);
    await expectText(audit.getByTestId('timeline'), /beurt 1 van ronde 1 voor ostomed/);
    await expectText(audit.getByTestId('timeline'), /prijs behouden op perceel-colostomie/);
    await expectText(audit.getByTestId(`ranking-${L}`), /stomacare/);
    await expectText(audit.getByTestId(`ranking-${L}`), /beginprijs/);

    // English.
    await second.getByTestId('lang').selectOption('en');
    await expectText(lot(second, L).getByTestId('keep'), /Keep my price/);
    await expectText(lot(second, L).getByTestId('turn-status'), /Turn 3 of 3 is running/);
    await axe(second, 'bidder page, turns, in English');
    for (const p of [first, second, con]) assert.deepEqual(p.consoleErrors, [], 'no script errors');
    await context.close();
  } finally {
    await stopServer(turns);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a practice auction: an unmistakable banner on the bidder page and the console, no award, bots labelled', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'veiling-e2e-practice-'));
  const practice = await startServer(0, CONFIG, dir, 3, ['--practice', '1', '--bots', '2']);
  try {
    // A practice run has its own tokens, beside its own log.
    assert.ok(!fs.existsSync(path.join(dir, 'e2e-browser', 'credentials.json')), 'the live credentials are untouched');
    const c = readCredentials(dir, 'e2e-browser', 'practice/credentials.json');
    assert.ok(c['oefenbot-1'] && c['oefenbot-2'], 'two bots');
    const context = await browser.newContext({ locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
    const goto = async (pathname, token) => {
      const page = await context.newPage();
      page.consoleErrors = [];
      page.on('pageerror', (e) => page.consoleErrors.push(String(e)));
      await page.goto(`${practice.base}${pathname}#token=${token}`);
      await connected(page);
      return page;
    };
    const bidder = await goto('/bid', c.alfa);
    const banner = bidder.getByTestId('practice-banner');
    await banner.waitFor({ state: 'visible', ...WAIT });
    await expectText(banner, /OEFENVEILING — dit is een oefening\. Niets wat u hier biedt is bindend, en de inkopers zien het niet\./);
    assert.match(await bidder.title(), /^Oefenveiling · /);
    // It is the first thing in the page, above the heading.
    const [bannerBox, headingBox] = [await banner.boundingBox(), await bidder.locator('h1').boundingBox()];
    assert.ok(bannerBox.y < headingBox.y, 'the banner is above the heading');
    // Bidding works as in the live auction.
    await lotOpen(bidder, 'lot-1');
    await expectAttr(await bid(bidder, 'lot-1', '1.200,00'), 'data-kind', 'accepted');
    await shot(bidder, '22-practice-bidder');
    await axe(bidder, 'bidder page, practice');

    const con = await goto('/console', c.jan);
    const cb = con.getByTestId('practice-banner');
    await cb.waitFor({ state: 'visible', ...WAIT });
    await expectText(cb, /OEFENVEILING — dit is een oefening\./);
    await expectText(cb, /nooit gegund/);
    assert.match(await con.title(), /^Oefenveiling · /);
    // The award is disabled, with the reason, on every lot.
    for (const id of ['lot-1', 'lot-2']) {
      await disabledIs(lot(con, id).getByTestId('award'), true);
      await expectText(lot(con, id).getByTestId('award-hint'), /een oefenveiling wordt nooit gegund/);
    }
    // The bots are labelled as bots, the people are not.
    await expectAttr(con.getByTestId('presence-oefenbot-1'), 'data-bot', 'true');
    await expectText(con.getByTestId('presence-oefenbot-2'), /bot: biedt vanzelf/);
    assert.equal(await con.getByTestId('presence-alfa').getAttribute('data-bot'), null);
    await shot(con, '23-practice-console');
    await axe(con, 'auctioneer console, practice');

    // English.
    await con.getByTestId('lang').selectOption('en');
    await expectText(cb, /PRACTICE AUCTION — this is a rehearsal\./);
    await expectText(lot(con, 'lot-1').getByTestId('award-hint'), /a practice auction is never awarded/);
    assert.match(await con.title(), /^Practice · /);
    await axe(con, 'auctioneer console, practice, in English');
    await bidder.getByTestId('lang').selectOption('en');
    await expectText(banner, /PRACTICE AUCTION — this is a rehearsal\. Nothing you bid here is binding, and the buyers do not see it\./);
    assert.match(await bidder.title(), /^Practice · /);
    await axe(bidder, 'bidder page, practice, in English');

    // The bots bid by themselves (their first bids come some seconds after the opening); the
    // console's ladder marks their rows.
    await con.locator('[data-testid="ladder-row"][data-bot="true"]').first().waitFor({ timeout: 45_000 });
    await expectText(con.locator('[data-testid="ladder-row"][data-bot="true"]').first().getByTestId('bot-badge'), /bot/);
    for (const p of [bidder, con]) assert.deepEqual(p.consoleErrors, [], 'no script errors');
    await context.close();
  } finally {
    await stopServer(practice);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the qualification page: a candidate registers, submits, is refused in words, asks and reads the nota', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'veiling-e2e-tender-'));
  const cli = (...args) => execFileSync(BIN, [...args, '--data-dir', dir], { encoding: 'utf8', timeout: 30_000 });
  cli('tender', 'init', path.join(root, 'auction-configs/dieetvoeding-2024-tender.toml'), '--start-in', '0');
  cli('tender', 'open', 'dieetvoeding-2024', '--as', 'inkoper-1');
  const tender = await spawnServer(['serve', '--tender', 'dieetvoeding-2024', '--data-dir', dir, '--listen', '127.0.0.1:0']);
  try {
    const r = await fetch(`${tender.base}/qualification`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-security-policy') ?? '', /connect-src 'self'/);
    const c = readCredentials(dir, 'dieetvoeding-2024', 'tender-credentials.json');
    const context = await browser.newContext({ locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
    const page = await context.newPage();
    page.consoleErrors = [];
    page.on('pageerror', (e) => page.consoleErrors.push(String(e)));
    await page.goto(`${tender.base}/qualification#token=${c['alfa-medical']}`);
    await expectText(page.getByTestId('tender-title'), /Dieetvoeding 2025-2027/);
    await expectAttr(page.getByTestId('tender-phase'), 'data-phase', 'qualification_open');
    await expectText(page.getByTestId('tender-phase'), /kwalificatie open/);
    assert.equal(page.url(), `${tender.base}/qualification`, 'the token left the address bar');
    await expectText(page.getByTestId('date-qualification_closes_at'), /^\d\d-\d\d-\d{4},? \d\d:\d\d:\d\d$/);
    assert.equal(await page.locator('[data-testid^="criterion-"]').count(), 12);
    await expectText(page.getByTestId('criterion-jaaromzet'), /Minimaal €\s1\.000\.000,00/);
    await expectText(page.getByTestId('criterion-ernstige-fout'), /niet verplicht/);
    await expectText(page.getByTestId('criterion-leverbetrouwbaarheid'), /Weging 60; hoogstens 10 punten/);
    // Nothing to submit before registering: disabled, with the reason.
    await disabledIs(page.getByTestId('submission-submit'), true);
    await expectText(page.locator('#submission-why'), /Registreer u eerst/);

    // Register: the receipt is the record's number and hash.
    await page.getByTestId('register').click();
    const reg = page.getByTestId('register-result');
    await expectAttr(reg, 'data-kind', 'accepted');
    await expectText(reg, /Geregistreerd als kandidaat/);
    await expectText(reg.getByTestId('receipt'), /record nr\. \d+/);
    await expectText(reg.getByTestId('receipt-hash'), /^[0-9a-f]{64}$/);
    await disabledIs(page.getByTestId('register'), true);
    await disabledIs(page.getByTestId('submission-submit'), false);

    // The form: every knock-out yes with its evidence, the turnover, the two quality texts.
    const evidence = {
      kvk: 'KvK 12345678', wtza: 'Wtza-toelating 2019', governancecode: 'jaarverslag 2023, hoofdstuk 4',
      ubo: 'UBO-register', vecozo: 'Vecozo-certificaat 2024', verwijzingsregisters: 'verklaring directie',
      'verscherpt-toezicht': 'IGJ-register',
    };
    for (const [id, text] of Object.entries(evidence)) {
      await page.getByTestId(`ko-yes-${id}`).check();
      await page.getByTestId(`evidence-${id}`).fill(text);
    }
    await page.getByTestId('ko-yes-ernstige-fout').check();
    await page.getByTestId('ko-yes-faillissement').check();
    await page.getByTestId('value-jaaromzet').fill('4.200.000,00');
    await page.getByTestId('evidence-jaaromzet').fill('jaarrekening 2023');
    await page.getByTestId('text-leverbetrouwbaarheid').fill('Bijlage 3: plan van aanpak levering');
    await page.getByTestId('text-service-verzekerden').fill('Bijlage 4: servicebeleid');
    await page.getByTestId('submission-submit').click();
    const sub = page.getByTestId('submission-result');
    await expectAttr(sub, 'data-kind', 'accepted');
    await expectText(sub, /Inzending ontvangen/);
    await expectText(sub.getByTestId('receipt-hash'), /^[0-9a-f]{64}$/);
    await expectText(page.getByTestId('current-submission'), /ontvangen op .*\(inzending 1\)/);
    await shot(page, '24-qualification-submitted');

    // An incomplete one is refused on the record, in words, naming what is missing.
    await page.getByTestId('text-service-verzekerden').fill('');
    await page.getByTestId('submission-submit').click();
    await expectAttr(sub, 'data-kind', 'refused');
    await expectAttr(sub, 'data-code', 'incomplete');
    await expectText(sub, /niet compleet\. Er ontbreekt een antwoord op: service-verzekerden/);
    await expectText(sub, /Melding van de server: .*incomplete/);
    // A value that is not a number is caught on the page; nothing is sent.
    await page.getByTestId('value-jaaromzet').fill('veel');
    await page.getByTestId('submission-submit').click();
    await expectAttr(sub, 'data-kind', 'local');
    await expectText(sub, /“veel” is geen getal/);
    await expectAttr(page.getByTestId('value-jaaromzet'), 'aria-invalid', 'true');

    // The file upload sends a file as it is: a valid one replaces the submission and the form
    // shows what the server holds; one that is not JSON is an error, with nothing recorded.
    const file = {
      answers: {
        ...Object.fromEntries(Object.entries(evidence).map(([id, e]) => [id, { yes: true, evidence: e }])),
        'ernstige-fout': { yes: true }, faillissement: { yes: true },
        jaaromzet: { value: '4300000.00', evidence: 'jaarrekening 2023' },
        leverbetrouwbaarheid: { text: 'Bijlage 3' }, 'service-verzekerden': { text: 'Bijlage 4' },
      },
    };
    await page.getByTestId('submission-file').setInputFiles({
      name: 'inzending.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(file)),
    });
    await page.getByTestId('upload-submit').click();
    await expectAttr(sub, 'data-kind', 'accepted');
    await expectText(sub, /vervangt uw eerdere inzending/);
    await expectText(page.getByTestId('current-submission'), /\(inzending 2\)/);
    assert.equal(await page.getByTestId('value-jaaromzet').inputValue(), '4300000,00');
    assert.equal(await page.getByTestId('text-service-verzekerden').inputValue(), 'Bijlage 4');
    assert.equal(await page.getByTestId('ko-yes-kvk').isChecked(), true);
    await page.getByTestId('submission-file').setInputFiles({
      name: 'kapot.json', mimeType: 'application/json', buffer: Buffer.from('{"answers": '),
    });
    await page.getByTestId('upload-submit').click();
    await expectAttr(sub, 'data-kind', 'error');
    await expectText(sub, /Niet verwerkt \(400\)/);
    await expectText(sub, /not JSON/);

    // A question: received with its number; its answer reaches the nota without who asked.
    await page.getByTestId('question-text').fill('Wat is de levertermijn van sondevoeding?');
    await page.getByTestId('question-submit').click();
    const q = page.getByTestId('question-result');
    await expectAttr(q, 'data-kind', 'accepted');
    await expectText(q, /Vraag \d+ ontvangen/);
    const n = await q.getByTestId('receipt').getAttribute('data-seq');
    await expectText(page.getByTestId('own-questions'), /levertermijn.*nog niet beantwoord/);
    cli('tender', 'answer', 'dieetvoeding-2024', '--as', 'inkoper-1', '--question', n, '--text', 'Binnen 24 uur na de bestelling.');
    await page.getByTestId('refresh').click();
    await expectText(page.getByTestId('nota'), /Vraag \d+: Wat is de levertermijn van sondevoeding\?/);
    await expectText(page.getByTestId('nota'), /Binnen 24 uur na de bestelling\./);
    assert.doesNotMatch(await page.getByTestId('nota').textContent(), /alfa/);
    await shot(page, '25-qualification-nota');
    await axe(page, 'qualification page');

    // English.
    await page.getByTestId('lang').selectOption('en');
    await expectText(page.getByTestId('tender-phase'), /qualification open/);
    await expectText(sub, /Not processed \(400\)/);
    await expectText(q, /Question \d+ received/);
    assert.equal(await page.getByTestId('value-jaaromzet').inputValue(), '4300000.00');
    await axe(page, 'qualification page in English');

    // Without a token: the sign-in form; an auction's token is not a tender token.
    const signIn = await context.newPage();
    await signIn.goto(`${tender.base}/qualification`);
    await signIn.getByTestId('lang').selectOption('nl');
    await axe(signIn, 'qualification sign-in');
    await signIn.getByTestId('token').fill('vt_not_a_tender_token');
    await signIn.getByTestId('sign-in').click();
    await expectText(signIn.getByTestId('signin-error'), /niet herkend/);
    assert.deepEqual(page.consoleErrors, [], 'no script errors');
    await context.close();
  } finally {
    await stopServer(tender);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
