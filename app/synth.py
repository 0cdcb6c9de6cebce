"""Deterministic synthetic records, bulk-loaded, for scale tests and benchmarks.

Every collection gets records (cities and their districts, organizations, projects, parks,
renewal cases, zero-carbon factories, figures), each cited to one synthetic source, with its
search document and grams written exactly as `app.search` would write them. The load is one
transaction: a run that is stopped leaves nothing behind."""

import datetime as dt
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Engine, Table, func, select, text
from sqlalchemy.schema import CreateIndex, DropIndex

from app.models import (
    Base,
    Revision,
    SearchGramCount,
    Source,
    project_organizations,
)
from app.models.enums import SubjectType
from app.rendered import fill_missing
from app.search import grams
from app.text import fold, to_traditional

SECTORS = ("光伏", "储能", "零碳", "智能制造", "新能源汽车", "生物医药", "人工智能", "新材料")
KINDS = ("产业园", "基地", "工厂", "中心")
QUOTE = "合成数据"
STATUSES = ("landed", "signed", "under_construction", "in_production")
APPROACHES = ("工业上楼", "工业转科研", "拆留结合")
BATCH = 20_000


class AlreadySynthesizedError(Exception):
    pass


@dataclass
class SynthCounts:
    rows: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, count: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + count


@dataclass(frozen=True)
class Plan:
    """How many records of each kind `projects` synthetic projects come with."""

    projects: int

    @property
    def cities(self) -> int:
        return max(3, self.projects // 20_000)

    @property
    def organizations(self) -> int:
        return max(10, self.projects // 20)

    @property
    def parks(self) -> int:
        return max(5, self.projects // 100)

    @property
    def renewal_cases(self) -> int:
        return max(3, self.projects // 200)

    @property
    def factories(self) -> int:
        return max(3, self.projects // 200)

    @property
    def figures(self) -> int:
        return (self.projects + 9) // 10

    def total_rows(self) -> int:
        """Roughly how many rows the load writes, for a progress bar."""
        records = (
            self.cities * 10
            + self.organizations
            + self.projects
            + self.parks
            + self.renewal_cases
            + self.factories
            + self.figures
        )
        return records * 2 + self.projects  # citations, and project organizations


class _Documents:
    """Search documents as `app.search` builds them, folding each repeated name part once."""

    def __init__(self) -> None:
        self._folded: dict[str, str] = {}

    def _fold(self, part: str) -> str:
        stem, _, number = part.rpartition(" ")
        if not number.isdigit():
            stem, number = part, ""
        if stem not in self._folded:
            self._folded[stem] = fold(stem)
        return self._folded[stem] + (f" {number}" if number else "")

    def text(self, *parts: str | None) -> str:
        """What `app.text.search_text` makes of these parts."""
        return " ".join(dict.fromkeys(self._fold(part) for part in parts if part))


class _Writer:
    """Appends rows to tables in one transaction, the fastest way each database takes them."""

    def __init__(self, engine: Engine, progress: Callable[[int], None]) -> None:
        self.dialect = engine.dialect.name
        self.raw = engine.raw_connection()
        self.connection: Any = cast(Any, self.raw.driver_connection)  # sqlite3 or psycopg
        self.progress = progress
        self.counts = SynthCounts()
        if self.dialect == "sqlite":
            # A bulk load into a file of its own: durability comes from the single COMMIT.
            self.connection.set_progress_handler(None, 0)
            self.connection.execute("PRAGMA synchronous = OFF")
            self.connection.execute("PRAGMA cache_size = -1000000")
            self.connection.execute("PRAGMA temp_store = MEMORY")
            self.connection.execute("BEGIN")

    def write(
        self, table: Table, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]
    ) -> None:
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                self._flush(table, columns, batch)
                batch = []
        if batch:
            self._flush(table, columns, batch)

    def _flush(self, table: Table, columns: tuple[str, ...], batch: list[tuple[Any, ...]]) -> None:
        names = ", ".join(columns)
        if self.dialect == "sqlite":
            marks = ", ".join("?" for _ in columns)
            self.connection.executemany(
                f"INSERT INTO {table.name} ({names}) VALUES ({marks})", batch
            )
        else:
            with (
                self.connection.cursor() as cursor,
                cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy,
            ):
                for row in batch:
                    copy.write_row(row)
        self.counts.add(table.name, len(batch))
        self.progress(len(batch))

    def add_gram_counts(self, rows: list[tuple[str, str, int]]) -> None:
        """Add to the gram counts (see `app.search.add_gram_counts`)."""
        mark = "?" if self.dialect == "sqlite" else "%s"
        statement = (
            f"INSERT INTO {SearchGramCount.__tablename__} (subject_type, gram, records) "
            f"VALUES ({mark}, {mark}, {mark}) ON CONFLICT (subject_type, gram) "
            "DO UPDATE SET records = search_gram_counts.records + excluded.records"
        )
        if self.dialect == "sqlite":
            self.connection.executemany(statement, rows)
        else:
            with self.connection.cursor() as cursor:
                cursor.executemany(statement, rows)

    def execute(self, statement: str) -> None:
        if self.dialect == "sqlite":
            self.connection.execute(statement)
        else:
            with self.connection.cursor() as cursor:
                cursor.execute(statement)

    def commit(self) -> None:
        self.execute("COMMIT") if self.dialect == "sqlite" else self.connection.commit()

    def close(self) -> None:
        self.raw.close()


def synthesize(
    engine: Engine, *, projects: int, seed: int, progress: Callable[[int], None] = lambda _: None
) -> SynthCounts:
    """Bulk-load `projects` synthetic projects and their companions; deterministic per seed."""
    source_id = f"synthetic-{seed}"
    with engine.connect() as connection:
        if connection.scalar(select(func.count()).where(Source.id == source_id)):
            raise AlreadySynthesizedError(
                f"this database already holds the synthetic data of seed {seed}; "
                "use another --seed or a fresh database"
            )
    writer = _Writer(engine, progress)
    try:
        # Indexes are cheaper built once over the loaded rows than kept up row by row.
        indexes = [index for table in BULK_TABLES for index in table.indexes]
        for index in indexes:
            writer.execute(str(DropIndex(index).compile(dialect=engine.dialect)))
        _load(writer, Plan(projects), random.Random(seed), source_id, f"syn{seed}")
        for index in indexes:
            writer.execute(str(CreateIndex(index).compile(dialect=engine.dialect)))
        writer.commit()
    finally:
        writer.close()
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))  # before rendering, whose batches need the indexes
    with engine.begin() as connection:
        fill_missing(connection)
    if engine.dialect.name == "sqlite":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    else:
        # Rendering rewrote every row: VACUUM marks them all visible again, which PostgreSQL's
        # index-only scans need, then ANALYZE.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    return writer.counts


def _load(writer: _Writer, plan: Plan, rng: random.Random, source_id: str, prefix: str) -> None:
    documents = _Documents()
    citations: list[tuple[Any, ...]] = []
    gram_rows: list[tuple[Any, ...]] = []
    gram_counts: dict[str, Counter[str]] = defaultdict(Counter)

    def cite(subject: SubjectType, record_id: str) -> None:
        citations.append((subject.value, record_id, None, source_id, 1, QUOTE))

    def index(subject: SubjectType, record_id: str, text: str) -> None:
        record_grams = grams(text)
        gram_counts[subject.value].update(record_grams)
        gram_rows.extend((gram, subject.value, record_id) for gram in record_grams)

    def flush_companions() -> None:
        writer.write(TABLES["citations"], CITATION_COLUMNS, citations)
        writer.write(TABLES["search_grams"], GRAM_COLUMNS, gram_rows)
        citations.clear()
        gram_rows.clear()

    description = "Synthetic records for scale tests; none of them is real."
    source_text = documents.text(
        f"合成数据集 {source_id}", "Synthetic data set", description, QUOTE
    )
    writer.write(
        TABLES["sources"],
        ("id", "title", "title_en", "language", "paragraph_count", "description", "search_text"),
        [
            (
                source_id,
                f"合成数据集 {source_id}",
                "Synthetic data set",
                "zh-Hans",
                1,
                description,
                source_text,
            )
        ],
    )
    cite(SubjectType.source, source_id)
    index(SubjectType.source, source_id, source_text)

    districts = []
    district_rows = []
    for city in range(plan.cities):
        city_id, city_name = f"{prefix}-c{city}", f"示范{city}市"
        rows: list[tuple[str, str, str, str | None]] = [(city_id, city_name, "city", None)]
        rows += [(f"{city_id}-d{d}", f"{city_name}{d}区", "district", city_id) for d in range(9)]
        for record_id, name, kind, parent in rows:
            name_hant = to_traditional(name)
            doc = documents.text(name, name_hant, QUOTE)
            district_rows.append((record_id, name, name_hant, kind, parent, doc))
            cite(SubjectType.district, record_id)
            index(SubjectType.district, record_id, doc)
        districts += [row[0] for row in rows[1:]]
    writer.write(
        TABLES["districts"],
        ("id", "name", "name_zh_hant", "kind", "parent_id", "search_text"),
        district_rows,
    )

    organizations = [f"{prefix}-o{n}" for n in range(plan.organizations)]
    hant = {sector: to_traditional(f"示范{sector}") for sector in SECTORS}

    def organization_name(n: int) -> tuple[str, str]:
        sector = SECTORS[n % len(SECTORS)]
        return f"示范{sector}企业 {n}", hant[sector] + to_traditional("企业") + f" {n}"

    def organization_rows() -> Iterator[tuple[Any, ...]]:
        for n, record_id in enumerate(organizations):
            name, name_hant = organization_name(n)
            doc = documents.text(name, name_hant, QUOTE)
            cite(SubjectType.organization, record_id)
            index(SubjectType.organization, record_id, doc)
            yield (
                record_id, name, name_hant, "company", rng.choice(districts), 2000 + n % 26, doc,
            )  # fmt: skip

    writer.write(
        TABLES["organizations"],
        ("id", "name", "name_zh_hant", "kind", "district_id", "settled_year", "search_text"),
        organization_rows(),
    )
    flush_companions()

    parks = [f"{prefix}-k{n}" for n in range(plan.parks)]

    def park_rows() -> Iterator[tuple[Any, ...]]:
        for n, record_id in enumerate(parks):
            sector = SECTORS[n % len(SECTORS)]
            name, name_hant = (
                f"示范{sector}园区 {n}",
                hant[sector] + to_traditional("园区") + f" {n}",
            )
            doc = documents.text(name, name_hant, QUOTE)
            cite(SubjectType.park, record_id)
            index(SubjectType.park, record_id, doc)
            capacity = None if n % 3 else float(rng.randrange(100, 20_000))
            yield (
                record_id, name, name_hant, "industrial_park", rng.choice(districts), capacity, doc,
            )  # fmt: skip

    writer.write(
        TABLES["parks"],
        (
            "id", "name", "name_zh_hant", "kind", "district_id", "pv_installed_capacity_kw",
            "search_text",
        ),
        park_rows(),
    )  # fmt: skip
    flush_companions()

    start = dt.date(2015, 1, 1)
    project_hant = {
        (sector, kind): hant[sector] + to_traditional(f"{kind}项目")
        for sector in SECTORS
        for kind in KINDS
    }
    figure_rows: list[tuple[Any, ...]] = []
    link_rows: list[tuple[Any, ...]] = []

    def project_rows() -> Iterator[tuple[Any, ...]]:
        for i in range(plan.projects):
            record_id = f"{prefix}-p{i:07d}"
            sector, kind = SECTORS[i % len(SECTORS)], KINDS[(i // len(SECTORS)) % len(KINDS)]
            name, name_hant = f"示范{sector}{kind}项目 {i}", f"{project_hant[sector, kind]} {i}"
            doc = documents.text(name, name_hant, sector, QUOTE)
            status = None if i % 10 == 0 else STATUSES[rng.randrange(len(STATUSES))]
            date = None if i % 4 == 0 else start + dt.timedelta(days=rng.randrange(5000))
            investment = None if i % 9 == 0 else rng.randrange(10, 100_000) * 1_000_000
            cite(SubjectType.project, record_id)
            index(SubjectType.project, record_id, doc)
            link_rows.append((record_id, organizations[i % len(organizations)]))
            if investment is not None and i % 10 == 1:
                figure_rows.append(_investment_figure(record_id, investment))
            yield (
                record_id, name, name_hant, sector, rng.choice(districts), status, date,
                date.year if date else None, investment, None if investment is None else "exact",
                doc,
            )  # fmt: skip
            if len(citations) >= BATCH:
                flush_companions()
                writer.write(project_organizations, ("project_id", "organization_id"), link_rows)
                link_rows.clear()

    writer.write(
        TABLES["projects"],
        (
            "id", "name", "name_zh_hant", "sector", "district_id", "status", "status_date",
            "status_year", "investment_cny", "investment_qualifier", "search_text",
        ),
        project_rows(),
    )  # fmt: skip
    writer.write(project_organizations, ("project_id", "organization_id"), link_rows)
    flush_companions()

    def renewal_rows() -> Iterator[tuple[Any, ...]]:
        for n in range(plan.renewal_cases):
            record_id = f"{prefix}-r{n}"
            approach = APPROACHES[n % len(APPROACHES)]
            name, name_hant = f"示范更新案例 {n}", to_traditional("示范更新案例") + f" {n}"
            doc = documents.text(name, name_hant, approach, QUOTE)
            cite(SubjectType.renewal_case, record_id)
            index(SubjectType.renewal_case, record_id, doc)
            before = round(rng.uniform(0.5, 1.5), 2)
            yield (
                record_id, name, name_hant, rng.choice(parks),
                approach, before, round(before * rng.uniform(1.2, 2.5), 2),
                float(rng.randrange(1_000, 100_000)), "exact", doc,
            )  # fmt: skip

    writer.write(
        TABLES["renewal_cases"],
        (
            "id", "name", "name_zh_hant", "park_id", "approach", "plot_ratio_before",
            "plot_ratio_after", "floor_area_m2", "floor_area_qualifier", "search_text",
        ),
        renewal_rows(),
    )  # fmt: skip
    flush_companions()

    def factory_rows() -> Iterator[tuple[Any, ...]]:
        for n in range(plan.factories):
            record_id = f"{prefix}-z{n}"
            number = n % len(organizations)
            organization = organizations[number]
            year = 2020 + n % 6
            list_name = f"示范零碳工厂名单 {year}"
            doc = documents.text(*organization_name(number), list_name, QUOTE)
            cite(SubjectType.zero_carbon_factory, record_id)
            index(SubjectType.zero_carbon_factory, record_id, doc)
            level = "zero_carbon" if n % 4 == 0 else "near_zero_carbon"
            yield (
                record_id, organization, level, "shortlisted", list_name, year,
                rng.choice(districts), doc,
            )  # fmt: skip

    writer.write(
        TABLES["zero_carbon_factories"],
        (
            "id", "organization_id", "level", "stage", "list_name", "year", "district_id",
            "search_text",
        ),
        factory_rows(),
    )  # fmt: skip
    flush_companions()

    for row in figure_rows:
        cite(SubjectType.figure, row[0])
        index(SubjectType.figure, row[0], row[-1])
    writer.write(TABLES["figures"], FIGURE_COLUMNS, figure_rows)
    flush_companions()
    writer.add_gram_counts(
        [
            (subject, gram, count)
            for subject, counts in gram_counts.items()
            for gram, count in sorted(counts.items())
        ]
    )
    writer.execute(f"UPDATE {Revision.__tablename__} SET value = value + 1 WHERE id = 1")


TABLES = Base.metadata.tables
BULK_TABLES = tuple(
    TABLES[name]
    for name in ("projects", "citations", "search_grams", "figures", "project_organizations")
)
CITATION_COLUMNS = ("subject_type", "subject_id", "fields", "source_id", "paragraph", "quote")
GRAM_COLUMNS = ("gram", "subject_type", "subject_id")
FIGURE_COLUMNS = (
    "id", "subject_type", "subject_id", "metric", "label", "value", "value_stated", "unit",
    "value_normalized", "unit_normalized", "qualifier", "kind", "search_text",
)  # fmt: skip


def _investment_figure(project_id: str, investment: int) -> tuple[Any, ...]:
    value = investment / 1e8
    stated = f"{value:g}"
    doc = " ".join(dict.fromkeys(("total investment", stated, "亿元", QUOTE)))
    return (
        f"{project_id}-investment", "project", project_id, "investment_cny", "Total investment",
        value, stated, "亿元", float(investment), "CNY", "exact", "actual", doc,
    )  # fmt: skip
