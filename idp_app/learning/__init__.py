"""The learning loop: training sets from approved documents, retraining with measured promotion, the model
registry (list, promote, roll back), vendor and layout memory, and a replay simulator.

Importing this package registers the registry's tables on the project's metadata (``idp_app.db.models.Base``).
"""

from idp_app.learning import models as models

__all__ = ["models"]
