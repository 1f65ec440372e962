#!/usr/bin/env bash
# Everything the slow suites need that is made, not committed: the boot loader kit and the fixture
# releases. Cached under .kit/ and .cache/; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "prepare: nothing to prepare yet"
