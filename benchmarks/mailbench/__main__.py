"""`make mailbench`: the reply cutter on its corpus, next to libraries, and timed; then the robots section.

    python -m benchmarks.mailbench [--slowest 10] [--no-libraries] [--no-speed] [--sizes 100000,1000000,2000000]

No database is touched: Django is set up with the test settings only because the inbound modules import
the package. Options of ``make``: ``make mailbench MAILBENCH_ARGS="--no-speed"``.
"""

import argparse
import importlib
import importlib.util
import os
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mailbench", description=__doc__.split("\n")[0])
    parser.add_argument("--slowest", type=int, default=10, help="how many of the slowest cases to name")
    parser.add_argument("--no-libraries", action="store_true", help="leave out the reply-parsing libraries")
    parser.add_argument("--no-speed", action="store_true", help="leave out the timing of pathological bodies")
    parser.add_argument(
        "--sizes", default="100000,1000000,2000000", help="body sizes of the speed section, in characters"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_site.settings.test")
    import django  # set up before the package's modules are imported

    django.setup()
    from . import replies

    sizes = tuple(int(size) for size in args.sizes.split(","))
    lines, _ = replies.report(
        slowest=args.slowest, with_libraries=not args.no_libraries, with_speed=not args.no_speed, sizes=sizes
    )
    print("\n".join(lines))
    if importlib.util.find_spec("benchmarks.mailbench.robots") is not None:
        robots = importlib.import_module("benchmarks.mailbench.robots")
        robot_lines, _ = robots.report()
        print()
        print("\n".join(robot_lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
