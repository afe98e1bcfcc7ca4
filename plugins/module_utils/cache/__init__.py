# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a node's caches hold: prefix caches in the warm-cache volume and the models resident on disk."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type
