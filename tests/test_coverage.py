"""`citykb coverage`: the seed's source, paragraph by paragraph, against its ledger. Each test
that breaks the ledger (or the database) checks that the coverage check names the break."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.config import get_settings
from app.services.coverage import (
    CoverageReport,
    Ledger,
    LedgerError,
    check_coverage,
    load_ledger,
    number_tokens,
)
from tests.factories import SOURCE_ID, citykb

LEDGER = get_settings().seed_path.with_suffix(".ledger.yaml")


def _ledger_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(LEDGER.read_text(encoding="utf-8"))
    return data


def _paragraph(data: dict[str, Any], number: int) -> dict[str, Any]:
    (entry,) = [entry for entry in data["paragraphs"] if entry["paragraph"] == number]
    assert isinstance(entry, dict)
    return entry


def _check(session: Session, data: dict[str, Any]) -> CoverageReport:
    return check_coverage(session=session, source_id=SOURCE_ID, ledger=Ledger.model_validate(data))


def test_number_tokens_find_numerals_with_their_units() -> None:
    tokens = number_tokens(
        text="某厂LY3线投资超百亿元、第二期2万多平方米,减排12.5%,占三分之一,“十五五”期间"
    )
    assert [(token.text, token.unit) for token in tokens] == [
        ("LY3", ""),
        ("百", "亿元"),
        ("二", ""),
        ("2", "万平方米"),
        ("12.5", "%"),
        ("三分之一", ""),
        ("十五五", ""),
    ]
    assert [token.occurrence for token in number_tokens(text="一年又一年,两年")] == [1, 2, 1]


def test_the_shipped_seed_and_ledger_pass(session: Session, source_text: str) -> None:
    report = check_coverage(session=session, source_id=SOURCE_ID, ledger=load_ledger(path=LEDGER))
    assert report.problems == []
    assert len(report.paragraphs) == len(source_text.splitlines())
    assert report.count("unheld") == 0
    assert report.count("held") > report.count("waived") > 0
    # Every number the text holds is in the ledger, held or waived by name, or by a term waiver.
    assert all(line.from_ledger or line.waiver for p in report.paragraphs for line in p.numbers)


def test_an_unheld_number_is_a_problem(session: Session, source_text: str) -> None:
    data = _ledger_data()
    numbers = _paragraph(data, 22)["numbers"]
    numbers[:] = [n for n in numbers if not (n["token"] == "一" and n["occurrence"] == 1)]
    report = _check(session, data)
    assert report.problems == ["¶22 一: no figure or record holds it, and nothing waives it"]
    assert report.count("unheld") == 1


def test_a_waived_number_a_figure_holds_is_a_problem(session: Session, source_text: str) -> None:
    data = _ledger_data()
    for number in _paragraph(data, 19)["numbers"]:
        if number["token"] == "580":
            number.pop("held_by")
            number["waive"] = "a length"
    assert _check(session, data).problems == [
        "¶19 580: waived, but figures/songjianhu-pv-corridor-length, "
        "parks/songjianhu-optoelectronics-harbor holds it: say held_by instead"
    ]


def test_a_holder_that_does_not_hold_the_number_is_a_problem(
    session: Session, source_text: str
) -> None:
    data = _ledger_data()
    numbers = _paragraph(data, 19)["numbers"]
    for number in numbers:
        if number["token"] == "6000":
            number["held_by"] = "figures/songjianhu-pv-capacity"  # another number's figure
        if number["token"] == "700":
            number["held_by"] = "figures/no-such-figure"
    numbers.append({"token": "700", "occurrence": 2, "waive": "a second 700"})
    assert _check(session, data).problems == [
        "¶19 700#2: no such number in the text (it has 580, 一, 6.16, 五分之一, 一#2, 700, "
        "6000, 26.1, 650)",
        "¶19 700: held_by figures/no-such-figure: no such record",
        "¶19 6000: held_by figures/songjianhu-pv-capacity: none of its quotes in paragraph 19 "
        "covers the token",
    ]


def test_a_record_holds_a_number_only_through_a_field_it_cites(
    session: Session, source_text: str
) -> None:
    data = _ledger_data()
    numbers = _paragraph(data, 21)["numbers"]
    # The scenarios' citation quotes 一批 (a batch of), but no field of theirs holds a one.
    numbers[0] = {
        "token": "一",
        "occurrence": 1,
        "held_by": "scenarios/low-carbon-parks",
        "why": "a numeral in a name, not a quantity",
    }
    assert _check(session, data).problems == [
        "¶21 一: held_by scenarios/low-carbon-parks: its quote covers the token, but no field "
        "it cites holds it"
    ]


def test_an_entity_whose_record_is_missing_is_a_problem(session: Session, source_text: str) -> None:
    data = _ledger_data()
    for entity in _paragraph(data, 15)["entities"]:
        if entity["name"] == "运河五号":
            entity["record"] = "parks/canal-no6"
    assert _check(session, data).problems == [
        "¶15 site 运河五号: its record parks/canal-no6 does not exist"
    ]


def test_an_entity_held_by_another_record_is_a_problem(session: Session, source_text: str) -> None:
    data = _ledger_data()
    for entity in _paragraph(data, 14)["entities"]:
        if entity["name"] == "腾笼换凤":
            # It cites the paragraph, and a search for the name finds it through its quote.
            entity["record"] = "programmes/second-venture"
    assert _check(session, data).problems == [
        "¶14 programme 腾笼换凤: programmes/second-venture holds no such name in its cited fields"
    ]


def test_an_entity_whose_record_does_not_cite_the_paragraph_is_a_problem(
    session: Session, source_text: str
) -> None:
    data = _ledger_data()
    del _paragraph(data, 5)["entities"][0]["waive"]
    assert _check(session, data).problems == [
        "¶5 goal 现代化人民城市: programmes/modern-people-city does not cite paragraph 5"
    ]


def test_an_entity_the_search_does_not_find_is_a_problem(
    session: Session, source_text: str
) -> None:
    session.execute(text("UPDATE parks SET search_text = 'x' WHERE id = 'sauce-factory'"))
    report = check_coverage(session=session, source_id=SOURCE_ID, ledger=load_ledger(path=LEDGER))
    assert report.problems == [
        "¶15 site 酱品厂: a search for the name does not find parks/sauce-factory"
    ]


def test_paragraph_waivers_must_match_what_cites_a_paragraph(
    session: Session, source_text: str
) -> None:
    data = _ledger_data()
    data["paragraph_waivers"] = [
        {"paragraph": 2, "reason": "cited all the same"} if waiver["paragraph"] == 1 else waiver
        for waiver in data["paragraph_waivers"]
    ]
    problems = _check(session, data).problems
    assert problems[0] == "¶1: no record cites it, and the ledger does not waive it"
    assert problems[1].startswith("¶2: waived, but 5 records cite it")
    assert len(problems) == 2


def test_a_source_with_no_text_is_a_problem(session: Session) -> None:
    session.execute(text(f"DELETE FROM source_paragraphs WHERE source_id = '{SOURCE_ID}'"))
    report = check_coverage(session=session, source_id=SOURCE_ID, ledger=load_ledger(path=LEDGER))
    assert report.problems == [
        f"source '{SOURCE_ID}' has no registered text: register it "
        f"(`citykb sources text {SOURCE_ID} FILE`), or give one for this run (--text FILE)"
    ]


def test_a_malformed_ledger_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.ledger.yaml"
    path.write_text(
        "source: s\nparagraphs:\n  - paragraph: 2\n    numbers:\n"
        "      - {token: 十, occurrence: 1, held_by: figures/x, waive: both}\n",
        encoding="utf-8",
    )
    with pytest.raises(LedgerError) as error:
        load_ledger(path=path)
    assert error.value.problems == [
        f"{path}: paragraphs.0.numbers.0: Value error, give either held_by or waive"
    ]


def _fresh_seeded(tmp_path: Path) -> Path:
    database = tmp_path / "coverage.db"
    for command in (("db", "upgrade"), ("seed",)):
        assert citykb(*command, database=database).returncode == 0
    return database


def test_the_command_passes_the_shipped_ledger_and_fails_a_broken_one(
    tmp_path: Path, source_text: str
) -> None:
    database = _fresh_seeded(tmp_path)
    article = tmp_path / "article.txt"
    article.write_text(source_text, encoding="utf-8")
    text_option = ("--text", str(article))
    passed = citykb("coverage", SOURCE_ID, *text_option, database=database)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    lines = passed.stdout.splitlines()
    assert "text: the given file (the database has none), for this run only" in lines
    assert "¶4  waived: section heading" in lines
    assert "    number  6.16 兆瓦: held by figures/songjianhu-pv-capacity" in lines
    assert lines[-1].startswith(f"coverage of {SOURCE_ID}: 24 paragraphs (7 waived), ")
    assert " 0 unheld; " in lines[-1]
    assert lines[-1].endswith("; 0 problems")

    data = _ledger_data()
    numbers = _paragraph(data, 22)["numbers"]
    numbers[:] = [n for n in numbers if not (n["token"] == "一" and n["occurrence"] == 1)]
    broken = tmp_path / "broken.ledger.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    failed = citykb("coverage", SOURCE_ID, "--ledger", str(broken), *text_option, database=database)
    assert failed.returncode == 1
    assert "PROBLEM ¶22 一: no figure or record holds it, and nothing waives it" in failed.stdout
    assert " 1 unheld; " in failed.stdout.splitlines()[-1]
    assert failed.stdout.splitlines()[-1].endswith("; 1 problems")

    # The text was used for those runs only: the database still has none.
    without = citykb("coverage", SOURCE_ID, database=database)
    assert without.returncode == 1
    assert "has no registered text" in without.stdout


def test_a_number_a_record_holds_says_why_no_figure_does(
    session: Session, source_text: str
) -> None:
    data = _ledger_data()
    for number in _paragraph(data, 7)["numbers"]:
        if number["token"] == "2016":
            del number["why"]
    with pytest.raises(ValidationError, match="needs `why`"):
        _check(session, data)


def test_a_number_only_a_record_holds_must_be_listed(session: Session, source_text: str) -> None:
    data = _ledger_data()
    numbers = _paragraph(data, 7)["numbers"]
    numbers[:] = [number for number in numbers if number["token"] != "LY7"]
    assert _check(session, data).problems == [
        "¶7 LY7: only projects/catl-ly7 holds it, in a field: list it in the ledger with `why` "
        "(a date, a year, a numeral in a name) or give it a figure"
    ]
