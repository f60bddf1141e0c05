-- Every pair of one person, whatever its status: HR's overview of an employee
-- (GET /v1/employees/{id}/overview), GET /v1/me/pairs (ended pairs stay listed) and the
-- ambassador rule's "never a mentor" read all of a person's pairs, which the partial indexes of
-- V001 (active pairs only) could not serve: a scan of the whole table per call.
CREATE INDEX pairs_mentor_all_idx ON pairs (mentor_id);
CREATE INDEX pairs_mentee_all_idx ON pairs (mentee_id);
