-- GIAS OfficialSixthForm: whether the school has a sixth form (NULL when the extract does not say).
-- With StatutoryHighAge it gives the school's most senior class, which the end-of-year exemption
-- from deletion returns needs (reg 13(5) SI 2024/208): an 11-18 school without a sixth form ends
-- at Year 11. Older register versions read NULL. row_hash is left as it is, so a register imported
-- before this column existed does not show every school as changed on the next import.
ALTER TABLE schools_register ADD COLUMN IF NOT EXISTS official_sixth_form Nullable(Bool) AFTER statutory_high_age;
