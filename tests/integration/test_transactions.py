"""TransactWriteItems / TransactGetItems: all-or-nothing writes, snapshot reads, DynamoDB's
validation, cancellation reasons, idempotency tokens and capacity, with boto3 (client and
resource) and the AWS CLI. Messages follow DynamoDB's, as an AWS-run conformance suite and
AWS error bodies quoted in SDK issues show them."""
from __future__ import annotations

import json
import threading

import boto3
import pytest
from botocore.exceptions import ClientError

import meridian_testlib as mt
from meridian_testlib import S, N, expect_error

CANCELLED = "TransactionCanceledException"
VALIDATION = "ValidationException"


def put(table, item, **extra):
    return {"Put": {"TableName": table, "Item": item, **extra}}


def update(table, key, expr, values=None, **extra):
    op = {"TableName": table, "Key": key, "UpdateExpression": expr, **extra}
    if values:
        op["ExpressionAttributeValues"] = values
    return {"Update": op}


def delete(table, key, **extra):
    return {"Delete": {"TableName": table, "Key": key, **extra}}


def check(table, key, cond, **extra):
    return {"ConditionCheck": {"TableName": table, "Key": key, "ConditionExpression": cond, **extra}}


def err(r) -> tuple:
    """(status, short __type, message) of a raw error response."""
    return r.status, (r.error_type or "").split("#")[-1], r.error_message


def get(table, key, **extra):
    return {"Get": {"TableName": table, "Key": key, **extra}}


def item(client, table, key):
    return client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


def cancellation(call) -> tuple[str, list[dict]]:
    try:
        call()
    except ClientError as e:
        assert mt.error_code(e) == CANCELLED, e.response
        assert mt.http_status(e) == 400
        return mt.error_message(e), e.response["CancellationReasons"]
    raise AssertionError("the transaction was not cancelled")


def test_writes_across_tables_commit_together(dynamodb, hash_table, range_table):
    dynamodb.put_item(TableName=hash_table, Item={"pk": S("stock"), "n": N(10)})
    dynamodb.put_item(TableName=hash_table, Item={"pk": S("gone"), "v": S("x")})
    dynamodb.put_item(TableName=hash_table, Item={"pk": S("open"), "n": N(1)})
    resp = dynamodb.transact_write_items(TransactItems=[
        put(range_table, {"pk": S("order"), "sk": S("1"), "qty": N(3)},
            ConditionExpression="attribute_not_exists(pk)"),
        update(hash_table, {"pk": S("stock")}, "SET n = n - :q", {":q": N(3), ":zero": N(0)},
               ConditionExpression="n >= :zero"),
        delete(hash_table, {"pk": S("gone")}),
        check(hash_table, {"pk": S("open")}, "attribute_exists(n)"),
    ])
    assert "ConsumedCapacity" not in resp
    assert item(dynamodb, range_table, {"pk": S("order"), "sk": S("1")})["qty"] == N(3)
    assert item(dynamodb, hash_table, {"pk": S("stock")})["n"] == N(7)
    assert item(dynamodb, hash_table, {"pk": S("gone")}) is None


def test_a_failed_condition_cancels_everything(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item={"pk": S("a"), "n": N(1)})
    message, reasons = cancellation(lambda: dynamodb.transact_write_items(TransactItems=[
        put(hash_table, {"pk": S("b"), "n": N(2)}),
        update(hash_table, {"pk": S("a")}, "SET n = :v", {":v": N(5), ":one": N(100)},
               ConditionExpression="n = :one", ReturnValuesOnConditionCheckFailure="ALL_OLD"),
        check(hash_table, {"pk": S("missing")}, "attribute_exists(pk)"),
    ]))
    assert message == ("Transaction cancelled, please refer cancellation reasons for specific "
                       "reasons [None, ConditionalCheckFailed, ConditionalCheckFailed]")
    assert reasons == [
        {"Code": "None"},
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed",
         "Item": {"pk": S("a"), "n": N(1)}},
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"},
    ]
    assert item(dynamodb, hash_table, {"pk": S("b")}) is None  # nothing was written
    assert item(dynamodb, hash_table, {"pk": S("a")})["n"] == N(1)


def test_an_update_invalid_for_the_item_is_a_validation_error_reason(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item={"pk": S("a"), "s": S("text")})
    _, reasons = cancellation(lambda: dynamodb.transact_write_items(TransactItems=[
        put(hash_table, {"pk": S("new")}),
        update(hash_table, {"pk": S("a")}, "ADD s :one", {":one": N(1)}),
    ]))
    assert [r["Code"] for r in reasons] == ["None", "ValidationError"]
    assert reasons[1]["Message"]
    assert item(dynamodb, hash_table, {"pk": S("new")}) is None


def test_wrong_key_types_cancel_before_any_condition(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item={"pk": S("a")})
    _, reasons = cancellation(lambda: dynamodb.transact_write_items(TransactItems=[
        check(hash_table, {"pk": S("a")}, "attribute_not_exists(pk)"),
        put(hash_table, {"pk": N(1)}),
    ]))
    assert reasons == [
        {"Code": "None"},
        {"Code": "ValidationError", "Message":
         "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"},
    ]
    _, reasons = cancellation(lambda: dynamodb.transact_write_items(TransactItems=[
        delete(hash_table, {"pk": N(1)}), put(hash_table, {"pk": S("z")})]))
    assert reasons == [{"Code": "ValidationError",
                        "Message": "The provided key element does not match the schema"},
                       {"Code": "None"}]


@pytest.mark.parametrize("items, message", [
    ([], "1 validation error detected: Value '[]' at 'transactItems' failed to satisfy "
         "constraint: Member must have length greater than or equal to 1"),
])
def test_list_length_limits(raw, items, message):
    r = raw("DynamoDB_20120810.TransactWriteItems", {"TransactItems": items})
    assert err(r) == (400, VALIDATION, message)


def test_more_than_100_actions(raw, hash_table):
    for target in ("TransactWriteItems", "TransactGetItems"):
        if target == "TransactWriteItems":
            ops = [put(hash_table, {"pk": S(f"k{i}")}) for i in range(101)]
        else:
            ops = [get(hash_table, {"pk": S(f"k{i}")}) for i in range(101)]
        r = raw("DynamoDB_20120810." + target, {"TransactItems": ops})
        assert err(r)[:2] == (400, VALIDATION)
        assert r.error_message.startswith("1 validation error detected: Value '[com.amazonaws.dynamodb")
        assert r.error_message.endswith("]' at 'transactItems' failed to satisfy constraint: Member must "
                                  "have length less than or equal to 100")
    # exactly 100 is fine
    ok = raw("DynamoDB_20120810.TransactWriteItems",
             {"TransactItems": [put(hash_table, {"pk": S(f"k{i}")}) for i in range(100)]})
    assert ok.status == 200, ok.body


def test_request_errors(dynamodb, raw, hash_table, range_table):
    expect_error(lambda: dynamodb.transact_write_items(TransactItems=[
        put(hash_table, {"pk": S("a")}), check(hash_table, {"pk": S("a")}, "attribute_exists(pk)")]),
        VALIDATION, "Transaction request cannot include multiple operations on one item")
    expect_error(lambda: dynamodb.transact_get_items(TransactItems=[
        get(hash_table, {"pk": S("a")}), get(hash_table, {"pk": S("a")})]),
        VALIDATION, "Transaction request cannot include multiple operations on one item")
    expect_error(lambda: dynamodb.transact_write_items(TransactItems=[
        put("no_such_table", {"pk": S("a")})]), "ResourceNotFoundException",
        "Requested resource not found")
    expect_error(lambda: dynamodb.transact_get_items(TransactItems=[
        get("no_such_table", {"pk": S("a")})]), "ResourceNotFoundException",
        "Requested resource not found")
    expect_error(lambda: dynamodb.transact_write_items(TransactItems=[
        put(range_table, {"pk": S("a")})]), VALIDATION,
        "One or more parameter values were invalid: Missing the key sk in the item")
    expect_error(lambda: dynamodb.transact_write_items(TransactItems=[
        put(hash_table, {"pk": S("")})]), VALIDATION, contains="empty string")
    two = raw("DynamoDB_20120810.TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": hash_table, "Item": {"pk": S("a")}},
         "Delete": {"TableName": hash_table, "Key": {"pk": S("a")}}}]})
    assert err(two) == (
        400, VALIDATION, "TransactItems can only contain one of Check, Put, Update or Delete")
    missing = raw("DynamoDB_20120810.TransactWriteItems", {})
    assert err(missing)[:2] == (400, VALIDATION)
    assert "'transactItems' failed to satisfy constraint: Member must not be null" in missing.error_message
    no_cond = raw("DynamoDB_20120810.TransactWriteItems", {"TransactItems": [
        {"ConditionCheck": {"TableName": hash_table, "Key": {"pk": S("a")}}}]})
    assert err(no_cond)[:2] == (400, VALIDATION)
    assert "conditionExpression" in no_cond.error_message
    bad_rv = raw("DynamoDB_20120810.TransactWriteItems", {"TransactItems": [
        put(hash_table, {"pk": S("a")}, ReturnValuesOnConditionCheckFailure="dog")]})
    assert err(bad_rv)[:2] == (400, VALIDATION)
    assert "ReturnValuesOnConditionCheckFailure" in bad_rv.error_message or "returnValuesOnConditionCheckFailure" in bad_rv.error_message
    unused = raw("DynamoDB_20120810.TransactWriteItems", {"TransactItems": [
        put(hash_table, {"pk": S("a")}, ExpressionAttributeValues={":x": S("1")})]})
    assert err(unused)[:2] == (400, VALIDATION)
    token = raw("DynamoDB_20120810.TransactWriteItems", {
        "ClientRequestToken": "x" * 37, "TransactItems": [put(hash_table, {"pk": S("a")})]})
    assert err(token)[:2] == (400, VALIDATION)
    assert "clientRequestToken" in token.error_message
    big = raw("DynamoDB_20120810.TransactWriteItems", {"TransactItems": [
        put(hash_table, {"pk": S(f"big{i}"), "v": S("x" * 390_000)}) for i in range(11)]})
    assert err(big)[:2] == (400, VALIDATION)
    assert "size cannot exceed" in big.error_message
    assert item(dynamodb, hash_table, {"pk": S("big0")}) is None


def test_cancellation_body_is_dynamodb_shaped(raw, hash_table):
    r = raw("DynamoDB_20120810.TransactWriteItems", {"TransactItems": [
        check(hash_table, {"pk": S("none")}, "attribute_exists(pk)")]})
    assert r.status == 400
    body = json.loads(r.body)
    assert body["__type"] == "com.amazonaws.dynamodb.v20120810#TransactionCanceledException"
    assert body["Message"].endswith("[ConditionalCheckFailed]")
    assert body["CancellationReasons"] == [
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}]


def test_transact_get_items_reads_in_order_with_projections(dynamodb, hash_table, range_table):
    dynamodb.put_item(TableName=hash_table, Item={"pk": S("a"), "x": N(1), "y": S("why")})
    dynamodb.put_item(TableName=range_table, Item={"pk": S("a"), "sk": S("1"), "z": S("zed")})
    resp = dynamodb.transact_get_items(TransactItems=[
        get(range_table, {"pk": S("a"), "sk": S("1")}),
        get(hash_table, {"pk": S("missing")}),
        get(hash_table, {"pk": S("a")}, ProjectionExpression="#y",
            ExpressionAttributeNames={"#y": "y"}),
    ], ReturnConsumedCapacity="TOTAL")
    assert resp["Responses"] == [{"Item": {"pk": S("a"), "sk": S("1"), "z": S("zed")}}, {},
                                 {"Item": {"y": S("why")}}]
    capacity = sorted(resp["ConsumedCapacity"], key=lambda c: c["TableName"])
    expected = sorted([{"TableName": hash_table, "CapacityUnits": 4.0, "ReadCapacityUnits": 4.0},
                       {"TableName": range_table, "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0}],
                      key=lambda c: c["TableName"])
    assert capacity == expected
    _, reasons = cancellation(lambda: dynamodb.transact_get_items(TransactItems=[
        get(hash_table, {"pk": N(1)})]))
    assert reasons == [{"Code": "ValidationError",
                        "Message": "The provided key element does not match the schema"}]


def test_consumed_capacity_two_units_per_kb(dynamodb, tables):
    table = tables.create(("pk", "S"), AttributeDefinitions=[
        {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}])
    dynamodb.put_item(TableName=table, Item={"pk": S("checked"), "v": S("x" * 2500)})
    resp = dynamodb.transact_write_items(TransactItems=[
        put(table, {"pk": S("a"), "g": S("1")}),                    # 2 + index 1
        put(table, {"pk": S("b"), "v": S("x" * 1500)}),             # 2 * 2
        delete(table, {"pk": S("never-there")}),                    # 2
        check(table, {"pk": S("checked")}, "attribute_exists(v)"),  # 2 * 3
    ], ReturnConsumedCapacity="INDEXES")
    [c] = resp["ConsumedCapacity"]
    assert c["TableName"] == table
    assert c["Table"] == {"CapacityUnits": 14.0, "WriteCapacityUnits": 14.0}
    assert c["GlobalSecondaryIndexes"] == {"by_g": {"CapacityUnits": 1.0, "WriteCapacityUnits": 1.0}}
    assert c["CapacityUnits"] == c["WriteCapacityUnits"] == 15.0


def test_client_request_token_makes_retries_idempotent(dynamodb, hash_table):
    request = dict(ClientRequestToken="retry-1", TransactItems=[
        update(hash_table, {"pk": S("counter")}, "ADD n :one", {":one": N(1)})])
    dynamodb.transact_write_items(**request)
    again = dynamodb.transact_write_items(**request, ReturnConsumedCapacity="TOTAL")
    assert again["ConsumedCapacity"][0]["ReadCapacityUnits"] == 2.0  # a replay only reads
    assert item(dynamodb, hash_table, {"pk": S("counter")})["n"] == N(1)
    expect_error(lambda: dynamodb.transact_write_items(ClientRequestToken="retry-1", TransactItems=[
        update(hash_table, {"pk": S("counter")}, "ADD n :two", {":two": N(2)})]),
        "IdempotentParameterMismatchException")
    # A cancelled transaction does not use up its token.
    cancellation(lambda: dynamodb.transact_write_items(ClientRequestToken="retry-2", TransactItems=[
        check(hash_table, {"pk": S("counter")}, "attribute_not_exists(n)")]))
    dynamodb.transact_write_items(ClientRequestToken="retry-2", TransactItems=[
        check(hash_table, {"pk": S("counter")}, "attribute_exists(n)")])


def test_resource_api_with_python_types(endpoint, hash_table):
    resource = boto3.resource("dynamodb", endpoint_url=endpoint, region_name=mt.REGION,
                              aws_access_key_id=mt.DUMMY_ACCESS_KEY,
                              aws_secret_access_key=mt.DUMMY_SECRET_KEY, config=mt.client_config())
    client = resource.meta.client  # takes and returns plain Python values
    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": hash_table, "Item": {"pk": "alice", "balance": 100}}},
        {"Put": {"TableName": hash_table, "Item": {"pk": "bob", "balance": 0}}},
    ])
    client.transact_write_items(TransactItems=[
        {"Update": {"TableName": hash_table, "Key": {"pk": "alice"},
                    "UpdateExpression": "SET balance = balance - :a",
                    "ConditionExpression": "balance >= :a", "ExpressionAttributeValues": {":a": 30}}},
        {"Update": {"TableName": hash_table, "Key": {"pk": "bob"},
                    "UpdateExpression": "SET balance = balance + :a",
                    "ExpressionAttributeValues": {":a": 30}}},
    ])
    got = client.transact_get_items(TransactItems=[
        {"Get": {"TableName": hash_table, "Key": {"pk": "alice"}}},
        {"Get": {"TableName": hash_table, "Key": {"pk": "bob"}}}])["Responses"]
    assert [r["Item"]["balance"] for r in got] == [70, 30]
    table = resource.Table(hash_table)
    assert table.get_item(Key={"pk": "bob"}, ConsistentRead=True)["Item"]["balance"] == 30


def test_aws_cli(aws, tmp_path, hash_table):
    items = tmp_path / "items.json"
    items.write_text(json.dumps([
        put(hash_table, {"pk": S("cli1"), "v": N(1)}),
        put(hash_table, {"pk": S("cli2"), "v": N(2)})]))
    rc, out, err = aws("transact-write-items", "--transact-items", f"file://{items}",
                       "--return-consumed-capacity", "TOTAL")
    assert rc == 0, err
    assert out["ConsumedCapacity"][0]["CapacityUnits"] == 4.0
    gets = tmp_path / "gets.json"
    gets.write_text(json.dumps([get(hash_table, {"pk": S("cli1")}), get(hash_table, {"pk": S("cli2")})]))
    rc, out, err = aws("transact-get-items", "--transact-items", f"file://{gets}")
    assert rc == 0, err
    assert [r["Item"]["v"]["N"] for r in out["Responses"]] == ["1", "2"]
    items.write_text(json.dumps([check(hash_table, {"pk": S("cli1")}, "attribute_not_exists(pk)")]))
    rc, out, err = aws("transact-write-items", "--transact-items", f"file://{items}")
    assert rc != 0 and "TransactionCanceledException" in err and "ConditionalCheckFailed" in err


def test_racing_transactions_on_one_item_exactly_one_commits(dynamodb, hash_table):
    """Eight writers claim the same item at once: the conditions see one serial order."""
    barrier = threading.Barrier(8)
    outcomes = []

    def claim(i):
        barrier.wait()
        try:
            dynamodb.transact_write_items(TransactItems=[
                put(hash_table, {"pk": S("lock"), "owner": N(i)},
                    ConditionExpression="attribute_not_exists(pk)"),
                put(hash_table, {"pk": S(f"claim{i}")})])
            outcomes.append(("ok", i))
        except ClientError as e:
            outcomes.append((mt.error_code(e), i))

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for code, i in outcomes if code == "ok"]
    assert len(winners) == 1, outcomes
    assert {code for code, _ in outcomes} == {"ok", CANCELLED}
    assert item(dynamodb, hash_table, {"pk": S("lock")})["owner"] == N(winners[0])
    for i in range(8):
        assert (item(dynamodb, hash_table, {"pk": S(f"claim{i}")}) is not None) == (i == winners[0])


def test_concurrent_transfers_conserve_the_total(dynamodb, hash_table):
    """Transfers between four accounts from four threads, each checking the balance: every
    TransactGetItems of all accounts sums to the same total, and no balance goes negative."""
    accounts = [f"acct{i}" for i in range(4)]
    dynamodb.transact_write_items(TransactItems=[
        put(hash_table, {"pk": S(a), "balance": N(100)}) for a in accounts])
    stop = threading.Event()
    sums, errors = [], []

    def transfer(seed):
        k = 0
        while not stop.is_set():
            k += 1
            src, dst = accounts[(seed + k) % 4], accounts[(seed + 2 * k + 1) % 4]
            if src == dst:
                continue
            try:
                dynamodb.transact_write_items(TransactItems=[
                    update(hash_table, {"pk": S(src)}, "SET balance = balance - :a", {":a": N(7)},
                           ConditionExpression="balance >= :a"),
                    update(hash_table, {"pk": S(dst)}, "SET balance = balance + :a", {":a": N(7)})])
            except ClientError as e:
                if mt.error_code(e) != CANCELLED:
                    errors.append(e.response)

    def audit():
        while not stop.is_set():
            got = dynamodb.transact_get_items(TransactItems=[
                get(hash_table, {"pk": S(a)}) for a in accounts])["Responses"]
            sums.append(sum(int(r["Item"]["balance"]["N"]) for r in got))

    workers = [threading.Thread(target=transfer, args=(s,)) for s in range(4)]
    workers.append(threading.Thread(target=audit))
    for w in workers:
        w.start()
    stop.wait(3.0)
    stop.set()
    for w in workers:
        w.join()
    assert not errors, errors[:3]
    assert sums and set(sums) == {400}, sorted(set(sums))[:5]
    final = [int(item(dynamodb, hash_table, {"pk": S(a)})["balance"]["N"]) for a in accounts]
    assert sum(final) == 400 and min(final) >= 0
