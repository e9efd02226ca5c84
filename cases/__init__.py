"""SQLite store (sqlite-utils): users, sessions, checks, feedback, reports, groups; redaction before storage."""
