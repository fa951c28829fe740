// sshj through "hubssh proxy ALIAS", the way JetBrains IDEs reach a host
// whose ssh config has a ProxyCommand: the command's stdin and stdout are
// the connection. Run by e2e/clients_test.go; prints what it saw as one
// JSON object, and the Go test holds the expectations.
//
//   java -cp 'lib/*' SshjCheck.java HUBSSH ALIAS USER KEY KNOWN_HOSTS LOCAL_FILE ECHO_PORT

import java.io.*;
import java.net.*;
import java.nio.file.*;
import java.security.MessageDigest;
import java.util.*;
import java.util.concurrent.TimeUnit;
import javax.net.SocketFactory;

import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.connection.channel.direct.DirectConnection;
import net.schmizz.sshj.connection.channel.direct.Session;
import net.schmizz.sshj.sftp.SFTPClient;
import net.schmizz.sshj.sftp.SFTPException;
import net.schmizz.sshj.transport.verification.OpenSSHKnownHosts;

public class SshjCheck {
  /** A socket whose streams are a ProxyCommand's pipes. */
  static final class ProcessSocket extends Socket {
    private final List<String> argv;
    private Process proc;
    ProcessSocket(List<String> argv) { this.argv = argv; }
    @Override public void connect(SocketAddress a, int timeout) throws IOException {
      proc = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }
    @Override public InputStream getInputStream() { return proc.getInputStream(); }
    @Override public OutputStream getOutputStream() { return proc.getOutputStream(); }
    @Override public boolean isConnected() { return proc != null; }
    // sshj looks the host key up as "[host]:port" unless the port is 22.
    @Override public int getPort() { return 22; }
    @Override public void setSoTimeout(int t) {}
    @Override public void setTcpNoDelay(boolean on) {}
    @Override public void setKeepAlive(boolean on) {}
    @Override public synchronized void close() { if (proc != null) proc.destroy(); }
  }

  static String q(String s) { return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\""; }

  static String sha256(Path p) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    try (InputStream in = Files.newInputStream(p)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
    }
    StringBuilder sb = new StringBuilder();
    for (byte b : md.digest()) sb.append(String.format("%02x", b));
    return sb.toString();
  }

  public static void main(String[] a) throws Exception {
    try {
      run(a);
    } catch (Throwable e) {
      // The source launcher cannot print some traces (JDK-8233384).
      e.printStackTrace();
      System.exit(1);
    }
  }

  static void run(String[] a) throws Exception {
    String hubssh = a[0], alias = a[1], user = a[2], key = a[3], knownHosts = a[4];
    Path local = Paths.get(a[5]);
    int echoPort = Integer.parseInt(a[6]);
    Map<String, String> out = new LinkedHashMap<>();
    SSHClient ssh = new SSHClient();
    ssh.addHostKeyVerifier(new OpenSSHKnownHosts(new File(knownHosts)));
    ssh.setSocketFactory(new SocketFactory() {
      @Override public Socket createSocket() { return new ProcessSocket(List.of(hubssh, "proxy", alias)); }
      @Override public Socket createSocket(String h, int p) { throw new UnsupportedOperationException(); }
      @Override public Socket createSocket(String h, int p, InetAddress l, int lp) { throw new UnsupportedOperationException(); }
      @Override public Socket createSocket(InetAddress h, int p) { throw new UnsupportedOperationException(); }
      @Override public Socket createSocket(InetAddress h, int p, InetAddress l, int lp) { throw new UnsupportedOperationException(); }
    });
    ssh.connect(alias, 22);
    out.put("hostkey", ssh.getTransport().getHostKeyAlgorithm() == null ? "" : "verified");
    ssh.authPublickey(user, ssh.loadKeys(key));
    try (Session s = ssh.startSession()) {
      Session.Command c = s.exec("echo sshj-ok; id -un");
      String text = new String(c.getInputStream().readAllBytes()).trim();
      c.join(30, TimeUnit.SECONDS);
      out.put("exec", text.replace("\n", " "));
      out.put("exec_status", String.valueOf(c.getExitStatus()));
    }
    try (SFTPClient sftp = ssh.newSFTPClient()) {
      String d = "clients-sshj";
      sftp.mkdir(d);
      sftp.put(local.toString(), d + "/big.bin");
      Path back = Paths.get(local + ".back");
      sftp.get(d + "/big.bin", back.toString());
      out.put("roundtrip_sha256", sha256(back));
      // sshj sends its two arguments in the order given, and servers read
      // OpenSSH's order (target first): so, as against sftp-server,
      // symlink(target, link).
      sftp.symlink("big.bin", d + "/link");
      out.put("readlink", sftp.readlink(d + "/link"));
      sftp.put(local.toString(), d + "/other.bin");
      try {
        sftp.rename(d + "/big.bin", d + "/other.bin");
        out.put("rename_over_existing", "ok");
      } catch (SFTPException e) {
        out.put("rename_over_existing", "refused " + e.getStatusCode());
      }
      out.put("canonicalize", sftp.canonicalize("."));
    }
    // A forward through the server (JetBrains IDEs' port forwarding).
    try (DirectConnection dc = ssh.newDirectConnection("127.0.0.1", echoPort)) {
      dc.getOutputStream().write("via sshj\n".getBytes());
      dc.getOutputStream().flush();
      out.put("forward", new BufferedReader(new InputStreamReader(dc.getInputStream())).readLine());
    }
    ssh.disconnect();
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<String, String> e : out.entrySet()) {
      if (sb.length() > 1) sb.append(",");
      sb.append(q(e.getKey())).append(":").append(q(e.getValue()));
    }
    System.out.println(sb.append("}"));
  }
}
