//! The steps after the first screen, loaded while the person reads it.
//!
//! The first screen (the call's intro and "Start now", or its closed window)
//! is in the main wasm. Every later step, the check page, sending and its
//! retries, and the validation they call are reached only through
//! [`renderer`], a split point: `scripts/build-widget.sh` runs wasm-split on
//! the compiled wasm, which moves all code reachable only from here into a
//! second wasm file fetched on demand (with the `split` feature, which only that build turns on: without the
//! tool the code stays in the main wasm and [`renderer`] answers at once).
//!
//! The form asks for it when the page is idle after the first screen shows,
//! so a person who moves on rarely waits; if they do, they see that the next
//! part is loading. A failed download changes nothing in the answers (they
//! live in the draft, saved as before): the form says what happened and
//! offers to try again, and the next attempt starts afresh.

use leptos::prelude::*;

use super::Ctx;
use super::steps;
use crate::browser;
use crate::draft::Step;
use crate::markup::view;
use crate::messages;

/// Builds the view of a later step; its code lives in the later chunk.
pub type Render = fn(Ctx, Step) -> AnyView;

/// Where the later chunk is for this form.
#[derive(Clone, Copy)]
pub enum Later {
    /// Not asked for yet, or a quiet prefetch failed (asked again when needed).
    Idle,
    Loading,
    /// The person needs it and it could not be loaded.
    Failed,
    Ready(Render),
}

/// A later chunk that did not arrive.
pub struct ChunkError;

#[cfg(feature = "split")]
impl From<leptos::wasm_split::SplitLoaderError> for ChunkError {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        Self
    }
}

/// The split point: its body (and all it reaches) is in the later chunk,
/// and calling it downloads that chunk first.
#[cfg(feature = "split")]
#[leptos::wasm_split::wasm_split(later, wasm_split_path = ::leptos::wasm_split, fallible)]
fn renderer() -> Result<Render, ChunkError> {
    Ok(render)
}

/// Built without the split tool: everything is in the main wasm already.
#[cfg(not(feature = "split"))]
async fn renderer() -> Result<Render, ChunkError> {
    Ok(render)
}

fn render(ctx: Ctx, step: Step) -> AnyView {
    match step {
        Step::AboutYou => view! { <steps::AboutYou ctx=ctx /> }.into_any(),
        Step::Ideas => view! { <steps::Ideas ctx=ctx /> }.into_any(),
        Step::Publishing => view! { <steps::Publishing ctx=ctx /> }.into_any(),
        Step::Check => view! { <steps::Check ctx=ctx /> }.into_any(),
        Step::Done => view! { <steps::Done ctx=ctx /> }.into_any(),
        // Shown by the main wasm; never asked of the chunk.
        Step::Start => ().into_any(),
    }
}

/// Asks for the later chunk unless it is here or on its way. `quiet` (a
/// prefetch): a failure is not shown, the next need tries again.
pub fn fetch(ctx: Ctx, quiet: bool) {
    // A failure shown stays until the person asks again ("Try again").
    let state = ctx.later.get_untracked();
    if matches!(state, Later::Loading | Later::Ready(_))
        || (quiet && matches!(state, Later::Failed))
    {
        return;
    }
    ctx.later.set(Later::Loading);
    leptos::task::spawn_local(async move {
        let next = match renderer().await {
            Ok(render) => Later::Ready(render),
            Err(ChunkError) if quiet => Later::Idle,
            Err(ChunkError) => Later::Failed,
        };
        // A quiet failure while the person moved on is no longer quiet.
        let next = if matches!(next, Later::Idle) && ctx.step.get_untracked() != Step::Start {
            Later::Failed
        } else {
            next
        };
        if matches!(next, Later::Failed) {
            ctx.emit(
                "cfi:error",
                &browser::detail(&[
                    ("kind", "load"),
                    ("code", "chunk"),
                    ("message", messages::LATER_NOT_LOADED),
                ]),
            );
        }
        ctx.later.set(next);
        // The person is waiting on a later step: it is here now.
        if matches!(next, Later::Ready(_)) && ctx.step.get_untracked() != Step::Start {
            ctx.focus("cfi-heading".into());
        }
    });
}

/// A later step: its view once the chunk is here, until then what is
/// happening, and after a failure what to do.
pub fn step_view(ctx: Ctx, step: Step) -> AnyView {
    match ctx.later.get() {
        Later::Ready(render) => render(ctx, step),
        Later::Idle | Later::Loading => view! {
            <p class="cfi-body" role="status" id="cfi-later-status">{messages::LATER_LOADING}</p>
        }
        .into_any(),
        Later::Failed => view! {
            <div class="cfi-error-summary" role="alert" id="cfi-later-error">
                <h2 class="cfi-heading-m">"Sorry, there is a problem"</h2>
                <p class="cfi-body">{messages::LATER_NOT_LOADED}</p>
                <button
                    type="button"
                    class="cfi-button"
                    id="cfi-later-retry"
                    on:click=move |_| fetch(ctx, false)
                >
                    "Try again"
                </button>
            </div>
        }
        .into_any(),
    }
}
