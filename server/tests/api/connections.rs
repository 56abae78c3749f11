//! Connection limits: clients that send part of a request, or nothing, or
//! keep a connection idle, are closed, and a full connection cap only makes
//! new clients wait.

use std::time::Duration;

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;

/// Generous room over a configured timeout for a loaded machine.
const MARGIN: Duration = Duration::from_secs(10);

fn options(header_timeout_secs: u64, idle_timeout_secs: u64, max_connections: usize) -> Options {
    Options {
        header_timeout_secs,
        idle_timeout_secs,
        max_connections,
        ..Options::default()
    }
}

async fn connect(app: &TestApp) -> TcpStream {
    let address = app.address.trim_start_matches("http://");
    TcpStream::connect(address).await.expect("connects")
}

/// Reads until the server closes the connection; panics if it does not
/// within `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) {
    let read_to_end = async {
        let mut buf = [0u8; 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(limit, read_to_end)
        .await
        .expect("the server closes the connection");
}

/// Reads one response (headers and a `Content-Length` body) and returns its
/// status line.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).await.expect("reads the response");
        assert_eq!(n, 1, "the connection stays open for the response");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).expect("ASCII head");
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().expect("a length"))
        })
        .expect("a Content-Length");
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.expect("reads the body");
    head.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_connection_that_never_finishes_its_headers_is_closed() {
    let app = spawn_app_with(options(1, 60, 512)).await;
    let mut stream = connect(&app).await;
    stream.write_all(b"GET /healthz HT").await.expect("writes");
    closed_within(&mut stream, Duration::from_secs(1) + MARGIN).await;
    app.stop().await;
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed() {
    let app = spawn_app_with(options(1, 60, 512)).await;
    let mut stream = connect(&app).await;
    closed_within(&mut stream, Duration::from_secs(1) + MARGIN).await;
    app.stop().await;
}

#[tokio::test]
async fn a_kept_alive_client_makes_several_requests_on_one_connection() {
    let app = spawn_app_with(Options::default()).await;
    let mut stream = connect(&app).await;
    for _ in 0..3 {
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .expect("writes");
        assert_eq!(read_response(&mut stream).await, "HTTP/1.1 200 OK");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let app = spawn_app_with(options(60, 1, 512)).await;
    let mut stream = connect(&app).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .expect("writes");
    assert_eq!(read_response(&mut stream).await, "HTTP/1.1 200 OK");
    closed_within(&mut stream, Duration::from_secs(1) + MARGIN).await;
    app.stop().await;
}

#[tokio::test]
async fn healthz_answers_while_idle_connections_hold_the_cap() {
    let cap = 4;
    let app = spawn_app_with(options(1, 1, cap)).await;
    let mut idle = Vec::new();
    for _ in 0..cap {
        let mut stream = connect(&app).await;
        stream.write_all(b"GET /healthz HT").await.expect("writes");
        idle.push(stream);
    }
    // Each of these waits for a free place (the cap is full); the timeouts
    // free them.
    for _ in 0..3 {
        let response = app
            .client
            .get(app.url("/healthz"))
            .timeout(Duration::from_secs(1) + MARGIN)
            .send()
            .await
            .expect("healthz answers once a place frees");
        assert_eq!(response.status(), StatusCode::OK);
    }
    for stream in &mut idle {
        closed_within(stream, MARGIN).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn a_connection_beyond_the_cap_waits_until_one_closes() {
    let app = spawn_app_with(options(60, 60, 2)).await;
    let first = connect(&app).await;
    let _second = connect(&app).await;
    let mut third = connect(&app).await;
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .expect("writes");
    let mut byte = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_millis(500), third.peek(&mut byte)).await;
    assert!(early.is_err(), "no answer while the cap is full");
    drop(first);
    let status = tokio::time::timeout(MARGIN, read_response(&mut third))
        .await
        .expect("answered once a place frees");
    assert_eq!(status, "HTTP/1.1 200 OK");
    app.stop().await;
}
