#!/usr/bin/env bash
# pytest, treating "no tests collected" (exit 5) as a failure with a clear
# message: a suite that silently runs nothing must not pass.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$AGENT_MACHINE_REPO" || exit 2
python -m pytest -q "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests in: $*" >&2
fi
exit "$rc"
