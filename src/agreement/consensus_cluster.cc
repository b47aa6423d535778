#include "agreement/consensus_cluster.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

namespace gtops::agreement {

int FrameQuorum(int annotators, int quorum) {
  if (quorum <= 0) return annotators / 2 + 1;
  return std::min(quorum, annotators);
}

Result<std::vector<ObjectCluster>> ClusterObjects(std::span<const int32_t> objects,
                                                  std::span<const MatchEdge> edges, int quorum) {
  const auto annotators = static_cast<int32_t>(objects.size());
  std::vector<size_t> first(objects.size() + 1, 0);  // dense index of annotator a's object 0
  for (size_t a = 0; a < objects.size(); ++a) {
    if (objects[a] < 0) return Status::BadInput(fmt::format("consensus: annotator {} has {} objects", a, objects[a]));
    first[a + 1] = first[a] + static_cast<size_t>(objects[a]);
  }
  const size_t n = first.back();
  auto valid = [&](const ClusterMember& m) {
    return m.annotator >= 0 && m.annotator < annotators && m.object >= 0 && m.object < objects[static_cast<size_t>(m.annotator)];
  };
  auto index = [&](const ClusterMember& m) { return first[static_cast<size_t>(m.annotator)] + static_cast<size_t>(m.object); };
  for (size_t e = 0; e < edges.size(); ++e) {
    const MatchEdge& edge = edges[e];
    if (!valid(edge.a) || !valid(edge.b)) return Status::BadInput(fmt::format("consensus: edge {} is out of range", e));
    if (edge.a.annotator == edge.b.annotator) {
      return Status::BadInput(fmt::format("consensus: edge {} joins two objects of annotator {}", e, edge.a.annotator));
    }
    if (!std::isfinite(edge.cost)) return Status::BadInput(fmt::format("consensus: edge {} has a non-finite cost", e));
  }

  // Union-find over the objects; each root keeps the sorted annotators of its cluster.
  std::vector<size_t> parent(n);
  std::iota(parent.begin(), parent.end(), size_t{0});
  std::vector<std::vector<int32_t>> members_of(n);
  for (size_t a = 0; a < objects.size(); ++a) {
    for (size_t i = first[a]; i < first[a + 1]; ++i) members_of[i] = {static_cast<int32_t>(a)};
  }
  auto find = [&](size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  std::vector<size_t> order(edges.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return edges[x].cost < edges[y].cost; });
  std::vector<int32_t> merged;
  for (size_t e : order) {
    size_t ra = find(index(edges[e].a)), rb = find(index(edges[e].b));
    if (ra == rb) continue;
    const auto& ma = members_of[ra];
    const auto& mb = members_of[rb];
    merged.clear();
    std::merge(ma.begin(), ma.end(), mb.begin(), mb.end(), std::back_inserter(merged));
    if (std::adjacent_find(merged.begin(), merged.end()) != merged.end()) continue;  // a shared annotator
    if (rb < ra) std::swap(ra, rb);
    parent[rb] = ra;
    members_of[ra].swap(merged);
    members_of[rb].clear();
  }

  const int need = FrameQuorum(annotators, quorum);
  std::vector<ObjectCluster> out;
  std::vector<size_t> slot(n, n);
  for (size_t a = 0; a < objects.size(); ++a) {  // in order of (annotator, object): the smallest member first
    for (size_t i = first[a]; i < first[a + 1]; ++i) {
      const size_t root = find(i);
      if (slot[root] == n) {
        slot[root] = out.size();
        out.emplace_back();
      }
      out[slot[root]].members.push_back(
          ClusterMember{static_cast<int32_t>(a), static_cast<int32_t>(i - first[a])});
    }
  }
  for (ObjectCluster& c : out) c.accepted = static_cast<int>(c.members.size()) >= need;
  return out;
}

Result<int> Medoid(int n, std::span<const double> dissimilarity, std::span<const double> weights) {
  if (n <= 0) return Status::BadInput("medoid: the cluster is empty");
  const auto size = static_cast<size_t>(n);
  if (dissimilarity.size() != size * size) {
    return Status::BadInput(fmt::format("medoid: {} dissimilarities for {} members", dissimilarity.size(), n));
  }
  if (!weights.empty() && weights.size() != size) {
    return Status::BadInput(fmt::format("medoid: {} weights for {} members", weights.size(), n));
  }
  for (double w : weights) {
    if (!(w >= 0) || !std::isfinite(w)) return Status::BadInput(fmt::format("medoid: weight {} must be >= 0", w));
  }
  int best = 0;
  double best_sum = 0;
  for (size_t i = 0; i < size; ++i) {
    double sum = 0;
    for (size_t j = 0; j < size; ++j) {
      if (i == j) continue;
      const double d = dissimilarity[i * size + j];
      if (!(d >= 0) || !std::isfinite(d)) {
        return Status::BadInput(fmt::format("medoid: dissimilarity ({}, {}) = {} must be finite and >= 0", i, j, d));
      }
      sum += (weights.empty() ? 1.0 : weights[j]) * d;
    }
    if (i == 0 || sum < best_sum) best = static_cast<int>(i), best_sum = sum;
  }
  return best;
}

}  // namespace gtops::agreement
