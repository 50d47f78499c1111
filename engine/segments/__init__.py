"""Segments: dynamic, static lists and compound; compile/check/count/members, materialized
membership with history, and explain.
"""
