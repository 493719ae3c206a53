#!/usr/bin/env bash
# The README's install section, applied as written to a fresh `wagtail start` site with the built wheel.
#
# In a temporary directory: a clean virtual environment, the wheel installed into it (its dependencies from
# the package index, through pip's cache), `wagtail start mysite`, then the README's blocks marked
# <!-- install:... --> copied into the site or run there; a support page, a ticket submitted by a real POST
# to it and resolved through the workflow; every mail's sender and links checked
# (scripts/install_check_site.py). Then the README's uninstall section (<!-- uninstall:... -->): the site
# must still work without the app.
#
# PYTHON: the interpreter of the new environment (default python3). DJANGO: a pip requirement for Django
# (e.g. "Django>=6.1,<6.2"), to try the steps on another Django than the newest the wheel allows.
# WHEEL: a wheel built already (default: build one).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
PYTHON=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
started=$(date +%s)

wheel=${WHEEL:-}
if [ -z "$wheel" ]; then
    "$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" .
    wheel=$(ls "$work"/dist/wagtail_support-*.whl)
fi
echo "wheel: $(basename "$wheel")"

"$PYTHON" -m venv "$work/venv"
export PATH="$work/venv/bin:$PATH" VIRTUAL_ENV="$work/venv"
python -m pip install --quiet --upgrade pip
python -m pip install --quiet "$wheel" ${DJANGO:+"$DJANGO"}
python -c 'import django, wagtail, anymail; print("Python", __import__("sys").version.split()[0], "Django", django.get_version(), "Wagtail", wagtail.__version__, "Anymail", anymail.__version__)'

cd "$work"
wagtail start mysite >/dev/null
site="$work/mysite"

# The README's blocks, by their marker: the fenced block that follows <!-- install:NAME -->.
block() {
    python - "$repo/README.md" "$1" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
found = re.search(r"<!-- %s -->\s*\n\s*```[a-z]*\n(.*?)\n\s*```" % re.escape(sys.argv[2]), text, re.S)
if not found:
    sys.exit(f"README.md has no block marked <!-- {sys.argv[2]} -->")
lines = found.group(1).split("\n")
indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
print("\n".join(line[indent:] for line in lines))
PY
}

# Step 2: the settings, at the end of settings/base.py.
settings_block=$(block install:settings)
printf '\n%s\n' "$settings_block" >> "$site/mysite/settings/base.py"
# Step 3: `wagtail start`'s EMAIL_BACKEND line of settings/dev.py replaced by the README's block.
grep -q '^EMAIL_BACKEND = ' "$site/mysite/settings/dev.py" \
    || { echo "wagtail start's settings/dev.py has no EMAIL_BACKEND line any more: update README step 3" >&2; exit 1; }
dev_block=$(block install:dev-settings)
python - "$site/mysite/settings/dev.py" "$dev_block" <<'PY'
import sys
path, replacement = sys.argv[1], sys.argv[2]
lines = open(path, encoding="utf-8").read().split("\n")
lines = [replacement if line.startswith("EMAIL_BACKEND = ") else line for line in lines]
open(path, "w", encoding="utf-8").write("\n".join(lines))
PY
# Step 4: the URLs, at the end of urls.py.
urls_block=$(block install:urls)
printf '\n%s\n' "$urls_block" >> "$site/mysite/urls.py"

cd "$site"
# Step 5, as written.
bash -euo pipefail -c "$(block install:migrate)" >/dev/null
python manage.py check
# No deprecated setting in the README's steps (Django 6.1 deprecates EMAIL_BACKEND for MAILERS).
if python -W always manage.py check 2>&1 | grep -E "setting is deprecated|Migrate to MAILERS"; then
    echo "the README's settings raise a deprecation warning on Django $(python -c 'import django; print(django.get_version())')" >&2
    exit 1
fi

echo "install: the README's steps applied; a ticket through the support page"
INSTALL_CHECK_STEP=install python manage.py shell -c "$(cat "$repo/scripts/install_check_site.py")"

echo "uninstall: the README's steps"
bash -euo pipefail -c "$(block uninstall:pages)"
bash -euo pipefail -c "$(block uninstall:migrate)" >/dev/null
# Step 3 of the uninstall: the settings and URLs added above taken out again.
python - "$site/mysite/settings/base.py" "$settings_block" "$site/mysite/urls.py" "$urls_block" <<'PY'
import sys
for path, added in ((sys.argv[1], sys.argv[2]), (sys.argv[3], sys.argv[4])):
    text = open(path, encoding="utf-8").read()
    assert added in text, path
    open(path, "w", encoding="utf-8").write(text.replace(added, ""))
PY
python manage.py check
bash -euo pipefail -c "$(block uninstall:contenttypes) --noinput" >/dev/null
INSTALL_CHECK_STEP=uninstalled python manage.py shell -c "$(cat "$repo/scripts/install_check_site.py")"

echo "install check passed in $(( $(date +%s) - started )) s"
