"""Automations: rules (event-, schedule- and segment-triggered), what their conditions read
and actions write (deps), the firing query, set-based actions (property writes, labels,
emits) and webhook delivery.
"""
