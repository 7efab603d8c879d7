#!/bin/bash
node /tmp/ab-stream/dist/bench/reconnect-storm.js --clients 10000 --storm-timeout 300 --out /tmp/ab3/storm-base.json > /tmp/ab3/storm-base.txt 2>&1
echo "storm base done $(date +%T)" >> /tmp/ab3/progress
node /work/main/dist/bench/reconnect-storm.js --clients 10000 --storm-timeout 300 --out /work/main/bench/results/issue6-coalesce-reconnect-10000-2.json > /work/main/bench/results/issue6-coalesce-reconnect-10000-2.txt 2>&1
echo "storm cw2 done $(date +%T)" >> /tmp/ab3/progress
