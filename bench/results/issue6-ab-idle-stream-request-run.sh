#!/bin/bash
mkdir -p /tmp/ab4
for i in 1 2 3; do
  for v in base both stream; do
    case $v in base) dir=/tmp/ab-base;; both) dir=/work/main;; stream) dir=/tmp/ab-stream;; esac
    node $dir/dist/bench/load.js --rooms 0 --idle 10000 --target tandem --seed 6202 --wait-quiet 120 --out /tmp/ab4/idle-$i-$v.json > /tmp/ab4/idle-$i-$v.txt 2>&1
    echo "idle $i $v done $(date +%T)" >> /tmp/ab4/progress
  done
done
