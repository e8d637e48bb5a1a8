#!/bin/sh
# One image, two ways to run. Lambda sets AWS_LAMBDA_RUNTIME_API in every execution environment:
# then hand over to the base image's runtime interface client, which calls lambda.handler with
# ALB events. Anywhere else (Fargate, docker run) serve plain HTTP on $PORT.
#
# LAMBDA_ENTRYPOINT and NODE_BIN exist so tests can substitute the two commands.
# The first argument, if any, overrides the Lambda handler (as the function's CMD would).
set -eu

app_dir=$(cd "$(dirname "$0")" && pwd)

if [ -n "${AWS_LAMBDA_RUNTIME_API:-}" ]; then
  exec "${LAMBDA_ENTRYPOINT:-/lambda-entrypoint.sh}" "${1:-lambda.handler}"
fi

exec "${NODE_BIN:-node}" "$app_dir/server.js"
