"""Which language to answer in: the user's choice (the ``prflow_lang`` cookie the web pages
set), else the best of Thai and English in ``Accept-Language``, else Thai."""

from __future__ import annotations

from typing import Literal

from starlette.requests import Request

Language = Literal["th", "en"]
LANGUAGE_COOKIE = "prflow_lang"


def _quality(part: str) -> float:
    for param in part.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def language_of(request: Request) -> Language:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen == "en":
        return "en"
    if chosen == "th":
        return "th"
    header = request.headers.get("accept-language", "")
    ranked = sorted(
        ((part.split(";")[0].strip().lower(), _quality(part)) for part in header.split(",")),
        key=lambda item: -item[1],
    )
    for tag, quality in ranked:
        if quality > 0 and tag.split("-")[0] in ("th", "en"):
            return "en" if tag.startswith("en") else "th"
    return "th"
