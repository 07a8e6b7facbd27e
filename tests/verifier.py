"""Running the outside verifier as a reader would: in a process of its own, with nothing
but Python, its one file and the site's public key."""

import os
import subprocess
import sys
from pathlib import Path

from stories.record import signing

SCRIPT = Path(__file__).resolve().parent.parent / "stories" / "record" / "outside_verifier.py"


def verify(live_server, *args, state=None):
    """Run the verifier as an outsider would, in its own process."""
    command = [
        sys.executable,
        "-I",
        str(SCRIPT),
        live_server.url,
        "--public-key",
        signing.public_key_hex(),
    ]
    if state is not None:
        command += ["--state", str(state)]
    result = subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": os.environ.get("PATH", "")},
    )
    return result
