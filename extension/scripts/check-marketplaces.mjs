// check-marketplaces VSIX...: each VSIX passes, offline, the checks the two
// registries' own publishing tools make before they upload: @vscode/vsce's
// (VS Code Marketplace) and ovsx's (Open VSX, which VSCodium, Positron and
// Cursor install from). Both read the VSIX itself, not the source tree.
// Run by scripts/test-extension on the VSIXes npm run package builds.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const require = createRequire(import.meta.url);
const vsceZip = require('@vscode/vsce/out/zip.js');
const vsceValidation = require('@vscode/vsce/out/validation.js');
const vscePackage = require('@vscode/vsce/out/package.js');
const ovsxZip = require('ovsx/lib/zip.js');
const ovsxUtil = require('ovsx/lib/util.js');
const ovsxLicense = require('ovsx/lib/check-license.js');
const semver = require('semver');

// The platforms Open VSX accepts for a platform-specific extension.
const openVSXTargets = new Set(['win32-x64', 'win32-arm64', 'linux-x64', 'linux-arm64', 'linux-armhf',
  'alpine-x64', 'alpine-arm64', 'darwin-x64', 'darwin-arm64', 'web', 'universal']);

async function marketplace(vsix) {
  const { manifest, xmlManifest } = await vsceZip.readVSIXPackage(vsix);
  // What vsce publish checks of a prepackaged VSIX (publish.js,
  // validateManifestForPublishing), with the validators it exports.
  vsceValidation.validatePublisher(manifest.publisher);
  vsceValidation.validateExtensionName(manifest.name);
  vsceValidation.validateVersion(manifest.version);
  vsceValidation.validateEngineCompatibility(manifest.engines?.vscode);
  if (semver.prerelease(manifest.version)) throw new Error(`prerelease version ${manifest.version}: the Marketplace refuses it`);
  if (manifest.enableProposedApi || manifest.enabledApiProposals?.length) throw new Error('uses proposed API: the Marketplace refuses it');
  // And everything vsce package checks, run again on what the VSIX holds.
  vscePackage.validateManifestForPackaging(manifest);
  const props = xmlManifest.PackageManifest.Metadata[0].Identity[0].$;
  if (props.Publisher !== manifest.publisher || props.Id !== manifest.name || props.Version !== manifest.version) {
    throw new Error(`extension.vsixmanifest says ${props.Publisher}.${props.Id}@${props.Version}, package.json ${manifest.publisher}.${manifest.name}@${manifest.version}`);
  }
  return props.TargetPlatform;
}

async function openVSX(vsix, target) {
  const manifest = await ovsxZip.readVSIXPackage(vsix);
  ovsxUtil.validateManifest(manifest);
  // Open VSX takes only licensed extensions (ovsx asks for one otherwise):
  // ovsx looks for a license field or LICENSE file, here the VSIX's own.
  const dir = mkdtempSync(join(tmpdir(), 'check-marketplaces-'));
  try {
    const files = await ovsxZip.readZip(vsix, (name) => /^extension\/LICENSE/i.test(name));
    for (const [name, data] of files) writeFileSync(join(dir, basename(name)), data);
    if (!(await ovsxLicense.isLicenseOk(dir, manifest))) throw new Error('no license: Open VSX refuses it');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (!/^[\w\-+$~]+$/.test(manifest.publisher) || !/^[\w\-+$~]+$/.test(manifest.name)) {
    throw new Error(`namespace ${manifest.publisher} or name ${manifest.name} has characters Open VSX does not allow`);
  }
  if (!semver.valid(manifest.version)) throw new Error(`version ${manifest.version} is not semver`);
  if (!openVSXTargets.has(target)) throw new Error(`target platform ${target} is not one Open VSX serves`);
}

let failed = 0;
for (const vsix of process.argv.slice(2)) {
  try {
    const target = await marketplace(vsix);
    await openVSX(vsix, target);
    console.error(`check-marketplaces: ${vsix.split('/').pop()} ok for the VS Code Marketplace (vsce) and Open VSX (ovsx), ${target}`);
  } catch (e) {
    failed++;
    console.error(`error: check-marketplaces: ${vsix}: ${e.message}`);
  }
}
if (process.argv.length < 3) { console.error('usage: check-marketplaces VSIX...'); failed++; }
process.exit(failed ? 1 : 0);
