"""Policy components. Each module registers its types with ``@register_policy``."""

from .base import COMMON_PARAMS, Policy, policy_types, register_policy

__all__ = ["COMMON_PARAMS", "Policy", "policy_types", "register_policy"]
