#!/usr/bin/env bash
# action.yml, step "setup": load the cached images when the cache hit, let `safe-install setup`
# build whatever is still missing (official Node base where a registry answers, else debootstrap),
# and save both images for the cache's post step when it missed.
set -euo pipefail
if [ "${SI_CACHE_HIT:-}" = true ] && [ -f "$SI_IMAGES" ]; then
  docker load -q -i "$SI_IMAGES" >&2
fi
image=$(safe-install setup)
if [ "${SI_CACHE:-}" = true ] && [ "${SI_CACHE_HIT:-}" != true ]; then
  docker save -o "$SI_IMAGES" safe-install-base:latest "$image"
fi
echo "image=$image" >> "$GITHUB_OUTPUT"
