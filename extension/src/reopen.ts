// Reopening a recent hubssh window whose server the culler stopped.
// Remote-SSH runs `ssh -o ConnectTimeout=15 …` and that flag beats the
// `ConnectTimeout 0` hubssh writes, so a spawn longer than 15 s ends in a
// Remote-SSH timeout although `hubssh proxy` would have started the server.
// VS Code activates every extension listening for
// onResolveRemoteAuthority:ssh-remote and waits for their activation before
// it asks Remote-SSH to resolve the window: this extension starts the
// server in that gap, with the hub's progress in a notification.
import * as vscode from 'vscode';
import { Helper } from './helper';
import { serverLabel } from './pick';
import { aliasOfAuthority } from './remote';
import { showError, withHubProgress } from './ui';

/** The ssh-remote authority this window is opening, if any. */
export function windowAuthority(): string | undefined {
  const uri = vscode.workspace.workspaceFile ?? vscode.workspace.workspaceFolders?.[0]?.uri;
  return uri?.scheme === 'vscode-remote' ? uri.authority : undefined;
}

/**
 * Starts the server behind authority if it is a hubssh host that is not
 * running. Returns what it did, for the log and the tests. Never throws:
 * whatever happens, Remote-SSH goes on and reports its own outcome.
 */
export async function ensureServerForAuthority(
  helper: () => Promise<Helper>,
  authority: string | undefined,
  log: vscode.LogOutputChannel,
): Promise<'not-hubssh' | 'running' | 'started' | 'cancelled' | 'failed'> {
  const alias = aliasOfAuthority(authority);
  if (!alias) {
    return 'not-hubssh';
  }
  try {
    const h = await helper();
    const hub = (await h.hubs()).find((x) => x.servers?.some((s) => s.alias === alias));
    const known = hub?.servers?.find((s) => s.alias === alias);
    if (!hub || !known) {
      return 'not-hubssh';
    }
    const info = (await h.servers(hub.url, known.user)).find((s) => s.name === known.name);
    if (info?.state === 'running') {
      return 'running';
    }
    log.info(`${alias}: the server is ${info?.state ?? 'gone'}; starting it before Remote-SSH connects`);
    const started = await withHubProgress(`Starting ${serverLabel(known.name)} for ${alias}`, async (onProgress, token) => {
      await h.start({ hub: hub.url, user: known.user, server: known.name }, onProgress, token);
      return true;
    });
    return started ? 'started' : 'cancelled';
  } catch (err) {
    showError(`Starting the server for ${alias}`, err, log);
    return 'failed';
  }
}
