package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/xml"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var (
	queryConfigTarget = []byte("<QueryConfigTarget")
	hostArgument      = regexp.MustCompile(`<host\b[^>]*>([^<]+)</host>`)
	responseEnd       = []byte("</returnval></QueryConfigTargetResponse>")
)

// selfSigned returns a throwaway certificate for the loopback front end (clients run insecure,
// as with stock vcsim).
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "vcsim-gpu"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// serveFront listens on addr (TLS) and forwards everything to the simulator at backend, adding
// the hosts' passthrough devices to QueryConfigTarget responses.
func serveFront(addr string, backend *url.URL) (*http.Server, error) {
	cert, err := selfSigned()
	if err != nil {
		return nil, err
	}
	target := &url.URL{Scheme: backend.Scheme, Host: backend.Host}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // loopback to our own simulator
	proxy.ModifyResponse = func(res *http.Response) error {
		host, ok := res.Request.Context().Value(configTargetKey{}).(string)
		if !ok {
			return nil
		}
		body, err := io.ReadAll(res.Body)
		if err != nil {
			return err
		}
		_ = res.Body.Close()
		if i := bytes.LastIndex(body, responseEnd); i >= 0 {
			body = append(body[:i:i], append(passthroughXML(host), body[i:]...)...)
		}
		res.Body = io.NopCloser(bytes.NewReader(body))
		res.ContentLength = int64(len(body))
		res.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("Accept-Encoding")
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/sdk") {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			if bytes.Contains(body, queryConfigTarget) {
				host := ""
				if m := hostArgument.FindSubmatch(body); m != nil {
					host = string(m[1])
				}
				r = r.WithContext(contextWith(r, host))
			}
		}
		proxy.ServeHTTP(w, r)
	})
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	server := &http.Server{Handler: handler, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = server.ServeTLS(listener, "", "") }()
	return server, nil
}

type configTargetKey struct{}

func contextWith(r *http.Request, host string) context.Context {
	return context.WithValue(r.Context(), configTargetKey{}, host)
}

func passthroughXML(host string) []byte {
	var out bytes.Buffer
	for _, info := range passthroughTargets(host) {
		d := info.PciDevice
		fmt.Fprintf(&out, `<pciPassthrough xsi:type="VirtualMachinePciPassthroughInfo"><name>%s</name>`+
			`<pciDevice><id>%s</id><classId>%d</classId><bus>%d</bus><slot>%d</slot><function>%d</function>`+
			`<vendorId>%d</vendorId><subVendorId>%d</subVendorId><vendorName>%s</vendorName>`+
			`<deviceId>%d</deviceId><subDeviceId>%d</subDeviceId><parentBridge></parentBridge><deviceName>%s</deviceName></pciDevice>`+
			`<systemId>%s</systemId></pciPassthrough>`,
			escape(info.Name), d.Id, d.ClassId, d.Bus, d.Slot, d.Function, d.VendorId, d.SubVendorId,
			escape(d.VendorName), d.DeviceId, d.SubDeviceId, escape(d.DeviceName), info.SystemId)
	}
	return out.Bytes()
}

func escape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
