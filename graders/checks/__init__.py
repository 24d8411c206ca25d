"""The checks, one function per practice, registered by id. Importing this package loads them."""

from .base import CHECKS, Outcome, check  # noqa: F401
from . import stage1, stage2, stage3, stage4, stage5, stage6, stage7  # noqa: F401,E402  (registers the checks)
