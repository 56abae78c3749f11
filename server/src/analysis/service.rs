//! What staff can do with a call's codebook, whichever way they ask: create
//! and edit codes, apply and remove them on ideas (each change a trail row
//! that can be undone), mark ideas as read, and count ideas by code. These
//! functions return [`AnalysisError`]; the API answers it as a problem, the
//! pages as a page.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use cfi_rules::Reference;
use cfi_rules::text::{Lines, TextProblem, clean};
use serde::{Deserialize, Serialize};

use super::corpus::Respondent;
use crate::AppState;
use crate::auth::Staff;
use crate::config::Config;
use crate::limits::{MAX_CODE_NAME_CHARS, MAX_REASON_CHARS};
use crate::storage::{Code, Coding, CodingAction, CodingKind, IdeaRef, ReadMark};

/// Why something asked of the codebook was not done.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// No call, code or submission by that id or reference (404).
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// The request does not apply as asked (422); the text says why.
    #[error("{0}")]
    Invalid(&'static str),
    /// The public summary is not published (404).
    #[error("not published")]
    NotPublished,
    /// Storage failed (503); the cause is logged where it is answered.
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
}

impl From<AnalysisError> for crate::http::problem::ApiError {
    fn from(error: AnalysisError) -> Self {
        match error {
            AnalysisError::NotFound(detail) => Self::NotFound(detail),
            AnalysisError::Invalid(detail) => Self::InvalidAction(detail),
            AnalysisError::NotPublished => Self::NotPublished,
            AnalysisError::Storage(cause) => Self::Storage(cause),
        }
    }
}

const NO_CALL: AnalysisError = AnalysisError::NotFound("There is no call with this id.");
const NO_CODE: AnalysisError =
    AnalysisError::NotFound("There is no code with this id in this call.");
const NO_SUBMISSION: AnalysisError =
    AnalysisError::NotFound("There is no submission with this reference.");

/// A code as asked for: a name, a description and an optional parent code.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub parent: Option<i64>,
}

/// A [`CodeRequest`] checked against the call's codebook.
struct CodeFields {
    name: String,
    description: String,
    parent: Option<i64>,
}

/// Checks a code's name, description and parent; `editing` is the code being
/// changed (so it keeps its own name and cannot become its own ancestor).
fn parse_code(
    request: &CodeRequest,
    codebook: &[Code],
    editing: Option<i64>,
) -> Result<CodeFields, AnalysisError> {
    // Names and descriptions can be published (the public summary): the
    // same text rules as what people send apply.
    let name = clean(&request.name, Lines::Single)
        .map_err(|problem| match problem {
            TextProblem::Empty => AnalysisError::Invalid("Give the code a name."),
            TextProblem::ControlCharacters => AnalysisError::Invalid(
                "Remove the control or direction characters from the code's name.",
            ),
        })?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if name.chars().count() > MAX_CODE_NAME_CHARS {
        return Err(AnalysisError::Invalid(
            "Keep the code's name under 80 characters.",
        ));
    }
    if codebook
        .iter()
        .any(|c| Some(c.id) != editing && c.name.to_lowercase() == name.to_lowercase())
    {
        return Err(AnalysisError::Invalid(
            "This call already has a code with this name.",
        ));
    }
    let description = match clean(&request.description, Lines::Multi) {
        Ok(description) => description,
        Err(TextProblem::Empty) => String::new(),
        Err(TextProblem::ControlCharacters) => {
            return Err(AnalysisError::Invalid(
                "Remove the control or direction characters from the code's description.",
            ));
        }
    };
    if description.chars().count() > MAX_REASON_CHARS {
        return Err(AnalysisError::Invalid(
            "Keep the code's description under 2,000 characters.",
        ));
    }
    if let Some(parent) = request.parent {
        if !codebook.iter().any(|c| c.id == parent) {
            return Err(AnalysisError::Invalid(
                "Choose a parent code from this call's codebook.",
            ));
        }
        // Walk up from the parent: reaching the code edited would make a loop.
        let mut at = Some(parent);
        let mut steps = 0;
        while let Some(id) = at {
            if Some(id) == editing || steps > codebook.len() {
                return Err(AnalysisError::Invalid(
                    "A code cannot sit under itself or one of its own sub-codes.",
                ));
            }
            at = codebook.iter().find(|c| c.id == id).and_then(|c| c.parent);
            steps += 1;
        }
    }
    Ok(CodeFields {
        name,
        description,
        parent: request.parent,
    })
}

/// The codebook of a known call.
pub async fn codebook(state: &AppState, call: &str) -> Result<Vec<Code>, AnalysisError> {
    state.config.call(call).ok_or(NO_CALL)?;
    Ok(state.storage.codes(call).await?)
}

pub async fn create_code(
    state: &AppState,
    staff: &Staff,
    call: &str,
    request: &CodeRequest,
) -> Result<Code, AnalysisError> {
    let codes = codebook(state, call).await?;
    let fields = parse_code(request, &codes, None)?;
    let code = state
        .storage
        .create_code(
            call,
            &fields.name,
            &fields.description,
            fields.parent,
            &staff.name,
        )
        .await?;
    tracing::info!(call, code = code.id, staff = %staff.name, "code created");
    Ok(code)
}

pub async fn edit_code(
    state: &AppState,
    staff: &Staff,
    call: &str,
    id: i64,
    request: &CodeRequest,
) -> Result<Code, AnalysisError> {
    let codes = codebook(state, call).await?;
    let before = codes.iter().find(|c| c.id == id).ok_or(NO_CODE)?;
    let fields = parse_code(request, &codes, Some(id))?;
    state
        .storage
        .edit_code(
            before,
            &fields.name,
            &fields.description,
            fields.parent,
            &staff.name,
        )
        .await?;
    tracing::info!(call, code = id, staff = %staff.name, "code edited");
    Ok(Code {
        name: fields.name,
        description: fields.description,
        parent: fields.parent,
        ..before.clone()
    })
}

/// The codes, trail and read marks of one submission's ideas.
#[derive(Debug, Serialize)]
pub struct SubmissionCoding {
    pub call: String,
    /// The codebook of the submission's call.
    pub codebook: Vec<Code>,
    pub codings: Vec<Coding>,
    pub actions: Vec<CodingAction>,
    pub reads: Vec<ReadMark>,
    /// How many ideas the submission has.
    #[serde(skip)]
    pub ideas: usize,
}

pub async fn submission_coding(
    state: &AppState,
    reference: &Reference,
) -> Result<SubmissionCoding, AnalysisError> {
    let submission = state
        .storage
        .submission(reference.as_str())
        .await?
        .ok_or(NO_SUBMISSION)?;
    Ok(SubmissionCoding {
        codebook: state.storage.codes(&submission.call).await?,
        codings: state.storage.codings_of(reference.as_str()).await?,
        actions: state.storage.coding_actions(reference.as_str()).await?,
        reads: state.storage.read_marks(reference.as_str()).await?,
        ideas: submission.ideas.len(),
        call: submission.call,
    })
}

/// A change to an idea's codes. Ideas are numbered from 1.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodingRequest {
    pub action: CodingKind,
    /// The idea (apply, remove).
    #[serde(default)]
    pub idea: Option<usize>,
    /// The code (apply, remove).
    #[serde(default)]
    pub code: Option<i64>,
    /// The trail row to undo (undo).
    #[serde(default)]
    pub undoes: Option<i64>,
}

/// Checks a change against the idea's codes now and records it.
pub async fn change_coding(
    state: &AppState,
    staff: &Staff,
    reference: &Reference,
    request: &CodingRequest,
) -> Result<CodingAction, AnalysisError> {
    let found = submission_coding(state, reference).await?;
    let applied = |idea: usize, code: i64| {
        found
            .codings
            .iter()
            .any(|c| c.idea == idea && c.code == code)
    };
    let (idea, code, add, undoes) = match request.action {
        CodingKind::Apply | CodingKind::Remove => {
            let idea = request
                .idea
                .filter(|n| (1..=found.ideas).contains(n))
                .ok_or(AnalysisError::Invalid(
                    "Choose one of the submission's ideas.",
                ))?
                - 1;
            let code = request
                .code
                .and_then(|id| found.codebook.iter().find(|c| c.id == id))
                .ok_or(AnalysisError::Invalid(
                    "Choose a code from this call's codebook.",
                ))?;
            let add = request.action == CodingKind::Apply;
            if add && applied(idea, code.id) {
                return Err(AnalysisError::Invalid("This idea already has this code."));
            }
            if !add && !applied(idea, code.id) {
                return Err(AnalysisError::Invalid("This idea does not have this code."));
            }
            (idea, code, add, None)
        }
        CodingKind::Undo => {
            let target = request
                .undoes
                .and_then(|id| found.actions.iter().find(|a| a.id == id))
                .ok_or(AnalysisError::Invalid(
                    "Choose a coding change of this submission to undo.",
                ))?;
            let undone = found.actions.iter().any(|a| a.undoes == Some(target.id));
            if target.action == CodingKind::Undo || undone {
                return Err(AnalysisError::Invalid(
                    "This change cannot be undone (again).",
                ));
            }
            let add = target.action == CodingKind::Remove;
            if add == applied(target.idea, target.code) {
                return Err(AnalysisError::Invalid(
                    "This idea's codes changed since: undo the later change first.",
                ));
            }
            let code = found
                .codebook
                .iter()
                .find(|c| c.id == target.code)
                .ok_or(NO_CODE)?;
            (target.idea, code, add, Some(target.id))
        }
    };
    let target = IdeaRef {
        reference: reference.to_string(),
        idea,
    };
    let written = state
        .storage
        .record_codings(code, &[target], add, undoes, &staff.name)
        .await?;
    let recorded = written.into_iter().next().ok_or(AnalysisError::Invalid(
        "This idea's codes changed meanwhile: reload and try again.",
    ))?;
    tracing::info!(%reference, action = recorded.action.as_str(), code = code.id, staff = %staff.name, "coding");
    Ok(recorded)
}

/// Marks an idea (numbered from 1) as read by this staff member, or clears
/// the mark.
pub async fn mark_read(
    state: &AppState,
    staff: &Staff,
    reference: &Reference,
    idea: Option<usize>,
    read: bool,
) -> Result<(), AnalysisError> {
    let submission = state
        .storage
        .submission(reference.as_str())
        .await?
        .ok_or(NO_SUBMISSION)?;
    let idea = idea
        .filter(|n| (1..=submission.ideas.len()).contains(n))
        .ok_or(AnalysisError::Invalid(
            "Choose one of the submission's ideas.",
        ))?
        - 1;
    let target = IdeaRef {
        reference: reference.to_string(),
        idea,
    };
    state.storage.mark_read(&target, read, &staff.name).await?;
    Ok(())
}

/// How many ideas carry a code, from how many submissions (people or
/// organisations), split by what the respondents told about themselves.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct CodeCount {
    pub code: i64,
    pub name: String,
    pub parent: Option<i64>,
    pub ideas: usize,
    pub people: usize,
    /// Ideas by perspective id (a respondent may give several).
    pub by_perspective: BTreeMap<String, usize>,
    /// Ideas by capacity (`individual`, `organisation`).
    pub by_capacity: BTreeMap<String, usize>,
    /// Ideas by age band (staff only).
    pub by_age_band: BTreeMap<String, usize>,
    /// Ideas by partner id (`own` for the review's own site).
    pub by_partner: BTreeMap<String, usize>,
}

/// Counts of a call's ideas by code.
#[derive(Debug, Clone, Serialize)]
pub struct Counts {
    pub call: String,
    /// Ideas counted: every idea of the call not marked as spam.
    pub ideas: usize,
    pub codes: Vec<CodeCount>,
    /// Ideas with no code yet.
    pub uncoded: usize,
}

/// Counts over a call's ideas (spam left out).
pub async fn counts(state: &AppState, call: &str) -> Result<Counts, AnalysisError> {
    let codes = codebook(state, call).await?;
    // Who sent what changes only with the call's state: the corpus keeps it.
    // The codings change without it, so they are read each time.
    let corpus = super::corpus::corpus(state, call).await?;
    let codings = state.storage.call_codings(call).await?;
    Ok(count(call, &codes, &corpus.respondents, &codings))
}

/// The counting itself, over the submissions to count and their codings.
pub fn count(call: &str, codes: &[Code], submissions: &[Respondent], codings: &[Coding]) -> Counts {
    let by_reference: HashMap<&str, &Respondent> = submissions
        .iter()
        .map(|s| (s.reference.as_str(), s))
        .collect();
    let mut rows: Vec<CodeCount> = codes
        .iter()
        .map(|c| CodeCount {
            code: c.id,
            name: c.name.clone(),
            parent: c.parent,
            ..CodeCount::default()
        })
        .collect();
    let position: HashMap<i64, usize> = rows.iter().enumerate().map(|(i, r)| (r.code, i)).collect();
    let mut coded: BTreeSet<(&str, usize)> = BTreeSet::new();
    let mut people: HashMap<i64, BTreeSet<&str>> = HashMap::new();
    for coding in codings {
        let Some(s) = by_reference.get(coding.reference.as_str()) else {
            continue;
        };
        let Some(row) = position.get(&coding.code).and_then(|&i| rows.get_mut(i)) else {
            continue;
        };
        coded.insert((s.reference.as_str(), coding.idea));
        people
            .entry(coding.code)
            .or_default()
            .insert(s.reference.as_str());
        row.ideas += 1;
        for p in &s.perspectives {
            *row.by_perspective.entry(p.clone()).or_default() += 1;
        }
        *row.by_capacity.entry(s.capacity.clone()).or_default() += 1;
        *row.by_age_band.entry(s.age_band.clone()).or_default() += 1;
        let partner = s.partner.clone().unwrap_or_else(|| "own".to_owned());
        *row.by_partner.entry(partner).or_default() += 1;
    }
    for row in &mut rows {
        row.people = people.get(&row.code).map_or(0, BTreeSet::len);
    }
    let ideas: usize = submissions.iter().map(|s| s.ideas).sum();
    Counts {
        call: call.to_owned(),
        ideas,
        codes: rows,
        uncoded: ideas - coded.len(),
    }
}

/// The label of a perspective id in the call, or the id.
pub fn perspective_label(config: &Config, call: &str, id: &str) -> String {
    config
        .call(call)
        .and_then(|c| c.perspectives.iter().find(|p| p.id == id))
        .map_or_else(|| id.to_owned(), |p| p.label.clone())
}

/// The names of the codes on each idea of a call, by (reference, 0-based
/// idea), sorted: for the staff exports.
pub async fn code_names_by_idea(
    state: &AppState,
    call: &str,
) -> Result<HashMap<(String, usize), Vec<String>>, AnalysisError> {
    let codes = codebook(state, call).await?;
    let mut names: HashMap<(String, usize), Vec<String>> = HashMap::new();
    for coding in state.storage.call_codings(call).await? {
        if let Some(code) = codes.iter().find(|c| c.id == coding.code) {
            names
                .entry((coding.reference, coding.idea))
                .or_default()
                .push(code.name.clone());
        }
    }
    for list in names.values_mut() {
        list.sort();
    }
    Ok(names)
}

/// Switches the public summary of counts by code of a call on or off.
pub async fn set_summary_published(
    state: &AppState,
    staff: &Staff,
    call: &str,
    published: bool,
) -> Result<(), AnalysisError> {
    state.config.call(call).ok_or(NO_CALL)?;
    state
        .storage
        .set_code_summary_published(call, published, &staff.name)
        .await?;
    tracing::info!(call, published, staff = %staff.name, "code summary switched");
    Ok(())
}

/// One code in the public summary.
#[derive(Debug, Clone, Serialize)]
pub struct PublicCodeCount {
    pub code: String,
    pub description: String,
    /// The parent code's name.
    pub parent: Option<String>,
    /// Published ideas with this code.
    pub ideas: usize,
    /// Published submissions with at least one such idea.
    pub submissions: usize,
}

/// The public summary of a call's counts by code: only published ideas
/// (never spam, withheld submissions or ideas, or open flags), and nothing
/// about the people who sent them.
#[derive(Debug, Clone, Serialize)]
pub struct PublicSummary {
    pub call: String,
    pub title: String,
    /// Published ideas.
    pub ideas: usize,
    /// Published ideas with no code yet.
    pub uncoded: usize,
    pub codes: Vec<PublicCodeCount>,
}

/// The public summary, when staff published both the call and its summary.
/// Built once per state of the publication and the codebook, from the
/// cached publication snapshot (see `publication::cache`), and shared by
/// every reader: a request costs one query while neither changes.
pub async fn public_summary(
    state: &AppState,
    call_id: &str,
) -> Result<std::sync::Arc<PublicSummary>, AnalysisError> {
    let call = state.config.call(call_id).ok_or(NO_CALL)?;
    let summary = state.storage.code_summary_state(&call.id).await?;
    if !summary.published {
        return Err(AnalysisError::NotPublished);
    }
    let snapshot = state
        .publication
        .snapshot(&state.storage, call, summary.version)
        .await?;
    let (last_coding, last_audit) = summary.codebook;
    let storage = &state.storage;
    snapshot
        .derived(
            "codes.json",
            vec![last_coding, last_audit],
            |published| async move {
                let codes = storage.codes(&call.id).await?;
                let codings = storage.call_codings(&call.id).await?;
                let shown: BTreeSet<(&str, usize)> = published
                    .iter()
                    .flat_map(|s| s.ideas.iter().map(|i| (s.reference.as_str(), i.number - 1)))
                    .collect();
                let mut ideas: HashMap<i64, usize> = HashMap::new();
                let mut submissions: HashMap<i64, BTreeSet<&str>> = HashMap::new();
                let mut coded: BTreeSet<(&str, usize)> = BTreeSet::new();
                for coding in &codings {
                    let key = (coding.reference.as_str(), coding.idea);
                    if !shown.contains(&key) {
                        continue;
                    }
                    coded.insert(key);
                    *ideas.entry(coding.code).or_default() += 1;
                    submissions.entry(coding.code).or_default().insert(key.0);
                }
                let name_of = |id: i64| codes.iter().find(|c| c.id == id).map(|c| c.name.clone());
                Ok(PublicSummary {
                    call: call.id.clone(),
                    title: call.title.clone(),
                    ideas: shown.len(),
                    uncoded: shown.len() - coded.len(),
                    codes: codes
                        .iter()
                        .map(|c| PublicCodeCount {
                            code: c.name.clone(),
                            description: c.description.clone(),
                            parent: c.parent.and_then(name_of),
                            ideas: ideas.get(&c.id).copied().unwrap_or(0),
                            submissions: submissions.get(&c.id).map_or(0, BTreeSet::len),
                        })
                        .collect(),
                })
            },
        )
        .await
}
