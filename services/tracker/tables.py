"""Names of the tables the tracker writes (it is their only writer)."""

LEDGER = "movement_ledger"
IDENTITY_LINKS = "pupil_identity_links"
CHECKPOINTS = "ledger_checkpoints"
CHECKPOINT_HEADS = "ledger_checkpoint_heads"
PLACEMENTS = "pupil_placements"
SEALED_HEADS = "sealed_log_heads"
ROLL_CHECKS = "school_roll_checks"
