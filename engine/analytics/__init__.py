"""Analytics over events: funnels (spec, query, unordered mode), goals (and their rates per
Overview window, measured by the server's clock), event browsing and the Overview's aggregates.
"""
