// Builds one VSIX per platform, each with its own cross-compiled hubssh in
// bin/ (VS Code installs the VSIX matching the user's platform).
//   node scripts/package.mjs                      every target
//   node scripts/package.mjs --target linux-x64   one (repeatable)
// Output: ../dist/vsix/hubssh-TARGET-VERSION.vsix
import { execFileSync } from 'child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'fs';
import { dirname, join, resolve } from 'path';
import { fileURLToPath } from 'url';

const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(here, '..');
const { version } = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));

// VS Code's platform names → Go's.
const targets = {
  'linux-x64': ['linux', 'amd64'],
  'linux-arm64': ['linux', 'arm64'],
  'darwin-x64': ['darwin', 'amd64'],
  'darwin-arm64': ['darwin', 'arm64'],
  'win32-x64': ['windows', 'amd64'],
  'win32-arm64': ['windows', 'arm64'],
};

const args = process.argv.slice(2);
const wanted = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--target' && args[i + 1]) {
    wanted.push(args[++i]);
  } else {
    console.error(`usage: node scripts/package.mjs [--target ${Object.keys(targets).join('|')}]...`);
    process.exit(2);
  }
}
for (const t of wanted) {
  if (!targets[t]) {
    console.error(`unknown target ${t}: use one of ${Object.keys(targets).join(', ')}`);
    process.exit(2);
  }
}

const outDir = join(repo, 'dist', 'vsix');
mkdirSync(outDir, { recursive: true });
const run = (cmd, argv, opts = {}) => execFileSync(cmd, argv, { stdio: 'inherit', ...opts });

for (const t of wanted.length ? wanted : Object.keys(targets)) {
  const [goos, goarch] = targets[t];
  const exe = goos === 'windows' ? 'hubssh.exe' : 'hubssh';
  const bin = join(here, 'bin');
  rmSync(bin, { recursive: true, force: true });
  mkdirSync(bin);
  const built = join(repo, 'dist', `vsix-build-${t}`, exe);
  run('go', ['build', '-trimpath', '-ldflags', `-s -w -X github.com/hubssh/hubssh/internal/version.Version=v${version}`, '-o', built, './helper/cmd/hubssh'], {
    cwd: repo,
    env: { ...process.env, CGO_ENABLED: '0', GOOS: goos, GOARCH: goarch },
  });
  copyFileSync(built, join(bin, exe));
  const vsix = join(outDir, `hubssh-${t}-${version}.vsix`);
  run(join(here, 'node_modules', '.bin', 'vsce'), ['package', '--target', t, '--no-dependencies', '--out', vsix], { cwd: here });
  console.log(`packaged ${vsix}`);
}
rmSync(join(here, 'bin'), { recursive: true, force: true });
