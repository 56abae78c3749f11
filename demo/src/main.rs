//! Serves the demo partner pages, each on its own port of 127.0.0.1, with the
//! collection server's URL templated into their embed snippets.
//!
//! ```text
//! cfi-demo [--server-url http://127.0.0.1:8080] [--port-base 8081]   (--help)
//!          [--port SITE=PORT]... [--sites DIR]
//! ```
//!
//! The sites are `home-for-good`, `become`, `barnardos` and `review`, on
//! `port-base` + 0..3 unless `--port` says otherwise (port 0 picks a free
//! port). Each serves the `.html` files of `DIR/SITE/`, replacing
//! `{{SERVER_URL}}` with the server's URL and `{{CALL}}` with the call id
//! (`call-for-ideas`, or the page's `?call=` query for trying other calls).
//! A page `NAME.html` with a `NAME.csp` beside it is sent with that
//! Content Security Policy (one directive per line).
//! When every site listens, one line per site is printed:
//! `site NAME http://127.0.0.1:PORT/`.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use clap::{CommandFactory, Parser};

const SITES: [&str; 4] = ["home-for-good", "become", "barnardos", "review"];
const DEFAULT_CALL: &str = "call-for-ideas";
struct Site {
    dir: PathBuf,
    server_url: String,
}

/// Serves the demo partner pages that embed the Call for Ideas widget, each
/// site on its own port of 127.0.0.1.
#[derive(Debug, Parser)]
#[command(name = "cfi-demo", version, about)]
struct Cli {
    /// The collection server the pages embed the widget from.
    #[arg(
        long,
        env = "CFI_DEMO_SERVER_URL",
        value_name = "URL",
        default_value = "http://127.0.0.1:8080"
    )]
    server_url: String,
    /// The first site's port; the others follow in the order home-for-good,
    /// become, barnardos, review.
    #[arg(long, value_name = "PORT", default_value_t = 8081)]
    port_base: u16,
    /// One site's port (0 picks a free one), e.g. `review=0`; repeatable.
    #[arg(long = "port", value_name = "SITE=PORT", value_parser = site_port)]
    ports: Vec<(String, u16)>,
    /// Where the sites' page files are (default: demo/sites).
    #[arg(long, value_name = "DIR")]
    sites: Option<PathBuf>,
}

/// `--port SITE=PORT`, for a known site.
fn site_port(value: &str) -> Result<(String, u16), String> {
    let (site, port) = value
        .split_once('=')
        .ok_or_else(|| "expected SITE=PORT".to_owned())?;
    if !SITES.contains(&site) {
        return Err(format!("unknown site {site} (one of {})", SITES.join(", ")));
    }
    let port = port.parse().map_err(|_| format!("{port} is not a port"))?;
    Ok((site.to_owned(), port))
}

#[derive(Debug, PartialEq)]
struct Args {
    server_url: String,
    ports: Vec<(String, u16)>,
    sites: Option<PathBuf>,
}

impl Cli {
    /// Every site with its port: its own `--port`, else `--port-base` plus
    /// its place in [`SITES`].
    fn into_args(self) -> Result<Args, clap::Error> {
        let overrides: HashMap<String, u16> = self.ports.into_iter().collect();
        let mut ports = Vec::new();
        for (i, site) in SITES.iter().enumerate() {
            let port = match overrides.get(*site) {
                Some(p) => *p,
                None => self
                    .port_base
                    .checked_add(u16::try_from(i).unwrap_or(u16::MAX))
                    .ok_or_else(|| {
                        Cli::command().error(
                            clap::error::ErrorKind::ValueValidation,
                            "--port-base is too high for the four sites",
                        )
                    })?,
            };
            ports.push(((*site).to_owned(), port));
        }
        Ok(Args {
            server_url: self.server_url.trim_end_matches('/').to_owned(),
            ports,
            sites: self.sites,
        })
    }
}

/// Where the page files are: `--sites`, else `demo/sites` from the current
/// directory, else next to this crate's source.
fn sites_dir(arg: Option<PathBuf>) -> PathBuf {
    arg.unwrap_or_else(|| {
        let cwd = PathBuf::from("demo/sites");
        if cwd.is_dir() {
            cwd
        } else {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("sites")
        }
    })
}

/// Only plain page names: no paths, no dots other than the extension.
fn page_file(path: &str) -> Option<String> {
    let name = path.trim_start_matches('/');
    let name = if name.is_empty() { "index.html" } else { name };
    let stem = name.strip_suffix(".html")?;
    let ok = !stem.is_empty()
        && stem
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    ok.then(|| name.to_owned())
}

/// A call id from the query, if it is a plain id.
fn call_id(query: &HashMap<String, String>) -> String {
    query
        .get("call")
        .filter(|c| {
            !c.is_empty()
                && c.len() <= 64
                && c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        })
        .cloned()
        .unwrap_or_else(|| DEFAULT_CALL.to_owned())
}

fn render(template: &str, server_url: &str, call: &str) -> String {
    template
        .replace("{{SERVER_URL}}", server_url)
        .replace("{{CALL}}", call)
}

/// A policy file as one header value: the server URL filled in, one
/// directive per line joined with "; ", `#` comment lines dropped.
fn csp_header(policy: &str, server_url: &str) -> String {
    policy
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.replace("{{SERVER_URL}}", server_url))
        .collect::<Vec<_>>()
        .join("; ")
}

async fn page(
    State(site): State<Arc<Site>>,
    Query(query): Query<HashMap<String, String>>,
    uri: Uri,
) -> Response {
    let Some(name) = page_file(uri.path()) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let Ok(template) = tokio::fs::read_to_string(site.dir.join(&name)).await else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let call = call_id(&query);
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        render(&template, &site.server_url, &call),
    )
        .into_response();
    // `page.csp` next to `page.html`: the page's Content Security Policy.
    let csp_file = site.dir.join(name.replace(".html", ".csp"));
    if let Ok(policy) = tokio::fs::read_to_string(csp_file).await
        && let Ok(value) = header::HeaderValue::from_str(&csp_header(&policy, &site.server_url))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match Cli::parse().into_args() {
        Ok(args) => args,
        Err(error) => error.exit(),
    };
    let dir = sites_dir(args.sites);
    let mut servers = Vec::new();
    for (name, port) in &args.ports {
        let site = Arc::new(Site {
            dir: dir.join(name),
            server_url: args.server_url.clone(),
        });
        if !site.dir.join("index.html").is_file() {
            eprintln!("{}: no index.html", site.dir.display());
            return ExitCode::FAILURE;
        }
        let addr = SocketAddr::from(([127, 0, 0, 1], *port));
        let listener = match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("cannot listen on {addr}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(*port);
        let app = Router::new().fallback(page).with_state(site);
        servers.push((name.clone(), port, listener, app));
    }
    let mut tasks = Vec::new();
    for (name, port, listener, app) in servers {
        println!("site {name} http://127.0.0.1:{port}/");
        tasks.push(tokio::spawn(
            async move { axum::serve(listener, app).await },
        ));
    }
    let _ = std::io::stdout().flush();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
        _ = futures_first(tasks) => ExitCode::FAILURE,
    }
}

/// Resolves when any server task ends (which only happens on an error).
async fn futures_first(tasks: Vec<tokio::task::JoinHandle<std::io::Result<()>>>) {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
    for task in tasks {
        let tx = tx.clone();
        tokio::spawn(async move {
            let _ = task.await;
            let _ = tx.send(()).await;
        });
    }
    rx.recv().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Args, clap::Error> {
        Cli::try_parse_from(std::iter::once("cfi-demo").chain(list.iter().copied()))?.into_args()
    }

    #[test]
    fn defaults_are_the_readme_ports() {
        let a = args(&[]).expect("defaults");
        assert_eq!(a.server_url, "http://127.0.0.1:8080");
        assert_eq!(
            a.ports,
            SITES
                .iter()
                .zip(8081..)
                .map(|(s, p)| ((*s).to_owned(), p))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn ports_can_be_moved_one_by_one() {
        let a = args(&[
            "--server-url",
            "http://127.0.0.1:9000/",
            "--port-base",
            "9100",
            "--port",
            "review=0",
        ])
        .expect("valid");
        assert_eq!(a.server_url, "http://127.0.0.1:9000");
        assert_eq!(a.ports[0], ("home-for-good".into(), 9100));
        assert_eq!(a.ports[3], ("review".into(), 0));
        let error = |list: &[&str]| args(list).expect_err("refused").to_string();
        assert!(error(&["--port", "nowhere=1"]).contains("--port"));
        assert!(error(&["--port", "nowhere=1"]).contains("unknown site nowhere"));
        assert!(error(&["--port-base"]).contains("--port-base"));
        assert!(error(&["--port-base", "65534"]).contains("too high"));
        assert!(error(&["--bind", "0.0.0.0"]).contains("--bind"));
    }

    #[test]
    fn only_plain_page_names_are_served() {
        assert_eq!(page_file("/").as_deref(), Some("index.html"));
        assert_eq!(page_file("/two.html").as_deref(), Some("two.html"));
        for bad in ["/../x.html", "/a/b.html", "/x.js", "/.html", "/A.html"] {
            assert_eq!(page_file(bad), None, "{bad}");
        }
    }

    #[test]
    fn policy_files_become_one_header() {
        assert_eq!(
            csp_header(
                "# comment\ndefault-src 'self'\n\n  connect-src {{SERVER_URL}}  \n",
                "http://s"
            ),
            "default-src 'self'; connect-src http://s"
        );
    }

    #[test]
    fn templates_get_the_server_and_call() {
        let mut q = HashMap::new();
        assert_eq!(call_id(&q), "call-for-ideas");
        q.insert("call".into(), "closed-call".into());
        assert_eq!(call_id(&q), "closed-call");
        q.insert("call".into(), "\"><script>".into());
        assert_eq!(call_id(&q), "call-for-ideas");
        assert_eq!(
            render(
                "<script src=\"{{SERVER_URL}}/embed.js\" data-call=\"{{CALL}}\">",
                "http://s",
                "c"
            ),
            "<script src=\"http://s/embed.js\" data-call=\"c\">"
        );
    }
}
