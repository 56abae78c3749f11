use super::*;
use crate::call::{CallRules, Limits, default_perspectives};
use proptest::prelude::*;

fn rules() -> CallRules {
    CallRules {
        limits: Limits {
            max_ideas: 3,
            max_words: 10,
        },
        themes: vec!["leaving_care".into(), "kinship".into()],
        perspectives: default_perspectives().into_iter().map(|c| c.id).collect(),
    }
}

fn valid() -> RawSubmission {
    serde_json::from_value(serde_json::json!({
        "partner": "become",
        "respondent": {
            "capacity": "individual",
            "name": "  Sam Example ",
            "organisation": null,
            "email": "sam@example.org",
            "perspectives": ["care_experienced_young_person"],
            "age_band": "18_25"
        },
        "ideas": [{"title": "A mentor", "theme": "leaving_care", "description": "Every care leaver gets a mentor."}],
        "publication": "named",
        "privacy_notice_read": true,
        "website": ""
    }))
    .expect("valid raw")
}

fn pointers(raw: &RawSubmission) -> Vec<(String, ErrorCode)> {
    Submission::parse(raw, &rules())
        .expect_err("should be refused")
        .into_iter()
        .map(|e| (e.pointer, e.code))
        .collect()
}

#[test]
fn a_valid_submission_parses_and_is_cleaned() {
    let s = Submission::parse(&valid(), &rules()).expect("valid");
    assert_eq!(s.respondent().name(), Some("Sam Example"));
    assert_eq!(s.respondent().capacity(), Capacity::Individual);
    assert_eq!(s.ideas()[0].words(), 6);
    assert_eq!(s.publication(), Publication::Named);
    assert_eq!(s.partner(), Some("become"));
    assert!(!s.honeypot_filled());
}

#[test]
fn an_empty_body_reports_every_required_field() {
    let got = pointers(&RawSubmission::default());
    let expected = [
        "#/respondent/capacity",
        "#/respondent/perspectives",
        "#/respondent/age_band",
        "#/ideas",
        "#/publication",
        "#/privacy_notice_read",
    ];
    for p in expected {
        assert!(got.iter().any(|(g, _)| g == p), "missing {p} in {got:?}");
    }
}

#[test]
fn under_18s_are_published_anonymously_whatever_they_chose() {
    for band in ["under_16", "16_17"] {
        let mut raw = valid();
        if let Some(r) = raw.respondent.as_mut() {
            r.age_band = Some(band.into());
        }
        let s = Submission::parse(&raw, &rules()).expect("valid");
        assert_eq!(s.publication_chosen(), Publication::Named);
        assert_eq!(s.publication(), Publication::Anonymous);
    }
    for band in ["18_25", "26_plus", "prefer_not_to_say"] {
        let mut raw = valid();
        if let Some(r) = raw.respondent.as_mut() {
            r.age_band = Some(band.into());
        }
        let s = Submission::parse(&raw, &rules()).expect("valid");
        assert_eq!(s.publication(), Publication::Named);
    }
}

#[test]
fn organisations_need_an_organisation_name_and_may_give_a_contact() {
    let mut raw = valid();
    if let Some(r) = raw.respondent.as_mut() {
        r.capacity = Some("organisation".into());
        r.organisation = None;
    }
    assert_eq!(
        pointers(&raw),
        vec![("#/respondent/organisation".into(), ErrorCode::Required)]
    );
    if let Some(r) = raw.respondent.as_mut() {
        r.organisation = Some("Become".into());
        r.name = None;
    }
    let s = Submission::parse(&raw, &rules()).expect("valid");
    assert_eq!(s.respondent().organisation(), Some("Become"));
    assert_eq!(s.respondent().name(), None);
}

#[test]
fn individuals_may_not_send_an_organisation() {
    let mut raw = valid();
    if let Some(r) = raw.respondent.as_mut() {
        r.organisation = Some("Acme".into());
    }
    assert_eq!(
        pointers(&raw),
        vec![("#/respondent/organisation".into(), ErrorCode::Unexpected)]
    );
}

#[test]
fn too_many_words_points_at_the_description() {
    let mut raw = valid();
    raw.ideas = Some(vec![RawIdea {
        title: Some("t".into()),
        theme: None,
        description: Some("word ".repeat(11)),
    }]);
    assert_eq!(
        pointers(&raw),
        vec![("#/ideas/0/description".into(), ErrorCode::TooManyWords)]
    );
}

#[test]
fn too_many_and_no_ideas_are_refused() {
    let idea = valid().ideas.expect("ideas")[0].clone();
    let mut raw = valid();
    raw.ideas = Some(vec![idea; 4]);
    assert_eq!(
        pointers(&raw),
        vec![("#/ideas".into(), ErrorCode::TooManyIdeas)]
    );
    raw.ideas = Some(vec![]);
    assert_eq!(
        pointers(&raw),
        vec![("#/ideas".into(), ErrorCode::Required)]
    );
}

#[test]
fn unknown_choices_are_refused_with_pointers() {
    let mut raw = valid();
    raw.publication = Some("public".into());
    if let Some(r) = raw.respondent.as_mut() {
        r.perspectives = Some(vec![
            "kinship_carer".into(),
            "astronaut".into(),
            "kinship_carer".into(),
        ]);
        r.age_band = Some("17".into());
        r.capacity = Some("robot".into());
    }
    if let Some(ideas) = raw.ideas.as_mut() {
        ideas[0].theme = Some("space".into());
    }
    let got = pointers(&raw);
    for (p, c) in [
        ("#/respondent/capacity", ErrorCode::InvalidChoice),
        ("#/respondent/perspectives/1", ErrorCode::InvalidChoice),
        ("#/respondent/perspectives/2", ErrorCode::Duplicate),
        ("#/respondent/age_band", ErrorCode::InvalidChoice),
        ("#/ideas/0/theme", ErrorCode::InvalidChoice),
        ("#/publication", ErrorCode::InvalidChoice),
    ] {
        assert!(
            got.contains(&(p.to_owned(), c)),
            "missing {p} {c:?} in {got:?}"
        );
    }
}

#[test]
fn emails_are_optional_but_must_look_like_emails() {
    let mut raw = valid();
    for blank in [None, Some(""), Some("   ")] {
        if let Some(r) = raw.respondent.as_mut() {
            r.email = blank.map(str::to_owned);
        }
        let s = Submission::parse(&raw, &rules()).expect("valid");
        assert_eq!(s.respondent().email(), None);
    }
    for bad in [
        "sam",
        "sam@",
        "@x.org",
        "sam@localhost",
        "sam @x.org",
        "a@b@c.org",
        "a@x..org",
    ] {
        if let Some(r) = raw.respondent.as_mut() {
            r.email = Some(bad.into());
        }
        assert_eq!(
            pointers(&raw),
            vec![("#/respondent/email".into(), ErrorCode::InvalidEmail)],
            "{bad}"
        );
    }
}

#[test]
fn control_characters_and_overlong_text_are_refused() {
    let mut raw = valid();
    if let Some(r) = raw.respondent.as_mut() {
        r.name = Some("Sam\0".into());
    }
    if let Some(ideas) = raw.ideas.as_mut() {
        ideas[0].title = Some("x".repeat(151));
    }
    let got = pointers(&raw);
    assert!(got.contains(&("#/respondent/name".into(), ErrorCode::ControlCharacters)));
    assert!(got.contains(&("#/ideas/0/title".into(), ErrorCode::TooLong)));
}

#[test]
fn privacy_confirmation_must_be_true() {
    let mut raw = valid();
    raw.privacy_notice_read = Some(false);
    assert_eq!(
        pointers(&raw),
        vec![("#/privacy_notice_read".into(), ErrorCode::MustBeTrue)]
    );
}

#[test]
fn a_filled_honeypot_is_not_an_error_but_is_marked() {
    let mut raw = valid();
    raw.website = Some("http://spam.example".into());
    let s = Submission::parse(&raw, &rules()).expect("valid");
    assert!(s.honeypot_filled());
}

#[test]
fn unknown_fields_are_refused_by_the_deserializer() {
    let result: Result<RawSubmission, _> =
        serde_json::from_str(r#"{"respondent": {}, "surprise": 1}"#);
    assert!(result.is_err());
}

#[test]
fn field_errors_are_bounded() {
    let mut raw = valid();
    raw.ideas = Some(vec![RawIdea::default(); 3]);
    if let Some(r) = raw.respondent.as_mut() {
        r.perspectives = Some(vec!["x".into(); 20]);
    }
    let errors = Submission::parse(&raw, &rules()).expect_err("invalid");
    assert!(errors.len() <= crate::limits::MAX_FIELD_ERRORS);
}

proptest! {
    #[test]
    fn parsing_arbitrary_text_never_panics(
        name in any::<Option<String>>(),
        title in any::<Option<String>>(),
        description in any::<Option<String>>(),
        email in any::<Option<String>>(),
        band in any::<Option<String>>(),
    ) {
        let mut raw = valid();
        if let Some(r) = raw.respondent.as_mut() {
            r.name = name;
            r.email = email;
            r.age_band = band;
        }
        raw.ideas = Some(vec![RawIdea { title, theme: None, description }]);
        let _ = Submission::parse(&raw, &rules());
    }

    #[test]
    fn accepted_text_is_trimmed_and_within_limits(description in "[a-z ]{1,80}") {
        let mut raw = valid();
        if let Some(ideas) = raw.ideas.as_mut() {
            ideas[0].description = Some(description.clone());
        }
        match Submission::parse(&raw, &rules()) {
            Ok(s) => {
                let d = s.ideas()[0].description();
                prop_assert_eq!(d, description.trim());
                prop_assert!(s.ideas()[0].words() <= 10);
            }
            Err(errors) => {
                prop_assert!(errors.iter().all(|e| e.pointer == "#/ideas/0/description"));
            }
        }
    }
}
