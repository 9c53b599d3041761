"""Words a letter prints from the case's own data, in the letter's language: family relations
("wife" → "épouse"), the kinds of identity documents ("Passport" → "Reisepass"), and which of
the applicant's names a letter uses (the native-script name in a letter of the same script).

Only words known here are translated; anything else is printed as the user typed it (never
guessed, never machine-translated). Keys are English, compared without case or extra spaces.
The translations were written and checked by hand (see the README section on letters).
"""

from __future__ import annotations

import unicodedata

# relation of a family member to the applicant, as a label after the member's name: "Anna (wife)"
RELATIONS: dict[str, dict[str, str]] = {
    "wife": {
        "ar": "زوجة",
        "de": "Ehefrau",
        "es": "esposa",
        "fr": "épouse",
        "it": "moglie",
        "ja": "妻",
        "pl": "żona",
        "pt": "esposa",
        "ru": "жена",
        "tr": "eşi",
        "zh": "妻子",
    },
    "husband": {
        "ar": "زوج",
        "de": "Ehemann",
        "es": "esposo",
        "fr": "époux",
        "it": "marito",
        "ja": "夫",
        "pl": "mąż",
        "pt": "marido",
        "ru": "муж",
        "tr": "eşi",
        "zh": "丈夫",
    },
    "spouse": {
        "ar": "زوج/زوجة",
        "de": "Ehepartner",
        "es": "cónyuge",
        "fr": "conjoint",
        "it": "coniuge",
        "ja": "配偶者",
        "pl": "małżonek",
        "pt": "cônjuge",
        "ru": "супруг(а)",
        "tr": "eşi",
        "zh": "配偶",
    },
    "partner": {
        "ar": "شريك الحياة",
        "de": "Lebenspartner(in)",
        "es": "pareja",
        "fr": "partenaire",
        "it": "partner",
        "ja": "パートナー",
        "pl": "partner(ka)",
        "pt": "companheiro(a)",
        "ru": "партнёр",
        "tr": "hayat arkadaşı",
        "zh": "伴侣",
    },
    "son": {
        "ar": "ابن",
        "de": "Sohn",
        "es": "hijo",
        "fr": "fils",
        "it": "figlio",
        "ja": "息子",
        "pl": "syn",
        "pt": "filho",
        "ru": "сын",
        "tr": "oğlu",
        "zh": "儿子",
    },
    "daughter": {
        "ar": "ابنة",
        "de": "Tochter",
        "es": "hija",
        "fr": "fille",
        "it": "figlia",
        "ja": "娘",
        "pl": "córka",
        "pt": "filha",
        "ru": "дочь",
        "tr": "kızı",
        "zh": "女儿",
    },
    "child": {
        "ar": "طفل",
        "de": "Kind",
        "es": "hijo/a",
        "fr": "enfant",
        "it": "figlio/a",
        "ja": "子",
        "pl": "dziecko",
        "pt": "filho(a)",
        "ru": "ребёнок",
        "tr": "çocuğu",
        "zh": "子女",
    },
    "mother": {
        "ar": "أم",
        "de": "Mutter",
        "es": "madre",
        "fr": "mère",
        "it": "madre",
        "ja": "母",
        "pl": "matka",
        "pt": "mãe",
        "ru": "мать",
        "tr": "annesi",
        "zh": "母亲",
    },
    "father": {
        "ar": "أب",
        "de": "Vater",
        "es": "padre",
        "fr": "père",
        "it": "padre",
        "ja": "父",
        "pl": "ojciec",
        "pt": "pai",
        "ru": "отец",
        "tr": "babası",
        "zh": "父亲",
    },
    "brother": {
        "ar": "أخ",
        "de": "Bruder",
        "es": "hermano",
        "fr": "frère",
        "it": "fratello",
        "ja": "兄弟",
        "pl": "brat",
        "pt": "irmão",
        "ru": "брат",
        "tr": "erkek kardeşi",
        "zh": "兄弟",
    },
    "sister": {
        "ar": "أخت",
        "de": "Schwester",
        "es": "hermana",
        "fr": "sœur",
        "it": "sorella",
        "ja": "姉妹",
        "pl": "siostra",
        "pt": "irmã",
        "ru": "сестра",
        "tr": "kız kardeşi",
        "zh": "姐妹",
    },
    "grandmother": {
        "ar": "جدة",
        "de": "Großmutter",
        "es": "abuela",
        "fr": "grand-mère",
        "it": "nonna",
        "ja": "祖母",
        "pl": "babcia",
        "pt": "avó",
        "ru": "бабушка",
        "tr": "büyükannesi",
        "zh": "祖母",
    },
    "grandfather": {
        "ar": "جد",
        "de": "Großvater",
        "es": "abuelo",
        "fr": "grand-père",
        "it": "nonno",
        "ja": "祖父",
        "pl": "dziadek",
        "pt": "avô",
        "ru": "дедушка",
        "tr": "büyükbabası",
        "zh": "祖父",
    },
    "grandson": {
        "ar": "حفيد",
        "de": "Enkel",
        "es": "nieto",
        "fr": "petit-fils",
        "it": "nipote",
        "ja": "孫",
        "pl": "wnuk",
        "pt": "neto",
        "ru": "внук",
        "tr": "torunu",
        "zh": "孙子",
    },
    "granddaughter": {
        "ar": "حفيدة",
        "de": "Enkelin",
        "es": "nieta",
        "fr": "petite-fille",
        "it": "nipote",
        "ja": "孫娘",
        "pl": "wnuczka",
        "pt": "neta",
        "ru": "внучка",
        "tr": "torunu",
        "zh": "孙女",
    },
}
RELATION_ALIASES = {"mom": "mother", "mum": "mother", "dad": "father", "kid": "child", "stepchild": "child"}

# kinds of identity documents, as the label before their number: "Passport: 75 1234567"
ID_KINDS: dict[str, dict[str, str]] = {
    "passport": {
        "ar": "جواز السفر",
        "de": "Reisepass",
        "es": "Pasaporte",
        "fr": "Passeport",
        "it": "Passaporto",
        "ja": "旅券",
        "pl": "Paszport",
        "pt": "Passaporte",
        "ru": "Паспорт",
        "tr": "Pasaport",
        "zh": "护照",
    },
    "international passport": {
        "ar": "جواز السفر",
        "de": "Reisepass",
        "es": "Pasaporte",
        "fr": "Passeport",
        "it": "Passaporto",
        "ja": "旅券",
        "pl": "Paszport",
        "pt": "Passaporte",
        "ru": "Заграничный паспорт",
        "tr": "Pasaport",
        "zh": "护照",
    },
    "internal passport": {
        "ar": "جواز السفر الداخلي",
        "de": "Inlandspass",
        "es": "Pasaporte interno",
        "fr": "Passeport intérieur",
        "it": "Passaporto interno",
        "ja": "国内旅券",
        "pl": "Paszport wewnętrzny",
        "pt": "Passaporte interno",
        "ru": "Внутренний паспорт",
        "tr": "İç pasaport",
        "zh": "国内护照",
    },
    "national id": {
        "ar": "بطاقة الهوية الوطنية",
        "de": "Personalausweis",
        "es": "Documento nacional de identidad",
        "fr": "Carte nationale d’identité",
        "it": "Carta d’identità",
        "ja": "身分証明書",
        "pl": "Dowód osobisty",
        "pt": "Documento de identidade",
        "ru": "Удостоверение личности",
        "tr": "Kimlik kartı",
        "zh": "身份证",
    },
    "residence permit": {
        "ar": "تصريح الإقامة",
        "de": "Aufenthaltstitel",
        "es": "Permiso de residencia",
        "fr": "Titre de séjour",
        "it": "Permesso di soggiorno",
        "ja": "在留許可",
        "pl": "Zezwolenie na pobyt",
        "pt": "Autorização de residência",
        "ru": "Вид на жительство",
        "tr": "İkamet izni",
        "zh": "居留许可",
    },
    "military id": {
        "ar": "بطاقة الخدمة العسكرية",
        "de": "Wehrdienstausweis",
        "es": "Cartilla militar",
        "fr": "Livret militaire",
        "it": "Libretto militare",
        "ja": "兵役手帳",
        "pl": "Książeczka wojskowa",
        "pt": "Caderneta militar",
        "ru": "Военный билет",
        "tr": "Askerlik belgesi",
        "zh": "兵役证",
    },
    "birth certificate": {
        "ar": "شهادة الميلاد",
        "de": "Geburtsurkunde",
        "es": "Partida de nacimiento",
        "fr": "Acte de naissance",
        "it": "Certificato di nascita",
        "ja": "出生証明書",
        "pl": "Akt urodzenia",
        "pt": "Certidão de nascimento",
        "ru": "Свидетельство о рождении",
        "tr": "Doğum belgesi",
        "zh": "出生证明",
    },
    # a US authority's number: its own name stays beside the translation, as the official looks it up by it
    "alien registration number": {
        "ar": "رقم تسجيل الأجنبي (Alien Registration Number)",
        "de": "Ausländer-Registriernummer (Alien Registration Number)",
        "es": "Número de registro de extranjero (Alien Registration Number)",
        "fr": "Numéro d’enregistrement d’étranger (Alien Registration Number)",
        "it": "Numero di registrazione dello straniero (Alien Registration Number)",
        "ja": "外国人登録番号（Alien Registration Number）",
        "pl": "Numer rejestracyjny cudzoziemca (Alien Registration Number)",
        "pt": "Número de registo de estrangeiro (Alien Registration Number)",
        "ru": "Регистрационный номер иностранца (Alien Registration Number)",
        "tr": "Yabancı kayıt numarası (Alien Registration Number)",
        "zh": "外国人登记号（Alien Registration Number）",
    },
}
ID_ALIASES = {
    "passport number": "passport",
    "travel passport": "international passport",
    "foreign passport": "international passport",
    "international passport number": "international passport",
    "national id card": "national id",
    "national identity card": "national id",
    "id card": "national id",
    "identity card": "national id",
    "national id number": "national id",
    "military id card": "military id",
    "military service card": "military id",
    "military card": "military id",
    "a-number": "alien registration number",
    "a number": "alien registration number",
    "alien number": "alien registration number",
}

#: the script each letter language is written in
LANG_SCRIPT = {"ru": "cyrillic", "ar": "arabic", "zh": "han", "ja": "japanese"}  # the rest: latin


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def relation(word: str, lang: str) -> str:
    """A family relation in the letter's language; unknown words as typed."""
    key = _key(word)
    key = RELATION_ALIASES.get(key, key)
    return RELATIONS.get(key, {}).get(lang, word) if lang != "en" else word


def relation_key(word: str) -> str:
    """The English key of a known relation ("Brother " → "brother"), or "" for free text."""
    key = _key(word or "")
    key = RELATION_ALIASES.get(key, key)
    return key if key in RELATIONS else ""


def id_label(label: str, lang: str) -> str:
    """An identity document's label in the letter's language; unknown labels as typed."""
    key = _key(label)
    key = ID_ALIASES.get(key, key)
    return ID_KINDS.get(key, {}).get(lang, label) if lang != "en" else label


def script(text: str) -> str:
    """The script most of a name's letters are in: latin, cyrillic, arabic, han, japanese, greek …"""
    counts: dict[str, int] = {}
    for ch in text:
        if not ch.isalpha():
            continue
        first = unicodedata.name(ch, "").split(" ")[0].lower()
        name = {"cjk": "han", "hiragana": "japanese", "katakana": "japanese"}.get(first, first)
        counts[name] = counts.get(name, 0) + 1
    if counts.get("japanese"):  # kana anywhere: Japanese (its names mix kanji and kana)
        return "japanese"
    return max(counts, key=lambda k: counts[k]) if counts else ""


def letter_name(name_latin: str, name_native: str, lang: str) -> str:
    """The name a letter in `lang` uses: the native-script name when the letter is written in that
    script (Cyrillic for ru, Arabic for ar, Chinese characters for zh and ja …), else the Latin name."""
    if not name_native:
        return name_latin
    wanted = LANG_SCRIPT.get(lang, "latin")
    found = script(name_native)
    if found == wanted or (wanted == "japanese" and found == "han"):
        return name_native
    return name_latin
