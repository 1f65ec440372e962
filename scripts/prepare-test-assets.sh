#!/usr/bin/env bash
# Everything the slow suites need that is made, not committed: the boot loader kit (.kit/) and the
# fixture releases (.cache/fixtures/). Cached; safe to run again, also by several users at once
# (a lock serializes the builds). Needs the packages of scripts/install-system-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache
exec 9>.cache/prepare-test-assets.lock
flock 9
node scripts/kit/make-kit.mjs
npx tsx scripts/fixtures/make-fixtures.ts plain bootkit
