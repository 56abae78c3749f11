//! Roles, what each may do, and what each route needs: the one place that
//! says who may do what. A route under a staff address that is not in
//! [`ROUTES`] is refused to everyone (deny by default); the guard
//! ([`super::guard`]) applies the table before any handler runs.

use std::fmt;

use axum::http::Method;

/// A role an account or a program token holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Reads ideas and codes them (codebook, groups, campaigns, suggestions).
    Reader,
    /// Withholds, redacts, marks spam, decides to publish.
    Moderator,
    /// Sees flagged passages and handles safeguarding flags.
    Safeguarding,
    /// Publication switches, erasure, exports with personal data, accounts,
    /// tokens, the audit log and the access record.
    Administrator,
    /// The metrics scrape only (a monitoring program's token).
    Monitoring,
    /// A partner charity: its own submission counts, never content.
    Partner,
}

impl Role {
    /// Every role, in the order pages list them.
    pub const ALL: [Self; 6] = [
        Self::Reader,
        Self::Moderator,
        Self::Safeguarding,
        Self::Administrator,
        Self::Monitoring,
        Self::Partner,
    ];

    /// The role's name in the database, the configuration and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reader => "reader",
            Self::Moderator => "moderator",
            Self::Safeguarding => "safeguarding",
            Self::Administrator => "administrator",
            Self::Monitoring => "monitoring",
            Self::Partner => "partner",
        }
    }

    /// The role by its name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// What the role is for, in a line for the accounts page.
    pub fn description(self) -> &'static str {
        match self {
            Self::Reader => "Reads ideas and codes them.",
            Self::Moderator => "Withholds, redacts, marks spam and decides to publish.",
            Self::Safeguarding => "Sees flagged passages and handles safeguarding flags.",
            Self::Administrator => {
                "Publication, erasure, exports with personal data, accounts and tokens."
            }
            Self::Monitoring => "Reads the metrics, nothing else (for a program).",
            Self::Partner => "A partner charity: its own counts, never content.",
        }
    }

    /// What the role may do.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Self::Reader => &[Overview, ReadIdeas, CodeIdeas],
            Self::Moderator => &[Overview, ReadIdeas, Moderate],
            Self::Safeguarding => &[Overview, ReadIdeas, Safeguard],
            Self::Administrator => &[
                Overview,
                ReadIdeas,
                Publish,
                Erase,
                ExportPersonal,
                Administer,
                Metrics,
            ],
            Self::Monitoring => &[Metrics],
            Self::Partner => &[PartnerCounts],
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Roles(u8);

impl Roles {
    /// What a token in the configuration's `[[admin_tokens]]` holds: every
    /// staff role, as before roles existed.
    pub const CONFIGURED_STAFF: Self = Self(0b1111);

    pub fn of(roles: impl IntoIterator<Item = Role>) -> Self {
        Self(roles.into_iter().fold(0, |bits, r| bits | Self::bit(r)))
    }

    fn bit(role: Role) -> u8 {
        1 << (role as u8)
    }

    pub fn contains(self, role: Role) -> bool {
        self.0 & Self::bit(role) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The roles held, in [`Role::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.contains(*r))
    }

    /// Whether any role held grants `permission`.
    pub fn can(self, permission: Permission) -> bool {
        self.iter().any(|r| r.permissions().contains(&permission))
    }

    /// Parses a stored or typed list (space or comma separated); an unknown
    /// name is an error naming it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut roles = Self::default();
        for name in text.split([' ', ',']).filter(|n| !n.trim().is_empty()) {
            let role = Role::parse(name).ok_or_else(|| name.trim().to_owned())?;
            roles.0 |= Self::bit(role);
        }
        Ok(roles)
    }

    /// The stored form: names separated by a space.
    pub fn stored(self) -> String {
        self.iter().map(Role::as_str).collect::<Vec<_>>().join(" ")
    }
}

impl fmt::Display for Roles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.iter().map(Role::as_str).collect();
        f.write_str(&names.join(", "))
    }
}

/// Something a route or an action needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// The dashboard and the submission counts.
    Overview,
    /// Lists, searches and reads submissions (with the respondent's
    /// details, which the access record notes).
    ReadIdeas,
    /// The codebook, coding ideas, groups, campaigns and suggestions.
    CodeIdeas,
    /// Withhold, redact, spam, undo, decide to publish.
    Moderate,
    /// Flagged passages, handling flags.
    Safeguard,
    /// A call's publication switches.
    Publish,
    /// Erasing a submission.
    Erase,
    /// Exports holding personal data.
    ExportPersonal,
    /// Accounts, program tokens, the audit log, the access record.
    Administer,
    /// The Prometheus scrape.
    Metrics,
    /// A partner's own counts.
    PartnerCounts,
}

impl Permission {
    /// Says what is missing, for a 403.
    pub fn refusal(self) -> &'static str {
        match self {
            Self::Overview => "Your roles do not include the review's overview",
            Self::ReadIdeas => {
                "Reading submissions needs the reader, moderator, safeguarding or administrator role"
            }
            Self::CodeIdeas => "Coding ideas needs the reader role",
            Self::Moderate => "Moderating needs the moderator role",
            Self::Safeguard => "Safeguarding flags need the safeguarding role",
            Self::Publish => "Publication switches need the administrator role",
            Self::Erase => "Erasing a submission needs the administrator role",
            Self::ExportPersonal => "Exports with personal data need the administrator role",
            Self::Administer => "This needs the administrator role",
            Self::Metrics => "The metrics need the administrator or monitoring role",
            Self::PartnerCounts => "Only partners and the review team see these counts",
        }
    }
}

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Anyone signed in (signing out).
    SignedIn,
    /// A role that grants this.
    Needs(Permission),
    /// A role that grants either (the partner pages show staff every
    /// partner).
    Either(Permission, Permission),
}

/// The addresses under which every route must be in [`ROUTES`].
pub const GUARDED_PREFIXES: [&str; 5] = [
    "/admin",
    "/api/admin",
    "/partner",
    "/api/partner",
    "/metrics",
];

/// Every guarded route: method, route pattern (as axum matched it), access.
pub const ROUTES: &[(&str, &str, Access)] = {
    use Access::*;
    use Permission::*;
    &[
        ("GET", "/admin/sign-in", Public),
        ("POST", "/admin/sign-in", Public),
        ("POST", "/admin/sign-in/email", Public),
        ("GET", "/admin/sign-in/link", Public),
        ("POST", "/admin/sign-in/link", Public),
        ("GET", "/admin/sign-in/oidc", Public),
        ("GET", "/admin/sign-in/oidc/callback", Public),
        ("POST", "/admin/sign-out", SignedIn),
        ("GET", "/admin", Needs(Overview)),
        ("GET", "/api/admin/counts", Needs(Overview)),
        ("GET", "/partner", Either(PartnerCounts, Overview)),
        (
            "GET",
            "/api/partner/counts",
            Either(PartnerCounts, Overview),
        ),
        ("GET", "/admin/submissions", Needs(ReadIdeas)),
        ("GET", "/admin/submissions/{reference}", Needs(ReadIdeas)),
        // Every submission with its personal data: an export.
        ("GET", "/api/admin/submissions", Needs(ExportPersonal)),
        ("GET", "/api/admin/search", Needs(ReadIdeas)),
        (
            "GET",
            "/api/admin/submissions/{reference}",
            Needs(ReadIdeas),
        ),
        (
            "GET",
            "/api/admin/submissions/{reference}/similar",
            Needs(ReadIdeas),
        ),
        // Each action then needs its own (review::service::needs): raising
        // a flag is any reader's, judging one safeguarding's, the rest
        // moderation's.
        (
            "POST",
            "/admin/submissions/{reference}/actions",
            Needs(ReadIdeas),
        ),
        (
            "POST",
            "/api/admin/submissions/{reference}/actions",
            Needs(ReadIdeas),
        ),
        (
            "POST",
            "/admin/submissions/{reference}/read",
            Needs(ReadIdeas),
        ),
        (
            "POST",
            "/api/admin/submissions/{reference}/read",
            Needs(ReadIdeas),
        ),
        ("POST", "/admin/submissions/{reference}/erase", Needs(Erase)),
        ("DELETE", "/api/admin/submissions/{reference}", Needs(Erase)),
        ("POST", "/admin/calls/{call}/publication", Needs(Publish)),
        (
            "POST",
            "/api/admin/calls/{call}/publication",
            Needs(Publish),
        ),
        (
            "POST",
            "/admin/calls/{call}/codes/publication",
            Needs(Publish),
        ),
        (
            "POST",
            "/api/admin/calls/{call}/codes/publication",
            Needs(Publish),
        ),
        ("GET", "/admin/calls/{call}/codes", Needs(CodeIdeas)),
        ("POST", "/admin/calls/{call}/codes", Needs(CodeIdeas)),
        ("GET", "/admin/calls/{call}/codes/{code}", Needs(CodeIdeas)),
        ("POST", "/admin/calls/{call}/codes/{code}", Needs(CodeIdeas)),
        (
            "POST",
            "/admin/submissions/{reference}/codings",
            Needs(CodeIdeas),
        ),
        ("GET", "/api/admin/calls/{call}/codes", Needs(CodeIdeas)),
        ("POST", "/api/admin/calls/{call}/codes", Needs(CodeIdeas)),
        (
            "GET",
            "/api/admin/calls/{call}/codes/counts",
            Needs(CodeIdeas),
        ),
        (
            "POST",
            "/api/admin/calls/{call}/codes/{code}",
            Needs(CodeIdeas),
        ),
        (
            "GET",
            "/api/admin/submissions/{reference}/codings",
            Needs(CodeIdeas),
        ),
        (
            "POST",
            "/api/admin/submissions/{reference}/codings",
            Needs(CodeIdeas),
        ),
        ("GET", "/admin/calls/{call}/groups", Needs(CodeIdeas)),
        ("POST", "/admin/calls/{call}/groups/code", Needs(CodeIdeas)),
        ("GET", "/admin/calls/{call}/campaigns", Needs(CodeIdeas)),
        (
            "POST",
            "/admin/calls/{call}/campaigns/code",
            Needs(CodeIdeas),
        ),
        (
            "POST",
            "/admin/submissions/{reference}/suggestions",
            Needs(CodeIdeas),
        ),
        ("GET", "/api/admin/calls/{call}/groups", Needs(CodeIdeas)),
        (
            "POST",
            "/api/admin/calls/{call}/groups/code",
            Needs(CodeIdeas),
        ),
        ("GET", "/api/admin/calls/{call}/campaigns", Needs(CodeIdeas)),
        (
            "POST",
            "/api/admin/calls/{call}/campaigns/code",
            Needs(CodeIdeas),
        ),
        (
            "GET",
            "/api/admin/submissions/{reference}/suggestions",
            Needs(CodeIdeas),
        ),
        (
            "POST",
            "/api/admin/submissions/{reference}/suggestions",
            Needs(CodeIdeas),
        ),
        ("GET", "/api/admin/export/{file}", Needs(ExportPersonal)),
        ("GET", "/api/admin/audit", Needs(Administer)),
        ("GET", "/admin/accounts", Needs(Administer)),
        ("POST", "/admin/accounts", Needs(Administer)),
        ("POST", "/admin/accounts/{id}", Needs(Administer)),
        ("GET", "/admin/tokens", Needs(Administer)),
        ("POST", "/admin/tokens", Needs(Administer)),
        ("POST", "/admin/tokens/{id}/revoke", Needs(Administer)),
        ("GET", "/admin/access", Needs(Administer)),
        ("GET", "/metrics", Needs(Metrics)),
    ]
};

/// What a request to `route` (the matched pattern) with `method` needs:
/// `None` for a route outside the guarded addresses; a guarded route missing
/// from the table needs a permission nobody has.
pub fn access_for(method: &Method, route: &str) -> Option<Result<Access, ()>> {
    let method = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    if let Some((_, _, access)) = ROUTES.iter().find(|(m, r, _)| *m == method && *r == route) {
        return Some(Ok(*access));
    }
    let guarded = GUARDED_PREFIXES
        .iter()
        .any(|p| route == *p || route.starts_with(&format!("{p}/")));
    guarded.then_some(Err(()))
}

/// The table of every guarded route against every role, as the operators'
/// guide (`docs/operators.md`) shows it (a test keeps the two the same).
pub fn markdown_table() -> String {
    let mut table = String::from("| route |");
    for role in Role::ALL {
        table.push_str(&format!(" {role} |"));
    }
    table.push_str("\n| --- |");
    for _ in Role::ALL {
        table.push_str(" :-: |");
    }
    table.push('\n');
    for (method, route, access) in ROUTES {
        if matches!(access, Access::Public) {
            continue;
        }
        table.push_str(&format!("| `{method} {route}` |"));
        for role in Role::ALL {
            let mark = if access.allows(Roles::of([role])) {
                " ✓ |"
            } else {
                "  |"
            };
            table.push_str(mark);
        }
        table.push('\n');
    }
    table
}

impl Access {
    /// Whether `roles` may go through.
    pub fn allows(self, roles: Roles) -> bool {
        match self {
            Self::Public | Self::SignedIn => true,
            Self::Needs(p) => roles.can(p),
            Self::Either(a, b) => roles.can(a) || roles.can(b),
        }
    }

    /// The permission a refusal names.
    pub fn first(self) -> Option<Permission> {
        match self {
            Self::Needs(p) | Self::Either(p, _) => Some(p),
            Self::Public | Self::SignedIn => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_stored_and_read_back_by_name() {
        let roles = Roles::parse("Reader, safeguarding").expect("valid");
        assert_eq!(roles.stored(), "reader safeguarding");
        assert_eq!(Roles::parse(&roles.stored()).expect("valid"), roles);
        assert_eq!(Roles::parse("reader boss"), Err("boss".to_owned()));
    }

    #[test]
    fn a_reader_codes_but_neither_erases_nor_handles_flags() {
        let reader = Roles::of([Role::Reader]);
        assert!(reader.can(Permission::CodeIdeas));
        assert!(!reader.can(Permission::Erase));
        assert!(!reader.can(Permission::Safeguard));
        assert!(!Roles::of([Role::Partner]).can(Permission::ReadIdeas));
        assert!(Roles::CONFIGURED_STAFF.can(Permission::Safeguard));
        assert!(!Roles::CONFIGURED_STAFF.contains(Role::Partner));
    }

    #[test]
    fn a_guarded_route_missing_from_the_table_is_refused_and_others_are_not_guarded() {
        assert_eq!(access_for(&Method::GET, "/admin/nowhere"), Some(Err(())));
        assert_eq!(access_for(&Method::GET, "/api/calls/{call}"), None);
        assert_eq!(
            access_for(&Method::HEAD, "/admin"),
            Some(Ok(Access::Needs(Permission::Overview)))
        );
    }

    #[test]
    fn the_operators_guide_shows_the_table_as_it_is() {
        let guide = include_str!("../../../docs/operators.md");
        assert!(
            guide.contains(&markdown_table()),
            "docs/operators.md's table of routes and roles differs from the code's; it should read:\n{}",
            markdown_table()
        );
    }

    #[test]
    fn every_route_in_the_table_is_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for (method, route, _) in ROUTES {
            assert!(seen.insert((method, route)), "{method} {route} twice");
        }
    }
}
