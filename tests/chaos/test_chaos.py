"""Short chaos scenario on real processes (part of the default test run, ~1 min).

3 regions (nats-server supercluster with every gateway link through netproxy.py, one
meridiand each), 3 boto3 writer threads per region, and `scenario.short_program()`: WAN
delay on every link, one link cut both ways, a region cut off entirely, kill -9 of another
region's daemon during that partition and its restart, a one-way cut; then heal, every
region must converge (equal /tablez digests, equal applied vectors) within 30 s and the
checker must find every acknowledged write (counters exact within the unknown-outcome
slack, add-wins sets, LWW keys, transaction pairs never seen or left in part).

On failure the run's directory (history.jsonl, faults.jsonl, logs, /regionz) is kept and
its path printed. The long, random version: tests/chaos/run_chaos.py.
"""
from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

import pytest

from scenario import ChaosRun, short_program

CONVERGE_TIMEOUT = 30.0


@pytest.fixture
def chaos_run():
    if os.environ.get("DYNAMODB_ENDPOINT"):
        pytest.skip("chaos tests need a local cluster (DYNAMODB_ENDPOINT is set)")
    workdir = Path(tempfile.mkdtemp(prefix="meridian-chaos-"))
    run = ChaosRun(workdir, nregions=3, seed=int(os.environ.get("CHAOS_SEED", "1")),
                   threads_per_region=3, rate=8.0, converge_timeout=CONVERGE_TIMEOUT)
    # SIGTERM to pytest (CI timeouts) still tears the cluster down.
    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    old_term = signal.signal(signal.SIGTERM, on_term)
    try:
        yield run
    finally:
        signal.signal(signal.SIGTERM, old_term)
        teardown = run.close(keep=bool(run.problems or run.notes) or None)
        if run.problems or run.notes:
            print(f"\nchaos: kept {workdir}")
        assert not teardown, teardown


def test_short_chaos_scenario(chaos_run):
    run = chaos_run
    run.start()
    rec = run.cycle(short_program(), label="short")
    problems = run.finish()
    c = run.cluster
    stats = c.proxy.stats()
    ops = run.history.ops

    # The faults really happened.
    cut_links = [c.link(0, 1), c.link(1, 0)] + c.links_of(2)
    assert all(stats[l]["reset"] + stats[l]["refused"] > 0 for l in cut_links), stats
    assert not run.notes, run.notes
    assert any(f["fault"] == "kill9" for f in c.fault_log)
    # The workload ran everywhere, also during the faults, and some writes hit the crash.
    for name in c.names:
        assert sum(o["region"] == name and o["outcome"] == "ok" for o in ops) >= 50, name
    assert any(o["outcome"] != "ok" and o["region"] == c.names[1] for o in ops)
    # Transactions committed and were read back with TransactGetItems throughout.
    assert sum(o["op"] == "txn" and o["outcome"] == "ok" for o in ops) >= 20
    assert sum(o["op"] == "txnread" and o["outcome"] == "ok" for o in ops) >= 20

    assert rec["converge_s"] is not None and rec["converge_s"] <= CONVERGE_TIMEOUT, rec
    assert not problems, "\n".join(problems[:30])
