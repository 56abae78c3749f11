//! What the review team can do, whichever way they ask (the JSON staff API
//! or the pages): search, read one submission with its audit trail, moderate,
//! erase, switch publication and count. These functions return
//! [`ReviewError`]; the API answers it as a problem, the pages as a page.

use cfi_rules::Reference;
use serde::{Deserialize, Serialize};

use super::filter::FilterQuery;
use crate::AppState;
use crate::auth::access::{self, Door, Read};
use crate::auth::{Permission, Principal, Staff};
use crate::config::Config;
use crate::http::problem::ApiError;
use crate::limits::{MAX_REASON_CHARS, PER_PAGE};
use crate::moderation::{ActionKind, ModerationAction, ModerationState, NewAction, spans_of};
use crate::publication::public_view;
use crate::review::persistence::{DayCount, SearchPage};
use crate::storage::StoredSubmission;

/// Why something staff asked for was not done.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// No submission or call by that reference or id (404).
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// The request does not apply as asked (422); the text says why.
    #[error("{0}")]
    Invalid(&'static str),
    /// The staff member's roles do not allow it (403); the text names the
    /// role needed.
    #[error("{0}")]
    Forbidden(&'static str),
    /// Storage failed (503); the cause is logged where it is answered.
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
}

impl From<ReviewError> for ApiError {
    fn from(error: ReviewError) -> Self {
        match error {
            ReviewError::NotFound(detail) => Self::NotFound(detail),
            ReviewError::Invalid(detail) => Self::InvalidAction(detail),
            ReviewError::Forbidden(detail) => Self::Forbidden(detail),
            ReviewError::Storage(cause) => Self::Storage(cause),
        }
    }
}

/// Parses the filter against the configuration (so values are known ids
/// and real dates), then searches. `page` is 1-based; 0 reads as 1.
pub async fn search(
    state: &AppState,
    filter: &FilterQuery,
    page: u32,
) -> Result<SearchPage, ReviewError> {
    let filter = filter.parse(&state.config)?;
    let offset = i64::from(page.max(1) - 1) * PER_PAGE;
    Ok(crate::review::persistence::search(&state.storage, &filter, offset, PER_PAGE).await?)
}

/// The moderation state as staff see it.
#[derive(Debug, Serialize)]
pub struct StateView {
    pub withheld: bool,
    pub withheld_ideas: Vec<usize>,
    pub redactions: usize,
    pub spam_marked: bool,
    pub flag_handled: Option<String>,
    /// What would be published now (whether or not publication is on).
    pub published_as: Option<String>,
}

pub fn state_view(
    config: &Config,
    stored: &StoredSubmission,
    state: &ModerationState,
) -> StateView {
    let published_as = config
        .call(&stored.call)
        .and_then(|call| public_view(call, stored, state))
        .map(|p| p.published_as);
    StateView {
        withheld: state.withheld.is_some(),
        withheld_ideas: state.withheld_ideas.keys().map(|i| i + 1).collect(),
        redactions: state.redactions.len(),
        spam_marked: state.spam.is_some(),
        flag_handled: state.flag_handled.as_ref().map(|a| a.reason.clone()),
        published_as,
    }
}

/// A submission with its audit trail.
pub struct Detail {
    pub submission: StoredSubmission,
    pub actions: Vec<ModerationAction>,
    pub state: ModerationState,
}

/// A submission with its personal data, for `staff` to read: the read is
/// noted in the access record first (through `door`), and not answered if
/// it cannot be.
pub async fn read_detail(
    state: &AppState,
    staff: &Staff,
    reference: &Reference,
    door: Door,
) -> Result<Detail, ReviewError> {
    let found = detail(state, reference).await?;
    let read = Read::Submission {
        call: &found.submission.call,
        reference: reference.as_str(),
    };
    access::record(
        &state.storage,
        &staff.name,
        read,
        door,
        state.config.access_record_kept,
    )
    .await?;
    Ok(found)
}

/// What an action needs beyond reading the submission: a flag's judgement
/// is the safeguarding role's, raising one is anyone's who reads (a reader
/// who sees a disclosure must be able to say so), the rest moderation's.
fn needs(action: ActionKind) -> Permission {
    match action {
        ActionKind::HandleFlag | ActionKind::NotAConcern => Permission::Safeguard,
        ActionKind::RaiseFlag => Permission::ReadIdeas,
        ActionKind::Withhold
        | ActionKind::WithholdIdea
        | ActionKind::Redact
        | ActionKind::Spam
        | ActionKind::Undo
        | ActionKind::Publish => Permission::Moderate,
    }
}

pub async fn detail(state: &AppState, reference: &Reference) -> Result<Detail, ReviewError> {
    let submission =
        state
            .storage
            .submission(reference.as_str())
            .await?
            .ok_or(ReviewError::NotFound(
                "There is no submission with this reference",
            ))?;
    let actions =
        crate::moderation::persistence::actions(&state.storage, reference.as_str()).await?;
    let moderation = ModerationState::fold(&actions);
    Ok(Detail {
        submission,
        actions,
        state: moderation,
    })
}

/// A moderation action as asked for. Ideas are numbered from 1.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    pub action: ActionKind,
    #[serde(default)]
    pub idea: Option<usize>,
    /// `title` or `description` (redact).
    #[serde(default)]
    pub field: Option<String>,
    /// The text to redact; every occurrence in the field, in any case, is
    /// redacted.
    #[serde(default)]
    pub text: Option<String>,
    /// The id of the action to undo.
    #[serde(default)]
    pub undoes: Option<i64>,
    /// Why; for a handled flag, what was done.
    pub reason: String,
    /// For `raise_flag`: the category's id (`abuse`, `self-harm`...).
    #[serde(default)]
    pub category: Option<String>,
}

/// Checks an action against the submission's current state and records it.
pub async fn apply_action(
    state: &AppState,
    staff: &Staff,
    reference: &Reference,
    request: ActionRequest,
) -> Result<ModerationAction, ReviewError> {
    let permission = needs(request.action);
    if !staff.can(permission) {
        return Err(ReviewError::Forbidden(permission.refusal()));
    }
    let reason = request.reason.trim().to_owned();
    if reason.is_empty() {
        return Err(ReviewError::Invalid(
            "Give a reason (for a handled flag, say what was done)",
        ));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(ReviewError::Invalid(
            "Keep the reason under 2,000 characters",
        ));
    }
    let found = detail(state, reference).await?;
    let current = &found.state;
    let submission = &found.submission;
    let idea_index = || -> Result<usize, ReviewError> {
        request
            .idea
            .filter(|n| (1..=submission.ideas.len()).contains(n))
            .map(|n| n - 1)
            .ok_or(ReviewError::Invalid("Choose one of the submission's ideas"))
    };
    let mut new = NewAction {
        action: request.action,
        idea: None,
        field: None,
        spans: Vec::new(),
        undoes: None,
        reason,
        staff: staff.name.clone(),
        raise: None,
    };
    let flagged = submission.flag_phrase.is_some();
    match request.action {
        ActionKind::Withhold if current.withheld.is_some() => {
            return Err(ReviewError::Invalid("This submission is already withheld"));
        }
        ActionKind::Spam if current.spam.is_some() => {
            return Err(ReviewError::Invalid(
                "This submission is already marked as spam",
            ));
        }
        ActionKind::Withhold | ActionKind::Spam => {}
        ActionKind::WithholdIdea => {
            let idea = idea_index()?;
            if current.withheld_ideas.contains_key(&idea) {
                return Err(ReviewError::Invalid("This idea is already withheld"));
            }
            new.idea = Some(idea);
        }
        ActionKind::Redact => {
            let idea = idea_index()?;
            let field = request.field.as_deref().unwrap_or("description");
            let original = match field {
                "title" => &submission.ideas[idea].title,
                "description" => &submission.ideas[idea].description,
                _ => {
                    return Err(ReviewError::Invalid(
                        "Redact in the title or the description",
                    ));
                }
            };
            let text = request.text.as_deref().unwrap_or("");
            let spans = spans_of(original, text);
            if spans.is_empty() {
                return Err(ReviewError::Invalid(
                    "That text is not in this idea: copy it as it appears",
                ));
            }
            new.idea = Some(idea);
            new.field = Some(field.to_owned());
            new.spans = spans;
        }
        ActionKind::HandleFlag => {
            if !flagged || !submission.flag_open {
                return Err(ReviewError::Invalid(
                    "There is no open flag on this submission",
                ));
            }
        }
        ActionKind::NotAConcern => {
            if !flagged || current.flag_handled.is_some() {
                return Err(ReviewError::Invalid(
                    "There is no flag on this submission left to judge",
                ));
            }
        }
        ActionKind::Publish => {
            if !flagged {
                return Err(ReviewError::Invalid(
                    "Only a flagged submission waits for a decision to publish",
                ));
            }
            if submission.flag_open {
                return Err(ReviewError::Invalid(
                    "Handle the safeguarding flag first, then decide about publication",
                ));
            }
            if current.publish_decided.is_some() {
                return Err(ReviewError::Invalid(
                    "The decision to publish is already recorded",
                ));
            }
        }
        ActionKind::RaiseFlag => {
            if submission.flag_open {
                return Err(ReviewError::Invalid(
                    "This submission already has an open flag",
                ));
            }
            let category = request
                .category
                .as_deref()
                .and_then(crate::safeguarding::Category::from_id)
                .filter(|c| crate::safeguarding::Category::HARMS.contains(c))
                .ok_or(ReviewError::Invalid("Choose what the concern is about"))?;
            let call = state
                .config
                .call(&submission.call)
                .ok_or(ReviewError::NotFound(
                    "This submission's call is not configured",
                ))?;
            new.raise = Some(crate::moderation::RaisedFlag {
                category: category.id().to_owned(),
                messages: crate::outbox::alerts_for(call),
            });
        }
        ActionKind::Undo => {
            let target = request
                .undoes
                .and_then(|id| found.actions.iter().find(|a| a.id == id))
                .ok_or(ReviewError::Invalid(
                    "Choose an action of this submission to undo",
                ))?;
            if target.action == ActionKind::RaiseFlag {
                return Err(ReviewError::Invalid(
                    "A raised flag is handled or marked not a concern, not undone",
                ));
            }
            let undone_needs = needs(target.action);
            if !staff.can(undone_needs) {
                return Err(ReviewError::Forbidden(undone_needs.refusal()));
            }
            if target.action == ActionKind::Undo || current.undone.contains(&target.id) {
                return Err(ReviewError::Invalid("This action cannot be undone (again)"));
            }
            new.undoes = Some(target.id);
        }
    }
    let recorded =
        crate::moderation::persistence::record_action(&state.storage, reference.as_str(), &new)
            .await?
            .ok_or(ReviewError::NotFound(
                "There is no submission with this reference",
            ))?;
    tracing::info!(%reference, action = recorded.action.as_str(), staff = %staff.name, "moderation");
    Ok(recorded)
}

/// Erases a submission by reference.
pub async fn erase(
    state: &AppState,
    staff: &Staff,
    reference: &Reference,
) -> Result<String, ReviewError> {
    let call = crate::review::persistence::erase(&state.storage, reference.as_str(), &staff.name)
        .await?
        .ok_or(ReviewError::NotFound(
            "There is no submission with this reference",
        ))?;
    tracing::info!(%reference, staff = %staff.name, "submission erased");
    Ok(call)
}

/// Switches publication of a call.
pub async fn set_publication(
    state: &AppState,
    staff: &Staff,
    call_id: &str,
    published: bool,
) -> Result<(), ReviewError> {
    state
        .config
        .call(call_id)
        .ok_or(ReviewError::NotFound("There is no call with this id"))?;
    crate::publication::persistence::set_published(&state.storage, call_id, published, &staff.name)
        .await?;
    tracing::info!(call = call_id, published, staff = %staff.name, "publication switched");
    Ok(())
}

/// Day counts a viewer may see: a partner only its own, never flags or
/// spam.
pub async fn counts_for(
    state: &AppState,
    viewer: &Principal,
) -> Result<Vec<DayCount>, ReviewError> {
    Ok(match viewer {
        Principal::Staff { .. } => {
            crate::review::persistence::day_counts(&state.storage, None).await?
        }
        Principal::Partner(id) => crate::review::persistence::day_counts(&state.storage, Some(id))
            .await?
            .into_iter()
            .map(|c| DayCount {
                flagged: 0,
                open_flags: 0,
                spam: 0,
                ..c
            })
            .collect(),
    })
}
