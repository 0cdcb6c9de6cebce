from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import SLUG_LENGTH, SUBJECT_TYPE_LENGTH, Base


class SearchGram(Base):
    """One character bigram of a record's folded text: the index behind `q` and `/search`.

    Two-character Chinese words (光伏, 零碳) are single bigrams, which trigram indexes cannot
    find; a token's last character is kept as a one-character gram so that a one-character
    query is a prefix range on the same index."""

    __tablename__ = "search_grams"
    # Lookups go by gram, and nothing else: a record's grams, to rewrite, are those of its
    # stored document (`app.projections.search_index.index_grams`). On SQLite the table is its
    # primary key (WITHOUT ROWID): one B-tree fewer to write, and lookups read no table.
    __table_args__ = ({"sqlite_with_rowid": False},)

    gram: Mapped[str] = mapped_column(String(8), primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(SUBJECT_TYPE_LENGTH), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(SLUG_LENGTH), primary_key=True)


class SearchGramCount(Base):
    """How many records of a kind hold a gram: a search looks up its rarest grams only."""

    __tablename__ = "search_gram_counts"

    subject_type: Mapped[str] = mapped_column(String(SUBJECT_TYPE_LENGTH), primary_key=True)
    gram: Mapped[str] = mapped_column(String(8), primary_key=True)
    records: Mapped[int] = mapped_column(Integer)
