#!/bin/bash
# Same-machine A/B: before = HEAD c933d68, frames = + shared frames, gc = + shared frames + group commit
for i in 1 2; do
  for rooms in 20 50; do
    for v in before frames gc; do
      case $v in before) dir=/tmp/ab-before; t=tandem;; frames) dir=/tmp/ab-frames; t=tandem;; gc) dir=/tmp/gc; t=both;; esac
      node $dir/dist/bench/load.js --rooms $rooms --duration 20 --warmup 5 --idle 0 --target $t --seed 6202 --wait-quiet 90 --out /tmp/ab2/r$rooms-$i-$v.json > /tmp/ab2/r$rooms-$i-$v.txt 2>&1
      echo "$rooms $i $v done $(date +%T)" >> /tmp/ab2/progress
    done
  done
done
