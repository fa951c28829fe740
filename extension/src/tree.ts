// The "JupyterHub" view: hubs, and under each the user's servers with
// their live state; inline connect / start / stop on each server.
import * as vscode from 'vscode';
import { Helper } from './helper';
import { hubLabel, serverLabel } from './pick';
import { Hub, ServerInfo } from './protocol';

export type Node =
  | { kind: 'hub'; hub: Hub }
  | { kind: 'server'; hub: Hub; server: ServerInfo }
  | { kind: 'message'; text: string; error: boolean };

export const noHubsContext = 'hubssh.noHubs';

export class HubsTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly helper: () => Promise<Helper>) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  async getChildren(node?: Node): Promise<Node[]> {
    try {
      const h = await this.helper();
      if (!node) {
        const hubs = await h.hubs();
        void vscode.commands.executeCommand('setContext', noHubsContext, hubs.length === 0);
        return hubs.map((hub) => ({ kind: 'hub', hub }));
      }
      if (node.kind !== 'hub') {
        return [];
      }
      const servers = await h.servers(node.hub.url);
      if (servers.length === 0) {
        return [{ kind: 'message', text: 'No servers', error: false }];
      }
      return servers.map((server) => ({ kind: 'server', hub: node.hub, server }));
    } catch (err) {
      return [{ kind: 'message', text: err instanceof Error ? err.message : String(err), error: true }];
    }
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'hub': {
        const item = new vscode.TreeItem(hubLabel(node.hub), vscode.TreeItemCollapsibleState.Expanded);
        item.id = `hub:${node.hub.url}`;
        item.description = node.hub.user;
        item.tooltip = `${node.hub.url}\nsigned in as ${node.hub.user} (token in the ${node.hub.tokenStore})`;
        item.iconPath = new vscode.ThemeIcon('server-environment');
        item.contextValue = 'hub';
        return item;
      }
      case 'server':
        return serverItem(node.hub, node.server);
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon(node.error ? 'error' : 'info');
        item.tooltip = node.text;
        return item;
      }
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function serverItem(hub: Hub, s: ServerInfo): vscode.TreeItem {
  const item = new vscode.TreeItem(serverLabel(s.name), vscode.TreeItemCollapsibleState.None);
  item.id = `server:${hub.url}:${s.name}`;
  item.description = s.state;
  const pending = s.state.endsWith('pending');
  item.iconPath = new vscode.ThemeIcon(s.state === 'running' ? 'vm-running' : pending ? 'loading~spin' : 'vm-outline');
  // package.json's menus key the inline actions on this.
  item.contextValue = `server-${s.state === 'running' ? 'running' : pending ? 'pending' : 'stopped'}`;
  const lines = [`${serverLabel(s.name)} of ${hub.user} on ${hub.url}: ${s.state}`];
  if (s.lastActivity) {
    lines.push(`last activity ${new Date(s.lastActivity).toLocaleString()}`);
  }
  if (s.alias) {
    lines.push(`ssh ${s.alias}`);
  }
  item.tooltip = lines.join('\n');
  return item;
}

/**
 * Refreshes the view every interval while it is visible: the culler
 * stops servers behind the user's back.
 */
export function pollWhileVisible(view: vscode.TreeView<Node>, tree: HubsTree, intervalMs: number): vscode.Disposable {
  let timer: NodeJS.Timeout | undefined;
  const update = () => {
    if (view.visible && !timer) {
      timer = setInterval(() => tree.refresh(), intervalMs);
    } else if (!view.visible && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  const sub = view.onDidChangeVisibility(update);
  update();
  return new vscode.Disposable(() => {
    sub.dispose();
    if (timer) {
      clearInterval(timer);
    }
  });
}
