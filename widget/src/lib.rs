//! The Call for Ideas form that partner charities embed with one script tag.
//!
//! Pure logic lives in modules that compile and are unit-tested on any target:
//! [`contrast`] (brand colours kept readable), [`draft`] (the answers and
//! per-step validation with the shared rules), [`json`] (the request body) and
//! [`retry`] (what to do with each answer from the server). The browser parts
//! are [`js`] (reading JSON through the browser), [`browser`] (storage, fetch,
//! events) and [`ui`] (the Leptos components); [`mount`] is the entry point
//! the loader calls.
//!
//! No string ever becomes HTML: pages that enforce Trusted Types
//! (`require-trusted-types-for 'script'`) block every such assignment, and
//! the form must still work there. Every element is made with DOM calls (see
//! [`markup`]), and a remount removes the old nodes one by one.

pub mod browser;
pub mod contrast;
pub mod draft;
pub mod js;
pub mod json;
pub mod markup;
pub mod messages;
pub mod retry;
pub mod ui;

use cfi_rules::wire;
use markup::view;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, ShadowRootInit, ShadowRootMode};

/// Mounts the form in `host`: an open shadow root holds the stylesheet and
/// the form, so the host page's CSS cannot reach it. Called by `embed.js`
/// once per widget on the page; calling it again on the same host replaces
/// the form.
///
/// - `call`: the call id (`data-call`);
/// - `partner`: the partner id (`data-partner`), absent on the review's site;
/// - `api_base`: the collection server's origin;
/// - `accent`: the partner's colour (`data-accent`), kept readable;
/// - `css_url`: the versioned stylesheet;
/// - `definition`: the loader's `fetch` of the call's definition, started
///   with the wasm download; absent, the widget fetches it.
#[wasm_bindgen]
pub fn mount(
    host: HtmlElement,
    call: String,
    partner: Option<String>,
    api_base: String,
    accent: Option<String>,
    css_url: Option<String>,
    definition: Option<js_sys::Promise>,
) -> Result<(), JsValue> {
    let document = host
        .owner_document()
        .ok_or_else(|| JsValue::from_str("the host element is not in a document"))?;
    // The loader may have drawn the first screen already (`#cfi-first`, with
    // the stylesheet): it stays until the form has rendered the same screen,
    // then the form takes its place (see `ui::take_over`).
    let mut has_css = false;
    let root = match host.shadow_root() {
        Some(root) => {
            // Not `innerHTML = ""`: Trusted Types forbid even that.
            let mut next = root.first_child();
            while let Some(child) = next {
                next = child.next_sibling();
                let keep = match child.dyn_ref::<web_sys::Element>() {
                    Some(e) if e.id() == ui::FIRST_SCREEN_ID => true,
                    Some(e) if e.tag_name() == "LINK" && !has_css => {
                        has_css = e.get_attribute("href") == css_url;
                        has_css
                    }
                    _ => false,
                };
                if !keep {
                    root.remove_child(&child)?;
                }
            }
            root
        }
        None => host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?,
    };
    if let Some(href) = css_url.filter(|_| !has_css) {
        let link = document.create_element("link")?;
        link.set_attribute("rel", "stylesheet")?;
        link.set_attribute("href", &href)?;
        root.append_child(&link)?;
    }
    let container: HtmlElement = document.create_element("div")?.dyn_into()?;
    // The partner's colours, kept readable; the form inherits them.
    let style = container.style();
    for (name, value) in contrast::Theme::from_accent(accent.as_deref()).css_variables() {
        style.set_property(name, &value)?;
    }
    // The widget's own text is English, left to right, whatever the host
    // page's language and direction; the call definition may say otherwise.
    container.set_attribute("lang", wire::DEFAULT_LANG)?;
    container.set_attribute("dir", wire::TextDirection::Ltr.as_str())?;
    // Hidden while the loader's first screen shows.
    container.set_hidden(root.get_element_by_id(ui::FIRST_SCREEN_ID).is_some());
    root.append_child(&container)?;
    let partner = partner.filter(|p| !p.is_empty());
    let slot = browser::widget_slot(&document, &host, &call, partner.as_deref());
    let config = ui::Config {
        call,
        partner,
        api_base,
        accent,
        page_url: None,
        slot,
    };
    let container_handle = container.clone();
    leptos::mount::mount_to(container, move || {
        view! { <ui::App config=config host=host root=root container=container_handle fetched=definition /> }
    })
    .forget();
    Ok(())
}
