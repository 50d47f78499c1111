"""The front doors: the Streamlit shell and shared UI components, the HTTP API, the ASGI server
that hosts both in one process, and the CLI."""
