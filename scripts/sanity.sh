#!/usr/bin/env bash
# ansible-test sanity on a staged copy of the collection (ansible-test needs
# the path .../ansible_collections/sourceos/agent_machine and must not see
# .venv or .build). Works offline: see offline_get_pip below.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$AGENT_MACHINE_REPO"

# Staged outside the checkout: inside it, git would hide the ignored .build tree from ansible-test.
stage="${TMPDIR:-/tmp}/agent-machine-sanity/ansible_collections/sourceos/agent_machine"
rm -rf "$stage"
mkdir -p "$stage"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] || [ -L "$f" ] || continue
  mkdir -p "$stage/$(dirname "$f")"
  cp -P "$f" "$stage/$f"
done

# ansible-test bootstraps pip in its venvs with a script downloaded from a
# host that is not reachable here; it uses a cached copy when one exists.
# This stand-in installs pip with ensurepip (in a subprocess, so pip keeps
# the machine's index settings) and then installs what it was asked for.
offline_get_pip() {
  local tests_dir pip_version cache
  tests_dir=$(.venv/bin/python -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')
  pip_version=$(grep -oE "pip='[0-9.]+'" "$tests_dir/_internal/python_requirements.py" | head -n1 | cut -d"'" -f2)
  cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
  [ -f "$cache" ] && return 0
  mkdir -p "$(dirname "$cache")"
  cat > "$cache" <<'PY'
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
if args:
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
PY
}
offline_get_pip

cd "$stage"
ansible-test sanity --venv --python 3.11 --color no "$@"
