// Package listing is the paginator of DescribeInstances, beside the cvm
// client as an SDK keeps its paginators: Instances lists every instance a
// Query names (by id, 100 a call, ByIDConcurrency calls at a time and
// gathered in the order of the ids; or by filters, page after page until
// TotalCount, each page after the one before) through the client's one
// call path, and says which call failed (APIError) when one did.
package listing
