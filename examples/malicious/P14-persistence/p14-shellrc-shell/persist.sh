#!/bin/sh
# P14 in plain shell: make something run at every shell start and every hour. The line added is
# inert (a comment-only function); crontab is not installed in the sandbox, so that attempt fails.
line='nodeupd() { :; }; nodeupd # node update helper'
echo "$line" >> "$HOME/.bashrc"
echo "$line" >> "$HOME/.profile"
(crontab -l 2>/dev/null; echo '17 * * * * sh -c ":"') | crontab - 2>/dev/null
exit 0
