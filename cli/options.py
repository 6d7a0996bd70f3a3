"""Options shared by the CLI's command modules."""

from __future__ import annotations

from typing import Annotated

import typer

AsUser = Annotated[str, typer.Option("--as", help="login of the person acting")]
Json = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
