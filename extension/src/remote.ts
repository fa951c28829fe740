// Which Remote-SSH flavour opens the window, and the URI it is opened on.
// Pure functions (no vscode import) so every flavour is unit-tested.
import * as path from 'path';

export interface Flavour {
  id: string;
  label: string;
}

/**
 * The extensions that resolve `ssh-remote+HOST` authorities, best first.
 * All of them accept the same URI; open-remote-ssh (VSCodium, Positron)
 * and the forks use the ssh config hubssh writes just as Microsoft's does.
 */
export const knownFlavours: readonly Flavour[] = [
  { id: 'ms-vscode-remote.remote-ssh', label: 'Remote - SSH (Microsoft)' },
  { id: 'jeanp413.open-remote-ssh', label: 'Open Remote - SSH' },
  { id: 'anysphere.remote-ssh', label: 'Remote - SSH (Cursor)' },
  { id: 'codeium.windsurf-remote-openssh', label: 'Remote - SSH (Windsurf)' },
];

export interface ExtensionLike {
  id: string;
  packageJSON?: { activationEvents?: unknown };
}

const resolverEvent = 'onResolveRemoteAuthority:ssh-remote';

/**
 * The installed extension that will open ssh-remote windows: a known one
 * by id, else any extension that says it resolves ssh-remote (a fork we
 * have not heard of). A runtime check rather than an extensionDependency,
 * which would block editors whose marketplace lacks Microsoft's.
 */
export function findFlavour(installed: readonly ExtensionLike[]): Flavour | undefined {
  const ids = new Map(installed.map((e) => [e.id.toLowerCase(), e]));
  for (const f of knownFlavours) {
    if (ids.has(f.id)) {
      return f;
    }
  }
  for (const e of installed) {
    const events = e.packageJSON?.activationEvents;
    if (Array.isArray(events) && events.includes(resolverEvent) && !e.id.toLowerCase().startsWith('hubssh.')) {
      return { id: e.id, label: e.id };
    }
  }
  return undefined;
}

/** The flavour to offer when none is installed, by the editor's name. */
export function recommendedFlavour(appName: string): Flavour {
  const app = appName.toLowerCase();
  const pick = (id: string) => knownFlavours.find((f) => f.id === id)!;
  if (app.includes('cursor')) {
    return pick('anysphere.remote-ssh');
  }
  if (app.includes('windsurf')) {
    return pick('codeium.windsurf-remote-openssh');
  }
  if (app.includes('visual studio code')) {
    return pick('ms-vscode-remote.remote-ssh');
  }
  // VSCodium, Positron, code-server, Theia and other Open VSX editors.
  return pick('jeanp413.open-remote-ssh');
}

const plainHost = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * The authority of a Remote-SSH window on an ssh host. URI authorities
 * are case-insensitive and some characters of our aliases (uppercase,
 * "@", "+") are not safe in one, so Remote-SSH and open-remote-ssh also
 * accept the host as hex-encoded JSON {"hostName": …}; plain aliases stay
 * readable in the title bar.
 */
export function remoteAuthority(alias: string): string {
  if (plainHost.test(alias)) {
    return `ssh-remote+${alias}`;
  }
  return `ssh-remote+${Buffer.from(JSON.stringify({ hostName: alias }), 'utf8').toString('hex')}`;
}

/** The host alias of an ssh-remote authority, either form; else undefined. */
export function aliasOfAuthority(authority: string | undefined): string | undefined {
  if (!authority) {
    return undefined;
  }
  const m = /^ssh-remote\+(.+)$/i.exec(authority);
  if (!m) {
    return undefined;
  }
  const host = decodeURIComponent(m[1]);
  if (/^([0-9a-f]{2})+$/i.test(host)) {
    try {
      const j = JSON.parse(Buffer.from(host, 'hex').toString('utf8')) as { hostName?: unknown };
      if (typeof j.hostName === 'string') {
        return j.hostName;
      }
    } catch {
      // not JSON: a host name that happens to be hex
    }
  }
  return host;
}

/**
 * The folder to open: the setting hubssh.defaultFolder if given (absolute,
 * or relative to the server's home; "~" is the home), else the home the
 * helper reported.
 */
export function resolveFolder(home: string, setting: string | undefined): string {
  const s = (setting ?? '').trim();
  if (!s) {
    return home || '/';
  }
  if (s.startsWith('/')) {
    return path.posix.normalize(s);
  }
  const rel = s === '~' ? '' : s.replace(/^~\//, '');
  return path.posix.join(home || '/', rel);
}

/**
 * The page where a user creates a token, from what they typed for the hub:
 * a bare host means https, and a link into the hub (…/hub/home,
 * …/user/alice/lab) is cut back to the hub's base URL. hubssh itself
 * checks the URL properly when the token is added.
 */
export function tokenPage(input: string): string | undefined {
  let s = input.trim();
  if (!s) {
    return undefined;
  }
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    s = 'https://' + s;
  }
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    return undefined;
  }
  const m = /^(.*?\/)(hub|user)(\/|$)/.exec(u.pathname);
  const base = m ? m[1] : u.pathname.endsWith('/') ? u.pathname : u.pathname + '/';
  return `${u.origin}${base}hub/token`;
}
