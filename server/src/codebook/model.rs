//! The codebook's data: codes, the codes applied to ideas, their trail and
//! read marks, as the service, the pages and the analyses use them.

use serde::Serialize;

/// A code of a call's codebook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Code {
    pub id: i64,
    pub call: String,
    pub name: String,
    pub description: String,
    pub parent: Option<i64>,
    pub created_by: String,
    pub created_at: String,
}

/// What a row of the coding trail did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodingKind {
    Apply,
    Remove,
    Undo,
}

impl CodingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Apply => "apply",
            Self::Remove => "remove",
            Self::Undo => "undo",
        }
    }

    pub fn from_wire(text: &str) -> Option<Self> {
        [Self::Apply, Self::Remove, Self::Undo]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// One row of the coding trail of a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodingAction {
    pub id: i64,
    pub reference: String,
    /// 0-based.
    pub idea: usize,
    pub code: i64,
    pub action: CodingKind,
    pub undoes: Option<i64>,
    pub staff: String,
    pub at: String,
}

/// A code applied to an idea (0-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coding {
    pub reference: String,
    pub idea: usize,
    pub code: i64,
}

/// Who marked an idea (0-based) as read, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadMark {
    pub idea: usize,
    pub staff: String,
    pub at: String,
}

/// An idea to change: a submission reference and a 0-based idea index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdeaRef {
    pub reference: String,
    pub idea: usize,
}
