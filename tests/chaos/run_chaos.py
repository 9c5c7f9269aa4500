#!/usr/bin/python3
"""Long chaos run: many cycles of random faults under load, one command.

    /usr/bin/python3 tests/chaos/run_chaos.py --cycles 50 --seed 7

Starts a local cluster (deploy/local/cluster, gateway links through netproxy.py) and a
boto3 workload (--threads writer threads per region, --rate ops/s each), then per cycle:
draws a fault program from the seed (scenario.random_program: cuts, one-way cuts,
blackholes, isolated regions, kill -9 with or without restart, WAN delay), applies it
under load, heals every link and restarts every dead daemon, pauses the writers and
measures heal-to-convergence (NATS gateways back, equal applied vectors, equal /tablez
digests of both tables), then checks the whole history against every region's state
(checker.py). Prints one line per cycle and a summary: cycles, heal-to-convergence
p50/p99/max, operations, and every problem the checker caught.

The fault schedule is a function of --seed (printed per cycle, replayable with --only
CYCLE to run just that cycle's program); the workload's timing is not deterministic.
The run's directory is deleted unless something failed or --keep; it then holds
history.jsonl, faults.jsonl, cycles.jsonl and the regions' logs. Exit status 1 if the
checker caught anything.
"""
from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from scenario import ChaosRun, random_program, short_program  # noqa: E402


def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, max(0, round(p / 100.0 * (len(xs) - 1))))
    return xs[k]


def fmt_program(prog) -> str:
    return " ".join(f"{s[0]:g}:{s[1]}" + ("(" + ",".join(str(a) for a in s[2:]) + ")" if len(s) > 2 else "")
                    for s in prog)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--cycles", type=int, default=10)
    ap.add_argument("--seed", type=int, default=None, help="default: random (printed)")
    ap.add_argument("--regions", type=int, default=3)
    ap.add_argument("--threads", type=int, default=3, help="writer threads per region")
    ap.add_argument("--rate", type=float, default=8.0, help="ops/s per writer thread")
    ap.add_argument("--converge-timeout", type=float, default=30.0)
    ap.add_argument("--only", type=int, default=None, help="run only this cycle's program")
    ap.add_argument("--short", action="store_true", help="run the default test's scenario once")
    ap.add_argument("--isolate-seconds", type=float, default=None,
                    help="instead of random programs: each cycle cuts one region (in turn) off "
                         "from all others for this long while every region writes, then heals")
    ap.add_argument("--dir", default=None, help="run directory (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the run directory")
    ap.add_argument("--stop-on-failure", action="store_true")
    args = ap.parse_args()

    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    workdir = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="meridian-chaos-"))
    print(f"chaos: seed {seed}, {args.regions} regions, {args.threads} threads/region at "
          f"{args.rate:g} ops/s, dir {workdir}", flush=True)

    rng = random.Random(seed)
    programs = [random_program(rng, args.regions) for _ in range(args.cycles)]
    if args.only is not None:
        programs = [programs[args.only - 1]]
    if args.short:
        programs = [short_program()]
    if args.isolate_seconds is not None:
        programs = [[(0.0, "isolate", c % args.regions), (args.isolate_seconds, "heal_links")]
                    for c in range(args.cycles)]

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_term)

    run = ChaosRun(workdir, nregions=args.regions, seed=seed, threads_per_region=args.threads,
                   rate=args.rate, converge_timeout=args.converge_timeout,
                   log=lambda m: print(m, flush=True))
    t_start = time.monotonic()
    interrupted = False
    try:
        run.start()
        for idx, prog in enumerate(programs, 1):
            n = args.only or idx
            rec = run.cycle(prog, label=f"seed {seed} cycle {n}")
            conv = "NONE" if rec["converge_s"] is None else f"{rec['converge_s']:.2f}s"
            print(f"cycle {n:3d}  heal->converged {conv:>7}  ops {rec['ops']} "
                  f"(unknown {rec['unknown']})  problems {len(rec['problems'])}  "
                  f"faults: {fmt_program(prog)}", flush=True)
            for p in rec["problems"][:10]:
                print(f"    ! {p}", flush=True)
            if rec["problems"] and args.stop_on_failure:
                break
        run.finish()
    except KeyboardInterrupt:
        interrupted = True
        print("chaos: interrupted", flush=True)
    finally:
        run.close(keep=args.keep or bool(run.problems) or interrupted or None)

    conv = [r["converge_s"] for r in run.cycles if r["converge_s"] is not None]
    ops = run.history.ops
    print("\n== chaos summary")
    print(f"seed {seed}; cycles run {len(run.cycles)}; wall {time.monotonic() - t_start:.0f}s")
    if conv:
        print(f"heal-to-convergence: p50 {percentile(conv, 50):.2f}s  p99 {percentile(conv, 99):.2f}s"
              f"  max {max(conv):.2f}s  (n={len(conv)}; not converged: "
              f"{len(run.cycles) - len(conv)})")
    print(f"operations: {len(ops)} total, {sum(o['outcome'] == 'ok' for o in ops)} ok, "
          f"{sum(o['outcome'] == 'failed' for o in ops)} failed, "
          f"{sum(o['outcome'] == 'unknown' for o in ops)} unknown")
    if run.notes:
        print("faults without the expected effect:")
        for n in run.notes:
            print(f"  - {n}")
    if run.problems:
        print(f"checker caught {len(run.problems)} problem(s):")
        for p in run.problems[:50]:
            print(f"  - {p}")
        print(f"run directory kept: {workdir}")
    else:
        print("checker: nothing caught")
    summary = {"seed": seed, "cycles": len(run.cycles), "converge_s": conv,
               "problems": run.problems, "ops": len(ops)}
    print("summary-json " + json.dumps(summary))
    return 1 if run.problems or interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
