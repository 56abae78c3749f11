//! Groups of similar ideas over a whole call: [`super::kmeans`] on the
//! ideas' vectors (their words, joined with their meaning where the corpus
//! has it), each group named by the words its ideas' writers used that set
//! it apart from the rest; ideas close to no group go to "other". A code can be applied to a
//! whole group at once, through the codebook's service.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::corpus::{Corpus, IdeaText, corpus};
use super::kmeans::{Space, group_count, k_means};
use super::service::AnalysisError;
use super::similar::{Model, NO_CALL, ready};
use crate::AppState;
use crate::auth::Staff;
use crate::codebook::persistence::IdeaRef;
use crate::codebook::service::code_ideas;
use crate::limits::{GROUP_WORDS, MIN_GROUP_FIT, MIN_GROUP_SIZE};

/// A group of similar ideas.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// 1 for the largest group, and so on.
    pub id: usize,
    /// The words that set the group apart, most telling first.
    pub words: Vec<String>,
    /// Positions in the corpus, the most typical first.
    pub members: Vec<usize>,
    /// A fingerprint of the members: coding a group checks it, so a group
    /// that changed since the page was drawn is not coded.
    pub version: String,
}

/// The groups of a call, largest first, and the ideas in none.
#[derive(Debug, Clone, PartialEq)]
pub struct Groups {
    pub groups: Vec<Group>,
    /// Ideas close to no group (or in a group too small to keep), or with
    /// no words that count.
    pub other: Vec<usize>,
}

/// The words that set a group apart: terms used by a large share of its
/// ideas and a small share of the rest (share × log of the ratio, in the
/// spirit of class-based TF-IDF).
fn group_words(model: &Model, members: &[usize], total: usize) -> Vec<String> {
    let mut inside: HashMap<u32, u32> = HashMap::new();
    for &m in members {
        for &(t, _) in &model.vectors[m] {
            *inside.entry(t).or_default() += 1;
        }
    }
    let size = members.len() as f64;
    let rest = (total - members.len()) as f64;
    let mut scored: Vec<(u32, f64)> = inside
        .into_iter()
        .filter_map(|(t, n)| {
            let all = f64::from(model.terms.get(t as usize)?.ideas);
            let share_in = f64::from(n) / size;
            let share_out = (all - f64::from(n) + 1.0) / (rest + 2.0);
            (n >= 2 && share_in > share_out).then(|| (t, share_in * (share_in / share_out).ln()))
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored
        .into_iter()
        .take(GROUP_WORDS)
        .filter_map(|(t, _)| model.terms.get(t as usize).map(|t| t.surface.clone()))
        .collect()
}

/// Groups the ideas of a corpus, about √(ideas / 2) groups.
pub fn group(model: &Model, ideas: &[IdeaText]) -> Groups {
    group_in(model, ideas, None)
}

/// Groups the ideas of a corpus into `k` groups at most (the bench asks
/// for as many as people's codes), or about √(ideas / 2) if `None`. With
/// meaning every idea is grouped; without, those with no words that count
/// are in "other".
pub fn group_in(model: &Model, ideas: &[IdeaText], k: Option<usize>) -> Groups {
    let meaning = model.meaning();
    let has_point = |i: &usize| meaning.is_some() || !model.vectors[*i].is_empty();
    let (usable, mut other): (Vec<usize>, Vec<usize>) =
        (0..model.vectors.len()).partition(has_point);
    if usable.is_empty() {
        return Groups {
            groups: Vec::new(),
            other,
        };
    }
    let k = k.unwrap_or_else(|| group_count(usable.len())).max(1);
    let space = Space {
        words: &model.vectors,
        terms: model.terms.len(),
        meaning,
    };
    let assigned = k_means(&space, &usable, k);
    let mut by_group: BTreeMap<usize, Vec<(usize, f32)>> = BTreeMap::new();
    for (&i, &(c, fit)) in usable.iter().zip(&assigned) {
        if fit >= MIN_GROUP_FIT {
            by_group.entry(c).or_default().push((i, fit));
        } else {
            other.push(i);
        }
    }
    let mut kept: Vec<Vec<usize>> = Vec::new();
    for (_, mut members) in by_group {
        if members.len() < MIN_GROUP_SIZE {
            other.extend(members.iter().map(|m| m.0));
            continue;
        }
        members.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        kept.push(members.into_iter().map(|m| m.0).collect());
    }
    kept.sort_by(|a, b| {
        b.len()
            .cmp(&a.len())
            .then_with(|| a.iter().min().cmp(&b.iter().min()))
    });
    other.sort_unstable();
    let total = model.vectors.len();
    let groups = kept
        .into_iter()
        .enumerate()
        .map(|(i, members)| {
            let mut hash = Sha256::new();
            for &m in &members {
                if let Some(idea) = ideas.get(m) {
                    hash.update(format!("{} {}\n", idea.reference, idea.idea));
                }
            }
            Group {
                id: i + 1,
                words: group_words(model, &members, total),
                version: hex::encode(hash.finalize().get(..8).unwrap_or_default()),
                members,
            }
        })
        .collect();
    Groups { groups, other }
}

/// An idea of a group, as shown (numbered from 1).
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub reference: String,
    pub idea: usize,
    pub title: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupView {
    pub id: usize,
    pub size: usize,
    pub words: Vec<String>,
    /// Give it back when coding the group.
    pub version: String,
    pub members: Vec<Member>,
}

/// A call's groups as shown.
#[derive(Debug, Clone, Serialize)]
pub struct CallGroups {
    pub call: String,
    /// Ideas grouped (spam left out).
    pub ideas: usize,
    pub groups: Vec<GroupView>,
    /// Ideas close to no group.
    pub other: Vec<Member>,
}

fn member(corpus: &Corpus, position: usize) -> Option<Member> {
    corpus.ideas.get(position).map(|i| Member {
        reference: i.reference.clone(),
        idea: i.idea + 1,
        title: i.title.clone(),
    })
}

/// The groups of a known call's corpus, built on first use.
async fn built_groups(state: &AppState, call: &str) -> Result<Arc<Corpus>, AnalysisError> {
    state.config.call(call).ok_or(NO_CALL)?;
    let corpus = corpus(state, call).await?;
    ready(&corpus, true).await?;
    Ok(corpus)
}

fn groups_of(corpus: &Corpus) -> Result<&Groups, AnalysisError> {
    corpus
        .similarity()
        .groups
        .get()
        .ok_or(AnalysisError::Invalid("The groups are not built."))
}

pub async fn call_groups(state: &AppState, call: &str) -> Result<CallGroups, AnalysisError> {
    let corpus = built_groups(state, call).await?;
    let groups = groups_of(&corpus)?;
    Ok(CallGroups {
        call: call.to_owned(),
        ideas: corpus.ideas.len(),
        groups: groups
            .groups
            .iter()
            .map(|g| GroupView {
                id: g.id,
                size: g.members.len(),
                words: g.words.clone(),
                version: g.version.clone(),
                members: g
                    .members
                    .iter()
                    .filter_map(|&m| member(&corpus, m))
                    .collect(),
            })
            .collect(),
        other: groups
            .other
            .iter()
            .filter_map(|&m| member(&corpus, m))
            .collect(),
    })
}

/// Apply a code to every idea of a group, as drawn (`version`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupCodingRequest {
    pub code: i64,
    pub group: usize,
    pub version: String,
}

/// What coding a group did.
#[derive(Debug, Clone, Serialize)]
pub struct GroupCoded {
    pub call: String,
    pub group: usize,
    pub code: i64,
    /// Ideas that got the code (one trail row each).
    pub coded: usize,
    /// Ideas that already had it, left alone.
    pub unchanged: usize,
}

/// Applies a code to the ideas of a group in one transaction, one trail row
/// per idea (each undone on its own from its submission's page); refused
/// if the group is not the one drawn on the page.
pub async fn code_group(
    state: &AppState,
    staff: &Staff,
    call: &str,
    request: &GroupCodingRequest,
) -> Result<GroupCoded, AnalysisError> {
    let corpus = built_groups(state, call).await?;
    let group = groups_of(&corpus)?
        .groups
        .iter()
        .find(|g| g.id == request.group && g.version == request.version)
        .ok_or(AnalysisError::Invalid(
            "The groups changed since the page was drawn (new or removed ideas): \
             reload the groups and apply the code again.",
        ))?;
    let targets: Vec<IdeaRef> = group
        .members
        .iter()
        .filter_map(|&m| corpus.ideas.get(m))
        .map(|i| IdeaRef {
            reference: i.reference.clone(),
            idea: i.idea,
        })
        .collect();
    let coded = code_ideas(state, staff, call, request.code, &targets, true).await?;
    tracing::info!(call, group = group.id, code = coded.code.id, coded = coded.written.len(), staff = %staff.name, "group coded");
    Ok(GroupCoded {
        call: call.to_owned(),
        group: group.id,
        code: coded.code.id,
        coded: coded.written.len(),
        unchanged: coded.unchanged,
    })
}
