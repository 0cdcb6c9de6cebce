"""Deterministic synthetic records, bulk-loaded, for scale tests and benchmarks.

Every collection gets records (cities and their districts, organizations, projects, parks,
renewal cases, zero-carbon factories, figures), each cited to one synthetic source. A record's
search document is what `app.projections.search_index` makes of it: its collection's document
columns (`Collection.document`; a record `named_after` another takes that one's names) and its
citation's quote, folded as `app.text.search_text` folds them, with the grams of
`app.text.grams` and the gram counts of `search_index.add_gram_counts`. The load is one
transaction: a run that is stopped leaves nothing behind."""

import datetime as dt
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain, islice, repeat
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, func, select, text, update
from sqlalchemy.schema import CreateIndex, DropIndex

from app.collections.catalog import BY_SUBJECT
from app.models import Base, Revision, Source
from app.projections.rendering import fill_missing
from app.projections.search_index import add_gram_counts
from app.text import fold, grams, to_traditional

SECTORS = ("光伏", "储能", "零碳", "智能制造", "新能源汽车", "生物医药", "人工智能", "新材料")
KINDS = ("产业园", "基地", "工厂", "中心")
QUOTE = "合成数据"
STATUSES = ("landed", "signed", "under_construction", "in_production")
APPROACHES = ("工业上楼", "工业转科研", "拆留结合")
BATCH = 20_000

TABLES = Base.metadata.tables
BULK_TABLES = tuple(
    TABLES[name]
    for name in ("projects", "citations", "search_grams", "figures", "project_organizations")
)
"""The tables whose indexes are dropped during the load and built again after it."""
Row = tuple[Any, ...]
Target = tuple[Table, tuple[str, ...]]
"""A table and the columns a row gives."""
CITATIONS: Target = (
    TABLES["citations"],
    ("subject_type", "subject_id", "fields", "source_id", "paragraph", "quote"),
)
GRAMS: Target = (TABLES["search_grams"], ("gram", "subject_type", "subject_id"))

Record = dict[str, Any]
"""A record's values by column; a collection's `links` field lists the records it links to."""


class AlreadySynthesizedError(Exception):
    pass


@dataclass
class SynthCounts:
    rows: Counter[str] = field(default_factory=Counter)
    """Rows written, by table."""


class Plan:
    """How many records of each kind `projects` synthetic projects come with."""

    def __init__(self, projects: int) -> None:
        self.projects = projects
        self.cities = max(3, projects // 20_000)
        self.organizations = max(10, projects // 20)
        self.parks = max(5, projects // 100)
        self.renewal_cases = max(3, projects // 200)
        self.factories = max(3, projects // 200)
        self.figures = (projects + 9) // 10

    def total_rows(self) -> int:
        """Roughly how many rows the load writes, for a progress bar."""
        records = self.cities * 10 + self.organizations + self.projects + self.parks
        records += self.renewal_cases + self.factories + self.figures
        return records * 2 + self.projects  # citations, and project organizations


class _Writer:
    """Appends rows to tables in a connection's transaction, through the driver, the fastest
    way each database takes them: batched INSERTs on SQLite, COPY on PostgreSQL."""

    def __init__(self, connection: Connection, progress: Callable[[int], None]) -> None:
        self.driver: Any = cast(Any, connection.connection.driver_connection)  # sqlite3, psycopg
        self.sqlite = connection.dialect.name == "sqlite"
        self.progress = progress
        self.counts = SynthCounts()
        if self.sqlite:
            # A bulk load into a file of its own: durability comes from the single COMMIT.
            self.driver.set_progress_handler(None, 0)
            for pragma in ("synchronous = OFF", "cache_size = -1000000", "temp_store = MEMORY"):
                self.driver.execute(f"PRAGMA {pragma}")

    def write(self, table: Table, columns: tuple[str, ...], rows: Iterable[Row]) -> None:
        names, rows = ", ".join(columns), iter(rows)
        while batch := list(islice(rows, BATCH)):
            if self.sqlite:
                marks = ", ".join("?" for _ in columns)
                self.driver.executemany(
                    f"INSERT INTO {table.name} ({names}) VALUES ({marks})", batch
                )
            else:
                with (
                    self.driver.cursor() as cursor,
                    cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy,
                ):
                    for row in batch:
                        copy.write_row(row)
            self.counts.rows[table.name] += len(batch)
            self.progress(len(batch))


def _per_stem(convert: Callable[[str], str]) -> Callable[[str], str]:
    """`convert` (`app.text.fold` or `to_traditional`), remembering its results. A part's
    trailing number (`示范光伏企业 12`) is split off and appended to the converted rest: both
    conversions keep ASCII digits and a space before them, and convert the text before the
    space alike with or without them (tests/test_scale.py compares the documents with those
    reindexing writes). So each kind of name is converted once, not each name."""
    converted: dict[str, str] = {}

    def cached(part: str) -> str:
        stem, space, number = part.rpartition(" ")
        if not (number.isascii() and number.isdigit()):
            stem, space, number = part, "", ""
        if stem not in converted:
            converted[stem] = convert(stem)
        return converted[stem] + space + number

    return cached


_traditional = _per_stem(to_traditional)


class _Loader:
    """Writes the records of each collection, each with its citation of the synthetic source,
    its search document and grams, and its links; counts the records holding each gram."""

    def __init__(self, writer: _Writer, source_id: str) -> None:
        self.writer = writer
        self.source_id = source_id
        self.companions: dict[Target, list[Row]] = {CITATIONS: [], GRAMS: []}
        self.gram_counts: dict[str, Counter[str]] = defaultdict(Counter)
        self.fold = _per_stem(fold)

    def add(
        self, subject: str, records: Iterable[Record], named: Mapping[str, Record] = {}
    ) -> None:
        """Write these records, all with the same fields, of the collection of `subject`; for
        a collection `named_after` others, `named` holds those others by id."""
        collection = BY_SUBJECT[subject]
        # The document's columns, in order: the record's own, or the names of the record it is
        # named after.
        parts = [
            (column.class_ is collection.model, column.key)
            for column in collection.document.columns
        ]
        named_after = collection.named_after.key if collection.named_after is not None else None
        links = collection.links
        linked: list[Row] = []
        if links is not None:
            linked = self.companions.setdefault((links.table, (links.own.key, links.other.key)), [])
        citations, gram_rows = self.companions[CITATIONS], self.companions[GRAMS]
        counts = self.gram_counts[subject]
        records = iter(records)
        first = next(records, None)
        if first is None:
            return
        columns = (*(key for key in first if links is None or key != links.field), "search_text")

        def rows() -> Iterator[Row]:
            for record in chain([first], records):
                record_id = record["id"]
                names = named[record[named_after]] if named_after is not None else record
                document = self.search_text(
                    *[(record if own else names).get(key) for own, key in parts], QUOTE
                )
                record_grams = grams(document)
                counts.update(record_grams)
                citations.append((subject, record_id, None, self.source_id, 1, QUOTE))
                gram_rows.extend(zip(record_grams, repeat(subject), repeat(record_id)))
                if links is not None:
                    linked.extend((record_id, other) for other in record.pop(links.field))
                yield (*record.values(), document)
                if len(citations) >= BATCH:
                    self.flush()

        self.writer.write(collection.table, columns, rows())
        self.flush()

    def search_text(self, *parts: str | None) -> str:
        """What `app.text.search_text` makes of these parts."""
        return " ".join(dict.fromkeys(self.fold(part) for part in parts if part))

    def flush(self) -> None:
        for (table, columns), rows in self.companions.items():
            self.writer.write(table, columns, rows)
            rows.clear()


def synthesize(
    engine: Engine, *, projects: int, seed: int, progress: Callable[[int], None] = lambda _: None
) -> SynthCounts:
    """Bulk-load `projects` synthetic projects and their companions; deterministic per seed."""
    source_id = f"synthetic-{seed}"
    with engine.connect() as connection:
        writer = _Writer(connection, progress)
        with connection.begin():
            if connection.scalar(select(func.count()).where(Source.id == source_id)):
                raise AlreadySynthesizedError(
                    f"this database already holds the synthetic data of seed {seed}; "
                    "use another --seed or a fresh database"
                )
            # Indexes are cheaper built once over the loaded rows than kept up row by row.
            indexes = [index for table in BULK_TABLES for index in table.indexes]
            for index in indexes:
                connection.execute(DropIndex(index))
            loader = _Loader(writer, source_id)
            _load(loader, Plan(projects), random.Random(seed), f"syn{seed}")
            for subject, counts in loader.gram_counts.items():
                add_gram_counts(connection, subject, counts)
            connection.execute(
                update(Revision).where(Revision.id == 1).values(value=Revision.value + 1)
            )
            for index in indexes:
                connection.execute(CreateIndex(index))
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


def _record(record_id: str, name: str, **fields: Any) -> Record:
    """A record with its name, in simplified and in traditional characters."""
    return {"id": record_id, "name": name, "name_zh_hant": _traditional(name), **fields}


def _load(loader: _Loader, plan: Plan, rng: random.Random, prefix: str) -> None:
    """Every collection's synthetic records, each collection after those its records name."""
    source = {
        "id": loader.source_id,
        "title": f"合成数据集 {loader.source_id}",
        "title_en": "Synthetic data set",
        "language": "zh-Hans",
        "paragraph_count": 1,
        "description": "Synthetic records for scale tests; none of them is real.",
    }
    loader.add("source", [source])

    districts: list[Record] = []
    for c in range(plan.cities):
        city = _record(f"{prefix}-c{c}", f"示范{c}市", kind="city", parent_id=None)
        districts.append(city)
        for d in range(9):
            name, parent_id = f"{city['name']}{d}区", city["id"]
            districts.append(
                _record(f"{parent_id}-d{d}", name, kind="district", parent_id=parent_id)
            )
    loader.add("district", districts)
    district_ids = [record["id"] for record in districts if record["kind"] == "district"]

    organizations = {
        f"{prefix}-o{n}": _record(
            f"{prefix}-o{n}",
            f"示范{SECTORS[n % len(SECTORS)]}企业 {n}",
            kind="company",
            district_id=rng.choice(district_ids),
            settled_year=2000 + n % 26,
        )
        for n in range(plan.organizations)
    }
    loader.add("organization", organizations.values())
    organization_ids = list(organizations)

    parks = [
        _record(
            f"{prefix}-k{n}",
            f"示范{SECTORS[n % len(SECTORS)]}园区 {n}",
            kind="industrial_park",
            pv_installed_capacity_kw=None if n % 3 else float(rng.randrange(100, 20_000)),
            district_id=rng.choice(district_ids),
        )
        for n in range(plan.parks)
    ]
    loader.add("park", parks)

    start = dt.date(2015, 1, 1)
    figures: list[Record] = []

    def projects() -> Iterator[Record]:
        for i in range(plan.projects):
            record_id = f"{prefix}-p{i:07d}"
            sector, kind = SECTORS[i % len(SECTORS)], KINDS[(i // len(SECTORS)) % len(KINDS)]
            status = None if i % 10 == 0 else STATUSES[rng.randrange(len(STATUSES))]
            date = None if i % 4 == 0 else start + dt.timedelta(days=rng.randrange(5000))
            investment = None if i % 9 == 0 else rng.randrange(10, 100_000) * 1_000_000
            if investment is not None and i % 10 == 1:
                figures.append(_investment_figure(record_id, investment))
            yield _record(
                record_id,
                f"示范{sector}{kind}项目 {i}",
                sector=sector,
                district_id=rng.choice(district_ids),
                status=status,
                status_date=date,
                status_year=date.year if date else None,
                investment_cny=investment,
                investment_qualifier=None if investment is None else "exact",
                organization_ids=[organization_ids[i % len(organization_ids)]],
            )

    loader.add("project", projects())

    renewal_cases = (
        _record(
            f"{prefix}-r{n}",
            f"示范更新案例 {n}",
            plot_ratio_before=(before := round(rng.uniform(0.5, 1.5), 2)),
            park_id=rng.choice(parks)["id"],
            approach=APPROACHES[n % len(APPROACHES)],
            plot_ratio_after=round(before * rng.uniform(1.2, 2.5), 2),
            floor_area_m2=float(rng.randrange(1_000, 100_000)),
            floor_area_qualifier="exact",
        )
        for n in range(plan.renewal_cases)
    )
    loader.add("renewal_case", renewal_cases)
    factories = (
        {
            "id": f"{prefix}-z{n}",
            "organization_id": organization_ids[n % len(organization_ids)],
            "level": "zero_carbon" if n % 4 == 0 else "near_zero_carbon",
            "stage": "shortlisted",
            "list_name": f"示范零碳工厂名单 {2020 + n % 6}",
            "year": 2020 + n % 6,
            "district_id": rng.choice(district_ids),
        }
        for n in range(plan.factories)
    )
    loader.add("zero_carbon_factory", factories, named=organizations)
    loader.add("figure", figures)


def _investment_figure(project_id: str, investment: int) -> Record:
    value = investment / 1e8
    return {
        "id": f"{project_id}-investment",
        "subject_type": "project",
        "subject_id": project_id,
        "metric": "investment_cny",
        "label": "Total investment",
        "value": value,
        "value_stated": f"{value:g}",
        "unit": "亿元",
        "value_normalized": float(investment),
        "unit_normalized": "CNY",
        "qualifier": "exact",
        "kind": "actual",
    }
