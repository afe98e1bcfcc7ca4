# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error of the policy package: bad input, named by the option at fault."""

from __future__ import annotations

from ansible.errors import AnsibleError

__all__ = ["PolicyInputError"]


class PolicyInputError(AnsibleError):
    """An option that cannot be used as given; raised before any policy is evaluated.

    ``field`` is the option (``pod``, ``bundle_paths[1]``), ``detail`` what is
    wrong; the message reads ``<field>: <detail>``.
    """

    def __init__(self, field, detail):
        super().__init__("%s: %s" % (field, detail))
        self.field = field
        self.detail = detail
