-- Staff lists are per call, open flags first, newest first: this index
-- answers that order (and counts by call and flag) without reading the
-- wide rows, and checks full-text matches by id alone.
CREATE INDEX submissions_call_flag_first ON submissions (call_id, flag_open DESC, id DESC);
