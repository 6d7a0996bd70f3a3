"""Each kind of bad value gets its own message, in Thai and English, saying what is allowed;
good values come back typed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from engine.forms.definitions import FormCatalogue
from engine.forms.values import FormInvalid, Lookups, check

FORM = FormCatalogue.from_sources(
    {
        "sample": """
th = "ตัวอย่าง"
en = "Sample"
[[fields]]
name = "title"
type = "text"
th = "ชื่อเรื่อง"
en = "Title"
required = true
max_length = 10
[[fields]]
name = "kind"
type = "choice"
th = "ประเภท"
en = "Kind"
choices = [{ value = "a", th = "ก", en = "A" }, { value = "other", th = "อื่น ๆ", en = "Other" }]
[[fields]]
name = "kind_other"
type = "text"
th = "ระบุ"
en = "Specify"
required_when = { field = "kind", in = ["other"] }
[[fields]]
name = "tags"
type = "multi_choice"
th = "ป้าย"
en = "Tags"
choices = [{ value = "x", th = "เอ็กซ์", en = "X" }, { value = "y", th = "วาย", en = "Y" }]
[[fields]]
name = "on"
type = "date"
th = "วันที่"
en = "Date"
[[fields]]
name = "at"
type = "datetime"
th = "เวลา"
en = "Time"
[[fields]]
name = "count"
type = "number"
th = "จำนวน"
en = "Count"
integer = true
min = 0
max = 100
[[fields]]
name = "ok"
type = "yes_no"
th = "ตกลง"
en = "OK"
[[fields]]
name = "who"
type = "person"
th = "ผู้รับผิดชอบ"
en = "Who"
role = "esao_pr_officer"
[[fields]]
name = "file"
type = "attachment"
th = "ไฟล์"
en = "File"
accept = ["pdf"]
max_bytes = 1000
[[fields]]
name = "links"
type = "group"
th = "ลิงก์"
en = "Links"
max_items = 2
fields = [{ name = "url", type = "text", th = "ลิงก์", en = "URL", required = true }]
"""
    }
).get("sample")
FILES: dict[int, Mapping[str, Any]] = {
    1: {"id": 1, "name": "a.pdf", "kind": "pdf", "size": 10, "sha256": "ab"},
    2: {"id": 2, "name": "b.png", "kind": "png", "size": 10, "sha256": "cd"},
    3: {"id": 3, "name": "c.pdf", "kind": "pdf", "size": 5000, "sha256": "ef"},
}
LOOKUPS = Lookups(lambda login, role: login == "somchai", FILES.get)


def test_good_values_come_back_typed() -> None:
    typed = check(
        FORM,
        {"title": " ข่าว ", "kind": "other", "kind_other": "พิเศษ", "tags": ["y", "x"],
         "on": "2026-05-17", "at": "2026-05-17T09:30+07:00", "count": "12", "ok": "ใช่",
         "who": "somchai", "file": 1, "links": [{"url": "https://a.go.th"}]},
        LOOKUPS,
    )  # fmt: skip
    assert typed == {
        "title": "ข่าว", "kind": "other", "kind_other": "พิเศษ", "tags": ["x", "y"],
        "on": "2026-05-17", "at": "2026-05-17T02:30:00+00:00", "count": 12, "ok": True,
        "who": "somchai", "file": FILES[1], "links": [{"url": "https://a.go.th"}],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("data", "field", "th", "en"),
    [
        ({"title": ""}, "title", "กรุณากรอก ชื่อเรื่อง", "Title is required"),
        ({"title": 5}, "title", "ต้องเป็นข้อความ", "must be text"),
        ({"title": "x" * 11}, "title", "เกินกว่าที่กำหนด 10", "at most 10 allowed"),
        ({"kind": "b"}, "kind", "เลือกได้: a (ก), other (อื่น ๆ)", "allowed: a, other"),
        ({"kind": "other"}, "kind_other", "จำเป็นเมื่อ kind = other", "required when kind is 'other'"),
        ({"tags": ["x", "z"]}, "tags", "ไม่ใช่ตัวเลือก", "allowed: x, y"),
        ({"on": "17/05/2569"}, "on", "ไม่ใช่วันที่", "use YYYY-MM-DD"),
        ({"on": "2569-05-17"}, "on", "ดูเหมือนเป็นปี พ.ศ.", "outside 1900-2200"),
        ({"at": "2026-05-17T09:30"}, "at", "ไม่ได้ระบุเขตเวลา", "has no timezone offset"),
        ({"at": "1899-12-31T23:00+07:00"}, "at", "นอกช่วง", "outside 1900-2200"),
        ({"count": "many"}, "count", "ไม่ใช่ตัวเลข", "is not a number"),
        ({"count": float("nan")}, "count", "มีค่าจำกัด", "finite"),
        ({"count": 1.5}, "count", "จำนวนเต็ม", "whole number"),
        ({"count": 101}, "count", "ต้องไม่เกิน 100", "at most 100"),
        ({"ok": "maybe"}, "ok", "ใช่ หรือ ไม่ใช่", "yes or no"),
        ({"who": "malee"}, "who", "ไม่ใช่ผู้ใช้ที่มีบทบาท", "holding the role esao_pr_officer"),
        ({"file": 9}, "file", "อัปโหลดไฟล์ก่อน", "upload the file first"),
        ({"file": 2}, "file", "ไม่อนุญาต", "allowed: pdf"),
        ({"file": 3}, "file", "เกินกำหนด 1000", "at most 1000 allowed"),
        ({"links": [{}, {}, {}]}, "links", "ต้องมี 0-2 แถว", "0 to 2 allowed"),
        ({"links": [{"note": "x"}]}, "links[1].note", "ไม่มีช่อง note", "not a field"),
        ({"colour": "red"}, "colour", "ไม่มีช่อง colour", "its fields:"),
    ],
)  # fmt: skip
def test_each_bad_value_is_named_in_thai_and_english(
    data: dict[str, Any], field: str, th: str, en: str
) -> None:
    with pytest.raises(FormInvalid) as refused:
        check(FORM, {"title": "ข่าว", **data}, LOOKUPS)
    errors = {e.field: e for e in refused.value.errors}
    assert field in errors, refused.value.errors
    assert th in errors[field].th
    assert en in errors[field].en
    assert "nothing was saved" in str(refused.value)
