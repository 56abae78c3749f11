//! The form's state as a person fills it in, and how each step is checked.
//!
//! The draft is a [`RawSubmission`] (the shared rules crate's model of the
//! body as sent), the step the person is on, and the idempotency key minted
//! once for this draft. Validation is always [`Submission::parse`] on the
//! body that would be sent, filtered to the fields of the current step, so
//! the widget and the server can never disagree.

use cfi_rules::{AgeBand, CallRules, Capacity, FieldError, RawIdea, RawRespondent, RawSubmission};

pub use cfi_rules::form::{Step, field_id, step_of_pointer, word_count_message};

/// The `localStorage` key of the draft for one call on one partner's page.
/// `slot` is the widget's place among the page's widgets for the same call
/// and partner (from 0), so two forms on one page keep two drafts; the first
/// keeps the key a lone widget has always had.
pub fn storage_key(call: &str, partner: Option<&str>, slot: usize) -> String {
    let base = format!("cfi-draft:{call}:{}", partner.unwrap_or("-"));
    match slot {
        0 => base,
        n => format!("{base}:{}", n + 1),
    }
}

/// The `localStorage` key that remembers "do not save on this device".
pub fn no_save_key(call: &str, partner: Option<&str>) -> String {
    format!("cfi-no-save:{call}:{}", partner.unwrap_or("-"))
}

/// A draft: the answers, where the person is, and the idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// Minted once per draft and sent with every attempt to submit it.
    pub key: String,
    pub step: Step,
    pub answers: RawSubmission,
}

impl Draft {
    /// An empty draft with one empty idea.
    pub fn new(key: String) -> Draft {
        Draft {
            key,
            step: Step::Start,
            answers: RawSubmission {
                respondent: Some(RawRespondent::default()),
                ideas: Some(vec![RawIdea::default()]),
                ..RawSubmission::default()
            },
        }
        .normalised()
    }

    /// Makes sure the parts every step edits exist (a restored draft may come
    /// from an older version or be partly empty).
    pub fn normalised(mut self) -> Draft {
        if self.answers.respondent.is_none() {
            self.answers.respondent = Some(RawRespondent::default());
        }
        match &mut self.answers.ideas {
            Some(list) if !list.is_empty() => {}
            _ => self.answers.ideas = Some(vec![RawIdea::default()]),
        }
        self
    }

    pub fn respondent(&self) -> &RawRespondent {
        static EMPTY: RawRespondent = RawRespondent {
            capacity: None,
            name: None,
            organisation: None,
            email: None,
            perspectives: None,
            age_band: None,
        };
        self.answers.respondent.as_ref().unwrap_or(&EMPTY)
    }

    pub fn respondent_mut(&mut self) -> &mut RawRespondent {
        self.answers
            .respondent
            .get_or_insert_with(RawRespondent::default)
    }

    pub fn ideas(&self) -> &[RawIdea] {
        self.answers.ideas.as_deref().unwrap_or_default()
    }

    pub fn ideas_mut(&mut self) -> &mut Vec<RawIdea> {
        self.answers.ideas.get_or_insert_with(Vec::new)
    }

    /// Whether the person has typed or chosen anything yet.
    pub fn is_empty(&self) -> bool {
        let r = self.respondent();
        let blank = |s: &Option<String>| s.as_deref().is_none_or(|s| s.trim().is_empty());
        blank(&r.capacity)
            && blank(&r.name)
            && blank(&r.organisation)
            && blank(&r.email)
            && r.perspectives.as_ref().is_none_or(Vec::is_empty)
            && blank(&r.age_band)
            && self
                .ideas()
                .iter()
                .all(|i| blank(&i.title) && blank(&i.theme) && blank(&i.description))
            && blank(&self.answers.publication)
            && self.answers.privacy_notice_read != Some(true)
    }

    /// The age band chosen, if any.
    pub fn age_band(&self) -> Option<AgeBand> {
        self.respondent()
            .age_band
            .as_deref()
            .and_then(AgeBand::from_wire)
    }

    pub fn capacity(&self) -> Option<Capacity> {
        self.respondent()
            .capacity
            .as_deref()
            .and_then(Capacity::from_wire)
    }

    /// The body that would be sent (see [`cfi_rules::form::as_sent`]).
    pub fn payload(&self, partner: Option<&str>) -> RawSubmission {
        cfi_rules::form::as_sent(&self.answers, partner)
    }

    /// Every problem with the answers of `step` (all answers for the check
    /// step), by the shared rules.
    pub fn errors_for(
        &self,
        step: Step,
        partner: Option<&str>,
        rules: &CallRules,
    ) -> Vec<FieldError> {
        cfi_rules::form::errors_for(&self.answers, step, partner, rules)
    }

    /// Adds an empty idea if the call allows another; returns its index.
    pub fn add_idea(&mut self, max: usize) -> Option<usize> {
        let ideas = self.ideas_mut();
        (ideas.len() < max).then(|| {
            ideas.push(RawIdea::default());
            ideas.len() - 1
        })
    }

    /// Removes an idea, keeping at least one (empty) idea.
    pub fn remove_idea(&mut self, index: usize) {
        let ideas = self.ideas_mut();
        if index < ideas.len() {
            ideas.remove(index);
        }
        if ideas.is_empty() {
            ideas.push(RawIdea::default());
        }
    }

    /// Ticks or unticks a perspective, keeping the call's order.
    pub fn toggle_perspective(&mut self, id: &str, on: bool, order: &[String]) {
        let list = self
            .respondent_mut()
            .perspectives
            .get_or_insert_with(Vec::new);
        list.retain(|p| p != id);
        if on {
            list.push(id.to_owned());
            // The call's order first, then anything the call no longer lists.
            let mut ordered: Vec<String> =
                order.iter().filter(|o| list.contains(o)).cloned().collect();
            ordered.extend(list.iter().filter(|p| !order.contains(p)).cloned());
            *list = ordered;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cfi_rules::{ErrorCode, Limits, call::default_perspectives};

    fn rules() -> CallRules {
        CallRules {
            limits: Limits {
                max_ideas: 2,
                max_words: 5,
            },
            themes: vec!["leaving_care".into()],
            perspectives: default_perspectives().into_iter().map(|c| c.id).collect(),
        }
    }

    fn filled() -> Draft {
        let mut d = Draft::new("k".into());
        let r = d.respondent_mut();
        r.capacity = Some("individual".into());
        r.name = Some("Sam".into());
        r.organisation = Some("left over from a change of mind".into());
        r.email = Some("  ".into());
        r.perspectives = Some(vec!["foster_carer".into()]);
        r.age_band = Some("16_17".into());
        d.ideas_mut()[0] = RawIdea {
            title: Some("A title".into()),
            theme: Some(String::new()),
            description: Some("Four words in here".into()),
        };
        d.answers.publication = Some("named".into());
        d.answers.privacy_notice_read = Some(true);
        d
    }

    #[test]
    fn a_new_draft_has_one_empty_idea_and_is_empty() {
        let d = Draft::new("k".into());
        assert_eq!(d.ideas().len(), 1);
        assert!(d.is_empty());
        assert_eq!(d.step, Step::Start);
        assert!(!filled().is_empty());
    }

    #[test]
    fn the_payload_drops_what_does_not_apply() {
        let p = filled().payload(Some("become"));
        let r = p.respondent.as_ref().expect("respondent");
        assert_eq!(r.organisation, None);
        assert_eq!(r.email, None);
        assert_eq!(p.ideas.as_ref().expect("ideas")[0].theme, None);
        assert_eq!(p.partner.as_deref(), Some("become"));
        assert_eq!(p.website.as_deref(), Some(""));
        assert!(cfi_rules::Submission::parse(&p, &rules()).is_ok());
    }

    #[test]
    fn each_step_sees_only_its_own_errors() {
        let d = Draft::new("k".into());
        let about = d.errors_for(Step::AboutYou, None, &rules());
        assert!(!about.is_empty());
        assert!(about.iter().all(|e| e.pointer.starts_with("#/respondent/")));
        let ideas = d.errors_for(Step::Ideas, None, &rules());
        assert_eq!(
            ideas.iter().map(|e| e.pointer.as_str()).collect::<Vec<_>>(),
            ["#/ideas/0/title", "#/ideas/0/description"]
        );
        let publishing = d.errors_for(Step::Publishing, None, &rules());
        assert_eq!(publishing.len(), 2);
        let all = d.errors_for(Step::Check, None, &rules());
        assert_eq!(all.len(), about.len() + ideas.len() + publishing.len());
        assert!(filled().errors_for(Step::Check, None, &rules()).is_empty());
    }

    #[test]
    fn too_many_words_is_the_rules_crate_message() {
        let mut d = filled();
        d.ideas_mut()[0].description = Some("one two three four five six".into());
        let e = d.errors_for(Step::Ideas, None, &rules());
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].code, ErrorCode::TooManyWords);
        assert_eq!(field_id(&e[0].pointer), "ideas-0-description");
    }

    #[test]
    fn ideas_are_added_up_to_the_limit_and_one_always_remains() {
        let mut d = Draft::new("k".into());
        assert_eq!(d.add_idea(2), Some(1));
        assert_eq!(d.add_idea(2), None);
        d.remove_idea(0);
        d.remove_idea(0);
        assert_eq!(d.ideas().len(), 1);
    }

    #[test]
    fn perspectives_keep_the_call_order() {
        let order: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let mut d = Draft::new("k".into());
        d.toggle_perspective("c", true, &order);
        d.toggle_perspective("a", true, &order);
        d.toggle_perspective("c", true, &order);
        assert_eq!(
            d.respondent().perspectives,
            Some(vec!["a".into(), "c".into()])
        );
        d.toggle_perspective("a", false, &order);
        assert_eq!(d.respondent().perspectives, Some(vec!["c".into()]));
    }

    #[test]
    fn storage_keys_are_per_call_and_partner() {
        assert_eq!(storage_key("c", Some("become"), 0), "cfi-draft:c:become");
        assert_eq!(storage_key("c", None, 0), "cfi-draft:c:-");
        assert_eq!(storage_key("c", None, 1), "cfi-draft:c:-:2");
        assert_ne!(no_save_key("c", None), storage_key("c", None, 0));
    }
}
