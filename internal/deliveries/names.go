package deliveries

import (
	"maps"
	"slices"
)

// Operations lists the operations the queue knows, sorted, for people
// filtering deliveries.
func Operations() []string {
	return slices.Sorted(maps.Keys(ops))
}
