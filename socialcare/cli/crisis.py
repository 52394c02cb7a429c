"""`socialcare alerts`, `socialcare incidents`, `socialcare crisis`: a care team's worst day
from the command line."""

from __future__ import annotations

import click

from socialcare.cli.app import echo_json, format_option, main, with_runtime
from socialcare.runtime import Runtime


@main.command()
@format_option(("json", "table"), "table", "json: one object per line.")
@click.option("--active", is_flag=True, help="Only alerts not closed.")
@with_runtime()
def alerts(rt: Runtime, fmt, active) -> None:
    """Spike alerts, newest first: why each fired and the incident it opened."""
    from socialcare.store.incidents import list_alerts

    rows = list_alerts(rt.require_store(), active_only=active)
    if fmt == "json":
        for row in rows:
            echo_json(row)
        return
    click.echo(
        f"{'alert':13} {'status':12} {'brand':16} {'kind':8} {'detected (event time)':22} {'obs':>5} {'exp':>6}  incident"
    )
    for r in rows:
        click.echo(
            f"{r['id']:13} {r['status']:12} {r['brand'][:16]:16} {r['kind']:8} "
            f"{r['detected_at'][:19]:22} {r['observed']:>5} {r['expected']:>6.1f}  {r['incident_id'] or ''}"
        )


@main.command()
@format_option(("json", "table"), "table", "json: one object per line.")
@click.option("--status", type=click.Choice(["open", "closed", "merged"]))
@with_runtime()
def incidents(rt: Runtime, fmt, status) -> None:
    """Incidents: posts about one thing, grouped when an alert fired."""
    from socialcare.store.incidents import list_incidents

    rows = list_incidents(rt.require_store(), status)
    if fmt == "json":
        for row in rows:
            echo_json(row)
        return
    click.echo(f"{'incident':13} {'status':7} {'brand':16} {'cases':>5} {'posts':>5}  title")
    for r in rows:
        click.echo(
            f"{r['id']:13} {r['status']:7} {r['brand'][:16]:16} {len(r['case_ids']):>5} "
            f"{len(r['post_ids']):>5}  {r['title']}"
        )


@main.group()
def crisis() -> None:
    """Crisis mode: an incident's customers in their own queue, by a published rule set."""


@crisis.command("on")
@click.option("--incident", "incident_id", required=True)
@click.option("--author", required=True, help="Who (kept in the rules history).")
@click.option("-m", "--message", required=True, help="Why (kept in the rules history).")
@with_runtime()
def crisis_on_cmd(rt: Runtime, incident_id, author, message) -> None:
    """Publish a rule-set version routing the incident's posts to the crisis queue."""
    from route.crisis import crisis_on

    rs = crisis_on(rt.engine, rt.rules(), incident_id, author, message)
    click.echo(f"crisis mode on for {incident_id}: published version {rs.version}")


@crisis.command("off")
@click.option("--incident", "incident_id", required=True)
@click.option("--author", required=True)
@click.option("-m", "--message", default="over", show_default=True)
@with_runtime()
def crisis_off_cmd(rt: Runtime, incident_id, author, message) -> None:
    """Roll crisis mode back for the incident (a new rules history entry)."""
    from route.crisis import crisis_off

    rs = crisis_off(rt.engine, rt.rules(), incident_id, author, message)
    click.echo(f"crisis mode off for {incident_id}: version {rs.version} in force")
