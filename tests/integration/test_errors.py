"""Error responses: codes, HTTP status, messages and exact `__type` namespaces.

The last test checks the daemon is still healthy after all of this.
"""
from __future__ import annotations


import pytest
from botocore.exceptions import ClientError

import meridian_testlib as mt
from meridian_testlib import S, N


def expect(call, code, status=400, message=None, contains=None):
    with pytest.raises(ClientError) as ei:
        call()
    e = ei.value
    assert mt.error_code(e) == code, e.response
    assert mt.http_status(e) == status, e.response
    if message is not None:
        assert mt.error_message(e) == message
    if contains is not None:
        assert contains in mt.error_message(e)
    return e


# ---- key validation ---------------------------------------------------------------

def test_put_missing_key_attribute(dynamodb, hash_table, range_table):
    expect(lambda: dynamodb.put_item(TableName=hash_table, Item={"other": S("x")}),
           "ValidationException",
           message="One or more parameter values were invalid: Missing the key pk in the item")
    expect(lambda: dynamodb.put_item(TableName=range_table, Item={"pk": S("x")}),
           "ValidationException",
           message="One or more parameter values were invalid: Missing the key sk in the item")


def test_put_wrong_key_type(dynamodb, hash_table, num_range_table):
    expect(lambda: dynamodb.put_item(TableName=hash_table, Item={"pk": N(1)}),
           "ValidationException",
           message="One or more parameter values were invalid: Type mismatch for key pk "
                   "expected: S actual: N")
    expect(lambda: dynamodb.put_item(TableName=num_range_table, Item={"pk": S("a"), "sk": S("1")}),
           "ValidationException",
           message="One or more parameter values were invalid: Type mismatch for key sk "
                   "expected: N actual: S")


def test_get_bad_keys(dynamodb, hash_table, range_table):
    msg = "The provided key element does not match the schema"
    expect(lambda: dynamodb.get_item(TableName=hash_table, Key={"other": S("x")}),
           "ValidationException", message=msg)
    expect(lambda: dynamodb.get_item(TableName=hash_table, Key={"pk": N(1)}),
           "ValidationException", message=msg)
    expect(lambda: dynamodb.get_item(TableName=hash_table, Key={"pk": S("x"), "extra": S("y")}),
           "ValidationException", message=msg)
    expect(lambda: dynamodb.get_item(TableName=range_table, Key={"pk": S("x")}),
           "ValidationException", message=msg)
    expect(lambda: dynamodb.delete_item(TableName=range_table, Key={"pk": S("x")}),
           "ValidationException", message=msg)
    expect(lambda: dynamodb.update_item(TableName=range_table, Key={"pk": S("x")},
                                        UpdateExpression="SET a = :v",
                                        ExpressionAttributeValues={":v": N(1)}),
           "ValidationException", message=msg)


def test_empty_key_values(dynamodb, hash_table, range_table, tables):
    expect(lambda: dynamodb.put_item(TableName=hash_table, Item={"pk": S("")}),
           "ValidationException",
           message="One or more parameter values are not valid. The AttributeValue for a key "
                   "attribute cannot contain an empty string value. Key: pk")
    expect(lambda: dynamodb.put_item(TableName=range_table, Item={"pk": S("x"), "sk": S("")}),
           "ValidationException",
           message="One or more parameter values are not valid. The AttributeValue for a key "
                   "attribute cannot contain an empty string value. Key: sk")
    expect(lambda: dynamodb.get_item(TableName=hash_table, Key={"pk": S("")}),
           "ValidationException",
           contains="The AttributeValue for a key attribute cannot contain an empty string value")
    bin_table = tables.create(("pk", "B"))
    expect(lambda: dynamodb.put_item(TableName=bin_table, Item={"pk": {"B": b""}}),
           "ValidationException",
           message="One or more parameter values are not valid. The AttributeValue for a key "
                   "attribute cannot contain an empty binary value. Key: pk")


def test_key_size_limits(dynamodb, range_table):
    # Partition key: up to 2048 bytes; sort key: up to 1024 bytes (UTF-8 bytes, not chars).
    dynamodb.put_item(TableName=range_table, Item={"pk": S("p" * 2048), "sk": S("s" * 1024)})
    got = dynamodb.get_item(TableName=range_table, Key={"pk": S("p" * 2048), "sk": S("s" * 1024)},
                            ConsistentRead=True)
    assert "Item" in got
    expect(lambda: dynamodb.put_item(TableName=range_table, Item={"pk": S("p" * 2049), "sk": S("s")}),
           "ValidationException",
           # sic: DynamoDB's message has no space between "of" and "2048"
           message="One or more parameter values were invalid: Size of hashkey has exceeded "
                   "the maximum size limit of2048 bytes")
    expect(lambda: dynamodb.put_item(TableName=range_table, Item={"pk": S("p"), "sk": S("s" * 1025)}),
           "ValidationException",
           message="One or more parameter values were invalid: Aggregated size of all range keys "
                   "has exceeded the size limit of 1024 bytes")
    # 1025 bytes in 513 characters is still too long.
    expect(lambda: dynamodb.put_item(TableName=range_table,
                                     Item={"pk": S("p"), "sk": S("\u00e9" * 512 + "a")}),
           "ValidationException", contains="Aggregated size of all range keys")
    expect(lambda: dynamodb.put_item(TableName=range_table,
                                     Item={"pk": S("\u00e9" * 1024 + "a"), "sk": S("s")}),
           "ValidationException", contains="Size of hashkey has exceeded")
    # The same limits apply to reads.
    expect(lambda: dynamodb.get_item(TableName=range_table, Key={"pk": S("p" * 2049), "sk": S("s")}),
           "ValidationException")
    expect(lambda: dynamodb.get_item(TableName=range_table, Key={"pk": S("p"), "sk": S("s" * 1025)}),
           "ValidationException")


def test_item_too_large(dynamodb, hash_table):
    big = "x" * (400 * 1024 + 1)
    expect(lambda: dynamodb.put_item(TableName=hash_table, Item={"pk": S("big"), "v": S(big)}),
           "ValidationException", message="Item size has exceeded the maximum allowed size")
    assert "Item" not in dynamodb.get_item(TableName=hash_table, Key={"pk": S("big")},
                                           ConsistentRead=True)
    # Many attributes adding up to more than 400 KB count too (names included).
    attrs = {f"attr{i:04d}": S("y" * 1000) for i in range(410)}
    expect(lambda: dynamodb.put_item(TableName=hash_table, Item={"pk": S("big"), **attrs}),
           "ValidationException", message="Item size has exceeded the maximum allowed size")
    # An update that would grow an item past the limit fails and changes nothing.
    dynamodb.put_item(TableName=hash_table, Item={"pk": S("grow"), "a": S("x" * (300 * 1024))})
    e = expect(lambda: dynamodb.update_item(TableName=hash_table, Key={"pk": S("grow")},
                                            UpdateExpression="SET b = :v",
                                            ExpressionAttributeValues={":v": S("y" * (200 * 1024))}),
               "ValidationException")
    assert "exceeded the maximum allowed size" in mt.error_message(e)
    got = dynamodb.get_item(TableName=hash_table, Key={"pk": S("grow")}, ConsistentRead=True)["Item"]
    assert set(got) == {"pk", "a"}


# ---- expressions --------------------------------------------------------------------

def test_malformed_expressions(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item={"pk": S("e"), "a": N(1)})
    key = {"pk": S("e")}
    e = expect(lambda: dynamodb.update_item(TableName=hash_table, Key=key, UpdateExpression="SET a = = :v",
                                            ExpressionAttributeValues={":v": N(1)}),
               "ValidationException")
    assert mt.error_message(e).startswith("Invalid UpdateExpression: Syntax error; token:")
    e = expect(lambda: dynamodb.put_item(TableName=hash_table, Item=key, ConditionExpression="a = ",
                                         ExpressionAttributeValues={":v": N(1)}),
               "ValidationException")
    assert mt.error_message(e).startswith("Invalid ConditionExpression: Syntax error; token:")
    e = expect(lambda: dynamodb.query(TableName=hash_table, KeyConditionExpression="pk = = :p",
                                      ExpressionAttributeValues={":p": S("e")}),
               "ValidationException")
    assert mt.error_message(e).startswith("Invalid KeyConditionExpression: Syntax error; token:")
    e = expect(lambda: dynamodb.scan(TableName=hash_table, FilterExpression="a >",
                                     ExpressionAttributeValues={":v": N(1)}),
               "ValidationException")
    assert mt.error_message(e).startswith("Invalid FilterExpression: Syntax error; token:")
    e = expect(lambda: dynamodb.get_item(TableName=hash_table, Key=key, ProjectionExpression="a[x]"),
               "ValidationException")
    assert mt.error_message(e).startswith("Invalid ProjectionExpression: Syntax error; token:")
    # Values/names that are referenced but not supplied, or supplied but unused.
    expect(lambda: dynamodb.update_item(TableName=hash_table, Key=key, UpdateExpression="SET a = :nope"),
           "ValidationException")
    expect(lambda: dynamodb.update_item(TableName=hash_table, Key=key, UpdateExpression="SET #nope = :v",
                                        ExpressionAttributeValues={":v": N(1)}),
           "ValidationException",
           contains="An expression attribute name used in the document path is not defined; "
                    "attribute name: #nope")
    expect(lambda: dynamodb.get_item(TableName=hash_table, Key=key, ExpressionAttributeNames={"#a": "a"}),
           "ValidationException")
    # Expression parameters without an expression are rejected.
    e = expect(lambda: dynamodb.put_item(TableName=hash_table, Item=key,
                                         ExpressionAttributeValues={":v": N(1)}),
               "ValidationException")
    # DynamoDB goes on with ": ConditionExpression is null".
    assert mt.error_message(e).startswith(
        "ExpressionAttributeValues can only be specified when using expressions")
    expect(lambda: dynamodb.get_item(TableName=hash_table, Key=key, ExpressionAttributeNames={"#a": "a"}),
           "ValidationException",
           message="ExpressionAttributeNames can only be specified when using expressions")
    assert dynamodb.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"] == \
        {"pk": S("e"), "a": N(1)}


def test_invalid_expression_attribute_names_and_values(dynamodb, hash_table):
    key = {"pk": S("e")}
    # Placeholders must start with # and :, and the values must be valid AttributeValues.
    expect(lambda: dynamodb.update_item(TableName=hash_table, Key=key, UpdateExpression="SET a = :v",
                                        ExpressionAttributeValues={"v": N(1)}),
           "ValidationException")
    expect(lambda: dynamodb.update_item(TableName=hash_table, Key=key, UpdateExpression="SET #a = :v",
                                        ExpressionAttributeNames={"a": "a"},
                                        ExpressionAttributeValues={":v": N(1)}),
           "ValidationException")
    expect(lambda: dynamodb.update_item(TableName=hash_table, Key=key, UpdateExpression="SET a = :v",
                                        ExpressionAttributeValues={":v": {"N": "not-a-number"}}),
           "ValidationException")


# ---- missing tables ---------------------------------------------------------------

@pytest.mark.parametrize("op", ["get_item", "put_item", "delete_item", "update_item", "query", "scan",
                                "describe_table", "delete_table"])
def test_missing_table_is_resource_not_found(dynamodb, op):
    name = mt.unique_name("it-missing")
    calls = {
        "get_item": lambda: dynamodb.get_item(TableName=name, Key={"pk": S("x")}),
        "put_item": lambda: dynamodb.put_item(TableName=name, Item={"pk": S("x")}),
        "delete_item": lambda: dynamodb.delete_item(TableName=name, Key={"pk": S("x")}),
        "update_item": lambda: dynamodb.update_item(TableName=name, Key={"pk": S("x")},
                                                    UpdateExpression="SET a = :v",
                                                    ExpressionAttributeValues={":v": N(1)}),
        "query": lambda: dynamodb.query(TableName=name, KeyConditionExpression="pk = :p",
                                        ExpressionAttributeValues={":p": S("x")}),
        "scan": lambda: dynamodb.scan(TableName=name),
        "describe_table": lambda: dynamodb.describe_table(TableName=name),
        "delete_table": lambda: dynamodb.delete_table(TableName=name),
    }
    e = expect(calls[op], "ResourceNotFoundException")
    assert mt.error_message(e).startswith("Requested resource not found")


def test_resource_in_use(dynamodb, hash_table):
    expect(lambda: dynamodb.create_table(TableName=hash_table, BillingMode="PAY_PER_REQUEST",
                                         **mt.key_schema(("pk", "S"))),
           "ResourceInUseException")


def test_conditional_check_failed(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item={"pk": S("ccf"), "v": N(1)})
    expect(lambda: dynamodb.put_item(TableName=hash_table, Item={"pk": S("ccf"), "v": N(2)},
                                     ConditionExpression="attribute_not_exists(pk)"),
           "ConditionalCheckFailedException", message="The conditional request failed")
    assert dynamodb.get_item(TableName=hash_table, Key={"pk": S("ccf")},
                             ConsistentRead=True)["Item"]["v"] == N(1)


# ---- raw protocol: exact __type values ----------------------------------------------

def _check_json_error(r: mt.RawResponse, full_type: str):
    assert r.status == 400, r
    assert r.error_type == full_type, r
    assert r.headers.get("content-type", "").startswith("application/x-amz-json-1.0"), r.headers


def test_raw_validation_exception_type(raw, hash_table):
    r = raw("PutItem", {"TableName": hash_table, "Item": {"nokey": {"S": "x"}}})
    _check_json_error(r, "com.amazon.coral.validate#ValidationException")
    assert r.error_message == "One or more parameter values were invalid: Missing the key pk in the item"


def test_raw_resource_not_found_type(raw):
    name = mt.unique_name("it-missing")
    r = raw("DescribeTable", {"TableName": name})
    _check_json_error(r, "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException")
    assert r.error_message == f"Requested resource not found: Table: {name} not found"


def test_raw_resource_in_use_type(raw, hash_table):
    r = raw("CreateTable", {"TableName": hash_table, "BillingMode": "PAY_PER_REQUEST",
                            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]})
    _check_json_error(r, "com.amazonaws.dynamodb.v20120810#ResourceInUseException")


def test_raw_conditional_check_failed_type(raw, dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item={"pk": S("raw-ccf")})
    r = raw("PutItem", {"TableName": hash_table, "Item": {"pk": {"S": "raw-ccf"}},
                        "ConditionExpression": "attribute_not_exists(pk)"})
    _check_json_error(r, "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException")
    assert r.error_message == "The conditional request failed"


@pytest.mark.parametrize("value, message", [
    ({"S": "a", "N": "1"}, "Supplied AttributeValue has more than one datatypes set, must contain "
                           "exactly one of the supported datatypes"),
    ({}, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
    ({"S": None}, "Supplied AttributeValue is empty, must contain exactly one of the supported "
                  "datatypes"),
], ids=["two-types", "empty", "only-null"])
def test_raw_attribute_value_needs_exactly_one_type(raw, hash_table, value, message):
    r = raw("PutItem", {"TableName": hash_table, "Item": {"pk": {"S": "av"}, "a": value}})
    _check_json_error(r, "com.amazon.coral.validate#ValidationException")
    assert r.error_message == message


def test_raw_attribute_value_null_member_counts_as_absent(raw, dynamodb, hash_table):
    # A JSON null beside the one type set is ignored, as by DynamoDB's JSON reader.
    r = raw("PutItem", {"TableName": hash_table,
                        "Item": {"pk": {"S": "av-null"}, "a": {"S": None, "N": "7"}}})
    assert r.status == 200, r
    item = dynamodb.get_item(TableName=hash_table, Key={"pk": S("av-null")})["Item"]
    assert item["a"] == N("7")


@pytest.mark.parametrize("body", [
    b'{"TableName": ',
    b'{"TableName": "x"',
    b"not json at all",
    b'{"TableName": "x",}',
    b"\xff\xfe garbage",
], ids=["truncated", "unclosed", "text", "trailing-comma", "binary"])
def test_raw_malformed_json_is_serialization_exception(raw, body):
    r = raw("ListTables", body)
    assert r.status == 400, r
    assert r.error_type is not None and r.error_type.endswith("#SerializationException"), r
    assert r.error_type == "com.amazon.coral.service#SerializationException", r


@pytest.mark.parametrize("body", [
    {"TableName": 123},                             # string expected
    {"TableName": ["a"]},
    {"Limit": "ten"},                               # integer expected
    {"TableName": "t", "Key": {"pk": {"N": 123}}},  # numbers travel as JSON strings
    {"TableName": "t", "Key": {"pk": {"S": {"nested": 1}}}},
    {"TableName": "t", "Key": ["pk"]},
], ids=["name-int", "name-list", "limit-str", "N-as-number", "S-as-map", "key-list"])
def test_raw_wrong_json_types_are_serialization_exception(raw, body):
    target = "ListTables" if set(body) <= {"Limit"} else "GetItem"
    r = raw(target, body)
    assert r.status == 400, r
    assert r.error_type == "com.amazon.coral.service#SerializationException", r


def test_raw_unknown_operation(raw):
    r = raw("DynamoDB_20120810.NoSuchOp", {})
    assert r.status == 400, r
    assert r.error_type is not None and r.error_type.endswith("#UnknownOperationException"), r
    assert r.error_type == "com.amazon.coral.service#UnknownOperationException", r


def test_raw_unknown_service_prefix(raw):
    r = raw("DynamoDB_20991231.ListTables", {})
    assert r.status == 400, r
    assert r.error_type == "com.amazon.coral.service#UnknownOperationException", r


def test_raw_success_shape(raw, hash_table):
    r = raw("PutItem", {"TableName": hash_table, "Item": {"pk": {"S": "raw-ok"}}})
    assert r.status == 200, r
    assert r.json == {}, "PutItem without ReturnValues answers an empty JSON object"
    assert r.headers.get("content-type", "").startswith("application/x-amz-json-1.0")
    assert r.headers.get("x-amzn-requestid"), "botocore reads the request id from x-amzn-RequestId"
    r = raw("GetItem", {"TableName": hash_table, "Key": {"pk": {"S": "raw-ok"}}, "ConsistentRead": True})
    assert r.status == 200 and r.json == {"Item": {"pk": {"S": "raw-ok"}}}, r
    r = raw("ListTables", "{}")
    assert r.status == 200 and isinstance(r.json.get("TableNames"), list), r


def test_raw_validation_of_missing_required_parameters(raw):
    r = raw("GetItem", {})
    _check_json_error(r, "com.amazon.coral.validate#ValidationException")
    r = raw("PutItem", {"TableName": "abc"})
    _check_json_error(r, "com.amazon.coral.validate#ValidationException")


# ---- still alive --------------------------------------------------------------------

def test_zz_daemon_still_healthy(meridian_server, dynamodb, tables):
    """Runs last in this file: every error above must have left the daemon serving."""
    if meridian_server is not None:
        assert meridian_server.alive(), "meridiand exited:\n" + meridian_server.log_tail()
        assert meridian_server.healthy()
    name = tables.create(("pk", "S"))
    dynamodb.put_item(TableName=name, Item={"pk": S("alive")})
    assert dynamodb.get_item(TableName=name, Key={"pk": S("alive")}, ConsistentRead=True)["Item"] == \
        {"pk": S("alive")}
    assert isinstance(dynamodb.list_tables(Limit=1)["TableNames"], list)
