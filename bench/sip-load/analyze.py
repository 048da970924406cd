#!/usr/bin/env python3
"""Arithmetic for bench/sip-load/run.sh: reads SIPp's trace files, prints figures.

  analyze.py uac --stat F --counts F [--rtt F] [--target N] [--rate R] [key=value ...]
      One JSON line about a SIPp UAC run (calls attempted/succeeded/failed, why they
      failed, retransmissions, achieved call rate, answered calls without a 180, SIPp's
      setup/challenge response times), with the extra key=value pairs merged in.
  analyze.py uas --stat F
      "SUCCESS FAILED CURRENT" of a SIPp UAS from its -trace_stat file (cumulative).
  analyze.py established --counts F
      Calls answered and not yet hung up (ACKs of 200 sent minus BYEs sent), from the
      UAC's -trace_counts file.
  analyze.py errors FILE
      The most frequent kinds of event in a SIPp -trace_err file, one line.
  analyze.py pbxlog FILE
      How many WARN/ERROR lines the PBX logged, and the most frequent ones, one line.
  analyze.py report RESULTS.jsonl
      The final tables.
"""

import collections
import json
import math
import re
import sys

# The SIPp -trace_stat failure counters worth naming.
FAILURE_COUNTERS = [
    "FailedCannotSendMessage",
    "FailedMaxUDPRetrans",
    "FailedTcpConnect",
    "FailedTcpClosed",
    "FailedUnexpectedMessage",
    "FailedCallRejected",
    "FailedCmdNotSent",
    "FailedRegexpDoesntMatch",
    "FailedRegexpShouldntMatch",
    "FailedRegexpHdrNotFound",
    "FailedOutboundCongestion",
    "FailedTimeoutOnRecv",
    "FailedTimeoutOnSend",
]


def percentile(sorted_values, p):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def read_csv(path):
    """SIPp's ';'-separated trace files: (header, rows)."""
    with open(path, encoding="latin-1") as f:
        lines = [line.rstrip("\n") for line in f if line.strip()]
    if not lines:
        return [], []
    header = [h for h in lines[0].split(";")]
    rows = [line.split(";") for line in lines[1:]]
    return header, rows


def epoch(field):
    """SIPp writes dates as 'YYYY-MM-DD<TAB>HH:MM:SS.micro<TAB>epoch.micro'."""
    return float(field.split("\t")[-1])


def stat_rows(path):
    header, rows = read_csv(path)
    index = {name: i for i, name in enumerate(header)}
    return index, rows


def as_int(row, index, name):
    try:
        return int(row[index[name]])
    except (KeyError, IndexError, ValueError):
        return 0


def rtt_summary(path, name):
    values = []
    try:
        _, rows = read_csv(path)
    except FileNotFoundError:
        return {"n": 0}
    for row in rows:
        if len(row) >= 3 and row[2] == name:
            try:
                values.append(float(row[1]))
            except ValueError:
                pass
    values.sort()
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p99": percentile(values, 99),
        "max": values[-1],
    }


def counts_last(path):
    """The last row of a -trace_counts file as {column: int}."""
    header, rows = read_csv(path)
    if not rows:
        return {}
    last = rows[-1]
    out = {}
    for i, name in enumerate(header):
        if i < 2 or i >= len(last):
            continue
        try:
            out[name] = int(last[i])
        except ValueError:
            pass
    return out


def column(counts, suffix, nth=0):
    """The nth column (in scenario order) whose name ends with suffix, e.g. '_ACK_Sent'."""
    names = [n for n in counts if n.endswith(suffix)]
    names.sort(key=lambda n: int(n.split("_", 1)[0]))
    return counts[names[nth]] if len(names) > nth else 0


def established(path):
    counts = counts_last(path)
    # The second ACK is the one that confirms the 200 (the first answers the 407).
    return column(counts, "_ACK_Sent", 1) - column(counts, "_BYE_Sent", 0)


def cmd_uac(args):
    opts = {"extra": {}}
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
            opts["extra"][key] = value
            i += 1
    index, rows = stat_rows(opts["stat"])
    out = {}
    if rows:
        last = rows[-1]
        start = epoch(last[index["StartTime"]])
        out["attempted"] = as_int(last, index, "TotalCallCreated")
        out["succeeded"] = as_int(last, index, "SuccessfulCall(C)")
        out["failed"] = as_int(last, index, "FailedCall(C)")
        out["retransmissions"] = as_int(last, index, "Retransmissions(C)")
        out["out_of_call_msgs"] = as_int(last, index, "OutOfCallMsgs(C)")
        out["dead_call_msgs"] = as_int(last, index, "DeadCallMsgs(C)")
        out["failures"] = {
            name[len("Failed"):]: as_int(last, index, name + "(C)")
            for name in FAILURE_COUNTERS
            if as_int(last, index, name + "(C)")
        }
        # When did the last call get created?  Interpolated between two periodic dumps.
        target = int(opts.get("target", out["attempted"]) or 0)
        prev_t, prev_c = start, 0
        created_at = None
        for row in rows:
            c = as_int(row, index, "TotalCallCreated")
            t = epoch(row[index["CurrentTime"]])
            if c >= target > 0:
                if c > prev_c:
                    created_at = prev_t + (target - prev_c) / (c - prev_c) * (t - prev_t)
                else:
                    created_at = t
                break
            prev_t, prev_c = t, c
        if created_at is not None and created_at > start:
            # Calls are created from t=0 on; the n-th call at about (n-1)/rate.
            out["achieved_rate"] = round((target - 1) / (created_at - start), 1) if target > 1 else None
        else:
            out["achieved_rate"] = None
    if opts.get("counts"):
        try:
            counts = counts_last(opts["counts"])
            out["ringing_received"] = column(counts, "_180_Recv", 0)
            out["answered"] = column(counts, "_200_Recv", 0)
            out["answered_without_180"] = max(0, out["answered"] - out["ringing_received"])
            # Where in the scenario calls failed: "INVITE(4): 12 timeouts" and the like.
            points = []
            for name, value in counts.items():
                if not value:
                    continue
                for suffix, what in (("_Unexp", "unexpected messages"), ("_Timeout", "timeouts")):
                    if name.endswith(suffix):
                        index, msg = name[: -len(suffix)].split("_", 1)
                        points.append("%s waiting for %s (step %s): %d" % (what, msg, index, value))
            out["failure_points"] = points
        except FileNotFoundError:
            pass
    if opts.get("rtt"):
        out["sipp_setup"] = rtt_summary(opts["rtt"], "setup")
        out["sipp_challenge"] = rtt_summary(opts["rtt"], "challenge")
    out.update(opts["extra"])
    print(json.dumps(out))


def cmd_uas(args):
    path = args[args.index("--stat") + 1]
    index, rows = stat_rows(path)
    if not rows:
        print("0 0 0")
        return
    last = rows[-1]
    print(
        as_int(last, index, "SuccessfulCall(C)"),
        as_int(last, index, "FailedCall(C)"),
        as_int(last, index, "CurrentCall"),
    )


# SIPp's error log: events start with a date; a quoted message may follow over several
# lines, and the next event may start on the same line as the quote ends.
SIPP_EVENT = re.compile(r"\d{4}-\d\d-\d\d\t[\d:.]+\t[\d.]+: (.*?)(?=\d{4}-\d\d-\d\d\t|\n|$)")


def normalize(text):
    text = re.sub(r"Call-Id '[^']*'", "Call-Id '*'", text)
    text = re.sub(r"call-id '[^']*'", "call-id '*'", text)
    text = re.sub(r"\b[0-9a-f]{8}-[0-9a-f-]{27}\b", "<uuid>", text)
    return text.strip()[:200]


def top(counter, n=3):
    return "; ".join("%dx %s" % (count, text) for text, count in counter.most_common(n))


def cmd_errors(args):
    counter = collections.Counter()
    try:
        with open(args[0], encoding="latin-1") as f:
            text = f.read()
    except (OSError, IndexError):
        return
    for m in SIPP_EVENT.finditer(text):
        event = re.sub(r"Dead call \S+", "Dead call *", m.group(1))
        event = re.sub(r"Call-Id: [^,\s]+", "Call-Id: *", event)
        counter[normalize(event)] += 1
    if counter:
        print("%d events: %s" % (sum(counter.values()), top(counter)))


ANSI = re.compile(r"\x1b\[[0-9;]*m")
LOG_LINE = re.compile(r"^\S+\s+(WARN|ERROR)\s+(.*)$")


def cmd_pbxlog(args):
    counter = collections.Counter()
    levels = collections.Counter()
    try:
        with open(args[0], encoding="utf-8", errors="replace") as f:
            for line in f:
                m = LOG_LINE.match(ANSI.sub("", line.rstrip("\n")))
                if not m:
                    continue
                level, rest = m.groups()
                levels[level] += 1
                # Drop the spans ("call{call=... sip_call_id=...}:") and the fields after
                # the message, keep "target: message".
                rest = re.sub(r"^(\w+\{[^}]*\}:)+\s*", "", rest)
                error = re.search(r"\berror=(.*?)(\s+\w+=|$)", rest)
                rest = re.sub(r"\s+\w+=.*$", "", rest)
                if error:
                    rest += " (%s)" % re.sub(r"\d+", "N", error.group(1))
                counter["%s %s" % (level, normalize(rest))] += 1
    except (OSError, IndexError):
        return
    if counter:
        print("%s: %s" % (", ".join("%d %s" % (n, l) for l, n in sorted(levels.items())), top(counter)))


def fmt(value, digits=1):
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return "%.*f" % (digits, value)
    return str(value)


def cmd_report(args):
    records = []
    with open(args[0]) as f:
        for line in f:
            line = line.strip()
            if line:
                records.append(json.loads(line))
    steps = [r for r in records if r.get("kind") == "step"]
    latency = next((r for r in records if r.get("kind") == "latency"), None)
    memory = next((r for r in records if r.get("kind") == "memory"), None)
    meta = next((r for r in records if r.get("kind") == "meta"), {})

    print()
    print("## Switchboard SIP load benchmark")
    print()
    if meta:
        print(
            "%s; %s cores (shared with SIPp and anything else running); step %s s; talk %s ms; "
            "SIPp %s; RTP ports %s; binary %s (workspace at commit %s)"
            % (meta.get("date", ""), meta.get("cores", "?"), meta.get("step_secs", "?"),
               meta.get("talk_ms", "?"), meta.get("sipp", "?"), meta.get("rtp_ports", "?"),
               meta.get("binary", "?"), meta.get("commit", "?"))
        )
        print()

    if steps:
        print("### Rate steps (each %s s, fresh PBX; pass = >= 99.9%% completed and the rate was offered)" % meta.get("step_secs", "?"))
        print()
        print("| rate (cps) | offered (cps) | attempted | succeeded | failed | success % | no 180 | retrans | SIPp setup p50/p99 (ms) | CPU % pbx / uac / uas / other | PBX busiest thread % | UDP drops | PBX RSS at end (MiB) | result |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for s in steps:
            setup = s.get("sipp_setup", {})
            print(
                "| %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s / %s / %s / %s | %s | %s | %s | %s |"
                % (
                    s.get("rate"), fmt(s.get("achieved_rate")), s.get("attempted"), s.get("succeeded"),
                    s.get("failed"), fmt(s.get("success_pct"), 3), s.get("answered_without_180", "n/a"),
                    s.get("retransmissions"), fmt(setup.get("p50"), 0), fmt(setup.get("p99"), 0),
                    s.get("cpu_pbx"), s.get("cpu_uac"), s.get("cpu_uas"), s.get("cpu_other"),
                    s.get("pbx_busiest_thread_cpu", "n/a"), s.get("udp_drops"), fmt(s.get("pbx_rss_kib", 0) / 1024.0, 0), s.get("verdict"),
                )
            )
        notes = [s for s in steps if s.get("notes")]
        if notes:
            print()
            for s in notes:
                print("- %s cps: %s" % (s.get("rate"), s.get("notes")))
        print()

    best = None
    for s in steps:
        if s.get("verdict") == "pass" and (best is None or s["rate"] > best):
            best = s["rate"]
    rows = []
    if steps:
        tested = max(s["rate"] for s in steps)
        all_pass = all(s.get("verdict") == "pass" for s in steps)
        best_text = fmt(best) if best is not None else "none passed"
        if all_pass:
            best_text += " (every step passed; the ceiling is above %s)" % tested
        met = "yes" if best is not None and best >= 500 else "no"
        if met == "no" and all_pass:
            met = "not reached: rates below 500 only"
        rows.append(("highest rate with >= 99.9% completed (calls/s)", best_text, ">= 500", met))
    if latency:
        wire = latency.get("wire_setup") or {}
        sipp = latency.get("sipp_setup") or {}
        rate = latency.get("rate")
        if wire.get("n"):
            rows.append(("p50 setup INVITE->180 @%s cps, wire (ms)" % rate, fmt(wire.get("p50"), 2), "", ""))
            rows.append(("p99 setup INVITE->180 @%s cps, wire (ms)" % rate, fmt(wire.get("p99"), 2), "< 10",
                         "yes" if wire.get("p99") is not None and wire["p99"] < 10 else "no"))
            rows.append(("max setup @%s cps, wire (ms)" % rate, fmt(wire.get("max"), 2), "", ""))
        if sipp.get("n"):
            verdict = "yes" if sipp.get("p99") is not None and sipp["p99"] < 10 else "no"
            rows.append(("p50 setup @%s cps, SIPp rtd, 4 ms ticks (ms)" % rate, fmt(sipp.get("p50"), 0), "", ""))
            rows.append(("p99 setup @%s cps, SIPp rtd, 4 ms ticks (ms)" % rate, fmt(sipp.get("p99"), 0), "< 10",
                         verdict if not wire.get("n") else ""))
        rows.append(("calls @%s cps: completed / attempted" % rate,
                     "%s / %s" % (latency.get("succeeded"), latency.get("attempted")), "", ""))
        if latency.get("answered_without_180"):
            rows.append(("answered without a 180 at the caller @%s cps" % rate,
                         str(latency.get("answered_without_180")), "0", "no"))
    if memory:
        per_call = memory.get("kib_per_call")
        rows.append(("RSS baseline after registration (MiB)", fmt(memory.get("rss_base_kib", 0) / 1024.0), "", ""))
        rows.append(("RSS with %s concurrent calls (MiB)" % memory.get("calls_held"),
                     fmt(memory.get("rss_held_kib", 0) / 1024.0), "", ""))
        rows.append(("RSS per concurrent call (KiB)", fmt(per_call), "< 200",
                     "yes" if per_call is not None and per_call < 200 else "no"))
        if memory.get("pbx_active_held") is not None:
            rows.append(("calls in progress by the PBX's own gauge: held / after",
                         "%s / %s" % (memory.get("pbx_active_held"), memory.get("pbx_active_after")), "", ""))
        rows.append(("open fds with %s calls (baseline)" % memory.get("calls_held"),
                     "%s (%s)" % (memory.get("fds_held"), memory.get("fds_base")), "", ""))
        rows.append(("RSS / fds after the calls ended (MiB / n)",
                     "%s / %s" % (fmt(memory.get("rss_after_kib", 0) / 1024.0), memory.get("fds_after")), "", ""))
        if "rss_settled_kib" in memory:
            rows.append(("RSS 40 s after the calls ended (MiB)", fmt(memory["rss_settled_kib"] / 1024.0), "", ""))
        if "round2_rss_held_kib" in memory:
            rows.append(("reuse check, 2nd round of %s calls: RSS held / after (MiB)" % memory.get("round2_calls_held"),
                         "%s / %s" % (fmt(memory["round2_rss_held_kib"] / 1024.0),
                                      fmt(memory["round2_rss_after_kib"] / 1024.0)), "", ""))
    if rows:
        print("### Summary")
        print()
        print("| measure | value | target | met |")
        print("| --- | ---: | ---: | --- |")
        for r in rows:
            print("| %s | %s | %s | %s |" % r)
        print()
    for r in records:
        if r.get("kind") in ("latency", "memory") and r.get("notes"):
            print("- %s: %s" % (r["kind"], r["notes"]))


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "uac":
        cmd_uac(args)
    elif cmd == "uas":
        cmd_uas(args)
    elif cmd == "established":
        print(established(args[args.index("--counts") + 1]))
    elif cmd == "errors":
        cmd_errors(args)
    elif cmd == "pbxlog":
        cmd_pbxlog(args)
    elif cmd == "report":
        cmd_report(args)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
