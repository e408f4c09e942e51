#!/bin/sh
# P11 in plain shell, Shai-Hulud's first step: find out whose npm token this is and what it may
# publish. Read-only calls only (the gateway refuses every registry API anyway); nothing is published.
user=$(npm whoami 2>/dev/null)
npm token list --json > /tmp/.npm-tokens 2>/dev/null
npm access list packages "${user:-me}" --json > /tmp/.npm-pkgs 2>/dev/null
exit 0
