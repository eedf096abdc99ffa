// Package listing is the paginator of DescribeInstances, beside the cvm
// client as an SDK keeps its paginators: Instances lists what a Query names
// (by id, 100 a call; or by filters, page after page until TotalCount)
// through the client's one call path.
package listing
