"""PartiQL: ExecuteStatement, BatchExecuteStatement and ExecuteTransaction with boto3 and the
AWS CLI. Behaviour and messages follow DynamoDB's as AWS-run conformance suites and SDK
issue reports show them (a SELECT with an equality or IN on the partition key queries, other
SELECTs scan; INSERT of an existing key is DuplicateItemException; UPDATE of a missing item
is ConditionalCheckFailedException; DELETE of a missing item succeeds)."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

import meridian_testlib as mt
from meridian_testlib import S, N, expect_error

VALIDATION = "ValidationException"
B = lambda v: {"B": v}  # noqa: E731


def run(client, statement, params=None, **kw):
    if params is not None:
        kw["Parameters"] = params
    return client.execute_statement(Statement=statement, **kw)


def select_all(client, statement, params=None, **kw):
    items, token = [], None
    for _ in range(1000):
        if token:
            kw["NextToken"] = token
        r = run(client, statement, params, **kw)
        items += r["Items"]
        token = r.get("NextToken")
        if not token:
            return items
    raise AssertionError("paging did not end")


@pytest.fixture
def music(dynamodb, tables):
    """Artist (S) / SongTitle (S) table with a GSI on Genre and a few songs."""
    name = tables.create(
        ("Artist", "S"), ("SongTitle", "S"),
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"}
                              for a in ("Artist", "SongTitle", "Genre")],
        GlobalSecondaryIndexes=[{"IndexName": "ByGenre",
                                 "KeySchema": [{"AttributeName": "Genre", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}])
    songs = [("Acme", "A1", "rock", 120), ("Acme", "A2", "rock", 95), ("Acme", "B1", "jazz", 300),
             ("Zed", "Z1", "jazz", 200), ("Zed", "Z2", "pop", 180)]
    for artist, title, genre, secs in songs:
        dynamodb.put_item(TableName=name, Item={
            "Artist": S(artist), "SongTitle": S(title), "Genre": S(genre), "Secs": N(secs),
            "Tags": {"SS": [genre, "all"]}, "Info": {"M": {"year": N(2000 + secs % 20),
                                                          "labels": {"L": [S("x"), S(title)]}}}})
    return name


def titles(items):
    return sorted(i["SongTitle"]["S"] for i in items)


# ---- SELECT -------------------------------------------------------------------------------

def test_select_by_full_key_and_projection(dynamodb, music):
    r = run(dynamodb, f'SELECT * FROM "{music}" WHERE Artist = \'Acme\' AND SongTitle = \'A1\'')
    assert len(r["Items"]) == 1 and r["Items"][0]["Secs"] == N(120)
    assert "NextToken" not in r
    # Projected nested paths are named by their last component, as DynamoDB does.
    r = run(dynamodb, f'SELECT Secs, Info.year, Info.labels[1], Nope FROM "{music}" '
                      'WHERE Artist = ? AND SongTitle = ?', [S("Acme"), S("A2")])
    assert r["Items"] == [{"Secs": N(95), "year": N(2015), "labels[1]": S("A2")}]
    assert run(dynamodb, f'SELECT * FROM "{music}" WHERE Artist=\'Acme\' AND SongTitle=\'none\'')["Items"] == []


def test_select_query_scan_and_filters(dynamodb, music):
    q = f'SELECT * FROM "{music}" WHERE '
    assert titles(select_all(dynamodb, q + "Artist = 'Acme'")) == ["A1", "A2", "B1"]
    assert titles(select_all(dynamodb, q + "Artist = 'Acme' AND begins_with(SongTitle, 'A')")) == ["A1", "A2"]
    assert titles(select_all(dynamodb, q + "Artist = 'Acme' AND SongTitle BETWEEN 'A2' AND 'B1'")) == ["A2", "B1"]
    assert titles(select_all(dynamodb, q + "Artist = 'Acme' AND Secs > 100")) == ["A1", "B1"]
    assert titles(select_all(dynamodb, q + "Artist IN ['Acme', 'Zed'] AND Genre = 'jazz'")) == ["B1", "Z1"]
    assert titles(select_all(dynamodb, q + "Genre IN ('pop', 'rock')")) == ["A1", "A2", "Z2"]
    assert titles(select_all(dynamodb, q + "contains(Tags, 'jazz')")) == ["B1", "Z1"]
    assert titles(select_all(dynamodb, q + "Info.year = 2000")) == ["A1", "B1", "Z1", "Z2"]
    assert titles(select_all(dynamodb, q + "Info.labels[1] = 'Z2'")) == ["Z2"]
    assert titles(select_all(dynamodb, q + "Secs BETWEEN 100 AND 200 AND NOT Genre = 'pop'")) == ["A1", "Z1"]
    assert titles(select_all(dynamodb, q + "Genre = 'pop' OR Secs < 100")) == ["A2", "Z2"]
    assert titles(select_all(dynamodb, q + "attribute_type(Secs, 'N') AND size(Tags) = 2 AND Secs >= 300")) == ["B1"]
    # A sort-key condition that is not a key condition still filters (the statement scans).
    assert titles(select_all(dynamodb, q + "Artist = 'Acme' AND SongTitle <> 'A1'")) == ["A2", "B1"]
    assert titles(select_all(dynamodb, q + "Artist = 'Acme' AND SongTitle > 'A1' AND SongTitle < 'B1'")) == ["A2"]
    assert select_all(dynamodb, q + "Artist = 'Nobody'") == []


def test_select_missing_null_and_types(dynamodb, tables):
    name = tables.create(("pk", "S"))
    items = {
        "s": S("x"), "n": N("1.5"), "b": B(b"\x00\x01"), "t": {"BOOL": True}, "nul": {"NULL": True},
        "l": {"L": [N(1), S("a")]}, "m": {"M": {"k": S("v")}}, "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2"]}, "bs": {"BS": [b"\x01"]},
    }
    for k, v in items.items():
        dynamodb.put_item(TableName=name, Item={"pk": S(k), "v": v})
    dynamodb.put_item(TableName=name, Item={"pk": S("none")})
    q = f'SELECT pk FROM "{name}" WHERE '
    got = lambda cond, params=None: sorted(i["pk"]["S"] for i in select_all(dynamodb, q + cond, params))  # noqa: E731
    assert got("v IS MISSING") == ["none"]
    assert got("v IS NOT MISSING") == sorted(items)
    assert got("v IS NULL") == ["none", "nul"]
    assert got("attribute_exists(v) AND NOT v IS NULL") == sorted(set(items) - {"nul"})
    assert got("attribute_not_exists(v)") == ["none"]
    # Every type compares equal to itself, as a literal and as a parameter.
    literals = {"s": "'x'", "n": "1.5", "t": "true", "l": "[1, 'a']", "m": "{'k': 'v'}",
                "ss": "<<'b', 'a'>>", "ns": "<<2, 1>>", "nul": "NULL"}
    for k, lit in literals.items():
        assert got(f"v = {lit}") == [k], lit
    for k, v in items.items():
        assert got("v = ?", [v]) == [k], k
    for t, k in [("S", "s"), ("N", "n"), ("B", "b"), ("BOOL", "t"), ("NULL", "nul"), ("L", "l"),
                 ("M", "m"), ("SS", "ss"), ("NS", "ns"), ("BS", "bs")]:
        assert got(f"attribute_type(v, '{t}')") == [k]


def test_select_index_order_by_limit_and_paging(dynamodb, music, tables):
    r = select_all(dynamodb, f'SELECT * FROM "{music}"."ByGenre" WHERE Genre = \'rock\'')
    assert titles(r) == ["A1", "A2"]
    r = run(dynamodb, f'SELECT SongTitle FROM "{music}" WHERE Artist = \'Acme\' ORDER BY SongTitle DESC')
    assert [i["SongTitle"]["S"] for i in r["Items"]] == ["B1", "A2", "A1"]
    # Limit evaluates at most that many items; the NextToken resumes.
    r = run(dynamodb, f'SELECT * FROM "{music}" WHERE Artist = \'Acme\'', Limit=2)
    assert len(r["Items"]) == 2 and r["NextToken"]
    rest = run(dynamodb, f'SELECT * FROM "{music}" WHERE Artist = \'Acme\'', Limit=2, NextToken=r["NextToken"])
    assert titles(r["Items"] + rest["Items"]) == ["A1", "A2", "B1"]
    # IN over partition keys pages across partitions.
    seen = select_all(dynamodb, f'SELECT * FROM "{music}" WHERE Artist IN [\'Zed\', \'Acme\']', Limit=1)
    assert titles(seen) == ["A1", "A2", "B1", "Z1", "Z2"]
    # A scan pages too.
    assert titles(select_all(dynamodb, f'SELECT * FROM "{music}"', Limit=2)) == ["A1", "A2", "B1", "Z1", "Z2"]
    expect_error(lambda: run(dynamodb, f'SELECT * FROM "{music}" WHERE Artist = \'Zed\'',
                             NextToken=r["NextToken"]), VALIDATION, "NextToken does not match request")
    expect_error(lambda: run(dynamodb, f'SELECT * FROM "{music}"', NextToken="garbage!"), VALIDATION,
                 "Invalid NextToken")
    r = run(dynamodb, f'SELECT * FROM "{music}" WHERE Artist = \'Acme\'', ConsistentRead=True,
            ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["TableName"] == music and r["ConsumedCapacity"]["CapacityUnits"] >= 1


def test_select_errors(dynamodb, music, raw):
    expect_error(lambda: run(dynamodb, 'SELECT * FROM "nope_table"'), "ResourceNotFoundException",
                 "Requested resource not found")
    expect_error(lambda: run(dynamodb, f'SELECT * FROM "{music}"."Nope"'), VALIDATION,
                 "The table does not have the specified index")
    expect_error(lambda: run(dynamodb, f'SELECT * FROM "{music}"."ByGenre"."x"'), VALIDATION,
                 "A path may contain at most 2 components in the FROM clause")
    expect_error(lambda: run(dynamodb, f'SLECT * FROM "{music}"'), VALIDATION,
                 "Statement wasn't well formed, can't be processed: Expected data manipulation")
    expect_error(lambda: run(dynamodb, f'SELECT * FROM "{music}" WHERE'), VALIDATION,
                 "Statement wasn't well formed, can't be processed: Unexpected term")
    expect_error(lambda: run(dynamodb, f'SELECT * FROM "{music}" WHERE Secs = 1 AND'), VALIDATION,
                 "Statement wasn't well formed, can't be processed: Missing right-hand side expression of infix operator")
    expect_error(lambda: run(dynamodb, f'SELECT * FROM "{music}" WHERE Secs = 1 Secs'), VALIDATION,
                 "Statement wasn't well formed, can't be processed: Unexpected token after expression")
    expect_error(lambda: run(dynamodb, f'SELECT * FROM "{music}" WHERE Secs = ?'), VALIDATION,
                 "Number of parameters in request and statement don't match.")
    expect_error(lambda: run(dynamodb, f'SELECT * FROM "{music}" WHERE Secs = MISSING'), VALIDATION,
                 "MISSING must be compared using IS operator")
    expect_error(lambda: run(dynamodb, f'SELECT * FROM "{music}" ORDER BY SongTitle'), VALIDATION,
                 "Must have WHERE clause in the statement when using ORDER BY clause.")
    expect_error(lambda: run(dynamodb, f'SELECT * FROM "{music}" WHERE Secs = 1 ORDER BY SongTitle'),
                 VALIDATION, "Must have at least one non-optional hash key condition in WHERE clause "
                 "when using ORDER BY clause.")
    expect_error(lambda: run(dynamodb, f'SELECT * FROM "{music}" WHERE Artist = \'a\' ORDER BY Secs'),
                 VALIDATION, "Variable reference Secs in ORDER BY clause must be part of the primary key")
    r = raw("DynamoDB_20120810.ExecuteStatement", {"Statement": f'SELECT * FROM "{music}"', "Limit": 0})
    assert r.status == 400 and r.error_message == ("1 validation error detected: Value '0' at 'limit' "
                                                   "failed to satisfy constraint: Member must have value "
                                                   "greater than or equal to 1")
    r = raw("DynamoDB_20120810.ExecuteStatement", {"Statement": f'SELECT * FROM "{music}"', "Parameters": []})
    assert r.status == 400 and r.error_message == ("1 validation error detected: Value '[]' at 'parameters' "
                                                   "failed to satisfy constraint: Member must have length "
                                                   "greater than or equal to 1")
    expect_error(lambda: run(dynamodb, f'SELECT * FROM "{music}" WHERE Secs = <<>>'), VALIDATION,
                 "Empty bags are not supported")
    expect_error(lambda: run(dynamodb, f'SELECT * FROM "{music}" WHERE Tags = <<1, \'a\'>>'), VALIDATION,
                 "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags")
    expect_error(lambda: run(dynamodb, "x" * 8193), VALIDATION, contains="less than or equal to 8192")
    expect_error(lambda: run(dynamodb, f'SELECT * FROM "{music}" WHERE Secs = 1e999'), VALIDATION,
                 contains="Number overflow")


# ---- INSERT / UPDATE / DELETE -------------------------------------------------------------

def test_insert_update_delete(dynamodb, tables):
    name = tables.create(("pk", "S"), ("sk", "N"))
    assert run(dynamodb, f"INSERT INTO \"{name}\" VALUE {{'pk': 'a', 'sk': 1, 'n': 5, 'l': [1], 's': <<'x'>>, "
                         "'m': {'deep': {'x': ?}}}", [B(b"\x02")])["Items"] == []
    item = dynamodb.get_item(TableName=name, Key={"pk": S("a"), "sk": N(1)})["Item"]
    assert item["m"] == {"M": {"deep": {"M": {"x": B(b"\x02")}}}} and item["s"] == {"SS": ["x"]}
    e = expect_error(lambda: run(dynamodb, f"INSERT INTO \"{name}\" VALUE {{'pk': 'a', 'sk': 1}}"),
                     "DuplicateItemException", "Duplicate primary key exists in table")
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    expect_error(lambda: run(dynamodb, f"INSERT INTO \"{name}\" VALUE {{'pk': 'a'}}"), VALIDATION,
                 "Key attribute should be present in the item: Key sk")
    expect_error(lambda: run(dynamodb, f"INSERT INTO \"{name}\" VALUE {{'pk': 'a', 'sk': 'x'}}"), VALIDATION,
                 "Key attribute's data type should match its data type in table's schema: Key sk")
    expect_error(lambda: run(dynamodb, f"INSERT INTO \"{name}\" VALUES {{'pk': 'a', 'sk': 2}}"), VALIDATION,
                 contains="Inserting multiple items in a single statement is not supported")

    r = run(dynamodb, f"UPDATE \"{name}\" SET n = n + 2, l = list_append(l, [2, 3]), s = set_add(s, <<'y'>>) "
                      f"SET m.deep.y = 'z' REMOVE m.deep.x WHERE pk = 'a' AND sk = 1 RETURNING ALL NEW *")
    new = r["Items"][0]
    assert new["n"] == N(7) and new["l"] == {"L": [N(1), N(2), N(3)]}
    assert sorted(new["s"]["SS"]) == ["x", "y"] and new["m"] == {"M": {"deep": {"M": {"y": S("z")}}}}
    r = run(dynamodb, f"UPDATE \"{name}\" SET s = set_delete(s, <<'x'>>) WHERE pk = 'a' AND sk = 1 "
                      "RETURNING MODIFIED OLD *")
    assert r["Items"] == [{"s": {"SS": ["x", "y"]}}]
    # Conditions beyond the key guard the write.
    expect_error(lambda: run(dynamodb, f"UPDATE \"{name}\" SET n = 0 WHERE pk = 'a' AND sk = 1 AND n > 100"),
                 "ConditionalCheckFailedException", "The conditional request failed")
    assert run(dynamodb, f"UPDATE \"{name}\" SET n = 0 WHERE pk = 'a' AND sk = 1 AND n = 7")["Items"] == []
    # UPDATE never creates an item.
    expect_error(lambda: run(dynamodb, f"UPDATE \"{name}\" SET n = 1 WHERE pk = 'b' AND sk = 1"),
                 "ConditionalCheckFailedException", "The conditional request failed")
    assert "Item" not in dynamodb.get_item(TableName=name, Key={"pk": S("b"), "sk": N(1)})
    expect_error(lambda: run(dynamodb, f"UPDATE \"{name}\" SET n = 1 WHERE pk = 'a'"), VALIDATION,
                 "Where clause does not contain a mandatory equality on all key attributes")
    expect_error(lambda: run(dynamodb, f"DELETE FROM \"{name}\" WHERE pk = 'a' OR sk = 1"), VALIDATION,
                 "Where clause does not contain a mandatory equality on all key attributes")

    expect_error(lambda: run(dynamodb, f"DELETE FROM \"{name}\" WHERE pk = 'a' AND sk = 1 AND n = 99"),
                 "ConditionalCheckFailedException", "The conditional request failed")
    expect_error(lambda: run(dynamodb, f"DELETE FROM \"{name}\" WHERE pk = 'a' AND sk = 1 RETURNING ALL NEW *"),
                 VALIDATION, "Invalid returning clause: RETURNING ALL NEW *. Only RETURNING ALL OLD * is "
                 "allowed in DELETE statements.")
    r = run(dynamodb, f"DELETE FROM \"{name}\" WHERE pk = ? AND sk = ? RETURNING ALL OLD *", [S("a"), N(1)])
    assert r["Items"][0]["n"] == N(0)
    assert "Item" not in dynamodb.get_item(TableName=name, Key={"pk": S("a"), "sk": N(1)})
    # Deleting what is not there succeeds.
    assert run(dynamodb, f"DELETE FROM \"{name}\" WHERE pk = 'a' AND sk = 1")["Items"] == []


def test_return_values_on_condition_check_failure(dynamodb, hash_table, raw):
    # botocore 1.29 does not know the member yet: a hand-made request.
    run(dynamodb, f"INSERT INTO \"{hash_table}\" VALUE {{'pk': 'k', 'v': 1}}")
    r = raw("DynamoDB_20120810.ExecuteStatement",
            {"Statement": f"UPDATE \"{hash_table}\" SET v = 2 WHERE pk = 'k' AND v = 5",
             "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})
    assert r.status == 400 and r.error_type.endswith("ConditionalCheckFailedException")
    assert r.json["Item"] == {"pk": S("k"), "v": N(1)}


# ---- BatchExecuteStatement ----------------------------------------------------------------

def test_batch_execute_statement(dynamodb, hash_table):
    t = hash_table
    run(dynamodb, f"INSERT INTO \"{t}\" VALUE {{'pk': 'old', 'v': 0}}")
    r = dynamodb.batch_execute_statement(Statements=[
        {"Statement": f"INSERT INTO \"{t}\" VALUE {{'pk': 'a', 'v': 1}}"},
        {"Statement": f"INSERT INTO \"{t}\" VALUE {{'pk': ?, 'v': 2}}", "Parameters": [S("b")]},
        {"Statement": f"INSERT INTO \"{t}\" VALUE {{'pk': 'old', 'v': 3}}"},
        {"Statement": f"UPDATE \"{t}\" SET v = 9 WHERE pk = 'zz'"},
        {"Statement": "INSERT INTO \"no_such_table\" VALUE {'pk': 'a'}"},
        {"Statement": "INSERT garbage"},
    ], ReturnConsumedCapacity="TOTAL")["Responses"]
    assert "Error" not in r[0] and "Error" not in r[1] and r[0]["TableName"] == t
    assert r[2]["Error"]["Code"] == "DuplicateItem"
    assert r[3]["Error"]["Code"] == "ConditionalCheckFailed"
    assert r[4]["Error"]["Code"] == "ResourceNotFound"
    assert r[5]["Error"]["Code"] == "ValidationError"
    reads = dynamodb.batch_execute_statement(Statements=[
        {"Statement": f"SELECT * FROM \"{t}\" WHERE pk = 'a'"},
        {"Statement": f"SELECT v FROM \"{t}\" WHERE pk = ?", "Parameters": [S("b")], "ConsistentRead": True},
        {"Statement": f"SELECT * FROM \"{t}\" WHERE pk = 'missing'"},
        {"Statement": f"SELECT * FROM \"{t}\" WHERE v = 1"},
    ])["Responses"]
    assert reads[0]["Item"] == {"pk": S("a"), "v": N(1)} and reads[1]["Item"] == {"v": N(2)}
    assert reads[2] == {"TableName": t}
    assert reads[3]["Error"] == {"Code": "ValidationError", "Message": "Select statements within "
                                 "BatchExecuteStatement must specify the primary key in the where clause."}
    expect_error(lambda: dynamodb.batch_execute_statement(Statements=[
        {"Statement": f"SELECT * FROM \"{t}\" WHERE pk = 'a'"},
        {"Statement": f"DELETE FROM \"{t}\" WHERE pk = 'a'"}]), VALIDATION,
        "Read and write requests together in the same batch is not supported.")
    expect_error(lambda: dynamodb.batch_execute_statement(
        Statements=[{"Statement": f"DELETE FROM \"{t}\" WHERE pk = 'a'"}] * 26), VALIDATION,
        contains="Member must have length less than or equal to 25")
    # One item twice is refused as a whole, however the key is written.
    expect_error(lambda: dynamodb.batch_execute_statement(Statements=[
        {"Statement": f"INSERT INTO \"{t}\" VALUE {{'pk': 'dup', 'v': 1}}"},
        {"Statement": f"DELETE FROM \"{t}\" WHERE pk = ?", "Parameters": [S("dup")]}]), VALIDATION,
        "Provided list of item keys contains duplicates")
    assert "Item" not in dynamodb.get_item(TableName=t, Key={"pk": S("dup")})


# ---- ExecuteTransaction -------------------------------------------------------------------

def test_execute_transaction(dynamodb, hash_table):
    t = hash_table
    run(dynamodb, f"INSERT INTO \"{t}\" VALUE {{'pk': 'acct1', 'bal': 100}}")
    run(dynamodb, f"INSERT INTO \"{t}\" VALUE {{'pk': 'acct2', 'bal': 0}}")
    transfer = [
        {"Statement": f"UPDATE \"{t}\" SET bal = bal - 30 WHERE pk = 'acct1' AND bal >= 30"},
        {"Statement": f"UPDATE \"{t}\" SET bal = bal + ? WHERE pk = 'acct2'", "Parameters": [N(30)]},
        {"Statement": f"INSERT INTO \"{t}\" VALUE {{'pk': 'log1', 'amount': 30}}"},
    ]
    r = dynamodb.execute_transaction(TransactStatements=transfer, ClientRequestToken="tok-1")
    assert r.get("Responses", []) == []
    # The same token and statements replay without applying twice.
    dynamodb.execute_transaction(TransactStatements=transfer, ClientRequestToken="tok-1")
    got = dynamodb.execute_transaction(TransactStatements=[
        {"Statement": f"SELECT bal FROM \"{t}\" WHERE pk = 'acct1'"},
        {"Statement": f"SELECT * FROM \"{t}\" WHERE pk = 'acct2'"},
        {"Statement": f"SELECT * FROM \"{t}\" WHERE pk = 'nobody'"}])["Responses"]
    assert got[0]["Item"] == {"bal": N(70)} and got[1]["Item"]["bal"] == N(30) and got[2] == {}
    # A failing statement cancels all of them.
    def cancel(statements):
        try:
            dynamodb.execute_transaction(TransactStatements=statements)
        except ClientError as e:
            assert mt.error_code(e) == "TransactionCanceledException"
            return [x["Code"] for x in e.response["CancellationReasons"]]
        raise AssertionError("not cancelled")
    assert cancel([
        {"Statement": f"UPDATE \"{t}\" SET bal = bal - 1000 WHERE pk = 'acct1'"},
        {"Statement": f"INSERT INTO \"{t}\" VALUE {{'pk': 'log1', 'amount': 1}}"},
        {"Statement": f"EXISTS(SELECT * FROM \"{t}\" WHERE pk = 'acct2' AND bal > 1000)"},
    ]) == ["None", "DuplicateItem", "ConditionalCheckFailed"]
    assert dynamodb.get_item(TableName=t, Key={"pk": S("acct1")})["Item"]["bal"] == N(70)
    expect_error(lambda: dynamodb.execute_transaction(TransactStatements=[
        {"Statement": f"SELECT * FROM \"{t}\" WHERE pk = 'a'"},
        {"Statement": f"DELETE FROM \"{t}\" WHERE pk = 'a'"}]), VALIDATION,
        "ExecuteTransaction API does not support both read and write operations in the same request.")
    expect_error(lambda: dynamodb.execute_transaction(TransactStatements=[
        {"Statement": f"DELETE FROM \"{t}\" WHERE pk = 'a' RETURNING ALL OLD *"}]), VALIDATION,
        "Validation failed in TransactStatements[0]: RETURNING clause is not supported in ExecuteTransaction.")
    expect_error(lambda: dynamodb.execute_transaction(TransactStatements=[
        {"Statement": f"EXISTS(SELECT * FROM \"{t}\" WHERE pk = 'a')"}]), VALIDATION,
        "Validation failed in TransactStatements[0]: EXISTS() must contain a single item read with "
        "additional condition")
    expect_error(lambda: run(dynamodb, f"EXISTS(SELECT * FROM \"{t}\" WHERE pk = 'a' AND bal = 1)"),
                 VALIDATION, "EXISTS can only be used in ExecuteTransaction write requests.")
    expect_error(lambda: dynamodb.execute_transaction(
        TransactStatements=[{"Statement": f"DELETE FROM \"{t}\" WHERE pk = 'x{i}'"} for i in range(101)]),
        VALIDATION, contains="Member must have length less than or equal to 100")


# ---- clients ------------------------------------------------------------------------------

def test_aws_cli_execute_statement(aws, dynamodb, hash_table):
    rc, out, err = aws("execute-statement", "--statement",
                       f"INSERT INTO \"{hash_table}\" VALUE {{'pk': 'cli', 'n': 1}}")
    assert rc == 0, err
    rc, out, err = aws("execute-statement", "--statement", f"SELECT * FROM \"{hash_table}\" WHERE pk = ?",
                       "--parameters", '[{"S": "cli"}]')
    assert rc == 0, err
    assert out["Items"] == [{"pk": S("cli"), "n": N(1)}]
    rc, out, err = aws("execute-statement", "--statement", f"SELECT * FROM \"{hash_table}\" WHERE")
    assert rc != 0 and "ValidationException" in err


def test_boto3_resource_partiql(endpoint, hash_table):
    import boto3
    client = mt.make_client(endpoint)
    client.execute_statement(Statement=f"INSERT INTO \"{hash_table}\" VALUE {{'pk': 'r', 'n': 2}}")
    res = boto3.resource("dynamodb", endpoint_url=endpoint, region_name=mt.REGION,
                         aws_access_key_id=mt.DUMMY_ACCESS_KEY, aws_secret_access_key=mt.DUMMY_SECRET_KEY)
    r = res.meta.client.execute_statement(Statement=f"SELECT n FROM \"{hash_table}\" WHERE pk = ?",
                                          Parameters=["r"])
    assert r["Items"] == [{"n": 2}]


def test_statement_garbage_never_breaks_the_server(dynamodb, hash_table):
    import random
    rnd = random.Random(7)
    parts = ["SELECT", "*", "FROM", f'"{hash_table}"', "WHERE", "pk", "=", "'a'", "AND", "OR", "(", ")",
             "[", "]", "{", "}", "<<", ">>", "?", ",", ".", "1", "-", "IN", "BETWEEN", "IS", "MISSING",
             "NOT", "UPDATE", "SET", "REMOVE", "DELETE", "INSERT", "INTO", "VALUE", "'", '"', "\\", "\x00",
             "é", "RETURNING", "ALL", "OLD", "*", "size(", "begins_with(", "ORDER", "BY", "EXISTS("]
    for _ in range(300):
        text = " ".join(rnd.choice(parts) for _ in range(rnd.randint(1, 14)))
        try:
            run(dynamodb, text, [S("a")] * text.count("?") if "?" in text else None)
        except ClientError as e:
            assert mt.http_status(e) == 400, (text, e.response)
    assert run(dynamodb, f'SELECT * FROM "{hash_table}" WHERE pk = \'a\'')["Items"] is not None
