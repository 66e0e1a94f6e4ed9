#!/bin/sh
# The gateway's start command, for `npm start` (npm's prestart builds dist/ first) and for the
# container's CMD: Node with the heap flags of scripts/heap-flags.sh, replaced by the gateway
# (exec), so that signals reach it and no shell stays behind.
set -eu
here=$(dirname "$0")
flags=$(sh "$here/heap-flags.sh")
# shellcheck disable=SC2086 # the flags are separate words
exec node $flags "$here/../dist/main.js" "$@"
