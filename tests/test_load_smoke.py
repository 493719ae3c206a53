"""The load test in small: ``python -m benchmarks.load`` for a few seconds, on PostgreSQL only.

The whole of ``make load`` (see ``benchmarks/load/README.md``) at a smaller scale: two gunicorn
instances sharing a database of their own and a django-tasks-db mail worker, Locust with three visitors
and an agent for about ten seconds, the mail worker stopped and started again and the ESP failing for a
moment, then every check. PostgreSQL is not restarted here: it would end this test session's own
connections. The run has its own database on the test database's server, dropped at the end, and writes
its report to a temporary directory.
"""

import json
import os
import subprocess
import sys
from urllib.parse import quote

import pytest

pytestmark = pytest.mark.postgres

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def server_url():
    """The PostgreSQL server of the test database, as a URL without a database name."""
    from django.db import connection

    params = connection.settings_dict
    user = quote(params.get("USER") or "postgres", safe="")
    password = f":{quote(params['PASSWORD'], safe='')}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}"


def test_the_load_test_in_small_passes_every_check(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    command = [
        sys.executable, "-m", "benchmarks.load",
        "--server", server_url(),
        "--database", "wagtail_support_load_smoke",
        "--drop-database",
        "--users", "4", "--agents", "1",
        "--run-time", "10", "--requests", "400",
        "--pace", "0.1",
        "--faults", "worker,esp", "--outage", "2",
        "--web-workers", "1", "--threads", "2", "--mail-workers", "1",
        "--drain-timeout", "60",
        "--results-dir", str(tmp_path),
    ]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr

    report = json.loads((tmp_path / "load-latest.json").read_text())
    failed = [f"{c['name']}: {c['summary']}" for c in report["checks"] if not c["passed"]]
    assert result.returncode == 0 and not failed, f"{failed}\n{output[-4000:]}"
    names = {c["name"] for c in report["checks"]}
    assert {
        "no server errors",
        "submissions stored once with their attachments",
        "references unique",
        "no half-written ticket",
        "replies stored once",
        "every mail sent exactly once",
        "every mail asked for is recorded",
        "mail worker stopped and restarted",
        "ESP failing, then retried",
    } <= names
    assert report["summary"]["requests"] > 20
    assert "ALL CHECKS PASSED" in output
