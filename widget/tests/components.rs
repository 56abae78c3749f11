//! Component tests in a real browser:
//! `CHROMEDRIVER=/usr/bin/chromedriver wasm-pack test --headless --chrome widget`.
//!
//! The collection server is replaced by a `fetch` stub that answers the
//! call definition, so these tests exercise mounting, the shadow root, the
//! steps, validation messages, focus, the word count and device storage.
#![cfg(target_arch = "wasm32")]

use cfi_widget::{browser, draft::Draft, js};
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlTextAreaElement, ShadowRoot};

wasm_bindgen_test_configure!(run_in_browser);

const CALL: &str = r#"{
  "id": "test-call", "title": "Test call", "intro": "Tell us.",
  "opens": "2020-01-01T09:00:00+00:00", "closes": "2099-01-01T17:00:00+00:00",
  "opens_text": "9am on 1 January 2020 (UK time)", "closes_text": "5pm on 1 January 2099 (UK time)",
  "is_open": true, "status": "open",
  "limits": {"max_ideas": 2, "max_words": 5},
  "themes": [{"id": "leaving_care", "label": "Leaving care"}],
  "perspectives": [{"id": "foster_carer", "label": "Foster carer"}, {"id": "other", "label": "Other"}],
  "guidance": ["What will change?"],
  "privacy_notice_url": "https://example.org/privacy",
  "support": [{"name": "Childline", "phone": "0800 1111", "description": "For children."}]
}"#;

fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a document")
}

/// Replaces `fetch` with one that answers every request with `body`.
fn stub_fetch(status: u16, body: &str) {
    let f = Function::new_with_args(
        "status, body",
        "window.fetch = async () => new Response(body, {status, headers: {'Content-Type': 'application/json'}});",
    );
    f.call2(
        &JsValue::NULL,
        &JsValue::from(status),
        &JsValue::from_str(body),
    )
    .expect("stub installed");
}

/// Waits a little for the browser (timers, fetch, Leptos' effects).
async fn tick() {
    let p = Promise::new(&mut |resolve, _| {
        web_sys::window()
            .expect("window")
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 10)
            .expect("timer");
    });
    JsFuture::from(p).await.expect("tick");
}

/// Polls until `f` finds something, or fails after about two seconds.
async fn wait_for<T>(what: &str, f: impl Fn() -> Option<T>) -> T {
    for _ in 0..200 {
        if let Some(v) = f() {
            return v;
        }
        tick().await;
    }
    panic!("timed out waiting for {what}");
}

fn by_id(root: &ShadowRoot, id: &str) -> Option<Element> {
    root.get_element_by_id(id)
}

fn text(root: &ShadowRoot, id: &str) -> String {
    by_id(root, id)
        .and_then(|e| e.text_content())
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn click(root: &ShadowRoot, selector: &str) {
    root.query_selector(selector)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no {selector}"))
        .unchecked_into::<HtmlElement>()
        .click();
}

/// Clicks the button whose text is `label`.
fn click_button(root: &ShadowRoot, label: &str) {
    let buttons = root.query_selector_all("button").expect("buttons");
    for i in 0..buttons.length() {
        let b: HtmlElement = buttons.get(i).expect("button").unchecked_into();
        if b.text_content().unwrap_or_default().trim() == label {
            b.click();
            return;
        }
    }
    panic!("no button {label}");
}

fn focused_id(root: &ShadowRoot) -> String {
    root.active_element().map(|e| e.id()).unwrap_or_default()
}

fn type_into(root: &ShadowRoot, id: &str, value: &str) {
    let el = by_id(root, id).unwrap_or_else(|| panic!("no #{id}"));
    if let Some(input) = el.dyn_ref::<HtmlInputElement>() {
        input.set_value(value);
    } else if let Some(area) = el.dyn_ref::<HtmlTextAreaElement>() {
        area.set_value(value);
    }
    let event = web_sys::Event::new_with_event_init_dict("input", &{
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        init
    })
    .expect("event");
    el.dispatch_event(&event).expect("dispatched");
}

/// Mounts a widget in a fresh host and waits for the start step.
async fn mounted(partner: &str) -> (HtmlElement, ShadowRoot) {
    stub_fetch(200, CALL);
    let host: HtmlElement = document()
        .create_element("div")
        .expect("div")
        .unchecked_into();
    document()
        .body()
        .expect("body")
        .append_child(&host)
        .expect("appended");
    let ready = Promise::new(&mut |resolve, _| {
        host.add_event_listener_with_callback("cfi:ready", &resolve)
            .expect("listener");
    });
    cfi_widget::mount(
        host.clone(),
        "test-call".into(),
        Some(partner.into()),
        "http://api.invalid".into(),
        Some("#ffdd00".into()),
        None,
        None,
    )
    .expect("mounted");
    let root = host.shadow_root().expect("an open shadow root");
    JsFuture::from(ready).await.expect("cfi:ready");
    wait_for("the start step", || by_id(&root, "cfi-heading")).await;
    (host, root)
}

#[wasm_bindgen_test]
async fn mounts_in_an_open_shadow_root_and_shows_the_call() {
    let (host, root) = mounted("p1").await;
    assert_eq!(text(&root, "cfi-heading"), "Test call");
    let all = root.text_content().unwrap_or_default();
    assert!(all.contains("Send your ideas by 5pm on 1 January 2099 (UK time)."));
    assert!(all.contains("Childline"), "support is on the first step");
    // The form lives in the shadow root, not in the host page's DOM.
    assert!(
        host.query_selector("#cfi-heading")
            .expect("query")
            .is_none()
    );
    // The accent is kept readable: yellow buttons get dark text.
    let form = root
        .query_selector(".cfi")
        .ok()
        .flatten()
        .expect("the form root");
    let computed = web_sys::window()
        .expect("window")
        .get_computed_style(&form)
        .expect("style")
        .expect("computed style");
    let var = |name: &str| computed.get_property_value(name).unwrap_or_default();
    assert_eq!(var("--cfi-accent"), "#ffdd00");
    assert_eq!(var("--cfi-on-accent"), "#0b0c0c");
    assert!(
        form.get_attribute("style").is_none(),
        "no inline style attribute"
    );
}

#[wasm_bindgen_test]
async fn continuing_without_answers_shows_the_rules_errors_and_focuses_the_summary() {
    let (_host, root) = mounted("p2").await;
    click_button(&root, "Start now");
    wait_for("about you", || {
        (text(&root, "cfi-heading") == "About you").then_some(())
    })
    .await;
    wait_for("heading focus", || {
        (focused_id(&root) == "cfi-heading").then_some(())
    })
    .await;
    click_button(&root, "Continue");
    wait_for("the summary", || by_id(&root, "cfi-error-summary")).await;
    wait_for("summary focus", || {
        (focused_id(&root) == "cfi-error-summary").then_some(())
    })
    .await;
    let links = root
        .query_selector_all("#cfi-error-summary a")
        .expect("links");
    assert_eq!(links.length(), 3);
    assert_eq!(
        text(&root, "respondent-capacity-error"),
        "Error: Select whether you are answering as an individual or on behalf of an organisation"
    );
    // The summary's link moves focus to the field.
    click(&root, "#cfi-error-summary a");
    wait_for("field focus", || {
        (focused_id(&root) == "respondent-capacity").then_some(())
    })
    .await;
}

#[wasm_bindgen_test]
async fn answers_are_saved_on_every_change_and_the_word_count_is_live() {
    let (_host, root) = mounted("p3").await;
    click_button(&root, "Start now");
    wait_for("about you", || by_id(&root, "respondent-name")).await;
    click(&root, "#respondent-capacity");
    type_into(&root, "respondent-name", "Sam");
    click(&root, "#respondent-perspectives");
    click(&root, "#respondent-age_band-16_17");
    let key = "cfi-draft:test-call:p3";
    let saved = wait_for("the saved draft", || {
        browser::load(key).filter(|t| t.contains("16_17"))
    })
    .await;
    let draft = js::draft(&saved).expect("a draft");
    assert_eq!(draft.respondent().name.as_deref(), Some("Sam"));
    assert_eq!(
        draft.respondent().perspectives,
        Some(vec!["foster_carer".to_owned()])
    );
    click_button(&root, "Continue");
    wait_for("ideas", || by_id(&root, "ideas-0-description")).await;
    assert_eq!(
        text(&root, "ideas-0-description-count"),
        "You have 5 words remaining"
    );
    type_into(
        &root,
        "ideas-0-description",
        "one two three four five six seven",
    );
    wait_for("the count", || {
        (text(&root, "ideas-0-description-count") == "You have 2 words too many").then_some(())
    })
    .await;
    // Under 18: the publishing step says the ideas will be anonymous.
    type_into(&root, "ideas-0-title", "T");
    type_into(&root, "ideas-0-description", "one two");
    click_button(&root, "Continue");
    wait_for("publishing", || by_id(&root, "publication")).await;
    assert!(
        root.text_content()
            .unwrap_or_default()
            .contains("Because you are under 18, your ideas will be published anonymously")
    );
    // "Clear it" forgets the draft.
    click(&root, "#cfi-saved-status button");
    wait_for("start", || {
        (text(&root, "cfi-heading") == "Test call").then_some(())
    })
    .await;
    assert_eq!(browser::load(key), None);
}

#[wasm_bindgen_test]
async fn an_unknown_call_says_so_and_emits_cfi_error() {
    stub_fetch(404, r#"{"type": "/problems/not-found", "status": 404}"#);
    let host: HtmlElement = document()
        .create_element("div")
        .expect("div")
        .unchecked_into();
    document()
        .body()
        .expect("body")
        .append_child(&host)
        .expect("appended");
    let error = Promise::new(&mut |resolve, _| {
        host.add_event_listener_with_callback("cfi:error", &resolve)
            .expect("listener");
    });
    cfi_widget::mount(
        host.clone(),
        "nope".into(),
        None,
        "http://api.invalid".into(),
        None,
        None,
        None,
    )
    .expect("mounted");
    let event = JsFuture::from(error).await.expect("cfi:error");
    let detail = Reflect::get(&event, &"detail".into()).expect("detail");
    assert_eq!(js::string(&detail, "kind").as_deref(), Some("load"));
    let root = host.shadow_root().expect("shadow root");
    wait_for("the message", || {
        root.text_content()
            .filter(|t| t.contains("could not be found"))
    })
    .await;
}

#[wasm_bindgen_test]
fn the_call_definition_is_read_without_serde() {
    let def = js::call_definition(&js::parse(CALL)).expect("a definition");
    assert_eq!(def.limits.max_ideas, 2);
    assert_eq!(def.limits.max_words, 5);
    assert_eq!(def.perspectives.len(), 2);
    assert_eq!(def.support[0].phone.as_deref(), Some("0800 1111"));
    assert_eq!(def.support[0].url, None);
    assert!(js::call_definition(&js::parse("{\"title\": 1}")).is_none());
}

#[wasm_bindgen_test]
fn a_saved_draft_round_trips() {
    let mut d = Draft::new(browser::new_uuid());
    d.respondent_mut().name = Some("Zoë \"quoted\"\nnew line".into());
    d.ideas_mut()[0].description = Some("🙂 emoji".into());
    d.answers.privacy_notice_read = Some(true);
    d.step = cfi_widget::draft::Step::Publishing;
    let back = js::draft(&browser::draft_text(&d)).expect("parsed");
    assert_eq!(back, d);
    assert_eq!(d.key.len(), 36);
    assert_ne!(browser::new_uuid(), d.key);
    assert!(js::draft("not json").is_none());
}

#[wasm_bindgen_test]
fn unknown_values_in_the_call_definition_are_errors_not_defaults() {
    let with = |field: &str| js::parse(&CALL.replacen('{', &format!("{{{field},"), 1));
    let closed = CALL.replace("\"status\": \"open\"", "\"status\": \"closed\"");
    assert!(js::call_definition(&js::parse(&closed)).is_some());
    let unknown = CALL.replace("\"status\": \"open\"", "\"status\": \"paused\"");
    assert!(js::call_definition(&js::parse(&unknown)).is_none());
    // Absent presentation fields: English, left to right.
    let read = |json: &JsValue| js::call_definition(json).expect("readable");
    let call = read(&js::parse(CALL));
    assert_eq!((call.lang.as_str(), call.dir.as_str()), ("en", "ltr"));
    let call = read(&with(r#""lang": "cy", "dir": "rtl""#));
    assert_eq!((call.lang.as_str(), call.dir.as_str()), ("cy", "rtl"));
    assert!(js::call_definition(&with(r#""dir": "sideways""#)).is_none());
    assert!(js::call_definition(&with(r#""lang": "\"><b>""#)).is_none());
    assert!(js::call_definition(&with(r#""page_url": "javascript:alert(1)""#)).is_none());
}

#[wasm_bindgen_test]
async fn the_word_count_is_announced_only_once_typing_pauses() {
    let (_host, root) = mounted("p4").await;
    click_button(&root, "Start now");
    wait_for("about you", || by_id(&root, "respondent-name")).await;
    click(&root, "#respondent-capacity");
    type_into(&root, "respondent-name", "Sam");
    click(&root, "#respondent-perspectives");
    click(&root, "#respondent-age_band-18_25");
    click_button(&root, "Continue");
    wait_for("ideas", || by_id(&root, "ideas-0-description")).await;
    let visible = "ideas-0-description-count";
    let live = "ideas-0-description-status";
    assert_eq!(text(&root, live), "You have 5 words remaining");
    assert_eq!(
        by_id(&root, live).and_then(|e| e.get_attribute("aria-live")),
        Some("polite".into())
    );
    assert_eq!(
        by_id(&root, visible).and_then(|e| e.get_attribute("aria-hidden")),
        Some("true".into()),
        "the visible count is not read twice"
    );
    // Key presses in quick succession: the visible count follows at once,
    // the announcement waits.
    for words in ["one", "one two", "one two three"] {
        type_into(&root, "ideas-0-description", words);
        tick().await;
    }
    wait_for("the visible count", || {
        (text(&root, visible) == "You have 2 words remaining").then_some(())
    })
    .await;
    assert_eq!(text(&root, live), "You have 5 words remaining");
    // After the pause, the last count only.
    for _ in 0..15 {
        tick().await;
    }
    wait_for("the announcement", || {
        (text(&root, live) == "You have 2 words remaining").then_some(())
    })
    .await;
}

#[wasm_bindgen_test]
fn a_422_keeps_each_errors_code_and_an_unknown_code_is_not_guessed() {
    let problem = |code: &str| {
        js::parse(&format!(
            r##"{{"type": "/problems/validation", "errors": [
                {{"pointer": "#/ideas/0/title", "code": "{code}", "detail": "Too long."}}]}}"##
        ))
    };
    let errors = js::field_errors(&problem("too_long")).expect("readable");
    assert_eq!(errors[0].code, cfi_rules::ErrorCode::TooLong);
    assert_eq!(errors[0].pointer, "#/ideas/0/title");
    assert!(js::field_errors(&problem("too_shiny")).is_none());
    assert!(js::field_errors(&js::parse(r#"{"type": "/problems/validation"}"#)).is_none());
}

#[wasm_bindgen_test]
async fn shows_the_definition_the_loader_already_fetched() {
    // Any fetch of its own would get the other title.
    stub_fetch(200, CALL);
    let fetched: Promise = Function::new_with_args(
        "body",
        "return Promise.resolve(new Response(body.replace('Test call', 'Fetched early'), {status: 200}));",
    )
    .call1(&JsValue::NULL, &JsValue::from_str(CALL))
    .expect("a promise")
    .unchecked_into();
    let host: HtmlElement = document()
        .create_element("div")
        .expect("div")
        .unchecked_into();
    document()
        .body()
        .expect("body")
        .append_child(&host)
        .expect("appended");
    cfi_widget::mount(
        host.clone(),
        "test-call".into(),
        None,
        "http://api.invalid".into(),
        None,
        None,
        Some(fetched),
    )
    .expect("mounted");
    let root = host.shadow_root().expect("an open shadow root");
    wait_for("the start step", || by_id(&root, "cfi-heading")).await;
    assert_eq!(text(&root, "cfi-heading"), "Fetched early");
    host.remove();
}
