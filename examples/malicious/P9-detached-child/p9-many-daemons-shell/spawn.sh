#!/bin/sh
# P9 at scale: forty detached sleepers that outlive the script (a swarm of "workers"). The sandbox
# kills them after the grace period; the report must show one finding with a count, not forty.
i=0
while [ $i -lt 40 ]; do
  setsid sleep 300 > /dev/null 2>&1 < /dev/null &
  i=$((i + 1))
done
exit 0
