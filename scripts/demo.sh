#!/usr/bin/env bash
# The main job on local podman nodes: two systemd node containers and a model server, then the whole
# pipeline (probe, storage, models, placement, render, decision, activation, receipts, report) until a
# real llama-server answers /v1/completions on the node the pod was placed on.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$AGENT_MACHINE_REPO"

nodes=(am-demo-edge-1 am-demo-edge-2)
model_server=am-demo-models
export AGENT_MACHINE_NODE_NETWORK=am-demo-net
scripts/nodes.sh up "${nodes[@]}" "$model_server"

export AGENT_MACHINE_PROVIDER_IMAGE
AGENT_MACHINE_PROVIDER_IMAGE=$(scripts/provider-image.sh)
export AGENT_MACHINE_ARTIFACTS_DIR="$AGENT_MACHINE_REPO/artifacts"
export AGENT_MACHINE_DEMO_MODEL="$AGENT_MACHINE_ARTIFACTS_DIR/demo-model/tiny.gguf"
mkdir -p "$(dirname "$AGENT_MACHINE_DEMO_MODEL")"
# A tiny, seeded GGUF (llama architecture, random weights): real serving, noise text.
python tests/support/tiny_gguf.py "$AGENT_MACHINE_DEMO_MODEL" >/dev/null

run_id=demo-$(date -u +%Y%m%dT%H%M%SZ)
ansible-playbook -i demo/inventory.yml demo/site.yml -e agent_machine_run_id="$run_id"

report="$AGENT_MACHINE_ARTIFACTS_DIR/$run_id/report"
echo
sed -n '1,200p' "$report/report.md"
echo
echo "Evidence:  $AGENT_MACHINE_ARTIFACTS_DIR/$run_id/ (receipts per host, manifest.json, manifest.dsse.json)"
echo "Report:    $report/report.html"
echo "Verify it: ansible-playbook playbooks/verify.yml -e agent_machine_run_id=$run_id \\"
echo "             -e agent_machine_signing_key_file=$AGENT_MACHINE_ARTIFACTS_DIR/throwaway-signing-key.pem"
echo "Ask again: podman exec <node the pod was placed on> python3 -c 'import urllib.request as u; print(u.urlopen(\"http://127.0.0.1:18080/v1/completions\", b\"{\\\"prompt\\\": \\\"hi\\\"}\").read().decode())'"
echo "Nodes keep running for inspection; remove them with: scripts/nodes.sh down ${nodes[*]} $model_server"
