// Tests of web/verify.js, the auditor page's log verifier, in Node 20 (no packages):
//
//   node --test tests/browser/verify.test.mjs
//
// It must reach the verdict of the independent Python verifier
// (tests/independent-verifier/verify_log.py, run here as a subprocess) at the same line, on the
// worked example, on every golden log, and on tampered copies built here. Copies that need a
// valid chain and valid signatures are re-chained and re-signed with the example's published
// key (seed 32 x 0x07, docs/log-format.md "Worked example"; never a real key).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  canonicalJson, compareDecimal, configInfo, decimalBetween, decimalRatio, isPublicKey,
  parseJsonStrict, parsePublicKey, signedMessage, summarize, verifyLog,
} from '../../web/verify.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PY = join(ROOT, 'tests/independent-verifier/verify_log.py');
const EXAMPLE = readFileSync(join(ROOT, 'tests/log-example/example.log'));
const EXAMPLE_PUB_FILE = join(ROOT, 'tests/log-example/example.pub');
const EXAMPLE_PUB = readFileSync(EXAMPLE_PUB_FILE, 'utf8'); // 64 hex digits and a newline
const GOLDEN = join(ROOT, 'tests/golden-logs');
const SEED7 = Buffer.alloc(32, 7);
const SEED8 = Buffer.alloc(32, 8);
const KEY8_HEX = '1398f62c6d1a457c51ba6a4b5f3dbd2f69fca93216218dc8997e416bd17d93ca';

const TMP = mkdtempSync(join(tmpdir(), 'veiling-verify-js-'));
process.on('exit', () => rmSync(TMP, { recursive: true, force: true }));
let tmpCount = 0;

// ---------------------------------------------------------------------------------------
// Helpers.

/** The Python verifier's verdict: { ok, line } (line 0 for "not sealed", null when ok). */
function python(bytes, { pubkeyFile = null, unsealedOk = false } = {}) {
  const file = join(TMP, `case-${tmpCount++}.log`);
  writeFileSync(file, bytes);
  const args = [PY, file];
  if (pubkeyFile) args.push('--pubkey', pubkeyFile);
  if (unsealedOk) args.push('--unsealed-ok');
  let out;
  let code = 0;
  try {
    out = execFileSync('python3', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    if (e.status !== 1) throw new Error(`the Python verifier failed to run (${e.status}): ${e.stderr}`);
    out = e.stdout;
    code = 1;
  }
  if (code === 0) return { ok: true, line: null, text: out };
  const m = /FAILED at line (\d+)/.exec(out);
  return { ok: false, line: m ? Number(m[1]) : 0, text: out };
}

/** This verifier's verdict in the same shape. */
async function ours(bytes, { pubkey = null, unsealedOk = false } = {}) {
  const r = await verifyLog(bytes, { pubkey, unsealedOk });
  const p = r.problems[0];
  return { ok: r.ok, line: r.ok ? null : p.line === null ? 0 : p.line, result: r };
}

/** Both verdicts agree, and are the expected one (expectLine: null = ok, 0 = not sealed). */
async function agree(name, bytes, expectLine, { withKey = true, unsealedOk = false, code } = {}) {
  const js = await ours(bytes, { pubkey: withKey ? EXAMPLE_PUB : null, unsealedOk });
  const py = python(bytes, { pubkeyFile: withKey ? EXAMPLE_PUB_FILE : null, unsealedOk });
  assert.equal(js.line, py.line, `${name}: js ${JSON.stringify(js.result.problems)} / python ${py.text}`);
  assert.equal(js.ok, py.ok, name);
  if (expectLine !== undefined) assert.equal(js.line, expectLine, `${name}: ${JSON.stringify(js.result.problems)}`);
  if (code) assert.equal(js.result.problems[0].code, code, `${name}: ${JSON.stringify(js.result.problems)}`);
  return js.result;
}

const linesOf = (bytes) => bytes.toString('utf8').split('\n').slice(0, -1);
const join_ = (lines) => Buffer.from(lines.map((l) => l + '\n').join(''), 'utf8');
const sha = (s) => createHash('sha256').update(Buffer.from(s, 'utf8')).digest('hex');

function signer(seed) {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return (msg) => sign(null, Buffer.from(msg), key).toString('hex');
}

/**
 * Re-chain lines (strings, canonical records) from index `from` on: each `prev` (and a
 * checkpoint's `head`) becomes the hash of the line before, and checkpoints are re-signed.
 */
function rechain(lines, from, seed = SEED7) {
  const sig = signer(seed);
  const auction = JSON.parse(lines[0]).auction;
  for (let i = Math.max(from, 1); i < lines.length; i++) {
    const prev = sha(lines[i - 1]);
    let l = lines[i].replace(/"prev":"[0-9a-f]{64}"/, `"prev":"${prev}"`);
    if (l.includes('"kind":"checkpoint"')) {
      const r = JSON.parse(l);
      l = l.replace(/"head":"[0-9a-f]{64}"/, `"head":"${prev}"`);
      const s = sig(signedMessage(auction, r.head_seq, prev, r.at, r.final));
      l = l.replace(/"sig":"[0-9a-f]{128}"/, `"sig":"${s}"`);
    }
    lines[i] = l;
  }
  return lines;
}

// ---------------------------------------------------------------------------------------
// The worked example.

test('the worked example verifies, sealed, with its public key', async () => {
  const r = await verifyLog(EXAMPLE, { pubkey: EXAMPLE_PUB });
  assert.equal(r.ok, true);
  assert.equal(r.verified, true);
  assert.equal(r.sealed, true);
  assert.deepEqual(r.problems, []);
  assert.equal(r.records.length, 11);
  assert.equal(r.lines, 11);
  assert.equal(r.inputs, 6);
  assert.equal(r.checkpoints, 4);
  assert.equal(r.head, 'e1aebf5bcf8c0d7db65dc303407c139cc80a10fc43bb8e5213d536b44f418f23');
  assert.equal(r.hashes[6], '0a89d128fe2fcf8894a24cf7526ea0f60ba94085466e6e1f28965fb20a916e5c'); // alfa's receipt
  assert.equal(r.keySource, 'given');
  assert.equal(r.header.auction, 'log-example');
  assert.equal(r.header.pubkey, EXAMPLE_PUB.trim());
  // The key as bytes works too, and without a key the header's own is used.
  const copy = new Uint8Array(EXAMPLE).buffer; // an ArrayBuffer
  const asBytes = await verifyLog(copy, { pubkey: new Uint8Array(Buffer.from(EXAMPLE_PUB.trim(), 'hex')) });
  assert.equal(asBytes.ok, true);
  const own = await verifyLog(EXAMPLE);
  assert.equal(own.ok, true);
  assert.equal(own.keySource, 'header');
});

test('the worked example fails with another key, at line 1', async () => {
  const r = await verifyLog(EXAMPLE, { pubkey: KEY8_HEX });
  assert.equal(r.ok, false);
  assert.equal(r.verified, false);
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0].line, 1);
  assert.equal(r.problems[0].seq, 0);
  assert.equal(r.problems[0].code, 'key_mismatch');
  assert.match(r.problems[0].message, /the header names the key ea4a6c63.*not the given public key 1398f62c/);
});

test('a trusted key that is not a public key is refused (the CLI exit 2)', async () => {
  await assert.rejects(verifyLog(EXAMPLE, { pubkey: 'zz' }), TypeError);
  await assert.rejects(verifyLog(EXAMPLE, { pubkey: EXAMPLE_PUB.trim().toUpperCase() }), TypeError);
  // A small-order point (the identity) and a non-canonical y (y = p) are not public keys.
  assert.equal(isPublicKey(Buffer.from('01'.padEnd(64, '0'), 'hex')), false);
  assert.equal(isPublicKey(Buffer.from('ed' + 'ff'.repeat(30) + '7f', 'hex')), false);
  assert.ok(parsePublicKey(` ${EXAMPLE_PUB}\n`));
  assert.equal(parsePublicKey(KEY8_HEX) instanceof Uint8Array, true);
});

// ---------------------------------------------------------------------------------------
// The golden logs: the same verdict as the Python verifier.

const goldenLogs = readdirSync(GOLDEN).filter((f) => f.endsWith('.log')).sort();

test('there are golden logs', () => assert.ok(goldenLogs.length >= 4));

for (const name of goldenLogs) {
  test(`golden log ${name}: the verdict of the Python verifier`, async () => {
    const bytes = readFileSync(join(GOLDEN, name));
    for (const withKey of [false, true]) {
      for (const unsealedOk of [false, true]) {
        await agree(`${name} key=${withKey} unsealedOk=${unsealedOk}`, bytes, undefined, { withKey, unsealedOk });
      }
    }
    const r = await verifyLog(bytes, { unsealedOk: true, pubkey: EXAMPLE_PUB });
    assert.equal(r.verified, true, name);
    const py = python(bytes, { unsealedOk: true });
    assert.match(py.text, new RegExp(`ok: ${r.records.length} records, ${r.checkpoints} signed checkpoints .*; ${r.sealed ? 'sealed' : 'NOT sealed'}; head ${r.head}`));
    // And every golden log fails against another key, at line 1, for both.
    const file = join(TMP, 'key8.pub');
    writeFileSync(file, KEY8_HEX + '\n');
    const wrong = await ours(bytes, { pubkey: KEY8_HEX, unsealedOk: true });
    assert.equal(wrong.line, 1);
    assert.equal(python(bytes, { pubkeyFile: file, unsealedOk: true }).line, 1);
  });
}

// ---------------------------------------------------------------------------------------
// Tampered copies of the worked example (docs/log-format.md "What the checks catch", and more).

test('tamper: a changed amount breaks the chain at the next line', async () => {
  const ls = linesOf(EXAMPLE);
  ls[6] = ls[6].replace('"price":"949.50"', '"price":"949.40"');
  const r = await agree('changed amount', join_(ls), 8, { code: 'chain_broken' });
  assert.equal(r.problems[0].seq, 5);
  assert.match(r.problems[0].message, /prev 0a89d128.* is not the hash of the previous record \(db504df4/);
  // The accepted total of a bid, changed: line 4 (bid 2), caught at line 5.
  const ls2 = linesOf(EXAMPLE);
  ls2[3] = ls2[3].replaceAll('950.00', '900.00');
  await agree('changed total', join_(ls2), 5, { code: 'chain_broken' });
});

test('tamper: a changed amount, re-chained and re-signed with another key, fails at line 1 or at the first checkpoint', async () => {
  const ls = linesOf(EXAMPLE);
  ls[4] = ls[4].replaceAll('940.00', '930.00');
  rechain(ls, 5, SEED8);
  // Against the published key: the first checkpoint after the change no longer verifies
  // (line 3 still carries the real signature).
  await agree('rewritten, resigned', join_(ls), 6, { code: 'bad_signature' });
  // A forger also replaces the header's key: consistent with itself, caught only by the key.
  const ls2 = linesOf(EXAMPLE);
  ls2[0] = ls2[0].replace(EXAMPLE_PUB.trim(), KEY8_HEX);
  ls2[4] = ls2[4].replaceAll('940.00', '930.00');
  rechain(ls2, 1, SEED8);
  await agree('forged, header key', join_(ls2), null, { withKey: false });
  await agree('forged, published key', join_(ls2), 1, { code: 'key_mismatch' });
});

test('tamper: a deleted line', async () => {
  for (let i = 1; i < 11; i++) {
    const ls = linesOf(EXAMPLE);
    ls.splice(i, 1);
    // Deleting the last line (the final checkpoint) leaves a valid log that is not sealed.
    const expect = i === 10 ? 0 : i + 1;
    await agree(`line ${i + 1} deleted`, join_(ls), expect);
  }
  const ls = linesOf(EXAMPLE);
  ls.splice(4, 1); // input 3
  const r = await agree('line 5 deleted', join_(ls), 5, { code: 'bad_seq' });
  assert.match(r.problems[0].message, /head_seq 3 where 2 was expected/);
});

test('tamper: a swapped pair of lines', async () => {
  for (let i = 1; i < 10; i++) {
    const ls = linesOf(EXAMPLE);
    [ls[i], ls[i + 1]] = [ls[i + 1], ls[i]];
    await agree(`lines ${i + 1} and ${i + 2} swapped`, join_(ls), i + 1);
  }
});

test('tamper: a bad signature', async () => {
  for (const i of [2, 5, 8, 10]) {
    const ls = linesOf(EXAMPLE);
    ls[i] = ls[i].replace(/"sig":"(.)/, (m, c) => `"sig":"${c === '0' ? '1' : '0'}`);
    const r = await agree(`signature on line ${i + 1}`, join_(ls), i + 1, { code: 'bad_signature' });
    assert.equal(r.checkpoints, [2, 5, 8, 10].indexOf(i));
  }
  // A signature of the right message by another key.
  const ls = linesOf(EXAMPLE);
  const r = JSON.parse(ls[2]);
  const s = signer(SEED8)(signedMessage('log-example', r.head_seq, r.head, r.at, r.final));
  ls[2] = ls[2].replace(/"sig":"[0-9a-f]{128}"/, `"sig":"${s}"`);
  await agree('signed by another key', join_(ls), 3, { code: 'bad_signature' });
  await agree('signed by another key, header key', join_(ls), 3, { withKey: false, code: 'bad_signature' });
  // A signature over another auction id (the message binds it).
  const ls2 = linesOf(EXAMPLE);
  const s2 = signer(SEED7)(signedMessage('another-auction', r.head_seq, r.head, r.at, r.final));
  ls2[2] = ls2[2].replace(/"sig":"[0-9a-f]{128}"/, `"sig":"${s2}"`);
  await agree('signed for another auction', join_(ls2), 3, { code: 'bad_signature' });
  // Upper-case hex is not the format.
  const ls3 = linesOf(EXAMPLE);
  ls3[2] = ls3[2].replace(/"sig":"([0-9a-f]{128})"/, (m, h) => `"sig":"${h.toUpperCase()}"`);
  await agree('upper-case sig', join_(ls3), 3, { code: 'bad_sig_format' });
});

test('tamper: a truncated (torn) last line', async () => {
  // Without its final newline.
  let r = await agree('last byte dropped', EXAMPLE.subarray(0, EXAMPLE.length - 1), 11, { code: 'torn_tail' });
  assert.equal(r.torn, true);
  assert.match(r.problems[0].message, /^incomplete record: 351 byte\(s\) without the closing newline \(a torn tail/);
  assert.equal(r.records.length, 10);
  // Cut in the middle of line 8.
  const cut = linesOf(EXAMPLE).slice(0, 7).join('\n').length + 1 + 20;
  r = await agree('cut mid-line', EXAMPLE.subarray(0, cut), 8, { code: 'torn_tail' });
  // A last line that is not JSON at all, with its newline, is a torn tail too.
  const ls = linesOf(EXAMPLE);
  ls[10] = ls[10].slice(0, 100);
  r = await agree('half a record and a newline', join_(ls), 11, { code: 'torn_tail' });
  assert.equal(r.torn, true);
  // The same in the middle of the file is damage, not a torn tail.
  const ls2 = linesOf(EXAMPLE);
  ls2[5] = ls2[5].slice(0, 100);
  r = await agree('half a record inside', join_(ls2), 6, { code: 'not_json' });
  assert.equal(r.torn, false);
  // Lines 1-9 only: valid but not sealed; accepted with unsealedOk.
  const nine = join_(linesOf(EXAMPLE).slice(0, 9));
  await agree('lines 1-9', nine, 0, { code: 'not_sealed' });
  r = await agree('lines 1-9, unsealed ok', nine, null, { unsealedOk: true });
  assert.equal(r.sealed, false);
  assert.equal(r.checkpoints, 3);
  assert.equal(r.head, '5e1ab015ec6d949764d057ce681320f376561f4b53dab6a719e88a69f60e38af');
  // An empty file.
  await agree('empty', Buffer.alloc(0), 1, { code: 'empty_log' });
});

test('tamper: CRLF line ends', async () => {
  const crlf = Buffer.from(EXAMPLE.toString('utf8').replaceAll('\n', '\r\n'), 'utf8');
  await agree('CRLF everywhere', crlf, 1, { code: 'not_canonical' });
  const ls = linesOf(EXAMPLE);
  ls[3] += '\r';
  rechain(ls, 4);
  await agree('CR on line 4, re-chained', join_(ls), 4, { code: 'not_canonical' });
});

test('tamper: non-canonical JSON', async () => {
  const cases = [
    // [name, line index, replace, expected code]
    ['keys out of order', 6, (l) => l.replace('{"at":1748939370000,"cmd":{"client_bid_id":"a2","lot":"lot-1","op":"bid","price":"949.50"},',
      '{"cmd":{"client_bid_id":"a2","lot":"lot-1","op":"bid","price":"949.50"},"at":1748939370000,'), 'not_canonical'],
    ['nested keys out of order', 6, (l) => l.replace('"lot":"lot-1","op":"bid"', '"op":"bid","lot":"lot-1"'), 'not_canonical'],
    ['a space after seq', 6, (l) => l.replace('"seq":4,', '"seq":4, '), 'not_canonical'],
    ['a duplicate key', 6, (l) => l.replace('"seq":4,', '"seq":4,"seq":4,'), 'not_canonical'],
    ['an escaped slash', 9, (l) => l.replaceAll('lowest price', 'lowest\\/price'), 'not_canonical'],
    ['a needless \\u escape', 6, (l) => l.replace('"a2"', '"\\u0061\\u0032"'), 'not_canonical'],
    ['an escaped euro sign', 9, (l) => l.replaceAll('€', '\\u20ac'), 'not_canonical'],
    ['-0', 6, (l) => l.replace('"who":"supplier:alfa"', '"who":"supplier:alfa","x":-0'), 'not_canonical'],
    ['1e3', 6, (l) => l.replace('"who":"supplier:alfa"', '"who":"supplier:alfa","x":1e3'), 'not_canonical'],
    ['a float that is written canonically', 4, (l) => l.replace('"extensions_used":1,', '"extensions_used":1.0,'), 'not_integer'],
    ['a wide integer', 6, (l) => l.replace('"who":"supplier:alfa"', '"who":"supplier:alfa","x":18446744073709551616'), 'not_canonical'],
    ['a leading zero (not JSON)', 6, (l) => l.replace('"seq":4,', '"seq":04,'), 'not_json'],
    ['an unpaired surrogate (not JSON)', 6, (l) => l.replace('"a2"', '"\\ud800"'), 'not_json'],
    ['a raw tab in a string (not JSON)', 6, (l) => l.replace('"a2"', '"a\t2"'), 'not_json'],
    ['a checkpoint with a seq', 2, (l) => l.replace('"prev":', '"prev_":1,"prev":').replace('"prev_":1,', '').replace(',"sig"', ',"seq":2,"sig"'), 'bad_fields'],
    ['an extra key in an input', 6, (l) => l.replace('"who":"supplier:alfa"', '"who":"supplier:alfa","x":1'), 'bad_fields'],
    ['an unknown kind', 6, (l) => l.replace('"kind":"input"', '"kind":"inputs"'), 'unknown_kind'],
    ['a time going back', 6, (l) => l.replace('"at":1748939370000', '"at":1748939339999'), 'time_went_back'],
    ['a second header', 6, (l) => l.replace('"kind":"input"', '"kind":"header"'), 'bad_fields'],
    ['a non-boolean final', 5, (l) => l.replace('"final":false', '"final":0'), 'final_not_boolean'],
    ['a seq out of line', 6, (l) => l.replace('"seq":4,', '"seq":5,'), 'bad_seq'],
  ];
  for (const [name, i, change, code] of cases) {
    const ls = linesOf(EXAMPLE);
    ls[i] = change(ls[i]);
    assert.notEqual(ls[i], linesOf(EXAMPLE)[i], name);
    rechain(ls, i + 1);
    await agree(name, join_(ls), i + 1, { code });
  }
  // Invalid UTF-8 (a lone 0xff byte, and an encoded surrogate) is not JSON.
  for (const bad of [[0xff], [0xed, 0xa0, 0x80]]) {
    const ls = linesOf(EXAMPLE);
    const at = Buffer.byteLength(ls.slice(0, 6).join('\n') + '\n') + ls[6].indexOf('"a2"') + 2;
    const b = Buffer.concat([EXAMPLE.subarray(0, at), Buffer.from(bad), EXAMPLE.subarray(at)]);
    await agree(`invalid UTF-8 ${bad}`, b, 7, { code: 'not_json' });
  }
  // The document's float example, not re-chained: fails on line 5 itself.
  const ls = linesOf(EXAMPLE);
  ls[4] = ls[4].replace('"extensions_used":1,', '"extensions_used":1.0,');
  const r = await agree('extensions_used 1.0', join_(ls), 5, { code: 'not_integer' });
  assert.equal(r.problems[0].seq, 3);
  assert.equal(r.problems[0].message, 'a number that is not an integer: the log has no floats');
});

test('tamper: a record after the final checkpoint, and a checkpoint after a checkpoint', async () => {
  const ls = linesOf(EXAMPLE);
  ls.push(ls[9].replace('"seq":6', '"seq":7'));
  rechain(ls, 11);
  await agree('after the seal', join_(ls), 12, { code: 'after_seal' });
  const ls2 = linesOf(EXAMPLE);
  ls2.splice(3, 0, ls2[2]);
  rechain(ls2, 3);
  await agree('checkpoint after checkpoint', join_(ls2), 4, { code: 'checkpoint_head' });
});

test('tamper: random bit flips agree with the Python verifier', async () => {
  let s = 12345;
  const rand = (n) => { s = (s * 1103515245 + 12345) % 2147483648; return s % n; };
  const logs = [EXAMPLE, ...goldenLogs.map((f) => readFileSync(join(GOLDEN, f)))];
  for (const [k, bytes] of logs.entries()) {
    for (let j = 0; j < 6; j++) {
      const b = Buffer.from(bytes);
      const at = rand(b.length);
      b[at] ^= 1 << rand(8);
      await agree(`log ${k}: flip at ${at}`, b, undefined, { unsealedOk: true });
    }
  }
});

// ---------------------------------------------------------------------------------------
// Strict JSON and canonical form, directly.

test('strict JSON parsing and canonical form', () => {
  const v = parseJsonStrict('{"b":[1,-2,"x\\n\\u0001"],"a":null,"c":true,"big":12345678901234567890}');
  assert.equal(typeof v.big, 'bigint');
  assert.equal(canonicalJson(v), '{"a":null,"b":[1,-2,"x\\n\\u0001"],"big":12345678901234567890,"c":true}');
  assert.equal(canonicalJson(parseJsonStrict('{"config":1,"config_sha256":2,"a\u00e9":3,"a\u{1f600}":4,"a\uffff":5}')),
    '{"aé":3,"a\uffff":5,"a\u{1f600}":4,"config":1,"config_sha256":2}'); // UTF-8 byte order
  assert.equal(canonicalJson(parseJsonStrict('"\\ud83d\\ude00"')), '"\u{1f600}"'); // a pair is one character
  for (const bad of ['', ' ', '01', '1.', '-', '[1,]', '{"a":1,}', '"\\x"', '"\\ud800"', 'NaN', '[1]x', '1e400', '{"a" 1}', "'a'"]) {
    assert.throws(() => parseJsonStrict(bad), undefined, JSON.stringify(bad));
  }
  assert.doesNotThrow(() => parseJsonStrict('['.repeat(127) + ']'.repeat(127)));
  assert.throws(() => parseJsonStrict('['.repeat(128) + ']'.repeat(128)));
  assert.equal(canonicalJson(parseJsonStrict('{"__proto__":1}')), '{"__proto__":1}');
});

test('a number beyond the range of a double on the last line is a torn tail (the document)', async () => {
  // The Python port calls this damage (not canonical); docs/log-format.md and `veiling verify`
  // call it not JSON, hence a torn tail on the last line. Same line either way.
  const ls = linesOf(EXAMPLE).slice(0, 10);
  ls.push('{"a":1e400}');
  const r = await verifyLog(join_(ls), { pubkey: EXAMPLE_PUB });
  assert.equal(r.problems[0].line, 11);
  assert.equal(r.problems[0].code, 'torn_tail');
  assert.equal(python(join_(ls), { pubkeyFile: EXAMPLE_PUB_FILE }).line, 11);
});

test('progress is reported on long logs, and the verdict covers every line', async () => {
  // The example's first 10 lines, then many re-chained copies of input 5's tick (no checkpoints).
  const ls = linesOf(EXAMPLE).slice(0, 10);
  const tick = ls[7];
  for (let seq = 7; seq < 5007; seq++) ls.push(tick.replace('"seq":5,', `"seq":${seq},`));
  rechain(ls, 10);
  const calls = [];
  const r = await verifyLog(join_(ls), { pubkey: EXAMPLE_PUB, unsealedOk: true, yieldEvery: 1000, onProgress: (p) => calls.push(p.line) });
  assert.equal(r.ok, true);
  assert.equal(r.lines, 5010);
  assert.deepEqual(calls, [1000, 2000, 3000, 4000, 5000]);
  ls[4999] = ls[4999].replace('"op":"tick"', '"op":"tock"');
  const bad = await verifyLog(join_(ls), { pubkey: EXAMPLE_PUB, unsealedOk: true });
  assert.equal(bad.problems[0].line, 5001);
});

// ---------------------------------------------------------------------------------------
// Exact decimals and summarize().

test('decimals are compared exactly', () => {
  assert.equal(compareDecimal('950', '950.00'), 0);
  assert.equal(compareDecimal('949.99', '950'), -1);
  assert.equal(compareDecimal('-1.5', '1'), -1);
  assert.equal(compareDecimal('9007199254740993.01', '9007199254740993.02'), -1); // beyond 2^53
  assert.equal(compareDecimal('0.1', '0.10000000000000000000000001'), -1);
  assert.equal(compareDecimal('2158000.00', '2158600.00'), -1);
  assert.equal(decimalRatio('950', '900.00', '1000.00'), 0.5);
  assert.equal(decimalBetween('900.00', '1000.00', 1, 3), '933.33');
  assert.throws(() => compareDecimal('1e3', '1'));
});

test('summarize: the worked example, bravo rank 1 at 940.00 from the award', async () => {
  const r = await verifyLog(EXAMPLE, { pubkey: EXAMPLE_PUB });
  const s = summarize(r.records);
  assert.equal(s.auction, 'log-example');
  assert.equal(s.title, 'Log format example');
  assert.equal(s.inputs, 6);
  assert.equal(s.rejected, 1);
  assert.equal(s.checkpoints, 4);
  assert.equal(s.sealed, true);
  assert.equal(s.phase, 'awarded');
  assert.equal(s.firstAt, 1748937600000);
  assert.equal(s.lastAt, 1748939460000);
  assert.equal(s.lots.length, 1);
  const lot = s.lots[0];
  assert.equal(lot.lot, 'lot-1');
  assert.equal(lot.name, 'Lot 1');
  assert.equal(lot.phase, 'awarded');
  assert.equal(lot.rankingSource, 'award');
  assert.deepEqual(lot.ranking[0], { rank: 1, supplier: 'bravo', total: '940.00', score: '940.00', bid: 3, at: 1748939340000 });
  assert.equal(lot.ranking.length, 1);
  assert.deepEqual(lot.ladder.map((x) => [x.rank, x.supplier, x.total, x.bid]), [[1, 'bravo', '940.00', 3], [2, 'alfa', '950.00', 2]]);
  assert.deepEqual(lot.bids.map((b) => [b.at, b.supplier, b.total, b.score, b.bid, b.voided]), [
    [1748937900000, 'alfa', '950.00', '950.00', 2, false],
    [1748939340000, 'bravo', '940.00', '940.00', 3, false],
  ]);
  assert.equal(lot.extensions, 1);
  assert.equal(lot.deadline, 1748939460000);
  assert.deepEqual(lot.events.map((e) => e.event), ['lot_opened', 'bid_accepted', 'bid_accepted', 'lot_extended', 'lot_closed', 'lot_awarded']);
});

test('summarize: the ladders of the golden logs are those `veiling replay` printed', async () => {
  for (const name of goldenLogs) {
    const r = await verifyLog(readFileSync(join(GOLDEN, name)), { unsealedOk: true });
    const s = summarize(r.records);
    const replay = readFileSync(join(GOLDEN, name.replace(/\.log$/, '.replay')), 'utf8');
    // "lot-a (Lot A): closed, deadline 11:02:30, 2 extension(s), 9 bid(s) accepted, 0 voided"
    // "  1. sup-b bid #11 at 11:02:29.999: total 930.00 score 930.00 *"
    // "  awarded to: sup-b"
    let lot = null;
    const seen = [];
    for (const line of replay.split('\n')) {
      let m = /^(\S+) \((.*)\): (\w+), deadline [^,]*, (\d+) extension\(s\), (\d+) bid\(s\) accepted, (\d+) voided$/.exec(line);
      if (m) {
        lot = s.lots.find((l) => l.lot === m[1]);
        assert.ok(lot, `${name}: lot ${m[1]}`);
        seen.push(m[1]);
        assert.equal(lot.name, m[2]);
        assert.equal(lot.phase, m[3], `${name} ${lot.lot} phase`);
        assert.equal(lot.extensions, Number(m[4]), `${name} ${lot.lot} extensions`);
        assert.equal(lot.bids.length, Number(m[5]));
        assert.equal(lot.bidsVoided, Number(m[6]));
        lot.expected = [];
        continue;
      }
      m = /^ {2}(\d+)\. (\S+) bid #(\d+) at [^:]+:\d\d(?::\d\d(?:\.\d+)?)?: total (\S+) score (\S+)/.exec(line);
      if (m) {
        lot.expected.push([Number(m[1]), m[2], Number(m[3]), m[4], m[5]]);
        continue;
      }
      m = /^ {2}awarded to: (.*)$/.exec(line);
      if (m) {
        assert.equal(lot.rankingSource, 'award');
        assert.deepEqual(lot.ranking.map((w) => w.supplier), m[1].split(', '));
      }
    }
    assert.deepEqual(seen.sort(), s.lots.map((l) => l.lot).sort(), name);
    for (const l of s.lots) {
      assert.deepEqual(l.ladder.map((x) => [x.rank, x.supplier, x.bid, x.total, x.score]), l.expected, `${name} ${l.lot}`);
      if (l.rankingSource === 'derived') assert.deepEqual(l.ranking, l.ladder);
    }
  }
});

test('summarize: voids and disqualifications leave the derived ladder', () => {
  const input = (seq, at, events) => ({ kind: 'input', seq, at, who: 'system', cmd: {}, outcome: { accepted: events } });
  const bid = (n, at, supplier, total) => ({ at, bid: n, client_bid_id: 'c' + n, event: 'bid_accepted', lines: [], lot: 'L', score: total, supplier, total });
  const s = summarize([
    { kind: 'header', seq: 0, at: 0, auction: 'x', config: '[[lots]]\nid = "L"\nname = "Lot \\"L\\""\n' },
    input(1, 1, [bid(1, 1, 'a', '100.00')]),
    input(2, 2, [bid(2, 2, 'b', '99.999')]),
    input(3, 3, [bid(3, 3, 'a', '99.99')]),
    input(4, 4, [bid(4, 4, 'c', '99.99')]),
    input(5, 5, [bid(5, 5, 'a', '90')]),
    input(6, 6, [{ at: 6, bid: 5, by: 'j', event: 'bid_voided', lot: 'L', reason: 'r', supplier: 'a' }]),
    input(7, 7, [bid(7, 7, 'd', '1')]),
    input(8, 8, [{ at: 8, by: 'j', event: 'supplier_disqualified', reason: 'r', supplier: 'd' }]),
    { kind: 'input', seq: 9, at: 9, who: 'supplier:e', cmd: {}, outcome: { rejected: { code: 'lot_closed' } } },
  ]);
  const l = s.lots[0];
  assert.equal(l.name, 'Lot "L"');
  assert.equal(l.rankingSource, 'derived');
  // a's bid 5 is voided: bid 3 stands again, tied with c's bid 4 (earlier first); d is out.
  assert.deepEqual(l.ranking.map((x) => [x.rank, x.supplier, x.bid]), [[1, 'a', 3], [2, 'c', 4], [3, 'b', 2]]);
  assert.deepEqual(l.bids.filter((b) => b.voided).map((b) => b.bid), [5]);
  assert.deepEqual(s.disqualified, ['d']);
  assert.equal(s.rejected, 1);
});

test('configInfo reads the title and names', () => {
  const c = configInfo(readFileSync(join(ROOT, 'tests/log-example/config.toml'), 'utf8'));
  assert.equal(c.title, 'Log format example');
  assert.equal(c.auctionId, 'log-example');
  assert.deepEqual(c.lots, [{ id: 'lot-1', name: 'Lot 1' }]);
  assert.deepEqual(c.suppliers.map((x) => x.name), ['Alfa BV', 'Bravo BV']);
  assert.deepEqual(c.auctioneers, [{ id: 'jan', name: 'Jan' }]);
});

test('summarize leaves Japanese bidders who dropped out off the derived ladder', async () => {
  const rec = (event, fields) => ({ kind: 'input', outcome: { accepted: [{ event, ...fields }] } });
  const records = [
    { kind: 'header', config: '[[lots]]\nid = "lot-1"\nname = "Lot 1"\n' },
    rec('bid_accepted', { at: 1, bid: 2, lot: 'lot-1', supplier: 'a', total: '100.00', score: '100.00', lines: [] }),
    rec('bid_accepted', { at: 2, bid: 3, lot: 'lot-1', supplier: 'b', total: '100.00', score: '100.00', lines: [] }),
    rec('bid_accepted', { at: 3, bid: 4, lot: 'lot-1', supplier: 'a', total: '90.00', score: '90.00', lines: [] }),
    rec('bidder_dropped', { at: 4, lot: 'lot-1', supplier: 'b', step: 1 }),
  ];
  const s = summarize(records);
  const lot = s.lots['lot-1'] ?? s.lots.get?.('lot-1') ?? Object.values(s.lots)[0];
  assert.deepEqual(lot.ladder.map((r) => r.supplier), ['a']);
  assert.deepEqual(lot.dropped, ['b']);
});
