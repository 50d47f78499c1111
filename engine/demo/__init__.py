"""Deterministic, realistic demo data: people on many channels, browsing, campaigns,
purchases, support, consent and labels — generated vectorised, block by block.

`blocks(spec)` yields the frames of each block of people; see `engine.demo.generate`.
"""

from engine.demo.generate import DemoBlock, blocks
from engine.demo.spec import DemoSpec

__all__ = ["DemoBlock", "DemoSpec", "blocks"]
