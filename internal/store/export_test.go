package store

// RebindForTest exposes rebind to the external test package.
var RebindForTest = rebind
