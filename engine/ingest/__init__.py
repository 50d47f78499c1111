"""Ingestion: Segment-spec messages and flat tables become canonical frames, are staged
column-wise, resolved to profiles (identity), cut into sessions and stored; the tracking API's
admission (intake) and registered traits' checks live here too.
"""
