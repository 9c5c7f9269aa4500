"""The daemon's allocator puts its memory on transparent huge pages (malloc_conf in
daemon/main.cc: the item cache, memtables and items are touched at random, and TLB misses
were a large part of a request's cost), and MALLOC_CONF in the environment still overrides it."""
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


def fill(dynamodb, table: str, items: int) -> None:
    blob = "x" * 2000
    for start in range(0, items, 25):
        dynamodb.batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": {"pk": {"S": f"k{i}"}, "v": {"S": blob}}}}
            for i in range(start, min(items, start + 25))]})


def test_allocator_uses_huge_pages(meridian_server, dynamodb, tables):
    assert logged_thp_mode(meridian_server) == "always"
    if not kernel_allows_thp():
        return  # the mode is set, but this kernel gives no process huge pages
    fill(dynamodb, tables.create(), 4000)  # ~8 MB of items, cached and in the memtable
    assert huge_kib(meridian_server.proc.pid) > 0


def test_malloc_conf_in_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("MALLOC_CONF", "thp:never")
    server = mt.MeridianServer(tmp_path / "data", tmp_path / "meridiand.log").start()
    try:
        assert logged_thp_mode(server) == "never"
        assert huge_kib(server.proc.pid) == 0
    finally:
        server.stop()
