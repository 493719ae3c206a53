"""The README's table from a benchmark's JSON: ``python -m benchmarks.bench.markdown [results.json]``."""

import json
import sys
from pathlib import Path

from .__main__ import RESULTS


def table(report):
    sizes = report["sizes"]
    smallest = sizes[0]
    lines = [
        f"| scenario | queries | median ms | p95 ms | SQL ms | floor ms | SQL / floor | median at {smallest:,} | growth |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    per_small = {r["name"]: r for r in report["per_size"][str(smallest)]["scenarios"]}
    for row in report["summary"]:
        if row["group"] == "inbound":
            continue
        first = per_small.get(row["name"], {})
        missed = [name for name, ok in row.get("budgets", {}).items() if not ok]
        mark = " ✗" if missed else ""
        queries = row["queries"] if not isinstance(row["queries"], list) else "/".join(map(str, row["queries"]))
        lines.append(
            f"| {row['name']}{mark} | {queries} | {row['median_ms']:.0f} | {row['p95_ms']:.0f} | "
            f"{row['sql_median_ms']:.1f} | {row['floor_ms'] if row['floor_ms'] is None else format(row['floor_ms'], '.1f')} | "
            f"{row['ratio'] if row['ratio'] is None else format(row['ratio'], '.1f')} | "
            f"{first.get('median_ms', 0):.0f} | {row['growth'] if row['growth'] is None else format(row['growth'], '.2f')} |"
        )
    inbound = [row for row in report["summary"] if row["group"] == "inbound"]
    for row in inbound:
        lines.append("")
        lines.append(
            f"Inbound mail: {row['mails_per_second']} replies per second processed one after another "
            f"({row['queries']} queries each, {row['sql_median_ms']} ms of SQL each)."
        )
    return "\n".join(lines)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0]) if argv else RESULTS / "bench-latest.json"
    report = json.loads(path.read_text())
    machine = report["machine"]
    print(f"Measured {report['date']} on {machine['cpu']} ({machine['cores']} cores, {machine['memory_gib']} GiB), "
          f"PostgreSQL {report['postgresql']}, Python {machine['python']}, {report['runs']} runs per scenario.\n")
    print(table(report))


if __name__ == "__main__":
    main()
