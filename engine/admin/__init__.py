"""Running a workspace: settings, API keys, the audit trail and `kith stats`."""
