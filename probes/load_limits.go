package probes

import "gopkg.in/yaml.v3"

// expanded returns the number of values under n, n included and aliases
// expanded, as check would walk them, saturating past maxValues. sizes
// memoises it by node, so that an alias bomb (a list of ten aliases of a
// list of ten aliases of…) is measured in time linear in the file's size,
// not in its expansion.
func expanded(n *yaml.Node, sizes map[*yaml.Node]int) int {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return 1
		}
		n = n.Alias
	}
	if s, ok := sizes[n]; ok {
		return s
	}
	sizes[n] = maxValues + 1 // an alias cycle, if the parser ever let one through, is too big
	s := 1
	step := 1
	if n.Kind == yaml.MappingNode {
		step = 2 // values only: keys are not values
	}
	for i := step - 1; i < len(n.Content) && s <= maxValues; i += step {
		s += expanded(n.Content[i], sizes)
	}
	s = min(s, maxValues+1)
	sizes[n] = s
	return s
}

// locateValue returns the line and key path of the value that makes n,
// found at path, exceed budget values in walk order: where check would
// have been when it crossed the limit. expanded(n) must exceed budget.
func locateValue(n *yaml.Node, path string, budget int, sizes map[*yaml.Node]int) (int, string) {
	for {
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		if budget <= 0 || len(n.Content) == 0 {
			return n.Line, path
		}
		budget--
		next := (*yaml.Node)(nil)
		nextPath := path
		for i := 0; i < len(n.Content) && next == nil; i++ {
			c := n.Content[i]
			p := pathIndex(path, i)
			if n.Kind == yaml.MappingNode {
				if i%2 == 0 {
					continue
				}
				p = pathKey(path, n.Content[i-1].Value)
				if n.Content[i-1].ShortTag() == "!!merge" {
					p = path
				}
			}
			if s := expanded(c, sizes); s > budget {
				next, nextPath = c, p
			} else {
				budget -= s
			}
		}
		if next == nil {
			return n.Line, path
		}
		n, path = next, nextPath
	}
}
