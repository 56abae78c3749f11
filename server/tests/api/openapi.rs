use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn the_served_and_checked_in_openapi_descriptions_match_the_code() {
    let app = spawn_app().await;
    let served: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let generated = cfi_server::openapi::document();
    assert_eq!(served, generated);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    let pretty = serde_json::to_string_pretty(&generated).expect("json") + "\n";
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(path, &pretty).expect("write openapi.json");
    }
    let checked_in = std::fs::read_to_string(path).expect("server/openapi.json is checked in");
    assert_eq!(
        checked_in, pretty,
        "server/openapi.json is stale: run UPDATE_OPENAPI=1 cargo test -p cfi-server --test api openapi"
    );
    assert_eq!(generated["openapi"], "3.1.0");
    app.stop().await;
}
