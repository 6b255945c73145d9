#!/usr/bin/env node
// Stages a built `liveauth-mcp` binary as a platform package ready for `npm pack` or
// `npm publish`: copies npm/platforms/<platform>/ (its package.json) to
// OUT_DIR/<platform>/ and the binary into its bin/. Nothing under npm/ is written.
//
//   node npm/stage.js BINARY OUT_DIR [PLATFORM]
//
// PLATFORM is `<process.platform>-<process.arch>` of the binary (default: this machine's),
// e.g. linux-x64. Prints the staged package's directory.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

function fail(message) {
  process.stderr.write(`stage.js: ${message}\n`);
  process.exit(1);
}

const [binary, outDir, platform = `${process.platform}-${process.arch}`] = process.argv.slice(2);
if (!binary || !outDir) fail("usage: node npm/stage.js BINARY OUT_DIR [PLATFORM]");

const platforms = path.join(__dirname, "platforms");
const template = path.join(platforms, platform, "package.json");
if (!fs.existsSync(template)) {
  fail(`no platform package ${platform}; known: ${fs.readdirSync(platforms).join(", ")}`);
}
const manifest = JSON.parse(fs.readFileSync(template, "utf8"));
const main = JSON.parse(fs.readFileSync(path.join(__dirname, "server", "package.json"), "utf8"));
if (main.optionalDependencies[manifest.name] !== manifest.version) {
  fail(`${main.name} does not depend on ${manifest.name}@${manifest.version}`);
}
if (!fs.statSync(binary, { throwIfNoEntry: false })?.isFile()) fail(`no binary at ${binary}`);

const staged = path.join(outDir, platform);
const executable = platform.startsWith("win32-") ? "liveauth-mcp.exe" : "liveauth-mcp";
fs.mkdirSync(path.join(staged, "bin"), { recursive: true });
fs.copyFileSync(template, path.join(staged, "package.json"));
fs.copyFileSync(binary, path.join(staged, "bin", executable));
fs.chmodSync(path.join(staged, "bin", executable), 0o755);
process.stdout.write(`${staged}\n`);
