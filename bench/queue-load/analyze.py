#!/usr/bin/env python3
"""The arithmetic of bench/queue-load/run.sh.

  analyze.py step --stat F --counts F --rtt F --agents-stat F --caller-errors F
                  --agents-errors F --pbx-log F key=value...   one step's JSON record
  analyze.py line RECORD                                          one step, in one line
  analyze.py report results.jsonl                                 the Markdown tables

SIPp's trace files are read with the helpers of bench/sip-load/analyze.py (same SIPp
formats, same grouping of error logs and of the PBX's WARN/ERROR lines).
"""
import collections
import importlib.util
import io
import json
import os
import sys
from contextlib import redirect_stdout

_spec = importlib.util.spec_from_file_location(
    "sipload_analyze",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sip-load", "analyze.py"),
)
sipload = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sipload)


def captured(fn, args):
    out = io.StringIO()
    with redirect_stdout(out):
        try:
            fn(args)
        except Exception:  # a missing or empty file: no notes
            pass
    return out.getvalue().strip()


def rtt_values(path, name):
    values = []
    try:
        _, rows = sipload.read_csv(path)
    except (FileNotFoundError, IsADirectoryError):
        return values
    for row in rows:
        if len(row) >= 3 and row[2] == name:
            try:
                values.append(float(row[1]))
            except ValueError:
                pass
    values.sort()
    return values


def summary(values):
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": sipload.percentile(values, 50),
        "p99": sipload.percentile(values, 99),
        "max": values[-1],
    }


def cmd_step(args):
    opts, extra = {}, {}
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("--"):
            opts[a[2:]] = args[i + 1]
            i += 2
        else:
            key, _, value = a.partition("=")
            try:
                value = json.loads(value)
            except ValueError:
                pass
            extra[key] = value
            i += 1
    r = dict(kind="step")
    r.update(extra)
    target = int(r["target"])
    index, rows = sipload.stat_rows(opts["stat"]) if os.path.exists(opts["stat"]) else ({}, [])
    if rows:
        last = rows[-1]
        r["attempted"] = sipload.as_int(last, index, "TotalCallCreated")
        r["succeeded"] = sipload.as_int(last, index, "SuccessfulCall(C)")
        r["failed"] = sipload.as_int(last, index, "FailedCall(C)")
        r["retransmissions"] = sipload.as_int(last, index, "Retransmissions(C)")
        r["failures"] = {
            name[len("Failed"):]: sipload.as_int(last, index, name + "(C)")
            for name in sipload.FAILURE_COUNTERS
            if sipload.as_int(last, index, name + "(C)")
        }
        # The rate SIPp offered: when the target-th call was created (interpolated).
        start = sipload.epoch(last[index["StartTime"]])
        prev_t, prev_c, created_at = start, 0, None
        for row in rows:
            c = sipload.as_int(row, index, "TotalCallCreated")
            t = sipload.epoch(row[index["CurrentTime"]])
            if c >= target > 0:
                created_at = prev_t + (target - prev_c) / (c - prev_c) * (t - prev_t) if c > prev_c else t
                break
            prev_t, prev_c = t, c
        r["offered_rate"] = (
            round((target - 1) / (created_at - start), 1)
            if created_at is not None and created_at > start and target > 1 else None
        )
    else:
        r.update(attempted=0, succeeded=0, failed=0, retransmissions=0, failures={}, offered_rate=None)
    # Where the caller's calls failed, by scenario step.
    points = []
    r["refused"] = 0
    try:
        counts = sipload.counts_last(opts["counts"])
        # INVITEs the PBX refused with 503 (overloaded): counted apart from other failures.
        r["refused"] = sum(v for name, v in counts.items() if name.endswith("_503_Recv"))
        for name, value in counts.items():
            for suffix, what in (("_Unexp", "unexpected messages"), ("_Timeout", "time-outs")):
                if value and name.endswith(suffix):
                    idx, msg = name[: -len(suffix)].split("_", 1)
                    points.append("%s waiting for %s (step %s): %d" % (what, msg, idx, value))
    except (OSError, KeyError, ValueError):
        pass
    r["failure_points"] = points
    r["answer"] = summary(rtt_values(opts.get("rtt", ""), "answer"))
    # INVITE -> the agent's BYE, minus the agent's talk time: the wait until an agent
    # was joined (queueing, the agent's INVITE, its answer, the join).
    talk = float(r.get("talk_ms", 0))
    r["to_agent"] = summary([max(0.0, v - talk) for v in rtt_values(opts.get("rtt", ""), "agent")])
    aidx, arows = sipload.stat_rows(opts["agents-stat"]) if os.path.exists(opts["agents-stat"]) else ({}, [])
    if arows:
        last = arows[-1]
        r["agent_calls"] = sipload.as_int(last, aidx, "TotalCallCreated")
        r["agent_ok"] = sipload.as_int(last, aidx, "SuccessfulCall(C)")
        r["agent_failed"] = sipload.as_int(last, aidx, "FailedCall(C)")
    r["caller_errors"] = captured(sipload.cmd_errors, [opts.get("caller-errors", "")])
    r["agents_errors"] = captured(sipload.cmd_errors, [opts.get("agents-errors", "")])
    r["pbx_log"] = captured(sipload.cmd_pbxlog, [opts.get("pbx-log", "")])

    r["completed_pct"] = 100.0 * r["succeeded"] / target if target else 0.0
    reasons = []
    if r["attempted"] < target:
        reasons.append("only %d of %d calls attempted" % (r["attempted"], target))
    if r["succeeded"] * 1000 < target * 999:
        reasons.append("%.2f%% completed" % r["completed_pct"])
    if r["offered_rate"] is not None and r["offered_rate"] < 0.95 * r["rate"]:
        reasons.append("SIPp offered only %.0f calls/s" % r["offered_rate"])
    r["verdict"] = "pass" if not reasons else "fail"
    notes = list(reasons)
    if r["refused"]:
        notes.append("%d calls refused by the PBX with 503 (overload)" % r["refused"])
    if r["failure_points"]:
        notes.append("caller failed at: " + ", ".join(r["failure_points"]))
    if r.get("agent_calls") is not None and r.get("agent_calls") != r["succeeded"]:
        notes.append("agents got %s INVITEs for %s completed callers (%s agent calls failed)" % (
            r["agent_calls"], r["succeeded"], r.get("agent_failed")))
    if r.get("active_after") not in (0, None):
        notes.append("%s calls still in the PBX 2 s after the caller finished" % r["active_after"])
    if r.get("linger_secs"):
        notes.append("%s s later: %s calls in the PBX, %s agents busy%s" % (
            r["linger_secs"], r.get("active_linger"), r.get("busy_linger"),
            " (lost: nothing ended them)" if r.get("active_linger") not in (0, None) else " (they ended late)"))
    if r.get("waiting_after") not in (0, None):
        notes.append("%s callers still waiting in the queue after the step" % r["waiting_after"])
    if r.get("busy_after") not in (0, None):
        notes.append("%s agents still busy after the step" % r["busy_after"])
    drops = (r.get("udp_drops_pbx", 0), r.get("udp_drops_agents", 0), r.get("udp_drops_caller", 0))
    if any(drops):
        notes.append("UDP drops (full receive buffers): PBX %s, agents %s, caller %s" % drops)
    for key, who in (("cpu_caller", "caller"), ("cpu_agents", "agents'")):
        if r.get(key, 0) >= 90:
            notes.append("the %s SIPp used %s%% of a core: the load generator is at its limit" % (who, r[key]))
    for key, who in (("caller_errors", "caller SIPp"), ("agents_errors", "agents' SIPp"), ("pbx_log", "PBX log")):
        if r.get(key):
            notes.append("%s: %s" % (who, r[key]))
    r["notes"] = notes
    print(json.dumps(r))


def fmt(v, digits=0):
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return "%.*f" % (digits, v)
    return str(v)


def held_later(r):
    """Calls in the PBX once the linger time after the step ran out ("-" when none were
    left 2 s after the step, so there was nothing to watch)."""
    if not r.get("linger_secs"):
        return "-"
    return "%s (+%s s)" % (fmt(r.get("active_linger")), r["linger_secs"])


def cmd_line(args):
    r = json.loads(args[0])
    print("  %s: %s/%s completed (%.2f%%), %s refused (503), offered %s calls/s; answer p50/p99 %s/%s ms, to agent p50/p99 %s/%s ms; "
          "CPU pbx %s%% (busiest thread %s%%) caller %s%% agents %s%% machine %s%%; PBX RSS %.0f MiB; queue half-way: %s waiting, %s agents busy" % (
              r["verdict"], r["succeeded"], r["target"], r["completed_pct"], r.get("refused", 0),
              fmt(r.get("offered_rate")),
              fmt(r["answer"].get("p50")), fmt(r["answer"].get("p99")),
              fmt(r["to_agent"].get("p50")), fmt(r["to_agent"].get("p99")),
              r.get("cpu_pbx"), r.get("pbx_busiest_thread_cpu"), r.get("cpu_caller"), r.get("cpu_agents"),
              r.get("cpu_all"), r.get("pbx_rss_kib", 0) / 1024.0, r.get("mid_waiting"), r.get("mid_busy")))
    for n in r.get("notes", []):
        print("    - " + n)


def cmd_report(args):
    meta, steps = {}, []
    with open(args[0]) as f:
        for line in f:
            r = json.loads(line)
            if r.get("kind") == "meta":
                meta = r
            else:
                steps.append(r)
    steps.sort(key=lambda r: r["rate"])
    print()
    print("## Queue load: %s, %s cores, SIPp %s, commit %s" % (
        meta.get("date"), meta.get("cores"), meta.get("sipp"), meta.get("commit")))
    print()
    print("Carrier calls to queue `sales` (strategy %s, ring_timeout %s s, wrapup %s s), %s s steps; "
          "agents answer at once and hang up after %s ms. Completed = the caller was joined to an "
          "agent and got the agent's BYE." % (
              meta.get("strategy"), meta.get("ring_timeout"), meta.get("wrapup"), meta.get("step_secs"),
              meta.get("talk_ms")))
    print()
    print("| rate | agents | offered | calls | completed | completed % | refused (503) | INVITE->200 p50/p99 ms | "
          "to agent p50/p99 ms | queue half-way (waiting/busy) | PBX CPU % | PBX busiest thread % | SIPp CPU % (caller/agents) | "
          "machine CPU % | PBX RSS end / peak MiB | calls held after (2 s / +linger) | verdict |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | ---: | ---: | --- | ---: | --- | --- | --- |")
    for r in steps:
        print("| %s | %s | %s | %s | %s | %.2f | %s | %s / %s | %s / %s | %s / %s | %s | %s | %s / %s | %s | %.0f / %.0f | %s / %s | %s |" % (
            r["rate"], r.get("agents"), fmt(r.get("offered_rate")), r["target"], r["succeeded"],
            r["completed_pct"], r.get("refused", 0), fmt(r["answer"].get("p50")), fmt(r["answer"].get("p99")),
            fmt(r["to_agent"].get("p50")), fmt(r["to_agent"].get("p99")),
            r.get("mid_waiting"), r.get("mid_busy"), r.get("cpu_pbx"), r.get("pbx_busiest_thread_cpu"),
            r.get("cpu_caller"), r.get("cpu_agents"), r.get("cpu_all"),
            r.get("pbx_rss_kib", 0) / 1024.0, r.get("pbx_hwm_kib", 0) / 1024.0,
            fmt(r.get("active_after")), held_later(r), r["verdict"]))
    passed = [r["rate"] for r in steps if r["verdict"] == "pass"]
    failed = [r["rate"] for r in steps if r["verdict"] == "fail"]
    print()
    if passed:
        best = max(passed)
        above = [f for f in failed if f > best]
        print("Highest rate with >= 99.9 %% completed: **%d calls/s**%s" % (
            best, (" (first failing: %d calls/s)" % min(above)) if above else
            " (every step passed: the ceiling is above; add higher --rates)"))
    else:
        print("No step passed.")
    notes = [(r["rate"], n) for r in steps for n in r.get("notes", [])]
    if notes:
        print()
        print("Notes:")
        for rate, n in notes:
            print("- %s calls/s: %s" % (rate, n))
    print()
    print("SIPp's response times read a coarse clock (multiples of 4 ms at HZ=250). \"To agent\" is "
          "INVITE -> the agent's BYE minus the agent's talk time. CPU is %% of one core over the "
          "window in which calls are created; \"machine\" is the whole machine (%s cores = %s %%)." % (
              meta.get("cores"), 100 * int(meta.get("cores") or 1)))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {"step": cmd_step, "line": cmd_line, "report": cmd_report}[cmd](args)


if __name__ == "__main__":
    main()
