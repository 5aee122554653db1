"""search index: full-text search over every revision

SQLite: a contentless FTS5 table ``search_index`` (rowid = revision id) holding the words
prepared by ``wiki.services.search`` (folded, light French stemming), tokenizer
``unicode61 remove_diacritics 2``.
PostgreSQL: the ``unaccent`` extension when the server has it, a text search configuration
``search_index_fr`` (a copy of ``french``, with ``unaccent`` in front of the stemmer), and a
table ``search_index (revision_id, document tsvector)`` with a GIN index.

Written by hand (autogenerate knows nothing of virtual tables or tsvector indexes); the
``search_index*`` objects are left out of Alembic's comparison by ``include_object`` in
``env.py``. Existing revisions are indexed here with the service's own code, so the words are
prepared exactly as the save path prepares them.

Revision ID: 992834da7e35
Revises: 086126d2b944
Create Date: 2026-11-25 05:53:32.033330

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '992834da7e35'
down_revision = '086126d2b944'
branch_labels = None
depends_on = None


def upgrade():
    from wiki.services import search

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        available = bind.execute(sa.text(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'")).first()
        if available:
            op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION {search.PG_CONFIG} "
                   "(COPY = pg_catalog.french)")
        if available:
            op.execute(f"ALTER TEXT SEARCH CONFIGURATION {search.PG_CONFIG} ALTER MAPPING FOR "
                       "asciiword, asciihword, hword_asciipart, word, hword, hword_part "
                       "WITH unaccent, french_stem")
        op.execute("CREATE TABLE search_index ("
                   " revision_id INTEGER NOT NULL PRIMARY KEY"
                   " REFERENCES revisions (id) ON DELETE CASCADE,"
                   " document TSVECTOR NOT NULL)")
        op.execute("CREATE INDEX ix_search_index_document ON search_index USING GIN (document)")
    else:
        op.execute("CREATE VIRTUAL TABLE search_index USING fts5("
                   "words, content='', columnsize=0, "
                   "tokenize='unicode61 remove_diacritics 2')")
    search.rebuild_index(bind)


def downgrade():
    bind = op.get_bind()
    op.execute("DROP TABLE IF EXISTS search_index")
    if bind.dialect.name == "postgresql":
        # The unaccent extension stays: other objects of the database may use it.
        op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS search_index_fr")
