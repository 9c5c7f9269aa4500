"""Shared helpers for Meridian's black-box integration tests.

Nothing here knows about Meridian's internals: it starts the real `meridiand`
binary (or talks to the endpoint in $DYNAMODB_ENDPOINT, e.g. real DynamoDB)
and speaks the public DynamoDB JSON protocol to it.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

REPO_ROOT = Path(__file__).resolve().parents[2]

# When set, the suite runs against this endpoint (for instance real DynamoDB,
# https://dynamodb.us-east-1.amazonaws.com) and never starts a server.
EXTERNAL_ENDPOINT = os.environ.get("DYNAMODB_ENDPOINT") or None
IS_EXTERNAL = EXTERNAL_ENDPOINT is not None

if IS_EXTERNAL:
    REGION = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
else:
    REGION = "us-east-1"

AWS_CLI = os.environ.get("AWS_CLI", "/usr/bin/aws")

DUMMY_ACCESS_KEY = "AKIDMERIDIANTEST"
DUMMY_SECRET_KEY = "meridian-test-secret"

JSON_CT = "application/x-amz-json-1.0"
TARGET_PREFIX = "DynamoDB_20120810."

# Error `__type` namespaces exactly as DynamoDB sends them.
NS_VALIDATE = "com.amazon.coral.validate#"
NS_SERVICE = "com.amazon.coral.service#"
NS_DYNAMODB = "com.amazonaws.dynamodb.v20120810#"


def meridiand_path() -> Path:
    return Path(os.environ.get("MERIDIAND") or REPO_ROOT / "build" / "bin" / "meridiand")


def unique_name(prefix: str = "it") -> str:
    """A table name no other test (or other run) uses: [a-zA-Z0-9_.-], <= 255 chars."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def free_loopback_ports(n: int) -> list[int]:
    """n distinct free TCP ports on 127.0.0.1 (held open together so they differ)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def http_get(url: str, timeout: float = 2.0, ca_file: str | None = None) -> tuple[int, str]:
    context = ssl.create_default_context(cafile=ca_file) if ca_file else None
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


class ServerStartError(RuntimeError):
    pass


class MeridianServer:
    """One meridiand process on loopback ports, with its own data dir and log file."""

    def __init__(self, data_dir: Path, log_path: Path, binary: Path | None = None,
                 region: str = "us-east-1", extra_args: list[str] | None = None,
                 ca_file: str | None = None):
        """With `ca_file`, the server runs HTTPS (extra_args carry --tls-cert/--tls-key) and
        clients of its URLs verify it against that CA."""
        self.binary = Path(binary or meridiand_path())
        self.ca_file = ca_file
        self.scheme = "https" if ca_file else "http"
        self.extra_args = list(extra_args or [])
        self.data_dir = Path(data_dir)
        self.log_path = Path(log_path)
        self.region = region
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.admin_port: int | None = None
        self._log_file = None

    # -- lifecycle -----------------------------------------------------------
    def start(self, timeout: float = 30.0, attempts: int = 3) -> "MeridianServer":
        if not self.binary.is_file() or not os.access(self.binary, os.X_OK):
            raise ServerStartError(f"meridiand binary not found or not executable: {self.binary} "
                                   "(build it, or set MERIDIAND=/path/to/meridiand)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        last_err = None
        for _ in range(attempts):
            try:
                self._start_once(timeout)
                return self
            except ServerStartError as e:
                last_err = e
                # A port picked by free_loopback_ports can be grabbed by someone else
                # before the daemon binds it; try again with fresh ports.
                self._reap()
        raise last_err

    def _start_once(self, timeout: float) -> None:
        self.port, self.admin_port = free_loopback_ports(2)
        cmd = [str(self.binary),
               "--region", self.region,
               "--data-dir", str(self.data_dir),
               "--listen", f"127.0.0.1:{self.port}",
               "--admin-listen", f"127.0.0.1:{self.admin_port}"] + self.extra_args
        self._log_file = open(self.log_path, "ab", buffering=0)
        self._log_file.write(f"\n==== starting: {' '.join(cmd)}\n".encode())
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log_file,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                raise ServerStartError(f"meridiand exited with status {rc} during startup; "
                                       f"log tail:\n{self.log_tail()}")
            try:
                status, _ = http_get(f"{self.admin_url}/healthz", timeout=1.0,
                                     ca_file=self.ca_file)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise ServerStartError(f"meridiand did not report healthy on {self.admin_url}/healthz "
                               f"within {timeout}s; log tail:\n{self.log_tail()}")

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, then SIGKILL after `timeout`. Returns the exit status (None if not running)."""
        if self.proc is None:
            return None
        rc = self.proc.poll()
        if rc is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                rc = None  # did not stop on SIGTERM
        self._reap()
        return rc

    def kill(self) -> None:
        """SIGKILL: no chance to flush anything that was not already handed to the OS."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._reap()

    def _reap(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    # -- facts -----------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def admin_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.admin_port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def healthy(self) -> bool:
        try:
            return http_get(f"{self.admin_url}/healthz", timeout=2.0,
                            ca_file=self.ca_file)[0] == 200
        except OSError:
            return False

    def log_tail(self, lines: int = 60) -> str:
        try:
            data = self.log_path.read_bytes()[-64 * 1024:].decode("utf-8", "replace")
        except OSError:
            return "<no log>"
        return "\n".join(data.splitlines()[-lines:])


# -- clients ---------------------------------------------------------------------

def client_config(pool: int = 32) -> Config:
    # total_max_attempts=1: no retries at all, so throttling, 5xx and dropped
    # connections surface in the test instead of being papered over by botocore.
    return Config(region_name=REGION,
                  retries={"total_max_attempts": 1, "mode": "standard"},
                  connect_timeout=5, read_timeout=60,
                  max_pool_connections=pool)


def make_client(endpoint: str, pool: int = 32):
    kwargs = dict(endpoint_url=endpoint, config=client_config(pool))
    if not IS_EXTERNAL:
        kwargs.update(aws_access_key_id=DUMMY_ACCESS_KEY, aws_secret_access_key=DUMMY_SECRET_KEY)
    return boto3.session.Session().client("dynamodb", region_name=REGION, **kwargs)


def make_streams_client(endpoint: str):
    kwargs = dict(endpoint_url=endpoint, config=client_config())
    if not IS_EXTERNAL:
        kwargs.update(aws_access_key_id=DUMMY_ACCESS_KEY, aws_secret_access_key=DUMMY_SECRET_KEY)
    return boto3.session.Session().client("dynamodbstreams", region_name=REGION, **kwargs)


def stream_records(client, streams, table: str) -> list[dict]:
    """Every record now in the table's latest stream, walking the shard chain parents first."""
    arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    ids = {s["ShardId"] for s in shards}
    order = [s for s in shards if s.get("ParentShardId") not in ids]
    while order and len(order) < len(shards):
        nxt = [s for s in shards if s.get("ParentShardId") == order[-1]["ShardId"]]
        if not nxt:
            break
        order.append(nxt[0])
    records = []
    for shard in order:
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            r = streams.get_records(ShardIterator=it)
            records += r["Records"]
            if not r["Records"]:
                break
            it = r.get("NextShardIterator")
    return records


def signing_credentials(client) -> Credentials:
    creds = client._request_signer._credentials  # botocore keeps the resolved credentials here
    if creds is None:
        return Credentials(DUMMY_ACCESS_KEY, DUMMY_SECRET_KEY)
    return creds.get_frozen_credentials() if hasattr(creds, "get_frozen_credentials") else creds


class RawResponse:
    def __init__(self, status: int, headers: dict, body: bytes):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body
        self.text = body.decode("utf-8", "replace")
        try:
            self.json = json.loads(self.text) if self.text.strip() else None
        except ValueError:
            self.json = None

    @property
    def error_type(self) -> str | None:
        return self.json.get("__type") if isinstance(self.json, dict) else None

    @property
    def error_message(self) -> str | None:
        # DynamoDB uses "message" for most errors and "Message" for a few coral ones.
        if not isinstance(self.json, dict):
            return None
        return self.json.get("message", self.json.get("Message"))

    def __repr__(self):
        return f"RawResponse({self.status}, {self.text[:300]!r})"


def raw_post(endpoint: str, target: str | None, body, credentials: Credentials | None = None,
             content_type: str = JSON_CT, sign: bool = True, timeout: float = 30.0,
             ca_file: str | None = None) -> RawResponse:
    """POST a hand-made request (possibly invalid JSON) with urllib.

    `target` is the operation name ("PutItem") or a full X-Amz-Target value when it
    contains a dot; None omits the header. The request is SigV4-signed (with dummy
    credentials locally) so that the same test also works against real DynamoDB.
    """
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = {"Content-Type": content_type}
    if target is not None:
        headers["X-Amz-Target"] = target if "." in target else TARGET_PREFIX + target
    url = endpoint.rstrip("/") + "/"
    if sign:
        req = AWSRequest(method="POST", url=url, data=body, headers=headers)
        SigV4Auth(credentials or Credentials(DUMMY_ACCESS_KEY, DUMMY_SECRET_KEY),
                  "dynamodb", REGION).add_auth(req)
        headers = dict(req.headers.items())
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    context = ssl.create_default_context(cafile=ca_file) if ca_file else None
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as resp:
            return RawResponse(resp.status, dict(resp.headers.items()), resp.read())
    except urllib.error.HTTPError as e:
        return RawResponse(e.code, dict(e.headers.items()), e.read())


# -- table helpers -------------------------------------------------------------

def wait_active(client, name: str, max_attempts: int = 120) -> dict:
    client.get_waiter("table_exists").wait(TableName=name,
                                           WaiterConfig={"Delay": 1, "MaxAttempts": max_attempts})
    return client.describe_table(TableName=name)["Table"]


def wait_gone(client, name: str, max_attempts: int = 120) -> None:
    client.get_waiter("table_not_exists").wait(TableName=name,
                                               WaiterConfig={"Delay": 1, "MaxAttempts": max_attempts})


def key_schema(hash_key: tuple[str, str], range_key: tuple[str, str] | None = None) -> dict:
    ks = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    ad = [{"AttributeName": hash_key[0], "AttributeType": hash_key[1]}]
    if range_key:
        ks.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
        ad.append({"AttributeName": range_key[0], "AttributeType": range_key[1]})
    return {"KeySchema": ks, "AttributeDefinitions": ad}


def delete_table_quietly(client, name: str) -> None:
    try:
        client.delete_table(TableName=name)
    except ClientError as e:
        if e.response["Error"]["Code"] not in ("ResourceNotFoundException", "ResourceInUseException"):
            raise


def error_code(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


def error_message(exc: ClientError) -> str:
    return exc.response["Error"].get("Message", "")


def http_status(exc: ClientError) -> int:
    return exc.response["ResponseMetadata"]["HTTPStatusCode"]


# -- AttributeValue helpers (low-level wire format) ---------------------------------

def S(v: str) -> dict:
    return {"S": v}


def N(v) -> dict:
    return {"N": str(v)}


def canon(value):
    """Make a wire-format AttributeValue/item comparable: sets become sorted lists.

    DynamoDB does not promise any order for the elements of SS/NS/BS.
    """
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in ("SS", "NS", "BS") and isinstance(v, list):
                out[k] = sorted(v)
            else:
                out[k] = canon(v)
        return out
    if isinstance(value, list):
        return [canon(v) for v in value]
    return value


def full_query(client, **kwargs) -> list[dict]:
    items, start = [], None
    for _ in range(100000):
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = client.query(**kwargs)
        items.extend(page["Items"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return items
    raise AssertionError("query pagination did not terminate")


def full_scan(client, **kwargs) -> list[dict]:
    items, start = [], None
    for _ in range(100000):
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = client.scan(**kwargs)
        items.extend(page["Items"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return items
    raise AssertionError("scan pagination did not terminate")


def expect_error(call, code: str, message: str | None = None, contains: str | None = None,
                 status: int = 400) -> ClientError:
    """Runs call(), which must fail with error `code` (and the exact `message`, if given)."""
    try:
        call()
    except ClientError as e:
        assert error_code(e) == code, e.response
        assert http_status(e) == status, e.response
        if message is not None:
            assert error_message(e) == message, e.response
        if contains is not None:
            assert contains in error_message(e), e.response
        return e
    raise AssertionError(f"expected {code}, but the call succeeded")
