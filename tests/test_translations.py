"""The Spanish catalogue is complete, compiled, and in step with the strings in the code."""

from __future__ import annotations

import re
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
POT = TRANSLATIONS / "messages.pot"
LANGUAGES = ("es",)

REFRESH = (
    "Run `make translations` (re-extracts app/translations/messages.pot, updates every "
    "messages.po and recompiles messages.mo), translate what it added, then run it again "
    "(or `.venv/bin/pybabel compile -d app/translations`) and commit the .pot, .po and .mo."
)

# %(name)s, %(number)s ... and any bare %s / %d / %%.
PLACEHOLDER = re.compile(r"%(?:\([A-Za-z_][A-Za-z0-9_]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _ids(catalog: Catalog) -> set[str]:
    return {str(m.id) for m in catalog if m.id}


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated_with_the_same_placeholders(language: str) -> None:
    template = _read(POT)
    catalog = _read(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", language)

    missing = sorted(_ids(template) - _ids(catalog))
    assert not missing, f"{language}: messages.po lacks msgids that are in messages.pot: {missing}. {REFRESH}"

    untranslated, fuzzy, mismatched = [], [], []
    for message in template:
        if not message.id:
            continue
        translated = catalog.get(message.id)
        assert translated is not None
        text = translated.string
        if not isinstance(text, str) or not text.strip():
            untranslated.append(message.id)
            continue
        if translated.fuzzy:
            fuzzy.append(message.id)
        if _placeholders(text) != _placeholders(str(message.id)):
            mismatched.append((message.id, text))
    assert not untranslated, f"{language}: empty msgstr for {untranslated}"
    assert not fuzzy, f"{language}: fuzzy (unreviewed) translations are not compiled: {fuzzy}"
    assert not mismatched, f"{language}: placeholders differ from the msgid: {mismatched}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_committed_mo_is_compiled_from_the_current_po(language: str) -> None:
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    mo = folder / "messages.mo"
    assert mo.exists(), f"{mo.relative_to(ROOT)} is missing. {REFRESH}"
    catalog = _read(folder / "messages.po", language)  # as `pybabel compile` reads it
    assert not catalog.fuzzy, (
        f"{language}: messages.po has no header or its header is marked '#, fuzzy', so `pybabel compile` "
        "skips it and leaves messages.mo stale. Note `pybabel update --omit-header` (used by the Makefile's "
        "`translations` target) writes the .po without its header: restore the header (Language, "
        "Plural-Forms, Content-Type: text/plain; charset=utf-8) and recompile."
    )
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    assert mo.read_bytes() == compiled.getvalue(), (
        f"{mo.relative_to(ROOT)} is stale: it is not what messages.po compiles to. {REFRESH}"
    )


def test_pot_matches_the_strings_in_the_code(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    # The same command as the Makefile's `translations` target, written to a temporary file.
    run = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg", "--no-location",
         "--omit-header", "-k", "N_", "-o", str(fresh), "."],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert run.returncode == 0, f"pybabel extract failed:\n{run.stdout}{run.stderr}"
    extracted, committed = _ids(_read(fresh)), _ids(_read(POT))
    added, removed = sorted(extracted - committed), sorted(committed - extracted)
    assert not added and not removed, (
        f"app/translations/messages.pot is out of date: new strings in the code {added}, "
        f"strings no longer in the code {removed}. {REFRESH}"
    )
