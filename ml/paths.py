"""Where the shared, read-only reference material lives (never copied into the repo).

One place for the defaults, so the app settings, the ml package, the tests and the benchmarks agree:
SIGNLEARN_ISLR_DIR and SIGNLEARN_SHARED_MODELS_DIR override `../shared/...` next to the repo.
"""

import os
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_DIR.parent / "shared"


def islr_dir() -> Path:
    """The ISLR folder: videos/, gislr_sample/, sign_to_prediction_index_map.json."""
    return Path(os.environ.get("SIGNLEARN_ISLR_DIR", SHARED_DIR / "islr"))


def shared_models_dir() -> Path:
    """The third-party Kaggle-contract reference models (gislr-prabhanjan/, gislr-kittu89/)."""
    return Path(os.environ.get("SIGNLEARN_SHARED_MODELS_DIR", SHARED_DIR / "models"))
