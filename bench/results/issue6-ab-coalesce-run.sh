#!/bin/bash
for i in 1 2; do
  for rooms in 20 50; do
    for v in base cw; do
      case $v in base) dir=/tmp/ab-base;; cw) dir=/work/main;; esac
      node $dir/dist/bench/load.js --rooms $rooms --duration 20 --warmup 5 --idle 0 --target tandem --seed 6202 --wait-quiet 90 --out /tmp/ab3/r$rooms-$i-$v.json > /tmp/ab3/r$rooms-$i-$v.txt 2>&1
      echo "$rooms $i $v done $(date +%T)" >> /tmp/ab3/progress
    done
  done
done
