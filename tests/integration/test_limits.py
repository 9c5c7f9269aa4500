"""DescribeLimits, DescribeEndpoints, and DynamoDB's value limits wherever values enter a
request (batches, legacy parameters, expression attribute values)."""
from __future__ import annotations

import pytest

from meridian_testlib import S, N, expect_error

VALIDATION = "ValidationException"
TOO_MANY_DIGITS = "Attempting to store more than 38 significant digits in a Number"
OVERFLOW = "Number overflow. Attempting to store a number with magnitude larger than supported range"
UNDERFLOW = "Number underflow. Attempting to store a number with magnitude smaller than supported range"


def test_describe_limits(dynamodb):
    r = dynamodb.describe_limits()
    assert r["AccountMaxReadCapacityUnits"] == 80000
    assert r["AccountMaxWriteCapacityUnits"] == 80000
    assert r["TableMaxReadCapacityUnits"] == 40000
    assert r["TableMaxWriteCapacityUnits"] == 40000


def test_describe_endpoints(dynamodb):
    endpoints = dynamodb.describe_endpoints()["Endpoints"]
    assert len(endpoints) == 1
    assert endpoints[0]["CachePeriodInMinutes"] == 1440
    assert isinstance(endpoints[0]["Address"], str) and endpoints[0]["Address"]


@pytest.mark.parametrize("number,message", [
    ("1" * 39, TOO_MANY_DIGITS),
    ("1.00000000000000000000000000000000000001", TOO_MANY_DIGITS),
    ("1E+126", OVERFLOW),
    ("1E-131", UNDERFLOW),
])
def test_number_limits_everywhere(dynamodb, hash_table, number, message):
    t = hash_table
    expect_error(lambda: dynamodb.batch_write_item(RequestItems={t: [
        {"PutRequest": {"Item": {"pk": S("n"), "v": N(number)}}}]}), VALIDATION, message)
    expect_error(lambda: dynamodb.put_item(TableName=t, Item={"pk": S("n")},
                                           Expected={"v": {"Value": N(number)}}), VALIDATION, message)
    expect_error(lambda: dynamodb.update_item(TableName=t, Key={"pk": S("n")},
                                              AttributeUpdates={"v": {"Action": "ADD", "Value": N(number)}}),
                 VALIDATION, message)
    expect_error(lambda: dynamodb.scan(TableName=t, ScanFilter={
        "v": {"ComparisonOperator": "EQ", "AttributeValueList": [N(number)]}}), VALIDATION, message)


def test_largest_number_accepted_in_batch(dynamodb, hash_table):
    big = "9.9999999999999999999999999999999999999E+125"
    dynamodb.batch_write_item(RequestItems={hash_table: [
        {"PutRequest": {"Item": {"pk": S("big"), "v": N(big)}}}]})
    got = dynamodb.batch_get_item(RequestItems={hash_table: {"Keys": [{"pk": S("big")}],
                                                             "ConsistentRead": True}})
    assert got["Responses"][hash_table][0]["v"] == N("9" * 38 + "0" * 88)


def test_empty_sets_rejected_in_batch_and_legacy(dynamodb, hash_table):
    msg = "One or more parameter values were invalid: An string set  may not be empty"
    expect_error(lambda: dynamodb.batch_write_item(RequestItems={hash_table: [
        {"PutRequest": {"Item": {"pk": S("e"), "ss": {"SS": []}}}}]}), VALIDATION, msg)
    expect_error(lambda: dynamodb.update_item(TableName=hash_table, Key={"pk": S("e")},
                                              AttributeUpdates={"ss": {"Action": "ADD", "Value": {"SS": []}}}),
                 VALIDATION, msg)


def test_key_type_mismatch_in_batch_write(dynamodb, hash_table):
    expect_error(lambda: dynamodb.batch_write_item(RequestItems={hash_table: [
        {"PutRequest": {"Item": {"pk": N(1)}}}]}), VALIDATION,
        "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N")


def test_unused_expression_attribute_values(dynamodb, hash_table):
    t = hash_table
    msg = "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}"
    expect_error(lambda: dynamodb.update_item(TableName=t, Key={"pk": S("u")}, UpdateExpression="SET a = :a",
                                              ExpressionAttributeValues={":a": N(1), ":x": N(2)}),
                 VALIDATION, msg)
    expect_error(lambda: dynamodb.query(TableName=t, KeyConditionExpression="pk = :p",
                                        ExpressionAttributeValues={":p": S("u"), ":x": N(2)}),
                 VALIDATION, msg)
    expect_error(lambda: dynamodb.scan(TableName=t, FilterExpression="a = :a",
                                       ExpressionAttributeValues={":a": N(1), ":x": N(2)}),
                 VALIDATION, msg)
    expect_error(lambda: dynamodb.delete_item(TableName=t, Key={"pk": S("u")},
                                              ConditionExpression="#a = :a",
                                              ExpressionAttributeNames={"#a": "a", "#b": "b"},
                                              ExpressionAttributeValues={":a": N(1)}),
                 VALIDATION, "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}")


def test_item_size_limit_in_batch_and_legacy_update(dynamodb, hash_table):
    t = hash_table
    dynamodb.put_item(TableName=t, Item={"pk": S("s"), "a": S("x" * (300 * 1024))})
    expect_error(lambda: dynamodb.update_item(TableName=t, Key={"pk": S("s")},
                                              AttributeUpdates={"b": {"Value": S("y" * (150 * 1024))}}),
                 VALIDATION, "Item size to update has exceeded the maximum allowed size")


def test_item_of_many_attributes_in_reverse_order(dynamodb, hash_table):
    # ~40,000 small attributes (under the 400 KB item limit), sent last name first: the item
    # is stored, read and scanned whole, with nothing lost or reordered.
    names = [f"a{i:05d}" for i in range(40000)]
    item = {"pk": S("wide")}
    for name in reversed(names):
        item[name] = N("7")
    dynamodb.put_item(TableName=hash_table, Item=item)
    got = dynamodb.get_item(TableName=hash_table, Key={"pk": S("wide")}, ConsistentRead=True)
    assert got["Item"] == item
    dynamodb.update_item(TableName=hash_table, Key={"pk": S("wide")},
                         UpdateExpression="SET a00000 = :v REMOVE a39999",
                         ExpressionAttributeValues={":v": N("8")})
    got = dynamodb.get_item(TableName=hash_table, Key={"pk": S("wide")})["Item"]
    assert len(got) == 40000 and got["a00000"] == N("8") and "a39999" not in got
