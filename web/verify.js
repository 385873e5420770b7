// Verifier for `veiling-log/1` bid logs, in the browser and in Node 20 (no DOM, no packages).
//
// It implements the "Verification algorithm" of docs/log-format.md, steps 1-16 and the
// end-of-file rules, in the order the document gives, and stops at the first problem, like
// `veiling verify` and the independent Python verifier
// (tests/independent-verifier/verify_log.py), of which this is a port: same checks, same
// reasons, same verdicts. Where the Python port differs from the document, this file follows
// the document (and `veiling verify`); see "numbers beyond the range of a double" below.
//
// Cryptography is WebCrypto only: SHA-256 with crypto.subtle.digest and Ed25519 with
// crypto.subtle.verify. The public key itself is decoded here (RFC 8032 5.1.3, with BigInt),
// because the document requires a canonical encoding of a point of large order, which
// WebCrypto implementations do not check on import.
//
// Money and scores are decimal strings. The helpers at the end compare them exactly (BigInt
// after scaling to a common number of decimals); nothing here turns them into floating point,
// except decimalRatio(), which exists only for a chart's pixel coordinates.

export const FORMAT = 'veiling-log/1';
export const MAX_LINE = 8388608;
const MAX_DEPTH = 127; // 128 or more nested arrays/objects are not JSON
const I_MIN = -(2n ** 63n);
const I_MAX = 2n ** 64n - 1n;
const AT_MIN = -(2n ** 63n);
const AT_MAX = 2n ** 63n - 1n;
const ZERO_HASH = '0'.repeat(64);
const FIELDS = {
  header: ['at', 'auction', 'config', 'config_sha256', 'engine', 'format', 'kind', 'mode', 'prev', 'pubkey', 'seq'],
  input: ['at', 'cmd', 'kind', 'outcome', 'prev', 'seq', 'who'],
  checkpoint: ['at', 'final', 'head', 'head_seq', 'kind', 'prev', 'sig'],
};
const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;
// ASCII whitespace (space, tab, LF, form feed, CR): what is trimmed around a public key.
const WHITE_SPACE = /^[\t\n\f\r ]+|[\t\n\f\r ]+$/g;
export const TORN_NOTE =
  ' (a torn tail: a write that never completed and was never acknowledged;' +
  ' the server cuts it off when it opens the log)';

// ---------------------------------------------------------------------------------------
// Small byte helpers.
// ---------------------------------------------------------------------------------------

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function bytesToHex(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]];
  return s;
}

/** Lower- or upper-case hex to bytes; null when it is not an even run of hex digits. */
export function hexToBytes(hex) {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

const utf8 = new TextEncoder();
// fatal: invalid UTF-8 is not JSON; ignoreBOM: keep a byte-order mark so that it is refused.
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function subtle() {
  const c = globalThis.crypto;
  return c && c.subtle ? c.subtle : null;
}

export async function sha256Hex(bytes) {
  return bytesToHex(new Uint8Array(await subtle().digest('SHA-256', bytes)));
}

// ---------------------------------------------------------------------------------------
// Ed25519 public keys (RFC 8032 5.1.3), BigInt. Only decoding and the small-order test:
// signatures are checked by WebCrypto.
// ---------------------------------------------------------------------------------------

const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function mod(a) {
  const r = a % P;
  return r < 0n ? r + P : r;
}

function modPow(b, e) {
  let r = 1n;
  b = mod(b);
  while (e > 0n) {
    if (e & 1n) r = (r * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return r;
}

const D = mod(-121665n * modPow(121666n, P - 2n));
const SQRT_M1 = modPow(2n, (P - 1n) / 4n);

function bytesToBigLE(bytes) {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

function recoverX(y, sign) {
  if (y >= P) return null;
  const x2 = mod((y * y - 1n) * modPow(D * y * y + 1n, P - 2n));
  if (x2 === 0n) return sign ? null : 0n;
  let x = modPow(x2, (P + 3n) / 8n);
  if (mod(x * x - x2) !== 0n) x = (x * SQRT_M1) % P;
  if (mod(x * x - x2) !== 0n) return null;
  if (Number(x & 1n) !== sign) x = P - x;
  return x;
}

function pointAdd(p1, p2) {
  const a = mod((p1[1] - p1[0]) * (p2[1] - p2[0]));
  const b = mod((p1[1] + p1[0]) * (p2[1] + p2[0]));
  const c = mod(2n * p1[3] * p2[3] * D);
  const d = mod(2n * p1[2] * p2[2]);
  const e = b - a, f = d - c, g = d + c, h = b + a;
  return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
}

/**
 * Whether 32 bytes are a public key as the document requires: the canonical encoding of a
 * curve point (y < p; x = 0 only with the sign bit 0) that is not of small order.
 */
export function isPublicKey(bytes) {
  if (!bytes || bytes.length !== 32) return false;
  let y = bytesToBigLE(bytes);
  const sign = Number(y >> 255n);
  y &= (1n << 255n) - 1n;
  const x = recoverX(y, sign);
  if (x === null) return false;
  let pt = [x, y, 1n, mod(x * y)];
  for (let i = 0; i < 3; i++) pt = pointAdd(pt, pt); // [8]pt
  // The identity (x = 0, y = 1) in projective coordinates: X = 0 and Y = Z.
  return !(pt[0] === 0n && pt[1] === pt[2]);
}

/**
 * A trusted public key from 64 lower-case hex digits (surrounding ASCII whitespace ignored, as
 * in a public key file) or 32 bytes. Returns the 32 bytes, or null when it is not a public key.
 */
export function parsePublicKey(key) {
  let bytes;
  if (typeof key === 'string') {
    const t = key.replace(WHITE_SPACE, '');
    if (!HEX64.test(t)) return null;
    bytes = hexToBytes(t);
  } else if (key instanceof Uint8Array || key instanceof ArrayBuffer) {
    bytes = new Uint8Array(key);
  } else {
    return null;
  }
  return isPublicKey(bytes) ? Uint8Array.from(bytes) : null;
}

function sBelowL(sig) {
  return bytesToBigLE(sig.subarray(32, 64)) < L;
}

// ---------------------------------------------------------------------------------------
// Strict JSON (RFC 8259) that keeps what JSON.parse would lose: the lexeme of every number.
// Integers become Number when |v| <= 2^53 - 1, BigInt when larger but within -2^63..2^64-1,
// and JWide outside that range (never canonical); fractions and exponents become JFloat.
// ---------------------------------------------------------------------------------------

export class JFloat {
  constructor(lexeme) { this.lexeme = lexeme; }
}
export class JWide {
  constructor(lexeme) { this.lexeme = lexeme; }
}

class NotJson extends Error {}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/;

function setMember(obj, key, value) {
  // A duplicate key keeps the last value, as the Python port does: the re-serialised object
  // then has fewer members than the line, and the canonical comparison fails.
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

/** Parse one line's text strictly; throws NotJson. */
export function parseJsonStrict(text) {
  let i = 0;
  const n = text.length;
  let depth = 0;

  const fail = (what) => { throw new NotJson(what + ' at character ' + (i + 1)); };
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };

  function str() {
    // text[i] is '"'
    i++;
    let out = '';
    let start = i;
    let escapedSurrogate = false;
    for (;;) {
      if (i >= n) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(start, i);
        i++;
        break;
      }
      if (c < 0x20) fail('control character in a string');
      if (c !== 0x5c) { i++; continue; }
      out += text.slice(start, i);
      const e = text.charCodeAt(i + 1);
      i += 2;
      switch (e) {
        case 0x22: out += '"'; break;
        case 0x5c: out += '\\'; break;
        case 0x2f: out += '/'; break;
        case 0x62: out += '\b'; break;
        case 0x66: out += '\f'; break;
        case 0x6e: out += '\n'; break;
        case 0x72: out += '\r'; break;
        case 0x74: out += '\t'; break;
        case 0x75: {
          const h = text.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('invalid \\u escape');
          const u = parseInt(h, 16);
          if (u >= 0xd800 && u <= 0xdfff) escapedSurrogate = true;
          out += String.fromCharCode(u);
          i += 4;
          break;
        }
        default:
          i--;
          fail('invalid escape');
      }
      start = i;
    }
    // An escaped unpaired surrogate is not JSON (a pair of escapes is one character).
    if (escapedSurrogate && LONE_SURROGATE.test(out)) fail('unpaired surrogate');
    return out;
  }

  function num() {
    const s = i;
    if (text.charCodeAt(i) === 0x2d) i++;
    const d0 = text.charCodeAt(i);
    if (d0 === 0x30) i++;
    else if (d0 >= 0x31 && d0 <= 0x39) {
      while (i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
    } else fail('invalid number');
    let isFloat = false;
    if (text.charCodeAt(i) === 0x2e) {
      isFloat = true;
      i++;
      const f = i;
      while (i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
      if (i === f) fail('invalid number');
    }
    const ec = text.charCodeAt(i);
    if (ec === 0x65 || ec === 0x45) {
      isFloat = true;
      i++;
      const sc = text.charCodeAt(i);
      if (sc === 0x2b || sc === 0x2d) i++;
      const f = i;
      while (i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
      if (i === f) fail('invalid number');
    }
    const lex = text.slice(s, i);
    // A number beyond the range of an IEEE 754 double is not JSON (the document; the
    // reference parser refuses it). The Python port instead parses it and then finds the
    // line not canonical: the same line fails either way, but on the last line the document
    // makes it a torn tail.
    if (!Number.isFinite(Number(lex))) fail('number out of range');
    if (isFloat) return new JFloat(lex);
    const digits = lex.charCodeAt(0) === 0x2d ? lex.length - 1 : lex.length;
    if (digits > 20) return new JWide(lex);
    const v = BigInt(lex);
    if (v < I_MIN || v > I_MAX) return new JWide(lex);
    if (v <= MAX_SAFE && v >= -MAX_SAFE) return Number(v);
    return v;
  }

  function value() {
    if (i >= n) fail('unexpected end');
    const c = text.charCodeAt(i);
    if (c === 0x7b) { // {
      if (++depth > MAX_DEPTH) fail('nesting deeper than ' + MAX_DEPTH);
      i++;
      const obj = {};
      ws();
      if (text.charCodeAt(i) === 0x7d) { i++; depth--; return obj; }
      for (;;) {
        if (text.charCodeAt(i) !== 0x22) fail('expected a key');
        const k = str();
        ws();
        if (text.charCodeAt(i) !== 0x3a) fail("expected ':'");
        i++;
        ws();
        setMember(obj, k, value());
        ws();
        const d = text.charCodeAt(i);
        if (d === 0x2c) { i++; ws(); continue; }
        if (d === 0x7d) { i++; depth--; return obj; }
        fail("expected ',' or '}'");
      }
    }
    if (c === 0x5b) { // [
      if (++depth > MAX_DEPTH) fail('nesting deeper than ' + MAX_DEPTH);
      i++;
      const arr = [];
      ws();
      if (text.charCodeAt(i) === 0x5d) { i++; depth--; return arr; }
      for (;;) {
        arr.push(value());
        ws();
        const d = text.charCodeAt(i);
        if (d === 0x2c) { i++; ws(); continue; }
        if (d === 0x5d) { i++; depth--; return arr; }
        fail("expected ',' or ']'");
      }
    }
    if (c === 0x22) return str();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return num();
    if (text.startsWith('true', i)) { i += 4; return true; }
    if (text.startsWith('false', i)) { i += 5; return false; }
    if (text.startsWith('null', i)) { i += 4; return null; }
    fail('unexpected character');
  }

  ws();
  const v = value();
  ws();
  if (i !== n) fail('trailing characters');
  return v;
}

/** Parse a line's bytes: strict UTF-8 (no byte-order mark), then strict JSON. */
function parseLine(bytes) {
  let text;
  try {
    text = utf8Strict.decode(bytes);
  } catch {
    throw new NotJson('invalid UTF-8');
  }
  if (text.charCodeAt(0) === 0xfeff) throw new NotJson('byte-order mark');
  return { value: parseJsonStrict(text), text };
}

// ---------------------------------------------------------------------------------------
// Canonical serialisation (the document's "Serialisation rules").
// ---------------------------------------------------------------------------------------

const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

function serString(s) {
  if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"';
  let out = '"';
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c < 0x20) {
      if (c === 0x08) out += '\\b';
      else if (c === 0x09) out += '\\t';
      else if (c === 0x0a) out += '\\n';
      else if (c === 0x0c) out += '\\f';
      else if (c === 0x0d) out += '\\r';
      else out += '\\u00' + HEX[c];
    } else out += s[k];
  }
  return out + '"';
}

/** Order of keys by their UTF-8 bytes (= by code points). */
function compareKeys(a, b) {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) {
    let x = a.charCodeAt(k), y = b.charCodeAt(k);
    if (x === y) continue;
    // Surrogates (astral code points) sort above every BMP code unit in UTF-8 order.
    if (x >= 0xd800 && x <= 0xdfff) x += 0x10000;
    if (y >= 0xd800 && y <= 0xdfff) y += 0x10000;
    return x - y;
  }
  return a.length - b.length;
}

function sortedKeys(obj) {
  return Object.keys(obj).sort(compareKeys);
}

/**
 * How a compact JSON writer prints a float (shortest round trip, always with `.0` or an
 * exponent): only decides whether a float happens to be canonical (then step 7 rejects it).
 * A port of the Python verifier's _ser_float.
 */
function serFloat(lexeme) {
  const f = Number(lexeme);
  if (!Number.isFinite(f)) return null;
  const sign = f < 0 || Object.is(f, -0) ? '-' : '';
  if (f === 0) return sign + '0.0';
  const [mant, e] = Math.abs(f).toExponential().split('e');
  const digits = mant.replace('.', '').replace(/0+$/, '') || '0';
  const nd = digits.length;
  const kk = Number(e) + 1; // 10^(kk-1) <= |f| < 10^kk
  const k = kk - nd;
  let out;
  if (k >= 0 && kk <= 16) out = digits + '0'.repeat(k) + '.0';
  else if (kk > 0 && kk <= 16) out = digits.slice(0, kk) + '.' + digits.slice(kk);
  else if (kk > -5 && kk <= 0) out = '0.' + '0'.repeat(-kk) + digits;
  else if (nd === 1) out = digits + 'e' + (kk - 1);
  else out = digits[0] + '.' + digits.slice(1) + 'e' + (kk - 1);
  return sign + out;
}

class NoCanon extends Error {}

function ser(v) {
  if (v === null) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  const t = typeof v;
  if (t === 'number') {
    if (!Number.isInteger(v)) throw new NoCanon();
    return String(v === 0 ? 0 : v);
  }
  if (t === 'bigint') return v.toString();
  if (t === 'string') return serString(v);
  if (Array.isArray(v)) {
    let out = '[';
    for (let k = 0; k < v.length; k++) {
      if (k) out += ',';
      out += ser(v[k]);
    }
    return out + ']';
  }
  if (v instanceof JFloat) {
    const f = serFloat(v.lexeme);
    if (f === null) throw new NoCanon();
    return f;
  }
  if (v instanceof JWide) throw new NoCanon();
  if (t === 'object') {
    let out = '{';
    let first = true;
    for (const k of sortedKeys(v)) {
      if (!first) out += ',';
      first = false;
      out += serString(k) + ':' + ser(v[k]);
    }
    return out + '}';
  }
  throw new NoCanon();
}

/** The canonical form of a value (a string; its UTF-8 bytes are the line), or null if none. */
export function canonicalJson(v) {
  try {
    return ser(v);
  } catch (e) {
    if (e instanceof NoCanon) return null;
    throw e;
  }
}

function hasFloat(v) {
  const stack = [v];
  while (stack.length) {
    const x = stack.pop();
    if (x instanceof JFloat || x instanceof JWide) return true;
    if (Array.isArray(x)) stack.push(...x);
    else if (x !== null && typeof x === 'object') for (const k in x) stack.push(x[k]);
  }
  return false;
}

function isInt(v) {
  return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint';
}

function has(obj, k) {
  return Object.prototype.hasOwnProperty.call(obj, k);
}

function fieldsList(keys) {
  return '[' + [...keys].sort(compareKeys).map((k) => JSON.stringify(k)).join(', ') + ']';
}

/** The bytes a checkpoint signs: veiling-checkpoint/1\n{auction}\n{head_seq}\n{head}\n{at}\n{0|1}\n */
export function signedMessage(auction, headSeq, head, at, final) {
  return utf8.encode(
    `veiling-checkpoint/1\n${auction}\n${BigInt(headSeq)}\n${head}\n${BigInt(at)}\n${final ? '1' : '0'}\n`,
  );
}

// ---------------------------------------------------------------------------------------
// The verification algorithm.
// ---------------------------------------------------------------------------------------

class Failure extends Error {
  constructor(line, seq, code, reason, torn = false) {
    super(reason);
    this.problem = {
      line,
      seq: seq === null ? null : (typeof seq === 'bigint' && seq <= MAX_SAFE ? Number(seq) : seq),
      code,
      message: reason + (torn ? TORN_NOTE : ''),
      torn,
    };
  }
}

const yieldToEventLoop = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Verify a log.
 *
 * bytes: Uint8Array (or ArrayBuffer) of the whole file.
 * options.pubkey: the server's public key from a trusted source (64 lower-case hex digits, or
 *   32 bytes); the header must name it and it checks the signatures. Without it, the key in
 *   the header is used (which proves only that the log is consistent with itself).
 *   Throws a TypeError when it is given but is not a public key (the CLI's exit 2).
 * options.unsealedOk: accept a log that is not sealed (an auction still running).
 * options.onProgress({ line, offset, size }): called every options.yieldEvery lines (default
 *   2000), after which the verifier yields to the event loop so that a page stays responsive.
 *
 * Returns {
 *   ok,        // verifies (and sealed, unless unsealedOk)
 *   verified,  // every line passed (sealed or not)
 *   sealed,    // the last record is a checkpoint with "final":true
 *   torn,      // the first problem is a torn tail (an incomplete last write)
 *   problems: [{ line (1-based; null for "not sealed"), seq (or null), code, message, torn }],
 *              // at most one: verification stops at the first damage
 *   header,    // the parsed header record, or null
 *   records,   // the records accepted before the first problem, parsed, in file order
 *              // (integers are Number, or BigInt beyond 2^53)
 *   hashes,    // SHA-256 (hex) of each accepted record's line, parallel to records
 *   lines,     // lines read, the one with the problem included (a torn fragment counts)
 *   inputs, checkpoints, // counts among the accepted records (checkpoints = signatures verified)
 *   head,      // hash of the last accepted record, or null
 *   pubkey,    // hex of the key the signatures were checked with, or null
 *   keySource, // 'given' (options.pubkey) | 'header' | null
 * }
 */
export async function verifyLog(bytes, options = {}) {
  if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
  if (!(bytes instanceof Uint8Array)) throw new TypeError('verifyLog: bytes must be a Uint8Array');
  const opts = options || {};
  let trusted = null;
  if (opts.pubkey !== undefined && opts.pubkey !== null && opts.pubkey !== '') {
    trusted = parsePublicKey(opts.pubkey);
    if (!trusted) {
      throw new TypeError('not a public key (64 lower-case hex digits of an Ed25519 public key)');
    }
  }
  const trustedHex = trusted ? bytesToHex(trusted) : null;
  const yieldEvery = opts.yieldEvery > 0 ? opts.yieldEvery : 2000;
  const onProgress = typeof opts.onProgress === 'function' ? opts.onProgress : null;

  const result = {
    ok: false,
    verified: false,
    sealed: false,
    torn: false,
    problems: [],
    header: null,
    records: [],
    hashes: [],
    lines: 0,
    inputs: 0,
    checkpoints: 0,
    head: null,
    pubkey: trustedHex,
    keySource: trusted ? 'given' : null,
  };

  const cs = subtle();
  if (!cs) {
    result.problems.push({
      line: null, seq: null, code: 'no_webcrypto', torn: false,
      message: 'this browser offers no WebCrypto (crypto.subtle): open the page over https or from localhost',
    });
    return result;
  }

  let count = 0;
  let lastHash = null; // hash of the last record in R
  let lastKind = null;
  let lastAt = null; // BigInt
  let lastFinal = false;
  let lastNumber = null; // L: number of the last header or input record (BigInt)
  let header = null;
  let key = trusted; // bytes of K
  let cryptoKey = null;
  let n = 0;
  let pos = 0;
  const size = bytes.length;

  async function importKey(k) {
    try {
      return await cs.importKey('raw', k, { name: 'Ed25519' }, false, ['verify']);
    } catch (e) {
      return { unsupported: e };
    }
  }

  try {
    while (pos < size) {
      // 1. Framing.
      n++;
      result.lines = n;
      if (onProgress && n % yieldEvery === 0) {
        onProgress({ line: n, offset: pos, size });
        await yieldToEventLoop();
      }
      const nl = bytes.indexOf(0x0a, pos);
      if (nl < 0) {
        throw new Failure(n, null, 'torn_tail',
          `incomplete record: ${size - pos} byte(s) without the closing newline`, true);
      }
      const line = bytes.subarray(pos, nl);
      const isLast = nl === size - 1;
      pos = nl + 1;

      // 2. Length.
      if (line.length > MAX_LINE) throw new Failure(n, null, 'line_too_long', `record longer than ${MAX_LINE} bytes`);

      // 3. Parse.
      let value, text;
      try {
        ({ value, text } = parseLine(line));
      } catch (e) {
        if (!(e instanceof NotJson)) throw e;
        if (isLast) throw new Failure(n, null, 'torn_tail', 'not a JSON record', true);
        throw new Failure(n, null, 'not_json', 'not a JSON record');
      }

      // 4. Kind and number.
      const isObject = value !== null && typeof value === 'object' && !Array.isArray(value) &&
        !(value instanceof JFloat) && !(value instanceof JWide);
      let kind = '';
      let num = null; // BigInt
      if (isObject) {
        const k = has(value, 'kind') ? value.kind : undefined;
        kind = typeof k === 'string' ? k : '';
        const field = kind === 'checkpoint' ? 'head_seq' : 'seq';
        const nv = has(value, field) ? value[field] : undefined;
        if (isInt(nv) && BigInt(nv) >= 0n && BigInt(nv) <= I_MAX) num = BigInt(nv);
      }
      const fail = (code, reason) => { throw new Failure(n, num, code, reason); };

      // 5. Object.
      if (!isObject) fail('not_object', 'not a JSON object');

      // 6. Canonical form. (Strict UTF-8 decoding is one-to-one, so comparing the strings
      // compares the bytes.)
      if (canonicalJson(value) !== text) {
        fail('not_canonical', 'not in canonical form (re-serialised canonically, the line differs)');
      }

      // 7. No floats.
      if (hasFloat(value)) fail('not_integer', 'a number that is not an integer: the log has no floats');

      // 8. A number.
      if (num === null) fail('no_seq', 'no seq'); // for a checkpoint this means its head_seq

      // 9. Numbering.
      const expected = count === 0 ? 0n : kind === 'checkpoint' ? lastNumber : lastNumber + 1n;
      if (num !== expected) {
        fail('bad_seq', `${kind === 'checkpoint' ? 'head_seq' : 'seq'} ${num} where ${expected} was expected`);
      }

      // 10. Chain.
      const wantPrev = count === 0 ? ZERO_HASH : lastHash;
      const prev = has(value, 'prev') ? value.prev : undefined;
      if (typeof prev !== 'string') fail('chain_broken', 'no prev: the chain is broken');
      if (prev !== wantPrev) {
        fail('chain_broken', `prev ${prev} is not the hash of the previous record (${wantPrev}): the chain is broken`);
      }

      // 11. Time.
      const atv = has(value, 'at') ? value.at : undefined;
      if (!(isInt(atv) && BigInt(atv) >= AT_MIN && BigInt(atv) <= AT_MAX)) fail('no_time', 'no time (at)');
      const at = BigInt(atv);

      // 12. Time never decreases.
      if (count > 0 && at < lastAt) {
        fail('time_went_back', `time went back: at ${at} is before the previous record's at ${lastAt}`);
      }

      // 13. Sealed.
      if (count > 0 && lastKind === 'checkpoint' && lastFinal === true) {
        fail('after_seal', 'a record after the final checkpoint: the log was sealed');
      }

      // 14. Exact key set.
      if (has(FIELDS, kind)) {
        let want = FIELDS[kind];
        // The header's one optional key: present only when the schedule was shifted.
        if (kind === 'header' && has(value, 'schedule_shift_ms')) want = [...want, 'schedule_shift_ms'].sort(compareKeys);
        const keys = Object.keys(value);
        if (keys.length !== want.length || !want.every((k) => has(value, k))) {
          fail('bad_fields', `a record of kind ${kind} has exactly the fields ${fieldsList(want)}, not ${fieldsList(keys)}`);
        }
      }

      // 15. By number and kind.
      if (kind === 'header' && num === 0n) {
        for (const f of ['format', 'engine', 'auction', 'mode', 'config_sha256', 'config', 'pubkey']) {
          if (typeof value[f] !== 'string') fail('header_field', `header lacks a field (${f} is not a string)`);
        }
        if (has(value, 'schedule_shift_ms') && (!isInt(value.schedule_shift_ms) || BigInt(value.schedule_shift_ms) === 0n)) {
          fail('header_field', 'header lacks a field (schedule_shift_ms is not a non-zero integer)');
        }
        if (value.format !== FORMAT) fail('bad_format', `unknown format ${JSON.stringify(value.format)} (expected ${FORMAT})`);
        const digest = await sha256Hex(utf8.encode(value.config));
        if (value.config_sha256 !== digest) {
          fail('config_hash', `config_sha256 ${value.config_sha256} is not the SHA-256 of the config (${digest})`);
        }
        const pk = value.pubkey;
        if (trusted) {
          if (pk !== trustedHex) fail('key_mismatch', `the header names the key ${pk}, not the given public key ${trustedHex}`);
        } else if (pk !== '') {
          const t = pk.replace(WHITE_SPACE, '');
          if (!HEX64.test(t) || !isPublicKey(hexToBytes(t))) fail('bad_pubkey', 'pubkey is not an Ed25519 public key');
        }
      } else if (kind === 'header') {
        fail('second_header', 'a second header');
      } else if (num === 0n && count === 0) {
        fail('first_not_header', 'the first record must be the header');
      } else if (kind === 'input') {
        // Nothing more: who, cmd and outcome are checked only by replay.
      } else if (kind === 'checkpoint') {
        if (value.head !== wantPrev || lastKind === 'checkpoint') {
          fail('checkpoint_head', 'checkpoint does not name the record before it');
        }
        if (typeof value.final !== 'boolean') fail('final_not_boolean', 'final is not a boolean');
        const sig = value.sig;
        if (!(typeof sig === 'string' && HEX128.test(sig))) fail('bad_sig_format', 'sig is not 128 lower-case hex digits');
        if (!key) fail('no_key', 'checkpoint present but no public key to check it');
        if (!cryptoKey) cryptoKey = await importKey(key);
        if (cryptoKey.unsupported) {
          fail('no_ed25519', `this browser cannot check Ed25519 signatures (${cryptoKey.unsupported.message || cryptoKey.unsupported}): use a current browser or Node 20`);
        }
        const msg = signedMessage(header.auction, num, value.head, at, value.final);
        const sigBytes = hexToBytes(sig);
        // S must be below the group order (the document); not every implementation checks it.
        const good = sBelowL(sigBytes) && (await cs.verify({ name: 'Ed25519' }, cryptoKey, sigBytes, msg));
        if (!good) fail('bad_signature', 'checkpoint signature does not verify');
        result.checkpoints++;
      } else {
        fail('unknown_kind', 'unknown record kind');
      }

      // 16. Accept.
      if (kind === 'header') {
        header = value;
        result.header = value;
        if (!trusted) {
          const pk = value.pubkey.replace(WHITE_SPACE, '');
          key = pk ? hexToBytes(pk) : null;
          result.pubkey = pk ? pk : null;
          result.keySource = pk ? 'header' : null;
        }
      }
      if (kind === 'input') result.inputs++;
      count++;
      lastHash = await sha256Hex(line);
      lastKind = kind;
      lastAt = at;
      lastFinal = kind === 'checkpoint' ? value.final : false;
      if (kind !== 'checkpoint') lastNumber = num;
      result.records.push(value);
      result.hashes.push(lastHash);
    }
    if (count === 0) throw new Failure(1, null, 'empty_log', 'empty log: no header');
  } catch (e) {
    if (!(e instanceof Failure)) throw e;
    result.problems.push(e.problem);
    result.torn = e.problem.torn;
    result.head = lastHash;
    if (e.problem.line > result.lines) result.lines = e.problem.line;
    return result;
  }

  result.verified = true;
  result.head = lastHash;
  result.sealed = lastKind === 'checkpoint' && lastFinal === true;
  if (!result.sealed && !opts.unsealedOk) {
    result.problems.push({
      line: null, seq: null, code: 'not_sealed', torn: false,
      message: 'not sealed: the log does not end with the final checkpoint (an auction still running, or a log cut short)',
    });
  }
  result.ok = result.problems.length === 0;
  return result;
}

// ---------------------------------------------------------------------------------------
// Exact decimals (money, scores): "-?digits(.digits)?". Never floating point.
// ---------------------------------------------------------------------------------------

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

export function isDecimal(s) {
  return typeof s === 'string' && DECIMAL.test(s);
}

/** Number of decimals written (0 for "950"). */
export function decimalPlaces(s) {
  const m = DECIMAL.exec(s);
  if (!m) throw new TypeError(`not a decimal string: ${s}`);
  return m[3] ? m[3].length : 0;
}

/** The decimal as a BigInt in units of 10^-scale (scale >= its decimals; else truncated). */
export function decimalToScaled(s, scale) {
  const m = DECIMAL.exec(s);
  if (!m) throw new TypeError(`not a decimal string: ${s}`);
  const frac = (m[3] || '').padEnd(scale, '0').slice(0, scale);
  const v = BigInt(m[2] + frac);
  return m[1] ? -v : v;
}

/** A scaled BigInt back to a decimal string with exactly `scale` decimals. */
export function scaledToDecimal(v, scale) {
  const neg = v < 0n;
  let digits = (neg ? -v : v).toString().padStart(scale + 1, '0');
  if (scale > 0) digits = digits.slice(0, -scale) + '.' + digits.slice(-scale);
  return (neg ? '-' : '') + digits;
}

/** Exact comparison: negative, 0 or positive as a < b, a = b, a > b ("950" = "950.00"). */
export function compareDecimal(a, b) {
  const scale = Math.max(decimalPlaces(a), decimalPlaces(b));
  const x = decimalToScaled(a, scale);
  const y = decimalToScaled(b, scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * (v - min) / (max - min) as a Number in [0, 1], computed exactly in BigInt up to the final
 * division: only for a chart's pixel coordinates. 0.5 when max = min.
 */
export function decimalRatio(v, min, max) {
  const scale = Math.max(decimalPlaces(v), decimalPlaces(min), decimalPlaces(max));
  const a = decimalToScaled(v, scale), lo = decimalToScaled(min, scale), hi = decimalToScaled(max, scale);
  if (hi === lo) return 0.5;
  return Number(((a - lo) * 1000000n) / (hi - lo)) / 1000000;
}

/** The exact decimal at min + (max - min) * k / n, rounded down to the larger scale of the two. */
export function decimalBetween(min, max, k, n) {
  const scale = Math.max(decimalPlaces(min), decimalPlaces(max));
  const lo = decimalToScaled(min, scale), hi = decimalToScaled(max, scale);
  return scaledToDecimal(lo + ((hi - lo) * BigInt(k)) / BigInt(n), scale);
}

// ---------------------------------------------------------------------------------------
// The config text: title, lot, supplier and auctioneer names (a small reader of the few TOML
// forms the configs use, for display only; anything it cannot read is left out).
// ---------------------------------------------------------------------------------------

function tomlString(raw) {
  raw = raw.trim();
  let m = /^"((?:[^"\\]|\\.)*)"/.exec(raw);
  if (m) {
    return m[1].replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_, e) => {
      if (e[0] === 'u' || e[0] === 'U') return String.fromCodePoint(parseInt(e.slice(1), 16));
      return { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '"': '"', '\\': '\\' }[e] ?? e;
    });
  }
  m = /^'([^']*)'/.exec(raw);
  return m ? m[1] : null;
}

/** { title, auctionId, lots: [{id, name}], suppliers: [{id, name}], auctioneers: [{id, name}] } */
export function configInfo(text) {
  const info = { title: null, auctionId: null, lots: [], suppliers: [], auctioneers: [] };
  if (typeof text !== 'string') return info;
  let table = '';
  let item = null;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    let m = /^\[\[\s*([A-Za-z0-9_.-]+)\s*\]\]/.exec(line);
    if (m) {
      table = m[1];
      const list = { lots: info.lots, suppliers: info.suppliers, auctioneers: info.auctioneers }[table];
      item = list ? { id: null, name: null } : null;
      if (list) list.push(item);
      continue;
    }
    m = /^\[\s*([A-Za-z0-9_.-]+)\s*\]/.exec(line);
    if (m) {
      table = m[1];
      item = null;
      continue;
    }
    m = /^([A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    const [, k, v] = m;
    if (table === 'auction' && (k === 'title' || k === 'id')) {
      const s = tomlString(v);
      if (s !== null) info[k === 'title' ? 'title' : 'auctionId'] = s;
    } else if (item && (k === 'id' || k === 'name')) {
      const s = tomlString(v);
      if (s !== null) item[k] = s;
    }
  }
  for (const list of [info.lots, info.suppliers, info.auctioneers]) {
    for (let j = list.length - 1; j >= 0; j--) if (!list[j].id) list.splice(j, 1);
  }
  return info;
}

// ---------------------------------------------------------------------------------------
// summarize(records): what the auditor page shows per lot.
//
// READ from the log (as logged): every event, the bids (bid_accepted), voids (bid_voided),
// disqualifications, deadlines, and, for an awarded lot, the ranking itself (lot_awarded's
// winners, in their logged order and ranks).
// DERIVED here (not in the log): for a lot without a lot_awarded event, the standing ladder at
// the end of the records: each supplier's last accepted bid on the lot that was not voided
// (a void makes the previous one stand again), suppliers disqualified anywhere in the log left
// out, sorted by score as an exact decimal, lower first; equal scores rank the earlier bid
// (lower bid number) first, as docs/config.md "Ties" says for both ties settings.
// This does not re-check the rules (that is what `veiling replay` does).
// ---------------------------------------------------------------------------------------

const LOT_EVENTS = new Set([
  'lot_opened', 'lot_scheduled', 'bid_accepted', 'lot_extended', 'lot_closed', 'bid_voided', 'lot_awarded',
  'price_offered', 'bidder_dropped', 'round_opened', 'round_closed',
  'turn_round_opened', 'turn_started', 'turn_ended',
]);

function asNum(v) {
  return typeof v === 'bigint' ? Number(v) : v;
}

function byScoreThenBid(a, b) {
  const okA = isDecimal(a.score), okB = isDecimal(b.score);
  if (okA && okB) {
    const c = compareDecimal(a.score, b.score);
    if (c) return c;
  } else if (okA !== okB) {
    return okA ? -1 : 1; // an unreadable score last
  }
  return a.bid - b.bid;
}

/**
 * summarize(records, config?) -> {
 *   auction, firstAt, lastAt, inputs, accepted, rejected, repeated, checkpoints, sealed,
 *   phase: 'scheduled'|'open'|'paused'|'closed'|'awarded'|'terminated',
 *   events: [{ seq, at, event, ...fields }]        // every event, in order
 *   disqualified: [supplier ids],
 *   lots: [{
 *     lot, name, phase, deadline, extensions,
 *     events: [...]                                // the events naming this lot
 *     bids: [{ at, supplier, total, score, bid, voided, lines, initial }],   // every accepted bid
 *                                   // (initial: a turn-based auction's initial price)
 *     bidsVoided,
 *     ladder: [{ rank, supplier, total, score, bid, at }],  // derived, always
 *     ranking: [...same shape],     // the award's winners if awarded, else the ladder
 *     rankingSource: 'award' | 'derived',
 *     reserveMet: true|false|null (award only),
 *   }],
 * }
 * Money and scores stay the logged decimal strings.
 */
export function summarize(records, config = null) {
  const recs = Array.isArray(records) ? records : [];
  const info = config || configInfo(recs[0] && recs[0].kind === 'header' ? recs[0].config : null);
  const lots = new Map();
  const lot = (id) => {
    if (typeof id !== 'string') return null;
    if (!lots.has(id)) {
      const known = info.lots.find((l) => l.id === id);
      lots.set(id, {
        lot: id, name: known ? known.name : null, phase: 'scheduled', deadline: null, extensions: 0,
        events: [], bids: [], ranking: [], rankingSource: 'derived', reserveMet: null, award: null,
        dropped: new Set(),
      });
    }
    return lots.get(id);
  };
  for (const l of info.lots) lot(l.id);

  const out = {
    auction: recs[0] && recs[0].kind === 'header' ? recs[0].auction : null,
    title: info.title,
    firstAt: null, lastAt: null,
    inputs: 0, accepted: 0, rejected: 0, repeated: 0, checkpoints: 0, sealed: false,
    phase: 'scheduled',
    events: [],
    disqualified: [],
    lots: [],
  };
  const bidsByNumber = new Map();
  const disqualified = new Set();

  for (const r of recs) {
    if (!r || typeof r !== 'object') continue;
    const at = asNum(r.at);
    if (typeof at === 'number') {
      if (out.firstAt === null) out.firstAt = at;
      out.lastAt = at;
    }
    if (r.kind === 'checkpoint') {
      out.checkpoints++;
      out.sealed = r.final === true;
      continue;
    }
    if (r.kind !== 'input') continue;
    out.inputs++;
    const oc = r.outcome && typeof r.outcome === 'object' ? r.outcome : {};
    if (has(oc, 'rejected')) { out.rejected++; continue; }
    if (has(oc, 'repeated')) { out.repeated++; continue; }
    if (!Array.isArray(oc.accepted)) continue;
    out.accepted++;
    const seq = asNum(r.seq);
    for (const ev of oc.accepted) {
      if (!ev || typeof ev !== 'object' || typeof ev.event !== 'string') continue;
      const e = { seq, ...ev, at: asNum(ev.at) };
      out.events.push(e);
      switch (ev.event) {
        case 'auction_opened': out.phase = 'open'; break;
        case 'auction_paused': out.phase = 'paused'; break;
        case 'auction_resumed': out.phase = 'open'; break;
        case 'auction_closed': out.phase = 'closed'; break;
        case 'auction_awarded': out.phase = 'awarded'; break;
        case 'auction_terminated':
          out.phase = 'terminated';
          for (const l of lots.values()) if (l.phase !== 'awarded') l.phase = 'terminated';
          break;
        case 'supplier_disqualified':
          if (typeof ev.supplier === 'string') disqualified.add(ev.supplier);
          break;
        default: break;
      }
      if (!LOT_EVENTS.has(ev.event)) continue;
      const l = lot(ev.lot);
      if (!l) continue;
      l.events.push(e);
      switch (ev.event) {
        case 'lot_opened': l.phase = 'open'; l.deadline = asNum(ev.deadline); break;
        case 'lot_extended':
          l.deadline = asNum(ev.to);
          if (ev.cause === 'bid') l.extensions = Math.max(l.extensions, asNum(ev.extensions_used) || 0);
          break;
        case 'lot_closed': l.phase = 'closed'; break;
        case 'bid_accepted': {
          const b = {
            at: e.at, supplier: ev.supplier, total: ev.total, score: ev.score,
            bid: asNum(ev.bid), voided: false, lines: Array.isArray(ev.lines) ? ev.lines : [],
            // Turn-based rounds: an initial price from the qualification, entered by the system
            // at the opening (an `initial_bid` command), has the empty client_bid_id.
            initial: ev.client_bid_id === '',
          };
          l.bids.push(b);
          bidsByNumber.set(b.bid, b);
          break;
        }
        case 'bid_voided': {
          const b = bidsByNumber.get(asNum(ev.bid));
          if (b) b.voided = true;
          break;
        }
        // Japanese auction: who dropped out left the lot's ladder.
        case 'bidder_dropped':
          if (typeof ev.supplier === 'string') l.dropped.add(ev.supplier);
          break;
        case 'lot_awarded': {
          l.phase = 'awarded';
          l.reserveMet = typeof ev.reserve_met === 'boolean' ? ev.reserve_met : null;
          l.award = Array.isArray(ev.winners) ? ev.winners : [];
          break;
        }
        default: break;
      }
    }
  }

  out.disqualified = [...disqualified];
  for (const l of lots.values()) {
    // Derived: the standing ladder at the end of the records.
    const standing = new Map();
    for (const b of l.bids) {
      if (b.voided || disqualified.has(b.supplier) || l.dropped.has(b.supplier)
        || typeof b.supplier !== 'string') continue;
      standing.set(b.supplier, b); // the last non-voided accepted bid stands
    }
    l.dropped = [...l.dropped];
    l.ladder = [...standing.values()]
      .sort(byScoreThenBid)
      .map((b, k) => ({ rank: k + 1, supplier: b.supplier, total: b.total, score: b.score, bid: b.bid, at: b.at }));
    l.bidsVoided = l.bids.filter((b) => b.voided).length;
    if (l.award) {
      // Read: the ranking the auctioneer's award logged (its winners, rank 1 first).
      l.rankingSource = 'award';
      l.ranking = l.award
        .filter((w) => w && typeof w === 'object')
        .map((w) => {
          const b = bidsByNumber.get(asNum(w.bid));
          return {
            rank: asNum(w.rank), supplier: w.supplier, total: w.total, score: w.score,
            bid: asNum(w.bid), at: b ? b.at : null,
          };
        });
    } else {
      l.rankingSource = 'derived';
      l.ranking = l.ladder;
    }
    delete l.award;
    out.lots.push(l);
  }
  return out;
}
