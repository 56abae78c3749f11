//! What every feature shares at the HTTP edge: which client a request counts
//! against, the problem type every error becomes, the HTML page frame and its headers, the CSV writer behind the
//! formula rule, and the `{name}.{ext}` file addresses of the exports.
//! Features use these; they never use one another's private helpers.

pub mod client;
pub mod csv;
pub mod extract;
pub mod html;
pub mod problem;

/// Splits `name.ext` into the name (a call id) and the format.
pub fn split_file(file: &str) -> (&str, Option<&str>) {
    match file.rsplit_once('.') {
        Some((name, ext)) => (name, Some(ext)),
        None => (file, None),
    }
}
