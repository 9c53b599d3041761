"""The story in the letter's language (`plea cases story`, letters plan/render/batch), labels, names
and who acts, in the letter's language; the story's translations and the consent in `cases import/export`.
Letters are read back from the DOCX files written."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from docx import Document

from plea.render.labels import id_label, letter_name, relation, script
from tests.dbcheck import dicts, rows

YEAR = date.today().year
REF = f"PLEA-{YEAR}-0001"
STORY_EN = "He was arrested twice for posts against the war."
STORY_FR = "Il a été arrêté deux fois pour des publications contre la guerre."
STORY_DE = "Er wurde zweimal wegen Beiträgen gegen den Krieg festgenommen."


pytestmark = pytest.mark.usefixtures("this_year")  # YEAR, REF(S): the running test's year


def add_case(plea, *extra: str) -> str:  # type: ignore[no-untyped-def]
    args = [
        "cases",
        "add",
        "--name",
        "Ivan Petrov",
        "--native-name",
        "Иван Петров",
        "--nationality",
        "RU",
        "--gender",
        "male",
        "--persecution",
        STORY_EN,
        "--family",
        "Maria Petrova;wife",
        "--family",
        "Oleg Petrov;cousin",
        "--id",
        "Alien Registration Number=A-123-456-789",
        *extra,
    ]
    if "--country" not in extra:
        args += ["--country", "US", "--situation", "detained"]
    # a way to answer the letters: the representative's reply address, or the applicant's own email
    # where the applicant signs
    way = ["--reply-to", "answers@example.org"] if "--rep-name" in extra else ["--email", "ivan@example.org"]
    args += way
    return plea(*args).stdout.strip()


def text_of(path: Path) -> str:
    return "\n".join(p.text for p in Document(str(path)).paragraphs)


def render(plea, out: Path, to: str, *extra: str):  # type: ignore[no-untyped-def]
    return plea("letters", "render", REF, "--host", "US", "--to", to, "--out", str(out), *extra)


def letter(out: Path, state: str, lang: str) -> str:
    return text_of(out / f"{REF}_{state}-US_humanitarian-visa_{lang}.docx")


def test_story_set_list_remove_with_history_that_holds_no_text(plea, db_file, tmp_path: Path) -> None:
    add_case(plea)
    (tmp_path / "récit-fr.txt").write_text(STORY_FR + "\n", encoding="utf-8")
    r = plea("cases", "story", "set", REF, "--lang", "fr", "--file", str(tmp_path / "récit-fr.txt"))
    assert r.stdout == f"{REF}\n" and r.stderr == f"story (fr) of {REF} kept\n"
    plea("cases", "story", "set", REF, "--lang", "DE", "--text", STORY_DE)
    assert (
        plea("cases", "story", "set", REF, "--lang", "de", "--text", STORY_DE).stderr
        == f"story (de) of {REF} unchanged\n"
    )
    (stored,) = rows(db_file, 'SELECT stories, persecution_lang FROM "case" WHERE ref = ?', REF)
    assert stored[1] == "en"
    assert {k: v["text"] for k, v in json.loads(stored[0]).items()} == {"fr": STORY_FR, "de": STORY_DE}
    listed = json.loads(plea("cases", "story", "list", REF, "--json").stdout)
    assert [(v["lang"], v["original"], v["chars"]) for v in listed["versions"]] == [
        ("en", True, len(STORY_EN)),
        ("de", False, len(STORY_DE)),
        ("fr", False, len(STORY_FR)),
    ]
    assert listed["versions"][0]["updated"] is None and listed["versions"][1]["updated"]
    shown = plea("cases", "show", REF).stdout
    assert f"de ({len(STORY_DE)} characters), fr ({len(STORY_FR)} characters)" in shown
    table = plea("cases", "story", "list", REF).stdout
    assert "original" in table and "translation" in table
    plea("cases", "story", "remove", REF, "--lang", "de")
    assert list(json.loads(rows(db_file, 'SELECT stories FROM "case"')[0][0])) == ["fr"]
    events = dicts(db_file, "SELECT kind, data FROM event WHERE kind LIKE 'case.story%' ORDER BY id")
    assert [e["kind"] for e in events] == ["case.story_set", "case.story_set", "case.story_removed"]
    for e in events:
        assert "Krieg" not in e["data"] and "guerre" not in e["data"]
    assert json.loads(events[0]["data"])["lang"] == "fr" and json.loads(events[0]["data"])["chars"] == len(
        STORY_FR
    )


def test_letters_carry_the_story_in_their_language_and_say_when_they_cannot(
    plea, db_file, tmp_path: Path
) -> None:
    add_case(plea)
    plea("cases", "story", "set", REF, "--lang", "fr", "--text", STORY_FR)
    plan = json.loads(plea("letters", "plan", REF, "--host", "US", "--to", "FR,DE", "--json").stdout)
    stories = {r["state"]: r["story"] for r in plan["recipients"]}
    assert stories == {"FR": {"lang": "fr", "translated": True}, "DE": {"lang": "en", "translated": False}}
    shown = plea("letters", "plan", REF, "--host", "US", "--to", "FR,DE")
    assert "en — no de version" in shown.stdout
    line = (
        f"story: 1 letter(s) carry the original story for want of a translation (de) for {REF}; add one with "
        "`plea cases story set REF --lang LANG --file FILE`, or refuse such letters with "
        "--require-translated-story\n"
    )
    assert line in shown.stderr
    out = tmp_path / "out"
    r = render(plea, out, "FR,DE")
    assert r.stderr.count("story: ") == 1 and line in r.stderr
    assert STORY_FR in letter(out, "FR", "fr") and STORY_EN not in letter(out, "FR", "fr")
    assert STORY_EN in letter(out, "DE", "de")
    # a new translation renders the German letter again (the inputs hash holds the version used),
    # not the French
    plea("cases", "story", "set", REF, "--lang", "de", "--text", STORY_DE)
    r = render(plea, out, "FR,DE", "--require-translated-story")
    assert "story: " not in r.stderr
    assert f"2 letter(s) for {REF}: 1 file(s) written, 1 already up to date\n" in r.stderr
    assert STORY_DE in letter(out, "DE", "de")


def test_batch_says_once_which_letters_carry_the_original(plea, db_file, tmp_path: Path) -> None:
    add_case(plea)
    r = plea("batch", "--out", str(tmp_path / "b"), "--to", "FR,DE")
    assert (
        r.stderr.count("story: 2 letter(s) carry the original story for want of a translation (de, fr)") == 1
    )


def test_a_russian_letter_names_the_applicant_in_cyrillic_and_never_declines_it(
    plea, db_file, tmp_path
) -> None:
    add_case(plea, "--rep-name", "Olga Writer")
    out = tmp_path / "out"
    render(plea, out, "FR", "--lang", "ru")
    text = letter(out, "FR", "ru")
    assert (
        "Обращаюсь к Вам от имени моего клиента (Иван Петров; гражданство: Россия) с почтительной просьбой"
        in text
    )
    assert "Иван Петров не может вернуться" in text
    assert "Имя и фамилия: Иван Петров (Ivan Petrov)" in text
    assert "от имени заявителя: Иван Петров" in text
    assert "Ivan Petrov" not in text.replace("(Ivan Petrov)", "")
    render(plea, out, "FR")  # a Latin-script letter keeps the Latin name
    assert "Ivan Petrov" in letter(out, "FR", "fr") and "au nom de mon client, Ivan Petrov" in letter(
        out, "FR", "fr"
    )


@pytest.mark.parametrize(
    ("acting", "lang", "wording"),
    [
        (
            "supporter",
            "en",
            "I am writing on behalf of Ivan Petrov, a citizen of Russia, who is detained and has asked "
            "me to write, to respectfully request",
        ),
        (
            "supporter",
            "fr",
            "au nom d’Ivan Petrov (nationalité\u00a0: Russie), qui se trouve en rétention et m’a demandé de "
            "vous écrire, afin de demander",
        ),
        (
            "supporter",
            "ru",
            "по просьбе заявителя (Иван Петров; гражданство: Россия), находящегося в иммиграционном "
            "заключении, с почтительной просьбой",
        ),
        (
            "relative",
            "en",
            "I am writing on behalf of my brother, Ivan Petrov, a citizen of Russia, to respectfully",
        ),
        (
            "relative",
            "de",
            "im Namen meines Bruders, Ivan Petrov (Staatsangehörigkeit: Russland), wende ich mich",
        ),
        (
            "ngo",
            "en",
            "I am writing on behalf of Memorial Aid, which is assisting Ivan Petrov, a citizen of Russia,",
        ),
        ("lawyer", "en", "I am writing on behalf of my client, Ivan Petrov, a citizen of Russia,"),
    ],
)
def test_the_letter_speaks_for_whoever_acts(
    plea, db_file, tmp_path: Path, acting: str, lang: str, wording: str
) -> None:
    add_case(
        plea,
        "--acting",
        acting,
        "--acting-relation",
        "Brother",
        "--rep-name",
        "Olga Writer",
        "--rep-org",
        "Memorial Aid",
    )
    out = tmp_path / "out"
    render(plea, out, "FR", "--lang", lang)
    text = letter(out, "FR", lang)
    assert wording in text


def test_an_applicant_without_a_representative_writes_in_the_first_person(
    plea, db_file, tmp_path: Path
) -> None:
    add_case(plea)
    out = tmp_path / "out"
    render(plea, out, "FR", "--lang", "en")
    text = letter(out, "FR", "en")
    assert "I am writing to respectfully request that the Government of France grant me" in text
    assert "on behalf of" not in text


def test_labels_are_in_the_letters_language_and_free_text_stays_as_typed(
    plea, db_file, tmp_path: Path
) -> None:
    add_case(plea)
    out = tmp_path / "out"
    render(plea, out, "FR,DE")
    fr, de = letter(out, "FR", "fr"), letter(out, "DE", "de")
    assert "Maria Petrova (épouse)\u202f; Oleg Petrov (cousin)" in fr
    assert "Numéro d’enregistrement d’étranger (Alien Registration Number)\u00a0: A-123-456-789" in fr
    assert "Maria Petrova (Ehefrau); Oleg Petrov (cousin)" in de


def test_no_situation_is_made_up(plea, db_file, tmp_path: Path) -> None:
    add_case(plea, "--country", "")
    out = tmp_path / "out"
    render(plea, out, "FR,DE")
    fr, de = letter(out, "FR", "fr"), letter(out, "DE", "de")
    render(plea, out, "FR", "--lang", "en")
    en = letter(out, "FR", "en")
    assert "statut" not in fr and "Situation actuelle" not in fr and "se trouve actuellement" not in fr
    assert "Aufenthaltsstatus" not in de and "Derzeitige Lage" not in de
    assert "legal status" not in en and "Current situation" not in en
    assert "cannot return to Russia without facing persecution.\n" in en


def test_the_same_person_in_another_script() -> None:
    assert script("Иван Петров") == "cyrillic" and script("محمد") == "arabic" and script("李明") == "han"
    assert script("山田たろう") == "japanese" and script("Łukasz") == "latin"
    assert letter_name("Ivan Petrov", "Иван Петров", "ru") == "Иван Петров"
    assert letter_name("Ivan Petrov", "Иван Петров", "fr") == "Ivan Petrov"
    assert letter_name("Li Ming", "李明", "zh") == "李明" and letter_name("Li Ming", "李明", "ja") == "李明"
    assert letter_name("Ivan Petrov", "", "ru") == "Ivan Petrov"
    assert relation(" Wife ", "fr") == "épouse" and relation("cousin", "fr") == "cousin"
    assert relation("wife", "en") == "wife"
    assert (
        id_label("passport", "de") == "Reisepass"
        and id_label("Internal passport", "ru") == "Внутренний паспорт"
    )
    assert id_label("Court file", "de") == "Court file"


def _sheet(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))


def _write(path: Path, table: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(table[0]))
    writer.writeheader()
    writer.writerows(table)
    path.write_text(buf.getvalue(), encoding="utf-8")


def test_import_and_export_carry_translations_and_consent(plea, db_file, tmp_path: Path) -> None:
    add_case(plea)
    plea("cases", "story", "set", REF, "--lang", "fr", "--text", STORY_FR)
    plea("cases", "export", str(tmp_path / "out.csv"))
    (row,) = _sheet(tmp_path / "out.csv")
    assert row["persecution_fr"] == STORY_FR and row["persecution_lang"] == "en"
    assert {k: row[k] for k in row if k.startswith("consent_")} == dict.fromkeys(
        ["consent_date", "consent_states", "consent_channels", "consent_share_story", "consent_expires"], ""
    )
    row |= {
        "persecution_fr": "",
        "persecution_de": STORY_DE,
        "consent_date": "01.11.2026",
        "consent_states": "@eu",
        "consent_channels": "email, post",
        "consent_share_story": "no",
        "consent_expires": "2030-01-01",
    }
    _write(tmp_path / "in.csv", [row])
    assert json.loads(plea("cases", "import", str(tmp_path / "in.csv"), "--json").stdout)["updated"] == [REF]
    (stories,) = rows(db_file, 'SELECT stories FROM "case"')[0]
    assert {k: v["text"] for k, v in json.loads(stories).items()} == {
        "de": STORY_DE
    }  # the empty cell removed fr
    assert rows(db_file, "SELECT given_on, expires_on, states, channels, share_story FROM consent") == [
        ("2026-11-01", "2030-01-01", "@eu", "email post", 0)
    ]
    again = json.loads(plea("cases", "import", str(tmp_path / "in.csv"), "--json").stdout)
    assert again["unchanged"] == [REF] and rows(db_file, "SELECT count(*) FROM consent")[0][0] == 1
    plea("cases", "export", str(tmp_path / "out2.csv"))
    (row2,) = _sheet(tmp_path / "out2.csv")
    assert row2["persecution_de"] == STORY_DE and "persecution_fr" not in row2
    assert (row2["consent_date"], row2["consent_channels"], row2["consent_share_story"]) == (
        "2026-11-01",
        "email,post",
        "no",
    )
    # the export imports back as it is: nothing changes
    assert json.loads(plea("cases", "import", str(tmp_path / "out2.csv"), "--json").stdout)["unchanged"] == [
        REF
    ]


def test_a_translation_in_the_originals_language_is_refused_with_its_line(
    plea, db_file, tmp_path: Path
) -> None:
    (tmp_path / "in.csv").write_text(
        "name_latin,nationality,persecution,persecution_lang,persecution_ru\nA,RU,Текст,ru,Другой текст\n",
        encoding="utf-8",
    )
    r = plea("cases", "import", str(tmp_path / "in.csv"), code=3)
    assert r.stderr == (
        f"plea: error: {tmp_path / 'in.csv'}: 1 problem(s); nothing was imported\n"
        f"{tmp_path / 'in.csv'}:2: persecution_ru: ru is the language of the original story (put it "
        "in the persecution column, or set persecution_lang to the original's language)\n"
        "fix these lines and import again\n"
    )
    assert rows(db_file, 'SELECT count(*) FROM "case"')[0][0] == 0


def test_templates_from_elsewhere_get_the_translation_too(plea, db_file, tmp_path: Path,
                                                         templates_copy: Path) -> None:
    """Templates outside plea render in a confined child process: the story's versions travel there too."""
    add_case(plea)
    plea("cases", "story", "set", REF, "--lang", "fr", "--text", STORY_FR)
    out = tmp_path / "out"
    render(plea, out, "FR,DE")
    assert STORY_FR in letter(out, "FR", "fr") and STORY_EN in letter(out, "DE", "de")
