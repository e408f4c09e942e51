#!/usr/bin/env bash
# Make a Docker engine answer: install Debian's docker.io when there is no engine binary, start
# dockerd when nothing answers, and wait until it does. Idempotent; a running engine is left alone.
source "$(dirname "$0")/lib.sh"

engine_answers() { docker info >/dev/null 2>&1; }

if engine_answers; then
  log "Docker engine already answers"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  need_root "installing Docker"
  apt_install docker.io
fi
command -v docker >/dev/null 2>&1 || die "docker CLI missing after install"

if [ -n "${DOCKER_HOST:-}" ]; then
  die "DOCKER_HOST=$DOCKER_HOST is set but the engine there does not answer"
fi

need_root "starting dockerd"
log "starting dockerd (log: /var/log/safe-install-dockerd.log)"
# setsid: the engine must outlive this script and the shell that ran it.
setsid dockerd >/var/log/safe-install-dockerd.log 2>&1 < /dev/null &

for _ in $(seq 1 60); do
  if engine_answers; then
    log "Docker engine answers ($(docker version --format '{{.Server.Version}}'))"
    exit 0
  fi
  sleep 1
done
tail -n 30 /var/log/safe-install-dockerd.log >&2 || true
die "dockerd did not answer within 60 s"
