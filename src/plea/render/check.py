"""`plea templates check`: lint every letter template in every language.

Finds: syntax errors; fields the context does not have (`case.nmae`); a letter missing
one of the required languages or its subject line; typographic quotes inside Jinja tags
(they are not string delimiters and break the tag); and templates that fail to render
the fictional sample case, with and without a representative.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError, nodes

from plea.errors import PleaError
from plea.render.catalog import REQUIRED_LANGS, SUFFIX, block_files, block_langs, letters_roots, load_catalog
from plea.render.confine import read_text
from plea.render.context import CONTEXT_FIELDS, REPRESENTATIVE_FIELDS, SENDER_FIELDS
from plea.render.jinja import make_environment
from plea.render.scaffold import MARK, marked_lines

_TAG = re.compile(r"({{.*?}}|{%.*?%})", re.S)
_SMART = re.compile(r"[\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a]")
_NESTED = {("case", "representative"): REPRESENTATIVE_FIELDS,
           ("case", "sender"): SENDER_FIELDS,
           ("case", "authority_ids"): ("label", "number"),
           ("case", "family"): ("name", "relation", "birth_date")}


@dataclass
class Finding:
    path: str
    line: int
    message: str
    blocking: bool = True  # False: reported, but no letter the plan would write is affected

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def _smart_quotes(path: Path, text: str, rel: str) -> list[Finding]:
    found = []
    for m in _TAG.finditer(text):
        if _SMART.search(m.group(0)):
            line = text.count("\n", 0, m.start()) + 1
            found.append(Finding(rel, line, f"typographic quote inside a Jinja tag: {m.group(0)[:60]!r} (use ' or \")"))
    return found


def _fields(ast: nodes.Template, rel: str) -> list[Finding]:
    found = []
    for getattr_node in ast.find_all(nodes.Getattr):
        if isinstance(getattr_node.node, nodes.Name):
            top, attr = getattr_node.node.name, getattr_node.attr
            allowed = CONTEXT_FIELDS.get(top, ())
            if allowed is not None and top in CONTEXT_FIELDS and attr not in allowed:
                found.append(Finding(rel, getattr_node.lineno, f"unknown field {top}.{attr}"))
        elif isinstance(getattr_node.node, nodes.Getattr) and isinstance(getattr_node.node.node, nodes.Name):
            key = (getattr_node.node.node.name, getattr_node.node.attr)
            if key in _NESTED and getattr_node.attr not in _NESTED[key]:
                found.append(Finding(rel, getattr_node.lineno, f"unknown field {'.'.join(key)}.{getattr_node.attr}"))
    # loop variables over lists of dicts: {% for m in case.family %}{{ m.nmae }}
    for loop in ast.find_all(nodes.For):
        it = loop.iter
        if isinstance(it, nodes.Getattr) and isinstance(it.node, nodes.Name) and (it.node.name, it.attr) in _NESTED \
                and isinstance(loop.target, nodes.Name):
            allowed = _NESTED[(it.node.name, it.attr)]
            for g in loop.find_all(nodes.Getattr):
                if isinstance(g.node, nodes.Name) and g.node.name == loop.target.name and g.attr not in allowed:
                    found.append(Finding(rel, g.lineno, f"unknown field {it.attr}[].{g.attr}"))
    return found


def _undeclared(ast: nodes.Template, rel: str, env_globals: set[str]) -> list[Finding]:
    from jinja2 import meta

    assigned = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    found = []
    for name in sorted(meta.find_undeclared_variables(ast) - set(CONTEXT_FIELDS) - env_globals - assigned):
        found.append(Finding(rel, 1, f"unknown name {name!r}"))
    return found


def check_templates(root: Path | None = None) -> list[Finding]:
    from plea.render.letter import render_markdown_for
    from plea.sample import sample_case, sample_mission

    bases = letters_roots(root)
    base = bases[0]
    findings: list[Finding] = []
    try:
        catalog = load_catalog(root)
    except PleaError as exc:
        return [Finding(str(base), 1, str(exc))]
    files = list(block_files(root).values()) + [p for spec in catalog.values() for p in spec.paths.values()]

    def relative(path: Path) -> str:  # every finding names its file the same way: templates/letters/…
        for b in bases:
            if b.parent.parent in path.parents:
                return str(path.relative_to(b.parent.parent))
        return str(path)

    envs: dict[str, Any] = {}
    for path in files:
        rel = relative(path)
        lang = path.name[: -len(SUFFIX)]
        try:
            text = read_text(path, next(b for b in bases if b in path.parents))
        except PleaError as exc:
            findings.append(Finding(rel, 1, str(exc)))
            continue
        findings += _smart_quotes(path, text, rel)
        marked = marked_lines(text)
        if marked:
            findings.append(Finding(rel, marked[0], f"not translated yet: {len(marked)} line(s) marked {MARK}"))
        if lang not in envs:  # one environment per language, as rendering has
            envs[lang] = make_environment(bases, lang)
        env = envs[lang]
        try:
            ast = env.parse(text, name=path.name, filename=str(path))
        except TemplateSyntaxError as exc:
            findings.append(Finding(rel, exc.lineno, f"syntax error: {exc.message}"))
            continue
        findings += _fields(ast, rel)
        findings += _undeclared(ast, rel, set(env.globals))
    blocks = set(block_langs(root))
    every = {lang for spec in catalog.values() for lang in spec.langs}
    for spec in catalog.values():
        meta = relative(spec.folder / "letter.toml")
        for lang in REQUIRED_LANGS:
            if lang not in spec.langs:
                findings.append(Finding(meta, 1, f"letter {spec.name!r} has no {lang!r} template"))
        for lang in sorted(every - set(spec.langs) - set(REQUIRED_LANGS)):
            findings.append(Finding(meta, 1, f"letter {spec.name!r} has no {lang!r} template (other letters have "
                                    "one): this letter is written in another language", blocking=False))
        for lang in spec.langs:
            if lang not in spec.subjects:
                findings.append(Finding(meta, 1, f"no subject line for {lang!r} in [subject]"))
            elif MARK in spec.subjects[lang]:
                findings.append(Finding(meta, 1, f"not translated yet: the subject line for {lang!r} is marked {MARK}"))
            if lang not in blocks:
                findings.append(Finding(meta, 1, f"no shared blocks file _blocks/{lang}{SUFFIX} for {lang!r}"))
    if any("syntax error" in f.message for f in findings):  # the sample render would only repeat it
        return findings
    # render the sample case, with and without a representative and family
    variants = [sample_case(), sample_case()]
    v = variants[1]
    v.rep_name = v.rep_organisation = v.reply_to = ""
    v.family, v.authority_ids, v.birth_date, v.name_native, v.gender, v.situation = [], [], None, "", "", ""
    for spec in catalog.values():
        for lang in spec.langs:
            for case in variants:
                try:
                    render_markdown_for(spec, lang, case=case, mission=sample_mission(), today=date(2026, 1, 15),
                                        first_letter={"date": date(2025, 12, 1), "ref": case.ref, "subject": ""},
                                        response={"date": date(2026, 1, 10), "outcome": "positive"}, root=root)
                except PleaError as exc:
                    findings.append(Finding(relative(spec.paths[lang]), 1,
                                            f"fails to render: {exc}"))
                    break
    return findings


def check_templates_confined() -> list[Finding]:
    """check_templates() of the templates in use, in the confined child (plea.render.isolate) when
    they are not plea's own: the sample render of a hostile template is stopped like a letter's."""
    from plea.resources import templates_are_shipped

    if templates_are_shipped():
        return check_templates()
    from plea.render.isolate import check_findings

    return [Finding(path, line, message, blocking) for path, line, message, blocking in check_findings()]
