// The JSON-RPC protocol of `hubssh serve`, mirrored from
// helper/internal/rpc/protocol.go (the source of truth; docs/rpc.md
// explains each method). A Go test (TestTypeScriptMirror) fails when the
// two drift apart.

export const ProtocolVersion = 1;

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
  Cancel: '$/cancelRequest',
  Progress: '$/progress',
} as const;

export const ErrorCode = {
  Usage: -32001,
  Auth: -32002,
  Server: -32003,
  Network: -32004,
  NotHub: -32005,
  Config: -32006,
  Cancelled: -32800,
} as const;

/** error.data.kind: the name of the code. */
export type ErrorKind = 'usage' | 'auth' | 'server' | 'network' | 'not-a-hub' | 'config' | 'internal';

export interface ErrorData {
  kind: ErrorKind;
}

export interface VersionResult {
  version: string;
  protocol: number;
}

export interface HubsAddParams {
  url: string;
  token: string;
}

/** A hub hubssh knows (hubs.json); never carries the token. */
export interface Hub {
  url: string;
  user: string;
  scopes?: string[];
  token_expires?: string;
  token_store: 'keyring' | 'file';
  servers?: Server[];
  added: string;
}

/** A server hubssh wrote an ssh config entry for. */
export interface Server {
  user: string;
  name: string;
  alias: string;
  folder?: string;
  /** The account sessions run as on the server ("jovyan"), written as the ssh config's User. */
  login?: string;
  /** The server's URL as the hub reported it (on its own host with subdomain_host). */
  url?: string;
}

export interface HubRef {
  hub?: string;
}

export interface ServerRef {
  hub?: string;
  user?: string;
  server?: string;
  progressToken?: string | number;
}

export interface StartParams extends ServerRef {
  options?: Record<string, unknown>;
}

export interface StopParams extends ServerRef {
  remove?: boolean;
}

export interface PrepareParams extends ServerRef {
  sshOptions?: Record<string, string>;
}

export interface PrepareResult {
  hub: string;
  user: string;
  server: string;
  alias: string;
  folder: string;
  sshConfig: string;
}

export type ServerState = 'running' | 'stopped' | 'spawn pending' | 'stop pending';

/** One row of servers/list. */
export interface ServerInfo {
  name: string;
  state: ServerState;
  url?: string;
  last_activity?: string;
  alias?: string;
}

export interface ProgressParams {
  token: string | number;
  value: ProgressValue;
}

export interface ProgressValue {
  percentage: number;
  message: string;
  ready?: boolean;
  failed?: boolean;
}

export interface CancelParams {
  id: string | number;
}

/** One check of `diagnose`. */
export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}
