"""The README's TypeScript client type-checks, as written, against the types openapi-typescript
generates from the OpenAPI document (`tests/typescript/check.sh`).

The test needs Node.js and the pinned packages (`npm ci --prefix tests/typescript`, which reads
the npm registry, so the test command never runs it) and is skipped, saying so, without them.
`.ci/run` installs them before running the suite."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHECK = Path(__file__).parent / "typescript" / "check.sh"


def test_readme_typescript_client_type_checks() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are not installed here")
    if not (CHECK.parent / "node_modules").is_dir():
        pytest.skip("the TypeScript packages are not installed: npm ci --prefix tests/typescript")
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("the OpenAPI document is the same on every database: the SQLite run checks it")
    result = subprocess.run(
        ["bash", str(CHECK)],
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
