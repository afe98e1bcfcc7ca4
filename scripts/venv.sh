#!/usr/bin/env bash
# Create .venv with the controller and test requirements. Reinstalls only
# when a requirements file changed (stamp = hash of the files).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$AGENT_MACHINE_REPO"

stamp=$(cat requirements.txt requirements-test.txt | sha256sum | cut -c1-16)
if [ -f .venv/.stamp ] && [ "$(cat .venv/.stamp)" = "$stamp" ]; then
  exit 0
fi
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >&2
.venv/bin/python -m pip install -q -r requirements-test.txt >&2
echo "$stamp" > .venv/.stamp
