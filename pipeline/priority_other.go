//go:build !linux

package pipeline

// lowerWriterPriority does nothing where threads cannot be reprioritised
// one by one.
func lowerWriterPriority() {}
