#!/usr/bin/env bash
# Runs every suite `npm test` promises: boundaries and types, Deno unit and relay tests, the
# browser tests (web-test-runner, headless Chromium), the end-to-end tests (Playwright against the
# real relay and the built PWA), and the simulator on the validation corpus. One throwaway Postgres
# (test/postgres.sh) serves the Postgres storage contract and the two-relay scale-out tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export DENO_NO_UPDATE_CHECK=1
start=$(date +%s)
step() { echo; echo "== $1 ($(( $(date +%s) - start ))s)"; }

bash test/ensure-chromium.sh
if [ -z "${WARDLINE_TEST_DATABASE_URL:-}" ]; then
  pg_env=$(bash test/postgres.sh start)
  eval "$pg_env"
  trap 'bash test/postgres.sh stop "$WARDLINE_TEST_PG_DIR"' EXIT
fi

step "boundaries and types"
node test/check-boundaries.mjs
npx tsc --noEmit -p tsconfig.json
npx tsc --noEmit -p build/tsconfig.json
deno check relay/main.ts test/sim/main.ts workers/core/client.ts tools/compliance-export.ts tools/compliance-verify.ts
deno lint --quiet

step "deno tests: crypto, relay (SQLite and Postgres), client engine"
deno test --allow-all --quiet crypto/ relay/ workers/core/ test/sim/ tools/

step "scale-out: two relay processes on one Postgres"
deno test --allow-all --quiet test/scale-out/

step "build the PWA"
npx vite build --logLevel warn

step "browser tests (web-test-runner, headless Chromium)"
npx web-test-runner

step "end-to-end (Playwright, Debian Chromium, real relay)"
npx playwright test -c test/e2e/playwright.config.ts

step "simulator on the validation set"
deno run --allow-all test/sim/main.ts --corpus test/fixtures/mts-dialog/validation.csv --seed 1

echo; echo "== all suites passed in $(( $(date +%s) - start ))s"
