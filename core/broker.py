"""The filesystem broker of the embedded default (no Redis): one folder, read by settings for the app and
by the tests for a worker of their own, so both lay it out the same way."""

from pathlib import Path


def filesystem_broker_options(folder: Path) -> dict:
    """Kombu's transport options for a filesystem broker in `folder`, its subfolders created."""
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
        # Workers look for new messages this often (kombu's default of 1 s added ~1 s to grading).
        "polling_interval": 0.1,
    }
