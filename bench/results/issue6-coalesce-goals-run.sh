#!/bin/bash
cd /work/main
node dist/bench/reconnect-storm.js --clients 10000 --storm-timeout 300 --out bench/results/issue6-coalesce-reconnect-10000.json > bench/results/issue6-coalesce-reconnect-10000.txt 2>&1
echo "reconnect done $(date +%T)" >> /tmp/ab3/progress
node dist/bench/load.js --rooms 100 --editors 10 --cps 5 --duration 30 --warmup 5 --rounds 2 --idle 0 --target both --seed 6202 --wait-quiet 120 --out bench/results/issue6-coalesce-100x10x5.json > bench/results/issue6-coalesce-100x10x5.txt 2>&1
echo "100 both r2 done $(date +%T)" >> /tmp/ab3/progress
