"""UpdateItem: UpdateExpression actions, ReturnValues, upsert and key protection."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

import meridian_testlib as mt
from meridian_testlib import S, N, canon

BIG = "12345678901234567890.123456789012345678"


def get(dynamodb, table, key):
    return dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


def update(dynamodb, table, key, expr, values=None, names=None, **kw):
    params = dict(TableName=table, Key=key, UpdateExpression=expr, **kw)
    if values:
        params["ExpressionAttributeValues"] = values
    if names:
        params["ExpressionAttributeNames"] = names
    return dynamodb.update_item(**params)


K = {"pk": S("u")}


def test_set_plus_minus(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item={**K, "a": N(10)})
    update(dynamodb, hash_table, K, "SET a = a + :n", {":n": N(5)})
    assert get(dynamodb, hash_table, K)["a"] == N(15)
    update(dynamodb, hash_table, K, "SET a = a - :n", {":n": N("20.5")})
    assert get(dynamodb, hash_table, K)["a"] == N("-5.5")
    # Both operands may be values, and the result may land in another attribute.
    update(dynamodb, hash_table, K, "SET b = :x - a", {":x": N("0.5")})
    assert get(dynamodb, hash_table, K)["b"] == N(6)
    update(dynamodb, hash_table, K, "SET c = :x + :y", {":x": N("1"), ":y": N("10000000000000000000000")})
    assert get(dynamodb, hash_table, K)["c"] == N("10000000000000000000001")


def test_arithmetic_is_exact_decimal(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item={**K, "a": N(BIG), "f": N("0.1")})
    update(dynamodb, hash_table, K, "SET a = a + :tiny", {":tiny": N("0.000000000000000001")})
    assert get(dynamodb, hash_table, K)["a"] == N("12345678901234567890.123456789012345679")
    for _ in range(3):  # 0.1 + 0.2 style drift would show up here with doubles
        update(dynamodb, hash_table, K, "SET f = f + :d", {":d": N("0.1")})
    assert get(dynamodb, hash_table, K)["f"] == N("0.4")


def test_arithmetic_result_beyond_38_digits_is_rejected(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item={**K, "a": N("1E+50")})
    with pytest.raises(ClientError) as ei:
        update(dynamodb, hash_table, K, "SET a = a + :one", {":one": N(1)})
    assert mt.error_code(ei.value) == "ValidationException"
    assert get(dynamodb, hash_table, K)["a"] == N("1" + "0" * 50)


def test_plus_on_missing_attribute_fails(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item={**K})
    with pytest.raises(ClientError) as ei:
        update(dynamodb, hash_table, K, "SET a = a + :n", {":n": N(1)})
    assert mt.error_code(ei.value) == "ValidationException"
    assert mt.error_message(ei.value) == \
        "The provided expression refers to an attribute that does not exist in the item"
    assert get(dynamodb, hash_table, K) == K


def test_plus_on_wrong_type_fails(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item={**K, "s": S("text")})
    with pytest.raises(ClientError) as ei:
        update(dynamodb, hash_table, K, "SET s = s + :n", {":n": N(1)})
    assert mt.error_code(ei.value) == "ValidationException"
    assert get(dynamodb, hash_table, K)["s"] == S("text")


def test_if_not_exists(dynamodb, hash_table):
    update(dynamodb, hash_table, K, "SET c = if_not_exists(c, :zero) + :one",
           {":zero": N(0), ":one": N(1)})
    assert get(dynamodb, hash_table, K)["c"] == N(1)
    update(dynamodb, hash_table, K, "SET c = if_not_exists(c, :zero) + :one",
           {":zero": N(0), ":one": N(1)})
    assert get(dynamodb, hash_table, K)["c"] == N(2)
    # if_not_exists keeps an existing value.
    update(dynamodb, hash_table, K, "SET c = if_not_exists(c, :v), d = if_not_exists(d, :v)",
           {":v": S("default")})
    item = get(dynamodb, hash_table, K)
    assert item["c"] == N(2) and item["d"] == S("default")


def test_list_append(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item={**K, "l": {"L": [S("b")]}})
    update(dynamodb, hash_table, K, "SET l = list_append(l, :tail)", {":tail": {"L": [S("c"), N(4)]}})
    update(dynamodb, hash_table, K, "SET l = list_append(:head, l)", {":head": {"L": [S("a")]}})
    assert get(dynamodb, hash_table, K)["l"] == {"L": [S("a"), S("b"), S("c"), N(4)]}
    # Create-or-append idiom.
    for v in ("x", "y"):
        update(dynamodb, hash_table, K, "SET m = list_append(if_not_exists(m, :empty), :v)",
               {":empty": {"L": []}, ":v": {"L": [S(v)]}})
    assert get(dynamodb, hash_table, K)["m"] == {"L": [S("x"), S("y")]}


def test_set_list_element_and_beyond_end(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item={**K, "l": {"L": [S("a"), S("b"), S("c")]}})
    update(dynamodb, hash_table, K, "SET l[1] = :v", {":v": S("B")})
    assert get(dynamodb, hash_table, K)["l"] == {"L": [S("a"), S("B"), S("c")]}
    # Setting past the end appends.
    update(dynamodb, hash_table, K, "SET l[10] = :v", {":v": S("d")})
    assert get(dynamodb, hash_table, K)["l"] == {"L": [S("a"), S("B"), S("c"), S("d")]}


def test_set_nested_map(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item={**K, "m": {"M": {"x": N(1), "innr": {"M": {}}}}})
    update(dynamodb, hash_table, K, "SET m.y = :v, m.innr.#k = :w, m.x = m.x + :one",
           {":v": S("new"), ":w": {"BOOL": True}, ":one": N(1)}, {"#k": "key with space"})
    assert get(dynamodb, hash_table, K)["m"] == {"M": {
        "x": N(2), "y": S("new"), "innr": {"M": {"key with space": {"BOOL": True}}}}}
    # The parent of the path must exist.
    with pytest.raises(ClientError) as ei:
        update(dynamodb, hash_table, K, "SET nope.child = :v", {":v": S("x")})
    assert mt.error_code(ei.value) == "ValidationException"
    assert mt.error_message(ei.value) == \
        "The document path provided in the update expression is invalid for update"


def test_remove(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item={
        **K, "a": S("1"), "b": S("2"),
        "l": {"L": [S("l0"), S("l1"), S("l2"), S("l3")]},
        "m": {"M": {"keep": N(1), "drop": N(2)}}})
    update(dynamodb, hash_table, K, "REMOVE a, m.#d, not_there", names={"#d": "drop"})
    item = get(dynamodb, hash_table, K)
    assert "a" not in item and item["b"] == S("2")
    assert item["m"] == {"M": {"keep": N(1)}}
    # Removing a list element shifts the rest down.
    update(dynamodb, hash_table, K, "REMOVE l[1]")
    assert get(dynamodb, hash_table, K)["l"] == {"L": [S("l0"), S("l2"), S("l3")]}
    # Several indexes in one REMOVE all refer to the list as it was before the update.
    update(dynamodb, hash_table, K, "REMOVE l[0], l[2]")
    assert get(dynamodb, hash_table, K)["l"] == {"L": [S("l2")]}
    # An index past the end is a no-op.
    update(dynamodb, hash_table, K, "REMOVE l[7]")
    assert get(dynamodb, hash_table, K)["l"] == {"L": [S("l2")]}


def test_add_number(dynamodb, hash_table):
    update(dynamodb, hash_table, K, "ADD n :v", {":v": N(5)})  # creates item and attribute
    assert get(dynamodb, hash_table, K) == {**K, "n": N(5)}
    update(dynamodb, hash_table, K, "ADD n :v", {":v": N("-7.5")})
    assert get(dynamodb, hash_table, K)["n"] == N("-2.5")
    update(dynamodb, hash_table, K, "ADD #n :v", {":v": N(BIG)}, {"#n": "n"})
    assert get(dynamodb, hash_table, K)["n"] == N("12345678901234567887.623456789012345678")


def test_add_and_delete_sets(dynamodb, hash_table):
    update(dynamodb, hash_table, K, "ADD ss :a, ns :n, bs :b",
           {":a": {"SS": ["x", "y"]}, ":n": {"NS": ["1", "2"]}, ":b": {"BS": [b"\x01"]}})
    update(dynamodb, hash_table, K, "ADD ss :a, ns :n, bs :b",
           {":a": {"SS": ["y", "z"]}, ":n": {"NS": ["2", "3.5"]}, ":b": {"BS": [b"\x02", b"\x01"]}})
    item = canon(get(dynamodb, hash_table, K))
    assert item["ss"] == {"SS": ["x", "y", "z"]}
    assert item["ns"] == {"NS": sorted(["1", "2", "3.5"])}
    assert item["bs"] == {"BS": [b"\x01", b"\x02"]}

    update(dynamodb, hash_table, K, "DELETE ss :a, ns :n", {":a": {"SS": ["x", "nope"]}, ":n": {"NS": ["2"]}})
    item = canon(get(dynamodb, hash_table, K))
    assert item["ss"] == {"SS": ["y", "z"]}
    assert item["ns"] == {"NS": sorted(["1", "3.5"])}
    # Deleting every element removes the attribute (sets cannot be empty).
    update(dynamodb, hash_table, K, "DELETE ss :a", {":a": {"SS": ["y", "z"]}})
    assert "ss" not in get(dynamodb, hash_table, K)
    # DELETE on a missing attribute is a no-op.
    update(dynamodb, hash_table, K, "DELETE ss :a", {":a": {"SS": ["q"]}})
    assert "ss" not in get(dynamodb, hash_table, K)


def test_add_and_delete_type_errors(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item={**K, "n": N(1), "ss": {"SS": ["a"]}, "s": S("t")})
    bad = [
        ("ADD s :v", {":v": N(1)}),            # ADD to a string
        ("ADD n :v", {":v": S("x")}),          # ADD a string
        ("ADD ss :v", {":v": {"NS": ["1"]}}),  # number set into string set
        ("DELETE n :v", {":v": {"NS": ["1"]}}),  # DELETE from a number
        ("DELETE ss :v", {":v": S("a")}),      # DELETE needs a set operand
    ]
    for expr, values in bad:
        with pytest.raises(ClientError) as ei:
            update(dynamodb, hash_table, K, expr, values)
        assert mt.error_code(ei.value) == "ValidationException", expr
    assert canon(get(dynamodb, hash_table, K)) == canon({**K, "n": N(1), "ss": {"SS": ["a"]}, "s": S("t")})


def test_combined_actions(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item={**K, "legacy": S("x"), "cnt": N(1), "tags": {"SS": ["a", "b"]}})
    update(dynamodb, hash_table, K, "SET a = :a, b = :b REMOVE legacy ADD cnt :one DELETE tags :t",
           {":a": S("A"), ":b": N(2), ":one": N(1), ":t": {"SS": ["a"]}})
    assert canon(get(dynamodb, hash_table, K)) == canon(
        {**K, "a": S("A"), "b": N(2), "cnt": N(2), "tags": {"SS": ["b"]}})
    # Clause order does not matter, keywords are case-insensitive.
    update(dynamodb, hash_table, K, "remove b set a = :a", {":a": S("AA")})
    assert get(dynamodb, hash_table, K)["a"] == S("AA")
    assert "b" not in get(dynamodb, hash_table, K)


def test_update_expression_errors(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item={**K, "a": N(1)})
    cases = [
        ("SET a = :v REMOVE a", {":v": N(1)}),      # overlapping paths
        ("SET a = :v, a = :w", {":v": N(1), ":w": N(2)}),
        ("SET a = :v SET b = :v", {":v": N(1)}),   # section used twice
        ("SET a = :undefined", {":v": N(1)}),
        ("SET a = :v", {":v": N(1), ":unused": N(2)}),
        ("SET a = = :v", {":v": N(1)}),             # syntax error
        ("SET name = :v", {":v": N(1)}),            # reserved word
        ("FROB a", None),
        ("SET a = no_such_fn(a)", None),
    ]
    for expr, values in cases:
        with pytest.raises(ClientError) as ei:
            update(dynamodb, hash_table, K, expr, values)
        assert mt.error_code(ei.value) == "ValidationException", expr
        assert mt.http_status(ei.value) == 400
    assert get(dynamodb, hash_table, K) == {**K, "a": N(1)}

    with pytest.raises(ClientError) as ei:
        update(dynamodb, hash_table, K, "SET a = :v REMOVE a", {":v": N(1)})
    assert "Two document paths overlap with each other" in mt.error_message(ei.value)
    with pytest.raises(ClientError) as ei:
        update(dynamodb, hash_table, K, "SET a = :v", {":v": N(1), ":unused": N(2)})
    assert mt.error_message(ei.value) == \
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"
    with pytest.raises(ClientError) as ei:
        update(dynamodb, hash_table, K, "SET a = :undefined", {":v": N(1)})
    assert "An expression attribute value used in expression is not defined; " \
           "attribute value: :undefined" in mt.error_message(ei.value)
    with pytest.raises(ClientError) as ei:
        update(dynamodb, hash_table, K, "SET a = = :v", {":v": N(1)})
    assert mt.error_message(ei.value).startswith("Invalid UpdateExpression: Syntax error; token:")
    with pytest.raises(ClientError) as ei:
        update(dynamodb, hash_table, K, "SET name = :v", {":v": N(1)})
    assert mt.error_message(ei.value) == \
        "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name"


def test_update_creates_missing_item(dynamodb, range_table):
    key = {"pk": S("new"), "sk": S("item")}
    resp = update(dynamodb, range_table, key, "SET a = :v, b = :w", {":v": S("x"), ":w": N(2)},
                  ReturnValues="ALL_NEW")
    assert resp["Attributes"] == {**key, "a": S("x"), "b": N(2)}
    assert get(dynamodb, range_table, key) == {**key, "a": S("x"), "b": N(2)}


def test_remove_only_update_does_not_create_item(dynamodb, hash_table):
    key = {"pk": S("ghost")}
    resp = update(dynamodb, hash_table, key, "REMOVE a", ReturnValues="ALL_NEW")
    assert "Attributes" not in resp
    assert get(dynamodb, hash_table, key) is None


@pytest.mark.parametrize("expr,names", [
    ("SET pk = :v", None),
    ("SET #k = :v", {"#k": "pk"}),
    ("REMOVE pk", None),
    ("ADD pk :v", None),
])
def test_updating_key_attribute_is_rejected(dynamodb, hash_table, expr, names):
    dynamodb.put_item(TableName=hash_table, Item={**K, "a": N(1)})
    values = {":v": S("other")} if ":v" in expr else None
    if expr.startswith("ADD"):
        values = {":v": N(1)}
    with pytest.raises(ClientError) as ei:
        update(dynamodb, hash_table, K, expr, values, names)
    assert mt.error_code(ei.value) == "ValidationException"
    if expr.startswith("SET"):
        assert mt.error_message(ei.value) == \
            "One or more parameter values were invalid: Cannot update attribute pk. " \
            "This attribute is part of the key"
    else:
        assert "Cannot update attribute pk" in mt.error_message(ei.value)
    assert get(dynamodb, hash_table, K) == {**K, "a": N(1)}


def test_updating_sort_key_is_rejected(dynamodb, range_table):
    key = {"pk": S("p"), "sk": S("s")}
    dynamodb.put_item(TableName=range_table, Item=key)
    with pytest.raises(ClientError) as ei:
        update(dynamodb, range_table, key, "SET sk = :v", {":v": S("t")})
    assert mt.error_code(ei.value) == "ValidationException"
    assert "Cannot update attribute sk. This attribute is part of the key" in mt.error_message(ei.value)


# ---- ReturnValues ---------------------------------------------------------------

def _fresh(dynamodb, table):
    dynamodb.put_item(TableName=table, Item={**K, "a": S("hi"), "b": S("dog"), "n": N(1)})


def test_return_values_none(dynamodb, hash_table):
    _fresh(dynamodb, hash_table)
    resp = update(dynamodb, hash_table, K, "SET b = :v", {":v": S("cat")})
    assert "Attributes" not in resp
    resp = update(dynamodb, hash_table, K, "SET b = :v", {":v": S("cat")}, ReturnValues="NONE")
    assert "Attributes" not in resp


def test_return_values_all_old(dynamodb, hash_table):
    _fresh(dynamodb, hash_table)
    resp = update(dynamodb, hash_table, K, "SET b = :v", {":v": S("cat")}, ReturnValues="ALL_OLD")
    assert resp["Attributes"] == {**K, "a": S("hi"), "b": S("dog"), "n": N(1)}
    resp = update(dynamodb, hash_table, {"pk": S("absent")}, "SET b = :v", {":v": S("cat")},
                  ReturnValues="ALL_OLD")
    assert "Attributes" not in resp


def test_return_values_updated_old(dynamodb, hash_table):
    _fresh(dynamodb, hash_table)
    resp = update(dynamodb, hash_table, K, "SET b = :v, c = :w ADD n :one",
                  {":v": S("cat"), ":w": S("new"), ":one": N(1)}, ReturnValues="UPDATED_OLD")
    # c did not exist before, so it has no old value to return.
    assert resp["Attributes"] == {"b": S("dog"), "n": N(1)}
    resp = update(dynamodb, hash_table, K, "REMOVE a", ReturnValues="UPDATED_OLD")
    assert resp["Attributes"] == {"a": S("hi")}
    resp = update(dynamodb, hash_table, K, "SET brand_new = :v", {":v": S("x")},
                  ReturnValues="UPDATED_OLD")
    assert "Attributes" not in resp


def test_return_values_all_new(dynamodb, hash_table):
    _fresh(dynamodb, hash_table)
    resp = update(dynamodb, hash_table, K, "SET b = :v REMOVE a ADD n :one",
                  {":v": S("cat"), ":one": N(41)}, ReturnValues="ALL_NEW")
    assert resp["Attributes"] == {**K, "b": S("cat"), "n": N(42)}


def test_return_values_updated_new(dynamodb, hash_table):
    _fresh(dynamodb, hash_table)
    resp = update(dynamodb, hash_table, K, "SET b = :v, c = :w REMOVE a ADD n :one",
                  {":v": S("cat"), ":w": S("new"), ":one": N(1)}, ReturnValues="UPDATED_NEW")
    # Removed attributes are not returned; key attributes are not returned.
    assert resp["Attributes"] == {"b": S("cat"), "c": S("new"), "n": N(2)}
    resp = update(dynamodb, hash_table, {"pk": S("fresh")}, "SET x = :v", {":v": N(1)},
                  ReturnValues="UPDATED_NEW")
    assert resp["Attributes"] == {"x": N(1)}


def test_return_values_nested(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table,
                      Item={**K, "m": {"M": {"b": S("dog"), "c": {"L": [N(1), N(2), N(3)]}}}, "d": S("cat")})
    resp = update(dynamodb, hash_table, K, "SET m.b = :v", {":v": S("hi")}, ReturnValues="UPDATED_OLD")
    assert resp["Attributes"] == {"m": {"M": {"b": S("dog")}}}
    resp = update(dynamodb, hash_table, K, "SET m.c[1] = :v", {":v": N(7)}, ReturnValues="UPDATED_NEW")
    assert resp["Attributes"] == {"m": {"M": {"c": {"L": [N(7)]}}}}


def test_invalid_return_values(dynamodb, hash_table):
    with pytest.raises(ClientError) as ei:
        update(dynamodb, hash_table, K, "SET a = :v", {":v": N(1)}, ReturnValues="all_new")
    assert mt.error_code(ei.value) == "ValidationException"
