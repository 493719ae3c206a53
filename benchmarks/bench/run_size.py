"""One database size: generate it if needed, then run every scenario; prints JSON to --out.

Run by ``python -m benchmarks.bench`` in a process of its own per size, with ``DATABASE_URL`` set.
"""

import argparse
import json
import os
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, required=True)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--backlog", type=float, default=None, help="the share of tickets open or pending")
    parser.add_argument("--out", required=True)
    parser.add_argument("--generate-only", action="store_true", help="generate the data, measure nothing")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_site.settings.bench")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from . import faq_scenarios, generate, scenarios

    backlog = generate.BACKLOG if args.backlog is None else args.backlog

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (summary text NOT NULL)")
        cursor.execute("SELECT summary FROM bench_meta")
        row = cursor.fetchone()
    summary = json.loads(row[0]) if row else None
    if summary is None or summary.get("generator_version") != generate.GENERATOR_VERSION or summary.get(
        "tickets"
    ) != args.tickets or summary.get("backlog") != backlog:
        if summary is not None:
            sys.exit(f"{connection.settings_dict['NAME']} holds another data set: drop it or use --regenerate.")
        print(f"Generating {args.tickets:,} tickets ({backlog:.0%} open or pending)...", flush=True)
        start = time.perf_counter()
        summary = generate.generate(args.tickets, seed=args.seed, backlog=backlog)
        # The FAQ's questions (faq_scenarios), with the database: generated in parallel with the others.
        faq_scenarios.ensure_entries(faq_scenarios.ENTRIES_PER_LANGUAGE)
        summary["generate_seconds"] = round(time.perf_counter() - start, 1)
        start = time.perf_counter()
        generate.vacuum_analyze()
        summary["vacuum_seconds"] = round(time.perf_counter() - start, 1)
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_meta (summary) VALUES (%s)", [json.dumps(summary)])
        print(
            f"  {summary['tickets']:,} tickets, {summary['messages']:,} messages ({summary['internal']:,} internal), "
            f"{summary['attachments']:,} attachments, {summary['mails']:,} mail records in "
            f"{summary['generate_seconds']} s (+ {summary['vacuum_seconds']} s VACUUM ANALYZE)",
            flush=True,
        )
    else:
        print(f"Reusing {connection.settings_dict['NAME']} ({args.tickets:,} tickets).", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())" if connection.vendor == "postgresql" else "SELECT 0")
        summary["database_bytes"] = cursor.fetchone()[0]

    if args.generate_only:
        with open(args.out, "w") as out:
            json.dump({"size": args.tickets, "data": summary}, out, indent=1, default=str)
        return
    bench = scenarios.Bench(args.runs, log=lambda line: print(line, flush=True))
    results = bench.all()
    for result in results:
        result.pop("last_queries", None)
    with open(args.out, "w") as out:
        json.dump({"size": args.tickets, "data": summary, "scenarios": results}, out, indent=1, default=str)


if __name__ == "__main__":
    main()
