"""`make bench`: generate databases of 1,000 to 100,000 tickets on PostgreSQL and measure every scenario.

    python -m benchmarks.bench [--tickets 100000] [--sizes 1000,10000,100000] [--runs 30] [--regenerate]

Each size gets a database of its own, ``<name>_<size>``, where ``<name>`` is the database of
``DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/wagtail_support_bench``); databases are
copied from a migrated template and kept for the next run (``--regenerate`` builds them again). Every size
runs in a process of its own. The table, the JSON (``benchmarks/results/bench-*.json``) and the growth
plot (``benchmarks/results/bench-growth.png``) come from the same figures.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/wagtail_support_bench"

#: The budgets of the issue, checked on the largest size (growth: largest against smallest).
BUDGET_MEDIAN_MS = 100
BUDGET_RATIO = 3.0
BUDGET_GROWTH = 1.5
PAGE_GROUPS = {"inbox", "home", "visitor list", "ticket page", "write"}
#: The reports (issue 17): each report under 300 ms at 100,000 tickets, its queries fixed, its SQL near the
#: floor. Aggregates over a period grow with the tickets in it: no growth budget.
BUDGET_REPORT_MS = 300
REPORT_GROUPS = {"reports"}


def machine():
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    except (OSError, ValueError, IndexError):
        memory = None
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": memory, "python": platform.python_version(),
            "system": platform.platform()}


def with_database(url, name):
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_connection(url):
    import psycopg

    conn = psycopg.connect(with_database(url, "postgres"), autocommit=True)
    return conn


def database_exists(conn, name):
    return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def holds_data_set(url, size):
    """Does the database hold this generator's data set of ``size`` tickets (or nothing yet)?"""
    import psycopg

    from . import GENERATOR_VERSION

    with psycopg.connect(url) as conn:
        if conn.execute("SELECT to_regclass('bench_meta')").fetchone()[0] is None:
            return True  # copied from the template, not generated yet
        row = conn.execute("SELECT summary FROM bench_meta").fetchone()
    if row is None:
        return True
    summary = json.loads(row[0])
    return summary.get("generator_version") == GENERATOR_VERSION and summary.get("tickets") == size


def run_django(url, *args, check=True):
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "example_site.settings.bench",
           "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=check)


def prepare_databases(url, sizes, regenerate):
    base = urlsplit(url).path.lstrip("/") or "wagtail_support_bench"
    template = f"{base}_template"
    conn = admin_connection(url)
    server = conn.execute("SHOW server_version").fetchone()[0]
    if not database_exists(conn, template):
        conn.execute(f'CREATE DATABASE "{template}"')
    print(f"Migrating the template database {template}...", flush=True)
    run_django(with_database(url, template), "example_site/manage.py", "migrate", "--verbosity", "0")
    names = {}
    for size in sizes:
        name = f"{base}_{size}"
        if database_exists(conn, name) and (regenerate or not holds_data_set(with_database(url, name), size)):
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not database_exists(conn, name):
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        names[size] = with_database(url, name)
    conn.close()
    return names, server


def fmt(value, digits=1):
    if value is None:
        return "–"
    if isinstance(value, list):
        return "/".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def evaluate(per_size):
    """The largest size's rows with growth and the verdict of each budget."""
    sizes = sorted(per_size)
    smallest, largest = sizes[0], sizes[-1]
    by_name = {size: {r["name"]: r for r in per_size[size]["scenarios"]} for size in sizes}
    rows = []
    for result in per_size[largest]["scenarios"]:
        name = result["name"]
        row = dict(result)
        first = by_name[smallest].get(name)
        row["growth"] = round(result["median_ms"] / first["median_ms"], 2) if first and first["median_ms"] else None
        row["queries_by_size"] = {size: by_name[size][name]["queries"] for size in sizes if name in by_name[size]}
        checks = {}
        if result["group"] in PAGE_GROUPS:
            counts = list(row["queries_by_size"].values())
            checks["fixed queries"] = all(isinstance(c, int) for c in counts) and len(set(counts)) == 1
            checks[f"median < {BUDGET_MEDIAN_MS} ms"] = result["median_ms"] < BUDGET_MEDIAN_MS
            if result.get("ratio") is not None:
                checks[f"SQL ≤ {BUDGET_RATIO:g}× floor"] = result["ratio"] <= BUDGET_RATIO
            if row["growth"] is not None and smallest != largest:
                checks[f"growth < {BUDGET_GROWTH:g}×"] = row["growth"] < BUDGET_GROWTH
        elif result["group"] in REPORT_GROUPS:
            counts = list(row["queries_by_size"].values())
            checks["fixed queries"] = all(isinstance(c, int) for c in counts) and len(set(counts)) == 1
            checks[f"median < {BUDGET_REPORT_MS} ms"] = result["median_ms"] < BUDGET_REPORT_MS
            if result.get("ratio") is not None:
                checks[f"SQL ≤ {BUDGET_RATIO:g}× floor"] = result["ratio"] <= BUDGET_RATIO
        row["budgets"] = checks
        rows.append(row)
    return rows


def print_table(rows, largest, smallest):
    header = (f"{'scenario':<40} {'queries':>7} {'median':>8} {'p95':>8} {'SQL':>7} {'floor':>7} {'ratio':>6} "
              f"{'growth':>7}  budgets")
    print()
    print(f"At {largest:,} tickets (times in ms; growth: median at {largest:,} / median at {smallest:,})")
    print(header)
    print("-" * len(header))
    for row in rows:
        if row["group"] == "inbound":
            print(f"{row['name']:<40} {fmt(row['queries']):>7} {fmt(row['median_ms'], 2):>8} {'':>8} "
                  f"{fmt(row['sql_median_ms'], 2):>7} {'':>7} {'':>6} {'':>7}  "
                  f"{row['mails_per_second']} mails/s")
            continue
        failed = [name for name, ok in row["budgets"].items() if not ok]
        verdict = "ok" if not failed else "MISSED: " + ", ".join(failed)
        print(f"{row['name']:<40} {fmt(row['queries']):>7} {fmt(row['median_ms']):>8} {fmt(row['p95_ms']):>8} "
              f"{fmt(row['sql_median_ms'], 2):>7} {fmt(row['floor_ms'], 2):>7} {fmt(row['ratio'], 2):>6} "
              f"{fmt(row['growth'], 2):>7}  {verdict}")


def plot(per_size, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(per_size)
    wanted = [name for name in (r["name"] for r in per_size[sizes[-1]]["scenarios"])
              if name.startswith(("inbox", "ticket page"))]
    fig, ax = plt.subplots(figsize=(9, 5.5), dpi=110)
    colours = plt.cm.tab20.colors
    for index, name in enumerate(wanted):
        values = []
        for size in sizes:
            match = [r for r in per_size[size]["scenarios"] if r["name"] == name]
            values.append(match[0]["median_ms"] if match else None)
        style = "-o" if name.startswith("ticket page") else "--."
        ax.plot(sizes, values, style, label=name, color=colours[index % len(colours)])
    ax.set_xscale("log")
    ax.set_xlabel("tickets in the database")
    ax.set_ylabel("median server time (ms)")
    ax.axhline(BUDGET_MEDIAN_MS, color="red", linewidth=0.8, linestyle=":")
    ax.text(sizes[0], BUDGET_MEDIAN_MS * 1.02, "budget: 100 ms", color="red", fontsize=8)
    ax.set_ylim(bottom=0)
    ax.set_title("Inbox and ticket page as tickets pile up (PostgreSQL, in-process, median)")
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000, help="the largest size (default 100,000)")
    parser.add_argument("--sizes", help="comma-separated sizes (default: 1,000, 10,000 and --tickets)")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per scenario (after 3 warm-up runs)")
    parser.add_argument("--regenerate", action="store_true", help="drop and generate the databases again")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_URL)
    parser.add_argument("--out", default=str(RESULTS), help="where the JSON and the plot go")
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("the benchmark runs on PostgreSQL: DATABASE_URL must be a postgres:// URL")
    if args.sizes:
        sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    else:
        sizes = sorted({s for s in (1_000, 10_000) if s < args.tickets} | {args.tickets})

    names, server = prepare_databases(args.database_url, sizes, args.regenerate)
    with tempfile.TemporaryDirectory(prefix="wagtail-support-bench-") as tmp:
        for size in sizes:
            print(f"\n== {size:,} tickets ==", flush=True)
            out = Path(tmp) / f"{size}.json"
            run_django(names[size], "-m", "benchmarks.bench.run_size", "--tickets", str(size),
                       "--runs", str(args.runs), "--out", str(out), "--generate-only")
        # Every size measured in one process, run by run in turn (see interleaved.py).
        print(f"\n== Measuring {', '.join(f'{size:,}' for size in sizes)} tickets in turn, "
              f"{args.runs} runs each after 3 warm-up runs ==", flush=True)
        out = Path(tmp) / "all.json"
        env_databases = json.dumps({str(size): names[size] for size in sizes})
        os.environ["BENCH_DATABASES"] = env_databases
        try:
            run_django(names[sizes[0]], "-m", "benchmarks.bench.interleaved", "--sizes",
                       ",".join(str(size) for size in sizes), "--runs", str(args.runs), "--out", str(out))
        finally:
            os.environ.pop("BENCH_DATABASES", None)
        per_size = {int(size): value for size, value in json.loads(out.read_text()).items()}

    rows = evaluate(per_size)
    print_table(rows, sizes[-1], sizes[0])
    missed = [(row["name"], name) for row in rows for name, ok in row.get("budgets", {}).items() if not ok]
    checked = sum(len(row.get("budgets", {})) for row in rows)
    print(f"\nBudgets: {checked - len(missed)} of {checked} met." + (
        "" if not missed else " Missed: " + "; ".join(f"{n} ({b})" for n, b in missed)))

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    report = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(), "postgresql": server, "runs": args.runs, "sizes": sizes,
        "budgets": {"median_ms": BUDGET_MEDIAN_MS, "sql_floor_ratio": BUDGET_RATIO, "growth": BUDGET_GROWTH,
                    "report_median_ms": BUDGET_REPORT_MS},
        "summary": rows, "per_size": per_size, "missed": missed,
    }
    for name in (f"bench-{stamp}.json", "bench-latest.json"):
        (out_dir / name).write_text(json.dumps(report, indent=1, default=str))
    plot(per_size, out_dir / "bench-growth.png")
    print(f"\nWrote {out_dir / 'bench-latest.json'} and {out_dir / 'bench-growth.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
