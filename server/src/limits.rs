//! Operational limits, each with why it is what it is. (What a submission
//! may hold, such as ideas and words, is in the rules crate's `limits`.)

use std::time::Duration;

// Intake.

/// Largest accepted body. Five ideas of 250 words in long words with every
/// field at its limit stay under 20 KB; 64 KB leaves room for non-Latin text
/// (three bytes a character) without letting anyone post megabytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The most ideas a form posted to `/calls/{call}/form` is read for,
/// whatever a call allows: field names carry the idea's number, and a forged
/// one must not make a page of a million empty ideas.
pub const FORM_IDEAS_READ: usize = 50;
/// How long, and how often, a second "Send ideas" on that form waits for the
/// first (a double tap) before saying the ideas are still being stored: 5 s,
/// far longer than storing takes.
pub const FORM_IN_FLIGHT_WAIT: std::time::Duration = std::time::Duration::from_millis(250);
pub const FORM_IN_FLIGHT_WAITS: u32 = 20;
/// Rate-limit buckets (and clients with failed sign-ins) kept before idle
/// ones are dropped, bounding memory under a flood of distinct addresses.
pub const MAX_TRACKED_CLIENTS: usize = 100_000;
/// Characters kept on each side of a safeguarding phrase: enough for staff
/// to judge the passage without opening the submission.
pub const SAFEGUARDING_CONTEXT_CHARS: usize = 80;
/// Pieces of a submission the safeguarding model compares one by one: five
/// long ideas in ordinary sentences stay under it, and beyond it
/// neighbouring sentences are compared together, so no body can make the
/// check cost more than about a second on the model's urgent thread.
pub const SAFEGUARDING_MAX_SENTENCES: usize = 160;
/// How long a browser may cache a CORS preflight: ten minutes keeps partner
/// pages fast and a changed origin list effective soon.
pub const CORS_MAX_AGE: Duration = Duration::from_secs(600);

// Review.

/// Results per page of a search: a screenful staff can scan.
pub const PER_PAGE: i64 = 50;
/// Submissions read and sent at once by the staff exports and the list of
/// submissions: a few hundred kilobytes in memory per download in progress,
/// whatever the call's size, in few enough queries to stay fast.
pub const EXPORT_PAGE_ROWS: i64 = 500;
/// Longest search text: a sentence or two is plenty to find an idea.
pub const MAX_SEARCH_CHARS: usize = 200;
/// Words of a search used (each must match): more only slows the index.
pub const MAX_SEARCH_WORDS: usize = 16;
/// Longest moderation reason or note: a paragraph, not a document.
pub const MAX_REASON_CHARS: usize = 2_000;
/// Days in the chart: two months fit the width with readable bars.
pub const CHART_DAYS: usize = 60;
/// Audit events on the dashboard: the latest few; the log has the rest.
pub const DASHBOARD_AUDIT_LINES: i64 = 20;
/// Audit events `/api/admin/audit` returns: years of switches, erasures and
/// retention runs, in one small answer.
pub const AUDIT_LOG_LINES: i64 = 1_000;
/// A signed-in session lasts a working day at most, however busy.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 60 * 60);

// Signing in.

/// A session unused this long ends (configurable as
/// `session_idle_timeout_secs`): half an hour covers reading a long
/// submission or a meeting, and a browser left open at lunch signs itself out.
pub const SESSION_IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// A session's last use is written at most this often (and at most every
/// tenth of the idle timeout): staff reading page after page do not take the
/// database's writer on each page, and the idle timeout stays accurate to a
/// minute.
pub const SESSION_TOUCH_EVERY: Duration = Duration::from_secs(60);
/// Failed sign-ins or bearer tokens a client may make before it is slowed
/// down: room for a few typos and a pasted token with a stray character.
pub const FREE_AUTH_FAILURES: u32 = 5;
/// The wait after the first failure beyond the free ones; each further
/// failure doubles it. A person who mistyped waits seconds; a guesser is
/// down to a few guesses an hour within a dozen failures.
pub const AUTH_DELAY_BASE: Duration = Duration::from_secs(2);
/// The longest wait a client is given: an hour keeps guessing hopeless
/// without locking a person out for the day.
pub const AUTH_DELAY_MAX: Duration = Duration::from_secs(60 * 60);
/// A client's failures are forgotten after this long without another:
/// a day, so a slow guesser stays at the long waits.
pub const AUTH_FAILURES_REMEMBERED: Duration = Duration::from_secs(24 * 60 * 60);
/// Failures across all clients in [`AUTH_ALARM_WINDOW`], on every replica,
/// beyond which no client has free failures. A token has no name a guess can
/// be charged to, so every failure is a guess at every token: staff make a
/// handful of typos a day, a hundred an hour is someone guessing from many
/// addresses.
pub const AUTH_ALARM_FAILURES: i64 = 100;
/// The window [`AUTH_ALARM_FAILURES`] is counted over.
pub const AUTH_ALARM_WINDOW: Duration = Duration::from_secs(60 * 60);
/// Failed attempts are kept in the database (when and how, never the token or
/// the address) this long, for the dashboard's counts; then deleted.
pub const AUTH_FAILURES_KEPT: Duration = Duration::from_secs(30 * 24 * 60 * 60);

// Staff accounts and program tokens.

/// A token for a program lasts at most a year: one left behind in a job
/// stops working on its own.
pub const PROGRAM_TOKEN_LONGEST: Duration = Duration::from_secs(366 * 24 * 60 * 60);
/// How long a new token lasts unless the administrator says otherwise.
pub const PROGRAM_TOKEN_DEFAULT_DAYS: u64 = 90;
/// What every program token starts with, so a secret scanner or a person
/// reading a log can tell one when they see it.
pub const PROGRAM_TOKEN_PREFIX: &str = "cfi_";
/// The access record's default keeping, when the configuration names none:
/// two years, long enough to answer a subject access request about who saw
/// a submission during a review and its follow-up.
pub const ACCESS_RECORD_DEFAULT_DAYS: u64 = 730;
/// A sign-in link works for this long after it was asked for: long enough
/// for an email to arrive, short enough that an old email signs no one in.
pub const SIGN_IN_LINK_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// Links an account may be sent within [`SIGN_IN_LINK_LIFETIME`]: a person
/// who asks again gets one, someone filling a stranger's inbox does not
/// get more.
pub const SIGN_IN_LINKS_AT_ONCE: i64 = 3;
/// Lines the access record page shows, newest first.
pub const ACCESS_RECORD_LINES: i64 = 500;

// Storage.

/// SQLite readers: staff reads run beside the one writer; a few suffice on
/// the small machines SQLite serves.
pub const SQLITE_READERS: u32 = 4;
/// PostgreSQL connections per replica: the group commit's batches in
/// flight ([`POSTGRES_BATCHES_IN_FLIGHT`]) plus staff pages, the outbox
/// worker and a replay's lookups beside them; three replicas still fit the
/// server's default of 100 connections with room for tools.
pub const POSTGRES_CONNECTIONS: u32 = 16;
/// Batches of submissions one replica has in PostgreSQL at once. More than
/// one, so a batch is collected while the previous one's commit is being
/// flushed; few, because each costs a backend process and a commit, and
/// submissions arriving meanwhile wait in the queue and join the next batch.
/// On the 2-core bench machine, 2 made batches of about 15 with the least
/// database CPU and the most submissions per second at 64 clients (about
/// half of pgbench's raw single-row rate, p99 15 ms); 4 made batches of
/// about 8 and 8 of about 4, with longer tails.
pub const POSTGRES_BATCHES_IN_FLIGHT: usize = 2;
/// How long to wait for a lock or a connection before answering 503: long
/// enough for a burst, short enough for the widget's retry to take over.
pub const DATABASE_WAIT: Duration = Duration::from_secs(5);
/// Submissions committed together at most (by SQLite's writer, and in one
/// statement on PostgreSQL). Large enough to amortise an fsync
/// over a burst of 64 clients, small enough that a batch stays a few ms.
pub const MAX_BATCH: usize = 256;
/// Submissions that may wait for the writer before callers are slowed down.
pub const QUEUE_DEPTH: usize = 4_096;
/// Attempts at finding an unused reference before giving up (with 6.6 × 10^11
/// references, a second attempt is already rare).
pub const REFERENCE_ATTEMPTS: usize = 8;

// Connections.

/// How long a client may take to send a request's line and headers: a slow
/// phone sends them in well under a second; ten seconds stops clients that
/// send part of a request and then hold the connection.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a kept-alive connection may sit with nothing read or written
/// before it is closed: long enough for the widget's next request, short
/// enough that idle connections do not pile up (reconnecting is cheap). A
/// request begun but not finished is left to the header and body timeouts.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections open at once; beyond it the server stops accepting until one
/// closes. Half the common 1,024 file descriptor limit, leaving the rest for
/// the database, the assets and the listen backlog.
pub const MAX_CONNECTIONS: usize = 512;
/// At most one warning a minute that the connection cap is reached, so a
/// flood does not flood the log too.
pub const CONNECTION_CAP_LOG_EVERY: Duration = Duration::from_secs(60);

// Metrics.

/// How often recorded histogram samples are folded in when nobody scrapes:
/// often enough that memory stays small under a flood of submissions.
pub const METRICS_UPKEEP: Duration = Duration::from_secs(5);
// Email (the outbox).

/// A safeguarding alert still open after this long is sent to the next
/// contact, when the call does not say: half an hour is long enough for the
/// first contact to see it in working hours, short enough for a child at
/// risk.
pub const DEFAULT_RESEND_AFTER: Duration = Duration::from_secs(30 * 60);
/// How often the outbox worker looks for messages that are due: alerts
/// leave within a second or two of the submission, and the query (on a
/// partial index of queued messages) costs next to nothing when idle.
pub const OUTBOX_POLL: Duration = Duration::from_secs(1);
/// Messages one worker takes at a time: enough to clear a burst quickly,
/// few enough that other replicas share the work.
pub const OUTBOX_BATCH: i64 = 16;
/// How long a taken message is reserved for the worker sending it. Longer
/// than the mail server's timeout, so a slow send is never taken twice; a
/// worker that dies frees its messages after this.
pub const OUTBOX_LEASE: Duration = Duration::from_secs(30);
/// How long to wait for the mail server to answer any one step.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(10);
/// The wait after a first failed attempt; it doubles after each failure.
pub const OUTBOX_FIRST_RETRY: Duration = Duration::from_secs(1);
/// The longest wait between two attempts: a mail server back after an
/// outage is used within ten minutes.
pub const OUTBOX_LONGEST_RETRY: Duration = Duration::from_secs(10 * 60);
/// Attempts before a message is given up as failed: with the waits above,
/// about three hours of trying, long enough to outlast most outages; staff
/// see the failure on the submission page.
pub const OUTBOX_MAX_ATTEMPTS: i64 = 30;
// Embeddings (each idea read for meaning, in the background).

/// How often the embeddings worker looks for submissions to read when the
/// queue was empty: new ideas reach the analyses within seconds, and the
/// check (one indexed read) costs next to nothing when idle.
pub const EMBEDDINGS_POLL: Duration = Duration::from_secs(2);
/// Submissions the worker takes at a time (up to 4 × their ideas texts):
/// one batch ends in a few seconds on one core, so a worker told to stop,
/// or a burst of submissions arriving, waits at most that long.
pub const EMBEDDINGS_BATCH: i64 = 4;
/// How long a taken submission is reserved for the worker reading it: far
/// longer than a batch takes; a worker that dies frees it after this.
pub const EMBEDDINGS_LEASE: Duration = Duration::from_secs(5 * 60);
/// How long no submission must have arrived before the worker takes the
/// cores for a batch: a person's submission (and its urgent safeguarding
/// check) never queues behind background reading; in a steady stream it
/// waits for a gap, and catches up when the stream pauses.
pub const EMBEDDINGS_QUIET: Duration = Duration::from_millis(300);
/// How often the worker, between two of the model's layers, looks again
/// whether the submission being answered is done: short beside the 50 ms a
/// submission takes, long enough that waiting costs nothing.
pub const EMBEDDINGS_YIELD: Duration = Duration::from_millis(5);
/// The wait after a failed attempt to read a submission; it doubles after
/// each failure up to [`EMBEDDINGS_LONGEST_RETRY`].
pub const EMBEDDINGS_FIRST_RETRY: Duration = Duration::from_secs(10);
/// The longest wait between two attempts: a fault fixed (the model's files
/// put back, say) is picked up within the hour.
pub const EMBEDDINGS_LONGEST_RETRY: Duration = Duration::from_secs(60 * 60);

/// Alerts listed on the dashboard: the latest few.
pub const DASHBOARD_ALERT_LINES: i64 = 20;

// Publication.

/// Submissions on one page of `/published/{call}`: a long page that still
/// loads quickly on a phone (each submission holds up to five ideas), and a
/// call of 20,000 submissions in 200 pages.
pub const PUBLISHED_PER_PAGE: usize = 100;
/// Published outputs built at once, across all calls: each takes a core
/// while it runs and holds a call's submissions in memory, so two keep the
/// server answering everything else however many people read at once.
pub const PUBLICATION_BUILDS: usize = 2;
/// gzip level of the published output, compressed once per state: 6 (zlib's
/// default) makes the 14 MB CSV of 20,000 submissions several times smaller
/// in a fraction of a second; higher levels cost much more for a few
/// percent.
pub const PUBLICATION_GZIP_LEVEL: u32 = 6;
/// Brotli quality of the published output: 5 is smaller than gzip's level 6
/// at about its speed; the slowest qualities (10, 11) would take many
/// seconds per state for a call of 20,000 submissions.
pub const PUBLICATION_BROTLI_QUALITY: i32 = 5;
/// Brotli quality of a call's definition and of `/calls/{call}/embed.js`,
/// compressed on each request (both hold the call's status as of now): at
/// 5, the loader's 20 KB take under a millisecond; the slowest quality (11)
/// saves about 10 % (0.5 KB, 3 ms on a 1.6 Mbit/s phone) for 15 ms of the
/// server's time per request.
pub const CALL_BROTLI_QUALITY: i32 = 5;
/// Brotli window (log2 of bytes): 4 MiB finds the repeats across a large
/// CSV and is what browsers decode at no extra memory cost.
pub const PUBLICATION_BROTLI_WINDOW: i32 = 22;
/// Whole published files (CSV and JSON, in any coding) being sent at once;
/// further readers wait in line for a place, none is refused. Sending 14 MB
/// to each of 96 readers at once kept both cores busy copying and `/healthz` waited
/// up to a second behind them. A few at a time send as many bytes a second
/// (the cores, not the number of sends, are the bound), and other requests
/// wait behind four chunks at most instead of dozens.
pub const PUBLISHED_SENDS: usize = 4;
/// How long a send keeps its place among [`PUBLISHED_SENDS`]: a slow or
/// stalled reader goes on receiving after this, but no longer keeps the
/// next reader waiting. Ten seconds sends the plain 14 MB CSV over a
/// 12 Mbit/s line.
pub const PUBLISHED_SEND_TURN: Duration = Duration::from_secs(10);
/// Bytes of a published file handed to the connection at a time, so one
/// send does not hold a core for a whole file between two other requests.
pub const PUBLISHED_CHUNK: usize = 64 * 1024;
/// How long browsers and proxies may reuse a published page or file
/// without asking again (`Cache-Control: public, max-age`): a minute spares
/// the server the repeat reads of a busy day, and is how long a copy taken
/// before a withholding may still be shown; this server itself stops
/// serving a withheld idea with the next request.
pub const PUBLISHED_MAX_AGE: Duration = Duration::from_secs(60);

// Codebook.

/// Longest code name: a few words a person scans in a table, not a sentence.
pub const MAX_CODE_NAME_CHARS: usize = 80;

// Similar ideas, groups and suggested codes.

/// Title words count twice in an idea's vector: a title names the idea in a
/// few words, where a description also tells why and how.
pub const TITLE_WEIGHT: u32 = 2;
/// Similar ideas shown for one idea: enough to see a pattern, few enough to
/// read on the submission page.
pub const SIMILAR_IDEAS: usize = 5;
/// An idea's strongest terms whose postings are read to find its similar
/// ideas: bounds the work of one query however long the idea (an idea's
/// top terms carry most of its weight).
pub const SIMILAR_QUERY_TERMS: usize = 24;
/// Best candidates from those terms whose similarity is then computed
/// exactly over all their words.
pub const SIMILAR_CANDIDATES: usize = 50;
/// Below this cosine similarity two ideas share little more than common
/// words, and are not shown as similar.
pub const SIMILAR_MIN_SCORE: f32 = 0.1;
/// The share of the words in a similarity where ideas also have meaning
/// vectors (the rest is the meaning's cosine). On patient comments coded
/// by NHS staff (`cfi-bench --quality`, weights 0, 0.3, 0.5, 0.7 and words
/// alone), half and half gives groups that agree with people's codes best
/// or within 0.003 of the best on both sets, and similar ideas and first
/// suggested codes within 0.03 of the best weight; the words keep what the
/// meaning blurs, such as the names of places and services.
pub const WORDS_WEIGHT: f32 = 0.5;
/// Shared words shown to explain a similarity.
pub const SHARED_WORDS: usize = 5;
/// Most groups over a call: a page of groups a person can still read
/// through (about √(ideas / 2) groups below that).
pub const MAX_GROUPS: usize = 40;
/// Smallest group kept; smaller ones go to "other" (two ideas alike are a
/// pair, shown as similar ideas, not a group).
pub const MIN_GROUP_SIZE: usize = 3;
/// An idea whose similarity to its group's centre is below this fits no
/// group well and goes to "other".
pub const MIN_GROUP_FIT: f32 = 0.1;
/// Rounds of k-means at most: groups settle in far fewer on real text, and
/// this bounds the time on 100,000 ideas.
pub const GROUP_ROUNDS: usize = 20;
/// Words naming a group.
pub const GROUP_WORDS: usize = 6;
/// Coded ideas whose codes are suggested for an uncoded idea: a few close
/// ones, so a suggestion rests on ideas a person can check.
pub const SUGGESTION_NEIGHBOURS: usize = 5;
/// Ideas listed under each group (and under "other") on the groups page: a
/// group of a large call can hold thousands, and the page must stay light;
/// the API lists them all.
pub const GROUP_PAGE_MEMBERS: usize = 200;
/// A group's most typical ideas named above its full list: enough to see
/// what the group is about at a glance.
pub const GROUP_TYPICAL_SHOWN: usize = 3;
// Campaigns (near-identical texts pasted by many people).

/// Words in a shingle: three-word runs keep the order of a text (single
/// words would match any two ideas on the same topic) while one typo or
/// swapped word changes only three of a paragraph's fifty-odd shingles.
pub const CAMPAIGN_SHINGLE_WORDS: usize = 3;
/// LSH bands of the MinHash signature, and rows in each: 32 × 4 = 128
/// hashes. Two texts sharing half their shingles become candidates with 87 %
/// probability, 60 % with 99 % (and a campaign's members are joined through
/// any of their pairs, so a missed pair rarely matters); unrelated ideas
/// sharing a tenth collide 0.3 % of the time, and are then checked exactly.
/// Half as many (16 × 4) is faster but split a planted campaign in a test
/// corpus of 3,000 ideas.
pub const CAMPAIGN_BANDS: usize = 32;
pub const CAMPAIGN_BAND_ROWS: usize = 4;
/// Share of shingles two descriptions have in common (exact Jaccard) to be
/// copies of one text: a sentence added and a few typos in a paragraph stay
/// above it, two people writing on the same topic in their own words stay
/// far below.
pub const CAMPAIGN_SIMILARITY: f64 = 0.5;
/// Sets of near-copies kept per LSH bucket while it is read: a text is
/// checked against each (see `analysis/near_copies.rs`). A campaign's copies
/// share a bucket as one set; dozens of distinct sets in one bucket are
/// texts that share a passage and differ elsewhere, and a text meeting none
/// of the first 16 starts no new one there (its other bands still count).
pub const CAMPAIGN_BUCKET_SETS: usize = 16;
/// Members of each such set a text is checked against: its first in the
/// bucket and its latest. Near-copies of one template match any member; a
/// chain of copies drifting further from the first matches the latest.
pub const CAMPAIGN_MEMBERS_COMPARED: usize = 4;
/// Exact checks one text may cost in all its buckets, so the work grows
/// with the texts, not their pairs (one bucket of 20,000 copies is 200
/// million pairs), even when many texts share a passage without being
/// copies. The caps above allow up to 2,048 (32 bands, 16 sets, 4 members);
/// a copy of a campaign matches within its first few.
pub const CAMPAIGN_CHECKS_PER_TEXT: usize = 256;
/// Submissions (people) a set of near-copies needs to be a campaign: two
/// can be coincidence or one person sending twice; three sending the same
/// text is the pattern staff want to see once.
pub const CAMPAIGN_MIN_PEOPLE: usize = 3;
/// Variants listed per campaign: the common ones; the rest are counted.
pub const CAMPAIGN_VARIANTS_SHOWN: usize = 10;
/// Members linked per campaign on the page (the API lists all): enough to
/// open a sample, without a page of 500 links per campaign.
pub const CAMPAIGN_MEMBERS_SHOWN: usize = 100;
/// Tokens of a text the sentence-embedding model reads: all-MiniLM-L6-v2 was
/// trained on up to 256 (its `max_seq_length`); a 250-word idea is about 320,
/// and its first 256 carry its meaning.
pub const MODEL_MAX_TOKENS: usize = 256;
/// Texts run through the model at once: large enough that the matrix
/// products keep the cores busy, small enough that padding every text to the
/// longest in its batch wastes little, and one batch ends in well under a
/// second on one core.
pub const MODEL_BATCH_TEXTS: usize = 16;
