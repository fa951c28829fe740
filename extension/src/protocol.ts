// The JSON-RPC protocol of `hubssh serve`, generated from
// helper/internal/rpc/protocol.go by TestProtocolTS: do not edit; run
// "go generate ./helper/internal/rpc". docs/rpc.md explains each method.

/**
 * ProtocolVersion changes when a method or type changes incompatibly.
 * Version 2 gave every result a type and every field camelCase.
 */
export const ProtocolVersion = 2;

export const Method = {
  Version: 'version',
  HubsAdd: 'hubs/add',
  HubsList: 'hubs/list',
  HubsRemove: 'hubs/remove',
  ServersList: 'servers/list',
  ServersStart: 'servers/start',
  ServersStop: 'servers/stop',
  ConnectPrepare: 'connect/prepare',
  Diagnose: 'diagnose',
  /** notification */
  Cancel: '$/cancelRequest',
  /** notification, server → client */
  Progress: '$/progress',
  /** notification, server → client */
  Connection: '$/connection',
} as const;

export const ErrorCode = {
  Usage: -32001,
  Auth: -32002,
  Server: -32003,
  Network: -32004,
  NotHub: -32005,
  Config: -32006,
  /** no protocol version in common: update the older side */
  Protocol: -32007,
  /** JSON-RPC's own */
  Internal: -32603,
  /** as LSP's RequestCancelled */
  Cancelled: -32800,
} as const;

/**
 * VersionParams negotiates the protocol: the client lists the versions it
 * speaks and the helper answers with the newest both do. A client that
 * lists none (an older one, a quick script) gets the helper's newest.
 */
export interface VersionParams {
  protocols?: number[];
  /**
   * Client names the caller ("hubssh-vscode 0.4.0") in the message that
   * says which side to update.
   */
  client?: string;
}

/** VersionResult answers "version". */
export interface VersionResult {
  version: string;
  /** Protocol is the version chosen for this connection. */
  protocol: number;
  /** Protocols lists every version this helper speaks. */
  protocols: number[];
}

/** HubsAddParams logs in: the token travels here, never in argv or env. */
export interface HubsAddParams {
  url: string;
  token: string;
}

/** Hub is a hub hubssh knows; it never carries the token. */
export interface Hub {
  url: string;
  /** the token's owner */
  user: string;
  scopes?: string[];
  /** RFC 3339 */
  tokenExpires?: string;
  tokenStore: TokenStore;
  /** Servers are those hubssh wrote an ssh config entry for. */
  servers: Server[];
  /** RFC 3339 */
  added: string;
}

/** TokenStore says where a hub's token is kept. */
export type TokenStore = 'keyring' | 'file';

/** Server is a server hubssh wrote an ssh config entry for. */
export interface Server {
  user: string;
  /** "" for the default server */
  name: string;
  alias: string;
  /** Folder is the server's home, for editors. */
  folder?: string;
  /**
   * Login is the account sessions run as on the server ("jovyan"),
   * written as the ssh config's User.
   */
  login?: string;
  /**
   * URL is the server's URL as the hub reported it (on its own host when
   * the hub uses subdomain_host).
   */
  url?: string;
}

/** Empty is the result of a method that returns nothing but success. */
export type Empty = Record<string, never>;

/** HubsListResult answers hubs/list. */
export interface HubsListResult {
  hubs: Hub[];
}

/** HubRef names a hub: its URL (any form), its ID, or "" for the only one. */
export interface HubRef {
  hub?: string;
}

/** ServerRef names a server of a user on a hub. */
export interface ServerRef {
  hub?: string;
  /** User defaults to the token's owner. */
  user?: string;
  /** Server defaults to the default server (""). */
  server?: string;
  /**
   * ProgressToken, if set, makes the helper send $/progress
   * notifications with this token while the server starts.
   */
  progressToken?: string | number;
}

/** ServersListResult answers servers/list. */
export interface ServersListResult {
  servers: ServerInfo[];
}

/** ServerInfo is one row of servers/list. */
export interface ServerInfo {
  /** "" is the default server */
  name: string;
  state: ServerState;
  url?: string;
  /** RFC 3339 */
  lastActivity?: string;
  /** Alias is the ssh host hubssh wrote for it, if any. */
  alias?: string;
}

/** ServerState is a server's state as the hub reports it. */
export type ServerState = 'running' | 'stopped' | 'spawn pending' | 'stop pending';

/** StartParams starts a server. */
export interface StartParams extends ServerRef {
  /** Options are the spawner's user_options. */
  options?: Record<string, unknown>;
}

/** StopParams stops a server; Remove also deletes a named one. */
export interface StopParams extends ServerRef {
  remove?: boolean;
}

/** PrepareParams is connect/prepare. */
export interface PrepareParams extends ServerRef {
  /**
   * SSHOptions, when present, replace the extra ssh_config options hubssh
   * writes on every one of its hosts (keyword → value; {} clears them).
   */
  sshOptions?: Record<string, string>;
}

/**
 * PrepareResult answers connect/prepare: open "ssh ALIAS" (or
 * vscode-remote://ssh-remote+ALIAS/FOLDER).
 */
export interface PrepareResult {
  hub: string;
  user: string;
  server: string;
  alias: string;
  folder: string;
  /**
   * SSHConfig is the ssh config file hubssh edited; pass it with -F when
   * ssh might read another one (a different HOME).
   */
  sshConfig: string;
}

/** DiagnoseResult answers diagnose. */
export interface DiagnoseResult {
  checks: Check[];
}

/** Check is one check of diagnose. */
export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  /** Fix is present when there is something to do. */
  fix?: string;
}

/** CheckStatus grades one check. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

/** CancelParams is $/cancelRequest. */
export interface CancelParams {
  id: string | number;
}

/**
 * ConnectionParams is a $/connection notification: an ssh connection
 * through "hubssh proxy" broke and is being resumed (docs/resume.md), or
 * is back, or its proxy ended. Healthy connections send none.
 */
export interface ConnectionParams {
  alias: string;
  /** "alice's default server" */
  label: string;
  state: ConnectionState;
  retry: number;
  /** Since is how long ago the connection broke, in seconds. */
  since: number;
  message: string;
  /** PID is the proxy's process: one alias may have several. */
  pid: number;
}

/** ConnectionState is where a resuming connection stands. */
export type ConnectionState = 'resuming' | 'resumed' | 'gone';

/** ProgressParams is a $/progress notification. */
export interface ProgressParams {
  token: string | number;
  value: ProgressValue;
}

/** ProgressValue is one step of a spawn, as the hub reports it. */
export interface ProgressValue {
  percentage: number;
  message: string;
  ready?: boolean;
  failed?: boolean;
}

/** ErrorData is error.data. */
export interface ErrorData {
  kind: ErrorKind;
}

/** ErrorKind is error.data.kind: the name of the code. */
export type ErrorKind = 'usage' | 'auth' | 'server' | 'network' | 'not-a-hub' | 'config' | 'protocol' | 'internal';

/** Every request: its params and its result. */
export interface Requests {
  'version': { params: VersionParams; result: VersionResult };
  'hubs/add': { params: HubsAddParams; result: Hub };
  'hubs/list': { params: Empty; result: HubsListResult };
  'hubs/remove': { params: HubRef; result: Empty };
  'servers/list': { params: ServerRef; result: ServersListResult };
  'servers/start': { params: StartParams; result: Empty };
  'servers/stop': { params: StopParams; result: Empty };
  'connect/prepare': { params: PrepareParams; result: PrepareResult };
  'diagnose': { params: HubRef; result: DiagnoseResult };
}

/** Every notification: its params. */
export interface Notifications {
  '$/cancelRequest': CancelParams;
  '$/connection': ConnectionParams;
  '$/progress': ProgressParams;
}
