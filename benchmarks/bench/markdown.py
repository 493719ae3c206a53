"""The README's tables from a benchmark's JSON: ``python -m benchmarks.bench.markdown [results.json]``."""

import json
import sys
from pathlib import Path

from .__main__ import RESULTS


def _f(value, digits=1):
    if value is None:
        return "–"
    if isinstance(value, list):
        return "/".join(map(str, value))
    return format(value, f".{digits}f") if isinstance(value, float) else str(value)


def table(rows, first_label, first_medians):
    """``first_medians``: {scenario: median} the growth column divides by, named ``first_label``."""
    lines = [
        f"| scenario | queries (product's) | median ms | p95 ms | SQL ms (product's) | floor ms | SQL / floor "
        f"| × Wagtail | budget ms | median at {first_label} | growth | growth ×10 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row["group"] == "inbound":
            continue
        missed = [name for name, ok in row.get("budgets", {}).items() if not ok and name not in row.get("reasons", {})]
        mark = " ✗" if missed else (" *" if row.get("reasons") else "")
        lines.append(
            f"| {row['name']}{mark} | {_f(row['queries'])} ({_f(row.get('own_queries'))}) | {row['median_ms']:.0f} | "
            f"{row['p95_ms']:.0f} | {row['sql_median_ms']:.1f} ({_f(row.get('own_sql_median_ms'))}) | "
            f"{_f(row['floor_ms'])} | {_f(row['ratio'])} | {_f(row.get('vs_wagtail'), 2)} | "
            f"{_f(row.get('budget_ms'), 0)} | "
            f"{_f(first_medians.get(row['name']), 0)} | {_f(row['growth'], 2)} | {_f(row.get('growth_tenfold'), 2)} |"
        )
    inbound = [row for row in rows if row["group"] == "inbound"]
    for row in inbound:
        lines.append("")
        lines.append(
            f"Inbound mail: {row['mails_per_second']} replies per second processed one after another "
            f"({row['queries']} queries each, {row['sql_median_ms']} ms of SQL each)."
        )
    explained = [f"{row['name']}: {reason}" for row in rows for reason in row.get("reasons", {}).values()]
    if explained:
        lines.append("")
        lines.append("\\* SQL over 2× its floor, the product's own within it: " + "; ".join(explained) + ".")
    against_visitor = [f"{row['name']}: {row['vs_visitor']:.2f}×" for row in rows if row.get("vs_visitor")]
    if against_visitor:
        lines.append("")
        lines.append("The agent's ticket page over the visitor's page of the same ticket: " + "; ".join(against_visitor)
                     + ".")
    missed = [f"{row['name']} ({name})" for row in rows for name, ok in row.get("budgets", {}).items()
              if not ok and name not in row.get("reasons", {})]
    lines.append("")
    lines.append("✗ Missed: " + "; ".join(missed) + "." if missed else "Every budget met.")
    return "\n".join(lines)


def size_table(report, size):
    """A smaller size of the same run (measured in turn with the largest): its medians, SQL and floors, and
    its growth from the smallest size."""
    sizes = report["sizes"]
    rows = report["per_size"][str(size)]["scenarios"]
    first = {r["name"]: r["median_ms"] for r in report["per_size"][str(sizes[0])]["scenarios"]}
    lines = [
        f"| scenario | queries (product's) | median ms | p95 ms | SQL ms (product's) | floor ms | SQL / floor "
        f"| median at {sizes[0]:,} | growth |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row["group"] == "inbound":
            continue
        growth = row["median_ms"] / first[row["name"]] if first.get(row["name"]) else None
        lines.append(
            f"| {row['name']} | {_f(row['queries'])} ({_f(row.get('own_queries'))}) | {row['median_ms']:.0f} | "
            f"{row['p95_ms']:.0f} | {row['sql_median_ms']:.1f} ({_f(row.get('own_sql_median_ms'))}) | "
            f"{_f(row['floor_ms'])} | {_f(row['ratio'])} | {_f(first.get(row['name']), 0)} | {_f(growth, 2)} |"
        )
    return "\n".join(lines)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0]) if argv else RESULTS / "bench-latest.json"
    report = json.loads(path.read_text())
    machine = report["machine"]
    print(f"Measured {report['date']} on {machine['cpu']} ({machine['cores']} cores, {machine['memory_gib']} GiB), "
          f"PostgreSQL {report['postgresql']}, Python {machine['python']}, {report['runs']} runs per scenario.\n")
    sizes = report["sizes"]
    smallest = sizes[0]
    medians = {r["name"]: r["median_ms"] for r in report["per_size"][str(smallest)]["scenarios"]}
    elapsed = report.get("elapsed")
    if elapsed:
        print(f"The whole run took {elapsed['total_seconds'] / 60:.1f} minutes, "
              f"{elapsed['generation_seconds'] / 60:.1f} of them generating the databases.\n")
    for size in sizes[1:-1]:
        if size == sizes[-1] // 10:
            print(f"At {size:,} tickets, {report.get('backlog', 0.2):.0%} open or pending (the same run):\n")
            print(size_table(report, size))
            print()
    print(f"At {sizes[-1]:,} tickets, {report.get('backlog', 0.2):.0%} open or pending:\n")
    print(table(report["summary"], f"{smallest:,}", medians))
    variant = report.get("backlog_variant")
    if variant:
        medians = {r["name"]: r["median_ms"] for r in report["per_size"][str(variant["size"])]["scenarios"]}
        print(f"\nAt {variant['size']:,} tickets, {variant['backlog']:.0%} open or pending (growth: against the same "
              f"size at {report.get('backlog', 0.2):.0%}):\n")
        print(table(variant["summary"], f"{report.get('backlog', 0.2):.0%} backlog", medians))


if __name__ == "__main__":
    main()
