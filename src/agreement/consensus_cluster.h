// Clustering of the objects of one overlap set (one frame labeled by several annotators) into
// candidate consensus objects, the quorum that accepts a cluster, and the medoid of a cluster for
// geometries without an average (polylines, polygons, masks). docs/agreement.md, "Consensus".
//
// The caller matches the annotators' objects pair by pair (the quality engine's matching) and
// passes the pairs it found as edges; this kernel only decides which pairs form clusters. Pure
// functions over values; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"

namespace gtops::agreement {

// One object of one annotator of the frame (annotator: dense index [0, annotators)).
struct ClusterMember {
  int32_t annotator = 0;
  int32_t object = 0;
  friend bool operator==(const ClusterMember&, const ClusterMember&) = default;
};

// A pair of objects of two different annotators that the matching paired, with its cost (lower
// is a better match: 1 - IoU, or a distance; ties are broken by the order of the edges).
struct MatchEdge {
  ClusterMember a, b;
  double cost = 0;
};

struct ObjectCluster {
  std::vector<ClusterMember> members;  // at most one per annotator, ordered by annotator
  bool accepted = false;               // members.size() >= the frame's quorum
};

// The quorum of a frame of `annotators` annotators: `quorum` when 1 <= quorum <= annotators,
// the annotators when quorum > annotators, a strict majority (annotators / 2 + 1) when quorum
// <= 0 (the default).
int FrameQuorum(int annotators, int quorum);

// Clusters the objects of one frame: `objects[a]` objects of annotator a. Every object starts as
// a cluster of its own; edges are taken in increasing cost (stable: ties in the given order) and
// merge the two clusters they join unless those already hold an object of a common annotator
// (a cluster never holds two objects of one annotator). Then each cluster is accepted when it
// has at least FrameQuorum(objects.size(), quorum) members. Clusters are ordered by their
// smallest member (annotator, then object). kBadInput for an edge out of range or joining two
// objects of one annotator, or a negative count.
Result<std::vector<ObjectCluster>> ClusterObjects(std::span<const int32_t> objects,
                                                  std::span<const MatchEdge> edges, int quorum);

// The medoid of a cluster of n members: the member whose weighted sum of dissimilarities to the
// others, Σ_j w_j d(i, j), is smallest (ties: the lowest index). `dissimilarity` is n x n,
// row-major, symmetric use (d(i, j) is read for i != j only); `weights` n values >= 0 (empty: all
// 1). kBadInput for sizes that do not match, n = 0, a negative or non-finite value.
Result<int> Medoid(int n, std::span<const double> dissimilarity, std::span<const double> weights = {});

}  // namespace gtops::agreement
