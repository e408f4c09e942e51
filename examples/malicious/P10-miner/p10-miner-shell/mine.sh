#!/bin/sh
# P10 in plain shell: the command line of ua-parser-js 0.7.29's jsextension miner (xmrig with a
# stratum pool and a wallet), on a short busy loop instead of a miner. $0 is "xmrig".
sh -c 'end=$(( $(date +%s) + 3 )); while [ "$(date +%s)" -lt "$end" ]; do :; done' \
  xmrig -o stratum+tcp://pool.minexmr.invalid:4444 -a rx/0 -k --tls --donate-level 1 \
  -u 49ay9Aq2r3diJtEk3eeKKm7pc5R39AKnbYJZVqAd1UUmew6ZPX1ndfXQCT16v4trWp4erPyXtUQZTHGjbLXWQdBqLMxxYKH
exit 0
