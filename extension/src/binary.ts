// Where the hubssh binary lives. The ssh config hubssh writes names the
// binary that wrote it (ProxyCommand "…/hubssh" proxy ALIAS), and the
// extension's own folder is versioned: it disappears on the next update
// and every ssh entry would break. So the bundled binary is copied to the
// extension's global storage, a path that survives updates, and run from
// there. No vscode import: the tests call it on real files.
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';

export const exeName = process.platform === 'win32' ? 'hubssh.exe' : 'hubssh';

async function digest(file: string): Promise<string | undefined> {
  try {
    return createHash('sha256').update(await fs.readFile(file)).digest('hex');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw err;
  }
}

/**
 * Copies the bundled helper to storageDir/bin unless an identical copy is
 * there, and returns the stable path. The copy is written beside the
 * target and renamed over it, so a running `hubssh proxy` (an open ssh
 * session) keeps its old file. On Windows a running .exe cannot be
 * replaced but can be renamed: it is moved aside first, and leftovers of
 * earlier updates are removed when no longer in use.
 */
export async function installHelper(bundled: string, storageDir: string): Promise<string> {
  const want = await digest(bundled);
  if (want === undefined) {
    throw new Error(`the extension's hubssh binary is missing (${bundled}): reinstall the extension, or set hubssh.helperPath`);
  }
  const dir = path.join(storageDir, 'bin');
  const target = path.join(dir, exeName);
  await fs.mkdir(dir, { recursive: true });
  await removeStale(dir);
  if ((await digest(target)) === want) {
    return target;
  }
  const tmp = `${target}.new-${process.pid}`;
  await fs.copyFile(bundled, tmp);
  await fs.chmod(tmp, 0o755);
  try {
    await fs.rename(tmp, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'EBUSY' && code !== 'EACCES') {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    await fs.rename(target, `${target}.old-${Date.now()}`);
    await fs.rename(tmp, target);
  }
  return target;
}

async function removeStale(dir: string): Promise<void> {
  for (const name of await fs.readdir(dir)) {
    const file = path.join(dir, name);
    const old = name.startsWith(`${exeName}.old-`);
    // A .new- file may be another window's copy in progress: only an
    // abandoned one (an hour old) goes.
    const abandoned =
      name.startsWith(`${exeName}.new-`) &&
      Date.now() - (await fs.stat(file).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs > 3600_000;
    if (old || abandoned) {
      // A moved-aside .exe still running on Windows refuses: next time.
      await fs.rm(file, { force: true }).catch(() => undefined);
    }
  }
}

/** The helper shipped inside the extension (platform-specific VSIX). */
export function bundledHelper(extensionPath: string): string {
  return path.join(extensionPath, 'bin', exeName);
}
