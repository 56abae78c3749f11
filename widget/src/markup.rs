//! The widget's `view!`: Leptos's, minus its one string-to-HTML path.
//!
//! For a static subtree, `leptos::view!` normally emits an "inert element",
//! built by assigning its HTML to a `<template>`'s `innerHTML`. Pages that
//! enforce Trusted Types block that assignment, and the form would not
//! appear. A view with a global class is built node by node instead
//! (leptos_macro turns inert elements off for it), so this `view!` adds
//! `cfi-n`, a class with no style, to every element. Every module that
//! builds views imports it (`use crate::markup::view;`), which shadows the
//! prelude's; a test below checks that none forgets.

/// `leptos::view!` with inert elements turned off (see the module's doc).
macro_rules! view {
    ($($tokens:tt)*) => {
        ::leptos::view! { class = "cfi-n", $($tokens)* }
    };
}

pub(crate) use view;

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).expect("the source folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                out.push((path.display().to_string(), text));
            }
        }
    }

    #[test]
    fn every_module_with_views_uses_the_markup_view() {
        let mut files = Vec::new();
        sources(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let with_views: Vec<_> = files
            .iter()
            .filter(|(path, text)| text.contains("view! {") && !path.ends_with("markup.rs"))
            .collect();
        assert!(with_views.len() >= 4, "the ui modules build views");
        for (path, text) in with_views {
            assert!(
                text.contains("use crate::markup::view;") || text.contains("use markup::view;"),
                "{path} builds views with the prelude's view!, which writes HTML strings"
            );
        }
    }
}
