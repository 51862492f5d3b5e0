"""The ISLR (Kaggle `asl-signs`) landmark layout: 543 rows per frame, in this order."""

ROWS_PER_FRAME = 543
N_COORDS = 3  # x, y, z

FACE = slice(0, 468)  # 468 face-mesh points, no iris refinement
LEFT_HAND = slice(468, 489)  # 21
POSE = slice(489, 522)  # 33
RIGHT_HAND = slice(522, 543)  # 21

# (type name used in the parquet `type` column, slice) in row order.
PARTS: tuple[tuple[str, slice], ...] = (
    ("face", FACE),
    ("left_hand", LEFT_HAND),
    ("pose", POSE),
    ("right_hand", RIGHT_HAND),
)
PART_NAMES: tuple[str, ...] = tuple(name for name, _ in PARTS)
N_SIGNS = 250
