"""What the workspace knows about its data: the built-in vocabulary, custom property
definitions (typed columns with validation), event types, and value normalisation on write.
"""
