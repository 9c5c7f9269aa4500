"""The DynamoDB conformance oracle: tests/conformance/cases.json, request by request.

Each case is a request DynamoDB refuses and the reply it gives (HTTP status, __type,
message), with the source of the expected text. The requests are sent raw (signed, as the
SDKs send them) so that nothing client-side validates or rewrites them.
"""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

import meridian_testlib as mt

CASES_FILE = Path(__file__).resolve().parents[1] / "conformance" / "cases.json"
CASES = json.loads(CASES_FILE.read_text())


def nested_maps(depth: int) -> dict:
    """An AttributeValue of `depth` maps, each holding the next under "a"."""
    value: dict = {"M": {}}
    for _ in range(depth - 1):
        value = {"M": {"a": value}}
    return value


def expand(value, tables: dict):
    """Applies the case-file templates: {T}/{R}/{G} table names, "@repeat:c:n" (c * n),
    "@nest:n" (n nested maps), "@tags:n" (n distinct tags); in keys too."""
    if isinstance(value, dict):
        return {expand(k, tables): expand(v, tables) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v, tables) for v in value]
    if not isinstance(value, str):
        return value
    if value.startswith("@repeat:"):
        _, char, count = value.split(":")
        return char * int(count)
    if value.startswith("@nest:"):
        return nested_maps(int(value.split(":")[1]))
    if value.startswith("@tags:"):
        return [{"Key": f"k{i}", "Value": "v"} for i in range(int(value.split(":")[1]))]
    for placeholder, name in tables.items():
        value = value.replace("{" + placeholder + "}", name)
    # Messages quote the values they reject: expand "@repeat" inside them too.
    return re.sub(r"@repeat:(.):(\d+)", lambda m: m.group(1) * int(m.group(2)), value)


@pytest.fixture(scope="module")
def oracle_tables(dynamodb):
    names = {"T": mt.unique_name("oracle-t"), "R": mt.unique_name("oracle-r"),
             "G": mt.unique_name("oracle-g")}
    dynamodb.create_table(TableName=names["T"], BillingMode="PAY_PER_REQUEST",
                          **mt.key_schema(("p", "S")))
    dynamodb.create_table(TableName=names["R"], BillingMode="PAY_PER_REQUEST",
                          **mt.key_schema(("p", "S"), ("c", "S")))
    dynamodb.create_table(
        TableName=names["G"], BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "p", "KeyType": "HASH"},
                   {"AttributeName": "s", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t}
                              for n, t in (("p", "S"), ("s", "S"), ("g", "S"), ("gs", "N"),
                                           ("l", "N"))],
        GlobalSecondaryIndexes=[{"IndexName": "gsi", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                               {"AttributeName": "gs", "KeyType": "RANGE"}]}],
        LocalSecondaryIndexes=[{"IndexName": "lsi", "Projection": {"ProjectionType": "ALL"},
                                "KeySchema": [{"AttributeName": "p", "KeyType": "HASH"},
                                              {"AttributeName": "l", "KeyType": "RANGE"}]}])
    for name in names.values():
        mt.wait_active(dynamodb, name)
    dynamodb.put_item(TableName=names["T"], Item={"p": mt.S("set-item"), "a": {"NS": ["1", "2"]}})
    yield names
    for name in names.values():
        mt.delete_table_quietly(dynamodb, name)


def fix_g_keys(body: dict, tables: dict) -> dict:
    """Items and keys of the {G} table also need its sort key `s`."""
    def add_sort(obj):
        if isinstance(obj, dict):
            if obj.get("TableName") == tables["G"]:
                for member in ("Item", "Key"):
                    if member in obj:
                        obj[member].setdefault("s", {"S": "s"})
            for v in obj.values():
                add_sort(v)
        elif isinstance(obj, list):
            for v in obj:
                add_sort(v)
    body = copy.deepcopy(body)
    add_sort(body)
    for writes in body.get("RequestItems", {}).get(tables["G"], []):
        writes.get("PutRequest", {}).get("Item", {}).setdefault("s", {"S": "s"})
    return body


def test_case_file_is_well_formed():
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    for c in CASES:
        assert c["source"], c["name"]
        assert ("body" in c) != ("raw_body" in c), c["name"]
        assert c["type"].count("#") == 1, c["name"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_dynamodb_reply(case, raw, oracle_tables):
    if "raw_body" in case:
        body = case["raw_body"]
    else:
        body = fix_g_keys(expand(case["body"], oracle_tables), oracle_tables)
    reply = raw(case["target"], body)
    got = (reply.status, reply.error_type)
    assert got == (case["status"], case["type"]), f"{case['source']}: {reply}"
    if "message" in case:
        assert reply.error_message == expand(case["message"], oracle_tables), case["source"]
    if "message_regex" in case:
        assert re.search(case["message_regex"], reply.error_message or ""), \
            f"{case['source']}: {reply.error_message!r}"
