"""The `kith` entry point itself: usage errors, user errors, a closed pipe."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["no-such-command"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_a_user_error_is_one_line_on_stderr_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["profile", "show", "424242", "--db", str(tmp_path / "w.duckdb")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: ") and "424242" in err and "Traceback" not in err


def test_a_reader_that_goes_away_gets_no_traceback(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    assert main(["demo", "--profiles", "50", "--days", "5", "--quiet", "--db", str(db)]) == 0
    script = f"import sys; from app.cli import main; sys.exit(main(['profiles', '--db', r'{db}']))"
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader leaves before the first line is written
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr
