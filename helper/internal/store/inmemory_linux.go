package store

import "golang.org/x/sys/unix"

// inMemory reports whether dir is on a file system held in memory.
func inMemory(dir string) bool {
	var st unix.Statfs_t
	if unix.Statfs(dir, &st) != nil {
		return false
	}
	const ramfsMagic = 0x858458f6
	return st.Type == unix.TMPFS_MAGIC || st.Type == ramfsMagic
}
