#!/bin/sh
# P3 in plain shell, through another name: hard-link the AWS credentials (and the npmrc) into an
# innocent-looking cache folder, read the links, then remove them. No open() of the credential
# paths themselves. Nothing is sent.
dir="$HOME/.cache/.fontconfig-state"
mkdir -p "$dir" || exit 0
ln "$HOME/.aws/credentials" "$dir/a" 2>/dev/null
ln "$HOME/.npmrc" "$dir/n" 2>/dev/null
cat "$dir/a" "$dir/n" 2>/dev/null | wc -c > /dev/null
rm -rf "$dir"
exit 0
