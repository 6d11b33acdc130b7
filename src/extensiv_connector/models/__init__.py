"""Typed models: the host (OMS) side and the Extensiv (warehouse) side."""

from .oms import *  # noqa: F403 - the submodules curate their own __all__
from .oms import __all__ as _oms_all
from .wms import *  # noqa: F403
from .wms import __all__ as _wms_all

__all__ = [*_oms_all, *_wms_all]
