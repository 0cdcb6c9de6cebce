"""The README's curator example, run as written: its shell blocks go to bash against
`citykb serve` on a scratch SQLite database, with `TOKEN` a curator key made by
`citykb keys create`. Only the address changes, to the port the test server listens on."""

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2

from tests.factories import SOURCE_ID, SOURCE_TEXT, citykb, free_port

README = Path(__file__).resolve().parents[1] / "README.md"
README_ADDRESS = "http://127.0.0.1:8000"
DEADLINE_S = 60


def section(title: str) -> str:
    """The README's `## title` section, up to the next section of that level."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : None if end < 0 else end]


def blocks(text: str) -> list[tuple[str, str]]:
    """Each fenced block of `text`, in order: its language (empty for none) and its body."""
    return re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def curator_blocks() -> list[str]:
    """The shell blocks of "Curating" that write with a curator's `$TOKEN`, in README order."""
    return [
        body
        for language, body in blocks(section("Curating"))
        if language == "sh" and "$TOKEN" in body
    ]


def answer_after(text: str, marker: str) -> dict[str, Any]:
    """The JSON of the first plain block after `marker` in `text`."""
    _, after = text.split(marker, 1)
    (body,) = [body for language, body in blocks(after) if language == ""][:1]
    answer: dict[str, Any] = json.loads(body)
    return answer


@contextmanager
def serving(database: Path, log: Path) -> Iterator[str]:
    """`citykb serve` on `database` and a free port, once ready; its log goes to `log`."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(port)],
            # The access log (off unless asked for) shows what each block's requests got.
            env={
                **os.environ,
                "DATABASE_URL": f"sqlite:///{database}",
                "PREPARE_ON_START": "true",
                "ACCESS_LOG": "true",
            },
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + DEADLINE_S
            while True:
                try:
                    if httpx2.get(f"{base}/readyz", timeout=5).status_code == 200:
                        break
                except httpx2.TransportError:
                    pass
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the server did not become ready"
                time.sleep(0.1)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)


def run(block: str, base: str, **variables: str) -> str:
    """A README block run by bash, as a reader would paste it, against the test server."""
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", block.replace(README_ADDRESS, base)],
        env={**os.environ, **variables},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, block + result.stdout + result.stderr
    return result.stdout


def test_the_curating_examples_work_as_written(source_text: str, tmp_path: Path) -> None:
    database = tmp_path / "scratch.db"
    registered = citykb("sources", "text", SOURCE_ID, str(SOURCE_TEXT), database=database)
    assert registered.returncode == 0, registered.stderr
    created = citykb("keys", "create", "alice", "--scope", "curator", database=database)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("ckb_")

    create_district, correct_park, correct_figure = curator_blocks()
    assert "curl -sI" in correct_park
    assert "If-Match: $ETAG" in correct_park
    log = tmp_path / "serve.log"
    with serving(database, log) as base:
        created_answer = run(create_district, base, TOKEN=token)
        assert created_answer.startswith("HTTP/1.1 201"), created_answer

        park = f"{base}/api/v1/parks/west-taihu-ai-community"
        etag_before = httpx2.head(park, timeout=10).headers["etag"]
        corrected = json.loads(run(correct_park, base, TOKEN=token))
        assert corrected.get("id") == "west-taihu-ai-community", corrected
        assert corrected["district_id"] == "xi-tai-hu"
        assert httpx2.get(park, timeout=10).json()["district_id"] == "xi-tai-hu"

        # "The same If-Match again is refused": the block's PATCH with the ETag it sent.
        patch_again = correct_park.split("\n", 1)[1]
        refused = json.loads(run(patch_again, base, TOKEN=token, ETAG=etag_before))
        assert refused == answer_after(section("Curating"), "The same `If-Match` again")

        figure = json.loads(run(correct_figure, base, TOKEN=token))
        assert figure.get("id") == "songjianhu-pv-capacity", figure
        assert figure["label"] == "Installed photovoltaic capacity of the park"

    served = log.read_text()
    for answered in (
        '"POST /api/v1/districts HTTP/1.1" 201',
        '"PATCH /api/v1/parks/west-taihu-ai-community HTTP/1.1" 200',
        '"PATCH /api/v1/parks/west-taihu-ai-community HTTP/1.1" 412',
        '"PATCH /api/v1/figures/songjianhu-pv-capacity HTTP/1.1" 200',
    ):
        assert answered in served, served
