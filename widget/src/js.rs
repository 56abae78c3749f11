//! Reading JSON through the browser's own `JSON.parse` and `Reflect`, which
//! keeps a JSON parser (and its float code) out of the wasm.

use cfi_rules::wire::{DEFAULT_LANG, TextDirection, is_language_tag};
use cfi_rules::{
    CallDefinition, CallStatus, Choice, ErrorCode, FieldError, Limits, RawIdea, RawRespondent,
    RawSubmission, SupportLine,
};
use js_sys::{Array, JSON, Reflect};
use wasm_bindgen::JsValue;

use crate::draft::{Draft, Step};

/// `obj[key]`, or undefined.
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    if !obj.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[key]` as text, if it is a string.
pub fn string(obj: &JsValue, key: &str) -> Option<String> {
    get(obj, key).as_string()
}

fn string_or_empty(obj: &JsValue, key: &str) -> String {
    string(obj, key).unwrap_or_default()
}

/// `obj[key]` as an array (empty if it is not one).
pub fn array(obj: &JsValue, key: &str) -> Vec<JsValue> {
    let value = get(obj, key);
    if Array::is_array(&value) {
        Array::from(&value).iter().collect()
    } else {
        Vec::new()
    }
}

fn strings(obj: &JsValue, key: &str) -> Option<Vec<String>> {
    let value = get(obj, key);
    Array::is_array(&value).then(|| {
        Array::from(&value)
            .iter()
            .filter_map(|v| v.as_string())
            .collect()
    })
}

fn usize_or(obj: &JsValue, key: &str, default: usize) -> usize {
    match get(obj, key).as_f64() {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n < 1e9 => n as usize,
        _ => default,
    }
}

/// Parses JSON text, or undefined if it is not JSON.
pub fn parse(text: &str) -> JsValue {
    JSON::parse(text).unwrap_or(JsValue::UNDEFINED)
}

fn choices(obj: &JsValue, key: &str) -> Vec<Choice> {
    array(obj, key)
        .iter()
        .filter_map(|c| Some(Choice::new(&string(c, "id")?, &string(c, "label")?)))
        .collect()
}

/// The call definition from `GET /api/calls/{call}`; `None` if the answer is
/// not one.
pub fn call_definition(value: &JsValue) -> Option<CallDefinition> {
    let limits = get(value, "limits");
    let defaults = Limits::default();
    // An unknown status is an unreadable definition, never "open".
    let status = match string(value, "status")?.as_str() {
        "not_yet_open" => CallStatus::NotYetOpen,
        "open" => CallStatus::Open,
        "closed" => CallStatus::Closed,
        _ => return None,
    };
    let (lang, dir, page_url) = presentation(value)?;
    Some(CallDefinition {
        id: string(value, "id")?,
        title: string(value, "title")?,
        intro: string_or_empty(value, "intro"),
        opens: string_or_empty(value, "opens"),
        closes: string_or_empty(value, "closes"),
        opens_text: string_or_empty(value, "opens_text"),
        closes_text: string_or_empty(value, "closes_text"),
        is_open: get(value, "is_open").as_bool().unwrap_or(false),
        status,
        limits: Limits {
            max_ideas: usize_or(&limits, "max_ideas", defaults.max_ideas).max(1),
            max_words: usize_or(&limits, "max_words", defaults.max_words).max(1),
        },
        themes: choices(value, "themes"),
        perspectives: choices(value, "perspectives"),
        guidance: strings(value, "guidance").unwrap_or_default(),
        privacy_notice_url: string_or_empty(value, "privacy_notice_url"),
        support: array(value, "support")
            .iter()
            .filter_map(|s| {
                Some(SupportLine {
                    name: string(s, "name")?,
                    phone: string(s, "phone"),
                    url: string(s, "url"),
                    description: string_or_empty(s, "description"),
                })
            })
            .collect(),
        lang,
        dir,
        page_url,
    })
}

/// The definition's optional presentation fields (`lang`, `dir`,
/// `page_url`): absent ones take their defaults; present but unknown ones
/// (`dir: "sideways"`, a `lang` that is not a language tag, a `page_url`
/// that is not http(s)) make the definition unreadable.
fn presentation(value: &JsValue) -> Option<(String, TextDirection, Option<String>)> {
    let lang = match get(value, "lang") {
        v if v.is_undefined() || v.is_null() => DEFAULT_LANG.to_owned(),
        v => v.as_string().filter(|l| is_language_tag(l))?,
    };
    let dir = match get(value, "dir") {
        v if v.is_undefined() || v.is_null() => TextDirection::Ltr,
        v => TextDirection::from_wire(&v.as_string()?)?,
    };
    let page_url = match string(value, "page_url") {
        None => None,
        Some(u) if u.starts_with("https://") || u.starts_with("http://") => Some(u),
        Some(_) => return None,
    };
    Some((lang, dir, page_url))
}

/// The `errors` of a 422 problem, each with its code; `None` if the problem
/// has none, or one this version cannot read (an unknown code included):
/// the widget then says the answers were refused rather than guessing.
pub fn field_errors(problem: &JsValue) -> Option<Vec<FieldError>> {
    let errors = array(problem, "errors");
    if errors.is_empty() {
        return None;
    }
    errors
        .iter()
        .map(|e| {
            Some(FieldError::new(
                string(e, "pointer")?,
                ErrorCode::from_wire(&string(e, "code")?)?,
                string(e, "detail")?,
            ))
        })
        .collect()
}

/// A saved draft, as written by [`crate::browser::save_draft`].
pub fn draft(text: &str) -> Option<Draft> {
    let value = parse(text);
    let key = string(&value, "key").filter(|k| !k.is_empty())?;
    let step = string(&value, "step")
        .as_deref()
        .and_then(Step::from_name)
        .unwrap_or(Step::Start);
    let a = get(&value, "answers");
    let r = get(&a, "respondent");
    let answers = RawSubmission {
        partner: None,
        respondent: Some(RawRespondent {
            capacity: string(&r, "capacity"),
            name: string(&r, "name"),
            organisation: string(&r, "organisation"),
            email: string(&r, "email"),
            perspectives: strings(&r, "perspectives"),
            age_band: string(&r, "age_band"),
        }),
        ideas: Some(
            array(&a, "ideas")
                .iter()
                .map(|i| RawIdea {
                    title: string(i, "title"),
                    theme: string(i, "theme"),
                    description: string(i, "description"),
                })
                .collect(),
        ),
        publication: string(&a, "publication"),
        privacy_notice_read: get(&a, "privacy_notice_read").as_bool(),
        website: None,
    };
    Some(Draft { key, step, answers }.normalised())
}
