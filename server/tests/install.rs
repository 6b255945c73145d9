//! Installing like any MCP server: `server.json` for the MCP registry and the npm packages
//! under `npm/` in step with the crate, and the npm package set, packed and installed
//! offline on this machine, running the built binary through `npx` and its launcher.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use liveauth_testkit::process;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_liveauth-mcp");
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The longest one npm command may take (a pack or an offline install takes seconds).
const NPM_BOUND: Duration = Duration::from_secs(300);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?} is not JSON: {e}"))
}

fn main_package() -> Value {
    read_json(&repo_root().join("npm/server/package.json"))
}

/// `server.json` has the registry's required fields, names our npm package, and carries
/// the crate's version: a version bump without it fails here.
#[test]
fn server_json_is_in_step_with_the_crate() {
    let server = read_json(&repo_root().join("server.json"));
    let npm = main_package();
    assert!(
        server["$schema"]
            .as_str()
            .is_some_and(|s| s.starts_with("https://static.modelcontextprotocol.io/schemas/")),
        "{server:#}"
    );
    assert_eq!(
        server["name"], npm["mcpName"],
        "registry name = package.json mcpName"
    );
    assert!(server["name"].as_str().unwrap().starts_with("io.github."));
    let description = server["description"].as_str().unwrap();
    assert!(!description.is_empty() && description.chars().count() <= 100);
    assert_eq!(server["version"], VERSION, "server.json version");
    assert_eq!(server["repository"]["source"], "github");
    let packages = server["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 1, "{packages:?}");
    let package = &packages[0];
    assert_eq!(package["registryType"], "npm");
    assert_eq!(package["identifier"], npm["name"]);
    assert_eq!(package["version"], VERSION, "server.json package version");
    assert_eq!(package["transport"], json!({"type": "stdio"}));
    assert_eq!(package["runtimeHint"], "npx");
    assert_eq!(
        package["runtimeArguments"],
        json!([{"type": "positional", "value": "-y"}])
    );
    for variable in package["environmentVariables"].as_array().unwrap() {
        assert_eq!(variable["isRequired"], false, "{variable}");
        assert_eq!(variable["isSecret"], false, "{variable}");
        assert!(variable["description"].is_string(), "{variable}");
        let format = variable["format"].as_str().unwrap();
        assert!(["string", "number", "boolean", "filepath"].contains(&format));
    }
}

/// The environment variables `server.json` offers are exactly those the binary reads
/// (its `--help` shows each as `[env: NAME]`).
#[test]
fn server_json_lists_the_variables_the_binary_reads() {
    let help = std::process::Command::new(BIN)
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    let help = String::from_utf8(help.stdout).unwrap();
    let read: BTreeSet<&str> = help
        .split("[env: ")
        .skip(1)
        .map(|rest| rest.split(['=', ']']).next().unwrap())
        .collect();
    let server = read_json(&repo_root().join("server.json"));
    let offered: BTreeSet<&str> = server["packages"][0]["environmentVariables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert!(read.contains("LIVEAUTH_API_KEY"), "{help}");
    assert_eq!(offered, read);
}

/// Every npm package has the crate's version, the main package depends on exactly the
/// platform packages at that version, and each platform package is named and limited
/// (`os`, `cpu`) after its folder, as the launcher looks it up.
#[test]
fn npm_packages_are_in_step_with_the_crate() {
    let npm = main_package();
    assert_eq!(npm["version"], VERSION, "npm/server version");
    assert_eq!(npm["bin"]["liveauth-mcp"], "bin/liveauth-mcp.js");
    let mut platforms = BTreeMap::new();
    for dir in std::fs::read_dir(repo_root().join("npm/platforms")).unwrap() {
        let dir = dir.unwrap();
        let folder = dir.file_name().into_string().unwrap();
        let package = read_json(&dir.path().join("package.json"));
        assert_eq!(package["version"], VERSION, "{folder} version");
        assert_eq!(package["name"], format!("@liveauth-mcp/{folder}"));
        let (os, cpu) = folder.split_once('-').unwrap();
        assert_eq!(package["os"], json!([os]), "{folder}");
        assert_eq!(package["cpu"], json!([cpu]), "{folder}");
        platforms.insert(package["name"].as_str().unwrap().to_owned(), json!(VERSION));
    }
    assert!(platforms.contains_key("@liveauth-mcp/linux-x64"));
    let depends: BTreeMap<String, Value> =
        serde_json::from_value(npm["optionalDependencies"].clone()).unwrap();
    assert_eq!(depends, platforms);
}

/// npm, with a private cache and config and no network: `npm ARGS` run in `dir`.
async fn npm(program: &str, args: &[&str], dir: &Path, home: &Path) -> String {
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(dir)
        .env("npm_config_cache", home.join("cache"))
        .env("npm_config_userconfig", home.join("npmrc"))
        .env("npm_config_offline", "true")
        .env("npm_config_update_notifier", "false")
        .env("npm_config_audit", "false")
        .env("npm_config_fund", "false")
        .kill_on_drop(true);
    let output = tokio::time::timeout(NPM_BOUND, command.output())
        .await
        .unwrap_or_else(|_| panic!("{program} {args:?} took over {NPM_BOUND:?}"))
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {program} ({e}): this test needs Node.js and npm on PATH \
                 (`apt-get install nodejs npm`; .ci/run installs them)"
            )
        });
    assert!(
        output.status.success(),
        "{program} {args:?}: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `npm pack DIR` into `into`; the packed file's path.
async fn pack(dir: &Path, into: &Path, home: &Path) -> PathBuf {
    let dir = dir.to_str().unwrap();
    let into_arg = into.to_str().unwrap();
    let args = ["pack", dir, "--pack-destination", into_arg, "--json"];
    let report: Value = serde_json::from_str(&npm("npm", &args, into, home).await).unwrap();
    into.join(report[0]["filename"].as_str().unwrap())
}

/// `npm install --offline` of the packed `files` into a new prefix under `home`.
async fn install_offline(name: &str, files: &[&Path], home: &Path) -> PathBuf {
    let prefix = home.join(name);
    std::fs::create_dir(&prefix).unwrap();
    let mut args = vec!["install", "--no-audit", "--no-fund", "--offline"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    npm("npm", &args, &prefix, home).await;
    prefix
}

/// The built binary without its debug info, if `strip` is there: the debug binary is
/// ~300 MB and packing it takes a minute; stripped, seconds.
fn binary_to_stage(home: &Path) -> PathBuf {
    let stripped = home.join("liveauth-mcp");
    let strip = std::process::Command::new("strip")
        .args(["--strip-debug", "-o"])
        .arg(&stripped)
        .arg(BIN)
        .status();
    if strip.is_ok_and(|s| s.success()) {
        stripped
    } else {
        PathBuf::from(BIN)
    }
}

/// This machine as Node names it (`process.platform`-`process.arch`).
fn node_platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        os => os,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        arch => arch,
    };
    format!("{os}-{arch}")
}

/// Sends `initialize` on `stdin` and returns the answer read from `stdout`.
async fn initialize(spawned: &mut process::Spawned) -> Value {
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "npx-test", "version": "0"}}});
    let line = format!("{request}\n");
    spawned.stdin.write_all(line.as_bytes()).await.unwrap();
    let mut lines = (&mut spawned.stdout).lines();
    let line = process::next_line(&mut lines).await;
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

/// The child's exit status, within [`process::LINE_BOUND`].
async fn exit_of(child: &mut tokio::process::Child) -> std::process::ExitStatus {
    tokio::time::timeout(process::LINE_BOUND, child.wait())
        .await
        .unwrap_or_else(|_| panic!("the process did not end"))
        .unwrap()
}

/// The npm package set as a user gets it: the built binary staged into its platform
/// package by `npm/stage.js`, both packages packed with `npm pack` and installed offline
/// from the packed files. Then `npx liveauth-mcp` answers an MCP `initialize` with this
/// crate's server info and exits 0 at the end of input; through the installed launcher an
/// exit code (a usage error: 2) and a signal (SIGTERM) come back as the binary's; and with
/// the main package alone the launcher says which package is missing.
#[tokio::test]
async fn npx_of_the_packed_packages_answers_initialize() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    std::fs::write(home.join("npmrc"), "").unwrap();
    let npm_dir = repo_root().join("npm");
    let staged = home.join("staged");
    let stage = [
        npm_dir.join("stage.js").into_os_string(),
        binary_to_stage(home).into_os_string(),
        staged.clone().into_os_string(),
    ];
    let stage: Vec<&str> = stage.iter().map(|a| a.to_str().unwrap()).collect();
    let staged_dir = npm("node", &stage, home, home).await;
    let platform_dir = PathBuf::from(staged_dir.trim());
    assert!(platform_dir.join("bin/liveauth-mcp").is_file());
    let packs = home.join("packs");
    std::fs::create_dir(&packs).unwrap();
    let platform = pack(&platform_dir, &packs, home).await;
    let main = pack(&npm_dir.join("server"), &packs, home).await;
    let prefix = install_offline("prefix", &[&platform, &main], home).await;

    // `npx` finds the installed bin in the prefix, as `npx -y @liveauth-mcp/server` does
    // once npm fetched the package.
    let mut npx = Command::new("npx");
    npx.args(["--offline", "liveauth-mcp", "--state", "memory"])
        .current_dir(&prefix)
        .env("npm_config_cache", home.join("cache"))
        .env("npm_config_userconfig", home.join("npmrc"))
        .env("npm_config_update_notifier", "false")
        .env("LIVEAUTH_API_BASE", "http://127.0.0.1:9");
    let mut spawned = process::spawn(&mut npx, "info");
    let answer = initialize(&mut spawned).await;
    assert_eq!(answer["id"], 1, "{answer}");
    assert_eq!(answer["result"]["serverInfo"]["name"], "liveauth-mcp");
    assert_eq!(answer["result"]["serverInfo"]["version"], VERSION);
    let process::Spawned {
        mut child, stdin, ..
    } = spawned;
    drop(stdin);
    assert!(exit_of(&mut child).await.success());

    let launcher = prefix.join("node_modules/.bin/liveauth-mcp");
    let usage = std::process::Command::new(&launcher)
        .arg("--no-such-flag")
        .output()
        .unwrap();
    assert_eq!(usage.status.code(), Some(2), "{usage:?}");
    assert!(String::from_utf8_lossy(&usage.stderr).contains("--no-such-flag"));

    let mut direct = Command::new(&launcher);
    direct
        .args(["--state", "memory"])
        .env("LIVEAUTH_API_BASE", "http://127.0.0.1:9");
    let mut spawned = process::spawn(&mut direct, "info");
    assert_eq!(
        initialize(&mut spawned).await["result"]["serverInfo"]["name"],
        "liveauth-mcp"
    );
    let pid = spawned.child.id().unwrap().to_string();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status();
    assert!(kill.unwrap().success());
    // The binary got the signal too: it held stdout, which now ends.
    let mut rest = Vec::new();
    let end = tokio::time::timeout(process::LINE_BOUND, spawned.stdout.read_to_end(&mut rest));
    let ended = end
        .await
        .unwrap_or_else(|_| panic!("the binary outlived the launcher"));
    ended.unwrap();
    assert_eq!(exit_of(&mut spawned.child).await.signal(), Some(15));

    let platform = node_platform();
    let alone = install_offline("alone", &[&main], home).await;
    let missing = std::process::Command::new(alone.join("node_modules/.bin/liveauth-mcp"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains(&format!("no prebuilt binary for {platform}"))
            && stderr.contains(&format!("@liveauth-mcp/{platform}")),
        "{stderr}"
    );
}
