#!/usr/bin/env bash
# Build the wheel and the sdist (with `build`, in isolation, as a release would). Check that the wheel
# carries templates, static files, migrations and compiled translations and nothing of the example site
# (no demo, no support_demo, no import of example_site); that the sdist holds what the wheel is built from
# and no tests (they need the repository: example site, corpora, benchmarks), and that its metadata is
# PyPI's (licence expression, URLs, a long description without relative links); that a wheel built from
# the sdist holds the same files. Then install the wheel into a clean virtual environment and run
# Django's `check` there.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$PYTHON" -m venv "$work/build-env"
"$work/build-env/bin/python" -m pip install --quiet --upgrade pip build
quietly() { "$@" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }; }
quietly "$work/build-env/bin/python" -m build --sdist --wheel --outdir "$work/dist" .
wheel=$(ls "$work"/dist/wagtail_support-*.whl)
sdist=$(ls "$work"/dist/wagtail_support-*.tar.gz)
echo "built $(basename "$wheel") and $(basename "$sdist")"
# A wheel built from the sdist, as pip does when it installs from it.
quietly "$work/build-env/bin/python" -m build --wheel --outdir "$work/from-sdist" "$sdist"

"$PYTHON" - "$sdist" "$wheel" "$(ls "$work"/from-sdist/wagtail_support-*.whl)" <<'PY'
import re, sys, tarfile, zipfile
from email.parser import HeaderParser

sdist = tarfile.open(sys.argv[1])
root = sdist.getnames()[0].split("/")[0]
names = [n[len(root) + 1:] for n in sdist.getnames() if n.startswith(root + "/")]
tests = [n for n in names if n.startswith(("tests/", "example_site/", "benchmarks/")) or re.search(r"(^|/)(test_[^/]*|conftest)\.py$", n)]
if tests:
    sys.exit(f"sdist is wrong: it ships tests or the example site, which cannot run from it: {tests[:10]}")
for needed in ("pyproject.toml", "setup.py", "README.md", "LICENSE", "CHANGELOG.md", "wagtail_support/locale/fr/LC_MESSAGES/django.mo", "wagtail_support/templates/wagtail_support/support_page.html"):
    if needed not in names:
        sys.exit(f"sdist is wrong: {needed} is missing")
info = HeaderParser().parsestr(sdist.extractfile(f"{root}/PKG-INFO").read().decode("utf-8"))
problems = []
if info["License-Expression"] != "BSD-3-Clause":
    problems.append(f"License-Expression {info['License-Expression']!r}")
urls = dict(value.split(", ", 1) for value in info.get_all("Project-URL") or [])
problems += [f"no {u} URL" for u in ("Homepage", "Documentation", "Changelog", "Issues") if u not in urls]
classifiers = info.get_all("Classifier") or []
problems += [f"no classifier {c}" for c in ("Framework :: Django :: 5.2", "Framework :: Django :: 6.0", "Framework :: Django :: 6.1", "Framework :: Wagtail :: 8", "Programming Language :: Python :: 3.13") if c not in classifiers]
description = info.get_payload()
relative = [t for t in re.findall(r"!?\[[^\]]*\]\(([^)\s]+)\)", description) if not re.match(r"https?://|#|mailto:", t)]
if relative:
    problems.append(f"relative links in the long description: {relative}")
if problems:
    sys.exit("sdist metadata is wrong: " + "; ".join(problems))
print(f"sdist holds {len(names)} files, no tests; metadata: {info['License-Expression']}, {len(urls)} URLs, {len(classifiers)} classifiers")

built, rebuilt = (sorted(n for n in zipfile.ZipFile(path).namelist() if ".dist-info/" not in n) for path in sys.argv[2:4])
if built != rebuilt:
    sys.exit(f"the wheel built from the sdist differs: {sorted(set(built) ^ set(rebuilt))[:10]}")
print(f"the wheel built from the sdist holds the same {len(built)} files")
PY

"$PYTHON" - "$wheel" <<'PY'
import re, sys, zipfile
wheel = zipfile.ZipFile(sys.argv[1])
names = wheel.namelist()
required = [
    "wagtail_support/migrations/0001_initial.py",
    "wagtail_support/locale/fr/LC_MESSAGES/django.mo",
    "wagtail_support/locale/fr/LC_MESSAGES/django.po",
    "wagtail_support/templates/wagtail_support/mail/requester/opened.txt",
    "wagtail_support/templates/wagtail_support/support_page.html",
    "wagtail_support/templates/wagtail_support/admin/workspace.html",
    "wagtail_support/static/wagtail_support/css/support.css",
    "wagtail_support/static/wagtail_support/js/faq-suggest.js",
    "wagtail_support/migrations/0008_beneficiary_email_index.py",
]
missing = [n for n in required if n not in names]
templates = [n for n in names if n.startswith("wagtail_support/templates/")]
leaked = [n for n in names if n.startswith(("example_site/", "tests/"))]
# The demo belongs to the example site (example_site/demo/): it creates admin/admin and friends.
demo = [
    n for n in names
    if n.startswith("wagtail_support/")
    and re.search(r"(^|/)(demo|demo_faq|support_demo)\.py$|(^|/)demo/", n)
]
# No module of the package may import the example site (it is not installed beside the wheel).
imports_example_site = re.compile(
    r"^\s*(from\s+example_site[\s.]|import\s+example_site\b)|import_module\(\s*['\"]example_site",
    re.MULTILINE,
)
importing = [
    n for n in names
    if n.endswith(".py") and imports_example_site.search(wheel.read(n).decode("utf-8", "replace"))
]
print(f"wheel holds {len(names)} files, {len(templates)} templates")
if missing or leaked or not templates:
    sys.exit(f"wheel is wrong: missing={missing} leaked={leaked}")
if demo or importing:
    sys.exit(
        "wheel is wrong: the demo belongs to the example site (example_site/demo/), not to the package.\n"
        f"  demo files in the wheel: {demo}\n  files importing example_site: {importing}"
    )
print("wheel holds no demo, no support_demo command and no import of example_site")
PY

"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip
"$work/venv/bin/python" -m pip install --quiet "$wheel"

# A minimal site of its own, outside this checkout, so nothing is imported from the source tree.
mkdir -p "$work/site"
cat > "$work/site/wheelsite_settings.py" <<'PY'
SECRET_KEY = "wheel-check"
INSTALLED_APPS = [
    "wagtail_support", "wagtail_modeladmin", "wagtail.contrib.routable_page", "wagtail.contrib.settings",
    "wagtail.snippets",
    "wagtail.sites", "wagtail.users", "wagtail.admin",
    "wagtail.images", "wagtail.documents", "wagtail.search", "wagtail", "modelcluster", "taggit",
    "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
    "django.contrib.messages", "django.contrib.staticfiles",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
              "OPTIONS": {"context_processors": ["django.contrib.auth.context_processors.auth",
                                                 "django.contrib.messages.context_processors.messages",
                                                 "django.template.context_processors.request"]}}]
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware",
              "django.contrib.auth.middleware.AuthenticationMiddleware",
              "django.contrib.messages.middleware.MessageMiddleware"]
ROOT_URLCONF = "wheelsite_urls"
STATIC_URL = "/static/"
USE_TZ = True
WAGTAIL_SITE_NAME = "wheel"
WAGTAILADMIN_BASE_URL = "http://localhost"
DEFAULT_FROM_EMAIL = "Support <support@example.org>"
PY
cat > "$work/site/wheelsite_urls.py" <<'PY'
from django.urls import include, path
urlpatterns = [path("support/", include("wagtail_support.urls"))]
PY
cd "$work/site"
export DJANGO_SETTINGS_MODULE=wheelsite_settings PYTHONPATH="$work/site"
"$work/venv/bin/python" -m django check
"$work/venv/bin/python" -m django migrate --noinput -v0
"$work/venv/bin/python" - <<'PY'
import django
django.setup()
import wagtail_support
from django.core.management import get_commands
from django.template.loader import get_template
from django.utils import translation
assert "/site-packages/" in wagtail_support.__file__, wagtail_support.__file__
assert "support_demo" not in get_commands(), "the wheel ships the support_demo command"
get_template("wagtail_support/mail/requester/opened.txt")
with translation.override("fr"):
    assert translation.pgettext("ticket status", "Pending") == "En attente", "French catalogue not in the wheel"
print("wheel installs, migrates, finds its templates and speaks French:", wagtail_support.__file__)
PY
