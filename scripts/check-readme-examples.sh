#!/usr/bin/env bash
# Runs the curl examples of README.md ("Try it") against a fresh controller started from this build on a
# free port (the examples' 127.0.0.1:9696 is rewritten to it), and prints each command's output.
# Usage: scripts/check-readme-examples.sh     (needs curl and jq; run npm run build first)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
(cd "$dir" && ALCOR_LISTEN="127.0.0.1:$port" ALCOR_SOUTHBOUND_LISTEN=127.0.0.1:0 ALCOR_METRICS_LISTEN=127.0.0.1:0 ALCOR_LOG_LEVEL=warn \
  exec node "$OLDPWD/dist/src/cli/alcor-server.js") > "$dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/" > /dev/null && break; sleep 0.1; done
awk '/^## Try it/{on=1} /^## Configuration/{on=0} on && /^```sh/{code=1; next} on && /^```/{code=0} code' README.md \
  | sed "s/127\.0\.0\.1:9696/127.0.0.1:$port/g" > "$dir/examples.sh"
bash -euo pipefail -x "$dir/examples.sh"
