"""Deterministic synthetic records, bulk-loaded, for scale tests and benchmarks.

Every collection gets records (cities and their districts, organizations, projects, parks,
renewal cases, zero-carbon factories, people, recognitions, events, programmes, scenarios,
figures), each cited to one synthetic source whose text is registered. Records name each other
as real ones do (a park its cluster, an organization its site, a factory its list, an event or
a programme its parent, a figure its place and programme), so that every filter of every list
finds records to select, and its plan is the one a real list gets. A record's search document
is what `app.projections.search_index` makes of it: its collection's document columns
(`Collection.document`; a record `named_after` another takes that one's names) and its
citation's quote, folded as `app.text.search_text` folds them, with the grams of
`app.text.grams` and the gram counts of `search_index.add_gram_counts`. Its rendering is what
`app.projections.rendering` makes of it, written with the row: nothing is read back or updated
after the load. The load is one transaction: a run that is stopped leaves nothing behind."""

import contextlib
import datetime as dt
import random
import sqlite3
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import Any, cast

import orjson
from sqlalchemy import Connection, Engine, Table, func, select, text, update
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

from app.collections.base import NAME_FIELDS
from app.collections.catalog import BY_SUBJECT
from app.models import Base, Revision, Source
from app.projections.rendering import render_row
from app.projections.rollups import rebuild_rollups
from app.projections.search_index import add_gram_counts
from app.text import fold, grams, to_traditional

SECTORS = ("光伏", "储能", "零碳", "智能制造", "新能源汽车", "生物医药", "人工智能", "新材料")
KINDS = ("产业园", "基地", "工厂", "中心")
QUOTE = "合成数据"
TEXT = f"{QUOTE}：本数据集的每条记录都是为规模测试生成的{QUOTE}，并非真实信息。"
"""The synthetic source's one paragraph, registered as its text: every synthetic citation
quotes it, so that writes citing the source check their quotes as for any other."""
STATUSES = ("landed", "signed", "under_construction", "in_production")
APPROACHES = ("工业上楼", "工业转科研", "拆留结合")
RECOGNITIONS = (("list", "名单"), ("title", "称号"), ("ranking", "榜单"), ("epithet", "之城"))
EVENTS = (
    ("conference", "大会"),
    ("campaign", "行动"),
    ("expo", "博览会"),
    ("competition", "大赛"),
    ("matching_activity", "对接会"),
    ("recurring_activity", "路演"),
)
CADENCES = ("daily", "weekly", "monthly", "quarterly")
PROGRAMMES = (
    ("goal", "目标"),
    ("plan", "行动方案"),
    ("policy", "政策"),
    ("industrial_system", "产业体系"),
    ("pilot", "试点"),
    ("judgment", "研判"),
    ("strategy", "战略"),
    ("method", "工作法"),
)
PERIODS = (("三年", 3), ("五年", 5), ("十五五", 5))
SURNAMES = "张王李赵刘陈杨黄周吴"
TITLES = ("董事长", "总经理", "主任", "院长", "副市长")
CLUSTER_EVERY = 25
"""One park in this many is a cluster of sites (`site_cluster`); the next eight are in it."""
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
GRAM_COLUMNS = ("gram", "subject_type", "subject_id")

Record = dict[str, Any]
"""A record's values by field: its columns, and what its read schema shows that is no column
of its own (a collection's `links` field, the records it links to; a figure's `subject_name`)."""


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
        self.people = max(5, projects // 40)
        self.recognitions = max(8, projects // 50)
        self.events = max(10, projects // 50)
        self.programmes = max(10, projects // 50)
        self.scenarios = max(5, projects // 50)
        self.figures = (projects + 9) // 10 + self.programmes // 2 + self.recognitions // 8

    def total_rows(self) -> int:
        """Roughly how many rows the load writes, for a progress bar."""
        records = self.cities * 10 + self.organizations + self.projects + self.parks
        records += self.renewal_cases + self.factories + self.figures + self.people
        records += self.recognitions + self.events + self.programmes + self.scenarios
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
            self._journal_rollback()
            for pragma in (
                "synchronous = OFF",
                "cache_size = -1000000",
                "temp_store = MEMORY",
                "threads = 2",  # index builds sort on both cores
                "mmap_size = 2147483648",  # and read the table they scan without a copy
                # Each record is validated by its read schema as it is rendered: CHECK
                # constraints, run row by row (each builds its IN list again), would cost as
                # much as the insert to repeat that. tests/test_scale.py checks them after.
                "ignore_check_constraints = ON",
            ):
                self.driver.execute(f"PRAGMA {pragma}")

    def _journal_rollback(self) -> None:
        """A rollback journal for the load, not the write-ahead log: the log takes each new page
        once and the database file takes it again at the checkpoint, where the journal keeps
        only the pages that held data before (a load adds pages). The next connection the
        engine opens turns the log back on (`app.db`). The file must be the load's alone: with
        another connection open (a server running) the load keeps the log."""
        with contextlib.suppress(sqlite3.OperationalError):  # "database is locked"
            self.driver.execute("PRAGMA journal_mode = DELETE")

    def write(self, table: Table, columns: tuple[str, ...], rows: Iterable[Row]) -> None:
        names, rows = ", ".join(columns), iter(rows)
        batches = iter(lambda: list(islice(rows, BATCH)), [])
        if self.sqlite:
            marks = ", ".join("?" for _ in columns)
            statement = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"
            for batch in batches:
                self.driver.executemany(statement, batch)
                self.counted(table, len(batch))
            return
        # One COPY for all the rows: the server takes in each batch while the next is made.
        with (
            self.driver.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy,
        ):
            for batch in batches:
                for row in batch:
                    copy.write_row(row)
                self.counted(table, len(batch))

    def write_groups(
        self, table: Table, columns: tuple[str, ...], groups: Iterable[tuple[Any, ...]]
    ) -> None:
        """Rows that share the values of all their columns but the last: each group is those
        values and a list of the last column's, a row each. SQLite takes a group in one
        statement that unnests the list (`json_each`), where a statement per row costs four
        times as much; PostgreSQL's COPY takes rows faster still."""
        if not self.sqlite:
            rows = ((*shared, last) for *shared, lasts in groups for last in lasts)
            self.write(table, columns, rows)
            return
        marks = ", ".join("?" for _ in columns[:-1])
        statement = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"SELECT {marks}, value FROM json_each(?)"
        )
        with contextlib.closing(self.driver.cursor()) as cursor:
            for *shared, lasts in groups:
                cursor.execute(statement, (*shared, orjson.dumps(lasts)))
                self.counted(table, len(lasts))

    def counted(self, table: Table, rows: int) -> None:
        self.counts.rows[table.name] += rows
        self.progress(rows)


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
        self.citation = {"source_id": source_id, "paragraph": 1, "quote": QUOTE, "fields": None}
        self.fold = _per_stem(fold)
        self.ids: defaultdict[str, list[str]] = defaultdict(list)
        """Each collection's records in the order written: a record's place here stands for it
        in `holders`."""
        self.holders: defaultdict[str, dict[str, array[int]]] = defaultdict(dict)
        """The records holding each gram, by collection: search_grams is written from them
        once the load is done, in its key's order (`write_grams`)."""

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
        ids = self.ids[subject]
        cited_from = len(ids)
        holders: defaultdict[str, array[int]] = defaultdict(lambda: array("I"))
        records = iter(records)
        first = next(records, None)
        if first is None:
            return
        stored = {column.key for column in collection.table.c} - {"search_text", "rendered"}
        columns = (*(key for key in first if key in stored), "search_text", "rendered")
        # A rendering reads every column, those a record leaves out as NULL, as the row will.
        absent = dict.fromkeys(stored - set(first))

        def rows() -> Iterator[Row]:
            for record in chain([first], records):
                record_id = record["id"]
                names = named[record[named_after]] if named_after is not None else record
                document = self.search_text(
                    *[(record if own else names).get(key) for own, key in parts], QUOTE
                )
                place = len(ids)
                ids.append(record_id)
                for gram in grams(document):
                    holders[gram].append(place)
                if links is not None:
                    record[links.field].sort()
                    linked.extend((record_id, other) for other in record[links.field])
                shown = {**absent, **record, "citations": [self.citation]}
                if named_after is not None:
                    shown.update((key, names.get(key)) for key in NAME_FIELDS)
                rendering = render_row(collection, shown).decode()
                yield (*(record[key] for key in columns[:-2]), document, rendering)

        self.writer.write(collection.table, columns, rows())
        self.writer.write(
            *CITATIONS,
            (
                (subject, record_id, None, self.source_id, 1, QUOTE)
                for record_id in islice(ids, cited_from, None)
            ),
        )
        if links is not None:
            self.writer.write(links.table, (links.own.key, links.other.key), linked)
        for gram, places in holders.items():
            held = self.holders[gram]
            if subject in held:
                held[subject].extend(places)
            else:
                held[subject] = places

    def gram_counts(self) -> dict[str, Counter[str]]:
        """How many records of each collection hold each gram."""
        counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for gram, held in self.holders.items():
            for subject, places in held.items():
                counts[subject][gram] = len(places)
        return counts

    def write_grams(self) -> None:
        """Every record's grams, in the order of search_grams' key: each row is an append to
        its B-tree, where rows in the order records come cost a descent at a random place."""
        groups = (
            (gram, subject, sorted(map(self.ids[subject].__getitem__, places)))
            for gram in sorted(self.holders)
            for subject, places in sorted(self.holders.pop(gram).items())
        )
        self.writer.write_groups(TABLES["search_grams"], GRAM_COLUMNS, groups)

    def search_text(self, *parts: str | None) -> str:
        """What `app.text.search_text` makes of these parts."""
        return " ".join(dict.fromkeys(self.fold(part) for part in parts if part))


def synthesize(
    engine: Engine, *, projects: int, seed: int, progress: Callable[[int], None] = lambda _: None
) -> SynthCounts:
    """Bulk-load `projects` synthetic projects and their companions; deterministic per seed."""
    source_id = f"synthetic-{seed}"
    with engine.connect() as connection:
        writer = _Writer(connection, progress)
        try:
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
                with _unkeyed_grams(connection), _rollups_after(connection):
                    loader = _Loader(writer, source_id)
                    # The later collections and columns draw from a generator of their own, so
                    # that those drawn from `seed` before them come out as they always have.
                    more = random.Random(f"synth-{seed}-more")
                    _load(loader, Plan(projects), random.Random(seed), more, f"syn{seed}")
                    gram_counts = loader.gram_counts()
                    loader.write_grams()
                for subject, counts in gram_counts.items():
                    add_gram_counts(connection, subject, counts)
                connection.execute(
                    update(Revision).where(Revision.id == 1).values(value=Revision.value + 1)
                )
                for index in indexes:
                    connection.execute(CreateIndex(index))
        finally:
            # Tuned for this load (no CHECK, no sync, no timeout): not for the pool.
            connection.invalidate()
    if engine.dialect.name == "sqlite":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    else:
        # VACUUM marks the new rows all visible, which PostgreSQL's index-only scans need.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    return writer.counts


@contextlib.contextmanager
def _unkeyed_grams(connection: Connection) -> Iterator[None]:
    """On PostgreSQL, search_grams without its primary key while a load writes it, the key
    built again by one sort. SQLite's WITHOUT ROWID table keeps its key: the load writes the
    grams in its key's order (`_Loader.write_grams`)."""
    if connection.dialect.name == "sqlite":
        yield
        return
    primary_key = TABLES["search_grams"].primary_key
    connection.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    connection.execute(DropConstraint(primary_key))
    yield
    connection.execute(AddConstraint(primary_key))


@contextlib.contextmanager
def _rollups_after(connection: Connection) -> Iterator[None]:
    """On PostgreSQL, the projects' triggers off while a load writes them, their rollup counted
    again after (`rebuild_rollups`), in one pass over them rather than a trigger's statements
    for each. SQLite's triggers stay on: they run in the load's own process."""
    if connection.dialect.name == "sqlite":
        yield
        return
    connection.execute(text("ALTER TABLE projects DISABLE TRIGGER USER"))
    yield
    rebuild_rollups(connection)
    connection.execute(text("ALTER TABLE projects ENABLE TRIGGER USER"))


def _record(record_id: str, name: str, **fields: Any) -> Record:
    """A record with its name, in simplified and in traditional characters."""
    return {"id": record_id, "name": name, "name_zh_hant": _traditional(name), **fields}


def _load(
    loader: _Loader, plan: Plan, rng: random.Random, more: random.Random, prefix: str
) -> None:
    """Every collection's synthetic records, each collection after those its records name.
    `rng` draws what the first collections always drew, `more` what came later."""
    source = {
        "id": loader.source_id,
        "title": f"合成数据集 {loader.source_id}",
        "title_en": "Synthetic data set",
        "date": dt.date(2026, 1, 1),
        "language": "zh-Hans",
        "paragraph_count": 1,
        "description": "Synthetic records for scale tests; none of them is real.",
    }
    loader.add("source", [source])
    loader.writer.write(
        TABLES["source_paragraphs"], ("source_id", "number", "text"), [(source["id"], 1, TEXT)]
    )

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

    pick = _Picks(more, prefix, plan, district_ids)
    park_id, organization_id = pick.park_id, pick.organization_id

    organizations = {
        organization_id(n): _record(
            organization_id(n),
            f"示范{SECTORS[n % len(SECTORS)]}企业 {n}",
            kind="company",
            district_id=rng.choice(district_ids),
            settled_year=2000 + n % 26,
            # A few are subsidiaries of one listed before them.
            parent_id=organization_id(n - n % 10) if 0 < n % 10 <= 2 else None,
            **_tenancy(n, pick),
        )
        for n in range(plan.organizations)
    }
    parks = [
        _record(
            park_id(n),
            f"示范{SECTORS[n % len(SECTORS)]}园区 {n}",
            kind="site_cluster" if n % CLUSTER_EVERY == 0 else "industrial_park",
            pv_installed_capacity_kw=None if n % 3 else float(rng.randrange(100, 20_000)),
            pv_corridor_length_m=None if n % 5 else float(100 + n % 1_900),
            district_id=rng.choice(district_ids),
            # A cluster's sites follow it; a few sites lie within one listed before them.
            group_id=park_id(n - n % CLUSTER_EVERY) if 0 < n % CLUSTER_EVERY <= 8 else None,
            parent_id=park_id(n - 10) if 10 < n % CLUSTER_EVERY <= 15 else None,
        )
        for n in range(plan.parks)
    ]
    loader.add("park", parks)  # before the organizations, some of which are its tenants
    loader.add("organization", organizations.values())
    organization_ids = list(organizations)

    start = dt.date(2015, 1, 1)
    figures: list[Record] = []

    def projects() -> Iterator[Record]:
        for i in range(plan.projects):
            record_id = f"{prefix}-p{i:07d}"
            sector, kind = SECTORS[i % len(SECTORS)], KINDS[(i // len(SECTORS)) % len(KINDS)]
            status = None if i % 10 == 0 else STATUSES[rng.randrange(len(STATUSES))]
            date = None if i % 4 == 0 else start + dt.timedelta(days=rng.randrange(5000))
            investment = None if i % 9 == 0 else rng.randrange(10, 100_000) * 1_000_000
            record = _record(
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
            if investment is not None and i % 10 == 1:
                # A third of them state the place apart from the project's own.
                place = record["district_id"] if i % 30 == 1 else None
                figures.append(_investment_figure(record, investment, place))
                if i % 90 == 1:
                    # Some say it twice, the second time as "more than" (LY9's 超百亿).
                    figures.append(_restated_investment(figures[-1]))
            yield record

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
            district_id=pick.district(),
            former_occupant_id=pick.organization() if n % 2 else None,
        )
        for n in range(plan.renewal_cases)
    )
    loader.add("renewal_case", renewal_cases)

    recognitions = [_recognition(n, pick) for n in range(plan.recognitions)]
    loader.add("recognition", recognitions)
    lists = [record for record in recognitions if record["kind"] == "list"]
    figures.extend(
        _rank_figure(record) for record in recognitions if record["rank_qualifier"] == "at_most"
    )

    factories = (
        {
            "id": f"{prefix}-z{n}",
            "organization_id": organization_ids[n % len(organization_ids)],
            "level": "zero_carbon" if n % 4 == 0 else "near_zero_carbon",
            "stage": "shortlisted",
            "list_name": f"示范零碳工厂名单 {2020 + n % 6}",
            "year": 2020 + n % 6,
            "district_id": rng.choice(district_ids),
            "recognition_id": None if n % 3 == 2 else lists[n % len(lists)]["id"],
            "issuer_id": None if n % 3 == 2 else lists[n % len(lists)]["issuer_id"],
        }
        for n in range(plan.factories)
    )
    loader.add("zero_carbon_factory", factories, named=organizations)

    people = (
        _record(
            f"{prefix}-h{n}",
            f"{SURNAMES[n % len(SURNAMES)]}某 {n}",
            organization_id=None if n % 5 == 0 else pick.organization(),
            title=TITLES[n % len(TITLES)] if n % 4 else None,
            description=None,
        )
        for n in range(plan.people)
    )
    loader.add("person", people)

    def events() -> Iterator[Record]:
        for n in range(plan.events):
            kind, label = EVENTS[n % len(EVENTS)]
            date = None if n % 5 == 0 else start + dt.timedelta(days=more.randrange(5000))
            yield _record(
                f"{prefix}-e{n}",
                f"示范{SECTORS[n % len(SECTORS)]}{label} {n}",
                kind=kind,
                date=date,
                date_stated=f"{date.month}月{date.day}日" if date else None,
                year=date.year if date else None,
                month=date.month if date else None,
                cadence=CADENCES[n % len(CADENCES)] if kind == "recurring_activity" else None,
                organizer_id=pick.organization() if n % 2 == 0 else None,
                district_id=pick.district() if n % 4 else None,
                park_id=pick.park() if n % 3 == 0 else None,
                # Each tenth event is a campaign or conference the next nine are part of.
                parent_id=f"{prefix}-e{n - n % 10}" if n % 10 else None,
                description=None,
            )

    loader.add("event", events())

    programmes: list[Record] = []
    for n in range(plan.programmes):
        kind, label = PROGRAMMES[n % len(PROGRAMMES)]
        period, years = PERIODS[n % len(PERIODS)] if n % 4 else (None, 0)
        begins = dt.date(2016 + more.randrange(15), 1, 1) if years else None
        focus = (SECTORS[n % len(SECTORS)], SECTORS[(n // len(SECTORS)) % len(SECTORS)])
        programmes.append(
            _record(
                f"{prefix}-m{n}",
                f"示范{SECTORS[n // len(PROGRAMMES) % len(SECTORS)]}{label} {n}",
                kind=kind,
                period=period,
                period_start=begins,
                period_end=begins.replace(year=begins.year + years) - dt.timedelta(days=1)
                if begins
                else None,
                district_id=pick.district() if n % 5 else None,
                organization_id=pick.organization() if n % 3 == 0 else None,
                # Each tenth programme is a plan the next nine belong to.
                parent_id=f"{prefix}-m{n - n % 10}" if n % 10 else None,
                focus_areas="、".join(dict.fromkeys(focus)) if n % 2 == 0 else None,
                description=None,
            )
        )
    loader.add("programme", programmes)
    figures.extend(_target_figure(n, record) for n, record in enumerate(programmes) if n % 2 == 0)

    scenarios = (
        _record(
            f"{prefix}-s{n}",
            f"示范{SECTORS[n % len(SECTORS)]}应用场景 {n}",
            field=SECTORS[n % len(SECTORS)] if n % 5 else None,
            district_id=pick.district() if n % 3 else None,
            park_id=pick.park() if n % 2 == 0 else None,
            description=None,
        )
        for n in range(plan.scenarios)
    )
    loader.add("scenario", scenarios)
    loader.add("figure", figures)


@dataclass(frozen=True)
class _Picks:
    """Records, already loaded, for later ones to name: drawn from the later generator."""

    more: random.Random
    prefix: str
    plan: Plan
    district_ids: list[str]

    def park_id(self, n: int) -> str:
        return f"{self.prefix}-k{n}"

    def organization_id(self, n: int) -> str:
        return f"{self.prefix}-o{n}"

    def park(self) -> str:
        return self.park_id(self.more.randrange(self.plan.parks))

    def organization(self) -> str:
        return self.organization_id(self.more.randrange(self.plan.organizations))

    def district(self) -> str:
        return self.more.choice(self.district_ids)


def _tenancy(n: int, pick: _Picks) -> Record:
    """An organization's full name, and the site it is a tenant of, for some of them."""
    tenant = n % 3 == 0
    return {
        "full_name": f"示范{SECTORS[n % len(SECTORS)]}企业有限公司 {n}" if n % 4 == 0 else None,
        "full_name_from_source": (n % 8 == 0) if n % 4 == 0 else None,
        "park_id": pick.park() if tenant else None,
        "tenant_order": n // 3 % 20 + 1 if tenant else None,
        "tenant_status": "in_full_production" if tenant and n % 2 == 0 else None,
    }


def _recognition(n: int, pick: _Picks) -> Record:
    """A list (issued, of a year), a title (of an organization), a ranking (of a city or an
    organization, by rank or bracket) or an epithet (of a site or a city), in turn."""
    kind, label = RECOGNITIONS[n % len(RECOGNITIONS)]
    sector = SECTORS[n // len(RECOGNITIONS) % len(SECTORS)]
    ranked, bracket = kind == "ranking", n % 8 == 2  # a ranking, every other one
    issued = kind in ("list", "title")
    rank = pick.more.randrange(1, 101) if ranked else None
    return _record(
        f"{pick.prefix}-g{n}",
        f"示范{sector}{label} {n}",
        kind=kind,
        organization_id=pick.organization() if kind == "title" or bracket else None,
        park_id=pick.park() if kind == "epithet" and n % 8 == 3 else None,
        district_id=pick.district() if kind == "epithet" or ranked else None,
        issuer_id=pick.organization() if issued else None,
        published_in=f"示范{sector}研究报告" if ranked else None,
        scope=("全国" if n % 3 else "全省") if kind in ("list", "ranking") else None,
        year=None if n % 7 == 0 else 2015 + pick.more.randrange(11),
        stage=("awarded" if n % 3 else "shortlisted") if issued else None,
        rank=rank,
        rank_qualifier=None if rank is None else ("at_most" if bracket else "exact"),
        description=None,
    )


def _figure(
    figure_id: str,
    subject_type: str,
    subject: Record,
    metric: str,
    label: str,
    value: float,
    unit: str | None,
    normalized: float,
    unit_normalized: str,
    **fields: Any,
) -> Record:
    """A figure of `subject`, with every column the others have, in the same order, and its
    subject's name."""
    return {
        "id": figure_id,
        "subject_type": subject_type,
        "subject_id": subject["id"],
        "metric": metric,
        "label": label,
        "value": value,
        "value_stated": f"{value:g}",
        "unit": unit,
        "value_normalized": normalized,
        "unit_normalized": unit_normalized,
        "qualifier": fields.get("qualifier", "exact"),
        "kind": fields.get("kind", "actual"),
        "period": fields.get("period"),
        "period_start": fields.get("period_start"),
        "period_end": fields.get("period_end"),
        "district_id": fields.get("district_id"),
        "programme_id": fields.get("programme_id"),
        "restates_id": fields.get("restates_id"),
        "subject_name": subject["name"],
    }


def _investment_figure(project: Record, investment: int, district_id: str | None) -> Record:
    value = investment / 1e8
    return _figure(
        f"{project['id']}-investment",
        "project",
        project,
        "investment_cny",
        "Total investment",
        value,
        "亿元",
        float(investment),
        "CNY",
        district_id=district_id,
    )


def _restated_investment(figure: Record) -> Record:
    """The same investment stated again, as a bound: a figure that restates `figure`."""
    return {
        **figure,
        "id": f"{figure['id']}-over",
        "qualifier": "more_than",
        "restates_id": figure["id"],
    }


def _rank_figure(recognition: Record) -> Record:
    """A ranking's bracket (50强: rank 50 or better)."""
    rank = recognition["rank"]
    return _figure(
        f"{recognition['id']}-rank",
        "recognition",
        recognition,
        "rank",
        "Rank bracket",
        float(rank),
        "强",
        float(rank),
        "rank",
        qualifier="at_most",
        district_id=recognition["district_id"],
    )


def _target_figure(n: int, programme: Record) -> Record:
    """A programme's output target, over its period: a class (百亿级) for some."""
    value = float(100 * (1 + n % 50))
    return _figure(
        f"{programme['id']}-output-target",
        "programme",
        programme,
        "output_target_cny",
        "Output target",
        value,
        "亿元",
        value * 1e8,
        "CNY",
        qualifier="order_of_magnitude" if n % 4 == 0 else "at_least",
        kind="target",
        period=programme["period"],
        period_start=programme["period_start"],
        period_end=programme["period_end"],
        district_id=programme["district_id"],
        programme_id=programme["id"],
    )
