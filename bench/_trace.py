"""What the page's long tasks are: a Chromium trace of the run, summarised.

``trace_start(browser)`` / ``trace_stop(browser)`` record a trace (Playwright's
``Browser.start_tracing``: CDP Tracing) with the DevTools timeline categories,
forced-layout stacks and V8's sampling profiler. ``summarise(trace, over_ms)``
finds the renderer main thread's tasks longer than ``over_ms`` and splits each
by self time into categories (script, style, layout, paint, composite, gc,
other), names the heaviest trace events, the JS functions the profiler sampled
inside them, the roots of their layouts and the elements their style
recalculations touched. ``describe_nodes`` turns backend DOM node ids into
``div.iws-chart``-like names through CDP.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from typing import Any

__all__ = [
    "CATEGORIES",
    "describe_nodes",
    "print_summary",
    "summarise",
    "trace_start",
    "trace_stop",
]

CATEGORIES = [
    "toplevel",
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "disabled-by-default-devtools.timeline.frame",
    "disabled-by-default-devtools.timeline.stack",
    "disabled-by-default-v8.cpu_profiler",
    "v8",
    "v8.execute",
    "blink.user_timing",
    "disabled-by-default-v8.gc",
]

TASK_NAMES = {"RunTask", "ThreadControllerImpl::RunTask"}

_GROUPS = [
    ("gc", ("MinorGC", "MajorGC", "V8.GC", "BlinkGC", "ThreadState::", "GCEvent", "V8.Scavenger")),
    ("style", ("UpdateLayoutTree", "RecalculateStyles", "ParseAuthorStyleSheet", "StyleRecalc")),
    ("layout", ("Layout", "UpdateLayout", "IntersectionObserverController", "ResizeObserver")),
    ("paint", ("PrePaint", "Paint", "Decode", "RasterTask", "ImageDecode")),
    ("composite", ("Layerize", "Commit", "UpdateLayer", "CompositeLayers", "BeginMainFrame")),
    (
        "script",
        (
            "FunctionCall",
            "EvaluateScript",
            "v8.",
            "V8.",
            "TimerFire",
            "FireAnimationFrame",
            "EventDispatch",
            "RunMicrotasks",
            "FireIdleCallback",
            "XHRReadyStateChange",
            "CompileCode",
            "CompileScript",
        ),
    ),
]


def group(name: str) -> str:
    for label, prefixes in _GROUPS:
        if name.startswith(prefixes):
            return label
    return "other"


def trace_start(browser: Any) -> None:
    """Begin recording a Chromium trace (one at a time per browser)."""
    browser.start_tracing(categories=CATEGORIES)


def trace_stop(browser: Any, path: str = "") -> dict[str, Any]:
    """Stop recording; the trace as parsed JSON (also saved to ``path`` if given)."""
    data = browser.stop_tracing()
    if path:
        with open(path, "wb") as f:
            f.write(data)
    trace = json.loads(data)
    return trace if isinstance(trace, dict) else {"traceEvents": trace}


def _main_thread(events: list[dict[str, Any]]) -> tuple[int, int] | None:
    """(pid, tid) of the busiest CrRendererMain thread."""
    mains = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("ph") == "M"
        and e.get("name") == "thread_name"
        and e.get("args", {}).get("name") == "CrRendererMain"
    }
    busy: dict[tuple[int, int], float] = defaultdict(float)
    for e in events:
        key = (e.get("pid"), e.get("tid"))
        if key in mains and e.get("ph") == "X" and e.get("name") in TASK_NAMES:
            busy[key] += e.get("dur", 0)  # type: ignore[index]
    return max(busy, key=busy.__getitem__) if busy else None  # type: ignore[arg-type]


def _samples(events: list[dict[str, Any]], pid: int, tid: int) -> list[tuple[float, str]]:
    """(timestamp µs, "function file:line") of every V8 CPU-profile sample on the thread."""
    nodes: dict[tuple[str, int], str] = {}
    parents: dict[tuple[str, int], int] = {}
    starts: dict[str, float] = {}
    clocks: dict[str, float] = {}
    out: list[tuple[float, str]] = []
    for e in events:
        if e.get("pid") != pid or e.get("name") not in ("Profile", "ProfileChunk"):
            continue
        pid_key = str(e.get("id"))
        data = e.get("args", {}).get("data", {})
        if e["name"] == "Profile":
            starts[pid_key] = float(data.get("startTime", e.get("ts", 0)))
            continue
        if e.get("tid") != tid and pid_key not in starts:
            continue
        profile = data.get("cpuProfile", {})
        for node in profile.get("nodes", []):
            frame = node.get("callFrame", {})
            url = str(frame.get("url", "")).rsplit("/", 1)[-1][:40]
            fn = frame.get("functionName") or "(anonymous)"
            nodes[(pid_key, node["id"])] = f"{fn} {url}:{frame.get('lineNumber', -1) + 1}"
            if "parent" in node:
                parents[(pid_key, node["id"])] = node["parent"]
        clock = clocks.get(pid_key, starts.get(pid_key, 0.0))
        deltas = data.get("timeDeltas", [])
        for sample, delta in zip(profile.get("samples", []), deltas, strict=False):
            clock += delta
            out.append((clock, nodes.get((pid_key, sample), "?")))
        clocks[pid_key] = clock
    return sorted(out)


def summarise(trace: dict[str, Any], over_ms: float = 50.0, top: int = 6) -> dict[str, Any]:
    """The main thread's tasks over ``over_ms``, each split by self time and culprits."""
    events = [e for e in trace.get("traceEvents", []) if isinstance(e, dict)]
    where = _main_thread(events)
    if where is None:
        return {"tasks": [], "totals": {}, "error": "no renderer main thread in the trace"}
    pid, tid = where
    thread = sorted(
        (e for e in events if e.get("pid") == pid and e.get("tid") == tid and e.get("ph") == "X"),
        key=lambda e: (e["ts"], -e.get("dur", 0)),
    )
    samples = _samples(events, pid, tid)
    tasks: list[dict[str, Any]] = []
    totals: dict[str, float] = defaultdict(float)
    i = 0
    while i < len(thread):
        e = thread[i]
        if e.get("name") not in TASK_NAMES or e.get("dur", 0) < over_ms * 1000:
            i += 1
            continue
        end = e["ts"] + e["dur"]
        inside = [e]
        j = i + 1
        while j < len(thread) and thread[j]["ts"] < end:
            inside.append(thread[j])
            j += 1
        tasks.append(_split(inside, samples, top))
        for k, v in tasks[-1]["groups"].items():
            totals[k] += v
        i = j
    run = _run(thread)
    run["js_top"] = _js_top(samples)
    return {"tasks": tasks, "totals": dict(totals), "run": run}


def _js_top(samples: list[tuple[float, str]], n: int = 15) -> list[tuple[float, str]]:
    """The whole run's sampled JS functions by self time (ms), idle left out."""
    ms: dict[str, float] = defaultdict(float)
    for (t0, name), (t1, _) in itertools.pairwise(samples):
        ms[name] += min(t1 - t0, 5000.0) / 1000  # a gap in the samples is not this function's
    return _top(ms, n, skip=("(idle)",))


def _self_times(events: list[dict[str, Any]]) -> dict[int, float]:
    """Self time (us) of each event, by id(): its duration less its children's (nested by time)."""
    self_us: dict[int, float] = {}
    stack: list[dict[str, Any]] = []
    for e in events:
        while stack and stack[-1]["ts"] + stack[-1].get("dur", 0) <= e["ts"]:
            stack.pop()
        self_us[id(e)] = float(e.get("dur", 0))
        if stack:
            self_us[id(stack[-1])] -= float(e.get("dur", 0))
        stack.append(e)
    return self_us


def _run(thread: list[dict[str, Any]]) -> dict[str, Any]:
    """The whole traced run on the main thread: self time per category, layouts and roots."""
    groups: dict[str, float] = defaultdict(float)
    self_us = _self_times(thread)
    tasks = 0
    busy = 0.0
    cpu = 0.0
    cpu_long = {50: 0, 100: 0}
    cpu_max = 0.0
    outer = [e for e in thread if e.get("name") in TASK_NAMES]
    for e in outer:
        tms = e.get("tdur", e.get("dur", 0)) / 1000
        cpu += tms
        cpu_max = max(cpu_max, tms)
        for limit in cpu_long:
            cpu_long[limit] += tms > limit
    for e in thread:
        name = e.get("name", "?")
        if name in TASK_NAMES:
            tasks += 1
            busy += e.get("dur", 0) / 1000
        groups[group(name) if name not in TASK_NAMES else "other"] += (
            max(0.0, self_us[id(e)]) / 1000
        )
    layouts = [e for e in thread if e.get("name") == "Layout"]
    roots: dict[str, int] = defaultdict(int)
    for e in layouts:
        for r in (e.get("args", {}).get("endData") or {}).get("layoutRoots") or []:
            if isinstance(r, dict):
                roots[str(r.get("nodeName", "?"))] += 1
    return {
        "tasks": tasks,
        "busy_ms": busy,
        "cpu_ms": cpu,
        "cpu_over_50ms": cpu_long[50],
        "cpu_over_100ms": cpu_long[100],
        "cpu_max_ms": cpu_max,
        "groups": {k: round(v) for k, v in sorted(groups.items(), key=lambda kv: -kv[1])},
        "layouts": len(layouts),
        "forced_layouts": sum(
            1 for e in layouts if (e["args"].get("beginData") or {}).get("stackTrace")
        ),
        "layout_mean_ms": sum(e.get("dur", 0) for e in layouts) / 1000 / max(1, len(layouts)),
        "layout_roots": dict(sorted(roots.items(), key=lambda kv: -kv[1])[:6]),
    }


def _split(
    inside: list[dict[str, Any]], samples: list[tuple[float, str]], top: int
) -> dict[str, Any]:
    """Self time per event (a stack of open events), grouped, and the culprits."""
    task = inside[0]
    self_us = _self_times(inside)
    groups: dict[str, float] = defaultdict(float)
    names: dict[str, float] = defaultdict(float)
    layout_roots: dict[str, float] = defaultdict(float)
    forced: dict[str, float] = defaultdict(float)
    styled = 0
    for e in inside:
        ms = max(0.0, self_us[id(e)]) / 1000
        name = e.get("name", "?")
        groups[group(name) if e is not task else "other"] += ms
        label = name
        data = e.get("args", {}).get("data") or {}
        if name == "FunctionCall" and data.get("functionName"):
            url = str(data.get("url", "")).rsplit("/", 1)[-1][:30]
            label = f"FunctionCall {data['functionName']} {url}:{data.get('lineNumber', '')}"
        elif name == "EventDispatch" and data.get("type"):
            label = f"EventDispatch {data['type']}"
        names[label] += ms
        args = e.get("args", {})
        if name == "Layout":
            for r in (args.get("endData") or {}).get("layoutRoots") or []:
                if isinstance(r, dict):
                    layout_roots[f"{r.get('nodeName', '?')}#{r.get('nodeId')}"] += e["dur"] / 1000
        if name in ("Layout", "UpdateLayoutTree", "RecalculateStyles"):
            trace = (args.get("beginData") or {}).get("stackTrace") or []
            if trace:
                f = trace[0]
                url = str(f.get("url", "")).rsplit("/", 1)[-1][:30]
                where = f"{f.get('functionName') or '(anonymous)'} {url}:{f.get('lineNumber', '')}"
                forced[f"{name} forced by {where}"] += e.get("dur", 0) / 1000
        if name in ("UpdateLayoutTree", "RecalculateStyles"):
            end_data = args.get("endData") or {}
            styled += int(args.get("elementCount") or end_data.get("elementCount") or 0)
    t0, t1 = task["ts"], task["ts"] + task.get("dur", 0)
    js: dict[str, float] = defaultdict(float)
    prev = None
    for ts, fn in samples:
        if t0 <= ts <= t1:
            js[fn] += ((ts - prev) if prev is not None and prev >= t0 else 0) / 1000
        prev = ts
    return {
        "ts_ms": task["ts"] / 1000,
        "ms": task.get("dur", 0) / 1000,
        # The thread's CPU time in the task: far below "ms" when the thread waited for a core.
        "cpu_ms": task.get("tdur", task.get("dur", 0)) / 1000,
        "groups": {k: round(v, 1) for k, v in sorted(groups.items(), key=lambda kv: -kv[1])},
        "events": _top(names, top),
        "js": _top(js, top, skip=("(program)", "(idle)")),
        "layout_roots": _top(layout_roots, 3),
        "forced": _top(forced, 3),
        "styled_elements": styled,
    }


def _top(ms: dict[str, float], n: int, skip: tuple[str, ...] = ()) -> list[tuple[float, str]]:
    kept = ((round(v, 1), k) for k, v in ms.items() if k.split(" ")[0] not in skip)
    return sorted(kept, reverse=True)[:n]


def describe_nodes(cdp: Any, ids: list[int]) -> dict[int, str]:
    """``tag.class#id`` for backend DOM node ids (those still in the page)."""
    out: dict[int, str] = {}
    for node_id in ids:
        try:
            node = cdp.send("DOM.describeNode", {"backendNodeId": node_id})["node"]
        except Exception:  # the node is gone
            continue
        attrs = node.get("attributes", [])
        pairs = dict(zip(attrs[::2], attrs[1::2], strict=False))
        cls = ".".join(pairs.get("class", "").split()[:3])
        out[node_id] = node.get("localName", node.get("nodeName", "?")) + (f".{cls}" if cls else "")
    return out


def print_summary(summary: dict[str, Any], limit: int = 12) -> None:
    """The whole run's split, then the long tasks, longest first, with their culprits."""
    tasks = sorted(summary["tasks"], key=lambda t: -t["ms"])
    run = summary.get("run", {})
    if run:
        split = ", ".join(f"{k} {v:.0f}" for k, v in run["groups"].items())
        print(
            f"  trace, whole run: tasks by CPU time (thread time, whatever the machine's load): "
            f"{run['cpu_over_100ms']} over 100 ms, {run['cpu_over_50ms']} over 50 ms, longest "
            f"{run['cpu_max_ms']:.0f} ms; {run['cpu_ms']:.0f} ms CPU in {run['busy_ms']:.0f} ms"
        )
        print(
            f"  trace, whole run: {run['tasks']} tasks, {run['busy_ms']:.0f} ms busy; self time "
            f"(ms): {split}; {run['layouts']} layouts ({run['forced_layouts']} forced, "
            f"mean {run['layout_mean_ms']:.1f} ms), roots: {run['layout_roots']}",
            flush=True,
        )
        if run.get("js_top"):
            top = "; ".join(f"{k} {v:.0f}" for v, k in run["js_top"])
            print(f"  trace, whole run: JS self time (ms, sampled): {top}", flush=True)
    totals = sorted(summary["totals"].items(), key=lambda kv: -kv[1])
    print(
        f"  trace: {len(tasks)} long tasks; their self time (ms): "
        + ", ".join(f"{k} {v:.0f}" for k, v in totals),
        flush=True,
    )
    for t in tasks[:limit]:
        split = ", ".join(f"{k} {v:.0f}" for k, v in t["groups"].items() if v >= 1)
        print(
            f"  - {t['ms']:.0f} ms ({t['cpu_ms']:.0f} ms CPU): {split}; "
            f"{t['styled_elements']} elements styled"
        )
        print("      events: " + "; ".join(f"{k} {v:.0f}" for v, k in t["events"]))
        if t["js"]:
            print("      js: " + "; ".join(f"{k} {v:.0f}" for v, k in t["js"]))
        if t["forced"]:
            print("      forced: " + "; ".join(f"{k} {v:.0f}" for v, k in t["forced"]))
        if t["layout_roots"]:
            print("      layout roots: " + "; ".join(f"{k} {v:.0f}" for v, k in t["layout_roots"]))
