#!/bin/bash
# Stop 16 A/B: base = 304dbb9 (stop 15) built in /tmp/ab-base16, live = 06c736d (live grid,
# rate limits, SSO state and claims through Redis) in /work/main. Alternating, same seed.
run() { # $1 tree, $2 pair
  local d=/work/main; [ "$1" = base ] && d=/tmp/ab-base16
  (cd $d && node dist/bench/scale-out.js --modes single-redis,affinity --rooms 20 --seed 2026 --wait-quiet 60 \
    --out /work/main/bench/results/issue6-stop16-scale/scale-$1-$2.json > /work/main/bench/results/issue6-stop16-scale/scale-$1-$2.txt 2>&1)
}
for i in ${PAIRS:-1 2}; do for t in base live; do run $t $i; done; done
