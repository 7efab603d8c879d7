#!/bin/bash
# The alternating A/B of benchmarks.md "Stop 15" (snapshot cache when processes share the file):
# base = 34b51dc built in /tmp/ab-base2, cache = the change, in /work/main.
# Pairs 1-2 ran single-redis, split and affinity; pairs 3-4 single-redis and affinity only.
cd /tmp
run() { # $1 tree, $2 pair, $3 modes
  local d=/work/main; [ "$1" = base ] && d=/tmp/ab-base2
  (cd $d && node dist/bench/scale-out.js --modes "$3" --rooms 20 --seed 2026 --wait-quiet 60 \
    --out /tmp/ab-res2/scale-$1-$2.json > /tmp/ab-res2/scale-$1-$2.txt 2>&1)
}
for i in 1 2; do for t in base cache; do run $t $i single-redis,split,affinity; done; done
for i in 3 4; do for t in base cache; do run $t $i single-redis,affinity; done; done
