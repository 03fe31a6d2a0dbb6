"""The objects of the AuthPI API as types: response models, request-body ``TypedDict``\\ s and enums.

Generated from the OpenAPI document (``authpi_admin.generated.types``). Annotate a payload with its input
type and mypy checks its keys; parse an answer into a model with ``Model.model_validate(answer)``::

    from authpi_admin.types import CreateWebhookInput, WebhookEventType

    hook: CreateWebhookInput = {"name": "audit", "url": "https://example.com/hook", "auth": {"type": "none"},
                                "events": [WebhookEventType.USER_CREATED]}

Where 0.3.0 already had a model of the same name (``Client``, ``Event``, ``Note``, ``WebhookListItem``), that
0.3.0 model is the one exported here; where a request body's ``TypedDict`` shares a 0.3.0 model's name
(``CreateWebhookInput``, ...), this module holds the ``TypedDict`` and ``generated.models`` the model.
"""

from .generated.types import *  # noqa: F403
from .generated.types import __all__ as __all__
