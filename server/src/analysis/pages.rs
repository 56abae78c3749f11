//! The codebook's staff pages.

pub fn router() -> crate::Router<crate::AppState> {
    crate::Router::new()
}
