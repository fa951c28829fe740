package core

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
)

// networkCause names what went wrong below HTTP, with the fix, or "".
func networkCause(err error) string {
	var dns *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.As(err, &dns):
		return "no such host " + dns.Name + ": check the hub's address for typos"
	case refused(err):
		return "connection refused: the hub is down, or the port is wrong"
	case errors.As(err, &hostErr):
		return "the TLS certificate is not valid for this name (" + hostErr.Error() + "): use the hub's exact address"
	case errors.As(err, &unknownCA):
		return "the TLS certificate is signed by an authority this computer does not trust: ask the hub's admin, or install their CA certificate"
	case errors.As(err, &invalid):
		if invalid.Reason == x509.Expired {
			return "the hub's TLS certificate has expired: tell the hub's admin"
		}
		return "the hub's TLS certificate is invalid (" + invalid.Error() + ")"
	case errors.As(err, &verify):
		return "the hub's TLS certificate could not be verified (" + verify.Err.Error() + ")"
	case errors.As(err, &recordErr), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		// net/http reports the second case only as text.
		return "the server speaks plain HTTP there: use http:// in the hub URL"
	case reset(err):
		return "the connection was reset"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "no answer (timed out): check the address and your network"
	}
	return ""
}
