package certs

import (
	"container/list"
	"crypto/tls"
)

// DefaultCacheSize is how many leaf certificates an Authority keeps until
// SetCacheSize says otherwise: enough for every host a browsing session
// touches, small enough to stay a few megabytes.
const DefaultCacheSize = 1024

// leafCache is a least-recently-used map from host to leaf certificate.
// It is not safe for concurrent use; Authority guards it with a mutex.
type leafCache struct {
	capacity int
	order    *list.List // front is most recently used; values are *leafEntry
	byHost   map[string]*list.Element
}

type leafEntry struct {
	host string
	cert *tls.Certificate
}

func newLeafCache(capacity int) *leafCache {
	return &leafCache{
		capacity: max(capacity, 1),
		order:    list.New(),
		byHost:   make(map[string]*list.Element),
	}
}

// get returns the cached leaf for host and marks it recently used.
func (c *leafCache) get(host string) (*tls.Certificate, bool) {
	el, ok := c.byHost[host]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*leafEntry).cert, true
}

// put stores cert for host, evicting the least recently used leaves beyond
// capacity.
func (c *leafCache) put(host string, cert *tls.Certificate) {
	if el, ok := c.byHost[host]; ok {
		el.Value.(*leafEntry).cert = cert
		c.order.MoveToFront(el)
		return
	}
	c.byHost[host] = c.order.PushFront(&leafEntry{host: host, cert: cert})
	c.trim()
}

func (c *leafCache) resize(capacity int) {
	c.capacity = max(capacity, 1)
	c.trim()
}

func (c *leafCache) trim() {
	for c.order.Len() > c.capacity {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.byHost, oldest.Value.(*leafEntry).host)
	}
}

func (c *leafCache) len() int { return c.order.Len() }
