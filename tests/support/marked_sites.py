"""A store with one site marked controlled and another site's operator marked
business-proprietary, their values distinctive so a test can look for them in any bytes."""

from __future__ import annotations

from sqlalchemy import Engine

from domain.access import Principal, Role
from store.markings import set_marking
from tests.support.fixtures_data import SAMPLE_SITES

#: The controlled site (its permitting project pm-beta goes with it).
HIDDEN_SITE = "us-beta"
HIDDEN_NAME = "HIDDEN-SITE-ABC"
HIDDEN_OPERATOR = "HIDDEN-OPERATOR-QRS"
HIDDEN_PROJECT = "Beta Separation Plant"
#: The site whose operator is business-proprietary (the site itself is public).
OPERATOR_SITE = "us-alpha"
SECRET_OPERATOR = "SECRET-OPERATOR-XYZ"
#: What a public-clearance viewer must never receive, wherever they look.
SECRETS = (HIDDEN_NAME, HIDDEN_OPERATOR, SECRET_OPERATOR, HIDDEN_PROJECT)

EDITOR = Principal("eddie", Role.EDITOR, "controlled")
VIEWER = Principal("vic", Role.VIEWER, "public")
PROPRIETARY = Principal("bea", Role.VIEWER, "business-proprietary")
CLEARED = Principal("ada", Role.VIEWER, "controlled")


def marked_site_rows() -> list[dict[str, object]]:
    """The sample sites, the two marked ones given their distinctive values."""
    values = {HIDDEN_SITE: {"name": HIDDEN_NAME, "operator": HIDDEN_OPERATOR},
              OPERATOR_SITE: {"operator": SECRET_OPERATOR}}
    return [{**row, **values.get(str(row["id"]), {})} for row in SAMPLE_SITES]


def mark(engine: Engine) -> None:
    """The controlled site and the business-proprietary operator, set as an editor would."""
    set_marking(engine, "site", HIDDEN_SITE, "controlled", principal=EDITOR)
    set_marking(engine, "site", OPERATOR_SITE, "business-proprietary", principal=EDITOR,
                attribute="operator")


def leaked(data: bytes | str) -> list[str]:
    """The secrets found in ``data`` (text, or bytes read as UTF-8)."""
    text = data if isinstance(data, str) else data.decode("utf-8", "replace")
    return [s for s in SECRETS if s in text]
