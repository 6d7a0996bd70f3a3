"""``prflow forms`` (the form definitions and their fields), ``prflow print`` (a case's
documents as HTML or PDF) and the ``--attach field=path`` uploads of ``prflow complete``.

``cli.main`` merges ``forms_app`` into the top level. Printing asks the engine for the
case's forms (which checks the person may see the case) and the ``forms`` package for the
document; nothing here decides anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli import output
from cli.errors import reported
from cli.options import AsUser, Json
from engine.cases import attachments, form_records, service
from engine.context import Prflow
from engine.errors import InvalidInput, NotFound
from engine.forms.definitions import FormCatalogue
from engine.settings import Settings
from forms import documents
from forms.pdf import PdfError, html_to_pdf

forms_app = typer.Typer()


@forms_app.command("forms")
def list_forms(
    form_id: Annotated[str | None, typer.Argument(help="show only this form")] = None,
    as_json: Json = False,
) -> None:
    """The form definitions of processes/forms/ and their fields."""
    with reported():
        catalogue = FormCatalogue.load([Settings.from_env().processes_dir / "forms"])
        chosen = [catalogue.get(form_id)] if form_id else list(catalogue)
        if as_json:
            output.emit_json(chosen)
            return
        for form in chosen:
            typer.echo(f"{form.id}  {form.th} / {form.en}")
            for field in form.fields:
                rule = "required" if field.required else ""
                if field.required_when:
                    values = ",".join(field.required_when.values or ("any",))
                    rule = f"required when {field.required_when.field} in {values}"
                choices = f" [{', '.join(field.choice_values)}]" if field.choices else ""
                typer.echo(f"    {field.name:<24} {field.type:<12} {field.th}{choices}  {rule}")


@forms_app.command("print")
def print_case(
    case_id: int,
    actor: AsUser,
    task: Annotated[int | None, typer.Option(help="print this completed task's form")] = None,
    pdf: Annotated[Path | None, typer.Option(help="write a PDF to this file")] = None,
    html: Annotated[Path | None, typer.Option(help="write the HTML to this file")] = None,
) -> None:
    """A case's completed forms (or one task's document) as A4 HTML and/or PDF."""
    with reported():
        records = form_records.case_forms(Prflow.from_env(), case_id, actor)
        try:
            document = documents.build(records, task)
        except LookupError as err:
            raise NotFound("completed task", task, str(err)) from err
        page = documents.render(document)
        if html is not None:
            html.write_text(page, encoding="utf-8")
            typer.echo(f"wrote {html}")
        if pdf is not None:
            try:
                html_to_pdf(page, pdf)
            except PdfError as err:
                raise InvalidInput(str(err)) from err
            typer.echo(f"wrote {pdf}")
        if html is None and pdf is None:
            typer.echo(page)


def upload_attachments(
    ctx: Prflow, task_id: int, specs: list[str], actor: str
) -> dict[str, dict[str, int]]:
    """Store each ``field=path`` file on the task's case; the form values naming them."""
    values: dict[str, dict[str, int]] = {}
    case_id = service.task(ctx, task_id).case_id
    for spec in specs:
        name, sep, path_text = spec.partition("=")
        path = Path(path_text)
        if not sep or not name or not path.is_file():
            raise InvalidInput(f"--attach {spec!r}: write field=path to an existing file")
        stored = attachments.store(ctx, case_id, path.name, path.read_bytes(), actor)
        values[name] = {"id": stored.id}
    return values
