"""Data: the SQLite connection, migrations, and one query module per table holding all SQL."""
