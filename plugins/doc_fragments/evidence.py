# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Options and attributes every evidence action shares (the options mirror EVIDENCE_ARGUMENT_SPEC in
    plugin_utils/receipts/settings.py). Use after ansible.builtin.action_common_attributes, whose
    attribute descriptions these support levels are merged into."""

    DOCUMENTATION = r"""
options:
  artifacts_dir:
    description:
      - Controller directory of the evidence.
      - Defaults to C(agent_machine_artifacts_dir), else C($AGENT_MACHINE_ARTIFACTS_DIR), else C(./artifacts).
    type: path
  run_id:
    description:
      - Name of the run's folder. Defaults to C(agent_machine_run_id), else C($AGENT_MACHINE_RUN_ID).
    type: str
  signing_key:
    description:
      - Ed25519 private key (PKCS#8 PEM), normally from a vaulted variable. Defaults to C(agent_machine_signing_key).
    type: str
  signing_key_file:
    description:
      - File holding the signing key. Defaults to C(agent_machine_signing_key_file), else C($AGENT_MACHINE_SIGNING_KEY_FILE).
    type: path
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: all
"""
