#!/usr/bin/env bash
# Runs the Dockerfile's steps outside a container (no container engine or base image is available
# in CI) and proves the result: same commands, same production-only install, the same entrypoint;
# then the staged image root starts in demo mode on a random port and becomes ready, its HEALTHCHECK
# command passes, SIGTERM stops it cleanly, and `migrate` works as a one-shot.
#
#   bash scripts/build-image-steps.sh            # builds with `npm run build` unless dist/ is current
#   SKIP_BUILD=1 bash scripts/build-image-steps.sh   # reuse an existing dist/ (CI builds just before)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/simfleet-image.XXXXXX")
DATA=$(mktemp -d "${TMPDIR:-/tmp}/simfleet-image-data.XXXXXX")
PID=""
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$STAGE" "$DATA"
}
trap cleanup EXIT
step() { printf '\n--> image step: %s\n' "$*"; }

# Each command below must also appear in the Dockerfile (checked here, so the two cannot drift).
for cmd in 'npm ci --no-audit --no-fund' 'npm run build' 'npm ci --omit=dev --no-audit --no-fund' 'COPY --from=build /app/dist ./dist' 'COPY deploy/docker/entrypoint.sh /usr/local/bin/simfleet'; do
  grep -qF -- "$cmd" Dockerfile || { echo "FATAL: Dockerfile no longer contains: $cmd" >&2; exit 1; }
done

# ---- build stage (the CI checkout already ran `npm ci`) ----
if [ "${SKIP_BUILD:-0}" != "1" ]; then
  step "npm run build"
  npm run build --silent
fi
[ -f dist/src/main.js ] || { echo "FATAL: dist/src/main.js missing; run npm run build" >&2; exit 1; }

# ---- prod-deps stage ----
step "npm ci --omit=dev --no-audit --no-fund (in $STAGE)"
cp package.json package-lock.json .npmrc "$STAGE/"
(cd "$STAGE" && npm ci --omit=dev --no-audit --no-fund --prefer-offline --loglevel=error)
for dev in vitest typescript tsx eslint; do
  if [ -e "$STAGE/node_modules/$dev" ]; then echo "FATAL: dev dependency $dev is in the production install" >&2; exit 1; fi
done

# ---- runtime stage ----
step "copy dist/ and the entrypoint"
cp -R dist "$STAGE/dist"
cp deploy/docker/entrypoint.sh "$STAGE/entrypoint.sh"
chmod 0755 "$STAGE/entrypoint.sh"
du -sh "$STAGE/node_modules" "$STAGE/dist" | sed 's/^/    /'

PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
export NODE_ENV=production HOST=127.0.0.1 PORT DATA_DIR="$DATA" SIMULATOR_PORT=0 SIMULATOR_FLEET_SIZE=20 LOG_LEVEL=warn
export SIMFLEET_APP_DIR="$STAGE"

step "entrypoint migrate (one-shot)"
# Run from another directory: the image's process must not depend on the checkout.
(cd / && "$STAGE/entrypoint.sh" migrate)

step "entrypoint serve on port $PORT"
(cd / && exec "$STAGE/entrypoint.sh" serve) &
PID=$!
ready=""
for _ in $(seq 1 480); do  # up to 4 min: a busy CI machine starts slowly
  if curl -fsS "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1; then ready=1; break; fi
  kill -0 "$PID" 2>/dev/null || break
  sleep 0.5
done
[ -n "$ready" ] || { echo "FATAL: the staged image did not become ready" >&2; exit 1; }
echo "    ready: $(curl -fsS "http://127.0.0.1:$PORT/health/ready")"

step "HEALTHCHECK command"
node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
if [ -d "$STAGE/dist/web" ]; then
  step "console is served from dist/web"
  curl -fsS "http://127.0.0.1:$PORT/" | grep -qi '<html' || { echo "FATAL: / does not serve the console" >&2; exit 1; }
else
  echo "    note: dist/web absent (no console build in this checkout)"
fi

step "SIGTERM drains and exits 0"
kill -TERM "$PID"
status=0
wait "$PID" || status=$?
PID=""
[ "$status" -eq 0 ] || { echo "FATAL: exit status $status after SIGTERM" >&2; exit 1; }
echo "image steps: OK"
