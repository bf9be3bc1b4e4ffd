"""The names users know for MiniMax `modelId`s, as useapi.net documents them (noted in
useapi-facts.md of the team's shared reference notes, which are not in this repository)."""

from __future__ import annotations

MODEL_NAMES: dict[str, str] = {
    "image-01": "Image-01 (text/image to image)",
    "23000": "T2V-01 (Hailuo 1.0 text to video)",
    "23001": "I2V-01 (Hailuo 1.0 image to video)",
    "23010": "T2V-01-Director",
    "23011": "I2V-01-Director",
    "23102": "I2V-01-live",
    "23021": "S2V-01 (subject reference)",
    "23200": "Hailuo 02, text to video",
    "23210": "Hailuo 02, image to video",
    "23204": "Hailuo 2.3, text to video",
    "23217": "Hailuo 2.3, image to video",
    "23218": "Hailuo 2.3-Fast, image to video",
}


def model_name(model_id: str) -> str:
    """The known name, or the id itself when it is not in the table."""
    return MODEL_NAMES.get(model_id, model_id)
