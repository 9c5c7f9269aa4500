"""BatchGetItem and BatchWriteItem: limits, errors, projections, UnprocessedKeys/Items."""
from __future__ import annotations

import meridian_testlib as mt
from meridian_testlib import S, N, expect_error

VALIDATION = "ValidationException"


def _put_many(client, table, n, **extra):
    for start in range(0, n, 25):
        client.batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": {"pk": S(f"k{i}"), "n": N(i), **extra}}}
            for i in range(start, min(n, start + 25))]})


def test_batch_write_then_get(dynamodb, hash_table):
    resp = dynamodb.batch_write_item(RequestItems={hash_table: [
        {"PutRequest": {"Item": {"pk": S(f"k{i}"), "n": N(i)}}} for i in range(25)]})
    assert resp["UnprocessedItems"] == {}
    assert "ConsumedCapacity" not in resp
    got = dynamodb.batch_get_item(RequestItems={hash_table: {
        "Keys": [{"pk": S(f"k{i}")} for i in range(30)], "ConsistentRead": True}})
    assert got["UnprocessedKeys"] == {}
    items = sorted(got["Responses"][hash_table], key=lambda it: int(it["n"]["N"]))
    assert items == [{"pk": S(f"k{i}"), "n": N(i)} for i in range(25)]


def test_batch_write_deletes_and_puts(dynamodb, range_table):
    dynamodb.put_item(TableName=range_table, Item={"pk": S("a"), "sk": S("1"), "v": S("old")})
    resp = dynamodb.batch_write_item(RequestItems={range_table: [
        {"DeleteRequest": {"Key": {"pk": S("a"), "sk": S("1")}}},
        {"PutRequest": {"Item": {"pk": S("a"), "sk": S("2"), "v": S("new")}}},
        {"DeleteRequest": {"Key": {"pk": S("missing"), "sk": S("x")}}},
    ]})
    assert resp["UnprocessedItems"] == {}
    items = mt.full_query(dynamodb, TableName=range_table, KeyConditionExpression="pk = :p",
                          ExpressionAttributeValues={":p": S("a")}, ConsistentRead=True)
    assert items == [{"pk": S("a"), "sk": S("2"), "v": S("new")}]


def test_batch_two_tables(dynamodb, hash_table, range_table):
    dynamodb.batch_write_item(RequestItems={
        hash_table: [{"PutRequest": {"Item": {"pk": S("h")}}}],
        range_table: [{"PutRequest": {"Item": {"pk": S("r"), "sk": S("s")}}}],
    })
    got = dynamodb.batch_get_item(RequestItems={
        hash_table: {"Keys": [{"pk": S("h")}, {"pk": S("nope")}], "ConsistentRead": True},
        range_table: {"Keys": [{"pk": S("r"), "sk": S("s")}], "ConsistentRead": True},
    })
    assert got["Responses"] == {hash_table: [{"pk": S("h")}],
                                range_table: [{"pk": S("r"), "sk": S("s")}]}
    assert got["UnprocessedKeys"] == {}


def test_batch_get_projection_per_table(dynamodb, hash_table, range_table):
    dynamodb.put_item(TableName=hash_table, Item={"pk": S("p"), "a": N(1), "b": N(2), "name": S("x")})
    dynamodb.put_item(TableName=range_table, Item={"pk": S("p"), "sk": S("s"), "a": N(3), "c": N(4)})
    got = dynamodb.batch_get_item(RequestItems={
        hash_table: {"Keys": [{"pk": S("p")}], "ConsistentRead": True,
                     "ProjectionExpression": "a, #n", "ExpressionAttributeNames": {"#n": "name"}},
        range_table: {"Keys": [{"pk": S("p"), "sk": S("s")}], "ConsistentRead": True,
                      "AttributesToGet": ["c", "sk"]},
    })
    assert got["Responses"][hash_table] == [{"a": N(1), "name": S("x")}]
    assert got["Responses"][range_table] == [{"c": N(4), "sk": S("s")}]


def test_batch_get_empty_responses_present(dynamodb, hash_table):
    got = dynamodb.batch_get_item(RequestItems={hash_table: {"Keys": [{"pk": S("none")}]}})
    assert got["Responses"] == {hash_table: []}
    assert got["UnprocessedKeys"] == {}


def test_batch_get_too_many_keys(dynamodb, hash_table, range_table):
    expect_error(lambda: dynamodb.batch_get_item(RequestItems={
        hash_table: {"Keys": [{"pk": S(f"k{i}")} for i in range(60)]},
        range_table: {"Keys": [{"pk": S(f"k{i}"), "sk": S("s")} for i in range(41)]},
    }), VALIDATION, "Too many items requested for the BatchGetItem call")


def test_batch_get_exactly_100_keys(dynamodb, hash_table):
    got = dynamodb.batch_get_item(RequestItems={hash_table: {
        "Keys": [{"pk": S(f"k{i}")} for i in range(100)]}})
    assert got["Responses"] == {hash_table: []}


def test_batch_get_duplicate_keys(dynamodb, hash_table):
    expect_error(lambda: dynamodb.batch_get_item(RequestItems={hash_table: {
        "Keys": [{"pk": S("a")}, {"pk": S("b")}, {"pk": S("a")}]}}),
        VALIDATION, "Provided list of item keys contains duplicates")


def test_batch_get_unknown_table(dynamodb, hash_table):
    expect_error(lambda: dynamodb.batch_get_item(RequestItems={
        hash_table: {"Keys": [{"pk": S("a")}]},
        mt.unique_name("missing"): {"Keys": [{"pk": S("a")}]}}),
        "ResourceNotFoundException", "Requested resource not found")


def test_batch_get_bad_key(dynamodb, range_table):
    expect_error(lambda: dynamodb.batch_get_item(RequestItems={range_table: {
        "Keys": [{"pk": S("a")}]}}),
        VALIDATION, "The provided key element does not match the schema")


def test_batch_get_mixed_projection_parameters(dynamodb, hash_table):
    expect_error(lambda: dynamodb.batch_get_item(RequestItems={hash_table: {
        "Keys": [{"pk": S("a")}], "AttributesToGet": ["a"], "ProjectionExpression": "a"}}),
        VALIDATION,
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}")


def test_batch_get_unused_names(dynamodb, hash_table):
    expect_error(lambda: dynamodb.batch_get_item(RequestItems={hash_table: {
        "Keys": [{"pk": S("a")}], "ProjectionExpression": "a",
        "ExpressionAttributeNames": {"#x": "x"}}}),
        VALIDATION, "Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}")


def test_batch_write_too_many_requests_one_table(dynamodb, hash_table):
    e = expect_error(lambda: dynamodb.batch_write_item(RequestItems={hash_table: [
        {"PutRequest": {"Item": {"pk": S(f"k{i}")}}} for i in range(26)]}), VALIDATION)
    msg = mt.error_message(e)
    assert msg.startswith("1 validation error detected: Value '{" + hash_table + "="), msg
    assert msg.endswith("at 'requestItems' failed to satisfy constraint: Map value must satisfy "
                        "constraint: [Member must have length less than or equal to 25, Member "
                        "must have length greater than or equal to 1]"), msg


def test_batch_write_too_many_requests_total(dynamodb, hash_table, range_table):
    expect_error(lambda: dynamodb.batch_write_item(RequestItems={
        hash_table: [{"PutRequest": {"Item": {"pk": S(f"k{i}")}}} for i in range(13)],
        range_table: [{"PutRequest": {"Item": {"pk": S(f"k{i}"), "sk": S("s")}}} for i in range(13)],
    }), VALIDATION, "Too many items requested for the BatchWriteItem call")


def test_batch_write_empty_list(raw, hash_table):
    # botocore refuses an empty list itself, so send it by hand.
    r = raw("BatchWriteItem", {"RequestItems": {hash_table: []}})
    assert r.error_type == "com.amazon.coral.validate#ValidationException", r
    assert r.error_message == (
        "1 validation error detected: Value '{" + hash_table + "=[]}' at 'requestItems' failed to "
        "satisfy constraint: Map value must satisfy constraint: [Member must have length less "
        "than or equal to 25, Member must have length greater than or equal to 1]"), r


def test_batch_write_duplicates_rejected_and_nothing_written(dynamodb, hash_table):
    expect_error(lambda: dynamodb.batch_write_item(RequestItems={hash_table: [
        {"PutRequest": {"Item": {"pk": S("new")}}},
        {"PutRequest": {"Item": {"pk": S("d")}}},
        {"DeleteRequest": {"Key": {"pk": S("d")}}},
    ]}), VALIDATION, "Provided list of item keys contains duplicates")
    assert "Item" not in dynamodb.get_item(TableName=hash_table, Key={"pk": S("new")},
                                           ConsistentRead=True)


def test_batch_write_unknown_table_writes_nothing(dynamodb, hash_table):
    expect_error(lambda: dynamodb.batch_write_item(RequestItems={
        hash_table: [{"PutRequest": {"Item": {"pk": S("x")}}}],
        mt.unique_name("missing"): [{"PutRequest": {"Item": {"pk": S("x")}}}],
    }), "ResourceNotFoundException", "Requested resource not found")
    assert "Item" not in dynamodb.get_item(TableName=hash_table, Key={"pk": S("x")},
                                           ConsistentRead=True)


def test_batch_write_item_errors(dynamodb, hash_table):
    expect_error(lambda: dynamodb.batch_write_item(RequestItems={hash_table: [
        {"PutRequest": {"Item": {"other": S("x")}}}]}),
        VALIDATION, "One or more parameter values were invalid: Missing the key pk in the item")
    expect_error(lambda: dynamodb.batch_write_item(RequestItems={hash_table: [
        {"PutRequest": {"Item": {"pk": S("x"), "big": S("x" * (400 * 1024))}}}]}),
        VALIDATION, "Item size has exceeded the maximum allowed size")
    expect_error(lambda: dynamodb.batch_write_item(RequestItems={hash_table: [
        {"DeleteRequest": {"Key": {"pk": N(1)}}}]}),
        VALIDATION, "The provided key element does not match the schema")


def test_batch_requires_request_items(raw):
    r = raw("BatchGetItem", {})
    assert r.error_type == "com.amazon.coral.validate#ValidationException", r
    assert r.error_message == ("1 validation error detected: Value null at 'requestItems' failed "
                               "to satisfy constraint: Member must not be null"), r
    r = raw("BatchWriteItem", {"RequestItems": {}})
    assert r.error_type == "com.amazon.coral.validate#ValidationException", r
    assert "Member must have length greater than or equal to 1" in r.error_message, r


def test_batch_get_16mb_limit_returns_unprocessed_keys(dynamodb, hash_table):
    blob = "x" * (390 * 1024)
    n = 45  # 45 * 390 KB > 16 MB
    for i in range(n):
        dynamodb.put_item(TableName=hash_table, Item={"pk": S(f"big{i}"), "blob": S(blob)})
    request = {hash_table: {"Keys": [{"pk": S(f"big{i}")} for i in range(n)],
                            "ProjectionExpression": "pk", "ConsistentRead": True}}
    # A projection does not shrink what is read: the limit counts whole items.
    first = dynamodb.batch_get_item(RequestItems={hash_table: {
        "Keys": request[hash_table]["Keys"], "ConsistentRead": True}})
    got = first["Responses"][hash_table]
    unprocessed = first["UnprocessedKeys"]
    assert unprocessed, "more than 16 MB requested: some keys must come back unprocessed"
    assert sum(len(it["blob"]["S"]) for it in got) <= 16 * 1024 * 1024
    assert unprocessed[hash_table]["ConsistentRead"] is True
    seen = {it["pk"]["S"] for it in got}
    for _ in range(10):
        if not unprocessed:
            break
        page = dynamodb.batch_get_item(RequestItems=unprocessed)
        seen |= {it["pk"]["S"] for it in page["Responses"].get(hash_table, [])}
        unprocessed = page["UnprocessedKeys"]
    assert seen == {f"big{i}" for i in range(n)}
