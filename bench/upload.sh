#!/usr/bin/env bash
# Upload memory: peak RSS of `procure store-file` streaming a 10 MB and a 100 MB file into an
# S3-compatible server (moto, loopback). Streaming means the peak must not grow with the file.
# Usage: bench/upload.sh   (needs a release build and moto_server: pip install "moto[server]")
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/target/release/procure
[ -x "$bin" ] || { echo "build first: cargo build --release -p procure" >&2; exit 1; }
work=$(mktemp -d)
port=18855
moto_server -H 127.0.0.1 -p $port > /dev/null 2>&1 & moto=$!
trap 'kill $moto 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
curl -fs -X PUT "http://127.0.0.1:$port/bench" > /dev/null
export DATA_DIR=$work/data S3_BUCKET=bench S3_ENDPOINT=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=k AWS_SECRET_ACCESS_KEY=s RUST_LOG=warn
for mb in 10 100; do
  head -c "${mb}M" /dev/urandom > "$work/f$mb.bin"
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$work/rss" "$bin" store-file "$work/f$mb.bin" > /dev/null
  end=$(date +%s.%N)
  echo "${mb} MB: peak RSS $(cat "$work/rss") kB, $(echo "$end - $start" | bc) s"
done
