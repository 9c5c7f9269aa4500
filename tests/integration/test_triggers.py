"""Triggers ([[trigger]] in meridiand's config): a table's stream delivered in Lambda's event
shape to a command (a Lambda-style Python handler run unchanged by tools/lambda_runner.py)
or an HTTP URL, in order, at least once across restarts and kill -9, with retries and a
dead-letter file. Each test runs its own meridiand."""
from __future__ import annotations

import http.server
import json
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest

import meridian_testlib as mt

S = mt.S
RUNNER = mt.REPO_ROOT / "tools" / "lambda_runner.py"

# A handler as a DynamoDB Streams Lambda function would be written.
HANDLER = '''
import os

def handler(event, context):
    for record in event['Records']:
        if record['eventName'] == 'INSERT':
            new_image = record['dynamodb']['NewImage']
            with open(os.environ['OUT'], 'a') as out:
                out.write(new_image['pk']['S'] + '\\n')
    return {'batchItemFailures': []}
'''


@pytest.fixture
def workdir():
    d = Path(tempfile.mkdtemp(prefix="meridian-trigger-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


class Daemon:
    """meridiand with a config file holding [[trigger]] tables; restartable on one data dir."""

    def __init__(self, workdir: Path, triggers: list[dict]):
        self.config = workdir / "meridiand.toml"
        lines = []
        for t in triggers:
            lines.append("[[trigger]]")
            for k, v in t.items():
                lines.append(f"{k} = {json.dumps(v)}")
        self.config.write_text("\n".join(lines) + "\n")
        self.server = mt.MeridianServer(workdir / "data", workdir / "meridiand.log",
                                        extra_args=["--config", str(self.config)])

    def start(self):
        self.server.start()
        self.client = mt.make_client(self.server.endpoint)
        return self

    def create_table(self, name):
        self.client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                                 StreamSpecification={"StreamEnabled": True,
                                                      "StreamViewType": "NEW_AND_OLD_IMAGES"},
                                 **mt.key_schema(("pk", "S")))

    def put(self, table, keys):
        for k in keys:
            self.client.put_item(TableName=table, Item={"pk": S(k)})


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def handler_trigger(workdir, **extra) -> tuple[dict, Path]:
    (workdir / "handler.py").write_text(HANDLER)
    out = workdir / "out.txt"
    trigger = {"name": "orders", "table": "Orders",
               "command": f"OUT={out} /usr/bin/python3 {RUNNER} {workdir / 'handler.py'}:handler",
               "batch_size": 7, "batch_window_ms": 20, **extra}
    return trigger, out


def test_lambda_handler_runs_unchanged_in_order(workdir):
    trigger, out = handler_trigger(workdir)
    d = Daemon(workdir, [trigger]).start()
    try:
        d.create_table("Orders")
        keys = [f"o{i:03}" for i in range(30)]
        d.put("Orders", keys)
        d.client.delete_item(TableName="Orders", Key={"pk": S("o000")})  # not an INSERT
        assert wait_for(lambda: len(lines(out)) >= 30), lines(out)
        time.sleep(0.3)
        assert lines(out) == keys
    finally:
        d.server.stop()


@pytest.mark.parametrize("how", ["sigterm", "kill9"])
def test_delivery_across_restarts_loses_nothing(workdir, how):
    trigger, out = handler_trigger(workdir)
    d = Daemon(workdir, [trigger]).start()
    try:
        d.create_table("Orders")
        first = [f"a{i:03}" for i in range(40)]
        d.put("Orders", first)
        if how == "kill9":
            d.server.kill()  # possibly mid-batch
        else:
            assert wait_for(lambda: len(lines(out)) >= 40)
            d.server.stop()
        delivered_before = len(lines(out))
        d.start()
        second = [f"b{i:03}" for i in range(40)]
        d.put("Orders", second)
        assert wait_for(lambda: set(lines(out)) >= set(first + second)), lines(out)
        time.sleep(0.3)
        got = lines(out)
        # At least once, in order: duplicates only of a batch redelivered after the restart.
        assert set(got) == set(first + second)
        assert len(got) - len(set(got)) <= trigger["batch_size"]
        if how == "sigterm":
            assert len(got) == 80 and delivered_before == 40  # the checkpoint held
        assert [k for k in got if k.startswith("b")] == second
    finally:
        d.server.stop()


def test_failing_batches_are_retried_then_dead_lettered(workdir):
    attempts = workdir / "attempts.txt"
    dead = workdir / "dead.jsonl"
    # The batch window holds the first record until all five arrived, as the assertion on
    # the letter's records needs (without it a slow machine delivers f0 alone).
    trigger = {"name": "failing", "table": "Orders", "batch_size": 5, "batch_window_ms": 3000,
               "command": f"echo try >> {attempts}; cat > /dev/null; exit 3",
               "max_retries": 2, "retry_backoff_ms": 20, "dead_letter": str(dead)}
    d = Daemon(workdir, [trigger]).start()
    try:
        d.create_table("Orders")
        d.put("Orders", [f"f{i}" for i in range(5)])
        assert wait_for(lambda: dead.exists() and len(dead.read_text().splitlines()) >= 1)
        letter = json.loads(dead.read_text().splitlines()[0])
        assert letter["trigger"] == "failing" and "status 3" in letter["error"]
        pks = [r["dynamodb"]["Keys"]["pk"]["S"] for r in letter["event"]["Records"]]
        assert pks == [f"f{i}" for i in range(5)]
        assert len(lines(attempts)) == 3  # the first delivery and two retries
        # The trigger moved on: a later record is tried (and dead-lettered) too.
        d.put("Orders", ["later"])
        assert wait_for(lambda: len(dead.read_text().splitlines()) >= 2)
    finally:
        d.server.stop()


def test_http_delivery_with_retry(workdir):
    bodies, statuses = [], [500]  # the first POST fails, the rest succeed

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = statuses.pop(0) if statuses else 200
            if status == 200:
                bodies.append(json.loads(body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    trigger = {"name": "hook", "table": "Orders", "batch_size": 100, "retry_backoff_ms": 20,
               "url": f"http://127.0.0.1:{httpd.server_address[1]}/events"}
    d = Daemon(workdir, [trigger]).start()
    try:
        d.create_table("Orders")
        d.put("Orders", ["h1", "h2"])
        d.client.delete_item(TableName="Orders", Key={"pk": S("h1")})
        assert wait_for(lambda: sum(len(b["Records"]) for b in bodies) >= 3)
        records = [r for b in bodies for r in b["Records"]]
        assert [r["eventName"] for r in records] == ["INSERT", "INSERT", "REMOVE"]
        arn = d.client.describe_table(TableName="Orders")["Table"]["LatestStreamArn"]
        assert all(r["eventSourceARN"] == arn and r["eventSource"] == "aws:dynamodb"
                   for r in records)
        assert records[2]["dynamodb"]["OldImage"] == {"pk": S("h1")}
    finally:
        d.server.stop()
        httpd.shutdown()


def test_bad_trigger_config_is_rejected(workdir):
    config = workdir / "bad.toml"
    config.write_text('[[trigger]]\nname = "x"\ntable = "T"\n')  # neither command nor url
    import subprocess
    p = subprocess.run([str(mt.meridiand_path()), "--config", str(config), "--region", "r",
                        "--data-dir", str(workdir / "d"), "--test-config"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and "exactly one of command and url" in (p.stdout + p.stderr)
