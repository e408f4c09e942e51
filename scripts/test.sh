#!/usr/bin/env bash
# The README's second command, and exactly what CI runs: set up what the tests need (engine,
# images), then type-check, build and run every test — unit and end-to-end on the real engine.
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# The decoy tests check a planted SSH key with ssh-keygen.
command -v ssh-keygen >/dev/null 2>&1 || { need_root "installing openssh-client"; apt_install openssh-client; }
# The HTML report's browser test drives Debian's Chromium, headless (playwright-core, no download).
command -v chromium >/dev/null 2>&1 || { need_root "installing chromium"; apt_install chromium; }
# The approve command's interactive test drives it on a terminal made by tmux.
command -v tmux >/dev/null 2>&1 || { need_root "installing tmux"; apt_install tmux; }
# In CI a missing engine must fail the end-to-end tests, never skip them.
export SAFE_INSTALL_REQUIRE_DOCKER=1
pnpm test
