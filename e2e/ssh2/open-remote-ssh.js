// Drives hubssh the way open-remote-ssh (VSCodium, Positron) does, with the
// npm ssh2 release named by SSH2_MODULE: the ProxyCommand spawned without a
// shell as the socket, strictVendor off, auth "none" then "publickey",
// agent forwarding requested with want_reply, "uname -s", a base64-piped
// login-shell script of ~11 KB, then forwardOut (direct-tcpip) and
// openssh_forwardOutStreamLocal (direct-streamlocal).
//
// Input (environment): SSH2_MODULE, HUBSSH, ALIAS (the host "hubssh
// connect" wrote: its ProxyCommand is "hubssh proxy ALIAS", which reads the
// user's stored token), HUB_USER, KEY, AGENT_SOCK (optional), FORWARD_PORT,
// FORWARD_SOCK. Output: one JSON line on stdout; exit 0 when
// every step ran, 1 with {"error": …} otherwise.
'use strict';
const { spawn } = require('child_process');
const { Duplex } = require('stream');
const fs = require('fs');

const env = process.env;
const { Client } = require(env.SSH2_MODULE);

function proxySocket() {
  const child = spawn(env.HUBSSH, ['proxy', env.ALIAS], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const sock = new Duplex({
    read() {},
    write(chunk, _enc, cb) { child.stdin.write(chunk, cb); },
    final(cb) { child.stdin.end(); cb(); },
  });
  child.stdout.on('data', (d) => sock.push(d));
  child.stdout.on('end', () => sock.push(null));
  sock.proxyStderr = () => stderr;
  sock.child = child;
  return sock;
}

function execCollect(conn, cmd) {
  return new Promise((resolve, reject) => {
    // Per exec, as open-remote-ssh does with ForwardAgent yes: ssh2 then
    // sends auth-agent-req@openssh.com with want_reply before the exec.
    conn.exec(cmd, { agentForward: Boolean(env.AGENT_SOCK) }, (err, stream) => {
      if (err) return reject(new Error(`exec ${cmd.slice(0, 40)}: ${err.message}`));
      let out = '';
      let errOut = '';
      let code = null;
      stream.on('data', (d) => { out += d; });
      stream.stderr.on('data', (d) => { errOut += d; });
      stream.on('exit', (c) => { code = c; });
      stream.on('close', () => resolve({ out, errOut, code }));
    });
  });
}

function echoThrough(stream, msg) {
  return new Promise((resolve, reject) => {
    let got = '';
    stream.on('data', (d) => {
      got += d;
      if (got.includes('\n')) { stream.end(); resolve(got.trim()); }
    });
    stream.on('error', reject);
    stream.write(msg + '\n');
  });
}

function forward(conn, method, ...args) {
  return new Promise((resolve, reject) => {
    conn[method](...args, (err, stream) => (err ? reject(new Error(`${method}: ${err.message}`)) : resolve(stream)));
  });
}

// ~11 KB like the install script open-remote-ssh pipes through base64.
function installScript() {
  const pad = '# ' + 'x'.repeat(96) + '\n';
  let s = '#!/usr/bin/env bash\nset -e\n';
  while (s.length < 11000) s += pad;
  s += 'echo "script-ok shell=$0 home=$HOME"\n';
  s += 'if [ -n "$SSH_AUTH_SOCK" ]; then ssh-add -l | awk \'{print "agent-key " $NF}\'; fi\n';
  return s;
}

async function main() {
  const sock = proxySocket();
  const conn = new Client();
  const result = {};
  const ready = new Promise((resolve, reject) => {
    conn.on('ready', resolve);
    conn.on('error', (e) => reject(new Error(`${e.message}; hubssh said: ${sock.proxyStderr().trim()}`)));
  });
  const authTried = [];
  const key = fs.readFileSync(env.KEY);
  conn.connect({
    sock,
    username: env.HUB_USER,
    strictVendor: false,
    readyTimeout: 60000,
    agent: env.AGENT_SOCK || undefined,
    agentForward: Boolean(env.AGENT_SOCK),
    authHandler: (methodsLeft, _partial, next) => {
      if (authTried.length === 0) { authTried.push('none'); return next({ type: 'none', username: env.HUB_USER }); }
      if (!authTried.includes('publickey')) { authTried.push('publickey'); return next({ type: 'publickey', username: env.HUB_USER, key }); }
      return next(false);
    },
  });
  await ready;
  result.auth = authTried;

  const uname = await execCollect(conn, 'uname -s');
  result.uname = uname.out.trim();

  const b64 = Buffer.from(installScript()).toString('base64');
  const script = await execCollect(conn, `echo ${b64} | base64 -d | bash -l`);
  result.scriptBytes = b64.length;
  result.script = script.out.trim().split('\n');
  result.scriptCode = script.code;

  const tcp = await forward(conn, 'forwardOut', '127.0.0.1', 0, '127.0.0.1', Number(env.FORWARD_PORT));
  result.tcp = await echoThrough(tcp, 'over direct-tcpip');
  const unix = await forward(conn, 'openssh_forwardOutStreamLocal', env.FORWARD_SOCK);
  result.unix = await echoThrough(unix, 'over direct-streamlocal');

  conn.end();
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().then(
  () => process.exit(0),
  (e) => { process.stdout.write(JSON.stringify({ error: String(e && e.message || e) }) + '\n'); process.exit(1); },
);
