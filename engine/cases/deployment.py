"""Validating and deploying BPMN files as immutable, numbered definition versions.

A deploy of several files is all-or-nothing: every file is validated first, and only when
all pass are the changed ones stored, in one transaction. A file whose content equals the
newest version of its process creates nothing. Running cases keep the version they
started on; new cases pin the newest one not withdrawn (``engine.admin``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from engine import clock
from engine.accounts.users import get_user
from engine.bpmn.definitions import (
    CompiledDefinition,
    InvalidDefinition,
    Problem,
    Source,
    compiled_for,
    read_source,
    validate,
)
from engine.cases.permissions import Action, require
from engine.context import Prflow
from engine.errors import Conflict, InvalidInput, NotFound
from engine.events import chain as events
from engine.events import types as ev
from engine.forms.definitions import FormCatalogue, sources_sha256
from engine.store.db import read_session, write_session
from engine.store.tables import Case, Definition


@dataclass(frozen=True)
class Deployed:
    key: str
    version: int
    sha256: str
    file_name: str
    created: bool


def bpmn_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders to their ``*.bpmn`` files; refuse paths that do not exist."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.glob("*.bpmn")))
        elif path.is_file():
            files.append(path)
        else:
            raise InvalidInput(f"{path}: no such file or folder")
    if not files:
        raise InvalidInput("no .bpmn files found in the given paths")
    return files


def form_catalogue(ctx: Prflow, files: Iterable[Path]) -> FormCatalogue:
    """The forms of ``processes/forms/``, plus a ``forms/`` folder beside any given file."""
    folders = [ctx.settings.processes_dir / "forms"]
    folders += sorted({path.parent / "forms" for path in files} - set(folders))
    return FormCatalogue.load(folders)


def validate_files(
    ctx: Prflow, paths: Iterable[Path], executable: bool = False
) -> list[tuple[Source, CompiledDefinition]]:
    """Validate every file; raise one ``InvalidDefinition`` listing all problems found.

    ``executable`` runs a file's only process even if it is marked not executable.
    """
    return _validate(ctx, paths, executable)[0]


def _validate(
    ctx: Prflow, paths: Iterable[Path], executable: bool = False
) -> tuple[list[tuple[Source, CompiledDefinition]], FormCatalogue]:
    problems: list[Problem] = []
    valid: list[tuple[Source, CompiledDefinition]] = []
    keys: dict[str, str] = {}
    files = bpmn_files(paths)
    forms = form_catalogue(ctx, files)
    for path in files:
        try:
            source = read_source(path, executable)
            compiled = validate(source, ctx.roles, forms)
        except InvalidDefinition as err:
            problems.extend(err.problems)
            continue
        if source.key in keys:
            problems.append(
                Problem(
                    source.file_name,
                    None,
                    source.key,
                    f"process id {source.key!r} is also defined in {keys[source.key]}; "
                    "give each process its own id",
                    "duplicate-key",
                )
            )
        keys[source.key] = source.file_name
        valid.append((source, compiled))
    if problems:
        raise InvalidDefinition(problems)
    return valid, forms


def deploy(
    ctx: Prflow, paths: Iterable[Path], actor: str, executable: bool = False
) -> list[Deployed]:
    validated, forms = _validate(ctx, paths, executable)
    now = clock.now()
    results: list[Deployed] = []
    try:
        with write_session(ctx.db) as session:
            require(get_user(session, actor), Action.DEPLOY)
            for source, compiled in validated:
                named = [t.form for t in compiled.user_tasks.values() if t.form]
                used = forms.subset_json([*named, start_form(source.key)])
                results.append(_store_version(session, source, used, actor, now))
    except IntegrityError as err:
        # Two deploys of one process raced for the same version number; nothing was stored.
        raise Conflict(
            "another deploy of the same process was stored at the same moment; nothing was "
            "deployed by this one: run it again"
        ) from err
    return results


def _store_version(
    session: Session, source: Source, forms: str, actor: str, now: datetime
) -> Deployed:
    """Store a new version unless the newest one has the same diagram and the same forms."""
    forms_sha256 = sources_sha256(forms)
    latest = latest_version(session, source.key)
    if latest is not None and (latest.sha256, latest.forms_sha256) == (source.sha256, forms_sha256):
        return Deployed(source.key, latest.version, source.sha256, source.file_name, False)
    version = 1 if latest is None else latest.version + 1
    row = Definition(
        key=source.key,
        version=version,
        name=source.name,
        sha256=source.sha256,
        file_name=Path(source.file_name).name,
        xml=source.xml.decode("utf-8"),
        deployed_at=now,
        deployed_by=actor,
        forms=forms,
        forms_sha256=forms_sha256,
    )
    session.add(row)
    session.flush()
    events.append(
        session,
        ev.Deployed(source.sha256, row.file_name, row.id, forms_sha256),
        at=row.deployed_at,
        actor=actor,
        process_key=source.key,
        version=version,
    )
    return Deployed(source.key, version, source.sha256, source.file_name, True)


@dataclass(frozen=True)
class VersionInfo:
    """One deployed version, with how many cases run on it."""

    key: str
    version: int
    name: str
    sha256: str
    file_name: str
    deployed_at: datetime
    deployed_by: str
    running_cases: int
    all_cases: int
    withdrawn_at: datetime | None = None


def versions(ctx: Prflow, key: str | None = None) -> list[VersionInfo]:
    """Every deployed version (of one process, or of all), oldest first per process."""
    running = func.count().filter(col(Case.status) == "running")
    query = (
        select(Definition, running, func.count(col(Case.id)))
        .outerjoin(Case, col(Case.definition_id) == col(Definition.id))
        .group_by(col(Definition.id))
        .order_by(col(Definition.key), col(Definition.version))
    )
    if key is not None:
        query = query.where(Definition.key == key)
    with read_session(ctx.db) as session:
        if key is not None:
            require_latest(session, key)
        rows = session.exec(query).all()
    return [
        VersionInfo(d.key, d.version, d.name, d.sha256, d.file_name, d.deployed_at,
                    d.deployed_by, running_count, all_count, d.withdrawn_at)
        for d, running_count, all_count in rows
    ]  # fmt: skip


def latest_version(session: Session, key: str) -> Definition | None:
    query = select(Definition).where(Definition.key == key).order_by(col(Definition.version).desc())
    return session.exec(query.limit(1)).first()


def require_latest(session: Session, key: str) -> Definition:
    row = latest_version(session, key)
    if row is None:
        known = sorted(set(session.exec(select(Definition.key)).all()))
        raise NotFound(
            "process",
            key,
            f"deployed processes: {', '.join(known) or 'none'}; "
            "deploy it with: prflow deploy processes/",
        )
    return row


def startable_version(session: Session, key: str) -> Definition:
    """The version a new case of ``key`` starts on: the newest one not withdrawn."""
    newest = require_latest(session, key)
    if newest.withdrawn_at is None:
        return newest
    row = session.exec(
        select(Definition)
        .where(Definition.key == key, col(Definition.withdrawn_at).is_(None))
        .order_by(col(Definition.version).desc())
        .limit(1)
    ).first()
    if row is None:
        raise Conflict(
            f"every version of {key} is withdrawn, so no case can start; a process owner can "
            f"restore one (prflow admin restore-version {key} VERSION --as LOGIN) or deploy a fix"
        )
    return row


def compiled_row(row: Definition) -> CompiledDefinition:
    """The compiled definition of a stored version (parsed once per process)."""
    return compiled_for(row.sha256, row.xml.encode("utf-8"), row.file_name)


def start_form(key: str) -> str:
    """The optional form a case of this process starts with (``<process key>_start``)."""
    return f"{key}_start"


def forms_of(row: Definition) -> FormCatalogue:
    """The forms deployed with a stored version (empty for versions deployed before forms)."""
    key = row.forms_sha256 or ""
    cached = _FORMS.get(key)
    if cached is None:
        cached = _FORMS[key] = FormCatalogue.from_json(row.forms)
    return cached


_FORMS: dict[str, FormCatalogue] = {}
