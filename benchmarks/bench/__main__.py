"""`make bench`: generate databases of 1,000 to 100,000 tickets (and more) on PostgreSQL and measure every scenario.

    python -m benchmarks.bench [--tickets 1000000] [--sizes 1000,10000,100000] [--runs 30] [--regenerate]
                               [--backlog-variant 0.7]

Each size gets a database of its own, ``<name>_<size>``, where ``<name>`` is the database of
``DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/wagtail_support_bench``); the largest size is
generated a second time with 70% of its tickets open or pending (``<name>_<size>_b70``). Databases are
copied from a migrated template and kept for the next run (``--regenerate`` builds them again). The
table, the JSON (``benchmarks/results/bench-*.json``) and the growth plot
(``benchmarks/results/bench-growth.png``) come from the same figures.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from . import DEFAULT_BACKLOG

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/wagtail_support_bench"
#: The sizes measured by default; ``--tickets N`` adds N, ``--sizes`` replaces them.
DEFAULT_SIZES = (1_000, 10_000, 100_000)

#: Timed runs per scenario after the warm-up runs: 30 after 3, or 6 after 2 when a million tickets are measured
#: (five databases in turn, two of a million: ``make bench BENCH_ARGS="--tickets 1000000"`` stays under 30
#: minutes on 2 cores, generation included; the runs alternate between the sizes, so the machine's drift
#: weighs on each size alike).
DEFAULT_RUNS = 30
DEFAULT_RUNS_MILLION = 6
DEFAULT_WARMUP = 3
DEFAULT_WARMUP_MILLION = 2

#: The budgets of the issues, checked on the largest size.
#: A page's median at most 1.3× Wagtail's own bare page (the account page for the admin, the example site's
#: content page for a visitor), measured in the same run on the same database, plus the product's own SQL.
BUDGET_WAGTAIL = 1.3
#: The SQL of every scenario within 2× its hand-written floor, or the reason printed beside it: the product's
#: own SQL within 2× and the rest Wagtail's and Django's own.
BUDGET_RATIO = 2.0
#: Growth: the median at 1,000,000 over the median at 100,000 when both are measured (``BUDGET_GROWTH_TENFOLD``),
#: else the median at the largest size over the median at the smallest (``BUDGET_GROWTH``, 1,000 → 100,000).
BUDGET_GROWTH = 1.5
BUDGET_GROWTH_TENFOLD = 1.3
TENFOLD_FROM = 1_000_000
PAGE_GROUPS = {"inbox", "inbox sorts", "home", "visitor list", "ticket page", "write", "page tickets", "api", "faq"}
#: Groups whose pages have no time budget against Wagtail's: the baselines themselves, and the downloads of a
#: whole view (their time grows with the rows by nature).
UNTIMED_GROUPS = {"baseline", "export", "inbound"}
#: Downloads whose budget is per row: their time per row may grow no more than the pages' time.
ROW_GROUPS = {"export"}
#: The agent's page of a ticket (the workspace) at most 1.3× the visitor's page of the same ticket, and every
#: message of the 500-message ticket shown (``?latest=all``) in under 250 ms.
BUDGET_AGENT_VS_VISITOR = 1.3
BUDGET_ALL_SHOWN_MS = 250
AGENT_SUFFIX, VISITOR_SUFFIX, ALL_SHOWN = ": agent", ": visitor", "all shown"
#: The reports (issue 17): each report under 300 ms at 100,000 tickets, its queries fixed, its SQL near the
#: floor. Aggregates over a period grow with the tickets in it: no growth budget.
BUDGET_REPORT_MS = 300
REPORT_SIZE = 100_000
REPORT_GROUPS = {"reports"}


def parse_sizes(tickets=None, sizes=None):
    """The sizes to measure, smallest first: ``sizes`` ("1000,5000") if given, else 1,000, 10,000 and 100,000
    with ``tickets`` added (``--tickets 1000000`` measures 1,000 → 10,000 → 100,000 → 1,000,000)."""
    if sizes:
        parsed = {int(s.strip().replace("_", "").replace(",", "")) for s in sizes.split(",") if s.strip()}
    else:
        parsed = set(DEFAULT_SIZES) | ({tickets} if tickets else set())
    if not parsed or min(parsed) < 1:
        raise ValueError(f"sizes must be positive numbers of tickets, not {sizes or tickets!r}")
    return sorted(parsed)


def variant_label(size, backlog):
    """The database label of the backlog variant: ``100000_b70`` for 70% of 100,000 tickets open or pending."""
    return f"{size}_b{round(backlog * 100)}"


def growth_budget(sizes):
    """(the size the largest is compared with, the budget, a sentence saying which applies), or None."""
    largest = sizes[-1]
    if largest >= TENFOLD_FROM and largest // 10 in sizes:
        return largest // 10, BUDGET_GROWTH_TENFOLD, (
            f"growth budget: median at {largest:,} / median at {largest // 10:,} < {BUDGET_GROWTH_TENFOLD:g}×")
    if len(sizes) > 1:
        return sizes[0], BUDGET_GROWTH, (
            f"growth budget: median at {largest:,} / median at {sizes[0]:,} < {BUDGET_GROWTH:g}× "
            f"({BUDGET_GROWTH_TENFOLD:g}× from {TENFOLD_FROM // 10:,} to {TENFOLD_FROM:,} when both are measured)")
    return None


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


def holds_data_set(url, size, backlog=DEFAULT_BACKLOG):
    """Does the database hold this generator's data set of ``size`` tickets, ``backlog`` of them open or pending
    (or nothing yet)?"""
    import psycopg

    from . import GENERATOR_VERSION

    with psycopg.connect(url) as conn:
        if conn.execute("SELECT to_regclass('bench_meta')").fetchone()[0] is None:
            return True  # copied from the template, not generated yet
        row = conn.execute("SELECT summary FROM bench_meta").fetchone()
    if row is None:
        return True
    summary = json.loads(row[0])
    return (summary.get("generator_version") == GENERATOR_VERSION and summary.get("tickets") == size
            and summary.get("backlog") == backlog)


def run_django(url, *args, check=True, background=False):
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "example_site.settings.bench",
           "PYTHONPATH": str(ROOT)}
    if background:
        return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=check)


def prepare_databases(url, databases, regenerate):
    """``databases``: {label: (size, backlog)}; returns {label: URL} and the server's version."""
    base = urlsplit(url).path.lstrip("/") or "wagtail_support_bench"
    template = f"{base}_template"
    conn = admin_connection(url)
    server = conn.execute("SHOW server_version").fetchone()[0]
    if not database_exists(conn, template):
        conn.execute(f'CREATE DATABASE "{template}"')
    print(f"Migrating the template database {template}...", flush=True)
    run_django(with_database(url, template), "example_site/manage.py", "migrate", "--verbosity", "0")
    names = {}
    for label, (size, backlog) in databases.items():
        name = f"{base}_{label}"
        if database_exists(conn, name) and (
            regenerate or not holds_data_set(with_database(url, name), size, backlog)
        ):
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not database_exists(conn, name):
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        names[label] = with_database(url, name)
    conn.close()
    return names, server


def generate_all(names, databases, tmp, jobs):
    """Generate the databases that need it, ``jobs`` at a time, the largest first: the generator is one Python
    process streaming to PostgreSQL, so two of them keep both cores of a small machine busy (the two databases
    of 1,000,000 tickets take about the time of one)."""
    pending = sorted(databases.items(), key=lambda item: -item[1][0])
    running = []
    failed = []
    while pending or running:
        while pending and len(running) < max(1, jobs):
            label, (size, backlog) = pending.pop(0)
            print(f"== {size:,} tickets, {backlog:.0%} open or pending ({label}) ==", flush=True)
            running.append((label, run_django(
                names[label], "-m", "benchmarks.bench.run_size", "--tickets", str(size), "--backlog", str(backlog),
                "--out", str(tmp / f"{label}.json"), "--generate-only", background=True)))
        done = [(label, process) for label, process in running if process.poll() is not None]
        if not done:
            time.sleep(0.5)
            continue
        for label, process in done:
            running.remove((label, process))
            if process.returncode:
                failed.append(label)
    if failed:
        sys.exit(f"Generating {', '.join(failed)} failed (see above).")


def fmt(value, digits=1):
    if value is None:
        return "–"
    if isinstance(value, list):
        return "/".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _one(value):
    return value if not isinstance(value, list) else max(value)


def judge(result, baselines, queries_by_size):
    """One scenario's row with its budgets' verdicts (``budgets``) and the reasons beside a miss (``reasons``).

    ``baselines``: {audience: median of Wagtail's bare page} measured on the same database in the same run; the
    median of that page requested right after each run of this one (``baseline_ms``, interleaved.py) if it was.
    """
    row = dict(result)
    group, audience = result["group"], result.get("audience")
    checks, reasons = {}, {}
    row["queries_by_size"] = queries_by_size
    floor = result.get("floor_ms")
    own_sql = result.get("own_sql_median_ms")
    row["own_ratio"] = round(own_sql / floor, 2) if floor and own_sql is not None else None
    base = result.get("baseline_ms") or baselines.get(audience)
    if base and group not in UNTIMED_GROUPS:
        row["baseline_ms"] = base
        row["vs_wagtail"] = round(result["median_ms"] / base, 2)
        row["budget_ms"] = round(BUDGET_WAGTAIL * base + (own_sql or 0), 2)
    else:
        row["baseline_ms"] = row["vs_wagtail"] = row["budget_ms"] = None
    if group in PAGE_GROUPS or group in REPORT_GROUPS:
        counts = list(queries_by_size.values())
        checks["fixed queries"] = all(isinstance(c, int) for c in counts) and len(set(counts)) == 1
    if row["budget_ms"] is not None:
        checks[f"≤ {BUDGET_WAGTAIL:g}× Wagtail + own SQL"] = result["median_ms"] <= row["budget_ms"]
    if group in REPORT_GROUPS:
        # At 100,000 tickets when measured (an aggregate over a period grows with the tickets in it).
        checks[f"median < {BUDGET_REPORT_MS} ms at {REPORT_SIZE:,}"] = (
            result.get("median_at_report_size", result["median_ms"]) < BUDGET_REPORT_MS)
    if group not in ("baseline", "inbound") and result.get("ratio") is not None:
        name = f"SQL ≤ {BUDGET_RATIO:g}× floor"
        checks[name] = result["ratio"] <= BUDGET_RATIO
        if not checks[name] and row["own_ratio"] is not None and row["own_ratio"] <= BUDGET_RATIO:
            reasons[name] = (f"own SQL {row['own_ratio']:g}× floor; Wagtail/Django own: "
                             f"{_one(result['wagtail_queries'])} queries, {result['wagtail_sql_median_ms']:.2f} ms")
    row["budgets"] = checks
    row["reasons"] = reasons
    return row


def judge_agent_pages(rows):
    """The agent's ticket pages against the visitor's page of the same ticket (the row named the same with
    ": visitor"): ``vs_visitor`` and its budget; every message shown for the agent under 250 ms."""
    by_name = {row["name"]: row for row in rows}
    for row in rows:
        if row["group"] != "ticket page" or not row["name"].endswith(AGENT_SUFFIX):
            continue
        visitor = by_name.get(row["name"][: -len(AGENT_SUFFIX)] + VISITOR_SUFFIX)
        if visitor and visitor["median_ms"]:
            row["vs_visitor"] = round(row["median_ms"] / visitor["median_ms"], 2)
            row["budgets"][f"≤ {BUDGET_AGENT_VS_VISITOR:g}× visitor's page"] = (
                row["vs_visitor"] <= BUDGET_AGENT_VS_VISITOR)
        if ALL_SHOWN in row["name"]:
            row["budgets"][f"< {BUDGET_ALL_SHOWN_MS} ms"] = row["median_ms"] < BUDGET_ALL_SHOWN_MS
    return rows


def _baselines(scenarios):
    return {r.get("audience"): r["median_ms"] for r in scenarios if r["group"] == "baseline"}


def per_row_growth(result, reference):
    """The time per row of ``result`` over ``reference``'s (the same download at a smaller size), or ``None``
    when either has no rows."""
    if not reference or not result.get("rows") or not reference.get("rows") or not reference["median_ms"]:
        return None
    return round((result["median_ms"] / result["rows"]) / (reference["median_ms"] / reference["rows"]), 2)


def evaluate(per_size, variant=None):
    """The largest size's rows with growth and the verdict of each budget; with ``variant`` (the largest size's
    results on a database with a larger backlog), that database's rows too, judged by the same budgets (growth:
    against the same size at the default backlog, shown, not budgeted: one size only).

    Returns (rows, variant_rows or None)."""
    sizes = sorted(per_size)
    smallest, largest = sizes[0], sizes[-1]
    budget = growth_budget(sizes)
    by_name = {size: {r["name"]: r for r in per_size[size]["scenarios"]} for size in sizes}
    tenth = by_name.get(largest // 10, {})
    rows = []
    baselines = _baselines(per_size[largest]["scenarios"])
    for result in per_size[largest]["scenarios"]:
        name = result["name"]
        counts = {size: by_name[size][name]["queries"] for size in sizes if name in by_name[size]}
        if result["group"] in REPORT_GROUPS and name in by_name.get(REPORT_SIZE, {}):
            result = {**result, "median_at_report_size": by_name[REPORT_SIZE][name]["median_ms"]}
        row = judge(result, baselines, counts)
        first, previous = by_name[smallest].get(name), tenth.get(name)
        row["growth"] = round(result["median_ms"] / first["median_ms"], 2) if first and first["median_ms"] else None
        row["growth_tenfold"] = (round(result["median_ms"] / previous["median_ms"], 2)
                                 if previous and previous["median_ms"] and largest // 10 != largest else None)
        if result["group"] in PAGE_GROUPS and budget is not None:
            against, limit, _sentence = budget
            value = row["growth_tenfold"] if against != smallest else row["growth"]
            if value is not None:
                row["budgets"][f"growth < {limit:g}×"] = value < limit
        if result["group"] in ROW_GROUPS and budget is not None:
            # A download of a whole view grows with its rows by nature: what must not grow is each row's cost.
            against, limit, _sentence = budget
            row["growth_per_row"] = per_row_growth(result, by_name.get(against, {}).get(name))
            if row["growth_per_row"] is not None:
                row["budgets"][f"time per row growth < {limit:g}×"] = row["growth_per_row"] < limit
        rows.append(row)
    judge_agent_pages(rows)
    if variant is None:
        return rows, None
    variant_rows = []
    baselines = _baselines(variant["scenarios"])
    for result in variant["scenarios"]:
        name = result["name"]
        counts = {size: by_name[size][name]["queries"] for size in sizes if name in by_name[size]}
        counts["variant"] = result["queries"]
        row = judge(result, baselines, counts)
        same = by_name[largest].get(name)
        row["growth"] = round(result["median_ms"] / same["median_ms"], 2) if same and same["median_ms"] else None
        row["growth_tenfold"] = None
        variant_rows.append(row)
    judge_agent_pages(variant_rows)
    return rows, variant_rows


def verdict(row):
    failed = [name for name, ok in row["budgets"].items() if not ok and name not in row.get("reasons", {})]
    explained = [f"{name}: {reason}" for name, reason in row.get("reasons", {}).items()]
    if failed:
        text = "MISSED: " + ", ".join(failed)
    else:
        text = "ok"
    return text + (f" ({'; '.join(explained)})" if explained else "")


def print_table(rows, title, growth_label):
    """``growth_label``: what the growth column divides by (printed in the title)."""
    header = (f"{'scenario':<44} {'queries':>10} {'median':>7} {'p95':>7} {'SQL':>6} {'own':>6} {'floor':>6} "
              f"{'ratio':>5} {'own×':>5} {'×Wag':>5} {'budget':>7} {'growth':>6} {'×10':>5}  verdict")
    print()
    print(title)
    print(f"  times in ms; queries: all (the product's: those on wagtail_support_ tables); SQL: all of it, own: the "
          f"product's; ratio: SQL / floor, own×: own SQL / floor;")
    print(f"  ×Wag: median / Wagtail's bare page of the same audience, requested after each run of the page; "
          f"budget: {BUDGET_WAGTAIL:g}× that page + own SQL; "
          f"growth: {growth_label}; ×10: against the size ten times smaller")
    print(header)
    print("-" * len(header))
    for row in rows:
        if row["group"] == "inbound":
            print(f"{row['name']:<44} {fmt(row['queries']):>10} {fmt(row['median_ms'], 2):>7} {'':>7} "
                  f"{fmt(row['sql_median_ms'], 2):>6}  {row['mails_per_second']} mails/s")
            continue
        queries = f"{fmt(row['queries'])} ({fmt(row.get('own_queries'))})"
        print(f"{row['name'][:44]:<44} {queries:>10} {fmt(row['median_ms']):>7} {fmt(row['p95_ms']):>7} "
              f"{fmt(row['sql_median_ms'], 2):>6} {fmt(row.get('own_sql_median_ms'), 2):>6} "
              f"{fmt(row['floor_ms'], 2):>6} {fmt(row['ratio'], 2):>5} {fmt(row.get('own_ratio'), 2):>5} "
              f"{fmt(row.get('vs_wagtail'), 2):>5} {fmt(row.get('budget_ms')):>7} {fmt(row['growth'], 2):>6} "
              f"{fmt(row.get('growth_tenfold'), 2):>5}  {verdict(row)}")


def tally(rows):
    """(checked, met, explained, missed [(scenario, budget)])."""
    checked = sum(len(row.get("budgets", {})) for row in rows)
    explained = [(row["name"], name) for row in rows for name, ok in row.get("budgets", {}).items()
                 if not ok and name in row.get("reasons", {})]
    missed = [(row["name"], name) for row in rows for name, ok in row.get("budgets", {}).items()
              if not ok and name not in row.get("reasons", {})]
    return checked, checked - len(missed) - len(explained), explained, missed


def plot(per_size, path, variant=None):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(per_size)
    wanted = [name for name in (r["name"] for r in per_size[sizes[-1]]["scenarios"])
              if name.startswith(("inbox", "ticket page")) and not name.startswith("inbox export")]
    fig, ax = plt.subplots(figsize=(9, 5.5), dpi=110)
    colours = plt.cm.tab20.colors
    for index, name in enumerate(wanted):
        values = []
        for size in sizes:
            match = [r for r in per_size[size]["scenarios"] if r["name"] == name]
            values.append(match[0]["median_ms"] if match else None)
        style = "-o" if name.startswith("ticket page") else "--."
        colour = colours[index % len(colours)]
        ax.plot(sizes, values, style, label=name, color=colour)
        if variant is not None:
            match = [r for r in variant["scenarios"] if r["name"] == name]
            if match:
                ax.plot([sizes[-1]], [match[0]["median_ms"]], "x", color=colour, markersize=8)
    # Wagtail's bare admin page × 1.3, at each size: the admin pages' budget before their own SQL.
    base = [BUDGET_WAGTAIL * _baselines(per_size[size]["scenarios"]).get("admin", 0) or None for size in sizes]
    if any(base):
        ax.plot(sizes, base, ":", color="red", linewidth=1, label=f"{BUDGET_WAGTAIL:g}× Wagtail's account page")
    ax.set_xscale("log")
    ax.set_xticks(sizes, [f"{size:,}" for size in sizes])
    ax.minorticks_off()
    ax.set_xlabel("tickets in the database" + (f" (×: {variant['backlog']:.0%} backlog)" if variant else ""))
    ax.set_ylabel("median server time (ms)")
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
    parser.add_argument("--tickets", type=int, default=None,
                        help="a size added to 1,000, 10,000 and 100,000 (e.g. 1000000)")
    parser.add_argument("--sizes", help="comma-separated sizes, instead of the default ones and --tickets")
    parser.add_argument("--backlog-variant", type=float, default=0.7,
                        help="measure the largest size again with this share of tickets open or pending "
                             "(default 0.7; 0 skips it)")
    parser.add_argument("--runs", type=int, default=None,
                        help=f"timed runs per scenario, after {DEFAULT_WARMUP} warm-up runs (default {DEFAULT_RUNS}; "
                             f"{DEFAULT_RUNS_MILLION} after {DEFAULT_WARMUP_MILLION} when {TENFOLD_FROM:,} tickets "
                             "are measured)")
    parser.add_argument("--regenerate", action="store_true", help="drop and generate the databases again")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="databases generated at once (default: 2, or 1 on a single core)")
    parser.add_argument("--only", default="", help="comma-separated beginnings of scenario names to measure (with "
                        "Wagtail's bare pages), e.g. 'inbox sort,FAQ'; the results are not written over the "
                        "committed ones unless --out says so")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_URL)
    parser.add_argument("--out", default=None, help="where the JSON and the plot go (default benchmarks/results/, "
                        "or a folder of the system's temporary files with --only)")
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("the benchmark runs on PostgreSQL: DATABASE_URL must be a postgres:// URL")
    try:
        sizes = parse_sizes(args.tickets, args.sizes)
    except ValueError as error:
        parser.error(str(error))
    million = sizes[-1] >= TENFOLD_FROM
    if args.runs is None:
        args.runs = DEFAULT_RUNS_MILLION if million else DEFAULT_RUNS
    warmup = DEFAULT_WARMUP_MILLION if million else DEFAULT_WARMUP
    if not 0 <= args.backlog_variant <= 1:
        parser.error("--backlog-variant is a share between 0 and 1 (0 skips it)")
    databases = {str(size): (size, DEFAULT_BACKLOG) for size in sizes}
    variant = None
    if args.backlog_variant:
        variant = variant_label(sizes[-1], args.backlog_variant)
        databases[variant] = (sizes[-1], args.backlog_variant)

    started = time.monotonic()
    names, server = prepare_databases(args.database_url, databases, args.regenerate)
    with tempfile.TemporaryDirectory(prefix="wagtail-support-bench-") as tmp:
        generate_all(names, databases, Path(tmp), args.jobs)
        generated = time.monotonic()
        # Every database measured in one process, run by run in turn (see interleaved.py).
        print(f"\n== Measuring {', '.join(f'{size:,}' for size in sizes)} tickets"
              + (f" and {sizes[-1]:,} at {args.backlog_variant:.0%} backlog" if variant else "")
              + f" in turn, {args.runs} runs each after {warmup} warm-up runs ==", flush=True)
        out = Path(tmp) / "all.json"
        os.environ["BENCH_DATABASES"] = json.dumps(names)
        try:
            run_django(names[str(sizes[0])], "-m", "benchmarks.bench.interleaved", "--sizes", ",".join(databases),
                       "--paired", ",".join(label for label in (str(sizes[-1]), variant) if label),
                       "--runs", str(args.runs), "--warmup", str(warmup), "--out", str(out), "--only", args.only)
        finally:
            os.environ.pop("BENCH_DATABASES", None)
        measured = json.loads(out.read_text())
    per_size = {int(label): measured[label] for label in measured if label != variant}
    variant_results = None
    if variant:
        variant_results = {**measured[variant], "label": variant, "backlog": args.backlog_variant}

    rows, variant_rows = evaluate(per_size, variant_results)
    largest = sizes[-1]
    budget = growth_budget(sizes)
    growth_label = (f"median at {largest:,} / median at {sizes[0]:,}" if len(sizes) > 1 else "one size only")
    print_table(rows, f"At {largest:,} tickets, {DEFAULT_BACKLOG:.0%} open or pending", growth_label)
    print(f"\n{budget[2] if budget else 'no growth budget (one size)'}")
    if variant_rows is not None:
        print_table(variant_rows, f"At {largest:,} tickets, at {args.backlog_variant:.0%} backlog (open or pending)",
                    f"median here / median at {largest:,} at {DEFAULT_BACKLOG:.0%} backlog (not budgeted)")
    print()
    for title, table in ((f"at {DEFAULT_BACKLOG:.0%} backlog", rows),
                         (f"at {args.backlog_variant:.0%} backlog", variant_rows)):
        if table is None:
            continue
        checked, met, explained, missed_here = tally(table)
        print(f"Budgets {title}: {met} of {checked} met" + (
            f", {len(explained)} missed with the reason printed beside them" if explained else "") + (
            f", {len(missed_here)} missed: " + "; ".join(f"{n} ({b})" for n, b in missed_here) if missed_here else "."))
    _checked, _met, explained, missed = tally(rows + (variant_rows or []))

    elapsed = {"total_seconds": round(time.monotonic() - started), "generation_seconds": round(generated - started)}
    print(f"\nTook {elapsed['total_seconds'] / 60:.1f} minutes, {elapsed['generation_seconds'] / 60:.1f} of them "
          f"preparing and generating the databases.")
    out_dir = Path(args.out or (Path(tempfile.gettempdir()) / "wagtail-support-bench-only" if args.only else RESULTS))
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    report = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(), "postgresql": server, "runs": args.runs, "warmup": warmup, "sizes": sizes,
        "elapsed": elapsed,
        "backlog": DEFAULT_BACKLOG,
        "budgets": {"vs_wagtail": BUDGET_WAGTAIL, "sql_floor_ratio": BUDGET_RATIO,
                    "growth": budget[1] if budget else None,
                    "growth_against": budget[0] if budget else None,
                    "report_median_ms": BUDGET_REPORT_MS, "agent_vs_visitor": BUDGET_AGENT_VS_VISITOR,
                    "all_shown_ms": BUDGET_ALL_SHOWN_MS},
        "summary": rows, "per_size": per_size, "missed": missed, "explained": explained,
        "backlog_variant": None if variant is None else {
            "label": variant, "size": largest, "backlog": args.backlog_variant, "summary": variant_rows,
            "data": variant_results["data"], "scenarios": variant_results["scenarios"],
        },
    }
    for name in (f"bench-{stamp}.json", "bench-latest.json"):
        (out_dir / name).write_text(json.dumps(report, indent=1, default=str))
    plot(per_size, out_dir / "bench-growth.png", variant_results)
    print(f"\nWrote {out_dir / 'bench-latest.json'} and {out_dir / 'bench-growth.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
