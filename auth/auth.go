// Package auth says who calls the API: API keys, the roles they carry and
// the tenants they may act for.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// Role is what a key may do.
type Role string

const (
	// Admin may do everything, for every tenant it is given.
	Admin Role = "admin"
	// DPO sees every case of its tenants and takes every staff action.
	DPO Role = "dpo"
	// Portal opens requests, reads the cases it opened and passes
	// verification codes and portal identity assertions; nothing else.
	Portal Role = "portal"
	// Intake feeds e-mail into the engine, nothing else.
	Intake Role = "intake"
	// Auditor reads cases and audit trails, and changes nothing.
	Auditor Role = "auditor"
)

// Roles lists every role.
var Roles = []Role{Admin, DPO, Portal, Intake, Auditor}

// AllTenants in a key's tenant list lets it act for every tenant.
const AllTenants = "*"

// Principal is the caller behind a valid key.
type Principal struct {
	KeyID   string
	Name    string
	Role    Role
	Tenants []string
}

// ActsFor reports whether p may see and act on cases of tenant.
func (p Principal) ActsFor(tenant string) bool {
	return slices.Contains(p.Tenants, AllTenants) || slices.Contains(p.Tenants, tenant)
}

// ParseRole checks a role's spelling.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !slices.Contains(Roles, r) {
		names := make([]string, len(Roles))
		for i, r := range Roles {
			names[i] = string(r)
		}
		return "", fmt.Errorf("%q is not a role (%s)", s, strings.Join(names, ", "))
	}
	return r, nil
}

// keyPrefix marks dsrflow keys, so a leaked one is recognisable in a scan.
const keyPrefix = "dsr_"

// NewKey makes a key: 160 random bits. Only its hash is ever stored.
func NewKey() (plaintext, hash string, err error) {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("new api key: %w", err)
	}
	plaintext = keyPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
	return plaintext, Hash(plaintext), nil
}

// Hash is what the store keeps of a key. Keys are random, not chosen by
// people, so a plain SHA-256 is enough: there is nothing to guess from it.
func Hash(plaintext string) string {
	sum := sha256.Sum256([]byte(plaintext))
	return hex.EncodeToString(sum[:])
}
