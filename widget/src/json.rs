//! A small JSON writer for the submission body and the saved draft.
//!
//! Only strings, booleans, null, arrays and objects are ever written, so this
//! stays a few lines and keeps float formatting out of the wasm (reading is
//! done by the browser's own `JSON.parse`, see `js`). A property test proves
//! the body equal to serde's for any submission: the wire shape is the rules
//! crate's serde derive, this is only a smaller way to write it.

use cfi_rules::{RawIdea, RawRespondent, RawSubmission};

/// Writes `text` as a JSON string literal.
pub fn string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn opt_string(out: &mut String, text: Option<&str>) {
    match text {
        Some(t) => string(out, t),
        None => out.push_str("null"),
    }
}

/// Writes an object from `(key, writer)` pairs.
struct Object<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Object<'a> {
    fn new(out: &'a mut String) -> Self {
        out.push('{');
        Object { out, first: true }
    }
    fn key(&mut self, key: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        string(self.out, key);
        self.out.push(':');
        self.out
    }
    fn str(&mut self, key: &str, value: Option<&str>) {
        let out = self.key(key);
        opt_string(out, value);
    }
    fn end(self) {
        self.out.push('}');
    }
}

fn respondent(out: &mut String, r: &RawRespondent) {
    let mut o = Object::new(out);
    o.str("capacity", r.capacity.as_deref());
    o.str("name", r.name.as_deref());
    o.str("organisation", r.organisation.as_deref());
    o.str("email", r.email.as_deref());
    let out = o.key("perspectives");
    match &r.perspectives {
        Some(list) => {
            out.push('[');
            for (i, p) in list.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(out, p);
            }
            out.push(']');
        }
        None => out.push_str("null"),
    }
    o.str("age_band", r.age_band.as_deref());
    o.end();
}

fn idea(out: &mut String, idea: &RawIdea) {
    let mut o = Object::new(out);
    o.str("title", idea.title.as_deref());
    o.str("theme", idea.theme.as_deref());
    o.str("description", idea.description.as_deref());
    o.end();
}

/// The body of `POST /api/calls/{call}/submissions`.
pub fn submission(raw: &RawSubmission) -> String {
    let mut out = String::with_capacity(512);
    let mut o = Object::new(&mut out);
    o.str("partner", raw.partner.as_deref());
    let w = o.key("respondent");
    match &raw.respondent {
        Some(r) => respondent(w, r),
        None => w.push_str("null"),
    }
    let w = o.key("ideas");
    match &raw.ideas {
        Some(list) => {
            w.push('[');
            for (i, one) in list.iter().enumerate() {
                if i > 0 {
                    w.push(',');
                }
                idea(w, one);
            }
            w.push(']');
        }
        None => w.push_str("null"),
    }
    o.str("publication", raw.publication.as_deref());
    let w = o.key("privacy_notice_read");
    w.push_str(match raw.privacy_notice_read {
        Some(true) => "true",
        Some(false) => "false",
        None => "null",
    });
    o.str("website", raw.website.as_deref());
    o.end();
    out
}

/// A JSON object of string fields plus one raw JSON value, for the saved
/// draft: `{"k1":"v1",...,"answers":<raw>}`.
pub fn object_with(fields: &[(&str, &str)], raw_key: &str, raw_json: &str) -> String {
    let mut out = String::with_capacity(raw_json.len() + 128);
    let mut o = Object::new(&mut out);
    for (k, v) in fields {
        o.str(k, Some(v));
    }
    o.key(raw_key).push_str(raw_json);
    o.end();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        let mut out = String::new();
        string(&mut out, "a\"b\\c\nd\u{1}e\u{2028}£🙂");
        assert_eq!(out, r#""a\"b\\c\nd\u0001e\u2028£🙂""#);
    }

    #[test]
    fn a_submission_is_the_api_body() {
        let raw = RawSubmission {
            partner: Some("become".into()),
            respondent: Some(RawRespondent {
                capacity: Some("individual".into()),
                name: Some("Sam".into()),
                organisation: None,
                email: None,
                perspectives: Some(vec!["foster_carer".into(), "other".into()]),
                age_band: Some("18_25".into()),
            }),
            ideas: Some(vec![RawIdea {
                title: Some("T".into()),
                theme: None,
                description: Some("D \"quoted\"".into()),
            }]),
            publication: Some("named".into()),
            privacy_notice_read: Some(true),
            website: Some(String::new()),
        };
        assert_eq!(
            submission(&raw),
            concat!(
                r#"{"partner":"become","respondent":{"capacity":"individual","name":"Sam","#,
                r#""organisation":null,"email":null,"perspectives":["foster_carer","other"],"#,
                r#""age_band":"18_25"},"ideas":[{"title":"T","theme":null,"#,
                r#""description":"D \"quoted\""}],"publication":"named","#,
                r#""privacy_notice_read":true,"website":""}"#
            )
        );
        assert_eq!(
            submission(&RawSubmission::default()),
            r#"{"partner":null,"respondent":null,"ideas":null,"publication":null,"privacy_notice_read":null,"website":null}"#
        );
    }

    #[test]
    fn object_with_embeds_raw_json() {
        assert_eq!(
            object_with(&[("v", "1"), ("key", "k")], "answers", "{}"),
            r#"{"v":"1","key":"k","answers":{}}"#
        );
    }

    // proptest and serde_json are host-only dev-dependencies.
    #[cfg(not(target_arch = "wasm32"))]
    mod against_serde {
        use super::super::submission;
        use cfi_rules::{RawIdea, RawRespondent, RawSubmission};
        use proptest::prelude::*;

        /// Any text, weighted towards what needs escaping.
        fn text() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<String>(),
                "[\"\\\n\r\t\u{0}-\u{1f}\u{7f}\u{2028}\u{2029}a-z🙂£ ]{0,12}",
            ]
        }

        fn opt_text() -> impl Strategy<Value = Option<String>> {
            proptest::option::of(text())
        }

        fn respondent() -> impl Strategy<Value = RawRespondent> {
            (
                opt_text(),
                opt_text(),
                opt_text(),
                opt_text(),
                proptest::option::of(proptest::collection::vec(text(), 0..4)),
                opt_text(),
            )
                .prop_map(
                    |(capacity, name, organisation, email, perspectives, age_band)| RawRespondent {
                        capacity,
                        name,
                        organisation,
                        email,
                        perspectives,
                        age_band,
                    },
                )
        }

        fn idea() -> impl Strategy<Value = RawIdea> {
            (opt_text(), opt_text(), opt_text()).prop_map(|(title, theme, description)| RawIdea {
                title,
                theme,
                description,
            })
        }

        fn raw() -> impl Strategy<Value = RawSubmission> {
            (
                opt_text(),
                proptest::option::of(respondent()),
                proptest::option::of(proptest::collection::vec(idea(), 0..4)),
                opt_text(),
                proptest::option::of(any::<bool>()),
                opt_text(),
            )
                .prop_map(
                    |(partner, respondent, ideas, publication, privacy_notice_read, website)| {
                        RawSubmission {
                            partner,
                            respondent,
                            ideas,
                            publication,
                            privacy_notice_read,
                            website,
                        }
                    },
                )
        }

        proptest! {
            #[test]
            fn the_hand_written_body_is_serdes_for_any_submission(raw in raw()) {
                let body = submission(&raw);
                let ours: serde_json::Value =
                    serde_json::from_str(&body).expect("the body is JSON");
                let serdes = serde_json::to_value(&raw).expect("serde writes it");
                prop_assert_eq!(ours, serdes);
                // And the server's reader gets back exactly what was written.
                let back: RawSubmission = serde_json::from_str(&body).expect("the server reads it");
                prop_assert_eq!(back, raw);
            }
        }
    }
}
