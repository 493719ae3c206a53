"""Measure every size in one process, in turn, request by request.

The machine's speed drifts by a third over minutes (a shared virtual machine), so sizes measured one
after the other compare the machine's moods as much as the data. Here each run of a scenario is made at
every size before the next run, the order of the sizes alternating: the medians at 1,000 and at
100,000 tickets come from the same minutes. The process opens each size's database (``BENCH_DATABASES``)
and points Django's default connection at the one being measured.

A database is named by its label: its number of tickets (``100000``), or that and its backlog for a variant
(``100000_b70``: the same size generated with 70% of the tickets open or pending), measured in the same turn.
"""

import argparse
import json
import os
import statistics
import time


def label(name):
    """``100000`` → ``100,000``; ``100000_b70`` → ``100,000 b70``."""
    size, _, variant = name.partition("_")
    return f"{int(size):,}" + (f" {variant}" if variant else "")


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", required=True)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--out", required=True)
    parser.add_argument("--paired", default="", help="the databases whose pages are timed beside Wagtail's own")
    parser.add_argument("--only", default="", help="beginnings of the names of the scenarios to measure")
    args = parser.parse_args(argv)
    paired = {s.strip() for s in args.paired.split(",") if s.strip()}
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_site.settings.bench")

    import django

    django.setup()
    from django.db import connections

    from . import measure, scenarios

    wrappers = {size: connections[f"size_{size}"] for size in sizes}

    def use(size):
        connections["default"] = wrappers[size]

    benches, summaries = {}, {}
    for size in sizes:
        use(size)
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT summary FROM bench_meta")
            summaries[size] = json.loads(cursor.fetchone()[0])
            cursor.execute("SELECT pg_database_size(current_database())")
            summaries[size]["database_bytes"] = cursor.fetchone()[0]
        benches[size] = scenarios.Bench(args.runs, warmup=args.warmup, collect=True, log=lambda line: None)
        benches[size].pages()
    results = {size: [] for size in sizes}
    count = len(benches[sizes[0]].defined)
    # Wagtail's bare page of each audience ("baseline" scenarios), requested right after each run of a page on the
    # databases whose budgets are judged: the page and its yardstick from the same seconds, whatever the machine's
    # mood (measured once, the yardstick came from other minutes than most pages).
    yardsticks = {scenario["audience"]: position for position, scenario in enumerate(benches[sizes[0]].defined)
                  if scenario["group"] == "baseline"}
    only = tuple(part.strip() for part in args.only.split(",") if part.strip())
    for index in range(count):
        defined = benches[sizes[0]].defined[index]
        if only and defined["group"] != "baseline" and not defined["name"].startswith(only):
            continue
        samples = {size: [] for size in sizes}
        floors = {size: [] for size in sizes}
        beside = {size: [] for size in sizes}
        last_sql = {}
        # A slow scenario (the export) asks for fewer runs than the others.
        defined = benches[sizes[0]].defined[index]
        warmup, runs = min(args.warmup, defined.get("warmup", args.warmup)), min(args.runs, defined.get("runs", args.runs))
        for rep in range(warmup + runs):
            order = sizes if rep % 2 == 0 else list(reversed(sizes))
            for size in order:
                use(size)
                scenario = benches[size].defined[index]
                if scenario["prepare"] is not None:
                    scenario["prepare"]()
                with measure.capture() as log:
                    start = time.perf_counter()
                    scenario["action"]()
                    elapsed = time.perf_counter() - start
                if rep >= warmup:
                    samples[size].append(log.sample(elapsed))
                    last_sql[size] = log.sql
                yardstick = yardsticks.get(scenario.get("audience"))
                if size in paired and yardstick is not None and scenario["group"] not in ("baseline", "export"):
                    start = time.perf_counter()
                    benches[size].defined[yardstick]["action"]()
                    if rep >= warmup:
                        beside[size].append((time.perf_counter() - start) * 1000)
                if scenario["floor"]:
                    floor_ms = measure.time_sql(scenario["floor"], runs=1, warmup=0,
                                                rollback=scenario["rollback_floor"])
                    if rep >= warmup:
                        floors[size].append(floor_ms)
        for size in sizes:
            scenario = benches[size].defined[index]
            summary = measure.summarise(samples[size])
            floor_ms = round(statistics.median(floors[size]), 2) if floors[size] else None
            summary.update({
                "name": scenario["name"], "group": scenario["group"], "audience": scenario.get("audience"),
                "floor_ms": floor_ms,
                "floor_queries": len(scenario["floor"]) if scenario["floor"] else 0,
                "ratio": round(summary["sql_median_ms"] / floor_ms, 2) if floor_ms else None,
                "rows": scenario["rows"],
                "baseline_ms": round(statistics.median(beside[size]), 2) if beside[size] else None,
            })
            results[size].append(summary)
        line = "  ".join(f"{label(size):>11}: {results[size][-1]['median_ms']:6.1f} ms" for size in sizes)
        print(f"  {benches[sizes[0]].defined[index]['name']:<40} {line}", flush=True)
    for size in sizes:
        use(size)
        bench = benches[size]
        bench.collect, bench.log = False, (lambda line: None)
        bench.inbound()
        results[size].append(bench.results[-1])
        print(f"  inbound mail at {label(size)}: {bench.results[-1]['mails_per_second']} mails/s", flush=True)
    per_size = {size: {"size": int(size.split("_")[0]), "data": summaries[size], "scenarios": results[size]}
                for size in sizes}
    with open(args.out, "w") as out:
        json.dump(per_size, out, indent=1, default=str)


if __name__ == "__main__":
    main()
