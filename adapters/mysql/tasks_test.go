package mysql

// TaskListSQL exposes the task list statement to the EXPLAIN test in
// package mysql_test (which imports mysqltest, which imports this package).
var TaskListSQL = taskListSQL
