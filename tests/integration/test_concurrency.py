"""Concurrent writers on one item: conditional writes must serialize exactly."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

import meridian_testlib as mt
from meridian_testlib import S, N

THREADS = 16
PER_THREAD = 50
DEADLINE_S = 240  # generous bound so a livelock fails instead of hanging


def _run_threads(fn):
    errors = []
    barrier = threading.Barrier(THREADS)

    def wrapped(i):
        try:
            barrier.wait(timeout=30)
            return fn(i)
        except BaseException as e:  # surface anything unexpected to the main thread
            errors.append(e)
            raise
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(wrapped, range(THREADS)))
    assert not errors, errors
    return results


def test_conditional_read_modify_write_increments(endpoint, hash_table):
    client = mt.make_client(endpoint, pool=THREADS * 2)
    key = {"pk": S("rmw-counter")}
    client.put_item(TableName=hash_table, Item={**key, "v": N(0)})
    deadline = time.monotonic() + DEADLINE_S

    def worker(_):
        successes = conflicts = 0
        while successes < PER_THREAD:
            assert time.monotonic() < deadline, "conditional increments did not finish in time"
            cur = client.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"]["v"]["N"]
            try:
                client.update_item(TableName=hash_table, Key=key,
                                   UpdateExpression="SET v = :new",
                                   ConditionExpression="v = :old",
                                   ExpressionAttributeValues={":old": N(cur), ":new": N(int(cur) + 1)})
                successes += 1
            except ClientError as e:
                if mt.error_code(e) != "ConditionalCheckFailedException":
                    raise
                assert mt.http_status(e) == 400
                conflicts += 1
        return successes, conflicts

    results = _run_threads(worker)
    total_ok = sum(r[0] for r in results)
    assert total_ok == THREADS * PER_THREAD == 800
    final = client.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"]["v"]
    assert final == N(total_ok), f"lost or duplicated updates (conflicts seen: {sum(r[1] for r in results)})"


def test_conditional_increment_without_read(endpoint, hash_table):
    """Same, but the new value is computed by the server: SET v = v + :one IF v = :old."""
    client = mt.make_client(endpoint, pool=THREADS * 2)
    key = {"pk": S("cas-counter")}
    client.put_item(TableName=hash_table, Item={**key, "v": N(0)})
    deadline = time.monotonic() + DEADLINE_S

    def worker(_):
        successes = 0
        guess = 0
        while successes < PER_THREAD:
            assert time.monotonic() < deadline
            try:
                resp = client.update_item(TableName=hash_table, Key=key,
                                          UpdateExpression="SET v = v + :one",
                                          ConditionExpression="v = :old",
                                          ExpressionAttributeValues={":old": N(guess), ":one": N(1)},
                                          ReturnValues="UPDATED_NEW")
                successes += 1
                guess = int(resp["Attributes"]["v"]["N"])
            except ClientError as e:
                if mt.error_code(e) != "ConditionalCheckFailedException":
                    raise
                guess = int(client.get_item(TableName=hash_table, Key=key,
                                            ConsistentRead=True)["Item"]["v"]["N"])
        return successes

    assert sum(_run_threads(worker)) == 800
    assert client.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"]["v"] == N(800)


def test_concurrent_add_counter(endpoint, hash_table):
    client = mt.make_client(endpoint, pool=THREADS * 2)
    key = {"pk": S("add-counter")}
    per_thread = 100

    def worker(i):
        for j in range(per_thread):
            client.update_item(TableName=hash_table, Key=key,
                               UpdateExpression="ADD c :one, amount_sum :amt",
                               ExpressionAttributeValues={":one": N(1), ":amt": N(f"{i}.{j:02d}")})
        return per_thread

    _run_threads(worker)
    item = client.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"]
    assert item["c"] == N(THREADS * per_thread)
    # Exact decimal sum of i.jj over all threads and iterations.
    from decimal import Decimal
    expected = sum(Decimal(f"{i}.{j:02d}") for i in range(THREADS) for j in range(per_thread))
    assert Decimal(item["amount_sum"]["N"]) == expected


def test_concurrent_add_to_set(endpoint, hash_table):
    client = mt.make_client(endpoint, pool=THREADS * 2)
    key = {"pk": S("add-set")}

    def worker(i):
        for j in range(20):
            client.update_item(TableName=hash_table, Key=key, UpdateExpression="ADD s :e",
                               ExpressionAttributeValues={":e": {"SS": [f"t{i}-{j}"]}})

    _run_threads(worker)
    got = client.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"]["s"]["SS"]
    assert sorted(got) == sorted(f"t{i}-{j}" for i in range(THREADS) for j in range(20))


def test_create_if_absent_race_has_one_winner(endpoint, hash_table):
    client = mt.make_client(endpoint, pool=THREADS * 2)
    rounds = 10

    def worker(i):
        wins = []
        for r in range(rounds):
            try:
                client.put_item(TableName=hash_table, Item={"pk": S(f"race-{r}"), "owner": N(i)},
                                ConditionExpression="attribute_not_exists(pk)")
                wins.append(r)
            except ClientError as e:
                if mt.error_code(e) != "ConditionalCheckFailedException":
                    raise
        return wins

    results = _run_threads(worker)
    for r in range(rounds):
        winners = [i for i, wins in enumerate(results) if r in wins]
        assert len(winners) == 1, f"round {r}: winners {winners}"
        item = client.get_item(TableName=hash_table, Key={"pk": S(f"race-{r}")}, ConsistentRead=True)["Item"]
        assert item["owner"] == N(winners[0])


def test_concurrent_writers_distinct_items(endpoint, hash_table):
    client = mt.make_client(endpoint, pool=THREADS * 2)

    def worker(i):
        for j in range(50):
            client.put_item(TableName=hash_table, Item={"pk": S(f"w{i}-{j}"), "v": N(i * 1000 + j)})

    _run_threads(worker)
    items = mt.full_scan(client, TableName=hash_table, ConsistentRead=True)
    assert len(items) == THREADS * 50
    assert {it["pk"]["S"]: it["v"]["N"] for it in items} == \
        {f"w{i}-{j}": str(i * 1000 + j) for i in range(THREADS) for j in range(50)}
