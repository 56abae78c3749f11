use crate::helpers::*;

#[tokio::test]
async fn the_admin_list_needs_a_valid_token() {
    let app = spawn_app().await;
    let url = app.url("/api/admin/submissions?call=open-call");
    let none = app.client.get(&url).send().await.expect("sent");
    assert_eq!(
        none.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    assert_problem(none, 401).await;
    let wrong = app
        .client
        .get(&url)
        .bearer_auth("guess")
        .send()
        .await
        .expect("sent");
    assert_problem(wrong, 401).await;
    let digest_as_token = app
        .client
        .get(&url)
        .bearer_auth(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
            ADMIN_TOKEN,
        )))
        .send()
        .await
        .expect("sent");
    assert_problem(digest_as_token, 401).await;
    let ok = app
        .client
        .get(&url)
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(ok.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn the_admin_list_of_an_unknown_call_is_404() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/admin/submissions?call=nope"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_problem(response, 404).await;
    app.stop().await;
}
