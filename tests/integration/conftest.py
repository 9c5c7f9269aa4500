"""Fixtures for Meridian's black-box integration tests.

By default one real `meridiand` is started for the whole session (binary from
$MERIDIAND or <repo>/build/bin/meridiand) on two free loopback ports with a
temporary data dir. With $DYNAMODB_ENDPOINT set, no server is started and every
test runs against that endpoint instead (e.g. real DynamoDB, with credentials from
the usual AWS environment), so the suite can be checked against the real thing.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import meridian_testlib as mt

AWS_CLI = mt.AWS_CLI

_session_server: mt.MeridianServer | None = None
_session_log_tail: str | None = None


def pytest_report_header(config):
    if mt.IS_EXTERNAL:
        return f"meridian: running against external endpoint {mt.EXTERNAL_ENDPOINT} ({mt.REGION})"
    return f"meridian: starting {mt.meridiand_path()}"


@pytest.fixture(scope="session")
def meridian_server():
    """The session's meridiand (None when running against $DYNAMODB_ENDPOINT)."""
    global _session_server, _session_log_tail
    if mt.IS_EXTERNAL:
        yield None
        return
    binary = mt.meridiand_path()
    if not binary.is_file() and os.environ.get("MERIDIAN_SKIP_IF_MISSING"):
        pytest.skip(f"{binary} not built")
    workdir = Path(tempfile.mkdtemp(prefix="meridian-it-"))
    server = mt.MeridianServer(workdir / "data", workdir / "meridiand.log", binary=binary)
    try:
        server.start()
    except mt.ServerStartError as e:
        shutil.rmtree(workdir, ignore_errors=True)
        pytest.fail(str(e), pytrace=False)
    _session_server = server
    try:
        yield server
    finally:
        died = not server.alive()
        rc = server.stop()
        log = server.log_tail(80)
        _session_log_tail = server.log_tail(40)
        _session_server = None
        if os.environ.get("MERIDIAN_KEEP_DATA"):
            print(f"\nmeridian: kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        if died:
            pytest.fail(f"meridiand died during the test session (exit status {rc}); "
                        f"log tail:\n{log}", pytrace=False)


@pytest.fixture(scope="session")
def endpoint(meridian_server) -> str:
    return mt.EXTERNAL_ENDPOINT if mt.IS_EXTERNAL else meridian_server.endpoint


@pytest.fixture(scope="session")
def dynamodb(endpoint):
    """Low-level boto3 DynamoDB client: wire-format values, no retries."""
    return mt.make_client(endpoint)


@pytest.fixture(scope="session")
def streams(endpoint):
    """Low-level boto3 DynamoDB Streams client on the same endpoint."""
    return mt.make_streams_client(endpoint)


@pytest.fixture(scope="session")
def raw(endpoint, dynamodb):
    """raw(target, body, **kw) -> RawResponse: a hand-made (signed) POST with urllib."""
    creds = mt.signing_credentials(dynamodb)

    def post(target, body, **kw):
        kw.setdefault("credentials", creds)
        return mt.raw_post(endpoint, target, body, **kw)
    return post


@pytest.fixture(scope="session")
def aws(endpoint):
    """aws(*args) runs `aws dynamodb <args> --endpoint-url E --output json` (service="dynamodbstreams"
    for the Streams API).

    Returns (rc, parsed JSON or raw stdout (None when empty), stderr).
    """
    env = dict(os.environ)
    env.update(AWS_PAGER="", AWS_DEFAULT_REGION=mt.REGION, AWS_REGION=mt.REGION,
               AWS_MAX_ATTEMPTS="1", AWS_RETRY_MODE="standard",
               AWS_EC2_METADATA_DISABLED="true")
    if not mt.IS_EXTERNAL:
        env.update(AWS_ACCESS_KEY_ID=mt.DUMMY_ACCESS_KEY, AWS_SECRET_ACCESS_KEY=mt.DUMMY_SECRET_KEY,
                   AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
        env.pop("AWS_SESSION_TOKEN", None)
        env.pop("AWS_PROFILE", None)

    def run(*args, timeout: float = 180, service: str = "dynamodb"):
        cmd = [AWS_CLI, service, *[str(a) for a in args],
               "--endpoint-url", endpoint, "--output", "json"]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        out = p.stdout
        if out.strip():
            try:
                out = json.loads(out)
            except ValueError:
                pass
        else:
            out = None
        return p.returncode, out, p.stderr
    return run


class TableFactory:
    """Creates uniquely named tables and deletes them at the end of the test."""

    def __init__(self, client, prefix: str):
        self.client = client
        self.prefix = prefix
        self.names: list[str] = []

    def name(self) -> str:
        n = mt.unique_name(self.prefix)
        self.names.append(n)
        return n

    def create(self, hash_key=("pk", "S"), range_key=None, wait=True, **extra) -> str:
        name = extra.pop("TableName", None) or self.name()
        if name not in self.names:
            self.names.append(name)
        params = dict(TableName=name, **mt.key_schema(hash_key, range_key))
        if "BillingMode" not in extra and "ProvisionedThroughput" not in extra:
            params["BillingMode"] = "PAY_PER_REQUEST"
        params.update(extra)
        self.client.create_table(**params)
        if wait:
            mt.wait_active(self.client, name)
        return name

    def cleanup(self):
        for n in self.names:
            try:
                mt.delete_table_quietly(self.client, n)
            except Exception:  # cleanup must not mask the test's own result
                pass


@pytest.fixture
def tables(dynamodb, request):
    prefix = "it-" + "".join(c if c.isascii() and c.isalnum() else "-" for c in request.node.name)[:60].strip("-")
    f = TableFactory(dynamodb, prefix)
    yield f
    f.cleanup()


@pytest.fixture
def hash_table(tables) -> str:
    """PAY_PER_REQUEST table with key pk (S)."""
    return tables.create(("pk", "S"))


@pytest.fixture
def range_table(tables) -> str:
    """PAY_PER_REQUEST table with key pk (S), sk (S)."""
    return tables.create(("pk", "S"), ("sk", "S"))


@pytest.fixture
def num_range_table(tables) -> str:
    """PAY_PER_REQUEST table with key pk (S), sk (N)."""
    return tables.create(("pk", "S"), ("sk", "N"))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    tail = _session_server.log_tail(40) if _session_server is not None else _session_log_tail
    if tail and exitstatus not in (0, 5):
        terminalreporter.section("meridiand log tail")
        terminalreporter.write_line(tail)
