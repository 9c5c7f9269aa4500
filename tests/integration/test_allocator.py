"""jemalloc's transparent-huge-page mode (docs/operations.md): off by default, because huge page
faults slowed catch-up and raised the replication lag p99; MALLOC_CONF=thp:always turns it on
for a region that serves a steady working set from memory. The startup line reports the mode."""
from __future__ import annotations

import re
import time
from pathlib import Path

import meridian_testlib as mt


def logged_thp_mode(server: mt.MeridianServer) -> str:
    deadline = time.monotonic() + 10
    while True:
        found = re.findall(r"allocator_thp=(\w+)", server.log_path.read_text(errors="replace"))
        if found:
            return found[-1]
        assert time.monotonic() < deadline, "no 'meridiand started' line with allocator_thp"
        time.sleep(0.05)


def huge_kib(pid: int) -> int:
    text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    return int(re.search(r"^AnonHugePages:\s+(\d+) kB", text, re.M).group(1))


def kernel_allows_thp() -> bool:
    path = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    return path.exists() and "[never]" not in path.read_text()


def fill(server: mt.MeridianServer, items: int) -> None:
    client = mt.make_client(server.endpoint)
    client.create_table(TableName="huge-pages", BillingMode="PAY_PER_REQUEST",
                        **mt.key_schema(("pk", "S")))
    blob = "x" * 2000
    for start in range(0, items, 25):
        client.batch_write_item(RequestItems={"huge-pages": [
            {"PutRequest": {"Item": {"pk": {"S": f"k{i}"}, "v": {"S": blob}}}}
            for i in range(start, min(items, start + 25))]})


def test_small_pages_by_default(meridian_server):
    assert logged_thp_mode(meridian_server) == "default"


def test_malloc_conf_turns_huge_pages_on(tmp_path, monkeypatch):
    monkeypatch.setenv("MALLOC_CONF", "thp:always")
    server = mt.MeridianServer(tmp_path / "data", tmp_path / "meridiand.log").start()
    try:
        assert logged_thp_mode(server) == "always"
        if kernel_allows_thp():
            fill(server, 4000)  # ~8 MB of items, cached and in the memtable
            assert huge_kib(server.proc.pid) > 0
    finally:
        server.stop()
