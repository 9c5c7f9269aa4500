"""SigV4 authentication and IAM policies against the real meridiand, with boto3 and the AWS
CLI: missing, unknown, wrong and expired signatures, session tokens, the sample table policy
verbatim, explicit Deny, fine-grained conditions (LeadingKeys, Attributes, Select), batch and
transaction checks, HTTPS with --ca-bundle and client certificates, and a fuzz run of
random and mutated Authorization headers (always a 4xx, never a crash)."""
from __future__ import annotations

import contextlib
import datetime
import http.client
import json
import os
import random
import subprocess
import sys
import types
from pathlib import Path
from unittest import mock

import boto3
import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, SSLError

import meridian_testlib as mt

pytestmark = pytest.mark.skipif(mt.IS_EXTERNAL, reason="configures meridiand's access keys")

ACCOUNT = "123456789012"
REGION = mt.REGION

# The sample policy of the issue, verbatim: four actions on one table.
SAMPLE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan",
                   "dynamodb:UpdateItem"],
        "Resource": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Music",
    }],
}
# Each user reaches only the partitions named after them; no deletes at all.
LEADING_KEYS_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow",
         "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:BatchWriteItem",
                    "dynamodb:BatchGetItem"],
         "Resource": [f"arn:aws:dynamodb:*:{ACCOUNT}:table/Scores",
                      f"arn:aws:dynamodb:*:{ACCOUNT}:table/Scores/index/*"],
         "Condition": {"ForAllValues:StringEquals": {
             "dynamodb:LeadingKeys": ["${aws:username}"]}}},
        {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": "*"},
    ],
}
# Vertical partitioning: only some attributes, and only by naming them.
ATTRIBUTES_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"],
        "Resource": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Scores",
        "Condition": {
            "ForAllValues:StringEquals": {"dynamodb:Attributes": ["user", "game", "score"]},
            "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"},
        },
    }],
}
STREAMS_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "dynamodb:*Stream*",
                   "Resource": f"arn:aws:dynamodb:*:{ACCOUNT}:table/Music/stream/*"},
                  {"Effect": "Allow", "Action": ["dynamodb:GetRecords",
                                                 "dynamodb:GetShardIterator"],
                   "Resource": f"arn:aws:dynamodb:*:{ACCOUNT}:table/Music/stream/*"}],
}

# PartiQL has its own actions: reads and inserts on Music, nothing else.
PARTIQL_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["dynamodb:PartiQLSelect", "dynamodb:PartiQLInsert"],
                   "Resource": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Music"}],
}

KEYS = {
    "admin": ("AKIAMERIDIANADMIN001", "admin+secret/aaaaaaaaaaaaaaaaaaaaaaaaaaa", None, None),
    "alice": ("AKIAMERIDIANALICE001", "alice+secret/bbbbbbbbbbbbbbbbbbbbbbbbbbb", "alice",
              SAMPLE_POLICY),
    "bob": ("AKIAMERIDIANBOB00001", "bob+secret/ccccccccccccccccccccccccccccc", "bob",
            LEADING_KEYS_POLICY),
    "carol": ("AKIAMERIDIANCAROL001", "carol+secret/dddddddddddddddddddddddddd", "carol",
              ATTRIBUTES_POLICY),
    "dave": ("AKIAMERIDIANDAVE0001", "dave+secret/eeeeeeeeeeeeeeeeeeeeeeeeeeee", "dave",
             STREAMS_POLICY),
    "erin": ("AKIAMERIDIANERIN0001", "erin+secret/hhhhhhhhhhhhhhhhhhhhhhhhhhhh", "erin",
             PARTIQL_POLICY),
}
TEMP = ("ASIAMERIDIANTEMP0001", "temp+secret/ffffffffffffffffffffffffffff",
        "FwoGZXIvYXdzEMERIDIAN//temporary+session+token==")
EXPIRED = ("ASIAMERIDIANOLD00001", "old+secret/gggggggggggggggggggggggggggggg", "old-token")


def keys_toml() -> str:
    out = [f'# access keys for test_security\n']
    for name, (key_id, secret, user, policy) in KEYS.items():
        out.append("[[access_keys]]\n")
        out.append(f'id = "{key_id}"\nsecret = "{secret}"\naccount_id = "{ACCOUNT}"\n')
        if user:
            out.append(f'user = "{user}"\n')
        if policy:
            out.append(f"policy = '''{json.dumps(policy)}'''\n")
    out.append(f'[[access_keys]]\nid = "{TEMP[0]}"\nsecret = "{TEMP[1]}"\n'
               f'session_token = "{TEMP[2]}"\nexpires = "2099-01-01T00:00:00Z"\n')
    out.append(f'[[access_keys]]\nid = "{EXPIRED[0]}"\nsecret = "{EXPIRED[1]}"\n'
               f'session_token = "{EXPIRED[2]}"\nexpires = "2020-01-01T00:00:00Z"\n')
    return "".join(out)


def make_certificates(d: Path) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1/localhost and a client certificate."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test CA",
        "-keyout", str(d / "ca.key"), "-out", str(d / "ca.pem"))
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
                      ("client", "extendedKeyUsage=clientAuth")):
        run("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
            "-keyout", str(d / f"{name}.key"), "-out", str(d / f"{name}.csr"))
        (d / f"{name}.ext").write_text(ext + "\n")
        run("x509", "-req", "-in", str(d / f"{name}.csr"), "-CA", str(d / "ca.pem"),
            "-CAkey", str(d / "ca.key"), "-CAcreateserial", "-days", "2",
            "-extfile", str(d / f"{name}.ext"), "-out", str(d / f"{name}.pem"))
    return {n: d / f"{n}.pem" for n in ("ca", "server", "client")} | {
        "server_key": d / "server.key", "client_key": d / "client.key"}


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    d = tmp_path_factory.mktemp("security")
    (d / "keys.toml").write_text(keys_toml())
    server = mt.MeridianServer(d / "data", d / "meridiand.log",
                               extra_args=["--access-keys-file", str(d / "keys.toml")])
    server.start()
    admin = client(server, "admin")
    for name, schema in (("Music", [("pk", "S")]), ("Other", [("pk", "S")]),
                         ("Scores", [("user", "S"), ("game", "S")])):
        kwargs = mt.key_schema(*schema) if len(schema) > 1 else mt.key_schema(schema[0])
        extra = {}
        if name == "Music":
            extra["StreamSpecification"] = {"StreamEnabled": True,
                                            "StreamViewType": "NEW_AND_OLD_IMAGES"}
        admin.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **kwargs, **extra)
        mt.wait_active(admin, name)
    try:
        yield server
    finally:
        server.stop()


def client(server, who: str | None = None, key_id=None, secret=None, token=None,
           service="dynamodb", **config):
    if who:
        key_id, secret = KEYS[who][0], KEYS[who][1]
    kwargs = {}
    if server.ca_file:
        kwargs["verify"] = server.ca_file
    return boto3.session.Session().client(
        service, region_name=REGION, endpoint_url=server.endpoint,
        aws_access_key_id=key_id, aws_secret_access_key=secret, aws_session_token=token,
        config=Config(retries={"total_max_attempts": 1}, **config), **kwargs)


def expect(call, code: str, message: str | None = None, contains: str | None = None):
    with pytest.raises(ClientError) as info:
        call()
    err = info.value.response
    assert err["Error"]["Code"] == code, err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400, err
    if message is not None:
        assert err["Error"]["Message"] == message
    if contains is not None:
        assert contains in err["Error"]["Message"], err["Error"]["Message"]
    return err["Error"]["Message"]


def cli(server, args: list[str], key_id: str, secret: str, token: str | None = None,
        skew_s: int = 0, extra: list[str] = ()) -> subprocess.CompletedProcess:
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret,
               AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_PAGER="", AWS_MAX_ATTEMPTS="1")
    env.pop("AWS_SESSION_TOKEN", None)
    if token:
        env["AWS_SESSION_TOKEN"] = token
    cmd = [mt.AWS_CLI]
    if skew_s:
        # The AWS CLI itself, with the clock its signer reads moved by skew_s seconds.
        cmd = ["/usr/bin/python3", "-c", CLI_WITH_SKEW, str(skew_s)]
    cmd += ["dynamodb", *args, "--endpoint-url", server.endpoint, "--output", "json", *extra]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)


CLI_WITH_SKEW = """
import datetime, importlib, sys, types
skew = datetime.timedelta(seconds=int(sys.argv.pop(1)))
import awscli.clidriver
class Skewed(datetime.datetime):
    @classmethod
    def utcnow(cls):
        return datetime.datetime.utcnow() + skew
fake = types.ModuleType("datetime")
fake.__dict__.update(datetime.__dict__)
fake.datetime = Skewed
# The CLI signs with whichever botocore it imported (its own copy or the system's).
for name in ("botocore.auth", "botocore.crt.auth", "awscli.botocore.auth",
             "awscli.botocore.crt.auth"):
    try:
        module = importlib.import_module(name)
    except ImportError:
        continue
    if hasattr(module, "datetime"):
        module.datetime = fake
sys.argv[0] = "aws"
sys.exit(awscli.clidriver.main())
"""


@contextlib.contextmanager
def skewed_clock(seconds: int):
    """botocore signs as if the time were now + seconds."""
    class Skewed(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return datetime.datetime.utcnow() + datetime.timedelta(seconds=seconds)
    fake = types.ModuleType("datetime")
    fake.__dict__.update(datetime.__dict__)
    fake.datetime = Skewed
    # With awscrt installed, botocore signs with botocore.crt.auth instead.
    modules = [m for name, m in sys.modules.items()
               if name in ("botocore.auth", "botocore.crt.auth") and hasattr(m, "datetime")]
    with contextlib.ExitStack() as stack:
        for m in modules:
            stack.enter_context(mock.patch.object(m, "datetime", fake))
        yield


MUSIC_KEY = {"pk": {"S": "song-1"}}


# -- authentication -------------------------------------------------------------------------

def test_a_request_without_a_signature_is_rejected(secured):
    r = mt.raw_post(secured.endpoint, "ListTables", {}, sign=False)
    assert r.status == 400
    assert r.error_type == mt.NS_SERVICE + "MissingAuthenticationTokenException"
    assert r.error_message == "Request is missing Authentication Token"
    # GET / stays a health check, as DynamoDB's is.
    assert mt.http_get(secured.endpoint + "/")[0] == 200


def test_unknown_key_id(secured):
    c = client(secured, key_id="AKIAUNKNOWNKEY000001", secret="whatever")
    expect(c.list_tables, "UnrecognizedClientException",
           "The security token included in the request is invalid.")
    r = cli(secured, ["list-tables"], "AKIAUNKNOWNKEY000001", "whatever")
    assert r.returncode != 0
    assert "UnrecognizedClientException" in r.stderr
    assert "The security token included in the request is invalid" in r.stderr


def test_wrong_secret(secured):
    c = client(secured, key_id=KEYS["admin"][0], secret="not-the-secret")
    expect(c.list_tables, "InvalidSignatureException",
           "The request signature we calculated does not match the signature you provided. "
           "Check your AWS Secret Access Key and signing method. Consult the service "
           "documentation for details.")
    r = cli(secured, ["list-tables"], KEYS["admin"][0], "not-the-secret")
    assert r.returncode != 0 and "InvalidSignatureException" in r.stderr


def test_right_key_with_boto3_and_the_cli(secured):
    names = client(secured, "admin").list_tables()["TableNames"]
    assert {"Music", "Other", "Scores"} <= set(names)
    r = cli(secured, ["list-tables"], *KEYS["admin"][:2])
    assert r.returncode == 0, r.stderr
    assert "Music" in json.loads(r.stdout)["TableNames"]


def test_signatures_older_or_newer_than_five_minutes(secured):
    c = client(secured, "admin")
    with skewed_clock(-360):
        msg = expect(c.list_tables, "InvalidSignatureException", contains="Signature expired: ")
    assert msg.endswith(" - 5 min.)"), msg
    with skewed_clock(360):
        expect(c.list_tables, "InvalidSignatureException",
               contains="Signature not yet current: ")
    with skewed_clock(-200):  # within the window
        c.list_tables()
    r = cli(secured, ["list-tables"], *KEYS["admin"][:2], skew_s=-400)
    assert r.returncode != 0
    assert "InvalidSignatureException" in r.stderr and "Signature expired" in r.stderr
    r = cli(secured, ["list-tables"], *KEYS["admin"][:2], skew_s=120)
    assert r.returncode == 0, r.stderr


def test_session_tokens(secured):
    key_id, secret, token = TEMP
    assert "TableNames" in client(secured, key_id=key_id, secret=secret,
                                  token=token).list_tables()
    expect(client(secured, key_id=key_id, secret=secret).list_tables,
           "UnrecognizedClientException")
    expect(client(secured, key_id=key_id, secret=secret, token=token + "x").list_tables,
           "UnrecognizedClientException")
    # A permanent key with a token it does not have.
    expect(client(secured, key_id=KEYS["admin"][0], secret=KEYS["admin"][1],
                  token="bogus").list_tables, "UnrecognizedClientException")
    expect(client(secured, key_id=EXPIRED[0], secret=EXPIRED[1], token=EXPIRED[2]).list_tables,
           "ExpiredTokenException", "The security token included in the request is expired")
    assert cli(secured, ["list-tables"], key_id, secret, token=token).returncode == 0
    r = cli(secured, ["list-tables"], key_id, secret)
    assert r.returncode != 0 and "UnrecognizedClientException" in r.stderr


def test_the_secret_never_reaches_the_log(secured):
    with pytest.raises(ClientError):
        client(secured, "alice").delete_table(TableName="Music")
    log = Path(secured.log_path).read_text(errors="replace")
    assert "SigV4 authentication on" in log
    for _, secret, _, _ in KEYS.values():
        assert secret not in log
    assert TEMP[1] not in log and TEMP[2] not in log


def test_without_keys_the_daemon_says_so_once(tmp_path):
    server = mt.MeridianServer(tmp_path / "data", tmp_path / "log").start()
    try:
        r = mt.raw_post(server.endpoint, "ListTables", {}, sign=False)
        assert r.status == 200, r
    finally:
        server.stop()
    log = (tmp_path / "log").read_text()
    assert log.count("authentication off") == 1


# -- policies -------------------------------------------------------------------------------

def denied_message(user: str, action: str, resource: str, explicit: bool = False) -> str:
    tail = (" with an explicit deny in an identity-based policy" if explicit else
            f" because no identity-based policy allows the dynamodb:{action} action")
    return (f"User: arn:aws:iam::{ACCOUNT}:user/{user} is not authorized to perform: "
            f"dynamodb:{action} on resource: {resource}{tail}")


def table_arn(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def test_sample_policy_allows_its_four_actions_and_nothing_else(secured):
    alice = client(secured, "alice")
    alice.put_item(TableName="Music", Item={"pk": {"S": "song-1"}, "plays": {"N": "1"}})
    assert alice.get_item(TableName="Music", Key=MUSIC_KEY)["Item"]["plays"] == {"N": "1"}
    alice.update_item(TableName="Music", Key=MUSIC_KEY, UpdateExpression="ADD plays :one",
                      ExpressionAttributeValues={":one": {"N": "1"}})
    assert any(i["pk"]["S"] == "song-1" for i in alice.scan(TableName="Music")["Items"])

    expect(lambda: alice.delete_item(TableName="Music", Key=MUSIC_KEY), "AccessDeniedException",
           denied_message("alice", "DeleteItem", table_arn("Music")))
    expect(lambda: alice.get_item(TableName="Other", Key=MUSIC_KEY), "AccessDeniedException",
           denied_message("alice", "GetItem", table_arn("Other")))
    expect(lambda: alice.put_item(TableName="Other", Item=MUSIC_KEY), "AccessDeniedException")
    expect(alice.list_tables, "AccessDeniedException",
           denied_message("alice", "ListTables", "*"))
    expect(lambda: alice.describe_table(TableName="Music"), "AccessDeniedException")
    expect(lambda: alice.delete_table(TableName="Music"), "AccessDeniedException")
    # The item is still there: the denied delete did nothing.
    assert client(secured, "admin").get_item(TableName="Music", Key=MUSIC_KEY)["Item"]

    # The same with the AWS CLI.
    key = json.dumps(MUSIC_KEY)
    ok = cli(secured, ["get-item", "--table-name", "Music", "--key", key], *KEYS["alice"][:2])
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["Item"]["pk"] == {"S": "song-1"}
    r = cli(secured, ["delete-item", "--table-name", "Music", "--key", key], *KEYS["alice"][:2])
    assert r.returncode != 0 and "AccessDeniedException" in r.stderr
    assert "dynamodb:DeleteItem" in r.stderr
    r = cli(secured, ["scan", "--table-name", "Other"], *KEYS["alice"][:2])
    assert r.returncode != 0 and "AccessDeniedException" in r.stderr


def test_batches_and_transactions_check_every_table(secured):
    alice = client(secured, "alice")
    # BatchWriteItem is not in the sample policy at all.
    expect(lambda: alice.batch_write_item(RequestItems={
        "Music": [{"PutRequest": {"Item": {"pk": {"S": "b1"}}}}]}), "AccessDeniedException",
        denied_message("alice", "BatchWriteItem", table_arn("Music")))
    # A transaction needs PutItem/UpdateItem/... on each item's table: Music yes, Other no.
    alice.transact_write_items(TransactItems=[
        {"Put": {"TableName": "Music", "Item": {"pk": {"S": "t1"}}}},
        {"Update": {"TableName": "Music", "Key": {"pk": {"S": "t2"}},
                    "UpdateExpression": "SET x = :x",
                    "ExpressionAttributeValues": {":x": {"S": "y"}}}}])
    expect(lambda: alice.transact_write_items(TransactItems=[
        {"Put": {"TableName": "Music", "Item": {"pk": {"S": "t3"}}}},
        {"Put": {"TableName": "Other", "Item": {"pk": {"S": "t3"}}}}]),
        "AccessDeniedException", denied_message("alice", "PutItem", table_arn("Other")))
    expect(lambda: alice.transact_write_items(TransactItems=[
        {"Delete": {"TableName": "Music", "Key": {"pk": {"S": "t1"}}}}]),
        "AccessDeniedException", denied_message("alice", "DeleteItem", table_arn("Music")))
    admin = client(secured, "admin")
    assert "Item" not in admin.get_item(TableName="Music", Key={"pk": {"S": "t3"}})
    assert "Item" in admin.get_item(TableName="Music", Key={"pk": {"S": "t1"}})
    got = alice.transact_get_items(TransactItems=[
        {"Get": {"TableName": "Music", "Key": {"pk": {"S": "t1"}}}}])
    assert got["Responses"][0]["Item"]["pk"] == {"S": "t1"}
    expect(lambda: alice.transact_get_items(TransactItems=[
        {"Get": {"TableName": "Other", "Key": {"pk": {"S": "t1"}}}}]), "AccessDeniedException")


def test_partiql_statements_need_the_partiql_actions(secured):
    erin = client(secured, "erin")
    erin.execute_statement(Statement="INSERT INTO \"Music\" VALUE {'pk': 'pq1', 'n': 1}")
    got = erin.execute_statement(Statement="SELECT * FROM \"Music\" WHERE pk = 'pq1'")["Items"]
    assert got == [{"pk": {"S": "pq1"}, "n": {"N": "1"}}]
    expect(lambda: erin.execute_statement(Statement="UPDATE \"Music\" SET n = 2 WHERE pk = 'pq1'"),
           "AccessDeniedException", denied_message("erin", "PartiQLUpdate", table_arn("Music")))
    expect(lambda: erin.execute_statement(Statement="DELETE FROM \"Music\" WHERE pk = 'pq1'"),
           "AccessDeniedException", denied_message("erin", "PartiQLDelete", table_arn("Music")))
    expect(lambda: erin.execute_statement(Statement="SELECT * FROM \"Other\""),
           "AccessDeniedException", denied_message("erin", "PartiQLSelect", table_arn("Other")))
    # The plain item API is not allowed by the PartiQL actions, and batches check every statement.
    expect(lambda: erin.get_item(TableName="Music", Key={"pk": {"S": "pq1"}}), "AccessDeniedException")
    expect(lambda: erin.batch_execute_statement(Statements=[
        {"Statement": "INSERT INTO \"Music\" VALUE {'pk': 'pq2'}"},
        {"Statement": "DELETE FROM \"Music\" WHERE pk = 'pq1'"}]), "AccessDeniedException",
        denied_message("erin", "PartiQLDelete", table_arn("Music")))
    admin = client(secured, "admin")
    assert admin.get_item(TableName="Music", Key={"pk": {"S": "pq1"}})["Item"]["n"] == {"N": "1"}
    assert "Item" not in admin.get_item(TableName="Music", Key={"pk": {"S": "pq2"}})


def test_leading_keys_confine_a_user_to_their_partitions(secured):
    bob = client(secured, "bob")
    own = {"user": {"S": "bob"}, "game": {"S": "chess"}}
    other = {"user": {"S": "alice"}, "game": {"S": "chess"}}
    bob.put_item(TableName="Scores", Item=dict(own, score={"N": "10"}))
    assert bob.get_item(TableName="Scores", Key=own)["Item"]["score"] == {"N": "10"}
    items = bob.query(TableName="Scores", KeyConditionExpression="#u = :u",
                      ExpressionAttributeNames={"#u": "user"},
                      ExpressionAttributeValues={":u": {"S": "bob"}})["Items"]
    assert len(items) == 1
    expect(lambda: bob.put_item(TableName="Scores", Item=dict(other, score={"N": "1"})),
           "AccessDeniedException",
           denied_message("bob", "PutItem", table_arn("Scores")))
    expect(lambda: bob.get_item(TableName="Scores", Key=other), "AccessDeniedException")
    expect(lambda: bob.query(TableName="Scores", KeyConditions={
        "user": {"AttributeValueList": [{"S": "alice"}], "ComparisonOperator": "EQ"}}),
        "AccessDeniedException")
    # One foreign key in a batch denies the whole batch.
    expect(lambda: bob.batch_write_item(RequestItems={"Scores": [
        {"PutRequest": {"Item": dict(own, game={"S": "go"})}},
        {"PutRequest": {"Item": other}}]}), "AccessDeniedException")
    bob.batch_write_item(RequestItems={"Scores": [
        {"PutRequest": {"Item": dict(own, game={"S": "go"})}}]})
    # Explicit Deny beats the Allow that covers DeleteItem.
    expect(lambda: bob.delete_item(TableName="Scores", Key=own), "AccessDeniedException",
           denied_message("bob", "DeleteItem", table_arn("Scores"), explicit=True))
    r = cli(secured, ["get-item", "--table-name", "Scores", "--key", json.dumps(other)],
            *KEYS["bob"][:2])
    assert r.returncode != 0 and "AccessDeniedException" in r.stderr
    r = cli(secured, ["get-item", "--table-name", "Scores", "--key", json.dumps(own)],
            *KEYS["bob"][:2])
    assert r.returncode == 0, r.stderr
    r = cli(secured, ["delete-item", "--table-name", "Scores", "--key", json.dumps(own)],
            *KEYS["bob"][:2])
    assert r.returncode != 0 and "explicit deny" in r.stderr


def test_attributes_and_select_conditions(secured):
    client(secured, "admin").put_item(TableName="Scores", Item={
        "user": {"S": "carol"}, "game": {"S": "go"}, "score": {"N": "7"},
        "secret": {"S": "hidden"}})
    carol = client(secured, "carol")
    key = {"user": {"S": "carol"}, "game": {"S": "go"}}
    got = carol.get_item(TableName="Scores", Key=key, ProjectionExpression="score, game")
    assert got["Item"] == {"score": {"N": "7"}, "game": {"S": "go"}}
    expect(lambda: carol.get_item(TableName="Scores", Key=key), "AccessDeniedException")
    expect(lambda: carol.get_item(TableName="Scores", Key=key,
                                  ProjectionExpression="score, secret"),
           "AccessDeniedException")
    expect(lambda: carol.get_item(TableName="Scores", Key=key, ProjectionExpression="#s",
                                  ExpressionAttributeNames={"#s": "secret"}),
           "AccessDeniedException")
    q = dict(TableName="Scores", KeyConditionExpression="#u = :u",
             ExpressionAttributeNames={"#u": "user"},
             ExpressionAttributeValues={":u": {"S": "carol"}})
    expect(lambda: carol.query(**q), "AccessDeniedException")
    expect(lambda: carol.query(**q, Select="ALL_ATTRIBUTES"), "AccessDeniedException")
    rows = carol.query(**dict(q, ExpressionAttributeNames={"#u": "user", "#g": "game"}),
                       ProjectionExpression="#u, #g, score")["Items"]
    assert rows and all("secret" not in r for r in rows)
    carol.put_item(TableName="Scores", Item={"user": {"S": "carol"}, "game": {"S": "x"},
                                             "score": {"N": "1"}})
    expect(lambda: carol.put_item(TableName="Scores", Item={
        "user": {"S": "carol"}, "game": {"S": "y"}, "secret": {"S": "s"}}),
        "AccessDeniedException")


def test_streams_actions_use_the_stream_arn(secured):
    dave = client(secured, "dave", service="dynamodbstreams")
    admin_streams = client(secured, "admin", service="dynamodbstreams")
    arn = client(secured, "admin").describe_table(TableName="Music")["Table"]["LatestStreamArn"]
    assert arn.startswith(f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Music/stream/")
    shards = dave.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    it = dave.get_shard_iterator(StreamArn=arn, ShardId=shards[0]["ShardId"],
                                 ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert "Records" in dave.get_records(ShardIterator=it)
    # ListStreams has no resource-level permission: "*" is not in dave's policy.
    expect(dave.list_streams, "AccessDeniedException",
           denied_message("dave", "ListStreams", "*"))
    assert admin_streams.list_streams()["Streams"]
    expect(lambda: client(secured, "dave").get_item(TableName="Music", Key=MUSIC_KEY),
           "AccessDeniedException")


# -- fuzzing --------------------------------------------------------------------------------

def signed_headers(endpoint: str, body: bytes, who: str = "admin") -> dict[str, str]:
    req = AWSRequest(method="POST", url=endpoint + "/", data=body,
                     headers={"Content-Type": mt.JSON_CT,
                              "X-Amz-Target": "DynamoDB_20120810.GetItem"})
    SigV4Auth(Credentials(*KEYS[who][:2]), "dynamodb", REGION).add_auth(req)
    return dict(req.headers.items())


def mutate(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(5)
        pos = rng.randrange(len(chars) + 1)
        if op == 0 and chars:
            del chars[min(pos, len(chars) - 1)]
        elif op == 1:
            chars.insert(pos, rng.choice(",=/ ;\t\"'\\*?%x0A="))
        elif op == 2 and chars:
            chars[min(pos, len(chars) - 1)] = chr(rng.randrange(0x20, 0x7f))
        elif op == 3:
            chars = chars[:pos]
        else:
            chars.insert(pos, rng.choice(["Credential=", "SignedHeaders=", "Signature=", ",,",
                                          "AWS4-HMAC-SHA256 ", "/" * 50, "=" * 20]))
    return "".join(chars)


def send(port: int, headers: dict[str, str], body: bytes) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("POST", "/", skip_host=True, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def test_fuzzed_authorization_headers_and_bodies_always_get_a_4xx(secured):
    rng = random.Random(18)
    body = json.dumps({"TableName": "Music", "Key": MUSIC_KEY}).encode()
    statuses = {}
    for i in range(400):
        headers = signed_headers(secured.endpoint, body)
        kind = i % 4
        if kind == 0:
            headers["Authorization"] = mutate(rng, headers["Authorization"])
        elif kind == 1:
            headers["Authorization"] = "".join(
                chr(rng.randrange(0x21, 0x7f)) for _ in range(rng.randrange(0, 3000)))
        elif kind == 2:
            name = rng.choice(["X-Amz-Date", "Host", "X-Amz-Target", "X-Amz-Security-Token",
                               "X-Amz-Content-Sha256"])
            headers[name] = mutate(rng, headers.get(name, "x"))
        status = send(secured.port, headers,
                      mutate(rng, body.decode()).encode() if kind == 3 else body)
        statuses[status] = statuses.get(status, 0) + 1
        # kind 3 keeps a valid signature over the original body only if unchanged.
        assert 400 <= status < 500 or status == 200, (i, status, headers)
    assert secured.alive() and secured.healthy()
    assert sum(n for s, n in statuses.items() if 400 <= s < 500) >= 390, statuses
    # Signed garbage bodies (valid signature over the garbage) get a 4xx too.
    for _ in range(100):
        junk = mutate(rng, body.decode()).encode()
        status = send(secured.port, signed_headers(secured.endpoint, junk), junk)
        assert status in (200, 400), status
    assert secured.alive()


# -- HTTPS ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    certs = make_certificates(d)
    (d / "keys.toml").write_text(keys_toml())
    server = mt.MeridianServer(
        d / "data", d / "meridiand.log", ca_file=str(certs["ca"]),
        extra_args=["--access-keys-file", str(d / "keys.toml"),
                    "--tls-cert", str(certs["server"]), "--tls-key", str(certs["server_key"])])
    server.start()
    try:
        yield server, certs
    finally:
        server.stop()


def test_https_with_boto3_and_the_cli(tls_server):
    server, certs = tls_server
    assert server.endpoint.startswith("https://")
    admin = client(server, "admin")
    admin.create_table(TableName="Secure", BillingMode="PAY_PER_REQUEST",
                       **mt.key_schema(("pk", "S")))
    mt.wait_active(admin, "Secure")
    admin.put_item(TableName="Secure", Item={"pk": {"S": "a"}, "v": {"S": "over tls"}})
    r = cli(server, ["get-item", "--table-name", "Secure", "--key", '{"pk":{"S":"a"}}'],
            *KEYS["admin"][:2], extra=["--ca-bundle", str(certs["ca"])])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["Item"]["v"] == {"S": "over tls"}
    # Without the CA, the certificate is not trusted.
    r = cli(server, ["list-tables"], *KEYS["admin"][:2])
    assert r.returncode != 0 and "SSL" in r.stderr
    untrusting = boto3.session.Session().client(
        "dynamodb", region_name=REGION, endpoint_url=server.endpoint,
        aws_access_key_id=KEYS["admin"][0], aws_secret_access_key=KEYS["admin"][1])
    with pytest.raises(SSLError):
        untrusting.list_tables()
    # Plain HTTP to the HTTPS port gets no answer; the admin port is HTTPS too.
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        send(server.port, {"Host": "x"}, b"{}")
    status, body = mt.http_get(server.admin_url + "/healthz", ca_file=str(certs["ca"]))
    assert status == 200
    # Wrong keys over TLS still get DynamoDB's errors.
    expect(client(server, key_id="AKIANOPE", secret="x").list_tables,
           "UnrecognizedClientException")


def test_client_certificates_when_a_client_ca_is_set(tmp_path):
    certs = make_certificates(tmp_path)
    server = mt.MeridianServer(
        tmp_path / "data", tmp_path / "log", ca_file=str(certs["ca"]),
        extra_args=["--tls-cert", str(certs["server"]), "--tls-key", str(certs["server_key"]),
                    "--tls-client-ca", str(certs["ca"])])
    # The readiness probe has no client certificate: wait on the log instead.
    server._start_once = _start_without_probe.__get__(server)
    server.start()
    try:
        with_cert = client(server, key_id="AKIAANY", secret="x",
                           client_cert=(str(certs["client"]), str(certs["client_key"])))
        assert "TableNames" in with_cert.list_tables()  # no keys configured: open
        without = client(server, key_id="AKIAANY", secret="x")
        with pytest.raises((SSLError, botocore.exceptions.EndpointConnectionError,
                            botocore.exceptions.ConnectionClosedError)):
            without.list_tables()
    finally:
        server.stop()


def _start_without_probe(self, timeout: float) -> None:
    """MeridianServer._start_once for a server that demands client certificates: ready once
    its log says so."""
    import time
    self.port, self.admin_port = mt.free_loopback_ports(2)
    cmd = [str(self.binary), "--region", self.region, "--data-dir", str(self.data_dir),
           "--listen", f"127.0.0.1:{self.port}",
           "--admin-listen", f"127.0.0.1:{self.admin_port}"] + self.extra_args
    self._log_file = open(self.log_path, "ab", buffering=0)
    self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log_file,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if self.proc.poll() is not None:
            raise mt.ServerStartError(self.log_tail())
        if "meridiand started" in Path(self.log_path).read_text(errors="replace"):
            return
        time.sleep(0.05)
    raise mt.ServerStartError(self.log_tail())
