"""ConditionExpression on PutItem, UpdateItem and DeleteItem."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

import meridian_testlib as mt
from meridian_testlib import S, N, canon

K = {"pk": S("c")}

ITEM = {
    **K,
    "n": N(5),
    "s": S("hello world"),
    "b": {"B": b"\x01\x02\x03"},
    "t": {"BOOL": True},
    "nul": {"NULL": True},
    "ss": {"SS": ["red", "green"]},
    "ns": {"NS": ["1", "2", "3"]},
    "l": {"L": [S("x"), N(1), S("y")]},
    "m": {"M": {"innr": N(10), "deep": {"M": {"k": S("v")}}}},
    "status": S("active"),  # `status` is a reserved word: needs #name
}


def get(dynamodb, table, key=K):
    return dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


def assert_ccf(exc: ClientError):
    assert mt.error_code(exc) == "ConditionalCheckFailedException", exc.response
    assert mt.http_status(exc) == 400
    assert mt.error_message(exc) == "The conditional request failed"


def check(dynamodb, table, cond, values=None, names=None) -> bool:
    """Runs a conditional no-op-ish update; True if the condition held."""
    vals = {":marker": N(1), **(values or {})}
    params = dict(TableName=table, Key=K, UpdateExpression="SET probe = :marker",
                  ConditionExpression=cond, ExpressionAttributeValues=vals)
    if names:
        params["ExpressionAttributeNames"] = names
    try:
        dynamodb.update_item(**params)
    except ClientError as e:
        assert_ccf(e)
        return False
    dynamodb.update_item(TableName=table, Key=K, UpdateExpression="REMOVE probe")
    return True


@pytest.fixture
def item_table(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item=ITEM)
    return hash_table


def test_put_if_absent(dynamodb, hash_table):
    key = {"pk": S("once")}
    dynamodb.put_item(TableName=hash_table, Item={**key, "v": S("first")},
                      ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(ClientError) as ei:
        dynamodb.put_item(TableName=hash_table, Item={**key, "v": S("second")},
                          ConditionExpression="attribute_not_exists(pk)")
    assert_ccf(ei.value)
    assert get(dynamodb, hash_table, key) == {**key, "v": S("first")}


def test_put_if_exists_on_missing_item_fails(dynamodb, hash_table):
    key = {"pk": S("missing")}
    with pytest.raises(ClientError) as ei:
        dynamodb.put_item(TableName=hash_table, Item={**key, "v": S("x")},
                          ConditionExpression="attribute_exists(pk)")
    assert_ccf(ei.value)
    assert get(dynamodb, hash_table, key) is None


def test_update_condition_failure_leaves_item_unchanged(dynamodb, item_table):
    with pytest.raises(ClientError) as ei:
        dynamodb.update_item(TableName=item_table, Key=K, UpdateExpression="SET n = :new, extra = :new",
                             ConditionExpression="n = :old",
                             ExpressionAttributeValues={":old": N(999), ":new": N(0)})
    assert_ccf(ei.value)
    assert canon(get(dynamodb, item_table)) == canon(ITEM)
    # The same update with the right expectation goes through.
    dynamodb.update_item(TableName=item_table, Key=K, UpdateExpression="SET n = :new",
                         ConditionExpression="n = :old",
                         ExpressionAttributeValues={":old": N(5), ":new": N(6)})
    assert get(dynamodb, item_table)["n"] == N(6)


def test_update_condition_on_missing_item_does_not_create_it(dynamodb, hash_table):
    key = {"pk": S("nobody")}
    with pytest.raises(ClientError) as ei:
        dynamodb.update_item(TableName=hash_table, Key=key, UpdateExpression="SET a = :v",
                             ConditionExpression="attribute_exists(pk)",
                             ExpressionAttributeValues={":v": N(1)})
    assert_ccf(ei.value)
    assert get(dynamodb, hash_table, key) is None


def test_delete_with_condition(dynamodb, item_table):
    with pytest.raises(ClientError) as ei:
        dynamodb.delete_item(TableName=item_table, Key=K, ConditionExpression="#st = :v",
                             ExpressionAttributeNames={"#st": "status"},
                             ExpressionAttributeValues={":v": S("inactive")})
    assert_ccf(ei.value)
    assert get(dynamodb, item_table) is not None
    resp = dynamodb.delete_item(TableName=item_table, Key=K, ConditionExpression="#st = :v",
                                ExpressionAttributeNames={"#st": "status"},
                                ExpressionAttributeValues={":v": S("active")},
                                ReturnValues="ALL_OLD")
    assert canon(resp["Attributes"]) == canon(ITEM)
    assert get(dynamodb, item_table) is None
    # Conditional delete of a missing item: attribute_exists fails.
    with pytest.raises(ClientError) as ei:
        dynamodb.delete_item(TableName=item_table, Key=K, ConditionExpression="attribute_exists(pk)")
    assert_ccf(ei.value)


@pytest.mark.parametrize("cond,values,expected", [
    ("n = :v", {":v": N(5)}, True),
    ("n = :v", {":v": N("5.0")}, True),     # numeric, not textual, equality
    ("n <> :v", {":v": N(5)}, False),
    ("n < :v", {":v": N(6)}, True),
    ("n <= :v", {":v": N(5)}, True),
    ("n > :v", {":v": N(5)}, False),
    ("n >= :v", {":v": N("4.99")}, True),
    ("n > :v", {":v": N(-100)}, True),
    ("s < :v", {":v": S("hellp")}, True),   # byte-wise string order
    ("s > :v", {":v": S("Hello world")}, True),  # 'h' (0x68) > 'H' (0x48)
    ("b < :v", {":v": {"B": b"\x01\x02\x04"}}, True),
    ("b > :v", {":v": {"B": b"\x01\x02"}}, True),
    ("n = :v", {":v": S("5")}, False),      # different types never compare equal
    ("n < :v", {":v": S("6")}, False),      # ...nor order
    ("n <> :v", {":v": S("5")}, True),
    ("absent = :v", {":v": N(5)}, False),
    ("absent <> :v", {":v": N(5)}, True),
    ("t = :v", {":v": {"BOOL": True}}, True),
    ("nul = :v", {":v": {"NULL": True}}, True),
    ("ss = :v", {":v": {"SS": ["green", "red"]}}, True),  # set equality ignores order
    ("l = :v", {":v": {"L": [S("x"), N(1), S("y")]}}, True),
    ("l = :v", {":v": {"L": [S("y"), N(1), S("x")]}}, False),
    ("m.innr = :v", {":v": N(10)}, True),
    ("m.deep.k = :v", {":v": S("v")}, True),
    ("l[1] = :v", {":v": N(1)}, True),
    ("l[5] = :v", {":v": N(1)}, False),
    ("n < m.innr", None, True),
])
def test_comparisons(dynamodb, item_table, cond, values, expected):
    assert check(dynamodb, item_table, cond, values) is expected


@pytest.mark.parametrize("cond,values,expected", [
    ("n BETWEEN :lo AND :hi", {":lo": N(1), ":hi": N(5)}, True),   # inclusive
    ("n BETWEEN :lo AND :hi", {":lo": N(5), ":hi": N(9)}, True),
    ("n BETWEEN :lo AND :hi", {":lo": N(6), ":hi": N(9)}, False),
    ("s BETWEEN :lo AND :hi", {":lo": S("a"), ":hi": S("i")}, True),
    ("n BETWEEN :lo AND :hi", {":lo": S("1"), ":hi": S("9")}, False),  # type mismatch
    ("n IN (:a, :b, :c)", {":a": N(1), ":b": N(5), ":c": N(9)}, True),
    ("n IN (:a)", {":a": N(4)}, False),
    ("#st IN (:a, :b)", {":a": S("active"), ":b": S("paused")}, True),
])
def test_between_and_in(dynamodb, item_table, cond, values, expected):
    names = {"#st": "status"} if "#st" in cond else None
    assert check(dynamodb, item_table, cond, values, names) is expected


@pytest.mark.parametrize("cond,values,expected", [
    ("attribute_exists(n)", None, True),
    ("attribute_exists(nope)", None, False),
    ("attribute_not_exists(nope)", None, True),
    ("attribute_exists(m.deep.k)", None, True),
    ("attribute_exists(l[2])", None, True),
    ("attribute_exists(l[3])", None, False),
    ("attribute_type(n, :t)", {":t": S("N")}, True),
    ("attribute_type(n, :t)", {":t": S("S")}, False),
    ("attribute_type(s, :t)", {":t": S("S")}, True),
    ("attribute_type(b, :t)", {":t": S("B")}, True),
    ("attribute_type(t, :t)", {":t": S("BOOL")}, True),
    ("attribute_type(nul, :t)", {":t": S("NULL")}, True),
    ("attribute_type(ss, :t)", {":t": S("SS")}, True),
    ("attribute_type(ns, :t)", {":t": S("NS")}, True),
    ("attribute_type(l, :t)", {":t": S("L")}, True),
    ("attribute_type(m, :t)", {":t": S("M")}, True),
    ("attribute_type(nope, :t)", {":t": S("S")}, False),
    ("begins_with(s, :p)", {":p": S("hello")}, True),
    ("begins_with(s, :p)", {":p": S("world")}, False),
    ("begins_with(b, :p)", {":p": {"B": b"\x01\x02"}}, True),
    ("begins_with(n, :p)", {":p": S("5")}, False),   # not a string
    ("contains(s, :v)", {":v": S("lo wo")}, True),
    ("contains(s, :v)", {":v": S("xyz")}, False),
    ("contains(ss, :v)", {":v": S("green")}, True),
    ("contains(ss, :v)", {":v": S("blue")}, False),
    ("contains(ns, :v)", {":v": N(2)}, True),
    ("contains(l, :v)", {":v": S("y")}, True),
    ("contains(l, :v)", {":v": N(1)}, True),
    ("contains(l, :v)", {":v": S("1")}, False),
    ("size(s) = :v", {":v": N(11)}, True),
    ("size(ss) = :v", {":v": N(2)}, True),
    ("size(ns) = :v", {":v": N(3)}, True),
    ("size(l) = :v", {":v": N(3)}, True),
    ("size(m) = :v", {":v": N(2)}, True),
    ("size(b) = :v", {":v": N(3)}, True),
    ("size(s) > :v", {":v": N(20)}, False),
    ("size(nope) > :v", {":v": N(-1)}, False),
    ("size(n) = :v", {":v": N(1)}, False),     # size() of a number: false, not an error
    ("size(t) = :v", {":v": N(1)}, False),
    ("size(s) = :v", {":v": S("11")}, False),  # compared with a non-number: false
])
def test_functions(dynamodb, item_table, cond, values, expected):
    assert check(dynamodb, item_table, cond, values) is expected


@pytest.mark.parametrize("cond,expected", [
    ("n = :five AND s = :hw", True),
    ("n = :five AND s = :x", False),
    ("n = :x OR s = :hw", True),
    ("n = :x OR s = :x", False),
    ("NOT n = :x", True),
    ("NOT (n = :five)", False),
    ("not attribute_exists(nope) and n = :five", True),   # keywords are case-insensitive
    # Precedence: NOT binds tighter than AND, which binds tighter than OR.
    ("n = :five OR n = :x AND s = :x", True),     # = five OR (false AND false)
    ("(n = :five OR n = :x) AND s = :x", False),
    ("NOT n = :x AND s = :x", False),             # (NOT false) AND false
    ("NOT (n = :x AND s = :x)", True),
])
def test_boolean_logic(dynamodb, item_table, cond, expected):
    values = {":five": N(5), ":hw": S("hello world"), ":x": S("nomatch")}
    # Not every case uses every value, and unused values are an error: keep only used ones.
    values = {k: v for k, v in values.items() if k in cond}
    assert check(dynamodb, item_table, cond, values) is expected


def test_condition_with_reserved_word_needs_name(dynamodb, item_table):
    with pytest.raises(ClientError) as ei:
        dynamodb.put_item(TableName=item_table, Item=ITEM, ConditionExpression="status = :v",
                          ExpressionAttributeValues={":v": S("active")})
    assert mt.error_code(ei.value) == "ValidationException"
    assert "reserved keyword" in mt.error_message(ei.value)


@pytest.mark.parametrize("cond,values", [
    ("n = ", {":v": N(1)}),
    ("n == :v", {":v": N(1)}),
    ("n = :v AND", {":v": N(1)}),
    ("n = :undefined", {":v": N(1)}),
    ("#undefined = :v", {":v": N(1)}),
    ("no_such_function(n)", None),
    ("attribute_type(n, :t)", {":t": S("NOTATYPE")}),
    ("size(n)", None),                # size() is not a condition by itself
    ("attribute_exists(n) = :v", {":v": N(1)}),  # ...and attribute_exists() not an operand
    ("n BETWEEN :hi AND :lo", {":hi": N(9), ":lo": N(1)}),  # lower bound > upper bound
    ("n IN ()", None),
    ("n = n", None),                  # both operands the same: rejected by DynamoDB
])
def test_invalid_conditions(dynamodb, item_table, cond, values):
    params = dict(TableName=item_table, Key=K, UpdateExpression="SET probe = :p",
                  ConditionExpression=cond,
                  ExpressionAttributeValues={":p": N(1), **(values or {})})
    with pytest.raises(ClientError) as ei:
        dynamodb.update_item(**params)
    assert mt.error_code(ei.value) == "ValidationException", (cond, ei.value.response)
    assert mt.http_status(ei.value) == 400
    assert "probe" not in get(dynamodb, item_table)


def test_syntax_error_message(dynamodb, item_table):
    with pytest.raises(ClientError) as ei:
        dynamodb.delete_item(TableName=item_table, Key=K, ConditionExpression="n == :v",
                             ExpressionAttributeValues={":v": N(1)})
    assert mt.error_code(ei.value) == "ValidationException"
    assert mt.error_message(ei.value).startswith("Invalid ConditionExpression: Syntax error; token:")
    assert get(dynamodb, item_table) is not None
