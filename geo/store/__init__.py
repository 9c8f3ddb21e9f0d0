"""The editors' side: the offer store (SQLite or PostgreSQL, audit trail, versions) and editor accounts."""
