"""Make the collection importable as ansible_collections.sourceos.agent_machine.

The tree is linked under .build/collections so tests import the same
package path Ansible uses, whether or not the collection is installed.
"""

import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS_DIR = os.path.join(REPO_ROOT, ".build", "collections")
_LINK = os.path.join(COLLECTIONS_DIR, "ansible_collections", "sourceos", "agent_machine")

if not os.path.lexists(_LINK):
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    os.symlink(REPO_ROOT, _LINK)
for entry in (COLLECTIONS_DIR, os.path.join(REPO_ROOT, "tests")):
    if entry not in sys.path:
        sys.path.insert(0, entry)


def pytest_configure(config):
    config.addinivalue_line("markers", "provider: real provider activation in a node container (slow)")
