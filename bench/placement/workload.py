# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Seeded placement workloads: a mixed fleet and a batch of AgentPods from tenants' agent sessions.

Fleet (shares of the machine count, kinds shuffled over the machine ids so
that id order favours no kind):

  ========  =====  ===========================================================
  m1         8 %   Asahi M1, 8 threads, 16 GiB unified memory (Vulkan)
  m2        12 %   Asahi M2, 8 threads, 24 GiB unified memory (Vulkan)
  gpu24     25 %   2-4 x 24 GiB CUDA GPUs, 64 threads, 128 GiB (half with Vulkan)
  gpu48     15 %   4-8 x 48 GiB CUDA GPUs, 128 threads, 512 GiB (half with Vulkan)
  gpu80     10 %   8 x 80 GiB CUDA GPUs, 224 threads, 1 TiB (half with Vulkan)
  edge      30 %   CPU only, x86_64 or aarch64, 16-32 threads, 64 GiB
  ========  =====  ===========================================================

Every machine has the models and hot-cache volume classes, all but a tenth
of the edge machines the warm cache; Asahi machines allow only the
llama.cpp provider, edge machines only loopback exposure; 1 % are
cordoned. Some popular models are already on disk (and some loaded), and
some workrooms' context packs already in a warm cache.

Pods: tenants own workrooms; a workroom uses one model, drawn Zipf(1.1)
over twelve 7B-70B-class models (GPU workrooms over all of them, Asahi and
flexible ones over those up to 14B), and a shared context pack of 1-2
segments (2k-12k tokens). Its agents run multi-step sessions: step ``k``
sends the pack plus the first ``k - 1`` turns (300-3000 tokens each), so
the context prefix grows and each step's prefix chain extends the last
one. Prefix digests chain the model digest, the parent prefix and the
segment, so a prefix cache is only ever reused for the same model. Pods
arrive in the order the session steps happen. Kinds of workroom: GPU
(45 %, CUDA required), Asahi (10 %, Vulkan required, Asahi or GPU
profiles) and flexible (45 %, CUDA wanted but not required: CPU fallback).
A tenth of the workrooms allow at most 2 of their pods on one machine.
"""

import copy
import hashlib
import json
import os
import random

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(REPO, "contracts", "examples")
URN = "urn:srcos:agent-machine:"
GIB = 1 << 30
GB = 10 ** 9
ZIPF_EXPONENT = 1.1
LLAMA_CPP = URN + "provider:llama-cpp"
VLLM = URN + "provider:vllm"

# name, file bytes, format
MODELS = (
    ("llama-3.1-8b-instruct-q4-k-m", 4.92 * GB, "gguf"),
    ("qwen2.5-7b-instruct-q4-k-m", 4.68 * GB, "gguf"),
    ("mistral-7b-instruct-q4-k-m", 4.37 * GB, "gguf"),
    ("qwen2.5-coder-14b-q4-k-m", 8.99 * GB, "gguf"),
    ("llama-3.1-8b-instruct-fp16", 16.1 * GB, "safetensors"),
    ("phi-3-medium-14b-q4-k-m", 8.57 * GB, "gguf"),
    ("qwen2.5-32b-instruct-q4-k-m", 19.9 * GB, "gguf"),
    ("codellama-34b-q4-k-m", 20.2 * GB, "gguf"),
    ("mixtral-8x7b-instruct-q4-k-m", 26.4 * GB, "gguf"),
    ("llama-3.1-70b-instruct-q4-k-m", 42.5 * GB, "gguf"),
    ("qwen2.5-72b-instruct-q4-k-m", 47.4 * GB, "gguf"),
    ("llama-3.1-70b-instruct-q8-0", 75.0 * GB, "gguf"),
)
SMALL_MODEL_BYTES = 10 * GB

# kind, share, arch choices, profile, threads choices, RAM GiB, GPU count choices, GPU GiB (None: unified)
NODE_KINDS = (
    ("m1", 0.08, ("aarch64",), "m1-asahi-linux", (8,), 16, (1,), None),
    ("m2", 0.12, ("aarch64",), "m2-asahi-linux", (8,), 24, (1,), None),
    ("gpu24", 0.25, ("x86_64",), "linux-gpu-node", (64,), 128, (2, 4), 24),
    ("gpu48", 0.15, ("x86_64",), "linux-gpu-node", (128,), 512, (4, 8), 48),
    ("gpu80", 0.10, ("x86_64",), "linux-gpu-node", (224,), 1024, (8,), 80),
    ("edge", 0.30, ("x86_64", "aarch64"), "linux-edge-node", (16, 32), 64, (), None),
)
WORKROOM_KINDS = (("gpu", 0.45), ("asahi", 0.10), ("flex", 0.45))


def digest(*parts):
    return "sha256:" + hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def _load(name):
    with open(os.path.join(EXAMPLES, name), encoding="utf-8") as handle:
        return json.load(handle)


def zipf_weights(count, exponent=ZIPF_EXPONENT):
    return [1.0 / (rank ** exponent) for rank in range(1, count + 1)]


class Model:
    def __init__(self, rank, name, size, fmt):
        self.rank = rank
        self.name = name
        self.size = int(size)
        self.format = fmt
        self.ref = "hf://sourceos-bench/%s/%s.%s" % (name, name, "gguf" if fmt == "gguf" else "safetensors")
        self.digest = digest("model", name)


class Workload:
    """Everything one placement run needs, as documents and the place_pods options."""

    def __init__(self, seed, machines, pods, inventories, loaded_models, volume_classes, scopes, cordoned, anti_affinity):
        self.seed = seed
        self.machines = machines
        self.pods = pods
        self.inventories = inventories
        self.loaded_models = loaded_models
        self.volume_classes = volume_classes
        self.scopes = scopes
        self.cordoned = cordoned
        self.anti_affinity = anti_affinity

    def options(self):
        return {
            "machines": self.machines, "inventories": self.inventories, "loaded_models": self.loaded_models,
            "volume_classes": self.volume_classes, "scopes": self.scopes, "cordoned": self.cordoned,
            "anti_affinity": self.anti_affinity,
        }


# -- fleet -----------------------------------------------------------------------


def _kind_counts(nodes):
    counts = [int(round(share * nodes)) for _kind, share, *_rest in NODE_KINDS]
    counts[-1] = max(0, nodes - sum(counts[:-1]))
    return counts


def _device(index, kind, gpu_gib, vulkan_name):
    if gpu_gib is None:
        return {"index": 0, "type": "vulkan", "vendor": "apple", "vendorId": None, "deviceId": None, "name": vulkan_name,
                "uuid": None, "memoryBytes": None, "unifiedMemory": True, "computeCapability": None, "architecture": None,
                "pciAddress": None, "driver": "asahi", "renderNode": "/dev/dri/renderD128", "mig": None, "source": "device-tree+sysfs"}
    return {"index": index, "type": "cuda", "vendor": "nvidia", "vendorId": "0x10de", "deviceId": None,
            "name": "NVIDIA %d GB (%s)" % (gpu_gib, kind), "uuid": "GPU-%s-%d" % (kind, index), "memoryBytes": gpu_gib * GIB,
            "unifiedMemory": False, "computeCapability": "8.9", "architecture": None, "pciAddress": None, "driver": "nvidia",
            "renderNode": None, "mig": None, "source": "nvml"}


def machine_document(template, number, kind, rng):
    _name, _share, arches, profile, threads, ram_gib, gpu_counts, gpu_gib = kind
    document = copy.deepcopy(template)
    slug = "node-%04d" % number
    document["id"] = URN + "machine:" + slug
    document["host"]["hostname"] = slug
    document["host"]["arch"] = rng.choice(arches)
    document["cpu"]["threads"] = document["cpu"]["cores"] = rng.choice(threads)
    document["memory"]["totalBytes"] = document["memory"]["availableBytes"] = ram_gib * GIB
    gpus = rng.choice(gpu_counts) if gpu_counts else 0
    devices = [_device(index, kind[0], gpu_gib, "Apple %s GPU (AGX)" % kind[0].upper()) for index in range(gpus)]
    vulkan = gpu_gib is None and gpus > 0 or (gpus > 0 and rng.random() < 0.5)
    document["accelerators"]["devices"] = devices
    document["accelerators"]["nvidia"] = None
    document["accelerators"]["types"] = {"cpu": True, "cuda": gpu_gib is not None and gpus > 0, "rocm": False,
                                         "vulkan": bool(vulkan), "metal": False, "mlx": False}
    document["profile"] = {"name": profile, "evidence": ["synthetic %s machine of the placement benchmark" % kind[0]]}
    document["labels"] = {"agent-machine.sourceos.io/profile": profile}
    return document


def fleet(rng, nodes):
    """(machine documents, kind name per machine id)."""
    template = _load("agent-machine.json")
    kinds = []
    for kind, count in zip(NODE_KINDS, _kind_counts(nodes)):
        kinds += [kind] * count
    rng.shuffle(kinds)
    machines = [machine_document(template, number + 1, kind, rng) for number, kind in enumerate(kinds)]
    return machines, {machine["id"]: kind[0] for machine, kind in zip(machines, kinds)}


def _fleet_options(rng, machines, kind_of):
    volume_classes, scopes = {}, {}
    for machine in machines:
        kind = kind_of[machine["id"]]
        classes = ["agent-models", "agent-cache-hot", "agent-cache-warm"]
        if kind == "edge" and rng.random() < 0.1:
            classes.remove("agent-cache-warm")
        volume_classes[machine["id"]] = classes
        if kind in ("m1", "m2"):
            scopes[machine["id"]] = {"allowed": {"providerIds": [LLAMA_CPP]}}
        elif kind == "edge":
            scopes[machine["id"]] = {"allowed": {"networkExposure": ["none", "loopback"]}}
    cordoned = sorted(machine["id"] for machine in machines if rng.random() < 0.01)
    return volume_classes, scopes, cordoned


# -- workrooms and sessions -------------------------------------------------------


class Workroom:
    def __init__(self, ref, kind, model, pack, anti_affinity):
        self.ref = ref
        self.kind = kind
        self.model = model
        self.pack = pack  # [(digest, end token)]
        self.anti_affinity = anti_affinity


def _pick_model(rng, models, kind):
    choices = models if kind == "gpu" else [model for model in models if model.size <= SMALL_MODEL_BYTES]
    return rng.choices(choices, weights=zipf_weights(len(choices)))[0]


def workrooms(rng, models, tenants, per_tenant):
    rooms = []
    for tenant in range(tenants):
        for number in range(per_tenant):
            ref = "workroom:tenant-%03d/room-%d" % (tenant, number)
            kind = rng.choices([name for name, _share in WORKROOM_KINDS], weights=[share for _name, share in WORKROOM_KINDS])[0]
            model = _pick_model(rng, models, kind)
            parent, end, pack = model.digest, 0, []
            for segment in range(rng.choice((1, 2))):
                end += rng.randint(2000, 12000)
                parent = digest("prefix", parent, "%s/pack-%d" % (ref, segment))
                pack.append((parent, end))
            rooms.append(Workroom(ref, kind, model, pack, anti_affinity=rng.random() < 0.1))
    return rooms


def _session_steps(rng, room, session, start):
    """[(time, workroom, session name, step, prefix chain)] of one session."""
    chain = list(room.pack)
    parent, end = chain[-1]
    steps, when = [], start
    for step in range(1, rng.randint(2, 8) + 1):
        steps.append((when, room, session, step, list(chain)))
        end += rng.randint(300, 3000)
        parent = digest("prefix", parent, "%s/turn-%d" % (session, step))
        chain.append((parent, end))
        when += rng.expovariate(100.0)
    return steps


def sessions(rng, rooms, pods):
    """At least ``pods`` session steps in arrival order; busier workrooms (Zipf) run more sessions."""
    weights = zipf_weights(len(rooms), 0.8)
    events = []
    number = 0
    while len(events) < pods:
        room = rng.choices(rooms, weights=weights)[0]
        number += 1
        events += _session_steps(rng, room, "%s/session-%d" % (room.ref, number), rng.random())
    events.sort(key=lambda event: (event[0], event[2], event[3]))
    return events[:pods]


# -- pods --------------------------------------------------------------------------


def _accelerators(room):
    model = room.model
    if room.kind == "gpu":
        need = int(model.size * 1.1) + 2 * GIB
        count = 2 if need > 76 * GIB else 1
        return [{"type": "cuda", "required": True, "count": count, "memoryBytes": -(-need // count)}]
    need = int(model.size * 1.1) + GIB
    if room.kind == "asahi":
        return [{"type": "vulkan", "required": True, "count": 1, "memoryBytes": need}]
    return [{"type": "cuda", "required": False, "count": 1, "memoryBytes": need}]


def pod_document(template, number, event, rng):
    _when, room, _session, step, chain = event
    model = room.model
    document = copy.deepcopy(template)
    slug = "p%05d-s%d" % (number, step)
    document["id"] = URN + "pod:" + slug
    document["providerId"] = VLLM if model.format == "safetensors" else LLAMA_CPP
    document["workload"].update(name=slug, workroomRef=room.ref, agentIdentityRef="agent:%s" % room.ref.split(":", 1)[1])
    flexible = room.kind == "flex"
    document["resources"] = {
        "cpu": 4.0 if flexible else 2.0,
        "memoryBytes": int(model.size * 1.2) + 2 * GIB if flexible else (12 if room.kind == "gpu" else 4) * GIB,
        "accelerators": _accelerators(room),
    }
    document["ports"][0].update(hostPort=None, exposure="cluster" if rng.random() < 0.1 else "loopback")
    document["model"] = {"ref": model.ref, "digest": model.digest, "sizeBytes": model.size, "format": model.format}
    document["context"] = {"prefixDigests": [entry[0] for entry in chain], "prefixTokens": chain[-1][1],
                           "prefixTokenCounts": [entry[1] for entry in chain]}
    document["placement"] = {
        "architectures": [], "machineIds": [],
        "profiles": ["m1-asahi-linux", "m2-asahi-linux", "linux-gpu-node"] if room.kind == "asahi" else [],
    }
    return document


# -- what is already on the machines ------------------------------------------------


def _initial_residency(rng, machines, kind_of, models, rooms):
    inventories, loaded = [], {}
    packs = {}
    for room in rooms:
        if rng.random() < 0.3:
            for machine in rng.sample(machines, min(len(machines), rng.randint(1, 3))):
                packs.setdefault(machine["id"], []).extend(entry[0] for entry in room.pack)
    for machine in machines:
        kind = kind_of[machine["id"]]
        fits = [model for model in models if kind in ("gpu48", "gpu80") or model.size <= SMALL_MODEL_BYTES]
        held = []
        for _draw in range(rng.randint(0, 3)):
            model = rng.choices(fits, weights=zipf_weights(len(fits)))[0]
            if model not in held:
                held.append(model)
        inventories.append({
            "agentMachineId": machine["id"],
            "models": [{"ref": model.ref, "digest": model.digest, "sizeBytes": model.size, "onDisk": True} for model in held],
            "prefixes": [{"digest": entry} for entry in packs.get(machine["id"], [])],
        })
        if held and rng.random() < 0.5:
            loaded[machine["id"]] = [held[0].digest]
    return inventories, loaded


def generate(seed=7, nodes=200, pods=1000, tenants=None, workrooms_per_tenant=4):
    """A Workload of ``pods`` pods over ``nodes`` machines, the same for the same arguments."""
    rng = random.Random(seed)
    models = [Model(rank, name, size, fmt) for rank, (name, size, fmt) in enumerate(MODELS, 1)]
    machines, kind_of = fleet(rng, nodes)
    volume_classes, scopes, cordoned = _fleet_options(rng, machines, kind_of)
    rooms = workrooms(rng, models, tenants or max(2, pods // 50), workrooms_per_tenant)
    template = _load("agent-pod.json")
    documents = [pod_document(template, number + 1, event, rng) for number, event in enumerate(sessions(rng, rooms, pods))]
    inventories, loaded = _initial_residency(rng, machines, kind_of, models, rooms)
    anti_affinity = {room.ref: 2 for room in rooms if room.anti_affinity}
    return Workload(seed, machines, documents, inventories, loaded, volume_classes, scopes, cordoned, anti_affinity)
