"""A small campaign, built through the CLI, for the audit, report, export and PostgreSQL tests.

Two cases with personal data that must never leak from a redacted export (PERSONAL lists every
value), letters to four states, sendings, a bounce, answers and an unsolicited one."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

TODAY = date.today()
SENT_A = TODAY - timedelta(days=60)
SENT_B = TODAY - timedelta(days=40)

# every personal value of the fixture (redacted exports must contain none of them, nor their parts)
PERSONAL = {
    "name": "Ivan Sidorenkov",
    "native": "Иван Сидоренков",
    "born": "1961-07-19",
    "doc": "7712 345678",
    "doc2": "A-903-551-274",
    "story": "Arrested at the Zvezdnaya rally and beaten by officer Kuzmichenko",
    "facility": "Otay Mesa Detention Center",
    "rep_name": "Margarethe Vollrath",
    "rep_address": "17 Lindenstrasse, 06484 Quedlinburg",
    "rep_email": "m.vollrath@anwalt-example.de",
    "rep_phone": "+49 3946 123987",
    "family": "Olesya Sidorenkova",
    "family_born": "1989-11-23",
    "summary": "Mr Sidorenkov may apply in person at window Ozerkovskaya",
    "actor": "olga.caseworker",
    "smtp_from": "casework.olga@ngo-example.org",
    "name2": "Pyotr Gavrilchenko",
    "story2": "Deserted from unit 45807 after refusing orders",
}
# parts that are distinctive enough to look for on their own
PERSONAL_PARTS = [
    "Sidorenkov",
    "Сидоренков",
    "Zvezdnaya",
    "Kuzmichenko",
    "Vollrath",
    "Lindenstrasse",
    "Quedlinburg",
    "anwalt-example",
    "3946 123987",
    "Sidorenkova",
    "Ozerkovskaya",
    "olga.caseworker",
    "ngo-example",
    "Gavrilchenko",
    "45807",
    "7712 345678",
    "903-551-274",
    "1961-07-19",
    "1989-11-23",
    "Otay Mesa",
]


def make_campaign(plea: Any, tmp_path: Path) -> dict[str, Any]:
    """Build the campaign through the CLI (on whatever database PLEA_HOME/PLEA_DATABASE_URL names)."""
    p = PERSONAL
    who = ("--actor", p["actor"])
    ref_a = plea(
        *who,
        "cases",
        "add",
        "--name",
        p["name"],
        "--native-name",
        p["native"],
        "--nationality",
        "RU",
        "--born",
        p["born"],
        "--country",
        "US",
        "--situation",
        "detained",
        "--facility",
        p["facility"],
        "--id",
        f"Passport={p['doc']}",
        "--id",
        f"Alien Registration Number={p['doc2']}",
        "--persecution",
        p["story"],
        "--family",
        f"{p['family']};daughter;{p['family_born']}",
        "--rep-name",
        p["rep_name"],
        "--rep-org",
        "Legal Aid Collective",
        "--rep-address",
        p["rep_address"],
        "--rep-email",
        p["rep_email"],
        "--rep-phone",
        p["rep_phone"],
        "--reply-to",
        p["rep_email"],
    ).stdout.strip()
    ref_b = plea(
        *who,
        "cases",
        "add",
        "--name",
        p["name2"],
        "--nationality",
        "RU",
        "--country",
        "US",
        "--persecution",
        p["story2"],
        "--reply-to",
        p["rep_email"],
    ).stdout.strip()
    letters = tmp_path / f"letters of {p['name']}"
    plea(
        *who,
        "letters",
        "render",
        ref_a,
        "--host",
        "US",
        "--to",
        "FR,DE,IT,ES",
        "--format",
        "md",
        "--out",
        str(letters),
    )
    plea(
        *who,
        "letters",
        "render",
        ref_b,
        "--host",
        "US",
        "--to",
        "FR,DE,BR",
        "--format",
        "md",
        "--out",
        str(tmp_path / "letters-b"),
    )
    proof = tmp_path / f"receipt {p['name']}.txt"
    proof.write_text("posted", encoding="utf-8")
    plea(
        *who,
        "letters",
        "sent",
        "--force",
        ref_a,
        "--to",
        "all",
        "--via",
        "post",
        "--on",
        SENT_A.isoformat(),
        "--proof",
        str(proof),
    )
    plea(*who, "letters", "sent", "--force", ref_b, "--to", "all", "--via", "email", "--on", SENT_B.isoformat())
    plea(*who, "letters", "bounced", ref_b, "--to", "BR", "--on", (SENT_B + timedelta(days=1)).isoformat())
    attachment = tmp_path / f"answer for {p['name']}.txt"
    attachment.write_text("visa appointment", encoding="utf-8")
    plea(
        *who,
        "responses",
        "log",
        ref_a,
        "FR",
        "--outcome",
        "positive",
        "--on",
        (SENT_A + timedelta(days=10)).isoformat(),
        "--summary",
        p["summary"],
        "--attach",
        str(attachment),
    )
    plea(
        *who,
        "responses",
        "log",
        ref_a,
        "DE",
        "--outcome",
        "acknowledged",
        "--on",
        (SENT_A + timedelta(days=20)).isoformat(),
    )
    plea(
        *who,
        "responses",
        "log",
        ref_b,
        "FR",
        "--outcome",
        "negative",
        "--on",
        (SENT_B + timedelta(days=4)).isoformat(),
    )
    plea(
        *who,
        "responses",
        "log",
        ref_b,
        "JP",
        "--outcome",
        "info-requested",
        "--force",
        "--on",
        (SENT_B + timedelta(days=5)).isoformat(),
    )
    plea(*who, "config", "set", "smtp.from", p["smtp_from"])
    return {"a": ref_a, "b": ref_b, "letters": letters}
