"""The form definitions: every task's form exists and loads; malformed files are named."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.forms.definitions import FormCatalogue, FormCatalogueError
from engine.forms.values import NO_LOOKUPS, Lookups, check
from engine.settings import REPO_PROCESSES_DIR
from tests.support.form_data import filled

FORMS_DIR = REPO_PROCESSES_DIR / "forms"
CATALOGUE = FormCatalogue.load([FORMS_DIR])
TASK_FORMS = sorted(
    {
        match
        for path in REPO_PROCESSES_DIR.glob("*.bpmn")
        for match in re.findall(r'name="form" value="([^"]+)"', path.read_text(encoding="utf-8"))
    }
)
PEOPLE = Lookups(lambda _login, _role: True, lambda _id: None)


def test_every_task_of_the_nine_processes_has_a_form() -> None:
    assert len(TASK_FORMS) >= 62
    assert [f for f in TASK_FORMS if f not in CATALOGUE] == []


@pytest.mark.parametrize("form_id", TASK_FORMS)
def test_each_form_has_bilingual_labels_and_accepts_a_filled_submission(form_id: str) -> None:
    form = CATALOGUE.get(form_id)
    assert form.th and form.en
    for field in form.fields:
        assert field.th and field.en, field.name
        assert all(c.th and c.en for c in field.choices), field.name
    typed = check(form, filled(form, {}, lambda role: f"u_{role}"), PEOPLE)
    assert set(typed) <= {f.name for f in form.fields}


def test_forms_chosen_where_the_manuals_print_none_say_so() -> None:
    for form_id in ("p3_set_channels", "p3_make_register", "p4_write_news",
                    "p4_present_to_director", "p8_publish_news"):  # fmt: skip
        form = CATALOGUE.get(form_id)
        assert "(reading)" in form.reading, form_id
        assert any(f.reading for f in form.fields), form_id


def test_the_shared_decision_form_takes_each_steps_outcomes() -> None:
    permit = CATALOGUE.get("p9_permit_publication")
    decision = permit.field("decision")
    assert decision is not None and decision.choice_values == ("permit", "revise", "refuse")
    reason = permit.field("reason")
    assert reason is not None and reason.required_when is not None
    assert reason.required_when.values == ("revise", "refuse")
    # A check step without refusal: only its two outcomes.
    verify = CATALOGUE.get("p6_verify").field("decision")
    assert verify is not None and verify.choice_values == ("ok", "fix")


def test_p7_memo_has_the_official_secrecy_and_urgency_levels() -> None:
    memo = CATALOGUE.get("p7_coordinate_formally")
    secrecy, urgency = memo.field("secrecy"), memo.field("urgency")
    assert secrecy is not None and [c.th for c in secrecy.choices] == ["ลับ", "ลับมาก", "ลับที่สุด"]
    assert urgency is not None and [c.th for c in urgency.choices] == ["ด่วน", "ด่วนมาก", "ด่วนที่สุด"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('th = "ก"\nen = "A"\n', "missing 'fields'"),
        ('th = "ก"\nen = "A"\n[[fields]]\nname = "x"\ntype = "colour"\nth = "ก"\nen = "X"\n',
         "type 'colour' is not one of"),
        ('th = "ก"\nen = "A"\n[[fields]]\nname = "x"\ntype = "choice"\nth = "ก"\nen = "X"\n',
         "needs choices"),
        ('th = "ก"\nen = "A"\n[[fields]]\nname = "x"\ntype = "text"\nth = "ก"\nen = "X"\n'
         'required_when = { field = "y" }\n', "required_when names unknown field 'y'"),
        ('th = "ก"\nen = "A"\nfields = []\nuses = "decision"\n', "needs [outcomes]"),
        ("th = ", "not valid TOML"),
    ],
)  # fmt: skip
def test_a_malformed_form_file_is_refused_with_file_and_field(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "bad_form.toml").write_text(text, encoding="utf-8")
    (tmp_path / "decision.toml").write_text(
        (FORMS_DIR / "decision.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    with pytest.raises(FormCatalogueError, match=re.escape(message)) as refused:
        FormCatalogue.load([tmp_path])
    assert "processes/forms/bad_form.toml" in str(refused.value)


def test_no_lookups_refuse_people_and_files() -> None:
    assert NO_LOOKUPS.holds_role("x", "y") is False
    assert NO_LOOKUPS.attachment(1) is None
