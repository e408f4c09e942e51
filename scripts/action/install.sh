#!/usr/bin/env bash
# action.yml, step "install": the CLI from the registry (SI_VERSION), or packed from the action's
# own source (SI_SOURCE) exactly as scripts/pack.sh packs it; then the images' cache key.
set -euo pipefail
if [ -n "${SI_VERSION:-}" ]; then
  npm install -g --no-fund --no-audit --loglevel=error "@safe-install/cli@$SI_VERSION"
else
  cd "$SI_SOURCE"
  pnpm_version=$(node -p 'require("./package.json").packageManager.split("@")[1]')
  if [ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]; then
    npm install -g --no-fund --no-audit --loglevel=error "pnpm@$pnpm_version"
  fi
  pnpm install --frozen-lockfile --reporter=silent
  pnpm build
  rm -rf "$SI_TEMP/safe-install-pack"
  bash scripts/pack.sh "$SI_TEMP/safe-install-pack" >/dev/null
  npm install -g --no-fund --no-audit --loglevel=error "$SI_TEMP"/safe-install-pack/*.tgz
fi
bin="$(npm prefix -g)/bin"
echo "$bin" >> "$GITHUB_PATH"
echo "cache-key=$("$bin/safe-install" image key)" >> "$GITHUB_OUTPUT"
echo "installed $("$bin/safe-install" --version) into $bin" >&2
