"""Team access: who may do what.

Owns the users of a workspace and their roles (`users.py`), login sessions carried by signed
cookies (`logins.py`), password hashing (`passwords.py`), the permission matrix that says which
role may call which service action (`matrix.py`, the source of docs/security.md), and the
facade through which every door (dashboard, REST API, CLI) acts for a person
(`acting.py`: `ws.acting_as(actor)` checks each action against the matrix before it runs).
"""
