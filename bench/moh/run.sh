#!/usr/bin/env bash
# Music-on-hold load benchmark of Switchboard: N callers on one hold class at once, on one
# core; CPU per listener and the worst inter-packet gap. See bench/README.md.
# Usage: bench/moh/run.sh [--quick] [--listeners "100 250 500 1000 1500"] [--secs 10]
#                         [--warmup 2] [--wav PATH] [--pt 0|8|mix] [--pin]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

ARGS=()
for arg in "$@"; do
    case "$arg" in
        -h|--help)
            sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
            exit 0 ;;
        --quick) ARGS+=(--secs 3 --warmup 1) ;;
        *) ARGS+=("$arg") ;;
    esac
done

# Two sockets per listener (the sender's and the receiver's): 1,500 listeners need 3,000
# descriptors, more than the usual soft limit of 1,024.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

cd "$ROOT"
echo "building the example (release)..." >&2
cargo build --release -q -p sb-media --example moh_bench
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN="$TARGET/release/examples/moh_bench"

{
    echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "host:     $(uname -srm), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "uptime:   $(uptime)"
    echo "ulimit -n $(ulimit -n)"
} >&2

"$BIN" "${ARGS[@]}"
status=$?
echo "uptime after: $(uptime)" >&2
exit $status
