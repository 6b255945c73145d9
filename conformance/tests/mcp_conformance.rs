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

liveauth_testkit::on_both_profiles!(
    our_server_passes_keyless,
    our_server_passes_keyed,
    fake_fails_exactly_what_it_makes_up,
);
