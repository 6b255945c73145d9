//! `liveauth-mcp setup claude|goose|cursor` through the built binary: the block each client
//! gets, that no key is ever shown or written, and what `--write` does to a client's file
//! (merges, keeps every other key, creates it, refuses a malformed one untouched).

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_liveauth-mcp");

/// The command line every block starts the server with.
const ARGS: [&str; 2] = ["-y", "@liveauth-mcp/server"];

/// A home of its own, so that no test reads or writes a real client's configuration.
struct Home(tempfile::TempDir);

impl Home {
    fn new() -> Self {
        Self(tempfile::tempdir().unwrap())
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    /// `liveauth-mcp setup ARGS` with `HOME` here, no LiveAuth variables but `env`, and
    /// `PATH` = `path` before the usual one.
    fn run_with(&self, args: &[&str], env: &[(&str, &str)], path: Option<&Path>) -> Output {
        let mut command = std::process::Command::new(BIN);
        command.arg("setup").args(args).env("HOME", self.path());
        for name in [
            "LIVEAUTH_API_KEY",
            "LIVEAUTH_API_BASE",
            "LIVEAUTH_DEMO",
            "XDG_CONFIG_HOME",
        ] {
            command.env_remove(name);
        }
        command.envs(env.iter().copied());
        if let Some(dir) = path {
            let usual = std::env::var_os("PATH").unwrap_or_default();
            let mut dirs = vec![dir.to_owned()];
            dirs.extend(std::env::split_paths(&usual));
            command.env("PATH", std::env::join_paths(dirs).unwrap());
        }
        command.output().unwrap()
    }

    /// As [`Home::run_with`], and it succeeded; its stdout.
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let output = self.run_with(args, env, None);
        assert!(output.status.success(), "{args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap()
    }
}

/// The first JSON object printed in `stdout` (from a line `{` to a line `}`).
fn printed_json(stdout: &str) -> Value {
    let start = stdout
        .find("\n{\n")
        .unwrap_or_else(|| panic!("no JSON in {stdout}"))
        + 1;
    let end = start + stdout[start..].find("\n}\n").unwrap() + 2;
    serde_json::from_str(&stdout[start..end]).unwrap()
}

/// The `extensions:` YAML block printed in `stdout`, to its blank line.
fn printed_yaml(stdout: &str) -> yaml_serde::Value {
    let start = stdout
        .find("\nextensions:\n")
        .unwrap_or_else(|| panic!("{stdout}"))
        + 1;
    let end = start + stdout[start..].find("\n\n").unwrap();
    yaml_serde::from_str(&stdout[start..end]).unwrap()
}

fn npx_entry() -> Value {
    json!({"command": "npx", "args": ARGS})
}

/// Claude Desktop: the `mcpServers` block that runs the npm package through `npx`, for
/// Claude's file on this OS; keyless, it sets no environment.
#[test]
fn claude_block() {
    let home = Home::new();
    let stdout = home.run(&["claude"], &[]);
    assert_eq!(
        printed_json(&stdout),
        json!({"mcpServers": {"liveauth": npx_entry()}})
    );
    let file = home
        .path()
        .join(".config/Claude/claude_desktop_config.json");
    assert!(stdout.contains(&file.display().to_string()), "{stdout}");
    assert!(stdout.contains("--write"), "{stdout}");
}

/// Cursor: the same block for `~/.cursor/mcp.json`; a non-default API base and the legacy
/// demo are set in its `env`.
#[test]
fn cursor_block() {
    let home = Home::new();
    let stdout = home.run(
        &["cursor", "--api-base", "http://127.0.0.1:8402", "--demo"],
        &[],
    );
    let mut entry = npx_entry();
    entry["env"] = json!({"LIVEAUTH_API_BASE": "http://127.0.0.1:8402", "LIVEAUTH_DEMO": "true"});
    assert_eq!(
        printed_json(&stdout),
        json!({"mcpServers": {"liveauth": entry}})
    );
    assert!(stdout.contains(&home.path().join(".cursor/mcp.json").display().to_string()));
}

/// Goose: whether `goose --version` answers, the deep link (URLSearchParams encoding), the
/// `goose session` line and the `extensions.liveauth` YAML.
#[test]
fn goose_block() {
    let home = Home::new();
    let stdout = home.run(&["goose"], &[]);
    assert!(stdout.contains("Goose not found"), "{stdout}");
    assert!(stdout.lines().any(|line| line
        == "goose://extension?cmd=npx&arg=-y&arg=%40liveauth-mcp%2Fserver&timeout=300\
            &id=liveauth&name=LiveAuth&description=Give+Goose+agents+authenticated+access\
            +to+metered+and+paid+capabilities+through+LiveAuth."));
    assert!(
        stdout.contains("goose session --with-extension \"liveauth:npx -y @liveauth-mcp/server\"")
    );
    let yaml = printed_yaml(&stdout);
    let entry = &yaml["extensions"]["liveauth"];
    assert_eq!(entry["type"], "stdio");
    assert_eq!(entry["cmd"], "npx");
    assert_eq!(entry["args"], yaml_serde::to_value(ARGS).unwrap());
    assert_eq!(entry["enabled"], true);
    assert_eq!(entry["timeout"], 300);
    assert_eq!(entry["env_keys"], yaml_serde::Value::Sequence(Vec::new()));
    assert!(stdout.contains(".config/goose/config.yaml"), "{stdout}");

    // A `goose` on PATH that answers `--version` is reported found.
    let bin = home.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let goose = bin.join("goose");
    std::fs::write(
        &goose,
        "#!/bin/sh\n[ \"$1\" = --version ] && echo 'goose 1.9.3'\n",
    )
    .unwrap();
    make_executable(&goose);
    let output = home.run_with(&["goose"], &[], Some(&bin));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.starts_with("Goose found: goose 1.9.3\n"), "{stdout}");
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A key from `LIVEAUTH_API_KEY` or `--api-key` is never printed (stdout or stderr) nor
/// written: every client's block names the variable with the placeholder (Goose: in
/// `env_keys`).
#[test]
fn no_key_is_printed_or_written() {
    let home = Home::new();
    let from_env = [("LIVEAUTH_API_KEY", "la_pk_envsecret4242")];
    for client in ["claude", "cursor", "goose"] {
        let file = home.path().join(format!("{client}.conf"));
        let file = file.to_str().unwrap();
        let runs = [
            home.run_with(&[client, "--write", "--config", file], &from_env, None),
            home.run_with(&[client, "--api-key", "la_pk_flagsecret4242"], &[], None),
        ];
        for output in runs {
            assert!(output.status.success(), "{output:?}");
            let shown = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(!shown.contains("secret4242"), "{client}: {shown}");
            if client == "goose" {
                let entry = &printed_yaml(&shown)["extensions"]["liveauth"];
                assert_eq!(entry["env_keys"][0], "LIVEAUTH_API_KEY", "{shown}");
                assert!(shown.contains("Goose asks for LIVEAUTH_API_KEY"), "{shown}");
            } else {
                let entry = &printed_json(&shown)["mcpServers"]["liveauth"];
                assert_eq!(entry["env"]["LIVEAUTH_API_KEY"], "la_pk_…", "{shown}");
            }
        }
        let written = std::fs::read_to_string(file).unwrap();
        assert!(!written.contains("secret4242") && written.contains("LIVEAUTH_API_KEY"));
    }
}

/// `--write` on Claude's file: the diff is printed, the entry lands under `mcpServers`,
/// every other key (another server, settings before and after) stays with its value and
/// in its place; a second run finds nothing to write.
#[test]
fn write_merges_json_keeping_other_keys() {
    let home = Home::new();
    let file = home.path().join("claude.json");
    let old = json!({
        "globalShortcut": "Ctrl+Space",
        "mcpServers": {"files": {"command": "mcp-files", "args": ["/tmp"]}},
        "zoom": 1.5
    });
    std::fs::write(&file, format!("{old:#}")).unwrap();
    let config = file.to_str().unwrap();
    let stdout = home.run(&["claude", "--write", "--config", config], &[]);
    assert!(
        stdout.contains(&format!("--- {config}\n+++ {config}\n")),
        "{stdout}"
    );
    assert!(stdout.contains("+    \"liveauth\": {"), "{stdout}");
    let text = std::fs::read_to_string(&file).unwrap();
    let mut expected = old.clone();
    expected["mcpServers"]["liveauth"] = npx_entry();
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), expected);
    let at = |key: &str| text.find(key).unwrap();
    assert!(at("globalShortcut") < at("mcpServers") && at("mcpServers") < at("zoom"));
    assert!(at("\"files\"") < at("\"liveauth\""));

    let again = home.run(&["claude", "--write", "--config", config], &[]);
    assert!(again.contains("nothing to write"), "{again}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
}

/// `--write` on Goose's YAML keeps its other settings and extensions.
#[test]
fn write_merges_yaml_keeping_other_keys() {
    let home = Home::new();
    let file = home.path().join("config.yaml");
    std::fs::write(
        &file,
        "GOOSE_PROVIDER: anthropic\nextensions:\n  developer:\n    enabled: true\n    type: builtin\n",
    )
    .unwrap();
    home.run(
        &["goose", "--write", "--config", file.to_str().unwrap()],
        &[],
    );
    let written: yaml_serde::Value =
        yaml_serde::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(written["GOOSE_PROVIDER"], "anthropic");
    assert_eq!(written["extensions"]["developer"]["type"], "builtin");
    assert_eq!(written["extensions"]["liveauth"]["cmd"], "npx");
}

/// `--write` without `--config` creates the client's usual file (and its folders) under
/// the home.
#[test]
fn write_creates_the_usual_file() {
    let home = Home::new();
    home.run(&["cursor", "--write"], &[]);
    let file = home.path().join(".cursor/mcp.json");
    assert_eq!(
        read_json(&file),
        json!({"mcpServers": {"liveauth": npx_entry()}})
    );
    home.run(&["goose", "--write"], &[]);
    let yaml = std::fs::read_to_string(home.path().join(".config/goose/config.yaml")).unwrap();
    assert!(yaml.starts_with("extensions:\n  liveauth:\n"), "{yaml}");
}

fn read_json(path: &PathBuf) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A file that is not valid JSON (or YAML for Goose), or whose `mcpServers` is not an
/// object, is refused with a clear error and left byte for byte as it was, with nothing
/// written beside it.
#[test]
fn write_refuses_a_malformed_file() {
    let cases = [
        (
            "claude",
            "{\"mcpServers\": {\"files\": {},}\n",
            "is not valid JSON",
        ),
        (
            "cursor",
            "{\"mcpServers\": [1, 2]}\n",
            "mcpServers must be an object",
        ),
        ("claude", "[\"not\", \"an object\"]\n", "is not valid JSON"),
        (
            "goose",
            "extensions:\n  developer: [\n",
            "is not valid YAML",
        ),
        (
            "goose",
            "extensions: [a, b]\n",
            "extensions must be a mapping",
        ),
    ];
    for (client, content, reason) in cases {
        let home = Home::new();
        let file = home.path().join("config");
        std::fs::write(&file, content).unwrap();
        let output = home.run_with(
            &[client, "--write", "--config", file.to_str().unwrap()],
            &[],
            None,
        );
        assert!(!output.status.success(), "{client} {content:?}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(reason) && stderr.contains("left unchanged"),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), content);
        let entries = std::fs::read_dir(home.path()).unwrap().count();
        assert_eq!(entries, 1, "only the file itself");
    }
}
