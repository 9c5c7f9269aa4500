"""HTTP behaviour of the DynamoDB endpoint, as DynamoDB's own endpoint behaves: compressed
request bodies, compressed replies, the headers every reply carries (Date, Server,
x-amzn-RequestId, X-Amz-Crc32), the GET / health check, and CORS for browser pages (checked
in headless Chromium too).
"""
from __future__ import annotations

import gzip
import http.client
import json
import shutil
import subprocess
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

import meridian_testlib as mt

pytestmark = pytest.mark.skipif(mt.IS_EXTERNAL, reason="checks this daemon's HTTP layer")

THRESHOLD = 4096  # DynamoDB compresses replies of 4 KiB and more


def request(endpoint, method="POST", path="/", body=b"", headers=None, target=None,
            credentials=None, sign=True):
    """One HTTP exchange on a fresh connection: (status, headers (lowercase), raw body)."""
    headers = dict(headers or {})
    if target:
        headers["X-Amz-Target"] = "DynamoDB_20120810." + target
        headers.setdefault("Content-Type", mt.JSON_CT)
    if sign and method == "POST":
        req = AWSRequest(method="POST", url=endpoint + path, data=body, headers=headers)
        SigV4Auth(credentials or mt.Credentials(mt.DUMMY_ACCESS_KEY, mt.DUMMY_SECRET_KEY),
                  "dynamodb", mt.REGION).add_auth(req)
        headers = dict(req.headers.items())
    url = urlparse(endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def table(dynamodb):
    name = mt.unique_name("http")
    dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                          **mt.key_schema(("p", "S")))
    mt.wait_active(dynamodb, name)
    yield name
    mt.delete_table_quietly(dynamodb, name)


def put_body(table, p, extra=None):
    item = {"p": {"S": p}, **(extra or {})}
    return json.dumps({"TableName": table, "Item": item}).encode()


def stored(dynamodb, table, p):
    return dynamodb.get_item(TableName=table, Key={"p": mt.S(p)}, ConsistentRead=True).get("Item")


# ---- request bodies -------------------------------------------------------------------

@pytest.mark.parametrize("coding,compress", [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("x-gzip", gzip.compress),
    # Two gzip members: a valid gzip stream (RFC 1952) whose parts decode back to back.
    ("gzip", lambda b: gzip.compress(b[:10]) + gzip.compress(b[10:])),
    # Applied in order: gzip, then deflate on top.
    ("gzip, deflate", lambda b: zlib.compress(gzip.compress(b))),
])
def test_compressed_request_bodies_are_accepted(endpoint, dynamodb, table, coding, compress):
    p = mt.unique_name("gz")
    body = put_body(table, p, {"v": {"S": "x" * 3000}})
    status, _, reply = request(endpoint, body=compress(body), target="PutItem",
                               headers={"Content-Encoding": coding})
    assert status == 200, reply
    assert stored(dynamodb, table, p)["v"] == {"S": "x" * 3000}


@pytest.mark.parametrize("name,coding,mangle,status,error", [
    ("truncated", "gzip", lambda b: gzip.compress(b)[:-1], 400, "SerializationException"),
    ("junk after the stream", "gzip", lambda b: gzip.compress(b) + b"junk", 400,
     "SerializationException"),
    ("not gzip at all", "gzip", lambda b: b, 400, "SerializationException"),
    ("empty body", "gzip", lambda b: b"", 400, "SerializationException"),
    ("broken deflate", "deflate", lambda b: zlib.compress(b)[:-3], 400, "SerializationException"),
    ("unknown coding", "br", lambda b: b, 415, "SerializationException"),
    # 17 MiB of spaces inside the JSON: 17 KB on the wire, over the 16 MB request limit once
    # inflated, and refused without inflating it all.
    ("decompression bomb", "gzip",
     lambda b: gzip.compress(b[:-1] + b" " * (17 << 20) + b[-1:]), 413, "ValidationException"),
])
def test_bad_compressed_bodies_get_a_4xx_and_write_nothing(endpoint, dynamodb, table, name,
                                                          coding, mangle, status, error):
    p = mt.unique_name("bad")
    code, _, reply = request(endpoint, body=mangle(put_body(table, p)), target="PutItem",
                             headers={"Content-Encoding": coding})
    assert code == status, (name, reply)
    assert json.loads(reply)["__type"].endswith("#" + error)
    assert stored(dynamodb, table, p) is None
    assert request(endpoint, "GET")[0] == 200  # still serving


# ---- replies ----------------------------------------------------------------------------

def test_every_reply_carries_dynamodb_headers(endpoint, table):
    ids = set()
    for method, target, body in [("POST", "ListTables", b"{}"),
                                 ("POST", "DescribeTable", b'{"TableName": "no-such-table"}'),
                                 ("POST", "NoSuchOperation", b"{}"),
                                 ("GET", None, b"")]:
        status, headers, reply = request(endpoint, method, body=body, target=target)
        assert "date" in headers and headers["date"].endswith(" GMT"), (target, headers)
        assert headers["server"] == "Server"
        assert len(headers["x-amzn-requestid"]) == 52
        assert headers["x-amzn-requestid"].isalnum()
        ids.add(headers["x-amzn-requestid"])
        # The checksum the SDKs verify, over the body bytes as sent.
        assert int(headers["x-amz-crc32"]) == zlib.crc32(reply), (target, reply)
    assert len(ids) == 4


@pytest.mark.parametrize("accept,expected", [
    ("gzip", "gzip"), ("deflate", "deflate"), ("gzip, deflate", "gzip"),
    ("br, identity, deflate, gzip", "deflate"), ("GZIP", "gzip"), ("*", "gzip"),
    ("*, gzip;q=0.5", "deflate"), ("gzip;q=0.5, deflate;q=0.8", "deflate"),
    ("gzip;q=0", None), ("identity", None), ("br", None), ("x-gzip", None), ("", None),
    ("*;q=0", None), ("gzip;q=0.x", "gzip"), ("deflate;q=0.5, gzip;q=31", "gzip"),
])
def test_large_replies_are_compressed_as_accept_encoding_asks(endpoint, dynamodb, table, accept,
                                                             expected):
    p = mt.unique_name("big")
    dynamodb.put_item(TableName=table, Item={"p": mt.S(p), "x": mt.S("x" * THRESHOLD)})
    body = json.dumps({"TableName": table, "Key": {"p": {"S": p}}}).encode()
    status, headers, reply = request(endpoint, body=body, target="GetItem",
                                     headers={"Accept-Encoding": accept})
    assert status == 200
    assert headers.get("content-encoding") == expected
    assert int(headers["x-amz-crc32"]) == zlib.crc32(reply)
    plain = {"gzip": gzip.decompress, "deflate": zlib.decompress, None: lambda b: b}[expected](reply)
    assert json.loads(plain)["Item"]["x"] == {"S": "x" * THRESHOLD}
    if expected:
        assert len(reply) * 30 < len(plain)


def test_small_replies_stay_uncompressed(endpoint, dynamodb, table):
    p = mt.unique_name("small")
    dynamodb.put_item(TableName=table, Item={"p": mt.S(p), "x": mt.S("x" * 100)})
    body = json.dumps({"TableName": table, "Key": {"p": {"S": p}}}).encode()
    _, headers, reply = request(endpoint, body=body, target="GetItem",
                                headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in headers and json.loads(reply)["Item"]


def test_boto3_checks_the_crc_of_every_reply(dynamodb, table):
    # botocore retries (then fails) a DynamoDB reply whose X-Amz-Crc32 does not match; a
    # successful run of requests with varied bodies shows every checksum was right.
    for i in range(20):
        dynamodb.put_item(TableName=table, Item={"p": mt.S(f"crc{i}"), "v": mt.S("é" * i)})
        assert dynamodb.get_item(TableName=table, Key={"p": mt.S(f"crc{i}")})["Item"]["v"]


# ---- health check -------------------------------------------------------------------------

def test_get_root_is_the_health_check(endpoint):
    host = urlparse(endpoint).netloc
    status, headers, body = request(endpoint, "GET")
    assert status == 200 and body.decode() == f"healthy: {host}"
    status, _, body = request(endpoint, "GET", headers={"Host": "dynamodb.us-east-1.amazonaws.com"})
    assert body.decode() == "healthy: dynamodb.us-east-1.amazonaws.com"
    for path in ["/abc", "/-", "/index.htm", "/health"]:
        assert 400 <= request(endpoint, "GET", path=path)[0] <= 404, path


# ---- CORS ----------------------------------------------------------------------------------

CORS_HEADERS = ["access-control-allow-origin", "access-control-allow-credentials",
                "access-control-expose-headers", "access-control-max-age",
                "access-control-allow-methods", "access-control-allow-headers"]


def test_no_cors_headers_without_an_origin(endpoint):
    for method in ["OPTIONS", "GET", "POST"]:
        _, headers, _ = request(endpoint, method, body=b"{}", target="ListTables")
        assert not any(h in headers for h in CORS_HEADERS), method


def test_cors_for_any_origin_by_default(endpoint):
    asked = {"Origin": "http://example.com", "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "content-type, x-amz-target, authorization"}
    status, headers, _ = request(endpoint, "OPTIONS", headers=asked)
    assert status == 200
    assert headers["access-control-allow-origin"] == "*"
    assert headers["access-control-allow-methods"] == "POST"
    assert headers["access-control-allow-headers"] == asked["Access-Control-Request-Headers"]
    assert "access-control-max-age" in headers
    assert "x-amzn-RequestId" in headers["access-control-expose-headers"]
    _, headers, _ = request(endpoint, "POST", body=b"{}", target="ListTables",
                            headers={"Origin": "http://example.com"})
    assert headers["access-control-allow-origin"] == "*"
    assert "access-control-max-age" not in headers


@pytest.fixture(scope="module")
def cors_server(tmp_path_factory):
    work = tmp_path_factory.mktemp("cors")
    server = mt.MeridianServer(work / "data", work / "meridiand.log", extra_args=[
        "--cors-allowed-origins", "https://app.example, http://127.0.0.1:1"])
    server.start()
    yield server
    server.stop()


def test_cors_only_for_configured_origins(cors_server):
    ok = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    _, headers, _ = request(cors_server.endpoint, "OPTIONS", headers=ok)
    assert headers["access-control-allow-origin"] == "https://app.example"
    assert headers["vary"] == "Origin"
    _, headers, _ = request(cors_server.endpoint, "OPTIONS",
                            headers={**ok, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in headers


class _Page(BaseHTTPRequestHandler):
    """Serves the test page from another origin than the API's."""
    html = b""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(self.html)

    def log_message(self, *args):
        pass


def test_a_browser_page_calls_the_api_across_origins(endpoint, dynamodb, table, tmp_path):
    """Headless Chromium runs a page from another origin that calls PutItem and GetItem with
    fetch() and the headers the AWS SDK for JavaScript sends (SigV4 headers, X-Amz-Target,
    x-amz-user-agent): the browser's preflight and CORS checks must let it read the replies."""
    chromium = shutil.which("chromium")
    assert chromium, "chromium (Debian package) is required"
    p = mt.unique_name("browser")
    # The page signs nothing itself: it replays headers signed here (authentication is off
    # on this server, but the browser still preflights every one of them).
    calls = []
    for target, body in [("PutItem", put_body(table, p, {"v": {"S": "from the browser"}})),
                         ("GetItem", json.dumps({"TableName": table, "Key": {"p": {"S": p}},
                                                 "ConsistentRead": True}).encode())]:
        req = AWSRequest(method="POST", url=endpoint + "/", data=body, headers={
            "Content-Type": mt.JSON_CT, "X-Amz-Target": "DynamoDB_20120810." + target,
            "x-amz-user-agent": "aws-sdk-js/3.0.0"})
        SigV4Auth(mt.Credentials(mt.DUMMY_ACCESS_KEY, mt.DUMMY_SECRET_KEY), "dynamodb",
                  mt.REGION).add_auth(req)
        headers = {k: v for k, v in req.headers.items() if k.lower() != "host"}
        calls.append({"headers": headers, "body": body.decode()})
    script = f"""
      const calls = {json.dumps(calls)};
      (async () => {{
        const out = [];
        for (const c of calls) {{
          const r = await fetch({json.dumps(endpoint + "/")},
                                {{method: "POST", headers: c.headers, body: c.body}});
          out.push(r.status + " " + r.headers.get("x-amzn-RequestId").length + " " +
                   (await r.text()));
        }}
        document.getElementById("out").textContent = JSON.stringify(out);
      }})().catch(e => document.getElementById("out").textContent = "ERROR " + e);
    """
    _Page.html = f"<html><body><pre id='out'>pending</pre><script>{script}</script></body></html>".encode()
    page = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=page.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{page.server_address[1]}/"
        flags = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
                 "--virtual-time-budget=10000", "--dump-dom", url]
        dom = subprocess.run(flags, capture_output=True, text=True, timeout=120).stdout
    finally:
        page.shutdown()
    out = dom.split("<pre id=\"out\">", 1)[1].split("</pre>", 1)[0]
    results = json.loads(out.replace("&quot;", '"').replace("&amp;", "&"))
    assert results[0].startswith("200 52 "), results
    assert results[1].startswith("200 52 ") and "from the browser" in results[1], results
    assert stored(dynamodb, table, p)["v"] == {"S": "from the browser"}
