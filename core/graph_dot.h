// heed::to_dot: the recorded graph behind a tensor as Graphviz DOT, to look at what backward will
// walk.
//
//   Tensor loss = ops::mean(ops::pow(ops::linear(x, w, b) - y, 2.f));
//   std::string dot = heed::to_dot(loss, {{"w", w}, {"b", b}});   // names are optional
//   // dot -Tsvg graph.dot -o graph.svg
//
// One box per recorded op (its name and output shape), one ellipse per leaf that collects a
// gradient (its name when given, shape, requires_grad=true), one grey ellipse per input that needs
// no gradient (a constant: the graph keeps neither a handle to it nor its shape, so each use gets
// its own, labelled "constant"), and arrows
// in the direction data flows, from inputs to the op that reads them. A tensor used twice is one
// node with two arrows out. The walk is iterative, so a graph 100,000 ops deep is fine.
//
// Call it before backward(): backward frees the graph's edges (unless retain_graph), and then
// only the root's op is left to draw.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "heed/core/tensor.h"

namespace heed {

// `names` labels leaves (e.g. a module's named_parameters()); unnamed leaves show their shape only.
std::string to_dot(const Tensor& root, const std::vector<std::pair<std::string, Tensor>>& names = {});

}  // namespace heed
