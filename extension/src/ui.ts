// Small UI pieces shared by the commands: error messages with the action
// that fixes them, hub progress in a notification, readable diagnostics.
import * as vscode from 'vscode';
import { HelperError } from './helper';
import { Check, ProgressValue } from './protocol';

/** Command ids; package.json declares the same. */
export const Cmd = {
  connect: 'hubssh.connect',
  addHub: 'hubssh.addHub',
  signOut: 'hubssh.signOut',
  startServer: 'hubssh.startServer',
  stopServer: 'hubssh.stopServer',
  diagnose: 'hubssh.diagnose',
  showLog: 'hubssh.showLog',
  refresh: 'hubssh.refresh',
} as const;

/** The buttons an error offers, by the helper's error kind. */
export function errorActions(err: unknown): { title: string; command: string }[] {
  const log = { title: 'Show Log', command: Cmd.showLog };
  if (!(err instanceof HelperError)) {
    return [log];
  }
  switch (err.kind) {
    case 'auth':
      return [{ title: 'Add Token Again', command: Cmd.addHub }, log];
    case 'network':
    case 'server':
      return [{ title: 'Diagnose Connection', command: Cmd.diagnose }, log];
    case 'not-a-hub':
      return [{ title: 'Add Hub', command: Cmd.addHub }];
    case 'usage':
      return [];
    default:
      return [log];
  }
}

/** One line: what failed, then the helper's message (which says the fix). */
export function errorMessage(what: string, err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return `${what}: ${msg}`;
}

/**
 * Shows an error without blocking the caller (a notification may stay
 * open for minutes), and runs the button the user picks.
 */
export function showError(what: string, err: unknown, log: vscode.LogOutputChannel): void {
  log.error(errorMessage(what, err));
  const actions = errorActions(err);
  void vscode.window.showErrorMessage(errorMessage(what, err), ...actions.map((a) => a.title)).then((picked) => {
    const a = actions.find((x) => x.title === picked);
    if (a) {
      void vscode.commands.executeCommand(a.command);
    }
  });
}

/**
 * Runs a call that may spawn a server in a cancellable notification that
 * shows the hub's own progress messages. Resolves undefined when the user
 * cancels.
 */
export async function withHubProgress<T>(
  title: string,
  run: (onProgress: (v: ProgressValue) => void, token: vscode.CancellationToken) => Promise<T>,
): Promise<T | undefined> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, token) => {
      let last = 0;
      const onProgress = (v: ProgressValue) => {
        const pct = Math.max(last, Math.min(100, v.percentage || 0));
        progress.report({ increment: pct - last, message: v.message || undefined });
        last = pct;
      };
      try {
        return await run(onProgress, token);
      } catch (err) {
        if (err instanceof HelperError && err.cancelled) {
          return undefined;
        }
        throw err;
      }
    },
  );
}

const icon: Record<Check['status'], string> = { ok: '✅', warn: '⚠️', fail: '❌' };

/** The helper's doctor as Markdown a person reads top to bottom. */
export function renderChecks(title: string, checks: Check[]): string {
  const failed = checks.filter((c) => c.status === 'fail').length;
  const warned = checks.filter((c) => c.status === 'warn').length;
  const summary =
    failed + warned === 0
      ? `All ${checks.length} checks passed.`
      : `${failed} failed, ${warned} with warnings, ${checks.length - failed - warned} passed.`;
  const lines = [`# ${title}`, '', summary, ''];
  const order: Check['status'][] = ['fail', 'warn', 'ok'];
  for (const status of order) {
    for (const c of checks.filter((x) => x.status === status)) {
      lines.push(`- ${icon[c.status]} **${c.name}**: ${c.detail}`);
      if (c.fix) {
        lines.push(`  - Fix: ${c.fix}`);
      }
    }
  }
  return lines.join('\n') + '\n';
}
