# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Followers: the later pods that continue a pod's context, and how placement looks ahead with them."""

import pytest

from placement_cases import DECIDED_AT, classes_for, digest, gpu_machine, machine_id, pod
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.follow_on import followers
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.place import place_pods, prepare

PACK, TURN_1, TURN_2, OTHER_TURN = digest("pack"), digest("turn 1"), digest("turn 2"), digest("other turn")


def session(model="m", gib=10):
    """A session of three steps and a second session on the same pack, then a pod of another model on the pack."""
    return [
        pod("s1-1", model=model, accelerator_gib=gib, prefixes=[PACK], prefix_tokens=4000),
        pod("s1-2", model=model, accelerator_gib=gib, prefixes=[PACK, TURN_1], prefix_tokens=5000, token_counts=[4000, 5000]),
        pod("s1-3", model=model, accelerator_gib=gib, prefixes=[PACK, TURN_1, TURN_2], prefix_tokens=7000,
            token_counts=[4000, 5000, 7000]),
        pod("s2-2", model=model, accelerator_gib=gib, prefixes=[PACK, OTHER_TURN], prefix_tokens=4500, token_counts=[4000, 4500]),
        pod("x-1", model="other", accelerator_gib=gib, prefixes=[PACK], prefix_tokens=4000),
    ]


def test_followers_count_and_tokens():
    machines = [gpu_machine("a")]
    _engine, requests = prepare(session(), machines, volume_classes=classes_for(machines))
    found = [(item.count, item.tokens) for item in followers(requests)]
    assert found == [(3, 1000.0 + 3000.0 + 500.0), (1, 2000.0), (0, 0.0), (0, 0.0), (0, 0.0)]


def run(weight, machines, pods, **options):
    return place_pods(pods, machines, decided_at=DECIDED_AT, volume_classes=classes_for(machines),
                      parameters={"follow_on_weight": weight}, **options)


def test_a_session_starts_where_all_its_steps_fit():
    # "small" has the model loaded but one 24 GiB GPU holds only two of these pods; "big" holds them all.
    machines = [gpu_machine("small", gpus=1, gpu_gib=24), gpu_machine("big", gpus=4, gpu_gib=24)]
    pods = session()[:4]
    loaded = {machine_id("small"): [digest("model m")]}
    myopic = run(0.0, machines, pods, loaded_models=loaded)
    ahead = run(1.0, machines, pods, loaded_models=loaded)
    assert [d["agentMachineId"] for d in myopic["decisions"]] == [machine_id(s) for s in ("small", "small", "big", "big")]
    assert [d["agentMachineId"] for d in ahead["decisions"]] == [machine_id("big")] * 4
    assert ahead["summary"]["coldStartSeconds"]["total"] < myopic["summary"]["coldStartSeconds"]["total"]
    first = ahead["decisions"][0]
    small = [entry for entry in first["candidates"] if entry["agentMachineId"] == machine_id("small")][0]["cost"]
    assert small["followOnSeconds"] > first["cost"]["followOnSeconds"] > 0
    assert small["total"] == pytest.approx(sum(small[key] for key in (
        "downloadSeconds", "loadSeconds", "prefillSeconds", "followOnSeconds", "balance")), abs=1e-5)


def test_a_session_does_not_start_on_a_cpu_fallback_when_its_steps_would_stay_there():
    # The edge-like machine has the model loaded (no download, no load) but prefills on the CPU.
    machines = [gpu_machine("gpu", gpus=2), gpu_machine("cpu-only", gpus=0)]
    pods = [pod("s-%d" % step, required=False, accelerator_gib=8, model="m", prefixes=[digest("p%d" % n) for n in range(step)],
                prefix_tokens=3000 * step, token_counts=[3000 * (n + 1) for n in range(step)]) for step in range(1, 5)]
    loaded = {machine_id("cpu-only"): [digest("model m")]}
    assert run(0.0, machines, pods[:1], loaded_models=loaded)["decisions"][0]["agentMachineId"] == machine_id("cpu-only")
    ahead = run(1.0, machines, pods, loaded_models=loaded)["decisions"]
    assert [d["agentMachineId"] for d in ahead] == [machine_id("gpu")] * 4


def test_the_weight_zero_turns_it_off():
    machines = [gpu_machine("a")]
    decision = run(0.0, machines, session())["decisions"][0]
    assert all(entry["cost"]["followOnSeconds"] == 0.0 for entry in decision["candidates"])
