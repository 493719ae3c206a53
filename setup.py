import os

from setuptools import find_namespace_packages, setup

here = os.path.abspath(os.path.dirname(__file__))

about = {}
with open(os.path.join(here, "wagtail_support", "__init__.py"), encoding="utf-8") as f:
    for line in f:
        if line.startswith("__version__"):
            exec(line, about)

with open(os.path.join(here, "README.md"), encoding="utf-8") as f:
    long_description = f.read()

install_requires = [
    "wagtail>=8.0,<9",
    "Django>=5.2,<6.2",
    "wagtail-modeladmin>=2.2,<3",
    "django-anymail>=13.0,<16",
    "bleach[css]>=6.1,<7",
    # The background-task API that Wagtail 8 itself uses (django_tasks, the backport of django.tasks).
    "django-tasks>=0.9,<0.13",
]

test_requires = [
    "pytest>=8",
    "pytest-django>=4.9",
    "dj-database-url>=2.2",
    "psycopg[binary]>=3.1",
    "playwright>=1.45",
]

# `make bench` and `make load` (benchmarks/): a production-like server, a worker backend for the tasks,
# a load generator and the benchmark's plot. Their smoke tests run in `make test`, so `test` needs them too.
bench_requires = [
    "gunicorn>=23",
    # The database worker backend of django_tasks (the load test's mail workers).
    "django-tasks-db>=0.12,<0.14",
    "locust>=2.30",
    "matplotlib>=3.8",
]

setup(
    name="wagtail-support",
    version=about["__version__"],
    description="A complete helpdesk inside your Wagtail site: tickets, support pages, an agent workspace and mail.",
    long_description=long_description,
    long_description_content_type="text/markdown",
    author="wagtail-support contributors",
    license="BSD-3-Clause",
    # Namespace discovery takes templates/, static/ and locale/ in as package data (see MANIFEST.in).
    packages=find_namespace_packages(include=["wagtail_support", "wagtail_support.*"]),
    include_package_data=True,
    python_requires=">=3.11",
    install_requires=install_requires,
    extras_require={"test": test_requires + bench_requires, "bench": bench_requires},
    zip_safe=False,
    classifiers=[
        "Development Status :: 3 - Alpha",
        "Environment :: Web Environment",
        "Framework :: Django",
        "Framework :: Django :: 5.2",
        "Framework :: Django :: 6.0",
        "Framework :: Wagtail",
        "Framework :: Wagtail :: 8",
        "Intended Audience :: Developers",
        "Operating System :: OS Independent",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
    ],
)
