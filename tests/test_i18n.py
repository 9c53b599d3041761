"""plea's interface in Russian and Ukrainian (plea.i18n): help, errors, the status line and table headings
follow PLEA_LANG (else the locale); what scripts read (--json) never changes; the catalogs are complete,
keep every placeholder they fill, and the compiled .mo files match their .po sources."""

from __future__ import annotations

import gettext
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from plea import i18n
from plea.i18n_extract import messages

REPO = Path(__file__).resolve().parent.parent
LOCALE = REPO / "src" / "plea" / "locale"
FIELD = re.compile(r"\{([^{}]+)\}")


@pytest.fixture
def campaign(plea, db_file: Path, tmp_path: Path) -> str:
    """A case written to France and Germany in the US, France answered."""
    ref = plea("cases", "add", "--name", "Test Person", "--nationality", "RU", "--persecution", "Story.",
               "--country", "US", "--situation", "at-liberty",
               "--email", "test.person@example.org").stdout.strip()
    plea("letters", "render", ref, "--host", "US", "--to", "FR,DE", "--format", "md",
         "--out", str(tmp_path / "out"))
    plea("letters", "sent", "--force", ref, "--to", "FR,DE", "--on", "2025-01-02", "--via", "post")
    plea("responses", "log", ref, "FR", "--outcome", "positive", "--on", "2025-02-03")
    return ref


# -- the language --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("env", "lang"), [
    ({"PLEA_LANG": "ru", "LANG": "uk_UA.UTF-8"}, "ru"),
    ({"LANG": "uk_UA.UTF-8"}, "uk"),
    ({"LC_MESSAGES": "ru_RU.UTF-8", "LANG": "en_GB.UTF-8"}, "ru"),
    ({"LC_ALL": "C", "LANG": "ru_RU.UTF-8"}, "en"),  # LC_ALL outranks LANG, and C is English
    ({"PLEA_LANG": "de"}, "en"),  # no German catalog: English
    ({}, "en"),
])
def test_the_language_comes_from_plea_lang_else_the_locale(monkeypatch, env: dict[str, str],
                                                           lang: str) -> None:
    for var in ("PLEA_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert i18n.language() == lang


def test_a_formatted_message_is_translated_through_its_template(monkeypatch) -> None:
    monkeypatch.setenv("PLEA_LANG", "ru")
    # raised as f"no case {ref!r}" (hint: "list cases with `plea cases list`")
    assert i18n.translate("no case 'NOPE'") == "нет дела 'NOPE'"
    assert i18n.translate_lines("no case 'NOPE'\n  list cases with `plea cases list`") == (
        "нет дела 'NOPE'\n  список дел: `plea cases list`")
    # a message that matches no template is printed as it is
    assert i18n.translate("something plea never says") == "something plea never says"
    monkeypatch.setenv("PLEA_LANG", "en")
    assert i18n.translate("no case 'NOPE'") == "no case 'NOPE'"


# -- what users read -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "words"), [
    ("ru", ["Использование: plea", "Кампании писем правительствам", "Параметры:", "Команды:",
            "Показать версию plea."]),
    ("uk", ["Використання: plea", "Кампанії листів урядам", "Параметри:", "Команди:",
            "Показати версію plea."]),
])
def test_help_in_russian_and_ukrainian(plea, monkeypatch, lang: str, words: list[str]) -> None:
    monkeypatch.setenv("PLEA_LANG", lang)
    out = plea("--help").stdout
    for word in words:
        assert word in out, word
    sub = plea("letters", "render", "--help").stdout
    case_help = {"ru": "Номер дела, например PLEA-2026-0001 (или его число).",
                 "uk": "Номер справи, наприклад PLEA-2026-0001 (або його число)."}
    assert case_help[lang] in sub


def test_errors_in_russian_and_ukrainian(plea, monkeypatch) -> None:
    monkeypatch.setenv("PLEA_LANG", "ru")
    r = plea("report", "--since", "-3x", code=3)
    assert r.stderr == ("plea: error: --since: не дата '-3x' "
                        "(используйте YYYY-MM-DD, today, yesterday or -Nd (N days ago))\n")
    monkeypatch.setenv("PLEA_LANG", "uk")
    r = plea("report", "--since", "-3x", code=3)
    assert r.stderr == ("plea: error: --since: не дата '-3x' "
                        "(використовуйте YYYY-MM-DD, today, yesterday or -Nd (N days ago))\n")


def test_usage_errors_in_russian_and_the_same_as_clicks_in_english(plea, monkeypatch) -> None:
    r = plea("status", "--bogus", code=2)
    assert r.stderr == ("Usage: plea status [OPTIONS] [[CASE]]\nTry 'plea status --help' for help.\n\n"
                        "Error: No such option: --bogus\n")
    monkeypatch.setenv("PLEA_LANG", "ru")
    r = plea("status", "--bogus", code=2)
    assert r.stderr == ("Использование: plea status [OPTIONS] [[CASE]]\nСправка: 'plea status --help'.\n\n"
                        "Ошибка: Нет такого параметра: --bogus\n")
    monkeypatch.setenv("PLEA_LANG", "uk")
    assert plea("responses", "log", code=2).stderr.endswith("Помилка: Не вказано аргумент 'CASE'.\n")


def test_an_error_with_its_hint_in_russian(plea, db_file: Path, monkeypatch) -> None:
    monkeypatch.setenv("PLEA_LANG", "ru")
    r = plea("cases", "show", "NOPE", code=4)
    assert r.stderr == "plea: error: нет дела 'NOPE'\n  список дел: `plea cases list`\n"


@pytest.mark.parametrize(("lang", "line", "headings"), [
    ("ru", "Написано: 2 из 193 государств — членов ООН · ", ["дело", "имя", "кому написано", "ответили"]),
    ("uk", "Написано: 2 з 193 держав — членів ООН · ", ["справа", "ім'я", "кому написано", "відповіли"]),
])
def test_status_in_russian_and_ukrainian(plea, campaign: str, monkeypatch, lang: str, line: str,
                                         headings: list[str]) -> None:
    monkeypatch.setenv("PLEA_LANG", lang)
    every = plea("status").stdout.splitlines()
    assert re.split(r"\s{2,}", every[0])[:4] == headings
    one = plea("status", campaign).stdout
    status_line = one.rstrip("\n").splitlines()[-1]
    assert status_line.startswith(line), status_line
    assert ("ответили 1 (1 положительно)" if lang == "ru" else "відповіли 1 (1 позитивно)") in status_line


def test_the_story_and_the_mailing_speak_russian_and_ukrainian(plea, campaign: str, monkeypatch) -> None:
    """Messages added after the first catalogs: a story error with its hint, the story list's headings
    and count, a mailing's usage error."""
    monkeypatch.setenv("PLEA_LANG", "uk")
    r = plea("cases", "story", "set", campaign, "--lang", "en", "--text", "Story.", code=3)
    assert r.stderr == (f"plea: error: --lang: en — мова оригіналу історії {campaign}\n"
                        f"змініть оригінал через `plea cases edit {campaign} --persecution-file FILE`\n")
    monkeypatch.setenv("PLEA_LANG", "ru")
    plea("cases", "story", "set", campaign, "--lang", "fr", "--text", "Histoire.")
    listed = plea("cases", "story", "list", campaign)
    headings = re.split(r"\s{2,}", listed.stdout.splitlines()[0].strip())
    assert headings == ["язык", "версия", "символов", "обновлено"]
    assert listed.stderr == f"версий истории {campaign}: 2\n"
    assert plea("post", code=3).stderr == "plea: error: укажите либо CASE, либо --cases all|REF,…\n"

def test_a_state_named_in_a_message_is_named_in_the_interface_language(monkeypatch) -> None:
    """The English state names plea's messages carry ("Name (CC)", or a `{states.name(…)}` field) are
    put back in Russian or Ukrainian; a field choosing between two words splits the message after
    the name, not at its first space (the "(RU)" was lost before)."""
    refused = ("--to: {names} {verb} of PLEA-2026-0001: a letter would tell the persecutor where the "
               "person is")
    monkeypatch.setenv("PLEA_LANG", "ru")
    one = i18n.translate(refused.format(names="Russia (RU)", verb="is a threat state"))
    assert one.startswith("--to: Россия (RU) — государства угрозы для PLEA-2026-0001: "), one
    two = i18n.translate(refused.format(names="Russia (RU), Belarus (BY)", verb="are threat states"))
    assert two.startswith("--to: Россия (RU), Беларусь (BY) — "), two
    monkeypatch.setenv("PLEA_LANG", "uk")
    assert i18n.translate(refused.format(names="Russia (RU)", verb="is a threat state")).startswith(
        "--to: Росія (RU) — ")
    # a value that is not a state's English name stays as it is
    monkeypatch.setenv("PLEA_LANG", "ru")
    assert i18n.translate(refused.format(names="Atlantis (RU)", verb="is a threat state")).startswith(
        "--to: Atlantis (RU) — ")
    monkeypatch.setenv("PLEA_LANG", "en")
    assert i18n.translate(refused.format(names="Russia (RU)", verb="is a threat state")).startswith(
        "--to: Russia (RU) is a threat state")


def test_a_case_s_status_and_a_batch_plan_in_russian_and_ukrainian(plea, campaign: str, tmp_path: Path,
                                                                  monkeypatch) -> None:
    """State names, outcomes and days in `plea status CASE`; the plan's headline, the story line and
    what is held back in `plea batch --dry-run`."""
    monkeypatch.setenv("PLEA_LANG", "ru")
    rows = [re.split(r"\s{2,}", line.strip()) for line in plea("status", campaign).stdout.splitlines()[2:4]]
    assert {tuple(r[1:2]) + tuple(r[-1:]) for r in rows} == {
        ("Франция (FR)", "положительно (2025-02-03)"), ("Германия (DE)", "просрочено")}
    assert any(re.fullmatch(r"\d+ дн\.", cell) for r in rows for cell in r)
    monkeypatch.setenv("PLEA_LANG", "uk")
    text = plea("status", campaign).stdout
    assert "Франція (FR)" in text and "позитивно (2025-02-03)" in text and "прострочено" in text
    monkeypatch.setenv("PLEA_LANG", "ru")
    r = plea("batch", "--out", str(tmp_path / "b"), "--host", "US", "--to", "FR,DE", "--dry-run")
    lines = r.stderr.splitlines()
    assert lines[0] == "клиентов: 1 × представительств: 2 = писем: 2; уже готово: 0"
    assert any(line.startswith("история: писем с оригиналом истории, потому что нет перевода: 2 (de, fr), "
                               f"для {campaign}; ") for line in lines), lines
    held = plea("batch", "--out", str(tmp_path / "b"), "--host", "US", "--to", "all", "--dry-run").stderr
    line = next(x for x in held.splitlines() if x.startswith(f"{campaign}: исключены: "))
    assert re.fullmatch(rf"{campaign}: исключены: \d+ \(государства угрозы или под предостережением\): "
                        r"[A-Z]{2}(, [A-Z]{2})*( …)?", line) and "RU" in line, line
    monkeypatch.setenv("PLEA_LANG", "en")
    r = plea("batch", "--out", str(tmp_path / "b"), "--host", "US", "--to", "FR,DE", "--dry-run")
    assert r.stderr.splitlines()[0] == "1 client × 2 missions = 2 letters; 0 already done"


def test_a_letters_plan_in_russian(plea, campaign: str, monkeypatch) -> None:
    """Each recipient's state, why its language, and its story; the held-back threat state with its
    reason; the --json stays English."""
    monkeypatch.setenv("PLEA_LANG", "ru")
    r = plea("letters", "plan", campaign, "--host", "US", "--to", "FR,@cis")
    rows = [re.split(r"\s{2,}", line.strip()) for line in r.stdout.splitlines()[1:]]
    fr = next(row for row in rows if row[0] == "Франция (FR)")
    assert fr[-2:] == ["официальный язык: Франция", "en — версии fr нет"], fr
    assert ("  Россия (RU): государство угрозы этого дела: письмо сообщило бы преследователю, где находится "
            "человек") in r.stderr.splitlines()
    shown = plea("cases", "show", campaign).stdout.splitlines()
    assert re.split(r"\s{2,}", next(x for x in shown if x.startswith("threat_states"))) == [
        "threat_states", "Россия (RU)"]
    [recipient] = [x for x in json.loads(plea("letters", "plan", campaign, "--to", "FR", "--json").stdout)[
        "recipients"]]
    assert (recipient["name"], recipient["why"]) == ("France", "official language of France")


def test_json_is_the_same_in_every_language(plea, campaign: str, monkeypatch) -> None:
    commands = [("status", "--json"), ("status", campaign, "--json"), ("cases", "list", "--json"),
                ("responses", "list", campaign, "--json"), ("embassies", "list", "--host", "FR", "--json")]
    outputs = {}
    for lang in ("en", "ru", "uk"):
        monkeypatch.setenv("PLEA_LANG", lang)
        outputs[lang] = [plea(*c).stdout for c in commands]
    assert outputs["ru"] == outputs["en"] == outputs["uk"]
    assert json.loads(outputs["ru"][0])[0]["case"] == campaign


def test_english_reads_no_catalog_and_help_in_russian_loads_no_heavy_module() -> None:
    code = ("import sys, json\nfrom plea.cli import app\nfrom plea import i18n\n"
            "sys.argv = ['plea', '--help']\n"
            "try:\n    app()\nexcept SystemExit:\n    pass\n"
            "print(json.dumps([i18n._catalog.cache_info().currsize, 'babel' in sys.modules]))")
    for lang, catalogs in (("en", 0), ("ru", 1)):
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                             env={**_env(), "PLEA_LANG": lang}).stdout
        assert json.loads(out.strip().splitlines()[-1]) == [catalogs, False], lang


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


# -- the catalogs --------------------------------------------------------------------------------------


def source_messages() -> set[str]:
    """Every message the extractor finds in plea's source (as `pybabel extract -F babel.cfg` does)."""
    found: set[str] = set()
    for path in (REPO / "src" / "plea").rglob("*.py"):
        cli = "cli" in path.relative_to(REPO / "src" / "plea").parts[:1]
        for _line, message in messages(path.read_text(encoding="utf-8"), cli=cli):
            found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_the_catalog_is_complete_and_keeps_the_placeholders(lang: str) -> None:
    with open(LOCALE / lang / "LC_MESSAGES" / "plea.po", "rb") as f:
        catalog = read_po(f, locale=lang)
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in catalog if m.id}
    missing = sorted(source_messages() - set(translated))
    assert not missing, f"not in the {lang} catalog (CONTRIBUTING.md, Translations): {missing[:5]}"
    empty = sorted(mid for mid, s in translated.items() if not (s if isinstance(s, str) else all(s)))
    assert not empty, f"untranslated in {lang}: {empty[:5]}"
    for mid, string in translated.items():
        for text in [string] if isinstance(string, str) else string:
            assert set(FIELD.findall(text)) <= set(FIELD.findall(mid)), (lang, mid, text)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_the_compiled_catalog_matches_its_source(lang: str) -> None:
    folder = LOCALE / lang / "LC_MESSAGES"
    with open(folder / "plea.po", "rb") as f:
        source = {m.id: m.string for m in read_po(f, locale=lang) if m.id and m.string}
    with open(folder / "plea.mo", "rb") as f:
        compiled = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]
    compiled = {k: v for k, v in compiled.items() if k}  # the header is stored under ""
    assert compiled == source, f"run: pybabel compile -d src/plea/locale -D plea ({lang})"


def test_the_report_coverage_consent_and_accelerator_lines_in_russian(plea, campaign: str, tmp_path: Path,
                                                                       monkeypatch) -> None:
    """Lines built from parts before (no template matched them): now each is one translated message."""
    monkeypatch.setenv("PLEA_LANG", "ru")
    report = plea("report").stdout.splitlines()
    assert report[0].startswith("Написано государствам: 2, дел: 1; писем: 2; обращений с ответом: 1 из 2 "), (
        report[0])
    assert "По государствам" in report
    headings = re.split(r"\s{2,}", report[report.index("По государствам") + 1].strip())
    assert headings[:6] == ["государство", "имя", "дела", "письма", "ответили", "доля ответов"], headings
    csv_ru = plea("report", "--format", "csv").stdout.splitlines()[0]  # what scripts read stays English
    assert csv_ru.startswith("state,name,cases,letters,answered,response_rate"), csv_ru
    coverage = plea("embassies", "coverage", "--host", "US").stdout.splitlines()[-1]
    assert re.fullmatch(r"Государств — членов ООН, кроме US: \d+; с представительством на месте: \d+, .*\.",
                        coverage), coverage
    consent = plea("consent", "show", campaign).stdout.splitlines()
    assert consent[1] == "согласие: не записано (ничто не ограничено)"
    r = plea("letters", "render", campaign, "--to", "IT", "--out", str(tmp_path / "it"))
    assert r.stderr.splitlines()[-1] == ("ускоритель: все письма собраны по частям, ни одно не пришлось "
                                         "формировать целиком")



def test_marking_letters_speaks_russian_and_ukrainian(
    plea, db_file: Path, tmp_path: Path, monkeypatch
) -> None:
    """`letters sent` names the states in the interface language in one message (it was an English tail
    joined to a Russian head); `letters bounced` and `close` name the status in it."""
    ref = plea("cases", "add", "--name", "Test Person", "--nationality", "RU", "--persecution", "Story.",
               "--country", "US", "--email", "test.person@example.org").stdout.strip()
    plea("letters", "render", ref, "--host", "US", "--to", "FR,DE", "--format", "md",
         "--out", str(tmp_path / "o"))
    monkeypatch.setenv("PLEA_LANG", "ru")
    r = plea("letters", "sent", ref, "--to", "FR,DE", "--on", "2026-01-02", "--via", "post", "--force")
    assert r.stderr == (f"писем {ref} отмечено отправленными 2026-01-02 через post: 2 — "
                        "Франция (FR), Германия (DE)\n")
    r = plea("letters", "close", ref, "--to", "FR")
    assert r.stderr == f"писем {ref} с отметкой «закрыто»: 1\n"
    monkeypatch.setenv("PLEA_LANG", "uk")
    r = plea("letters", "bounced", ref, "--to", "DE")
    assert r.stderr == f"листів {ref} з позначкою «повернулися»: 1\n"
    monkeypatch.setenv("PLEA_LANG", "en")
    r = plea("letters", "sent", ref, "--to", "FR", "--on", "2026-01-03", "--via", "email", "--force")
    assert r.stderr == f"1 letter(s) of {ref} marked sent on 2026-01-03 via email: France (FR)\n"


def test_messages_made_of_parts_speak_russian_and_ukrainian(plea, campaign: str, tmp_path: Path,
                                                           monkeypatch) -> None:
    """Messages that were English parts joined with + (never in the catalog): each part is translated."""
    monkeypatch.setenv("PLEA_LANG", "ru")
    r = plea("responses", "log", campaign, "DE", "--outcome", "negative", "--on", "2025-02-04")
    assert r.stderr == f"ответ по делу {campaign} (Германия, 2025-02-04): отрицательно\n"
    r = plea("cases", "story", "set", campaign, "--lang", "de", "--text", "Geschichte.")
    assert r.stderr == f"история (de) дела {campaign} сохранена\n"
    monkeypatch.setenv("PLEA_LANG", "uk")
    r = plea("followups", campaign)
    assert r.stderr.startswith("листів, за якими час писати повторно: 0; "), r.stderr
    r = plea("report", "--format", "json", "--out", str(tmp_path / "r.json"))
    assert r.stderr.startswith("звіт записано: держав — 2, справ — 1; вершина історії: "), r.stderr


def test_errors_made_of_parts_speak_russian(plea, campaign: str, monkeypatch) -> None:
    monkeypatch.setenv("PLEA_LANG", "ru")
    r = plea("responses", "log", campaign, "FR", "--outcome", "positiv", code=3)
    assert r.stderr.startswith("plea: error: --outcome: 'positiv' не входит в positive, "), r.stderr
    assert r.stderr.rstrip().endswith("(может быть, positive?)"), r.stderr
    r = plea("letters", "sent", campaign, "--to", "IT", "--via", "post", code=4)
    assert r.stderr == ("plea: error: нет письма humanitarian-visa для: Италия (IT)\n"
                        "  сначала сформируйте их через `plea letters render`\n")


def test_the_recipient_rule_warns_in_russian_and_ukrainian(plea, campaign: str, monkeypatch) -> None:
    """The warnings of the recipient rule, the ones that matter most, in the interface language."""
    monkeypatch.setenv("PLEA_LANG", "ru")
    r = plea("letters", "plan", campaign, "--host", "US", "--to", "RU", "--unsafe-write-to-threat-state")
    assert (f"ВНИМАНИЕ: письмо государству угрозы дела {campaign} — Россия (RU), потому что указан "
            "--unsafe-write-to-threat-state\n") in r.stderr
    monkeypatch.setenv("PLEA_LANG", "uk")
    r = plea("letters", "plan", campaign, "--host", "US", "--to", "RU", "--unsafe-write-to-threat-state")
    assert (f"УВАГА: лист державі загрози справи {campaign} — Росія (RU), бо вказано "
            "--unsafe-write-to-threat-state\n") in r.stderr


def test_a_mission_without_an_address_is_named_in_russian(plea, db_file: Path, tmp_path: Path,
                                                          monkeypatch) -> None:
    ref = plea("cases", "add", "--name", "Test Person", "--nationality", "RU", "--persecution", "Story.",
               "--country", "US", "--email", "test.person@example.org").stdout.strip()
    plea("letters", "render", ref, "--host", "US", "--to", "DE", "--format", "md",
         "--out", str(tmp_path / "o"))
    monkeypatch.setenv("PLEA_LANG", "ru")
    r = plea("letters", "sent", ref, "--to", "DE", "--via", "post", code=3)
    assert "\nГермания (DE), представительство Q324833: нет street, postcode\n" in r.stderr, r.stderr
    gaps = plea("embassies", "gaps", "--host", "US").stdout
    names = [line.split(" (")[0].strip() for line in gaps.splitlines() if re.search(r"\([A-Z]{2}\)", line)]
    assert names[:3] == sorted(names[:3]) and "Афганистан" in names, names[:5]


def test_the_old_contacts_warning_speaks_russian(plea, campaign: str, monkeypatch) -> None:
    monkeypatch.setenv("PLEA_LANG", "ru")
    r = plea("letters", "plan", campaign, "--host", "US", "--to", "FR,DE")
    assert ("внимание: у 2 из 2 адресатов контакты проверялись больше 365 дней назад (самая старая проверка: "
            "2022-11-16): Франция (FR): phone, website; Германия (DE): website. Письмо может уйти по старому "
            "адресу.") in r.stderr, r.stderr


def test_no_message_is_joined_with_plus() -> None:
    """A notice or an error whose text is joined with + is in no catalog (the extractor reads one template
    per call) and prints in English, or half-translated where a shorter template matches. Use one template
    per alternative, note_parts, or, for problems on their own lines, N_ on the first line."""
    import ast

    import plea

    calls = {"note", "PleaError", "InvalidInput", "NotFound", "DatabaseProblem", "Conflict", "TemplateProblem",
             "ExternalProblem"}

    def leftmost(node: ast.expr) -> ast.expr:
        while isinstance(node, ast.BinOp):
            node = node.left
        return node

    joined = []
    for path in sorted(Path(plea.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.BinOp)):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            first = leftmost(node.args[0])
            marked = isinstance(first, ast.Call) and isinstance(first.func, ast.Name) and first.func.id == "N_"
            if name in calls and not marked:
                joined.append(f"{path.name}:{node.lineno}")
    assert joined == []
