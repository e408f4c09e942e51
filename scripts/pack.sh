#!/usr/bin/env bash
# Pack every published workspace package (packages/*) into one folder, as `pnpm publish` would:
# workspace:* ranges become the packed versions, and @safe-install/sandbox carries docker/ and the
# debootstrap recipe (its prepack). Install them together, and nothing comes from a checkout:
#
#   npm install -g [--prefix DIR] DIR/*.tgz     # then: safe-install setup && safe-install doctor
#
# Usage: bash scripts/pack.sh OUT_DIR   (build first: pnpm build). Prints the tarballs' paths.
source "$(dirname "$0")/lib.sh"
out=${1:?usage: pack.sh OUT_DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "$0")/.."
[ -f packages/cli/dist/main.js ] || die "packages/cli/dist is missing: run pnpm build first"
for dir in packages/*/; do
  (cd "$dir" && pnpm pack --pack-destination "$out" >/dev/null) || die "pnpm pack failed in $dir"
done
ls "$out"/*.tgz
