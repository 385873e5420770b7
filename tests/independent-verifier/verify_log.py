#!/usr/bin/env python3
"""Independent verifier for `veiling-log/1` bid logs.

Written from docs/log-format.md alone (no Rust source was read), to show that the
document is complete enough to build a verifier from. Standard library only.

Usage: python3 verify_log.py LOG [--pubkey FILE] [--unsealed-ok]

Exit 0: the log verifies (and is sealed, or --unsealed-ok was given).
Exit 1: the log fails (first problem, with its line number), or is not sealed.
Exit 2: usage error, unreadable log, or a --pubkey file that is not a public key.

It implements "Verification algorithm" (steps 1-16 and the end-of-file rules) in
the order the document gives. It does not replay (outcomes are not recomputed).
"""

import hashlib
import json
import re
import sys
from decimal import Decimal

# --------------------------------------------------------------------------------------
# Ed25519 verification (RFC 8032 section 5.1.7), pure Python, cofactorless as the
# document requires: [S]B = R + [k]A, with R compared as encoded bytes, S < L.
# --------------------------------------------------------------------------------------

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _recover_x(y, sign):
    """RFC 8032 5.1.3 steps 2-4. Returns x or None when there is no such point."""
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        if sign:
            return None
        return 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def point_decode(s):
    """RFC 8032 5.1.3 decoding; None if the 32 bytes are not a (canonical) curve point."""
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


def is_public_key(s):
    """A canonical encoding (point_decode) of a point of large order: the document refuses
    the 8 small-order points, under which anyone can make signatures that verify."""
    pt = point_decode(s)
    if pt is None:
        return False
    return point_encode(point_mul(8, pt)) != (1).to_bytes(32, "little")


def point_add(p1, p2):
    a = (p1[1] - p1[0]) * (p2[1] - p2[0]) % P
    b = (p1[1] + p1[0]) * (p2[1] + p2[0]) % P
    c = 2 * p1[3] * p2[3] * D % P
    d = 2 * p1[2] * p2[2] % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def point_mul(s, pt):
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = point_add(q, pt)
        pt = point_add(pt, pt)
        s >>= 1
    return q


def point_encode(pt):
    zinv = pow(pt[2], P - 2, P)
    x = pt[0] * zinv % P
    y = pt[1] * zinv % P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


_BY = 4 * pow(5, P - 2, P) % P
_BX = _recover_x(_BY, 0)
BASE = (_BX, _BY, 1, _BX * _BY % P)


def ed25519_verify(public, msg, sig):
    """Cofactorless Ed25519 verification; public and sig are bytes (32 and 64)."""
    if len(public) != 32 or len(sig) != 64:
        return False
    a = point_decode(public)
    if a is None:
        return False
    r_bytes = sig[:32]
    s = int.from_bytes(sig[32:], "little")
    if s >= L:
        return False
    k = int.from_bytes(hashlib.sha512(r_bytes + public + msg).digest(), "little") % L
    neg_a = ((P - a[0]) % P, a[1], a[2], (P - a[3]) % P)
    r_check = point_add(point_mul(s, BASE), point_mul(k, neg_a))
    return point_encode(r_check) == r_bytes


# --------------------------------------------------------------------------------------
# Strict JSON parsing and canonical re-serialisation ("Canonical JSON").
# --------------------------------------------------------------------------------------

MAX_LINE = 8_388_608
MAX_DEPTH = 127  # 128 or more nested levels are not JSON (the document)
I_MIN, I_MAX = -(2**63), 2**64 - 1
AT_MIN, AT_MAX = -(2**63), 2**63 - 1


class NotJson(Exception):
    pass


class Float:
    """A number written with a fraction or an exponent (never valid in a record)."""

    __slots__ = ("lexeme",)

    def __init__(self, lexeme):
        self.lexeme = lexeme


class WideInt:
    """An integer outside -2^63 .. 2^64-1 (never canonical)."""

    __slots__ = ("lexeme",)

    def __init__(self, lexeme):
        self.lexeme = lexeme


def _parse_int(s):
    # Guard against Python's int-string length limit: anything this long is out of range.
    if len(s.lstrip("-")) > 20:
        return WideInt(s)
    v = int(s)
    if v < I_MIN or v > I_MAX:
        return WideInt(s)
    return v


def _reject_constant(name):
    raise NotJson("not JSON: %s" % name)


def _pairs(pairs):
    # A duplicate key keeps the last value; the re-serialised object then has fewer
    # members than the line, so the canonical comparison fails, as the document says.
    return dict(pairs)


_DECODER = json.JSONDecoder(
    parse_float=Float,
    parse_int=_parse_int,
    parse_constant=_reject_constant,
    object_pairs_hook=_pairs,
    strict=True,
)
_STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET_RE = re.compile(r"[\[\]{}]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _nesting_too_deep(text):
    depth = 0
    for m in _BRACKET_RE.finditer(_STRING_RE.sub("", text)):
        if m.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        else:
            depth -= 1
    return False


def _check_surrogates(v):
    stack = [v]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if _SURROGATE_RE.search(v):
                raise NotJson("unpaired surrogate")
        elif isinstance(v, dict):
            for k, x in v.items():
                if _SURROGATE_RE.search(k):
                    raise NotJson("unpaired surrogate")
                stack.append(x)
        elif isinstance(v, list):
            stack.extend(v)


def parse_json(line):
    """Strict RFC 8259 parse of one line (bytes). Raises NotJson."""
    try:
        text = line.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        raise NotJson("invalid UTF-8")
    if text.startswith("\ufeff"):
        raise NotJson("byte-order mark")
    if _nesting_too_deep(text):
        raise NotJson("nesting deeper than %d" % MAX_DEPTH)
    try:
        value = _DECODER.decode(text)
    except (ValueError, RecursionError) as e:  # JSONDecodeError is a ValueError
        raise NotJson(str(e))
    _check_surrogates(value)
    return value


_ESCAPES = {0x22: '\\"', 0x5C: "\\\\", 0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"}
for _c in range(0x20):
    _ESCAPES.setdefault(_c, "\\u%04x" % _c)
_ESCAPE_TABLE = {k: v for k, v in _ESCAPES.items()}


def _ser_str(s):
    return '"' + s.translate(_ESCAPE_TABLE) + '"'


def _ser_float(lexeme):
    """Shortest round-trip form of an f64 as a compact JSON writer prints it (always
    with `.0` or an exponent, `1e20`, `1.5e-7`, `0.001`). Only decides whether a float
    happens to be written canonically (the document leaves this open; see README).
    A float is damage anyway (step 7), on the same line."""
    try:
        f = float(lexeme)
    except (OverflowError, ValueError):
        return None
    if f != f or f in (float("inf"), float("-inf")):
        return None
    sign = "-" if str(f).startswith("-") else ""
    if f == 0:
        return sign + "0.0"
    t = Decimal(repr(abs(f))).normalize().as_tuple()
    digits = "".join(map(str, t.digits))
    n, k = len(digits), t.exponent
    kk = n + k  # 10^(kk-1) <= |f| < 10^kk
    if 0 <= k and kk <= 16:
        out = digits + "0" * k + ".0"
    elif 0 < kk <= 16:
        out = digits[:kk] + "." + digits[kk:]
    elif -5 < kk <= 0:
        out = "0." + "0" * (-kk) + digits
    elif n == 1:
        out = digits + "e" + str(kk - 1)
    else:
        out = digits[0] + "." + digits[1:] + "e" + str(kk - 1)
    return sign + out


class _NoCanon(Exception):
    pass


def canonical(v):
    """Serialise a parsed value by the document's rules, as a str (UTF-8 later)."""
    out = []

    def ser(v):
        if v is None:
            out.append("null")
        elif v is True:
            out.append("true")
        elif v is False:
            out.append("false")
        elif isinstance(v, int):
            out.append(str(v))
        elif isinstance(v, str):
            out.append(_ser_str(v))
        elif isinstance(v, list):
            out.append("[")
            for i, x in enumerate(v):
                if i:
                    out.append(",")
                ser(x)
            out.append("]")
        elif isinstance(v, dict):
            out.append("{")
            for i, k in enumerate(sorted(v, key=lambda k: k.encode("utf-8"))):
                if i:
                    out.append(",")
                out.append(_ser_str(k))
                out.append(":")
                ser(v[k])
            out.append("}")
        elif isinstance(v, Float):
            f = _ser_float(v.lexeme)
            if f is None:
                raise _NoCanon()
            out.append(f)
        elif isinstance(v, WideInt):
            raise _NoCanon()
        else:  # pragma: no cover
            raise _NoCanon()

    ser(v)
    return "".join(out)


def has_float(v):
    stack = [v]
    while stack:
        v = stack.pop()
        if isinstance(v, (Float, WideInt)):
            return True
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


# --------------------------------------------------------------------------------------
# The verification algorithm.
# --------------------------------------------------------------------------------------

ZERO_HASH = "0" * 64
FORMAT = "veiling-log/1"
FIELDS = {
    "header": ["at", "auction", "config", "config_sha256", "engine", "format", "kind", "mode", "prev", "pubkey", "seq"],
    "input": ["at", "cmd", "kind", "outcome", "prev", "seq", "who"],
    "checkpoint": ["at", "final", "head", "head_seq", "kind", "prev", "sig"],
}
HEX64 = re.compile(r"[0-9a-f]{64}\Z")
HEX128 = re.compile(r"[0-9a-f]{128}\Z")
TORN_NOTE = (
    " (a torn tail: a write that never completed and was never acknowledged;"
    " the server cuts it off when it opens the log)"
)
# ASCII whitespace (space, tab, LF, form feed, CR), for trimming the pubkey (the document).
WHITE_SPACE = "\u0009\u000a\u000c\u000d\u0020"


class Failure(Exception):
    def __init__(self, line, seq, reason, torn=False):
        super().__init__(reason)
        self.line, self.seq, self.reason, self.torn = line, seq, reason, torn

    def __str__(self):
        where = "line %d" % self.line
        if self.seq is not None:
            where += " (seq %d)" % self.seq
        return "FAILED at %s: %s%s" % (where, self.reason, TORN_NOTE if self.torn else "")


def _fields_list(keys):
    return "[" + ", ".join(json.dumps(k, ensure_ascii=False) for k in sorted(keys, key=lambda k: k.encode("utf-8"))) + "]"


def signed_message(auction, head_seq, head, at, final):
    return ("veiling-checkpoint/1\n%s\n%d\n%s\n%d\n%s\n" % (auction, head_seq, head, at, "1" if final else "0")).encode("utf-8")


class Verdict:
    def __init__(self, records, checkpoints, head, sealed):
        self.records, self.checkpoints, self.head, self.sealed = records, checkpoints, head, sealed


def verify(data, trusted_key=None):
    """Verify a log's bytes. trusted_key: 32 bytes or None. Returns a Verdict or raises Failure."""
    # State: the records accepted so far (only what later steps need), header, key.
    count = 0
    checkpoints = 0
    last_hash = None          # hash of the last record in R
    last_kind = None          # kind of the last record in R
    last_at = None            # at of the last record in R
    last_final = False        # final of the last record in R (checkpoints)
    last_number = None        # L: number of the last header or input record in R
    header = None
    key = trusted_key
    n = 0
    pos = 0
    size = len(data)

    while pos < size:
        # 1. Framing.
        n += 1
        nl = data.find(b"\n", pos)
        if nl < 0:
            raise Failure(n, None, "incomplete record: %d byte(s) without the closing newline" % (size - pos), torn=True)
        line = data[pos:nl]
        is_last = nl == size - 1
        pos = nl + 1

        # 2. Length.
        if len(line) > MAX_LINE:
            raise Failure(n, None, "record longer than %d bytes" % MAX_LINE)

        # 3. Parse.
        try:
            value = parse_json(line)
        except NotJson:
            if is_last:
                raise Failure(n, None, "not a JSON record", torn=True)
            raise Failure(n, None, "not a JSON record")

        # 4. Kind and number.
        kind = ""
        num = None
        if isinstance(value, dict):
            k = value.get("kind")
            kind = k if isinstance(k, str) else ""
            nv = value.get("head_seq" if kind == "checkpoint" else "seq")
            if is_int(nv) and 0 <= nv <= I_MAX:
                num = nv

        def fail(reason):
            raise Failure(n, num, reason)

        # 5. Object.
        if not isinstance(value, dict):
            fail("not a JSON object")

        # 6. Canonical form.
        try:
            canon = canonical(value).encode("utf-8")
        except _NoCanon:
            canon = None
        if canon != line:
            fail("not in canonical form (re-serialised canonically, the line differs)")

        # 7. No floats.
        if has_float(value):
            fail("a number that is not an integer: the log has no floats")

        # 8. A number.
        if num is None:
            fail("no seq")  # for a checkpoint this means its head_seq

        # 9. Numbering.
        if count == 0:
            expected = 0
        else:
            expected = last_number if kind == "checkpoint" else last_number + 1
        if num != expected:
            fail("%s %d where %d was expected" % ("head_seq" if kind == "checkpoint" else "seq", num, expected))

        # 10. Chain.
        want_prev = ZERO_HASH if count == 0 else last_hash
        prev = value.get("prev")
        if not isinstance(prev, str):
            fail("no prev: the chain is broken")
        if prev != want_prev:
            fail("prev %s is not the hash of the previous record (%s): the chain is broken" % (prev, want_prev))

        # 11. Time.
        at = value.get("at")
        if not (is_int(at) and AT_MIN <= at <= AT_MAX):
            fail("no time (at)")

        # 12. Time never decreases.
        if count > 0 and at < last_at:
            fail("time went back: at %d is before the previous record's at %d" % (at, last_at))

        # 13. Sealed.
        if count > 0 and last_kind == "checkpoint" and last_final is True:
            fail("a record after the final checkpoint: the log was sealed")

        # 14. Exact key set.
        if kind in FIELDS:
            want = FIELDS[kind]
            # The header's one optional key: present only when the schedule was shifted.
            if kind == "header" and "schedule_shift_ms" in value:
                want = sorted(want + ["schedule_shift_ms"])
            if set(value) != set(want):
                # The document's template is literally "a KIND record ..." (also for input).
                fail("a record of kind %s has exactly the fields %s, not %s" % (kind, _fields_list(want), _fields_list(value)))

        # 15. By number and kind.
        if kind == "header" and num == 0:
            for f in ("format", "engine", "auction", "mode", "config_sha256", "config", "pubkey"):
                if not isinstance(value[f], str):
                    fail("header lacks a field (%s is not a string)" % f)
            if "schedule_shift_ms" in value and (not is_int(value["schedule_shift_ms"]) or value["schedule_shift_ms"] == 0):
                fail("header lacks a field (schedule_shift_ms is not a non-zero integer)")
            if value["format"] != FORMAT:
                fail("unknown format %s (expected %s)" % (json.dumps(value["format"], ensure_ascii=False), FORMAT))
            digest = hashlib.sha256(value["config"].encode("utf-8")).hexdigest()
            if value["config_sha256"] != digest:
                fail("config_sha256 %s is not the SHA-256 of the config (%s)" % (value["config_sha256"], digest))
            pk = value["pubkey"]
            if trusted_key is not None:
                if pk != trusted_key.hex():
                    fail("the header names the key %s, not the given public key %s" % (pk, trusted_key.hex()))
            elif pk != "":
                t = pk.strip(WHITE_SPACE)
                if not HEX64.match(t) or not is_public_key(bytes.fromhex(t)):
                    fail("pubkey is not an Ed25519 public key")
        elif kind == "header":
            fail("a second header")
        elif num == 0 and count == 0:
            fail("the first record must be the header")
        elif kind == "input":
            pass
        elif kind == "checkpoint":
            if value["head"] != want_prev or last_kind == "checkpoint":
                fail("checkpoint does not name the record before it")
            if not isinstance(value["final"], bool):
                fail("final is not a boolean")
            sig = value["sig"]
            if not (isinstance(sig, str) and HEX128.match(sig)):
                fail("sig is not 128 lower-case hex digits")
            if key is None:
                fail("checkpoint present but no public key to check it")
            msg = signed_message(header["auction"], num, value["head"], at, value["final"])
            if not ed25519_verify(key, msg, bytes.fromhex(sig)):
                fail("checkpoint signature does not verify")
            checkpoints += 1
        else:
            fail("unknown record kind")

        # 16. Accept.
        if kind == "header":
            header = value
            if trusted_key is None:
                pk = value["pubkey"].strip(WHITE_SPACE)
                key = bytes.fromhex(pk) if pk else None
        count += 1
        last_hash = hashlib.sha256(line).hexdigest()
        last_kind = kind
        last_at = at
        last_final = value.get("final") if kind == "checkpoint" else False
        if kind != "checkpoint":
            last_number = num

    if count == 0:
        raise Failure(1, None, "empty log: no header")
    sealed = last_kind == "checkpoint" and last_final is True
    return Verdict(count, checkpoints, last_hash, sealed)


# --------------------------------------------------------------------------------------
# Command line.
# --------------------------------------------------------------------------------------

USAGE = "usage: verify_log.py LOG [--pubkey FILE] [--unsealed-ok]"


def _die(msg, code=2):
    sys.stderr.write("verify_log.py: %s\n" % msg)
    sys.exit(code)


def read_pubkey_file(path):
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        _die("cannot read the public key file %s: %s" % (path, e.strerror or e))
    try:
        text = raw.decode("utf-8").strip(WHITE_SPACE)
    except UnicodeDecodeError:
        text = None
    if text is None or not HEX64.match(text) or not is_public_key(bytes.fromhex(text)):
        _die("%s: not a public key (64 lower-case hex digits of an Ed25519 public key)" % path)
    return bytes.fromhex(text)


def main(argv):
    log = pubkey = None
    unsealed_ok = False
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--unsealed-ok":
            if unsealed_ok:
                _die("--unsealed-ok given twice\n" + USAGE)
            unsealed_ok = True
        elif a == "--pubkey" or a.startswith("--pubkey="):
            if pubkey is not None:
                _die("--pubkey given twice\n" + USAGE)
            if a == "--pubkey":
                i += 1
                if i >= len(argv):
                    _die("--pubkey needs a FILE\n" + USAGE)
                pubkey = argv[i]
            else:
                pubkey = a[len("--pubkey="):]
        elif a in ("-h", "--help"):
            print(USAGE)
            return 0
        elif a.startswith("-") and a != "-":
            _die("unknown option %s\n%s" % (a, USAGE))
        elif log is None:
            log = a
        else:
            _die("more than one LOG\n" + USAGE)
        i += 1
    if log is None:
        _die(USAGE)
    trusted = read_pubkey_file(pubkey) if pubkey is not None else None
    try:
        with open(log, "rb") as f:
            data = f.read()
    except OSError as e:
        _die("cannot read %s: %s" % (log, e.strerror or e))

    try:
        v = verify(data, trusted)
    except Failure as f:
        print("%s: %s" % (log, f))
        return 1
    if not v.sealed and not unsealed_ok:
        print("%s: FAILED: not sealed: the log does not end with the final checkpoint"
              " (give --unsealed-ok for an auction still running)" % log)
        return 1
    against = ("against the given public key" if trusted is not None
               else "against the key in the log's own header (give --pubkey to check it is the server's)")
    print("%s: ok: %d records, %d signed checkpoints verified %s; %s; head %s"
          % (log, v.records, v.checkpoints, against, "sealed" if v.sealed else "NOT sealed", v.head))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
