"""The server's front door for people: the login, first-admin and logout pages, and the gate
that refuses every dashboard request (pages, websocket, static files) without a session."""
