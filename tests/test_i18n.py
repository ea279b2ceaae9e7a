"""The catalogs are complete: same keys in both languages, no empty text, every key used in code exists."""

import json
import re
import string
from pathlib import Path

import pytest

from ui.i18n import LANGS, LOCALES_DIR, catalog

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]
# t("key" ...), translate(lang, "key" ...): literal keys only (f-strings are checked by their owners' tests)
KEY_USE = re.compile(r"""\b(?:t|translate)\(\s*(?:[A-Za-z_][\w.]*\s*,\s*)?(["'])([a-z_]+\.[\w.\-]+)\1\s*[,)]""")


def areas(lang):
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted((LOCALES_DIR / lang).glob("*.json"))}


def placeholders(text):
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError:  # not a format string (e.g. LaTeX braces): only usable as t(key) without arguments
        return None


def test_both_languages_have_the_same_area_files():
    assert set(areas("en")) == set(areas("zh"))
    assert {"shell", "shapes"} <= set(areas("en"))


@pytest.mark.parametrize("area", sorted(areas("en")))
def test_area_catalogs_match(area):
    en, zh = areas("en")[area], areas("zh")[area]
    assert sorted(set(en) ^ set(zh)) == [], "keys present in only one language"
    for key in en:
        assert key.startswith(f"{area}."), f"{key} belongs in {key.split('.')[0]}.json"
        for lang, text in (("en", en[key]), ("zh", zh[key])):
            assert isinstance(text, str) and text.strip(), f"{lang}:{key} is empty"
        if placeholders(en[key]) is not None and placeholders(zh[key]) is not None:
            assert placeholders(en[key]) == placeholders(zh[key]), f"{key}: placeholders differ"


def test_chinese_catalog_is_chinese():
    # Real translations, not copies of English: most Chinese entries contain CJK characters.
    zh, en = catalog("zh"), catalog("en")
    cjk = [k for k, v in zh.items() if re.search(r"[\u4e00-\u9fff]", v)]
    assert len(cjk) >= 0.8 * len(zh)
    copied = [k for k in zh if zh[k] == en[k] and len(en[k]) > 12]
    assert len(copied) <= 0.1 * len(zh), copied[:20]


def test_every_literal_key_in_the_code_exists():
    used = {}
    for path in SOURCES:
        for match in KEY_USE.finditer(path.read_text(encoding="utf-8")):
            used.setdefault(match.group(2), path.relative_to(ROOT).as_posix())
    assert len(used) > 20  # the scan really finds the keys
    for lang in LANGS:
        missing = {key: where for key, where in used.items() if key not in catalog(lang)}
        assert not missing, f"{lang}: keys used in code but missing from the catalog: {missing}"


SEED_AS_TUTORIAL = re.compile(
    r"(?i)\bseeds? 00\d|\bseed-00\d|\bseed tutorial|种子教程|种子 ?00\d|教程 ?00\d|tutorial 00\d")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tutorials_are_named_by_title_never_as_seed_n(lang):
    """"seed 004" clashes with the random-seed control: a tutorial is named by its title
    (``ui.tutorials.tutorial_title``), and a title quoted in a catalog is that title."""
    from ui.tutorials import NUMBERS, tutorial_title

    bad = []
    for path in sorted((LOCALES_DIR / lang).glob("*.json")):
        for key, value in json.loads(path.read_text(encoding="utf-8")).items():
            if SEED_AS_TUTORIAL.search(value):
                bad.append(f"{path.name}:{key}")
    assert not bad
    titles = {tutorial_title(n, lang) for n in NUMBERS}
    assert len(titles) == 5
    if lang == "zh":  # 《…》 around a tutorial's name: it must be one of the five titles
        quoted = {m for p in (LOCALES_DIR / lang).glob("*.json")
                  for v in json.loads(p.read_text(encoding="utf-8")).values() for m in re.findall(r"《([^》{}]+)》", v)}
        assert quoted <= titles, quoted - titles
