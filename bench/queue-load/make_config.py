#!/usr/bin/env python3
"""The queue benchmark's office: the demo configuration (switchboard print-demo-config on
standard input) with N agents added as extensions and made the only members of queue
`sales`, the carrier trunk moved to the SIPp caller's address, and the queue's keys set
for the benchmark, and `[pbx] max_calls` raised out of the way (--max-calls), so that
what refuses calls is the PBX's own overload guard, not the default size.  Writes the configuration on standard output and the agents'
credentials (a SIPp injection file: "number;[authentication username=number
password=...]" lines) to --agents-csv.

Usage: make_config.py --agents N --first 3000 --trunk 127.0.0.1:17064
                      --strategy round_robin --ring-timeout 5 --wrapup 0 --agents-csv F
                      [--max-calls 100000]
"""
import argparse
import re
import sys

p = argparse.ArgumentParser()
p.add_argument("--agents", type=int, required=True)
p.add_argument("--first", type=int, default=3000)
p.add_argument("--trunk", required=True)
p.add_argument("--strategy", default="round_robin")
p.add_argument("--ring-timeout", type=int, default=5)
p.add_argument("--wrapup", type=int, default=0)
p.add_argument("--agents-csv", required=True)
p.add_argument("--max-calls", type=int, default=100000)
a = p.parse_args()

text = sys.stdin.read()

# A binary from before `max_calls` has no such key (and would refuse one): left alone.
text = re.sub(r"(?m)^max_calls = \d+$", "max_calls = %d" % a.max_calls, text)

# The carrier: requests from the SIPp caller's address are the trunk's.
if text.count('"127.0.0.1:5090"') != 2:
    sys.exit("make_config.py: the demo's trunk addresses (127.0.0.1:5090) were not found")
text = text.replace('"127.0.0.1:5090"', '"%s"' % a.trunk)

numbers = [str(a.first + i) for i in range(a.agents)]
if len(numbers[-1]) > 6:
    sys.exit("make_config.py: extension numbers have at most 6 digits")

# The sales queue: its [[queue]] table, up to the next table, replaced.
m = re.search(r'\[\[queue\]\]\nname = "sales"\n.*?(?=\n\[)', text, re.S)
if not m:
    sys.exit("make_config.py: the demo's sales queue was not found")
members = ", ".join('"%s"' % n for n in numbers)
queue = "\n".join([
    "[[queue]]",
    'name = "sales"',
    'number = "700"',
    "# The benchmark's agents (bench/queue-load).",
    "members = [%s]" % members,
    'strategy = "%s"' % a.strategy,
    "ring_timeout = %d" % a.ring_timeout,
    "retry = 1",
    "wrapup = %d" % a.wrapup,
    'join_empty = "never"',
    'leave_when_empty = "never"',
    "announce_frequency = 0",
])
text = text[: m.start()] + queue + "\n" + text[m.end():]

ext = ["", "# The benchmark's agents (bench/queue-load)."]
with open(a.agents_csv, "w") as f:
    f.write("SEQUENTIAL\n")
    for n in numbers:
        pw = "bench%s" % n
        ext += ["[[extension]]", 'number = "%s"' % n, 'name = "Agent %s"' % n,
                'password = "%s"' % pw, 'role = "sales"', ""]
        f.write("%s;[authentication username=%s password=%s]\n" % (n, n, pw))
text += "\n".join(ext)
sys.stdout.write(text)
