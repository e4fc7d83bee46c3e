"""The ``starmap-tui`` command: the TUI and the headless subcommands.

Heavy imports (Textual, SQLAlchemy) happen inside the commands that need them,
so ``list`` and ``--help`` stay quick. Errors go to stderr with a message that
says what to do; exit 2 means the input was wrong, 1 that the work failed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from starmap_tui import __version__
from starmap_tui.paths import AppPaths, resolve_paths

if TYPE_CHECKING:
    from starmap_tui.config import Settings
    from starmap_tui.storage.records import StarmapRecord
    from starmap_tui.storage.repository import Repository

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CliError(Exception):
    """A problem to report on stderr with an exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Context:
    """What every command needs: locations, settings and the database path."""

    paths: AppPaths
    settings: Settings
    db_path: Path


# -- argument parsing ----------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The full command line, global options before the subcommand."""
    parser = argparse.ArgumentParser(
        prog="starmap-tui",
        description="Training needs analyses in the terminal.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument("--db", metavar="PATH", help="the SQLite database to use")
    parser.add_argument("--provider", help="offline (default), openai or anthropic")
    parser.add_argument("--model", metavar="M", help="the model name")
    parser.add_argument("--base-url", metavar="URL", help="the provider's API URL")
    parser.add_argument(
        "--resume", metavar="ID", help="open a starmap where it left off"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    new = commands.add_parser("new", help="start a starmap from an answers file")
    new.add_argument(
        "--answers",
        metavar="FILE",
        required=True,
        help="JSON: {title, answers, dynamic_answers} ('-' for stdin)",
    )
    new.add_argument("--title", help="override the title in the file")
    new.add_argument(
        "--run", action="store_true", help="generate now, in this process, and wait"
    )

    listing = commands.add_parser("list", help="list starmaps")
    listing.add_argument(
        "--status",
        metavar="S",
        help="a status, or in-progress (draft+queued+processing)",
    )
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.add_argument(
        "--limit", type=int, metavar="N", help="at most N rows (0: no limit)"
    )

    show = commands.add_parser("show", help="print a starmap's report as Markdown")
    show.add_argument("id", metavar="ID")

    export = commands.add_parser("export", help="export a starmap's report")
    export.add_argument("id", metavar="ID")
    export.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="default: stdout; an existing FILE is overwritten",
    )
    export.add_argument("--format", choices=("md", "html", "json"))

    retry = commands.add_parser(
        "retry", help="queue again the steps that failed or were cancelled"
    )
    retry.add_argument("id", metavar="ID")

    worker = commands.add_parser(
        "worker",
        help="run the job runner headless",
        description="Run queued jobs. Prints one line per job it finishes "
        "(starmap id, step, outcome) and, when it stops, a summary.",
    )
    worker.add_argument("--concurrency", type=int, metavar="N")
    worker.add_argument(
        "--once", action="store_true", help="stop when nothing runnable is left"
    )

    commands.add_parser("paths", help="show where starmap-tui keeps its files")
    commands.add_parser("doctor", help="check the store and the provider")
    return parser


def make_context(args: argparse.Namespace) -> tuple[Context, list[str]]:
    """Resolve paths and settings once, flags winning over env and file."""
    from starmap_tui.config import ConfigError, load_settings

    paths = resolve_paths()
    flags = {
        "provider": args.provider,
        "model": args.model,
        "base_url": args.base_url,
        "db_path": args.db,
    }
    try:
        settings, warnings = load_settings(paths, os.environ, flags)
    except ConfigError as exc:
        raise CliError(str(exc)) from exc
    db_path = Path(args.db).expanduser() if args.db else paths.database
    if settings.db_path and not args.db:
        db_path = settings.db_path
    return Context(paths, settings, db_path), warnings


def setup_logging(paths: AppPaths) -> None:
    """Log to a file in the log folder, never to the terminal."""
    try:
        paths.log_dir.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(paths.log_file, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``starmap-tui`` command."""
    args = build_parser().parse_args(argv)
    try:
        context, warnings = make_context(args)
        setup_logging(context.paths)
        for warning in warnings:
            print(f"starmap-tui: warning: {warning}", file=sys.stderr)
        command = COMMANDS.get(args.command or "", run_tui)
        return command(context, args)
    except CliError as exc:
        print(f"starmap-tui: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``list --json | head``): not our error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def run_async(factory: Callable[[], Any]) -> Any:
    """Run a coroutine, turning store errors into CLI errors."""
    import asyncio

    from starmap_tui.storage.errors import (
        AmbiguousStarmap,
        StoreError,
        UnknownStarmap,
    )

    try:
        return asyncio.run(factory())
    except (UnknownStarmap, AmbiguousStarmap) as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc
    except StoreError as exc:
        raise CliError(str(exc), EXIT_FAILED) from exc


async def open_repo(context: Context) -> Repository:
    """Open the full store (ORM), creating and migrating it as needed."""
    from starmap_tui.storage.repository import Repository

    return await Repository.open(context.db_path)


# -- the TUI ----------------------------------------------------------------------


def run_tui(context: Context, args: argparse.Namespace) -> int:
    """Open the dashboard, or a starmap with --resume."""
    from starmap_tui.storage.errors import StoreError
    from starmap_tui.storage.preflight import check_database

    try:
        check_database(context.db_path)
        resume_id = resolve_for_resume(context, args.resume) if args.resume else None
    except StoreError as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc

    from starmap_tui.app import StarmapApp

    app = StarmapApp(context.settings, context.db_path, resume_id=resume_id)
    try:
        app.run()
    except Exception:
        report = write_crash_report(context, traceback.format_exc())
        raise CliError(
            f"starmap-tui crashed. A report was written to {report}.", EXIT_FAILED
        ) from None
    return EXIT_OK


def resolve_for_resume(context: Context, prefix: str) -> str:
    """The full id for --resume, checked before the screen takes over."""
    from starmap_tui.storage.listing import LightReader

    reader = LightReader.open(context.db_path)
    if reader is None:
        return run_async(lambda: _resolve_with_repo(context, prefix))
    try:
        return reader.resolve_id(prefix)
    finally:
        reader.close()


async def _resolve_with_repo(context: Context, prefix: str) -> str:
    repo = await open_repo(context)
    try:
        return await repo.resolve_id(prefix)
    finally:
        await repo.close()


def write_crash_report(context: Context, trace: str) -> Path:
    """Write the traceback with secrets masked; return where it went."""
    key = context.settings.api_key
    if key:
        trace = trace.replace(key, "***")
    folder = context.paths.crash_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"crash-{datetime.now(UTC):%Y%m%d-%H%M%S}.txt"
    path.write_text(f"starmap-tui {__version__}\n\n{trace}", encoding="utf-8")
    return path


# -- new ----------------------------------------------------------------------------


def cmd_new(context: Context, args: argparse.Namespace) -> int:
    """Create a starmap from an answers file; with --run, generate it now."""
    from starmap_tui.questionnaire.answers_file import (
        AnswersInvalid,
        parse_answers_text,
    )

    text = read_answers_file(args.answers)
    try:
        document = parse_answers_text(text, title=args.title)
    except AnswersInvalid as exc:
        lines = "\n".join(f"  - {problem}" for problem in exc.problems)
        message = f"{args.answers} has problems; nothing was saved:\n{lines}"
        raise CliError(message) from None
    return run_async(lambda: _new(context, document, run=args.run))


def read_answers_file(name: str) -> str:
    """The text of the answers file, or a clear error."""
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"No such answers file: {name}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"Cannot read {name}: {exc}") from None


async def _new(context: Context, document: Any, *, run: bool) -> int:
    repo = await open_repo(context)
    try:
        record = await repo.create_starmap(
            document.title,
            stage_answers=document.stage_answers,
            dynamic_answers=document.dynamic_answers,
            completed_stages=("experience", "stage1", "stage2", "stage3"),
            session_state={"headless": True},
            status="queued",
            current_step="dynamic",
            queue=("questions", "preliminary"),
        )
        code = await _run_until_settled(context, repo, record.id) if run else EXIT_OK
    finally:
        await repo.close()
    print(record.id)
    return code


async def _run_until_settled(
    context: Context, repo: Repository, starmap_id: str
) -> int:
    from starmap_tui.worker.runner import Runner, RunnerEvent

    def show(event: RunnerEvent) -> None:
        if event.starmap_id != starmap_id:
            return
        eta = f", about {event.eta_seconds:.0f} s left" if event.eta_seconds else ""
        detail = f" — {event.error}" if event.error else ""
        print(
            f"[{event.job_kind}] {event.phase} {event.percent}%{eta}{detail}",
            file=sys.stderr,
        )

    runner = Runner(
        repo,
        provider_factory(context),
        runner_settings(context),
        on_event=show,
        only_starmap=starmap_id,
    )
    await runner.start()
    try:
        record = await _wait_settled(repo, starmap_id)
    finally:
        await runner.stop()
    if record.status == "completed":
        print(f"Completed: {printable(record.title)}", file=sys.stderr)
        return EXIT_OK
    print(f"starmap-tui: {record.status}: {record.report_job_error}", file=sys.stderr)
    print(
        f"starmap-tui: run 'starmap-tui retry {record.id[:8]}' to queue it again.",
        file=sys.stderr,
    )
    return EXIT_FAILED


async def _wait_settled(repo: Repository, starmap_id: str) -> StarmapRecord:
    import asyncio

    while True:
        record = await repo.get_starmap(starmap_id)
        if record is None or record.status in ("completed", "failed", "cancelled"):
            assert record is not None, "the starmap was deleted while generating"
            return record
        await asyncio.sleep(0.1)


def provider_factory(context: Context) -> Callable[[], Any]:
    """A factory for the configured provider (created on first use)."""
    from starmap_tui.worker.providers.registry import make_provider

    return lambda: make_provider(context.settings)


def runner_settings(context: Context, concurrency: int | None = None) -> Any:
    """Runner settings from the resolved settings."""
    from starmap_tui.worker.runner import RunnerSettings

    s = context.settings
    return RunnerSettings(
        concurrency=concurrency or s.concurrency,
        job_deadline=s.job_deadline,
        model=s.model,
        temperature=s.temperature,
        max_tokens=s.max_tokens,
    )


# -- list, show, export ---------------------------------------------------------------


def cmd_list(context: Context, args: argparse.Namespace) -> int:
    """Print starmaps, newest first, from a read-only light read."""
    from starmap_tui.storage.listing import FILTERS, LightReader

    name = (args.status or "all").strip().lower()
    if name not in FILTERS:
        choices = ", ".join(sorted(FILTERS))
        raise CliError(f"Unknown status '{args.status}'. Use one of: {choices}.")
    if args.limit is not None and args.limit < 0:
        raise CliError("--limit must be 0 or more.")
    limit = args.limit or None  # 0 means no limit, like leaving it out
    if not context.db_path.exists():
        print("[]" if args.json else "No starmaps yet.")
        return EXIT_OK
    with _store_read_errors(context):
        reader = _light_reader(context, LightReader)
        try:
            if args.json:
                _print_json_rows(reader.iter_rows(FILTERS[name], limit=limit))
            else:
                _print_table_rows(reader.iter_brief(FILTERS[name], limit=limit))
        finally:
            reader.close()
    return EXIT_OK


@contextmanager
def _store_read_errors(context: Context) -> Iterator[None]:
    """Turn a light read's store and SQLite errors into messages.

    The preflight reads only the schema page, so damage further in shows
    only once the rows are read.
    """
    import sqlite3

    from starmap_tui.storage.errors import StoreError
    from starmap_tui.storage.preflight import corrupt_error

    try:
        yield
    except StoreError as exc:
        raise CliError(str(exc), EXIT_FAILED) from exc
    except sqlite3.DatabaseError as exc:
        message = str(exc).lower()
        if "malformed" in message or "not a database" in message:
            corrupt = corrupt_error(context.db_path, exc)
            raise CliError(str(corrupt), EXIT_FAILED) from exc
        raise CliError(f"Cannot read {context.db_path}: {exc}.", EXIT_FAILED) from exc


def _light_reader(context: Context, reader_class: Any) -> Any:
    """A light reader, migrating the store first if it is out of date."""
    from starmap_tui.storage.preflight import check_database

    check_database(context.db_path)
    reader = reader_class.open(context.db_path)
    if reader is None:
        run_async(lambda: _migrate(context))
        reader = reader_class.open(context.db_path)
    return reader


async def _migrate(context: Context) -> None:
    repo = await open_repo(context)
    await repo.close()


def _print_json_rows(rows: Any) -> None:
    out = sys.stdout
    out.write("[")
    for n, row in enumerate(rows):
        item = {
            "id": row.id,
            "title": row.title,
            "status": row.status,
            "progress": row.progress,
            "current_step": row.current_step,
            "job": row.job_kind,
            "job_status": row.job_status,
            "error": row.error,
            "created_at": row.created_at.isoformat(),
            "updated_at": row.updated_at.isoformat(),
        }
        out.write(("," if n else "") + "\n  " + json.dumps(item, ensure_ascii=False))
    out.write("\n]\n")


def _print_table_rows(rows: Any) -> None:
    """Print (id, status, progress, updated_at, title) tuples as a table.

    Times are shown in UTC straight from the stored ISO text: converting
    100,000 timestamps to local time would cost more than the query.
    """
    write = sys.stdout.write
    count = 0
    for starmap_id, status, progress, updated_at, title in rows:
        if count == 0:
            write(f"{'ID':<36}  {'STATUS':<10}  PROG  {'UPDATED (UTC)':<16}  TITLE\n")
        updated = updated_at[:16].replace("T", " ")
        write(
            f"{starmap_id:<36}  {status:<10}  {progress or 0:>3}%  {updated:<16}  "
            f"{printable(title)}\n"
        )
        count += 1
    if count == 0:
        write("No starmaps match.\n")


def write_stdout(text: str) -> None:
    """Write report text to stdout, terminal control characters removed."""
    from starmap_tui.exports import without_controls

    try:
        sys.stdout.write(without_controls(text))
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise CliError(f"Cannot write the output: {exc.strerror or exc}", 1) from None


def printable(text: str) -> str:
    """Text with control characters (ANSI escapes included) made visible."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def cmd_show(context: Context, args: argparse.Namespace) -> int:
    """Print the report as Markdown (the final one, else the preliminary one)."""
    record = run_async(lambda: _load(context, args.id))
    if record.final_report:
        write_stdout(record.final_report.rstrip("\n") + "\n")
        return EXIT_OK
    if record.preliminary_report:
        print(
            "starmap-tui: note: the final report is not ready; this is the "
            "preliminary one.",
            file=sys.stderr,
        )
        write_stdout(record.preliminary_report.rstrip("\n") + "\n")
        return EXIT_OK
    raise CliError(no_report_message(record), EXIT_FAILED)


def no_report_message(record: StarmapRecord) -> str:
    """Why a starmap has no report to show yet, and what would give it one."""
    title, short = printable(record.title), record.id[:8]
    job = record.report_job_status
    if job in ("failed", "cancelled") or record.status in ("failed", "cancelled"):
        why = record.report_job_error or f"it was {job or record.status}"
        return (
            f"'{title}' has no report: {why} "
            f"Run 'starmap-tui retry {short}' to queue it again."
        )
    if job in ("queued", "running"):
        return (
            f"'{title}' has no report yet (status: {record.status}, "
            f"{record.report_job_progress}%). Run 'starmap-tui worker' or open "
            "the app to generate it."
        )
    return (
        f"'{title}' has no report yet: its questionnaire is not finished "
        f"(status: {record.status}). Finish it in the app "
        f"('starmap-tui --resume {short}'), or start the starmap from an "
        "answers file with 'starmap-tui new --answers FILE'."
    )


async def _load(context: Context, prefix: str) -> StarmapRecord:
    repo = await open_repo(context)
    try:
        record = await repo.get_starmap(await repo.resolve_id(prefix))
        assert record is not None
        return record
    finally:
        await repo.close()


def cmd_export(context: Context, args: argparse.Namespace) -> int:
    """Write the report as Markdown, standalone HTML or re-importable JSON."""
    fmt = args.format or _format_from_name(args.output)
    record = run_async(lambda: _load(context, args.id))
    text = render_export(record, fmt)
    if args.output:
        from starmap_tui.exports import export_target

        target = export_target(args.output)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            message = f"Cannot write {target}: {exc.strerror or exc}"
            raise CliError(message, EXIT_FAILED) from None
        print(f"Wrote {target}", file=sys.stderr)
        run_async(lambda: _log_export(context, record.id, f"{fmt} → {target}"))
    else:
        write_stdout(text)
    return EXIT_OK


def _format_from_name(name: str | None) -> str:
    suffix = Path(name).suffix.lower().lstrip(".") if name else ""
    return {"html": "html", "htm": "html", "json": "json"}.get(suffix, "md")


def render_export(record: StarmapRecord, fmt: str) -> str:
    """The export text of a starmap in ``fmt`` (md, html or json)."""
    from starmap_tui.exports import ExportError, export_text

    try:
        return export_text(record, fmt)
    except ExportError:
        raise CliError(no_report_message(record), EXIT_FAILED) from None


async def _log_export(context: Context, starmap_id: str, detail: str) -> None:
    repo = await open_repo(context)
    try:
        await repo.log_activity(starmap_id, "exported", detail)
    finally:
        await repo.close()


# -- retry --------------------------------------------------------------------------


def cmd_retry(context: Context, args: argparse.Namespace) -> int:
    """Queue again what failed or was cancelled; exit 1 when nothing did."""
    record, jobs = run_async(lambda: _retry(context, args.id))
    title, short = printable(record.title), record.id[:8]
    if not jobs:
        raise CliError(
            f"Nothing to retry: no step of '{title}' ({short}) failed or was "
            f"cancelled (status: {record.status}).",
            EXIT_FAILED,
        )
    kinds = ", ".join(job.kind for job in jobs)
    them = "it" if len(jobs) == 1 else "them"
    print(
        f"Queued again for '{title}' ({short}): {kinds}. An open app or "
        f"'starmap-tui worker' will run {them}."
    )
    return EXIT_OK


async def _retry(context: Context, prefix: str) -> tuple[StarmapRecord, list[Any]]:
    repo = await open_repo(context)
    try:
        starmap_id = await repo.resolve_id(prefix)
        # Retry hands back a step that is still queued as it is; only new
        # jobs were queued again.
        known = {job.id for job in await repo.jobs_for(starmap_id)}
        jobs = [job for job in await repo.retry(starmap_id) if job.id not in known]
        record = await repo.get_starmap(starmap_id)
        assert record is not None
        return record, jobs
    finally:
        await repo.close()


# -- worker, paths, doctor ------------------------------------------------------


def cmd_worker(context: Context, args: argparse.Namespace) -> int:
    """Run the runner until SIGINT/SIGTERM, or with --once until idle."""
    if args.concurrency is not None and args.concurrency < 1:
        raise CliError("--concurrency must be at least 1.")
    return run_async(lambda: _worker(context, args.concurrency, args.once))


async def _worker(context: Context, concurrency: int | None, once: bool) -> int:
    from starmap_tui.worker.runner import Runner

    repo = await open_repo(context)
    job_log = JobLog()
    runner = Runner(
        repo,
        provider_factory(context),
        runner_settings(context, concurrency),
        on_event=job_log.record,
    )
    try:
        if once:
            await runner.run_until_idle()
        else:
            await _serve_until_signal(runner)
    finally:
        await repo.close()
    print(job_log.summary(), flush=True)
    return EXIT_OK


class JobLog:
    """The worker's output: one line per job it finishes, then a summary."""

    # Runner events that end a job's turn here, with how a line says it.
    OUTCOMES: ClassVar[dict[str, str]] = {
        "succeeded": "succeeded",
        "failed": "failed",
        "cancelled": "cancelled",
        "retrying": "will retry",
        "released": "given back to the queue",
    }

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def record(self, event: Any) -> None:
        """Print a line for a job that finished (or will be tried again)."""
        outcome = self.OUTCOMES.get(event.kind)
        if outcome is None:
            return
        self.counts[event.kind] += 1
        reason = f": {printable(event.error)}" if event.error else ""
        print(
            f"{event.starmap_id[:8]}  {event.job_kind:<11}  {outcome}{reason}",
            flush=True,
        )

    def summary(self) -> str:
        """``Finished 3 jobs: 2 succeeded, 1 failed.`` and the like."""
        counts = self.counts
        finished = [
            f"{counts[kind]} {kind}"
            for kind in ("succeeded", "failed", "cancelled")
            if counts[kind]
        ]
        total = sum(counts[kind] for kind in ("succeeded", "failed", "cancelled"))
        lines = [f"Finished {_plural(total, 'job')}: {', '.join(finished)}."]
        if not total:
            lines = ["Finished no jobs."]
        if counts["retrying"]:
            lines.append(f"Retries after passing errors: {counts['retrying']}.")
        if counts["released"]:
            lines.append(
                f"Gave {_plural(counts['released'], 'job')} back to the queue."
            )
        return " ".join(lines)


def _plural(count: int, noun: str) -> str:
    """``1 job``, ``2 jobs``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


async def _serve_until_signal(runner: Any) -> None:
    import asyncio

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # SIGHUP too: a worker started in a terminal that then closes must give
    # its jobs back rather than die holding their leases.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    print(
        f"starmap-tui worker {runner.owner} running; Ctrl+C to stop.", file=sys.stderr
    )
    await runner.start()
    try:
        await stop.wait()
    finally:
        await runner.stop()
        print("starmap-tui worker stopped.", file=sys.stderr)


def cmd_paths(context: Context, args: argparse.Namespace) -> int:
    """Print where things are."""
    paths = context.paths
    for label, value in (
        ("database", context.db_path),
        ("data", paths.data_dir),
        ("config", paths.config_file),
        ("log", paths.log_file),
        ("crash reports", paths.crash_dir),
    ):
        print(f"{label:<14} {value}")
    return EXIT_OK


def cmd_doctor(context: Context, args: argparse.Namespace) -> int:
    """Check the store and the provider; say precisely what is wrong."""
    store_ok = _doctor_store(context)
    provider_ok = run_async(lambda: _doctor_provider(context))
    return EXIT_OK if store_ok and provider_ok else EXIT_FAILED


def _doctor_store(context: Context) -> bool:
    from starmap_tui.storage.errors import StoreError

    try:
        counts = run_async(lambda: _store_counts(context))
    except (CliError, StoreError) as exc:
        print(f"store     FAIL  {exc}")
        return False
    print(
        f"store     ok    {context.db_path}: {counts.total} starmaps, "
        f"{counts.in_progress} in progress, {counts.failed} failed"
    )
    return True


async def _store_counts(context: Context) -> Any:
    repo = await open_repo(context)
    try:
        return await repo.stats()
    finally:
        await repo.close()


async def _doctor_provider(context: Context) -> bool:
    from starmap_tui.worker.providers.base import ProviderError
    from starmap_tui.worker.providers.registry import check_provider

    s = context.settings
    try:
        message = await check_provider(s)
    except ProviderError as exc:
        print(f"provider  FAIL  {_provider_named(context)}: {doctor_reason(exc)}")
        return False
    print(f"provider  ok    {message.removeprefix('OK: ')}")
    return True


def _provider_named(context: Context) -> str:
    """``openai model 'm' at http://host/v1``, credentials left out."""
    s = context.settings
    if s.provider == "offline":
        return "the offline engine"
    from starmap_tui.worker.providers.sse import display_url

    return f"{s.provider} model '{s.model}' at {display_url(s.base_url)}"


def doctor_reason(exc: Any) -> str:
    """A provider error as doctor says it: doctor asks once and never retries,
    so the runner's "will retry" is replaced by what to do."""
    message = exc.message.replace("; will retry", "")
    if exc.retryable:
        message += (
            " This may pass: jobs retry errors like it on their own; run "
            "'starmap-tui doctor' again to check."
        )
    return message


COMMANDS: dict[str, Callable[[Context, argparse.Namespace], int]] = {
    "new": cmd_new,
    "list": cmd_list,
    "show": cmd_show,
    "export": cmd_export,
    "retry": cmd_retry,
    "worker": cmd_worker,
    "paths": cmd_paths,
    "doctor": cmd_doctor,
}
