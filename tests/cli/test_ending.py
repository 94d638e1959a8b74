"""A finished command ends its process at once (``clvtui.cli.ending``): the answer whole, the
exit status right, the databases closed as the interpreter's teardown would have closed them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from clvtui.cli.ending import _flushed, end_process, exit_code

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def run(*args: str | Path, stdout: int | None = subprocess.PIPE) -> subprocess.CompletedProcess:
    """``python -m clvtui ARGS`` as the console script runs it (``main``)."""
    return subprocess.run(
        [sys.executable, "-m", "clvtui", *map(str, args)],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        env=os.environ | {"CLVTUI_DB": "/nonexistent/never-used.db"},
        check=False,
    )


def test_a_write_closes_the_database_and_prints_the_whole_answer(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    assert run("import", FIXTURES / "shopify_orders.csv", "--db", db).returncode == 0
    fitted = run("fit", "--db", db, "--json")
    assert fitted.returncode == 0, fitted.stderr
    report = json.loads(fitted.stdout)  # the whole document, flushed before the exit
    assert report["run_id"] == 1
    # the connection was closed, so SQLite checkpointed its log and removed it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop.db"]


def test_exit_statuses_are_kept(tmp_path: Path) -> None:
    typo = run("fit", "--no-such-option")
    assert typo.returncode == 2
    assert typo.stderr.startswith("error: ") and typo.stderr.count("\n") == 1
    refused = run("import", FIXTURES / "broken_binary.csv", "--db", tmp_path / "x.db")
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: ")
    version = run("--version")
    assert (version.returncode, version.stdout.startswith("clvtui ")) == (0, True)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_an_answer_that_cannot_be_written_fails_the_command() -> None:
    with open("/dev/full", "w") as full:
        done = run("--version", stdout=full.fileno())
    assert done.returncode == 1
    assert done.stderr == "error: the disk is full; free some space and try again\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_output_left_in_the_buffer_is_flushed_or_the_command_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a command printed but Python had not written yet is written before the end;
    when it cannot be (a full disk), the command fails with one line."""
    full = open("/dev/full", "w")  # noqa: SIM115  (closed below, where it fails again)
    monkeypatch.setattr(sys, "stdout", full)
    full.write("{}\n")  # buffered: the disk's refusal shows at the flush
    assert _flushed(0) == 1
    assert _flushed(1) == 1  # a command that failed already said why: once is enough
    monkeypatch.undo()
    with pytest.raises(OSError):  # the text is still in the buffer
        full.close()
    err = capsys.readouterr().err
    assert err == "error: could not write the output: No space left on device\n"


def test_exit_code_is_pythons() -> None:
    assert (exit_code(None), exit_code(0), exit_code(2)) == (0, 0, 2)


def test_exit_code_of_a_message_prints_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code("stopped") == 1
    assert capsys.readouterr().err == "stopped\n"


def test_a_thread_still_at_work_gets_the_ordinary_exit() -> None:
    """Another thread could be writing: the process then exits the ordinary way, which
    waits for it (here: SystemExit, not an immediate end of the test process)."""
    release = threading.Event()
    worker = threading.Thread(target=release.wait)
    worker.start()
    try:
        with pytest.raises(SystemExit) as done:
            end_process(3)
        assert done.value.code == 3
    finally:
        release.set()
        worker.join()
