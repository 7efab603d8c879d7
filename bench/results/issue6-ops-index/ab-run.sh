#!/bin/bash
# The alternating A/B of benchmarks.md "Stop 15": base (164be1a, built in /tmp/ab-base) vs idx (this change).
cd /tmp
for workload in "m20 --rooms 20 --editors 10 --seed 6202" "low --rooms 2 --editors 4 --seed 6300"; do
  set -- $workload; name=$1; shift
  for i in 1 2 3; do
    for t in base idx; do
      if [ $t = base ]; then d=/tmp/ab-base; else d=/work/main; fi
      (cd $d && node dist/bench/load.js "$@" --cps 5 --duration 20 --warmup 5 --idle 0 --target tandem --wait-quiet 60 \
        --out /tmp/ab-res/$name-$t-$i.json > /tmp/ab-res/$name-$t-$i.txt 2>&1)
    done
  done
done
