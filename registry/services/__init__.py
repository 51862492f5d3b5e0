"""Writes for the model registry, one module per concern: `versions` (registering models, the shipped
configuration), `evaluation` (evaluation sets and the runs the gate reads), `activation` (what grades,
behind the gate, and rollback) and `retraining` (training runs on the `trainer` worker). The reads are in
registry.selectors; exporting practice data and monitoring attempts live in practice, above the registry.
"""
