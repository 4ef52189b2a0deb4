"""plantlink: one API over industrial maintenance and ERP systems."""

__version__ = "0.1.0"
