"""Chaos runs: a ChaosCluster, the workload, fault schedules and the checker put together.

    run = ChaosRun(workdir, nregions=3, seed=7)
    run.start()                         # cluster up, tables, workload running
    run.cycle(program)                  # faults under load, heal, converge, check
    run.finish()                        # stop the workload, final check, cluster down

A fault program is a list of (offset_s, action, args...) steps, applied in offset order
during one cycle; `random_program(rng, nregions)` draws one. Everything a run did is in
`workdir`: history.jsonl (every operation), faults.jsonl (every fault with its time),
cycles.jsonl (per cycle: program, heal-to-convergence, problems), and on failure the
regions' logs and /regionz + /tablez (`keep_artifacts`).
"""
from __future__ import annotations

import json
import random
import shutil
import time
from pathlib import Path

from chaos_cluster import ChaosCluster
import checker
import meridian_testlib as mt
from workload import LWW_TABLE, MERGE_TABLE, History, Workload, create_tables


class ChaosRun:
    def __init__(self, workdir: Path, nregions: int = 3, seed: int = 0,
                 threads_per_region: int = 3, rate: float = 8.0,
                 converge_timeout: float = 30.0, log=print):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.seed = seed
        self.converge_timeout = converge_timeout
        self.log = log
        self.cluster = ChaosCluster(self.workdir / "cluster", nregions=nregions, seed=seed)
        self.history = History(self.workdir / "history.jsonl")
        self.tpr, self.rate = threads_per_region, rate
        self.workload: Workload | None = None
        self.cycles: list[dict] = []
        self.problems: list[str] = []
        self.notes: list[str] = []  # fault steps that did not show the expected effect
        self._faults_written = 0

    # -- lifecycle
    def start(self) -> None:
        c = self.cluster
        c.up()
        c.wait_peers(timeout=30)
        create_tables(c.clients[0], c.clients)
        self.workload = Workload(c.names, c.api_urls, self.history, self.tpr, self.rate,
                                 seed=self.seed)
        self.workload.start()

    def finish(self, final_check: bool = True) -> list[str]:
        """Stops the workload, runs a last full check, stops the cluster. Returns the
        problems of the whole run (also teardown problems)."""
        if self.workload is not None:
            self.workload.stop()
            if self.workload.errors:
                self.problems += [f"workload error: {e}" for e in self.workload.errors[:10]]
        if final_check and self.workload is not None:
            try:
                self._heal_everything()
                self._converge(time.monotonic())
                self.problems += self.check()
            except AssertionError as e:
                self.problems.append(f"final convergence: {e}")
        return self.problems

    def close(self, keep: bool | None = None) -> list[str]:
        """Cluster down (always). Keeps the workdir with logs if `keep` or if anything
        failed; otherwise deletes it."""
        keep = bool(self.problems) if keep is None else keep
        if keep:
            self.keep_artifacts()
        teardown = self.cluster.down()
        self.history.close()
        self._flush_faults()
        if teardown:
            self.problems += [f"teardown: {p}" for p in teardown]
        if not keep and not teardown:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return teardown

    def keep_artifacts(self) -> None:
        c = self.cluster
        art = self.workdir / "artifacts"
        art.mkdir(exist_ok=True)
        try:
            c.dump_state(art / "state.json")
        except Exception as e:  # noqa: BLE001 - diagnostics only
            (art / "state.json").write_text(f"<{e}>")
        for i, name in enumerate(c.names):
            for src, dst in ((c.log_path(i), f"{name}.meridiand.log"),
                             (c.dir / "nats" / f"{name}.log", f"{name}.nats.log")):
                try:
                    shutil.copy(src, art / dst)
                except OSError:
                    pass

    # -- one cycle
    def cycle(self, program: list[tuple], label: str = "") -> dict:
        """Applies the program under load, heals, measures heal-to-convergence, checks."""
        c = self.cluster
        n = len(self.cycles) + 1
        t0 = time.monotonic()
        self.workload.resume()
        killed: set[int] = set()
        for step in sorted(program, key=lambda s: s[0]):
            offset, action, *args = step
            wait = t0 + offset - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._apply(action, args, killed)
        heal_at = time.monotonic()
        self._heal_everything()
        self.workload.pause()
        rec = {"cycle": n, "label": label, "program": [list(s) for s in program]}
        try:
            rec["converge_s"] = round(self._converge(heal_at), 3)
        except AssertionError as e:
            rec["converge_s"] = None
            rec["problems"] = [f"no convergence within {self.converge_timeout}s after heal: "
                               f"{str(e)[:2000]}"]
        else:
            rec["problems"] = self.check()
        ops = self.history.ops
        rec["ops"] = len(ops)
        rec["ok"] = sum(o["outcome"] == "ok" for o in ops)
        rec["unknown"] = sum(o["outcome"] == "unknown" for o in ops)
        self.problems += [f"cycle {n}: {p}" for p in rec["problems"]]
        self.cycles.append(rec)
        with open(self.workdir / "cycles.jsonl", "a") as f:
            f.write(json.dumps(rec) + "\n")
        self._flush_faults()
        return rec

    def _apply(self, action: str, args: list, killed: set[int]) -> None:
        c = self.cluster
        if action == "cut":
            c.cut(args[0], args[1], both=True)
        elif action == "cut1":
            c.cut(args[0], args[1], both=False)
        elif action == "blackhole":
            c.blackhole(args[0], args[1], both=True)
        elif action == "isolate":
            c.isolate(args[0])
        elif action == "delay":
            links = c.all_links() if args[0] == "all" else [c.link(i, j) for i, j in args[0]]
            c.delay(links, args[1], args[2])
        elif action == "heal_links":
            c.heal()
        elif action == "expect_partitioned":
            # The fault must be visible: region k sees no peer (heartbeats stop arriving).
            k = args[0]
            others = [j for j in range(c.nregions) if j != k]
            if not all(c.wait_peer_state(k, j, False, timeout=5.0) for j in others):
                self.notes.append(f"{c.names[k]} still saw peers 5 s after being cut off: "
                                  f"{c.peer_view()}")
        elif action == "kill":
            if c.meridiand_pid(args[0]) is not None:
                c.kill9(args[0])
                killed.add(args[0])
        elif action == "restart":
            if args[0] in killed:
                c.restart(args[0], wait_peers=False)
                killed.discard(args[0])
        else:
            raise ValueError(f"unknown fault action {action!r}")

    def _heal_everything(self) -> None:
        c = self.cluster
        c.heal()
        for i in c.dead_regions():
            c.restart(i, wait_peers=False)

    def _converge(self, since: float) -> float:
        c = self.cluster
        deadline = since + self.converge_timeout
        c.wait_gateways(timeout=max(1.0, deadline - time.monotonic()))
        c.wait_converged(MERGE_TABLE, timeout=max(1.0, deadline - time.monotonic()))
        c.wait_converged(LWW_TABLE, timeout=max(1.0, deadline - time.monotonic()))
        return time.monotonic() - since

    def check(self) -> list[str]:
        states = checker.read_all(self.cluster.clients)
        problems = checker.check(self.history.ops, states, self.cluster.names)
        stream_clients = [mt.make_streams_client(u) for u in self.cluster.api_urls]
        streams = checker.read_all_streams(self.cluster.clients, stream_clients)
        return problems + checker.check_streams(streams, states, self.cluster.names)

    def _flush_faults(self) -> None:
        log = self.cluster.fault_log
        with open(self.workdir / "faults.jsonl", "a") as f:
            for rec in log[self._faults_written:]:
                f.write(json.dumps(rec) + "\n")
        self._faults_written = len(log)


def random_program(rng: random.Random, nregions: int, length: float | None = None) -> list[tuple]:
    """One cycle's faults: 1-3 of cut / one-way cut / blackhole / isolate / kill -9 (with or
    without a restart before the heal), plus WAN delay on some links, within `length` s."""
    length = length if length is not None else rng.uniform(6.0, 12.0)
    prog: list[tuple] = []
    if rng.random() < 0.6:
        pairs = [(i, j) for i in range(nregions) for j in range(nregions) if i != j]
        chosen = rng.sample(pairs, rng.randint(1, len(pairs)))
        lo = rng.choice([5, 10, 20, 40])
        prog.append((0.0, "delay", chosen if rng.random() < 0.5 else "all", lo, lo + rng.choice([10, 30, 60])))
    for _ in range(rng.randint(1, 3)):
        at = round(rng.uniform(0.5, length * 0.7), 2)
        kind = rng.choices(["cut", "cut1", "blackhole", "isolate", "kill"], [3, 2, 1, 3, 3])[0]
        i, j = rng.sample(range(nregions), 2)
        if kind == "kill":
            prog.append((at, "kill", i))
            if rng.random() < 0.7:
                prog.append((round(min(length, at + rng.uniform(1.0, 4.0)), 2), "restart", i))
        elif kind == "isolate":
            prog.append((at, "isolate", i))
        else:
            prog.append((at, kind, i, j))
    prog.append((round(length, 2), "heal_links"))
    return sorted(prog, key=lambda s: s[0])


def short_program() -> list[tuple]:
    """The default test run's scenario (3 regions, ~25 s of faults under load)."""
    return [
        (0.0, "delay", "all", 20, 80),       # WAN latency everywhere
        (3.0, "cut", 0, 1),                  # one link cut both ways
        (9.0, "heal_links"),
        (9.0, "delay", "all", 20, 80),
        (10.0, "isolate", 2),                # a region cut off entirely
        (10.1, "expect_partitioned", 2),
        (12.0, "kill", 1),                   # kill -9 while the partition lasts
        (14.0, "restart", 1),
        (16.0, "cut1", 0, 1),                # and a one-way cut on top
        (21.0, "heal_links"),
    ]
