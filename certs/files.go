package certs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// File and folder modes of the CA. The key grants the power to intercept
// any TLS connection of whoever trusts the certificate, so only the owner
// may read it.
const (
	dirMode  fs.FileMode = 0o700
	keyMode  fs.FileMode = 0o600
	certMode fs.FileMode = 0o644
)

// writeCA stores a new CA in dir, creating dir if needed. Each file is
// written to a temporary name, synced and renamed into place, so a crash
// never leaves a truncated file. The key is renamed first and the
// certificate last: a lone ca.pem therefore never happens, and a lone
// ca.key means creation was interrupted, which Load reports instead of
// guessing.
func writeCA(dir string, certPEM, keyPEM []byte) error {
	if err := ensureDir(dir); err != nil {
		return err
	}
	keyTmp, err := writeTemp(dir, KeyFileName, keyPEM, keyMode)
	if err != nil {
		return err
	}
	certTmp, err := writeTemp(dir, CertFileName, certPEM, certMode)
	if err != nil {
		os.Remove(keyTmp)
		return err
	}
	keyPath := filepath.Join(dir, KeyFileName)
	if err := os.Rename(keyTmp, keyPath); err != nil {
		os.Remove(keyTmp)
		os.Remove(certTmp)
		return fmt.Errorf("certs: store CA key %s: %w", keyPath, err)
	}
	certPath := filepath.Join(dir, CertFileName)
	if err := os.Rename(certTmp, certPath); err != nil {
		os.Remove(certTmp)
		return fmt.Errorf("certs: store CA certificate %s (key already at %s): %w", certPath, keyPath, err)
	}
	return syncDir(dir)
}

// ensureDir creates dir with mode 0700. A folder created here is chmod-ed
// to exactly 0700 because MkdirAll's mode is filtered by the umask, which
// could strip the owner's own bits; an existing folder is left as the user
// set it.
func ensureDir(dir string) error {
	info, err := os.Stat(dir)
	switch {
	case err == nil:
		if !info.IsDir() {
			return fmt.Errorf("certs: CA folder %s is not a folder", dir)
		}
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("certs: check CA folder %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return fmt.Errorf("certs: create CA folder: %w", err)
	}
	if err := os.Chmod(dir, dirMode); err != nil {
		return fmt.Errorf("certs: restrict CA folder: %w", err)
	}
	return nil
}

// writeTemp writes data to a new temporary file in dir with the given mode
// and returns its path once the data is on disk.
func writeTemp(dir, name string, data []byte, mode fs.FileMode) (path string, err error) {
	// CreateTemp opens with 0600, so the key is never readable by others,
	// not even for the moment before Chmod.
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return "", fmt.Errorf("certs: create temporary file for %s: %w", name, err)
	}
	path = f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(path)
		}
	}()
	if err := f.Chmod(mode); err != nil {
		return "", fmt.Errorf("certs: set mode of %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return "", fmt.Errorf("certs: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("certs: sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("certs: close %s: %w", path, err)
	}
	return path, nil
}

// syncDir makes the renames durable: without it a crash soon after could
// forget the new directory entries even though the file data is on disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("certs: open CA folder to sync: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("certs: sync CA folder %s: %w", dir, err)
	}
	return nil
}
