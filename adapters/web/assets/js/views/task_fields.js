// The values a task's fields and the task list's order can take, as the
// API defines them (shared by the board and the task dialog).

export const STATUSES = ['todo', 'in_progress', 'done'];
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
/** ORDERS are the task list's orders; the first is the API's default. */
export const ORDERS = ['-created_at', 'due_date', '-priority'];
