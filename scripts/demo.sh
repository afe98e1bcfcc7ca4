#!/usr/bin/env bash
# The main job on local podman nodes: start two systemd node containers, run
# site.yml against them, and show what the collection learned and recorded.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$AGENT_MACHINE_REPO"

nodes=(am-demo-edge-1 am-demo-edge-2)
scripts/nodes.sh up "${nodes[@]}"

run_id=demo-$(date -u +%Y%m%dT%H%M%SZ)
export AGENT_MACHINE_ARTIFACTS_DIR="$AGENT_MACHINE_REPO/artifacts"
# A throwaway Ed25519 key signs the demo's evidence (the run says so);
# real fleets set agent_machine_signing_key from a vault.
ansible-playbook -i inventory/demo.yml playbooks/site.yml -e agent_machine_run_id="$run_id" \
  -e agent_machine_throwaway_signing_key=true

echo
echo "== What the probe found =="
for node in "${nodes[@]}"; do
  python3 - "$AGENT_MACHINE_ARTIFACTS_DIR/$run_id/$node/agent-machine/$node.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["document"]
rt, acc = d["runtime"], d["accelerators"]
types = ",".join(k for k, v in acc["types"].items() if v)
print("%-16s profile=%-16s arch=%s mem=%.1fGiB accel=%s podman=%s quadlet=%s lvm=%s cgroup=%s" % (
    d["host"]["hostname"], d["profile"]["name"], d["host"]["arch"], d["memory"]["totalBytes"] / 2**30, types,
    rt["podman"]["version"], rt["quadlet"]["available"], d["storage"]["lvm"]["available"], rt["cgroup"]["version"]))
print("    evidence: " + "; ".join(d["profile"]["evidence"]))
PY
  for receipt in "$AGENT_MACHINE_ARTIFACTS_DIR/$run_id/$node"/storage-receipt/*.json; do
    python3 - "$receipt" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["document"]
print("    storage: %s %s at %s options=%s mode=%s mismatches=%d" % (
    r["volumeClass"], r["backend"], r["mount"]["path"], ",".join(r["mount"]["options"]),
    (r["ownership"] or {}).get("mode"), len(r["mismatches"])))
PY
  done
done
echo
echo "Evidence:  $AGENT_MACHINE_ARTIFACTS_DIR/$run_id/ (receipts per host, manifest.json, manifest.dsse.json)"
echo "Verify it: ansible-playbook playbooks/verify.yml -e agent_machine_run_id=$run_id \\"
echo "             -e agent_machine_signing_key_file=$AGENT_MACHINE_ARTIFACTS_DIR/throwaway-signing-key.pem"
echo "Nodes keep running for inspection (podman exec -it am-demo-edge-1 bash); remove them with: scripts/nodes.sh down ${nodes[*]}"
