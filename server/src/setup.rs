//! `liveauth-mcp setup claude|goose|cursor`: what adds this server to an MCP client,
//! printed (Claude Desktop's and Cursor's JSON, Goose's deep link, command line and YAML),
//! and with `--write` merged into the client's own configuration file after a diff.
//!
//! No key ever passes through here: whether one is configured (`--api-key` or
//! `LIVEAUTH_API_KEY`) only decides whether the block names `LIVEAUTH_API_KEY`, with the
//! placeholder [`KEY_PLACEHOLDER`] as its value (Goose: in `env_keys`, so that Goose asks
//! for it and keeps it in its keyring). The block starts the npm package through `npx`,
//! as the npm server's own instructions do.
//!
//! `--write` keeps every other key of the file: JSON files keep their key order and the
//! text of every other entry as it was; YAML is read and written whole (its comments are
//! lost, which the diff shows). A file that does not parse is refused and left as it was.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::config::{DEFAULT_API_BASE, Settings};

/// The npm package that runs the prebuilt binary (`npm/server/`).
pub const NPM_PACKAGE: &str = "@liveauth-mcp/server";

/// What stands for the project public key in every block: never the key itself.
pub const KEY_PLACEHOLDER: &str = "la_pk_…";

/// The server's name in every client's configuration.
const SERVER_ID: &str = "liveauth";

/// How long `goose --version` may take before Goose counts as absent.
const GOOSE_PROBE: Duration = Duration::from_secs(5);

/// Shown by Goose beside the extension, in the deep link and the YAML.
const GOOSE_DESCRIPTION: &str =
    "Give Goose agents authenticated access to metered and paid capabilities through LiveAuth.";

/// Goose's default extension timeout, in seconds.
const GOOSE_TIMEOUT: u32 = 300;

/// The MCP clients `setup` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Client {
    /// Claude Desktop (`claude_desktop_config.json`).
    Claude,
    /// Goose (`config.yaml`, or its deep link).
    Goose,
    /// Cursor (`~/.cursor/mcp.json`).
    Cursor,
}

/// `liveauth-mcp setup`'s arguments.
#[derive(Debug, clap::Args)]
pub struct SetupArgs {
    /// The MCP client to configure.
    #[arg(value_enum)]
    pub client: Client,
    /// Merge the block into the client's configuration file (after printing the diff),
    /// keeping everything else in it; a file that does not parse is left untouched.
    #[arg(long)]
    pub write: bool,
    /// The client's configuration file, instead of its usual place on this OS.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

/// Why `setup` stopped; the configuration file is unchanged in every case.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("no home directory (HOME is not set): pass --config PATH")]
    NoHome,
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid {format} ({reason}); it was left unchanged")]
    Malformed {
        path: PathBuf,
        format: &'static str,
        reason: String,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot print: {0}")]
    Output(#[from] std::io::Error),
}

/// Prints the block for `args.client` to `out`, and with `--write` merges it into the
/// client's file. `settings` say which environment the block sets (never the key's value).
pub async fn run(
    args: &SetupArgs,
    settings: &Settings,
    out: &mut dyn Write,
) -> Result<(), SetupError> {
    let env = Env::of(settings);
    let path = match &args.config {
        Some(path) => path.clone(),
        None => default_path(args.client).ok_or(SetupError::NoHome)?,
    };
    match args.client {
        Client::Claude | Client::Cursor => {
            // The block is what --write would make of an empty file.
            let block = merge_json("", &JsonEntry::new(&env).text()?, &path)?;
            let name = if args.client == Client::Claude {
                "Claude Desktop"
            } else {
                "Cursor"
            };
            writeln!(out, "Add this to {name}'s {}:\n", path.display())?;
            writeln!(out, "{block}")?;
        }
        Client::Goose => print_goose(&env, &path, out).await?,
    }
    if env.has_key && args.client == Client::Goose {
        writeln!(
            out,
            "Goose asks for LIVEAUTH_API_KEY (listed in env_keys) and keeps it in its keyring."
        )?;
    } else if env.has_key {
        writeln!(
            out,
            "Replace {KEY_PLACEHOLDER} with your project public key (this command never shows it)."
        )?;
    }
    if args.write {
        write(args.client, &env, &path, out)?;
    } else {
        writeln!(out, "Run again with --write to merge it into that file.")?;
    }
    Ok(())
}

/// The environment the block gives the server: names and non-secret values only.
#[derive(Debug)]
struct Env {
    has_key: bool,
    /// `LIVEAUTH_API_BASE` and `LIVEAUTH_DEMO` when they differ from the defaults.
    plain: Vec<(&'static str, String)>,
}

impl Env {
    fn of(settings: &Settings) -> Self {
        let mut plain = Vec::new();
        if settings.api_base != DEFAULT_API_BASE {
            plain.push(("LIVEAUTH_API_BASE", settings.api_base.clone()));
        }
        if settings.legacy_demo {
            plain.push(("LIVEAUTH_DEMO", "true".to_owned()));
        }
        Self {
            has_key: settings.api_key.is_some(),
            plain,
        }
    }
}

/// The usual configuration file of `client` on this OS.
fn default_path(client: Client) -> Option<PathBuf> {
    let var = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let home = var(if cfg!(windows) { "USERPROFILE" } else { "HOME" });
    // Windows: %APPDATA%; macOS: ~/Library/Application Support; else $XDG_CONFIG_HOME.
    let app_config = if cfg!(windows) {
        var("APPDATA")
    } else if cfg!(target_os = "macos") {
        home.as_ref().map(|h| h.join("Library/Application Support"))
    } else {
        var("XDG_CONFIG_HOME").or_else(|| home.as_ref().map(|h| h.join(".config")))
    };
    match client {
        Client::Claude => Some(
            app_config?
                .join("Claude")
                .join("claude_desktop_config.json"),
        ),
        Client::Cursor => Some(home?.join(".cursor").join("mcp.json")),
        // Goose keeps ~/.config on macOS too.
        Client::Goose if cfg!(windows) => Some(app_config?.join(r"Block\goose\config\config.yaml")),
        Client::Goose => Some(
            var("XDG_CONFIG_HOME")
                .or_else(|| home.map(|h| h.join(".config")))?
                .join("goose")
                .join("config.yaml"),
        ),
    }
}

/// The `mcpServers` entry of Claude Desktop and Cursor (the same format), in the order
/// people write it.
#[derive(Debug, Serialize)]
struct JsonEntry {
    command: &'static str,
    args: [&'static str; 2],
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    env: IndexMap<&'static str, String>,
}

impl JsonEntry {
    fn new(env: &Env) -> Self {
        let mut vars: IndexMap<_, _> = env.plain.iter().cloned().collect();
        if env.has_key {
            vars.insert("LIVEAUTH_API_KEY", KEY_PLACEHOLDER.to_owned());
        }
        Self {
            command: "npx",
            args: ["-y", NPM_PACKAGE],
            env: vars,
        }
    }

    /// The entry as pretty JSON.
    fn text(&self) -> Result<String, SetupError> {
        serde_json::to_string_pretty(self).map_err(|e| SetupError::Output(e.into()))
    }
}

/// Goose's `extensions.liveauth` entry.
#[derive(Debug, Serialize)]
struct GooseExtension {
    r#type: &'static str,
    name: &'static str,
    description: &'static str,
    enabled: bool,
    cmd: &'static str,
    args: [&'static str; 2],
    /// Secrets Goose asks for and keeps in its keyring.
    env_keys: Vec<&'static str>,
    envs: IndexMap<&'static str, String>,
    timeout: u32,
}

impl GooseExtension {
    fn new(env: &Env) -> Self {
        Self {
            r#type: "stdio",
            name: "LiveAuth",
            description: GOOSE_DESCRIPTION,
            enabled: true,
            cmd: "npx",
            args: ["-y", NPM_PACKAGE],
            env_keys: if env.has_key {
                vec!["LIVEAUTH_API_KEY"]
            } else {
                Vec::new()
            },
            envs: env.plain.iter().cloned().collect(),
            timeout: GOOSE_TIMEOUT,
        }
    }
}

/// Goose: whether it is installed, the deep link, the command line and the YAML block.
async fn print_goose(env: &Env, path: &Path, out: &mut dyn Write) -> Result<(), SetupError> {
    match goose_version().await {
        Some(version) => writeln!(out, "Goose found: {version}\n")?,
        None => writeln!(
            out,
            "Goose not found on PATH (`goose --version` did not answer); install it, then use \
             one of these.\n"
        )?,
    }
    let extension = GooseExtension::new(env);
    writeln!(
        out,
        "Open this link to add the extension:\n{}\n",
        goose_link()
    )?;
    writeln!(
        out,
        "Or start a session with it:\ngoose session --with-extension \"{SERVER_ID}:npx -y {NPM_PACKAGE}\"\n"
    )?;
    let block = yaml_serde::Mapping::from_iter([(
        "extensions".into(),
        yaml_serde::Mapping::from_iter([(SERVER_ID.into(), yaml_value(&extension, path)?)]).into(),
    )]);
    let yaml = yaml_serde::to_string(&block).map_err(|e| malformed(path, "YAML", &e))?;
    writeln!(out, "Or add this to {}:\n\n{yaml}", path.display())?;
    if env.plain.is_empty() && !env.has_key {
        writeln!(
            out,
            "No credential is needed: the first proof-of-work flow is keyless."
        )?;
    }
    Ok(())
}

fn yaml_value(extension: &GooseExtension, path: &Path) -> Result<yaml_serde::Value, SetupError> {
    yaml_serde::to_value(extension).map_err(|e| malformed(path, "YAML", &e))
}

/// `goose --version`'s first line, run without a shell and given [`GOOSE_PROBE`].
async fn goose_version() -> Option<String> {
    let probe = tokio::process::Command::new("goose")
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(GOOSE_PROBE, probe).await.ok()?.ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().next().unwrap_or_default().trim();
    (output.status.success() && !line.is_empty()).then(|| line.to_owned())
}

/// Goose's `goose://extension` deep link: one `arg` per argument, form-encoded as
/// JavaScript's `URLSearchParams` does. It carries no environment.
fn goose_link() -> String {
    let timeout = GOOSE_TIMEOUT.to_string();
    let params = [
        ("cmd", "npx"),
        ("arg", "-y"),
        ("arg", NPM_PACKAGE),
        ("timeout", timeout.as_str()),
        ("id", SERVER_ID),
        ("name", "LiveAuth"),
        ("description", GOOSE_DESCRIPTION),
    ];
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", form_encode(v)))
        .collect();
    format!("goose://extension?{}", query.join("&"))
}

/// `application/x-www-form-urlencoded`: letters, digits and `*-._` as they are, space as
/// `+`, every other byte `%XX`.
fn form_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                encoded.push(char::from(byte));
            }
            b' ' => encoded.push('+'),
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

/// `--write`: the file merged with the block, the diff printed, then the file written.
fn write(client: Client, env: &Env, path: &Path, out: &mut dyn Write) -> Result<(), SetupError> {
    let old = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(SetupError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let new = match client {
        Client::Claude | Client::Cursor => merge_json(&old, &JsonEntry::new(env).text()?, path)?,
        Client::Goose => merge_yaml(&old, yaml_value(&GooseExtension::new(env), path)?, path)?,
    };
    if new == old {
        writeln!(
            out,
            "{} already has this entry; nothing to write.",
            path.display()
        )?;
        return Ok(());
    }
    let shown = path.display().to_string();
    let diff = similar::TextDiff::from_lines(&old, &new);
    write!(out, "{}", diff.unified_diff().header(&shown, &shown))?;
    let failed = |source| SetupError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    // Written beside it, then renamed over it: a crash never leaves half a file.
    let mut partial = path.as_os_str().to_owned();
    partial.push(".liveauth-setup");
    std::fs::write(&partial, &new).map_err(failed)?;
    std::fs::rename(&partial, path).map_err(failed)?;
    writeln!(out, "\nWrote {shown}; restart the client to load it.")?;
    Ok(())
}

fn malformed(path: &Path, format: &'static str, reason: &dyn std::fmt::Display) -> SetupError {
    SetupError::Malformed {
        path: path.to_owned(),
        format,
        reason: reason.to_string(),
    }
}

/// A JSON object as read: its keys in file order, each value's text as it was.
type RawObject = IndexMap<String, Box<RawValue>>;

/// `text` (a JSON object, or empty) with `mcpServers.liveauth` set to `entry` (pretty JSON):
/// every other key stays in its place with its text, so the diff shows only what changed.
fn merge_json(text: &str, entry: &str, path: &Path) -> Result<String, SetupError> {
    let parse = |text: &str, what: &str| -> Result<RawObject, SetupError> {
        serde_json::from_str(text).map_err(|e| malformed(path, "JSON", &format!("{what}: {e}")))
    };
    let top = if text.trim().is_empty() {
        RawObject::new()
    } else {
        parse(text, "the file must be an object")?
    };
    let servers = match top.get("mcpServers") {
        Some(raw) => parse(raw.get(), "mcpServers must be an object")?,
        None => RawObject::new(),
    };
    let servers = with_entry(&servers, SERVER_ID, indent(entry, 2), 1);
    Ok(with_entry(&top, "mcpServers", servers, 0) + "\n")
}

/// `object` printed at nesting `depth` with `key` set to the JSON text `value`, in
/// `key`'s old place or last; the other values' text as it was.
fn with_entry(object: &RawObject, key: &str, value: String, depth: usize) -> String {
    let mut entries: Vec<(&str, &str)> =
        object.iter().map(|(k, v)| (k.as_str(), v.get())).collect();
    match entries.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = &value,
        None => entries.push((key, &value)),
    }
    let pad = "  ".repeat(depth + 1);
    let lines: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{pad}{}: {v}", Value::String((*k).to_owned())))
        .collect();
    format!("{{\n{}\n{}}}", lines.join(",\n"), "  ".repeat(depth))
}

/// Pretty JSON `text` moved right to sit at nesting `depth`.
fn indent(text: &str, depth: usize) -> String {
    text.replace('\n', &format!("\n{}", "  ".repeat(depth)))
}

/// Goose's `text` (a YAML mapping, or empty) with `extensions.liveauth` set to `entry`.
fn merge_yaml(text: &str, entry: yaml_serde::Value, path: &Path) -> Result<String, SetupError> {
    use yaml_serde::{Mapping, Value as Yaml};
    let not_a_mapping = |what: &str| malformed(path, "YAML", &format!("{what} must be a mapping"));
    let parsed: Yaml = yaml_serde::from_str(text).map_err(|e| malformed(path, "YAML", &e))?;
    let mut top = match parsed {
        Yaml::Mapping(top) => top,
        Yaml::Null => Mapping::new(),
        _ => return Err(not_a_mapping("the file")),
    };
    let extensions = top
        .entry("extensions".into())
        .or_insert_with(|| Yaml::Mapping(Mapping::new()));
    if extensions.is_null() {
        *extensions = Yaml::Mapping(Mapping::new());
    }
    let Yaml::Mapping(extensions) = extensions else {
        return Err(not_a_mapping("extensions"));
    };
    extensions.insert(SERVER_ID.into(), entry);
    yaml_serde::to_string(&top).map_err(|e| malformed(path, "YAML", &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_is_url_search_params() {
        assert_eq!(
            form_encode("@liveauth-mcp/server"),
            "%40liveauth-mcp%2Fserver"
        );
        assert_eq!(form_encode("a b.c*_~"), "a+b.c*_%7E");
    }

    #[test]
    fn json_merge_keeps_order_and_text_of_other_keys() {
        let old = "{\n  \"z\": [1,2],\n  \"mcpServers\": {\"other\": {\"command\": \"x\"}},\n  \"a\": true\n}\n";
        let merged = merge_json(old, "{\n  \"command\": \"npx\"\n}", Path::new("f")).unwrap();
        assert_eq!(
            merged,
            "{\n  \"z\": [1,2],\n  \"mcpServers\": {\n    \"other\": {\"command\": \"x\"},\n    \
             \"liveauth\": {\n      \"command\": \"npx\"\n    }\n  },\n  \"a\": true\n}\n"
        );
        let again = merge_json(&merged, "{\n  \"command\": \"npx\"\n}", Path::new("f")).unwrap();
        assert_eq!(again, merged, "merging twice changes nothing");
    }
}
