#!/usr/bin/env bash
# The SIP load benchmark of Switchboard: call rate, call-setup latency and memory per call,
# measured with SIPp against a release build of the PBX on the loopback interface.
# See bench/README.md.  Usage: bench/sip-load/run.sh [--quick] [--rates "100 200 500"] ...
set -euo pipefail

# The whole script is one compound command, read before it runs: editing this file
# while a benchmark runs does not derail it.
{

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

# ---------------------------------------------------------------------------- settings
STEP_SECS=30                    # length of each rate step and of the latency run
RATES="100 200 300 400 500 600 800 1000 1200 1500 2000 2500 3000"
LAT_RATE=100                    # calls/s of the latency run
TALK_MS=1000                    # how long each call of the rate steps and latency run talks
MEM_CALLS=1000                  # concurrent calls held for the memory measure
MEM_RATE=200                    # calls/s to build them up
MEM_HOLD_MS=40000               # how long they are held (below the PBX's 60 s RTP timeout)
MEM_SETTLE_SECS=40              # pause between the two memory rounds (> SIP's 32 s timers)
BISECT=0                        # extra steps between the last passing and first failing rate
PHASES="latency memory rate"
BUILD=1
KEEP=0
BIN=""
SIP_PORT=${SB_BENCH_SIP_PORT:-17060}   # the PBX; the UAS uses +2, the UAC +4, HTTP +20
RTP_PORTS=${SB_BENCH_RTP_PORTS:-20000-39999}

usage() {
    cat <<EOF
Usage: bench/sip-load/run.sh [options]
  --quick            10 s steps, rates "100 300 500 800 1200", 20 s memory hold (a smoke run)
  --rates "R1 R2 .." the call rates (calls/s) of the rate search, ascending
                     (default: $RATES); the search stops at the first failing step
  --bisect N         after the first failing step, N more steps halving the gap between
                     the last passing and the first failing rate
  --step-secs N      length of each rate step and of the latency run (default $STEP_SECS)
  --talk-ms N        talk time of each call in the rate steps (default $TALK_MS)
  --only PHASES      some of "latency memory rate" (default: all three)
  --binary PATH      use this switchboard binary instead of building one
  --no-build         use the binary already built in \$CARGO_TARGET_DIR (or target/)
  --keep             keep the work directory (logs, SIPp traces) and print its path
Environment: CARGO_TARGET_DIR (where cargo builds), SB_BENCH_SIP_PORT (default 17060;
the PBX listens there, the SIPp callee on +2, the SIPp caller on +4, HTTP on +20),
SB_BENCH_RTP_PORTS (default 20000-39999: 5,000 calls of 4 ports), RUST_LOG (the PBX's log level, default warn).
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --quick)
            STEP_SECS=10; RATES="100 300 500 800 1200"; MEM_HOLD_MS=20000 ;;
        --rates) RATES="$2"; shift ;;
        --bisect) BISECT="$2"; shift ;;
        --step-secs) STEP_SECS="$2"; shift ;;
        --talk-ms) TALK_MS="$2"; shift ;;
        --only) PHASES="$2"; shift ;;
        --binary) BIN="$2"; BUILD=0; shift ;;
        --no-build) BUILD=0 ;;
        --keep) KEEP=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

UAS_PORT=$((SIP_PORT + 2))
UAC_PORT=$((SIP_PORT + 4))
HTTP_PORT=$((SIP_PORT + 20))
CLK_TCK=$(getconf CLK_TCK)
CORES=$(nproc)
ANALYZE=(python3 "$HERE/analyze.py")

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v sipp >/dev/null || die "sipp is not installed (Debian: apt-get install sip-tester)"
command -v python3 >/dev/null || die "python3 is needed for the arithmetic"

# ---------------------------------------------------------------------------- cleanup
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sb-sip-load.XXXXXX")
RESULTS="$WORK/results.jsonl"
: >"$RESULTS"
PIDS=()

stop_pid() {   # stop_pid PID [seconds]: TERM, then KILL after the grace time
    local pid=$1 grace=${2:-5} i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
        [ "$(proc_state "$pid")" = "gone" ] && break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    local pid
    for pid in "${PIDS[@]}"; do
        stop_pid "$pid" 2
    done
    if [ "$KEEP" = 1 ]; then
        log "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------- /proc helpers
proc_state() {   # R, S, Z, ... or "gone"
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo gone; return; }
    stat=${stat##*) }
    echo "${stat%% *}"
}
alive() { local s; s=$(proc_state "$1"); [ "$s" != gone ] && [ "$s" != Z ]; }
cpu_ticks() {    # utime + stime of a process (all threads), 0 when it is gone
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
    stat=${stat##*) }
    # After the ")": state is field 1, utime field 12, stime field 13.
    awk '{ print $12 + $13 }' <<<"$stat"
}
thread_ticks() { # "tid name ticks" per thread of a process
    local t stat name
    for t in /proc/"$1"/task/*; do
        stat=$(cat "$t/stat" 2>/dev/null) || continue
        name=${stat#*(}; name=${name%%)*}; name=${name// /_}
        stat=${stat##*) }
        awk -v tid="${t##*/}" -v n="$name" '{ print tid, n, $12 + $13 }' <<<"$stat"
    done
}
busiest_thread() { # busiest_thread BEFORE AFTER SECONDS: "name pct" of the busiest thread
    awk -v s="$3" -v hz="$CLK_TCK" 'NR == FNR { before[$1] = $3; next }
        { d = $3 - before[$1]; if (d > max) { max = d; name = $2 } }
        END { printf "%s %.0f\n", (name == "" ? "-" : name), (s > 0 ? 100 * max / hz / s : 0) }' \
        <(echo "$1") <(echo "$2")
}
sys_ticks() {    # "busy total" jiffies of the whole machine
    awk '/^cpu / { idle = $5 + $6; total = 0; for (i = 2; i <= NF; i++) total += $i; print total - idle, total; exit }' /proc/stat
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l || true; }
pct() {          # pct TICKS SECONDS: CPU % of one core
    awk -v t="$1" -v s="$2" -v hz="$CLK_TCK" 'BEGIN { if (s <= 0) print 0; else printf "%.0f", 100 * t / hz / s }'
}
udp_drops() {    # the kernel's drop counter of the UDP socket bound to 127.0.0.1:PORT
    local hex
    hex=$(printf '0100007F:%04X' "$1")
    awk -v a="$hex" '$2 == a { d += $NF } END { print d + 0 }' /proc/net/udp
}
udp_in_use() { awk -v a="$(printf ':%04X' "$1")" 'substr($2, 9) == a { n++ } END { print n + 0 }' /proc/net/udp; }
now() { date +%s.%N; }
active_calls() { # the PBX's own gauge of calls in progress (its HTTP /metrics), or null
    local v
    v=$(curl -s --max-time 2 "http://127.0.0.1:$HTTP_PORT/metrics" 2>/dev/null \
        | awk '$1 == "switchboard_active_calls" { print $2; exit }') || true
    echo "${v:-null}"
}
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# ---------------------------------------------------------------------------- build
if [ -z "$BIN" ]; then
    TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
    BIN="$TARGET_DIR/release/switchboard"
    if [ "$BUILD" = 1 ]; then
        log "building the release binary (cargo build --release -p switchboard, target $TARGET_DIR)"
        (cd "$ROOT" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release -p switchboard --quiet) \
            || die "the build failed"
    fi
fi
[ -x "$BIN" ] || die "no binary at $BIN"

# File descriptors: each call holds 4 UDP sockets in the PBX.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
if [ "$NOFILE" != unlimited ] && [ "$NOFILE" -lt $((MEM_CALLS * 4 + 1000)) ]; then
    log "warning: ulimit -n is $NOFILE; $MEM_CALLS calls need about $((MEM_CALLS * 4 + 1000)) descriptors"
fi

for port in "$SIP_PORT" "$UAS_PORT" "$UAC_PORT"; do
    [ "$(udp_in_use "$port")" = 0 ] || die "UDP port $port is taken (set SB_BENCH_SIP_PORT)"
done

# ---------------------------------------------------------------------------- the actors
PBX_PID=""
UAS_PID=""
PHASE_DIR=""

start_pbx() {   # start_pbx NAME: a fresh PBX with an empty data directory
    PHASE_DIR="$WORK/$1"
    mkdir -p "$PHASE_DIR/data"
    RUST_LOG=${RUST_LOG:-warn} "$BIN" \
        --sip-listen "127.0.0.1:$SIP_PORT" --http-listen "127.0.0.1:$HTTP_PORT" \
        --rtp-ports "$RTP_PORTS" --data-dir "$PHASE_DIR/data" \
        >"$PHASE_DIR/pbx.log" 2>&1 &
    PBX_PID=$!
    PIDS+=("$PBX_PID")
    local i
    for ((i = 0; i < 100; i++)); do
        alive "$PBX_PID" || { cat "$PHASE_DIR/pbx.log" >&2; die "the PBX exited at start"; }
        [ "$(udp_in_use "$SIP_PORT")" != 0 ] && break
        sleep 0.1
    done
    [ "$(udp_in_use "$SIP_PORT")" != 0 ] || die "the PBX does not listen on $SIP_PORT"

    # One SIPp registered as extension 102 answers every call.
    (cd "$PHASE_DIR" && timeout 15 sipp "127.0.0.1:$SIP_PORT" -sf "$HERE/register.xml" \
        -i 127.0.0.1 -p "$UAS_PORT" -m 1 -nostdin \
        -key user 102 -key expires 3600 -au 102 -ap demo102 \
        >"$PHASE_DIR/register.out" 2>&1) || { tail -20 "$PHASE_DIR/register.out" >&2; die "registering 102 failed"; }
    (cd "$PHASE_DIR" && exec sipp -sf "$HERE/uas_answer.xml" -i 127.0.0.1 -p "$UAS_PORT" \
        -nostdin -buff_size 4194304 -key rtp_port 6002 \
        -trace_stat -stf "$PHASE_DIR/uas_stat.csv" -fd 1 -trace_err \
        >"$PHASE_DIR/uas.out" 2>&1) &
    UAS_PID=$!
    PIDS+=("$UAS_PID")
    sleep 0.5
    alive "$UAS_PID" || { tail -20 "$PHASE_DIR/uas.out" >&2; die "the SIPp callee did not start"; }
}

stop_pbx() {
    [ -n "$UAS_PID" ] && stop_pid "$UAS_PID" 3
    [ -n "$PBX_PID" ] && stop_pid "$PBX_PID" 5
    UAS_PID=""
    PBX_PID=""
}

UAC_PID=""
start_uac() {   # start_uac RATE CALLS TALK_MS LIMIT [extra sipp args]: the caller, 101 -> 102
    local rate=$1 calls=$2 talk=$3 limit=$4
    shift 4
    (cd "$PHASE_DIR" && exec sipp "127.0.0.1:$SIP_PORT" -sf "$HERE/uac_call.xml" \
        -i 127.0.0.1 -p "$UAC_PORT" -s 102 -au 101 -ap demo101 \
        -key user 101 -key rtp_port 6000 -nostdin -buff_size 4194304 \
        -r "$rate" -rp 1000 -m "$calls" -l "$limit" -d "$talk" -recv_timeout 10000 \
        -trace_stat -stf "$PHASE_DIR/uac_stat.csv" -fd 1 -trace_counts -trace_err \
        -trace_rtt "$@" \
        >"$PHASE_DIR/uac.out" 2>&1) &
    UAC_PID=$!
    PIDS+=("$UAC_PID")
}

UAC_RC=0
DROPS_MAX=0
DROPS_PBX=0 DROPS_UAS=0 DROPS_UAC=0
wait_uac() {    # wait_uac TIMEOUT_SECS: until the caller exits; tracks socket drops meanwhile
    local deadline=$(($(date +%s) + $1)) d
    DROPS_MAX=0 DROPS_PBX=0 DROPS_UAS=0 DROPS_UAC=0
    while alive "$UAC_PID"; do
        d=$(udp_drops "$SIP_PORT"); [ "$d" -gt "$DROPS_PBX" ] && DROPS_PBX=$d
        d=$(udp_drops "$UAS_PORT"); [ "$d" -gt "$DROPS_UAS" ] && DROPS_UAS=$d
        d=$(udp_drops "$UAC_PORT"); [ "$d" -gt "$DROPS_UAC" ] && DROPS_UAC=$d
        DROPS_MAX=$((DROPS_PBX + DROPS_UAS + DROPS_UAC))
        if [ "$(date +%s)" -ge "$deadline" ]; then
            log "the SIPp caller is still running after $1 s: stopping it"
            stop_pid "$UAC_PID" 2
            break
        fi
        sleep 0.5
    done
    UAC_RC=0
    wait "$UAC_PID" 2>/dev/null || UAC_RC=$?
}

uac_file() { ls "$PHASE_DIR"/uac_call_*_"$1" 2>/dev/null | head -1 || true; }

# Notes about a run: SIPp's own saturation, failures as SIPp saw them, the PBX's log.
notes_for() {   # notes_for CPU_UAC CPU_UAS
    local notes=()
    [ "$1" -ge 90 ] && notes+=("the SIPp caller used $1% of a core: the load generator is at its limit")
    [ "$2" -ge 90 ] && notes+=("the SIPp callee used $2% of a core: the load generator is at its limit")
    local errs
    errs=$("${ANALYZE[@]}" errors "$(uac_file errors.log)" 2>/dev/null || true)
    [ -n "$errs" ] && notes+=("caller errors: $errs")
    errs=$("${ANALYZE[@]}" errors "$(ls "$PHASE_DIR"/uas_answer_*_errors.log 2>/dev/null | head -1)" 2>/dev/null || true)
    [ -n "$errs" ] && notes+=("callee errors: $errs")
    errs=$("${ANALYZE[@]}" pbxlog "$PHASE_DIR/pbx.log" 2>/dev/null || true)
    [ -n "$errs" ] && notes+=("PBX log: $errs")
    local IFS=';'
    echo "${notes[*]}"
}

# One measured run of the caller at RATE for SECS seconds: prints the JSON record.
measured_run() {   # measured_run KIND RATE SECS TALK_MS [extra sipp args]
    local kind=$1 rate=$2 secs=$3 talk=$4
    shift 4
    local calls=$((rate * secs))
    local limit=$((rate * (talk / 1000 + 5) + 100))
    local t0 p0 s0 b0 u0 t1 p1 s1 b1 u1 c1 wall
    local th0 th1
    th0=$(thread_ticks "$PBX_PID")
    p0=$(cpu_ticks "$PBX_PID"); s0=$(cpu_ticks "$UAS_PID"); read -r b0 _ <<<"$(sys_ticks)"
    t0=$(now)
    start_uac "$rate" "$calls" "$talk" "$limit" "$@"
    u0=0
    # CPU is measured over the window in which calls are being created.
    sleep "$secs"
    p1=$(cpu_ticks "$PBX_PID"); s1=$(cpu_ticks "$UAS_PID"); u1=$(cpu_ticks "$UAC_PID")
    th1=$(thread_ticks "$PBX_PID")
    read -r b1 _ <<<"$(sys_ticks)"
    wall=$(elapsed "$t0")
    local cpu_pbx cpu_uas cpu_uac cpu_all cpu_other
    cpu_pbx=$(pct $((p1 - p0)) "$wall"); cpu_uas=$(pct $((s1 - s0)) "$wall"); cpu_uac=$(pct $((u1 - u0)) "$wall")
    cpu_all=$(pct $((b1 - b0)) "$wall")
    cpu_other=$((cpu_all - cpu_pbx - cpu_uas - cpu_uac))
    [ "$cpu_other" -lt 0 ] && cpu_other=0
    local busiest busiest_pct
    read -r busiest busiest_pct <<<"$(busiest_thread "$th0" "$th1" "$wall")"
    wait_uac $((talk / 1000 + 60 + secs / 2))
    local rss active_after
    rss=$(rss_kib "$PBX_PID")
    sleep 1
    active_after=$(active_calls)
    # Calls left in the PBX when the caller is done: do they go, and when?
    local cleared_secs=null left=$active_after i
    if [ "$active_after" != null ] && [ "$active_after" -gt 0 ]; then
        for ((i = 1; i <= 45; i++)); do
            sleep 1
            left=$(active_calls)
            if [ "$left" = 0 ]; then cleared_secs=$((i + 1)); break; fi
        done
    fi
    local uas_ok uas_failed uas_current
    read -r uas_ok uas_failed uas_current <<<"$("${ANALYZE[@]}" uas --stat "$PHASE_DIR/uas_stat.csv")"
    local notes
    notes=$(notes_for "$cpu_uac" "$cpu_uas")
    "${ANALYZE[@]}" uac --stat "$PHASE_DIR/uac_stat.csv" --counts "$(uac_file counts.csv)" \
        --rtt "$(uac_file rtt.csv)" --target "$calls" \
        kind="\"$kind\"" rate="$rate" secs="$secs" talk_ms="$talk" sipp_rc="$UAC_RC" \
        cpu_pbx="$cpu_pbx" cpu_uac="$cpu_uac" cpu_uas="$cpu_uas" cpu_other="$cpu_other" \
        udp_drops="$DROPS_MAX" udp_drops_pbx="$DROPS_PBX" udp_drops_uas="$DROPS_UAS" \
        udp_drops_uac="$DROPS_UAC" pbx_rss_kib="${rss:-0}" uas_failed="$uas_failed" \
        pbx_active_after="$active_after" pbx_active_cleared_secs="$cleared_secs" \
        pbx_active_left="$left" pbx_threads="$(echo "$th1" | wc -l)" \
        pbx_busiest_thread="\"$busiest\"" pbx_busiest_thread_cpu="$busiest_pct" \
        notes="$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$notes")"
}

# ---------------------------------------------------------------------------- phases
python3 -c 'import json,sys; print(json.dumps(dict(kind="meta", date=sys.argv[1], cores=int(sys.argv[2]), step_secs=int(sys.argv[3]), talk_ms=int(sys.argv[4]), sipp=sys.argv[5], rtp_ports=sys.argv[6], binary=sys.argv[7], commit=sys.argv[8])))' \
    "$(date '+%Y-%m-%d %H:%M')" "$CORES" "$STEP_SECS" "$TALK_MS" \
    "$(sipp -v 2>&1 | awk '/SIPp v/ { print $2; exit }' | tr -d ,)" "$RTP_PORTS" "$BIN" \
    "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" >>"$RESULTS"

phase_latency() {
    log "latency: $LAT_RATE calls/s for $STEP_SECS s, setup time INVITE (with credentials) -> 180"
    start_pbx latency
    local wire_pid="" wire_json="$PHASE_DIR/wire.json"
    if [ "$(id -u)" = 0 ]; then
        python3 "$HERE/wiretime.py" --port "$UAC_PORT" --out "$wire_json" >"$PHASE_DIR/wire.out" 2>&1 &
        wire_pid=$!
        PIDS+=("$wire_pid")
        local i
        for ((i = 0; i < 50; i++)); do
            grep -q ready "$PHASE_DIR/wire.out" 2>/dev/null && break
            sleep 0.1
        done
    else
        log "not root: no wire-level timing, only SIPp's (4 ms resolution)"
    fi
    local record
    record=$(measured_run latency "$LAT_RATE" "$STEP_SECS" "$TALK_MS" -rtt_freq 1)
    if [ -n "$wire_pid" ]; then
        kill -TERM "$wire_pid" 2>/dev/null || true
        wait "$wire_pid" 2>/dev/null || true
    fi
    python3 - "$record" "$wire_json" >>"$RESULTS" <<'EOF'
import json, sys
record = json.loads(sys.argv[1])
try:
    wire = json.load(open(sys.argv[2]))
    record["wire_setup"] = wire["setup"]
    record["wire_challenge"] = wire["challenge"]
    record["wire_answer"] = wire["answer"]
    record["wire_answered_without_180"] = wire["answered_without_180"]
except (OSError, ValueError, KeyError):
    pass
print(json.dumps(record))
EOF
    tail -1 "$RESULTS" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
w, s = r.get("wire_setup", {}), r.get("sipp_setup", {})
print("  completed %s/%s; setup wire p50 %s p99 %s max %s ms; SIPp p50 %s p99 %s ms; CPU pbx %s%% uac %s%% uas %s%%" % (
    r.get("succeeded"), r.get("attempted"), w.get("p50"), w.get("p99"), w.get("max"),
    s.get("p50"), s.get("p99"), r.get("cpu_pbx"), r.get("cpu_uac"), r.get("cpu_uas")))' >&2
    stop_pbx
}

# One round of the memory measure: builds MEM_CALLS concurrent calls, samples the PBX,
# lets the calls end.  Sets R_UP, R_HELD, R_FDS_HELD, R_AFTER, R_FDS_AFTER.
memory_round() {   # memory_round N
    rm -f "$PHASE_DIR"/uac_call_*_counts.csv "$PHASE_DIR"/uac_call_*_errors.log "$PHASE_DIR"/uac_call_*_rtt.csv
    start_uac "$MEM_RATE" "$MEM_CALLS" "$MEM_HOLD_MS" "$((MEM_CALLS + 10))" -rtt_freq 100
    local deadline=$(($(date +%s) + MEM_CALLS / MEM_RATE + 30)) counts
    R_UP=0
    while alive "$UAC_PID" && [ "$(date +%s)" -lt "$deadline" ]; do
        counts=$(uac_file counts.csv)
        if [ -n "$counts" ]; then
            R_UP=$("${ANALYZE[@]}" established --counts "$counts" 2>/dev/null || echo 0)
            [ "$R_UP" -ge "$MEM_CALLS" ] && break
        fi
        sleep 0.5
    done
    # The counts file is written once a second: let the last calls settle.
    sleep 2
    counts=$(uac_file counts.csv)
    R_UP=$("${ANALYZE[@]}" established --counts "$counts" 2>/dev/null || echo 0)
    R_HELD=$(rss_kib "$PBX_PID")
    R_FDS_HELD=$(fd_count "$PBX_PID")
    R_ACTIVE_HELD=$(active_calls)
    sleep 2
    local held2
    held2=$(rss_kib "$PBX_PID")
    [ "$held2" -gt "$R_HELD" ] && R_HELD=$held2
    log "  round $1: $R_UP calls up (the PBX counts $R_ACTIVE_HELD): RSS $((R_HELD / 1024)) MiB, $R_FDS_HELD fds; waiting for them to end"
    [ "$R_UP" -ge "$MEM_CALLS" ] || log "  warning: only $R_UP of $MEM_CALLS calls were up at the sample"
    wait_uac $((MEM_HOLD_MS / 1000 + 60))
    sleep 3
    R_AFTER=$(rss_kib "$PBX_PID")
    R_FDS_AFTER=$(fd_count "$PBX_PID")
    R_ACTIVE_AFTER=$(active_calls)
    log "  round $1: after the calls ended: RSS $((R_AFTER / 1024)) MiB, $R_FDS_AFTER fds, $R_ACTIVE_AFTER calls in the PBX"
}

phase_memory() {
    log "memory: $MEM_CALLS concurrent calls (built at $MEM_RATE calls/s, held $((MEM_HOLD_MS / 1000)) s), twice"
    start_pbx memory
    sleep 1
    local base fds_base
    base=$(rss_kib "$PBX_PID")
    fds_base=$(fd_count "$PBX_PID")
    log "  baseline after registration: RSS $((base / 1024)) MiB, $fds_base fds"
    memory_round 1
    local record
    record=$("${ANALYZE[@]}" uac --stat "$PHASE_DIR/uac_stat.csv" --counts "$(uac_file counts.csv)" \
        --target "$MEM_CALLS" kind='"memory"' calls_held="$R_UP" rss_base_kib="$base" \
        rss_held_kib="$R_HELD" rss_after_kib="$R_AFTER" fds_base="$fds_base" \
        fds_held="$R_FDS_HELD" fds_after="$R_FDS_AFTER" sipp_rc="$UAC_RC" \
        pbx_active_held="$R_ACTIVE_HELD" pbx_active_after="$R_ACTIVE_AFTER" \
        kib_per_call="$(awk -v b="$base" -v h="$R_HELD" -v n="$R_UP" 'BEGIN { if (n > 0) printf "%.1f", (h - b) / n; else print "null" }')")
    # A second round on the same PBX: if its RSS grows again by as much, memory leaks; if
    # it stays near the first round's, the allocator merely kept what it had.
    log "  waiting $MEM_SETTLE_SECS s for the PBX's per-call state (SIP transaction timers) to expire"
    sleep "$MEM_SETTLE_SECS"
    local settled
    settled=$(rss_kib "$PBX_PID")
    log "  RSS $((settled / 1024)) MiB"
    memory_round 2
    record=$(python3 -c '
import json, sys
r = json.loads(sys.argv[1])
r.update(round2_calls_held=int(sys.argv[2]), round2_rss_held_kib=int(sys.argv[3]),
         round2_rss_after_kib=int(sys.argv[4]), round2_fds_after=int(sys.argv[5]),
         round2_sipp_rc=int(sys.argv[6]), hwm_kib=int(sys.argv[7]), notes=sys.argv[8],
         round2_pbx_active_after=json.loads(sys.argv[9]), rss_settled_kib=int(sys.argv[10]))
print(json.dumps(r))' "$record" "$R_UP" "$R_HELD" "$R_AFTER" "$R_FDS_AFTER" "$UAC_RC" \
        "$(hwm_kib "$PBX_PID")" "$(notes_for 0 0)" "$R_ACTIVE_AFTER" "$settled")
    echo "$record" >>"$RESULTS"
    stop_pbx
}

STEP_VERDICT=""
rate_step() {   # rate_step RATE: one step; sets STEP_VERDICT to pass or fail
    local rate=$1
    log "rate step: $rate calls/s for $STEP_SECS s"
    local low=${RTP_PORTS%-*} high=${RTP_PORTS#*-}
    local need=$((rate * (TALK_MS + 1000) / 1000 * 4))
    if [ "$need" -gt $((high - low + 1)) ]; then
        log "  warning: $rate calls/s talking $TALK_MS ms need about $need RTP ports; the range has $((high - low + 1))"
    fi
    if [ "$NOFILE" != unlimited ] && [ "$need" -gt "$NOFILE" ]; then
        log "  warning: $rate calls/s need about $need descriptors in the PBX; ulimit -n is $NOFILE"
    fi
    start_pbx "rate-$rate"
    local record
    record=$(measured_run step "$rate" "$STEP_SECS" "$TALK_MS" -rtt_freq 100)
    record=$(python3 - "$record" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
target = r["rate"] * r["secs"]
attempted = r.get("attempted", 0)
succeeded = r.get("succeeded", 0)
r["success_pct"] = 100.0 * succeeded / target if target else 0.0
reasons = []
if attempted < target:
    reasons.append("only %d of %d calls attempted" % (attempted, target))
if succeeded * 1000 < target * 999:
    reasons.append("%.3f%% completed" % r["success_pct"])
achieved = r.get("achieved_rate")
if achieved is not None and achieved < 0.95 * r["rate"]:
    reasons.append("offered only %.0f calls/s" % achieved)
r["verdict"] = "pass" if not reasons else "fail"
extra = []
if r.get("pbx_active_after") not in (0, None):
    if r.get("pbx_active_cleared_secs") is not None:
        extra.append("%s calls still in the PBX 1 s after the caller finished, all gone %s s after" % (
            r["pbx_active_after"], r["pbx_active_cleared_secs"]))
    else:
        extra.append("%s calls still in the PBX 1 s after the caller finished, %s still there 46 s after" % (
            r["pbx_active_after"], r.get("pbx_active_left")))
if r.get("failed") and r.get("failure_points"):
    extra.append("where the caller's calls failed: " + ", ".join(r["failure_points"]))
if r.get("udp_drops"):
    extra.append("UDP datagrams dropped by the kernel (full receive buffer): PBX %s, SIPp callee %s, SIPp caller %s" % (
        r.get("udp_drops_pbx"), r.get("udp_drops_uas"), r.get("udp_drops_uac")))
if r.get("uas_failed"):
    extra.append("the SIPp callee failed %s calls" % r["uas_failed"])
reasons += extra
if reasons:
    r["notes"] = "; ".join(reasons + ([r["notes"]] if r.get("notes") else []))
print(json.dumps(r))
EOF
)
    echo "$record" >>"$RESULTS"
    STEP_VERDICT=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["verdict"])' "$record")
    python3 -c '
import json, sys
r = json.loads(sys.argv[1])
print("  %s: %s/%s completed (%.3f%%), offered %s cps, CPU pbx %s%% uac %s%% uas %s%% other %s%%, SIPp setup p99 %s ms" % (
    r["verdict"], r.get("succeeded"), r["rate"] * r["secs"], r["success_pct"], r.get("achieved_rate"),
    r.get("cpu_pbx"), r.get("cpu_uac"), r.get("cpu_uas"), r.get("cpu_other"), r.get("sipp_setup", {}).get("p99")))
print("  PBX: %s threads, the busiest (%s) at %s%% of a core; RSS %.0f MiB at the end" % (
    r.get("pbx_threads"), r.get("pbx_busiest_thread"), r.get("pbx_busiest_thread_cpu"), r.get("pbx_rss_kib", 0) / 1024.0))
if r.get("notes"):
    print("  notes: " + r["notes"])' "$record" >&2
    stop_pbx
}

phase_rate() {
    local last_pass="" first_fail="" rate
    for rate in $RATES; do
        rate_step "$rate"
        if [ "$STEP_VERDICT" = pass ]; then
            last_pass=$rate
        else
            first_fail=$rate
            break
        fi
    done
    local n
    for ((n = 0; n < BISECT; n++)); do
        [ -n "$first_fail" ] || break
        local low=${last_pass:-0} mid
        mid=$(((low + first_fail) / 2))
        [ $((first_fail - low)) -le 10 ] && break
        rate_step "$mid"
        if [ "$STEP_VERDICT" = pass ]; then last_pass=$mid; else first_fail=$mid; fi
    done
}

for phase in $PHASES; do
    case "$phase" in
        latency) phase_latency ;;
        memory) phase_memory ;;
        rate) phase_rate ;;
        *) die "unknown phase: $phase" ;;
    esac
done

"${ANALYZE[@]}" report "$RESULTS"
exit
}
