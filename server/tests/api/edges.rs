//! Correctness at the edges: the bearer scheme in any case, the CSRF check
//! comparing scheme as well as host and port, the widget files' `Vary` and
//! directories, and a request trace that never holds a query string.

use crate::guessing::LoggedServer;
use crate::helpers::*;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

#[tokio::test]
async fn a_bearer_token_is_accepted_whatever_the_case_of_its_scheme() {
    let app = spawn_app().await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let response = app
            .client
            .get(app.url("/api/admin/submissions?call=open-call"))
            .header("authorization", format!("{scheme} {ADMIN_TOKEN}"))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 200, "{scheme}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_staff_form_from_the_same_host_and_port_over_another_scheme_is_refused() {
    let app = spawn_app().await;
    let client = no_redirects();
    let https_twin = app.address.replacen("http://", "https://", 1);
    let other_port = format!("{}1", app.address);

    for origin in [&https_twin, &other_port] {
        let response = client
            .post(app.url("/admin/sign-in"))
            .header("origin", origin.as_str())
            .form(&[("token", ADMIN_TOKEN)])
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 403, "sign-in from {origin}");
    }
    let signed_in = client
        .post(app.url("/admin/sign-in"))
        .header("origin", &app.address)
        .form(&[("token", ADMIN_TOKEN)])
        .send()
        .await
        .expect("sent");
    assert_eq!(signed_in.status(), 303);
    let cookie = signed_in
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("cookie")
        .to_owned();
    let switch = |origin: String| {
        client
            .post(app.url("/admin/calls/open-call/publication"))
            .header("cookie", &cookie)
            .header("origin", origin)
            .form(&[("published", "on")])
            .send()
    };
    assert_eq!(
        switch(https_twin.clone()).await.expect("sent").status(),
        403
    );
    assert_eq!(
        switch(https_twin.replacen("https://", "http://", 1))
            .await
            .expect("sent")
            .status(),
        303
    );
    app.stop().await;
}

/// A built widget in a temporary directory: `embed.js` and one versioned
/// file, each with brotli and gzip copies, and a directory beside them.
fn widget_files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let versioned = dir.path().join("assets").join("v1");
    std::fs::create_dir_all(versioned.join("snippets")).expect("dirs");
    for (path, text) in [
        (dir.path().join("embed.js"), "console.log('embed');"),
        (versioned.join("widget.js"), "console.log('widget');"),
        (versioned.join("snippets").join("a.js"), "1;"),
    ] {
        std::fs::write(&path, text).expect("file");
        for ext in ["br", "gz"] {
            let mut compressed = path.clone().into_os_string();
            compressed.push(format!(".{ext}"));
            std::fs::write(compressed, format!("{ext} of {text}")).expect("file");
        }
    }
    dir
}

#[tokio::test]
async fn every_widget_file_answer_says_it_varies_with_accept_encoding() {
    let files = widget_files();
    let app = spawn_app_with(Options {
        assets_dir: Some(files.path().to_owned()),
        ..Options::default()
    })
    .await;
    for path in ["/embed.js", "/assets/v1/widget.js"] {
        for encoding in [Some("br"), Some("gzip"), Some("identity"), None] {
            let mut request = app.client.get(app.url(path));
            if let Some(encoding) = encoding {
                request = request.header("accept-encoding", encoding);
            }
            let response = request.send().await.expect("sent");
            assert_eq!(response.status(), 200, "{path} {encoding:?}");
            let vary: Vec<String> = response
                .headers()
                .get_all("vary")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(|v| v.trim().to_ascii_lowercase())
                .collect();
            assert!(
                vary.iter().any(|v| v == "accept-encoding"),
                "{path} {encoding:?}: Vary {vary:?}"
            );
        }
    }
    app.stop().await;
}

/// `path` asked for as a browser taking brotli: the answer's headers (which
/// must say brotli, and that they vary with Accept-Encoding), the bytes
/// sent and the body decoded.
async fn fetched_as_brotli(
    app: &TestApp,
    path: &str,
) -> (reqwest::header::HeaderMap, usize, Vec<u8>) {
    let response = app
        .client
        .get(app.url(path))
        .header("accept-encoding", "br")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200, "{path}");
    let headers = response.headers().clone();
    assert_eq!(headers["content-encoding"], "br", "{path}");
    assert!(
        headers["vary"]
            .to_str()
            .expect("text")
            .to_ascii_lowercase()
            .contains("accept-encoding"),
        "{path}"
    );
    let bytes = response.bytes().await.expect("body");
    let mut decoded = Vec::new();
    brotli::BrotliDecompress(&mut bytes.as_ref(), &mut decoded).expect("brotli");
    (headers, bytes.len(), decoded)
}

#[tokio::test]
async fn a_calls_own_loader_carries_its_definition_and_the_stylesheet_compressed() {
    let files = widget_files();
    std::fs::write(files.path().join("widget.css"), ".cfi{color:red}").expect("file");
    let app = spawn_app_with(Options {
        assets_dir: Some(files.path().to_owned()),
        ..Options::default()
    })
    .await;
    let plain = app
        .client
        .get(app.url("/calls/open-call/embed.js"))
        .send()
        .await
        .expect("sent");
    assert_eq!(plain.status(), 200);
    assert_eq!(
        plain.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(plain.headers()["cache-control"], "public, max-age=30");
    let text = plain.text().await.expect("body");
    let carried = text
        .strip_prefix("(document.currentScript||{}).__cfiPre=")
        .expect("the carried definition comes first");
    let mut values = serde_json::Deserializer::from_str(carried).into_iter::<serde_json::Value>();
    let value = values.next().expect("a value").expect("JSON");
    let definition = app
        .client
        .get(app.url("/api/calls/open-call"))
        .send()
        .await
        .expect("sent")
        .json::<serde_json::Value>()
        .await
        .expect("JSON");
    assert_eq!(value["definition"], definition);
    assert_eq!(value["css"], ".cfi{color:red}");
    assert_eq!(&carried[values.byte_offset()..], ";\nconsole.log('embed');");

    let (_, _, decoded) = fetched_as_brotli(&app, "/calls/open-call/embed.js").await;
    assert_eq!(String::from_utf8(decoded).expect("UTF-8"), text);

    let unknown = app
        .client
        .get(app.url("/calls/no-such-call/embed.js"))
        .send()
        .await
        .expect("sent");
    assert_eq!(unknown.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn a_calls_definition_is_compressed_when_the_browser_asks() {
    let app = spawn_app().await;
    let plain = app
        .client
        .get(app.url("/api/calls/open-call"))
        .send()
        .await
        .expect("sent");
    assert_eq!(plain.status(), 200);
    assert!(plain.headers().get("content-encoding").is_none());
    let text = plain.text().await.expect("body");
    let (headers, sent, decoded) = fetched_as_brotli(&app, "/api/calls/open-call").await;
    assert_eq!(headers["content-type"], "application/json");
    assert!(sent < text.len() / 2, "{sent} of {}", text.len());
    // The call's status is computed on each request, so compare the values.
    let decoded: serde_json::Value = serde_json::from_slice(&decoded).expect("JSON");
    let plain: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(decoded, plain);
    app.stop().await;
}

#[tokio::test]
async fn a_directory_under_assets_is_not_found_and_nothing_missing_is_cached() {
    let files = widget_files();
    let app = spawn_app_with(Options {
        assets_dir: Some(files.path().to_owned()),
        ..Options::default()
    })
    .await;
    let client = no_redirects();
    for path in ["/assets/v1", "/assets/v1/snippets", "/assets/v1/missing.js"] {
        let response = client.get(app.url(path)).send().await.expect("sent");
        assert!(response.headers().get("location").is_none(), "{path}");
        let cache = response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert_eq!(cache, "no-store", "{path}");
        assert_problem(response, 404).await;
    }
    let file = client
        .get(app.url("/assets/v1/snippets/a.js"))
        .send()
        .await
        .expect("sent");
    assert_eq!(file.status(), 200);
    assert_eq!(
        file.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("public, max-age=31536000, immutable")
    );
    app.stop().await;
}

#[tokio::test]
async fn the_request_trace_logs_the_path_and_never_the_query() {
    let server = LoggedServer::start(&Options::default()).await;
    let response = reqwest::Client::new()
        .get(server.url("/admin/submissions?q=Sam%20Example&call=open-call"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let text = server.stop().await;

    assert!(text.contains("/admin/submissions"), "{text}");
    for query in ["Sam", "q="] {
        assert!(!text.contains(query), "the log holds {query}: {text}");
    }
}
