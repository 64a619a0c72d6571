package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"latchkey/config"
)

// repoRoot is the repository's root, found before tests change directory.
var repoRoot, _ = filepath.Abs(filepath.Join("..", ".."))

// repoFile reads a file at the repository root.
func repoFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// imageName is the Dockerfile's org.opencontainers.image.ref.name label.
func imageName(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`org\.opencontainers\.image\.ref\.name="([^"]+)"`).FindSubmatch(repoFile(t, "Dockerfile"))
	if m == nil {
		t.Fatal("the Dockerfile has no org.opencontainers.image.ref.name label")
	}
	return string(m[1])
}

// flagsExist fails unless `latchkey` accepts args' flags: the command is
// given a configuration file that does not exist, so it stops at loading
// it, after parsing the flags, and serves nothing.
func flagsExist(t *testing.T, where string, args []string) {
	t.Helper()
	var clean []string
	for i := 0; i < len(args); i++ {
		if args[i] == "--config" {
			i++
			continue
		}
		clean = append(clean, args[i])
	}
	clean = append(clean, "--config", filepath.Join(t.TempDir(), "missing.yml"))
	err := run(context.Background(), clean, strings.NewReader(""), io.Discard, io.Discard)
	if err == nil || !errors.Is(err, os.ErrNotExist) && !strings.Contains(err.Error(), "missing.yml") {
		t.Errorf("%s: latchkey %s: %v (want it to stop at the missing configuration)", where, strings.Join(args, " "), err)
	}
}

// port returns the port of a host:port address.
func port(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

type probe struct {
	HTTPGet struct {
		Path string
		Port int
	} `yaml:"httpGet"`
}

type k8sDoc struct {
	Kind     string
	Metadata struct{ Name string }
	Spec     struct {
		Template struct {
			Spec struct {
				Containers []struct {
					Image string
					Args  []string
					Ports []struct {
						ContainerPort int `yaml:"containerPort"`
					}
					LivenessProbe  *probe `yaml:"livenessProbe"`
					ReadinessProbe *probe `yaml:"readinessProbe"`
				}
			}
		}
		ScaleTargetRef struct{ Name string } `yaml:"scaleTargetRef"`
	}
	StringData map[string]string `yaml:"stringData"`
}

// The Kubernetes manifests parse, use the Dockerfile's image, probe
// /healthz (liveness) and /readyz (readiness) on the default ports, pass
// flags latchkey has, scale the gateway with an HPA and read the DSN and
// the KEK from a Secret; the systemd unit's ExecStart flags exist. So the
// deployment files cannot drift from the binary silently.
func TestDeploymentFiles(t *testing.T) {
	inTempDir(t)
	cfg := config.Default()
	wantPort := map[string]int{"latchkey-console": port(t, cfg.Server.Console.Addr), "latchkey-gateway": port(t, cfg.Server.Gateway.Addr)}
	image := imageName(t)
	dir := filepath.Join(repoRoot, "deploy", "kubernetes")
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s: %v", dir, err)
	}
	kinds := map[string]int{}
	deployments := map[string]bool{}
	var hpaTarget string
	var secret map[string]string
	for _, f := range files {
		dec := yaml.NewDecoder(bytes.NewReader(repoFile(t, filepath.Join("deploy", "kubernetes", filepath.Base(f)))))
		for {
			var d k8sDoc
			if err := dec.Decode(&d); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			kinds[d.Kind]++
			switch d.Kind {
			case "Deployment":
				deployments[d.Metadata.Name] = true
				want, ok := wantPort[d.Metadata.Name]
				if !ok {
					t.Errorf("%s: unexpected Deployment %q", f, d.Metadata.Name)
				}
				for _, c := range d.Spec.Template.Spec.Containers {
					if name, _, _ := strings.Cut(c.Image, ":"); name != image {
						t.Errorf("%s: image %q, the Dockerfile's label names %q", d.Metadata.Name, c.Image, image)
					}
					if len(c.Ports) == 0 || c.Ports[0].ContainerPort != want {
						t.Errorf("%s: container ports %v, want %d first", d.Metadata.Name, c.Ports, want)
					}
					for _, p := range []struct {
						p    *probe
						path string
					}{{c.LivenessProbe, "/healthz"}, {c.ReadinessProbe, "/readyz"}} {
						if p.p == nil || p.p.HTTPGet.Path != p.path || p.p.HTTPGet.Port != want {
							t.Errorf("%s: probe %+v, want GET %s on %d", d.Metadata.Name, p.p, p.path, want)
						}
					}
					flagsExist(t, d.Metadata.Name, c.Args)
				}
			case "HorizontalPodAutoscaler":
				hpaTarget = d.Spec.ScaleTargetRef.Name
			case "Secret":
				secret = d.StringData
			}
		}
	}
	if !deployments["latchkey-console"] || !deployments["latchkey-gateway"] || kinds["Service"] < 2 {
		t.Errorf("manifests: deployments %v, %d services; want console and gateway, each with a Service", deployments, kinds["Service"])
	}
	if hpaTarget != "latchkey-gateway" {
		t.Errorf("the HPA scales %q, want latchkey-gateway", hpaTarget)
	}
	if _, ok := secret["LATCHKEY_DATABASE_DSN"]; !ok {
		t.Errorf("the Secret has no LATCHKEY_DATABASE_DSN: %v", secret)
	}
	if _, ok := secret["LATCHKEY_SECURITY_KEYENCRYPTIONKEY"]; !ok {
		t.Errorf("the Secret has no LATCHKEY_SECURITY_KEYENCRYPTIONKEY: %v", secret)
	}

	unit := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(repoFile(t, "deploy/systemd/latchkey.service")))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			unit[k] = append(unit[k], v)
		}
	}
	for _, k := range []string{"ProtectSystem", "NoNewPrivileges", "StateDirectory", "DynamicUser"} {
		if len(unit[k]) == 0 {
			t.Errorf("the systemd unit lacks %s=", k)
		}
	}
	if len(unit["ExecStart"]) != 1 {
		t.Fatalf("the systemd unit has %d ExecStart lines", len(unit["ExecStart"]))
	}
	exec := strings.Fields(unit["ExecStart"][0])
	if filepath.Base(exec[0]) != "latchkey" {
		t.Fatalf("ExecStart runs %q", exec[0])
	}
	flagsExist(t, "systemd ExecStart", exec[1:])
}
