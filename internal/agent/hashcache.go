package agent

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"vigil/internal/agent/scan"
)

// HashCache remembers the SHA-256 of executables by (path, size, mtime), so
// the collector hashes a binary again only when it changed. It is safe for
// concurrent use and can be saved to the agent's state directory.
type HashCache struct {
	mu   sync.Mutex
	m    map[hashKey]hashEntry
	used map[hashKey]bool
	buf  []byte
}

type hashKey struct {
	Path  string
	Size  int64
	MTime int64 // Unix nanoseconds
}

type hashEntry struct {
	SHA256 string
}

// NewHashCache returns an empty cache.
func NewHashCache() *HashCache {
	return &HashCache{m: map[hashKey]hashEntry{}, used: map[hashKey]bool{}}
}

// maxExecutableHash bounds the size of an executable the collector hashes.
const maxExecutableHash = 512 << 20

// Sum returns the hex SHA-256 of the file open at open() whose identity is
// (path, size, mtime). open is called only on a cache miss; for a process
// it opens /proc/PID/exe so a deleted or replaced binary still hashes as
// what runs.
func (c *HashCache) Sum(path string, size int64, mtime time.Time, open func() (*os.File, error)) (string, error) {
	if size > maxExecutableHash {
		return "", fmt.Errorf("%s: %d bytes, over the %d MiB hashing limit", path, size, maxExecutableHash>>20)
	}
	k := hashKey{path, size, mtime.UnixNano()}
	c.mu.Lock()
	e, ok := c.m[k]
	if ok {
		c.used[k] = true
		c.mu.Unlock()
		return e.SHA256, nil
	}
	if c.buf == nil {
		c.buf = make([]byte, 256<<10)
	}
	// Hash under the lock: executables are hashed one at a time, which
	// keeps the agent to one core and one buffer.
	defer c.mu.Unlock()
	f, err := open()
	if err != nil {
		return "", err
	}
	defer f.Close()
	sum, _, err := scan.SumReader(f, c.buf)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	h := scan.Hex(sum)
	c.m[k] = hashEntry{h}
	c.used[k] = true
	return h, nil
}

type hashCacheFile struct {
	Entries []struct {
		hashKey
		SHA256 string
	}
}

// LoadHashCache reads a cache saved by Save; a missing or unreadable file
// gives an empty cache.
func LoadHashCache(file string) *HashCache {
	c := NewHashCache()
	b, err := os.ReadFile(file)
	if err != nil {
		return c
	}
	var f hashCacheFile
	if json.Unmarshal(b, &f) != nil {
		return c
	}
	for _, e := range f.Entries {
		if len(e.SHA256) == 64 {
			c.m[e.hashKey] = hashEntry{e.SHA256}
		}
	}
	return c
}

// Save writes the entries used since the cache was loaded (so binaries
// that no longer run drop out) to file, atomically.
func (c *HashCache) Save(file string) error {
	c.mu.Lock()
	var f hashCacheFile
	for k := range c.used {
		f.Entries = append(f.Entries, struct {
			hashKey
			SHA256 string
		}{k, c.m[k].SHA256})
	}
	c.used = map[hashKey]bool{}
	c.mu.Unlock()
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return writeFileAtomic(file, b, 0o600)
}

// Len is the number of cached digests.
func (c *HashCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// writeFileAtomic writes data to a temporary file beside name and renames
// it over name, so a crash never leaves a half-written state file.
func writeFileAtomic(name string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(name)
	f, err := os.CreateTemp(dir, "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if err := f.Chmod(perm); err != nil && !isWindows() {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, name)
}
