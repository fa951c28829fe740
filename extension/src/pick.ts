// The quick inputs of "Connect to JupyterHub": which hub (or add one with
// its token), which server (or a new named one).
import * as vscode from 'vscode';
import { Helper } from './helper';
import { Hub, ServerInfo } from './protocol';
import { tokenPage } from './remote';

export function hubLabel(hub: Hub): string {
  try {
    const u = new URL(hub.url);
    return u.host + (u.pathname === '/' ? '' : u.pathname.replace(/\/$/, ''));
  } catch {
    return hub.url;
  }
}

export function serverLabel(name: string): string {
  return name === '' ? 'Default server' : name;
}

interface HubItem extends vscode.QuickPickItem {
  hub?: Hub;
}

/** A known hub, or a new one added on the spot; undefined if dismissed. */
export async function pickHub(helper: Helper, title: string): Promise<Hub | undefined> {
  const hubs = await helper.hubs();
  if (hubs.length === 0) {
    return addHub(helper);
  }
  const items: HubItem[] = hubs.map((hub) => ({
    label: `$(server-environment) ${hubLabel(hub)}`,
    description: `as ${hub.user}`,
    detail: hub.url,
    hub,
  }));
  items.push({ label: '$(add) Add a JupyterHub…', alwaysShow: true });
  const picked = await vscode.window.showQuickPick(items, {
    title,
    placeHolder: 'Pick a JupyterHub',
    ignoreFocusOut: true,
  });
  if (!picked) {
    return undefined;
  }
  return picked.hub ?? addHub(helper);
}

/**
 * Asks for the hub's URL, then for a token in a password box with a
 * button that opens the hub's token page. hubssh checks the token with the
 * hub before storing it; a rejected one keeps the box open with the reason.
 */
export async function addHub(helper: Helper, initialUrl = ''): Promise<Hub | undefined> {
  let url = initialUrl;
  for (;;) {
    const typed = await askUrl(url);
    if (typed === undefined) {
      return undefined;
    }
    url = typed;
    const r = await askToken(helper, url);
    if (r === 'back') {
      continue;
    }
    return r;
  }
}

function askUrl(value: string): Promise<string | undefined> {
  const box = vscode.window.createInputBox();
  box.title = 'Add a JupyterHub (1/2): hub URL';
  box.prompt = 'The address you open JupyterHub at, e.g. https://hub.example.org';
  box.placeholder = 'https://hub.example.org';
  box.value = value;
  box.ignoreFocusOut = true;
  return new Promise((resolve) => {
    let done = false;
    box.onDidChangeValue((v) => {
      box.validationMessage = v.trim() && !tokenPage(v) ? 'Not an http(s) address' : undefined;
    });
    box.onDidAccept(() => {
      if (!tokenPage(box.value)) {
        box.validationMessage = 'Type the hub address, e.g. https://hub.example.org';
        return;
      }
      done = true;
      resolve(box.value.trim());
      box.hide();
    });
    box.onDidHide(() => {
      box.dispose();
      if (!done) {
        resolve(undefined);
      }
    });
    box.show();
  });
}

const openTokenPage: vscode.QuickInputButton = {
  iconPath: new vscode.ThemeIcon('link-external'),
  tooltip: 'Open token page',
};

function askToken(helper: Helper, url: string): Promise<Hub | 'back' | undefined> {
  const page = tokenPage(url)!;
  const box = vscode.window.createInputBox();
  box.title = 'Add a JupyterHub (2/2): API token';
  box.prompt = `Paste a token from ${page} (the button above opens it). hubssh keeps it in your OS keyring.`;
  box.password = true;
  box.ignoreFocusOut = true;
  box.buttons = [vscode.QuickInputButtons.Back, openTokenPage];
  return new Promise((resolve) => {
    let done = false;
    const finish = (v: Hub | 'back' | undefined) => {
      done = true;
      resolve(v);
      box.hide();
    };
    box.onDidTriggerButton((b) => {
      if (b === vscode.QuickInputButtons.Back) {
        finish('back');
      } else {
        void vscode.env.openExternal(vscode.Uri.parse(page));
      }
    });
    box.onDidChangeValue(() => (box.validationMessage = undefined));
    box.onDidAccept(async () => {
      const token = box.value.trim();
      if (!token) {
        box.validationMessage = 'Paste the token (create one with the button above)';
        return;
      }
      box.busy = true;
      box.enabled = false;
      try {
        finish(await helper.addHub(url, token));
      } catch (err) {
        box.validationMessage = err instanceof Error ? err.message : String(err);
        box.busy = false;
        box.enabled = true;
      }
    });
    box.onDidHide(() => {
      box.dispose();
      if (!done) {
        resolve(undefined);
      }
    });
    box.show();
  });
}

interface ServerItem extends vscode.QuickPickItem {
  server?: string;
}

const stateIcon: Record<string, string> = {
  running: '$(vm-running)',
  stopped: '$(vm-outline)',
  'spawn pending': '$(loading~spin)',
  'stop pending': '$(loading~spin)',
};

/**
 * A server of the hub's user ("" is the default server) or a new named
 * one; `only` narrows the list (e.g. running servers for Stop). Undefined
 * if dismissed.
 */
export async function pickServer(
  helper: Helper,
  hub: Hub,
  title: string,
  opts: { only?: (s: ServerInfo) => boolean; allowNew?: boolean } = {},
): Promise<string | undefined> {
  const qp = vscode.window.createQuickPick<ServerItem>();
  qp.title = title;
  qp.placeholder = `Pick a server of ${hub.user} on ${hubLabel(hub)}`;
  qp.ignoreFocusOut = true;
  qp.busy = true;
  qp.show();
  let servers: ServerInfo[];
  try {
    servers = await helper.servers(hub.url);
  } catch (err) {
    qp.dispose();
    throw err;
  }
  const shown = servers.filter(opts.only ?? (() => true));
  const items: ServerItem[] = shown.map((s) => ({
    label: `${stateIcon[s.state] ?? ''} ${serverLabel(s.name)}`.trim(),
    description: s.state,
    detail: s.alias ? `ssh ${s.alias}` : undefined,
    server: s.name,
  }));
  if (opts.allowNew) {
    items.push({ label: '$(add) New named server…', alwaysShow: true });
  }
  qp.items = items;
  qp.busy = false;
  if (items.length === 0) {
    qp.placeholder = 'No server to pick';
  }
  const picked = await new Promise<ServerItem | undefined>((resolve) => {
    qp.onDidAccept(() => resolve(qp.selectedItems[0]));
    qp.onDidHide(() => resolve(undefined));
  });
  qp.dispose();
  if (!picked) {
    return undefined;
  }
  if (picked.server !== undefined) {
    return picked.server;
  }
  return vscode.window.showInputBox({
    title: `${title}: new named server`,
    prompt: 'A name for the new server (letters, digits, - _ .)',
    ignoreFocusOut: true,
    validateInput: (v) =>
      /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v) ? undefined : 'Use letters, digits and - _ . (start with a letter or digit)',
  });
}
