#!/usr/bin/env bash
# The responsible manager's history lookup in a big call history: fills a fresh SQLite
# database with CALLS call records (default 10 million, a few minutes) and times LOOKUPS
# lookups of "who last had an answered call with this number" (three number forms each).
# Prints a table; the target is a p99 under 1 ms. A third argument DIR keeps the database
# there, and a later run with the same DIR only measures (filling 10 million calls takes
# most of an hour on a 2-core machine).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec cargo run --release --locked -p sb-store --example history_bench -- "${1:-10000000}" "${2:-20000}" ${3:+"$3"}
