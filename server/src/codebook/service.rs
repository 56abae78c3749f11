//! What staff can do with a call's codebook, whichever way they ask: create
//! and edit codes, apply and remove them on ideas (each change a trail row
//! that can be undone), one idea at a time or many at once (what the
//! analyses' groups and campaigns ask), and mark ideas as read; the counts
//! by code are in [`super::counts`], the public summary in
//! [`super::summary`]. These functions return [`CodebookError`]; the API
//! answers it as a problem, the pages as a page.

use cfi_rules::Reference;
use cfi_rules::text::{Lines, TextProblem, clean};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::Staff;
use crate::codebook::persistence::{Code, Coding, CodingAction, CodingKind, IdeaRef, ReadMark};
use crate::limits::{MAX_CODE_NAME_CHARS, MAX_REASON_CHARS};

/// Why something asked of the codebook was not done.
#[derive(Debug, thiserror::Error)]
pub enum CodebookError {
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

impl From<CodebookError> for crate::http::problem::ApiError {
    fn from(error: CodebookError) -> Self {
        match error {
            CodebookError::NotFound(detail) => Self::NotFound(detail),
            CodebookError::Invalid(detail) => Self::InvalidAction(detail),
            CodebookError::NotPublished => Self::NotPublished,
            CodebookError::Storage(cause) => Self::Storage(cause),
        }
    }
}

pub(super) const NO_CALL: CodebookError = CodebookError::NotFound("There is no call with this id.");
pub(super) const NO_CODE: CodebookError =
    CodebookError::NotFound("There is no code with this id in this call.");
const NO_SUBMISSION: CodebookError =
    CodebookError::NotFound("There is no submission with this reference.");

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
) -> Result<CodeFields, CodebookError> {
    // Names and descriptions can be published (the public summary): the
    // same text rules as what people send apply.
    let name = clean(&request.name, Lines::Single)
        .map_err(|problem| match problem {
            TextProblem::Empty => CodebookError::Invalid("Give the code a name."),
            TextProblem::ControlCharacters => CodebookError::Invalid(
                "Remove the control or direction characters from the code's name.",
            ),
        })?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if name.chars().count() > MAX_CODE_NAME_CHARS {
        return Err(CodebookError::Invalid(
            "Keep the code's name under 80 characters.",
        ));
    }
    if codebook
        .iter()
        .any(|c| Some(c.id) != editing && c.name.to_lowercase() == name.to_lowercase())
    {
        return Err(CodebookError::Invalid(
            "This call already has a code with this name.",
        ));
    }
    let description = match clean(&request.description, Lines::Multi) {
        Ok(description) => description,
        Err(TextProblem::Empty) => String::new(),
        Err(TextProblem::ControlCharacters) => {
            return Err(CodebookError::Invalid(
                "Remove the control or direction characters from the code's description.",
            ));
        }
    };
    if description.chars().count() > MAX_REASON_CHARS {
        return Err(CodebookError::Invalid(
            "Keep the code's description under 2,000 characters.",
        ));
    }
    if let Some(parent) = request.parent {
        if !codebook.iter().any(|c| c.id == parent) {
            return Err(CodebookError::Invalid(
                "Choose a parent code from this call's codebook.",
            ));
        }
        // Walk up from the parent: reaching the code edited would make a loop.
        let mut at = Some(parent);
        let mut steps = 0;
        while let Some(id) = at {
            if Some(id) == editing || steps > codebook.len() {
                return Err(CodebookError::Invalid(
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
pub async fn codebook(state: &AppState, call: &str) -> Result<Vec<Code>, CodebookError> {
    state.config.call(call).ok_or(NO_CALL)?;
    Ok(crate::codebook::persistence::codes(&state.storage, call).await?)
}

pub async fn create_code(
    state: &AppState,
    staff: &Staff,
    call: &str,
    request: &CodeRequest,
) -> Result<Code, CodebookError> {
    let codes = codebook(state, call).await?;
    let fields = parse_code(request, &codes, None)?;
    let code = crate::codebook::persistence::create_code(
        &state.storage,
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
) -> Result<Code, CodebookError> {
    let codes = codebook(state, call).await?;
    let before = codes.iter().find(|c| c.id == id).ok_or(NO_CODE)?;
    let fields = parse_code(request, &codes, Some(id))?;
    let done = crate::codebook::persistence::edit_code(
        &state.storage,
        before,
        &fields.name,
        &fields.description,
        fields.parent,
        &staff.name,
    )
    .await?;
    if !done {
        // An edit committed meanwhile put the new parent under this code.
        return Err(CodebookError::Invalid(
            "A code cannot sit under itself or one of its own sub-codes.",
        ));
    }
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
) -> Result<SubmissionCoding, CodebookError> {
    let submission = state
        .storage
        .submission(reference.as_str())
        .await?
        .ok_or(NO_SUBMISSION)?;
    Ok(SubmissionCoding {
        codebook: crate::codebook::persistence::codes(&state.storage, &submission.call).await?,
        codings: crate::codebook::persistence::codings_of(&state.storage, reference.as_str())
            .await?,
        actions: crate::codebook::persistence::coding_actions(&state.storage, reference.as_str())
            .await?,
        reads: crate::codebook::persistence::read_marks(&state.storage, reference.as_str()).await?,
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
) -> Result<CodingAction, CodebookError> {
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
                .ok_or(CodebookError::Invalid(
                    "Choose one of the submission's ideas.",
                ))?
                - 1;
            let code = request
                .code
                .and_then(|id| found.codebook.iter().find(|c| c.id == id))
                .ok_or(CodebookError::Invalid(
                    "Choose a code from this call's codebook.",
                ))?;
            let add = request.action == CodingKind::Apply;
            if add && applied(idea, code.id) {
                return Err(CodebookError::Invalid("This idea already has this code."));
            }
            if !add && !applied(idea, code.id) {
                return Err(CodebookError::Invalid("This idea does not have this code."));
            }
            (idea, code, add, None)
        }
        CodingKind::Undo => {
            let target = request
                .undoes
                .and_then(|id| found.actions.iter().find(|a| a.id == id))
                .ok_or(CodebookError::Invalid(
                    "Choose a coding change of this submission to undo.",
                ))?;
            let undone = found.actions.iter().any(|a| a.undoes == Some(target.id));
            if target.action == CodingKind::Undo || undone {
                return Err(CodebookError::Invalid(
                    "This change cannot be undone (again).",
                ));
            }
            let add = target.action == CodingKind::Remove;
            if add == applied(target.idea, target.code) {
                return Err(CodebookError::Invalid(
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
    let written = crate::codebook::persistence::record_codings(
        &state.storage,
        code,
        &[target],
        add,
        undoes,
        &staff.name,
    )
    .await?;
    let recorded = written.into_iter().next().ok_or(CodebookError::Invalid(
        "This idea's codes changed meanwhile: reload and try again.",
    ))?;
    tracing::info!(%reference, action = recorded.action.as_str(), code = code.id, staff = %staff.name, "coding");
    Ok(recorded)
}

/// What coding many ideas at once did: one trail row per idea changed.
#[derive(Debug, Clone)]
pub struct CodedIdeas {
    pub code: Code,
    /// The trail rows written, one per idea changed.
    pub written: Vec<CodingAction>,
    /// Ideas already as asked (with the code, or without it when removing),
    /// left alone.
    pub unchanged: usize,
}

/// Applies (or, with `add` false, removes) one code of the call's codebook
/// on many ideas (0-based) in one transaction, one trail row per idea
/// changed, each undone on its own from its submission's page.
pub async fn code_ideas(
    state: &AppState,
    staff: &Staff,
    call: &str,
    code: i64,
    targets: &[IdeaRef],
    add: bool,
) -> Result<CodedIdeas, CodebookError> {
    let codes = codebook(state, call).await?;
    let code = codes
        .into_iter()
        .find(|c| c.id == code)
        .ok_or(CodebookError::Invalid(
            "Choose a code from this call's codebook.",
        ))?;
    let written = crate::codebook::persistence::record_codings(
        &state.storage,
        &code,
        targets,
        add,
        None,
        &staff.name,
    )
    .await?;
    Ok(CodedIdeas {
        unchanged: targets.len().saturating_sub(written.len()),
        code,
        written,
    })
}

/// Marks an idea (numbered from 1) as read by this staff member, or clears
/// the mark.
pub async fn mark_read(
    state: &AppState,
    staff: &Staff,
    reference: &Reference,
    idea: Option<usize>,
    read: bool,
) -> Result<(), CodebookError> {
    let submission = state
        .storage
        .submission(reference.as_str())
        .await?
        .ok_or(NO_SUBMISSION)?;
    let idea = idea
        .filter(|n| (1..=submission.ideas.len()).contains(n))
        .ok_or(CodebookError::Invalid(
            "Choose one of the submission's ideas.",
        ))?
        - 1;
    let target = IdeaRef {
        reference: reference.to_string(),
        idea,
    };
    crate::codebook::persistence::mark_read(&state.storage, &target, read, &staff.name).await?;
    Ok(())
}
