# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The later pods of a batch that continue a pod's context: its followers.

A pod's followers are the later pods of the batch, for the same model,
whose context starts with the pod's whole context: the next steps of its
session and, when its context is a workroom's context pack, the
workroom's later sessions. Once the pod runs on a machine its context is
cached there, and followers that go there too prefill only what they add.
Placement uses how many followers a pod has and how many tokens they add
to see past the pod itself: a machine that is cheap for this step but
slow to prefill (a CPU fallback) or too full for the steps after it can be
the dearer choice for the batch.
"""

from __future__ import annotations

import bisect

__all__ = ["Followers", "followers"]


class Followers:
    """``count`` later pods continue the context; together they add ``tokens`` tokens to it."""

    __slots__ = ("count", "tokens")

    def __init__(self, count=0, tokens=0.0):
        self.count = count
        self.tokens = tokens


def followers(pods):
    """Followers of each pod of the batch, in pod order.

    Later pods carrying a pod's last prefix digest (for the same model)
    contain its whole context, since digests chain; what they add is their
    context length minus the pod's. Suffix sums over each digest's carriers
    keep this linear in the total length of the contexts.
    """
    carriers = {}
    for position, pod in enumerate(pods):
        for digest in pod.prefix_digests:
            carriers.setdefault((pod.model_digest, digest), []).append(position)
    suffix_tokens = {}
    for key, positions in carriers.items():
        sums = [0.0] * (len(positions) + 1)
        for index in range(len(positions) - 1, -1, -1):
            sums[index] = sums[index + 1] + pods[positions[index]].prefix_tokens
        suffix_tokens[key] = sums
    result = []
    for position, pod in enumerate(pods):
        if not pod.prefix_digests:
            result.append(Followers())
            continue
        key = (pod.model_digest, pod.prefix_digests[-1])
        positions = carriers[key]
        after = bisect.bisect_right(positions, position)
        count = len(positions) - after
        result.append(Followers(count, suffix_tokens[key][after] - count * pod.prefix_ends[-1]))
    return result
