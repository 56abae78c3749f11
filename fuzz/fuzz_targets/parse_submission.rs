//! Any bytes, read as a submission body and validated, must never panic, and
//! whatever is accepted must satisfy the rules it was accepted under.
#![no_main]

use cfi_rules::call::default_perspectives;
use cfi_rules::{CallRules, Limits, RawSubmission, Submission, count_words};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = serde_json::from_slice::<RawSubmission>(data) else {
        return;
    };
    let rules = CallRules {
        limits: Limits { max_ideas: 3, max_words: 20 },
        themes: vec!["leaving_care".into()],
        perspectives: default_perspectives().into_iter().map(|c| c.id).collect(),
    };
    match Submission::parse(&raw, &rules) {
        Ok(s) => {
            assert!(!s.ideas().is_empty() && s.ideas().len() <= 3);
            for idea in s.ideas() {
                assert!(count_words(idea.description()) <= 20);
                assert_eq!(idea.words(), count_words(idea.description()));
                assert!(!idea.title().trim().is_empty());
                assert!(!idea.title().chars().any(char::is_control));
            }
            if s.respondent().age_band().is_under_18() {
                assert_eq!(s.publication(), cfi_rules::Publication::Anonymous);
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            assert!(errors.iter().all(|e| e.pointer.starts_with('#')));
        }
    }
});
