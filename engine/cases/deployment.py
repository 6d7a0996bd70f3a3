"""Validating and deploying BPMN files as immutable, numbered definition versions.

A deploy of several files is all-or-nothing: every file is validated first, and only when
all pass are the changed ones stored, in one transaction. A file whose content equals the
newest version of its process creates nothing. Running cases keep the version they
started on; new cases pin the newest one not withdrawn (``engine.admin``).

**Calls between processes.** A file's call activities name other processes by id. A batch
is checked as a whole against the processes deployed already: a call to a process that
is neither in the batch nor deployed, a cycle of calls (A calls B calls A), and a user
task id used in two processes of one call tree (task rows and the log name steps by
element id) are refused at the call activity. When a case starts, ``pin_called`` picks
the version of every process its calls reach (the newest not withdrawn) and the case
keeps those ids (``process_case.called_versions``, and its ``case_started`` event), so a
later deploy of a called process changes no running case; ``compiled_case`` composes the
case's definition from the pinned versions on every command.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, col, func, select

from engine import clock
from engine.accounts.users import get_user
from engine.bpmn.definitions import (
    CallInfo,
    CallNode,
    CompiledDefinition,
    InvalidDefinition,
    Problem,
    Source,
    call_node,
    compiled_for,
    composed,
    read_source,
    source_from_bytes,
    validate,
)
from engine.cases.permissions import Action, require
from engine.context import Prflow
from engine.errors import Conflict, InvalidInput, NotFound
from engine.events import chain as events
from engine.events import types as ev
from engine.forms.definitions import Form, FormCatalogue, sources_sha256
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
    ctx: Prflow, paths: Iterable[Path], executable: bool = False, offline: bool = False
) -> list[tuple[Source, CompiledDefinition]]:
    """Validate every file; raise one ``InvalidDefinition`` listing all problems found.

    ``executable`` runs a file's only process even if it is marked not executable.
    ``offline`` (``prflow validate``): calls are checked against the deployed processes
    only if the database can be read, else against the files given alone.
    """
    return _validate(ctx, paths, executable, offline)[0]


def _validate(
    ctx: Prflow, paths: Iterable[Path], executable: bool = False, offline: bool = False
) -> tuple[list[tuple[Source, CompiledDefinition]], FormCatalogue]:
    problems: list[Problem] = []
    valid: list[tuple[Source, CompiledDefinition]] = []
    keys: dict[str, str] = {}
    files = bpmn_files(paths)
    forms = form_catalogue(ctx, files)
    nodes: list[tuple[Source, CallNode]] = []
    for path in files:
        try:
            source = read_source(path, executable)
            if source.key:
                nodes.append((source, call_node(source)))
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
    calling = any(node.calls for _, node in nodes)
    if calling or not offline:  # deploy: a deployed caller may reach a process of the batch
        deployed = _deployed(ctx, offline)
        if calling or any(node.calls for node in (deployed or {}).values()):
            problems += _call_problems(nodes, deployed)
    if problems:
        raise InvalidDefinition(problems)
    return valid, forms


def _deployed(ctx: Prflow, offline: bool) -> dict[str, CallNode] | None:
    """The version a new case of each deployed process would start on (what a call reaches
    today); None when ``offline`` and the database cannot be read."""
    url = ctx.db.url
    if offline and url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        return None  # reading would create an empty database file: validate makes none
    try:
        with read_session(ctx.db) as session:
            found: dict[str, CallNode] = {}
            for key in sorted(set(session.exec(select(Definition.key)).all())):
                try:
                    row = startable_version(session, key)
                except Conflict:  # every version withdrawn: a call would still name it
                    row = require_latest(session, key)
                found[key] = _node_of(row)
            return found
    except SQLAlchemyError:
        if not offline:
            raise
        return None


def _node_of(row: Definition) -> CallNode:
    """A deployed version's calls and step ids, read from its XML (no SpiffWorkflow parse)."""
    node = _NODES.get(row.sha256)
    if node is None:
        source = source_from_bytes(row.xml.encode("utf-8"), row.file_name, executable=True)
        node = _NODES[row.sha256] = call_node(source)
    return node


_NODES: dict[str, CallNode] = {}


def _call_problems(
    batch: list[tuple[Source, CallNode]],
    deployed: dict[str, CallNode] | None,
) -> list[Problem]:
    """Calls to unknown processes, call cycles and step ids shared within one call tree."""
    graph = {**(deployed or {}), **{node.key: node for _, node in batch}}
    problems: list[Problem] = []
    for source, node in batch:
        for call in node.calls:

            def problem(
                message: str, rule: str, call: CallInfo = call, file: str = source.file_name
            ) -> None:
                problems.append(Problem(file, call.line, call.element_id, message, rule, call.name))

            if call.called not in graph:
                where = (
                    "is neither in the files given nor deployed; deploy it first or together "
                    "with this file"
                    if deployed is not None
                    else "is not in the files given (and the database could not be read to "
                    "look for it deployed); validate the called process's file together with "
                    "this one"
                )
                known = ", ".join(sorted(set(graph) - {node.key})) or "none"
                problem(f"calls process {call.called!r}, which {where} (known: {known})",
                        "call-target")  # fmt: skip
                continue
            cycle = _path_back(graph, call.called, node.key)
            if cycle is not None:
                chain = " calls ".join([node.key, *cycle])
                problem(
                    f"call cycle: {chain}; a case would never end. Remove one of the calls "
                    "(draw the repeated steps as a loop instead)",
                    "call-cycle",
                )
    sources = {node.key: source for source, node in batch}
    for root in sorted(graph):
        reached = _reached(graph, root)
        if len(reached) < 2 or not any(key in sources for key in reached):
            continue  # nothing of this batch runs in a case of ``root``
        seen: dict[str, str] = {}
        for key in reached:
            for element_id in sorted(graph[key].task_ids):
                other = seen.setdefault(element_id, key)
                if other == key:
                    continue
                # Reported where the owner can fix it: the batch file's call, else its process.
                blame = root if root in sources else key if key in sources else other
                first = next(iter(graph[blame].calls), None) if blame == root else None
                problems.append(
                    Problem(
                        sources[blame].file_name,
                        first.line if first else None,
                        first.element_id if first else blame,
                        f"user task id {element_id!r} is used in both {other!r} and {key!r}, "
                        f"which one case of {root!r} runs together (its steps are told apart "
                        f"by id); give one of them another id",
                        "call-ids",
                        first.name if first else None,
                    )
                )
    return problems


def _path_back(graph: Mapping[str, CallNode], start: str, target: str) -> list[str] | None:
    """The chain of calls from ``start`` back to ``target``, if there is one."""
    stack: list[list[str]] = [[start]]
    seen: set[str] = set()
    while stack:
        path = stack.pop()
        if path[-1] == target:
            return path
        if path[-1] in seen or path[-1] not in graph:
            continue
        seen.add(path[-1])
        stack.extend([*path, call.called] for call in graph[path[-1]].calls)
    return None


def _reached(graph: Mapping[str, CallNode], root: str) -> list[str]:
    """``root`` and every process its calls reach, each once, in the order met."""
    order: list[str] = []
    stack = [root]
    while stack:
        key = stack.pop()
        if key in order or key not in graph:
            continue
        order.append(key)
        stack.extend(reversed([call.called for call in graph[key].calls]))
    return order


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


def pin_called(session: Session, row: Definition) -> dict[str, int]:
    """The definition id of every process a new case of ``row`` calls, directly or not:
    the version a new case of each would start on now."""
    pins: dict[str, int] = {}
    stack = [row]
    while stack:
        for call in compiled_row(stack.pop()).calls:
            if call.called in pins or call.called == row.key:
                continue  # deploy refuses cycles; a visited process is pinned once
            called = startable_version(session, call.called)
            assert called.id is not None
            pins[call.called] = called.id
            stack.append(called)
    return pins


def pins_of(text: str | None) -> dict[str, int]:
    """The pinned called versions as stored with a case (``{}`` for a case with no calls)."""
    return {str(k): int(v) for k, v in json.loads(text).items()} if text else {}


def pins_text(pins: Mapping[str, int]) -> str:
    return json.dumps(dict(sorted(pins.items()))) if pins else ""


def called_rows(session: Session, pins: Mapping[str, int]) -> dict[str, Definition]:
    rows: dict[str, Definition] = {}
    for key, definition_id in sorted(pins.items()):
        row = session.get(Definition, definition_id)
        assert row is not None  # versions are never deleted
        rows[key] = row
    return rows


def compiled_case(session: Session, row: Definition, pins: Mapping[str, int]) -> CompiledDefinition:
    """The definition a case runs on: its version with the called versions pinned for it."""
    if not pins:
        return compiled_row(row)
    called = {key: compiled_row(each) for key, each in called_rows(session, pins).items()}
    return composed(compiled_row(row), called)


def step_forms(
    session: Session, row: Definition, pins: Mapping[str, int], element_id: str
) -> FormCatalogue:
    """The forms deployed with the version a case's step belongs to: the case's own, or the
    pinned called version that has the step (ids are unique within one call tree)."""
    if element_id in compiled_row(row).user_tasks:
        return forms_of(row)  # the common case asks nothing of the database
    return forms_of(step_owner([row, *called_rows(session, pins).values()], element_id))


def step_owner(rows: Sequence[Definition], element_id: str) -> Definition:
    """Of a case's version and its pinned called versions (the case's first), the one whose
    diagram has the step; the case's own when none has it."""
    return next((r for r in rows if element_id in compiled_row(r).user_tasks), rows[0])


def case_forms(session: Session, row: Definition, pins: Mapping[str, int]) -> FormCatalogue:
    """The forms a case's tasks are checked against: its version's, then the called ones'."""
    own = forms_of(row)
    if not pins:
        return own
    merged: dict[str, Form] = {}
    sources: dict[str, str] = {}
    for each in reversed(list(called_rows(session, pins).values())):
        catalogue = forms_of(each)
        merged.update(catalogue.forms)
        sources.update(catalogue.sources)
    merged.update(own.forms)
    sources.update(own.sources)
    return FormCatalogue(merged, sources)


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
