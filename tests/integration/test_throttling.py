"""Provisioned capacity: token buckets per table and per global secondary index with burst
capacity, ProvisionedThroughputExceededException that the SDKs retry, UpdateTable taking
effect at once, DescribeTable's decrease bookkeeping and DynamoDB's decrease limit, on-demand
and account limits, and auto scaling from the meridian:autoscaling tag.

The servers here keep 2 s of burst (capacity_burst_s) so a test spends it quickly; the
production default is DynamoDB's 300 s."""
from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import meridian_testlib as mt
from meridian_testlib import S, N, expect_error

EXCEEDED = "ProvisionedThroughputExceededException"


@pytest.fixture(scope="module")
def server():
    if mt.IS_EXTERNAL:
        pytest.skip("needs its own meridiand (small burst, fast auto scaling)")
    work = Path(tempfile.mkdtemp(prefix="meridian-throttle-"))
    srv = mt.MeridianServer(work / "data", work / "meridiand.log", extra_args=[
        "--capacity-burst-s", "2", "--autoscale-interval-s", "2",
        "--on-demand-table-write-units", "200"])
    srv.start()
    yield srv
    srv.stop()
    shutil.rmtree(work, ignore_errors=True)


def client(srv, retries: int = 0):
    cfg = Config(retries={"max_attempts": retries + 1, "mode": "standard"} if retries else
                 {"max_attempts": 1}, max_pool_connections=32)
    return boto3.client("dynamodb", endpoint_url=srv.endpoint, region_name=mt.REGION,
                        aws_access_key_id=mt.DUMMY_ACCESS_KEY,
                        aws_secret_access_key=mt.DUMMY_SECRET_KEY, config=cfg)


def provisioned(c, name, rcu=10, wcu=10, **extra):
    params = {**mt.key_schema(("pk", "S")), **extra}
    c.create_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": rcu,
                                                          "WriteCapacityUnits": wcu}, **params)
    mt.wait_active(c, name)
    return name


def paced_writes(c, table, per_second, seconds, retry_client=None):
    """Puts at `per_second` for `seconds` from 10 threads; returns (ok, throttled) counts per
    second of the run."""
    ok = [0] * (seconds + 1)
    throttled = [0] * (seconds + 1)
    start = time.monotonic()
    lock = threading.Lock()
    per_thread = per_second / 10

    def run(t):
        n = 0
        while True:
            due = start + n / per_thread
            now = time.monotonic()
            if due - start >= seconds:
                return
            if due > now:
                time.sleep(due - now)
            slot = int(time.monotonic() - start)
            try:
                c.put_item(TableName=table, Item={"pk": S(f"t{t}-{n}"), "v": S("x" * 100)})
                with lock:
                    ok[min(slot, seconds)] += 1
            except ClientError as e:
                assert mt.error_code(e) == EXCEEDED, e.response
                assert mt.http_status(e) == 400
                with lock:
                    throttled[min(slot, seconds)] += 1
            n += 1

    threads = [threading.Thread(target=run, args=(t,)) for t in range(10)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return ok, throttled


def test_a_10_wcu_table_driven_at_50_writes_per_second_gets_about_10(server):
    c = client(server)
    t = provisioned(c, "thr_10wcu", wcu=10)
    ok, throttled = paced_writes(c, t, 50, 8)
    # The burst (2 s x 10 units, full at creation) goes first; after that about 10/s succeed.
    steady = ok[3:8]
    rate = sum(steady) / len(steady)
    assert 7 <= rate <= 14, (ok, throttled)
    assert sum(throttled[3:8]) >= 5 * 30, (ok, throttled)
    # The error is what the SDKs retry: with retries on, boto3 gets every write through, at
    # about the provisioned rate.
    r = client(server, retries=30)
    started = time.monotonic()
    for i in range(25):
        r.put_item(TableName=t, Item={"pk": S(f"retried-{i}")})
    elapsed = time.monotonic() - started
    assert elapsed >= 1.0, elapsed  # 25 writes through a 10/s bucket in debt take time
    for i in range(25):
        assert "Item" in r.get_item(TableName=t, Key={"pk": S(f"retried-{i}")})


def test_update_table_changes_the_rate_at_once(server):
    c = client(server)
    t = provisioned(c, "thr_update", wcu=1)
    ok, _ = paced_writes(c, t, 40, 3)
    assert sum(ok[2:3]) <= 6, ok
    c.update_table(TableName=t, ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 1000})
    time.sleep(0.2)
    ok, throttled = paced_writes(c, t, 40, 2)
    assert sum(throttled) == 0 and sum(ok) >= 70, (ok, throttled)


def test_reads_are_throttled_by_read_units(server):
    c = client(server)
    t = provisioned(c, "thr_reads", rcu=2, wcu=100)
    c.put_item(TableName=t, Item={"pk": S("k"), "v": S("x" * 3000)})
    outcomes, message = [], None
    for _ in range(60):
        try:
            c.get_item(TableName=t, Key={"pk": S("k")}, ConsistentRead=True)
            outcomes.append("ok")
        except ClientError as e:
            assert mt.error_code(e) == EXCEEDED and mt.http_status(e) == 400
            message = mt.error_message(e)
            outcomes.append("throttled")
    # 2 RCU/s with 4 units of burst: a handful of reads, then throttling.
    assert outcomes[0] == "ok" and outcomes.count("throttled") >= 40, outcomes
    assert "provisioned throughput for the table was exceeded" in message


def test_an_under_provisioned_gsi_holds_back_the_table_writes(server):
    c = client(server)
    t = provisioned(c, "thr_gsi", wcu=1000, AttributeDefinitions=[
        {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "byg", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"},
                                 "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}])
    throttled = None
    for i in range(40):
        try:
            c.put_item(TableName=t, Item={"pk": S(f"k{i}"), "g": S("x")})
        except ClientError as e:
            throttled = e
            break
    assert throttled is not None and mt.error_code(throttled) == EXCEEDED
    assert "global secondary indexes" in mt.error_message(throttled)
    # The table itself has capacity to spare: the index held the write back (DynamoDB's GSI
    # back-pressure); once the index refills, writes go through again.
    time.sleep(2.5)
    c.put_item(TableName=t, Item={"pk": S("again"), "g": S("x")})


def test_describe_table_decreases_and_the_decrease_limit(server):
    c = client(server)
    t = provisioned(c, "thr_decrease", rcu=100, wcu=100)
    before = c.describe_table(TableName=t)["Table"]["ProvisionedThroughput"]
    assert before["NumberOfDecreasesToday"] == 0 and "LastDecreaseDateTime" not in before
    expect_error(lambda: c.update_table(TableName=t, ProvisionedThroughput={
        "ReadCapacityUnits": 100, "WriteCapacityUnits": 100}), "ValidationException",
        contains="The provisioned throughput for the table will not change")
    c.update_table(TableName=t, ProvisionedThroughput={"ReadCapacityUnits": 200, "WriteCapacityUnits": 200})
    pt = c.describe_table(TableName=t)["Table"]["ProvisionedThroughput"]
    assert pt["ReadCapacityUnits"] == 200 and "LastIncreaseDateTime" in pt
    for i, units in enumerate([90, 80, 70, 60]):
        c.update_table(TableName=t, ProvisionedThroughput={"ReadCapacityUnits": units, "WriteCapacityUnits": 50})
        pt = c.describe_table(TableName=t)["Table"]["ProvisionedThroughput"]
        assert pt["NumberOfDecreasesToday"] == i + 1 and "LastDecreaseDateTime" in pt
    e = expect_error(lambda: c.update_table(TableName=t, ProvisionedThroughput={
        "ReadCapacityUnits": 50, "WriteCapacityUnits": 50}), "LimitExceededException")
    assert "Number of decreases today: 4" in mt.error_message(e)
    # Increases are never limited.
    c.update_table(TableName=t, ProvisionedThroughput={"ReadCapacityUnits": 500, "WriteCapacityUnits": 500})
    assert c.describe_table(TableName=t)["Table"]["ProvisionedThroughput"]["ReadCapacityUnits"] == 500


def test_on_demand_tables_are_limited_only_by_the_configured_limit(server):
    c = client(server)
    c.create_table(TableName="thr_ondemand", BillingMode="PAY_PER_REQUEST", **mt.key_schema(("pk", "S")))
    mt.wait_active(c, "thr_ondemand")
    ok, throttled = [], []
    started = time.monotonic()

    def hammer(t):  # 200 WRU/s with 400 of burst, written as fast as 8 threads can
        for i in range(400):
            try:
                c.put_item(TableName="thr_ondemand", Item={"pk": S(f"k{t}-{i}")})
                ok.append(i)
            except ClientError as e:
                assert mt.error_code(e) == "ThrottlingException", e.response
                throttled.append(i)
    threads = [threading.Thread(target=hammer, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.monotonic() - started
    # What got through is the burst plus the rate over the run (a little slack for timing).
    assert throttled and len(ok) <= 400 + 200 * elapsed + 50, (len(ok), len(throttled), elapsed)
    assert len(ok) >= 400, len(ok)


def test_partiql_statements_are_throttled_too(server):
    c = client(server)
    t = provisioned(c, "thr_partiql", wcu=1)
    results = []
    for i in range(20):
        try:
            c.execute_statement(Statement=f"INSERT INTO \"{t}\" VALUE {{'pk': 'p{i}'}}")
            results.append("ok")
        except ClientError as e:
            results.append(mt.error_code(e))
    assert EXCEEDED in results and results[0] == "ok", results
    r = c.batch_execute_statement(Statements=[{"Statement": f"INSERT INTO \"{t}\" VALUE {{'pk': 'b'}}"}])
    assert r["Responses"][0]["Error"]["Code"] == "ProvisionedThroughputExceeded"


def test_autoscaling_raises_the_rate_under_load(server):
    c = client(server)
    t = provisioned(c, "thr_autoscale", rcu=5, wcu=5,
                    Tags=[{"Key": "meridian:autoscaling", "Value": "target=50 min=5 max=400"}])
    r = client(server, retries=10)
    deadline = time.monotonic() + 30
    wcu = 5
    i = 0
    while time.monotonic() < deadline and wcu <= 5:
        for _ in range(50):
            try:
                r.put_item(TableName=t, Item={"pk": S(f"k{i}")})
            except ClientError:
                pass
            i += 1
        wcu = c.describe_table(TableName=t)["Table"]["ProvisionedThroughput"]["WriteCapacityUnits"]
    assert wcu > 5, "auto scaling did not raise the write capacity"
    metrics = mt.http_get(f"http://127.0.0.1:{server.admin_port}/metrics")[1]
    assert 'meridian_autoscaling_adjustments_total{direction="increase"}' in metrics
    line = [l for l in metrics.splitlines()
            if l.startswith('meridian_autoscaling_adjustments_total{direction="increase"}')][0]
    assert float(line.split()[-1]) >= 1
    assert f'meridian_provisioned_write_capacity_units{{table="{t}"}}' in metrics
    # With the load gone, it comes back down to the minimum (a decrease, counted as one).
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        pt = c.describe_table(TableName=t)["Table"]["ProvisionedThroughput"]
        if pt["WriteCapacityUnits"] == 5:
            break
        time.sleep(0.5)
    assert pt["WriteCapacityUnits"] == 5 and pt["NumberOfDecreasesToday"] >= 1, pt
