# shellcheck shell=bash
# Shared environment for every script and make target (sourced, not run).
AGENT_MACHINE_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export AGENT_MACHINE_REPO
export CONTAINERS_CONF="$AGENT_MACHINE_REPO/scripts/containers.conf"
export PODMAN_IGNORE_CGROUPSV1_WARNING=1
export LVM_SUPPRESS_FD_WARNINGS=1
export ANSIBLE_COLLECTIONS_PATH="$AGENT_MACHINE_REPO/.build/collections"
export ANSIBLE_CONFIG="$AGENT_MACHINE_REPO/ansible.cfg"
export PATH="$AGENT_MACHINE_REPO/.venv/bin:$PATH"
