"""Export of kgen models as SavedModels that TF Serving loads without kgen.

``saved_model(model, base_dir, name, version)`` writes
``<base_dir>/<name>/<version>/`` with one signature per entry of
``model.serving_signatures()``.
"""

from kgen.export.saved_model import saved_model  # noqa: F401
