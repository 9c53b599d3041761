"""`plea config set/get` through plea.settings: the checks, the stored row with its history event, the
defaults shown for settings never set."""

from __future__ import annotations

import pytest

from plea.errors import InvalidInput
from plea.settings import DEFAULTS, SETTINGS, check
from tests.dbcheck import rows


def test_a_setting_is_stored_with_its_history_event(plea, db_file) -> None:
    assert plea("config", "set", "docs.max_mb", "10").stdout == "docs.max_mb = 10\n"
    assert plea("config", "set", "smtp.port", " 2525 ").stdout == "smtp.port = 2525\n"  # the mail check trims
    assert rows(db_file, "SELECT key, value FROM setting WHERE key IN ('docs.max_mb', 'smtp.port') ORDER BY key") \
        == [("docs.max_mb", "10"), ("smtp.port", "2525")]
    assert rows(db_file, "SELECT kind, subject FROM event WHERE kind = 'setting.changed' ORDER BY id") \
        == [("setting.changed", "setting:docs.max_mb"), ("setting.changed", "setting:smtp.port")]
    shown = plea("config", "get").stdout.splitlines()
    assert shown == [f"{k} = " + {"docs.max_mb": "10", "smtp.port": "2525"}.get(k, DEFAULTS.get(k, ""))
                     for k in SETTINGS]
    assert plea("config", "get", "followup_days").stdout == "followup_days = 21\n"


@pytest.mark.parametrize(("key", "value", "error"), [
    ("docs.max_mb", "0", "docs.max_mb: '0' is not a size in MB from 0 to 1000"),
    ("docs.max_mb", "big", "docs.max_mb: 'big' is not a size in MB from 0 to 1000"),
    ("contact_max_age_days", "0", "contact_max_age_days: '0' is not a number of days (at least 1)"),
    ("followup_days", "366", "followup_days: '366' is not a number of days from 1 to 365"),
    ("smtp.port", "70000", "smtp.port: '70000' is not a port number (1-65535)"),
])
def test_a_wrong_value_is_refused_and_nothing_is_stored(plea, db_file, key: str, value: str, error: str) -> None:
    result = plea("config", "set", key, value, code=3)
    assert result.stderr == f"plea: error: {error}\n"
    assert rows(db_file, "SELECT value FROM setting WHERE key = ?", key) == []
    with pytest.raises(InvalidInput) as caught:
        check(key, value)
    assert str(caught.value.args[0]) == error


def test_a_password_is_never_stored(plea, db_file) -> None:
    result = plea("config", "set", "smtp.password", "secret", code=3)
    assert result.stderr.startswith("plea: error: smtp.password: passwords are never stored in plea's database")
    assert rows(db_file, "SELECT key FROM setting WHERE key LIKE '%password%'") == []


def test_the_checks_give_the_value_to_store() -> None:
    assert check("followup_days", "30") == "30"
    assert check("organisation", "Memorial") == "Memorial"
    assert check("imap.security", "starttls") == "starttls"
    with pytest.raises(InvalidInput):
        check("nosuch", "1")
