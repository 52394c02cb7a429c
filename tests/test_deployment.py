"""Docker does not run on our machines, so the compose file is checked as far as it can be:
it parses, it has the services the README names, and every service command is a real CLI
command whose options parse."""

from __future__ import annotations

from pathlib import Path

import click
import yaml

from socialcare.cli import main

ROOT = Path(__file__).resolve().parent.parent


#: every socialcare process of the stack: the stages, and what `run` does beside them
SOCIALCARE_SERVICES = (
    "ingest",
    "classify",
    "route",
    "watchdog",
    "assign",
    "retrain",
    "replies",
    "desk",
)


def test_compose_services_run_real_cli_commands():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"kafka", "postgres", *SOCIALCARE_SERVICES} <= set(services)
    assert services["classify"]["deploy"]["replicas"] == 2
    assert "KRaft" in (ROOT / "docker-compose.yml").read_text()
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    for name in ("kafka", "postgres", "desk"):
        assert "healthcheck" in services[name], name
    assert set(compose["volumes"]) == {"kafka-data", "postgres-data"}
    for name in SOCIALCARE_SERVICES:
        args = services[name]["command"]
        env = services[name]["environment"]
        assert env["SOCIALCARE_BUS"].startswith("kafka://")
        assert env["SOCIALCARE_DB"].startswith("postgresql://")
        command = main.get_command(click.Context(main), args[0])
        assert command is not None, f"{name}: no CLI command {args[0]!r}"
        if isinstance(command, click.Group):  # e.g. `replies send`: check the subcommand
            command, args = command.get_command(click.Context(command), args[1]), args[1:]
            assert command is not None, f"{name}: no CLI subcommand {args[0]!r}"
        command.make_context(args[0], list(args[1:]))  # raises on an unknown or bad option


def test_dockerfile_copies_every_package():
    """Every top-level package the distribution installs (pyproject's find include) is copied."""
    import tomllib

    dockerfile = (ROOT / "Dockerfile").read_text()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [
        p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    ]
    assert packages
    for package in packages:
        assert f"COPY {package} {package}" in dockerfile
