#!/usr/bin/env bash
# `make demo`: serve the example site's two Wagtail sites with Django's development server: the first on PORT
# (8000 unless told otherwise) in the foreground, the second (Acme Hardware, example_site/demo/sites.py) on
# PORT + 1 in the background. Stopping the first (Ctrl-C) stops the second.
# Usage: PORT=8000 PYTHON=.venv/bin/python bash scripts/demo_servers.sh
set -eu
PYTHON=${PYTHON:-python3}
PORT=${PORT:-8000}
SECOND_PORT=$((PORT + 1))
MANAGE="example_site/manage.py"

# The second server in a process group of its own (job control on), so that it and the process the
# autoreloader starts are stopped together, and Ctrl-C in the terminal reaches only the first.
set -m
PORT=$PORT "$PYTHON" "$MANAGE" runserver "127.0.0.1:$SECOND_PORT" &
second=$!
set +m
trap 'kill -TERM -- "-$second" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM

echo "First site:  http://localhost:$PORT/ (English /en/, French /fr/; admin http://127.0.0.1:$PORT/admin/)"
echo "Second site: http://localhost:$SECOND_PORT/ (Acme Hardware; open it by the name localhost)"
# Both servers print their requests here. PORT stays the first site's: the agents' links point at it.
PORT=$PORT "$PYTHON" "$MANAGE" runserver "127.0.0.1:$PORT"
