"""PartiQL in a 3-region cluster: statements write through the same replicated paths as the
item operations, so an INSERT / UPDATE / DELETE / ExecuteTransaction in one region is what
every region reads, and concurrent set_add statements on a `merge` table lose no element."""
from __future__ import annotations

import threading
import time

import meridian_testlib as mt
from cluster_fixture import NREGIONS, cluster  # noqa: F401  (pytest fixture)
from test_replication import REPLICATE_TIMEOUT, CONVERGE_TIMEOUT, _all_regions_up  # noqa: F401
from test_replication import create_global_table

S, N = mt.S, mt.N


def select(client, table, pk):
    return client.execute_statement(Statement=f'SELECT * FROM "{table}" WHERE pk = ?',
                                    Parameters=[S(pk)], ConsistentRead=True)["Items"]


def wait_until(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_statements_replicate_to_every_region(cluster):  # noqa: F811
    t = create_global_table(cluster, "pql_global")
    c = cluster.clients
    c[0].execute_statement(Statement=f"INSERT INTO \"{t}\" VALUE {{'pk': 'a', 'n': 1, 'tags': <<'x'>>}}")
    for i in range(NREGIONS):
        wait_until(lambda i=i: select(c[i], t, "a"), REPLICATE_TIMEOUT, f"INSERT in region {i}")
    # The INSERT's key now exists everywhere: a second INSERT elsewhere is a duplicate.
    try:
        c[2].execute_statement(Statement=f"INSERT INTO \"{t}\" VALUE {{'pk': 'a', 'n': 9}}")
        raise AssertionError("duplicate INSERT accepted")
    except c[2].exceptions.DuplicateItemException:
        pass
    c[1].execute_statement(Statement=f"UPDATE \"{t}\" SET n = n + 1 WHERE pk = 'a'")
    for i in range(NREGIONS):
        wait_until(lambda i=i: select(c[i], t, "a")[0]["n"] == N(2), REPLICATE_TIMEOUT, f"UPDATE in {i}")
    c[1].execute_transaction(TransactStatements=[
        {"Statement": f"UPDATE \"{t}\" SET n = n + 10 WHERE pk = 'a' AND n = 2"},
        {"Statement": f"INSERT INTO \"{t}\" VALUE {{'pk': 'b', 'n': 0}}"},
    ])
    for i in range(NREGIONS):
        wait_until(lambda i=i: select(c[i], t, "a")[0]["n"] == N(12) and select(c[i], t, "b"),
                   REPLICATE_TIMEOUT, f"transaction in {i}")
    c[2].execute_statement(Statement=f"DELETE FROM \"{t}\" WHERE pk = 'b'")
    for i in range(NREGIONS):
        wait_until(lambda i=i: not select(c[i], t, "b"), REPLICATE_TIMEOUT, f"DELETE in {i}")
    wait_until(lambda: len(set(cluster.digests(t))) == 1, CONVERGE_TIMEOUT, "equal digests")


def test_concurrent_set_add_statements_lose_nothing(cluster):  # noqa: F811
    t = create_global_table(cluster, "pql_merge", policy="merge")
    c = cluster.clients
    c[0].execute_statement(Statement=f"INSERT INTO \"{t}\" VALUE {{'pk': 's', 'tags': <<'seed'>>}}")
    for i in range(NREGIONS):
        wait_until(lambda i=i: select(c[i], t, "s"), REPLICATE_TIMEOUT, f"seed in {i}")
    per_region = 30

    def writer(i):
        client = mt.make_client(cluster.api_urls[i])
        for k in range(per_region):
            client.execute_statement(
                Statement=f"UPDATE \"{t}\" SET tags = set_add(tags, ?) WHERE pk = 's'",
                Parameters=[{"SS": [f"r{i}-{k}"]}])

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(NREGIONS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    want = {"seed"} | {f"r{i}-{k}" for i in range(NREGIONS) for k in range(per_region)}
    for i in range(NREGIONS):
        wait_until(lambda i=i: set(select(c[i], t, "s")[0]["tags"]["SS"]) == want, CONVERGE_TIMEOUT,
                   f"every element in region {i}")
