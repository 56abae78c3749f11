//! The server's commands besides serving:
//!
//! - `cfi-server seed --config FILE [--count N] [--call ID]`: fills an empty
//!   database with generated, realistic submissions (varied partners,
//!   capacities, ages, publication choices, themes; some flagged, some from
//!   honeypot bots; spread over the last six weeks). Does nothing when the
//!   database already holds submissions. With `--planted --truth FILE`, a
//!   synthetic corpus of N ideas with planted topics and campaigns, and the
//!   truth in FILE ([`planted`]), to judge the analyses.
//! - `cfi-server retention --config FILE [--before YYYY-MM-DD]`: removes
//!   respondents' personal data (names, contact names, emails, age bands,
//!   flagged passages, moderation notes) from every call whose
//!   `retain_personal_data_until` has passed, or, with `--before`, from
//!   submissions sent before that date in every call.
//! - `cfi-server backup --config FILE --to PATH` and `cfi-server restore
//!   --config FILE --from PATH`: a verified copy while serving, and back into
//!   an empty database ([`backup`]).

pub mod backup;
pub mod planted;
pub mod staff;

use std::path::PathBuf;
use std::process::ExitCode;

use cfi_rules::{RawIdea, RawRespondent, RawSubmission, Submission};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

use crate::config::{Call, Config, ConfigError, Overrides};
use crate::storage::{NewSubmission, Storage, StorageError, SubmitOutcome};

/// Failures of a command.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("{0}")]
    Usage(&'static str),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    #[error("there is no call with id {0:?} in the configuration")]
    UnknownCall(String),
    #[error("a generated submission was not valid; this is a bug in the generator")]
    Generator,
    #[error(transparent)]
    Backup(#[from] crate::backup::BackupError),
    #[error("cannot write the truth file: {0}")]
    Truth(String),
    #[error("{0}")]
    Account(String),
}

/// The configuration file every command reads, and its overrides.
#[derive(Debug, Clone, clap::Args)]
pub struct ConfigArgs {
    /// The TOML configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    #[command(flatten)]
    pub overrides: Overrides,
}

impl ConfigArgs {
    pub fn load(&self) -> Result<Config, ConfigError> {
        Config::load(&self.config, &self.overrides)
    }
}

/// `cfi-server seed`: fills an empty database with generated submissions.
#[derive(Debug, Clone, clap::Args)]
pub struct SeedArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// How many submissions to generate.
    #[arg(long, default_value_t = 300, value_name = "N")]
    pub count: usize,
    /// The call to fill (default: the first configured).
    #[arg(long, value_name = "ID")]
    pub call: Option<String>,
    /// A synthetic corpus with planted topics and campaigns instead
    /// ([`planted`]); `--count` is then the number of ideas.
    #[arg(long, requires = "truth")]
    pub planted: bool,
    /// With `--planted`: where to write the planted truth (JSON lines).
    #[arg(long, value_name = "FILE", requires = "planted")]
    pub truth: Option<PathBuf>,
}

/// `cfi-server retention`: removes personal data past its retention date.
#[derive(Debug, Clone, clap::Args)]
pub struct RetentionArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Remove it from submissions sent before this day, in every call.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub before: Option<jiff::civil::Date>,
}

/// `cfi-server seed ...`; prints what it did.
pub async fn seed_command(args: SeedArgs) -> ExitCode {
    let run = async {
        let config = args.config.load()?;
        let count = args.count;
        let call = match args.call {
            Some(id) => config
                .call(&id)
                .ok_or_else(|| CommandError::UnknownCall(id.clone()))?,
            None => config
                .calls
                .first()
                .ok_or(CommandError::Usage("the configuration has no call"))?,
        };
        let storage = Storage::open(&config.database_url).await?;
        let existing = storage.count_all().await?;
        let outcome = if existing > 0 {
            println!("seed: the database already holds {existing} submissions; nothing added");
            Ok(())
        } else {
            let started = std::time::Instant::now();
            let stored = match &args.truth {
                Some(truth) if args.planted => {
                    planted::seed_planted(&storage, call, count, truth).await
                }
                _ => seed(&storage, &config, call, count).await,
            };
            if let Ok(n) = &stored {
                println!(
                    "seed: {n} submissions added to {} in {:.1} s",
                    call.id,
                    started.elapsed().as_secs_f64()
                );
            }
            stored.map(|_| ())
        };
        storage.close().await;
        outcome
    };
    finish(run.await)
}

/// `cfi-server retention ...`; prints what it did.
pub async fn retention_command(args: RetentionArgs) -> ExitCode {
    let run = async {
        let config = args.config.load()?;
        let before = args.before.map(|date| date.to_string());
        let storage = Storage::open(&config.database_url).await?;
        let result = retention(&storage, &config, before.as_deref(), jiff::Timestamp::now()).await;
        if let Ok(done) = &result {
            for (call, n) in done {
                println!("retention: personal data removed from {n} submission(s) of {call}");
            }
            if done.is_empty() {
                println!("retention: no call is past its retention date; nothing removed");
            }
        }
        storage.close().await;
        result.map(|_| ())
    };
    finish(run.await)
}

pub(crate) fn finish(result: Result<(), CommandError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(
            error @ (CommandError::Usage(_) | CommandError::Config(_) | CommandError::Account(_)),
        ) => {
            eprintln!("{error}");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("failed: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Removes personal data: with `before`, from submissions sent before that
/// date in every call; otherwise from every call whose
/// `retain_personal_data_until` is before `now`. Returns (call, count) for
/// each call acted on.
pub async fn retention(
    storage: &Storage,
    config: &Config,
    before: Option<&str>,
    now: jiff::Timestamp,
) -> Result<Vec<(String, u64)>, CommandError> {
    let mut done = Vec::new();
    for call in &config.calls {
        let due = match (before, &call.retain_personal_data_until) {
            (Some(_), _) => true,
            (None, Some(until)) => until.timestamp() <= now,
            (None, None) => false,
        };
        if due {
            let n = crate::review::persistence::remove_personal_data(
                storage,
                &call.id,
                before,
                "retention command",
            )
            .await?;
            tracing::info!(call = %call.id, count = n, "personal data removed");
            done.push((call.id.clone(), n));
        }
    }
    Ok(done)
}

const FIRST_NAMES: &[&str] = &[
    "Amira", "Ben", "Chloe", "Daniel", "Ellie", "Femi", "Grace", "Harry", "Imran", "Jade", "Kwame",
    "Leah", "Mohammed", "Niamh", "Owen", "Priya", "Rhys", "Sofia", "Tariq", "Zara", "Aled",
    "Bethan", "Callum", "Dev", "Erin", "Gareth", "Hannah", "Jo", "Kayleigh", "Liam",
];
const SURNAMES: &[&str] = &[
    "Ahmed", "Baker", "Campbell", "Davies", "Evans", "Fletcher", "Green", "Hughes", "Iqbal",
    "Jones", "Khan", "Lewis", "Morgan", "Nowak", "O'Brien", "Patel", "Roberts", "Singh", "Thomas",
    "Walker", "Williams", "Wright", "Young", "Osei",
];
const ORGANISATIONS: &[&str] = &[
    "Northfield Kinship Carers Group",
    "Riverside Family Centre",
    "The Fostering Network Midlands",
    "Care Leavers Together CIC",
    "Southdown Children's Services",
    "Parents Advocacy Project",
    "Harbour Youth Trust",
    "West Vale Social Work Team",
    "Adoptive Families Peer Support",
    "Ashford Community Law Centre",
];
const TITLES: &[(&str, &str)] = &[
    ("A mentor for every care leaver", "leaving_care"),
    ("Keep brothers and sisters together", "children_in_care"),
    (
        "Pay kinship carers the same as foster carers",
        "kinship_care",
    ),
    ("Family help before crisis", "early_help"),
    ("Fewer changes of social worker", "workforce"),
    (
        "Let young people read their own records",
        "children_in_care",
    ),
    ("Staying put until 25", "leaving_care"),
    ("Independent advocates for parents", "child_protection"),
    (
        "Support groups for adoptive families",
        "fostering_and_adoption",
    ),
    ("Smaller caseloads for social workers", "workforce"),
    ("Council tax exemption for care leavers", "leaving_care"),
    ("Family group conferences as standard", "early_help"),
    (
        "Training for foster carers on trauma",
        "fostering_and_adoption",
    ),
    ("A national register of kinship carers", "kinship_care"),
    ("Clear letters that families understand", "child_protection"),
    (
        "Local homes so children stay near school",
        "children_in_care",
    ),
    ("Peer support from care-experienced adults", "other"),
    ("One plan that follows the child", "other"),
];
const CHANGES: &[&str] = &[
    "Young people would have someone steady to turn to when things go wrong.",
    "Families would get help early, before problems turn into emergencies.",
    "Children would keep the relationships that matter to them.",
    "Carers would not have to choose between caring and paying the rent.",
    "Social workers would have time to build trust with each family.",
    "People would understand decisions that are made about their lives.",
    "Fewer children would have to move school when they move home.",
];
const WHO: &[&str] = &[
    "It would affect care leavers, their personal advisers and local councils.",
    "Birth parents, children and the professionals around them would all feel the difference.",
    "Kinship carers, most of them grandparents, and the children they raise would benefit.",
    "Foster carers, adoptive parents and the agencies that support them would be affected.",
    "Every social work team would need to change how it plans its week.",
];
const RISKS: &[&str] = &[
    "The main risk is cost, but crisis care already costs far more.",
    "It could fail if councils do not have the staff to make it work.",
    "There is a risk it becomes a box-ticking exercise unless young people help design it.",
    "Funding would need to be protected for at least ten years.",
    "Some areas already do this well, so the challenge is making it happen everywhere.",
];
const PERSONAL: &[&str] = &[
    "When I left care at 18 I was on my own in a flat with no furniture.",
    "I was moved eleven times before I was fourteen.",
    "My nan took me in when I was six and nobody helped her for years.",
    "As a social worker I have had 30 children on my caseload at once.",
    "Our adopted son needed therapy and we waited two years for it.",
    "",
];
/// Sentences that the default safeguarding phrases catch, for the demo.
const CONCERNS: &[&str] = &[
    "Right now my foster carer's partner hits me when nobody else is home.",
    "Sometimes I think about how I could end my life because nothing changes.",
    "I am not safe at home and I do not know who to tell.",
    "My little sister is being abused by someone who visits and she is scared to go home.",
    "I have started to self-harm again since my placement broke down.",
];

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// One generated submission: (raw body, spam trap filled).
fn generate(rng: &mut StdRng, call: &Call, config: &Config) -> RawSubmission {
    let organisation = rng.random_bool(0.15);
    let name = format!("{} {}", pick(rng, FIRST_NAMES), pick(rng, SURNAMES));
    let age_band = if organisation {
        "26_plus"
    } else {
        *pick(
            rng,
            &[
                "under_16",
                "16_17",
                "18_25",
                "18_25",
                "26_plus",
                "26_plus",
                "26_plus",
                "prefer_not_to_say",
            ],
        )
    };
    let perspectives: Vec<String> = {
        let n = rng.random_range(1..=2usize).min(call.perspectives.len());
        let mut chosen: Vec<String> = Vec::new();
        while chosen.len() < n {
            let p = pick(rng, &call.perspectives).id.clone();
            if !chosen.contains(&p) {
                chosen.push(p);
            }
        }
        chosen
    };
    let mut partners: Vec<Option<String>> =
        config.partners.iter().map(|p| Some(p.id.clone())).collect();
    partners.push(None);
    let partner = pick(rng, &partners).clone();
    let flagged = rng.random_bool(0.05);
    let ideas = (0..rng.random_range(1..=call.limits.max_ideas.min(3)))
        .map(|i| {
            let (title, theme) = pick(rng, TITLES);
            let theme = call
                .themes
                .iter()
                .any(|t| t.id == *theme)
                .then(|| (*theme).to_owned());
            let mut parts = vec![
                *pick(rng, PERSONAL),
                *pick(rng, CHANGES),
                *pick(rng, WHO),
                *pick(rng, RISKS),
            ];
            if flagged && i == 0 {
                parts.insert(1, *pick(rng, CONCERNS));
            }
            RawIdea {
                title: Some((*title).to_owned()),
                theme,
                description: Some(
                    parts
                        .into_iter()
                        .filter(|p| !p.is_empty())
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            }
        })
        .collect();
    RawSubmission {
        partner,
        respondent: Some(RawRespondent {
            capacity: Some(
                if organisation {
                    "organisation"
                } else {
                    "individual"
                }
                .into(),
            ),
            name: (!organisation || rng.random_bool(0.5)).then(|| name.clone()),
            organisation: organisation.then(|| (*pick(rng, ORGANISATIONS)).to_owned()),
            email: rng.random_bool(0.6).then(|| {
                format!(
                    "{}.{}@example.org",
                    name.split(' ').next().unwrap_or("someone").to_lowercase(),
                    rng.random_range(10..99)
                )
            }),
            perspectives: Some(perspectives),
            age_band: Some(age_band.into()),
        }),
        ideas: Some(ideas),
        publication: Some(
            if rng.random_bool(0.35) {
                "anonymous"
            } else {
                "named"
            }
            .into(),
        ),
        privacy_notice_read: Some(true),
        website: Some(if rng.random_bool(0.02) {
            "http://cheap-pills.example".into()
        } else {
            String::new()
        }),
    }
}

/// Adds `count` generated submissions to `call`, spread over the six weeks
/// before now. Returns how many were stored.
pub async fn seed(
    storage: &Storage,
    config: &Config,
    call: &Call,
    count: usize,
) -> Result<usize, CommandError> {
    let mut rng = StdRng::seed_from_u64(2021);
    let rules = call.rules.clone();
    let now = jiff::Timestamp::now();
    let span_seconds: i64 = 42 * 24 * 60 * 60;
    let mut tasks = tokio::task::JoinSet::new();
    let mut stored = 0usize;
    for _ in 0..count {
        let raw = generate(&mut rng, call, config);
        let new = prepare(&raw, call, &rules, &mut rng, now, span_seconds)?;
        let storage = storage.clone();
        tasks.spawn(async move { storage.submit(new).await });
        // Enough in flight for SQLite's group commit to batch them.
        while tasks.len() >= 256 {
            if let Some(done) = tasks.join_next().await {
                stored += count_stored(done)?;
            }
        }
    }
    while let Some(done) = tasks.join_next().await {
        stored += count_stored(done)?;
    }
    Ok(stored)
}

/// A generated submission as stored: parsed by the call's rules, sent at a
/// random time in the `span_seconds` before `now`, under a random key.
fn prepare(
    raw: &RawSubmission,
    call: &Call,
    rules: &cfi_rules::CallRules,
    rng: &mut StdRng,
    now: jiff::Timestamp,
    span_seconds: i64,
) -> Result<NewSubmission, CommandError> {
    let submission = Submission::parse(raw, rules).map_err(|_| CommandError::Generator)?;
    let body = serde_json::to_vec(raw).map_err(|_| CommandError::Generator)?;
    let at = now
        .checked_sub(jiff::SignedDuration::from_secs(
            rng.random_range(0..span_seconds),
        ))
        .unwrap_or(now);
    let mut key: [u8; 16] = rng.random();
    key[6] = (key[6] & 0x0f) | 0x40;
    key[8] = (key[8] & 0x3f) | 0x80;
    Ok(NewSubmission {
        call_id: call.id.clone(),
        partner: submission.partner().map(str::to_owned),
        key: uuid::Uuid::from_bytes(key),
        body_hash: hex::encode(Sha256::digest(&body)),
        spam: submission.honeypot_filled(),
        flag: crate::safeguarding::find(&call.safeguarding_phrases, &submission),
        submitted_at: Some(at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
        submission,
        // Made-up data: nobody is alerted or acknowledged.
        messages: Vec::new(),
    })
}

fn count_stored(
    done: Result<Result<SubmitOutcome, StorageError>, tokio::task::JoinError>,
) -> Result<usize, CommandError> {
    match done.map_err(|_| CommandError::Generator)? {
        Ok(SubmitOutcome::Created(_)) => Ok(1),
        Ok(_) => Ok(0),
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests;
