"""machine_id filter: the id the probe gives a node, from its hostname."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.sourceos.agent_machine.plugins.filter.documents import FilterModule
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.document import machine_id as probe_id

MACHINE_ID = FilterModule().filters()["machine_id"]


@pytest.mark.parametrize("hostname", ["am-fleet-edge-1", "GPU_A100.example.com", "-odd-", "studio 07"])
def test_the_filter_names_a_node_as_its_probe_does(hostname):
    assert MACHINE_ID(hostname) == probe_id(hostname)
    assert MACHINE_ID(hostname).startswith("urn:srcos:agent-machine:machine:")


@pytest.mark.parametrize("value", ["", None, 7, ["node"]])
def test_anything_but_a_hostname_is_refused(value):
    with pytest.raises(AnsibleFilterError, match="machine_id: expected a hostname"):
        MACHINE_ID(value)
