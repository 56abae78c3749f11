use super::*;

#[test]
fn compares_whole_slices() {
    assert!(constant_time_eq(b"abc", b"abc"));
    assert!(!constant_time_eq(b"abc", b"abd"));
    assert!(!constant_time_eq(b"abc", b"ab"));
}

fn config(trust_forwarded_for: bool) -> Config {
    let text = format!(
        "database_url = \"sqlite://x.sqlite\"\ntrust_forwarded_for = {trust_forwarded_for}\n"
    );
    Config::from_toml(&text, std::path::Path::new("t.toml"), |_| None).expect("config")
}

fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers
}

#[test]
fn same_origin_needs_the_host() {
    let direct = config(false);
    let host = (header::HOST, "127.0.0.1:8080");
    assert!(!same_origin(&direct, &headers(std::slice::from_ref(&host))));
    for (origin, same) in [
        ("http://127.0.0.1:8080", true),
        ("https://evil.example", false),
        ("http://127.0.0.1:8080.evil.example", false),
        ("http://127.0.0.1:8081", false),
        ("http://127.0.0.1", false),
    ] {
        let h = headers(&[host.clone(), (header::ORIGIN, origin)]);
        assert_eq!(same_origin(&direct, &h), same, "{origin}");
    }
    let referer = headers(&[host, (header::REFERER, "http://127.0.0.1:8080/admin?q=x")]);
    assert!(same_origin(&direct, &referer));
}

#[test]
fn same_origin_compares_the_scheme_and_normalises_default_ports() {
    let direct = config(false);
    let h = |origin, proto| {
        headers(&[
            (header::HOST, "review.example"),
            (header::ORIGIN, origin),
            (header::HeaderName::from_static("x-forwarded-proto"), proto),
        ])
    };
    // The server itself speaks plain HTTP: an https page is another origin.
    assert!(same_origin(&direct, &h("http://review.example", "https")));
    assert!(same_origin(
        &direct,
        &h("http://review.example:80", "https")
    ));
    assert!(!same_origin(&direct, &h("https://review.example", "https")));
    // Behind a trusted proxy that says https, only https pages are ours.
    let proxied = config(true);
    assert!(same_origin(&proxied, &h("https://review.example", "https")));
    assert!(same_origin(
        &proxied,
        &h("https://review.example:443", "https")
    ));
    assert!(!same_origin(&proxied, &h("http://review.example", "https")));
    assert!(!same_origin(
        &proxied,
        &h("https://review.example:8443", "https")
    ));
    assert!(same_origin(&proxied, &h("http://review.example", "http")));
}

#[test]
fn the_bearer_scheme_is_matched_in_any_case() {
    for value in ["Bearer abc", "bearer abc", "BEARER abc", "bEaReR abc"] {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
        assert_eq!(bearer_token(&h), Some("abc"), "{value}");
    }
    let mut h = HeaderMap::new();
    h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
    assert_eq!(bearer_token(&h), None);
}

#[test]
fn the_cookie_is_found_among_others() {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::COOKIE,
        HeaderValue::from_static("a=b; cfi_session=abc123; c=d"),
    );
    assert_eq!(session_cookie(&headers).as_deref(), Some("abc123"));
}

#[test]
fn a_session_cookie_is_strict_http_only_and_ends_with_max_age_zero() {
    let start = session_cookie_header(Some("abc"), true);
    let text = start.to_str().expect("ascii");
    for part in [
        "cfi_session=abc",
        "HttpOnly",
        "SameSite=Strict",
        "Secure",
        "Path=/",
    ] {
        assert!(text.contains(part), "{text} lacks {part}");
    }
    assert!(text.contains(&format!("Max-Age={}", SESSION_LIFETIME.as_secs())));
    let end = session_cookie_header(None, false);
    let text = end.to_str().expect("ascii");
    assert!(text.starts_with("cfi_session=;") && text.contains("Max-Age=0"));
    assert!(!text.contains("Secure"));
}
