"""Settings kept in the database (the `setting` table, `plea config set/get`): which there are,
what each means, its default, the check of a new value, reading and writing (with its history
event). The mail settings' own rules (ports, security, passwords never stored) are plea.config's.

Stdlib only at module level: the CLI imports this to list the settings in its help.
"""

from __future__ import annotations

from typing import Any

from plea.config import MAIL_DEFAULTS, MAIL_SETTINGS

#: the follow-up interval when neither the case nor the setting gives one (plea.status reads it too)
DEFAULT_FOLLOWUP_DAYS = 21

#: every setting: key → what it means (the help of `plea config set`)
SETTINGS: dict[str, str] = {
    "followup_days": "days after sending before a follow-up is due (default 21)",
    **MAIL_SETTINGS,
    "docs.max_mb": "largest case document `plea docs add` keeps, in MB (default 25)",
    "organisation": ("your organisation's name, written as verified_by in shared corrections "
                     "(`embassies export --verified-only`) instead of anyone's login"),
    "contact_max_age_days": ("days after which a mission's contact details count as unchecked "
                             "(default 365): `plea letters plan` warns about older ones"),
    "mail.max_packet_mb": ("largest PDF packet (a letter with its annexes) `plea send` attaches "
                           "whole, in MB (default 10); a larger one goes as the letter and each annex"),
}
#: what `plea config get` shows for a setting never set
DEFAULTS: dict[str, str] = {
    "followup_days": str(DEFAULT_FOLLOWUP_DAYS),
    **MAIL_DEFAULTS,
    "contact_max_age_days": "365",
    "docs.max_mb": "25",
    "mail.max_packet_mb": "10",
}


def _days(key: str, value: str, most: int, *, what: str) -> None:
    from plea.errors import InvalidInput

    if not value.isdigit() or not 1 <= int(value) <= most:
        raise InvalidInput(f"{key}: {value!r} is not a number of days {what}")


def _megabytes(key: str, value: str) -> None:
    from plea.errors import InvalidInput

    try:
        if not 0 < float(value) <= 1000:
            raise ValueError
    except ValueError:
        raise InvalidInput(f"{key}: {value!r} is not a size in MB from 0 to 1000") from None


#: the check of each setting's new value beyond the mail settings' (raises InvalidInput)
CHECKS: dict[str, Any] = {
    "followup_days": lambda k, v: _days(k, v, 365, what="from 1 to 365"),
    "contact_max_age_days": lambda k, v: _days(k, v, 36500, what="(at least 1)"),
    "docs.max_mb": _megabytes,
    "mail.max_packet_mb": _megabytes,
}


def check(key: str, value: str) -> str:
    """The value to store for `key`, or InvalidInput naming what is wrong (an unknown setting, a
    password, a value out of range)."""
    from plea.errors import InvalidInput

    if key.endswith(".password") or key in MAIL_SETTINGS:
        from plea.config import check_mail_setting

        value = check_mail_setting(key, value)
    if key not in SETTINGS:
        raise InvalidInput(f"unknown setting {key!r}; settings: {', '.join(SETTINGS)}")
    if key in CHECKS:
        CHECKS[key](key, value)
    return value


def get_setting(session: Any, key: str) -> str | None:
    """The stored value, or None if it was never set."""
    from plea.db.models import Setting

    row = session.get(Setting, key)
    return row.value if row else None


def set_setting(session: Any, key: str, value: str, *, actor: str) -> None:
    """Store a value (checked first with check() where a person typed it), with its history event."""
    from plea.db.models import Setting
    from plea.history import record

    row = session.get(Setting, key) or Setting(key=key)
    row.value = value
    session.add(row)
    record(session, "setting.changed", actor=actor, subject=f"setting:{key}", data={"value": value})


def shown(session: Any, key: str | None = None) -> list[tuple[str, str]]:
    """`plea config get`: (key, value) for one setting or all of them, the default where never set."""
    return [(k, get_setting(session, k) or DEFAULTS.get(k, "")) for k in ([key] if key else list(SETTINGS))]
