#!/bin/sh
# simfleet image entrypoint.
#   serve            the platform (ROLE=api|worker|all picks what this process does)
#   migrate          apply pending migrations and exit (the Kubernetes Job / compose one-shot);
#                    the compiled form of `npm run cli -- migrate`
#   cli <args...>    any other CLI command (create-user, ...)
#   simulator        the built-in 1NCE simulator alone (`npm run simulator`), for demo stacks
#   anything else    executed as given (a shell for debugging: `docker run -it IMAGE sh`)
# exec replaces the shell, so node is PID 1 and receives SIGTERM directly.
set -eu
APP_DIR="${SIMFLEET_APP_DIR:-/app}"
case "${1:-serve}" in
  serve) shift 2>/dev/null || true; exec node "$APP_DIR/dist/src/main.js" "$@" ;;
  migrate) shift; exec node "$APP_DIR/dist/src/cli.js" migrate "$@" ;;
  cli) shift; exec node "$APP_DIR/dist/src/cli.js" "$@" ;;
  simulator) shift; exec node "$APP_DIR/dist/src/simulator/main.js" "$@" ;;
  *) exec "$@" ;;
esac
