"""``trial queries``: data queries from the command line, acting as a named user.

Listing and showing read; ``open``, ``answer``, ``close`` and ``reopen`` write one step each through
:mod:`trial.governance.data_queries`, which decides who may do what and refuses with a sentence (exit 2).
The helpers shared with the other commands come from :mod:`trial.cli.common`; ``trial.cli``
registers this group.
"""

from __future__ import annotations

import click

from trial.cli.common import (
    acting_store,
    as_seen_by,
    db_option,
    emit,
    format_option,
    reports_errors,
    user_option,
)

LIST_COLUMNS = ["query_id", "status", "site_id", "subject_id", "table_name", "record_key", "column_name",
                "value_when_opened", "question", "last_action", "last_by", "last_at"]
HISTORY_COLUMNS = ["seq", "written_at", "user_name", "action", "text", "upload_id", "file_name"]


def _text_option(required: bool, help: str):
    return click.option("--text", required=required, default=None, help=help)


def _acting_store(ctx, db, user, permission=None, *, read_only: bool = False):
    """``acting_store`` for a subcommand: its own --db and --user, else those given to ``trial queries``."""
    given = ctx.obj or {}
    return acting_store(db or given.get("db"), user or given.get("user"), permission, read_only=read_only)


@click.group(invoke_without_command=True)
@click.option("--status", type=click.Choice(["OPEN", "ANSWERED", "CLOSED"], case_sensitive=False), default=None,
              help="Only queries of this status.")
@click.option("--subject", default=None, help="Only this subject's queries (e.g. S01-004).")
@click.option("--site", default=None, help="Only this site's queries (e.g. S01).")
@format_option("text", "json", "csv")
@user_option
@db_option
@click.pass_context
def queries(ctx, status, subject, site, fmt, user, db):
    """Data queries on single data points: list them (default), show one, open, answer, close, re-open."""
    ctx.obj = {"db": db, "user": user}  # `trial queries --db X show 3` means that database
    if ctx.invoked_subcommand is None:
        reports_errors(_list)(ctx, status, subject, site, fmt)


def _list(ctx, status, subject, site, fmt) -> None:
    from trial.governance.access import Permission
    from trial.governance.data_queries import query_list

    with _acting_store(ctx, None, None, Permission.VIEW_QUERIES, read_only=True) as (store, me):
        frame = query_list(as_seen_by(store, me), status=status, subject_id=subject, site_id=site)  # theirs only
    if frame.empty and fmt == "text":
        click.echo("No queries" + (" for that selection." if status or subject or site else " yet.")
                   + " A monitor opens one with `trial queries open SUBJECT --table T --key K --column C --text …`.")
        return
    if fmt == "text":
        frame = frame[LIST_COLUMNS].assign(last_at=frame.last_at.dt.strftime("%Y-%m-%d %H:%M"))
    emit(frame, fmt)


@queries.command("show")
@click.argument("query_id", type=int)
@format_option("text", "json", "csv")
@user_option
@db_option
@click.pass_context
def show(ctx, query_id, fmt, user, db):
    """One query: its data point, the value then and now, and every message in order."""
    reports_errors(_show)(ctx, query_id, fmt, user, db)


def _show(ctx, query_id, fmt, user, db) -> None:
    import pandas as pd

    from trial.governance.access import Permission
    from trial.governance.data_queries import (
        current_value,
        query_history,
        query_record,
    )

    with _acting_store(ctx, db, user, Permission.VIEW_QUERIES, read_only=True) as (store, me):
        seen = as_seen_by(store, me)
        found = query_record(seen, query_id)  # a query the user may not see is not in their view
        history = query_history(seen, query_id)
        now = current_value(seen, query_id)
    if fmt != "text":
        emit(history, fmt)
        return
    click.echo(f"Query {query_id} ({found['status']}) on {found['table_name']} {found['record_key']}, "
               f"{found['column_name']}: site {found['site_id']}, opened by {found['opened_by']}.")
    click.echo(f"Value when opened: {_value(found['value_when_opened'])}; now: {_value(now)}.")
    for row in history.itertuples(index=False):
        cited = f" [upload {row.upload_id}: {row.file_name}]" if pd.notna(row.upload_id) else ""
        text = row.text if isinstance(row.text, str) else ""
        click.echo(f"  {row.seq}. {row.written_at:%Y-%m-%d %H:%M} UTC  {row.user_name}  {row.action}{cited}  {text}")


def _value(value) -> str:
    from trial.findings import show

    return show(value) or "(empty)"  # None, or NaN from a DataFrame


def _write(ctx, db, user, step) -> None:
    """Run one write step as the acting user on the read-write store (the core decides what the
    user's roles and site allow, and says why not)."""
    with _acting_store(ctx, db, user) as (store, me):
        step(store, me)


@queries.command("open")
@click.argument("subject")
@click.option("--table", required=True, help="The study table (e.g. hair_counts).")
@click.option("--key", "record_key", required=True, help="The record's key values joined by ' / ', subject first "
              "(e.g. 'S01-004 / WEEK_12 / TARGET').")
@click.option("--column", required=True, help="The column of the data point (e.g. hair_count).")
@_text_option(True, "What the site should check.")
@user_option
@db_option
@click.pass_context
def open_command(ctx, subject, table, record_key, column, text, user, db):
    """Open a query on one data point (a monitor or a statistician)."""

    def step(store, me):
        from trial.governance.data_queries import open_query, query_record

        query_id = open_query(store, me, subject_id=subject, table_name=table, record_key=record_key,
                              column_name=column, text=text)
        found = query_record(store, query_id)
        click.echo(f"Opened query {query_id} on {found['table_name']} {found['record_key']}, {found['column_name']} "
                   f"(value {_value(found['value_when_opened'])}); site {found['site_id']} answers it.")

    reports_errors(_write)(ctx, db, user, step)


@queries.command("answer")
@click.argument("query_id", type=int)
@_text_option(True, "What was checked or corrected.")
@click.option("--upload", "upload_id", type=int, default=None, help="The upload that corrected the value, if any.")
@user_option
@db_option
@click.pass_context
def answer_command(ctx, query_id, text, upload_id, user, db):
    """Answer a query of your site (site staff; an evaluator on the assessments)."""

    def step(store, me):
        from trial.governance.data_queries import answer_query

        answer_query(store, me, query_id, text, upload_id=upload_id)
        cited = f", citing upload {upload_id}" if upload_id is not None else ""
        click.echo(f"Query {query_id} is answered{cited}; a monitor closes or re-opens it.")

    reports_errors(_write)(ctx, db, user, step)


@queries.command("close")
@click.argument("query_id", type=int)
@_text_option(False, "A closing comment (optional).")
@user_option
@db_option
@click.pass_context
def close_command(ctx, query_id, text, user, db):
    """Close a query: the answer settles it (a monitor or a statistician)."""

    def step(store, me):
        from trial.governance.data_queries import close_query

        close_query(store, me, query_id, text)
        click.echo(f"Query {query_id} is closed.")

    reports_errors(_write)(ctx, db, user, step)


@queries.command("reopen")
@click.argument("query_id", type=int)
@_text_option(True, "What is still wrong.")
@user_option
@db_option
@click.pass_context
def reopen_command(ctx, query_id, text, user, db):
    """Re-open an answered or closed query, saying what is still wrong (a monitor or a statistician)."""

    def step(store, me):
        from trial.governance.data_queries import reopen_query

        reopen_query(store, me, query_id, text)
        click.echo(f"Query {query_id} is open again; the site answers it.")

    reports_errors(_write)(ctx, db, user, step)
