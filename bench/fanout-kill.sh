#!/usr/bin/env bash
# Issue 12, finding 9: a `procure worker` killed with SIGKILL during a fan-out to BENCH_VENDORS
# (1,503) vendors on PostgreSQL, a second worker started at once; prints how long after the kill
# the fan-out was taken over and finished and the last message reached the aiosmtpd sink, and
# whether any vendor got no message or two. The harness is the bench target
# crates/procure/benches/fanout_kill.rs, built in the test profile (no release build needed: it
# measures the claim's lease, not speed); PROCURE_TEST_BIN picks the binary under test, e.g. an
# older build to compare, and BENCH_JOB_LEASE the workers' JOB_LEASE (302 s was a fan-out's lease
# before claims were renewed). Loopback only; bounded (600 s after the kill at most).
# Needs TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) and aiosmtpd.
# Usage: bench/fanout-kill.sh   (results go to bench/out/fanout-kill.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out; mkdir -p "$out"
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
# Builds the harness and, with it, this build's binary (the test profile, as `cargo test` does).
cargo test --locked -q --workspace --bench fanout_kill --no-run 2>/dev/null
bin=${PROCURE_TEST_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/debug/procure}
echo "== $("$bin" version) ($bin)" | tee "$out/fanout-kill.txt"
PROCURE_TEST_BIN=$bin cargo test --locked -q --workspace --bench fanout_kill -- --bench 2>&1 \
  | grep -E "vendors|missed|panicked" | tee -a "$out/fanout-kill.txt"
