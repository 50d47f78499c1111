"""Deterministic, realistic demo data: people on many channels, browsing, campaigns,
purchases, support, consent and labels — generated vectorised, block by block.

`blocks(spec)` yields the frames of each block of people (engine/demo/generate.py);
`build(ws, spec, progress)` loads them into an empty workspace (engine/demo/load.py).
"""

from engine.demo.generate import DemoBlock, blocks
from engine.demo.load import DemoReport, build
from engine.demo.spec import DemoSpec

__all__ = ["DemoBlock", "DemoReport", "DemoSpec", "blocks", "build"]
