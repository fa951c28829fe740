// A scriptable stand-in for the parts of the vscode API the extension uses.
// Tests drive it like a user: wait for the next input to be shown, type,
// press a button, accept. State lives in `mock`, reset before each test.
/* eslint-disable @typescript-eslint/no-explicit-any */
type Listener<T> = (e: T) => any;

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  event = (l: Listener<T>) => {
    this.listeners.push(l);
    return { dispose: () => (this.listeners = this.listeners.filter((x) => x !== l)) };
  };
  fire(e: T): void {
    [...this.listeners].forEach((l) => l(e));
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class Disposable {
  constructor(private readonly f: () => void) {}
  dispose(): void {
    this.f();
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly authority: string,
    readonly path: string,
  ) {}
  static from(c: { scheme: string; authority?: string; path?: string }): Uri {
    return new Uri(c.scheme, c.authority ?? '', c.path ?? '');
  }
  static parse(s: string): Uri {
    const u = new URL(s);
    return new Uri(u.protocol.replace(/:$/, ''), u.host, decodeURIComponent(u.pathname));
  }
  get fsPath(): string {
    return this.path;
  }
  toString(): string {
    return `${this.scheme}://${this.authority}${this.path.split('/').map(encodeURIComponent).join('/')}`;
  }
}

export class ThemeIcon {
  constructor(readonly id: string) {}
}

export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}

export class TreeItem {
  id?: string;
  description?: string;
  tooltip?: string;
  iconPath?: ThemeIcon;
  contextValue?: string;
  constructor(
    readonly label: string,
    readonly collapsibleState: TreeItemCollapsibleState,
  ) {}
}

export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}

export const QuickInputButtons = { Back: { iconPath: new ThemeIcon('arrow-left'), tooltip: 'Back' } };

class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  token = { isCancellationRequested: false, onCancellationRequested: this.emitter.event };
  cancel(): void {
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
}

/** An input box or quick pick as the test sees it. */
export class FakeInput {
  title?: string;
  prompt?: string;
  placeholder?: string;
  value = '';
  password = false;
  ignoreFocusOut = false;
  busy = false;
  enabled = true;
  validationMessage?: string;
  buttons: any[] = [];
  items: any[] = [];
  selectedItems: any[] = [];
  visible = false;
  readonly accepted = new EventEmitter<void>();
  readonly hidden = new EventEmitter<void>();
  readonly changed = new EventEmitter<string>();
  readonly button = new EventEmitter<any>();
  onDidAccept = this.accepted.event;
  onDidHide = this.hidden.event;
  onDidChangeValue = this.changed.event;
  onDidTriggerButton = this.button.event;
  constructor(readonly kind: 'input' | 'quickpick') {}
  show(): void {
    this.visible = true;
    mock.shown(this);
  }
  hide(): void {
    if (this.visible) {
      this.visible = false;
      this.hidden.fire();
    }
  }
  dispose(): void {
    this.visible = false;
  }
  // What the user does:
  type(v: string): void {
    this.value = v;
    this.changed.fire(v);
  }
  accept(): void {
    this.accepted.fire();
  }
  pick(match: (item: any) => boolean): void {
    const item = this.items.find(match);
    if (!item) {
      throw new Error(`no item matches among ${JSON.stringify(this.items.map((i) => i.label))}`);
    }
    this.selectedItems = [item];
    this.accepted.fire();
  }
  press(tooltip: string): void {
    const b = this.buttons.find((x) => x.tooltip === tooltip);
    if (!b) {
      throw new Error(`no button ${tooltip}`);
    }
    this.button.fire(b);
  }
}

export interface Message {
  level: 'info' | 'warning' | 'error';
  text: string;
  items: string[];
  modal: boolean;
}

class Mock {
  inputs: FakeInput[] = [];
  private waiters: Array<(i: FakeInput) => void> = [];
  messages: Message[] = [];
  /** Answers a message (modal or not) with one of its buttons, or undefined. */
  answer: (m: Message) => string | undefined = () => undefined;
  executed: Array<{ command: string; args: any[] }> = [];
  commands = new Map<string, (...args: any[]) => any>();
  opened: string[] = [];
  documents: Array<{ language?: string; content?: string }> = [];
  config: Record<string, any> = {};
  extensions: Array<{ id: string; packageJSON?: any }> = [];
  appName = 'Visual Studio Code';
  workspaceFolders: Array<{ uri: Uri }> | undefined;
  progress: Array<{ title: string; reports: Array<{ increment?: number; message?: string }>; cancel: () => void }> = [];
  logLines: string[] = [];
  terminals: Array<{ name?: string; shellPath?: string; shellArgs?: string[]; shown: boolean }> = [];
  clipboard = '';

  reset(): void {
    Object.assign(this, new Mock());
  }
  shown(i: FakeInput): void {
    this.inputs.push(i);
    const w = this.waiters.shift();
    if (w) {
      w(i);
    }
  }
  /** Resolves with the next input shown (or one shown and not yet taken). */
  next(): Promise<FakeInput> {
    const pending = this.inputs.filter((i) => !(i as any).taken);
    if (pending.length) {
      (pending[0] as any).taken = true;
      return Promise.resolve(pending[0]);
    }
    return new Promise((resolve) =>
      this.waiters.push((i) => {
        (i as any).taken = true;
        resolve(i);
      }),
    );
  }
  message(level: Message['level'], text: string, rest: any[]): Promise<string | undefined> {
    const modal = typeof rest[0] === 'object' && rest[0] !== null && !!rest[0].modal;
    const items = rest.filter((x) => typeof x === 'string');
    const m = { level, text, items, modal };
    this.messages.push(m);
    return Promise.resolve(this.answer(m));
  }
}

export const mock = new Mock();

const log = {
  info: (s: string) => mock.logLines.push(`info ${s}`),
  warn: (s: string) => mock.logLines.push(`warn ${s}`),
  error: (s: string) => mock.logLines.push(`error ${s}`),
  show: () => mock.logLines.push('shown'),
  dispose: () => undefined,
};

export const window = {
  createOutputChannel: () => log,
  createInputBox: () => new FakeInput('input'),
  createQuickPick: () => new FakeInput('quickpick'),
  showQuickPick: async (items: any[], opts: any) => {
    const qp = new FakeInput('quickpick');
    qp.items = items;
    qp.title = opts?.title;
    qp.placeholder = opts?.placeHolder;
    const r = new Promise((resolve) => {
      qp.onDidAccept(() => resolve(qp.selectedItems[0]));
      qp.onDidHide(() => resolve(undefined));
    });
    qp.show();
    return r;
  },
  showInputBox: async (opts: any) => {
    const b = new FakeInput('input');
    b.title = opts?.title;
    b.prompt = opts?.prompt;
    const r = new Promise((resolve) => {
      b.onDidAccept(() => {
        const msg = opts?.validateInput?.(b.value);
        if (msg) {
          b.validationMessage = msg;
          return;
        }
        resolve(b.value);
      });
      b.onDidHide(() => resolve(undefined));
    });
    b.show();
    return r;
  },
  showInformationMessage: (text: string, ...rest: any[]) => mock.message('info', text, rest),
  showWarningMessage: (text: string, ...rest: any[]) => mock.message('warning', text, rest),
  showErrorMessage: (text: string, ...rest: any[]) => mock.message('error', text, rest),
  withProgress: async (opts: any, task: (p: any, t: any) => Promise<any>) => {
    const src = new CancellationTokenSource();
    const rec = { title: opts.title, reports: [] as any[], cancel: () => src.cancel() };
    mock.progress.push(rec);
    return task({ report: (r: any) => rec.reports.push(r) }, src.token);
  },
  showTextDocument: async (doc: any) => doc,
  createTerminal: (opts: { name?: string; shellPath?: string; shellArgs?: string[] }) => {
    const t = { ...opts, shown: false };
    mock.terminals.push(t);
    return { show: () => (t.shown = true), dispose: () => undefined };
  },
  createTreeView: () => ({ visible: false, onDidChangeVisibility: new EventEmitter<any>().event, dispose: () => undefined }),
};

export const commands = {
  registerCommand: (id: string, f: (...args: any[]) => any) => {
    mock.commands.set(id, f);
    return new Disposable(() => mock.commands.delete(id));
  },
  executeCommand: async (command: string, ...args: any[]) => {
    mock.executed.push({ command, args });
    if (command === 'vscode.openFolder') {
      mock.opened.push(String(args[0]));
    }
    return mock.commands.get(command)?.(...args);
  },
};

export const workspace = {
  getConfiguration: (section: string) => ({
    get: (key: string, dflt: any) => mock.config[`${section}.${key}`] ?? dflt,
  }),
  openTextDocument: async (opts: { language?: string; content?: string }) => {
    mock.documents.push(opts);
    return { getText: () => opts.content ?? '', languageId: opts.language };
  },
  get workspaceFolders() {
    return mock.workspaceFolders;
  },
  workspaceFile: undefined,
  onDidChangeConfiguration: new EventEmitter<any>().event,
};

export const env = {
  get appName() {
    return mock.appName;
  },
  clipboard: {
    writeText: async (s: string) => {
      mock.clipboard = s;
    },
  },
  openExternal: async (uri: Uri) => {
    mock.opened.push(uri.toString());
    return true;
  },
};

export const extensions = {
  get all() {
    return mock.extensions;
  },
};
