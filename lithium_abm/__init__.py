"""lithium-abm: an agent-based model of the lithium supply chain."""
__version__ = "0.1.0"
