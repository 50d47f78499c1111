"""Analytics over events: funnels (spec, query, unordered mode), goals, event browsing and
the Overview's aggregates.
"""
