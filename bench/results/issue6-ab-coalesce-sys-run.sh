#!/bin/bash
for i in 1 2 3; do
  for v in base cw; do
    case $v in base) dir=/tmp/ab-base;; cw) dir=/work/main;; esac
    node $dir/dist/bench/load.js --rooms 20 --duration 20 --warmup 5 --idle 0 --target tandem --seed 6202 --wait-quiet 90 --out /tmp/ab5/r20-$i-$v.json > /tmp/ab5/r20-$i-$v.txt 2>&1
    echo "20 $i $v done $(date +%T)" >> /tmp/ab5/progress
  done
done
