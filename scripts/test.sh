#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs the real SIP peers the integration tests
# drive (SIPp, baresip) when they are missing, checks formatting and lints, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-peers.sh
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
