#!/bin/sh
# Prints the V8 heap flags the gateway starts with (scripts/start.sh), sized for a sidecar
# (docs/deploy.md "Memory"):
#   --max-old-space-size  half the container's memory limit, between 64 and 2048 MB;
#                         64 MB when there is no limit
#   --max-semi-space-size 8 MB (4 MB under a 192 MiB limit): the young generation, where almost
#                         every object of a request dies; smaller costs CPU in scavenges
# The limit is read from cgroup v2 (memory.max) or v1 (memory/memory.limit_in_bytes) under
# CGROUP_ROOT (default /sys/fs/cgroup). When NODE_OPTIONS already sets either flag, it prints
# nothing: the operator's choice wins.
#
#   scripts/heap-flags.sh [CGROUP_ROOT]
set -eu

root=${1:-/sys/fs/cgroup}
case "${NODE_OPTIONS:-}" in
  *--max-old-space-size* | *--max-semi-space-size*) exit 0 ;;
esac

limit=
if [ -r "$root/memory.max" ]; then
  limit=$(cat "$root/memory.max")
elif [ -r "$root/memory/memory.limit_in_bytes" ]; then
  limit=$(cat "$root/memory/memory.limit_in_bytes")
fi
# "max" (v2), a v1 "no limit" (~2^63) or anything not a plain number: no limit.
case "$limit" in '' | *[!0-9]*) limit= ;; esac
if [ -n "$limit" ] && [ "${#limit}" -gt 15 ]; then limit=; fi

if [ -z "$limit" ]; then
  old=64
  semi=8
else
  mib=$((limit / 1048576))
  old=$((mib / 2))
  [ "$old" -lt 64 ] && old=64
  [ "$old" -gt 2048 ] && old=2048
  semi=8
  [ "$mib" -lt 192 ] && semi=4
fi
echo "--max-old-space-size=$old --max-semi-space-size=$semi"
