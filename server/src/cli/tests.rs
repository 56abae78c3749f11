use super::*;

#[test]
fn generated_submissions_are_valid_and_varied() {
    let text = include_str!("../../../demo/review.toml");
    let config = Config::from_toml(text, std::path::Path::new("demo/review.toml"), |_| None)
        .expect("demo config");
    let call = &config.calls[0];
    let rules = call.rules.clone();
    let mut rng = StdRng::seed_from_u64(7);
    let mut flagged = 0;
    let mut organisations = 0;
    let mut anonymous = 0;
    for _ in 0..300 {
        let raw = generate(&mut rng, call, &config);
        let submission = Submission::parse(&raw, &rules).expect("valid");
        flagged += usize::from(
            crate::safeguarding::find(&call.safeguarding_phrases, &submission).is_some(),
        );
        organisations += usize::from(submission.respondent().organisation().is_some());
        anonymous += usize::from(submission.publication() == cfi_rules::Publication::Anonymous);
    }
    assert!(flagged > 3, "{flagged}");
    assert!(organisations > 20, "{organisations}");
    assert!(anonymous > 60, "{anonymous}");
}
