"""/healthz with replication: 503 with a typed error while the region's NATS server is
unreachable, 200 once it is up (the daemon starts without NATS and reconnects)."""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest

import meridian_testlib as mt


def healthz(admin_port: int) -> tuple[int, dict | None]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/healthz", timeout=2) as r:
            return r.status, None
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")
    except OSError:
        return 0, None


def wait_for(pred, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_healthz_is_503_while_nats_is_unreachable(tmp_path):
    nats_server = shutil.which("nats-server") or "/usr/sbin/nats-server"
    nats_port, api_port, admin_port = mt.free_loopback_ports(3)
    with open(tmp_path / "meridiand.log", "wb") as log:
        daemon = subprocess.Popen(
            [str(mt.meridiand_path()), "--region", "us-east-1", "--region-id", "1",
             "--data-dir", str(tmp_path / "data"), "--listen", f"127.0.0.1:{api_port}",
             "--admin-listen", f"127.0.0.1:{admin_port}", "--nats-url", f"nats://127.0.0.1:{nats_port}"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        nats = None
        try:
            status, body = wait_for(lambda: (lambda r: r if r[0] else None)(healthz(admin_port)), 30,
                                    "the admin port")
            assert status == 503, (status, body)
            assert body["errors"][0]["type"] == "nats_unreachable", body
            assert body["errors"][0]["message"]
            # The DynamoDB API still serves the region's own data meanwhile.
            client = mt.make_client(f"http://127.0.0.1:{api_port}")
            assert client.list_tables()["TableNames"] == []

            nats = subprocess.Popen([nats_server, "-a", "127.0.0.1", "-p", str(nats_port)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True)
            wait_for(lambda: healthz(admin_port)[0] == 200, 30, "/healthz 200 after NATS started")

            nats.send_signal(signal.SIGTERM)
            nats.wait(timeout=15)
            status, body = wait_for(lambda: (lambda r: r if r[0] == 503 else None)(healthz(admin_port)),
                                    30, "/healthz 503 after NATS stopped")
            assert body["errors"][0]["type"] == "nats_unreachable", body
        finally:
            stop(daemon)
            if nats is not None:
                stop(nats)
    assert daemon.returncode == 0, (tmp_path / "meridiand.log").read_text()[-3000:]
