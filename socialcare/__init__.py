"""socialcare: social listening and routing for customer care teams."""

__version__ = "0.1.0"
