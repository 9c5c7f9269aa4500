"""The checker catches what it must (no servers: hand-made histories and states)."""
from __future__ import annotations

import copy

import checker
from netproxy import InfoRewriter
from workload import LWW_TABLE, MERGE_TABLE

NAMES = ["a", "b"]


def op(i, kind, key, outcome="ok", start=None, **kw):
    table = MERGE_TABLE if kind in ("add", "sadd", "sdel") else LWW_TABLE
    t = float(i) if start is None else start
    return dict(id=i, op=kind, table=table, key=key, region="a", thread="0-0",
                start=t, end=t + 0.01, outcome=outcome, **kw)


HISTORY = [
    op(0, "add", "ctr-0", delta=5),
    op(1, "add", "ctr-0", delta=-2),
    op(2, "add", "ctr-0", "unknown", delta=3),
    op(3, "add", "ctr-0", "failed", delta=4),
    op(4, "sadd", "set-0", elem="e1"),
    op(5, "sadd", "set-0", elem="e2"),
    op(6, "sdel", "set-0", elem="e2"),
    op(7, "sadd", "set-0", "failed", elem="e3"),
    op(8, "put", "u-0-0-1", value="v1"),
    op(9, "put", "u-0-0-1", value="v2"),
    op(10, "put", "u-0-0-1", "unknown", value="v3"),
    op(11, "put", "u-0-0-2", value="w1"),
    op(12, "del", "u-0-0-2"),
    op(13, "put", "hot-0", value="h1", start=13.0),
    op(14, "put", "hot-0", value="h2", start=20.0),
]

STATE = {
    MERGE_TABLE: {"ctr-0": {"pk": {"S": "ctr-0"}, "n": {"N": "6"}},
                  "set-0": {"pk": {"S": "set-0"}, "m": {"SS": ["e1"]}}},
    LWW_TABLE: {"u-0-0-1": {"pk": {"S": "u-0-0-1"}, "v": {"S": "v3"}},
                "hot-0": {"pk": {"S": "hot-0"}, "v": {"S": "h2"}}},
}


def run(mutate=None, mutate_b=None):
    a, b = copy.deepcopy(STATE), copy.deepcopy(STATE)
    if mutate:
        mutate(a)
        mutate(b)
    if mutate_b:
        mutate_b(b)
    return checker.check(HISTORY, [a, b], NAMES)


def test_consistent_state_passes():
    assert run() == []
    # the unknown put may also not have happened; the unknown add may not count
    assert run(lambda s: s[LWW_TABLE]["u-0-0-1"]["v"].update(S="v2")) == []
    assert run(lambda s: s[MERGE_TABLE]["ctr-0"]["n"].update(N="3")) == []


def test_counter_out_of_bounds():
    for n in ("2", "7", "10"):
        p = run(lambda s: s[MERGE_TABLE]["ctr-0"]["n"].update(N=n))
        assert any("counter ctr-0" in x for x in p), (n, p)


def test_lost_or_resurrected_or_phantom_set_element():
    assert any("lost acknowledged element e1" in x
               for x in run(lambda s: s[MERGE_TABLE]["set-0"]["m"].update(SS=["x"])))
    assert any("after its acknowledged DELETE" in x
               for x in run(lambda s: s[MERGE_TABLE]["set-0"]["m"].update(SS=["e1", "e2"])))
    assert any("whose ADD failed" in x
               for x in run(lambda s: s[MERGE_TABLE]["set-0"]["m"].update(SS=["e1", "e3"])))


def test_lww_lost_overwritten_resurrected():
    assert any("u-0-0-1" in x for x in run(lambda s: s[LWW_TABLE]["u-0-0-1"]["v"].update(S="v1")))
    assert any("u-0-0-1" in x for x in run(lambda s: s[LWW_TABLE].pop("u-0-0-1")))
    assert any("u-0-0-2" in x for x in run(
        lambda s: s[LWW_TABLE].update({"u-0-0-2": {"pk": {"S": "u-0-0-2"}, "v": {"S": "w1"}}})))
    assert any("hot key hot-0" in x for x in run(lambda s: s[LWW_TABLE]["hot-0"]["v"].update(S="h1")))
    assert any("no operation wrote" in x for x in run(
        lambda s: s[LWW_TABLE].update({"zz": {"pk": {"S": "zz"}}})))


def test_regions_differ():
    p = run(mutate_b=lambda s: s[LWW_TABLE]["u-0-0-1"]["v"].update(S="v2"))
    assert any("b differs from a" in x for x in p), p


def test_proxy_strips_gateway_urls_in_any_chunking():
    src = (b'INFO {"gateway":"b","gateway_urls":["127.0.0.1:7012"],"gateway_url":"x"}\r\n'
           b"RMSG $G foo 3\r\nabc\r\nPING\r\n")
    want = b'INFO {"gateway":"b"}\r\nRMSG $G foo 3\r\nabc\r\nPING\r\n'
    for step in range(1, 9):
        r, out = InfoRewriter(), b""
        for i in range(0, len(src), step):
            out += r.feed(src[i:i + step])
        assert out == want, step


def _record(seq, key, event, image=None):
    d = {"Keys": {"pk": {"S": key}}, "SequenceNumber": f"{seq:021d}"}
    if image is not None:
        d["NewImage"] = image
    return {"eventName": event, "dynamodb": d}


def test_streams_match_the_state_or_are_reported():
    state = {MERGE_TABLE: {}, LWW_TABLE: {"k": {"pk": {"S": "k"}, "v": {"S": "2"}}}}
    good = {MERGE_TABLE: [_record(1, "x", "INSERT", {"pk": {"S": "x"}}), _record(2, "x", "REMOVE")],
            LWW_TABLE: [_record(3, "k", "INSERT", {"pk": {"S": "k"}, "v": {"S": "1"}}),
                        _record(4, "k", "MODIFY", {"pk": {"S": "k"}, "v": {"S": "2"}})]}
    assert checker.check_streams([good], [state], ["a"]) == []
    stale = copy.deepcopy(good)
    stale[LWW_TABLE].pop()  # the last change left no record
    assert any("last image of k" in p for p in checker.check_streams([stale], [state], ["a"]))
    reordered = copy.deepcopy(good)
    reordered[LWW_TABLE].reverse()
    problems = checker.check_streams([reordered], [state], ["a"])
    assert any("not increasing" in p for p in problems)
    missing = {MERGE_TABLE: [], LWW_TABLE: []}
    assert any("no record of k" in p for p in checker.check_streams([missing], [state], ["a"]))
    resurrected = copy.deepcopy(good)
    resurrected[MERGE_TABLE].pop()
    assert any("x is gone" in p for p in checker.check_streams([resurrected], [state], ["a"]))
