"""The load test: ``make load`` / ``python -m benchmarks.load [options]``; see README.md here.

1. A PostgreSQL database of its own (copied from a migrated and seeded template, see ``database``).
2. A pool of django-tasks-db mail workers and two gunicorn instances of the example site on two
   loopback ports (``example_site.settings.load``), sharing the database, the cache and the workers.
3. Locust, headless, with visitors and agents spread over both web servers, bounded in time and in
   requests; during the run, the faults: the mail workers stopped then started again, the ESP down for
   a while (then ``support_retry_mail``, as cron would run it), PostgreSQL restarted.
4. The mail drained, then the checks (``checks``), a table on the terminal and the JSON report in
   ``benchmarks/results/load-<time>.json`` and ``load-latest.json``. Exits 1 when a check fails.

Every process it starts is stopped at the end, also on Ctrl-C or a failure; PostgreSQL is left running.
"""

import argparse
import datetime
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from . import database
from .processes import CpuSampler, Process, Supervisor, free_port, wait_http

REPO = database.REPO
FAULTS = ("worker", "esp", "postgres")
# Agent accounts in the seeded database (the first --agents of them log in).
SEED_AGENTS = 10
# When each fault starts, as a fraction of the run time.
FAULT_AT = {"worker": 0.15, "esp": 0.40, "postgres": 0.65}


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description="The load test of wagtail-support.")
    parser.add_argument("--users", type=int, default=60, help="Simultaneous users: agents plus visitors (default 60).")
    parser.add_argument("--agents", type=int, default=10, help="Of the users, agents in the admin (default 10).")
    parser.add_argument("--spawn-rate", type=float, default=20, help="Users started per second (default 20).")
    parser.add_argument("--run-time", type=float, default=180, help="Longest run, in seconds (default 180).")
    parser.add_argument("--requests", type=int, default=5000, help="Most requests; the run stops there (default 5000).")
    parser.add_argument(
        "--faults",
        default=",".join(FAULTS),
        help="Faults to inject, among worker, esp, postgres (default: all three).",
    )
    parser.add_argument("--no-faults", action="store_true", help="Inject no fault.")
    parser.add_argument(
        "--outage", type=float, default=10, help="Seconds the mail workers and the ESP stay down (default 10)."
    )
    parser.add_argument(
        "--pace", type=float, default=1.0, help="Multiply every pause of the users by this (default 1; the smoke test: 0.1)."
    )
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn workers per instance (default 3).")
    parser.add_argument("--threads", type=int, default=2, help="Threads per gunicorn worker (default 2, gthread).")
    parser.add_argument("--mail-workers", type=int, default=2, help="django-tasks-db worker processes (default 2).")
    parser.add_argument(
        "--database",
        default=database.DEFAULT_NAME,
        help="Name of the load test's own database, dropped and made again (default wagtail_support_load).",
    )
    parser.add_argument(
        "--server",
        default=None,
        help="PostgreSQL server URL (default: the server of DATABASE_URL, else postgres://postgres@127.0.0.1:5432).",
    )
    parser.add_argument("--fresh-template", action="store_true", help="Migrate and seed the template database again.")
    parser.add_argument("--drop-database", action="store_true", help="Drop the run's database at the end.")
    parser.add_argument("--drain-timeout", type=float, default=180, help="Longest wait for the mail after the run.")
    parser.add_argument(
        "--results-dir", default=os.path.join(REPO, "benchmarks", "results"), help="Where the JSON report goes."
    )
    parser.add_argument("--keep-run-dir", action="store_true", help="Keep the run's directory (logs, files) even when it passed.")
    args = parser.parse_args(argv)
    if args.no_faults:
        args.faults = set()
    else:
        args.faults = {f.strip() for f in args.faults.split(",") if f.strip()}
        unknown = args.faults - set(FAULTS)
        if unknown:
            parser.error(f"unknown fault(s): {', '.join(sorted(unknown))}")
    forbidden = {"postgres", "template0", "template1", database.TEMPLATE_NAME}
    own = os.environ.get("DATABASE_URL", "")
    if own.startswith(("postgres://", "postgresql://")):
        from urllib.parse import urlsplit

        forbidden.add(urlsplit(own).path.lstrip("/"))
    if args.database in forbidden:
        parser.error(f"--database {args.database}: the load test drops its database; give it one of its own")
    if args.agents >= args.users:
        parser.error("--users must be more than --agents (the others are visitors)")
    return args


class Run:
    def __init__(self, args):
        self.args = args
        self.started = time.time()
        self.t0 = None  # when the load started
        self.timeline = {}
        self.entries = []
        self.lock = threading.Lock()
        self.run_dir = tempfile.mkdtemp(prefix="wagtail-support-load-")
        self.site_dir = os.path.join(self.run_dir, "site")
        os.makedirs(self.site_dir)
        self.sink_path = os.path.join(self.site_dir, "mail-sink.jsonl")
        self.server = database.server_url(args.server) if args.server else database.server_url()
        self.db_url = database.url_for(self.server, args.database)
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "example_site.settings.load",
            "DATABASE_URL": self.db_url,
            "WAGTAILSUPPORT_LOAD_DIR": self.site_dir,
            "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        self.workers = []
        self.web = []
        self.locust = None
        self.supervisor = None
        self.stop_faults = threading.Event()
        self.ports = []
        self.retry_thread = None
        self.cpu = None

    # Output --------------------------------------------------------------------------------------------------

    def log(self, text):
        print(f"[load {time.time() - self.started:6.1f}s] {text}", flush=True)

    def mark(self, key, what):
        now = time.time()
        with self.lock:
            self.timeline[key] = now
            self.entries.append({"at": now - (self.t0 or now), "key": key, "what": what, "time": now})
        self.log(what)
        return now

    # Setup ---------------------------------------------------------------------------------------------------

    def prepare_database(self):
        if not database.is_ready(self.server):
            raise SystemExit(
                f"PostgreSQL does not answer at {self.server} (start it, or give --server / DATABASE_URL)."
            )
        with database.TemplateLock(self.server):
            template = database.ensure_template(
                self.server, max(SEED_AGENTS, self.args.agents), self.env, self.log, fresh=self.args.fresh_template
            )
            database.create_from_template(self.server, self.args.database, template)
        self.log(f"database {self.args.database} copied from {template}")

    def setup_django(self):
        os.environ.update({k: self.env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "WAGTAILSUPPORT_LOAD_DIR")})
        if REPO not in sys.path:
            sys.path.insert(0, REPO)
        import django

        django.setup()

    def manage(self, *command):
        return [sys.executable, os.path.join(REPO, "example_site", "manage.py"), *command]

    def start_workers(self):
        for i in range(self.args.mail_workers):
            process = Process(
                f"mail-worker-{i + 1}",
                self.manage(
                    "db_worker", "--queue-name", "support-mail,default", "--interval", "0.2",
                    "--no-startup-delay", "--no-reload", "--verbosity", "0",
                ),
                self.env,
                REPO,
                os.path.join(self.run_dir, f"mail-worker-{i + 1}.log"),
            )
            self.workers.append(process.start())

    def start_web(self):
        for i in range(2):
            port = free_port()
            self.ports.append(port)
            command = [
                sys.executable, "-m", "gunicorn", "example_site.wsgi:application",
                "--bind", f"127.0.0.1:{port}",
                "--workers", str(self.args.web_workers),
                "--threads", str(self.args.threads),
                "--worker-class", "gthread" if self.args.threads > 1 else "sync",
                "--timeout", "60", "--graceful-timeout", "10",
                # Longer than any pause of a client between two requests, as behind a load balancer: a
                # connection is never closed by the server just as the client sends on it.
                "--keep-alive", "75",
                # The application is imported once, then the workers fork: a quicker start on few CPUs.
                "--preload",
                "--log-level", "warning",
                "--access-logfile", os.path.join(self.run_dir, f"web-{i + 1}-access.log"),
                "--access-logformat", '%(t)s %(p)s "%(r)s" %(s)s %(M)sms',
            ]
            env = {**self.env, "WAGTAILADMIN_BASE_URL": f"http://127.0.0.1:{self.ports[0]}"}
            self.web.append(Process(f"web-{i + 1}", command, env, REPO, os.path.join(self.run_dir, f"web-{i + 1}.log")).start())
        for port in self.ports:
            if not wait_http(f"http://127.0.0.1:{port}/support/", timeout=120):
                raise RuntimeError(f"the web server on port {port} did not answer; see {self.run_dir}/web-*.log")
        self.log(f"web servers ready on ports {', '.join(map(str, self.ports))}")

    # The load ------------------------------------------------------------------------------------------------

    def start_locust(self):
        self.csv_prefix = os.path.join(self.run_dir, "locust")
        self.events_path = os.path.join(self.run_dir, "events.jsonl")
        env = {
            **self.env,
            "LOAD_HOSTS": ",".join(f"http://127.0.0.1:{port}" for port in self.ports),
            "LOAD_EVENTS": self.events_path,
            "LOAD_MAX_REQUESTS": str(self.args.requests),
            "LOAD_AGENTS": str(self.args.agents),
            "LOAD_PACE": str(self.args.pace),
        }
        command = [
            sys.executable, "-m", "locust",
            "-f", os.path.join(REPO, "benchmarks", "load", "locustfile.py"),
            "--headless",
            "-u", str(self.args.users),
            "-r", str(self.args.spawn_rate),
            "--run-time", f"{int(self.args.run_time)}s",
            "--stop-timeout", "5",
            "--csv", self.csv_prefix,
            "--only-summary",
            "--loglevel", "WARNING",
            "--exit-code-on-error", "0",
            "--host", f"http://127.0.0.1:{self.ports[0]}",
        ]
        self.cpu = CpuSampler()
        self.cpu.start()
        self.t0 = time.time()
        self.locust = Process("locust", command, env, REPO, os.path.join(self.run_dir, "locust.log")).start()
        self.locust.wanted = False  # not restarted: its end is the end of the load
        self.log(
            f"load started: {self.args.users - self.args.agents} visitors and {self.args.agents} agents, "
            f"at most {self.args.run_time:.0f}s and {self.args.requests} requests"
        )

    def outage(self):
        return max(1.0, min(self.args.outage, 0.15 * self.args.run_time))

    def inject_faults(self):
        plan = sorted((FAULT_AT[f] * self.args.run_time, f) for f in self.args.faults)
        for at, fault in plan:
            if self.stop_faults.wait(max(0.0, self.t0 + at - time.time())):
                self.mark(f"{fault}_skipped", f"fault '{fault}' not injected: the load ended first")
                continue
            try:
                getattr(self, f"fault_{fault}")()
            except Exception as error:  # noqa: BLE001 - reported; the checks say what it means
                self.mark(f"{fault}_error", f"fault '{fault}' failed: {error}")

    def fault_worker(self):
        with self.supervisor.lock:
            for worker in self.workers:
                worker.stop(timeout=60)
        self.mark("worker_stopped", f"mail workers stopped (SIGTERM, each ends its task) for {self.outage():.0f}s")
        time.sleep(self.outage())
        with self.supervisor.lock:
            for worker in self.workers:
                worker.start()
        self.mark("worker_started", "mail workers started again")

    def fault_esp(self):
        flag = os.path.join(self.site_dir, "esp-down")
        with open(flag, "w") as f:
            f.write("down\n")
        down = self.mark("esp_down", f"ESP down: every mail refused for {self.outage():.0f}s or more")
        time.sleep(self.outage())
        # Down until a mail was refused at least (workers just restarted may still be starting), within reason.
        while not self.esp_refused_since(down) and time.time() < down + 4 * self.outage():
            time.sleep(0.2)
        os.remove(flag)
        self.mark("esp_up", "ESP up again; manage.py support_retry_mail runs, as cron would")

        def retry():
            result = self.retry_mail()
            self.mark("esp_retry", f"support_retry_mail done: {result}")

        # In the background, so that the next fault comes on time.
        self.retry_thread = threading.Thread(target=retry, daemon=True, name="retry")
        self.retry_thread.start()

    def esp_refused_since(self, since):
        from . import checks

        return any(row.get("refused") and row.get("t", 0) >= since for row in checks.read_jsonl(self.sink_path))

    def fault_postgres(self):
        from django.db import connections

        command = database.restart_command()
        if command is None:
            self.mark("postgres_skipped", "PostgreSQL not restarted: no local cluster (pg_ctlcluster) here")
            return
        connections.close_all()
        self.mark("postgres_restart_started", "PostgreSQL restarting (" + " ".join(command) + ")")
        # In a session of its own: a Ctrl-C on the terminal must not stop it halfway (PostgreSQL down).
        result = subprocess.run(command, capture_output=True, text=True, timeout=180, start_new_session=True)
        self.timeline["postgres_restart_rc"] = result.returncode
        if result.returncode != 0:
            self.log(f"restart failed: {result.stderr.strip()}")
        if database.wait_ready(self.server, timeout=120):
            self.mark("postgres_ready", "PostgreSQL accepts connections again")
        else:
            self.mark("postgres_not_ready", "PostgreSQL did not come back within 120s")

    def retry_mail(self):
        result = subprocess.run(
            self.manage("support_retry_mail", "--verbosity", "0"), env=self.env, cwd=REPO, capture_output=True, text=True
        )
        lines = (result.stdout + result.stderr).strip().splitlines()
        return lines[-1] if lines else f"exit {result.returncode}"

    def wait_load(self):
        limit = self.args.run_time + 90
        try:
            self.locust.popen.wait(limit)
        except subprocess.TimeoutExpired:
            self.log("Locust did not stop in time: stopping it")
            self.locust.stop(timeout=15, sig=signal.SIGINT)
        self.mark("load_ended", "load ended")

    # After the load ------------------------------------------------------------------------------------------

    def drain(self):
        """Wait until every mail is sent: workers drain the queue, the retry takes the failed ones."""
        from django.db.models import Count

        from wagtail_support.models import OutboundMail

        # Whatever the faults left: workers running, ESP up.
        flag = os.path.join(self.site_dir, "esp-down")
        if os.path.exists(flag):
            os.remove(flag)
        with self.supervisor.lock:
            for worker in self.workers:
                if not worker.alive():
                    worker.start()
        started = time.time()
        retries = 0
        counts = {}
        while True:
            counts = dict(OutboundMail.objects.values_list("status").annotate(n=Count("pk")).order_by())
            pending = counts.get("queued", 0) + counts.get("sending", 0)
            failed = counts.get("failed", 0)
            if not pending and not failed:
                break
            if time.time() - started > self.args.drain_timeout:
                self.log(f"mail not drained after {self.args.drain_timeout:.0f}s: {counts}")
                break
            if failed and not pending:
                retries += 1
                self.log(f"retrying {failed} failed mail(s): {self.retry_mail()}")
            time.sleep(1)
        elapsed = time.time() - started
        self.log(f"mail drained in {elapsed:.1f}s: {counts}")
        return {"seconds": round(elapsed, 1), "statuses": counts, "retry_runs": retries}

    def components(self):
        """Process group id -> component, for the CPU account."""
        groups = {}
        for process in self.web:
            groups[process.pid] = "web (gunicorn)"
        for process in self.workers:
            groups[process.pid] = "mail workers"
        if self.locust is not None:
            groups[self.locust.pid] = "locust"
        return groups

    def stop_all(self):
        if self.supervisor is not None:
            self.supervisor.halt.set()
        if self.cpu is not None:
            self.cpu.halt.set()
        for process in [self.locust, *self.web, *self.workers]:
            if process is not None:
                process.stop(timeout=20)

    def setup_summary(self):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        return {
            "web_servers": 2,
            "ports": self.ports,
            "web_workers": self.args.web_workers,
            "threads": self.args.threads,
            "mail_workers": self.args.mail_workers,
            "visitors": self.args.users - self.args.agents,
            "agents": self.args.agents,
            "run_time_limit_s": self.args.run_time,
            "request_limit": self.args.requests,
            "faults": sorted(self.args.faults),
            "outage_s": self.outage(),
            "postgres": version,
            "database": self.args.database,
            "cpus": os.cpu_count(),
        }

    def execute(self):
        from . import checks, report

        self.prepare_database()
        self.setup_django()
        self.start_workers()
        self.start_web()
        self.supervisor = Supervisor(self.workers, clock=time.time)
        self.supervisor.start()
        self.start_locust()
        faults = threading.Thread(target=self.inject_faults, daemon=True, name="faults")
        faults.start()
        self.wait_load()
        self.stop_faults.set()
        faults.join(timeout=300)
        if self.retry_thread is not None:
            self.retry_thread.join(timeout=300)
        self.cpu.halt.set()
        self.cpu.join(timeout=5)
        cpu = self.cpu.by_component(self.components())
        drained = self.drain()
        self.supervisor.halt.set()
        setup = self.setup_summary()
        for process in [*self.web, *self.workers]:
            process.stop(timeout=20)

        results, http = checks.run_checks(
            events_path=self.events_path,
            sink_path=self.sink_path,
            attachments_root=os.path.join(self.site_dir, "attachments"),
            timeline=self.timeline,
            faults=self.args.faults,
            restarts=self.supervisor.restarts,
        )
        ends = [r["start"] + r["ms"] / 1000 for r in http]
        duration = (max(ends) - min(r["start"] for r in http)) if http else 0
        rows = report.read_locust_stats(self.csv_prefix)
        rows.sort(key=lambda r: (r["name"] == "Aggregated", r["name"]))
        restarts = [{**r, "at": round(r["at"] - self.t0, 1)} for r in self.supervisor.restarts]
        for r in restarts:
            self.entries.append({"at": r["at"], "key": "restart", "what": f"{r['process']} exited ({r['exit_code']}), restarted by the supervisor", "time": None})
        self.entries.sort(key=lambda e: e["at"])
        data = {
            "when": datetime.datetime.now().isoformat(timespec="seconds"),
            "setup": setup,
            "summary": report.http_summary(http, duration),
            "requests": rows,
            "timeline": [{"at": round(e["at"], 1), "what": e["what"]} for e in self.entries],
            "mail_drain": drained,
            "cpu_seconds": cpu,
            "process_restarts": restarts,
            "checks": results,
            "passed": all(r["passed"] for r in results),
            "run_dir": self.run_dir,
        }
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        report.write(data, self.args.results_dir, stamp)
        print(report.format_table(data), flush=True)
        return data

    def cleanup(self, passed):
        self.stop_all()
        # PostgreSQL is left running, whatever happened to its restart.
        if self.args.faults and "postgres" in self.args.faults and not database.wait_ready(self.server, timeout=30):
            command = database.restart_command()
            if command is not None:
                self.log("PostgreSQL is not running: starting it")
                subprocess.run([*command[:-1], "start"], start_new_session=True)
                database.wait_ready(self.server, timeout=60)
        flag = os.path.join(self.site_dir, "esp-down")
        if os.path.exists(flag):
            os.remove(flag)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - Django may not be set up yet
            pass
        if self.args.drop_database:
            try:
                database.drop(self.server, self.args.database)
            except Exception as error:  # noqa: BLE001
                self.log(f"could not drop {self.args.database}: {error}")
        if passed and not self.args.keep_run_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)
        else:
            self.log(f"logs, events and files of this run: {self.run_dir}")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _interrupt)
    run = Run(args)
    passed = False
    try:
        data = run.execute()
        passed = data["passed"]
    except KeyboardInterrupt:
        run.log("interrupted: stopping everything")
        return 130
    finally:
        run.cleanup(passed)
    return 0 if passed else 1
