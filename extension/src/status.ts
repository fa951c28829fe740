// The status bar line for ssh connections through hubssh that are being
// resumed (docs/resume.md). The helper tells us ($/connection); this file
// only shows it. No vscode import in the formatting, for the unit tests.
import type { ConnectionParams } from './protocol';

/** What the status bar shows for one notification; undefined hides it. */
export function statusText(p: ConnectionParams): { text: string; tooltip: string } | undefined {
  switch (p.state) {
    case 'resuming': {
      const retry = p.retry > 0 ? `, retry ${p.retry}` : '';
      return { text: `$(sync~spin) hubssh: resuming ${p.label} (${Math.round(p.since)} s${retry})`, tooltip: p.message };
    }
    case 'resumed':
      return { text: `$(check) hubssh: ${p.label} resumed`, tooltip: p.message };
    default:
      return undefined;
  }
}

/** How long a "resumed" line stays before it goes. */
export const resumedShownFor = 5000;

/** The least grace VS Code's own reconnection needs: hubsshd's default
 * detach window (15 min) plus hubssh's minute of grace past it. */
export const neededGraceSeconds = 16 * 60;

/**
 * Remote-SSH gives up on its own reconnection after
 * remote.SSH.reconnectionGraceTime seconds (3 h by default). A user who
 * lowered it below hubssh's window would lose the window while the SSH
 * connection survived: raise it. Returns what changed, for the log.
 */
export async function ensureReconnectionGrace(config: {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown, global: boolean): Thenable<void>;
}): Promise<string | undefined> {
  const grace = config.get<number>('reconnectionGraceTime');
  if (typeof grace !== 'number' || grace >= neededGraceSeconds) {
    return undefined;
  }
  await config.update('reconnectionGraceTime', neededGraceSeconds, true);
  return `raised remote.SSH.reconnectionGraceTime from ${grace} to ${neededGraceSeconds} s, so VS Code waits as long as hubssh resumes a connection`;
}
