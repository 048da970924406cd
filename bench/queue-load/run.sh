#!/usr/bin/env bash
# The queue load benchmark of Switchboard: carrier calls through queue `sales` to SIPp
# agents that answer, at rising call rates; the highest rate with >= 99.9 % of the callers
# joined to an agent.  See bench/queue-load/README.md.
# Usage: bench/queue-load/run.sh [--quick] [--rates "20 50 100"] [--bisect N] ...
set -euo pipefail

# The whole script is one compound command, read before it runs: editing this file
# while a benchmark runs does not derail it.
{

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

# ---------------------------------------------------------------------------- settings
STEP_SECS=30                    # length of each rate step (calls are created for this long)
RATES="50 100 200 300 400 500 600 800 1000 1200 1500"
BISECT=2                        # extra steps between the last passing and first failing rate
TALK_MS=1000                    # how long an agent talks before hanging up
AGENTS=auto                     # agents in the queue; auto: enough for the step's rate
STRATEGY=round_robin            # the queue's strategy (see README: ring_all)
RING_TIMEOUT=5                  # the queue's ring_timeout (s)
WRAPUP=0                        # the queue's wrapup (s)
LINGER=45                       # how long to watch calls left in the PBX after a step (s)
DID=74950000001                 # the sales queue's DID in the demo
BUILD=1
KEEP=0
BIN=""
SIP_PORT=${SB_BENCH_SIP_PORT:-17160}   # the PBX; the agents' SIPp +2, the caller +4, HTTP +20
RTP_PORTS=${SB_BENCH_RTP_PORTS:-20000-39999}

usage() {
    cat <<EOF
Usage: bench/queue-load/run.sh [options]
  --quick            10 s steps, rates "50 100 200 400 600 800 1000", one bisection step
                     (a smoke run: 10 s steps overestimate the ceiling, see README.md)
  --rates "R1 R2 .." call rates (calls/s) to try, ascending (default: $RATES); the
                     search stops at the first failing step
  --bisect N         after the first failing step, N more steps halving the gap between
                     the last passing and the first failing rate (default $BISECT)
  --step-secs N      length of each step (default $STEP_SECS)
  --talk-ms N        how long an agent talks before hanging up (default $TALK_MS)
  --agents N|auto    agents in the queue (default auto: rate x (talk + 1 s) + 20, so
                     agents are not what runs out)
  --strategy S       the queue's strategy (default $STRATEGY)
  --ring-timeout N   the queue's ring_timeout in seconds (default $RING_TIMEOUT)
  --wrapup N         the queue's wrapup in seconds (default $WRAPUP)
  --linger N         when calls are left in the PBX after a step, watch them for up to
                     N more seconds to tell calls that end late from lost ones (default
                     $LINGER; 0: do not wait)
  --binary PATH      use this switchboard binary instead of building one
  --no-build         use the binary already built in \$CARGO_TARGET_DIR (or target/)
  --keep             keep the work directory (configs, logs, SIPp traces) and print its path
Environment: CARGO_TARGET_DIR, SB_BENCH_SIP_PORT (default 17160: the PBX; the agents'
SIPp +2, the caller +4, HTTP +20), SB_BENCH_RTP_PORTS (default 20000-39999), RUST_LOG
(the PBX's log level, default warn).
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --quick) STEP_SECS=10; RATES="50 100 200 400 600 800 1000"; BISECT=1 ;;
        --rates) RATES="$2"; shift ;;
        --bisect) BISECT="$2"; shift ;;
        --step-secs) STEP_SECS="$2"; shift ;;
        --talk-ms) TALK_MS="$2"; shift ;;
        --agents) AGENTS="$2"; shift ;;
        --strategy) STRATEGY="$2"; shift ;;
        --ring-timeout) RING_TIMEOUT="$2"; shift ;;
        --wrapup) WRAPUP="$2"; shift ;;
        --linger) LINGER="$2"; shift ;;
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
ANALYZE=(python3 "$HERE/analyze.py")

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v sipp >/dev/null || die "sipp is not installed (Debian: apt-get install sip-tester)"
command -v python3 >/dev/null || die "python3 is needed for the arithmetic"
command -v curl >/dev/null || log "warning: no curl: calls and agents left in the PBX are not checked"

# ---------------------------------------------------------------------------- cleanup
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sb-queue-load.XXXXXX")
RESULTS="$WORK/results.jsonl"
: >"$RESULTS"
PIDS=()

proc_state() {   # R, S, Z, ... or "gone"
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo gone; return; }
    stat=${stat##*) }
    echo "${stat%% *}"
}
alive() { local s; s=$(proc_state "$1"); [ "$s" != gone ] && [ "$s" != Z ]; }

stop_pid() {   # stop_pid PID [seconds]: TERM, then KILL after the grace time
    local pid=$1 grace=${2:-5} i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
        alive "$pid" || break
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
cpu_ticks() {    # utime + stime of a process (all threads), 0 when it is gone
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
    stat=${stat##*) }
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
sys_ticks() {    # busy jiffies of the whole machine
    awk '/^cpu / { idle = $5 + $6; total = 0; for (i = 2; i <= NF; i++) total += $i; print total - idle; exit }' /proc/stat
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
pct() {          # pct TICKS SECONDS: CPU % of one core
    awk -v t="$1" -v s="$2" -v hz="$CLK_TCK" 'BEGIN { if (s <= 0) print 0; else printf "%.0f", 100 * t / hz / s }'
}
udp_drops() {    # the kernel's drop counter of the UDP socket bound to 127.0.0.1:PORT
    awk -v a="$(printf '0100007F:%04X' "$1")" '$2 == a { d += $NF } END { print d + 0 }' /proc/net/udp
}
udp_in_use() { awk -v a="$(printf ':%04X' "$1")" 'substr($2, 9) == a { n++ } END { print n + 0 }' /proc/net/udp; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
active_calls() { # the PBX's gauge of calls in progress (/metrics), or null
    local v
    v=$(curl -s --max-time 2 "http://127.0.0.1:$HTTP_PORT/metrics" 2>/dev/null \
        | awk '$1 == "switchboard_active_calls" { print $2; exit }') || true
    echo "${v:-null}"
}
queue_view() {   # "waiting busy available" of queue sales (/api/queues), or "null null null"
    curl -s --max-time 2 "http://127.0.0.1:$HTTP_PORT/api/queues" 2>/dev/null | python3 -c '
import json, sys
try:
    q = [q for q in json.load(sys.stdin)["queues"] if q["name"] == "sales"][0]
    print(q["waiting"], q["busy"], q["available"])
except Exception:
    print("null null null")' 2>/dev/null || echo "null null null"
}

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

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)

for port in "$SIP_PORT" "$UAS_PORT" "$UAC_PORT"; do
    [ "$(udp_in_use "$port")" = 0 ] || die "UDP port $port is taken (set SB_BENCH_SIP_PORT)"
done

# ---------------------------------------------------------------------------- the actors
PBX_PID=""
UAS_PID=""
UAC_PID=""
STEP_DIR=""

agents_for() {   # agents_for RATE: the queue's size for a step
    if [ "$AGENTS" = auto ]; then
        local n=$(($1 * (TALK_MS + 1000) / 1000 + 20))
        [ "$n" -lt 20 ] && n=20
        echo "$n"
    else
        echo "$AGENTS"
    fi
}

start_office() {   # start_office NAME AGENTS: config, PBX, agents registered, the agents' SIPp
    local name=$1 agents=$2
    STEP_DIR="$WORK/$name"
    mkdir -p "$STEP_DIR/data"
    "$BIN" print-demo-config \
        | python3 "$HERE/make_config.py" --agents "$agents" --first 3000 \
            --trunk "127.0.0.1:$UAC_PORT" --strategy "$STRATEGY" \
            --ring-timeout "$RING_TIMEOUT" --wrapup "$WRAPUP" \
            --agents-csv "$STEP_DIR/agents.csv" >"$STEP_DIR/office.toml" \
        || die "could not write the configuration"
    "$BIN" check-config "$STEP_DIR/office.toml" >"$STEP_DIR/check.out" 2>&1 \
        || { cat "$STEP_DIR/check.out" >&2; die "the generated configuration is refused"; }

    RUST_LOG=${RUST_LOG:-warn} "$BIN" --config "$STEP_DIR/office.toml" \
        --sip-listen "127.0.0.1:$SIP_PORT" --http-listen "127.0.0.1:$HTTP_PORT" \
        --rtp-ports "$RTP_PORTS" --data-dir "$STEP_DIR/data" \
        >"$STEP_DIR/pbx.log" 2>&1 &
    PBX_PID=$!
    PIDS+=("$PBX_PID")
    local i
    for ((i = 0; i < 100; i++)); do
        alive "$PBX_PID" || { cat "$STEP_DIR/pbx.log" >&2; die "the PBX exited at start"; }
        [ "$(udp_in_use "$SIP_PORT")" != 0 ] && break
        sleep 0.1
    done
    [ "$(udp_in_use "$SIP_PORT")" != 0 ] || die "the PBX does not listen on $SIP_PORT"

    # Every agent registers from the agents' port: one SIPp answers for all of them.
    (cd "$STEP_DIR" && timeout $((agents / 100 + 30)) sipp "127.0.0.1:$SIP_PORT" \
        -sf "$HERE/register_agents.xml" -inf "$STEP_DIR/agents.csv" \
        -i 127.0.0.1 -p "$UAS_PORT" -m "$agents" -r 500 -l 100 -nostdin \
        -key expires 3600 -trace_err \
        >"$STEP_DIR/register.out" 2>&1) \
        || { tail -20 "$STEP_DIR/register.out" >&2; die "registering the agents failed"; }
    local view
    read -r _ _ view <<<"$(queue_view)"
    if [ "$view" != null ] && [ "$view" -lt "$agents" ]; then
        die "only $view of $agents agents are available after registering"
    fi
    (cd "$STEP_DIR" && exec sipp -sf "$HERE/agent_answer_bye.xml" -i 127.0.0.1 -p "$UAS_PORT" \
        -nostdin -buff_size 4194304 -key rtp_port 6002 -d "$TALK_MS" \
        -trace_stat -stf "$STEP_DIR/agents_stat.csv" -fd 1 -trace_err \
        >"$STEP_DIR/agents.out" 2>&1) &
    UAS_PID=$!
    PIDS+=("$UAS_PID")
    sleep 0.5
    alive "$UAS_PID" || { tail -20 "$STEP_DIR/agents.out" >&2; die "the agents' SIPp did not start"; }
}

stop_office() {
    [ -n "$UAC_PID" ] && stop_pid "$UAC_PID" 2
    [ -n "$UAS_PID" ] && stop_pid "$UAS_PID" 3
    [ -n "$PBX_PID" ] && stop_pid "$PBX_PID" 5
    UAC_PID="" UAS_PID="" PBX_PID=""
}

start_caller() {   # start_caller RATE CALLS: the carrier calls the queue's DID
    local rate=$1 calls=$2
    local limit=$((rate * (TALK_MS / 1000 + 10) + 100))
    (cd "$STEP_DIR" && exec sipp "127.0.0.1:$SIP_PORT" -sf "$HERE/q_caller.xml" \
        -i 127.0.0.1 -p "$UAC_PORT" -s "$DID" -key user 79161234567 -key rtp_port 6000 \
        -nostdin -buff_size 4194304 -r "$rate" -rp 1000 -m "$calls" -l "$limit" \
        -recv_timeout $((TALK_MS + 20000)) \
        -trace_stat -stf "$STEP_DIR/caller_stat.csv" -fd 1 -trace_counts -trace_err \
        -trace_rtt -rtt_freq 1 \
        >"$STEP_DIR/caller.out" 2>&1) &
    UAC_PID=$!
    PIDS+=("$UAC_PID")
}

caller_file() { ls "$STEP_DIR"/q_caller_*_"$1" 2>/dev/null | head -1 || true; }
agents_file() { ls "$STEP_DIR"/agent_answer_bye_*_"$1" 2>/dev/null | head -1 || true; }

STEP_VERDICT=""
rate_step() {   # rate_step RATE: one step on a fresh PBX; sets STEP_VERDICT
    local rate=$1 agents
    agents=$(agents_for "$rate")
    local calls=$((rate * STEP_SECS))
    log "step: $rate calls/s for $STEP_SECS s ($calls calls), $agents agents ($STRATEGY), talk $TALK_MS ms"
    local low=${RTP_PORTS%-*} high=${RTP_PORTS#*-}
    local need=$((rate * (TALK_MS + 2000) / 1000 * 4))
    [ "$need" -gt $((high - low + 1)) ] && log "  warning: about $need RTP ports needed; the range has $((high - low + 1))"
    [ "$NOFILE" != unlimited ] && [ "$need" -gt "$NOFILE" ] && log "  warning: about $need descriptors needed; ulimit -n is $NOFILE"
    start_office "rate-$rate" "$agents"

    local p0 s0 b0 p1 s1 u1 b1 t0 wall th0 th1
    th0=$(thread_ticks "$PBX_PID")
    p0=$(cpu_ticks "$PBX_PID"); s0=$(cpu_ticks "$UAS_PID"); b0=$(sys_ticks)
    t0=$(now)
    start_caller "$rate" "$calls"
    # CPU is measured over the window in which calls are created; the queue is sampled
    # half-way through.
    sleep $((STEP_SECS / 2))
    local mid_waiting mid_busy mid_available
    read -r mid_waiting mid_busy mid_available <<<"$(queue_view)"
    sleep $((STEP_SECS - STEP_SECS / 2))
    p1=$(cpu_ticks "$PBX_PID"); s1=$(cpu_ticks "$UAS_PID"); u1=$(cpu_ticks "$UAC_PID"); b1=$(sys_ticks)
    th1=$(thread_ticks "$PBX_PID")
    wall=$(elapsed "$t0")
    local busiest busiest_pct
    read -r busiest busiest_pct <<<"$(busiest_thread "$th0" "$th1" "$wall")"
    local rss_peak_during
    rss_peak_during=$(rss_kib "$PBX_PID")

    # Until the caller is done: every call answered, talked and hung up, or timed out.
    local deadline=$(($(date +%s) + TALK_MS / 1000 + 60)) drops_pbx=0 drops_uas=0 drops_uac=0 d
    while alive "$UAC_PID"; do
        d=$(udp_drops "$SIP_PORT"); [ "$d" -gt "$drops_pbx" ] && drops_pbx=$d
        d=$(udp_drops "$UAS_PORT"); [ "$d" -gt "$drops_uas" ] && drops_uas=$d
        d=$(udp_drops "$UAC_PORT"); [ "$d" -gt "$drops_uac" ] && drops_uac=$d
        if [ "$(date +%s)" -ge "$deadline" ]; then
            log "  the SIPp caller is still running: stopping it"
            stop_pid "$UAC_PID" 2
            break
        fi
        sleep 0.5
    done
    local uac_rc=0
    wait "$UAC_PID" 2>/dev/null || uac_rc=$?
    UAC_PID=""
    local rss hwm
    rss=$(rss_kib "$PBX_PID"); hwm=$(hwm_kib "$PBX_PID")
    sleep 2
    local active_after waiting_after busy_after available_after
    active_after=$(active_calls)
    read -r waiting_after busy_after available_after <<<"$(queue_view)"
    # Calls still up may be ending late (a BYE retransmitted, a transaction timing out) or
    # lost (nothing will ever end them): watch them for up to LINGER seconds.
    local active_linger=$active_after busy_linger=$busy_after linger_secs=0 l0
    l0=$(now)
    while [ "$linger_secs" -lt "$LINGER" ] && { [ "$active_linger" != 0 ] || [ "$busy_linger" != 0 ]; } \
        && [ "$active_linger" != null ]; do
        sleep 1
        linger_secs=$((linger_secs + 1))
        active_linger=$(active_calls)
        read -r _ busy_linger _ <<<"$(queue_view)"
    done
    [ "$linger_secs" -gt 0 ] && log "  after $(elapsed "$l0") s more: $active_linger calls, $busy_linger agents busy"

    local record
    record=$("${ANALYZE[@]}" step --stat "$STEP_DIR/caller_stat.csv" \
        --counts "$(caller_file counts.csv)" --rtt "$(caller_file rtt.csv)" \
        --agents-stat "$STEP_DIR/agents_stat.csv" \
        --caller-errors "$(caller_file errors.log)" --agents-errors "$(agents_file errors.log)" \
        --pbx-log "$STEP_DIR/pbx.log" \
        rate="$rate" secs="$STEP_SECS" target="$calls" talk_ms="$TALK_MS" agents="$agents" \
        strategy="\"$STRATEGY\"" sipp_rc="$uac_rc" \
        cpu_pbx="$(pct $((p1 - p0)) "$wall")" cpu_agents="$(pct $((s1 - s0)) "$wall")" \
        cpu_caller="$(pct "$u1" "$wall")" cpu_all="$(pct $((b1 - b0)) "$wall")" \
        pbx_threads="$(echo "$th1" | wc -l)" pbx_busiest_thread="\"$busiest\"" \
        pbx_busiest_thread_cpu="$busiest_pct" \
        pbx_rss_kib="$rss" pbx_rss_mid_kib="$rss_peak_during" pbx_hwm_kib="$hwm" \
        udp_drops_pbx="$drops_pbx" udp_drops_agents="$drops_uas" udp_drops_caller="$drops_uac" \
        mid_waiting="$mid_waiting" mid_busy="$mid_busy" mid_available="$mid_available" \
        active_after="$active_after" waiting_after="$waiting_after" \
        busy_after="$busy_after" available_after="$available_after" \
        active_linger="$active_linger" busy_linger="$busy_linger" linger_secs="$linger_secs")
    echo "$record" >>"$RESULTS"
    STEP_VERDICT=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["verdict"])' "$record")
    "${ANALYZE[@]}" line "$record" >&2
    stop_office
}

python3 -c 'import json,sys; print(json.dumps(dict(kind="meta", date=sys.argv[1], cores=int(sys.argv[2]), step_secs=int(sys.argv[3]), talk_ms=int(sys.argv[4]), sipp=sys.argv[5], strategy=sys.argv[6], ring_timeout=int(sys.argv[7]), wrapup=int(sys.argv[8]), agents=sys.argv[9], binary=sys.argv[10], commit=sys.argv[11])))' \
    "$(date '+%Y-%m-%d %H:%M')" "$(nproc)" "$STEP_SECS" "$TALK_MS" \
    "$(sipp -v 2>&1 | awk '/SIPp v/ { print $2; exit }' | tr -d ,; true)" "$STRATEGY" "$RING_TIMEOUT" \
    "$WRAPUP" "$AGENTS" "$BIN" "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    >>"$RESULTS"

last_pass="" first_fail=""
for rate in $RATES; do
    rate_step "$rate"
    if [ "$STEP_VERDICT" = pass ]; then
        last_pass=$rate
    else
        first_fail=$rate
        break
    fi
done
for ((n = 0; n < BISECT; n++)); do
    [ -n "$first_fail" ] || break
    low=${last_pass:-0}
    [ $((first_fail - low)) -le 5 ] && break
    mid=$(((low + first_fail) / 2))
    rate_step "$mid"
    if [ "$STEP_VERDICT" = pass ]; then last_pass=$mid; else first_fail=$mid; fi
done

"${ANALYZE[@]}" report "$RESULTS"
exit
}
