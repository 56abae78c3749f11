//! The browser APIs the widget uses: device storage, the network, random
//! keys, timers and events on the host element. Every call tolerates a
//! browser that refuses (storage disabled, offline): the form keeps working.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CustomEvent, CustomEventInit, HtmlElement, Request, RequestInit, Response, Storage};

use crate::draft::Draft;
use crate::json;

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

/// `localStorage`, if the browser lets this page use it.
fn storage() -> Option<Storage> {
    window()?.local_storage().ok().flatten()
}

pub fn load(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

/// Stores a value; false if the device refused (full, or storage disabled).
pub fn store(key: &str, value: &str) -> bool {
    storage().is_some_and(|s| s.set_item(key, value).is_ok())
}

pub fn remove(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}

/// The draft as saved on the device.
pub fn draft_text(draft: &Draft) -> String {
    json::object_with(
        &[
            ("v", "1"),
            ("key", &draft.key),
            ("step", draft.step.as_str()),
        ],
        "answers",
        &json::submission(&draft.answers),
    )
}

/// Saves the draft under `key`; false if the device refused.
pub fn save_draft(key: &str, draft: &Draft) -> bool {
    store(key, &draft_text(draft))
}

pub fn load_draft(key: &str) -> Option<Draft> {
    crate::js::draft(&load(key)?)
}

/// A new random (version 4) UUID for an idempotency key.
pub fn new_uuid() -> String {
    if let Some(crypto) = window().and_then(|w| w.crypto().ok()) {
        let has_random_uuid =
            js_sys::Reflect::has(&crypto, &JsValue::from_str("randomUUID")).unwrap_or(false);
        if has_random_uuid {
            return crypto.random_uuid();
        }
        // randomUUID needs a secure context; plain-HTTP pages get the same
        // format from getRandomValues.
        let mut bytes = [0u8; 16];
        if crypto.get_random_values_with_u8_array(&mut bytes).is_ok() {
            return uuid_from_bytes(bytes);
        }
    }
    let mut bytes = [0u8; 16];
    for b in &mut bytes {
        *b = (js_sys::Math::random() * 256.0) as u8;
    }
    uuid_from_bytes(bytes)
}

/// Formats 16 random bytes as a version 4, variant 1 UUID.
pub fn uuid_from_bytes(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        const HEX: &[u8; 16] = b"0123456789abcdef";
        out.push(HEX[usize::from(byte >> 4)] as char);
        out.push(HEX[usize::from(byte & 15)] as char);
    }
    out
}

/// An answer from the server.
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    /// The parsed JSON body, or undefined.
    pub body: JsValue,
}

/// Sends a request; `Err` when no answer came (offline, connection dropped,
/// refused by CORS).
pub async fn request(
    url: &str,
    method: &str,
    body: Option<&str>,
    idempotency_key: Option<&str>,
) -> Result<Answer, JsValue> {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_mode(web_sys::RequestMode::Cors);
    let request = match body {
        Some(body) => {
            init.set_body(&JsValue::from_str(body));
            let r = Request::new_with_str_and_init(url, &init)?;
            r.headers().set("Content-Type", "application/json")?;
            if let Some(key) = idempotency_key {
                r.headers().set("Idempotency-Key", key)?;
            }
            r
        }
        None => Request::new_with_str_and_init(url, &init)?,
    };
    let window = window().ok_or(JsValue::NULL)?;
    read(window.fetch_with_request(&request)).await
}

/// Reads the answer a `fetch` promise resolves with (the loader may have
/// started the request before the widget ran); `Err` when no answer came.
pub async fn read(fetched: Promise) -> Result<Answer, JsValue> {
    let response: Response = JsFuture::from(fetched).await?.dyn_into()?;
    let retry_after = response.headers().get("Retry-After").ok().flatten();
    let text = match response.text() {
        Ok(p) => JsFuture::from(p).await?.as_string().unwrap_or_default(),
        Err(_) => String::new(),
    };
    Ok(Answer {
        status: response.status(),
        retry_after,
        body: crate::js::parse(&text),
    })
}

/// Dispatches `name` on the host element, bubbling out of the shadow root.
pub fn dispatch(host: &HtmlElement, name: &str, detail: &JsValue) {
    let init = CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(detail);
    if let Ok(event) = CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = host.dispatch_event(&event);
    }
}

/// `{key: value}` as a JS object, for event details.
pub fn detail(pairs: &[(&str, &str)]) -> JsValue {
    let obj = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = js_sys::Reflect::set(&obj, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    obj.into()
}

/// A wait that ends after a delay or as soon as [`Waker::wake`] is called
/// (the person pressed "Try again now").
#[derive(Clone, Default)]
pub struct Waker(Rc<RefCell<Option<Function>>>);

impl Waker {
    /// Ends the current wait, if any.
    pub fn wake(&self) {
        if let Some(resolve) = self.0.borrow_mut().take() {
            let _ = resolve.call0(&JsValue::NULL);
        }
    }

    /// Waits `ms` milliseconds or until woken.
    pub async fn sleep(&self, ms: u32) {
        let slot = self.0.clone();
        let promise = Promise::new(&mut |resolve: Function, _reject: Function| {
            if let Some(w) = window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                    &resolve,
                    i32::try_from(ms).unwrap_or(i32::MAX),
                );
            }
            *slot.borrow_mut() = Some(resolve);
        });
        let _ = JsFuture::from(promise).await;
        self.0.borrow_mut().take();
    }
}

/// The place of the widget in `host` among the page's embed tags for the
/// same call and partner, in document order (0 if it was not placed by a
/// tag): stable across reloads, whichever widget scrolls into view first.
/// A tag's host is its `data-target`, else the element right after it (where
/// the loader puts one).
pub fn widget_slot(
    document: &web_sys::Document,
    host: &HtmlElement,
    call: &str,
    partner: Option<&str>,
) -> usize {
    let Ok(tags) = document.query_selector_all("script[data-call]") else {
        return 0;
    };
    let attr = |el: &web_sys::Element, name: &str| {
        el.get_attribute(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let mut slot = 0;
    for i in 0..tags.length() {
        let Some(tag) = tags
            .item(i)
            .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
        else {
            continue;
        };
        if attr(&tag, "data-call").as_deref() != Some(call)
            || attr(&tag, "data-partner").as_deref() != partner
        {
            continue;
        }
        let tag_host = match attr(&tag, "data-target") {
            Some(selector) => document.query_selector(&selector).ok().flatten(),
            None => tag.next_element_sibling(),
        };
        if tag_host.is_some_and(|h| h.is_same_node(Some(host))) {
            return slot;
        }
        slot += 1;
    }
    0
}

/// Runs `f` once, after `ms` milliseconds.
pub fn after_ms(ms: u32, f: impl FnOnce() + 'static) {
    let cb = Closure::once_into_js(f);
    if let Some(w) = window() {
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
            cb.unchecked_ref(),
            i32::try_from(ms).unwrap_or(i32::MAX),
        );
    }
}

/// Resolves in a later task, so the browser can handle input and paint in
/// between: the first screen is built in a few short tasks, not one long one.
pub async fn next_task() {
    let promise = Promise::new(&mut |resolve, _| match window() {
        Some(w) => {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
        None => {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Runs `f` on the next animation frame (after Leptos has updated the DOM).
pub fn after_render(f: impl FnOnce() + 'static) {
    let cb = Closure::once_into_js(f);
    if let Some(w) = window() {
        let _ = w.request_animation_frame(cb.unchecked_ref());
    }
}

#[cfg(test)]
mod tests {
    use super::uuid_from_bytes;

    #[test]
    fn uuids_are_version_4() {
        let u = uuid_from_bytes([0xff; 16]);
        assert_eq!(u, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        let z = uuid_from_bytes([0; 16]);
        assert_eq!(z, "00000000-0000-4000-8000-000000000000");
    }
}
