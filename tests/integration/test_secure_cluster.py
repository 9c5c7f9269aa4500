"""`deploy/local/cluster up --secure`: three regions with HTTPS + SigV4 on every API, NATS
with mutual TLS and one user per region, signed replication messages and encrypted data
directories. Tables replicate through all of it; what lacks a piece is refused: an unsigned
DynamoDB request, a NATS client without a certificate or with a wrong password, a region
user publishing another region's subjects, and a process that has a region's NATS
credentials but not its Ed25519 key (its changes are dropped and counted)."""
from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import meridian_testlib as mt
from cluster_fixture import started_cluster
from meridian_testlib import S

pytestmark = pytest.mark.skipif(mt.IS_EXTERNAL, reason="starts its own cluster")


@pytest.fixture(scope="module")
def secure():
    with started_cluster(up_args=("--secure",)) as c:
        yield c


def nats_port(c, i: int) -> int:
    return c.base + 10 * i


def nats_session(c, i: int, user: str, password: str, with_cert: bool = True):
    """A raw NATS client connection (TLS) to region i: returns (socket, first reply line)."""
    ctx = ssl.create_default_context(cafile=c.ca_file)
    if with_cert:
        ctx.load_cert_chain(str(c.dir / "secure" / "server.pem"),
                            str(c.dir / "secure" / "server-key.pem"))
    raw = socket.create_connection(("127.0.0.1", nats_port(c, i)), timeout=5)
    info = raw.recv(65536)
    assert info.startswith(b"INFO ") and json.loads(info[5:])["tls_required"], info
    s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    connect = {"verbose": False, "pedantic": False, "user": user, "pass": password}
    s.sendall(b"CONNECT " + json.dumps(connect).encode() + b"\r\nPING\r\n")
    return s, s.recv(4096)


def password(c, i: int) -> str:
    return (c.dir / "nats" / f"{c.names[i]}.password").read_text().strip()


def test_tables_replicate_over_tls_with_signed_messages(secure):
    c = secure
    table = mt.unique_name("sec")
    c.clients[0].create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                              **mt.key_schema(("pk", "S")))
    mt.wait_active(c.clients[0], table)
    for i in range(20):
        c.clients[i % 3].put_item(TableName=table, Item={"pk": S(f"k{i}"), "v": S(f"from{i % 3}")})
    c.wait_converged(table, timeout=30)
    for i in range(3):
        got = c.clients[i].get_item(TableName=table, Key={"pk": S("k7")}, ConsistentRead=True)
        assert got["Item"]["v"] == S("from1")
        varz = c.admin(i, "/varz")
        auth = varz["peer_authentication"]
        assert auth["enabled"] and auth["configured_regions"] == 3, auth
        assert varz["replication_counters"]["changes_applied"] > 0
        assert sum(auth["rejected"].values()) == 0, auth


def test_unsigned_and_plain_http_requests_are_refused(secure):
    c = secure
    r = mt.raw_post(c.api_urls[0], "DynamoDB_20120810.ListTables", {}, sign=False,
                    ca_file=c.ca_file)
    assert r.status == 400 and r.error_type.endswith("MissingAuthenticationTokenException"), r.text
    with pytest.raises(OSError):  # the API speaks only TLS
        mt.http_get(c.api_urls[0].replace("https://", "http://") + "/", timeout=2)
    wrong = c.make_client(1, credentials=("AKIAWRONGWRONGWRONG0", "not-the-secret"))
    with pytest.raises(ClientError) as e:
        wrong.list_tables()
    assert mt.error_code(e.value) == "UnrecognizedClientException"


def test_nats_refuses_clients_without_certificate_or_password(secure):
    c = secure
    with pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):
        s, reply = nats_session(c, 0, f"meridian-{c.names[0]}", password(c, 0), with_cert=False)
        s.recv(4096)  # TLS 1.3 reports the missing certificate on the first read
    s, reply = nats_session(c, 0, f"meridian-{c.names[0]}", "wrong password")
    assert b"Authorization Violation" in reply, reply
    s.close()
    # Region 1's password is not valid at region 0's server.
    s, reply = nats_session(c, 0, f"meridian-{c.names[1]}", password(c, 1))
    assert b"Authorization Violation" in reply, reply
    s.close()


def test_a_region_user_cannot_publish_another_regions_changes(secure):
    c = secure
    s, reply = nats_session(c, 0, f"meridian-{c.names[0]}", password(c, 0))
    assert reply.startswith(b"PONG"), reply
    s.sendall(f"PUB meridian.local.changes.{c.names[1]} 4\r\njunk\r\nPING\r\n".encode())
    got = b""
    deadline = time.monotonic() + 5
    while b"PONG" not in got and time.monotonic() < deadline:
        got += s.recv(4096)
    assert b"Permissions Violation for Publish" in got, got
    s.close()


def test_nats_credentials_without_the_region_key_are_not_enough(secure, tmp_path):
    """A process holding region 0's NATS credentials (certificate, user, password) but not
    its Ed25519 key: what it publishes as region 0 fails the signature everywhere."""
    c = secure
    keys = tmp_path / "peers"
    keys.mkdir()
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out",
                    str(tmp_path / "rogue.key")], check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", str(tmp_path / "rogue.key"), "-pubout", "-out",
                    str(keys / f"{c.names[0]}.pub")], check=True, capture_output=True)
    sec = c.dir / "secure"
    config = tmp_path / "rogue.toml"
    config.write_text("\n".join([
        f'nats_ca = "{sec}/ca.pem"', f'nats_cert = "{sec}/server.pem"',
        f'nats_key = "{sec}/server-key.pem"', f'nats_user = "meridian-{c.names[0]}"',
        f'nats_password = "{password(c, 0)}"', f'peer_key_file = "{tmp_path}/rogue.key"',
        f'peer_keys_dir = "{keys}"']) + "\n")
    before = [c.admin(i, "/varz")["peer_authentication"]["rejected"]["bad_signature"]
              for i in range(3)]
    rogue = mt.MeridianServer(tmp_path / "data", tmp_path / "rogue.log", region=c.names[0],
                              extra_args=["--config", str(config), "--region-id", "9",
                                          "--cluster", "local", "--global-tables",
                                          "--nats-url", f"tls://127.0.0.1:{nats_port(c, 0)}"])
    rogue.start()
    try:
        client = mt.make_client(rogue.endpoint)
        client.create_table(TableName="rogue-table", BillingMode="PAY_PER_REQUEST",
                            **mt.key_schema(("pk", "S")))
        client.put_item(TableName="rogue-table", Item={"pk": S("x")})
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            after = [c.admin(i, "/varz")["peer_authentication"]["rejected"]["bad_signature"]
                     for i in range(3)]
            if all(a > b for a, b in zip(after, before)):
                break
            time.sleep(0.2)
        assert all(a > b for a, b in zip(after, before)), (before, after)
        for i in range(3):
            assert "rogue-table" not in c.clients[i].list_tables()["TableNames"]
        assert b"bad_signature" in mt.http_get(c.admin_urls[1] + "/metrics",
                                               ca_file=c.ca_file)[1].encode()
    finally:
        rogue.stop()
