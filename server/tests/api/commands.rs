//! The command line of `cfi-server`: help that lists every flag with the
//! environment variable standing for it, and errors that name the flag.

use std::process::Command;

fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cfi-server"));
    command.args(args);
    for name in ["CFI_BIND", "CFI_DATABASE_URL", "CFI_ASSETS_DIR"] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    let output = command.output().expect("cfi-server runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn help_lists_every_flag_with_its_environment_variable() {
    let (code, out, _) = run(&["--help"], &[]);
    assert_eq!(code, 0);
    for (flag, variable) in [
        ("--bind", "CFI_BIND"),
        ("--database-url", "CFI_DATABASE_URL"),
        ("--assets-dir", "CFI_ASSETS_DIR"),
    ] {
        let line = out
            .lines()
            .find(|l| l.contains(flag))
            .unwrap_or_else(|| panic!("{flag} in {out}"));
        assert!(line.contains(variable), "{line}");
    }
    for command in ["seed", "retention", "backup", "restore", "staff"] {
        assert!(out.contains(command), "{command} in {out}");
    }
    let (code, out, _) = run(&["retention", "--help"], &[]);
    assert_eq!(code, 0);
    assert!(out.contains("--before"));
    let (code, out, _) = run(&["backup", "--help"], &[]);
    assert_eq!(code, 0);
    assert!(out.contains("--to"));
    let (code, out, _) = run(&["restore", "--help"], &[]);
    assert_eq!(code, 0);
    assert!(out.contains("--from"));
}

#[test]
fn a_bad_value_is_refused_naming_its_flag_whether_typed_or_from_the_environment() {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../demo/review.toml");
    let (code, _, err) = run(&["--config", config, "--bind", "nowhere"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("--bind") && err.contains("nowhere"), "{err}");
    let (code, _, err) = run(&["--config", config], &[("CFI_BIND", "elsewhere")]);
    assert_eq!(code, 2);
    assert!(err.contains("--bind") && err.contains("elsewhere"), "{err}");
    let (code, _, err) = run(&["seed", "--config", config, "--count", "many"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("--count"), "{err}");
    let (code, _, err) = run(&["retention", "--config", config, "--before", "soon"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("--before"), "{err}");
}

#[test]
fn serving_without_a_configuration_says_so() {
    let (code, _, err) = run(&[], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("--config"), "{err}");
}

#[test]
fn the_staff_command_adds_the_first_administrator_and_refuses_what_it_cannot_add() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../demo/review.toml");
    let database = format!("sqlite://{}", dir.path().join("staff.sqlite").display());
    let env = [("CFI_DATABASE_URL", database.as_str())];
    let add = |args: &[&str]| {
        let mut all = vec!["staff", "add", "--config", config];
        all.extend_from_slice(args);
        run(&all, &env)
    };
    let (code, out, err) = add(&[
        "--email",
        "Lead@Example.org",
        "--role",
        "administrator",
        "--role",
        "safeguarding",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("added lead@example.org"), "{out}");
    assert!(out.contains("safeguarding, administrator"), "{out}");
    for (args, words) in [
        (
            vec!["--email", "lead@example.org", "--role", "reader"],
            "already an account",
        ),
        (
            vec!["--email", "x@example.org", "--role", "boss"],
            "no role called",
        ),
        (
            vec!["--email", "x@example.org", "--role", "partner"],
            "Choose the partner",
        ),
        (
            vec!["--email", "not an address", "--role", "reader"],
            "correct format",
        ),
    ] {
        let (code, _, err) = add(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains(words), "{args:?}: {err}");
    }
    let (code, out, _) = run(&["staff", "list", "--config", config], &env);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.starts_with("lead@example.org\tsafeguarding, administrator\tactive"),
        "{out}"
    );
}
