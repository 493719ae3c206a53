"""What PyPI and a new site owner read: the package's metadata, the README as a long description, and the
README's commands that must work as printed (the local inbound recipe; the install steps are applied by
scripts/check_install.sh).

Nothing is built here: the metadata is read from pyproject.toml (scripts/check_wheel.sh builds the wheel and
the sdist and checks what they hold).
"""

import base64
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import django
import pytest

from example_site.settings import dev as dev_settings
from wagtail_support import urls as support_urls
from wagtail_support.models import InboundMail

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
README = (REPO / "README.md").read_text(encoding="utf-8")

SUPPORTED_DJANGO = ["5.2", "6.0", "6.1"]
SUPPORTED_PYTHON = ["3.11", "3.12", "3.13"]


def readme_block(marker):
    """The fenced block after ``<!-- marker -->`` in the README, unindented."""
    found = re.search(r"<!-- %s -->\s*\n\s*```[a-z]*\n(.*?)\n\s*```" % re.escape(marker), README, re.S)
    assert found, f"README.md has no block marked <!-- {marker} -->"
    lines = found.group(1).split("\n")
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    return "\n".join(line[indent:] for line in lines)


# Metadata ------------------------------------------------------------------------------------------------


def test_every_supported_django_python_and_wagtail_has_its_classifier():
    classifiers = set(PROJECT["classifiers"])
    missing = [f"Framework :: Django :: {v}" for v in SUPPORTED_DJANGO if f"Framework :: Django :: {v}" not in classifiers]
    missing += [
        f"Programming Language :: Python :: {v}"
        for v in SUPPORTED_PYTHON
        if f"Programming Language :: Python :: {v}" not in classifiers
    ]
    if "Framework :: Wagtail :: 8" not in classifiers:
        missing.append("Framework :: Wagtail :: 8")
    assert not missing
    # The dependency ranges say the same: every supported Django, and none past the newest.
    django = next(dep for dep in PROJECT["dependencies"] if dep.lower().startswith("django>"))
    assert django == "Django>=5.2,<6.2"
    assert PROJECT["requires-python"] == ">=3.11"


def test_the_licence_is_a_pep_639_expression_matching_the_licence_file():
    assert PROJECT["license"] == "BSD-3-Clause"
    assert PROJECT["license-files"] == ["LICENSE"]
    assert (REPO / "LICENSE").read_text(encoding="utf-8").startswith("BSD 3-Clause License")
    # PEP 639: no licence classifier beside an expression (setuptools refuses the build).
    assert not [c for c in PROJECT["classifiers"] if c.startswith("License ::")]
    assert int(re.search(r"setuptools>=(\d+)", PYPROJECT["build-system"]["requires"][0]).group(1)) >= 77


def test_project_urls_point_at_the_repository():
    urls = PROJECT["urls"]
    assert {"Homepage", "Documentation", "Changelog", "Issues"} <= set(urls)
    for name, url in urls.items():
        assert url.startswith("https://github.com/wagtail-support/wagtail-support"), (name, url)
    assert urls["Changelog"].endswith("/CHANGELOG.md")


def test_the_bench_extra_is_apart_from_the_test_extra():
    extras = PROJECT["optional-dependencies"]
    names = {key: {re.split(r"[<>=\[;]", dep)[0].lower() for dep in deps} for key, deps in extras.items()}
    assert {"locust", "matplotlib", "gunicorn"} <= names["bench"]
    assert not names["test"] & {"locust", "matplotlib", "gunicorn", "django-tasks-db"}
    assert {"pytest", "pytest-django", "playwright"} <= names["test"]


def test_setup_py_is_only_a_shim():
    text = (REPO / "setup.py").read_text(encoding="utf-8")
    assert re.search(r"^setup\(\)$", text, re.M) and "install_requires" not in text


def test_the_sdist_ships_no_tests_nor_the_example_site():
    manifest = (REPO / "MANIFEST.in").read_text(encoding="utf-8").split("\n")
    for folder in ("tests", "example_site", "benchmarks"):
        assert f"prune {folder}" in manifest


# The README as PyPI shows it ------------------------------------------------------------------------------


def test_the_long_description_has_no_relative_link_or_image():
    assert PROJECT["readme"] == {"file": "README.md", "content-type": "text/markdown"}
    targets = re.findall(r"!?\[[^\]]*\]\(([^)\s]+)\)", README)
    targets += re.findall(r"""<(?:img|a)\b[^>]*(?:src|href)=["']([^"']+)""", README)
    relative = [t for t in targets if not re.match(r"https?://|#|mailto:", t)]
    assert targets and not relative
    images = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", README)
    for image in images:
        assert image.startswith("https://raw.githubusercontent.com/wagtail-support/wagtail-support/main/"), image
        path = REPO / image.split("/main/", 1)[1]
        assert path.exists(), f"{image} names no file of the repository"


def test_the_first_screen_still_says_make_demo_and_make_test():
    first_screen = "\n".join(README.split("\n")[:15])
    assert "make demo" in first_screen and "make test" in first_screen


def test_the_install_steps_name_what_a_fresh_wagtail_site_lacks():
    settings_block = readme_block("install:settings")
    for needed in ("wagtail_support", "wagtail_modeladmin", "wagtail.contrib.routable_page", "wagtail.contrib.settings", "DEFAULT_FROM_EMAIL", "WAGTAILADMIN_BASE_URL"):
        assert needed in settings_block
    assert "MAILERS" in readme_block("install:dev-settings")
    assert 'include("wagtail_support.urls")' in readme_block("install:urls")
    assert "hostname=" in readme_block("install:migrate") and "port=" in readme_block("install:migrate")
    # The prefix of the README is the one urls.py's docstring gives.
    assert 'path("support-files/", include("wagtail_support.urls"))' in support_urls.__doc__
    assert "Snippets > FAQ" not in README and "FAQ > Questions" in README


# The local inbound recipe, as printed ----------------------------------------------------------------------

REPLY = (
    "From: Ann Onymous <ann@example.net>\r\n"
    "To: support@reply.example.com\r\n"
    "Subject: A question about my invoice\r\n"
    "Message-ID: <readme-recipe-{n}@example.net>\r\n"
    "Date: Wed, 02 Dec 2026 10:00:00 +0000\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Hello, where is my invoice for November?\r\n"
)


@pytest.fixture
def demo_webhook_settings(settings):
    """The webhook secret and Mailgun signing key of the example site's dev settings, which the README's
    command is signed for."""
    keys = ("WEBHOOK_SECRET", "MAILGUN_WEBHOOK_SIGNING_KEY")
    settings.ANYMAIL = {**settings.ANYMAIL, **{key: dev_settings.ANYMAIL[key] for key in keys}}
    return settings


def curl_arguments():
    command = shlex.split(readme_block("inbound:curl").replace("\\\n", " "))
    assert command[0] == "curl"
    return command


@pytest.mark.django_db
def test_the_readme_inbound_command_posts_a_text_field_that_is_stored(client, demo_webhook_settings, tmp_path):
    # As curl sends it: each -F a text field; `name=<file` the file's content as a field, not a file part.
    command = curl_arguments()
    user, password = command[command.index("-u") + 1].split(":", 1)
    fields = {}
    for flag, value in zip(command, command[1:]):
        if flag == "-F":
            name, content = value.split("=", 1)
            assert not content.startswith("@"), "a file part: Mailgun's webhook reads body-mime as a field"
            fields[name] = REPLY.format(n=1) if content == "<reply.eml" else content
    assert "body-mime" in fields
    url = command[-1].replace("http://127.0.0.1:8000", "")
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    response = client.post(url, fields, HTTP_AUTHORIZATION=f"Basic {auth}")
    assert response.status_code == 200
    stored = InboundMail.objects.get(internet_message_id__contains="readme-recipe-1")
    assert stored.subject == "A question about my invoice" and stored.from_email == "ann@example.net"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_the_readme_inbound_command_works_as_printed_with_curl(live_server, demo_webhook_settings, tmp_path):
    (tmp_path / "reply.eml").write_text(REPLY.format(n=2), encoding="utf-8")
    command = [arg.replace("http://127.0.0.1:8000", live_server.url) for arg in curl_arguments()]
    result = subprocess.run(
        [*command, "--silent", "--show-error", "--output", "/dev/null", "--write-out", "%{http_code}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert result.stdout == "200", result.stderr
    stored = InboundMail.objects.get(internet_message_id__contains="readme-recipe-2")
    assert stored.subject == "A question about my invoice"


# The demo: links on its port, mail settings of this Django ---------------------------------------------------


def test_the_demo_settings_follow_port():
    env = {key: value for key, value in os.environ.items() if key not in ("WAGTAILADMIN_BASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["PORT"] = "8123"
    shown = subprocess.run(
        [sys.executable, "-c", "from example_site.settings import dev; print(dev.WAGTAILADMIN_BASE_URL)"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )
    assert shown.stdout.strip() == "http://127.0.0.1:8123", shown.stderr
    # make demo hands PORT to the seeding (the Site's port) and to the server (the settings above).
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "PORT=$(PORT) $(MANAGE) support_demo" in makefile
    assert "PORT=$(PORT) PYTHON=$(PY) bash scripts/demo_servers.sh" in makefile
    servers = (REPO / "scripts" / "demo_servers.sh").read_text()
    assert 'runserver "127.0.0.1:$PORT"' in servers and "SECOND_PORT=$((PORT + 1))" in servers


def test_the_demo_names_its_mail_backend_as_this_django_wants_it():
    # Django 6.1 deprecates EMAIL_BACKEND for MAILERS and refuses both at once.
    if django.VERSION >= (6, 1):
        assert dev_settings.MAILERS["default"]["BACKEND"] == "anymail.backends.console.EmailBackend"
        assert not hasattr(dev_settings, "EMAIL_BACKEND")
    else:
        assert dev_settings.EMAIL_BACKEND == "anymail.backends.console.EmailBackend"
        assert not hasattr(dev_settings, "MAILERS")
