package store

// SetScanPage lets tests make verification page through a short trail.
func (s *Store) SetScanPage(n int) { s.scanPage = n }

// IsUniqueViolation exposes the check AppendEvent retries on.
var IsUniqueViolation = isUniqueViolation
