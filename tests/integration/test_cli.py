"""The AWS CLI v2 (`/usr/bin/aws dynamodb ...`) against the server."""
from __future__ import annotations

import json
import os

import pytest

import meridian_testlib as mt
from meridian_testlib import AWS_CLI

pytestmark = pytest.mark.skipif(not os.access(AWS_CLI, os.X_OK), reason=f"{AWS_CLI} not installed")


def ok(result):
    rc, out, err = result
    assert rc == 0, f"aws exited {rc}: {err}"
    return out


def test_cli_end_to_end(aws, tables):
    name = tables.name()
    out = ok(aws("create-table", "--table-name", name,
                 "--attribute-definitions", "AttributeName=pk,AttributeType=S",
                 "AttributeName=sk,AttributeType=N",
                 "--key-schema", "AttributeName=pk,KeyType=HASH", "AttributeName=sk,KeyType=RANGE",
                 "--billing-mode", "PAY_PER_REQUEST"))
    assert out["TableDescription"]["TableName"] == name
    assert out["TableDescription"]["TableStatus"] in ("CREATING", "ACTIVE")

    assert ok(aws("wait", "table-exists", "--table-name", name)) is None
    desc = ok(aws("describe-table", "--table-name", name))["Table"]
    assert desc["TableStatus"] == "ACTIVE"
    assert desc["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                 {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert name in ok(aws("list-tables"))["TableNames"]

    for i in range(5):
        item = {"pk": {"S": "cli"}, "sk": {"N": str(i)}, "v": {"S": f"value-{i}"},
                "tags": {"SS": ["a", "b"]}}
        assert ok(aws("put-item", "--table-name", name, "--item", json.dumps(item))) is None

    got = ok(aws("get-item", "--table-name", name, "--consistent-read",
                 "--key", json.dumps({"pk": {"S": "cli"}, "sk": {"N": "3"}})))
    assert got["Item"]["v"] == {"S": "value-3"}
    assert sorted(got["Item"]["tags"]["SS"]) == ["a", "b"]

    upd = ok(aws("update-item", "--table-name", name,
                 "--key", json.dumps({"pk": {"S": "cli"}, "sk": {"N": "3"}}),
                 "--update-expression", "SET v = :v ADD cnt :one",
                 "--expression-attribute-values", json.dumps({":v": {"S": "changed"}, ":one": {"N": "1"}}),
                 "--return-values", "ALL_NEW"))
    assert upd["Attributes"]["v"] == {"S": "changed"}
    assert upd["Attributes"]["cnt"] == {"N": "1"}

    res = ok(aws("query", "--table-name", name, "--consistent-read",
                 "--key-condition-expression", "pk = :p AND sk BETWEEN :lo AND :hi",
                 "--expression-attribute-values",
                 json.dumps({":p": {"S": "cli"}, ":lo": {"N": "1"}, ":hi": {"N": "3"}})))
    assert res["Count"] == 3
    assert [it["sk"]["N"] for it in res["Items"]] == ["1", "2", "3"]

    res = ok(aws("query", "--table-name", name, "--no-scan-index-forward",
                 "--key-condition-expression", "pk = :p",
                 "--expression-attribute-values", json.dumps({":p": {"S": "cli"}})))
    assert [it["sk"]["N"] for it in res["Items"]] == ["4", "3", "2", "1", "0"]

    res = ok(aws("scan", "--table-name", name, "--consistent-read"))
    assert res["Count"] == 5 and len(res["Items"]) == 5
    # The CLI follows LastEvaluatedKey itself: small pages still return everything.
    res = ok(aws("scan", "--table-name", name, "--page-size", "2"))
    assert len(res["Items"]) == 5

    # A failing condition: non-zero exit status and the exception name on stderr.
    rc, out, err = aws("put-item", "--table-name", name,
                       "--item", json.dumps({"pk": {"S": "cli"}, "sk": {"N": "0"}}),
                       "--condition-expression", "attribute_not_exists(pk)")
    assert rc != 0
    assert "ConditionalCheckFailedException" in err
    got = ok(aws("get-item", "--table-name", name, "--consistent-read",
                 "--key", json.dumps({"pk": {"S": "cli"}, "sk": {"N": "0"}})))
    assert got["Item"]["v"] == {"S": "value-0"}, "the failed put must not have changed the item"

    deleted = ok(aws("delete-item", "--table-name", name,
                     "--key", json.dumps({"pk": {"S": "cli"}, "sk": {"N": "0"}}),
                     "--return-values", "ALL_OLD"))
    assert deleted["Attributes"]["v"] == {"S": "value-0"}
    got = ok(aws("get-item", "--table-name", name, "--consistent-read",
                 "--key", json.dumps({"pk": {"S": "cli"}, "sk": {"N": "0"}})))
    assert got is None or "Item" not in got

    out = ok(aws("delete-table", "--table-name", name))
    assert out["TableDescription"]["TableName"] == name
    ok(aws("wait", "table-not-exists", "--table-name", name))
    rc, out, err = aws("describe-table", "--table-name", name)
    assert rc != 0
    assert "ResourceNotFoundException" in err


def test_cli_validation_error(aws, tables):
    name = tables.create(("pk", "S"))
    rc, out, err = aws("put-item", "--table-name", name, "--item", json.dumps({"nokey": {"S": "x"}}))
    assert rc != 0
    assert "ValidationException" in err
    assert "Missing the key pk in the item" in err


def test_cli_missing_table(aws):
    rc, out, err = aws("describe-table", "--table-name", mt.unique_name("it-cli-missing"))
    assert rc != 0
    assert "ResourceNotFoundException" in err
