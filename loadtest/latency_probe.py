#!/usr/bin/env python3
"""A small, open-loop latency probe for `veiling serve` (Python standard library only).

It writes a config with SUPPLIERS suppliers, starts the release binary on 127.0.0.1 with a
fresh data directory (--start-in 0), connects every supplier, and has each send bids at a fixed
rate (below the per-supplier rate limit) for DURATION seconds. Latency is measured from each
bid's *intended* send time (open loop: a late send counts against the server, no coordinated
omission) to its answer. In the same run it reads the server's /metrics: its own bid-to-ack
histogram and the log's append+fdatasync time, the durability limit that every acknowledgement
waits for. Prints one JSON object.

    cargo build --release && python3 loadtest/latency_probe.py [--suppliers 20] [--rate 5] [--duration 10]

The full load test (many connections, fan-out, baselines for the transport) is the loadtest
crate's job; this probe only answers "how far is a bid's acknowledgement from one fdatasync?".
"""

import argparse
import base64
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def config(suppliers):
    head = """[auction]
id = "probe"
title = "Latency probe"
time_zone = "Europe/Amsterdam"
currency = "EUR"
opens_at = "2030-03-05T10:00"

[timing]
mode = "parallel"
closes_at = "2030-03-05T12:00"

[bids]
decrement_amount = "1.00"

[[lots]]
id = "lot-1"
name = "Lot one"
price_decimals = 2
ceiling = "10000000.00"

[[auctioneers]]
id = "a1"
name = "Auctioneer"
"""
    parts = [head]
    for i in range(suppliers):
        parts.append('[[suppliers]]\nid = "s%d"\nname = "Supplier %d"\nlots = ["lot-1"]\n' % (i, i))
    return "\n".join(parts)


class Ws:
    def __init__(self, addr):
        host, port = addr.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n\r\n" % (addr, key)).encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.sock.recv(4096)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head
        self.lock = threading.Lock()

    def send(self, text, opcode=1):
        data = text.encode() if isinstance(text, str) else text
        mask = os.urandom(4)
        n = len(data)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        with self.lock:
            self.sock.sendall(header + mask + masked)

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def recv(self):
        while True:
            self._need(2)
            b0, b1 = self.buf[0], self.buf[1]
            n, off = b1 & 0x7F, 2
            if n == 126:
                self._need(4)
                n, off = struct.unpack("!H", self.buf[2:4])[0], 4
            elif n == 127:
                self._need(10)
                n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
            self._need(off + n)
            payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
            opcode = b0 & 0x0F
            if opcode == 1:
                return payload.decode()
            if opcode == 9:
                self.send(payload, opcode=10)
            if opcode == 8:
                raise EOFError


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100.0 * len(values)))] if values else None


def histogram_quantile(metrics, name, q):
    """The upper bound of the bucket holding quantile q of a Prometheus histogram."""
    buckets = [(float("inf") if le == "+Inf" else float(le), int(c))
               for le, c in re.findall(r'^%s_bucket\{le="([^"]+)"\} (\d+)$' % name, metrics, re.M)]
    total = buckets[-1][1] if buckets else 0
    for le, c in buckets:
        if total and c >= q * total:
            return le
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--suppliers", type=int, default=20)
    ap.add_argument("--rate", type=float, default=5.0, help="bids per second per supplier (limit: 10)")
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--binary", default=os.path.join(ROOT, "target/release/veiling"))
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="veiling-probe-")
    try:
        cfg = os.path.join(work, "probe.toml")
        with open(cfg, "w") as f:
            f.write(config(args.suppliers))
        server = subprocess.Popen([args.binary, "serve", "--config", cfg, "--data-dir", os.path.join(work, "data"),
                                   "--listen", "127.0.0.1:0", "--start-in", "0"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        addr = None
        for line in server.stdout:
            m = re.match(r"listening on ws://([^/]+)/ws", line)
            if m:
                addr = m.group(1)
                break
        creds = json.load(open(os.path.join(work, "data/probe/credentials.json")))
        tokens = {p["id"]: p["token"] for p in creds["participants"]}
        conns = []
        for i in range(args.suppliers):
            ws = Ws(addr)
            ws.send(json.dumps({"type": "auth", "token": tokens["s%d" % i]}))
            while json.loads(ws.recv())["type"] != "welcome":
                pass
            conns.append(ws)
        latencies, answers = [], {"accepted": 0, "rejected": 0, "error": 0}
        lock = threading.Lock()
        start = time.monotonic() + 0.5

        def run(i, ws):
            n = int(args.duration * args.rate)
            intended = {}

            def reader():
                got = 0
                while got < n:
                    m = json.loads(ws.recv())
                    if "req_id" in m:
                        now = time.monotonic()
                        with lock:
                            latencies.append(now - intended[m["req_id"]])
                            answers[m["type"]] = answers.get(m["type"], 0) + 1
                        got += 1
            t = threading.Thread(target=reader)
            t.start()
            for k in range(n):
                due = start + k / args.rate + i / (args.rate * args.suppliers)
                intended[k] = due
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                price = "%d.00" % (9_000_000 - k * 10)
                ws.send(json.dumps({"type": "bid", "req_id": k, "lot": "lot-1",
                                    "client_bid_id": "b%d" % k, "price": price}))
            t.join()

        threads = [threading.Thread(target=run, args=(i, ws)) for i, ws in enumerate(conns)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        http = socket.create_connection(tuple([addr.rsplit(":", 1)[0], int(addr.rsplit(":", 1)[1])]))
        http.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        metrics = b""
        while True:
            chunk = http.recv(65536)
            if not chunk:
                break
            metrics += chunk
        metrics = metrics.decode()
        server.terminate()
        server.wait(timeout=20)
        ack_p50 = histogram_quantile(metrics, "veiling_bid_to_ack_seconds", 0.5)
        sync_p50 = histogram_quantile(metrics, "veiling_log_sync_seconds", 0.5)
        print(json.dumps({
            "suppliers": args.suppliers, "bids_per_s": args.rate * args.suppliers, "bids": len(latencies),
            "answers": answers,
            "client_rtt_ms": {"p50": round(percentile(latencies, 50) * 1000, 3),
                              "p99": round(percentile(latencies, 99) * 1000, 3),
                              "max": round(max(latencies) * 1000, 3)},
            "server_bid_to_ack_p50_bucket_ms": ack_p50 * 1000 if ack_p50 else None,
            "server_bid_to_ack_p99_bucket_ms": (histogram_quantile(metrics, "veiling_bid_to_ack_seconds", 0.99) or 0) * 1000,
            "log_sync_p50_bucket_ms": sync_p50 * 1000 if sync_p50 else None,
            "batch_inputs_p50_bucket": histogram_quantile(metrics, "veiling_batch_inputs", 0.5),
        }, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
