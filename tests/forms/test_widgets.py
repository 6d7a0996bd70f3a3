"""Form widgets: labels in Thai and English, the engine's messages beside each field, and
everything the person typed shown again after a refusal."""

from __future__ import annotations

import pytest

from engine.forms.values import NO_LOOKUPS, FormInvalid, check
from forms.widgets import FormView, render_form
from tests.forms.conftest import FORMS


def test_a_refused_form_is_shown_again_with_what_was_typed_and_why() -> None:
    form = FORMS.get("p9_request_permission")
    typed = {"requester_name": "นางสาวสมศรี ใจดี", "topic": "other", "delivery": "email",
             "request_date": "17/05/2569"}  # fmt: skip
    with pytest.raises(FormInvalid) as refused:
        check(form, typed, NO_LOOKUPS)
    view = FormView(form, typed, refused.value.errors, action="/tasks/7")
    assert [e.field for e in view.errors_for("topic_other")] == ["topic_other"]
    html = render_form(view)

    assert 'value="นางสาวสมศรี ใจดี"' in html  # typed text kept
    assert '<option value="other" selected>' in html  # the choice kept
    assert 'value="17/05/2569"' in html  # even the bad date, to correct it
    assert "ข้าพเจ้า (ชื่อ-สกุล)" in html and '<span class="en" lang="en">Name</span>' in html
    assert "ไม่ใช่วันที่" in html and "use YYYY-MM-DD" in html  # the date's message
    assert 'data-field="topic_other"' in html and "required when topic is" in html


def test_every_task_form_renders() -> None:
    for form in FORMS:
        html = render_form(FormView(form))
        assert all(f'data-field="{f.name}"' in html for f in form.fields), form.id
