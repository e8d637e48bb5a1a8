#!/bin/sh
# Stands in for /lambda-entrypoint.sh of AWS's Lambda base images, which integ/app/entrypoint.sh
# runs on Lambda: it takes the handler as its one argument, exports it as _HANDLER and execs the
# runtime interface client. Here the client is the aws-lambda-ric npm package at $RIC_ENTRYPOINT.
set -eu

if [ $# -ne 1 ]; then
  echo "entrypoint requires the handler name to be the first argument" >&2
  exit 142
fi
export _HANDLER="$1"
exec "${NODE_BIN:-node}" "$RIC_ENTRYPOINT"
