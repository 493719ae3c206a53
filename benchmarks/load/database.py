"""PostgreSQL for the load test: the server, a database of its own made from a seeded template, restarts.

The load test never uses the database DATABASE_URL names (it may be someone's work): it takes the
server and the credentials from it (else ``postgres://postgres@127.0.0.1:5432``) and makes a database
of its own there, ``wagtail_support_load`` unless told otherwise, dropped and made again on each run.

Migrating Wagtail and seeding takes a while, so a migrated and seeded template database is kept
(``wagtail_support_load_template``) and each run copies it (``CREATE DATABASE ... TEMPLATE``, about a second). The
template is made again whenever what it was made from changes (the migrations, the seeding code, the
versions of Django, Wagtail and django-tasks-db, the number of agents): a digest of those is kept as the
template's comment.
"""

import glob
import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
DEFAULT_NAME = "wagtail_support_load"


def server_url(database_url=None):
    """The server part of ``database_url`` (or of the default), without a database name."""
    url = database_url or os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = DEFAULT_SERVER
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def url_for(server, name):
    return f"{server}/{name}"


def admin_connect(server):
    return psycopg.connect(url_for(server, "postgres"), autocommit=True, connect_timeout=10)


def is_ready(server, timeout=1.0):
    try:
        with psycopg.connect(url_for(server, "postgres"), connect_timeout=max(1, int(timeout))) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def wait_ready(server, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_ready(server):
            return True
        time.sleep(0.2)
    return False


def _exists(conn, name):
    return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def drop(server, name):
    with admin_connect(server) as conn:
        if _exists(conn, name):
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def template_digest(agents):
    """What the template was made from, as a digest: it is made again when this changes."""
    digest = hashlib.sha256()
    patterns = [
        "wagtail_support/migrations/*.py",
        "example_site/home/migrations/*.py",
        "example_site/demo/*.py",
        "wagtail_support/groups.py",
        "benchmarks/load/seed.py",
    ]
    for pattern in patterns:
        for path in sorted(glob.glob(os.path.join(REPO, pattern))):
            digest.update(os.path.relpath(path, REPO).encode())
            with open(path, "rb") as f:
                digest.update(f.read())
    for package in ("Django", "wagtail", "django-tasks", "django-tasks-db", "django-anymail"):
        digest.update(f"{package}={importlib.metadata.version(package)}".encode())
    digest.update(f"agents={agents}".encode())
    return digest.hexdigest()[:32]


def _comment(conn, name):
    row = conn.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
    ).fetchone()
    return row[0] if row else None


TEMPLATE_NAME = "wagtail_support_load_template"
# Held while the template is checked, made and copied: two runs at once never make it together.
ADVISORY_LOCK = 7_212_011


class TemplateLock:
    def __init__(self, server):
        self.server = server

    def __enter__(self):
        self.conn = admin_connect(self.server)
        self.conn.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK])
        return self

    def __exit__(self, *exc):
        try:
            self.conn.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK])
        finally:
            self.conn.close()


def ensure_template(server, agents, env, log, fresh=False):
    """The seeded template database, made (migrate, seed) unless an identical one exists."""
    template = TEMPLATE_NAME
    digest = template_digest(agents)
    with admin_connect(server) as conn:
        if not fresh and _comment(conn, template) == digest:
            log(f"template database {template} is up to date")
            return template
    drop(server, template)
    with admin_connect(server) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(template)))
    log(f"migrating and seeding the template database {template} (once; later runs copy it)")
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "benchmarks.load.seed", "--agents", str(agents)],
        cwd=REPO,
        env={**env, "DATABASE_URL": url_for(server, template)},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with admin_connect(server) as conn:
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(template), sql.Literal(digest)))
    log(f"template ready in {time.monotonic() - started:.0f}s")
    return template


def create_from_template(server, name, template):
    drop(server, name)
    with admin_connect(server) as conn:
        # No one may be connected to the template while it is copied.
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [template],
        )
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template)))


def local_cluster():
    """``(version, "main")`` of the local Debian PostgreSQL cluster, or ``None``."""
    if not shutil.which("pg_ctlcluster") or not os.path.isdir("/etc/postgresql"):
        return None
    versions = sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(p) for p in v.split(".") if p.isdigit()])
    for version in reversed(versions):
        if os.path.isdir(f"/etc/postgresql/{version}/main"):
            return version, "main"
    return None


def restart_command():
    cluster = local_cluster()
    if cluster is None:
        return None
    return ["pg_ctlcluster", "--skip-systemctl-redirect", cluster[0], cluster[1], "restart"]
