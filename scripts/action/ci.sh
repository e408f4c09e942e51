#!/usr/bin/env bash
# action.yml, step "ci": run `safe-install ci` with the inputs, keep its exit code as an output
# (the SARIF upload runs first; the last step fails the job), and add the run's line to the step
# summary, under the Markdown summary the CLI itself writes there.
set -euo pipefail
cd "${GITHUB_WORKSPACE:-.}"
args=(ci "$SI_DIR" --mode "$SI_MODE" --report "$SI_REPORT" --sarif "$SI_SARIF")
if [ -n "${SI_POLICY:-}" ]; then
  # The project's own policy wins; the input is for projects that have none. It is passed with
  # --policy (ci checks it like any policy file), never copied into the checkout.
  existing=$(ls "$SI_DIR"/safe-install.config.json "$SI_DIR"/safe-install.config.yaml "$SI_DIR"/safe-install.config.yml 2>/dev/null || true)
  if [ -z "$existing" ]; then
    args+=(--policy "$SI_POLICY")
  elif [ "$(realpath "$SI_POLICY")" != "$(realpath "$existing")" ]; then
    echo "safe-install: warning: $SI_DIR has its own policy ($existing); the policy input is not used" >&2
  fi
fi
[ -z "${SI_FAIL_ON:-}" ] || args+=(--fail-on "$SI_FAIL_ON")
set +e
safe-install "${args[@]}"
code=$?
set -e
verdict=$(node -e 'try { console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).verdict) } catch { console.log("none") }' "$SI_REPORT")
{
  echo "exit-code=$code"
  echo "verdict=$verdict"
  [ ! -f "$SI_SARIF" ] || echo "sarif=$SI_SARIF"
} >> "$GITHUB_OUTPUT"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  printf '\n**safe-install** %s — verdict **%s**, exit code %s (mode %s), report `%s`\n' \
    "$(safe-install --version)" "$verdict" "$code" "$SI_MODE" "$SI_REPORT" >> "$GITHUB_STEP_SUMMARY"
fi
