"""Exports are safe writes: whole or not at all, 0600, never over a file or through a link
unless asked — through the real CLI on a real SQLite file, and killed mid-write in a child."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from clvtui.cli import app
from clvtui.demo import DemoParams, write_demo_export
from clvtui.errors import ClvError
from clvtui.insights.customer_lists import write_export
from clvtui.safewrite import PARTIAL_TAG, atomic_write, clean_stale
from tests.insights.conftest import CDNOW_SETTINGS, score_cdnow
from tests.insights.dbutil import save_scores

runner = CliRunner()


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exports") / "shop.db"
    save_scores(path, score_cdnow(CDNOW_SETTINGS), CDNOW_SETTINGS, "2026-02-01T00:00:00Z")
    return path


@pytest.fixture
def umask_022() -> Iterator[None]:
    """A permissive umask, as most users have: files would be 0644 unless made private."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def export(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["export", *args, "--db", str(db)])
    assert not (result.exception and not isinstance(result.exception, SystemExit)), result.exception
    return result.exit_code, result.stdout, result.stderr


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if PARTIAL_TAG in p.name)


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_is_user_only_and_replaces_only_with_force(
    db_path: Path, tmp_path: Path, umask_022: None, suffix: str
) -> None:
    target = tmp_path / f"all{suffix}"
    code, _, _ = export(db_path, "--all", "-o", str(target))
    assert code == 0 and mode(target) == 0o600
    target.write_bytes(b"the user's own file\n")
    target.chmod(0o644)
    before = sha(target)
    code, _, err = export(db_path, "--all", "-o", str(target))
    assert code == 1 and sha(target) == before
    assert "already exists; add --force" in one_error_line(err)
    code, _, _ = export(db_path, "--all", "-o", str(target), "--force")
    assert code == 0 and mode(target) == 0o600  # the replacement is private too
    back = pl.read_csv(target) if suffix == ".csv" else pl.read_excel(target)
    assert back.height == 2357
    assert leftovers(tmp_path) == []


def test_a_symlink_is_refused_and_its_target_untouched(db_path: Path, tmp_path: Path) -> None:
    victim = tmp_path / "notes.txt"
    victim.write_text("someone else's file\n")
    before = sha(victim)
    link = tmp_path / "list.csv"
    link.symlink_to(victim)
    for extra in ((), ("--force",)):
        code, _, err = export(db_path, "--all", "-o", str(link), *extra)
        assert code == 1 and "symbolic link" in one_error_line(err)
        assert sha(victim) == before and link.is_symlink()
    dangling = tmp_path / "gone.csv"
    dangling.symlink_to(tmp_path / "nowhere.csv")
    code, _, err = export(db_path, "--all", "-o", str(dangling), "--force")
    assert code == 1 and "symbolic link" in one_error_line(err)
    assert not (tmp_path / "nowhere.csv").exists()


def test_missing_folder_or_folder_target_is_one_line(db_path: Path, tmp_path: Path) -> None:
    code, _, err = export(db_path, "--all", "-o", str(tmp_path / "sub" / "dir" / "x.csv"))
    assert code == 1 and "does not exist (create it first)" in one_error_line(err)
    assert not (tmp_path / "sub").exists()  # nothing created on a typo
    (tmp_path / "d.csv").mkdir()
    code, _, err = export(db_path, "--all", "-o", str(tmp_path / "d.csv"), "--force")
    assert code == 1 and "not a file" in one_error_line(err)
    assert leftovers(tmp_path) == []


def test_a_failed_write_leaves_the_old_file_and_no_partial(tmp_path: Path) -> None:
    target = tmp_path / "x.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_write(target, force=True) as partial:
        partial.path.write_text("half of the new")
        partial.scratch()
        raise RuntimeError("the writer died")
    assert target.read_text() == "old\n" and leftovers(tmp_path) == []


def test_a_file_that_appears_during_the_write_is_not_clobbered(tmp_path: Path) -> None:
    target = tmp_path / "x.csv"
    with pytest.raises(ClvError, match="already exists"), atomic_write(target) as partial:
        partial.path.write_text("new\n")
        target.write_text("made meanwhile\n")
    assert target.read_text() == "made meanwhile\n" and leftovers(tmp_path) == []


def test_stale_partials_of_dead_writers_are_cleaned_live_ones_kept(tmp_path: Path) -> None:
    target = tmp_path / "x.csv"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    stale = tmp_path / f".x.csv{PARTIAL_TAG}{dead.stdout.strip()}-abcd.csv"
    stale.write_text("customer e-mails")
    (tmp_path / f"{stale.name}.d").mkdir()
    live = tmp_path / f".x.csv{PARTIAL_TAG}{os.getpid()}-beef.csv"
    live.write_text("an export in progress")
    other = tmp_path / f".y.csv{PARTIAL_TAG}{dead.stdout.strip()}-abcd.csv"
    other.write_text("another target's")
    assert len(clean_stale(target)) == 2
    assert leftovers(tmp_path) == sorted([live.name, other.name])


def test_demo_export_is_private(tmp_path: Path, umask_022: None) -> None:
    path = write_demo_export(tmp_path / "new" / "demo.csv", "shopify", DemoParams(n_customers=100))
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    before = sha(path)
    write_demo_export(path, "shopify", DemoParams(n_customers=100), seed=1)  # rebuilt
    assert sha(path) != before and mode(path) == 0o600 and leftovers(path.parent) == []


CHILD = """
import sys, polars as pl
from clvtui.insights.customer_lists import write_export
n = int(sys.argv[2])
frame = pl.DataFrame({"customer_id": [f"C{i:07d}" for i in range(n)],
                      "email": [f"person{i}@example.com" for i in range(n)],
                      "clv": [i / 7 for i in range(n)]})
write_export(frame, sys.argv[1], force=True)
"""


def start_export(target: Path, rows: int, tmpdir: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, TMPDIR=str(tmpdir))
    return subprocess.Popen([sys.executable, "-c", CHILD, str(target), str(rows)], env=env)


def wait_for(predicate, child: subprocess.Popen[bytes], what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 60
    while not predicate():
        assert child.poll() is None, f"the export ended before {what}"
        assert time.monotonic() < deadline, f"no {what} after 60 s"
        time.sleep(0.005)


@pytest.mark.parametrize(("suffix", "rows"), [(".csv", 3_000_000), (".xlsx", 200_000)])
def test_sigkill_during_an_export_keeps_the_previous_file(
    tmp_path: Path, suffix: str, rows: int
) -> None:
    out, tmp = tmp_path / "out", tmp_path / "systemp"
    out.mkdir()
    tmp.mkdir()
    target = out / f"list{suffix}"
    write_export(pl.DataFrame({"customer_id": ["old"], "clv": [1.0]}), target)
    before = sha(target)
    child = start_export(target, rows, tmp)
    if suffix == ".xlsx":  # the sheet's rows are streaming into a temp file beside the target
        wait_for(lambda: any(p.is_dir() and any(p.iterdir()) for p in out.iterdir()), child,
                 "xlsxwriter temp file")  # fmt: skip
    else:
        wait_for(lambda: bool(leftovers(out)), child, "partial file")
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert sha(target) == before  # the old list, whole
    assert list(tmp.iterdir()) == []  # nothing in the system temp folder
    left = leftovers(out)
    assert left and all(name.startswith(f".{target.name}{PARTIAL_TAG}") for name in left)
    assert all(mode(out / n) in (0o600, 0o700) for n in left)
    # the next export to the same file removes what the killed one left
    write_export(pl.DataFrame({"customer_id": ["new"], "clv": [2.0]}), target, force=True)
    assert leftovers(out) == [] and sha(target) != before


def test_sigterm_during_an_xlsx_export_removes_its_temp_files(tmp_path: Path) -> None:
    out, tmp = tmp_path / "out", tmp_path / "systemp"
    out.mkdir()
    tmp.mkdir()
    target = out / "list.xlsx"
    write_export(pl.DataFrame({"customer_id": ["old"], "clv": [1.0]}), target)
    before = sha(target)
    child = start_export(target, 200_000, tmp)
    wait_for(lambda: any(p.is_dir() and any(p.iterdir()) for p in out.iterdir()), child,
             "xlsxwriter temp file")  # fmt: skip
    child.send_signal(signal.SIGTERM)
    assert child.wait() == -signal.SIGTERM  # still terminated, as SIGTERM asks
    assert sha(target) == before and leftovers(out) == [] and list(tmp.iterdir()) == []


NAME_CHARS = st.characters(
    blacklist_categories=("Cs", "Cc"), blacklist_characters="/\\\x00"
)  # what a file name may hold on POSIX (control characters aside)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(stem=st.text(NAME_CHARS, min_size=1, max_size=60), long=st.booleans())
@example(stem="win-back [May] *?", long=False)  # glob characters
@example(stem=".hidden", long=False)
@example(stem="-rf ", long=True)
@example(stem="Müller & Söhne — 顧客", long=True)  # multi-byte near the limit
def test_any_file_name_is_written_whole_and_private(tmp_path: Path, stem: str, long: bool) -> None:
    """Spaces, accents, emoji, leading dots or dashes, names near the 255-byte limit."""
    if long:  # a name as long as the file system allows, with the suffix
        stem = (stem * 250).encode()[: 250 - len(".csv")].decode(errors="ignore")
    folder = Path(tempfile.mkdtemp(dir=tmp_path))  # hypothesis replays examples: a new one
    target = folder / f"{stem}.csv"
    frame = pl.DataFrame({"customer_id": ["=1+1", "b"], "clv": [1.5, 2.25]})
    assert write_export(frame, target) == target
    assert [p.name for p in folder.iterdir()] == [target.name]  # no partial left
    assert mode(target) == 0o600
    back = pl.read_csv(target.read_bytes())  # polars would take "[" in a path as a glob
    assert back["customer_id"].to_list() == ["'=1+1", "b"] and back["clv"].to_list() == [1.5, 2.25]
    with pytest.raises(ClvError, match="already exists"):
        write_export(frame, target)


def test_sigkill_of_the_export_command_then_every_command_works(
    db_path: Path, tmp_path: Path
) -> None:
    """The real ``clvtui export`` killed while its partial file exists: the old export is
    intact, the database passes integrity_check, and the next export cleans up."""
    import sqlite3

    target = tmp_path / "winback.xlsx"
    assert export(db_path, "--all", "-o", str(target))[0] == 0
    before = sha(target)
    env = dict(os.environ, TMPDIR=str(tmp_path / "systemp"))
    (tmp_path / "systemp").mkdir()
    cli = [sys.executable, "-m", "clvtui", "export", "--all", "-o", str(target), "--force",
           "--db", str(db_path)]  # fmt: skip
    for _attempt in range(5):  # the write lasts ~0.1 s: poll closely, retry if it was missed
        child = subprocess.Popen(cli, env=env, stdout=subprocess.DEVNULL)
        while child.poll() is None and not leftovers(tmp_path):
            time.sleep(0.001)
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            child.wait()
            break
        assert child.returncode == 0
        before = sha(target)  # it finished: its file is now "the previous one"
    else:
        pytest.fail("the export finished before it could be killed, 5 times")
    assert sha(target) == before and list((tmp_path / "systemp").iterdir()) == []
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    code, _, _ = export(db_path, "--all", "-o", str(target), "--force")
    assert code == 0 and leftovers(tmp_path) == [] and pl.read_excel(target).height == 2357


def _small_file_limit() -> None:  # in the child: files may not exceed 50 kB (a "full disk")
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_write_error_is_one_line_and_keeps_the_old_file(
    db_path: Path, tmp_path: Path, suffix: str
) -> None:
    target = tmp_path / f"all{suffix}"
    target.write_bytes(b"the previous export\n")
    result = subprocess.run(
        [sys.executable, "-m", "clvtui", "export", "--all", "-o", str(target), "--force",
         "--db", str(db_path)],
        preexec_fn=_small_file_limit, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 1
    line = one_error_line(result.stderr)
    assert f"cannot write {target}" in line and "too large" in line
    assert target.read_bytes() == b"the previous export\n" and leftovers(tmp_path) == []
