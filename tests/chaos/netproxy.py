#!/usr/bin/python3
"""Fault-injecting TCP proxy for NATS gateway links (standard library only).

One listening port per directed link ("us-east-1>eu-west-1"): region A's nats-server dials
the link's port instead of B's gateway port (deploy/nats/gen-config --gateway-proxy-base)
and the proxy forwards to B's real gateway port. Each link can be switched at any time to

    pass        forward (optionally with a per-chunk delay, see below)
    cut         reset every open connection of the link and refuse new ones (accept, RST)
    blackhole   stop moving bytes both ways without closing anything (a silent WAN
                partition: only NATS pings notice); new connections are accepted and held

and given a delay: every chunk read is delivered `lo..hi` ms later (uniform jitter), in
order (WAN-like latency; throughput is not limited).

nats-server learns a remote's real gateway address from the INFO protocol
(`gateway_urls`, also gossiped to third regions) and would later reconnect there, past the
proxy. The proxy therefore removes `gateway_urls`/`gateway_url` from every INFO line it
forwards, so that every connection of a link keeps going through its port.

Run as a child process driven over stdin/stdout, one JSON object per line:

    {"op": "set", "links": ["a>b", "b>a"], "mode": "cut", "delay_ms": [20, 80]}
    {"op": "stats"}            -> {"ok": true, "links": {"a>b": {...}}}
    {"op": "quit"}
Each request gets one reply line ({"ok": true, ...} or {"ok": false, "error": ...}).
The proxy exits when stdin closes (its parent died), so it never outlives a test.

    netproxy.py --link a>b:LISTEN_PORT:TARGET_PORT [--link ...] [--host 127.0.0.1]

`NetProxy` (below) starts and drives it from a test.
"""
from __future__ import annotations

import argparse
import asyncio
import ctypes
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

MODES = ("pass", "cut", "blackhole")
READ_CHUNK = 64 * 1024
MAX_HELD_LINE = 1 << 20  # an "INFO ..." line longer than this is passed through as is


# -- INFO rewriting ------------------------------------------------------------------------

def rewrite_info_line(line: bytes) -> bytes:
    """`INFO {json}` without the gateway URLs; anything else (or unparsable) unchanged."""
    try:
        info = json.loads(line[5:].decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return line
    if not isinstance(info, dict) or not ({"gateway_urls", "gateway_url"} & info.keys()):
        return line
    info.pop("gateway_urls", None)
    info.pop("gateway_url", None)
    return b"INFO " + json.dumps(info, separators=(",", ":")).encode()


class InfoRewriter:
    """Streams bytes through, rewriting protocol lines that start with `INFO `.

    Only a line start that is (or may become) `INFO ` is held back until its CRLF; every
    other byte is forwarded at once. Message payloads are not parsed: a payload line that
    happens to start with `INFO {` and parses as JSON with gateway URLs would be altered,
    which binary change batches never do."""

    def __init__(self) -> None:
        self.held = b""          # bytes from a line start that may be an INFO line
        self.line_start = True   # is the next byte at the start of a line?
        self.after_cr = False    # did the last byte forwarded end with CR?

    def feed(self, data: bytes) -> bytes:
        if self.held:
            data, self.held = self.held + data, b""
        out = []
        pos, n = 0, len(data)
        while pos < n:
            if self.after_cr:
                self.after_cr = False
                if data[pos:pos + 1] == b"\n":
                    out.append(b"\n")
                    pos += 1
                    self.line_start = True
                    continue
            if self.line_start:
                head = data[pos:pos + 5]
                if len(head) < 5 and b"INFO ".startswith(head):
                    self.held = data[pos:]
                    break
                if head == b"INFO ":
                    end = data.find(b"\r\n", pos)
                    if end < 0 and n - pos <= MAX_HELD_LINE:
                        self.held = data[pos:]
                        break
                    if end >= 0:
                        out.append(rewrite_info_line(data[pos:end]) + b"\r\n")
                        pos = end + 2
                        self.line_start = True
                        continue
            end = data.find(b"\r\n", pos)
            if end < 0:
                out.append(data[pos:])
                self.after_cr = data.endswith(b"\r")
                self.line_start = False
                break
            out.append(data[pos:end + 2])
            pos = end + 2
            self.line_start = True
        return b"".join(out)


# -- the proxy (runs in the child process) ------------------------------------------------

class Link:
    def __init__(self, name: str, host: str, listen: int, target: int):
        self.name, self.host, self.listen, self.target = name, host, listen, target
        self.mode = "pass"
        self.delay_ms = (0.0, 0.0)
        self.flowing = asyncio.Event()   # set unless blackholed
        self.flowing.set()
        self.conns: set[Conn] = set()
        self.server: asyncio.AbstractServer | None = None
        self.stats = {"accepted": 0, "refused": 0, "reset": 0, "upstream_failed": 0,
                      "bytes_fwd": 0, "bytes_back": 0}

    def sample_delay(self) -> float:
        lo, hi = self.delay_ms
        return random.uniform(lo, hi) / 1000.0 if hi > 0 else 0.0

    def set(self, mode: str | None, delay_ms) -> None:
        if delay_ms is not None:
            lo, hi = (float(delay_ms), float(delay_ms)) if isinstance(delay_ms, (int, float)) \
                else (float(delay_ms[0]), float(delay_ms[1]))
            if lo < 0 or hi < lo:
                raise ValueError(f"bad delay_ms {delay_ms!r}")
            self.delay_ms = (lo, hi)
        if mode is None:
            return
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        if mode == "blackhole":
            self.flowing.clear()
        else:
            self.flowing.set()
        if mode == "cut":
            for c in list(self.conns):
                c.reset()
                self.stats["reset"] += 1

    def snapshot(self) -> dict:
        return {"mode": self.mode, "delay_ms": list(self.delay_ms), "open": len(self.conns),
                "listen": self.listen, "target": self.target, **self.stats}

    async def start(self) -> None:
        self.server = await asyncio.start_server(self.accept, self.host, self.listen,
                                                 reuse_address=True)

    async def accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "cut":
            self.stats["refused"] += 1
            abort(writer)
            return
        self.stats["accepted"] += 1
        conn = Conn(self, reader, writer)
        self.conns.add(conn)
        try:
            await conn.run()
        finally:
            self.conns.discard(conn)


def abort(writer: asyncio.StreamWriter | None) -> None:
    """Close with RST (SO_LINGER 0 via transport.abort), as a cut cable's peer would see."""
    if writer is not None:
        try:
            writer.transport.abort()
        except Exception:  # noqa: BLE001 - already gone
            pass


class Conn:
    def __init__(self, link: Link, reader, writer):
        self.link = link
        self.c_reader, self.c_writer = reader, writer
        self.u_reader = self.u_writer = None
        self.tasks: list[asyncio.Task] = []
        self.closed = False

    def reset(self) -> None:
        self.closed = True
        abort(self.c_writer)
        abort(self.u_writer)
        for t in self.tasks:
            t.cancel()

    async def run(self) -> None:
        link = self.link
        await link.flowing.wait()  # a blackholed link holds new connections too
        if self.closed or link.mode == "cut":
            abort(self.c_writer)
            return
        try:
            self.u_reader, self.u_writer = await asyncio.open_connection(link.host, link.target)
        except OSError:
            link.stats["upstream_failed"] += 1
            abort(self.c_writer)
            return
        if self.closed:
            self.reset()
            return
        self.tasks = [asyncio.ensure_future(self.pump(self.c_reader, self.u_writer, "bytes_fwd")),
                      asyncio.ensure_future(self.pump(self.u_reader, self.c_writer, "bytes_back"))]
        await asyncio.wait(self.tasks, return_when=asyncio.FIRST_COMPLETED)
        self.reset()

    async def pump(self, reader, writer, counter: str) -> None:
        link = self.link
        rewriter = InfoRewriter()
        queue: asyncio.Queue = asyncio.Queue()
        sender = asyncio.ensure_future(self.send(queue, writer))
        last_release = 0.0
        try:
            while True:
                await link.flowing.wait()
                data = await reader.read(READ_CHUNK)
                if not data:
                    break
                data = rewriter.feed(data)
                if not data:
                    continue
                link.stats[counter] += len(data)
                release = max(time.monotonic() + link.sample_delay(), last_release)
                last_release = release
                await queue.put((release, data))
            await queue.put((0.0, None))
            await sender
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            sender.cancel()
            abort(writer)

    async def send(self, queue: asyncio.Queue, writer) -> None:
        while True:
            release, data = await queue.get()
            if data is None:
                return
            wait = release - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            await self.link.flowing.wait()
            writer.write(data)
            await writer.drain()


async def serve(links: dict[str, Link]) -> None:
    for link in links.values():
        await link.start()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    reply({"ok": True, "ready": True, "links": sorted(links)})
    while True:
        line = await reader.readline()
        if not line:
            break  # parent gone
        try:
            req = json.loads(line)
            op = req.get("op")
            if op == "set":
                names = req.get("links") or list(links)
                unknown = [n for n in names if n not in links]
                if unknown:
                    raise ValueError(f"unknown links {unknown}")
                for n in names:
                    links[n].set(req.get("mode"), req.get("delay_ms"))
                reply({"ok": True})
            elif op == "stats":
                reply({"ok": True, "links": {n: l.snapshot() for n, l in links.items()}})
            elif op == "quit":
                reply({"ok": True})
                break
            else:
                raise ValueError(f"unknown op {op!r}")
        except Exception as e:  # noqa: BLE001 - reported to the driver
            reply({"ok": False, "error": f"{type(e).__name__}: {e}"})
    for link in links.values():
        link.set("cut", None)
        link.server.close()


def reply(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def parse_link(spec: str) -> tuple[str, int, int]:
    name, listen, target = spec.rsplit(":", 2)
    if ">" not in name:
        raise argparse.ArgumentTypeError(f"link name {name!r} must be SRC>DST")
    return name, int(listen), int(target)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--link", action="append", type=parse_link, required=True,
                    help="SRC>DST:LISTEN_PORT:TARGET_PORT (repeat)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--seed", type=int, default=None, help="seed for the delay jitter")
    args = ap.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        ap.error("the proxy only serves loopback")
    random.seed(args.seed)
    # Die with the parent even if it is SIGKILLed (Linux prctl PR_SET_PDEATHSIG).
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    links = {name: Link(name, args.host, listen, target) for name, listen, target in args.link}
    try:
        asyncio.run(serve(links))
    except KeyboardInterrupt:
        pass
    return 0


# -- driver (used by tests, in the parent process) ---------------------------------------

class NetProxyError(RuntimeError):
    pass


class NetProxy:
    """Starts netproxy.py as a child and sends it commands (thread-safe)."""

    def __init__(self, links: dict[str, tuple[int, int]], log_path: str | None = None,
                 seed: int | None = None):
        argv = [sys.executable, os.path.abspath(__file__)]
        for name, (listen, target) in sorted(links.items()):
            argv += ["--link", f"{name}:{listen}:{target}"]
        if seed is not None:
            argv += ["--seed", str(seed)]
        self._log = open(log_path, "ab") if log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._log, text=True, bufsize=1)
        self.links = sorted(links)
        self._lock = threading.Lock()
        first = self._read_reply(timeout=15)
        if not first.get("ready"):
            self.close()
            raise NetProxyError(f"proxy did not start: {first}")

    def _read_reply(self, timeout: float) -> dict:
        result: list[str] = []
        t = threading.Thread(target=lambda: result.append(self.proc.stdout.readline()), daemon=True)
        t.start()
        t.join(timeout)
        if not result or not result[0]:
            raise NetProxyError(f"no reply from the proxy (exit status {self.proc.poll()})")
        return json.loads(result[0])

    def request(self, req: dict, timeout: float = 10.0) -> dict:
        with self._lock:
            if self.proc.poll() is not None:
                raise NetProxyError(f"proxy exited with {self.proc.returncode}")
            self.proc.stdin.write(json.dumps(req) + "\n")
            self.proc.stdin.flush()
            rep = self._read_reply(timeout)
        if not rep.get("ok"):
            raise NetProxyError(rep.get("error", str(rep)))
        return rep

    def set(self, links, mode: str | None = None, delay_ms=None) -> None:
        req: dict = {"op": "set", "links": list(links)}
        if mode is not None:
            req["mode"] = mode
        if delay_ms is not None:
            req["delay_ms"] = delay_ms
        self.request(req)

    def heal_all(self) -> None:
        self.set(self.links, mode="pass", delay_ms=0)

    def stats(self) -> dict:
        return self.request({"op": "stats"})["links"]

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self._log is not subprocess.DEVNULL:
            self._log.close()


if __name__ == "__main__":
    sys.exit(main())
