package mysql

// TaskListSQL exposes the task list statement to the EXPLAIN test in
// package mysql_test (which imports mysqltest, which imports this package).
var TaskListSQL = taskListSQL

// TaskCols is the column list List reads; a first page asks for it directly.
const TaskCols = taskCols
