//! The form's state as a person fills it in, and how each step is checked.
//!
//! The draft is a [`RawSubmission`] (the shared rules crate's model of the
//! body as sent), the step the person is on, and the idempotency key minted
//! once for this draft. Validation is always [`Submission::parse`] on the
//! body that would be sent, filtered to the fields of the current step, so
//! the widget and the server can never disagree.

use cfi_rules::{
    AgeBand, CallRules, Capacity, FieldError, RawIdea, RawRespondent, RawSubmission, Submission,
    count_words,
};

/// The steps of the form, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Start,
    AboutYou,
    Ideas,
    Publishing,
    Check,
    Done,
}

impl Step {
    /// The name stored with a saved draft.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Start => "start",
            Step::AboutYou => "about_you",
            Step::Ideas => "ideas",
            Step::Publishing => "publishing",
            Step::Check => "check",
            Step::Done => "done",
        }
    }

    pub fn from_name(name: &str) -> Option<Step> {
        [
            Step::Start,
            Step::AboutYou,
            Step::Ideas,
            Step::Publishing,
            Step::Check,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }

    /// The step before this one, for the "Back" link.
    pub fn previous(self) -> Option<Step> {
        match self {
            Step::Start | Step::Done => None,
            Step::AboutYou => Some(Step::Start),
            Step::Ideas => Some(Step::AboutYou),
            Step::Publishing => Some(Step::Ideas),
            Step::Check => Some(Step::Publishing),
        }
    }

    /// The step after this one once its answers are valid.
    pub fn next(self) -> Step {
        match self {
            Step::Start => Step::AboutYou,
            Step::AboutYou => Step::Ideas,
            Step::Ideas => Step::Publishing,
            Step::Publishing => Step::Check,
            Step::Check | Step::Done => Step::Done,
        }
    }

    /// Whether an error at `pointer` belongs to this step.
    pub fn owns(self, pointer: &str) -> bool {
        step_of_pointer(pointer) == Some(self)
    }
}

/// The step that shows the field an error points at (`None` for fields no
/// step shows, such as the partner).
pub fn step_of_pointer(pointer: &str) -> Option<Step> {
    let path = pointer.trim_start_matches('#').trim_start_matches('/');
    let head = path.split('/').next().unwrap_or_default();
    match head {
        "respondent" => Some(Step::AboutYou),
        "ideas" => Some(Step::Ideas),
        "publication" | "privacy_notice_read" => Some(Step::Publishing),
        _ => None,
    }
}

/// The id of the form control an error points at: `#/ideas/0/description`
/// is `ideas-0-description`; an item of a list of checkboxes
/// (`#/respondent/perspectives/2`) is the list's first checkbox,
/// `respondent-perspectives`.
pub fn field_id(pointer: &str) -> String {
    let path = pointer.trim_start_matches('#').trim_start_matches('/');
    let mut parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    if parts.first() == Some(&"respondent")
        && parts.get(1) == Some(&"perspectives")
        && parts.len() > 2
    {
        parts.truncate(2);
    }
    if parts.is_empty() {
        return "form".into();
    }
    parts.join("-")
}

/// "You have 3 words remaining" / "You have 1 word too many", and whether the
/// description is over the limit.
pub fn word_count_message(text: &str, max: usize) -> (String, bool) {
    let words = count_words(text);
    let plural = |n: usize| if n == 1 { "word" } else { "words" };
    if words > max {
        let n = words - max;
        (format!("You have {n} {} too many", plural(n)), true)
    } else {
        let n = max - words;
        (format!("You have {n} {} remaining", plural(n)), false)
    }
}

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

    /// The body that would be sent: the organisation only for organisations,
    /// blank optional answers as null, and the empty honeypot.
    pub fn payload(&self, partner: Option<&str>) -> RawSubmission {
        let mut raw = self.answers.clone();
        raw.partner = partner.map(str::to_owned);
        raw.website = Some(String::new());
        let blank_to_none = |s: &mut Option<String>| {
            if s.as_deref().is_some_and(|t| t.trim().is_empty()) {
                *s = None;
            }
        };
        let individual = self.capacity() == Some(Capacity::Individual);
        if let Some(r) = raw.respondent.as_mut() {
            if individual {
                r.organisation = None;
            }
            blank_to_none(&mut r.email);
            blank_to_none(&mut r.organisation);
            blank_to_none(&mut r.name);
            if r.perspectives.is_none() {
                r.perspectives = Some(Vec::new());
            }
        }
        if let Some(ideas) = raw.ideas.as_mut() {
            for idea in ideas {
                blank_to_none(&mut idea.theme);
            }
        }
        raw
    }

    /// Every problem with the answers of `step` (all answers for the check
    /// step), by the shared rules.
    pub fn errors_for(
        &self,
        step: Step,
        partner: Option<&str>,
        rules: &CallRules,
    ) -> Vec<FieldError> {
        match Submission::parse(&self.payload(partner), rules) {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .into_iter()
                .filter(|e| step == Step::Check || step.owns(&e.pointer))
                .collect(),
        }
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
        assert!(Submission::parse(&p, &rules()).is_ok());
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
    fn pointers_map_to_fields_and_steps() {
        assert_eq!(field_id("#/respondent/name"), "respondent-name");
        assert_eq!(
            field_id("#/respondent/perspectives/3"),
            "respondent-perspectives"
        );
        assert_eq!(field_id("#/ideas/1/theme"), "ideas-1-theme");
        assert_eq!(field_id("#/ideas"), "ideas");
        assert_eq!(field_id("#/privacy_notice_read"), "privacy_notice_read");
        assert_eq!(field_id("#/"), "form");
        assert_eq!(step_of_pointer("#/ideas/0/title"), Some(Step::Ideas));
        assert_eq!(
            step_of_pointer("#/respondent/age_band"),
            Some(Step::AboutYou)
        );
        assert_eq!(step_of_pointer("#/publication"), Some(Step::Publishing));
        assert_eq!(step_of_pointer("#/partner"), None);
    }

    #[test]
    fn steps_round_trip_and_chain() {
        let mut s = Step::Start;
        let mut seen = vec![s];
        while s != Step::Done {
            s = s.next();
            seen.push(s);
        }
        assert_eq!(seen.len(), 6);
        for s in &seen[..5] {
            assert_eq!(Step::from_name(s.as_str()), Some(*s));
        }
        assert_eq!(Step::from_name("done"), None);
        assert_eq!(Step::Check.previous(), Some(Step::Publishing));
        assert_eq!(Step::Start.previous(), None);
    }

    #[test]
    fn word_count_messages() {
        assert_eq!(
            word_count_message("", 250),
            ("You have 250 words remaining".into(), false)
        );
        assert_eq!(
            word_count_message("a b c d", 5),
            ("You have 1 word remaining".into(), false)
        );
        assert_eq!(
            word_count_message("a b c d e f", 5),
            ("You have 1 word too many".into(), true)
        );
        assert_eq!(
            word_count_message("a b c d e f g", 5),
            ("You have 2 words too many".into(), true)
        );
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
