"""People: profiles (create, read, edit with audit, search), labels, consent, merge and
unmerge, GDPR erase and access, CSV/Parquet import and export.
"""
