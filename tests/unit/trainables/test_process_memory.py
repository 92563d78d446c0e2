"""The trial process's collector: what the imports made is frozen once, garbage never is."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

# In a process of its own: the freeze is once per process, and this test's process may have frozen already.
SCRIPT = """
import gc
import weakref

from trainables.process_memory import freeze_what_the_imports_made, release_freed_memory


class Node:
    pass


def cyclic_garbage():  # a reference to a cycle that nothing else holds: only a collection frees it
    node = Node()
    node.itself = node
    return weakref.ref(node)


gc.disable()  # only the calls below collect
made_before = cyclic_garbage()
freeze_what_the_imports_made()
assert made_before() is None, "garbage made before the freeze was kept for good"
frozen = gc.get_freeze_count()
assert frozen > 1000, frozen
freeze_what_the_imports_made()
assert gc.get_freeze_count() == frozen, "a second trial in the process froze again"
made_after = cyclic_garbage()
release_freed_memory()
assert made_after() is None, "garbage made after the freeze outlived the trial's collection"
print("ok")
"""


def test_the_imports_are_frozen_once_and_garbage_on_either_side_is_collected():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
