"""The README's "Use from Python" example runs as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(os.environ.get("CONVO_README", Path(__file__).resolve().parents[3] / "README.md"))
MARK = "<!-- python-example"


def test_the_readme_python_example_runs(library_file: str, tmp_path: Path) -> None:
    text = README.read_text()
    found = re.search(re.escape(MARK) + r".*?-->\n```python\n(.*?)\n```", text, re.S)
    assert found, f"{README} has no Python example marked {MARK!r} in its 'Use from Python' section"
    script = tmp_path / "hello.py"
    script.write_text(found.group(1) + "\n")
    env = dict(os.environ, CONVO_LIBRARY=library_file)
    p = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "answered on a chat: CONVO_ECONFLICT 409 event 'answered' is not allowed in status 'in_progress'" in p.stdout
    assert "fired 1 timer(s): completed idle_timeout" in p.stdout
    assert re.search(r"^feed: \d+ status_changed completed$", p.stdout, re.M)
