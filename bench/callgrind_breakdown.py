#!/usr/bin/env python3
"""Cost per request of meridiand's request path, by stage, from a callgrind profile.

    bench/callgrind_breakdown.py [--label NAME] REQUESTS PROFILE...

PROFILE: the callgrind output files (one per thread, --separate-threads=yes) covering
exactly the requests of one workload (see bench/request_profile.sh); REQUESTS how many
completed in them. The thread that ran the HTTP handlers is the request path; the other
threads' instructions are reported as background work. Prints instructions (Ir) per
request for each stage of the path, taken as the inclusive cost of the functions that do it
(a stage's functions never call another stage's, except where noted), and what is left.
Instruction counts do not depend on the machine's load: the same binary and workload give
the same figures run after run, which wall-clock profiles on this VM do not.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys

# (stage, regex over callgrind_annotate's "file:function" column). Inclusive costs: the
# first match per function name counts once. Order matters only for the printout.
STAGES = [
    ("http parse", [r"basic_parser<true>::put\(boost::asio::const_buffer", r"meridian::daemon::ParseCommonRequest\("]),
    ("json parse", [r"boost::json::parse\(", r"simdjson::.*::parse", r"meridian::api::json::Parse"]),
    ("api: request checks, expressions", [r"meridian::api::RequestExpressions::RequestExpressions",
                                          r"meridian::model::expr::Parse(Condition|Update|Projection)\(",
                                          r"meridian::api::CheckRequestShape",
                                          r"meridian::api::(DecodeItem|DecodeAttributeValue)\("]),
    ("store: read", [r"meridian::store::Store::GetItem(\[abi:cxx11\])?\(", r"meridian::store::Store::ReadItem\("]),
    ("store: write (incl. conflict metadata, commit)", [r"meridian::store::Store::WriteItem(\[abi:cxx11\])?\("]),
    ("   of which conflict metadata", [r"meridian::conflict::(LocalWrite|ApplyLocalWrite|MakeLocalVersion)",
                                      r"meridian::conflict::Encode(ItemVersion|Change)"]),
    ("   of which update expression", [r"meridian::model::expr::ApplyUpdate\("]),
    ("store: group commit (WAL write)", [r"meridian::store::Store::CommitPending\("]),
    ("json write", [r"meridian::api::EncodeItem\(", r"boost::json::serialize", r"meridian::api::JsonWriter::Item\("]),
    ("reply headers, crc32, compression", [r"dynamodb_http\.cc:meridian::daemon::\(anonymous namespace\)::Decorate"]),
    ("http reply", [r"meridian::daemon::\(anonymous namespace\)::AppendResponse"]),
    ("metrics", [r"meridian::daemon::Metrics::ObserveRequest"]),
]
TOTAL = re.compile(r"^\s*([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS")
LINE = re.compile(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$")


def inclusive_costs(profile: str) -> tuple[int, list[tuple[int, str]]]:
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", "--auto=no", profile],
                         capture_output=True, text=True, check=True).stdout
    total, rows = 0, []
    for line in out.splitlines():
        if m := TOTAL.match(line):
            total = int(m.group(1).replace(",", ""))
        elif m := LINE.match(line):
            rows.append((int(m.group(1).replace(",", "")), m.group(2)))
    return total, rows


def function_name(location: str) -> str:
    # "file:function [binary]": callgrind lists one function under several files (inlined
    # parts); keep the largest, which is the whole function.
    name = location.split(":", 1)[1] if ":" in location else location
    return re.sub(r"\s*\[[^\]]*\]\s*$", "", name)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", default="")
    ap.add_argument("requests", type=int)
    ap.add_argument("profiles", nargs="+")
    args = ap.parse_args()
    threads = [inclusive_costs(p) for p in args.profiles]
    # The request path: the thread whose profile holds the HTTP sessions' reads.
    path = max(threads, key=lambda t: sum(c for c, loc in t[1] if "Session<" in loc))
    background = sum(t[0] for t in threads if t is not path)
    total, rows = path
    best: dict[str, tuple[int, str]] = {}
    for cost, location in rows:
        name = function_name(location)
        if name not in best or cost > best[name][0]:
            best[name] = (cost, location)
    n = args.requests
    print(f"{args.label}: {total / n:,.0f} instructions per request on the API thread "
          f"({n} requests; background threads: {background / n:,.0f} per request)")
    accounted = 0
    for stage, patterns in STAGES:
        cost = sum(c for name, (c, loc) in best.items()
                   if any(re.search(p, loc) for p in patterns))
        if not stage.startswith("   "):
            accounted += cost
        print(f"  {stage:<48} {cost / n:>9,.0f}  {100 * cost / total:5.1f} %")
    rest = total - accounted
    print(f"  {'other (event loop, handler glue, allocation)':<48} {rest / n:>9,.0f}  "
          f"{100 * rest / total:5.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
