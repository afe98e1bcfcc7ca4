# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Classify a probed machine into one profile, keeping the evidence.

Rules, first match wins:
1. Apple Silicon under Linux (device tree ``apple,arm-platform`` or CPU
   implementer 0x61 with a real part): ``m2-asahi-linux`` for M2-class SoCs,
   ``m1-asahi-linux`` for M1-class SoCs.
2. A kubelet is configured: ``kubernetes-node``.
3. A GPU usable for inference (CUDA, ROCm, or a Vulkan device that is not
   software rendering): ``linux-gpu-node``.
4. Fedora Silverblue (ostree-booted Fedora, VARIANT_ID=silverblue):
   ``fedora-silverblue``.
5. os-release ID ``sourceos``: ``sourceos-workstation``.
6. Otherwise ``linux-edge-node``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

PROFILES = (
    "m2-asahi-linux",
    "m1-asahi-linux",
    "sourceos-workstation",
    "fedora-silverblue",
    "linux-gpu-node",
    "linux-edge-node",
    "kubernetes-node",
)

M1_CLASS_SOCS = ("apple,t8103", "apple,t6000", "apple,t6001", "apple,t6002")
M2_CLASS_SOCS = ("apple,t8112", "apple,t6020", "apple,t6021", "apple,t6022")
KUBELET_MARKERS = ("/var/lib/kubelet/config.yaml", "/etc/kubernetes/kubelet.conf")
INFERENCE_TYPES = ("cuda", "rocm", "vulkan")


def classify_profile(ctx, host, cpu, accelerators):
    """Return {"name", "evidence": [..]} for the probed machine."""
    for rule in (_asahi, _kubernetes, _gpu, _silverblue, _sourceos):
        verdict = rule(ctx, host, cpu, accelerators)
        if verdict is not None:
            return verdict
    return {"name": "linux-edge-node",
            "evidence": ["no Apple SoC, kubelet or inference accelerator found; CPU inference only"]}


def _asahi(ctx, host, cpu, accelerators):
    compatible = ((host or {}).get("deviceTree") or {}).get("compatible") or []
    on_apple_platform = "apple,arm-platform" in compatible
    parts = [p for p in (cpu or {}).get("parts") or [] if p.get("implementer") == "0x61" and p.get("part") not in (None, "0x000")]
    if not on_apple_platform and not parts:
        return None
    evidence = []
    if on_apple_platform:
        evidence.append("device tree compatible includes apple,arm-platform")
    if parts:
        names = ", ".join("%s %s x%s" % (p.get("part"), p.get("name") or "unknown", p.get("count")) for p in parts)
        evidence.append("CPU implementer 0x61 (Apple) parts: %s" % names)
    os_id = ((host or {}).get("os") or {}).get("id")
    if os_id:
        evidence.append("os-release ID=%s" % os_id)
    soc = (cpu or {}).get("soc") or {}
    soc_compatible = soc.get("compatible")
    if soc_compatible in M2_CLASS_SOCS:
        evidence.append("SoC %s (%s) is M2-class" % (soc_compatible, soc.get("name")))
        return {"name": "m2-asahi-linux", "evidence": evidence}
    if soc_compatible in M1_CLASS_SOCS:
        evidence.append("SoC %s (%s) is M1-class" % (soc_compatible, soc.get("name")))
        return {"name": "m1-asahi-linux", "evidence": evidence}
    ctx.warn("Apple Silicon detected but the SoC generation is unknown (%s); classified by other rules" % (soc_compatible or "no SoC compatible"))
    return None


def _kubernetes(ctx, host, cpu, accelerators):
    found = [path for path in KUBELET_MARKERS if ctx.exists(path)]
    if not found:
        return None
    return {"name": "kubernetes-node", "evidence": ["kubelet configuration present: %s" % ", ".join(found)]}


def _gpu(ctx, host, cpu, accelerators):
    devices = [d for d in (accelerators or {}).get("devices") or [] if d.get("type") in INFERENCE_TYPES]
    if not devices:
        return None
    evidence = ["%s accelerator %s (%s, source %s)" % (d.get("type"), d.get("name"), d.get("vendor"), d.get("source")) for d in devices]
    return {"name": "linux-gpu-node", "evidence": evidence}


def _silverblue(ctx, host, cpu, accelerators):
    os_release = (host or {}).get("os") or {}
    if os_release.get("id") != "fedora":
        return None
    if os_release.get("variantId") == "silverblue":
        return {"name": "fedora-silverblue", "evidence": ["os-release ID=fedora VARIANT_ID=silverblue"]}
    if ctx.exists("/run/ostree-booted"):
        return {"name": "fedora-silverblue", "evidence": ["os-release ID=fedora and /run/ostree-booted present"]}
    return None


def _sourceos(ctx, host, cpu, accelerators):
    os_release = (host or {}).get("os") or {}
    if os_release.get("id") == "sourceos" or "sourceos" in (os_release.get("idLike") or []):
        return {"name": "sourceos-workstation", "evidence": ["os-release ID=%s" % os_release.get("id")]}
    return None
