"""Running a workspace: settings, API keys, the audit trail, `kith stats` and when the server's
recurring jobs last ran."""
