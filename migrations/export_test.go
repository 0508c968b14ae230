package migrations

// WithWaitLog shortens how often a waiting migrator logs, so a test sees it.
var WithWaitLog = withWaitLog
