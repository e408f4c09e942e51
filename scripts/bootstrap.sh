#!/usr/bin/env bash
# Everything a run or a test needs, from a fresh Debian machine: a Docker engine, pnpm, the
# project's dependencies and build, the base image (debootstrap, no registry) and the sandbox
# image. Each step reuses what is already there, so running it again is cheap.
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

bash scripts/setup-docker.sh

pnpm_version=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if [ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]; then
  log "installing pnpm $pnpm_version"
  npm install -g --no-fund --no-audit "pnpm@$pnpm_version" >/dev/null
fi

log "pnpm install"
pnpm install --frozen-lockfile --reporter=silent
log "build"
pnpm build

if [ -z "${SI_BASE_IMAGE:-}" ]; then
  base_tag=$(bash scripts/build-base-image.sh)
  docker tag "$base_tag" safe-install-base:latest
  SI_BASE_IMAGE=safe-install-base:latest
fi
current=$(node packages/cli/dist/main.js image build --base "$SI_BASE_IMAGE")
# Each tracer or runner change makes a new image; keep only the one this checkout needs.
docker images safe-install-sandbox --format '{{.Repository}}:{{.Tag}}' | grep -vxF "$current" | xargs -r docker rmi >/dev/null 2>&1 || true
