"""Checks the final state of every region against the workload's history (workload.py).

Invariants (each violation is one line in the returned list):
- converged: every region holds exactly the same items in both tables;
- counters (merge, ctr-K.n): sum(ok deltas) + sum(negative unknown) <= n <=
  sum(ok deltas) + sum(positive unknown); failed deltas must not count;
- add-wins sets (merge, set-K.m): an element whose ADD was acknowledged and that no
  DELETE touched is present; an element whose DELETE was acknowledged (issued by the
  same thread after its ADD was acknowledged, so the delete observed it) is absent; an
  element whose ADD failed is absent; no element that was never added;
- own LWW keys (u-*): the value is the one of the last acknowledged put/delete of the
  key, or of an unknown-outcome operation after it (absent if that was a delete or if no
  write was acknowledged and none is unknown);
- hot LWW keys (hot-*): present if any put was acknowledged; its value comes from an
  acknowledged or unknown put, and not from one that ended more than HOT_SLACK seconds
  before another acknowledged put started (a later write cannot lose to a much older one:
  all regions share this machine's clock);
- transaction pairs (lww, tpa-K and tpb-K): both absent or both with the same value; the
  value comes from an acknowledged or unknown transaction, and not from one that ended more
  than HOT_SLACK seconds before another acknowledged one started; present if any was
  acknowledged; and no TransactGetItems during the run saw the two items differ;
- no key that no operation wrote;
- streams (check_streams): in every region the stream of each table (shards walked parents
  first) has strictly increasing sequence numbers, and per key its last record is the
  region's converged item (its NewImage; a REMOVE for an absent key), so every change the
  region applied, local or replicated, before or after a kill -9, left its record in order.
An "unknown" operation is assumed to take effect before its `end` or never (the client's
read timeout is longer than any server-side processing).
"""
from __future__ import annotations

from collections import defaultdict

import meridian_testlib as mt
from workload import LWW_TABLE, MERGE_TABLE

HOT_SLACK = 1.0


def read_table(client, table: str) -> dict[str, dict]:
    items = mt.full_scan(client, TableName=table, ConsistentRead=True)
    return {it["pk"]["S"]: mt.canon(it) for it in items}


def read_all(clients) -> list[dict[str, dict[str, dict]]]:
    return [{t: read_table(c, t) for t in (MERGE_TABLE, LWW_TABLE)} for c in clients]


def read_all_streams(clients, stream_clients) -> list[dict[str, list[dict]]]:
    return [{t: mt.stream_records(c, s, t) for t in (MERGE_TABLE, LWW_TABLE)}
            for c, s in zip(clients, stream_clients)]


def check_streams(streams: list[dict], states: list[dict], region_names: list[str]) -> list[str]:
    problems: list[str] = []
    for r, name in enumerate(region_names):
        for t in (MERGE_TABLE, LWW_TABLE):
            records = streams[r][t]
            seqs = [int(x["dynamodb"]["SequenceNumber"]) for x in records]
            if any(b <= a for a, b in zip(seqs, seqs[1:])):
                problems.append(f"{name} {t} stream: sequence numbers not increasing")
            last: dict[str, dict] = {}
            for x in records:
                last[x["dynamodb"]["Keys"]["pk"]["S"]] = x
            state = states[r][t]
            for key in sorted(set(last) | set(state)):
                x = last.get(key)
                if x is None:
                    problems.append(f"{name} {t} stream: no record of {key}")
                elif x["eventName"] == "REMOVE":
                    if key in state:
                        problems.append(f"{name} {t} stream: last record of {key} is a REMOVE "
                                        f"but it holds {state[key]}")
                elif key not in state:
                    problems.append(f"{name} {t} stream: {key} is gone but its last record "
                                    f"is {x['eventName']}")
                elif mt.canon(x["dynamodb"]["NewImage"]) != state[key]:
                    problems.append(f"{name} {t} stream: last image of {key} "
                                    f"{x['dynamodb']['NewImage']} != item {state[key]}")
    return problems


def _num(item: dict | None, attr: str):
    if not item or attr not in item:
        return 0
    from decimal import Decimal
    return Decimal(item[attr]["N"])


def check(history: list[dict], states: list[dict], region_names: list[str]) -> list[str]:
    problems: list[str] = []
    # -- identical everywhere
    for t in (MERGE_TABLE, LWW_TABLE):
        ref = states[0][t]
        for r in range(1, len(states)):
            other = states[r][t]
            if other != ref:
                diff = sorted(k for k in set(ref) | set(other) if ref.get(k) != other.get(k))
                problems.append(f"{t}: {region_names[r]} differs from {region_names[0]} on "
                                f"{len(diff)} keys, e.g. " + "; ".join(
                                    f"{k}: {ref.get(k)} vs {other.get(k)}" for k in diff[:3]))
    by_key: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for op in history:
        by_key[(op["table"], op["key"])].append(op)
    for ops in by_key.values():
        ops.sort(key=lambda o: o["start"])
    for r, state in enumerate(states):
        where = region_names[r]
        problems += [f"{where}: {p}" for p in _check_region(by_key, state)]
    return problems


def _check_pair(key, ops, lww) -> list[str]:
    out = []
    pair = key[3:]
    a, b = (lww.get(f"tp{side}-{pair}") for side in "ab")
    values = [None if x is None else x.get("v", {}).get("S") for x in (a, b)]
    for o in ops:
        if o["op"] == "txnread" and o["outcome"] == "ok" and o["seen"][0] != o["seen"][1]:
            out.append(f"pair {pair}: TransactGetItems in {o['region']} at {o['start']:.3f} "
                       f"saw half a transaction: {o['seen']}")
    txns = [o for o in ops if o["op"] == "txn"]
    acked = [o for o in txns if o["outcome"] == "ok"]
    if values[0] != values[1]:
        out.append(f"pair {pair} holds {values[0]!r} and {values[1]!r}: half a transaction")
        return out
    if values[0] is None:
        if acked:
            out.append(f"pair {pair} missing after {len(acked)} acknowledged transactions")
        return out
    src = [o for o in txns if o["value"] == values[0]]
    if not src or src[0]["outcome"] == "failed":
        out.append(f"pair {pair} = {values[0]!r}, not from an acknowledged or unknown transaction")
        return out
    later = [o for o in acked if o["start"] > src[0]["end"] + HOT_SLACK]
    if later:
        out.append(f"pair {pair} = {values[0]!r} but {len(later)} acknowledged transactions "
                   f"started >{HOT_SLACK}s after it ended (lost?), e.g. {later[-1]['value']!r}")
    return out


def _check_region(by_key, state) -> list[str]:
    out: list[str] = []
    merge, lww = state[MERGE_TABLE], state[LWW_TABLE]
    written = {k for (t, k) in by_key}
    written |= {f"tp{side}-{k[3:]}" for (t, k) in by_key if k.startswith("tp-") for side in "ab"}
    for key in sorted(set(merge) | set(lww)):
        if key not in written:
            out.append(f"key {key} exists but no operation wrote it")
    for (table, key), ops in sorted(by_key.items()):
        if table == MERGE_TABLE and key.startswith("ctr-"):
            ok = sum(o["delta"] for o in ops if o["outcome"] == "ok")
            lo = ok + sum(min(0, o["delta"]) for o in ops if o["outcome"] == "unknown")
            hi = ok + sum(max(0, o["delta"]) for o in ops if o["outcome"] == "unknown")
            got = _num(merge.get(key), "n")
            if not lo <= got <= hi:
                out.append(f"counter {key} = {got}, want {lo}..{hi} (sum of acknowledged "
                           f"deltas {ok}; {sum(o['outcome'] == 'unknown' for o in ops)} unknown)")
        elif table == MERGE_TABLE and key.startswith("set-"):
            item = merge.get(key) or {}
            members = set(item.get("m", {}).get("SS", []))
            adds = {o["elem"]: o for o in ops if o["op"] == "sadd"}
            dels = defaultdict(list)
            for o in ops:
                if o["op"] == "sdel":
                    dels[o["elem"]].append(o)
            for e in sorted(members - set(adds)):
                out.append(f"set {key} holds {e}, which was never added")
            for e, a in adds.items():
                d = dels.get(e, [])
                deleted_ok = any(x["outcome"] == "ok" for x in d)
                delete_tried = any(x["outcome"] in ("ok", "unknown") for x in d)
                if a["outcome"] == "ok" and not delete_tried and e not in members:
                    out.append(f"set {key} lost acknowledged element {e} (added in "
                               f"{a['region']} at {a['end']:.3f})")
                if deleted_ok and e in members:
                    out.append(f"set {key} still holds {e} after its acknowledged DELETE "
                               f"(in {[x['region'] for x in d if x['outcome'] == 'ok']})")
                if a["outcome"] == "failed" and e in members:
                    out.append(f"set {key} holds {e} whose ADD failed: {a.get('error')}")
        elif table == LWW_TABLE and key.startswith("tp-"):
            out += _check_pair(key, ops, lww)
        elif table == LWW_TABLE and key.startswith("hot-"):
            item = lww.get(key)
            puts = [o for o in ops if o["op"] == "put"]
            acked = [o for o in puts if o["outcome"] == "ok"]
            if item is None:
                if acked:
                    out.append(f"hot key {key} missing after {len(acked)} acknowledged puts")
                continue
            v = item.get("v", {}).get("S")
            src = [o for o in puts if o["value"] == v]
            if not src or src[0]["outcome"] == "failed":
                out.append(f"hot key {key} = {v!r}, not from an acknowledged or unknown put")
                continue
            w = src[0]
            later = [o for o in acked if o["start"] > w["end"] + HOT_SLACK]
            if later:
                out.append(f"hot key {key} = {v!r} (put in {w['region']}, ended "
                           f"{w['end']:.3f}) but {len(later)} acknowledged puts started "
                           f">{HOT_SLACK}s later, e.g. {later[-1]['value']!r} in "
                           f"{later[-1]['region']} at {later[-1]['start']:.3f}")
        elif table == LWW_TABLE:
            item = lww.get(key)
            got = None if item is None else item.get("v", {}).get("S")
            last_ok = None
            for i, o in enumerate(ops):
                if o["outcome"] == "ok":
                    last_ok = i
            start = 0 if last_ok is None else last_ok
            allowed = set()
            if last_ok is None:
                allowed.add(None)
            for o in ops[start:]:
                if o["outcome"] in ("ok", "unknown"):
                    allowed.add(o.get("value") if o["op"] == "put" else None)
            if got not in allowed:
                hist = ", ".join(f"{o['op']} {o.get('value', '')} {o['outcome']}" for o in ops)
                out.append(f"lww key {key} = {got!r}, want one of {sorted(allowed, key=str)} "
                           f"(history: {hist})")
    return out
