package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildHubBinary compiles the binary for this test.
func buildHubBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "vigil")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// The real binary: first start prints a generated admin password once,
// serves, and on SIGTERM shuts down gracefully with status 0; a second
// start does not print a password again.
func TestServeFirstStartAndGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildHubBinary(t)
	dataDir := t.TempDir()
	run := func() (string, error) {
		addr := freePort(t)
		cmd := exec.Command(bin, "serve", "--listen", addr, "--data-dir", dataDir, "--log-format", "json")
		cmd.Env = append(os.Environ(), "VIGIL_ADMIN_PASSWORD=", "VIGIL_ADMIN_EMAIL=root@test.vigil")
		stderr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		done := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				out.WriteString(sc.Text() + "\n")
			}
			close(done)
		}()
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, err := http.Get("http://" + addr + "/readyz")
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("hub never became ready: %s", out.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		err := cmd.Wait()
		<-done
		return out.String(), err
	}
	first, err := run()
	if err != nil {
		t.Fatalf("first run exited with %v:\n%s", err, first)
	}
	pw := regexp.MustCompile(`password:\s+(\S+)`).FindStringSubmatch(first)
	if pw == nil || len(pw[1]) < 12 {
		t.Fatalf("first start did not print a generated password:\n%s", first)
	}
	if !strings.Contains(first, `"msg":"stopped"`) {
		t.Errorf("no graceful stop in the JSON log:\n%s", first)
	}
	second, err := run()
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if strings.Contains(second, pw[1]) {
		t.Error("second start printed the password again")
	}
	// The log never carries the password itself.
	for _, line := range strings.Split(first, "\n") {
		if strings.HasPrefix(line, "{") && strings.Contains(line, pw[1]) {
			t.Errorf("password in a log line: %s", line)
		}
	}
}
