#!/bin/bash
for i in 3 4; do
  for v in cw base; do
    case $v in base) dir=/tmp/ab-base;; cw) dir=/work/main;; esac
    node $dir/dist/bench/load.js --rooms 20 --duration 20 --warmup 5 --idle 0 --target tandem --seed 6202 --wait-quiet 90 --out /tmp/ab3/r20-$i-$v.json > /tmp/ab3/r20-$i-$v.txt 2>&1
    echo "20 $i $v done $(date +%T)" >> /tmp/ab3/progress
  done
done
node /work/main/dist/bench/load.js --rooms 100 --duration 20 --warmup 5 --idle 0 --target both --seed 6202 --wait-quiet 90 --out /tmp/ab3/r100-cw-both.json > /tmp/ab3/r100-cw-both.txt 2>&1
echo "100 cw both done $(date +%T)" >> /tmp/ab3/progress
node /tmp/ab-base/dist/bench/load.js --rooms 100 --duration 20 --warmup 5 --idle 0 --target tandem --seed 6202 --wait-quiet 90 --out /tmp/ab3/r100-base.json > /tmp/ab3/r100-base.txt 2>&1
echo "100 base done $(date +%T)" >> /tmp/ab3/progress
