//! Server-rendered HTML for the admin and published pages: plain strings, and
//! one escape function every piece of stored or requested text goes through.

use std::fmt::Write as _;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// Pages with no scripts at all: even if some markup got through, it could
/// not run.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A staff or partner HTML page with headers that keep it private and inert.
pub fn private_page(html: String) -> Response {
    let mut response = html.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a URL query value.
pub fn query_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Text with the byte `ranges` wrapped in `<mark>`, all escaped.
pub fn highlighted(text: &str, ranges: &[std::ops::Range<usize>]) -> String {
    let mut out = String::new();
    let mut at = 0;
    for range in ranges {
        if range.start < at || range.end > text.len() {
            continue;
        }
        out.push_str(&escape(&text[at..range.start]));
        out.push_str("<mark>");
        out.push_str(&escape(&text[range.clone()]));
        out.push_str("</mark>");
        at = range.end;
    }
    out.push_str(&escape(&text[at..]));
    out
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Arial,sans-serif;margin:0;color:#0b0c0c;line-height:1.5}\
a{color:#1d70b8}a:focus,button:focus,input:focus,select:focus,textarea:focus,summary:focus{outline:3px solid #fd0;outline-offset:0;box-shadow:0 4px #0b0c0c}\
.skip{position:absolute;left:-9999px}.skip:focus{left:1rem;top:1rem;background:#fd0;padding:.5rem;z-index:9}\
header{background:#0b0c0c;color:#fff;padding:.75rem 1rem}header a{color:#fff}header nav a{margin-right:1rem}\
main{padding:1rem;max-width:80rem}table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #b1b4b6;padding:.4rem;text-align:left;vertical-align:top}\
mark{background:#fd0;color:#0b0c0c;font-weight:bold}.flag{border-left:6px solid #d4351c;padding-left:.75rem}\
.tag{display:inline-block;padding:0 .4rem;background:#d4351c;color:#fff;font-weight:bold}.tag.ok{background:#00703c}.tag.grey{background:#505a5f}\
label{display:block;font-weight:bold;margin-top:.5rem}input,select,textarea,button{font:inherit}button{background:#00703c;color:#fff;border:0;padding:.4rem .9rem;margin-top:.5rem;cursor:pointer}\
button.warning{background:#d4351c}.filters{display:flex;flex-wrap:wrap;gap:0 1rem}.idea{border:1px solid #b1b4b6;padding:.5rem 1rem;margin:1rem 0}\
.description{white-space:pre-wrap}dt{font-weight:bold}dd{margin:0 0 .5rem 0}";

/// A whole page: skip link, header with navigation, one `<main>`.
pub fn page(title: &str, nav: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en-GB\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"same-origin\">\
         <title>{title} – Call for Ideas</title><style>{STYLE}</style></head><body>\
         <a class=\"skip\" href=\"#main\">Skip to main content</a>\
         <header><strong>Call for Ideas</strong>{nav}</header>\
         <main id=\"main\" tabindex=\"-1\">{body}</main></body></html>",
        title = escape(title),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }

    #[test]
    fn highlights_are_escaped_too() {
        assert_eq!(
            highlighted("a <b> c", &[std::ops::Range { start: 2, end: 5 }]),
            "a <mark>&lt;b&gt;</mark> c"
        );
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(query_value("a b&c=é"), "a%20b%26c%3D%C3%A9");
    }
}
