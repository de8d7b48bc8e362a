"""Names of the tables the tracker writes (it is their only writer)."""

LEDGER = "movement_ledger"
IDENTITY_LINKS = "pupil_identity_links"
CHECKPOINTS = "ledger_checkpoints"
CHECKPOINT_HEADS = "ledger_checkpoint_heads"
PLACEMENTS = "pupil_placements"
SEALED_HEADS = "sealed_log_heads"
# Kept by materialised views from the ledger (migration 0010): read by the statistics, never written.
SCHOOL_EVENTS = "ledger_school_events"
REFERENCES = "ledger_references"
CHECKPOINT_SIGNATURES = "ledger_checkpoint_signatures"
ROLL_CHECKS = "school_roll_checks"
# Each school's pupils' latest move and SEN provision, kept from SCHOOL_EVENTS (migration 0018).
SCHOOL_ROLLS = "school_pupil_rolls"
# The ledger's rows a pupil's history shows, by pupil in small granules (migration 0019).
HISTORY_ROWS = "pupil_history_rows"
