#!/usr/bin/env bash
# Expose this checkout as ansible_collections/sourceos/agent_machine under
# .build/collections, the path ANSIBLE_COLLECTIONS_PATH points at.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
link="$AGENT_MACHINE_REPO/.build/collections/ansible_collections/sourceos/agent_machine"
mkdir -p "$(dirname "$link")"
[ -L "$link" ] || ln -sfn "$AGENT_MACHINE_REPO" "$link"
