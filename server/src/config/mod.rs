//! Typed configuration: a TOML file plus environment overrides.
//!
//! Everything is checked at start; a bad value fails with a message naming its
//! key (`calls[0].closes: ...`). Secrets (admin tokens) are only ever held as
//! SHA-256 digests and are never logged.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::limits;
use serde::Deserialize;

mod calls;
mod mail;
mod oidc;

pub use calls::{Call, DEFAULT_SAFEGUARDING_PHRASES, Partner, parse_instant};
use calls::{RawCall, RawPartner, check_call, check_partners, check_phrases};
pub use mail::{CallMail, Contact, Secret, Smtp, TlsMode};
use mail::{RawSmtp, check_smtp};
pub use oidc::{CALLBACK_PATH, Oidc};

/// The time zone calls are announced in.
pub const UK_TIME_ZONE: &str = "Europe/London";

/// Problems with the configuration. Each names the key it is about.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{key}: {message}")]
    Invalid { key: String, message: String },
}

fn invalid(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        message: message.into(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    bind: Option<String>,
    database_url: Option<String>,
    assets_dir: Option<PathBuf>,
    #[serde(default)]
    review_origins: Vec<String>,
    #[serde(default)]
    rate_limit: Option<RateLimit>,
    #[serde(default)]
    admin_tokens: Vec<AdminToken>,
    #[serde(default)]
    partners: Vec<RawPartner>,
    #[serde(default)]
    calls: Vec<RawCall>,
    #[serde(default)]
    trust_forwarded_for: bool,
    trusted_proxies: Option<usize>,
    body_timeout_secs: Option<u64>,
    header_timeout_secs: Option<u64>,
    idle_timeout_secs: Option<u64>,
    max_connections: Option<usize>,
    session_idle_timeout_secs: Option<u64>,
    access_record_days: Option<u64>,
    safeguarding_phrases: Option<Vec<String>>,
    smtp: Option<RawSmtp>,
    oidc: Option<oidc::RawOidc>,
    model_dir: Option<PathBuf>,
    model_threads: Option<usize>,
    embed_ideas: Option<bool>,
}

/// Submissions per client address; kept in memory only.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub submissions_per_minute: u32,
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            submissions_per_minute: 30,
            burst: 10,
        }
    }
}

/// A staff token, as its SHA-256 hex digest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminToken {
    pub name: String,
    pub sha256: String,
}

/// The whole, checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub database_url: String,
    pub assets_dir: PathBuf,
    pub review_origins: Vec<String>,
    pub rate_limit: RateLimit,
    pub admin_tokens: Vec<AdminToken>,
    pub partners: Vec<Partner>,
    pub calls: Vec<Call>,
    /// Take the client address from `X-Forwarded-For` and the scheme from
    /// `X-Forwarded-Proto` (only behind a proxy that sets them); the address
    /// is used for rate limiting and the sign-in throttle, never stored, and
    /// the scheme for the staff forms' origin check.
    pub trust_forwarded_for: bool,
    /// How many proxies of the review's own append to `X-Forwarded-For`:
    /// the client is the entry the outermost of them added, counted from
    /// the right (1, the right-most, by default). Entries to its left were
    /// written by the client and are never trusted.
    pub trusted_proxies: usize,
    /// A request body must arrive within this time (slow-body attacks hold
    /// connections open otherwise).
    pub body_timeout: std::time::Duration,
    /// A request's line and headers must arrive within this time.
    pub header_timeout: std::time::Duration,
    /// A connection with nothing read or written for this long is closed.
    pub idle_timeout: std::time::Duration,
    /// Connections open at once; the server stops accepting beyond it.
    pub max_connections: usize,
    /// A signed-in session unused this long ends.
    pub session_idle_timeout: std::time::Duration,
    /// Lines of the access record (who read whose personal data) older
    /// than this are deleted.
    pub access_record_kept: std::time::Duration,
    /// The mail server for safeguarding alerts and acknowledgements; none
    /// means no email is sent (and no call may ask for any).
    pub smtp: Option<Smtp>,
    /// Single sign-on with the review's identity provider, if set up.
    pub oidc: Option<Oidc>,
    /// Where the sentence-embedding model's files are (see `model`); when
    /// they are missing the server runs with the word-based methods only.
    pub model_dir: PathBuf,
    /// Threads the model's background work may use (the embeddings worker):
    /// by default all cores but one, so answering requests always has one.
    pub model_threads: usize,
    /// Whether the embeddings worker reads each stored idea for meaning in
    /// the background (when the model is loaded). On unless switched off;
    /// with it off, the analyses use words only.
    pub embed_ideas: bool,
}

/// Values that override the configuration file: the command's flags, or
/// the environment variables declared with them.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Overrides {
    /// Address to listen on, such as 127.0.0.1:8080 (overrides `bind`).
    #[arg(long, env = "CFI_BIND", value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
    /// sqlite://FILE or postgres://… (overrides `database_url`).
    #[arg(long, env = "CFI_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// Where the built widget is (overrides `assets_dir`).
    #[arg(long, env = "CFI_ASSETS_DIR", value_name = "DIR")]
    pub assets_dir: Option<PathBuf>,
}

impl Config {
    /// Reads `path` (relative paths inside it are relative to the working
    /// directory, the repository root in the README's commands), then applies
    /// the overrides given on the command line or in the environment.
    pub fn load(path: &Path, overrides: &Overrides) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text, path, |name| match name {
            "CFI_BIND" => overrides.bind.map(|b| b.to_string()),
            "CFI_DATABASE_URL" => overrides.database_url.clone(),
            "CFI_ASSETS_DIR" => overrides
                .assets_dir
                .as_ref()
                .map(|d| d.display().to_string()),
            _ => None,
        })
    }

    /// Parses TOML text, with `env` supplying overrides (tests pass their own).
    pub fn from_toml(
        text: &str,
        path: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let bind_text = env("CFI_BIND")
            .or(raw.bind)
            .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let bind: SocketAddr = bind_text.parse().map_err(|_| {
            invalid(
                "bind",
                format!("{bind_text:?} is not an address like 127.0.0.1:8080"),
            )
        })?;
        let database_url = env("CFI_DATABASE_URL")
            .or(raw.database_url)
            .ok_or_else(|| invalid("database_url", "missing (sqlite://FILE or postgres://...)"))?;
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres")) {
            return Err(invalid(
                "database_url",
                "must start with sqlite:// or postgres://",
            ));
        }
        let assets_dir = env("CFI_ASSETS_DIR")
            .map(PathBuf::from)
            .or(raw.assets_dir)
            .unwrap_or_else(|| PathBuf::from("dist"));
        let rate_limit = raw.rate_limit.unwrap_or_default();
        if rate_limit.submissions_per_minute == 0 || rate_limit.burst == 0 {
            return Err(invalid(
                "rate_limit",
                "submissions_per_minute and burst must be at least 1",
            ));
        }
        for (i, origin) in raw.review_origins.iter().enumerate() {
            check_origin(&format!("review_origins[{i}]"), origin)?;
        }
        for (i, token) in raw.admin_tokens.iter().enumerate() {
            if !is_digest(&token.sha256) {
                return Err(invalid(
                    format!("admin_tokens[{i}].sha256"),
                    "must be the 64-character hex SHA-256 digest of the token, never the token itself",
                ));
            }
        }
        let partners = check_partners(raw.partners)?;
        let global_phrases = check_phrases(
            "safeguarding_phrases",
            raw.safeguarding_phrases.unwrap_or_else(|| {
                DEFAULT_SAFEGUARDING_PHRASES
                    .iter()
                    .map(|p| (*p).to_owned())
                    .collect()
            }),
        )?;
        let smtp = raw.smtp.map(check_smtp).transpose()?;
        let oidc = raw.oidc.map(oidc::check_oidc).transpose()?;
        let calls = raw
            .calls
            .into_iter()
            .enumerate()
            .map(|(i, c)| check_call(i, c, &global_phrases, smtp.is_some()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut ids = HashSet::new();
        for (i, call) in calls.iter().enumerate() {
            if !ids.insert(call.id.clone()) {
                return Err(invalid(format!("calls[{i}].id"), "used twice"));
            }
        }
        Ok(Self {
            bind,
            database_url,
            assets_dir,
            review_origins: raw.review_origins,
            rate_limit,
            admin_tokens: raw.admin_tokens,
            partners,
            calls,
            trust_forwarded_for: raw.trust_forwarded_for,
            trusted_proxies: match raw.trusted_proxies {
                Some(0) => return Err(invalid("trusted_proxies", "must be at least 1")),
                Some(n) => n,
                None => 1,
            },
            body_timeout: std::time::Duration::from_secs(match raw.body_timeout_secs {
                Some(0) => return Err(invalid("body_timeout_secs", "must be at least 1")),
                Some(secs) => secs,
                None => 10,
            }),
            header_timeout: match raw.header_timeout_secs {
                Some(0) => return Err(invalid("header_timeout_secs", "must be at least 1")),
                Some(secs) => std::time::Duration::from_secs(secs),
                None => limits::HEADER_READ_TIMEOUT,
            },
            idle_timeout: match raw.idle_timeout_secs {
                Some(0) => return Err(invalid("idle_timeout_secs", "must be at least 1")),
                Some(secs) => std::time::Duration::from_secs(secs),
                None => limits::IDLE_TIMEOUT,
            },
            max_connections: match raw.max_connections {
                Some(0) => return Err(invalid("max_connections", "must be at least 1")),
                Some(n) => n,
                None => limits::MAX_CONNECTIONS,
            },
            session_idle_timeout: match raw.session_idle_timeout_secs {
                Some(0) => return Err(invalid("session_idle_timeout_secs", "must be at least 1")),
                Some(secs) => std::time::Duration::from_secs(secs),
                None => limits::SESSION_IDLE_TIMEOUT,
            },
            access_record_kept: match raw.access_record_days {
                Some(0) => return Err(invalid("access_record_days", "must be at least 1")),
                Some(days) => std::time::Duration::from_secs(days.saturating_mul(24 * 60 * 60)),
                None => std::time::Duration::from_secs(
                    limits::ACCESS_RECORD_DEFAULT_DAYS * 24 * 60 * 60,
                ),
            },
            smtp,
            oidc,
            model_dir: raw.model_dir.unwrap_or_else(crate::model::default_dir),
            model_threads: match raw.model_threads {
                Some(0) => return Err(invalid("model_threads", "must be at least 1")),
                Some(n) => n,
                None => std::thread::available_parallelism()
                    .map_or(1, |n| n.get().saturating_sub(1).max(1)),
            },
            embed_ideas: raw.embed_ideas.unwrap_or(true),
        })
    }

    pub fn call(&self, id: &str) -> Option<&Call> {
        self.calls.iter().find(|c| c.id == id)
    }

    pub fn partner_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.partner(id).map_or(id, |p| p.name.as_str())
    }

    pub fn partner(&self, id: &str) -> Option<&Partner> {
        self.partners.iter().find(|p| p.id == id)
    }

    /// Every origin allowed to call the API from a browser.
    pub fn all_origins(&self) -> HashSet<String> {
        self.review_origins
            .iter()
            .chain(self.partners.iter().flat_map(|p| p.origins.iter()))
            .cloned()
            .collect()
    }
}

fn check_origin(key: &str, origin: &str) -> Result<(), ConfigError> {
    let ok = (origin.starts_with("https://") || origin.starts_with("http://"))
        && !origin.ends_with('/')
        && origin.matches('/').count() == 2;
    if ok {
        Ok(())
    } else {
        Err(invalid(
            key,
            format!(
                "{origin:?} is not an origin like https://www.example.org (scheme and host, no path)"
            ),
        ))
    }
}

fn is_digest(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    /// The keys serde reads for `T`, asked of its derive: it names every
    /// field when it asks for a struct, which this deserializer records
    /// and then refuses.
    fn keys_of<T: for<'de> Deserialize<'de>>() -> BTreeSet<String> {
        use serde::de::{self, Visitor};
        struct Ask<'a>(&'a mut Vec<&'static str>);
        impl<'de> de::Deserializer<'de> for Ask<'_> {
            type Error = de::value::Error;
            fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
                Err(de::Error::custom("only asks"))
            }
            fn deserialize_struct<V: Visitor<'de>>(
                self,
                _: &'static str,
                fields: &'static [&'static str],
                _: V,
            ) -> Result<V::Value, Self::Error> {
                self.0.extend_from_slice(fields);
                Err(de::Error::custom("asked"))
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
                byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
                identifier ignored_any
            }
        }
        let mut keys = Vec::new();
        let _ = T::deserialize(Ask(&mut keys));
        keys.into_iter().map(str::to_owned).collect()
    }

    /// The keys the configuration reference in the operators' guide names
    /// in its table's first column, by section ("" for the top level).
    fn documented() -> BTreeMap<String, BTreeSet<String>> {
        let guide = include_str!("../../../docs/operators.md");
        let reference = guide
            .split("\n## Configuration\n")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("a Configuration section");
        let mut keys: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for row in reference.lines().filter(|l| l.starts_with("| `")) {
            let first = row
                .trim_start_matches("| ")
                .split(" | ")
                .next()
                .unwrap_or("");
            let names: Vec<&str> = first.split('`').skip(1).step_by(2).collect();
            let (section, names) = match names.first() {
                Some(table) if table.starts_with('[') => {
                    (table.trim_matches(|c| c == '[' || c == ']'), &names[1..])
                }
                _ => ("", &names[..]),
            };
            for name in names {
                let (section, key) = match name.split_once('.') {
                    Some((table, key)) if section.is_empty() => (table, key),
                    _ => (section, *name),
                };
                keys.entry(section.to_owned())
                    .or_default()
                    .insert(key.to_owned());
            }
        }
        keys
    }

    #[test]
    fn the_configuration_reference_names_every_key_and_only_keys_that_exist() {
        let tables = [
            "rate_limit",
            "admin_tokens",
            "partners",
            "calls",
            "smtp",
            "oidc",
        ];
        let mut code: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        code.insert(
            String::new(),
            keys_of::<RawConfig>()
                .into_iter()
                .filter(|k| !tables.contains(&k.as_str()))
                .collect(),
        );
        code.insert("rate_limit".into(), keys_of::<RateLimit>());
        code.insert("admin_tokens".into(), keys_of::<AdminToken>());
        code.insert("partners".into(), keys_of::<calls::RawPartner>());
        let mut call_keys = keys_of::<calls::RawCall>();
        call_keys.remove("support");
        code.insert("calls".into(), call_keys);
        code.insert("calls.support".into(), keys_of::<cfi_rules::SupportLine>());
        code.insert("smtp".into(), keys_of::<mail::RawSmtp>());
        code.insert("oidc".into(), keys_of::<oidc::RawOidc>());
        assert!(code.values().all(|k| !k.is_empty()), "{code:?}");
        assert_eq!(
            documented(),
            code,
            "docs/operators.md's configuration reference (left) and the keys the server reads (right)"
        );
    }

    #[test]
    fn single_sign_on_needs_a_callback_on_this_server_and_a_secret() {
        let oidc = "[oidc]\nissuer = \"https://login.example/tenant/v2.0\"\nclient_id = \"review\"\n\
                    client_secret = \"s\"\nredirect_url = \"https://review.example/admin/sign-in/oidc/callback\"\n";
        let config =
            Config::from_toml(&format!("{MINIMAL}\n{oidc}"), Path::new("x.toml"), |_| None)
                .expect("valid");
        let sso = config.oidc.expect("set up");
        assert_eq!(sso.provider_name, "your organisation's account");
        assert_eq!(format!("{:?}", sso.client_secret), "[redacted]");
        for (from, to, key) in [
            (
                "/admin/sign-in/oidc/callback",
                "/callback",
                "oidc.redirect_url",
            ),
            (
                "client_secret = \"s\"",
                "client_secret = \" \"",
                "oidc.client_secret",
            ),
            ("https://login.example", "login.example", "oidc.issuer"),
        ] {
            let bad = format!("{MINIMAL}\n{}", oidc.replace(from, to));
            let message = Config::from_toml(&bad, Path::new("x.toml"), |_| None)
                .expect_err("refused")
                .to_string();
            assert!(message.contains(key), "{message}");
        }
    }

    fn load(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(text, Path::new("demo/review.toml"), |_| None)
    }

    const MINIMAL: &str = r#"
        database_url = "sqlite://x.sqlite"
        [[calls]]
        id = "c"
        title = "C"
        opens = "2021-11-04T09:00"
        closes = "2021-12-15T17:00"
        privacy_notice_url = "https://example.org/privacy"
    "#;

    #[test]
    fn the_demo_config_loads() {
        let text = include_str!("../../../demo/review.toml");
        let config = load(text).expect("demo config is valid");
        assert!(config.call("call-for-ideas").is_some());
        for p in ["home-for-good", "become", "barnardos"] {
            assert!(config.partner(p).is_some(), "{p}");
        }
    }

    #[test]
    fn uk_local_times_follow_british_summer_time() {
        let winter = parse_instant("2021-12-15T17:00").expect("valid");
        assert_eq!(winter.timestamp().to_string(), "2021-12-15T17:00:00Z");
        let summer = parse_instant("2021-07-01T17:00").expect("valid");
        assert_eq!(summer.timestamp().to_string(), "2021-07-01T16:00:00Z");
        let explicit = parse_instant("2021-12-15T17:00:00+01:00").expect("valid");
        assert_eq!(explicit.timestamp().to_string(), "2021-12-15T16:00:00Z");
    }

    #[test]
    fn errors_name_the_key() {
        let bad = MINIMAL.replace("2021-12-15T17:00", "next tuesday");
        let message = load(&bad).expect_err("invalid").to_string();
        assert!(message.starts_with("calls[0].closes:"), "{message}");

        let bad = MINIMAL.replace(
            "closes = \"2021-12-15T17:00\"",
            "closes = \"2021-11-01T17:00\"",
        );
        assert!(
            load(&bad)
                .expect_err("invalid")
                .to_string()
                .starts_with("calls[0].closes:")
        );

        let bad = format!("{MINIMAL}\nmax_words = 0");
        assert!(
            load(&bad)
                .expect_err("invalid")
                .to_string()
                .starts_with("calls[0].max_words:")
        );

        let bad = format!("admin_tokens = [{{ name = \"x\", sha256 = \"secret\" }}]\n{MINIMAL}");
        let message = load(&bad).expect_err("invalid").to_string();
        assert!(message.starts_with("admin_tokens[0].sha256:"), "{message}");
        assert!(!message.contains("secret"));

        let bad = format!("review_origins = [\"https://x.org/\"]\n{MINIMAL}");
        assert!(
            load(&bad)
                .expect_err("invalid")
                .to_string()
                .starts_with("review_origins[0]:")
        );

        let bad = format!("surprise = 1\n{MINIMAL}");
        assert!(
            load(&bad)
                .expect_err("invalid")
                .to_string()
                .contains("surprise")
        );
    }

    #[test]
    fn environment_overrides_win() {
        let config = Config::from_toml(MINIMAL, Path::new("x.toml"), |name| match name {
            "CFI_BIND" => Some("127.0.0.1:9999".into()),
            "CFI_DATABASE_URL" => Some("sqlite://other.sqlite".into()),
            _ => None,
        })
        .expect("valid");
        assert_eq!(config.bind.port(), 9999);
        assert_eq!(config.database_url, "sqlite://other.sqlite");
    }
}
