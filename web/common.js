// Shared by the bidder page, the auctioneer console and the auditor page: language, exact
// decimal arithmetic and Dutch formatting of money, times in Europe/Amsterdam, and the
// WebSocket session (sign-in, reconnect with backoff, resume by seq, server clock offset).
//
// Money and scores arrive as decimal strings ("1234.50"). They are never turned into floating
// point: arithmetic below works on BigInt with an explicit number of decimals.

export const TIME_ZONE = 'Europe/Amsterdam';

// ---------------------------------------------------------------------------------------------
// Language

const LANG_KEY = 'veiling.lang';

/** The page language: 'nl' (default) or 'en', remembered in localStorage. */
export function getLang() {
  try {
    const v = localStorage.getItem(LANG_KEY);
    if (v === 'en' || v === 'nl') return v;
  } catch (_) { /* storage may be blocked */ }
  return 'nl';
}

export function setLang(lang) {
  try { localStorage.setItem(LANG_KEY, lang); } catch (_) { /* ignore */ }
  document.documentElement.lang = lang;
}

/**
 * A translator over `dict = {nl: {key: text}, en: {key: text}}`. Texts may hold `{name}`
 * placeholders, filled from `vars`. A missing key falls back to English, then to the key.
 */
export function translator(dict) {
  return (key, vars = {}) => {
    const lang = getLang();
    const text = (dict[lang] && dict[lang][key]) ?? (dict.en && dict.en[key]) ?? key;
    return text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  };
}

/**
 * Wire a language switch: a <select> (or anything with .value and 'change') whose options are
 * 'nl' and 'en'. `rerender` is called after a change.
 */
export function bindLangSwitch(select, rerender) {
  select.value = getLang();
  document.documentElement.lang = getLang();
  select.addEventListener('change', () => {
    setLang(select.value);
    rerender();
  });
}

// ---------------------------------------------------------------------------------------------
// Exact decimals: {n: BigInt, s: scale} means n / 10^s.

const DEC_RE = /^(-?)(\d+)(?:\.(\d+))?$/;

/** Parse a wire decimal string ("-12.50"); null when it is not one. */
export function dec(str) {
  if (typeof str !== 'string') return null;
  const m = DEC_RE.exec(str);
  if (!m) return null;
  const frac = m[3] ?? '';
  const n = BigInt(m[2] + frac) * (m[1] === '-' ? -1n : 1n);
  return { n, s: frac.length };
}

function rescale(a, s) {
  return a.n * 10n ** BigInt(s - a.s);
}

/** Compare two decimal strings exactly: -1, 0 or 1. */
export function decCmp(a, b) {
  const x = typeof a === 'string' ? dec(a) : a;
  const y = typeof b === 'string' ? dec(b) : b;
  const s = Math.max(x.s, y.s);
  const p = rescale(x, s);
  const q = rescale(y, s);
  return p < q ? -1 : p > q ? 1 : 0;
}

/** Render {n, s} as a plain decimal string with exactly s decimals. */
export function decString(d) {
  const neg = d.n < 0n;
  let digits = (neg ? -d.n : d.n).toString();
  if (d.s > 0) {
    digits = digits.padStart(d.s + 1, '0');
    digits = digits.slice(0, digits.length - d.s) + '.' + digits.slice(digits.length - d.s);
  }
  return (neg ? '-' : '') + digits;
}

export function decAdd(a, b) {
  const s = Math.max(a.s, b.s);
  return { n: rescale(a, s) + rescale(b, s), s };
}

export function decSub(a, b) {
  const s = Math.max(a.s, b.s);
  return { n: rescale(a, s) - rescale(b, s), s };
}

export function decMul(a, b) {
  return { n: a.n * b.n, s: a.s + b.s };
}

/**
 * How far `next` lies below `prev`, in percent of `prev`, as an exact comparison:
 * true when (prev - next) / prev * 100 > percent. All three are decimal strings.
 */
export function dropsMoreThan(prev, next, percent) {
  const p = dec(prev);
  const n = dec(next);
  const pc = dec(percent);
  if (!p || !n || !pc || p.n <= 0n) return false;
  // (p - n) * 100 > pc * p, all brought to one scale.
  const left = decMul(decSub(p, n), { n: 100n, s: 0 });
  const right = decMul(pc, p);
  return decCmp(left, right) > 0;
}

/** The drop of `next` below `prev` in percent, rounded down to one decimal, as a string. */
export function dropPercent(prev, next) {
  const p = dec(prev);
  const n = dec(next);
  if (!p || !n || p.n <= 0n) return '0';
  const s = Math.max(p.s, n.s);
  const diff = rescale(p, s) - rescale(n, s);
  const tenths = (diff * 1000n) / rescale(p, s);
  return decString({ n: tenths, s: 1 });
}

// ---------------------------------------------------------------------------------------------
// Formatting

function group(intDigits, sep) {
  let out = '';
  for (let i = 0; i < intDigits.length; i++) {
    if (i > 0 && (intDigits.length - i) % 3 === 0) out += sep;
    out += intDigits[i];
  }
  return out;
}

/**
 * A decimal string as an amount: nl `€ 1.234,50` (with a no-break space), en `€1,234.50`. Exact: the digits are the
 * string's own, grouped; nothing is rounded. `currency` null prints the number alone.
 */
export function fmtMoney(str, lang = getLang(), currency = 'EUR') {
  const m = typeof str === 'string' ? DEC_RE.exec(str) : null;
  if (!m) return str == null ? '' : String(str);
  const nl = lang !== 'en';
  const num = group(m[2], nl ? '.' : ',') + (m[3] !== undefined ? (nl ? ',' : '.') + m[3] : '');
  const sym = currency === 'EUR' ? '€' : currency;
  if (!sym) return m[1] + num;
  // A no-break space: the sign never wraps away from the number.
  return nl ? `${m[1]}${sym}\u00a0${num}` : `${m[1]}${sym}${num}`;
}

/** A score or other plain decimal, grouped like money but without a currency sign. */
export function fmtNumber(str, lang = getLang()) {
  return fmtMoney(str, lang, null);
}

/**
 * What a bidder typed as an amount, as a wire decimal string, or null. Dutch input uses `,`
 * for decimals and `.` (or a space) for thousands: `1.234,50`. English input the other way
 * round: `1,234.50`. A lone separator followed by exactly three digits is taken as a
 * thousands separator only in the thousands style of the language (`1.234` in Dutch is 1234).
 */
export function parseAmount(text, lang = getLang()) {
  if (typeof text !== 'string') return null;
  let t = text.replace(/[\s\u00a0€]/g, '');
  if (t === '') return null;
  const decSep = lang === 'en' ? '.' : ',';
  const thouSep = lang === 'en' ? ',' : '.';
  const parts = t.split(decSep);
  if (parts.length > 2) return null;
  let [intPart, frac] = parts;
  if (intPart.includes(thouSep)) {
    const groups = intPart.split(thouSep);
    if (!/^\d{1,3}$/.test(groups[0]) || groups.slice(1).some((g) => !/^\d{3}$/.test(g))) {
      return null;
    }
    intPart = groups.join('');
  }
  if (!/^\d+$/.test(intPart)) return null;
  if (frac !== undefined && !/^\d+$/.test(frac)) return null;
  return frac !== undefined ? `${intPart}.${frac}` : intPart;
}

/** A decimal string as the user would type it back in the language (no currency, no groups). */
export function toInputText(str, lang = getLang()) {
  if (typeof str !== 'string') return '';
  return lang === 'en' ? str : str.replace('.', ',');
}

const fmtCache = new Map();
function dtf(lang, opts) {
  const key = lang + JSON.stringify(opts);
  let f = fmtCache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'nl-NL', { timeZone: TIME_ZONE, ...opts });
    fmtCache.set(key, f);
  }
  return f;
}

/** Date and time in Europe/Amsterdam: nl `17-09-2024 10:05:00`. */
export function fmtTime(ms, lang = getLang()) {
  if (typeof ms !== 'number') return '';
  return dtf(lang, {
    year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
  }).format(new Date(ms));
}

/** Time of day in Europe/Amsterdam: `10:05:00`. */
export function fmtClock(ms, lang = getLang()) {
  if (typeof ms !== 'number') return '';
  return dtf(lang, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })
    .format(new Date(ms));
}

/** A remaining time as `1:02:03` or `02:03` (never negative). */
export function fmtCountdown(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

// ---------------------------------------------------------------------------------------------
// DOM helpers

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** Create an element: el('td', {class: 'x', 'data-testid': 'y'}, 'text', child, ...). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// ---------------------------------------------------------------------------------------------
// Tokens: taken from the URL fragment (#token=vt_...), which never reaches the server's logs,
// or from the sign-in form; kept in sessionStorage so that a reload stays signed in.

const TOKEN_KEY = 'veiling.token';

export function initialToken() {
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m) {
    const token = decodeURIComponent(m[1]);
    history.replaceState(null, '', location.pathname + location.search);
    try { sessionStorage.setItem(TOKEN_KEY, token); } catch (_) { /* ignore */ }
    return token;
  }
  try { return sessionStorage.getItem(TOKEN_KEY); } catch (_) { return null; }
}

export function rememberToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch (_) { /* ignore */ }
}

// ---------------------------------------------------------------------------------------------
// The WebSocket session

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15000;
const PING_EVERY_MS = 30000;
const PING_SAMPLES = 5;
const PENDING_MAX = 256;

/**
 * One participant's session with the server, kept alive across disconnects.
 *
 * Callbacks (all optional):
 * - `onStatus(status, detail)`: 'connecting' | 'open' | 'reconnecting' | 'failed'
 *   ('failed': the token was refused; no retry). `detail` is the error message.
 * - `onWelcome(welcome)`: after each successful sign-in (also after a reconnect).
 * - `onMessage(msg)`: every other server message (notices, state, answers).
 * - `onClock()`: the clock offset changed.
 *
 * `request(msg)` sends a message with a fresh req_id and resolves with the direct answer
 * (accepted, rejected, done, error, state, pong); it rejects when the connection is lost
 * before the answer came (the caller can then check its own bids in the next snapshot).
 */
export class Session {
  constructor(token, callbacks = {}) {
    this.token = token;
    this.cb = callbacks;
    this.ws = null;
    this.status = 'connecting';
    this.lastSeq = null; // highest notice seq seen: resume_from on reconnect
    this.offset = 0; // server clock minus local clock, ms
    this.rtt = null;
    this.samples = [];
    this.nextReq = 1;
    this.pending = new Map();
    this.attempt = 0;
    this.timer = null;
    this.pingTimer = null;
    this.stopped = false;
    this.welcome = null;
    this.closeInfo = null;
    this.onWake = () => {
      if (document.visibilityState === 'visible') this.wake();
    };
    document.addEventListener('visibilitychange', this.onWake);
    window.addEventListener('online', this.onWake);
    window.addEventListener('pageshow', this.onWake);
    this.connect();
  }

  url() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${proto}//${location.host}/ws`;
  }

  setStatus(status, detail) {
    if (status === this.status && detail === this.statusDetail) return;
    this.status = status;
    this.statusDetail = detail;
    this.cb.onStatus?.(status, detail);
  }

  connect() {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.setStatus(this.attempt === 0 ? 'connecting' : 'reconnecting');
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch (e) {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      const auth = { type: 'auth', req_id: 'auth', token: this.token };
      if (this.lastSeq !== null) auth.resume_from = this.lastSeq;
      ws.send(JSON.stringify(auth));
    };
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch (_) { return; }
      this.handle(msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.pingTimer);
      this.closeInfo = { code: ev.code, reason: ev.reason };
      for (const [, p] of this.pending) p.reject(new Error('disconnected'));
      this.pending.clear();
      if (this.status === 'failed' || this.stopped) return;
      this.scheduleReconnect();
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  scheduleReconnect() {
    this.attempt += 1;
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(this.attempt - 1, 10));
    const delay = base / 2 + Math.random() * (base / 2);
    this.setStatus('reconnecting');
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  /** The tab or device woke up: reconnect now if down, and measure the clock again. */
  wake() {
    if (this.stopped || this.status === 'failed') return;
    if (!this.ws) {
      this.attempt = Math.max(this.attempt, 1);
      this.connect();
    } else if (this.ws.readyState === WebSocket.OPEN) {
      this.samples = [];
      this.ping();
    }
  }

  handle(msg) {
    if (msg.type === 'welcome') {
      this.attempt = 0;
      this.welcome = msg;
      // The welcome's snapshot includes every input up to its seq. After a complete resume the
      // missed notices follow it, and the highest of them is where the next resume starts (so
      // a catch-up cut short by the server loses no history); otherwise the snapshot's seq is.
      if (typeof msg.seq === 'number' && (msg.resumed !== 'complete' || this.lastSeq === null)) {
        this.lastSeq = msg.seq;
      }
      this.setStatus('open');
      this.rough(msg.server_time);
      // A first offset from a burst of pings; then one now and then.
      for (let i = 0; i < 3; i++) setTimeout(() => this.ping(), 200 * i);
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.ping(), PING_EVERY_MS);
      // Last: the callback may stop the session.
      this.cb.onWelcome?.(msg);
      return;
    }
    if (msg.type === 'error' && msg.req_id === 'auth') {
      if (msg.code === 'auth_failed') {
        this.setStatus('failed', msg.message);
        return;
      }
      // too_many_connections, overloaded: the server closes; onclose retries with backoff.
      this.cb.onMessage?.(msg);
      return;
    }
    if (msg.type === 'pong' && typeof msg.req_id === 'string' && msg.req_id.startsWith('clock')) {
      if (typeof msg.client_time === 'number') {
        this.sample(msg.server_time, msg.client_time, Date.now());
      }
      return;
    }
    if (typeof msg.seq === 'number' && isNotice(msg)) {
      if (this.lastSeq === null || msg.seq > this.lastSeq) this.lastSeq = msg.seq;
    }
    if (msg.type === 'state' && typeof msg.seq === 'number') {
      // A snapshot comes after the notices of every input it includes.
      if (this.lastSeq === null || msg.seq > this.lastSeq) this.lastSeq = msg.seq;
      this.rough(msg.server_time);
    }
    if (msg.req_id !== undefined && this.pending.has(msg.req_id)) {
      const p = this.pending.get(msg.req_id);
      this.pending.delete(msg.req_id);
      p.resolve(msg);
    }
    this.cb.onMessage?.(msg);
  }

  /** A first, rough offset from a server time in a message, until a ping has measured one. */
  rough(serverTime) {
    if (typeof serverTime !== 'number' || this.samples.length > 0) return;
    this.offset = serverTime - Date.now();
    this.cb.onClock?.();
  }

  /** Record one clock sample; keep the offset of the smallest round trip among the last few. */
  sample(serverTime, t1, t2) {
    if (typeof serverTime !== 'number') return;
    const rtt = t2 - t1;
    this.samples.push({ rtt, offset: serverTime - (t1 + t2) / 2 });
    if (this.samples.length > PING_SAMPLES) this.samples.shift();
    const best = this.samples.reduce((a, b) => (b.rtt < a.rtt ? b : a));
    this.offset = best.offset;
    this.rtt = best.rtt;
    this.cb.onClock?.();
  }

  ping() {
    if (!this.stopped && this.ws && this.ws.readyState === WebSocket.OPEN && this.status === 'open') {
      const id = `clock-${this.nextReq++}`;
      this.ws.send(JSON.stringify({ type: 'ping', req_id: id, client_time: Date.now() }));
    }
  }

  /** The server's clock now, as well as this client knows it. */
  serverNow() {
    return Date.now() + this.offset;
  }

  get connected() {
    return this.status === 'open';
  }

  /** Send a message and wait for its direct answer. */
  request(msg) {
    return new Promise((resolve, reject) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN || this.status !== 'open') {
        reject(new Error('not connected'));
        return;
      }
      if (this.pending.size >= PENDING_MAX) {
        reject(new Error('too many requests waiting'));
        return;
      }
      const req_id = `r-${this.nextReq++}`;
      this.pending.set(req_id, { resolve, reject });
      this.ws.send(JSON.stringify({ ...msg, req_id }));
    });
  }

  /** Drop the connection on purpose (sign out). */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pingTimer);
    document.removeEventListener('visibilitychange', this.onWake);
    window.removeEventListener('online', this.onWake);
    window.removeEventListener('pageshow', this.onWake);
    for (const [, p] of this.pending) p.reject(new Error('signed out'));
    this.pending.clear();
    if (this.ws) this.ws.close(1000, 'signed out');
    this.ws = null;
  }
}

const NOTICES = new Set([
  'phase', 'extended', 'paused', 'resumed', 'bid_voided', 'disqualified', 'message',
  'terminated', 'result', 'bid', 'request', 'request_settled', 'price', 'round', 'dropped',
  'turn',
]);

/** A notice (as opposed to an answer or a snapshot): carries the seq of its input. */
export function isNotice(msg) {
  return NOTICES.has(msg.type) && msg.req_id === undefined;
}
