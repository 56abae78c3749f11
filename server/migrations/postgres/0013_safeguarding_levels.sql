-- The safeguarding net has two levels: 'urgent' (someone may be at risk now:
-- alerts the contacts) and 'sensitive' (the subject without a disclosure:
-- kept from publication until a moderator decides, no alert). A flag names
-- its category and why it was raised (the phrase, or the written example
-- the text was closest to). flag_phrase stays what was found, for search.
ALTER TABLE submissions ADD COLUMN flag_level TEXT
    CHECK (flag_level IS NULL OR flag_level IN ('urgent', 'sensitive'));
ALTER TABLE submissions ADD COLUMN flag_category TEXT;
ALTER TABLE submissions ADD COLUMN flag_reason TEXT;

-- Flags raised before had one level: urgent, found by a phrase.
UPDATE submissions SET
    flag_level = 'urgent',
    flag_category = CASE
        WHEN flag_phrase IN ('kill myself', 'killing myself', 'end my life', 'want to die',
            'suicide', 'suicidal') THEN 'suicide'
        WHEN flag_phrase IN ('self-harm', 'self harm', 'hurt myself', 'hurting myself',
            'cutting myself') THEN 'self-harm'
        WHEN flag_phrase IN ('abusing me', 'abused me', 'being abused', 'hits me',
            'hitting me', 'beats me', 'not safe at home', 'scared to go home',
            'afraid to go home') THEN 'abuse'
        WHEN flag_phrase IN ('touches me', 'touching me') THEN 'sexual-abuse'
        WHEN flag_phrase = 'groomed' THEN 'exploitation'
        WHEN flag_phrase IN ('in danger', 'run away from home') THEN 'missing'
        ELSE 'call-phrase'
    END,
    flag_reason = 'the phrase "' || flag_phrase || '"'
WHERE flag_phrase IS NOT NULL;

-- Three new moderation actions: 'publish' (the moderator's decision to
-- publish a flagged submission; handling a flag no longer publishes it),
-- 'raise_flag' (staff raise a flag after arrival: it alerts like one found
-- on arrival) and 'not_a_concern' (a flag that was noise, counted per
-- category so the net's noise is visible).
ALTER TABLE moderation_actions DROP CONSTRAINT moderation_actions_action_check;
ALTER TABLE moderation_actions ADD CONSTRAINT moderation_actions_action_check
    CHECK (action IN ('withhold', 'withhold_idea', 'redact', 'spam', 'handle_flag', 'undo',
                      'publish', 'raise_flag', 'not_a_concern'));

-- What was published stays published: a flag handled before this change
-- (and not undone) published its submission, so that decision is recorded.
INSERT INTO moderation_actions (submission_id, call_id, action, reason, staff, at)
SELECT h.submission_id, h.call_id, 'publish',
    'Published when the flag was handled (before publication decisions were separate)',
    h.staff, h.at
FROM moderation_actions AS h
WHERE h.action = 'handle_flag'
  AND NOT EXISTS (SELECT 1 FROM moderation_actions AS u
                  WHERE u.action = 'undo' AND u.undoes = h.id);
