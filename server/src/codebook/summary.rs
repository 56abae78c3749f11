//! The public summary of a call's counts by code: its switch, and the
//! summary itself, built from the cached publication.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::service::{CodebookError, NO_CALL};
use crate::AppState;
use crate::auth::Staff;

/// Switches the public summary of counts by code of a call on or off.
pub async fn set_summary_published(
    state: &AppState,
    staff: &Staff,
    call: &str,
    published: bool,
) -> Result<(), CodebookError> {
    state.config.call(call).ok_or(NO_CALL)?;
    super::persistence::set_code_summary_published(&state.storage, call, published, &staff.name)
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
) -> Result<std::sync::Arc<PublicSummary>, CodebookError> {
    let call = state.config.call(call_id).ok_or(NO_CALL)?;
    let summary = super::persistence::code_summary_state(&state.storage, &call.id).await?;
    if !summary.published {
        return Err(CodebookError::NotPublished);
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
                let codes = crate::codebook::persistence::codes(storage, &call.id).await?;
                let codings = crate::codebook::persistence::call_codings(storage, &call.id).await?;
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
                // A code is named only when a published idea carries it, or
                // when, applied to nothing, it is the parent of one that is
                // named: a code applied only to unpublished ideas (one named
                // after a person, say) never appears, even as a parent.
                let applied: BTreeSet<i64> = codings.iter().map(|c| c.code).collect();
                let mut named: BTreeSet<i64> = ideas.keys().copied().collect();
                let mut frontier: Vec<i64> = named.iter().copied().collect();
                while let Some(id) = frontier.pop() {
                    let parent = codes.iter().find(|c| c.id == id).and_then(|c| c.parent);
                    if let Some(parent) = parent
                        && !applied.contains(&parent)
                        && named.insert(parent)
                    {
                        frontier.push(parent);
                    }
                }
                let name_of = |id: i64| {
                    codes
                        .iter()
                        .find(|c| c.id == id && named.contains(&id))
                        .map(|c| c.name.clone())
                };
                Ok(PublicSummary {
                    call: call.id.clone(),
                    title: call.title.clone(),
                    ideas: shown.len(),
                    uncoded: shown.len() - coded.len(),
                    codes: codes
                        .iter()
                        .filter(|c| named.contains(&c.id))
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
