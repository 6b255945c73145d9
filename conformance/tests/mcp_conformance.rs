//! `conformance mcp` against real servers over stdio, each against the checker's own mock
//! in both profiles: our `liveauth-mcp` binary passes every check of both levels, keyless
//! and keyed; the deliberately broken fake (`examples/fake_mcp_server.rs`, which passes
//! the flows through to the API but makes up JWTs, charges and usage) fails exactly the
//! checks that catch what it makes up, so each of those checks is shown to fail.
//!
//! The binaries are the workspace's build of `liveauth-mcp` and of the example, beside
//! this test's own executable (`cargo test --workspace` builds both).

#![allow(clippy::unwrap_used)] // test: a panic is a failed test

use std::path::PathBuf;

use conformance::mcp::{McpOptions, MockProfile};
use conformance::{Level, Outcome, Report};
use liveauth_testkit::mock::Profile;

/// `target/<profile>/<relative>`, which must have been built.
fn built(relative: &str) -> String {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<this test>
    let dir: PathBuf = exe.parent().and_then(|deps| deps.parent()).unwrap().into();
    let path = dir.join(relative);
    assert!(
        path.exists(),
        "{} is not built: run `cargo test --workspace` (or `cargo build -p liveauth-mcp --examples`)",
        path.display()
    );
    path.to_string_lossy().into_owned()
}

async fn run(command: &str, profile: Profile, key: Option<&str>, level: Level) -> Report {
    let mut options = McpOptions::new(vec![command.to_owned()]);
    options.profile = match profile {
        Profile::Hosted => MockProfile::Hosted,
        Profile::Strict => MockProfile::Strict,
    };
    options.api_key = key.map(str::to_owned);
    options.level = level;
    conformance::mcp::run(options, |_| {}).await.unwrap()
}

fn lines(report: &Report) -> String {
    let lines: Vec<String> = report.checks.iter().map(|c| c.line()).collect();
    lines.join("\n")
}

/// Every check of the catalogue ran and passed; keyless, the bundle purchase is skipped
/// (the API sells bundles to keyed projects only).
async fn our_server_passes(profile: Profile, key: Option<&str>) {
    let report = run(&built("liveauth-mcp"), profile, key, Level::Strict).await;
    let total = conformance::mcp::catalogue().len();
    let skipped = usize::from(key.is_none());
    let skips = report.names(|o| matches!(o, Outcome::Skip(_)));
    assert!(
        skips.iter().all(|name| *name == "mcp_l402_bundle"),
        "{skips:?}"
    );
    assert_eq!(
        report.summary(),
        format!("{} passed, 0 failed, {skipped} skipped", total - skipped),
        "{profile:?} keyed={}:\n{}",
        key.is_some(),
        lines(&report)
    );
}

async fn our_server_passes_keyless(profile: Profile) {
    our_server_passes(profile, None).await;
}

async fn our_server_passes_keyed(profile: Profile) {
    our_server_passes(profile, Some("la_pk_mcpconf")).await;
}

/// The compat checks the fake fails, each because of what it makes up.
const FAKE_FAILS: &[&str] = &[
    // Charge books nothing and says ok: the API shows no call.
    "mcp_charge_matches_api",
    // Usage invents its counters: the API's differ.
    "mcp_usage_matches_api",
    // Confirm with only quoteId: the API refuses, the fake hands out a JWT anyway.
    "mcp_confirm_quote_only",
    // Confirm of an unpaid Lightning quote: a JWT anyway.
    "mcp_lightning_flow",
    // A charge over the budget: ok anyway.
    "mcp_budget_deny",
    // Confirm with a wrong hash: a JWT, not an error.
    "mcp_errors_are_tool_errors",
];

async fn fake_fails_exactly_what_it_makes_up(profile: Profile) {
    let report = run(
        &built("examples/fake_mcp_server"),
        profile,
        None,
        Level::Compat,
    )
    .await;
    let failed = report.names(|o| matches!(o, Outcome::Fail(_)));
    assert_eq!(failed, FAKE_FAILS, "{profile:?}:\n{}", lines(&report));
    assert_eq!(report.skipped(), 0, "{}", lines(&report));
    let reason = |name: &str| {
        let check = report.checks.iter().find(|c| c.name == name).unwrap();
        check.line()
    };
    assert!(reason("mcp_confirm_quote_only").contains("made-up token"));
    assert!(reason("mcp_charge_matches_api").contains("the API booked 0 sats in 0 calls"));
}

/// `--mcp-url`: our binary serving Streamable HTTP (`--http 127.0.0.1:0`, a bearer
/// token) against a mock the test serves; every check passes but those that need to spawn
/// the server (the hard solves, its stderr), which say so.
async fn our_http_server_passes(profile: Profile) {
    let mock = liveauth_testkit::mock::serve(mock_api::Config {
        profile,
        demo_settle_after_secs: 3600,
        ..mock_api::Config::default()
    })
    .await
    .unwrap();
    let mut server = liveauth_testkit::process::spawn(
        tokio::process::Command::new(built("liveauth-mcp"))
            .args(["--http", "127.0.0.1:0", "--state", "memory"])
            .env("LIVEAUTH_API_BASE", &mock.base)
            .env("LIVEAUTH_HTTP_TOKEN", "conformance-test-token")
            .env_remove("LIVEAUTH_API_KEY"),
        "liveauth_mcp=info",
    );
    let url = server
        .stderr
        .find(|line| {
            let rest = line.split("Streamable HTTP at http://").nth(1)?;
            Some(format!("http://{}", rest.trim()))
        })
        .await;
    server.stderr.drain();
    let mut options = McpOptions::new(Vec::new());
    options.mcp_url = Some(url);
    options.bearer = Some("conformance-test-token".into());
    options.api_base = Some(mock.base.clone());
    options.level = Level::Strict;
    let report = conformance::mcp::run(options, |_| {}).await.unwrap();
    assert_eq!(
        report.names(|o| matches!(o, Outcome::Skip(_))),
        [
            "mcp_l402_bundle",
            "mcp_solve_progress",
            "mcp_solve_cancel",
            "mcp_stderr_no_secrets"
        ],
        "{}",
        lines(&report)
    );
    assert_eq!(report.failed(), 0, "{}", lines(&report));
}

liveauth_testkit::on_both_profiles!(
    our_server_passes_keyless,
    our_server_passes_keyed,
    fake_fails_exactly_what_it_makes_up,
    our_http_server_passes,
);
