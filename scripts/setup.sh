#!/usr/bin/env bash
# The README's first command: set everything up, then install the example project with
# `safe-install ci` and show that its node_modules works on the host.
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

example=examples/webapp
log "safe-install ci $example"
node packages/cli/dist/main.js ci "$example" --report "$example/safe-install-report.json" --trace "$example/safe-install-trace.jsonl"
log "on the host: esbuild $("$example/node_modules/.bin/esbuild" --version), jest $("$example/node_modules/.bin/jest" --version)"
