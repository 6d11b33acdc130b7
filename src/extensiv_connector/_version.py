"""The package version, read by hatch at build time and by ``extensiv_connector.__version__``."""

__all__ = ["__version__"]

__version__ = "0.1.0.dev0"
