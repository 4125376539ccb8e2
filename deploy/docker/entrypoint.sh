#!/bin/sh
# simfleet image entrypoint.
#   serve            the platform (ROLE=api|worker|all picks what this process does)
#   migrate          apply pending migrations and exit (the Kubernetes Job / compose one-shot);
#                    the compiled form of `npm run cli -- migrate`
#   cli <args...>    any other CLI command (create-user, ...)
#   simulator        the built-in 1NCE simulator alone (`npm run simulator`), for demo stacks
#   anything else    executed as given (a shell for debugging: `docker run -it IMAGE sh`)
# exec replaces the shell, so node is PID 1 and receives SIGTERM directly.
# The platform's heap is capped as `npm start` caps it (docs/performance.md, Memory): 384 MB of old
# generation, or SIMFLEET_HEAP_MB; a --max-old-space-size in NODE_OPTIONS is left to decide alone.
set -eu
APP_DIR="${SIMFLEET_APP_DIR:-/app}"
case " ${NODE_OPTIONS:-} " in
  *--max-old-space-size*) HEAP_FLAG="" ;;
  *) HEAP_FLAG="--max-old-space-size=${SIMFLEET_HEAP_MB:-384}" ;;
esac
case "${1:-serve}" in
  serve) if [ $# -gt 0 ]; then shift; fi; exec node $HEAP_FLAG "$APP_DIR/dist/src/main.js" "$@" ;;
  migrate) shift; exec node "$APP_DIR/dist/src/cli.js" migrate "$@" ;;
  cli) shift; exec node "$APP_DIR/dist/src/cli.js" "$@" ;;
  simulator) shift; exec node "$APP_DIR/dist/src/simulator/main.js" "$@" ;;
  *) exec "$@" ;;
esac
