#!/usr/bin/env bash
# Build the wheel, check that it carries templates, static files, migrations and compiled
# translations and nothing of the example site (no demo, no support_demo, no import of example_site),
# install it into a clean virtual environment and run Django's `check` there.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" .
wheel=$(ls "$work"/dist/wagtail_support-*.whl)
echo "built $(basename "$wheel")"

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
    "wagtail_support", "wagtail_modeladmin", "wagtail.contrib.routable_page", "wagtail.snippets",
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
