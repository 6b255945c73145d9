#!/usr/bin/env node
// Runs the prebuilt `liveauth-mcp` binary of this machine's platform, which npm installed
// beside this package as the optional dependency @liveauth-mcp/<platform>-<arch> (npm
// skips the ones whose `os`/`cpu` do not match). The binary gets this process's stdio
// as is (stdout is the MCP channel), its arguments and environment; a signal sent to this
// launcher is passed on, and the launcher ends as the binary did (same exit code, or the
// same signal).
"use strict";

const { spawn } = require("node:child_process");

const target = `${process.platform}-${process.arch}`;
const platformPackage = `@liveauth-mcp/${target}`;
const executable = process.platform === "win32" ? "liveauth-mcp.exe" : "liveauth-mcp";

function binaryPath() {
  try {
    return require.resolve(`${platformPackage}/bin/${executable}`);
  } catch {
    return null;
  }
}

const binary = binaryPath();
if (binary === null) {
  process.stderr.write(
    `liveauth-mcp: no prebuilt binary for ${target}: the package ${platformPackage} is not installed.\n` +
      "Reinstall without --no-optional / --omit=optional, or build the server from source:\n" +
      "  cargo install --git https://github.com/liveauth-labs/liveauth-mcp liveauth-mcp\n",
  );
  process.exit(1);
}

const child = spawn(binary, process.argv.slice(2), { stdio: "inherit" });
const forwarded = ["SIGINT", "SIGTERM", "SIGHUP"];
for (const signal of forwarded) {
  process.on(signal, () => child.kill(signal));
}
child.on("error", (error) => {
  process.stderr.write(`liveauth-mcp: cannot run ${binary}: ${error.message}\n`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  if (signal !== null) {
    // Die of the same signal, so that whoever started us sees what the binary saw.
    for (const name of forwarded) process.removeAllListeners(name);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code ?? 1);
});
