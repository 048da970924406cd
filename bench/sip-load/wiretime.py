#!/usr/bin/env python3
"""Wire-level call-setup timer for the SIP load benchmark.

SIPp's response-time figures (rtd) come from CLOCK_MONOTONIC_COARSE, whose resolution is
one kernel tick (4 ms with HZ=250), so a 3 ms setup reads 0 or 4 ms.  This script watches
the loopback interface with a packet socket and takes the kernel's receive timestamp of
each SIP datagram to or from the caller's port (SIPp's UAC), which is microsecond-exact
and excludes SIPp's own processing delay:

  setup      first transmission of the INVITE with credentials (CSeq 2) -> first 180
  challenge  first transmission of the first INVITE (CSeq 1)            -> 407
  answer     INVITE with credentials                                     -> first 200

Needs CAP_NET_RAW (root).  Runs until SIGINT/SIGTERM, then writes a JSON summary to --out
(and the per-call setup times, one per line in milliseconds, to --out + ".setup").

Usage: wiretime.py --port UAC_PORT --out FILE [--iface lo]
"""

import argparse
import json
import math
import signal
import socket
import struct
import sys

ETH_P_IP = 0x0800
SO_TIMESTAMPNS = 35
SCM_TIMESTAMPNS = SO_TIMESTAMPNS


SO_ATTACH_FILTER = 26


def port_filter(port):
    """A classic BPF program for the packet socket: IPv4 UDP, not a later fragment, source
    or destination port == port.  The kernel then drops every other packet on the
    interface (the PBX's own traffic with the callee), so this process stays light."""
    prog = [
        (0x30, 0, 0, 9),          # ldb [9]            IP protocol
        (0x15, 0, 8, 17),         # jeq #17 (UDP)      else drop
        (0x28, 0, 0, 6),          # ldh [6]            flags + fragment offset
        (0x45, 6, 0, 0x1FFF),     # jset #0x1fff       a later fragment: drop
        (0xB1, 0, 0, 0),          # ldxb 4*([0]&0xf)   x = IP header length
        (0x48, 0, 0, 0),          # ldh [x+0]          source port
        (0x15, 2, 0, port),       # jeq #port          accept
        (0x48, 0, 0, 2),          # ldh [x+2]          destination port
        (0x15, 0, 1, port),       # jeq #port          accept, else drop
        (0x06, 0, 0, 0x40000),    # ret #262144        accept
        (0x06, 0, 0, 0),          # ret #0             drop
    ]
    code = b"".join(struct.pack("HBBI", *ins) for ins in prog)
    import ctypes

    buf = ctypes.create_string_buffer(code)
    # struct sock_fprog { unsigned short len; struct sock_filter *filter; }
    fprog = struct.pack("HL", len(prog), ctypes.addressof(buf))
    return fprog, buf


def percentile(sorted_values, p):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def summary(values_ms):
    values = sorted(values_ms)
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p99": percentile(values, 99),
        "max": values[-1],
        "mean": sum(values) / len(values),
    }


def header(text, name, compact):
    """The value of a SIP header (first occurrence), by full or compact name."""
    for line in text.split("\r\n")[1:]:
        if not line:
            break
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key = key.strip().lower()
        if key == name or key == compact:
            return value.strip()
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True, help="the caller's (UAC's) SIP port")
    parser.add_argument("--out", required=True)
    parser.add_argument("--iface", default="lo")
    args = parser.parse_args()

    sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
    sock.bind((args.iface, ETH_P_IP))
    try:
        fprog, _keep = port_filter(args.port)
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
        # Packets queued before the filter was attached are read and dropped below.
    except OSError as e:
        print("no BPF filter (%s): filtering in Python" % e, file=sys.stderr)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
    sock.settimeout(0.2)

    stop = {"now": False}

    def on_signal(_signo, _frame):
        stop["now"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    invite1 = {}  # Call-ID -> time of the first INVITE (CSeq 1)
    invite2 = {}  # Call-ID -> time of the INVITE with credentials (CSeq 2)
    challenge = {}
    ringing = {}
    answered = {}
    packets = 0
    port = args.port

    # Tell the caller (run.sh) that the socket is open and listening.
    print("ready", flush=True)

    while not stop["now"]:
        try:
            data, anc, _flags, _addr = sock.recvmsg(65535, socket.CMSG_SPACE(16))
        except socket.timeout:
            continue
        except InterruptedError:
            continue
        if len(data) < 28 or data[9] != 17:
            continue
        ihl = (data[0] & 0x0F) * 4
        sport, dport = struct.unpack_from("!HH", data, ihl)
        if sport != port and dport != port:
            continue
        stamp = None
        for level, kind, cdata in anc:
            if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS and len(cdata) >= 16:
                sec, nsec = struct.unpack_from("qq", cdata)
                stamp = sec + nsec / 1e9
        if stamp is None:
            continue
        packets += 1
        try:
            text = data[ihl + 8:].decode("latin-1")
        except Exception:
            continue
        first_line = text.split("\r\n", 1)[0]
        call_id = header(text, "call-id", "i")
        cseq = header(text, "cseq", None)
        if not call_id or not cseq:
            continue
        cseq_parts = cseq.split()
        if len(cseq_parts) != 2 or cseq_parts[1] != "INVITE":
            continue
        seq = cseq_parts[0]
        if sport == port and first_line.startswith("INVITE "):
            table = invite1 if seq == "1" else invite2
            table.setdefault(call_id, stamp)  # retransmissions keep the first time
        elif dport == port and first_line.startswith("SIP/2.0 "):
            code = first_line[8:11]
            if code == "407" and seq == "1":
                challenge.setdefault(call_id, stamp)
            elif code == "180" and seq != "1":
                ringing.setdefault(call_id, stamp)
            elif code == "200" and seq != "1":
                answered.setdefault(call_id, stamp)

    def deltas(start, end):
        return [(end[c] - start[c]) * 1000.0 for c in end if c in start]

    setup = deltas(invite2, ringing)
    result = {
        "packets": packets,
        "calls_invited": len(invite2),
        "setup": summary(setup),
        "challenge": summary(deltas(invite1, challenge)),
        "answer": summary(deltas(invite2, answered)),
        # Answered calls whose caller never saw a 180.
        "answered_without_180": sum(1 for c in answered if c not in ringing),
    }
    with open(args.out, "w") as f:
        json.dump(result, f)
    with open(args.out + ".setup", "w") as f:
        for value in sorted(setup):
            f.write("%.3f\n" % value)
    return 0


if __name__ == "__main__":
    sys.exit(main())
