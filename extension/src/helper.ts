// The helper process: `hubssh serve`, spoken to with JSON-RPC over stdio.
// This file has no vscode import so the integration tests can drive the
// real helper from plain Node.
import { ChildProcess, spawn } from 'child_process';
import * as readline from 'readline';
import {
  CancellationToken,
  createMessageConnection,
  Disposable,
  MessageConnection,
  ProgressType,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node';
import {
  Check,
  ConnectionParams,
  ErrorCode,
  ErrorKind,
  Hub,
  Method,
  PrepareParams,
  PrepareResult,
  ProgressValue,
  ProtocolVersion,
  Requests,
  ServerInfo,
  ServerRef,
  StartParams,
  StopParams,
  VersionResult,
} from './protocol';

type RequestMethod = keyof Requests;
type Params<M extends RequestMethod> = Requests[M]['params'];
type Result<M extends RequestMethod> = Requests[M]['result'];

/** A failed helper call: the helper's one-line message, its code and kind. */
export class HelperError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly kind?: ErrorKind,
  ) {
    super(message);
    this.name = 'HelperError';
  }

  get cancelled(): boolean {
    return this.code === ErrorCode.Cancelled;
  }
}

export interface HelperOptions {
  /** The hubssh binary. */
  path: string;
  /** Environment of the helper; the default is this process's. */
  env?: NodeJS.ProcessEnv;
  /** Receives the helper's stderr line by line (it never holds secrets). */
  log: (line: string) => void;
  /** Names this client to the helper ("hubssh-vscode 0.4.0"). */
  client?: string;
}

let progressSeq = 0;

/** One running `hubssh serve`. */
export class Helper implements Disposable {
  private readonly proc: ChildProcess;
  private readonly conn: MessageConnection;
  private exited = false;
  private readonly exitWaiters: Array<() => void> = [];
  /** What the helper said it is, at start. */
  info: VersionResult = { version: '', protocol: 0, protocols: [] };

  private constructor(opts: HelperOptions) {
    // The token never goes through argv or env: it travels in hubs/add.
    this.proc = spawn(opts.path, ['serve'], {
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    readline.createInterface({ input: this.proc.stderr! }).on('line', (l) => opts.log(l));
    this.proc.on('error', (err) => {
      opts.log(`hubssh: cannot run ${opts.path}: ${err.message}`);
      this.markExited();
    });
    this.proc.on('exit', (code, signal) => {
      if (code !== 0 && code !== null) {
        opts.log(`hubssh serve exited with code ${code}`);
      } else if (signal) {
        opts.log(`hubssh serve ended by ${signal}`);
      }
      this.markExited();
    });
    this.conn = createMessageConnection(
      new StreamMessageReader(this.proc.stdout!),
      new StreamMessageWriter(this.proc.stdin!),
    );
    this.conn.onError(([err]) => opts.log(`hubssh: ${err.message}`));
    this.conn.listen();
  }

  /**
   * Starts the helper and negotiates the protocol: we list the versions we
   * speak, it answers with one of them or fails with ErrorCode.Protocol
   * and which side to update. An older helper ignores the list and answers
   * with its own version, caught below.
   */
  static async start(opts: HelperOptions): Promise<Helper> {
    const h = new Helper(opts);
    let v: VersionResult;
    try {
      v = await Promise.race([
        h.request(Method.Version, { protocols: [ProtocolVersion], client: opts.client }),
        h.whenExited().then(() => {
          throw new HelperError(`hubssh at ${opts.path} did not start (see the hubssh log)`, -32603);
        }),
      ]);
    } catch (err) {
      h.dispose();
      throw err;
    }
    h.info = v;
    if (v.protocol !== ProtocolVersion) {
      h.dispose();
      throw new HelperError(
        `hubssh ${v.version} at ${opts.path} speaks protocol ${v.protocol}, this extension ${ProtocolVersion}: ` +
          (v.protocol < ProtocolVersion
            ? 'update hubssh, or point hubssh.helperPath at a newer one'
            : 'update the extension, or point hubssh.helperPath at the hubssh it ships'),
        ErrorCode.Protocol,
        'protocol',
      );
    }
    return h;
  }

  get alive(): boolean {
    return !this.exited;
  }

  whenExited(): Promise<void> {
    return this.exited ? Promise.resolve() : new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  private markExited(): void {
    if (this.exited) {
      return;
    }
    this.exited = true;
    this.exitWaiters.splice(0).forEach((f) => f());
  }

  /** A call, typed by protocol.ts's Requests table; failures become HelperError. */
  async request<M extends RequestMethod>(method: M, params: Params<M>, token?: CancellationToken): Promise<Result<M>> {
    try {
      return token
        ? await this.conn.sendRequest<Result<M>>(method, params, token)
        : await this.conn.sendRequest<Result<M>>(method, params);
    } catch (err) {
      if (err instanceof ResponseError) {
        const kind = (err.data as { kind?: ErrorKind } | undefined)?.kind;
        throw new HelperError(err.message, err.code, kind);
      }
      if (!this.alive) {
        throw new HelperError('hubssh stopped unexpectedly (see the hubssh log)', -32603);
      }
      throw err;
    }
  }

  /**
   * A call that may start a server: the helper sends $/progress with a
   * token of ours while the hub spawns it.
   */
  async withProgress<M extends typeof Method.ServersStart | typeof Method.ConnectPrepare>(
    method: M,
    params: Params<M>,
    onProgress: (v: ProgressValue) => void,
    token?: CancellationToken,
  ): Promise<Result<M>> {
    const progressToken = `hubssh-${process.pid}-${++progressSeq}`;
    const sub = this.conn.onProgress(new ProgressType<ProgressValue>(), progressToken, onProgress);
    try {
      return await this.request(method, { ...params, progressToken }, token);
    } finally {
      sub.dispose();
    }
  }

  /** Hears of ssh connections through hubssh that are resuming (docs/resume.md). */
  onConnection(listener: (p: ConnectionParams) => void): Disposable {
    return this.conn.onNotification(Method.Connection, listener);
  }

  addHub(url: string, token: string): Promise<Hub> {
    return this.request(Method.HubsAdd, { url, token });
  }
  async hubs(): Promise<Hub[]> {
    return (await this.request(Method.HubsList, {})).hubs;
  }
  async removeHub(hub: string): Promise<void> {
    await this.request(Method.HubsRemove, { hub });
  }
  async servers(hub: string, user?: string): Promise<ServerInfo[]> {
    const p: ServerRef = user ? { hub, user } : { hub };
    return (await this.request(Method.ServersList, p)).servers;
  }
  async start(p: StartParams, onProgress: (v: ProgressValue) => void, token?: CancellationToken): Promise<void> {
    await this.withProgress(Method.ServersStart, p, onProgress, token);
  }
  async stop(p: StopParams): Promise<void> {
    await this.request(Method.ServersStop, p);
  }
  prepare(p: PrepareParams, onProgress: (v: ProgressValue) => void, token?: CancellationToken): Promise<PrepareResult> {
    return this.withProgress(Method.ConnectPrepare, p, onProgress, token);
  }
  async diagnose(hub?: string): Promise<Check[]> {
    return (await this.request(Method.Diagnose, hub ? { hub } : {})).checks;
  }

  dispose(): void {
    this.conn.dispose();
    this.proc.stdin?.end();
    if (!this.exited) {
      this.proc.kill();
    }
  }
}
