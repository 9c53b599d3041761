"""Build benchmark databases quickly (Core inserts, not the ORM)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path


def build_campaign_db(path: Path | None, *, cases: int, letters_per_case: int, host: str = "US",
                      per_state: bool = False, varied: bool = False, url: str | None = None) -> None:
    """A database with the shipped embassies, `cases` cases and letters_per_case letters each
    (sent, some answered), to time commands on. per_state: one mission per sending state (the
    one in `host` if there is one), so letters_per_case states; varied: sending dates spread over
    a year, about one answer in six with mixed outcomes after 5 to 90 days, like a real campaign.
    The SQLite file `path` (replaced), or the empty database at `url` (PostgreSQL)."""
    import os
    import random

    from sqlalchemy import insert, select

    from plea.db.engine import open_database
    from plea.db.models import Case, Letter, LetterEvent, Mission, Response
    from plea.directory.importing import load_shipped
    from plea.history import record

    if url is None:
        assert path is not None
        if path.exists():
            path.unlink()
        url = f"sqlite:///{path}"
    os.environ.setdefault("PLEA_ACTOR", "bench")
    db = open_database(url, create=True)
    now = datetime.now(UTC)
    today = date.today()
    with db.transaction() as s:
        load_shipped(s, actor="bench")
        missions = list(s.exec(select(Mission.id, Mission.sending).order_by(Mission.id)).all())
        if per_state:
            in_host = {sending: mid for mid, sending in s.exec(
                select(Mission.id, Mission.sending).where(Mission.host == host).order_by(Mission.id))}
            chosen = {}
            for mid, sending in missions:
                chosen.setdefault(sending, in_host.get(sending, mid))
            missions = sorted((mid, sending) for sending, mid in chosen.items())
        if len(missions) < letters_per_case:
            raise SystemExit(f"only {len(missions)} missions: fewer than {letters_per_case} letters per case")
        case_rows = [{"ref": f"PLEA-2026-{i + 1:04d}", "status": "open", "name_latin": f"Bench Person {i}",
                      "name_native": "", "nationality": "RU", "birth_date": None, "title": "", "gender": "",
                      "current_country": host, "situation": "at-liberty", "facility": "", "authority_ids": [],
                      "protection": "humanitarian-visa", "persecution": "Bench.", "family": [], "rep_name": "",
                      "rep_organisation": "", "rep_address": "", "rep_email": "", "rep_phone": "", "reply_to": "",
                      "followup_days": None, "created_at": now, "updated_at": now} for i in range(cases)]
        s.execute(insert(Case), case_rows)
        case_ids = [cid for (cid,) in s.exec(select(Case.id).order_by(Case.id)).all()]
        letters = []
        for cid in case_ids:
            for mid, _sending in missions[:letters_per_case]:
                letters.append({"case_id": cid, "mission_id": mid, "letter": "humanitarian-visa", "lang": "en",
                                "status": "sent", "created_at": now, "updated_at": now})
        s.execute(insert(Letter), letters)
        letter_ids = [lid for (lid,) in s.exec(select(Letter.id).order_by(Letter.id)).all()]
        sent_on = today - timedelta(days=30)
        if not varied:
            s.execute(insert(LetterEvent), [{"letter_id": lid, "status": "sent", "on": sent_on, "via": "post",
                                             "proof_path": "", "proof_sha256": "", "recorded_at": now,
                                             "actor": "bench"} for lid in letter_ids])
            responses = [{"case_id": cid, "state": sending, "on": today - timedelta(days=3),
                          "outcome": "acknowledged", "summary": "", "channel": "email", "attachments": [],
                          "unsolicited": False, "recorded_at": now, "actor": "bench"}
                         for cid in case_ids for _mid, sending in missions[: max(1, letters_per_case // 20)]]
        else:
            rnd = random.Random(6)
            outcomes = ["acknowledged"] * 5 + ["negative"] * 3 + ["positive", "info-requested", "referred"]
            case_day = {cid: today - timedelta(days=rnd.randint(95, 455)) for cid in case_ids}
            events, responses = [], []
            per_case = len(missions[:letters_per_case])
            for i, lid in enumerate(letter_ids):
                cid = case_ids[i // per_case]
                events.append({"letter_id": lid, "status": "sent", "on": case_day[cid], "via": "post",
                               "proof_path": "", "proof_sha256": "", "recorded_at": now, "actor": "bench"})
                if rnd.random() < 0.16:
                    answered = case_day[cid] + timedelta(days=rnd.randint(5, 90))
                    responses.append({"case_id": cid, "state": missions[i % per_case][1], "on": answered,
                                      "outcome": rnd.choice(outcomes), "summary": "", "channel": "email",
                                      "attachments": [], "unsolicited": False, "recorded_at": now,
                                      "actor": "bench"})
                    events.append({"letter_id": lid, "status": "answered", "on": answered, "via": "",
                                   "proof_path": "", "proof_sha256": "", "recorded_at": now,
                                   "actor": "bench"})
            for start in range(0, len(events), 200_000):
                s.execute(insert(LetterEvent), events[start:start + 200_000])
        s.execute(insert(Response), responses)
        record(s, "bench.built", actor="bench", data={"cases": cases, "letters": len(letters)})
        s.connection().exec_driver_sql("ANALYZE")
    db.close()
