"""Printable documents of a case: each completed form, the P7 memos, the P9 permission form.

Each template renders one documented context dataclass (``FormsDocument``,
``MemoDocument``, ``PermissionDocument``); ``build(...)`` picks the layout from the form
definition's ``document`` key and fills the context from the case's stored, typed data and
the engine's own task times (who filled each part and when). ``render(context)`` gives A4
HTML with the Sarabun font embedded (``forms.fonts``), ready to print or to turn into PDF
(``forms.pdf``). Dates are Buddhist Era in Asia/Bangkok, in Thai digits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from engine.cases.form_records import CaseForms
from engine.cases.views import TaskView
from engine.forms.definitions import Form
from forms import filters
from forms.fonts import sarabun_css
from forms.values import display

SECRECY = {"confidential": "ลับ", "secret": "ลับมาก", "top_secret": "ลับที่สุด"}
URGENCY = {"urgent": "ด่วน", "very_urgent": "ด่วนมาก", "most_urgent": "ด่วนที่สุด"}
CLOSING = {"consider": "พิจารณา", "approve": "อนุมัติ", "endorse": "เห็นชอบ",
           "acknowledge": "ทราบ", "sign": "ลงนาม"}  # fmt: skip


@dataclass(frozen=True)
class Line:
    """One filled field: its Thai and English label and the value as it reads on paper."""

    th: str
    en: str
    value: str


@dataclass(frozen=True)
class FilledForm:
    """One completed task's form, with who filled it and when (the engine's own time)."""

    task_id: int
    step: str
    title_th: str
    title_en: str
    lines: list[Line]
    filled_by: str
    filled_on: str


@dataclass(frozen=True)
class FormsDocument:
    """Context of ``form.html``: the completed forms of a case, in the order filled."""

    case_id: int
    process_name: str
    forms: list[FilledForm]
    font_css: str
    template: str = "form.html"


@dataclass(frozen=True)
class Paragraph:
    """A numbered section of a memo (๑. ๒. ...) with its sub-items (๒.๑ ๒.๒ ...)."""

    number: str
    title: str
    text: str = ""
    items: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MemoDocument:
    """Context of ``memo.html``: a บันทึกข้อความ or บันทึกสรุปเรื่อง in the official layout.

    ``header`` holds the rows above the body in order, each row one or more labelled values
    (ส่วนราชการ; ที่ and วันที่ on one row; เรื่อง; เรียน for a memo; นำเสนอ, เรื่อง, จาก,
    เอกสารเลขที่ with ลงวันที่, เลข ๙ร for a summary memo).
    """

    heading: str
    secrecy: str
    urgency: str
    header: list[list[Line]]
    paragraphs: list[Paragraph]
    closing: str
    reviewers: list[str]
    signer_name: str
    signer_position: str
    font_css: str
    template: str = "memo.html"


@dataclass(frozen=True)
class Signature:
    name: str
    position: str
    role_th: str
    signed_on: str


@dataclass(frozen=True)
class Box:
    """A printed check box: its label and whether it is ticked."""

    label: str
    ticked: bool


@dataclass(frozen=True)
class PermissionDocument:
    """Context of ``permission.html``: P9's form in its three parts.

    Part 2's received and done times are the webmaster task's ready and completed times;
    part 3's sent-on and checked-on dates are the send-file and check tasks' completions.
    """

    request_date: str
    to: str
    requester: Signature
    requester_group: str
    details: str
    topics: list[Box]
    topic_other: str
    subject: str
    delivery: list[Box]
    delivery_other: str
    approver: Signature | None
    decision: str
    received_at: str
    done_at: str
    webmaster: Signature | None
    checker: Signature | None
    checker_group: str
    sent_on: str
    checked_on: str
    font_css: str
    template: str = "permission.html"


Document = FormsDocument | MemoDocument | PermissionDocument


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("forms", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
    )
    return filters.install(env)


ENV = _environment()


def render(document: Document) -> str:
    """The document as A4 HTML."""
    return ENV.get_template(document.template).render(doc=document)


# --- building contexts from a case -----------------------------------------------------


def build(records: CaseForms, task_id: int | None = None) -> Document:
    """The document for one completed task (its form's layout), or all the case's forms."""
    done = [t for t in records.case.tasks if t.status == "completed" and t.form]
    if task_id is None:
        return forms_document(records, done)
    chosen = next((t for t in done if t.id == task_id), None)
    if chosen is None:
        raise LookupError(
            f"task {task_id} is not a completed task of case {records.case.id}; "
            f"completed: {', '.join(str(t.id) for t in done) or 'none'}"
        )
    form = records.forms.get(chosen.form or "")
    if form.document == "permission":
        return permission_document(records)
    if form.document == "memo" and chosen.data:
        return memo_document(form, chosen.data)
    return forms_document(records, [chosen])


def filled_form(records: CaseForms, task: TaskView) -> FilledForm:
    form = records.forms.get(task.form or "")
    data = task.data or {}
    lines = [
        Line(f.th, f.en, display(f, data.get(f.name), records.people))
        for f in form.fields
        if f.name in data
    ]
    person = records.people.get(task.completed_by or "")
    return FilledForm(
        task_id=task.id,
        step=task.name,
        title_th=form.th,
        title_en=form.en,
        lines=lines,
        filled_by=person.display_name if person else (task.completed_by or ""),
        filled_on=filters.be_datetime(task.completed_at),
    )


def forms_document(records: CaseForms, tasks: list[TaskView]) -> FormsDocument:
    return FormsDocument(
        case_id=records.case.id,
        process_name=records.case.process_name,
        forms=[filled_form(records, t) for t in tasks],
        font_css=sarabun_css(),
    )


def memo_document(form: Form, data: dict[str, Any]) -> MemoDocument:
    kind = data.get("document_kind", "memo_sr")
    summary = kind == "summary_memo"

    def value(name: str) -> str:
        each = form.field(name)
        return display(each, data.get(name)) if each else ""

    def texts(name: str) -> list[str]:
        return [str(row.get("text", "")) for row in data.get(name) or []]

    if summary:
        header = [
            [Line("นำเสนอ", "To", value("to"))],
            [Line("เรื่อง", "Subject", value("subject"))],
            [Line("จาก", "From", value("from_unit"))],
            [Line("เอกสารเลขที่", "Document no.", value("ref_number")),
             Line("ลงวันที่", "Dated", value("ref_date"))],
            [Line("เลข ๙ร", "Registry no.", value("registry_number"))],
        ]  # fmt: skip
        paragraphs = [
            Paragraph("", "สรุปประเด็นสำคัญ", value("matter")),
            Paragraph("", "เรื่องเดิม", value("background")) if data.get("background") else None,
            Paragraph("", "ข้อพิจารณา/ข้อกฎหมาย", "", texts("considerations")),
            Paragraph("", "ข้อเสนอ", "", texts("recommendations")),
        ]
    else:
        header = [
            [Line("ส่วนราชการ", "Agency", _join(value("agency"), value("phone"), "โทร"))],
            [Line("ที่", "No.", value("number")), Line("วันที่", "Date", value("memo_date"))],
            [Line("เรื่อง", "Subject", value("subject"))],
        ]
        header.append([Line("เรียน", "To", value("to"))])
        paragraphs = [
            Paragraph("๑.", "เรื่องเดิม", value("matter")),
            Paragraph("๒.", "ข้อเท็จจริง", "", texts("facts")),
            Paragraph("๓.", "ข้อพิจารณา", "", texts("considerations")),
            Paragraph("๔.", "ข้อเสนอ", "", texts("recommendations")),
        ]
    closing_for = CLOSING.get(str(data.get("closing_for")), "พิจารณา")
    return MemoDocument(
        heading="บันทึกสรุปเรื่อง" if summary else "บันทึกข้อความ",
        secrecy=SECRECY.get(str(data.get("secrecy")), ""),
        urgency=URGENCY.get(str(data.get("urgency")), ""),
        header=header,
        paragraphs=[p for p in paragraphs if p is not None and (p.text or p.items)],
        closing=f"จึงเรียนมาเพื่อโปรด{closing_for}",
        reviewers=[str(r.get("name", "")) for r in data.get("reviewers") or []],
        signer_name=value("signer_name"),
        signer_position=value("signer_position"),
        font_css=sarabun_css(),
    )


def _join(text: str, extra: str, label: str) -> str:
    return f"{text} {label} {extra}" if extra else text


def permission_document(records: CaseForms) -> PermissionDocument:
    tasks = records.case.tasks
    request = _last(tasks, "request_permission")
    permit = _last(tasks, "permit_publication")
    send = _last(tasks, "send_file")
    publish = _last(tasks, "publish_on_website")
    check = _last(tasks, "check_published")
    part1 = request.data if request and request.data else {}
    form1 = records.forms.get(request.form or "") if request else None

    def boxes(name: str) -> list[Box]:
        each = form1.field(name) if form1 else None
        return [Box(c.th, part1.get(name) == c.value) for c in (each.choices if each else ())]

    def signed(task: TaskView | None, name: str, position: str, role_th: str) -> Signature | None:
        if task is None or not task.data:
            return None
        return Signature(str(task.data.get(name, "")), str(task.data.get(position, "")),
                         role_th, filters.be_date(task.completed_at))  # fmt: skip

    decision = ""
    if permit and permit.data and permit.form:
        decision = display(records.forms.get(permit.form).fields[0], permit.data.get("decision"))
    return PermissionDocument(
        request_date=filters.be_date(part1.get("request_date")),
        to="ผู้อำนวยการสำนักงานเขตพื้นที่การศึกษาประถมศึกษาเลย เขต ๓",
        requester=Signature(str(part1.get("requester_name", "")),
                            str(part1.get("requester_position", "")), "ผู้ขออนุญาต",
                            filters.be_date(request.completed_at if request else None)),
        requester_group=str(part1.get("requester_group", "")),
        details=str(part1.get("details", "")),
        topics=boxes("topic"),
        topic_other=str(part1.get("topic_other", "")),
        subject=str(part1.get("subject", "")),
        delivery=boxes("delivery"),
        delivery_other=str(part1.get("delivery_other", "")),
        approver=signed(permit, "approver_name", "approver_position", "ผู้อนุญาต"),
        decision=decision,
        received_at=filters.be_datetime(publish.created_at) if publish else "",
        done_at=filters.be_datetime(publish.completed_at) if publish else "",
        webmaster=signed(publish, "webmaster_name", "webmaster_position", "ผู้ดูแลเว็บไซต์"),
        checker=signed(check, "checker_name", "checker_position", "ผู้ตรวจสอบข้อมูล"),
        checker_group=str(check.data.get("checker_group", "")) if check and check.data else "",
        sent_on=filters.be_date(send.completed_at) if send else "",
        checked_on=filters.be_date(check.completed_at) if check else "",
        font_css=sarabun_css(),
    )  # fmt: skip


def _last(tasks: list[TaskView], element_id: str) -> TaskView | None:
    done = [t for t in tasks if t.element_id == element_id and t.status == "completed"]
    return max(done, key=lambda t: t.id) if done else None  # ids grow with time
