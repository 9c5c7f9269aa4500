"""Legacy (pre-expression) parameters: Expected, AttributeUpdates, KeyConditions,
QueryFilter, ScanFilter, AttributesToGet, ConditionalOperator, and the rule that they do
not mix with expression parameters."""
from __future__ import annotations

import pytest

import meridian_testlib as mt
from meridian_testlib import S, N, expect_error

VALIDATION = "ValidationException"
INVALID = "One or more parameter values were invalid: "


def _cond_failed(call):
    expect_error(call, "ConditionalCheckFailedException", "The conditional request failed")


def test_expected_exists_and_value(dynamodb, hash_table):
    t = hash_table
    dynamodb.put_item(TableName=t, Item={"pk": S("a"), "v": N(1)}, Expected={"pk": {"Exists": False}})
    _cond_failed(lambda: dynamodb.put_item(TableName=t, Item={"pk": S("a")},
                                           Expected={"pk": {"Exists": False}}))
    _cond_failed(lambda: dynamodb.put_item(TableName=t, Item={"pk": S("a"), "v": N(3)},
                                           Expected={"v": {"Value": N(2)}}))
    dynamodb.put_item(TableName=t, Item={"pk": S("a"), "v": N(2)},
                      Expected={"v": {"Value": N(1), "Exists": True}})
    got = dynamodb.get_item(TableName=t, Key={"pk": S("a")}, ConsistentRead=True)["Item"]
    assert got == {"pk": S("a"), "v": N(2)}


@pytest.mark.parametrize("op,values,holds", [
    ("EQ", [N(5)], True), ("EQ", [N(6)], False), ("NE", [N(6)], True),
    ("LT", [N(6)], True), ("LE", [N(5)], True), ("GT", [N(5)], False), ("GE", [N(5)], True),
    ("NOT_NULL", [], True), ("BETWEEN", [N(1), N(9)], True), ("BETWEEN", [N(6), N(9)], False),
    ("IN", [N(1), N(5)], True), ("IN", [N(1), N(2)], False),
])
def test_expected_comparison_operators(dynamodb, hash_table, op, values, holds):
    dynamodb.put_item(TableName=hash_table, Item={"pk": S("c"), "v": N(5), "s": S("hello")})
    expected = {"v": {"ComparisonOperator": op, "AttributeValueList": values}}
    call = lambda: dynamodb.delete_item(TableName=hash_table, Key={"pk": S("c")}, Expected=expected)
    if holds:
        call()
    else:
        _cond_failed(call)


def test_expected_string_functions_and_conditional_operator(dynamodb, hash_table):
    t = hash_table
    dynamodb.put_item(TableName=t, Item={"pk": S("s"), "s": S("hello"), "ss": {"SS": ["x", "y"]}})
    key = {"pk": S("s")}
    update = {"n": {"Action": "PUT", "Value": N(1)}}
    dynamodb.update_item(TableName=t, Key=key, AttributeUpdates=update, Expected={
        "s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [S("he")]},
        "ss": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [S("x")]},
        "missing": {"ComparisonOperator": "NULL"}})
    _cond_failed(lambda: dynamodb.update_item(TableName=t, Key=key, AttributeUpdates=update, Expected={
        "s": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [S("ell")]},
        "ss": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [S("z")]}}))
    dynamodb.update_item(TableName=t, Key=key, AttributeUpdates=update, ConditionalOperator="OR", Expected={
        "s": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [S("ell")]},
        "ss": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [S("y")]}})


@pytest.mark.parametrize("expected,message", [
    ({"v": {}}, INVALID + "Value must be provided when Exists is null for Attribute: v"),
    ({"v": {"Exists": True}}, INVALID + "Value must be provided when Exists is true for Attribute: v"),
    ({"v": {"Exists": False, "Value": N(1)}},
     INVALID + "Value cannot be used when Exists is false for Attribute: v"),
    ({"v": {"Exists": True, "ComparisonOperator": "EQ", "AttributeValueList": [N(1)]}},
     INVALID + "Exists and ComparisonOperator cannot be used together for Attribute: v"),
    ({"v": {"Value": N(1), "ComparisonOperator": "EQ", "AttributeValueList": [N(1)]}},
     INVALID + "Value and AttributeValueList cannot be used together for Attribute: v"),
    ({"v": {"AttributeValueList": [N(1)]}},
     INVALID + "AttributeValueList can only be used with a ComparisonOperator for Attribute: v"),
    ({"v": {"ComparisonOperator": "EQ"}},
     INVALID + "Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: v"),
    ({"v": {"ComparisonOperator": "EQ", "AttributeValueList": [N(1), N(2)]}},
     INVALID + "Invalid number of argument(s) for the EQ ComparisonOperator"),
    ({"v": {"ComparisonOperator": "LT", "AttributeValueList": [{"SS": ["a"]}]}},
     INVALID + "ComparisonOperator LT is not valid for SS AttributeValue type"),
    ({"v": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [N(1)]}},
     INVALID + "ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"),
    ({"v": {"ComparisonOperator": "IN", "AttributeValueList": [N(1), S("a")]}},
     INVALID + "AttributeValues inside AttributeValueList must be of same type"),
    ({"v": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [N(9), N(1)]}},
     "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"),
])
def test_expected_validation(dynamodb, hash_table, expected, message):
    expect_error(lambda: dynamodb.put_item(TableName=hash_table, Item={"pk": S("x")}, Expected=expected),
                 VALIDATION, message)


def test_attribute_updates(dynamodb, hash_table):
    t, key = hash_table, {"pk": S("u")}
    r = dynamodb.update_item(TableName=t, Key=key, ReturnValues="ALL_NEW", AttributeUpdates={
        "a": {"Value": S("x")},  # Action defaults to PUT
        "n": {"Action": "ADD", "Value": N(5)},
        "ss": {"Action": "ADD", "Value": {"SS": ["p", "q", "r"]}},
        "l": {"Action": "ADD", "Value": {"L": [S("one")]}},
    })
    assert mt.canon(r["Attributes"]) == mt.canon({"pk": S("u"), "a": S("x"), "n": N(5),
                                                  "ss": {"SS": ["p", "q", "r"]}, "l": {"L": [S("one")]}})
    r = dynamodb.update_item(TableName=t, Key=key, ReturnValues="UPDATED_NEW", AttributeUpdates={
        "a": {"Action": "DELETE"},
        "n": {"Action": "ADD", "Value": N(-2)},
        "ss": {"Action": "DELETE", "Value": {"SS": ["q"]}},
        "l": {"Action": "ADD", "Value": {"L": [S("two")]}},
    })
    assert mt.canon(r["Attributes"]) == mt.canon({"n": N(3), "ss": {"SS": ["p", "r"]},
                                                  "l": {"L": [S("one"), S("two")]}})


@pytest.mark.parametrize("updates,message", [
    ({"a": {"Action": "PUT"}}, INVALID + "Only DELETE action is allowed when no attribute value is specified"),
    ({"a": {"Action": "ADD"}}, INVALID + "Only DELETE action is allowed when no attribute value is specified"),
    ({"pk": {"Action": "PUT", "Value": S("z")}},
     INVALID + "Cannot update attribute pk. This attribute is part of the key"),
])
def test_attribute_updates_validation(dynamodb, hash_table, updates, message):
    expect_error(lambda: dynamodb.update_item(TableName=hash_table, Key={"pk": S("u")},
                                              AttributeUpdates=updates), VALIDATION, message)


def test_attribute_updates_bad_action(raw, hash_table):
    r = raw("UpdateItem", {"TableName": hash_table, "Key": {"pk": {"S": "u"}},
                           "AttributeUpdates": {"a": {"Action": "SET", "Value": {"S": "x"}}}})
    assert r.error_type == "com.amazon.coral.validate#ValidationException", r
    assert r.error_message == (
        "1 validation error detected: Value 'SET' at 'attributeUpdates.a.member.action' failed to "
        "satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]"), r


@pytest.fixture
def filled(dynamodb, num_range_table):
    for pk in ("a", "b"):
        for sk in range(1, 6):
            dynamodb.put_item(TableName=num_range_table,
                              Item={"pk": S(pk), "sk": N(sk), "odd": {"BOOL": sk % 2 == 1}, "v": N(sk * 10)})
    return num_range_table


def _sks(items):
    return [int(it["sk"]["N"]) for it in items]


def test_key_conditions(dynamodb, filled):
    def q(**kw):
        return mt.full_query(dynamodb, TableName=filled, ConsistentRead=True, **kw)
    eq_a = {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S("a")]}}
    assert _sks(q(KeyConditions=eq_a)) == [1, 2, 3, 4, 5]
    assert _sks(q(KeyConditions={**eq_a, "sk": {"ComparisonOperator": "BETWEEN",
                                                "AttributeValueList": [N(2), N(4)]}})) == [2, 3, 4]
    assert _sks(q(KeyConditions={"sk": {"ComparisonOperator": "GT", "AttributeValueList": [N(3)]},
                                 **eq_a}, ScanIndexForward=False)) == [5, 4]
    # QueryFilter, AttributesToGet and ConditionalOperator together.
    items = q(KeyConditions=eq_a, AttributesToGet=["sk", "v"], ConditionalOperator="OR",
              QueryFilter={"odd": {"ComparisonOperator": "EQ", "AttributeValueList": [{"BOOL": False}]},
                           "v": {"ComparisonOperator": "GE", "AttributeValueList": [N(50)]}})
    assert items == [{"sk": N(2), "v": N(20)}, {"sk": N(4), "v": N(40)}, {"sk": N(5), "v": N(50)}]
    # KeyConditions may go with expression parameters other than KeyConditionExpression.
    items = q(KeyConditions=eq_a, FilterExpression="v > :v", ExpressionAttributeValues={":v": N(30)})
    assert _sks(items) == [4, 5]


def test_key_conditions_validation(dynamodb, filled):
    eq_a = {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S("a")]}}
    expect_error(lambda: dynamodb.query(TableName=filled, KeyConditions={
        **eq_a, "sk": {"ComparisonOperator": "NE", "AttributeValueList": [N(1)]}}),
        VALIDATION, "Attempted conditional constraint is not an indexable operation")
    expect_error(lambda: dynamodb.query(TableName=filled, KeyConditions={
        **eq_a, "sk": {"ComparisonOperator": "EQ", "AttributeValueList": [N(1)]},
        "v": {"ComparisonOperator": "EQ", "AttributeValueList": [N(1)]}}),
        VALIDATION, "Conditions can be of length 1 or 2 only")
    expect_error(lambda: dynamodb.query(TableName=filled, KeyConditions=eq_a, QueryFilter={
        "sk": {"ComparisonOperator": "GT", "AttributeValueList": [N(1)]}}),
        VALIDATION, "QueryFilter can only contain non-key attributes: Primary key attribute: sk")


def test_scan_filter_and_attributes_to_get(dynamodb, filled):
    items = mt.full_scan(dynamodb, TableName=filled, ConsistentRead=True, AttributesToGet=["pk", "sk"],
                         ScanFilter={"sk": {"ComparisonOperator": "IN", "AttributeValueList": [N(1), N(5)]},
                                     "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S("b")]}})
    assert sorted(_sks(items)) == [1, 5] and all(it["pk"] == S("b") for it in items)
    assert all(set(it) == {"pk", "sk"} for it in items)
    r = dynamodb.scan(TableName=filled, Select="COUNT",
                      ScanFilter={"v": {"ComparisonOperator": "NOT_NULL"}})
    assert r["Count"] == 10


def test_get_item_attributes_to_get(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item={"pk": S("g"), "a": N(1), "b": N(2), "c.d": N(3)})
    got = dynamodb.get_item(TableName=hash_table, Key={"pk": S("g")}, AttributesToGet=["a", "c.d"],
                            ConsistentRead=True)
    assert got["Item"] == {"a": N(1), "c.d": N(3)}
    expect_error(lambda: dynamodb.get_item(TableName=hash_table, Key={"pk": S("g")},
                                           AttributesToGet=["a", "a"]),
                 VALIDATION, INVALID + "Duplicate value in attribute name: a")


def _mixed(legacy, expression):
    return ("Can not use both expression and non-expression parameters in the same request: "
            f"Non-expression parameters: {{{legacy}}} Expression parameters: {{{expression}}}")


def test_mixing_legacy_and_expressions(dynamodb, hash_table):
    t, key = hash_table, {"pk": S("m")}
    expect_error(lambda: dynamodb.get_item(TableName=t, Key=key, AttributesToGet=["a"],
                                           ProjectionExpression="a"),
                 VALIDATION, _mixed("AttributesToGet", "ProjectionExpression"))
    expect_error(lambda: dynamodb.put_item(TableName=t, Item=key, Expected={"pk": {"Exists": False}},
                                           ConditionExpression="attribute_not_exists(pk)"),
                 VALIDATION, _mixed("Expected", "ConditionExpression"))
    expect_error(lambda: dynamodb.update_item(TableName=t, Key=key, UpdateExpression="SET a = :a",
                                              ExpressionAttributeValues={":a": N(1)},
                                              AttributeUpdates={"b": {"Value": N(1)}}),
                 VALIDATION, _mixed("AttributeUpdates", "UpdateExpression"))
    expect_error(lambda: dynamodb.query(TableName=t, KeyConditionExpression="pk = :p",
                                        ExpressionAttributeValues={":p": S("m")},
                                        QueryFilter={"a": {"ComparisonOperator": "NOT_NULL"}}),
                 VALIDATION, _mixed("QueryFilter", "KeyConditionExpression"))
    expect_error(lambda: dynamodb.scan(TableName=t, FilterExpression="attribute_exists(a)",
                                       ConditionalOperator="AND"),
                 VALIDATION, _mixed("ConditionalOperator", "FilterExpression"))


def test_expression_attribute_names_need_expressions(dynamodb, hash_table):
    expect_error(lambda: dynamodb.get_item(TableName=hash_table, Key={"pk": S("m")}, AttributesToGet=["a"],
                                           ExpressionAttributeNames={"#a": "a"}),
                 VALIDATION, "ExpressionAttributeNames can only be specified when using expressions")
